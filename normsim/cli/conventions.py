"""``normsim analytic --model small-mutation | naming``: conventions among k norms in the
limit of rare exploration, and the naming game with committed agents.

The options are declared with the other ``analytic`` options (:mod:`normsim.cli.analytic`);
this module reads and checks them and prints the results."""

from __future__ import annotations

import argparse

from normsim.cli.common import EXIT_OK, integer, number, parse_matrix, print_json
from normsim.errors import NormsimError

#: the models of this module
CONVENTION_MODELS = ("small-mutation", "naming")


def cmd_conventions(args: argparse.Namespace) -> int:
    """Run ``--model small-mutation`` or ``--model naming`` with the parsed options."""
    model = args.model
    if args.mu not in (None, "0"):
        raise NormsimError(f"--mu does not apply to --model {model}")
    if model == "small-mutation":
        res = _small_mutation(args)
    else:
        for option, value in (("--a", args.a), ("--b", args.b), ("--c", args.c)):
            if value is not None:
                raise NormsimError(f"{option} does not apply to --model naming")
        from normsim.theory import naming

        if args.committed is None:
            raise NormsimError("--model naming needs --committed P (the fraction committed to A)")
        p = number("--committed", args.committed, low=0.0, high=1.0)
        if p >= 1.0:
            raise NormsimError("--committed: 1 is outside [0, 1) (someone must be uncommitted)")
        t_max = number(
            "--t-max", args.t_max if args.t_max is not None else "10000", low=0.0, low_open=True
        )
        res = naming.analyse_naming(p, t_max)
    if args.json:
        print_json(res)
    elif model == "small-mutation":
        _print_small_mutation(res)
    else:
        _print_naming(res)
    return EXIT_OK


def _small_mutation(args: argparse.Namespace) -> dict:
    from normsim.params import DEFAULTS
    from normsim.scenario.limits import FINITE_BYTES_PER_STATE, check_memory
    from normsim.theory import small_mutation as sm

    for option, value in (("--a", args.a), ("--b", args.b)):
        if value is not None:
            raise NormsimError(
                f"{option} does not apply to --model small-mutation (give --diagonal or --matrix)"
            )
    if (args.diagonal is None) == (args.matrix is None):
        raise NormsimError(
            "--model small-mutation needs --diagonal D1,...,Dk (with --c) or --matrix"
        )
    if args.population is None:
        raise NormsimError("--model small-mutation needs --population Z (the population size)")
    Z = integer("--population", args.population, low=2)
    check_memory(
        f"the fixation sums of {Z:,} agents", FINITE_BYTES_PER_STATE * (Z + 1.0), "--population"
    )
    beta = DEFAULTS.beta if args.beta is None else number("--beta", args.beta, low=0.0)
    if args.diagonal is not None:
        d = [
            number("--diagonal", t.strip(), low=0.0, low_open=True)
            for t in args.diagonal.split(",")
        ]
        sm.check_norms(len(d), "--diagonal")
        if args.c is None:
            raise NormsimError("--diagonal needs --c (the need for coordination, 0..1)")
        c = number("--c", args.c, low=0.0, high=1.0)
        return sm.analyse_small_mutation(Z, beta, diagonal=d, c=c)
    if args.c is not None:
        raise NormsimError("--c applies to --diagonal, not to --matrix")
    m = parse_matrix(args.matrix)
    sm.check_norms(len(m), "--matrix")
    return sm.analyse_small_mutation(Z, beta, matrix=m)


def _print_small_mutation(res: dict) -> None:
    k = res["norms"]
    game = (
        f"diagonal {','.join(f'{v:g}' for v in res['diagonal'])}, c={res['c']:g}"
        if res["diagonal"] is not None
        else "payoff matrix given"
    )
    print(
        f"Small-mutation limit, {k} norms ({game}), Z = {res['population']}, "
        f"beta = {res['beta']:g} (payoff range R1 = {res['payoff_range']:g})"
    )
    print(
        f"  fixation probability of one mutant (row: resident, column: mutant; neutral 1/Z = "
        f"{res['neutral_fixation_probability']:.4g}), log10:"
    )
    for i, row in enumerate(res["log10_fixation_probability"]):
        print(f"    {i:>2}: " + " ".join("       -" if v is None else f"{v:8.2f}" for v in row))
    print("  stationary distribution over the monomorphic states (log10 in brackets):")
    for i, (v, lv) in enumerate(
        zip(res["stationary_distribution"], res["log10_stationary_distribution"], strict=True)
    ):
        print(f"    norm {i:>2}: {v:.6g} ({lv:.2f})")
    print(f"  most frequent norm: {res['most_frequent_norm']}")


def _fmt_time(v: float | None) -> str:
    return "never (within --t-max)" if v is None else f"{v:.2f}"


def _print_naming(res: dict) -> None:
    print(
        f"Naming game mean field, committed fraction p = {res['committed']:g} "
        f"(critical p_c = {res['critical_committed_fraction']:.6f}; "
        f"{'above' if res['above_critical'] else 'at or below'} it)"
    )
    print("  fixed points (uncommitted shares n_A, n_B, n_AB):")
    for fp in res["fixed_points"]:
        print(
            f"    {fp['n_a']:.4f}, {fp['n_b']:.4f}, {fp['n_ab']:.4f} "
            f"({'stable' if fp['stable'] else 'unstable'})"
        )
    print(f"  from all-B, first time ({res['time_unit']}) the share holding only A reaches:")
    print(f"    0.5: {_fmt_time(res['t50'])}")
    print(f"    0.9: {_fmt_time(res['t90'])}")
    print(f"    {res['consensus_level']:g} (consensus): {_fmt_time(res['consensus_time'])}")
    print(f"  share holding only A at t = {res['t_max']:g}: {res['final_share_a']:.4f}")
