"""Logit (log-linear) learning on a graph: its exact stationary law (Blume 1993).

The protocol, in the asynchronous order: each elementary step one agent ``i`` is drawn
uniformly (with replacement; ``N`` steps are one generation). With probability ``mu`` it
explores (takes a uniformly random norm); otherwise it compares the summed payoff of the
other norm with that of its own, both against its neighbours' current norms, and
switches with probability ``1 / (1 + exp(-beta (pi_other - pi_own) / S))``. ``S`` is the
payoff range ``R`` of the graph (``scale="normalised"``, normsim's default,
:meth:`~normsim.game.MatrixGame.payoff_range` with the graph's smallest and
largest degree) or 1 (``scale="raw"``, as in Blume 1993).

The game ``[[R, S], [T, P]]`` (:class:`normsim.game.MatrixGame`) summed over the edges
is a potential game: ``pi_i(B) - pi_i(A) = Phi(x with x_i = B) - Phi(x with x_i = A)``
for::

    Phi(x) = (R - T) #AA-edges(x) + (P - S) #BB-edges(x).

Hence, with ``mu = 0``, the chain is reversible with the Gibbs measure

    pi(x) = exp((beta / S) Phi(x)) / Z

on every graph (the ratio of the flip probabilities ``x -> x'`` and ``x' -> x`` is
``exp((beta / S) (Phi(x') - Phi(x)))``). With *average* payoffs (each agent's sum
divided by its degree) on an irregular graph this fails: the game is then not a
potential game and the law has no such form. With ``mu > 0`` the chain is not
reversible in general (on a complete graph it is: a birth-death chain in the count).

This module computes the law

- on any small graph by enumerating its ``2^N`` states (:func:`gibbs_law`, up to
  :data:`MAX_ENUMERATE_NODES` nodes);
- on a ring of any size by the transfer matrix of a 1-D Ising chain (:func:`ring_law`);
- on a complete graph in closed form, a sum over the number ``k`` of B with weights
  ``C(N, k) exp((beta / S) [C(N-k, 2)(R - T) + C(k, 2)(P - S)])``, and with
  exploration by the birth-death chain of ``k`` (:func:`complete_law`);
- with exploration on a small graph by solving ``pi P = pi`` for the full chain
  (:func:`chain_law`, :func:`transition_matrix`).

:func:`logit_law` picks the method for a graph. Every law reports the expected share of
B and the probabilities of the two consensus states, also as log10 (exact in log space).

Examples
--------
>>> import networkx as nx
>>> from normsim.game import CoordinationGame
>>> g = CoordinationGame(0.4, 0.6, 0.8)
>>> law = logit_law(nx.cycle_graph(8), g, beta=5.0)
>>> law.method, round(law.share_b, 4)
('ring', 0.9861)
>>> abs(gibbs_law(nx.cycle_graph(8), g, beta=5.0).share_b - law.share_b) < 1e-12
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.sparse import linalg as splinalg
from scipy.special import gammaln

from normsim.errors import NormsimError, check_number
from normsim.game import MatrixGame, as_matrix_game
from normsim.theory.smallgraphs import (
    GraphArrays,
    check_enumerable,
    graph_arrays,
    state_bits,
)

#: the largest graph whose 2^N states :func:`gibbs_law` enumerates
MAX_ENUMERATE_NODES = 20
#: the largest graph whose full chain :func:`chain_law` solves (2^N states)
MAX_CHAIN_NODES = 12
SCALES = ("normalised", "raw")
_LN10 = math.log(10.0)


@dataclass(frozen=True)
class LogitLaw:
    """The stationary law of logit learning on a graph (what :func:`logit_law` returns).

    ``count_distribution[k]`` is the probability of exactly ``k`` agents of norm B
    (None for a ring, whose law is computed without it).
    """

    method: str
    nodes: int
    beta: float
    mu: float
    scale: float
    share_b: float
    log_prob_all_a: float
    log_prob_all_b: float
    count_distribution: np.ndarray | None

    @property
    def prob_all_a(self) -> float:
        """Probability of the consensus on A."""
        return math.exp(self.log_prob_all_a)

    @property
    def prob_all_b(self) -> float:
        """Probability of the consensus on B."""
        return math.exp(self.log_prob_all_b)

    def as_dict(self) -> dict:
        """Plain dict with self-describing names (log10 of the consensus probabilities)."""
        return {
            "method": self.method,
            "nodes": self.nodes,
            "beta": self.beta,
            "mu": self.mu,
            "payoff_scale": self.scale,
            "expected_share_b": self.share_b,
            "prob_all_a": self.prob_all_a,
            "prob_all_b": self.prob_all_b,
            "log10_prob_all_a": self.log_prob_all_a / _LN10,
            "log10_prob_all_b": self.log_prob_all_b / _LN10,
            "count_b_distribution": None
            if self.count_distribution is None
            else self.count_distribution.tolist(),
        }


def payoff_scale(game: MatrixGame, degrees: np.ndarray | tuple, scale: str | float) -> float:
    """``S``: the payoff range of ``game`` for the given degrees (``"normalised"``), 1
    (``"raw"``) or a given positive number."""
    if isinstance(scale, str):
        if scale not in SCALES:
            raise NormsimError(f"scale: {scale!r} is not one of {', '.join(SCALES)}")
        if scale == "raw":
            return 1.0
        d = np.asarray(degrees)
        return game.payoff_range(int(d.min()), int(d.max()))
    return check_number("scale", scale, low=0.0, low_open=True)


def _check(beta: float, mu: float) -> tuple[float, float]:
    return (
        check_number("beta", beta, low=0.0),
        check_number("mu", mu, low=0.0, high=1.0),
    )


def _edge_counts(ga: GraphArrays, bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Numbers of A-A and B-B edges of every state."""
    n_aa = np.zeros(bits.shape[1], dtype=np.int32)
    n_bb = np.zeros(bits.shape[1], dtype=np.int32)
    for u, v in ga.edges:
        n_bb += bits[u] & bits[v]
        n_aa += (bits[u] | bits[v]) ^ 1
    return n_aa, n_bb


def potential(G: nx.Graph, game: object, states: np.ndarray | None = None) -> np.ndarray:
    """``Phi`` of the network game: ``(R - T) #AA-edges + (P - S) #BB-edges``.

    ``states``: integer states (bit i = node i's norm); default every one of the 2^N.
    """
    g = as_matrix_game(game)
    ga = graph_arrays(G)
    if states is None:
        check_enumerable(ga.n, MAX_ENUMERATE_NODES, "potential")
        bits = state_bits(ga.n)
    else:
        s = np.asarray(states, dtype=np.int64)
        bits = ((s[None, :] >> np.arange(ga.n)[:, None]) & 1).astype(np.uint8)
    n_aa, n_bb = _edge_counts(ga, bits)
    phi_a, phi_b = g.edge_potential()
    return phi_a * n_aa + phi_b * n_bb


def _law_from_logweights(
    logw: np.ndarray, counts: np.ndarray, n: int, method: str, beta: float, mu: float, s: float
) -> LogitLaw:
    m = float(np.max(logw))
    w = np.exp(logw - m)
    logz = m + math.log(float(w.sum()))
    p = np.exp(logw - logz)
    dist = np.bincount(counts, weights=p, minlength=n + 1)
    return LogitLaw(
        method=method,
        nodes=n,
        beta=beta,
        mu=mu,
        scale=s,
        share_b=float(np.dot(dist, np.arange(n + 1)) / n),
        log_prob_all_a=float(logw[0] - logz),
        log_prob_all_b=float(logw[-1] - logz),
        count_distribution=dist,
    )


def gibbs_law(
    G: nx.Graph, game: object, beta: float, scale: str | float = "normalised"
) -> LogitLaw:
    """The Gibbs measure ``exp((beta / S) Phi(x)) / Z`` by enumerating the ``2^N`` states.

    The stationary law of asynchronous logit learning without exploration on any graph of
    at most :data:`MAX_ENUMERATE_NODES` nodes.
    """
    g = as_matrix_game(game)
    beta, _ = _check(beta, 0.0)
    ga = graph_arrays(G)
    check_enumerable(ga.n, MAX_ENUMERATE_NODES, "the logit law by enumeration")
    s = payoff_scale(g, ga.degree, scale)
    bits = state_bits(ga.n)
    n_aa, n_bb = _edge_counts(ga, bits)
    phi_a, phi_b = g.edge_potential()
    logw = (beta / s) * (phi_a * n_aa.astype(float) + phi_b * n_bb.astype(float))
    counts = bits.sum(axis=0, dtype=np.int64)
    return _law_from_logweights(logw, counts, ga.n, "enumeration", beta, 0.0, s)


def ring_law(n: int, game: object, beta: float, scale: str | float = "normalised") -> LogitLaw:
    """The Gibbs measure on the ring of ``n >= 3`` nodes by its 2x2 transfer matrix.

    ``Z = tr(M^n)`` with ``M[x, y] = exp((beta / S) phi(x, y))``; with ``M``'s
    eigenvalues ``l1 > |l2|`` and ``r = l2 / l1``, ``log Z = n log l1 + log(1 + r^n)``
    and the share of B is ``(v1_B^2 + r^n v2_B^2) / (1 + r^n)`` (every node alike).
    Exact for any ``n`` (no overflow: the weights are shifted by their largest).
    """
    g = as_matrix_game(game)
    beta, _ = _check(beta, 0.0)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 3:
        raise NormsimError(f"ring: {n!r} nodes; a ring needs an integer >= 3")
    n = int(n)
    s = payoff_scale(g, (2, 2), scale)
    phi_a, phi_b = g.edge_potential()
    e_a, e_b = beta * phi_a / s, beta * phi_b / s
    m = max(e_a, e_b, 0.0)
    M = np.array([[math.exp(e_a - m), math.exp(-m)], [math.exp(-m), math.exp(e_b - m)]])
    lam, vec = np.linalg.eigh(M)  # ascending
    l2, l1 = float(lam[0]), float(lam[1])
    r = l2 / l1
    rn = r**n
    log_z = n * (m + math.log(l1)) + math.log1p(rn)
    share = (vec[1, 1] ** 2 + rn * vec[1, 0] ** 2) / (1.0 + rn)
    return LogitLaw(
        method="ring",
        nodes=n,
        beta=beta,
        mu=0.0,
        scale=s,
        share_b=float(share),
        log_prob_all_a=n * e_a - log_z,
        log_prob_all_b=n * e_b - log_z,
        count_distribution=None,
    )


def _log_logistic(x: np.ndarray) -> np.ndarray:
    """``log(1 / (1 + exp(-x)))`` without overflow."""
    return -np.logaddexp(0.0, -x)


def _log_switch(gain: np.ndarray, beta: float, mu: float, s: float) -> np.ndarray:
    """log of the probability that a revising agent switches, payoff gain ``gain``."""
    ll = _log_logistic(beta * gain / s)
    if mu == 0.0:
        return ll
    keep = math.log1p(-mu) if mu < 1.0 else -math.inf
    return np.logaddexp(keep + ll, math.log(mu / 2.0))


def complete_law(
    n: int, game: object, beta: float, mu: float = 0.0, scale: str | float = "normalised"
) -> LogitLaw:
    """The stationary law on the complete graph of ``n >= 2`` nodes, in the count of B.

    Without exploration in closed form: ``P(k) ~ C(n, k) exp((beta / S) [C(n-k, 2)
    (R - T) + C(k, 2) (P - S)])``. With exploration by detailed balance of the
    birth-death chain ``T+(k) = (n - k)/n [(1 - mu) L(g_A(k)) + mu/2]``, ``T-(k) =
    k/n [(1 - mu) L(g_B(k)) + mu/2]`` (``L`` the logit choice, ``g`` the payoff gain of a
    switch: ``g_A(k) = k (P - S) - (n-1-k)(R - T)`` for an A agent, ``g_B(k) = (n - k)
    (R - T) - (k - 1)(P - S)`` for a B agent). ``S`` uses degree ``n - 1``.
    """
    g = as_matrix_game(game)
    beta, mu = _check(beta, mu)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise NormsimError(f"complete graph: {n!r} nodes; it needs an integer >= 2")
    n = int(n)
    s = payoff_scale(g, (n - 1, n - 1), scale)
    phi_a, phi_b = g.edge_potential()
    k = np.arange(n + 1, dtype=float)
    if mu == 0.0:
        logw = (
            gammaln(n + 1.0)
            - gammaln(k + 1.0)
            - gammaln(n - k + 1.0)
            + (beta / s) * (phi_a * (n - k) * (n - k - 1) / 2.0 + phi_b * k * (k - 1) / 2.0)
        )
        method = "complete graph (closed form)"
    else:
        kk = k[:-1]  # an A agent at k = 0..n-1 switches up; a B agent at k + 1 down
        gain_a = kk * phi_b - (n - 1 - kk) * phi_a
        gain_b = (n - kk - 1) * phi_a - kk * phi_b
        log_up = np.log((n - kk) / n) + _log_switch(gain_a, beta, mu, s)
        log_down = np.log((kk + 1) / n) + _log_switch(gain_b, beta, mu, s)
        logw = np.concatenate([[0.0], np.cumsum(log_up - log_down)])
        method = "complete graph (birth-death chain)"
    law = _law_from_logweights(logw, np.arange(n + 1), n, method, beta, mu, s)
    return law


def _switch_probabilities(
    ga: GraphArrays, g: MatrixGame, beta: float, mu: float, s: float
) -> tuple[np.ndarray, np.ndarray]:
    """The bits of every state and each node's switch probability in it (n x 2^n)."""
    bits = state_bits(ga.n)
    n_b = (ga.adjacency @ bits.astype(np.int64)).astype(float)
    n_a = ga.degree[:, None] - n_b
    phi_a, phi_b = g.edge_potential()
    gain_to_b = n_b * phi_b - n_a * phi_a
    gain = np.where(bits == 1, -gain_to_b, gain_to_b)
    return bits, np.exp(_log_switch(gain, beta, mu, s))


def transition_matrix(
    G: nx.Graph, game: object, beta: float, mu: float = 0.0, scale: str | float = "normalised"
) -> sparse.csr_matrix:
    """The ``2^N x 2^N`` transition matrix of one elementary step (sparse).

    One agent drawn uniformly revises by the logit rule with exploration ``mu``; state
    ``s``'s bit ``i`` is node ``i``'s norm. At most :data:`MAX_CHAIN_NODES` nodes.
    """
    g = as_matrix_game(game)
    beta, mu = _check(beta, mu)
    ga = graph_arrays(G)
    check_enumerable(ga.n, MAX_CHAIN_NODES, "the logit chain")
    s = payoff_scale(g, ga.degree, scale)
    n = ga.n
    _, p = _switch_probabilities(ga, g, beta, mu, s)
    states = np.arange(2**n, dtype=np.int64)
    rows = np.concatenate([states] * n + [states])
    cols = np.concatenate([states ^ (1 << i) for i in range(n)] + [states])
    stay = 1.0 - p.sum(axis=0) / n
    vals = np.concatenate([p[i] / n for i in range(n)] + [stay])
    return sparse.csr_matrix((vals, (rows, cols)), shape=(2**n, 2**n))


def stationary_of(P: sparse.spmatrix | np.ndarray) -> np.ndarray:
    """The stationary distribution of an irreducible transition matrix by a linear solve
    (``pi (P - I) = 0`` with one equation replaced by ``sum(pi) = 1``)."""
    M = sparse.csr_matrix(P).T.tolil()
    m = M.shape[0]
    M.setdiag(M.diagonal() - 1.0)
    M[m - 1, :] = np.ones(m)
    rhs = np.zeros(m)
    rhs[-1] = 1.0
    pi = splinalg.spsolve(M.tocsc(), rhs)
    return np.asarray(pi, dtype=float)


def chain_law(
    G: nx.Graph, game: object, beta: float, mu: float, scale: str | float = "normalised"
) -> LogitLaw:
    """The stationary law with exploration ``mu > 0`` on a small graph: ``pi P = pi``
    solved for the full chain of :func:`transition_matrix`."""
    g = as_matrix_game(game)
    beta, mu = _check(beta, mu)
    if mu == 0.0:
        raise NormsimError("mu: the full chain is solved for mu > 0 (use gibbs_law at mu = 0)")
    ga = graph_arrays(G)
    P = transition_matrix(G, g, beta, mu, scale)
    pi = np.clip(stationary_of(P), 0.0, None)
    pi /= pi.sum()
    counts = state_bits(ga.n).sum(axis=0, dtype=np.int64)
    with np.errstate(divide="ignore"):
        logw = np.log(pi)
    return _law_from_logweights(
        logw, counts, ga.n, "full chain", beta, mu, payoff_scale(g, ga.degree, scale)
    )


def is_ring(G: nx.Graph) -> bool:
    """Whether ``G`` is a single cycle of at least 3 nodes."""
    n = G.number_of_nodes()
    return n >= 3 and all(d == 2 for _, d in G.degree) and nx.is_connected(G)


def is_complete(G: nx.Graph) -> bool:
    """Whether ``G`` is a complete graph of at least 2 nodes (no self-loops)."""
    n = G.number_of_nodes()
    return n >= 2 and nx.number_of_selfloops(G) == 0 and G.number_of_edges() == n * (n - 1) // 2


def logit_law(
    G: nx.Graph,
    game: object,
    beta: float,
    mu: float = 0.0,
    scale: str | float = "normalised",
) -> LogitLaw:
    """The stationary law of asynchronous logit learning on ``G``, by the best exact method.

    A complete graph: :func:`complete_law` (any size, any ``mu``); a ring without
    exploration: :func:`ring_law` (any size); otherwise without exploration
    :func:`gibbs_law` (at most :data:`MAX_ENUMERATE_NODES` nodes), with exploration
    :func:`chain_law` (at most :data:`MAX_CHAIN_NODES` nodes).
    """
    g = as_matrix_game(game)
    beta, mu = _check(beta, mu)
    if is_complete(G):
        return complete_law(G.number_of_nodes(), g, beta, mu, scale)
    if mu == 0.0 and is_ring(G):
        return ring_law(G.number_of_nodes(), g, beta, scale)
    if mu == 0.0:
        return gibbs_law(G, g, beta, scale)
    return chain_law(G, g, beta, mu, scale)
