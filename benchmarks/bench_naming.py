"""Naming-game engine speed: interactions per second, one JSON line per case and repeat.

    .venv/bin/python benchmarks/bench_naming.py             # the standard cases, 3 repeats
    .venv/bin/python benchmarks/bench_naming.py --repeat 5  # more repeats
    .venv/bin/python benchmarks/bench_naming.py --quick     # smaller, for a smoke run

Cases, all on a well-mixed population of 10^4 agents (normsim.engine.naming):

* ``binary-p0.05``: the binary game with 5 % committed agents (below the critical
  fraction: the mixed state persists, so every interaction is simulated and many speakers
  hold both names and draw one); 2000 generations, 2 * 10^7 interactions a replicate;
* ``binary-p0.20``: 20 % committed, until consensus on A (about 30 generations);
* ``minimal``: the minimal naming game from empty inventories until consensus (about
  150 generations; inventories peak at about 30 names on average).

The engine stops at consensus, so ``interactions`` counts the interactions simulated:
``N x`` the consensus generation (or all generations). Each case runs in this one process
after a warm-up that compiles (or loads) the kernels; ``peak_rss_mb`` is the process's
peak resident set after the case.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np

from normsim.draws import replicate_seeds
from normsim.engine.naming import simulate_naming
from normsim.naming import NamingParams, well_mixed


def case(name: str, params: NamingParams, reps: int, repeat: int) -> list[dict]:
    simulate_naming(
        NamingParams(variant=params.variant, network=well_mixed(100), generations=2), [1]
    )
    out = []
    for k in range(repeat):
        seeds = replicate_seeds(2011 + k, reps)
        t0 = time.perf_counter()
        s = simulate_naming(params, seeds)
        dt = time.perf_counter() - t0
        gens = np.where(s.consensus_time >= 0, s.consensus_time, params.generations)
        interactions = int(gens.sum()) * s.n_agents
        out.append(
            {
                "case": name,
                "repeat": k,
                "agents": s.n_agents,
                "replicates": reps,
                "interactions": interactions,
                "seconds": round(dt, 4),
                "interactions_per_s": round(interactions / dt),
                "consensus_times": s.consensus_time.tolist(),
                "peak_mean_inventory": float(s.mean_inventory.max()),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }
        )
        print(json.dumps(out[-1]), flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="1000 agents, fewer generations")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each case (default 3)")
    args = ap.parse_args()
    n = 1000 if args.quick else 10_000
    G = 200 if args.quick else 2000
    cases = [
        ("binary-p0.05", NamingParams("binary", well_mixed(n), committed=0.05, generations=G), 1),
        ("binary-p0.20", NamingParams("binary", well_mixed(n), committed=0.2, generations=G), 8),
        ("minimal", NamingParams("minimal", well_mixed(n), generations=5 * G), 4),
    ]
    summary = {}
    for name, params, reps in cases:
        rates = [r["interactions_per_s"] for r in case(name, params, reps, args.repeat)]
        summary[name] = {"min": min(rates), "median": int(np.median(rates)), "max": max(rates)}
    print(json.dumps({"interactions_per_s": summary}))


if __name__ == "__main__":
    main()
