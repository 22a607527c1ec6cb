"""The theory modules' speed: the finite chain and the pair approximation.

    .venv/bin/python benchmarks/bench_theory.py [--quick]

Prints one JSON line per measurement (median of several repeats, seconds, after
one warm-up call so imports are not counted):

- ``finite_chain``: for Z = 1e3, 1e4, 1e5, building the chain and computing the
  fixation probability and all three absorption times from one B-player, the
  stationary distribution and the expected first passage to a share of 1/2
  from all-old (mu = 0.05; the "chain" figure), and the whole
  ``finite.analyse`` behind ``normsim analytic --model finite`` (which adds the
  threshold c by root finding and the old norm's stationary start);
- ``pair_trajectory``: one pair-approximation trajectory over 1000 generations
  (k = 4 and 8, with and without exploration, one shock at 500), the
  ``--model pair`` trajectory; and the fixed points and critical c beside it;
- ``pairwise_trajectory``: the same for the pairwise mean field.
Targets: the chain for Z = 1e4 under 1 s, a pair-approximation
trajectory under 0.1 s.
"""

from __future__ import annotations

import json
import statistics
import sys
import time


def timed(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    quick = "--quick" in sys.argv
    from normsim.game import CoordinationGame
    from normsim.theory import analytic, finite, pairapprox

    game = CoordinationGame(0.4, 0.6, 0.8)
    for Z in (1000, 10_000) if quick else (1000, 10_000, 100_000):

        def chain(Z=Z):
            ch = finite.BirthDeathChain(game, Z, 5.0, 0.05)
            ch.absorption(1)
            ch.stationary_distribution()
            ch.passage(0.5, 0)

        def whole(Z=Z):
            finite.analyse(0.4, 0.6, 0.8, Z, 5.0, 0.05, start="stationary")

        reps = 3 if quick else 7
        print(
            json.dumps(
                {
                    "bench": "finite_chain",
                    "Z": Z,
                    "chain_s": round(timed(chain, reps), 4),
                    "analyse_s": round(timed(whole, reps), 4),
                }
            ),
            flush=True,
        )
    for k in (4, 8):
        for mu in (0.0, 0.05):
            pa = pairapprox.PairApproximation(game, k, 5.0, mu)
            traj = timed(lambda pa=pa: pa.solve(0.05, 1000.0, shocks=[500.0]), 3 if quick else 10)
            fps = timed(pa.fixed_points, 1 if quick else 3)
            cc = timed(lambda k=k: pairapprox.critical_c(0.4, 0.6, k, 5.0), 1 if quick else 3)
            print(
                json.dumps(
                    {
                        "bench": "pair_trajectory",
                        "degree": k,
                        "mu": mu,
                        "trajectory_s": round(traj, 4),
                        "fixed_points_s": round(fps, 4),
                        "critical_c_s": round(cc, 4),
                    }
                ),
                flush=True,
            )
    for mu in (0.0, 0.05):
        pw = timed(
            lambda mu=mu: analytic.solve_pairwise(
                0.4, 0.6, 0.8, 5.0, mu, 0.05, 1000.0, shocks=[500.0]
            ),
            3 if quick else 10,
        )
        print(
            json.dumps({"bench": "pairwise_trajectory", "mu": mu, "trajectory_s": round(pw, 4)}),
            flush=True,
        )


if __name__ == "__main__":
    main()
