"""Best-response contagion on a graph (Morris 2000).

Deterministic, synchronous, without exploration: every agent revises at once from the
same state. An agent with ``n_A`` neighbours of norm A and ``n_B`` of norm B switches
iff the other norm's summed payoff is strictly higher (``pi(B) = n_A T + n_B P`` against
``pi(A) = n_A R + n_B S``, :meth:`normsim.game.MatrixGame.total_payoffs`); a tie keeps its norm. In
the *progressive* variant B never reverts to A (Morris's contagion). The process runs
until a state repeats: a fixed point or a cycle (synchronous best response can
oscillate, e.g. on a bipartite graph).

Morris's threshold-``q`` process: an agent takes B iff the share of B among its
neighbours is at least ``q`` (ties go to B). The contagion threshold of an infinite
graph is the largest ``q`` at which B spreads from some finite seed to everyone; for a
finite graph and a given seed :func:`seed_threshold` returns the largest ``q`` at
which the seed takes over (the progressive process's outcome changes only at the
ratios ``j / d`` of the degrees, so it is found exactly among them). Morris 2000 gives
1/2 for the ring and 1/(2m) for the m-dimensional lattice with nearest neighbours (1/4
on the von Neumann lattice); the tests confirm these and 3/8 for the Moore
neighbourhood by brute force on tori.

For normsim's game with ``b > a`` an agent switches to B iff ``(b - a)(n_A + n_B) > c
(b n_A - a n_B)``: the process changes only at the critical values ``c = (b - a) k /
(b n_A - a n_B)``. :func:`critical_c` evaluates the process at each of them and between
them, in exact rational arithmetic, and returns the supremum of the ``c`` at which B
takes over and whether it is attained.

Examples
--------
>>> import networkx as nx
>>> from normsim.game import CoordinationGame
>>> G = nx.cycle_graph(10)
>>> r = best_response_dynamics(G, [0, 1], CoordinationGame(0.4, 0.6, 0.3))
>>> r.takeover, r.rounds
(True, 2)
>>> seed_threshold(G, [0, 1])
0.5
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from math import comb

import networkx as nx
import numpy as np

from normsim.errors import NormsimError, check_number
from normsim.game import as_matrix_game
from normsim.theory.smallgraphs import GraphArrays, graph_arrays, node_mask

#: at most this many seed sets are tried by :func:`contagion_threshold`
MAX_SEED_SETS = 200_000


@dataclass(frozen=True)
class ContagionResult:
    """The outcome of a deterministic best-response process.

    ``final`` is the 0/1 state (1 = B) at the first repeated state; ``cycle_length`` is 1
    at a fixed point, more for an oscillation; ``rounds`` counts the synchronous rounds
    until the first repeated state was reached.
    """

    final: np.ndarray
    rounds: int
    cycle_length: int
    progressive: bool

    @property
    def takeover(self) -> bool:
        """Whether every agent ends with B (at a fixed point)."""
        return self.cycle_length == 1 and bool(self.final.all())

    @property
    def share_b(self) -> float:
        """Share of B in the final state."""
        return float(self.final.mean())

    def as_dict(self) -> dict:
        """Plain dict with self-describing names."""
        return {
            "takeover_by_b": self.takeover,
            "final_share_b": self.share_b,
            "final_b_nodes": np.flatnonzero(self.final).tolist(),
            "rounds": self.rounds,
            "cycle_length": self.cycle_length,
            "progressive": self.progressive,
        }


def _run(
    ga: GraphArrays,
    x0: np.ndarray,
    to_b: Callable[[np.ndarray, np.ndarray], np.ndarray],
    to_a: Callable[[np.ndarray, np.ndarray], np.ndarray],
    progressive: bool,
) -> ContagionResult:
    """Iterate the synchronous rule: ``to_b(n_b, k)`` / ``to_a(n_b, k)`` say which A / B
    agents switch, given their B neighbours and degrees."""
    x = x0.astype(np.int64).copy()
    k = ga.degree
    seen: dict[bytes, int] = {}
    t = 0
    while True:
        key = np.packbits(x.astype(np.uint8)).tobytes()
        if key in seen:
            return ContagionResult(x, t, t - seen[key], progressive)
        seen[key] = t
        n_b = ga.adjacency @ x
        up = (x == 0) & to_b(n_b, k)
        new = x.copy()
        new[up] = 1
        if not progressive:
            new[(x == 1) & to_a(n_b, k)] = 0
        x = new
        t += 1


def best_response_dynamics(
    G: nx.Graph, seed: Iterable, game: object, progressive: bool = False
) -> ContagionResult:
    """Synchronous best response without exploration from B at ``seed`` (A elsewhere).

    Switch iff the other norm's summed payoff is strictly higher (the payoffs as normsim
    sums them, so a tie is two equal floats); ``progressive``: B never reverts.
    """
    g = as_matrix_game(game)
    ga = graph_arrays(G)
    x0 = node_mask(ga, seed)

    def to_b(n_b: np.ndarray, k: np.ndarray) -> np.ndarray:
        pi_a, pi_b = g.total_payoffs(k - n_b, n_b)
        return np.asarray(pi_b > pi_a)

    def to_a(n_b: np.ndarray, k: np.ndarray) -> np.ndarray:
        pi_a, pi_b = g.total_payoffs(k - n_b, n_b)
        return np.asarray(pi_a > pi_b)

    return _run(ga, x0, to_b, to_a, progressive)


def threshold_dynamics(
    G: nx.Graph, seed: Iterable, q: float, progressive: bool = True
) -> ContagionResult:
    """Morris's threshold-``q`` process: B iff at least the share ``q`` of the neighbours
    hold B (an isolated agent keeps its norm); ``progressive`` (default): B never reverts.
    """
    q = check_number("q", q, low=0.0, high=1.0)
    ga = graph_arrays(G)
    qf = Fraction(q)

    def to_b(n_b: np.ndarray, k: np.ndarray) -> np.ndarray:
        return np.array(
            [kk > 0 and Fraction(int(nb), int(kk)) >= qf for nb, kk in zip(n_b, k, strict=True)]
        )

    def to_a(n_b: np.ndarray, k: np.ndarray) -> np.ndarray:
        return np.array(
            [kk > 0 and Fraction(int(nb), int(kk)) < qf for nb, kk in zip(n_b, k, strict=True)]
        )

    return _run(ga, node_mask(ga, seed), to_b, to_a, progressive)


def _ratio_run(ga: GraphArrays, x0: np.ndarray, q: Fraction) -> bool:
    """Whether the progressive threshold-q process takes over (integer test n_b >= q k)."""
    num, den = q.numerator, q.denominator

    def to_b(n_b: np.ndarray, k: np.ndarray) -> np.ndarray:
        return (k > 0) & (den * n_b >= num * k)

    return _run(ga, x0, to_b, to_b, True).takeover


def seed_threshold(G: nx.Graph, seed: Iterable) -> float:
    """The largest ``q`` at which the progressive threshold-``q`` process from ``seed``
    takes over the graph (0 if it never does, as at q = 0 on a disconnected graph).

    The outcome changes only at the ratios ``j / d`` (``d`` a degree, ``0 <= j <= d``)
    and takeover is monotone in ``q``, so the answer is the largest ratio that works.
    """
    ga = graph_arrays(G)
    x0 = node_mask(ga, seed)
    if x0.all():
        return 1.0
    ratios = sorted(
        {Fraction(j, int(d)) for d in set(ga.degree.tolist()) if d for j in range(d + 1)}
    )
    lo, hi = -1, len(ratios) - 1  # bisection on the sorted ratios (monotone outcome)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _ratio_run(ga, x0, ratios[mid]):
            lo = mid
        else:
            hi = mid - 1
    return float(ratios[lo]) if lo >= 0 else 0.0


def contagion_threshold(G: nx.Graph, seed_size: int) -> float:
    """The largest :func:`seed_threshold` over every seed of ``seed_size`` nodes
    (at most :data:`MAX_SEED_SETS` sets)."""
    n = G.number_of_nodes()
    if isinstance(seed_size, bool) or not isinstance(seed_size, int) or not 1 <= seed_size <= n:
        raise NormsimError(f"seed_size: {seed_size!r} must be an integer in [1, {n}]")
    if comb(n, seed_size) > MAX_SEED_SETS:
        raise NormsimError(
            f"seed_size: {comb(n, seed_size):,} seed sets of {seed_size} nodes are too many "
            f"(at most {MAX_SEED_SETS:,})"
        )
    return max(seed_threshold(G, s) for s in combinations(list(G.nodes), seed_size))


@dataclass(frozen=True)
class CriticalC:
    """The supremum ``c`` at which best response spreads B from a seed
    (:func:`critical_c`): ``attained`` says whether B also takes over at ``c`` itself;
    ``spreads_at_zero`` whether it does at ``c = 0``."""

    c: float | None
    attained: bool
    spreads_at_zero: bool
    candidates: int

    def as_dict(self) -> dict:
        """Plain dict with self-describing names."""
        return {
            "critical_c": self.c,
            "takeover_at_critical_c": self.attained,
            "takeover_at_c_zero": self.spreads_at_zero,
            "critical_values_checked": self.candidates,
        }


def critical_c(
    G: nx.Graph, seed: Iterable, a: float, b: float, progressive: bool = False
) -> CriticalC:
    """The largest need for coordination ``c`` at which best response spreads B (``b >
    a``) from ``seed`` to everyone, computed exactly.

    Every comparison is made in rational arithmetic on the given floats. The process
    changes only at ``c = (b - a) k / (b n_A - a n_B)`` (``k`` a degree, ``n_A + n_B =
    k``); it is run at each such value in [0, 1] and at one point of each interval
    between them. ``c`` is None when B takes over at no ``c`` in [0, 1].
    """
    a = check_number("a", a, low=0.0, low_open=True)
    b = check_number("b", b, low=0.0, low_open=True)
    if not b > a:
        raise NormsimError(f"critical c: needs b > a (B the better norm), got a={a:g}, b={b:g}")
    ga = graph_arrays(G)
    x0 = node_mask(ga, seed)
    fa, fb = Fraction(a), Fraction(b)
    degrees = sorted(set(ga.degree.tolist()) - {0})
    crit = {Fraction(0), Fraction(1)}
    for k in degrees:
        for nb in range(k + 1):
            den = fb * (k - nb) - fa * nb
            if den > 0:
                c = (fb - fa) * k / den
                if c <= 1:
                    crit.add(c)
    points = sorted(crit)
    probes = list(points) + [(p + q) / 2 for p, q in zip(points, points[1:], strict=False)]

    def spreads(c: Fraction) -> bool:
        # switching to B iff (b - a) k > c (b n_A - a n_B); to A iff the reverse
        table_b: dict[tuple[int, int], bool] = {}
        table_a: dict[tuple[int, int], bool] = {}
        for k in degrees:
            for nb in range(k + 1):
                lhs, rhs = (fb - fa) * k, c * (fb * (k - nb) - fa * nb)
                table_b[k, nb] = lhs > rhs
                table_a[k, nb] = lhs < rhs

        def to_b(n_b: np.ndarray, kk: np.ndarray) -> np.ndarray:
            return np.array(
                [d > 0 and table_b[int(d), int(m)] for m, d in zip(n_b, kk, strict=True)]
            )

        def to_a(n_b: np.ndarray, kk: np.ndarray) -> np.ndarray:
            return np.array(
                [d > 0 and table_a[int(d), int(m)] for m, d in zip(n_b, kk, strict=True)]
            )

        return _run(ga, x0, to_b, to_a, progressive).takeover

    ok = {p: spreads(p) for p in probes}
    good = [p for p, v in ok.items() if v]
    if not good:
        return CriticalC(None, False, False, len(points))
    sup = max(good)
    # an interval point that works means the supremum is the next critical value, open
    if sup not in crit:
        nxt = min(p for p in points if p > sup)
        return CriticalC(float(nxt), ok[nxt], ok[Fraction(0)], len(points))
    return CriticalC(float(sup), True, ok[Fraction(0)], len(points))
