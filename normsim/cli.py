"""The ``normsim`` command line.

Exit codes: 0 success; 1 invalid input (scenario, option, file); 2 usage
error; 3 some replicates failed (the others are stored).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Callable, Sequence

from normsim import __version__
from normsim.game import NormsimError

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3


def _number(option: str, text: str, *, low: float | None = None, high: float | None = None,
            low_open: bool = False) -> float:
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


# --------------------------------------------------------------------- analytic
def cmd_analytic(args: argparse.Namespace) -> int:
    from normsim import analytic

    a = _number("--a", args.a, low=0.0, low_open=True)
    b = _number("--b", args.b, low=0.0, low_open=True)
    c = _number("--c", args.c, low=0.0, high=1.0)
    mu = _number("--mu", args.mu, low=0.0, high=1.0)
    p0 = _number("--p0", args.p0, low=0.0, high=1.0)
    t_max = _number("--t-max", args.t_max, low=0.0, low_open=True)
    res = analytic.analyse(a, b, c, mu, p0, t_max)
    if args.plot:
        from normsim.plots import analytic_figure
        try:
            analytic_figure(a, b, c, mu, p0, t_max, args.plot)
        except OSError as e:
            raise NormsimError(f"--plot: cannot write {args.plot}: {e.strerror or e}") from None
    if args.json:
        print_json(res)
        return EXIT_OK
    kind = "replicator-mutator" if mu > 0 else "replicator"
    print(f"Well-mixed {kind} dynamic: a={a:g} b={b:g} c={c:g} mu={mu:g} p(0)={p0:g}")
    print(f"  threshold c* = {res['threshold_c']:.6f}  "
          f"({'above' if c > res['threshold_c'] else 'at or below'}: "
          f"{'the old norm can resist' if c > res['threshold_c'] else 'the better norm dominates'})")
    if res["mu_crit"] is not None:
        print(f"  mu_crit = {res['mu_crit']:.6f} (exploration above it frees the old norm)")
    print("  fixed points: " + ", ".join(
        f"{fp['p']:.4f} ({'stable' if fp['stable'] else 'unstable'})"
        for fp in res["fixed_points"]) if res["fixed_points"] else "  fixed points: every p (neutral)")
    for key, lv in (("t50", 0.5), ("t90", 0.9), ("t99", 0.99)):
        v = res[key]
        print(f"  first t with p >= {lv:g}: {'never (within t-max)' if v is None else f'{v:.2f}'}")
    print(f"  p at t = {t_max:g}: {res['final_p']:.4f}")
    if args.plot:
        print(f"  plot: {args.plot}")
    return EXIT_OK


# ---------------------------------------------------------------------- parser
class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors exit with status 2 and one line."""

    def error(self, message: str):  # pragma: no cover - exercised through main()
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="normsim", description=(
        "Simulate and analyse social norm change (De, Nau & Gelfand, AAMAS 2017)."))
    p.add_argument("--version", action="version", version=f"normsim {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    an = sub.add_parser("analytic", help="well-mixed replicator(-mutator) analysis",
                        description=(
                            "Well-mixed analysis: threshold c*, fixed points with stability, "
                            "mu_crit, and the first times p (share of B) reaches 0.5/0.9/0.99."))
    an.add_argument("--a", required=True, help="payoff of coordinating on A (> 0)")
    an.add_argument("--b", required=True, help="payoff of coordinating on B (> 0)")
    an.add_argument("--c", required=True, help="need for coordination, 0..1")
    an.add_argument("--mu", default="0", help="exploration (mutation) rate, 0..1 (default 0)")
    an.add_argument("--p0", default="0.05", help="initial share of B (default 0.05)")
    an.add_argument("--t-max", default="100", help="time span (default 100)")
    an.add_argument("--json", action="store_true", help="print one JSON object")
    an.add_argument("--plot", metavar="FILE", help="write p(t) and dp/dt against p as a PNG")
    an.set_defaults(func=cmd_analytic)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``normsim`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return func(args)
    except NormsimError as e:
        print(f"normsim: error: {e}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("normsim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
