"""Kandori-Mailath-Rob: noisy best response in a well-mixed population (KMR 1993).

``N`` agents, each playing every other once (the complete graph, no self-play). A
revising agent explores with probability ``mu`` (takes a uniformly random norm, so B
with probability ``mu / 2``); otherwise it switches to the other norm iff that norm's
summed payoff against the ``N - 1`` others is strictly higher (a tie keeps its norm).
The game is a general symmetric 2x2 matrix (:class:`normsim.game.MatrixGame`). With
``z`` agents of norm B, an A agent becomes B with probability ``p_AB(z) = (1 - mu)
[pi_B > pi_A] + mu / 2`` and a B agent becomes A with ``p_BA(z)`` likewise.

Two orders of revision, each a Markov chain on ``z = 0..N``:

- ``asynchronous``: one uniformly drawn agent per elementary step, ``N`` steps a
  generation: a birth-death chain with ``T+(z) = (N - z)/N p_AB(z)`` and ``T-(z) = z/N
  p_BA(z)``; its stationary law by detailed balance and its first-passage times by the
  recursion ``tau_j = 1/T+(j) + T-(j)/T+(j) tau_{j-1}`` (time to go from ``j`` to
  ``j + 1``), both in log space, exact for any ``N``;
- ``synchronous``: every agent revises at once from the same state (KMR's own
  dynamic): ``z' = Bin(N - z, p_AB(z)) + Bin(z, 1 - p_BA(z))``, a convolution of two
  binomials; its stationary law by the GTH algorithm (Grassmann, Taksar & Heyman 1985)
  and its first-passage times by state reduction, both without subtraction. GTH needs
  every state's probability of moving down to be representable: when one underflows
  (large ``N`` with small ``mu``) the stationary law is not computed. A time
  beyond :data:`MAX_EXACT_TIME` generations is not resolved in floating point and is
  reported as None beside the two-state estimate's log10.

The two-state reduction: the basin of all-B is the set of states from which the
noiseless dynamic (``mu = 0``) reaches all-B for sure; for the synchronous order it is
found by iterating the noiseless map, which can overshoot (A agents switch while B
agents switch back), not from the mutants' own best response. The reduced chain's rate
from all-A to all-B is the probability of one generation's jump from all-A into all-B's
basin (synchronous), or the reciprocal of the exact expected time to enter the basin
(asynchronous). As ``mu -> 0`` the stationary law concentrates on the risk-dominant
norm's consensus in a large enough population (KMR 1993; Young 1993).

Examples
--------
>>> from normsim.game import CoordinationGame
>>> ch = KMRChain(CoordinationGame(0.4, 0.6, 0.8), population=20, mu=0.05)
>>> ch.basin_boundary_b()
8
>>> round(float(ch.stationary_distribution()[-1]), 4)
0.6027
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from normsim.errors import NormsimError, check_number
from normsim.game import MatrixGame, as_matrix_game

ORDERS = ("asynchronous", "synchronous")
#: the largest expected time (generations) the synchronous chain's state reduction reports
MAX_EXACT_TIME = 1e250
_LN10 = math.log(10.0)


def _logsumexp(x: np.ndarray) -> float:
    if x.size == 0:
        return -math.inf
    m = float(np.max(x))
    if m == -math.inf:
        return -math.inf
    return m + math.log(float(np.sum(np.exp(x - m))))


def _log10(x: float) -> float | None:
    return None if x == -math.inf else x / _LN10


def passage_time_reduction(P: np.ndarray, start: int, target: np.ndarray) -> float:
    """Expected number of steps from ``start`` until the chain ``P`` first enters the
    states where ``target`` is True, by state reduction (no subtraction: Kohlas 1986).

    Eliminating a transient state ``e`` adds ``P[i, e] P[e, j] / out(e)`` to ``P[i, j]``
    and ``P[i, e] t(e) / out(e)`` to ``t(i)`` (``out(e)`` = probability of leaving ``e``
    to the states still present, a sum, ``t`` = expected time per visit). inf when the
    target cannot be reached from ``start`` with probability 1.
    """
    target = np.asarray(target, dtype=bool)
    if target[start]:
        return 0.0
    n = P.shape[0]
    others = [i for i in range(n) if i != start and not target[i]]
    order = [start, *np.flatnonzero(target).tolist(), *others]
    M = np.array(P, dtype=float)[np.ix_(order, order)]
    t = np.ones(n)
    n_keep = 1 + int(target.sum())
    for k in range(n - 1, n_keep - 1, -1):
        row = M[k, :k]
        out = float(row.sum())
        col = M[:k, k].copy()
        if out == 0.0:  # a trap: never leaves (to the states still present)
            t[:k] = np.where(col > 0, np.inf, t[:k])
            continue
        w = col / out
        M[:k, :k] += np.outer(w, row)
        with np.errstate(invalid="ignore"):
            t[:k] += np.where(w > 0, w * t[k], 0.0)
    leave = float(M[0, 1:n_keep].sum())
    return math.inf if leave == 0.0 else float(t[0] / leave)


def gth_stationary(P: np.ndarray) -> np.ndarray:
    """Stationary distribution of an irreducible chain by the GTH algorithm (Grassmann,
    Taksar & Heyman 1985): state elimination without subtraction, accurate to every
    entry's relative precision (entries below the float range are 0)."""
    A = np.array(P, dtype=float)
    n = A.shape[0]
    for k in range(n - 1, 0, -1):
        s = float(A[k, :k].sum())
        if s == 0.0:
            raise NormsimError(
                "the chain is not irreducible, or a transition probability it needs lies "
                "below the float range (about 1e-308): no stationary law computed"
            )
        A[:k, k] /= s
        A[:k, :k] += np.outer(A[:k, k], A[k, :k])
    pi = np.zeros(n)
    pi[0] = 1.0
    for j in range(1, n):
        pi[j] = float(np.dot(pi[:j], A[:j, j]))
    return pi / pi.sum()


class KMRChain:
    """Noisy best response of ``population`` agents on the complete graph.

    Parameters
    ----------
    game : MatrixGame or CoordinationGame
        The symmetric 2x2 game.
    population : int
        ``N >= 2``.
    mu : float
        Exploration rate in [0, 1].
    order : str
        ``"asynchronous"`` (one agent per elementary step) or ``"synchronous"``.
    """

    def __init__(
        self, game: object, population: int, mu: float, order: str = "asynchronous"
    ) -> None:
        self.game: MatrixGame = as_matrix_game(game)
        if isinstance(population, bool) or not isinstance(population, (int, np.integer)):
            raise NormsimError(f"population: {population!r} is not an integer")
        if population < 2:
            raise NormsimError(f"population: {population} must be >= 2")
        self.N = int(population)
        self.mu = check_number("mu", mu, low=0.0, high=1.0)
        if order not in ORDERS:
            raise NormsimError(f"order: {order!r} is not one of {', '.join(ORDERS)}")
        self.order = order
        N, g = self.N, self.game
        z = np.arange(N + 1)
        # an A agent at z (N - 1 - z A others, z B others); a B agent (N - z, z - 1)
        pa_a, pa_b = g.total_payoffs(N - 1 - z, z)
        pb_a, pb_b = g.total_payoffs(N - z, z - 1)
        #: noiseless best responses (an A agent at z switches to B; a B agent to A)
        self.a_to_b = (pa_b > pa_a) & (z < N)
        self.b_to_a = (pb_a > pb_b) & (z > 0)
        keep = 1.0 - self.mu
        self.p_ab = keep * self.a_to_b + self.mu / 2.0
        self.p_ba = keep * self.b_to_a + self.mu / 2.0

    # ------------------------------------------------------------------ noiseless dynamic
    def noiseless_map(self) -> np.ndarray:
        """Synchronous noiseless map ``z -> f(z)``: all A agents switch or none, likewise B."""
        z = np.arange(self.N + 1)
        return (self.N - z) * self.a_to_b + z * (~self.b_to_a)

    def basins(self) -> tuple[np.ndarray, np.ndarray]:
        """Boolean arrays over ``z``: the basins of all-A and of all-B (the states from
        which the noiseless dynamic of this order reaches that consensus for sure)."""
        N = self.N
        if self.order == "synchronous":
            f = self.noiseless_map()
            out = []
            for goal in (0, N):
                reach = np.zeros(N + 1, dtype=bool)
                if f[goal] == goal:
                    for z0 in range(N + 1):
                        z, seen = z0, set()
                        while z not in seen and z != goal:
                            seen.add(z)
                            z = int(f[z])
                        reach[z0] = z == goal
                out.append(reach)
            return out[0], out[1]
        up = self.a_to_b
        down = self.b_to_a
        hi = np.arange(N + 1)
        for z in range(N - 1, -1, -1):
            if up[z]:
                hi[z] = hi[z + 1]
        lo = np.arange(N + 1)
        for z in range(1, N + 1):
            if down[z]:
                lo[z] = lo[z - 1]
        # reach N for sure: every state reachable from z reaches N
        to_n = np.concatenate([[0], np.cumsum(hi == N)])
        to_0 = np.concatenate([[0], np.cumsum(lo == 0)])
        basin_b = np.array(
            [to_n[hi[z] + 1] - to_n[lo[z]] == hi[z] - lo[z] + 1 for z in range(N + 1)]
        ) & (not down[N])
        basin_a = np.array(
            [to_0[hi[z] + 1] - to_0[lo[z]] == hi[z] - lo[z] + 1 for z in range(N + 1)]
        ) & (not up[0])
        return basin_a, basin_b

    def basin_boundary_b(self) -> int | None:
        """The fewest B agents from which the noiseless dynamic reaches all-B (None: never)."""
        b = np.flatnonzero(self.basins()[1])
        return int(b[0]) if b.size else None

    def basin_boundary_a(self) -> int | None:
        """The most B agents from which the noiseless dynamic reaches all-A (None: never)."""
        a = np.flatnonzero(self.basins()[0])
        return int(a[-1]) if a.size else None

    # ------------------------------------------------------------------ the chain
    def transition_matrix(self) -> np.ndarray:
        """The ``(N+1) x (N+1)`` transition matrix of one elementary step (asynchronous)
        or of one generation (synchronous)."""
        N = self.N
        z = np.arange(N + 1)
        P = np.zeros((N + 1, N + 1))
        if self.order == "asynchronous":
            up = (N - z) / N * self.p_ab
            down = z / N * self.p_ba
            P[z[:-1], z[:-1] + 1] = up[:-1]
            P[z[1:], z[1:] - 1] = down[1:]
            P[z, z] = 1.0 - up - down
            return P
        for k in range(N + 1):
            x = stats.binom.pmf(np.arange(N - k + 1), N - k, self.p_ab[k])
            y = stats.binom.pmf(np.arange(k + 1), k, 1.0 - self.p_ba[k])
            P[k] = np.convolve(x, y)
        return P

    def _log_rates(self) -> tuple[np.ndarray, np.ndarray]:
        N = self.N
        z = np.arange(N + 1)
        with np.errstate(divide="ignore"):
            lu = np.log((N - z) / N) + np.log(self.p_ab)
            ld = np.log(z / N) + np.log(self.p_ba)
        return lu, ld

    def log_stationary(self) -> np.ndarray:
        """log of the stationary distribution over ``z`` (needs ``mu > 0``)."""
        if self.mu == 0.0:
            raise NormsimError("mu: the stationary law needs exploration (mu > 0)")
        if self.order == "asynchronous":
            lu, ld = self._log_rates()
            logw = np.concatenate([[0.0], np.cumsum(lu[:-1] - ld[1:])])
            return logw - _logsumexp(logw)
        with np.errstate(divide="ignore"):
            return np.log(gth_stationary(self.transition_matrix()))

    def stationary_distribution(self) -> np.ndarray:
        """The stationary distribution over ``z = 0..N`` (needs ``mu > 0``)."""
        return np.exp(self.log_stationary())

    def log_passage_steps(self, start: int, target_min: int) -> float:
        """Asynchronous: log of the expected elementary steps from ``start`` until ``z``
        first reaches ``target_min`` or more (a birth-death chain passes every state)."""
        lu, ld = self._log_rates()
        log_t = -math.inf
        total = -math.inf
        for j in range(target_min):
            # tau_j = 1/T+(j) + T-(j)/T+(j) tau_{j-1}: time to go from j to j+1
            if lu[j] == -math.inf:
                log_t = math.inf
            elif log_t == math.inf:
                pass
            else:
                log_t = float(np.logaddexp(-lu[j], ld[j] - lu[j] + log_t))
            if j >= start:
                total = math.inf if log_t == math.inf else float(np.logaddexp(total, log_t))
        return total

    def waiting_time(self, target: str = "all-B") -> dict:
        """Expected generations from all-A until the state first is all-B (``"all-B"``) or
        first enters all-B's basin (``"basin-B"``), with its log10.

        ``generations`` is None when it exceeds the float range (asynchronous) or
        :data:`MAX_EXACT_TIME` (synchronous); ``log10_generations`` is exact (asynchronous)
        or, beyond that, the two-state estimate's (synchronous; ``exact`` says which).
        """
        N = self.N
        if target == "all-B":
            goal = np.arange(N + 1) == N
        elif target == "basin-B":
            goal = self.basins()[1]
        else:
            raise NormsimError(f"target: {target!r} is not all-B or basin-B")

        def result(t: float | None, log10_t: float | None, exact: bool = True) -> dict:
            return {
                "target": target,
                "generations": t,
                "log10_generations": log10_t,
                "exact": exact,
                "reached": True,
            }

        never = result(None, None) | {"reached": False}
        if not goal.any():
            return never
        if self.order == "asynchronous":
            m = int(np.flatnonzero(goal)[0])
            lt = self.log_passage_steps(0, m) - math.log(N)
            if lt == math.inf:
                return never
            return result(math.exp(lt) if lt < 709.0 else None, lt / _LN10)
        t = passage_time_reduction(self.transition_matrix(), 0, goal)
        if t <= MAX_EXACT_TIME:
            return result(t, math.log10(t) if t > 0 else None)
        est = self.two_state()["log_rate_a_to_b"]
        if est == -math.inf:
            return never
        return result(None, -est / _LN10, exact=False)

    def two_state(self) -> dict:
        """The two-state reduction: basin boundaries and the reduced chain's log rates per
        generation (natural log) from all-A to all-B and back."""
        N = self.N
        basin_a, basin_b = self.basins()
        if self.order == "synchronous":

            def jump(p: float, into: np.ndarray) -> float:
                return _logsumexp(stats.binom.logpmf(np.flatnonzero(into), N, p))

            up = jump(float(self.p_ab[0]), basin_b)  # from all-A: z' ~ Bin(N, p_AB(0))
            down = jump(float(1.0 - self.p_ba[N]), basin_a)  # from all-B: z' ~ Bin(N, 1 - p_BA)
        else:
            kb = np.flatnonzero(basin_b)
            ka = np.flatnonzero(basin_a)
            lu, ld = self._log_rates()
            up = -math.inf
            if kb.size:
                lt = self.log_passage_steps(0, int(kb[0]))
                up = -(lt - math.log(N)) if lt != math.inf else -math.inf
            down = -math.inf
            if ka.size:
                # mirror: from all-B down to the largest state of all-A's basin
                mirror = KMRChain(self.game.shocked(), N, self.mu, self.order)
                lt = mirror.log_passage_steps(0, N - int(ka[-1]))
                down = -(lt - math.log(N)) if lt != math.inf else -math.inf
        return {
            "basin_boundary_b": self.basin_boundary_b(),
            "basin_boundary_a": self.basin_boundary_a(),
            "basin_size_a": int(basin_a.sum()),
            "basin_size_b": int(basin_b.sum()),
            "log_rate_a_to_b": up,
            "log_rate_b_to_a": down,
        }

    def analyse(self) -> dict:
        """Everything at once, as a plain dict with self-describing names."""
        ts = self.two_state()
        basin_a, basin_b = self.basins()
        out: dict = {
            "model": "kmr",
            "order": self.order,
            "population": self.N,
            "mu": self.mu,
            "game": self.game.as_dict(),
            "risk_dominant_norm": {0: "A", 1: "B", None: None}[self.game.risk_dominant_norm()],
            "basin_boundary_b": ts["basin_boundary_b"],
            "basin_boundary_a": ts["basin_boundary_a"],
            "basin_states_a": ts["basin_size_a"],
            "basin_states_b": ts["basin_size_b"],
            "reduced_log10_rate_a_to_b_per_generation": _log10(ts["log_rate_a_to_b"]),
            "reduced_log10_rate_b_to_a_per_generation": _log10(ts["log_rate_b_to_a"]),
            "waiting_time_all_a_to_all_b": self.waiting_time("all-B"),
            "waiting_time_all_a_to_basin_b": self.waiting_time("basin-B"),
            "time_unit": "generations"
            + (" (N elementary steps)" if self.order == "asynchronous" else ""),
        }
        lp = None
        if self.mu > 0:
            try:
                lp = self.log_stationary()
            except NormsimError as e:
                out["stationary_unavailable"] = str(e)
        if lp is not None:
            p = np.exp(lp)
            out["stationary"] = {
                "expected_share_b": float(np.dot(p, np.arange(self.N + 1)) / self.N),
                "prob_all_a": float(p[0]),
                "prob_all_b": float(p[-1]),
                "log10_prob_all_a": _log10(float(lp[0])),
                "log10_prob_all_b": _log10(float(lp[-1])),
                "mass_in_basin_a": float(p[basin_a].sum()),
                "mass_in_basin_b": float(p[basin_b].sum()),
            }
        else:
            out["stationary"] = None
        return out
