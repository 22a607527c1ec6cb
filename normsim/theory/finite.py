"""Finite well-mixed population: the birth-death chain of normsim's Fermi rule.

After Traulsen, Nowak & Pacheco 2006 and Antal & Scheuring 2006
(docs/guide/theory.md). ``Z`` agents, ``k`` of them hold norm B. One
*elementary step*: a learner is drawn from all ``Z`` agents and a teacher from
the other ``Z - 1``; with probability ``mu`` the learner explores (takes a
uniformly random norm, so it switches with probability ``mu / 2``), otherwise
it copies the teacher with the Fermi probability
``W(d) = 1 / (1 + exp(-beta d / R1))``, where ``d`` is the teacher's fitness
minus the learner's and ``R1`` is the payoff range of one game
(``CoordinationGame.payoff_range(1, 1)``: normsim's ``R`` on a complete graph of
``Z`` nodes is ``(Z - 1) R1`` and payoffs are sums over ``Z - 1`` games, so the
Fermi argument is the same). Fitness is the average payoff against the other
``Z - 1`` agents (no self-play)::

    f_B(k) = [(k - 1) pi(B,B) + (Z - k) pi(B,A)] / (Z - 1)
    f_A(k) = [k pi(A,B) + (Z - k - 1) pi(A,A)] / (Z - 1)
    T+(k)  = (1 - mu) (Z - k)/Z k/(Z - 1) W(f_B - f_A) + (mu / 2) (Z - k)/Z
    T-(k)  = (1 - mu) k/Z (Z - k)/(Z - 1) W(f_A - f_B) + (mu / 2) k/Z

``Z`` elementary steps are one generation; every time is given in both units.
The chain is exact for one random learner per step with current payoffs:
normsim's ``asynchronous`` update mode on a complete graph (tested against the
engine). The synchronous and sequential modes update every agent once per
generation and match it only approximately. The
``reference`` mode's exploration (only on accepted imitation) is not this chain.

Every quantity is computed in log space from closed sums of positive terms
(no subtraction, no overflow, no false zero) in O(Z):

- fixation probability of ``k0`` B-players, without exploration:
  ``rho_k0 = s(k0) / s(Z)``, ``s(k) = sum_{i<k} prod_{j<=i} gamma_j``,
  ``gamma_j = T-(j) / T+(j) = exp(-beta (f_B(j) - f_A(j)) / R1)``;
- mean absorption time and the mean times conditional on fixation of B or of A,
  from the chain's Green function ``N(j, l) = s(min(j,l)) (s(Z) - s(max(j,l)))
  / (s(Z) T+(l) P_l)`` (expected visits to ``l`` from ``j``; ``P_l`` the product
  of the ``gamma``), summed over ``l`` (weighted by ``rho_l / rho_j`` when
  conditioned on fixation);
- the stationary distribution with exploration (detailed balance);
- expected first-passage times to a share of B of at least 1/2 (the criterion
  of t50), 0.9 and 0.99, from a start state or a start distribution.

Examples
--------
>>> from normsim.game import CoordinationGame
>>> ch = BirthDeathChain(CoordinationGame(0.4, 0.6, 0.3), population=100, beta=5.0)
>>> round(ch.fixation_probability(1), 6)
0.334641
>>> round(BirthDeathChain(CoordinationGame(0.4, 0.6, 0.3), 100, beta=0.0)
...       .fixation_probability(7), 12)
0.07
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from normsim.errors import NormsimError, check_number
from normsim.game import LEVELS, CoordinationGame, Game
from normsim.params import DEFAULTS
from normsim.theory.analytic import game_fields

NEG_INF = -math.inf


def check_population(population: object, name: str = "population") -> int:
    """Return ``population`` as an int >= 2 or raise :class:`~normsim.errors.NormsimError`."""
    if isinstance(population, bool) or not isinstance(population, (int, np.integer)):
        if isinstance(population, float) and population.is_integer():
            population = int(population)
        else:
            raise NormsimError(f"{name}: {population!r} is not an integer")
    if population < 2:
        raise NormsimError(f"{name}: {population} must be >= 2 (a population of at least two)")
    return int(population)


def _logsumexp(x: np.ndarray) -> float:
    """log(sum(exp(x))) of a 1-D array; -inf for an empty or all -inf array."""
    if x.size == 0:
        return NEG_INF
    m = float(np.max(x))
    if m == NEG_INF:
        return NEG_INF
    return m + math.log(float(np.sum(np.exp(x - m))))


def _log_cumsum(x: np.ndarray) -> np.ndarray:
    """``log(cumsum(exp(x)))`` without overflow."""
    return np.logaddexp.accumulate(x) if x.size else x


def _log_revcumsum(x: np.ndarray) -> np.ndarray:
    """``log`` of the reverse cumulative sums: out[i] = log(sum(exp(x[i:])))."""
    return np.logaddexp.accumulate(x[::-1])[::-1] if x.size else x


def _exp(x: float) -> float:
    return math.exp(x) if x < 709.0 else math.inf


def _complement(lp: float, lq: float) -> float:
    """log p for complementary probabilities p + q = 1 given as logs.

    Near p = 1 the direct ratio of sums rounds; ``log1p(-q)`` keeps full
    relative precision of the small complement.
    """
    if lq < -0.6931471805599453:  # q < 1/2
        return math.log1p(-math.exp(lq))
    return lp


def level_state(level: float, population: int) -> int:
    """Smallest number of B-players whose share is at least ``level``."""
    return min(population, max(0, int(math.ceil(level * population - 1e-9))))


@dataclass(frozen=True)
class Absorption:
    """Absorption of the chain without exploration, from ``k0`` B-players.

    Times are in elementary steps (``*_steps``) and in generations (``Z`` steps).
    A time conditional on an event of probability 0 is ``None``.
    """

    k0: int
    fixation_probability: float
    log_fixation_probability: float
    extinction_probability: float
    log_extinction_probability: float
    absorption_steps: float
    fixation_steps: float | None
    extinction_steps: float | None
    population: int

    @property
    def absorption_generations(self) -> float:
        """Mean time to absorption, in generations (Z elementary steps)."""
        return self.absorption_steps / self.population

    @property
    def fixation_generations(self) -> float | None:
        """Mean time to fixation of B given that it fixes, in generations (None if it cannot)."""
        return None if self.fixation_steps is None else self.fixation_steps / self.population

    @property
    def extinction_generations(self) -> float | None:
        """Mean time to extinction of B given that it dies out, in generations (None if it
        cannot)."""
        return None if self.extinction_steps is None else self.extinction_steps / self.population

    def as_dict(self) -> dict:
        """Plain dict with times in steps and generations and log10 of the probabilities."""
        ln10 = math.log(10.0)
        return {
            "k0": self.k0,
            "fixation_probability": self.fixation_probability,
            "log10_fixation_probability": self.log_fixation_probability / ln10,
            "extinction_probability": self.extinction_probability,
            "log10_extinction_probability": self.log_extinction_probability / ln10,
            "absorption_time": {
                "steps": self.absorption_steps,
                "generations": self.absorption_generations,
            },
            "fixation_time": {
                "steps": self.fixation_steps,
                "generations": self.fixation_generations,
            },
            "extinction_time": {
                "steps": self.extinction_steps,
                "generations": self.extinction_generations,
            },
        }


class BirthDeathChain:
    """The birth-death chain of ``population`` agents under normsim's Fermi rule.

    Parameters
    ----------
    game : CoordinationGame or MatrixGame
        The game (payoffs from its :meth:`~normsim.game.MatrixGame.matrix`, ``R1`` from
        its :meth:`~normsim.game.MatrixGame.payoff_range`).
    population : int
        Population size ``Z >= 2``.
    beta : float
        Selection strength (>= 0), normsim's ``beta``.
    mu : float
        Exploration rate in [0, 1] (normsim's: explore with probability mu,
        taking a uniformly random norm).

    Notes
    -----
    Arrays are indexed by the number ``k = 0..Z`` of B-players.
    """

    def __init__(
        self, game: Game, population: int, beta: float = DEFAULTS.beta, mu: float = 0.0
    ) -> None:
        self.game = game
        self.Z = Z = check_population(population)
        self.beta = check_number("beta", beta, low=0.0)
        self.mu = check_number("mu", mu, low=0.0, high=1.0)
        # scaling a and b together changes nothing (payoff differences over R1):
        # work with max(a, b) = 1, so that sums of payoffs cannot overflow
        unit = game.scaled(game.scale())
        self.R1 = unit.payoff_range(1, 1)
        m = unit.matrix()
        k = np.arange(Z + 1, dtype=float)
        self.f_b = ((k - 1.0) * m[1, 1] + (Z - k) * m[1, 0]) / (Z - 1)
        self.f_a = (k * m[0, 1] + (Z - k - 1.0) * m[0, 0]) / (Z - 1)
        # x = beta (f_B - f_A) / R1; log W(x) = -log(1 + exp(-x))
        self._x = self.beta * (self.f_b - self.f_a) / self.R1
        with np.errstate(divide="ignore"):
            pair = np.log(k) + np.log(Z - k) - math.log(Z) - math.log(Z - 1)
            sel_up = pair - np.logaddexp(0.0, -self._x)
            sel_down = pair - np.logaddexp(0.0, self._x)
            lsel = math.log1p(-self.mu) if self.mu < 1.0 else NEG_INF
            lex = math.log(self.mu / 2.0) if self.mu > 0.0 else NEG_INF
            self._log_up0 = sel_up  # mu = 0 chain
            self._log_down0 = sel_down
            self.log_up = np.logaddexp(lsel + sel_up, lex + np.log((Z - k) / Z))
            self.log_down = np.logaddexp(lsel + sel_down, lex + np.log(k / Z))
        # log prod_{j=1}^{i} gamma_j for i = 0..Z-1 (gamma_j = exp(-x_j) exactly)
        self._L = np.concatenate(([0.0], np.cumsum(-self._x[1:Z])))
        self._log_s = np.concatenate(([NEG_INF], _log_cumsum(self._L)))  # s(0..Z)
        self._log_s_rest = np.concatenate((_log_revcumsum(self._L), [NEG_INF]))  # s(Z)-s(k)

    # ------------------------------------------------------------------ basics
    def transitions(self) -> tuple[np.ndarray, np.ndarray]:
        """``(T+, T-)``: probabilities per elementary step of k -> k+1 and k -> k-1."""
        return np.exp(self.log_up), np.exp(self.log_down)

    def gradient(self) -> np.ndarray:
        """Gradient of selection ``T+(k) - T-(k)`` (expected change of k per step)."""
        up, down = self.transitions()
        return up - down

    def fixed_points(self) -> list[dict]:
        """Zeros of the gradient of selection, as shares ``k / Z``, with their stability.

        The finite-population analogue of the mean field's fixed points: a
        sign change of ``T+ - T-`` between ``k`` and ``k + 1`` (located by linear
        interpolation), stable when the gradient falls through zero. Without
        exploration the monomorphic states are fixed; each is stable when the
        gradient next to it points towards it (or is zero: neutral drift).
        """
        g = self.gradient()
        Z = self.Z
        if not np.any(g):
            return []  # neutral: every state drifts without direction
        lo_k = 1 if self.mu == 0.0 else 0
        pts: list[dict] = []
        if self.mu == 0.0:
            pts.append({"p": 0.0, "stable": bool(g[1] < 0.0)})
        i = np.arange(lo_k, Z - lo_k)
        g0, g1 = g[i], g[i + 1]
        for j in np.nonzero(((g0 > 0.0) & (g1 <= 0.0)) | ((g0 < 0.0) & (g1 >= 0.0)))[0]:
            pts.append(
                {"p": float(i[j] + g0[j] / (g0[j] - g1[j])) / Z, "stable": bool(g0[j] > 0.0)}
            )
        if self.mu == 0.0:
            pts.append({"p": 1.0, "stable": bool(g[Z - 1] > 0.0)})
        return pts

    # --------------------------------------------------------------- fixation
    def log_fixation_probability(self, k0: int) -> float:
        """Natural log of the probability that ``k0`` B-players take over (no exploration)."""
        k0 = self._state(k0, "k0")
        if k0 == 0:
            return NEG_INF
        return _complement(
            float(self._log_s[k0] - self._log_s[self.Z]),
            float(self._log_s_rest[k0] - self._log_s[self.Z]),
        )

    def fixation_probability(self, k0: int) -> float:
        """Probability that ``k0`` B-players take over the population (no exploration).

        Computed in log space: it is exact down to about 1e-308, below which
        only :meth:`log_fixation_probability` can represent it.
        """
        return _exp(self.log_fixation_probability(k0))

    def fixation_probabilities(self) -> np.ndarray:
        """Fixation probability of B from every state k = 0..Z (no exploration)."""
        return np.exp(self._log_s - self._log_s[self.Z])

    def absorption(self, k0: int) -> Absorption:
        """Fixation probabilities and mean absorption times from ``k0`` (no exploration)."""
        k0 = self._state(k0, "k0")
        return self._absorption(k0, self.Z)

    def _absorption(self, j: int, top: int) -> Absorption:
        """Absorption in 0 or ``top`` of the chain restricted to 0..top (mu = 0).

        ``top < Z`` is the chain stopped when it first reaches ``top``: its
        states below ``top`` move exactly as in the full chain.
        """
        Z = self.Z
        L = self._L[:top]
        ls = np.concatenate(([NEG_INF], _log_cumsum(L)))  # s(0..top)
        lr = np.concatenate((_log_revcumsum(L), [NEG_INF]))  # s(top)-s(0..top)
        lS = float(ls[top])
        lrho = float(ls[j] - lS) if j > 0 else NEG_INF
        lext = float(lr[j] - lS) if j < top else NEG_INF
        lrho, lext = _complement(lrho, lext), _complement(lext, lrho)
        if j in (0, top):
            return Absorption(
                j,
                _exp(lrho),
                lrho,
                _exp(lext),
                lext,
                0.0,
                0.0 if j == top else None,
                0.0 if j == 0 else None,
                Z,
            )
        l_idx = np.arange(1, top)
        lm = -self._log_up0[1:top] - L[1:top]  # log 1 / (T+(l) P_l), mu = 0
        s_l, r_l = ls[1:top], lr[1:top]
        below = l_idx <= j
        # absorption: sum_l N(j, l)
        t_log = np.logaddexp(
            float(lr[j] - lS) + _logsumexp(s_l[below] + lm[below]),
            float(ls[j] - lS) + _logsumexp(r_l[~below] + lm[~below]),
        )
        # conditional on fixation: sum_l N(j, l) rho_l / rho_j
        tf_log = np.logaddexp(
            float(lr[j] - ls[j] - lS) + _logsumexp(2 * s_l[below] + lm[below]),
            -lS + _logsumexp(r_l[~below] + s_l[~below] + lm[~below]),
        )
        # conditional on extinction: sum_l N(j, l) (1 - rho_l) / (1 - rho_j)
        te_log = np.logaddexp(
            -lS + _logsumexp(s_l[below] + r_l[below] + lm[below]),
            float(ls[j] - lr[j] - lS) + _logsumexp(2 * r_l[~below] + lm[~below]),
        )
        return Absorption(
            j,
            _exp(lrho),
            lrho,
            _exp(lext),
            lext,
            _exp(float(t_log)),
            _exp(float(tf_log)),
            _exp(float(te_log)),
            Z,
        )

    # ------------------------------------------------------------- stationary
    def log_stationary_distribution(self) -> np.ndarray:
        """Natural log of the stationary distribution over k = 0..Z (needs ``mu > 0``).

        Detailed balance: ``pi_k / pi_{k-1} = T+(k-1) / T-(k)``.
        """
        if self.mu == 0.0:
            raise NormsimError(
                "the stationary distribution needs exploration (mu > 0): "
                "without it the chain ends in all-A or all-B"
            )
        lp = np.concatenate(([0.0], np.cumsum(self.log_up[:-1] - self.log_down[1:])))
        return lp - _logsumexp(lp)

    def stationary_distribution(self) -> np.ndarray:
        """Stationary distribution over k = 0..Z with exploration (``mu > 0``)."""
        return np.exp(self.log_stationary_distribution())

    # ---------------------------------------------------------- first passage
    def log_passage_steps(self) -> np.ndarray:
        """``log tau_j``: mean steps from j to j + 1 for j = 0..Z-1 (needs ``mu > 0``).

        ``tau_j = sum_{l <= j} pi_l / (pi_j T+(j))`` for the birth-death chain.
        """
        lpi = self.log_stationary_distribution()
        return _log_cumsum(lpi[:-1]) - lpi[:-1] - self.log_up[:-1]

    def passage(self, level: float = 0.5, start: int | Sequence[float] | np.ndarray = 0) -> Passage:
        """Expected time until the share of B first reaches ``level``.

        Parameters
        ----------
        level : float
            Target share in (0, 1]; the target state is the smallest k with
            ``k / Z >= level`` (0.5: the criterion of t50).
        start : int or array
            A start state k0, or a distribution over k = 0..Z (for example the
            old norm's stationary distribution); states already at or above the
            target count with time 0.

        Returns
        -------
        Passage
            With exploration, the unconditional mean first-passage time. Without
            it, from a single start state: the probability of reaching the
            target before all-A and the mean time conditional on reaching it.
        """
        level = check_number("level", level, low=0.0, high=1.0, low_open=True)
        K = level_state(level, self.Z)
        if np.ndim(start) == 0:
            k0 = self._state(start, "start")
            if k0 >= K:
                return Passage(level, K, 1.0, 0.0, 0.0, self.Z)
            if self.mu == 0.0:
                if k0 == 0:
                    return Passage(level, K, 0.0, NEG_INF, None, self.Z)
                ab = self._absorption(k0, K)
                return Passage(
                    level,
                    K,
                    ab.fixation_probability,
                    ab.log_fixation_probability,
                    ab.fixation_steps,
                    self.Z,
                )
            ltau = self.log_passage_steps()
            lt = _logsumexp(ltau[k0:K])
            return Passage(level, K, 1.0, 0.0, _exp(lt), self.Z, log_steps=lt)
        dist = np.asarray(start, dtype=float)
        if (
            dist.shape != (self.Z + 1,)
            or not np.all(np.isfinite(dist))
            or np.any(dist < 0)
            or dist.sum() <= 0
        ):
            raise NormsimError(
                f"start: a distribution needs {self.Z + 1} finite "
                "non-negative weights with a positive sum"
            )
        if self.mu == 0.0:
            raise NormsimError("a start distribution needs exploration (mu > 0)")
        dist = dist / dist.sum()
        ltau = self.log_passage_steps()
        with np.errstate(divide="ignore"):
            lF = np.log(np.cumsum(dist)[:K])  # P(start <= j), j < K
        lt = _logsumexp(ltau[:K] + lF)
        return Passage(level, K, 1.0, 0.0, _exp(lt), self.Z, log_steps=lt)

    def old_norm_start(self) -> np.ndarray:
        """The stationary distribution before the shock (``game.shocked()``), as a start.

        The chain of the pre-shock game (a and b swapped, same Z, beta, mu),
        conditioned on the old norm holding the majority (share of B below 1/2).
        """
        before = BirthDeathChain(self.game.shocked(), self.Z, self.beta, self.mu)
        lpi = before.log_stationary_distribution()
        K = level_state(0.5, self.Z)
        lpi[K:] = NEG_INF
        return np.exp(lpi - _logsumexp(lpi))

    def _state(self, k: object, name: str) -> int:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise NormsimError(f"{name}: {k!r} is not an integer number of B-players")
        if not 0 <= k <= self.Z:
            raise NormsimError(f"{name}: {k} is outside 0..{self.Z} (population {self.Z})")
        return int(k)


@dataclass(frozen=True)
class Passage:
    """Expected first passage to a share of B of at least ``level``.

    ``probability`` is 1 with exploration; without it, the probability of
    reaching the target before all-A, and ``steps`` is then conditional on
    reaching it (``None`` when it cannot be reached).
    """

    level: float
    target: int
    probability: float
    log_probability: float
    steps: float | None
    population: int
    log_steps: float | None = None

    @property
    def generations(self) -> float | None:
        """The expected passage time in generations (None if never reached)."""
        return None if self.steps is None else self.steps / self.population

    def as_dict(self) -> dict:
        """Plain dict of the passage (level, target, probability, times; log10 of the steps
        when they overflow)."""
        out = {
            "level": self.level,
            "target": self.target,
            "probability": self.probability,
            "steps": self.steps,
            "generations": self.generations,
        }
        if self.log_steps is not None:
            out["log10_generations"] = (self.log_steps - math.log(self.population)) / math.log(10)
        return out


def threshold_c(
    a: float, b: float, population: int, beta: float, tol: float = 1e-10
) -> float | None:
    """Need for coordination above which selection opposes a single B-player's fixation.

    The c in [0, 1] where ``rho_1 = 1 / Z`` (neutral fixation), with ``rho_1 > 1/Z``
    below it: the finite-population sense in which the old norm resists
    (Nowak, Sasaki, Taylor & Fudenberg 2004). None when there is no such c.
    """
    Z = check_population(population)
    beta = check_number("beta", beta, low=0.0)
    if beta == 0.0:
        return None

    j = np.arange(1, Z, dtype=float)

    scale = max(a, b)  # scaling a and b together changes nothing: no overflow

    def f(c: float) -> float:
        """log(Z rho_1): the fixation sum only (no chain object), O(Z)."""
        g = CoordinationGame(a / scale, b / scale, c)
        m = g.matrix()
        d = (j - 1.0) * m[1, 1] + (Z - j) * m[1, 0] - j * m[0, 1] - (Z - j - 1.0) * m[0, 0]
        L = np.concatenate(([0.0], np.cumsum(-beta * d / ((Z - 1) * g.payoff_range(1, 1)))))
        return math.log(Z) - _logsumexp(L)

    grid = np.linspace(0.0, 1.0, 41)
    vals = [f(float(c)) for c in grid]
    for i in range(len(grid) - 1):
        if vals[i] > 0.0 and vals[i + 1] <= 0.0:
            from scipy.optimize import brentq

            return float(brentq(f, grid[i], grid[i + 1], xtol=tol))
    return None


def analyse(
    a: float,
    b: float,
    c: float,
    population: int,
    beta: float = DEFAULTS.beta,
    mu: float = 0.0,
    k0: int | None = None,
    start: str | int = "old",
    distribution: bool = True,
) -> dict:
    """Everything ``normsim analytic --model finite --json`` reports, as a plain dict.

    Parameters
    ----------
    a, b, c : float
        The game after the shock (B is the norm whose share is followed).
    population : int
        Population size Z.
    beta, mu : float
        Selection strength and exploration rate (normsim's).
    k0 : int, optional
        Initial number of B-players for the fixation quantities (default 1).
    start : ``"old"``, ``"stationary"`` or int
        Start of the first passage to the share levels: all-old (k = 0), the old
        norm's stationary distribution before the shock, or k B-players.
    distribution : bool
        Include the whole stationary distribution (Z + 1 numbers).

    Times ``t50``/``t90``/``t99`` are expected first-passage times in generations
    (``Z`` elementary steps); ``final_p`` is the long-run expected share of B
    (the stationary mean with exploration, the fixation probability from
    ``k0`` without).
    """
    return analyse_game(CoordinationGame(a, b, c), population, beta, mu, k0, start, distribution)


def analyse_game(
    game: Game,
    population: int,
    beta: float = DEFAULTS.beta,
    mu: float = 0.0,
    k0: int | None = None,
    start: str | int = "old",
    distribution: bool = True,
) -> dict:
    """:func:`analyse` for any game (a :class:`~normsim.game.MatrixGame` too): the game
    is reported as :func:`normsim.theory.analytic.game_fields` does, and the threshold
    c only for the (a, b, c) game."""
    ch = BirthDeathChain(game, population, beta, mu)
    Z = ch.Z
    k_fix = 1 if k0 is None else ch._state(k0, "k0")
    ab = ch.absorption(k_fix)
    if isinstance(start, str):
        if start == "old":
            start_state: int | np.ndarray = 0
        elif start == "stationary":
            if mu == 0.0:
                raise NormsimError(
                    "start from the old norm's stationary distribution needs exploration (mu > 0)"
                )
            start_state = ch.old_norm_start()
        else:
            raise NormsimError(
                f"start: {start!r} is not 'old', 'stationary' or a number of B-players"
            )
    else:
        start_state = ch._state(start, "start")
    passages = {lv: ch.passage(lv, start_state) for lv in LEVELS}
    out: dict = {
        "model": "finite",
        **game_fields(game),
        "mu": ch.mu,
        "beta": ch.beta,
        "population": Z,
        "start": start if isinstance(start, str) else int(start),
        "fixed_points": ch.fixed_points(),
        "t50": passages[0.5].generations,
        "t90": passages[0.9].generations,
        "t99": passages[0.99].generations,
        "passage": {f"{lv:g}": p.as_dict() for lv, p in passages.items()},
        "fixation": ab.as_dict(),
        "neutral_fixation_probability": k_fix / Z,
    }
    if isinstance(game, CoordinationGame):
        out["threshold_c"] = threshold_c(game.a, game.b, Z, ch.beta)
    if mu > 0.0:
        pi = ch.stationary_distribution()
        k = np.arange(Z + 1)
        out["final_p"] = float(pi @ k) / Z
        out["stationary"] = {
            "mean_share": out["final_p"],
            "share_at_least_half": min(1.0, float(pi[level_state(0.5, Z) :].sum())),
            "mode": int(np.argmax(pi)) / Z,
        }
        if distribution:
            out["stationary"]["distribution"] = pi.tolist()
    else:
        out["final_p"] = ab.fixation_probability
        out["stationary"] = None
    return out
