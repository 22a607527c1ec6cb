"""Engine speed and memory: one JSON line per case, with a plain-Python baseline ratio.

    .venv/bin/python benchmarks/bench_engine.py            # the standard cases
    .venv/bin/python benchmarks/bench_engine.py --quick    # smaller, for a smoke run
    .venv/bin/python benchmarks/bench_engine.py --mechanisms   # the mechanisms vs plain
    .venv/bin/python benchmarks/bench_engine.py --mechanisms --only two-groups   # just two groups
    .venv/bin/python benchmarks/bench_engine.py --protocols    # every protocol vs Fermi

Each case runs in this one process (no parallelism) after a warm-up that
compiles (or loads) the kernels. ``agent_updates_per_s`` is agents x
replicates x generations / seconds. The baseline is the tests' plain
per-agent Python model (tests/support/slow_model.py) on the same graph for a few
generations; ``speedup_vs_python`` compares updates per second. On the torus
cases the Mesa model (normsim.model) is timed too (``speedup_vs_mesa``). Peak memory
is the process's peak resident set (ru_maxrss) after the case.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from normsim.draws import replicate_seeds  # noqa: E402
from normsim.engine import replicate_adjacency, simulate  # noqa: E402
from normsim.errors import NormsimError  # noqa: E402
from normsim.params import ModelParams  # noqa: E402


def python_rate(params: ModelParams, generations: int) -> float:
    from support.slow_model import slow_simulate

    p = replace(params, generations=generations, shocks=())
    seed = replicate_seeds(1, 1)[0]
    adj = replicate_adjacency(p.network, seed)
    t0 = time.perf_counter()
    slow_simulate(p, adj, seed)
    return adj.n * generations / (time.perf_counter() - t0)


def mesa_rate(params: ModelParams, generations: int) -> float:
    """Agent-updates per second of the Mesa model (normsim.model) on the same case."""
    from normsim.model import NormChangeModel

    p = replace(params, generations=generations, shocks=())
    m = NormChangeModel(params=p, seed=replicate_seeds(1, 1)[0])
    t0 = time.perf_counter()
    m.run_model()
    return len(m.by_node) * generations / (time.perf_counter() - t0)


def case(name: str, params: ModelParams, reps: int, py_generations: int) -> dict:
    seeds = replicate_seeds(2017, reps)
    simulate(replace(params, generations=2, shocks=()), seeds[:1])  # warm-up / compile
    n = replicate_adjacency(params.network, seeds[0]).n
    t0 = time.perf_counter()
    simulate(params, seeds)
    dt = time.perf_counter() - t0
    rate = n * reps * params.generations / dt
    py = python_rate(params, py_generations)
    return {
        "case": name,
        "mode": params.update,
        "network": params.network["kind"],
        "agents": n,
        "replicates": reps,
        "generations": params.generations,
        "evolving": params.evolving,
        "seconds": round(dt, 3),
        "agent_updates_per_s": round(rate),
        "python_agent_updates_per_s": round(py),
        "speedup_vs_python": round(rate / py, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


#: the mechanisms (committed agents, conformity, events, groups), as ModelParams keywords
#: (--mechanisms)
MECHANISMS = {
    "committed": {"committed": {"fraction": 0.1, "norm": "new", "placement": "random"}},
    "conformity": {"conformity": 0.3},
    "committed+conformity": {
        "committed": {"fraction": 0.1, "norm": "new", "placement": "random"},
        "conformity": 0.3,
    },
    # two groups (the torus's left and right halves), each with its own c and exploration
    "two-groups": {"groups": {"by": "halves", "c": [0.9, 0.3], "exploration": [0.03, 0.07]}},
}


def _against_first(
    base: ModelParams,
    variants: dict[str, dict],
    modes,
    reps: int,
    cpu: bool = False,
) -> None:
    """In each update mode, each of ``variants`` (name: ModelParams changes; those that
    do not run in the mode are left out) against the first, on the same base case:
    one JSON line per case with ``ratio_vs_<first>``. Runs alternate, best of three."""
    seeds = replicate_seeds(2017, reps)
    clock = time.process_time if cpu else time.perf_counter
    first = next(iter(variants))
    for mode in modes:
        rows: dict[str, float] = {}
        params = {}
        for name, extra in variants.items():
            try:
                params[name] = replace(base, update=mode, **extra)
            except NormsimError:  # not in this mode (a protocol's orders)
                continue
        for p in params.values():
            simulate(replace(p, generations=2, shocks=()), seeds[:1])  # compile / load
        for _ in range(3):
            for name, p in params.items():
                t0 = clock()
                simulate(p, seeds)
                rows[name] = max(rows.get(name, 0.0), 2500 * reps * p.generations / (clock() - t0))
        for name, r in rows.items():
            row = {
                "case": f"torus-{mode}-{name}",
                "agent_updates_per_s": round(r),
                f"ratio_vs_{first}": round(r / rows[first], 3),
                "clock": "cpu" if cpu else "wall",
            }
            print(json.dumps(row), flush=True)


MODES = ("synchronous", "sequential", "reference", "asynchronous")


def mechanisms(base: ModelParams, reps: int, only: str | None = None, cpu: bool = False) -> None:
    """Each mechanism against the plain model on the 50 x 50 torus, every update
    mode, in one run: one JSON line per case with ``ratio_vs_plain``. ``cpu``
    measures the process's CPU time instead of wall time (a loaded machine);
    ``only`` names one mechanism. Plain and mechanism runs alternate, best of three."""
    cases = {k: v for k, v in MECHANISMS.items() if only is None or k == only}
    _against_first(base, {"plain": {}, **cases}, MODES, reps, cpu)


def protocols(base: ModelParams, reps: int, cpu: bool = False) -> None:
    """Every registered protocol against plain Fermi imitation on the 50 x 50 torus, in
    every visiting order it supports, in one run: one JSON line per case with
    ``ratio_vs_fermi``. Runs alternate, best of three."""
    from normsim.protocols import PROTOCOLS

    _against_first(base, {name: {"protocol": name} for name in PROTOCOLS}, MODES, reps, cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer replicates and generations")
    ap.add_argument(
        "--mechanisms",
        action="store_true",
        help="only the mechanisms (committed agents, conformity, two groups) "
        "against the plain model on the torus",
    )
    ap.add_argument(
        "--only",
        choices=sorted(MECHANISMS),
        help="with --mechanisms: only this mechanism (and the plain model)",
    )
    ap.add_argument(
        "--protocols",
        action="store_true",
        help="only the revision protocols against plain Fermi imitation on the torus, in "
        "every visiting order each supports",
    )
    ap.add_argument(
        "--cpu",
        action="store_true",
        help="with --mechanisms or --protocols: CPU time of this process instead of wall time",
    )
    args = ap.parse_args()
    reps, gens = (10, 500) if args.quick else (100, 2000)
    torus = {"kind": "grid", "rows": 50, "cols": 50, "periodic": True}
    base = ModelParams(
        a=0.6, b=0.4, c=0.6, network=torus, generations=gens, shocks=(gens // 2,), exploration=0.05
    )
    if args.mechanisms:
        mechanisms(base, max(10, reps // 5), args.only, args.cpu)
        return
    if args.protocols:
        protocols(base, max(10, reps // 5), args.cpu)
        return
    cases = [
        (f"torus-{m}", replace(base, update=m))
        for m in ("synchronous", "sequential", "reference", "asynchronous")
    ]
    cases.append(
        (
            "torus-reference-evolving",
            replace(
                base,
                rates=(0.0, 0.1, 0.2, 0.3, 0.4, 0.5),
                rate_mutation=0.05,
                shocks=tuple(range(75, gens, 75)),
            ),
        )
    )
    for kind, spec in (
        ("barabasi_albert", {"kind": "barabasi_albert", "n": 2500, "m": 2}),
        ("erdos_renyi", {"kind": "erdos_renyi", "n": 2500, "p": 0.0016, "largest_component": True}),
    ):
        for m in ("synchronous", "reference"):
            cases.append((f"{kind}-{m}", replace(base, network=spec, update=m)))
    for name, params in cases:
        row = case(name, params, reps, 5)
        if name.startswith("torus-"):
            mesa = mesa_rate(params, 3)
            row["mesa_agent_updates_per_s"] = round(mesa)
            row["speedup_vs_mesa"] = round(row["agent_updates_per_s"] / mesa, 1)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
