"""The batch workflow: ``normsim validate``, ``run``, ``summary`` and ``export`` (check a
scenario, run it into a results store, summarise and export the store)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from normsim.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PLOTS,
    EXIT_USAGE,
    load_scenario,
    number,
    print_json,
    scenario_args,
    scheduler_options,
    scheduler_timeout,
    workers_option,
)

if TYPE_CHECKING:
    from normsim.cli.common import Subparsers


def add_validate(sub: Subparsers) -> None:
    """The ``validate`` command and its options."""
    va = sub.add_parser(
        "validate",
        help="check a scenario and print what would run",
        description="Check a scenario; print its conditions, the work and "
        "the estimated memory, disk and time. Exit 0 if valid, 1 if "
        "not (or too large for this machine).",
    )
    scenario_args(va)
    va.set_defaults(func=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    """``normsim validate``: check a scenario and print what would run."""
    from normsim.scenario import conditions, limits

    loaded = load_scenario(args)
    sc = loaded.scenario
    out = getattr(args, "out", None) or loaded.output_dir()
    # refused here, in a fraction of a second, if too large for this machine
    cost = limits.check(
        loaded, where=args.scenario, out_dir=out, stored_bytes=limits.stored_bytes(out)
    )
    slow = cost.validate_seconds + cost.conditions * limits.CONDITION_SECONDS
    if slow > 5:
        print(
            f"normsim validate: checking every condition and building each network once "
            f"takes about {limits.fmt_seconds(slow)}",
            file=sys.stderr,
            flush=True,
        )
    conds = conditions(loaded)
    runs = 1 if sc.population.well_mixed else sc.runs
    print(f"{args.scenario}: OK: scenario {sc.name!r}")
    if sc.population.well_mixed:
        work = "well-mixed ODE"
    else:
        sizes = sorted({c.n_agents for c in conds})
        agents = f"{sizes[0]}" if len(sizes) == 1 else f"{sizes[0]}-{sizes[-1]}"
        total = runs * sc.schedule.generations * sum(c.n_agents for c in conds)
        work = (
            f"{agents} agents x {sc.schedule.generations} generations, "
            f"{sc.dynamics.update} update, {sc.dynamics.protocol} protocol; "
            f"{total:.3g} agent-updates in all"
        )
    print(f"  {len(conds)} condition(s) x {runs} run(s) = {len(conds) * runs} replicate(s); {work}")
    if sc.design is not None:
        d = sc.design
        print(
            f"  design: {d.method}, samples {d.samples}, seed "
            f"{sc.seed if d.seed is None else d.seed}, over {', '.join(sorted(d.bounds))}; "
            f"{len(conds)} distinct point(s)"
        )
    for c in conds[:20]:
        print(f"  - {c.describe()}  [{c.hash[:10]}]")
    if len(conds) > 20:
        print(f"  ... and {len(conds) - 20} more")
    print(f"  {limits.describe(cost, limits.machine(out))}")
    print(f"  results: {out}")
    return EXIT_OK


def add_run(sub: Subparsers) -> None:
    """The ``run`` command and its options."""
    ru = sub.add_parser(
        "run",
        help="run a scenario, store results, plot, summarise",
        description=(
            "Run every condition of the scenario x runs replicates on local "
            "worker processes, commit each finished replicate to "
            "DIR/results.sqlite, write plots (PNG) to DIR and print a summary. "
            "Replicates already stored for the same condition and seed are "
            "not run again, so an interrupted run resumes. The summary covers "
            "the replicates this command asks for (0..runs-1; 'summary' covers "
            "all stored). A scenario too large for this machine is refused "
            "before anything is built. Exit 3 if some replicates failed (the "
            "others are stored), 4 if the plots could not be written."
        ),
    )
    scenario_args(ru)
    workers_option(ru)
    scheduler_options(
        ru,
        "run on an existing Dask cluster, e.g. tcp://host:8786 "
        "(the workers need normsim installed)",
    )
    ru.add_argument(
        "--json", action="store_true", help="print the summary as one JSON object (no progress bar)"
    )
    ru.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    """``normsim run``: run a scenario, store its replicates, write plots, print the summary."""
    from pathlib import Path

    from normsim.store import Store, db_path
    from normsim.studies.results import summarise
    from normsim.studies.runner import run

    loaded = load_scenario(args)
    out_dir = Path(args.out) if args.out else loaded.output_dir()
    workers = None
    if args.workers is not None:
        if args.scheduler:
            print(
                "normsim run: error: --workers and --scheduler cannot be combined "
                "(the cluster's workers do the work)",
                file=sys.stderr,
            )
            return EXIT_USAGE
        workers = int(number("--workers", args.workers, low=1))
    report = run(
        loaded,
        out_dir=out_dir,
        workers=workers,
        scheduler=args.scheduler,
        quiet=args.json,
        scheduler_timeout=scheduler_timeout(args),
    )
    if loaded.scenario.design is not None and not report.failures:
        if not args.json:
            for f in _design_report(loaded, out_dir, report):
                print(f"plot: {f}")
            return EXIT_OK
        from normsim.studies.sensitivity import analyse, default_output
        from normsim.studies.sensitivity import figures as design_figures

        design_figures(analyse(out_dir, default_output(loaded.scenario)), out_dir)
    design = loaded.scenario.design is not None  # its figures are the sensitivity ones
    runs = loaded.scenario.runs  # the summary covers the replicates this command asked for
    with Store(out_dir) as store:
        summary = summarise(store, hashes=[c.hash for c in report.conditions], runs=runs)
        figures, plot_error = (
            ([], None)
            if design
            else _figures(
                store,
                summary,
                db_path(out_dir).parent,
                hashes=[c.hash for c in report.conditions],
                runs=runs,
            )
        )
    if args.json:
        print_json(summary)
    else:
        print(
            f"{loaded.scenario.name}: {len(report.conditions)} condition(s); ran "
            f"{report.ran} replicate(s), {report.skipped} already stored; "
            f"{report.seconds:.1f} s"
        )
        _print_table(_compact(summary))
        print(f"results: {out_dir / 'results.sqlite'}")
        for f in figures:
            print(f"plot: {f}")
    if report.failures:
        for f in report.failures:
            print(f"normsim: replicate failure: {f}", file=sys.stderr)
        print(
            f"normsim: {len(report.failures)} chunk(s) of replicates failed; the others are "
            "stored; run the same command again to retry the missing ones",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_PLOTS if plot_error else EXIT_OK


def _shock_rows(first: list[str], shocks: list | None, final_share_b: float) -> list[list[str]]:
    """The summary table's rows of one condition or group: ``first`` (its labels), then
    each shock's metrics and the final share of B (one row of dashes without a shock)."""
    if not shocks:
        return [first + ["-"] * 7 + [_f(final_share_b)]]
    rows = []
    for sh in shocks:
        spread = f"{_f(sh['t50_median'], 0)} [{_f(sh['t50_p10'], 0)}-{_f(sh['t50_p90'], 0)}]"
        rows.append(
            first
            + [
                str(sh["at"]),
                sh["new_norm"],
                _f(sh["pre_share"]),
                _f(sh["t50"], 0),
                _f(sh["t90"], 0),
                spread,
                _f(sh["final_share"]),
                _f(final_share_b),
            ]
        )
    return rows


def _print_table(summary: dict) -> None:
    conds = summary["conditions"]
    keys = list(conds[0]["params"]) if conds else []
    head = [k.split(".")[-1] for k in keys] + [
        "runs",
        "shock",
        "new",
        "pre",
        "t50",
        "t90",
        "t50 med [p10-p90]",
        "final",
        "share B end",
    ]
    rows = []
    for c in conds:
        stored = c.get("stored", c["runs"])  # more stored than covered: say both
        runs = str(c["runs"]) if stored == c["runs"] else f"{c['runs']} of {stored}"
        base = [str(c["params"][k]) for k in keys] + [runs]
        rows += _shock_rows(base, c["shocks"], c["final_share_b"])
        for gr in c.get("groups") or ():  # per group: its c, its share of B's metrics
            label = [""] * len(keys) + [f"group {gr['group']} (c {gr['c']:g})"]
            rows += _shock_rows(label, gr["shocks"], gr["final_share_b"])
        if c.get("exploration"):
            ex = c["exploration"]
            rates = " ".join(f"{k}:{v:.2f}" for k, v in ex["rate_shares"].items())
            rows.append(
                [""] * len(keys)
                + ["", f"evolved mean rate {ex['mean_rate']:.3f}; shares {rates}"]
                + [""] * 7
            )
    widths = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]
    print("  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))
    for r in rows:
        print("  ".join(str(x).rjust(w) for x, w in zip(r, widths, strict=True)).rstrip())


def _f(v, digits: int = 3) -> str:
    if v is None:
        return "never"
    return f"{v:.{digits}f}" if digits else f"{v:.0f}"


def _compact(summary: dict, max_shocks: int = 4) -> dict:
    """For the table only: with many (periodic) shocks, keep the first two and the last two."""
    out = {**summary, "conditions": []}
    for c in summary["conditions"]:
        sh = c["shocks"]
        if len(sh) > max_shocks:
            sh = sh[:2] + sh[-2:]
        out["conditions"].append({**c, "shocks": sh})
    return out


def _figures(
    store, summary: dict, out_dir, hashes: list[str] | None = None, runs: int | None = None
) -> tuple[list, bool]:
    """The plots of stored results; a plot that cannot be drawn or written is one warning
    line on stderr (the table and the JSON still come out). Returns (paths, failed)."""
    from normsim.errors import excerpt
    from normsim.plots import run_figures

    try:
        return run_figures(store, summary, out_dir, hashes=hashes, runs=runs), False
    except Exception as e:  # noqa: BLE001 - a plot never loses the results' report
        import matplotlib.pyplot as plt

        plt.close("all")
        if isinstance(e, IsADirectoryError) or (isinstance(e, OSError) and e.filename):
            what = f"cannot write {e.filename}: {e.strerror or e}"
        else:
            what = f"{type(e).__name__}: {excerpt(str(e))[1:-1]}"
        print(
            f"normsim: warning: plots not written ({what}); the results are stored and summarised",
            file=sys.stderr,
        )
        return [], True


def _design_report(loaded, out_dir, report) -> list:
    """After a design's run: its sensitivity table (default output) and figures."""
    from normsim.studies.sensitivity import analyse, default_output, figures, table

    res = analyse(out_dir, default_output(loaded.scenario))
    print(
        f"{loaded.scenario.name}: {len(report.conditions)} distinct design point(s); ran "
        f"{report.ran} replicate(s), {report.skipped} already stored; "
        f"{report.seconds:.1f} s"
    )
    print(table(res))
    print(
        f"results: {out_dir / 'results.sqlite'} (normsim sensitivity {out_dir} "
        "--output ... for other outputs)"
    )
    return figures(res, out_dir)


def add_summary(sub: Subparsers) -> None:
    """The ``summary`` command and its options."""
    su = sub.add_parser(
        "summary",
        help="summary of stored results",
        description="Summarise a results directory or results.sqlite file.",
    )
    su.add_argument(
        "results", metavar="DIR_OR_DB", help="a results directory, or its results.sqlite file"
    )
    su.add_argument("--json", action="store_true", help="print one JSON object")
    su.add_argument("--plots", action="store_true", help="(re)write the plots beside the store")
    su.set_defaults(func=cmd_summary)


def cmd_summary(args: argparse.Namespace) -> int:
    """``normsim summary``: the summary of a results store (table or JSON)."""
    from pathlib import Path

    from normsim.store import Store
    from normsim.studies.results import summarise

    with Store(args.results, create=False) as store:
        summary = summarise(store)
        figures: list = []
        plot_error = False
        if args.plots:
            out = Path(args.results)
            out = out if out.is_dir() else out.parent
            figures, plot_error = _figures(store, summary, out)
    if args.json:
        print_json(summary)
    else:
        print(f"{summary['scenario']}: {len(summary['conditions'])} condition(s)")
        _print_table(_compact(summary))
        for f in figures:
            print(f"plot: {f}")
    return EXIT_PLOTS if plot_error else EXIT_OK


def add_export(sub: Subparsers) -> None:
    """The ``export`` command and its options."""
    ex = sub.add_parser(
        "export",
        help="export stored results as tidy tables",
        description=(
            "Write tidy tables: replicates (one row per replicate) and series "
            "(one row per replicate and generation)."
        ),
    )
    ex.add_argument(
        "results", metavar="DIR_OR_DB", help="a results directory, or its results.sqlite file"
    )
    ex.add_argument(
        "--format",
        choices=["csv", "parquet"],
        default="csv",
        help="table format (default csv; parquet needs pyarrow)",
    )
    ex.add_argument("--to", metavar="PATH", help="output directory (default: DIR/export)")
    ex.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    """``normsim export``: tidy tables of a results store."""
    from normsim.datafiles import check_output
    from normsim.studies.export import export

    if args.to is not None:
        check_output(args.to, "--to")
    paths = export(args.results, args.format, args.to)
    for p in paths:
        print(p)
    return EXIT_OK
