"""Engine speed of this tree against another checkout, or of one protocol against
another, measured in turns.

    git worktree add --detach /tmp/normsim-base <previous-commit>
    .venv/bin/python benchmarks/bench_compare.py --base /tmp/normsim-base [--rounds 3]
    .venv/bin/python benchmarks/bench_compare.py --protocols fermi best_response

For each torus case (50 x 50, 2000 generations: each update mode with a fixed
rate, evolving rates in ``reference`` mode, and with ``--mechanisms`` committed
agents, conformity and groups) a child process imports normsim from each tree
in turn (base, this tree, base, ...), warms up (compiles or loads the kernels)
and times ``simulate``. With ``--protocols P Q`` both sides are this tree, the
first running protocol P, the second Q, in each visiting order Q supports. One
JSON line per case: the median of ``--rounds`` for each side in agent-updates
per second, the best of each, and the ratio of the medians (second / first).
Alternating the sides in one run keeps the machine's load out of the ratio as
far as possible.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
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
mech, protocol = sys.argv[5], sys.argv[6]
torus = {"kind": "grid", "rows": 50, "cols": 50, "periodic": True}
kw = dict(rates=(0.0, 0.1, 0.2, 0.3, 0.4, 0.5), rate_mutation=0.05,
          shocks=tuple(range(75, gens, 75))) if evolving else dict(shocks=(gens // 2,))
kw.update({
    "plain": {},
    "committed": {"committed": {"fraction": 0.1, "norm": "new", "placement": "random"}},
    "conformity": {"conformity": 0.3},
    "groups": {"groups": {"c": [0.8, 0.2]}},
}[mech])
if protocol != "fermi":  # a tree from before the protocols knows no such keyword
    kw["protocol"] = protocol
p = ModelParams(a=0.6, b=0.4, c=0.6, network=torus, generations=gens, exploration=0.05,
                update=mode, **kw)
seeds = replicate_seeds(2017, reps)
simulate(replace(p, generations=2, shocks=()), seeds[:1])
t0 = time.perf_counter()
simulate(p, seeds)
print(json.dumps(2500 * reps * gens / (time.perf_counter() - t0)))
"""


def rate(
    tree: Path, mode: str, evolving: bool, reps: int, gens: int, mech: str, protocol: str
) -> float:
    env = dict(os.environ, PYTHONPATH=str(tree))
    args = [mode, "1" if evolving else "0", str(reps), str(gens), mech, protocol]
    out = subprocess.run(
        [sys.executable, "-c", CHILD, *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=str(tree),
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    side = ap.add_mutually_exclusive_group(required=True)
    side.add_argument("--base", type=Path, help="a checkout of the other commit")
    side.add_argument(
        "--protocols", nargs=2, metavar=("FIRST", "SECOND"), help="compare two protocols"
    )
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--generations", type=int, default=2000)
    ap.add_argument(
        "--mechanisms", action="store_true", help="also committed agents, conformity, groups"
    )
    ap.add_argument("--only", nargs="+", metavar="CASE", help="only the cases with these names")
    args = ap.parse_args()
    modes = ["synchronous", "sequential", "reference", "asynchronous"]
    if args.protocols:
        from normsim.protocols import resolve

        first, second = args.protocols
        modes = [m for m in modes if m in resolve(second).orders]
        sides = [("first", HERE, first), ("second", HERE, second)]
    else:
        sides = [("first", args.base.resolve(), "fermi"), ("second", HERE, "fermi")]
    cases = [(m, False, "plain") for m in modes]
    if "reference" in modes:
        cases.append(("reference", True, "plain"))
    if args.mechanisms:
        cases += [(m, False, x) for x in ("committed", "conformity", "groups") for m in modes]

    def case_name(mode: str, evolving: bool, mech: str) -> str:
        return (
            f"torus-{mode}"
            + ("-evolving" if evolving else "")
            + (f"-{mech}" if mech != "plain" else "")
        )

    if args.only:
        cases = [c for c in cases if case_name(*c) in args.only]
    for mode, evolving, mech in cases:
        seen: dict[str, list[float]] = {name: [] for name, _, _ in sides}
        for _ in range(args.rounds):
            for name, tree, protocol in sides:
                seen[name].append(
                    rate(tree, mode, evolving, args.reps, args.generations, mech, protocol)
                )
        med = {name: statistics.median(v) for name, v in seen.items()}
        print(
            json.dumps(
                {
                    "case": case_name(mode, evolving, mech),
                    "sides": {name: str(tree) + f" ({p})" for name, tree, p in sides},
                    "first_median_agent_updates_per_s": round(med["first"]),
                    "second_median_agent_updates_per_s": round(med["second"]),
                    "first_best": round(max(seen["first"])),
                    "second_best": round(max(seen["second"])),
                    "ratio": round(med["second"] / med["first"], 3),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
