"""The paper's whole structured study through `normsim run`: wall time on this machine.

    .venv/bin/python benchmarks/bench_study.py

12 values of c x 100 replicates x 2000 generations on the 50 x 50 torus in
reference mode (6e9 agent-updates), with all local cores, into a fresh store.
Prints one JSON line with the wall time and agent-updates per second, and the
same study's estimated time for a plain per-agent Python implementation
measured in the same run (a few generations of tests/support/slow_model.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

SCENARIO = """
name: structured-study
game: {a: 0.6, b: 0.4, c: 0.3}
population: {network: {kind: grid, rows: 50, cols: 50, periodic: true}, initial_b: 0.5}
dynamics: {update: reference, selection_strength: 5.0, exploration: 0.05}
schedule: {generations: 2000, shocks: [1000]}
runs: 100
seed: 2017
sweep:
  game.c: [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0]
"""


def main() -> None:
    from normsim.draws import replicate_seeds
    from normsim.engine import replicate_adjacency
    from normsim.params import ModelParams

    from support.slow_model import slow_simulate

    updates = 12 * 100 * 2000 * 2500
    with tempfile.TemporaryDirectory() as d:
        sc = Path(d) / "study.yaml"
        sc.write_text(SCENARIO)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "normsim",
                "run",
                str(sc),
                "--out",
                str(Path(d) / "warm"),
                "--runs",
                "1",
                "--json",
            ],
            check=True,
            capture_output=True,
        )  # compile / load kernels
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "normsim",
                "run",
                str(sc),
                "--out",
                str(Path(d) / "out"),
                "--json",
            ],
            check=True,
            capture_output=True,
        )
        secs = time.perf_counter() - t0
    p = ModelParams(a=0.6, b=0.4, c=0.6, generations=3)
    seed = replicate_seeds(1, 1)[0]
    adj = replicate_adjacency(p.network, seed)
    t0 = time.perf_counter()
    slow_simulate(p, adj, seed)
    py_rate = 2500 * 3 / (time.perf_counter() - t0)
    print(
        json.dumps(
            {
                "case": "12 c x 100 runs x 2000 generations, 50x50 torus, reference",
                "cores": os.cpu_count(),
                "seconds": round(secs, 1),
                "agent_updates_per_s": round(updates / secs),
                "python_estimate_hours": round(updates / py_rate / 3600, 1),
                "speedup_vs_python": round(updates / py_rate / secs),
            }
        )
    )


if __name__ == "__main__":
    main()
