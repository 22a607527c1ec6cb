"""Plain-scenario speed of this tree against another checkout, measured in turns.

    git worktree add --detach /tmp/normsim-base <previous-commit>
    .venv/bin/python benchmarks/bench_compare.py --base /tmp/normsim-base [--rounds 3]

For each plain torus case of ``bench_engine.py`` (50 x 50, 2000 generations,
each update mode; fixed rate, and evolving rates in ``reference`` mode) a
child process imports normsim from each tree in turn (base, this tree, base,
...), warms up (compiles or loads the kernels) and times ``simulate``; the best
of ``--rounds`` is kept for each. One JSON line per case: both figures in
agent-updates per second and their ratio (this tree / base). Alternating the
trees in one run keeps the machine's load out of the ratio as far as possible.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
from dataclasses import replace
from normsim.draws import replicate_seeds
from normsim.engine import simulate
from normsim.params import ModelParams
mode, evolving, reps, gens = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3]), int(sys.argv[4])
torus = {"kind": "grid", "rows": 50, "cols": 50, "periodic": True}
kw = dict(rates=(0.0, 0.1, 0.2, 0.3, 0.4, 0.5), rate_mutation=0.05,
          shocks=tuple(range(75, gens, 75))) if evolving else dict(shocks=(gens // 2,))
p = ModelParams(a=0.6, b=0.4, c=0.6, network=torus, generations=gens, exploration=0.05,
                update=mode, **kw)
seeds = replicate_seeds(2017, reps)
simulate(replace(p, generations=2, shocks=()), seeds[:1])
t0 = time.perf_counter()
simulate(p, seeds)
print(json.dumps(2500 * reps * gens / (time.perf_counter() - t0)))
"""


def rate(tree: Path, mode: str, evolving: bool, reps: int, gens: int) -> float:
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, "1" if evolving else "0", str(reps), str(gens)],
        env=env,
        capture_output=True,
        text=True,
        cwd=str(tree),
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, type=Path, help="a checkout of the other commit")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--generations", type=int, default=2000)
    args = ap.parse_args()
    cases = [
        ("synchronous", False),
        ("sequential", False),
        ("reference", False),
        ("reference", True),
    ]
    for mode, evolving in cases:
        best = {"base": 0.0, "this": 0.0}
        for _ in range(args.rounds):
            for name, tree in (("base", args.base.resolve()), ("this", HERE)):
                best[name] = max(
                    best[name], rate(tree, mode, evolving, args.reps, args.generations)
                )
        print(
            json.dumps(
                {
                    "case": f"torus-{mode}" + ("-evolving" if evolving else ""),
                    "base_agent_updates_per_s": round(best["base"]),
                    "this_agent_updates_per_s": round(best["this"]),
                    "ratio": round(best["this"] / best["base"], 3),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
