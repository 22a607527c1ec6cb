"""Conventions among k norms in the limit of rare exploration (Fudenberg & Imhof 2006).

``Z`` agents play a symmetric k x k game ``M`` (``M[i, j]`` the payoff of norm ``i``
against norm ``j``) and revise by normsim's pairwise comparison: a learner drawn from
all ``Z`` copies a teacher drawn from the other ``Z - 1`` with the Fermi probability
``1 / (1 + exp(-beta (f_teacher - f_learner) / R1))``, where the fitness is the
average payoff against the other ``Z - 1`` agents (no self-play) and ``R1`` is the
payoff range of one game, ``max(M) - min(M)`` (normsim's ``R1`` for two norms; 1
when every payoff is equal). This is :mod:`normsim.theory.finite`'s chain for any
number of norms.

When exploration is rare enough, a new norm appears only in a monomorphic population
and fixes or dies out before the next one appears: the population moves among the k
monomorphic states as an *embedded chain* with transition probabilities
``T[i, j] = rho[i, j] / (k - 1)`` (``j != i``), where ``rho[i, j]`` is the fixation
probability of one agent of norm ``j`` among ``Z - 1`` of norm ``i``. With ``l``
mutants, the ratio of the chain's steps down and up is
``gamma_l = exp(-beta (f_j(l) - f_i(l)) / R1)``; the fitness difference is linear in
``l``, ``d(l) = alpha + delta l``, so ``log prod_{l<=m} gamma_l`` is the quadratic
``-beta (alpha m + delta m (m + 1) / 2) / R1`` and

    log rho[i, j] = -logsumexp_{m = 0..Z-1} ( -beta (alpha m + delta m (m+1)/2) / R1 ).

The stationary distribution of the embedded chain is the small-mutation limit of the
stationary distribution of the chain with exploration (normsim's: a uniformly random
norm with probability ``mu``, ``mu -> 0``). Under strong selection the ``rho`` span
hundreds of orders of magnitude, so everything is computed in log space: the
fixation probabilities as above, and the stationary vector by the state reduction of
Grassmann, Taksar & Heyman (1985), which only adds, multiplies and divides positive
numbers and so runs unchanged on logarithms (``logaddexp`` for the sums). Double
precision without logs returns 0 for the small ``rho`` (or a degenerate eigenvector);
the values here keep their full relative precision.

Examples
--------
>>> m = coordination_matrix([1.0, 0.9, 0.8], c=0.2)
>>> m[2].tolist()
[0.6400000000000001, 0.6400000000000001, 0.8]
>>> sml = SmallMutationLimit(m, population=20, beta=1.0)
>>> [round(float(x), 4) for x in sml.stationary_distribution()]
[0.9911, 0.0088, 0.0001]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from normsim.errors import NormsimError, check_number
from normsim.params import DEFAULTS
from normsim.theory.finite import check_population

#: the numbers of norms the k-norm model accepts
MIN_NORMS, MAX_NORMS = 2, 16

_LN10 = math.log(10.0)


def check_norms(k: int, what: str = "the game") -> int:
    """Return ``k`` if it is a number of norms in ``MIN_NORMS..MAX_NORMS``, else raise
    :class:`~normsim.errors.NormsimError`."""
    if not MIN_NORMS <= k <= MAX_NORMS:
        raise NormsimError(f"{what}: {k} norms; give between {MIN_NORMS} and {MAX_NORMS} norms")
    return k


def coordination_matrix(diagonal: Sequence[float], c: float) -> np.ndarray:
    """The k-norm coordination game: ``M[i, i] = d_i``, ``M[i, j] = (1 - c) d_i``.

    normsim's two-norm game generalised (``u(A, B) = (1 - c) a``): a norm pays ``d_i``
    when the partner shares it, and the need for coordination ``c`` takes the share ``c``
    of it away otherwise.

    Parameters
    ----------
    diagonal : sequence of float
        The coordination payoffs ``d_1..d_k`` (each > 0), ``2 <= k <= 16``.
    c : float
        Need for coordination in [0, 1].

    Examples
    --------
    >>> coordination_matrix([0.4, 0.6], 0.5).tolist()
    [[0.4, 0.2], [0.3, 0.6]]
    """
    d = [check_number(f"diagonal[{i}]", v, low=0.0, low_open=True) for i, v in enumerate(diagonal)]
    check_norms(len(d), "diagonal")
    c = check_number("c", c, low=0.0, high=1.0)
    dv = np.asarray(d, dtype=float)
    m = np.repeat(((1.0 - c) * dv)[:, None], dv.size, axis=1)
    np.fill_diagonal(m, dv)
    return m


def check_payoff_matrix(matrix: object) -> np.ndarray:
    """Return ``matrix`` as a square float array of ``2..16`` norms with finite entries, or
    raise :class:`~normsim.errors.NormsimError`."""
    try:
        m = np.array(matrix, dtype=float)
    except (TypeError, ValueError):
        raise NormsimError("matrix: not a square table of numbers") from None
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise NormsimError(
            f"matrix: shape {'x'.join(map(str, m.shape)) or 'scalar'} is not square (k x k)"
        )
    check_norms(m.shape[0], "matrix")
    if not np.all(np.isfinite(m)):
        raise NormsimError("matrix: every payoff must be a finite number")
    return m


def payoff_range(matrix: np.ndarray) -> float:
    """``R1 = max(M) - min(M)``, the payoff range of one game (1 when every payoff is equal).

    For normsim's two-norm game it is
    :meth:`CoordinationGame.payoff_range(1, 1) <normsim.game.CoordinationGame.payoff_range>`.
    """
    r = float(np.max(matrix) - np.min(matrix))
    return r if r > 0 else 1.0


def _logsumexp(x: np.ndarray) -> float:
    m = float(np.max(x))
    if m == -math.inf:
        return m
    return m + math.log(float(np.sum(np.exp(x - m))))


def _gth_log(lq: np.ndarray) -> np.ndarray:
    """Unnormalised log stationary vector (state 0 at 0) of the chain with the
    off-diagonal log rates ``lq``: Grassmann, Taksar & Heyman's state reduction on logs."""
    k = lq.shape[0]
    L = lq.copy()
    ls = np.zeros(k)
    for n in range(k - 1, 0, -1):
        ls[n] = _logsumexp(L[n, :n])  # total rate from n down to the states below
        L[:n, :n] = np.logaddexp(L[:n, :n], L[:n, n, None] + L[None, n, :n] - ls[n])
    lp = np.zeros(k)
    for n in range(1, k):
        lp[n] = _logsumexp(lp[:n] + L[:n, n]) - ls[n]
    return lp


class SmallMutationLimit:
    """The embedded chain among the k monomorphic states of ``population`` agents.

    Parameters
    ----------
    matrix : array_like
        The k x k payoff matrix (row norm against column norm), ``2 <= k <= 16``.
    population : int
        Population size ``Z >= 2``.
    beta : float
        Selection strength (>= 0), normsim's ``beta``.

    Notes
    -----
    ``log_fixation[i, j]`` is the natural log of ``rho[i, j]``, the probability that one
    agent of norm ``j`` takes over a population of ``Z - 1`` agents of norm ``i``; the
    diagonal is ``-inf`` (no transition). The work is O(k^2 Z) time and O(Z) memory.

    Examples
    --------
    >>> sml = SmallMutationLimit(coordination_matrix([1.0, 1.0], 0.5), 10, beta=1.0)
    >>> round(float(sml.fixation_probabilities()[0, 1]), 6)  # neutral would be 1/Z = 0.1
    0.020172
    """

    def __init__(self, matrix: object, population: int, beta: float = DEFAULTS.beta) -> None:
        self.matrix = check_payoff_matrix(matrix)
        self.k = self.matrix.shape[0]
        self.Z = check_population(population)
        self.beta = check_number("beta", beta, low=0.0)
        self.R1 = payoff_range(self.matrix)
        # payoffs shifted and scaled into [0, 1]: fitness differences over R1 are unchanged
        u = (self.matrix - float(np.min(self.matrix))) / self.R1
        Z, k = self.Z, self.k
        m = np.arange(Z, dtype=float)
        tri = m * (m + 1.0) / 2.0
        lf = np.full((k, k), -math.inf)
        for i in range(k):
            for j in range(k):
                if i == j:
                    continue
                # (Z - 1) d(l) = l (u_jj - u_ji - u_ij + u_ii) + Z u_ji - u_jj - (Z - 1) u_ii
                delta = (u[j, j] - u[j, i] - u[i, j] + u[i, i]) / (Z - 1)
                alpha = (Z * u[j, i] - u[j, j] - (Z - 1) * u[i, i]) / (Z - 1)
                lf[i, j] = -_logsumexp(-self.beta * (alpha * m + delta * tri))
        self.log_fixation = lf

    # ---------------------------------------------------------------- fixation
    def fixation_probabilities(self) -> np.ndarray:
        """``rho[i, j]``: one agent of norm ``j`` fixes among ``Z - 1`` of norm ``i``
        (diagonal 0). Entries below about 1e-308 are 0 here; ``log_fixation`` keeps them."""
        return np.exp(self.log_fixation)

    def log_transition_matrix(self) -> np.ndarray:
        """Natural log of the embedded chain's transition matrix ``T``.

        ``T[i, j] = rho[i, j] / (k - 1)`` for ``j != i`` and ``T[i, i] = 1 - sum_j T[i, j]``.
        """
        lt = self.log_fixation - math.log(self.k - 1)
        for i in range(self.k):
            out = _logsumexp(np.delete(lt[i], i))
            lt[i, i] = math.log1p(-math.exp(out)) if out < 0.0 else -math.inf
        return lt

    def transition_matrix(self) -> np.ndarray:
        """The embedded chain's transition matrix (rows sum to 1)."""
        return np.exp(self.log_transition_matrix())

    # -------------------------------------------------------------- stationary
    def log_stationary_distribution(self) -> np.ndarray:
        """Natural log of the embedded chain's stationary distribution.

        The state reduction of Grassmann, Taksar & Heyman (1985) on the logs of the
        off-diagonal transition probabilities: no subtraction, so every entry keeps
        its relative precision however small it is.
        """
        lp = _gth_log(self.log_fixation)
        top = int(np.argmax(lp))
        if top != 0:
            # again with the most likely state first: the back substitution starts
            # there, so the large states' logs are small numbers and keep their digits
            order = np.r_[top, np.delete(np.arange(self.k), top)]
            lp = np.empty(self.k)
            lp[order] = _gth_log(self.log_fixation[np.ix_(order, order)])
        return lp - _logsumexp(lp)

    def stationary_distribution(self) -> np.ndarray:
        """The share of time the population spends in each monomorphic state (mu -> 0)."""
        return np.exp(self.log_stationary_distribution())

    # ------------------------------------------------------------------ report
    def as_dict(self) -> dict:
        """Plain dict of the model, the fixation probabilities, the embedded chain and its
        stationary distribution (what ``normsim analytic --model small-mutation --json``
        prints)."""
        k = self.k
        lf = self.log_fixation
        lpi = self.log_stationary_distribution()

        def offdiag(a: np.ndarray) -> list[list[float | None]]:
            return [[None if i == j else float(a[i, j]) for j in range(k)] for i in range(k)]

        return {
            "model": "small-mutation",
            "norms": k,
            "payoff_matrix": self.matrix.tolist(),
            "payoff_range": self.R1,
            "population": self.Z,
            "beta": self.beta,
            "neutral_fixation_probability": 1.0 / self.Z,
            "fixation_probability": offdiag(np.exp(lf)),
            "log10_fixation_probability": offdiag(lf / _LN10),
            "transition_matrix": self.transition_matrix().tolist(),
            "stationary_distribution": np.exp(lpi).tolist(),
            "log10_stationary_distribution": (lpi / _LN10).tolist(),
            "most_frequent_norm": int(np.argmax(lpi)),
        }


def analyse_small_mutation(
    population: int,
    beta: float = DEFAULTS.beta,
    *,
    diagonal: Sequence[float] | None = None,
    c: float | None = None,
    matrix: object = None,
) -> dict:
    """Everything ``normsim analytic --model small-mutation --json`` reports, as a plain dict.

    Give either the coordination game (``diagonal`` and ``c``, see
    :func:`coordination_matrix`) or a payoff ``matrix``.
    """
    if (matrix is None) == (diagonal is None):
        raise NormsimError("give either a diagonal of coordination payoffs (with c) or a matrix")
    if diagonal is not None:
        if c is None:
            raise NormsimError("a diagonal of coordination payoffs needs c")
        m = coordination_matrix(diagonal, c)
    else:
        if c is not None:
            raise NormsimError("c applies to a diagonal of coordination payoffs, not to a matrix")
        m = check_payoff_matrix(matrix)
    out = SmallMutationLimit(m, population, beta).as_dict()
    out["diagonal"] = None if diagonal is None else [float(v) for v in diagonal]
    out["c"] = c
    return out
