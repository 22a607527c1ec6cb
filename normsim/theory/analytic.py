"""Well-mixed mean-field dynamics: the replicator(-mutator) and the pairwise-comparison mean field.

The model description's section 7.8 (docs/model/odd.md). ``p`` is the share of
norm B; fitnesses are
``f_A = a (1 - c p)`` and ``f_B = b (1 - c (1 - p))``::

    dp/dt = p (1 - p) [c (a + b) p - (a - (1 - c) b)] + mu [(1 - p) f_A - p f_B]

With ``mu = 0`` this is the replicator dynamic; with ``mu > 0`` offspring switch
to the other norm with probability ``mu`` (mutation matrix
``[[1 - mu, mu], [mu, 1 - mu]]``).

Everything here is a pure function of plain numbers and arrays, in the manner
of :func:`scipy.integrate.solve_ivp`. The mechanisms' models (committed agents,
conformity, groups) build on it in :mod:`normsim.theory.mechanics_ode`.

Examples
--------
>>> sol = solve(a=0.4, b=0.6, c=0.3, p0=0.05, t_max=100)
>>> round(sol.crossing[0.5], 2)
43.05
>>> [round(fp.p, 4) for fp in fixed_points(0.4, 0.6, 0.5)]
[0.0, 0.2, 1.0]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import overload

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from normsim.errors import NormsimError, check_number
from normsim.game import LEVELS, NORM_NAMES, CoordinationGame, Game, MatrixGame, fitness
from normsim.params import DEFAULTS

RTOL = 1e-10
ATOL = 1e-12


def _check(a: float, b: float, c: float, mu: float) -> tuple[float, float, float, float]:
    g = CoordinationGame(a, b, c)  # validates a, b, c
    return g.a, g.b, g.c, check_number("mu", mu, low=0.0, high=1.0)


@dataclass(frozen=True)
class _Event:
    """An event function for :func:`scipy.integrate.solve_ivp` with the attributes it
    reads off one: the ``direction`` of the zero crossings that count, and whether one
    ends the integration (``terminal``)."""

    fn: Callable[[float, np.ndarray], float]
    direction: float = 0.0
    terminal: bool = False

    def __call__(self, t: float, y: np.ndarray) -> float:
        return self.fn(t, y)


@overload
def rhs(p: float, a: float, b: float, c: float, mu: float = 0.0) -> float: ...
@overload
def rhs(p: np.ndarray, a: float, b: float, c: float, mu: float = 0.0) -> np.ndarray: ...
def rhs(p: float | np.ndarray, a: float, b: float, c: float, mu: float = 0.0) -> float | np.ndarray:
    """dp/dt of the replicator(-mutator) dynamic, vectorised over ``p``."""
    p = np.asarray(p, dtype=float) if not np.isscalar(p) else float(p)
    fa, fb = fitness(a, b, c, p)
    return p * (1.0 - p) * (fb - fa) + mu * ((1.0 - p) * fa - p * fb)


def coefficients(a: float, b: float, c: float, mu: float = 0.0) -> np.ndarray:
    """Coefficients of dp/dt as a cubic in p, highest power first (for ``np.roots``)."""
    alpha = c * (a + b)
    beta = a - (1.0 - c) * b
    return np.array(
        [
            -alpha,
            alpha + beta + mu * c * (a - b),
            -beta - mu * (a * (1.0 + c) + b * (1.0 - c)),
            mu * a,
        ]
    )


def drhs_dp(p: float, a: float, b: float, c: float, mu: float = 0.0) -> float:
    """d(dp/dt)/dp: the eigenvalue of the one-dimensional dynamic at a fixed point."""
    return float(np.polyval(np.polyder(coefficients(a, b, c, mu)), p))


def threshold_c(a: float, b: float) -> float:
    """``c* = |b - a| / max(a, b)``.

    Below c* the better norm strictly dominates; above it the old norm is
    stable too (docs/model/odd.md, 7.8).
    """
    return CoordinationGame(a, b, 0.0).threshold_c()


def interior_fixed_point(a: float, b: float, c: float) -> float | None:
    """The replicator's tipping point p* = (a - (1 - c) b) / (c (a + b)), if in (0, 1)."""
    if c <= 0:
        return None
    a, b = a / max(a, b), b / max(a, b)  # a + b could overflow; p* depends on a : b only
    p = (a - (1.0 - c) * b) / (c * (a + b))
    return p if 0.0 < p < 1.0 else None


def switches(a: float, b: float, c: float, p0: float) -> bool:
    """Whether the replicator dynamic from ``p(0) = p0`` ends at all-B.

    For ``p0 = eps`` and ``b > a`` this is the condition
    ``c < (b - a) / (b - eps (a + b))`` (docs/model/odd.md, 7.8).
    """
    a, b, c, _ = _check(a, b, c, 0.0)
    p0 = check_number("p0", p0, low=0.0, high=1.0)
    if p0 == 0.0:
        return False
    if p0 == 1.0:
        return True
    beta = a - (1.0 - c) * b
    if beta < 0:  # B strictly better against every mix: all-B attracts
        return True
    star = interior_fixed_point(a, b, c)
    if star is None:  # A weakly dominates
        return False
    return p0 > star


@dataclass(frozen=True)
class FixedPoint:
    """A fixed point ``p`` of the dynamic with its eigenvalue and stability."""

    p: float
    eigenvalue: float
    stable: bool

    def as_dict(self) -> dict:
        """The fixed point as a plain dict (``p``, ``stable``, ``eigenvalue``)."""
        return {"p": self.p, "stable": self.stable, "eigenvalue": self.eigenvalue}


def fixed_points(a: float, b: float, c: float, mu: float = 0.0) -> list[FixedPoint]:
    """Fixed points in [0, 1], sorted, each with its stability.

    A fixed point is stable when the derivative of dp/dt there is negative.
    Returns an empty list in the neutral case where dp/dt is identically zero
    (a = b, c = 0, mu = 0).
    """
    a, b, c, mu = _check(a, b, c, mu)
    return game_fixed_points(CoordinationGame(a, b, c), mu)


def _game_fixed_points(game: Game, mu: float) -> list[FixedPoint]:
    """:func:`game_fixed_points` for a checked game with normalised payoffs."""
    coef = game_coefficients(game, mu)
    if np.all(np.abs(coef) < 1e-15):
        return []
    scale = np.max(np.abs(coef))
    trimmed = coef
    while len(trimmed) > 1 and abs(trimmed[0]) < 1e-13 * scale:  # negligible leading terms
        trimmed = trimmed[1:]
    candidates: list[float] = []
    for r in np.roots(trimmed):
        if abs(r.imag) > 1e-7:
            continue
        x = float(r.real)
        if -1e-9 <= x <= 1.0 + 1e-9:
            candidates.append(min(1.0, max(0.0, x)))
    if mu == 0.0:  # the boundaries are exact roots of the replicator
        candidates += [0.0, 1.0]
    pts: list[float] = []
    for x in sorted(candidates):
        x = _polish(x, game, mu)
        if abs(float(game_rhs(x, game, mu))) > 1e-10 * max(1.0, scale):
            continue
        if not pts or abs(x - pts[-1]) > 1e-9:
            pts.append(x)
    dcoef = np.polyder(coef)
    return [
        FixedPoint(
            p=x,
            eigenvalue=float(np.polyval(dcoef, x)),
            stable=float(np.polyval(dcoef, x)) < 0,
        )
        for x in pts
    ]


def _polish(x: float, game: Game, mu: float) -> float:
    """A few Newton steps on the cubic, kept inside [0, 1]."""
    for edge in (0.0, 1.0):  # snap to an exact boundary root
        if abs(x - edge) < 1e-9 and game_rhs(edge, game, mu) == 0.0:
            return edge
    coef = game_coefficients(game, mu)
    dcoef = np.polyder(coef)
    for _ in range(5):
        d = np.polyval(dcoef, x)
        if d == 0:
            break
        x_new = min(1.0, max(0.0, x - np.polyval(coef, x) / d))
        if x_new == x:
            break
        x = float(x_new)
    return float(x)


def _bistable(a: float, b: float, c: float, mu: float) -> bool:
    return sum(fp.stable for fp in fixed_points(a, b, c, mu)) >= 2


def mu_crit(a: float, b: float, c: float, tol: float = 1e-12) -> float | None:
    """Exploration rate above which the population cannot stay near the old norm.

    For c > c* the replicator-mutator dynamic is bistable for small mu; at
    ``mu_crit`` the stable point near the old norm meets the tipping point in a
    saddle-node bifurcation and disappears. Returns None when c <= c* (the
    population always leaves the old norm, even with mu = 0).
    """
    a, b, c, _ = _check(a, b, c, 0.0)
    if a == b or c <= threshold_c(a, b) or not _bistable(a, b, c, 1e-12):
        return None
    grid = np.linspace(0.0, 0.5, 501)[1:]
    lo = 0.0
    for mu in grid:
        if not _bistable(a, b, c, float(mu)):
            hi = float(mu)
            break
        lo = float(mu)
    else:
        return None
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if _bistable(a, b, c, mid):
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@dataclass
class Solution:
    """A solved trajectory of the well-mixed dynamic.

    Attributes
    ----------
    t, p : arrays
        Time points and share of B.
    crossing : dict
        First time ``p >= level`` for each level in ``LEVELS`` (None if never).
    final_p : float
        ``p`` at the end of the time span.
    """

    t: np.ndarray
    p: np.ndarray
    crossing: dict[float, float | None] = field(default_factory=dict)
    final_p: float = float("nan")


class _Budget(Exception):
    pass


def solve(
    a: float,
    b: float,
    c: float,
    mu: float = 0.0,
    p0: float = 0.05,
    t_max: float = 100.0,
    t_eval: Sequence[float] | np.ndarray | None = None,
    shocks: Sequence[float] = (),
    levels: Sequence[float] = LEVELS,
) -> Solution:
    """Integrate the replicator(-mutator) dynamic from ``p(0) = p0`` to ``t_max``.

    Uses :func:`scipy.integrate.solve_ivp` (DOP853, rtol 1e-10, atol 1e-12) with
    event detection for the first crossing of each level. At every time in
    ``shocks`` a and b swap. ``t_eval`` defaults to 2001 evenly spaced points.

    Any payoff scale and time span is handled quickly: dp/dt is proportional
    to a and b taken together, so the dynamic is integrated with
    ``max(a, b) = 1`` in the time ``tau = max(a, b) (t - t0)`` from the start ``t0`` of
    each span between shocks (so that a large scale or a late shock costs no
    precision); and once ``p`` is within
    ``CONVERGED`` of a stable fixed point (which, in one dimension, it can
    then never leave) the rest of the span is that fixed point, instead of
    thousands of steps that an explicit solver needs to stay stable there. A
    span that still needs more than ``MAX_RHS_CALLS`` evaluations is a
    :class:`~normsim.errors.NormsimError`.
    """
    a, b, c, mu = _check(a, b, c, mu)
    return solve_game(CoordinationGame(a, b, c), mu, p0, t_max, t_eval, shocks, levels)


def solve_game(
    game: Game,
    mu: float = 0.0,
    p0: float = 0.05,
    t_max: float = 100.0,
    t_eval: Sequence[float] | np.ndarray | None = None,
    shocks: Sequence[float] = (),
    levels: Sequence[float] = LEVELS,
) -> Solution:
    """:func:`solve` for any game (:class:`~normsim.game.CoordinationGame` or
    :class:`~normsim.game.MatrixGame`): at every time in ``shocks`` the norms swap
    roles (:meth:`~normsim.game.MatrixGame.shocked`). The time is scaled by the
    game's largest absolute payoff (:meth:`~normsim.game.MatrixGame.scale`).

    >>> from normsim.game import MatrixGame
    >>> round(solve_game(MatrixGame(4.0, 0.0, 3.0, 2.0), p0=0.4, t_max=50).final_p, 6)
    1.0
    """
    mu = _check_game(game, mu)
    p0 = check_number("p0", p0, low=0.0, high=1.0)
    t_max = check_number("t_max", t_max, low=0.0, low_open=True)
    if t_eval is None:
        t_eval = np.linspace(0.0, t_max, 2001)
    t_eval = np.asarray(t_eval, dtype=float)
    t_eval = t_eval[(t_eval >= 0.0) & (t_eval <= t_max)]
    scale = game.scale()
    unit = game.scaled(scale)
    cuts = sorted(float(s) for s in shocks if 0.0 < float(s) < t_max)
    bounds = [0.0, *cuts, t_max]
    crossing: dict[float, float | None] = {lv: (0.0 if p0 >= lv else None) for lv in levels}
    p_out = np.empty(len(t_eval))
    p_start = p0
    calls = [0]
    for i in range(len(bounds) - 1):
        t0, t1 = bounds[i], bounds[i + 1]
        last = i == len(bounds) - 2
        mask = (t_eval >= t0) & ((t_eval <= t1) if last else (t_eval < t1))
        g = unit if i % 2 == 0 else unit.shocked()
        stable = [fp.p for fp in _game_fixed_points(g, mu) if fp.stable]
        # tau = scale * (t - t0); a span beyond the float range ends settled anyway
        tau1 = _tau(scale, t1 - t0)
        near = [x for x in stable if abs(p_start - x) <= CONVERGED]
        if near or tau1 <= _TINY_SPAN:  # settled, or no time to move by 1e-12
            p_out[mask] = near[0] if near else p_start
            continue
        events: list[_Event] = []
        for lv in levels:

            def ev(t: float, y: np.ndarray, lv: float = lv) -> float:
                return y[0] - lv

            events.append(_Event(ev, direction=1.0))
        if stable:

            def settled(t: float, y: np.ndarray, stable: list[float] = stable) -> float:
                return min(abs(y[0] - x) for x in stable) - CONVERGED

            events.append(_Event(settled, direction=-1.0, terminal=True))

        def f(t: float, y: np.ndarray, g: Game = g) -> list[float]:
            calls[0] += 1
            if calls[0] > MAX_RHS_CALLS:
                raise _Budget
            return [game_rhs(y[0], g, mu)]

        try:
            res = solve_ivp(
                f,
                (0.0, tau1),
                [p_start],
                method="DOP853",
                rtol=RTOL,
                atol=ATOL,
                events=events,
                dense_output=True,
            )
        except _Budget:
            raise NormsimError(
                f"the well-mixed dynamic ({describe(game)}, mu={mu:g}) needs more than "
                f"{MAX_RHS_CALLS:,} steps to reach t = {t1:g} without settling; shorten the "
                "time span"
            ) from None
        if not res.success:  # pragma: no cover - DOP853 does not fail on this smooth ODE
            raise NormsimError(f"the well-mixed dynamic could not be integrated: {res.message}")
        for lv, te in zip(levels, res.t_events, strict=False):  # settled's events may follow
            if crossing[lv] is None and len(te):
                crossing[lv] = t0 + float(te[0]) / scale
        with np.errstate(over="ignore"):
            tau = scale * (t_eval[mask] - t0)  # inf beyond the float range: settled
        done = res.t[-1]  # tau1, or where p settled
        inside = tau <= done
        vals = np.empty(len(tau))
        vals[inside] = res.sol(np.clip(tau[inside], 0.0, done))[0] if inside.any() else []
        if res.status == 1:  # settled at the nearest stable fixed point
            x = min(stable, key=lambda x: abs(res.y[0, -1] - x))
            vals[~inside] = x
            p_start = x
            for lv in levels:  # reached on the way there, within CONVERGED
                if crossing[lv] is None and x >= lv:
                    crossing[lv] = t0 + float(done) / scale
        else:
            p_start = float(np.clip(res.sol(tau1)[0], 0.0, 1.0))
            vals[~inside] = p_start  # only times whose tau overflowed
        p_out[mask] = np.clip(vals, 0.0, 1.0)
    return Solution(t=t_eval.copy(), p=p_out, crossing=crossing, final_p=p_start)


#: distance to a stable fixed point below which the dynamic counts as settled there
CONVERGED = 1e-12
#: evaluations of dp/dt one solve() may use (a few seconds)
MAX_RHS_CALLS = 500_000
_TINY_SPAN = 1e-13  # |dp/dtau| <= 1.25 with max(a, b) = 1: p moves by less than 1.3e-13


def _tau(scale: float, t: float) -> float:
    tau = scale * t
    return tau if math.isfinite(tau) else 1e300


@dataclass
class Prediction:
    """The well-mixed dynamic sampled once per generation (index g = time g).

    Attributes
    ----------
    share_b : (G+1,) array
        Share of B.
    mean_payoff : (G+1,) array
        Mean payoff of one game, :meth:`~normsim.game.CoordinationGame.mean_fitness` of the
        game in force at each time (a and b swapped from each shock on).
    """

    share_b: np.ndarray
    mean_payoff: np.ndarray


def well_mixed_prediction(
    game: Game, mu: float, p0: float, generations: int, shocks: Sequence[int] = ()
) -> Prediction:
    """The replicator(-mutator) dynamic of ``game`` from ``p(0) = p0``, at t = 0..generations.

    The one well-mixed prediction of normsim: the runner stores it for a
    ``well_mixed`` condition, and the shares plot and the browser page draw it
    (dashed) beside a network's series. Shocks at the given times swap a and b.

    >>> pr = well_mixed_prediction(CoordinationGame(0.4, 0.6, 0.3), 0.0, 0.05, 50)
    >>> round(float(pr.share_b[50]), 4)
    0.8203
    """
    G = int(generations)
    sol = solve_game(
        game,
        mu,
        p0,
        t_max=float(G),
        t_eval=np.arange(G + 1, dtype=float),
        shocks=shocks,
    )
    p = sol.p
    swapped = np.zeros(G + 1, dtype=bool)
    for s in shocks:  # the game in force at each time
        swapped[int(s) :] ^= True
    if isinstance(game, MatrixGame):
        fa0, fb0 = game.fitness(p)
        fa1, fb1 = game.shocked().fitness(p)
        f_a, f_b = np.where(swapped, fa1, fa0), np.where(swapped, fb1, fb0)
        return Prediction(share_b=p, mean_payoff=(1 - p) * f_a + p * f_b)
    a = np.where(swapped, game.b, game.a)
    b = np.where(swapped, game.a, game.b)
    f_a, f_b = fitness(a, b, game.c, p)
    return Prediction(share_b=p, mean_payoff=(1 - p) * f_a + p * f_b)


def dpdt_curve(
    a: float, b: float, c: float, mu: float = 0.0, n: int = 201
) -> tuple[np.ndarray, np.ndarray]:
    """``(p, dp/dt)`` on ``n`` evenly spaced points of [0, 1] (paper Fig. 5)."""
    a, b, c, mu = _check(a, b, c, mu)
    p = np.linspace(0.0, 1.0, n)
    return p, rhs(p, a, b, c, mu)


def crossing_time_root(
    a: float, b: float, c: float, mu: float, p0: float, level: float, t_max: float
) -> float | None:
    """First time ``p >= level``, found by root-finding on the dense solution.

    An independent route to the crossing times that :func:`solve` finds by
    event detection (used by the tests to check one against the other).
    """
    sol = solve_ivp(
        lambda t, y: [rhs(y[0], a, b, c, mu)],
        (0.0, t_max),
        [p0],
        method="DOP853",
        rtol=RTOL,
        atol=ATOL,
        dense_output=True,
    )
    grid = np.linspace(0.0, t_max, 4001)
    vals = sol.sol(grid)[0] - level
    idx = np.nonzero(vals >= 0)[0]
    if len(idx) == 0:
        return None
    if idx[0] == 0:
        return 0.0
    return brentq(lambda t: sol.sol(t)[0] - level, grid[idx[0] - 1], grid[idx[0]], xtol=1e-12)


def analyse(
    a: float, b: float, c: float, mu: float = 0.0, p0: float = 0.05, t_max: float = 100.0
) -> dict:
    """Everything ``normsim analytic --json`` reports, as a plain dict."""
    a, b, c, mu = _check(a, b, c, mu)
    sol = solve(a, b, c, mu, p0, t_max)
    return {
        "a": a,
        "b": b,
        "c": c,
        "mu": mu,
        "p0": p0,
        "t_max": t_max,
        "threshold_c": threshold_c(a, b),
        "mu_crit": mu_crit(a, b, c),
        "fixed_points": [{"p": fp.p, "stable": fp.stable} for fp in fixed_points(a, b, c, mu)],
        "t50": sol.crossing[0.5],
        "t90": sol.crossing[0.9],
        "t99": sol.crossing[0.99],
        "final_p": sol.final_p,
    }


# ============================================== shared machinery for trajectories
@dataclass
class Trajectory:
    """A solved trajectory of a mean-field dynamic with shocks.

    Attributes
    ----------
    t : array
        Time points (generations for the pairwise mean field and the pair
        approximation).
    y : array, shape (n_vars, len(t))
        The state (``y[0]`` is the share of B; the pair approximation adds the
        share of B-B pairs).
    crossing : dict
        First time the share of B reaches each level (None if never).
    shocks : list of dict
        Per shock: ``at``, the ``new_norm`` it favours, and ``t50``/``t90``/``t99``,
        the time after the shock until the share of the new norm first reaches
        0.5/0.9/0.99 (None if not before the next shock or the end).
    final : array
        The state at the end of the time span; ``final_p`` its share of B.
    """

    t: np.ndarray
    y: np.ndarray
    crossing: dict[float, float | None]
    shocks: list[dict]
    final: np.ndarray

    @property
    def p(self) -> np.ndarray:
        """Share of B over time."""
        return self.y[0]

    @property
    def final_p(self) -> float:
        """The share of B at the end of the time span."""
        return float(self.final[0])


#: the work :func:`integrate` may do; a time span that needs more evaluations of
#: the right-hand side (a few seconds) is refused with a clear message
MAX_RHS_CALLS = 300_000
#: the shortest span :func:`integrate` accepts (shorter ones underflow its time grid)
MIN_T_MAX = 1e-6


#: a right-hand side ``dy/dt = f(t, y)`` as :func:`scipy.integrate.solve_ivp` takes it
type Field = Callable[[float, np.ndarray], np.ndarray | Sequence[float]]


def integrate(
    rhs_for: Callable[[Game], Field],
    game: Game,
    y0: Sequence[float] | np.ndarray,
    t_max: float,
    shocks: Sequence[float] = (),
    levels: Sequence[float] = LEVELS,
    t_eval: Sequence[float] | np.ndarray | None = None,
    rtol: float = 1e-9,
    atol: float = 1e-11,
    clip: Callable[[np.ndarray], np.ndarray] | None = None,
    method: str = "DOP853",
) -> Trajectory:
    """Integrate ``dy/dt = rhs_for(game)(t, y)`` from ``y0``, swapping the norms' roles
    (``game.shocked()``: a and b, or a matrix's ``[[P, T], [S, R]]``) at each shock.

    Uses :func:`scipy.integrate.solve_ivp` (``method``, default DOP853; LSODA
    where long spans near a stable equilibrium make explicit steps the
    bottleneck) with event detection for the
    crossings of the share of B (``y[0]``) and, after each shock, of the share
    of the norm the shock favours. ``t_eval`` defaults to 2001 evenly spaced points.
    """
    t_max = check_number("t_max", t_max, low=0.0, low_open=True)
    if t_max < MIN_T_MAX:
        raise NormsimError(f"t_max: {t_max:g} is too short to integrate (at least {MIN_T_MAX:g})")
    calls = [0]

    def budgeted(f: Field) -> Field:
        def h(t: float, y: np.ndarray) -> np.ndarray | Sequence[float]:
            calls[0] += 1
            if calls[0] > MAX_RHS_CALLS:
                raise NormsimError(
                    f"t_max: integrating {t_max:g} time units takes more than "
                    f"{MAX_RHS_CALLS:,} evaluations of the dynamic; give a shorter t_max"
                )
            return f(t, y)

        return h

    y0 = np.asarray(y0, dtype=float)
    if t_eval is None:
        t_eval = np.linspace(0.0, t_max, 2001)
    t_eval = np.asarray(t_eval, dtype=float)
    for s in shocks:
        check_number("shock time", s, low=0.0, high=t_max, low_open=True)
    cuts = sorted(float(s) for s in shocks if float(s) < t_max)
    bounds = [0.0, *cuts, t_max]
    crossing: dict[float, float | None] = {lv: (0.0 if y0[0] >= lv else None) for lv in levels}
    shock_rows: list[dict] = []
    ts, ys = [], []
    y_start = y0
    g = game
    for i in range(len(bounds) - 1):
        t0, t1 = bounds[i], bounds[i + 1]
        last = i == len(bounds) - 2
        mask = (t_eval >= t0) & ((t_eval <= t1) if last else (t_eval < t1))
        new = g.favoured_norm() if i > 0 else None
        # a level already reached at the segment's start needs no event: its crossing
        # is known, and an event function that starts at 0 can make solve_ivp's root
        # search fail (the dense output puts both ends of a step on the same side)
        events: list[_Event] = []
        b_levels = [lv for lv in levels if crossing[lv] is None]
        for lv in b_levels:

            def ev_b(t: float, y: np.ndarray, lv: float = lv) -> float:
                return y[0] - lv

            events.append(_Event(ev_b, direction=1.0))
        new_levels: list[float] = []
        if new is not None:
            sign = 1.0 if new == 1 else -1.0
            share_start = y_start[0] if new == 1 else 1.0 - y_start[0]
            new_levels = [lv for lv in levels if share_start < lv]
            for lv in new_levels:

                def ev_new(t: float, y: np.ndarray, lv: float = lv, sign: float = sign) -> float:
                    return sign * (y[0] - 0.5) + 0.5 - lv

                events.append(_Event(ev_new, direction=1.0))
        res = solve_ivp(
            budgeted(rhs_for(g)),
            (t0, t1),
            y_start,
            method=method,
            rtol=rtol,
            atol=atol,
            t_eval=t_eval[mask],
            events=events,
            dense_output=True,
        )
        if not res.success:  # pragma: no cover - DOP853 does not fail on these smooth ODEs
            raise RuntimeError(res.message)
        t_events = list(res.t_events or [])
        for lv, te in zip(b_levels, t_events[: len(b_levels)], strict=True):
            if crossing[lv] is None and len(te):
                crossing[lv] = float(te[0])
        if i > 0:
            share_new = y_start[0] if new == 1 else 1.0 - y_start[0]
            row: dict = {"at": t0, "new_norm": NORM_NAMES[new] if new is not None else None}
            new_times = dict(zip(new_levels, t_events[len(b_levels) :], strict=True))
            for lv in levels:
                key = f"t{round(lv * 100)}"
                te = new_times.get(lv, [])
                row[key] = 0.0 if share_new >= lv else (float(te[0]) - t0 if len(te) else None)
            shock_rows.append(row)
        y_seg = res.y if clip is None else clip(res.y)
        ts.append(res.t)
        ys.append(y_seg)
        y_start = np.asarray(res.sol(t1), dtype=float)
        if clip is not None:
            y_start = clip(y_start[:, None])[:, 0]
        g = g.shocked()
    return Trajectory(
        t=np.concatenate(ts),
        y=np.concatenate(ys, axis=1),
        crossing=crossing,
        shocks=shock_rows,
        final=y_start,
    )


def fixed_points_1d(
    f: Callable[[np.ndarray], np.ndarray], n: int = 2001, boundaries: bool = False
) -> list[FixedPoint]:
    """Fixed points of a one-dimensional ``dx/dt = f(x)`` on [0, 1], with stability.

    Sign changes of ``f`` on an ``n``-point grid are refined with brentq; with
    ``boundaries`` the ends 0 and 1 are included when ``f`` vanishes there. The
    eigenvalue is a finite-difference derivative (one-sided at the ends).
    Returns an empty list when ``f`` vanishes on the whole grid (neutral).
    """
    x = np.linspace(0.0, 1.0, n)
    v = np.asarray(f(x), dtype=float)
    scale = float(np.max(np.abs(v)))
    if scale == 0.0:
        return []
    pts: list[float] = []
    for i in range(n - 1):
        if v[i] == 0.0 and 0 < i:
            pts.append(float(x[i]))
        elif (v[i] > 0.0) != (v[i + 1] > 0.0) and v[i] != 0.0 and v[i + 1] != 0.0:
            pts.append(
                float(
                    brentq(
                        lambda z: float(f(np.array([z]))[0]), x[i], x[i + 1], xtol=1e-14, rtol=1e-14
                    )
                )
            )
    if v[0] == 0.0 and boundaries:
        pts.insert(0, 0.0)
    if v[-1] == 0.0 and boundaries:
        pts.append(1.0)
    out = []
    h = 1e-7
    for p in sorted(set(pts)):
        lo, hi = max(0.0, p - h), min(1.0, p + h)
        d = float((f(np.array([hi]))[0] - f(np.array([lo]))[0]) / (hi - lo))
        out.append(FixedPoint(p=p, eigenvalue=d, stable=d < 0.0))
    return out


def mu_crit_by_bisection(stable_points: Callable[[float], int], tol: float = 1e-10) -> float | None:
    """Smallest exploration rate at which a dynamic stops being bistable.

    ``stable_points(mu)`` counts the stable fixed points. Bistable at
    ``mu -> 0`` and monostable at 0.5 is assumed and checked; None otherwise.
    """
    if stable_points(1e-12) < 2:
        return None
    grid = np.linspace(0.0, 0.5, 201)[1:]
    lo = 1e-12
    for mu in grid:
        if stable_points(float(mu)) < 2:
            hi = float(mu)
            break
        lo = float(mu)
    else:
        return None
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if stable_points(mid) >= 2:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


# ================================== the pairwise-comparison mean field (Fermi rule)
def _pairwise_parts(game: Game, beta: float) -> tuple[float, float, float]:
    """``f_B - f_A = d0 + d1 x`` and the tanh scale ``beta / (2 R1)`` of the game."""
    scale = game.scale()  # invariant under scaling the payoffs together: no overflow
    m = game.matrix() / scale
    d0 = m[1, 0] - m[0, 0]
    d1 = m[1, 1] - m[1, 0] - m[0, 1] + m[0, 0]
    return float(d0), float(d1), beta / (2.0 * game.payoff_range(1, 1) / scale)


@overload
def pairwise_rhs(
    x: float, a: float, b: float, c: float, beta: float = ..., mu: float = ...
) -> float: ...
@overload
def pairwise_rhs(
    x: np.ndarray, a: float, b: float, c: float, beta: float = ..., mu: float = ...
) -> np.ndarray: ...
def pairwise_rhs(
    x: float | np.ndarray,
    a: float,
    b: float,
    c: float,
    beta: float = DEFAULTS.beta,
    mu: float = 0.0,
) -> float | np.ndarray:
    """dx/dt per generation of the pairwise-comparison mean field (docs/guide/theory.md).

    ``dx/dt = (1 - mu) x (1 - x) tanh(beta (f_B - f_A) / (2 R1)) + (mu / 2) (1 - 2 x)``,
    the infinite-Z limit of :class:`normsim.theory.finite.BirthDeathChain` (normsim's
    Fermi rule with ``R1 = CoordinationGame.payoff_range(1, 1)`` and its
    exploration: explore with probability mu, switching with mu / 2). Time is
    in generations. For weak selection it is the replicator dynamic
    (:func:`rhs`) slowed by ``beta / (2 R1)``.
    """
    return pairwise_game_rhs(x, CoordinationGame(a, b, c), beta, mu)


def _check_pw(
    a: float, b: float, c: float, beta: float, mu: float
) -> tuple[float, float, float, float, float]:
    a, b, c, mu = _check(a, b, c, mu)
    return a, b, c, check_number("beta", beta, low=0.0), mu


def pairwise_fixed_points(
    a: float, b: float, c: float, beta: float = DEFAULTS.beta, mu: float = 0.0
) -> list[FixedPoint]:
    """Fixed points of the pairwise mean field in [0, 1], sorted, with stability.

    Without exploration these are 0, 1 and the replicator's tipping point (the
    tanh keeps the sign of the payoff difference); exploration moves them.
    """
    a, b, c, beta, mu = _check_pw(a, b, c, beta, mu)
    return pairwise_game_fixed_points(CoordinationGame(a, b, c), beta, mu)


def pairwise_mu_crit(a: float, b: float, c: float, beta: float = DEFAULTS.beta) -> float | None:
    """Exploration rate above which the pairwise mean field cannot stay near the old norm.

    The saddle-node where the stable point near all-A meets the tipping point
    (None when the dynamic is not bistable at small mu).
    """
    a, b, c, beta, _ = _check_pw(a, b, c, beta, 0.0)
    if a == b or beta == 0.0 or c <= threshold_c(a, b):
        return None
    game = CoordinationGame(a, b, c)
    return mu_crit_by_bisection(lambda mu: _pairwise_stable_points(game, beta, mu))


def old_norm_share(fps: list[FixedPoint]) -> float:
    """The old norm's equilibrium share of B: the lowest stable fixed point (0 if none)."""
    stable = [fp.p for fp in fps if fp.stable]
    return min(stable) if stable else 0.0


def solve_pairwise(
    a: float,
    b: float,
    c: float,
    beta: float = DEFAULTS.beta,
    mu: float = 0.0,
    p0: float = 0.05,
    t_max: float = 1000.0,
    t_eval: Sequence[float] | np.ndarray | None = None,
    shocks: Sequence[float] = (),
    levels: Sequence[float] = LEVELS,
) -> Trajectory:
    """Integrate the pairwise mean field from ``x(0) = p0`` for ``t_max`` generations.

    At every time in ``shocks`` a and b swap; the trajectory reports the time
    after each shock until the favoured norm's share reaches each level.
    """
    a, b, c, beta, mu = _check_pw(a, b, c, beta, mu)
    return solve_pairwise_game(
        CoordinationGame(a, b, c), beta, mu, p0, t_max, t_eval, shocks, levels
    )


def analyse_pairwise(
    a: float,
    b: float,
    c: float,
    beta: float = DEFAULTS.beta,
    mu: float = 0.0,
    p0: float | None = 0.05,
    t_max: float = 1000.0,
    shocks: Sequence[float] = (),
) -> dict:
    """Everything ``normsim analytic --model pairwise --json`` reports, as a plain dict.

    ``p0=None`` starts from the old norm's equilibrium: the lowest stable fixed
    point of the game before the shock (a and b swapped).
    """
    a, b, c, beta, mu = _check_pw(a, b, c, beta, mu)
    game = CoordinationGame(a, b, c)
    return _analyse_pairwise(
        game, beta, mu, p0, t_max, shocks, lambda: pairwise_mu_crit(a, b, c, beta)
    )


# ========================================== any symmetric 2 x 2 game (normsim.game)
def describe(game: Game) -> str:
    """The game as text: ``a=0.4, b=0.6, c=0.3`` or ``matrix [[4, 0], [3, 2]]``."""
    if isinstance(game, MatrixGame):
        return f"matrix [[{game.R:g}, {game.S:g}], [{game.T:g}, {game.P:g}]]"
    return f"a={game.a:g}, b={game.b:g}, c={game.c:g}"


def game_fields(game: Game) -> dict:
    """The game as ``normsim analytic --json`` reports it: ``a``, ``b``, ``c`` of the
    (a, b, c) game; a matrix game's ``matrix`` with its payoff-dominant and
    risk-dominant norms (None on a tie)."""
    if isinstance(game, MatrixGame):
        pd, rd = game.favoured_norm(), game.risk_dominant_norm()
        return {
            "matrix": game.matrix().tolist(),
            "payoff_dominant_norm": None if pd is None else NORM_NAMES[pd],
            "risk_dominant_norm": None if rd is None else NORM_NAMES[rd],
        }
    return {"a": game.a, "b": game.b, "c": game.c}


def _check_game(game: Game, mu: float) -> float:
    if not isinstance(game, (CoordinationGame, MatrixGame)):
        raise NormsimError(f"game: {game!r} is not a CoordinationGame or a MatrixGame")
    mu = check_number("mu", mu, low=0.0, high=1.0)
    if mu > 0.0 and isinstance(game, MatrixGame) and min(game.entries) < 0.0:
        raise NormsimError(
            f"mu: the replicator-mutator needs payoffs >= 0 (a fitness is a rate of "
            f"offspring), and the matrix has {min(game.entries):g}; add a constant to "
            "every entry (the replicator itself does not change)"
        )
    return mu


def game_coefficients(game: Game, mu: float = 0.0) -> np.ndarray:
    """Coefficients of the replicator(-mutator)'s dp/dt as a cubic in p (highest power
    first) for any game: with ``f_B - f_A = d0 + d1 p``, ``d0 = T - R`` and
    ``d1 = R - S - T + P``, ``dp/dt = -d1 p^3 + (d1 - d0) p^2 + d0 p + mu [R + (S - 2R
    - T) p + (R + T - S - P) p^2]``. The (a, b, c) game's are :func:`coefficients`."""
    if isinstance(game, CoordinationGame):
        return coefficients(game.a, game.b, game.c, mu)
    R, S, T, P = game.entries
    d0, d1 = T - R, R - S - T + P
    return np.array([-d1, d1 - d0 + mu * (R + T - S - P), d0 + mu * (S - 2 * R - T), mu * R])


@overload
def game_rhs(p: float, game: Game, mu: float = 0.0) -> float: ...
@overload
def game_rhs(p: np.ndarray, game: Game, mu: float = 0.0) -> np.ndarray: ...
def game_rhs(p: float | np.ndarray, game: Game, mu: float = 0.0) -> float | np.ndarray:
    """dp/dt of the replicator(-mutator) dynamic of any game, vectorised over ``p``:
    ``p (1 - p) (f_B - f_A) + mu [(1 - p) f_A - p f_B]`` with the game's fitnesses
    (:meth:`~normsim.game.MatrixGame.fitness`); :func:`rhs` for the (a, b, c) game."""
    if isinstance(game, CoordinationGame):
        return rhs(p, game.a, game.b, game.c, mu)
    p = np.asarray(p, dtype=float) if not np.isscalar(p) else float(p)
    fa, fb = game.fitness(p)
    return p * (1.0 - p) * (fb - fa) + mu * ((1.0 - p) * fa - p * fb)


def game_fixed_points(game: Game, mu: float = 0.0) -> list[FixedPoint]:
    """:func:`fixed_points` of the replicator(-mutator) dynamic of any game.

    >>> from normsim.game import MatrixGame
    >>> [round(fp.p, 6) for fp in game_fixed_points(MatrixGame(4.0, 0.0, 3.0, 2.0))]
    [0.0, 0.333333, 1.0]
    """
    mu = _check_game(game, mu)
    s = game.scale()  # dp/dt scales with the payoffs together: the roots do not
    return [
        FixedPoint(fp.p, fp.eigenvalue * s, fp.stable)
        for fp in _game_fixed_points(game.scaled(s), mu)
    ]


def interior_point(game: Game) -> float | None:
    """The replicator's interior rest point, the share of B where both norms earn the
    same: ``p* = (R - T) / (R - S - T + P)`` (the (a, b, c) game's
    :func:`interior_fixed_point`), if in (0, 1)."""
    R, S, T, P = (
        game.as_matrix_game().entries if isinstance(game, CoordinationGame) else game.entries
    )
    den = R - S - T + P
    if den == 0.0:
        return None
    p = (R - T) / den
    return p if 0.0 < p < 1.0 else None


def game_mu_crit(game: Game, tol: float = 1e-12) -> float | None:
    """:func:`mu_crit` for any game with payoffs >= 0: the exploration rate at which the
    bistable replicator-mutator loses the stable point near all-A (None when it is not
    bistable at small mu)."""
    _check_game(game, 1e-12)
    return mu_crit_by_bisection(
        lambda mu: sum(fp.stable for fp in game_fixed_points(game, mu)), tol=tol
    )


def analyse_game(game: Game, mu: float = 0.0, p0: float = 0.05, t_max: float = 100.0) -> dict:
    """:func:`analyse` for any game: ``normsim analytic --matrix ... --json``. Besides the
    game (:func:`game_fields`) it reports the replicator's interior rest point; the
    threshold c* belongs to the (a, b, c) game only."""
    mu = _check_game(game, mu)
    sol = solve_game(game, mu, p0, t_max)
    out = {"model": "replicator", **game_fields(game), "mu": mu, "p0": p0, "t_max": t_max}
    if isinstance(game, CoordinationGame):
        out["threshold_c"] = threshold_c(game.a, game.b)
    return {
        **out,
        "interior_fixed_point": interior_point(game),
        "mu_crit": game_mu_crit(game) if min(game.matrix().ravel()) >= 0.0 else None,
        "fixed_points": [{"p": fp.p, "stable": fp.stable} for fp in game_fixed_points(game, mu)],
        "t50": sol.crossing[0.5],
        "t90": sol.crossing[0.9],
        "t99": sol.crossing[0.99],
        "final_p": sol.final_p,
    }


def pairwise_game_rhs(
    x: float | np.ndarray, game: Game, beta: float = DEFAULTS.beta, mu: float = 0.0
) -> float | np.ndarray:
    """:func:`pairwise_rhs` for any game (``R1 = game.payoff_range(1, 1)``)."""
    d0, d1, s = _pairwise_parts(game, beta)
    x = np.asarray(x, dtype=float) if not np.isscalar(x) else float(x)
    return (1.0 - mu) * x * (1.0 - x) * np.tanh(s * (d0 + d1 * x)) + 0.5 * mu * (1.0 - 2.0 * x)


def pairwise_game_fixed_points(
    game: Game, beta: float = DEFAULTS.beta, mu: float = 0.0
) -> list[FixedPoint]:
    """:func:`pairwise_fixed_points` for any game."""
    beta = check_number("beta", beta, low=0.0)
    mu = check_number("mu", mu, low=0.0, high=1.0)
    return fixed_points_1d(
        lambda x: np.asarray(pairwise_game_rhs(x, game, beta, mu)), boundaries=mu == 0.0
    )


def solve_pairwise_game(
    game: Game,
    beta: float = DEFAULTS.beta,
    mu: float = 0.0,
    p0: float = 0.05,
    t_max: float = 1000.0,
    t_eval: Sequence[float] | np.ndarray | None = None,
    shocks: Sequence[float] = (),
    levels: Sequence[float] = LEVELS,
) -> Trajectory:
    """:func:`solve_pairwise` for any game (a shock swaps the norms' roles)."""
    beta = check_number("beta", beta, low=0.0)
    mu = check_number("mu", mu, low=0.0, high=1.0)
    p0 = check_number("p0", p0, low=0.0, high=1.0)

    def rhs_for(g: Game) -> Callable[[float, np.ndarray], list[float]]:
        d0, d1, s = _pairwise_parts(g, beta)

        def f(t: float, y: np.ndarray) -> list[float]:
            x = y[0]
            return [
                (1.0 - mu) * x * (1.0 - x) * math.tanh(s * (d0 + d1 * x))
                + 0.5 * mu * (1.0 - 2.0 * x)
            ]

        return f

    return integrate(
        rhs_for,
        game,
        [p0],
        t_max,
        shocks,
        levels,
        t_eval,
        rtol=RTOL,
        atol=ATOL,
        clip=lambda y: np.clip(y, 0.0, 1.0),
    )


def analyse_pairwise_game(
    game: Game,
    beta: float = DEFAULTS.beta,
    mu: float = 0.0,
    p0: float | None = 0.05,
    t_max: float = 1000.0,
    shocks: Sequence[float] = (),
) -> dict:
    """:func:`analyse_pairwise` for any game (``p0=None``: from the old norm's
    equilibrium, the lowest stable fixed point of ``game.shocked()``)."""
    beta = check_number("beta", beta, low=0.0)
    mu = check_number("mu", mu, low=0.0, high=1.0)

    def mu_crit() -> float | None:
        if beta == 0.0:
            return None
        return mu_crit_by_bisection(lambda m: _pairwise_stable_points(game, beta, m))

    return _analyse_pairwise(game, beta, mu, p0, t_max, shocks, mu_crit)


def _pairwise_stable_points(game: Game, beta: float, mu: float) -> int:
    """How many stable fixed points the pairwise mean field has (the count that
    :func:`mu_crit_by_bisection` follows)."""
    return sum(
        fp.stable
        for fp in fixed_points_1d(lambda x: np.asarray(pairwise_game_rhs(x, game, beta, mu)), n=401)
    )


def _analyse_pairwise(
    game: Game,
    beta: float,
    mu: float,
    p0: float | None,
    t_max: float,
    shocks: Sequence[float],
    mu_crit: Callable[[], float | None],
) -> dict:
    """The report of :func:`analyse_pairwise` and :func:`analyse_pairwise_game` for checked
    ``beta`` and ``mu``, with the critical exploration rate ``mu_crit()`` (``threshold_c``
    for the (a, b, c) game only)."""
    start = "p0"
    if p0 is None:
        p0 = old_norm_share(pairwise_game_fixed_points(game.shocked(), beta, mu))
        start = "old"
    sol = solve_pairwise_game(game, beta, mu, p0, t_max, shocks=shocks)
    out = {
        "model": "pairwise",
        **game_fields(game),
        "mu": mu,
        "beta": beta,
        "p0": p0,
        "start": start,
        "t_max": t_max,
    }
    if isinstance(game, CoordinationGame):
        out["threshold_c"] = threshold_c(game.a, game.b)
    out |= {
        "mu_crit": mu_crit(),
        "fixed_points": [
            {"p": fp.p, "stable": fp.stable} for fp in pairwise_game_fixed_points(game, beta, mu)
        ],
        "t50": sol.crossing[0.5],
        "t90": sol.crossing[0.9],
        "t99": sol.crossing[0.99],
        "final_p": sol.final_p,
        "time_unit": "generations",
    }
    if shocks:
        out["shocks"] = sol.shocks
    return out
