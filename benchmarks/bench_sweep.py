"""Sweep throughput: 1 vs 2 local workers vs a Dask LocalCluster; coordinator memory.

    .venv/bin/python benchmarks/bench_sweep.py

Runs one sweep (c x exploration x 10 runs on the 50 x 50 torus, 2000
generations: about 15 s of simulation on one core) three ways into fresh
stores and prints one JSON line per way with replicates per second and the
ratio to one local worker (all measured in this run). Then runs sweeps of 20
and 200 conditions and prints the coordinating process's peak memory for
each: results go to the store as they arrive, so it should not grow with the
number of conditions.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SWEEP = """
name: bench-sweep
game: {{a: 0.6, b: 0.4, c: 0.3}}
population: {{network: {{kind: grid, rows: 50, cols: 50, periodic: true}}}}
dynamics: {{update: reference, exploration: 0.05}}
schedule: {{generations: 2000, shocks: [1000]}}
runs: {runs}
seed: 1
sweep:
  game.c: {cs}
  dynamics.exploration: {mus}
"""

# run normsim in a child process and report its own peak RSS (the coordinator's)
CHILD = (
    "import resource, sys; from normsim.cli import main; code = main(sys.argv[1:]); "
    "print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); "
    "sys.exit(code)"
)


def normsim(args: list[str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(r.stderr)
    rss = int(r.stderr.strip().splitlines()[-1].split()[1])
    return time.perf_counter() - t0, rss


def scenario(tmp: Path, name: str, n_c: int, n_mu: int, runs: int) -> Path:
    cs = [round(0.05 + 0.95 * i / max(1, n_c - 1), 4) for i in range(n_c)]
    mus = [round(0.01 * (i + 1), 3) for i in range(n_mu)]
    p = tmp / f"{name}.yaml"
    p.write_text(SWEEP.format(runs=runs, cs=cs, mus=mus))
    return p


def main() -> None:
    from distributed import LocalCluster

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        sc = scenario(tmp, "throughput", 10, 4, 10)
        n_reps = 10 * 4 * 10
        normsim(["run", str(sc), "--out", str(tmp / "warm"), "--runs", "1", "--json"])  # compile
        base = None
        ways = [("local, 1 worker", ["--workers", "1"]), ("local, 2 workers", ["--workers", "2"])]
        with LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0"
        ) as cluster:
            ways.append(
                ("Dask LocalCluster, 2 workers", ["--scheduler", cluster.scheduler_address])
            )
            for k, (name, extra) in enumerate(ways):
                secs, _ = normsim(["run", str(sc), "--out", str(tmp / f"o{k}"), "--json", *extra])
                rate = n_reps / secs
                base = base or rate
                print(
                    json.dumps(
                        {
                            "case": name,
                            "replicates": n_reps,
                            "seconds": round(secs, 2),
                            "replicates_per_s": round(rate, 1),
                            "ratio_to_1_worker": round(rate / base, 2),
                        }
                    ),
                    flush=True,
                )
        for n_c, n_mu in ((5, 4), (20, 10)):
            sc = scenario(tmp, f"mem{n_c * n_mu}", n_c, n_mu, 2)
            secs, rss = normsim(["run", str(sc), "--out", str(tmp / f"m{n_c * n_mu}"), "--json"])
            print(
                json.dumps(
                    {
                        "case": f"memory, {n_c * n_mu} conditions x 2 runs",
                        "seconds": round(secs, 2),
                        "coordinator_peak_rss_mb": round(rss / 1024, 1),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
