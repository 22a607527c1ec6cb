"""Validation time of large scenario files: one JSON line per case.

    .venv/bin/python benchmarks/bench_validate.py

Each file at the 10 MiB size limit (the shapes of tests/scenario/test_hostile_validate.py:
a sweep list, committed nodes, a flow mapping, comments, a long description) is validated
in this process, after a first call that does the imports; the target is under 2 s each.
Then a list of 20,000 and one of 40,000 values: twice the values should take about twice
the time (``ratio`` near 2, not 4), as validation is linear in the file.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path[:0] = [str(TESTS), str(TESTS / "scenario")]  # the helpers, the validation test

from test_hostile_validate import BASE, SHAPES  # noqa: E402

from support.clirun import normsim  # noqa: E402


def seconds(path: Path) -> float:
    t0 = time.perf_counter()
    normsim("validate", path)
    return time.perf_counter() - t0


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        normsim("validate", d / "none.yaml")  # imports before the clock starts
        for shape, text, _ in SHAPES:
            p = d / "big.yaml"
            p.write_text(text)
            print(
                json.dumps(
                    {"case": shape, "bytes": len(text.encode()), "seconds": round(seconds(p), 3)}
                ),
                flush=True,
            )
        times = []
        for n in (20_000, 40_000):
            p = d / f"s{n}.yaml"
            p.write_text(BASE + "description: [" + ", ".join(["0.5"] * n) + "]\n")
            times.append(seconds(p))
        print(
            json.dumps(
                {
                    "case": "20,000 then 40,000 values",
                    "seconds": [round(t, 3) for t in times],
                    "ratio": round(times[1] / times[0], 2),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
