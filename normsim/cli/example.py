"""``normsim example``: list, print or run the example scenarios that ship in the package."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from normsim.cli.common import (
    EXIT_OK,
    EXIT_USAGE,
    data_root_option,
    override_options,
    workers_option,
)
from normsim.cli.run import cmd_run

if TYPE_CHECKING:
    from normsim.cli.common import Subparsers


def add_example(sub: Subparsers) -> None:
    """The ``example`` command and its options."""
    eg = sub.add_parser(
        "example",
        help="list the packaged example scenarios, or run one",
        description=(
            "Without NAME: list the example scenarios that ship inside the "
            "package (the quick start and the paper's figures). With NAME: run "
            "that example exactly as 'normsim run' runs a scenario file "
            "(results in results/NAME unless --out), or print its YAML with "
            "--print, to copy and edit."
        ),
    )
    eg.add_argument(
        "name",
        metavar="NAME",
        nargs="?",
        help="the example to run, e.g. quickstart (omit to list them)",
    )
    eg.add_argument("--list", action="store_true", help="list the examples (the same as no NAME)")
    eg.add_argument(
        "--print",
        action="store_true",
        help="print the example's scenario file instead of running it",
    )
    override_options(eg)
    eg.add_argument("--out", metavar="DIR", help="output directory (default: results/NAME)")
    data_root_option(
        eg,
        "a folder a data file set with --set (edge list, group file) may lie in; by default it "
        "must lie in the example's own folder (repeatable)",
    )
    workers_option(eg)
    eg.add_argument(
        "--json", action="store_true", help="print the summary as one JSON object (no progress bar)"
    )
    eg.set_defaults(func=cmd_example)


def cmd_example(args: argparse.Namespace) -> int:
    """``normsim example [NAME]``: list the packaged example scenarios, or run (or print) one."""
    from normsim import examples

    if args.list and args.name:
        print(
            "normsim example: error: --list takes no NAME (it lists every example)", file=sys.stderr
        )
        return EXIT_USAGE
    if not args.name:
        if args.print:
            print("normsim example: error: --print needs an example NAME", file=sys.stderr)
            return EXIT_USAGE
        names = examples.names()
        width = max(len(n) for n in names)
        print("Example scenarios (normsim example NAME runs one; --print shows its YAML):")
        for n in names:
            print(f"  {n.ljust(width)}  {examples.describe(n)}")
        return EXIT_OK
    path = examples.path(args.name)
    if args.print:
        sys.stdout.write(examples.text(args.name))
        return EXIT_OK
    args.scenario = str(path)
    args.scheduler = None
    return cmd_run(args)
