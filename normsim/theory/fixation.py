"""Fixation of a norm on a small graph: voter and Moran processes, solved exactly.

Each process is an absorbing Markov chain on the ``2^N`` states of the graph (bit ``i``
of a state is node ``i``'s norm, 1 = B); the probability that B fixes, ``phi``, solves
``phi = P phi`` with ``phi(all A) = 0`` and ``phi(all B) = 1`` (a sparse linear solve,
at most :data:`MAX_NODES` nodes). The rules, all asynchronous (one event per step):

- ``voter``: a uniformly random agent copies a uniformly random neighbour;
- ``death-birth``: a uniformly random agent ``i`` is replaced by the norm of a
  neighbour ``j`` chosen with probability proportional to its fitness ``1 - w + w pi_j``
  (``pi_j`` the summed payoff, :meth:`normsim.game.MatrixGame.total_payoffs`);
- ``birth-death``: an agent ``j`` chosen among all ``N`` with probability proportional
  to fitness reproduces onto a uniformly random neighbour.

Without selection (``w = 0``) the closed forms hold on any connected graph: for the
voter model (and death-birth, the same process at ``w = 0``) the degree-weighted share
``sum_{i in B} k_i / 2E`` is a martingale, so it is the fixation probability
(:func:`voter_fixation_formula`); for birth-death it is ``sum_{i in B} (1/k_i) /
sum_j (1/k_j)`` (:func:`birth_death_neutral_formula`; Antal, Redner & Sood 2006).
Weak-selection results on graphs: Ohtsuki et al. 2006.

:func:`synchronous_voter` solves the voter model in the synchronous order (every agent
copies a random neighbour at once) on a small graph, and :func:`star_synchronous_voter`
on a star of any size by its chain on (centre's norm, B leaves); on a bipartite graph
the synchronous order can oscillate for ever, so both report the probability of that
too.

Examples
--------
>>> import networkx as nx
>>> G = nx.star_graph(4)
>>> round(fixation_probability(G, [0], rule="voter"), 12)
0.5
>>> voter_fixation_formula(G, [0])
0.5
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.sparse import csgraph
from scipy.sparse import linalg as splinalg

from normsim.errors import NormsimError, check_number
from normsim.game import MatrixGame, as_matrix_game
from normsim.theory.smallgraphs import (
    GraphArrays,
    check_enumerable,
    graph_arrays,
    node_mask,
    state_bits,
    state_of,
)

RULES = ("voter", "death-birth", "birth-death")
#: the largest graph whose 2^N states are solved
MAX_NODES = 12
#: the largest graph whose synchronous voter chain (dense 2^N x 2^N) is built
MAX_SYNC_NODES = 10


def _connected(ga: GraphArrays) -> None:
    if ga.n < 2 or csgraph.connected_components(ga.adjacency, directed=False)[0] != 1:
        raise NormsimError("graph: fixation needs a connected graph of at least 2 nodes")


def flip_probabilities(
    G: nx.Graph, rule: str, game: object | None = None, w: float = 0.0
) -> np.ndarray:
    """``N x 2^N``: the probability that node ``i`` changes its norm in one step from each
    state (``game`` and ``w`` only for the Moran rules; fitness ``1 - w + w pi``)."""
    if rule not in RULES:
        raise NormsimError(f"rule: {rule!r} is not one of {', '.join(RULES)}")
    w = check_number("w", w, low=0.0, high=1.0)
    ga = graph_arrays(G)
    check_enumerable(ga.n, MAX_NODES, "the fixation chain")
    _connected(ga)
    n = ga.n
    bits = state_bits(n).astype(np.int64)
    adj = ga.adjacency.astype(float)
    k = ga.degree.astype(float)[:, None]
    n_b = adj @ bits.astype(float)
    # neighbours of the other norm
    other = np.where(bits == 1, k - n_b, n_b)
    if rule == "voter":
        return other / k / n
    g = as_matrix_game(game if game is not None else MatrixGame(1.0, 1.0, 1.0, 1.0))  # neutral
    pi_a, pi_b = g.total_payoffs(k - n_b, n_b)
    pi = np.where(bits == 1, pi_b, pi_a)
    fit = 1.0 - w + w * pi
    if (fit <= 0).any():
        raise NormsimError(
            f"w: {w:g} makes a fitness 1 - w + w pi non-positive for some state "
            "(take a smaller w or non-negative payoffs)"
        )
    fb = fit * bits  # fitness held by B agents
    fa = fit * (1 - bits)
    if rule == "death-birth":
        tot = adj @ fit
        from_other = np.where(bits == 1, adj @ fa, adj @ fb)
        return from_other / tot / n
    # birth-death: j chosen by fitness among all, onto a random neighbour (1 / k_j)
    F = fit.sum(axis=0, keepdims=True)
    from_other = np.where(bits == 1, adj @ (fa / k), adj @ (fb / k))
    return from_other / F


def fixation_probabilities(
    G: nx.Graph, rule: str = "voter", game: object | None = None, w: float = 0.0
) -> np.ndarray:
    """The fixation probability of B from every state (length ``2^N``)."""
    p = flip_probabilities(G, rule, game, w)
    n, m = p.shape
    states = np.arange(m, dtype=np.int64)
    full = m - 1
    trans = (states != 0) & (states != full)
    idx = -np.ones(m, dtype=np.int64)
    ts = states[trans]
    idx[ts] = np.arange(ts.size)
    rows, cols, vals = [], [], []
    rhs = np.zeros(ts.size)
    out = p[:, trans].sum(axis=0)  # probability of leaving (a sum: no 1 - P[s, s])
    for i in range(n):
        dest = ts ^ (1 << i)
        pi = p[i, trans]
        inner = idx[dest] >= 0
        rows.append(np.flatnonzero(inner))
        cols.append(idx[dest[inner]])
        vals.append(-pi[inner])
        rhs += np.where(dest == full, pi, 0.0)
    rows.append(np.arange(ts.size))
    cols.append(np.arange(ts.size))
    vals.append(out)
    M = sparse.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(ts.size, ts.size),
    )
    phi = np.zeros(m)
    phi[full] = 1.0
    phi[trans] = splinalg.spsolve(M, rhs, permc_spec="MMD_AT_PLUS_A")
    return phi


def fixation_probability(
    G: nx.Graph,
    b_nodes: Iterable | None = None,
    rule: str = "voter",
    game: object | None = None,
    w: float = 0.0,
) -> float:
    """Fixation probability of B from B at ``b_nodes`` (A elsewhere); ``None``: a single B
    at each node in turn, averaged uniformly over the nodes."""
    phi = fixation_probabilities(G, rule, game, w)
    ga = graph_arrays(G)
    if b_nodes is None:
        return float(np.mean([phi[1 << i] for i in range(ga.n)]))
    return float(phi[state_of(node_mask(ga, b_nodes, "b_nodes"))])


def voter_fixation_formula(G: nx.Graph, b_nodes: Iterable) -> float:
    """``sum_{i in B} k_i / 2E``: the voter model's (and neutral death-birth's) fixation
    probability on a connected graph."""
    ga = graph_arrays(G)
    x = node_mask(ga, b_nodes, "b_nodes")
    return float(np.dot(x, ga.degree) / ga.degree.sum())


def birth_death_neutral_formula(G: nx.Graph, b_nodes: Iterable) -> float:
    """``sum_{i in B} (1/k_i) / sum_j (1/k_j)``: neutral birth-death's fixation
    probability on a connected graph."""
    ga = graph_arrays(G)
    x = node_mask(ga, b_nodes, "b_nodes")
    inv = 1.0 / ga.degree
    return float(np.dot(x, inv) / inv.sum())


@dataclass(frozen=True)
class SyncVoterOutcome:
    """Where the synchronous voter model ends: all-B, all-A, or an oscillation that
    never absorbs (the remaining probability)."""

    prob_all_b: float
    prob_all_a: float

    @property
    def prob_never_absorbed(self) -> float:
        """Probability of ending in a closed class other than the two consensus states."""
        return max(0.0, 1.0 - self.prob_all_b - self.prob_all_a)

    def as_dict(self) -> dict:
        """Plain dict with self-describing names."""
        return {
            "fixation_probability_b": self.prob_all_b,
            "fixation_probability_a": self.prob_all_a,
            "probability_never_absorbed": self.prob_never_absorbed,
        }


def _absorption(P: np.ndarray, start: int, goals: tuple[int, int]) -> SyncVoterOutcome:
    """Probabilities of ending in the absorbing states ``goals`` from ``start`` (dense)."""
    m = P.shape[0]
    n_comp, lab = csgraph.connected_components(sparse.csr_matrix(P > 0), connection="strong")
    # closed classes: no edge leaves them
    src, dst = np.nonzero(P > 0)
    leaves = np.zeros(n_comp, dtype=bool)
    leaves[lab[src][lab[src] != lab[dst]]] = True
    transient = leaves[lab]
    out = []
    for goal in goals:
        h = np.zeros(m)
        h[goal] = 1.0
        t = np.flatnonzero(transient)
        if t.size:
            A = np.eye(t.size) - P[np.ix_(t, t)]
            h[t] = np.linalg.solve(A, P[np.ix_(t, [goal])].ravel())
        out.append(float(h[start]))
    return SyncVoterOutcome(prob_all_b=out[0], prob_all_a=out[1])


def synchronous_voter(G: nx.Graph, b_nodes: Iterable) -> SyncVoterOutcome:
    """The voter model in the synchronous order on a small graph: every agent copies a
    uniformly random neighbour at once (``P(x -> y) = prod_i P(y_i | x)``)."""
    ga = graph_arrays(G)
    check_enumerable(ga.n, MAX_SYNC_NODES, "the synchronous voter chain")
    _connected(ga)
    bits = state_bits(ga.n).astype(float)
    pb = (ga.adjacency @ bits) / ga.degree[:, None]  # P(node i is B next | state)
    # P[x, y] = prod_i pb[i, x]^y_i (1 - pb[i, x])^(1 - y_i)
    P = np.ones((bits.shape[1], bits.shape[1]))
    for i in range(ga.n):
        P *= np.where(bits[i][None, :] == 1, pb[i][:, None], 1.0 - pb[i][:, None])
    start = state_of(node_mask(ga, b_nodes, "b_nodes"))
    return _absorption(P, start, (bits.shape[1] - 1, 0))


def star_synchronous_voter(leaves: int, centre_b: bool, leaves_b: int) -> SyncVoterOutcome:
    """The synchronous voter model on a star with ``leaves`` leaves, by the chain on
    (centre's norm, number of B leaves): every leaf copies the centre, the centre a
    random leaf, at once, so ``(c, m) -> (B with probability m / L, L if c else 0)``."""
    if isinstance(leaves, bool) or not isinstance(leaves, int) or leaves < 1:
        raise NormsimError(f"leaves: {leaves!r} must be an integer >= 1")
    if not 0 <= leaves_b <= leaves:
        raise NormsimError(f"leaves_b: {leaves_b!r} must be in [0, {leaves}]")
    L = leaves
    m = 2 * (L + 1)

    def s(c: int, k: int) -> int:
        return c * (L + 1) + k

    P = np.zeros((m, m))
    for c in (0, 1):
        for k in range(L + 1):
            nk = L if c else 0
            P[s(c, k), s(1, nk)] += k / L
            P[s(c, k), s(0, nk)] += 1.0 - k / L
    return _absorption(P, s(int(bool(centre_b)), leaves_b), (s(1, L), s(0, 0)))
