"""What the commands of :mod:`normsim.cli` share: exit codes, the parsing of option values,
the options several commands take, the scenario a command loads, JSON output.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import TYPE_CHECKING

from normsim.errors import NormsimError

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_FAILED, EXIT_PLOTS = 0, 1, 2, 3, 4


# ---------------------------------------------------------------------- parser
class Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors exit with status 2 and one line."""

    def error(self, message: str):  # pragma: no cover - exercised through main()
        """The usage line and ``PROG: error: MESSAGE`` on stderr; exit status 2."""
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


if TYPE_CHECKING:
    from normsim.game import MatrixGame
    from normsim.scenario import LoadedScenario

    #: what ``add_subparsers`` of a :class:`Parser` returns; each command module adds its
    #: commands to it
    Subparsers = argparse._SubParsersAction[Parser]


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: handled like Ctrl-C (workers stopped, finished replicates kept)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def number(
    option: str,
    text: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> float:
    """Parse an option's value as a float; a bad value is a NormsimError naming the option."""
    try:
        x = float(text)
    except ValueError:
        raise NormsimError(f"{option}: {text!r} is not a number") from None
    if not math.isfinite(x):
        raise NormsimError(f"{option}: {text!r} is not a finite number")
    if (low is not None and (x <= low if low_open else x < low)) or (high is not None and x > high):
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise NormsimError(f"{option}: {text} is outside {'(' if low_open else '['}{lo}, {hi}]")
    return x


def scheduler_timeout(args: argparse.Namespace) -> float | None:
    """``--scheduler-timeout`` in seconds (None: the runner's default); only with
    ``--scheduler``."""
    text = getattr(args, "scheduler_timeout", None)
    if text is None:
        return None
    if not args.scheduler:
        raise NormsimError("--scheduler-timeout: only with --scheduler")
    return number("--scheduler-timeout", text, low=0.0, low_open=True)


def integer(option: str, text: str, low: int | None = None) -> int:
    """Parse an option's value as a whole number (at least ``low``); a bad value is a
    NormsimError naming the option."""
    x = number(option, text, low=low)
    if not x.is_integer():
        raise NormsimError(f"{option}: {text!r} is not a whole number")
    return int(x)


def parse_matrix(text: str) -> list[list[float]]:
    """``--matrix``: four numbers ``R,S,T,P`` (the 2 x 2 game ``[[R, S], [T, P]]``) or the
    rows of a square k x k matrix, separated by ``;``, entries by ``,`` (``1,0.5;0.4,0.8``).

    >>> parse_matrix("4,0,3,2")
    [[4.0, 0.0], [3.0, 2.0]]
    >>> parse_matrix("1,0.5;0.4,0.8")
    [[1.0, 0.5], [0.4, 0.8]]
    """
    if ";" not in text:
        parts = [t.strip() for t in text.split(",")]
        if len(parts) != 4:
            raise NormsimError(
                f"--matrix: {text!r} is not four numbers R,S,T,P (a 2 x 2 matrix) "
                "nor k x k rows separated by ';'"
            )
        r, s, t, p = (number(f"--matrix {n}", x) for n, x in zip("RSTP", parts, strict=True))
        return [[r, s], [t, p]]
    rows = [[number("--matrix", t.strip()) for t in row.split(",")] for row in text.split(";")]
    k = len(rows)
    if any(len(r) != k for r in rows):
        shape = f"{k} rows of " + "/".join(sorted({str(len(r)) for r in rows})) + " entries"
        raise NormsimError(f"--matrix: {shape}; give a square k x k matrix (rows ';', entries ',')")
    return rows


def game_options(args: argparse.Namespace) -> MatrixGame | None:
    """The 2 x 2 matrix game of ``--matrix`` or of a matrix ``--preset``; None for the
    (a, b, c) game, whose ``--a --b --c`` the ``coordination`` preset fills in with the
    defaults of :data:`normsim.params.DEFAULTS` where they are not given. A one-line
    :class:`~normsim.errors.NormsimError` for conflicting or missing options."""
    from normsim.game import PRESETS, MatrixGame
    from normsim.params import DEFAULTS

    abc = [f"--{k}" for k in "abc" if getattr(args, k) is not None]
    preset = getattr(args, "preset", None)
    if args.matrix is not None and preset is not None:
        raise NormsimError("give --matrix or --preset, not both")
    if preset is not None:
        if preset not in PRESETS:
            raise NormsimError(f"--preset: {preset!r} is not one of {', '.join(PRESETS)}")
        table = PRESETS[preset]
        if table is None:  # the (a, b, c) game with its defaults
            for k in "abc":
                if getattr(args, k) is None:
                    setattr(args, k, repr(getattr(DEFAULTS, k)))
            return None
        if abc:
            raise NormsimError(f"--preset {preset} is a matrix game: {abc[0]} does not apply")
        return MatrixGame(**table)
    if args.matrix is not None:
        if abc:
            raise NormsimError(f"give --matrix or --a --b --c, not both ({abc[0]} given)")
        rows = parse_matrix(args.matrix)
        if len(rows) != 2:
            raise NormsimError(
                f"--matrix: a {len(rows)} x {len(rows)} matrix; --model {args.model} takes a "
                "2 x 2 game R,S,T,P"
            )
        return MatrixGame.from_matrix(rows, where="--matrix")
    missing = [f"--{k}" for k in "abc" if getattr(args, k) is None]
    if missing:
        raise NormsimError(
            f"give the game: --a --b --c (missing {', '.join(missing)}), or --matrix R,S,T,P, "
            "or --preset NAME"
        )
    return None


def _json_default(o):
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if hasattr(o, "item"):
        return o.item()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def print_json(obj) -> None:
    """Print one JSON object on stdout (NaN and inf become null)."""
    print(json.dumps(_clean(obj), default=_json_default))


def _clean(o):
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    return o


# ------------------------------------------------------------------ scenarios
def load_scenario(args: argparse.Namespace) -> LoadedScenario:
    """The scenario of a command, with --set, --runs and --seed applied as overrides."""
    from normsim import scenario

    overrides = list(getattr(args, "set", None) or [])
    if getattr(args, "runs", None) is not None:
        overrides.append(f"runs={args.runs}")
    if getattr(args, "seed", None) is not None:
        overrides.append(f"seed={args.seed}")
    return scenario.load(
        args.scenario, overrides=overrides, data_roots=getattr(args, "data_root", None) or ()
    )


# ------------------------------------------------------------------ options
#: ``--data-root`` of a command given a scenario file
DATA_ROOT_HELP = (
    "a folder the scenario's data files (edge list, group file) may also lie in; by default "
    "they must lie in the scenario's own folder (repeatable)"
)


def scenario_args(sp: argparse.ArgumentParser) -> None:
    """The scenario file and what changes it: ``--set``, ``--runs``, ``--seed``; ``--out``,
    ``--data-root``."""
    sp.add_argument("scenario", metavar="SCENARIO.yaml", help="the scenario file")
    override_options(sp)
    sp.add_argument(
        "--out", metavar="DIR", help="output directory (default: output.dir or results/NAME)"
    )
    data_root_option(sp)


def override_options(sp: argparse.ArgumentParser) -> None:
    """``--set``, ``--runs`` and ``--seed``: the overrides :func:`load_scenario` applies."""
    sp.add_argument(
        "--set",
        action="append",
        metavar="PATH=VALUE",
        help="override a field, e.g. --set game.c=0.8 (repeatable)",
    )
    sp.add_argument("--runs", type=int, help="replicates per condition")
    sp.add_argument("--seed", type=int, help="root seed")


def data_root_option(sp: argparse.ArgumentParser, help: str = DATA_ROOT_HELP) -> None:
    """``--data-root DIR`` (repeatable): a folder data files may lie in."""
    sp.add_argument("--data-root", action="append", metavar="DIR", help=help)


def workers_option(sp: argparse.ArgumentParser) -> None:
    """``--workers K``: local worker processes."""
    sp.add_argument("--workers", metavar="K", help="local worker processes (default: all cores)")


def scheduler_options(sp: argparse.ArgumentParser, help: str) -> None:
    """``--scheduler ADDRESS`` (``help``: its help text) and ``--scheduler-timeout SECONDS``
    (read by :func:`scheduler_timeout`)."""
    sp.add_argument("--scheduler", metavar="ADDRESS", help=help)
    sp.add_argument(
        "--scheduler-timeout",
        metavar="SECONDS",
        help="seconds to wait for the Dask scheduler to answer when connecting "
        "(default 15; only with --scheduler)",
    )
