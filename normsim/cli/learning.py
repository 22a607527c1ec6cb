"""``normsim analytic --model logit | kmr | contagion | fixation``: the exact theory of the
learning rules (normsim.theory.logit, kmr, contagion, fixation)."""

from __future__ import annotations

import argparse
import math
from typing import Any

from normsim.cli.common import EXIT_OK, game_options, integer, number, print_json
from normsim.errors import NormsimError

LEARNING_MODELS = ("logit", "kmr", "contagion", "fixation")
#: which learning model takes which of its options
LEARNING_OPTIONS = {
    "--graph": ("logit", "contagion", "fixation"),
    "--graph-seed": ("logit", "contagion", "fixation"),
    "--matrix": ("logit", "kmr", "contagion", "fixation"),
    "--scale": ("logit",),
    "--order": ("kmr",),
    "--b-nodes": ("contagion", "fixation"),
    "--progressive": ("contagion",),
    "--rule": ("fixation",),
    "--w": ("fixation",),
}


def add_learning_options(an: argparse.ArgumentParser) -> None:
    """The options of the learning models, as a group of ``normsim analytic``."""
    grp = an.add_argument_group(
        "learning rules (logit, kmr, contagion, fixation)",
        "Exact theory on a small or structured graph. The game is --a/--b/--c, a general "
        "--matrix R,S,T,P or a --preset.",
    )
    grp.add_argument(
        "--graph",
        metavar="SPEC",
        help=(
            "the network, as a scenario's network mapping in YAML, e.g. "
            "'{kind: grid, rows: 4, cols: 4}' or 'kind: complete, n: 1000' "
            "(logit: a complete graph or ring, watts_strogatz with k 2 and p 0, of any size; "
            "other graphs are enumerated)"
        ),
    )
    grp.add_argument("--graph-seed", metavar="S", help="seed of a random graph kind (default 0)")
    grp.add_argument(
        "--scale",
        choices=("normalised", "raw"),
        help="logit: divide payoff differences by the payoff range (normalised, default) or not",
    )
    grp.add_argument(
        "--order",
        choices=("asynchronous", "synchronous"),
        help="kmr: one agent per step (default) or all at once",
    )
    grp.add_argument(
        "--b-nodes",
        metavar="I,J,...",
        help=(
            "initial B nodes, numbered 0..N-1 as the graph spec builds them (contagion: "
            "required; fixation: default a single B at each node, averaged)"
        ),
    )
    grp.add_argument("--progressive", action="store_true", help="contagion: B never reverts to A")
    grp.add_argument(
        "--rule",
        choices=("voter", "death-birth", "birth-death", "synchronous-voter"),
        help="fixation: the process (default voter)",
    )
    grp.add_argument(
        "--w", metavar="W", help="fixation: selection intensity, fitness 1 - w + w pi (default 0)"
    )


def _game(args: argparse.Namespace) -> tuple[Any, dict]:
    from normsim.game import CoordinationGame

    matrix = game_options(args)
    if matrix is not None:
        return matrix, {"matrix": matrix.as_dict()}
    a = number("--a", args.a, low=0.0, low_open=True)
    b = number("--b", args.b, low=0.0, low_open=True)
    c = number("--c", args.c, low=0.0, high=1.0)
    g = CoordinationGame(a, b, c).as_matrix_game()
    return g, {"a": a, "b": b, "c": c, "matrix": g.as_dict()}


def _graph_spec(args: argparse.Namespace) -> dict:
    from normsim.scenario.yamlsafe import load_value

    if args.graph is None:
        raise NormsimError(
            f"--model {args.model} needs --graph SPEC, e.g. --graph 'kind: star, n: 6'"
        )
    text = args.graph.strip()
    if not text.startswith("{"):
        text = "{" + text + "}"
    spec = load_value(text)
    if not isinstance(spec, dict) or "kind" not in spec:
        raise NormsimError(
            "--graph: give a mapping with a kind, e.g. --graph '{kind: grid, rows: 4, cols: 4}'"
        )
    return spec


def _graph(args: argparse.Namespace, spec: dict):
    from normsim.networks import build_graph

    seed = integer("--graph-seed", args.graph_seed if args.graph_seed is not None else "0", low=0)
    return build_graph(spec, seed=seed)


def _b_nodes(args: argparse.Namespace, n: int) -> list[int] | None:
    if args.b_nodes is None:
        return None
    out = []
    for t in args.b_nodes.split(","):
        i = integer("--b-nodes", t.strip(), low=0)
        if i >= n:
            raise NormsimError(f"--b-nodes: {i} is not a node (the graph has nodes 0..{n - 1})")
        out.append(i)
    return out


def cmd_learning(args: argparse.Namespace) -> int:
    """Run one of the learning models and print its result."""
    model = args.model
    game: Any
    game_fields: dict
    no_game = all(v is None for v in (args.matrix, args.preset, args.a, args.b, args.c))
    if model == "fixation" and no_game:  # the voter rules and neutral Moran need no game
        game, game_fields = None, {}
    else:
        game, game_fields = _game(args)
    res: dict = {"model": model, **game_fields}
    if model == "logit":
        res.update(_logit(args, game))
    elif model == "kmr":
        res.update(_kmr(args, game))
    elif model == "contagion":
        res.update(_contagion(args, game, game_fields))
    else:
        res.update(_fixation(args, game))
    if args.json:
        print_json(res)
    else:
        _print_flat(res)
    return EXIT_OK


def _logit(args: argparse.Namespace, game) -> dict:
    from normsim.params import DEFAULTS
    from normsim.theory import logit

    beta = DEFAULTS.beta if args.beta is None else number("--beta", args.beta, low=0.0)
    mu = number("--mu", args.mu, low=0.0, high=1.0)
    scale = args.scale or "normalised"
    spec = _graph_spec(args)
    kind = spec.get("kind")
    if kind == "complete" and set(spec) == {"kind", "n"}:
        law = logit.complete_law(integer("--graph n", str(spec["n"]), low=2), game, beta, mu, scale)
    elif (
        kind == "watts_strogatz"
        and spec.get("k") == 2
        and spec.get("p") in (0, 0.0)
        and mu == 0.0
        and set(spec) <= {"kind", "n", "k", "p"}
    ):
        law = logit.ring_law(integer("--graph n", str(spec["n"]), low=3), game, beta, scale)
    else:
        G = _graph(args, spec)
        n = G.number_of_nodes()
        limit = logit.MAX_ENUMERATE_NODES if mu == 0.0 else logit.MAX_CHAIN_NODES
        if not (logit.is_complete(G) or (mu == 0.0 and logit.is_ring(G))) and n > limit:
            raise NormsimError(
                f"--graph: {n} nodes are too many for the exact logit law "
                f"(at most {limit} nodes {'without' if mu == 0.0 else 'with'} exploration; "
                "any size for a complete graph or a ring)"
            )
        law = logit.logit_law(G, game, beta, mu, scale)
    out = law.as_dict()
    out["scale"] = scale
    out["graph"] = spec
    return out


def _kmr(args: argparse.Namespace, game) -> dict:
    from normsim.theory.kmr import KMRChain

    if args.population is None:
        raise NormsimError("--model kmr needs --population N (the number of agents)")
    N = integer("--population", args.population, low=2)
    if N > 5000:
        raise NormsimError(f"--population: {N} is more than 5000 (the KMR chain's limit here)")
    mu = number("--mu", args.mu, low=0.0, high=1.0)
    ch = KMRChain(game, N, mu, args.order or "asynchronous")
    out = ch.analyse()
    out.pop("game", None)
    out.pop("model", None)
    return out


def _contagion(args: argparse.Namespace, game, fields: dict) -> dict:
    from normsim.theory import contagion

    if number("--mu", args.mu, low=0.0, high=1.0) != 0.0:
        raise NormsimError("--mu: the contagion model has no exploration (mu = 0)")
    spec = _graph_spec(args)
    G = _graph(args, spec)
    seed = _b_nodes(args, G.number_of_nodes())
    if not seed:
        raise NormsimError("--model contagion needs --b-nodes I,J,... (the seed of B)")
    if G.number_of_nodes() > 100_000:
        raise NormsimError("--graph: more than 100,000 nodes (the contagion model's limit)")
    r = contagion.best_response_dynamics(G, seed, game, args.progressive)
    out: dict = {"graph": spec, "nodes": G.number_of_nodes(), "b_nodes": seed, **r.as_dict()}
    out["seed_threshold_q"] = contagion.seed_threshold(G, seed)
    if "a" in fields and fields["b"] > fields["a"]:
        cc = contagion.critical_c(G, seed, fields["a"], fields["b"], args.progressive)
        out.update(cc.as_dict())
    return out


def _fixation(args: argparse.Namespace, game) -> dict:
    from normsim.theory import fixation

    spec = _graph_spec(args)
    G = _graph(args, spec)
    n = G.number_of_nodes()
    rule = args.rule or "voter"
    w = number("--w", args.w if args.w is not None else "0", low=0.0, high=1.0)
    seed = _b_nodes(args, n)
    out: dict = {"graph": spec, "nodes": n, "rule": rule, "w": w, "b_nodes": seed}
    if rule == "synchronous-voter":
        if seed is None:
            raise NormsimError("--rule synchronous-voter needs --b-nodes I,J,...")
        if n > fixation.MAX_SYNC_NODES:
            raise NormsimError(
                f"--graph: {n} nodes are too many for the synchronous voter chain "
                f"(at most {fixation.MAX_SYNC_NODES})"
            )
        out.update(fixation.synchronous_voter(G, seed).as_dict())
        return out
    if n > fixation.MAX_NODES:
        raise NormsimError(
            f"--graph: {n} nodes are too many for the fixation chain "
            f"(at most {fixation.MAX_NODES}: it has 2^N states)"
        )
    if rule != "voter" and w > 0.0 and game is None:
        raise NormsimError(f"--rule {rule} with --w > 0 needs a game (--a/--b/--c or --matrix)")
    out["start"] = "one B at each node, averaged" if seed is None else "b_nodes"
    out["fixation_probability_b"] = fixation.fixation_probability(G, seed, rule, game, w)
    if rule == "voter" or w == 0.0:
        # the closed forms of the neutral processes (a single B averaged: 1/N)
        name = "inverse_degree_formula" if rule == "birth-death" else "degree_weighted_formula"
        formula = (
            fixation.birth_death_neutral_formula
            if rule == "birth-death"
            else fixation.voter_fixation_formula
        )
        out[name] = 1.0 / n if seed is None else formula(G, seed)
    return out


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "inf" if math.isinf(v) else f"{v:.6g}"
    if isinstance(v, list) and len(v) > 12:
        return "[" + ", ".join(_fmt(x) for x in v[:12]) + f", ... ({len(v)} values)]"
    return str(v)


def _print_flat(res: dict, indent: str = "") -> None:
    for k, v in res.items():
        if isinstance(v, dict):
            print(f"{indent}{k}:")
            _print_flat(v, indent + "  ")
        else:
            print(f"{indent}{k}: {_fmt(v)}")
