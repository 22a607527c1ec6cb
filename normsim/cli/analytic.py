"""``normsim analytic``: the well-mixed, finite-population and pair-approximation theory of
one case, and the mechanism models (committed agents, conformity, groups)."""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING

from normsim.cli.common import EXIT_OK, game_options, integer, number, print_json
from normsim.cli.conventions import CONVENTION_MODELS, cmd_conventions
from normsim.cli.learning import (
    LEARNING_MODELS,
    LEARNING_OPTIONS,
    add_learning_options,
    cmd_learning,
)
from normsim.errors import NormsimError

if TYPE_CHECKING:
    from normsim.cli.common import Subparsers

ANALYTIC_MODELS = ("replicator", "pairwise", "finite", "pair", *CONVENTION_MODELS, *LEARNING_MODELS)
# which model takes which option (None: the option was not given)
_MODEL_OPTIONS = {
    "--beta": ("pairwise", "finite", "pair", "small-mutation", "logit"),
    "--population": ("finite", "pair", "small-mutation", "kmr"),
    "--degree": ("pair",),
    "--k0": ("finite",),
    "--t-max": ("replicator", "pairwise", "pair", "naming"),
    "--shocks": ("pairwise", "pair"),
    "--from-old": ("pairwise", "finite", "pair"),
    "--plot": ("replicator",),
    "--committed": ("replicator", "pairwise", "naming"),
    "--conformity": ("replicator", "pairwise"),
    "--sample": ("replicator", "pairwise"),
    "--group-c": ("replicator", "pairwise"),
    "--group-mu": ("replicator", "pairwise"),
    "--group-sizes": ("replicator", "pairwise"),
    "--between": ("replicator", "pairwise"),
    "--diagonal": ("small-mutation",),
    "--preset": ("replicator", "pairwise", "finite", "pair", *LEARNING_OPTIONS["--matrix"]),
    "--p0": ("replicator", "pairwise", "finite", "pair"),
    **LEARNING_OPTIONS,
    "--matrix": (
        "replicator",
        "pairwise",
        "finite",
        "pair",
        "small-mutation",
        *LEARNING_OPTIONS["--matrix"],
    ),
}
#: the options of the mechanism models (normsim.theory.mechanics_ode)
_MECHANISM_OPTIONS = (
    "--committed",
    "--conformity",
    "--sample",
    "--group-c",
    "--group-mu",
    "--group-sizes",
    "--between",
)


def add_analytic(sub: Subparsers) -> None:
    """The ``analytic`` command and its options."""
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
            "given is the one after the shock: B is the norm followed. "
            "--model small-mutation: k norms in the limit of rare exploration (fixation "
            "probabilities, embedded chain, stationary distribution). --model naming: "
            "the naming game's mean field with a fraction committed to A (critical "
            "fraction, fixed points, consensus time from all-B). The learning "
            "rules, exact: --model logit (stationary law of logit learning on a graph), "
            "kmr (noisy best response, well mixed: stationary law, basins, waiting "
            "times), contagion (best-response contagion from --b-nodes), fixation "
            "(voter and Moran fixation probabilities on a small graph)."
        ),
    )
    an.add_argument(
        "--model",
        choices=ANALYTIC_MODELS,
        default="replicator",
        help="which theory (default replicator)",
    )
    an.add_argument("--a", help="payoff of coordinating on A (> 0; not for small-mutation, naming)")
    an.add_argument("--b", help="payoff of coordinating on B (> 0; not for small-mutation, naming)")
    an.add_argument("--c", help="need for coordination, 0..1 (small-mutation: with --diagonal)")
    an.add_argument(
        "--matrix",
        metavar="R,S,T,P",
        help="a general symmetric 2 x 2 game [[R, S], [T, P]] instead of --a --b --c "
        "(row player's payoffs; rows and columns A, B), also as rows R,S;T,P; small-mutation: "
        "a k x k matrix, rows separated by ';' (1,0.5;0.4,0.8)",
    )
    an.add_argument(
        "--preset",
        metavar="NAME",
        help="a named game: coordination (the (a, b, c) game; --a --b --c override its "
        "defaults) or stag_hunt (the matrix 4,0,3,2)",
    )
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
        "mechanisms (replicator, pairwise; normsim.theory.mechanics_ode)",
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
    conv = an.add_argument_group(
        "conventions (small-mutation, naming)",
        "small-mutation: the k-norm game by --diagonal (with --c) or --matrix, and --population, "
        "--beta; naming: --committed is the fraction committed to A (the new name), in [0, 1), "
        "and --t-max the time integrated (default 10000, in N interactions).",
    )
    conv.add_argument(
        "--diagonal",
        metavar="D1,...,Dk",
        help="coordination payoffs of k = 2..16 norms: u(i,i) = Di, u(i,j) = (1 - c) Di",
    )
    add_learning_options(an)
    an.set_defaults(func=cmd_analytic, analytic_parser=an)


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
        "--diagonal": args.diagonal,
        "--matrix": args.matrix,
        "--preset": args.preset,
        "--p0": args.p0,
        "--graph": args.graph,
        "--graph-seed": args.graph_seed,
        "--scale": args.scale,
        "--order": args.order,
        "--b-nodes": args.b_nodes,
        "--progressive": args.progressive or None,
        "--rule": args.rule,
        "--w": args.w,
    }
    for option, value in given.items():
        if value is not None and model not in _MODEL_OPTIONS[option]:
            users = ", ".join(_MODEL_OPTIONS[option])
            raise NormsimError(f"{option} does not apply to --model {model} (only to {users})")
    if model in CONVENTION_MODELS:
        return cmd_conventions(args)
    if model in LEARNING_MODELS:
        return cmd_learning(args)
    game = game_options(args)
    mechanisms = [o for o in _MECHANISM_OPTIONS if given[o] is not None]
    if game is not None and (mechanisms or args.plot):
        option = mechanisms[0] if mechanisms else "--plot"
        raise NormsimError(f"{option} takes the (a, b, c) game (give --a --b --c, not a matrix)")
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
        return _analytic_replicator(args, game)
    return _analytic_theory(args, game)


def _analytic_replicator(args: argparse.Namespace, game=None) -> int:
    from normsim.theory import analytic

    if game is None:
        a = number("--a", args.a, low=0.0, low_open=True)
        b = number("--b", args.b, low=0.0, low_open=True)
        c = number("--c", args.c, low=0.0, high=1.0)
    mu = number("--mu", args.mu, low=0.0, high=1.0)
    p0 = number("--p0", args.p0 if args.p0 is not None else "0.05", low=0.0, high=1.0)
    t_max = number(
        "--t-max", args.t_max if args.t_max is not None else "100", low=0.0, low_open=True
    )
    if game is not None:
        res = analytic.analyse_game(game, mu, p0, t_max)
    else:
        res = analytic.analyse(a, b, c, mu, p0, t_max)
    if args.plot:  # the (a, b, c) game only (cmd_analytic refuses it with a matrix)
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
    if game is not None:
        print(f"Well-mixed {kind} dynamic: {analytic.describe(game)} mu={mu:g} p(0)={p0:g}")
        _print_dominance(res)
    else:
        print(f"Well-mixed {kind} dynamic: a={a:g} b={b:g} c={c:g} mu={mu:g} p(0)={p0:g}")
        tc = res["threshold_c"]
        print(
            f"  threshold c* = {tc:.6f}  ({'above' if c > tc else 'at or below'}: "
            f"{'the old norm can resist' if c > tc else 'the better norm dominates'})"
        )
    _print_mu_crit_and_fixed_points(res, "fixed points", "every p (neutral)")
    for key, lv in (("t50", 0.5), ("t90", 0.9), ("t99", 0.99)):
        v = res[key]
        print(f"  first t with p >= {lv:g}: {'never (within t-max)' if v is None else f'{v:.2f}'}")
    print(f"  p at t = {t_max:g}: {res['final_p']:.4f}")
    if args.plot:
        print(f"  plot: {args.plot}")
    return EXIT_OK


def _print_dominance(res: dict) -> None:
    """A matrix game's payoff-dominant and risk-dominant norms."""
    pd, rd = res["payoff_dominant_norm"], res["risk_dominant_norm"]
    print(f"  payoff-dominant norm: {pd or 'none (R = P)'}; risk-dominant norm: {rd or 'none'}")


def _analytic_theory(args: argparse.Namespace, game=None) -> int:
    """``normsim analytic --model pairwise | finite | pair``."""
    from normsim.game import CoordinationGame
    from normsim.params import DEFAULTS

    model = args.model
    if game is None:
        a = number("--a", args.a, low=0.0, low_open=True)
        b = number("--b", args.b, low=0.0, low_open=True)
        c = number("--c", args.c, low=0.0, high=1.0)
        plain = CoordinationGame(a, b, c)
    mu = number("--mu", args.mu, low=0.0, high=1.0)
    beta = DEFAULTS.beta if args.beta is None else number("--beta", args.beta, low=0.0)
    p0 = None if args.p0 is None else number("--p0", args.p0, low=0.0, high=1.0)
    Z = None if args.population is None else integer("--population", args.population, low=2)
    if model == "finite":
        from normsim.scenario.limits import FINITE_BYTES_PER_STATE, check_memory
        from normsim.theory import finite

        assert Z is not None  # cmd_analytic requires --population for --model finite
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
            k0 = integer("--k0", args.k0, low=0)
            if k0 > Z:
                raise NormsimError(f"--k0: {k0} is more than the population ({Z})")
        elif p0 is not None:
            k0 = int(round(p0 * Z))
        start: str | int = "stationary" if args.from_old else ("old" if k0 is None else k0)
        res = finite.analyse_game(plain if game is None else game, Z, beta, mu, k0=k0, start=start)
    else:
        t_max = number(
            "--t-max", args.t_max if args.t_max is not None else "1000", low=0.0, low_open=True
        )
        shocks = _shock_times(args.shocks, t_max) if args.shocks else []
        if args.from_old and p0 is not None:
            raise NormsimError("--from-old cannot be combined with --p0 (it gives the start)")
        if not args.from_old and p0 is None:
            p0 = 0.05
        if model == "pairwise":
            from normsim.theory import analytic

            if game is None:
                res = analytic.analyse_pairwise(a, b, c, beta, mu, p0, t_max, shocks)
            else:
                res = analytic.analyse_pairwise_game(game, beta, mu, p0, t_max, shocks)
        else:
            from normsim.theory import pairapprox

            k = integer("--degree", args.degree, low=2)
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
            res = pairapprox.analyse_game(
                plain if game is None else game, k, beta, mu, p0, t_max, shocks
            )
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
    return [number(option, t, low=low, high=high, low_open=low_open) for t in parts]


def _analytic_mechanics(args: argparse.Namespace) -> int:
    """``normsim analytic --committed Z --conformity G [--group-c C1,C2 ...]``."""
    from normsim.params import DEFAULTS
    from normsim.theory import mechanics_ode

    model = args.model
    a = number("--a", args.a, low=0.0, low_open=True)
    b = number("--b", args.b, low=0.0, low_open=True)
    c: float | list[float] = number("--c", args.c, low=0.0, high=1.0)
    mu: float | list[float] = number("--mu", args.mu, low=0.0, high=1.0)
    z = number(
        "--committed", args.committed if args.committed is not None else "0", low=0.0, high=1.0
    )
    gamma = number(
        "--conformity", args.conformity if args.conformity is not None else "0", low=0.0, high=1.0
    )
    k = integer("--sample", args.sample if args.sample is not None else "4", low=1)
    if k > mechanics_ode.MAX_SAMPLE:
        raise NormsimError(f"--sample: {k} is more than {mechanics_ode.MAX_SAMPLE}")
    beta = DEFAULTS.beta if args.beta is None else number("--beta", args.beta, low=0.0)
    p0 = number("--p0", args.p0 if args.p0 is not None else "0.05", low=0.0, high=1.0)
    t_max = number(
        "--t-max",
        args.t_max if args.t_max is not None else ("100" if model == "replicator" else "1000"),
        low=0.0,
        low_open=True,
    )
    between = number(
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
        t = number("--shocks", part.strip(), low=0.0, high=t_max, low_open=True)
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
    if "matrix" in res:
        (r, s), (t, p) = res["matrix"]
        print(
            f"{head}: matrix [[{r:g}, {s:g}], [{t:g}, {p:g}]] mu={res['mu']:g} beta={res['beta']:g}"
        )
        _print_dominance(res)
    else:
        print(
            f"{head}: a={res['a']:g} b={res['b']:g} c={res['c']:g} mu={res['mu']:g} "
            f"beta={res['beta']:g}"
        )
    tc = res.get("threshold_c")
    if "matrix" in res:
        pass
    elif tc is None:
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
