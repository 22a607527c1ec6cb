"""The exact theory of the learning rules against independent computations: the full
chain solved by a linear solve, a Monte Carlo simulation, closed forms, brute force."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from normsim.errors import NormsimError
from normsim.game import CoordinationGame, MatrixGame
from normsim.theory import contagion, fixation, kmr, logit

GAME = CoordinationGame(0.4, 0.6, 0.8).as_matrix_game()
STAG = MatrixGame(4.0, 0.0, 3.0, 2.0)  # A payoff dominant, B risk dominant
# a square with two pendant paths: degrees 1, 2, 3
SMALL = nx.Graph([(0, 1), (1, 2), (2, 3), (3, 0), (3, 4), (1, 5)])


def _bits(n):
    s = np.arange(2**n)
    return (s[None, :] >> np.arange(n)[:, None]) & 1


# ------------------------------------------------------------------ logit
def test_potential_difference_is_the_payoff_gain():
    """Phi(x with i = B) - Phi(x with i = A) = pi_i(B) - pi_i(A) for every state and node."""
    phi = logit.potential(SMALL, STAG)
    for s in range(2**6):
        for i in range(6):
            x = [(s >> j) & 1 for j in range(6)]
            nb = sum(x[j] for j in SMALL[i])
            na = SMALL.degree[i] - nb
            gain = (na * 3 + nb * 2) - (na * 4 + nb * 0)
            assert phi[s | (1 << i)] - phi[s & ~(1 << i)] == pytest.approx(gain)


@pytest.mark.parametrize("scale", ["normalised", "raw"])
def test_gibbs_law_solves_the_asynchronous_chain(scale):
    """The full 2^N chain, built here from the rule itself, solved by a linear solve."""
    beta = 2.0
    n = 6
    S = STAG.payoff_range(1, 3) if scale == "normalised" else 1.0
    m = 2**n
    P = np.zeros((m, m))
    for s in range(m):
        x = [(s >> j) & 1 for j in range(n)]
        for i in range(n):
            nb = sum(x[j] for j in SMALL[i])
            na = SMALL.degree[i] - nb
            own, other = (na * 4 + nb * 0, na * 3 + nb * 2)[:: 1 if x[i] == 0 else -1]
            p = 1.0 / (1.0 + np.exp(-beta * (other - own) / S))
            P[s, s ^ (1 << i)] += p / n
            P[s, s] += (1 - p) / n
    A = P.T - np.eye(m)
    A[-1] = 1.0
    rhs = np.zeros(m)
    rhs[-1] = 1.0
    pi = np.linalg.solve(A, rhs)
    law = logit.gibbs_law(SMALL, STAG, beta, scale)
    assert law.prob_all_a == pytest.approx(pi[0], rel=1e-9)
    assert law.prob_all_b == pytest.approx(pi[-1], rel=1e-9)
    assert law.share_b == pytest.approx(float(pi @ _bits(n).sum(0)) / n, rel=1e-9)
    # the module's own sparse chain agrees with this one
    assert np.allclose(logit.transition_matrix(SMALL, STAG, beta, 0.0, scale).toarray(), P)


def test_chain_law_with_exploration_matches_a_dense_solve():
    P = logit.transition_matrix(SMALL, GAME, 3.0, 0.1).toarray()
    w, v = np.linalg.eig(P.T)
    pi = np.real(v[:, np.argmin(abs(w - 1))])
    pi /= pi.sum()
    law = logit.chain_law(SMALL, GAME, 3.0, 0.1)
    assert law.prob_all_b == pytest.approx(pi[-1], rel=1e-8)


@pytest.mark.parametrize("n", [3, 4, 7, 10])
def test_ring_transfer_matrix_equals_enumeration(n):
    for game, beta in ((GAME, 5.0), (STAG, 0.7)):
        ring = logit.ring_law(n, game, beta)
        enum = logit.gibbs_law(nx.cycle_graph(n), game, beta)
        assert ring.share_b == pytest.approx(enum.share_b, rel=1e-10)
        assert ring.log_prob_all_a == pytest.approx(enum.log_prob_all_a, rel=1e-10)
        assert ring.log_prob_all_b == pytest.approx(enum.log_prob_all_b, rel=1e-10)


@pytest.mark.parametrize("n", [2, 5, 8])
def test_complete_graph_closed_form_equals_enumeration(n):
    cf = logit.complete_law(n, STAG, 1.5)
    enum = logit.gibbs_law(nx.complete_graph(n), STAG, 1.5)
    assert np.allclose(cf.count_distribution, enum.count_distribution, rtol=1e-10)
    # the birth-death chain with exploration, as mu -> 0, and against the full chain
    assert np.allclose(
        logit.complete_law(n, STAG, 1.5, mu=1e-13).count_distribution,
        cf.count_distribution,
        rtol=1e-6,
    )
    bd = logit.complete_law(n, STAG, 1.5, mu=0.2)
    full = logit.chain_law(nx.complete_graph(n), STAG, 1.5, 0.2)
    assert np.allclose(bd.count_distribution, full.count_distribution, rtol=1e-8)


def test_logit_law_refuses_a_graph_too_big():
    with pytest.raises(NormsimError, match="at most 20 nodes"):
        logit.logit_law(nx.grid_2d_graph(5, 5), GAME, 1.0)


# ------------------------------------------------------------------ KMR
def _kmr_rows(game, N, mu):
    """p_AB(z), p_BA(z) from the best responses computed here directly."""
    pab, pba = np.zeros(N + 1), np.zeros(N + 1)
    for z in range(N + 1):
        if z < N:
            a, b = (N - 1 - z) * game.R + z * game.S, (N - 1 - z) * game.T + z * game.P
            pab[z] = (1 - mu) * (b > a) + mu / 2
        if z > 0:
            a, b = (N - z) * game.R + (z - 1) * game.S, (N - z) * game.T + (z - 1) * game.P
            pba[z] = (1 - mu) * (a > b) + mu / 2
    return pab, pba


def _simulate(game, N, mu, order, rng, max_steps=10**6):
    pab, pba = _kmr_rows(game, N, mu)
    z, t = 0, 0
    while z < N and t < max_steps:
        if order == "synchronous":
            z = rng.binomial(N - z, pab[z]) + rng.binomial(z, 1 - pba[z])
            t += 1
        else:
            u = rng.random()
            if u < (N - z) / N:
                z += rng.random() < pab[z]
            else:
                z -= rng.random() < pba[z]
            t += 1
    return t / (N if order == "asynchronous" else 1)


@pytest.mark.parametrize("order", kmr.ORDERS)
def test_kmr_waiting_time_against_linear_solve_and_simulation(order):
    N, mu = 6, 0.3
    ch = kmr.KMRChain(STAG, N, mu, order)
    P = ch.transition_matrix()
    pab, pba = _kmr_rows(STAG, N, mu)
    if order == "synchronous":  # the row built here by enumerating both binomials
        from math import comb

        for z in range(N + 1):
            row = np.zeros(N + 1)
            for i, j in itertools.product(range(N - z + 1), range(z + 1)):
                row[i + j] += (
                    comb(N - z, i)
                    * pab[z] ** i
                    * (1 - pab[z]) ** (N - z - i)
                    * comb(z, j)
                    * (1 - pba[z]) ** j
                    * pba[z] ** (z - j)
                )
            assert np.allclose(P[z], row)
    h = np.linalg.solve(np.eye(N) - P[:N, :N], np.ones(N))[0]
    expected = h / (N if order == "asynchronous" else 1)
    got = ch.waiting_time("all-B")["generations"]
    assert got == pytest.approx(expected, rel=1e-9)
    rng = np.random.default_rng(7)
    sims = [_simulate(STAG, N, mu, order, rng) for _ in range(2000)]
    se = np.std(sims) / np.sqrt(len(sims))
    assert abs(np.mean(sims) - got) < 4 * se
    # stationary law: pi P = pi
    pi = ch.stationary_distribution()
    assert np.allclose(pi @ P, pi, atol=1e-12)


def test_kmr_small_mu_selects_the_risk_dominant_norm():
    """The stag hunt: A pays more, B is risk dominant; mu -> 0 puts the mass on all-B."""
    for order in kmr.ORDERS:
        p = [
            kmr.KMRChain(STAG, 12, mu, order).stationary_distribution()[-1]
            for mu in (0.1, 0.01, 0.001)
        ]
        assert p[0] < p[1] < p[2] and p[2] > 0.99
        assert kmr.KMRChain(STAG, 12, 0.001, order).stationary_distribution()[0] < 1e-3


def test_kmr_synchronous_basin_is_found_by_iterating_the_map():
    ch = kmr.KMRChain(STAG, 10, 0.0, "synchronous")
    f = ch.noiseless_map()
    basin_a, basin_b = ch.basins()
    for z in range(11):
        x = z
        for _ in range(50):
            x = f[x]
        assert basin_b[z] == (x == 10) and basin_a[z] == (x == 0)


def test_kmr_async_log_space_time_matches_state_reduction():
    """The birth-death recursion in log space against subtraction-free state reduction of
    the full matrix (a plain float solve of I - Q loses 1 - P[z, z] to rounding here)."""
    ch = kmr.KMRChain(GAME, 40, 0.02, "asynchronous")
    target = np.arange(41) == 40
    h = kmr.passage_time_reduction(ch.transition_matrix(), 0, target) / 40
    assert ch.waiting_time("all-B")["generations"] == pytest.approx(h, rel=1e-9)


# ------------------------------------------------------------------ contagion
def _naive_threshold(G, seed, q):
    """The progressive threshold-q process, written out plainly."""
    b = set(seed)
    while True:
        new = {
            v
            for v in G
            if v not in b and G.degree[v] and sum(u in b for u in G[v]) >= q * G.degree[v] - 1e-12
        }
        if not new:
            return len(b) == G.number_of_nodes()
        b |= new


def _moore_torus(n):
    G = nx.Graph()
    for i, j in itertools.product(range(n), range(n)):
        for di, dj in itertools.product((-1, 0, 1), repeat=2):
            if (di, dj) != (0, 0):
                G.add_edge((i, j), ((i + di) % n, (j + dj) % n))
    return G


@pytest.mark.parametrize(
    "G, known",
    [
        (nx.cycle_graph(16), 1 / 2),
        (nx.grid_2d_graph(10, 10, periodic=True), 1 / 4),
        (_moore_torus(10), 3 / 8),
    ],
)
def test_seed_threshold_against_brute_force_and_morris(G, known):
    seed = [v for v in G if v in {0, 1} or (isinstance(v, tuple) and max(v) < 3)]
    q = contagion.seed_threshold(G, seed)
    assert q == pytest.approx(known)
    qs = sorted({j / d for d in {G.degree[v] for v in G} for j in range(d + 1)})
    brute = max(x for x in qs if _naive_threshold(G, seed, x))
    assert q == pytest.approx(brute)


def test_best_response_follows_the_payoff_comparison():
    G = nx.grid_2d_graph(6, 6, periodic=True)
    seed = [(0, 0), (0, 1), (1, 0), (1, 1)]
    for c in (0.3, 0.6, 0.9):
        g = CoordinationGame(0.4, 0.6, c).as_matrix_game()
        x = {v: v in seed for v in G}
        for _ in range(100):  # the synchronous rule, written out
            y = {}
            for v in G:
                nb = sum(x[u] for u in G[v])
                na = 4 - nb
                pa, pb = na * g.R + nb * g.S, na * g.T + nb * g.P
                y[v] = (pb > pa) if not x[v] else not (pa > pb)
            x = y
        r = contagion.best_response_dynamics(G, seed, g)
        assert r.takeover == all(x.values())


def test_critical_c_is_exact_and_matches_a_scan():
    G = nx.grid_2d_graph(8, 8, periodic=True)
    seed = [(i, j) for i in range(3) for j in range(3)]
    cc = contagion.critical_c(G, seed, 0.4, 0.6)
    # a node with 1 B of 4 neighbours switches iff c < (b - a) 4 / (3 b - a)
    assert cc.c == pytest.approx(0.8 / 1.4) and not cc.attained
    for c in np.linspace(0.0, 1.0, 41):
        r = contagion.best_response_dynamics(G, seed, CoordinationGame(0.4, 0.6, c))
        assert r.takeover == (c < cc.c)


# ------------------------------------------------------------------ fixation
TREE = nx.Graph([(0, 1), (1, 2), (1, 3), (3, 4), (4, 5), (2, 5), (5, 6)])


@pytest.mark.parametrize("b_nodes", [[0], [6], [1, 4], [2, 3, 5]])
def test_neutral_fixation_equals_the_degree_formulas(b_nodes):
    v = fixation.voter_fixation_formula(TREE, b_nodes)
    assert fixation.fixation_probability(TREE, b_nodes, "voter") == pytest.approx(v, abs=1e-12)
    assert fixation.fixation_probability(TREE, b_nodes, "death-birth") == pytest.approx(
        v, abs=1e-12
    )
    bd = fixation.birth_death_neutral_formula(TREE, b_nodes)
    assert fixation.fixation_probability(TREE, b_nodes, "birth-death") == pytest.approx(
        bd, abs=1e-12
    )


def test_moran_fixation_against_simulation():
    g = CoordinationGame(0.4, 0.6, 0.5).as_matrix_game()
    G = nx.star_graph(4)
    w = 0.8
    rng = np.random.default_rng(3)
    nbrs = [list(G[i]) for i in range(5)]
    for rule in ("death-birth", "birth-death"):
        exact = fixation.fixation_probability(G, [1], rule, g, w)
        wins = 0
        runs = 4000
        for _ in range(runs):
            x = np.zeros(5, int)
            x[1] = 1
            while 0 < x.sum() < 5:
                nb = np.array([sum(x[u] for u in nbrs[i]) for i in range(5)])
                k = np.array([len(nbrs[i]) for i in range(5)])
                pi = np.where(x == 1, (k - nb) * g.T + nb * g.P, (k - nb) * g.R + nb * g.S)
                f = 1 - w + w * pi
                if rule == "death-birth":
                    i = rng.integers(5)
                    p = f[nbrs[i]] / f[nbrs[i]].sum()
                    x[i] = x[nbrs[i][rng.choice(len(p), p=p)]]
                else:
                    j = rng.choice(5, p=f / f.sum())
                    x[nbrs[j][rng.integers(len(nbrs[j]))]] = x[j]
            wins += x.sum() == 5
        se = np.sqrt(exact * (1 - exact) / runs)
        assert abs(wins / runs - exact) < 4 * se


@pytest.mark.parametrize("leaves", [2, 3, 5])
def test_synchronous_voter_star_chain_equals_the_full_chain(leaves):
    G = nx.star_graph(leaves)
    for centre_b, b_leaves in ((True, 0), (False, 1), (True, 2 if leaves > 2 else 1)):
        nodes = ([0] if centre_b else []) + list(range(1, 1 + b_leaves))
        full = fixation.synchronous_voter(G, nodes)
        star = fixation.star_synchronous_voter(leaves, centre_b, b_leaves)
        assert full.prob_all_b == pytest.approx(star.prob_all_b, abs=1e-12)
        assert full.prob_all_a == pytest.approx(star.prob_all_a, abs=1e-12)
    # a B leaf and an A centre: the centre copies it with probability 1/L, then the
    # star oscillates for ever; otherwise all-A
    out = fixation.star_synchronous_voter(leaves, False, 1)
    assert out.prob_all_a == pytest.approx(1 - 1 / leaves)
    assert out.prob_never_absorbed == pytest.approx(1 / leaves)
