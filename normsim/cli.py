"""The ``normsim`` command line.

Exit codes: 0 success; 1 invalid input (scenario, option, file); 2 usage
error; 3 some replicates failed (the others are stored); 4 the plots could not
be written (the results are stored and the table or JSON printed); 130, 143,
129 interrupted by Ctrl-C, SIGTERM, SIGHUP (finished replicates are stored).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence

from normsim import __version__
from normsim.errors import NormsimError

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_FAILED, EXIT_PLOTS = 0, 1, 2, 3, 4


def _number(
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


def _scheduler_timeout(args: argparse.Namespace) -> float | None:
    """``--scheduler-timeout`` in seconds (None: the runner's default); only with
    ``--scheduler``."""
    text = getattr(args, "scheduler_timeout", None)
    if text is None:
        return None
    if not args.scheduler:
        raise NormsimError("--scheduler-timeout: only with --scheduler")
    return _number("--scheduler-timeout", text, low=0.0, low_open=True)


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
ANALYTIC_MODELS = ("replicator", "pairwise", "finite", "pair")
# which model takes which option (None: the option was not given)
_MODEL_OPTIONS = {
    "--beta": ("pairwise", "finite", "pair"),
    "--population": ("finite", "pair"),
    "--degree": ("pair",),
    "--k0": ("finite",),
    "--t-max": ("replicator", "pairwise", "pair"),
    "--shocks": ("pairwise", "pair"),
    "--from-old": ("pairwise", "finite", "pair"),
    "--plot": ("replicator",),
    "--committed": ("replicator", "pairwise"),
    "--conformity": ("replicator", "pairwise"),
    "--sample": ("replicator", "pairwise"),
    "--group-c": ("replicator", "pairwise"),
    "--group-mu": ("replicator", "pairwise"),
    "--group-sizes": ("replicator", "pairwise"),
    "--between": ("replicator", "pairwise"),
}
#: the options of the mechanism models (normsim.mechanics_ode)
_MECHANISM_OPTIONS = (
    "--committed",
    "--conformity",
    "--sample",
    "--group-c",
    "--group-mu",
    "--group-sizes",
    "--between",
)


def _integer(option: str, text: str, low: int | None = None) -> int:
    """Parse an option's value as a whole number (at least ``low``); a bad value is a
    NormsimError naming the option."""
    x = _number(option, text, low=low)
    if not x.is_integer():
        raise NormsimError(f"{option}: {text!r} is not a whole number")
    return int(x)


def cmd_analytic(args: argparse.Namespace) -> int:
    """``normsim analytic``: the well-mixed or pair-approximation analysis of one case."""
    model = args.model
    given = {
        "--beta": args.beta,
        "--population": args.population,
        "--degree": args.degree,
        "--k0": args.k0,
        "--t-max": args.t_max,
        "--shocks": args.shocks,
        "--from-old": args.from_old or None,
        "--plot": args.plot,
        "--committed": args.committed,
        "--conformity": args.conformity,
        "--sample": args.sample,
        "--group-c": args.group_c,
        "--group-mu": args.group_mu,
        "--group-sizes": args.group_sizes,
        "--between": args.between,
    }
    for option, value in given.items():
        if value is not None and model not in _MODEL_OPTIONS[option]:
            users = ", ".join(_MODEL_OPTIONS[option])
            raise NormsimError(f"{option} does not apply to --model {model} (only to {users})")
    mechanisms = [o for o in _MECHANISM_OPTIONS if given[o] is not None]
    if mechanisms:
        for option in ("--shocks", "--from-old", "--plot"):
            if given[option] is not None:
                raise NormsimError(
                    f"{option} cannot be combined with {mechanisms[0]} (the "
                    "mechanism models have no shocks, old-norm start or plot)"
                )
        return _analytic_mechanics(args)
    if model == "pair" and args.degree is None:
        raise NormsimError("--model pair needs --degree K (the degree of the regular graph)")
    if model == "finite" and args.population is None:
        raise NormsimError("--model finite needs --population Z (the population size)")
    if model == "replicator":
        return _analytic_replicator(args)
    return _analytic_theory(args)


def _analytic_replicator(args: argparse.Namespace) -> int:
    from normsim.theory import analytic

    a = _number("--a", args.a, low=0.0, low_open=True)
    b = _number("--b", args.b, low=0.0, low_open=True)
    c = _number("--c", args.c, low=0.0, high=1.0)
    mu = _number("--mu", args.mu, low=0.0, high=1.0)
    p0 = _number("--p0", args.p0 if args.p0 is not None else "0.05", low=0.0, high=1.0)
    t_max = _number(
        "--t-max", args.t_max if args.t_max is not None else "100", low=0.0, low_open=True
    )
    res = analytic.analyse(a, b, c, mu, p0, t_max)
    if args.plot:
        from normsim.datafiles import check_output
        from normsim.plots import analytic_figure

        check_output(args.plot, "--plot")
        try:
            analytic_figure(a, b, c, mu, p0, t_max, args.plot)
        except OSError as e:
            raise NormsimError(f"--plot: cannot write {args.plot}: {e.strerror or e}") from None
    if args.json:
        print_json(res)
        return EXIT_OK
    kind = "replicator-mutator" if mu > 0 else "replicator"
    print(f"Well-mixed {kind} dynamic: a={a:g} b={b:g} c={c:g} mu={mu:g} p(0)={p0:g}")
    print(
        f"  threshold c* = {res['threshold_c']:.6f}  "
        f"({'above' if c > res['threshold_c'] else 'at or below'}: "
        f"{'the old norm can resist' if c > res['threshold_c'] else 'the better norm dominates'}"
        ")"
    )
    _print_mu_crit_and_fixed_points(res, "fixed points", "every p (neutral)")
    for key, lv in (("t50", 0.5), ("t90", 0.9), ("t99", 0.99)):
        v = res[key]
        print(f"  first t with p >= {lv:g}: {'never (within t-max)' if v is None else f'{v:.2f}'}")
    print(f"  p at t = {t_max:g}: {res['final_p']:.4f}")
    if args.plot:
        print(f"  plot: {args.plot}")
    return EXIT_OK


def _analytic_theory(args: argparse.Namespace) -> int:
    """``normsim analytic --model pairwise | finite | pair``."""
    from normsim.params import DEFAULTS

    model = args.model
    a = _number("--a", args.a, low=0.0, low_open=True)
    b = _number("--b", args.b, low=0.0, low_open=True)
    c = _number("--c", args.c, low=0.0, high=1.0)
    mu = _number("--mu", args.mu, low=0.0, high=1.0)
    beta = DEFAULTS.beta if args.beta is None else _number("--beta", args.beta, low=0.0)
    p0 = None if args.p0 is None else _number("--p0", args.p0, low=0.0, high=1.0)
    Z = None if args.population is None else _integer("--population", args.population, low=2)
    if model == "finite":
        from normsim.scenario.limits import FINITE_BYTES_PER_STATE, check_memory
        from normsim.theory import finite

        check_memory(
            f"the birth-death chain of {Z:,} agents",
            FINITE_BYTES_PER_STATE * (Z + 1.0),
            "--population",
        )

        if args.from_old and (p0 is not None or args.k0 is not None):
            raise NormsimError(
                "--from-old cannot be combined with --p0 or --k0 (they give the start)"
            )
        k0 = None
        if args.k0 is not None:
            if p0 is not None:
                raise NormsimError("give --k0 or --p0, not both")
            k0 = _integer("--k0", args.k0, low=0)
            if k0 > Z:
                raise NormsimError(f"--k0: {k0} is more than the population ({Z})")
        elif p0 is not None:
            k0 = int(round(p0 * Z))
        start: str | int = "stationary" if args.from_old else ("old" if k0 is None else k0)
        res = finite.analyse(a, b, c, Z, beta, mu, k0=k0, start=start)
    else:
        t_max = _number(
            "--t-max", args.t_max if args.t_max is not None else "1000", low=0.0, low_open=True
        )
        shocks = _shock_times(args.shocks, t_max) if args.shocks else []
        if args.from_old and p0 is not None:
            raise NormsimError("--from-old cannot be combined with --p0 (it gives the start)")
        if not args.from_old and p0 is None:
            p0 = 0.05
        if model == "pairwise":
            from normsim.theory import analytic

            res = analytic.analyse_pairwise(a, b, c, beta, mu, p0, t_max, shocks)
        else:
            from normsim.theory import pairapprox

            k = _integer("--degree", args.degree, low=2)
            from normsim.scenario.limits import (
                PAIR_BYTES_PER_DEGREE,
                PAIR_BYTES_PER_PAIR,
                check_memory,
            )

            check_memory(
                f"the pair approximation of degree {k:,}",
                PAIR_BYTES_PER_DEGREE * (k + 1.0) + PAIR_BYTES_PER_PAIR * (k + 1.0) ** 2,
                "--degree",
            )
            if Z is not None:
                if k >= Z:
                    raise NormsimError(
                        f"--degree: {k} must be below the population ({Z}): "
                        "a node has at most Z - 1 neighbours"
                    )
                if (k * Z) % 2:
                    raise NormsimError(
                        f"--degree {k} --population {Z}: no {k}-regular graph "
                        "has an odd number of nodes of odd degree"
                    )
            res = pairapprox.analyse(a, b, c, k, beta, mu, p0, t_max, shocks)
            if Z is not None:
                res["population"] = Z
    if args.json:
        print_json(res)
        return EXIT_OK
    _print_theory(res)
    return EXIT_OK


def _number_list(
    option: str, text: str, *, low: float, high: float | None, low_open: bool = False
) -> list[float]:
    """A comma-separated list of numbers (one per group)."""
    parts = [t.strip() for t in text.split(",")]
    if len(parts) < 2:
        raise NormsimError(
            f"{option}: give one value per group, comma-separated "
            "(at least two groups), e.g. 0.3,0.8"
        )
    return [_number(option, t, low=low, high=high, low_open=low_open) for t in parts]


def _analytic_mechanics(args: argparse.Namespace) -> int:
    """``normsim analytic --committed Z --conformity G [--group-c C1,C2 ...]``."""
    from normsim.params import DEFAULTS
    from normsim.theory import mechanics_ode

    model = args.model
    a = _number("--a", args.a, low=0.0, low_open=True)
    b = _number("--b", args.b, low=0.0, low_open=True)
    c: float | list[float] = _number("--c", args.c, low=0.0, high=1.0)
    mu: float | list[float] = _number("--mu", args.mu, low=0.0, high=1.0)
    z = _number(
        "--committed", args.committed if args.committed is not None else "0", low=0.0, high=1.0
    )
    gamma = _number(
        "--conformity", args.conformity if args.conformity is not None else "0", low=0.0, high=1.0
    )
    k = _integer("--sample", args.sample if args.sample is not None else "4", low=1)
    if k > mechanics_ode.MAX_SAMPLE:
        raise NormsimError(f"--sample: {k} is more than {mechanics_ode.MAX_SAMPLE}")
    beta = DEFAULTS.beta if args.beta is None else _number("--beta", args.beta, low=0.0)
    p0 = _number("--p0", args.p0 if args.p0 is not None else "0.05", low=0.0, high=1.0)
    t_max = _number(
        "--t-max",
        args.t_max if args.t_max is not None else ("100" if model == "replicator" else "1000"),
        low=0.0,
        low_open=True,
    )
    between = _number(
        "--between", args.between if args.between is not None else "1", low=0.0, high=1.0
    )
    lists = {}
    if args.group_c is not None:
        lists["--group-c"] = c = _number_list("--group-c", args.group_c, low=0.0, high=1.0)
    if args.group_mu is not None:
        lists["--group-mu"] = mu = _number_list("--group-mu", args.group_mu, low=0.0, high=1.0)
    sizes = None
    if args.group_sizes is not None:
        lists["--group-sizes"] = sizes = _number_list(
            "--group-sizes", args.group_sizes, low=0.0, high=None, low_open=True
        )
    if len({len(v) for v in lists.values()}) > 1:
        raise NormsimError(
            " and ".join(f"{o} ({len(v)} values)" for o, v in lists.items())
            + " give different numbers of groups"
        )
    if args.between is not None and not lists:
        raise NormsimError("--between needs groups (--group-c, --group-mu or --group-sizes)")
    if gamma == 0.0 and args.sample is not None:
        raise NormsimError(
            "--sample is the size of the conformity sample: it needs --conformity above 0"
        )
    res = mechanics_ode.analyse_mechanics(
        a, b, c, mu, z, gamma, model, beta, k, sizes, between, p0, t_max
    )
    res["start"] = "p0"
    if args.json:
        print_json(res)
        return EXIT_OK
    _print_mechanics(res)
    return EXIT_OK


def _print_mechanics(res: dict) -> None:
    head = (
        "Well-mixed replicator(-mutator)"
        if res["model"] == "replicator"
        else "Pairwise-comparison mean field"
    )
    groups = isinstance(res["c"], list)
    cs = ",".join(f"{v:g}" for v in res["c"]) if groups else f"{res['c']:g}"
    mus = ",".join(f"{v:g}" for v in res["mu"]) if isinstance(res["mu"], list) else f"{res['mu']:g}"
    extra = f" beta={res['beta']:g}" if "beta" in res else ""
    print(
        f"{head} with mechanisms: a={res['a']:g} b={res['b']:g} c={cs} mu={mus}{extra} "
        f"committed={res['committed']:g} conformity={res['conformity']:g} "
        f"(sample {res['sample']})"
    )
    if groups:
        print(
            "  groups of sizes "
            + ", ".join(f"{s:.4g}" for s in res["sizes"])
            + f", between-group weight {res['between']:g}"
        )
    z = res["critical_committed_fraction"]
    if z is None and not res["fixed_points"]:
        print("  critical committed fraction: none (neutral: every state is an equilibrium)")
    elif z is None:
        print(
            "  critical committed fraction: none (the old norm's equilibrium moves smoothly "
            "to the new norm: no tipping point)"
        )
    elif res["critical_committed_method"] == "no-old-norm":
        print("  critical committed fraction: 0 (the new norm takes over without committed agents)")
    else:
        print(f"  critical committed fraction Z* = {z:.6f} (above it the old norm cannot hold)")
    _print_mu_crit_and_fixed_points(res, "fixed points (share of B)")
    unit = res["time_unit"]
    print(
        f"  from an uncommitted share of B of {res['p0']:g}, first time ({unit}) the share "
        "of B reaches:"
    )
    for key, lv in (("t50", 0.5), ("t90", 0.9), ("t99", 0.99)):
        print(f"    {lv:g}: {_fmt_time(res[key])}")
    print(f"  share of B at t = {res['t_max']:g}: {res['final_p']:.4f}")


def _print_mu_crit_and_fixed_points(
    res: dict, label: str, neutral: str = "every state (neutral)"
) -> None:
    """The analytic commands' lines for mu_crit (when there is one) and the fixed
    points with their stability (``neutral`` when every state is one)."""
    if res.get("mu_crit") is not None:
        print(f"  mu_crit = {res['mu_crit']:.6f} (exploration above it frees the old norm)")
    fps = res["fixed_points"]
    print(
        f"  {label}: "
        + (
            ", ".join(f"{fp['p']:.4f} ({'stable' if fp['stable'] else 'unstable'})" for fp in fps)
            if fps
            else neutral
        )
    )


def _shock_times(text: str, t_max: float) -> list[float]:
    out = []
    for part in text.split(","):
        t = _number("--shocks", part.strip(), low=0.0, high=t_max, low_open=True)
        out.append(t)
    if sorted(out) != out or len(set(out)) != len(out):
        raise NormsimError("--shocks: give increasing times, e.g. --shocks 300,600")
    return out


def _fmt_time(v) -> str:
    if v is None:
        return "never"
    if not math.isfinite(v):
        return "more than 1e308"
    return f"{v:.4g}" if v >= 1e5 else f"{v:.2f}"


def _print_theory(res: dict) -> None:
    model = res["model"]
    head = {
        "pairwise": "Pairwise-comparison mean field (infinite well-mixed population)",
        "finite": f"Finite well-mixed population, Z = {res.get('population')}",
        "pair": f"Pair approximation, {res.get('degree')}-regular graph",
    }[model]
    print(
        f"{head}: a={res['a']:g} b={res['b']:g} c={res['c']:g} mu={res['mu']:g} "
        f"beta={res['beta']:g}"
    )
    tc = res.get("threshold_c")
    if tc is None:
        print("  threshold c (without exploration): none in [0, 1]")
    else:
        side = "above" if res["c"] > tc else "at or below"
        print(
            f"  threshold c (without exploration) = {tc:.6f} ({side}: "
            f"{'the old norm can resist' if res['c'] > tc else 'the better norm spreads'})"
        )
    if model == "pair" and res.get("threshold_c_weak_selection") is not None:
        print(
            f"  weak-selection threshold c (Ohtsuki & Nowak 2006) = "
            f"{res['threshold_c_weak_selection']:.6f}"
        )
    _print_mu_crit_and_fixed_points(res, "fixed points")
    if model == "finite":
        fx = res["fixation"]
        print(
            f"  fixation probability of {fx['k0']} B-player(s) (no exploration): "
            f"{fx['fixation_probability']:.6g} (log10 {fx['log10_fixation_probability']:.4f}; "
            f"neutral {res['neutral_fixation_probability']:.6g})"
        )
        for key, label in (
            ("absorption_time", "mean time to absorption"),
            ("fixation_time", "mean time to fixation of B, if it fixes"),
            ("extinction_time", "mean time to extinction of B, if it dies out"),
        ):
            t = fx[key]
            print(
                f"  {label}: {_fmt_time(t['generations'])} generations "
                f"({_fmt_time(t['steps'])} steps)"
            )
        start = {
            "old": "all-old (k = 0)",
            "stationary": "the old norm's stationary distribution",
        }.get(res["start"], f"k = {res['start']}")
        print(f"  expected time to norm change from {start}, in generations:")
    else:
        print(
            f"  from p(0) = {res['p0']:.4g}"
            + (" (the old norm's equilibrium)" if res["start"] == "old" else "")
            + ", first time (generations) the share of B reaches:"
        )
    for key, lv in (("t50", 0.5), ("t90", 0.9), ("t99", 0.99)):
        v = res[key]
        extra = ""
        if model == "finite":
            ps = res["passage"][f"{lv:g}"]
            if ps["probability"] < 1.0:
                extra = f" (reached with probability {ps['probability']:.4g})"
            elif v is not None and not math.isfinite(v):
                extra = f" (log10 = {ps.get('log10_generations', float('nan')):.2f})"
        print(f"    {lv:g}: {_fmt_time(v)}{extra}")
    for sh in res.get("shocks", []):
        print(
            f"  shock at {sh['at']:g} (favours {sh['new_norm']}): t50 {_fmt_time(sh['t50'])}, "
            f"t90 {_fmt_time(sh['t90'])}"
        )
    if model == "finite":
        st = res["stationary"]
        if st is None:
            print(f"  long run: all-B with probability {res['final_p']:.6g} (no exploration)")
        else:
            print(
                f"  stationary distribution: mean share of B {st['mean_share']:.4f}, "
                f"P(share >= 1/2) = {st['share_at_least_half']:.4g}, mode {st['mode']:.4f}"
            )
    else:
        print(f"  p at t = {res['t_max']:g}: {res['final_p']:.4f}")


# ------------------------------------------------------------------ scenarios
def _load(args: argparse.Namespace):
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


def cmd_validate(args: argparse.Namespace) -> int:
    """``normsim validate``: check a scenario and print what would run."""
    from normsim.scenario import conditions, limits

    loaded = _load(args)
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
        shocks = c["shocks"] or [None]
        for sh in shocks:
            if sh is None:
                rows.append(base + ["-"] * 7 + [_f(c["final_share_b"])])
                continue
            spread = f"{_f(sh['t50_median'], 0)} [{_f(sh['t50_p10'], 0)}-{_f(sh['t50_p90'], 0)}]"
            rows.append(
                base
                + [
                    str(sh["at"]),
                    sh["new_norm"],
                    _f(sh["pre_share"]),
                    _f(sh["t50"], 0),
                    _f(sh["t90"], 0),
                    spread,
                    _f(sh["final_share"]),
                    _f(c["final_share_b"]),
                ]
            )
        for gr in c.get("groups") or ():  # per group: its c, its share of B's metrics
            label = [""] * len(keys) + [f"group {gr['group']} (c {gr['c']:g})"]
            for sh in gr["shocks"] or [None]:
                if sh is None:
                    rows.append(label + ["-"] * 7 + [_f(gr["final_share_b"])])
                    continue
                spread = (
                    f"{_f(sh['t50_median'], 0)} [{_f(sh['t50_p10'], 0)}-{_f(sh['t50_p90'], 0)}]"
                )
                rows.append(
                    label
                    + [
                        str(sh["at"]),
                        sh["new_norm"],
                        _f(sh["pre_share"]),
                        _f(sh["t50"], 0),
                        _f(sh["t90"], 0),
                        spread,
                        _f(sh["final_share"]),
                        _f(gr["final_share_b"]),
                    ]
                )
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


def cmd_run(args: argparse.Namespace) -> int:
    """``normsim run``: run a scenario, store its replicates, write plots, print the summary."""
    from pathlib import Path

    from normsim.store import Store, db_path
    from normsim.studies.results import summarise
    from normsim.studies.runner import run

    loaded = _load(args)
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
        workers = int(_number("--workers", args.workers, low=1))
    report = run(
        loaded,
        out_dir=out_dir,
        workers=workers,
        scheduler=args.scheduler,
        quiet=args.json,
        scheduler_timeout=_scheduler_timeout(args),
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


def cmd_tipping(args: argparse.Namespace) -> int:
    """``normsim tipping``: search each condition's tipping point (:mod:`normsim.tipping`)."""
    from pathlib import Path

    from normsim.studies import tipping

    if args.workers is not None and args.scheduler:
        print(
            "normsim tipping: error: --workers and --scheduler cannot be combined "
            "(the cluster's workers do the work)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    workers = None if args.workers is None else int(_number("--workers", args.workers, low=1))
    timeout = _scheduler_timeout(args)
    lo = _number("--lo", args.lo)
    hi = _number("--hi", args.hi)
    tol = (
        math.inf
        if args.tol.strip().lower() in ("inf", "+inf", "infinity")
        else _number("--tol", args.tol, low=0.0, low_open=True)
    )  # inf: the two ends only
    loaded = _load(args)
    setup = tipping.prepare(loaded, args.vary, lo, hi, tol, args.direction)
    out_dir = Path(args.out) if args.out else loaded.output_dir()
    log = None if args.json else tipping.log_stderr
    if setup.dropped_sweep and log is not None:
        log(
            f"the scenario sweeps {args.vary}: the search chooses its values instead of the sweep's"
        )
    if setup.added_committed and log is not None:
        log(
            "the scenario has no committed agents: adding population.committed "
            "{norm: new, placement: random} with the fraction searched"
        )
    try:
        res = tipping.search(
            setup,
            out_dir,
            workers=workers,
            scheduler=args.scheduler,
            quiet=args.json,
            log=log,
            scheduler_timeout=timeout,
        )
    except tipping.SearchFailed as e:
        print(f"normsim: {e}", file=sys.stderr)
        return EXIT_FAILED
    files, plot_error = [str(tipping.write_json(res, out_dir))], False
    try:
        files.insert(0, str(tipping.figure(res, out_dir)))
    except Exception as e:  # noqa: BLE001 - a plot never loses the result
        import matplotlib.pyplot as plt

        plt.close("all")
        plot_error = True
        what = (
            f"cannot write {e.filename}: {e.strerror or e}"
            if isinstance(e, OSError) and e.filename
            else f"{type(e).__name__}: {e}"
        )
        print(
            f"normsim: warning: tipping plot not written ({what}); the results are stored",
            file=sys.stderr,
        )
    res["files"] = files
    if args.json:
        print_json(res)
    else:
        print(tipping.table(res))
        print(
            f"ran {res['ran']} replicate(s), {res['already_stored']} already stored; "
            f"{res['seconds']:.1f} s"
        )
        print(f"results: {out_dir / 'results.sqlite'}")
        for f in files:
            print(f"{'plot' if f.endswith('.png') else 'result'}: {f}")
    return EXIT_PLOTS if plot_error else EXIT_OK


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


def cmd_summary(args: argparse.Namespace) -> int:
    """``normsim summary``: the summary of a results store (table or JSON)."""
    from pathlib import Path

    from normsim.store import Store
    from normsim.studies.results import summarise

    with Store(args.results, create=False) as store:
        summary = summarise(store)
        figures, plot_error = [], False
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


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """``normsim sensitivity DIR``: the sensitivity indices of a design's stored results
    (a table, or ``--json``) and their figures beside the store."""
    from pathlib import Path

    from normsim.studies.sensitivity import analyse, figures, strip_private, table

    res = analyse(args.results, args.output)
    out = Path(args.results)
    out = out if out.is_dir() else out.parent
    paths = [] if args.no_plots else figures(res, out)
    if args.json:
        print_json({**strip_private(res), "figures": [str(p) for p in paths]})
    else:
        print(table(res))
        for p in paths:
            print(f"plot: {p}")
    return EXIT_OK


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``normsim calibrate SCENARIO --observed DATA.csv --fit PATHS``: ABC-SMC fit of the
    ``--fit`` parameters to an observed series; posterior tables, figures and a summary."""
    from pathlib import Path

    from normsim.studies.calibrate import SimulationFailed, calibrate, prepare, table

    if args.workers is not None and args.scheduler:
        print(
            "normsim calibrate: error: --workers and --scheduler cannot be combined",
            file=sys.stderr,
        )
        return EXIT_USAGE
    workers = None if args.workers is None else int(_number("--workers", args.workers, low=1))
    timeout = _scheduler_timeout(args)
    particles = _integer("--particles", args.particles, 10)
    populations = _integer("--populations", args.populations, 1)
    predictive = _integer("--predictive", args.predictive, 0)
    quantile = _number("--quantile", args.quantile, low=0.0, high=1.0, low_open=True)
    if quantile >= 1:
        raise NormsimError(f"--quantile: {args.quantile} must be below 1")
    min_acc = _number("--min-acceptance", args.min_acceptance, low=0.0, high=1.0, low_open=True)
    if args.format == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise NormsimError(
                "--format parquet needs pyarrow: install it with "
                "'.venv/bin/pip install pyarrow' (or use --format csv)"
            ) from None
    loaded = _load(args)
    _check_calibration_memory(loaded, particles, populations, quantile, predictive)
    setup = prepare(loaded, args.observed, args.fit.split(","), args.prior or [])
    out_dir = Path(args.out) if args.out else loaded.output_dir()
    log = (
        None
        if args.json
        else (lambda m: print(f"normsim calibrate: {m}", file=sys.stderr, flush=True))
    )
    try:
        out = calibrate(
            setup,
            out_dir,
            particles=particles,
            populations=populations,
            quantile=quantile,
            min_acceptance=min_acc,
            predictive=predictive,
            workers=workers,
            scheduler=args.scheduler,
            quiet=args.json,
            fmt=args.format,
            log=log,
            scheduler_timeout=timeout,
        )
    except SimulationFailed as e:
        print(f"normsim: {e}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print_json(out)
    else:
        print(table(out))
        print(f"results: {out_dir / 'results.sqlite'} (every simulated particle)")
        for f in out["files"]:
            print(f"{'plot' if f.endswith('.png') else 'table'}: {f}")
        print(f"summary: {out_dir / 'calibration.json'}")
    return EXIT_OK


def _check_calibration_memory(
    loaded, particles: int, populations: int, quantile: float, predictive: int
) -> None:
    """Refuse a calibration whose particles (or posterior-predictive simulations) would not
    fit in memory, before the fit runs (:func:`normsim.scenario.limits.check_memory`)."""
    from normsim.scenario.limits import PARTICLE_BYTES, check_memory

    sc = loaded.scenario
    series = sc.runs * (sc.schedule.generations + 1) * 8.0 * 4
    batch = particles * min(1.2 / quantile, 50.0)  # the candidates of one population
    check_memory(
        f"{particles:,} particles ({batch:,.0f} candidates a population, "
        f"{populations} population(s))",
        batch * (PARTICLE_BYTES + series) + particles * populations * 2e3,
        "--particles",
    )
    check_memory(
        f"{predictive:,} posterior-predictive simulations",
        predictive * (PARTICLE_BYTES + series),
        "--predictive",
    )


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


# ------------------------------------------------------------------ viz
def cmd_viz(args: argparse.Namespace) -> int:
    """``normsim viz``: serve the SolaraViz browser page (blocks until stopped)."""
    import subprocess
    from pathlib import Path

    try:
        import solara  # noqa: F401
        from mesa.visualization import SolaraViz  # noqa: F401
    except ImportError:
        raise NormsimError(
            "normsim viz needs the visualization extras: '.venv/bin/pip install -e \".[viz]\"'"
        ) from None
    port = int(_number("--port", args.port, low=1, high=65535))
    if not _port_free(args.host, port):  # before anything claims to be serving
        raise NormsimError(
            f"--port {port}: already in use on {args.host} (another program, or "
            "an earlier normsim viz, is serving there); choose another --port"
        )
    if not _loopback(args.host):
        print(
            f"normsim viz: warning: --host {args.host} makes the page reachable from the "
            f"network, and it has no authentication: anyone who can reach port {port} can "
            "use it and run simulations on this machine",
            file=sys.stderr,
            flush=True,
        )
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False")
    if args.scenario:
        from normsim.viz.app import DATA_ROOTS_ENV, defaults_from_scenario

        roots = args.data_root or ()
        defaults_from_scenario(args.scenario, roots)  # a bad scenario: one line, exit 1
        env["NORMSIM_VIZ_SCENARIO"] = str(Path(args.scenario).resolve())
        env[DATA_ROOTS_ENV] = os.pathsep.join(str(Path(r).resolve()) for r in roots)
    app = Path(__file__).resolve().parent / "viz" / "app.py"
    print(f"normsim viz: serving on http://{args.host}:{port}/ (Ctrl-C to stop)", flush=True)
    cmd = [
        sys.executable,
        "-m",
        "solara",
        "run",
        str(app),
        "--host",
        args.host,
        "--port",
        str(port),
        "--production",
        "--no-open",
    ]
    try:
        return subprocess.call(cmd, env=env)  # the server is killed if this is interrupted
    except KeyboardInterrupt as e:
        if isinstance(e, Terminated):
            raise
        return EXIT_OK


def _addresses(host: str, port: int | None = None) -> list:
    import socket

    try:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise NormsimError(
            f"--host: cannot serve on {host!r}: {getattr(e, 'strerror', None) or e}"
        ) from None


def _port_free(host: str, port: int) -> bool:
    """Whether a server can listen on ``host:port`` now (a bind test, as the server does it)."""
    import errno
    import socket

    family, kind, proto, _, addr = _addresses(host, port)[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            sock.bind(addr)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                return False
            if e.errno == errno.EACCES:
                raise NormsimError(
                    f"--port {port}: not allowed to serve there (ports below "
                    "1024 need privileges); choose another --port"
                ) from None
            raise NormsimError(f"--host {host}: cannot serve there: {e.strerror or e}") from None
    return True


def _loopback(host: str) -> bool:
    """Whether every address ``host`` stands for is a loopback address (this machine only)."""
    import ipaddress

    try:
        return all(
            ipaddress.ip_address(a[4][0].split("%")[0]).is_loopback for a in _addresses(host)
        )
    except ValueError:
        return False


# ---------------------------------------------------------------------- parser
class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors exit with status 2 and one line."""

    def error(self, message: str):  # pragma: no cover - exercised through main()
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``normsim`` (the documentation's CLI reference is made from it)."""
    p = _Parser(
        prog="normsim",
        description=("Simulate and analyse social norm change (De, Nau & Gelfand, AAMAS 2017)."),
    )
    p.add_argument("--version", action="version", version=f"normsim {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    an = sub.add_parser(
        "analytic",
        help="theory: replicator, pairwise, finite chain, pair approx.",
        description=(
            "Analytic theory of norm change. --model replicator (default): the "
            "well-mixed replicator(-mutator) dynamic (threshold c*, fixed points, "
            "mu_crit, first times p reaches 0.5/0.9/0.99). --model pairwise: the "
            "infinite well-mixed mean field of normsim's Fermi rule, per "
            "generation. --model finite: the exact birth-death chain of Z agents "
            "(fixation probability, absorption and fixation times, stationary "
            "distribution, expected times to a share of B of 0.5/0.9/0.99). "
            "--model pair: the pair approximation on a k-regular graph. The game "
            "given is the one after the shock: B is the norm followed."
        ),
    )
    an.add_argument(
        "--model",
        choices=ANALYTIC_MODELS,
        default="replicator",
        help="which theory (default replicator)",
    )
    an.add_argument("--a", required=True, help="payoff of coordinating on A (> 0)")
    an.add_argument("--b", required=True, help="payoff of coordinating on B (> 0)")
    an.add_argument("--c", required=True, help="need for coordination, 0..1")
    an.add_argument(
        "--mu",
        default="0",
        help=(
            "exploration rate, 0..1 (default 0); replicator: mutation to the other norm with "
            "probability mu; the other models: normsim's exploration (a random norm with "
            "probability mu, so a switch with mu/2)"
        ),
    )
    an.add_argument(
        "--beta", help="selection strength of the Fermi rule (default 5; pairwise, finite, pair)"
    )
    an.add_argument(
        "--population",
        metavar="Z",
        help="population size (finite: required; pair: optional graph size, checked)",
    )
    an.add_argument("--degree", metavar="K", help="degree of the regular graph (pair: required)")
    an.add_argument(
        "--p0",
        help="initial share of B (default 0.05; finite: start of the "
        "fixation and passage quantities, k0 = round(p0 Z))",
    )
    an.add_argument(
        "--k0",
        help="finite: initial number of B-players (default: 1 for the "
        "fixation probability, 0 = all-old for the times to change)",
    )
    an.add_argument(
        "--from-old",
        action="store_true",
        help=(
            "start from the old norm's long-run state before the shock (a and b swapped): its "
            "stable equilibrium (pairwise, pair) or its stationary distribution (finite, mu > 0)"
        ),
    )
    an.add_argument(
        "--shocks", metavar="T1,T2", help="times at which a and b swap (pairwise, pair)"
    )
    an.add_argument("--t-max", help="time span (default 100; pairwise and pair: 1000 generations)")
    an.add_argument("--json", action="store_true", help="print one JSON object")
    an.add_argument(
        "--plot", metavar="FILE", help="write p(t) and dp/dt against p as a PNG (replicator)"
    )
    mech = an.add_argument_group(
        "mechanisms (replicator, pairwise; normsim.mechanics_ode)",
        "Any of these switches to the well-mixed model with committed agents, conformity and "
        "groups, and reports its fixed points and critical_committed_fraction (the saddle-node "
        "where the old norm's equilibrium disappears); --p0 is then the share of B among the "
        "uncommitted.",
    )
    mech.add_argument("--committed", metavar="Z", help="fraction of agents committed to B, 0..1")
    mech.add_argument(
        "--conformity",
        metavar="G",
        help=("probability that an update adopts the majority of a sample instead, 0..1"),
    )
    mech.add_argument(
        "--sample", metavar="K", help="size of the conformity sample (default 4, the torus degree)"
    )
    mech.add_argument(
        "--group-c",
        metavar="C1,C2",
        help="each group's need for coordination (used instead of --c, still required)",
    )
    mech.add_argument(
        "--group-mu", metavar="M1,M2", help="each group's exploration rate (used instead of --mu)"
    )
    mech.add_argument("--group-sizes", metavar="S1,S2", help="relative group sizes (default equal)")
    mech.add_argument(
        "--between",
        metavar="W",
        help=(
            "between-group weight: meet a random agent of the whole population with probability W, "
            "one of the own group otherwise (default 1)"
        ),
    )
    an.set_defaults(func=cmd_analytic)

    def scenario_args(sp):
        sp.add_argument("scenario", metavar="SCENARIO.yaml", help="the scenario file")
        sp.add_argument(
            "--set",
            action="append",
            metavar="PATH=VALUE",
            help="override a field, e.g. --set game.c=0.8 (repeatable)",
        )
        sp.add_argument("--runs", type=int, help="replicates per condition")
        sp.add_argument("--seed", type=int, help="root seed")
        sp.add_argument(
            "--out", metavar="DIR", help="output directory (default: output.dir or results/NAME)"
        )
        sp.add_argument(
            "--data-root",
            action="append",
            metavar="DIR",
            help="a folder the scenario's data files (edge list, group file) may "
            "also lie in; by default they must lie in the scenario's own "
            "folder (repeatable)",
        )

    va = sub.add_parser(
        "validate",
        help="check a scenario and print what would run",
        description="Check a scenario; print its conditions, the work and "
        "the estimated memory, disk and time. Exit 0 if valid, 1 if "
        "not (or too large for this machine).",
    )
    scenario_args(va)
    va.set_defaults(func=cmd_validate)

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
    ru.add_argument("--workers", metavar="K", help="local worker processes (default: all cores)")
    ru.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on an existing Dask cluster, e.g. tcp://host:8786 "
        "(the workers need normsim installed)",
    )
    ru.add_argument(
        "--scheduler-timeout",
        metavar="SECONDS",
        help="seconds to wait for the Dask scheduler to answer when connecting "
        "(default 15; only with --scheduler)",
    )
    ru.add_argument(
        "--json", action="store_true", help="print the summary as one JSON object (no progress bar)"
    )
    ru.set_defaults(func=cmd_run)

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
    eg.add_argument(
        "--set",
        action="append",
        metavar="PATH=VALUE",
        help="override a field, e.g. --set game.c=0.8 (repeatable)",
    )
    eg.add_argument("--runs", type=int, help="replicates per condition")
    eg.add_argument("--seed", type=int, help="root seed")
    eg.add_argument("--out", metavar="DIR", help="output directory (default: results/NAME)")
    eg.add_argument(
        "--data-root",
        action="append",
        metavar="DIR",
        help="a folder a data file set with --set (edge list, group file) may lie "
        "in; by default it must lie in the example's own folder (repeatable)",
    )
    eg.add_argument("--workers", metavar="K", help="local worker processes (default: all cores)")
    eg.add_argument(
        "--json", action="store_true", help="print the summary as one JSON object (no progress bar)"
    )
    eg.set_defaults(func=cmd_example)

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

    from normsim.studies.sensitivity import OUTPUTS

    se = sub.add_parser(
        "sensitivity",
        help="global sensitivity indices of a design's results",
        description=(
            "Sobol' first-order and total indices with bootstrap confidence "
            "intervals (second order when the design has them), Morris mu* and "
            "sigma, or RBD-FAST first-order indices (Latin hypercube) of one "
            "output of a design's stored results (the mean over each point's "
            "replicates), the share of its variance that is replicate noise, "
            "and figures (indices, output against each parameter) beside the "
            "store. Outputs: " + "; ".join(f"{k}: {v}" for k, v in OUTPUTS.items())
        ),
    )
    se.add_argument(
        "results",
        metavar="RESULTS_DIR",
        help="the results directory of a scenario with a design (or its "
        "results.sqlite file); the figures are written into it",
    )
    se.add_argument(
        "--output", choices=list(OUTPUTS), default="t50", help="the output to analyse (default t50)"
    )
    se.add_argument("--json", action="store_true", help="print one JSON object")
    se.add_argument("--no-plots", action="store_true", help="write no figures")
    se.set_defaults(func=cmd_sensitivity)

    ca = sub.add_parser(
        "calibrate",
        help="fit parameters to observed data (ABC-SMC)",
        description=(
            "Approximate Bayesian computation by sequential Monte Carlo: find "
            "the values of the --fit parameters under which the scenario "
            "reproduces the observed share of the new norm since its first "
            "shock (CSV: generation, share, optionally series). Distance: RMS "
            "over the observed generations of the difference of 2 arcsin(sqrt("
            "share)) between the observed mean and the mean of a particle's "
            "runs. Every particle is a condition "
            "of the runner (stored in DIR/results.sqlite; rerun the same "
            "command to resume). Writes posterior.csv, particles.csv, "
            "calibration.json, posterior_pairs.png, posterior_predictive.png."
        ),
    )
    scenario_args(ca)
    ca.add_argument("--observed", required=True, metavar="DATA.csv", help="the observed series")
    ca.add_argument(
        "--fit",
        required=True,
        metavar="PATH,PATH",
        help="dotted paths to fit, e.g. game.c,dynamics.exploration",
    )
    ca.add_argument(
        "--prior",
        action="append",
        metavar="PATH=LO,HI",
        help="uniform prior of a fitted path (default: its whole range where it "
        "is bounded, e.g. [0, 1] for game.c); repeatable",
    )
    ca.add_argument("--particles", default="200", help="particles per population (default 200)")
    ca.add_argument("--populations", default="8", help="at most this many populations (default 8)")
    ca.add_argument(
        "--quantile",
        default="0.5",
        help="tolerance: this quantile of the last population's distances (default 0.5)",
    )
    ca.add_argument(
        "--min-acceptance",
        default="0.02",
        help="stop when a population's acceptance rate would fall below this (default 0.02)",
    )
    ca.add_argument(
        "--predictive",
        default="100",
        help="posterior-predictive simulations for the band (default 100; 0: none)",
    )
    ca.add_argument("--workers", metavar="K", help="local worker processes (default: all cores)")
    ca.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster")
    ca.add_argument(
        "--scheduler-timeout",
        metavar="SECONDS",
        help="seconds to wait for the Dask scheduler to answer when connecting "
        "(default 15; only with --scheduler)",
    )
    ca.add_argument(
        "--format",
        choices=["csv", "parquet"],
        default="csv",
        help="posterior and particle tables (default csv)",
    )
    ca.add_argument(
        "--json", action="store_true", help="print the result as one JSON object (no progress)"
    )
    ca.set_defaults(func=cmd_calibrate)

    ti = sub.add_parser(
        "tipping",
        help="find the committed fraction (or other value) that tips the norm",
        description=(
            "For every condition of the scenario (its sweep), find by bisection "
            "the smallest value of --vary in [--lo, --hi] (with --direction "
            "down: the largest) at which the new norm takes over within the "
            "horizon: the replicate-mean share of the new "
            "norm over the last 10% of the generations after the last shock is at "
            "least 0.5, among "
            "the uncommitted agents when there are committed agents, among "
            "everyone otherwise. Reports a bracket (largest value that did not "
            "tip, smallest that did) with the share and the probability of "
            "change (fraction of replicates ending at or above 0.5) at each "
            "side and every value tested; writes tipping.png and tipping.json "
            "beside DIR/results.sqlite. Every tested value is a stored condition: "
            "rerun the same command to resume. A varied path that the scenario "
            "sweeps is taken out of the sweep. A scenario without committed "
            "agents that varies population.committed.fraction gets committed "
            "agents {norm: new, placement: random}. Exit 3 if some replicates "
            "failed, 4 if the plot could not be written."
        ),
    )
    scenario_args(ti)
    ti.add_argument(
        "--vary",
        required=True,
        metavar="PATH",
        help="the numeric path to search, e.g. population.committed.fraction, "
        "dynamics.conformity, game.c",
    )
    ti.add_argument("--lo", default="0", help="lower end of the search (default 0)")
    ti.add_argument("--hi", default="0.5", help="upper end of the search (default 0.5)")
    ti.add_argument(
        "--tol",
        default="0.01",
        help="stop when the bracket is at most this wide (default 0.01; a "
        "committed fraction also stops at one agent apart)",
    )
    ti.add_argument(
        "--direction",
        choices=["up", "down"],
        default="up",
        help="up (default): larger values make change more likely (a committed "
        "fraction): find the smallest value that tips; down: larger values "
        "make it less likely (game.c, dynamics.conformity): find the largest "
        "value that tips",
    )
    ti.add_argument("--workers", metavar="K", help="local worker processes (default: all cores)")
    ti.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on an existing Dask cluster, e.g. tcp://host:8786",
    )
    ti.add_argument(
        "--scheduler-timeout",
        metavar="SECONDS",
        help="seconds to wait for the Dask scheduler to answer when connecting "
        "(default 15; only with --scheduler)",
    )
    ti.add_argument(
        "--json", action="store_true", help="print the result as one JSON object (no progress)"
    )
    ti.set_defaults(func=cmd_tipping)

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

    vz = sub.add_parser(
        "viz",
        help="open the Mesa browser visualization",
        description=(
            "Serve the browser page of the Mesa model (network coloured by "
            "norm with committed agents marked, live shares chart with the best "
            "available theory, controls for c, exploration, beta, a, b, "
            "network, update mode, shocks, seed, committed fraction, placement "
            "and norm, conformity, a threat, and groups with their own c: the "
            "lattice's halves or the scenario's groups, with boundaries drawn "
            "and a share per group charted) with the scenario's parameters "
            "(its first condition, its groups too) as defaults. Works offline."
        ),
    )
    vz.add_argument("scenario", metavar="SCENARIO.yaml", nargs="?", help="defaults from here")
    vz.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to serve on (default 127.0.0.1; another address makes the "
        "page reachable from the network, with no authentication)",
    )
    vz.add_argument("--port", default="8765", help="port (default 8765)")
    vz.add_argument(
        "--data-root",
        action="append",
        metavar="DIR",
        help="a folder the scenario's data files (edge list, group file) may "
        "also lie in; by default they must lie in the scenario's own "
        "folder (repeatable)",
    )
    vz.set_defaults(func=cmd_viz)
    return p


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: handled like Ctrl-C (workers stopped, finished replicates kept)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum: int, frame) -> None:
    for sig in _STOP_SIGNALS:  # a second signal must not interrupt the cleanup
        signal.signal(sig, signal.SIG_IGN)
    _arm_stop_watchdog(128 + signum)
    raise Terminated(signum)


def _on_interrupt(signum: int, frame) -> None:
    """The command's own process on Ctrl-C: stop as Python does (KeyboardInterrupt), with
    the watchdog armed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # one Ctrl-C stops; the cleanup goes on
    _arm_stop_watchdog(130)
    raise KeyboardInterrupt


#: seconds a stopping command may take to clean up (stop its workers, close its store)
#: before the watchdog ends it
STOP_GRACE = 8.0
_stop = {"armed": False, "reported": False}


def _arm_stop_watchdog(code: int) -> None:
    """After a stop signal, end the process ``STOP_GRACE`` seconds later if it has not ended
    by itself: a process pool's shutdown can wait forever on a queue that a worker left
    locked when it died. The store is consistent whenever it is cut off (SQLite rolls an
    unfinished transaction back); the workers are terminated first, so none is left."""
    if _stop["armed"]:
        return
    _stop["armed"] = True

    def watchdog() -> None:
        time.sleep(STOP_GRACE)
        if not _stop["reported"]:
            sys.stderr.write(
                "normsim: interrupted; worker processes stopped; finished replicates are "
                "stored, run the same command to resume\n"
            )
        _leave_now(code, tidy=False)

    threading.Thread(target=watchdog, name="normsim-stop-watchdog", daemon=True).start()


def _leave_now(code: int, tidy: bool = True) -> None:
    """End a stopped command's own process at once, without the interpreter's shutdown.

    Everything worth keeping is already closed (the store committed, the message out).
    The shutdown itself is what can hang: its garbage collection can run a process
    pool's weakref callback that waits forever for the pool's lock, and by then no
    thread, not even the stop watchdog, runs again. ``tidy`` first releases the pool's
    named semaphores as the shutdown would (else multiprocessing's resource tracker
    warns of them); the watchdog, which ends a cleanup that hangs, skips that."""
    import multiprocessing
    import multiprocessing.util

    for child in multiprocessing.active_children():
        child.terminate()
    finalizers = getattr(multiprocessing.util, "_run_finalizers", None)
    if tidy and finalizers is not None:
        finalizers(0)  # what the shutdown runs first: semaphores unlinked, queues closed
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(code)


_STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``normsim`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    previous = {}
    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread:
        previous = {sig: signal.signal(sig, _on_signal) for sig in _STOP_SIGNALS}
        if argv is None:  # the command's own process (ending with it): Ctrl-C arms the
            signal.signal(signal.SIGINT, _on_interrupt)  # watchdog too
    try:
        code = func(args)
        if argv is None and main_thread:  # the command's process: done, a late Ctrl-C
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # must not become a traceback
        return code
    except NormsimError as e:
        print(f"normsim: error: {e}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt as e:
        if argv is None and main_thread:  # one Ctrl-C stops; the cleanup is not interrupted
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        what = (
            f"stopped by {signal.Signals(e.signum).name}"
            if isinstance(e, Terminated)
            else "interrupted"
        )
        print(
            f"normsim: {what}; worker processes stopped; finished replicates are stored, "
            "run the same command to resume",
            file=sys.stderr,
        )
        _stop["reported"] = True
        code = 128 + e.signum if isinstance(e, Terminated) else 130
        if argv is None and main_thread:
            _leave_now(code)
        return code
    except BrokenPipeError:  # e.g. `normsim validate x.yaml | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
