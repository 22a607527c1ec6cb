"""EGTtools as an oracle for the small-mutation limit (normsim.theory.small_mutation).

EGTtools (GPL-3.0, in the ``test`` extra) is imported here only, never by normsim; this
module needs it and fails to import without it rather than skip. Its conventions, read
from its source (``PairwiseComparison.cpp``, ``Matrix2PlayerGameHolder.cpp``): the fitness
of a strategy is its mean payoff against the other ``Z - 1`` agents (the agent's own count
less one, divided by ``Z - 1``), the Fermi rule ``1 / (1 + exp(beta (f_learner -
f_teacher)))`` takes raw payoff differences (so it gets ``beta / R1``), the learner is
drawn from all ``Z`` and the teacher from the other ``Z - 1``, and the embedded chain is
``T[i, j] = rho[i, j] / (k - 1)`` with ``rho[i, j]`` one ``j`` among ``Z - 1`` ``i``: the
same process as normsim's. Its fixation probability is a running product and sum in
double precision that returns exactly 0 once the sum passes 1e7 (rho below about 1e-7);
its stationary vector is the eigenvector of the eigenvalue nearest 1.

Where selection is weak the two agree to rounding; where it is strong EGTtools' zeros make
states absorbing and its stationary vector degenerate and wrong, while normsim's agrees
with independent log-space computations (the two-norm chain of normsim.theory.finite and
the Markov chain tree theorem).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from egttools.analytical import PairwiseComparison
from egttools.games import Matrix2PlayerGameHolder
from egttools.utils import calculate_stationary_distribution

from normsim.game import CoordinationGame
from normsim.theory.finite import BirthDeathChain
from normsim.theory.small_mutation import SmallMutationLimit, coordination_matrix, payoff_range


def egttools_sml(M: np.ndarray, Z: int, beta: float):
    """EGTtools' fixation matrix, embedded chain and stationary vector at normsim's beta."""
    holder = Matrix2PlayerGameHolder(M.shape[0], M)  # keep a reference: egttools does not
    model = PairwiseComparison(Z, holder)
    T, F = model.calculate_transition_and_fixation_matrix_sml(beta / payoff_range(M))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # its warning of a degenerate chain
        sd = calculate_stationary_distribution(T.transpose())  # it wants columns
    return F, T, sd


def log_tree_stationary(lq: np.ndarray) -> np.ndarray:
    """log pi of a 3-state chain by the Markov chain tree theorem (the three trees into
    each state), from the log rates."""
    out = np.empty(3)
    for r in range(3):
        i, j = (s for s in range(3) if s != r)
        trees = [lq[i, r] + lq[j, r], lq[i, j] + lq[j, r], lq[j, i] + lq[i, r]]
        out[r] = np.logaddexp.reduce(trees)
    return out - np.logaddexp.reduce(out)


@pytest.mark.parametrize(
    "M, Z, beta",
    [
        (coordination_matrix([1.0, 0.8, 0.6], 0.5), 20, 0.5),
        (coordination_matrix([0.6, 0.9, 1.0, 0.7], 0.3), 30, 0.3),
        (coordination_matrix([1.0, 0.5, 0.9, 0.8, 0.6], 0.9), 15, 1.0),
        (np.random.default_rng(2).uniform(0.0, 1.0, (4, 4)), 25, 0.5),
    ],
)
def test_weak_selection_egttools_agrees(M, Z, beta):
    F, T, sd = egttools_sml(M, Z, beta)
    ours = SmallMutationLimit(M, Z, beta)
    assert np.all(F[~np.eye(len(M), dtype=bool)] > 1e-7)  # no cut-off to 0 here
    np.testing.assert_allclose(F, ours.fixation_probabilities(), rtol=1e-9, atol=0)
    np.testing.assert_allclose(T, ours.transition_matrix(), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(sd, ours.stationary_distribution(), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(
    "d, Z, beta, truth",
    [
        # the best norm is the last: EGTtools' identity chain returns the first state
        ([0.6, 0.8, 1.0], 100, 20.0, [0.0, 0.0, 1.0]),
        # two equally good norms: by symmetry half the time in each
        ([1.0, 1.0, 0.5], 100, 20.0, [0.5, 0.5, 0.0]),
        ([1.0, 1.0, 0.5], 60, 3.0, [0.5, 0.5, 0.0]),
    ],
)
def test_strong_selection_egttools_fails_and_normsim_holds(d, Z, beta, truth):
    M = coordination_matrix(d, 0.5)
    F, _, sd = egttools_sml(M, Z, beta)
    ours = SmallMutationLimit(M, Z, beta)
    rho = ours.fixation_probabilities()
    # EGTtools: exact zeros where the probabilities are positive ...
    off = ~np.eye(3, dtype=bool)
    assert np.any((F == 0.0) & off & (rho > 0.0))
    # ... so its stationary vector is wrong
    assert np.max(np.abs(sd - truth)) > 0.4
    # normsim: each fixation probability is the two-norm chain's (its own log-space sums)
    for i, j in itertools.permutations(range(3), 2):
        g = CoordinationGame(d[i], d[j], 0.5)
        ch = BirthDeathChain(g, Z, beta * g.payoff_range(1, 1) / payoff_range(M))
        assert ours.log_fixation[i, j] == pytest.approx(ch.log_fixation_probability(1), rel=1e-11)
    # and the stationary vector is the tree theorem's, and the truth
    lpi = ours.log_stationary_distribution()
    np.testing.assert_allclose(lpi, log_tree_stationary(ours.log_fixation), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.exp(lpi), truth, atol=1e-12)
