"""The speed of the small-mutation limit of k norms and of the naming game's mean field.

    .venv/bin/python benchmarks/bench_conventions.py [--quick]

Prints one JSON line per measurement (median of several repeats, seconds, after one
warm-up call so imports are not counted):

- ``small_mutation``: ``SmallMutationLimit`` and its stationary distribution for
  k = 8 norms (the coordination game) and Z = 1e3, 1e4 (and 1e5), weak and strong
  selection (beta = 1 and 1000); target: k = 8, Z = 1000 under 1 s;
- ``naming``: ``analyse_naming`` (fixed points, p_c and the integration from all-B)
  just above p_c and well above it.
"""

from __future__ import annotations

import json
import sys

from bench_theory import timed  # the median of repeats after a warm-up call


def main() -> None:
    quick = "--quick" in sys.argv
    from normsim.theory import naming, small_mutation

    d = [1.0, 0.9, 0.8, 0.7, 0.95, 0.85, 0.75, 0.65]
    m = small_mutation.coordination_matrix(d, 0.5)
    reps = 3 if quick else 7
    for Z in (1000, 10_000) if quick else (1000, 10_000, 100_000):
        for beta in (1.0, 1000.0):

            def sml(Z=Z, beta=beta):
                small_mutation.SmallMutationLimit(m, Z, beta).log_stationary_distribution()

            print(
                json.dumps(
                    {
                        "bench": "small_mutation",
                        "norms": len(d),
                        "population": Z,
                        "beta": beta,
                        "seconds": timed(sml, reps),
                    }
                )
            )
    for p in (0.1, 0.3):
        print(
            json.dumps(
                {
                    "bench": "naming",
                    "committed": p,
                    "seconds": timed(lambda p=p: naming.analyse_naming(p), reps),
                }
            )
        )


if __name__ == "__main__":
    main()
