"""Studies: the sensitivity and calibration demos' wall time, and memory against design size.

    .venv/bin/python benchmarks/bench_studies.py            # everything (about 10-15 min)
    .venv/bin/python benchmarks/bench_studies.py --memory   # only the memory cases

Prints one JSON line per case, each measured in a child process (the
coordinating process; its peak RSS from getrusage, workers excluded):

* ``scenarios/sensitivity.yaml`` run from scratch (all cores) and then its
  analysis (``normsim sensitivity``);
* the calibration demo (``scenarios/calibrate_demo.yaml`` against
  ``scenarios/data/observed_demo.csv``, the README's command);
* memory against the number of design points: the sensitivity design (4
  parameters) on a small fast model (100 agents, 40 generations, 1 run) at the
  demo's size (Sobol', N = 256: 1536 points), at 8x (N = 2048: 12288 points;
  Sobol' needs a power of 2) and at 10x with a Latin hypercube of 15360
  points, each run and analysed. Results go to the store as they arrive; what
  the coordinator keeps per point is its condition (the validated scenario)
  and its design row.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = (
    "import resource, sys; from normsim.cli import main; code = main(sys.argv[1:]); "
    "print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); "
    "sys.exit(code)"
)
SMALL = [
    "--set",
    "population.network.n=100",
    "--set",
    "schedule.generations=40",
    "--set",
    "schedule.shocks=[20]",
    "--runs",
    "1",
]


def normsim(args: list[str]) -> tuple[float, float]:
    """Wall seconds and the child's peak RSS in MB."""
    t0 = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-c", CHILD, *args], capture_output=True, text=True, cwd=ROOT
    )
    if r.returncode != 0:
        raise SystemExit(r.stderr[-2000:])
    rss = int(r.stderr.strip().splitlines()[-1].split()[1])
    return time.perf_counter() - t0, rss / 1024


def load() -> float:
    return os.getloadavg()[0]


def emit(**kw) -> None:
    print(json.dumps(kw), flush=True)


def demos(tmp: Path) -> None:
    out = tmp / "sens"
    l0 = load()
    secs, rss = normsim(["run", "scenarios/sensitivity.yaml", "--out", str(out)])
    emit(
        case="scenarios/sensitivity.yaml: normsim run (1536 points x 4 runs, all cores)",
        seconds=round(secs, 1),
        coordinator_peak_rss_mb=round(rss, 1),
        load_before=round(l0, 2),
        load_after=round(load(), 2),
        cores=os.cpu_count(),
    )
    secs, rss = normsim(["sensitivity", str(out), "--output", "final_share"])
    emit(
        case="normsim sensitivity of that store (another output)",
        seconds=round(secs, 1),
        peak_rss_mb=round(rss, 1),
    )
    l0 = load()
    secs, rss = normsim(
        [
            "calibrate",
            "scenarios/calibrate_demo.yaml",
            "--observed",
            "scenarios/data/observed_demo.csv",
            "--fit",
            "game.c,dynamics.exploration",
            "--prior",
            "dynamics.exploration=0,0.1",
            "--out",
            str(tmp / "cal"),
            "--json",
        ]
    )
    js = json.loads((tmp / "cal" / "calibration.json").read_text())
    emit(
        case="calibration demo (README command, all cores)",
        seconds=round(secs, 1),
        coordinator_peak_rss_mb=round(rss, 1),
        simulations=js["simulations"],
        populations=len(js["populations"]),
        posterior={
            k: {"mean": round(v["mean"], 4), "ci90": [round(x, 4) for x in v["ci90"]]}
            for k, v in js["posterior"].items()
        },
        load_before=round(l0, 2),
        load_after=round(load(), 2),
    )


def memory(tmp: Path) -> None:
    cases = [
        ("sobol, N = 256 (the demo's 1536 points)", ["--set", "design.samples=256"]),
        ("sobol, N = 2048 (12288 points, 8x)", ["--set", "design.samples=2048"]),
        (
            "lhs, 15360 points (10x)",
            ["--set", "design.method=lhs", "--set", "design.samples=15360"],
        ),
    ]
    for k, (name, extra) in enumerate(cases):
        out = tmp / f"m{k}"
        secs, rss = normsim(
            ["run", "scenarios/sensitivity.yaml", "--out", str(out), "--json", *SMALL, *extra]
        )
        asecs, arss = normsim(["sensitivity", str(out), "--json", "--no-plots"])
        emit(
            case=f"memory: {name}, 100 agents x 40 generations x 1 run",
            run_seconds=round(secs, 1),
            run_peak_rss_mb=round(rss, 1),
            sensitivity_seconds=round(asecs, 1),
            sensitivity_peak_rss_mb=round(arss, 1),
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--memory", action="store_true", help="only the memory cases")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        if not args.memory:
            demos(Path(d))
        memory(Path(d))


if __name__ == "__main__":
    main()
