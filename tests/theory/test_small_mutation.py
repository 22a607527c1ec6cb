"""The small-mutation limit for k norms (normsim.theory.small_mutation) against independent
computations.

The full chain over all compositions of a population of three norms is built here from
the process's definition (learner, teacher, Fermi rule, normsim's exploration written
out), not from the module: its absorption probabilities are the fixation probabilities,
and its stationary distribution, as exploration vanishes, concentrates on the
monomorphic states in the proportions of the embedded chain. The two-norm case is checked
against normsim.theory.finite (its own log-space sums), and the stationary vector under
strong selection against the Markov chain tree theorem evaluated in log space.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from normsim.errors import NormsimError
from normsim.game import CoordinationGame
from normsim.theory.finite import BirthDeathChain
from normsim.theory.small_mutation import (
    SmallMutationLimit,
    analyse_small_mutation,
    coordination_matrix,
    payoff_range,
)


# ------------------------------------------------------------- the full chain
def compositions(Z: int, k: int) -> list[tuple[int, ...]]:
    return [s for s in itertools.product(range(Z + 1), repeat=k) if sum(s) == Z]


def full_chain(M: np.ndarray, Z: int, beta: float, mu: float):
    """States (counts of each norm) and the transition matrix of one elementary step:
    a learner from all Z; with probability mu it takes a uniformly random norm,
    otherwise it copies a teacher from the other Z - 1 with the Fermi probability of
    the fitness difference over max(M) - min(M); fitness is the mean payoff against the
    other Z - 1 agents."""
    k = M.shape[0]
    r1 = float(M.max() - M.min())
    states = compositions(Z, k)
    index = {s: i for i, s in enumerate(states)}
    P = np.zeros((len(states), len(states)))
    for s in states:
        n = np.array(s, dtype=float)
        f = [(M[x] @ n - M[x, x]) / (Z - 1) for x in range(k)]
        for x in range(k):
            if s[x] == 0:
                continue
            for y in range(k):
                if y == x:
                    continue
                w = 1.0 / (1.0 + math.exp(-beta * (f[y] - f[x]) / r1))
                pr = s[x] / Z * ((1.0 - mu) * s[y] / (Z - 1) * w + mu / k)
                t = list(s)
                t[x] -= 1
                t[y] += 1
                P[index[s], index[tuple(t)]] += pr
        P[index[s], index[s]] = 1.0 - P[index[s]].sum()
    return states, P


def monomorphic(Z: int, k: int, j: int) -> tuple[int, ...]:
    return tuple(Z if i == j else 0 for i in range(k))


def stationary_by_solve(P: np.ndarray) -> np.ndarray:
    n = P.shape[0]
    A = (P - np.eye(n)).T
    A[-1] = 1.0
    b = np.zeros(n)
    b[-1] = 1.0
    return np.linalg.solve(A, b)


GAMES = [
    coordination_matrix([1.0, 0.8, 0.6], 0.5),
    coordination_matrix([0.5, 1.0, 0.9], 0.9),
    np.random.default_rng(3).uniform(0.0, 1.0, (3, 3)),  # any game, not only coordination
]


@pytest.mark.parametrize("M", GAMES)
@pytest.mark.parametrize("Z, beta", [(6, 2.0), (9, 0.7)])
def test_fixation_probabilities_are_the_full_chains_absorption(M, Z, beta):
    states, P = full_chain(M, Z, beta, 0.0)
    k = M.shape[0]
    absorbing = [states.index(monomorphic(Z, k, j)) for j in range(k)]
    transient = [i for i in range(len(states)) if i not in absorbing]
    Q = P[np.ix_(transient, transient)]
    R = P[np.ix_(transient, absorbing)]
    H = np.linalg.solve(np.eye(len(transient)) - Q, R)  # absorption probabilities
    rho = SmallMutationLimit(M, Z, beta).fixation_probabilities()
    for i in range(k):
        for j in range(k):
            if i == j:
                continue
            start = tuple(Z - 1 if m == i else (1 if m == j else 0) for m in range(k))
            assert rho[i, j] == pytest.approx(H[transient.index(states.index(start)), j], rel=1e-9)


@pytest.mark.parametrize("M", GAMES)
def test_stationary_distribution_is_the_limit_of_rare_exploration(M):
    Z, beta = 8, 2.0
    limit = SmallMutationLimit(M, Z, beta).stationary_distribution()
    mono = {}
    for mu in (1e-5, 1e-6):
        states, P = full_chain(M, Z, beta, mu)
        pi = stationary_by_solve(P)
        m = np.array([pi[states.index(monomorphic(Z, 3, j))] for j in range(3)])
        assert 1.0 - m.sum() < 100 * mu  # the polymorphic states fade with mu
        mono[mu] = m / m.sum()
    err5 = np.max(np.abs(mono[1e-5] - limit))
    err6 = np.max(np.abs(mono[1e-6] - limit))
    assert err6 < 20 * 1e-6
    assert 8.0 < err5 / err6 < 12.0  # the error falls linearly with mu ...
    extrapolated = (10.0 * mono[1e-6] - mono[1e-5]) / 9.0
    np.testing.assert_allclose(extrapolated, limit, rtol=0, atol=1e-8)  # ... towards the limit


# -------------------------------------------------------------- two norms
@pytest.mark.parametrize("a, b, c", [(0.4, 0.6, 0.3), (0.4, 0.6, 0.8), (1.0, 0.2, 1.0)])
@pytest.mark.parametrize("Z, beta", [(10, 1.0), (200, 5.0), (1000, 50.0), (500, 2000.0)])
def test_two_norms_match_the_finite_chain(a, b, c, Z, beta):
    sml = SmallMutationLimit(coordination_matrix([a, b], c), Z, beta)
    ch = BirthDeathChain(CoordinationGame(a, b, c), Z, beta)
    up = ch.log_fixation_probability(1)  # one B among Z - 1 A
    down = ch.absorption(Z - 1).log_extinction_probability  # one A among Z - 1 B
    assert sml.log_fixation[0, 1] == pytest.approx(up, rel=1e-11, abs=1e-13)
    assert sml.log_fixation[1, 0] == pytest.approx(down, rel=1e-11, abs=1e-13)
    # two states: pi_B / pi_A = rho_AB / rho_BA, even where both underflow
    lpi = sml.log_stationary_distribution()
    assert lpi[1] - lpi[0] == pytest.approx(up - down, rel=1e-11, abs=1e-11)


def test_each_pair_of_k_norms_is_a_two_norm_chain_at_the_rescaled_beta():
    d, c, Z, beta = [0.5, 0.7, 0.9, 1.0, 0.6], 0.4, 300, 30.0
    M = coordination_matrix(d, c)
    sml = SmallMutationLimit(M, Z, beta)
    for i, j in itertools.permutations(range(len(d)), 2):
        g = CoordinationGame(d[i], d[j], c)
        # the k-norm game normalises by its whole payoff range, a pair by its own
        ch = BirthDeathChain(g, Z, beta * g.payoff_range(1, 1) / payoff_range(M))
        assert sml.log_fixation[i, j] == pytest.approx(ch.log_fixation_probability(1), rel=1e-11)


# ------------------------------------------------------- strong selection
def log_tree_stationary(lq: np.ndarray) -> np.ndarray:
    """log pi by the Markov chain tree theorem: pi_r is proportional to the sum over the
    spanning trees directed into r of the product of their edges' rates."""
    k = lq.shape[0]
    out = np.full(k, -np.inf)
    for r in range(k):
        others = [i for i in range(k) if i != r]
        for parents in itertools.product(range(k), repeat=k - 1):
            par = dict(zip(others, parents, strict=True))
            if any(par[i] == i for i in others):
                continue
            ok = True
            for i in others:  # every node must reach r without a cycle
                seen, v = set(), i
                while v != r:
                    if v in seen:
                        ok = False
                        break
                    seen.add(v)
                    v = par[v]
                if not ok:
                    break
            if ok:
                out[r] = np.logaddexp(out[r], sum(lq[i, par[i]] for i in others))
    return out - np.logaddexp.reduce(out)


@pytest.mark.parametrize(
    "M, Z, beta",
    [
        (coordination_matrix([1.0, 0.8, 0.6], 0.5), 100, 200.0),
        (coordination_matrix([0.6, 1.0, 1.0, 0.9], 0.7), 500, 1000.0),
        (np.random.default_rng(5).uniform(-1.0, 2.0, (4, 4)), 300, 100.0),
        (np.random.default_rng(6).uniform(0.0, 1.0, (5, 5)), 50, 2.0),
    ],
)
def test_stationary_distribution_matches_the_tree_theorem_in_log_space(M, Z, beta):
    sml = SmallMutationLimit(M, Z, beta)
    lpi = sml.log_stationary_distribution()
    ref = log_tree_stationary(sml.log_fixation)
    assert np.all(np.isfinite(lpi))
    np.testing.assert_allclose(lpi, ref, rtol=1e-10, atol=1e-10)
    assert sml.stationary_distribution().sum() == pytest.approx(1.0, abs=1e-14)


def test_transition_matrix_is_the_embedded_chain():
    sml = SmallMutationLimit(coordination_matrix([1.0, 0.9, 0.5, 0.7], 0.6), 40, 3.0)
    T = sml.transition_matrix()
    rho = sml.fixation_probabilities()
    off = ~np.eye(4, dtype=bool)
    np.testing.assert_allclose(T[off], rho[off] / 3.0, rtol=1e-13)
    np.testing.assert_allclose(T.sum(axis=1), 1.0, atol=1e-14)
    pi = sml.stationary_distribution()
    np.testing.assert_allclose(pi @ T, pi, rtol=1e-10, atol=1e-15)


def test_adding_or_scaling_payoffs_changes_nothing():
    M = np.random.default_rng(9).uniform(0.0, 1.0, (6, 6))
    a = SmallMutationLimit(M, 120, 8.0)
    b = SmallMutationLimit(3.0 * M - 7.0, 120, 8.0)
    np.testing.assert_allclose(a.log_fixation, b.log_fixation, rtol=1e-12)


def test_neutral_game_is_neutral():
    sml = SmallMutationLimit(np.ones((5, 5)), 37, 10.0)
    rho = sml.fixation_probabilities()
    np.testing.assert_allclose(rho[~np.eye(5, dtype=bool)], 1 / 37, rtol=1e-13)
    np.testing.assert_allclose(sml.stationary_distribution(), 0.2, rtol=1e-13)


# --------------------------------------------------------------- the report
def test_analyse_reports_a_diagonal_game_and_a_matrix_game_alike():
    a = analyse_small_mutation(50, 5.0, diagonal=[1.0, 0.8, 0.6], c=0.5)
    b = analyse_small_mutation(50, 5.0, matrix=coordination_matrix([1.0, 0.8, 0.6], 0.5))
    assert a["stationary_distribution"] == b["stationary_distribution"]
    assert a["fixation_probability"][0][0] is None
    assert a["most_frequent_norm"] == 0 and a["norms"] == 3
    assert (a["diagonal"], a["c"], b["diagonal"], b["c"]) == ([1.0, 0.8, 0.6], 0.5, None, None)


# --------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"diagonal": [1.0]}, "between 2 and 16"),
        ({"diagonal": [1.0] * 17}, "between 2 and 16"),
        ({"diagonal": [1.0, -0.5]}, "diagonal"),
        ({"diagonal": [1.0, 0.5], "c": 1.5}, "outside"),
        ({"diagonal": [1.0, 0.5], "c": None}, "needs c"),
        ({"matrix": [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]}, "not square"),
        ({"matrix": [[1.0]]}, "between 2 and 16"),
        ({"matrix": [[1.0, float("nan")], [0.0, 1.0]]}, "finite"),
        ({"matrix": [["x", 1], [1, 1]]}, "numbers"),
        ({"matrix": np.eye(2), "c": 0.5}, "not to a matrix"),
        ({}, "either"),
    ],
)
def test_bad_input_is_one_normsim_error(kwargs, match):
    kwargs = {"c": 0.5, **kwargs} if "diagonal" in kwargs else kwargs
    with pytest.raises(NormsimError, match=match):
        analyse_small_mutation(10, 1.0, **kwargs)


@pytest.mark.parametrize("Z, beta", [(1, 1.0), (2.5, 1.0), (10, -1.0), (10, float("inf"))])
def test_bad_population_or_beta(Z, beta):
    with pytest.raises(NormsimError):
        SmallMutationLimit(np.eye(2), Z, beta)
