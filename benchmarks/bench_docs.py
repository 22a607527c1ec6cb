"""How long each tutorial notebook takes to run, and the whole documentation build.

    .venv/bin/python benchmarks/bench_docs.py            # every tutorial, then the build
    .venv/bin/python benchmarks/bench_docs.py --no-build # only the tutorials

Each notebook in docs/tutorials/ is executed with nbclient (as the documentation build
does) in a fresh temporary directory. Prints one JSON line per notebook with its wall
time and the CPU time (user + system) of the kernel and every process it started,
and one for ``bash scripts/docs.sh``. On a busy machine the wall time grows with the
load; the CPU time divided by the cores gives the wall time an idle machine needs
at least.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_notebook(path: Path) -> dict:
    """Execute one notebook in a fresh subprocess (so its CPU time is counted alone)."""
    code = (
        "import sys, nbformat; from nbclient import NotebookClient; "
        "nb = nbformat.read(sys.argv[1], as_version=4); "
        "NotebookClient(nb, timeout=600, kernel_name='python3', "
        "resources={'metadata': {'path': sys.argv[2]}}).execute()"
    )
    with tempfile.TemporaryDirectory() as tmp:
        cpu0, t0 = _cpu(), time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", code, str(path), tmp],
            capture_output=True,
            text=True,
            env=dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False"),
        )
        wall, cpu = time.perf_counter() - t0, _cpu() - cpu0
    return {
        "bench": "tutorial",
        "notebook": path.name,
        "ok": proc.returncode == 0,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "cores": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-build", action="store_true", help="skip the whole documentation build")
    args = ap.parse_args()
    for nb in sorted((ROOT / "docs" / "tutorials").glob("*.ipynb")):
        print(json.dumps(run_notebook(nb)), flush=True)
    if not args.no_build:
        with tempfile.TemporaryDirectory() as tmp:
            cpu0, t0 = _cpu(), time.perf_counter()
            proc = subprocess.run(
                ["bash", str(ROOT / "scripts" / "docs.sh"), f"{tmp}/html"],
                capture_output=True,
                text=True,
            )
            print(
                json.dumps(
                    {
                        "bench": "docs_build",
                        "ok": proc.returncode == 0,
                        "wall_s": round(time.perf_counter() - t0, 1),
                        "cpu_s": round(_cpu() - cpu0, 1),
                        "cores": os.cpu_count(),
                        "load_avg_1m": round(os.getloadavg()[0], 1),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
