"""Replicator and replicator-mutator dynamics of the well-mixed population.

Model-spec section 4. ``p`` is the share of norm B; fitnesses are
``f_A = a (1 - c p)`` and ``f_B = b (1 - c (1 - p))``::

    dp/dt = p (1 - p) [c (a + b) p - (a - (1 - c) b)] + mu [(1 - p) f_A - p f_B]

With ``mu = 0`` this is the replicator dynamic; with ``mu > 0`` offspring switch
to the other norm with probability ``mu`` (mutation matrix
``[[1 - mu, mu], [mu, 1 - mu]]``).

Everything here is a pure function of plain numbers and arrays, in the manner
of :func:`scipy.integrate.solve_ivp`.

Examples
--------
>>> sol = solve(a=0.4, b=0.6, c=0.3, p0=0.05, t_max=100)
>>> round(sol.crossing[0.5], 2)
43.05
>>> [round(fp.p, 4) for fp in fixed_points(0.4, 0.6, 0.5)]
[0.0, 0.2, 1.0]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from normsim.errors import check_number
from normsim.game import CoordinationGame, fitness

LEVELS = (0.5, 0.9, 0.99)
RTOL = 1e-10
ATOL = 1e-12


def _check(a: float, b: float, c: float, mu: float) -> tuple[float, float, float, float]:
    g = CoordinationGame(a, b, c)  # validates a, b, c
    return g.a, g.b, g.c, check_number("mu", mu, low=0.0, high=1.0)


def rhs(p: float | np.ndarray, a: float, b: float, c: float, mu: float = 0.0):
    """dp/dt of the replicator(-mutator) dynamic, vectorised over ``p``."""
    p = np.asarray(p, dtype=float) if not np.isscalar(p) else float(p)
    fa, fb = fitness(a, b, c, p)
    return p * (1.0 - p) * (fb - fa) + mu * ((1.0 - p) * fa - p * fb)


def coefficients(a: float, b: float, c: float, mu: float = 0.0) -> np.ndarray:
    """Coefficients of dp/dt as a cubic in p, highest power first (for ``np.roots``)."""
    alpha = c * (a + b)
    beta = a - (1.0 - c) * b
    return np.array([
        -alpha,
        alpha + beta + mu * c * (a - b),
        -beta - mu * (a * (1.0 + c) + b * (1.0 - c)),
        mu * a,
    ])


def drhs_dp(p: float, a: float, b: float, c: float, mu: float = 0.0) -> float:
    """d(dp/dt)/dp: the eigenvalue of the one-dimensional dynamic at a fixed point."""
    return float(np.polyval(np.polyder(coefficients(a, b, c, mu)), p))


def threshold_c(a: float, b: float) -> float:
    """c* = |b - a| / max(a, b).

    Below c* the better norm strictly dominates; above it the old norm is
    stable too (model-spec section 4).
    """
    return CoordinationGame(a, b, 0.0).threshold_c()


def interior_fixed_point(a: float, b: float, c: float) -> float | None:
    """The replicator's tipping point p* = (a - (1 - c) b) / (c (a + b)), if in (0, 1)."""
    if c <= 0:
        return None
    p = (a - (1.0 - c) * b) / (c * (a + b))
    return p if 0.0 < p < 1.0 else None


def switches(a: float, b: float, c: float, p0: float) -> bool:
    """Whether the replicator dynamic from ``p(0) = p0`` ends at all-B.

    For ``p0 = eps`` and ``b > a`` this is the spec's
    ``c < (b - a) / (b - eps (a + b))``.
    """
    a, b, c, _ = _check(a, b, c, 0.0)
    p0 = check_number("p0", p0, low=0.0, high=1.0)
    if p0 == 0.0:
        return False
    if p0 == 1.0:
        return True
    beta = a - (1.0 - c) * b
    if beta < 0:          # B strictly better against every mix: all-B attracts
        return True
    star = interior_fixed_point(a, b, c)
    if star is None:      # A weakly dominates
        return False
    return p0 > star


@dataclass(frozen=True)
class FixedPoint:
    """A fixed point ``p`` of the dynamic with its eigenvalue and stability."""

    p: float
    eigenvalue: float
    stable: bool

    def as_dict(self) -> dict:
        return {"p": self.p, "stable": self.stable, "eigenvalue": self.eigenvalue}


def fixed_points(a: float, b: float, c: float, mu: float = 0.0) -> list[FixedPoint]:
    """Fixed points in [0, 1], sorted, each with its stability.

    A fixed point is stable when the derivative of dp/dt there is negative.
    Returns an empty list in the neutral case where dp/dt is identically zero
    (a = b, c = 0, mu = 0).
    """
    a, b, c, mu = _check(a, b, c, mu)
    coef = coefficients(a, b, c, mu)
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
        x = _polish(x, a, b, c, mu)
        if abs(float(rhs(x, a, b, c, mu))) > 1e-10 * max(1.0, scale):
            continue
        if not pts or abs(x - pts[-1]) > 1e-9:
            pts.append(x)
    return [FixedPoint(p=x, eigenvalue=drhs_dp(x, a, b, c, mu),
                       stable=drhs_dp(x, a, b, c, mu) < 0) for x in pts]


def _polish(x: float, a: float, b: float, c: float, mu: float) -> float:
    """A few Newton steps on the cubic, kept inside [0, 1]."""
    for edge in (0.0, 1.0):  # snap to an exact boundary root
        if abs(x - edge) < 1e-9 and rhs(edge, a, b, c, mu) == 0.0:
            return edge
    coef = coefficients(a, b, c, mu)
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


def solve(a: float, b: float, c: float, mu: float = 0.0, p0: float = 0.05,
          t_max: float = 100.0, t_eval: Sequence[float] | np.ndarray | None = None,
          shocks: Sequence[float] = (), levels: Sequence[float] = LEVELS) -> Solution:
    """Integrate the replicator(-mutator) dynamic from ``p(0) = p0`` to ``t_max``.

    Uses :func:`scipy.integrate.solve_ivp` (DOP853, rtol 1e-10, atol 1e-12) with
    event detection for the first crossing of each level. At every time in
    ``shocks`` a and b swap. ``t_eval`` defaults to 2001 evenly spaced points.
    """
    a, b, c, mu = _check(a, b, c, mu)
    p0 = check_number("p0", p0, low=0.0, high=1.0)
    t_max = check_number("t_max", t_max, low=0.0, low_open=True)
    if t_eval is None:
        t_eval = np.linspace(0.0, t_max, 2001)
    t_eval = np.asarray(t_eval, dtype=float)
    cuts = sorted(float(s) for s in shocks if 0.0 < float(s) < t_max)
    bounds = [0.0, *cuts, t_max]
    crossing: dict[float, float | None] = {lv: (0.0 if p0 >= lv else None) for lv in levels}
    ts, ps = [], []
    p_start = p0
    aa, bb = a, b
    for i in range(len(bounds) - 1):
        t0, t1 = bounds[i], bounds[i + 1]
        last = i == len(bounds) - 2
        mask = (t_eval >= t0) & ((t_eval <= t1) if last else (t_eval < t1))
        events = []
        for lv in levels:
            def ev(t, y, lv=lv):
                return y[0] - lv
            ev.direction = 1.0
            events.append(ev)
        res = solve_ivp(lambda t, y, aa=aa, bb=bb: [rhs(y[0], aa, bb, c, mu)],
                        (t0, t1), [p_start], method="DOP853", rtol=RTOL, atol=ATOL,
                        t_eval=t_eval[mask], events=events, dense_output=True)
        if not res.success:  # pragma: no cover - DOP853 does not fail on this smooth ODE
            raise RuntimeError(res.message)
        for lv, te in zip(levels, res.t_events):
            if crossing[lv] is None and len(te):
                crossing[lv] = float(te[0])
        ts.append(res.t)
        ps.append(np.clip(res.y[0], 0.0, 1.0))
        p_start = float(np.clip(res.sol(t1)[0], 0.0, 1.0))
        aa, bb = bb, aa
    return Solution(t=np.concatenate(ts), p=np.concatenate(ps), crossing=crossing,
                    final_p=p_start)


@dataclass
class Prediction:
    """The well-mixed dynamic sampled once per generation (index g = time g).

    Attributes
    ----------
    share_b : (G+1,) array
        Share of B.
    mean_payoff : (G+1,) array
        Mean payoff of one game, :meth:`CoordinationGame.mean_fitness` of the
        game in force at each time (a and b swapped from each shock on).
    """

    share_b: np.ndarray
    mean_payoff: np.ndarray


def well_mixed_prediction(game: CoordinationGame, mu: float, p0: float, generations: int,
                          shocks: Sequence[int] = ()) -> Prediction:
    """The replicator(-mutator) dynamic of ``game`` from ``p(0) = p0``, at t = 0..generations.

    The one well-mixed prediction of normsim: the runner stores it for a
    ``well_mixed`` condition, and the shares plot and the browser page draw it
    (dashed) beside a network's series. Shocks at the given times swap a and b.

    >>> pr = well_mixed_prediction(CoordinationGame(0.4, 0.6, 0.3), 0.0, 0.05, 50)
    >>> round(float(pr.share_b[50]), 4)
    0.8203
    """
    G = int(generations)
    sol = solve(game.a, game.b, game.c, mu, p0, t_max=float(G),
                t_eval=np.arange(G + 1, dtype=float), shocks=shocks)
    p = sol.p
    swapped = np.zeros(G + 1, dtype=bool)
    for s in shocks:  # the game in force at each time
        swapped[int(s):] ^= True
    a = np.where(swapped, game.b, game.a)
    b = np.where(swapped, game.a, game.b)
    f_a, f_b = fitness(a, b, game.c, p)
    return Prediction(share_b=p, mean_payoff=(1 - p) * f_a + p * f_b)


def dpdt_curve(a: float, b: float, c: float, mu: float = 0.0,
               n: int = 201) -> tuple[np.ndarray, np.ndarray]:
    """``(p, dp/dt)`` on ``n`` evenly spaced points of [0, 1] (paper Fig. 5)."""
    a, b, c, mu = _check(a, b, c, mu)
    p = np.linspace(0.0, 1.0, n)
    return p, rhs(p, a, b, c, mu)


def crossing_time_root(a: float, b: float, c: float, mu: float, p0: float,
                       level: float, t_max: float) -> float | None:
    """First time ``p >= level``, found by root-finding on the dense solution.

    An independent route to the crossing times that :func:`solve` finds by
    event detection (used by the tests to check one against the other).
    """
    sol = solve_ivp(lambda t, y: [rhs(y[0], a, b, c, mu)], (0.0, t_max), [p0],
                    method="DOP853", rtol=RTOL, atol=ATOL, dense_output=True)
    grid = np.linspace(0.0, t_max, 4001)
    vals = sol.sol(grid)[0] - level
    idx = np.nonzero(vals >= 0)[0]
    if len(idx) == 0:
        return None
    if idx[0] == 0:
        return 0.0
    return brentq(lambda t: sol.sol(t)[0] - level, grid[idx[0] - 1], grid[idx[0]], xtol=1e-12)


def analyse(a: float, b: float, c: float, mu: float = 0.0, p0: float = 0.05,
            t_max: float = 100.0) -> dict:
    """Everything ``normsim analytic --json`` reports, as a plain dict."""
    a, b, c, mu = _check(a, b, c, mu)
    sol = solve(a, b, c, mu, p0, t_max)
    return {
        "a": a, "b": b, "c": c, "mu": mu, "p0": p0, "t_max": t_max,
        "threshold_c": threshold_c(a, b),
        "mu_crit": mu_crit(a, b, c),
        "fixed_points": [{"p": fp.p, "stable": fp.stable} for fp in fixed_points(a, b, c, mu)],
        "t50": sol.crossing[0.5], "t90": sol.crossing[0.9], "t99": sol.crossing[0.99],
        "final_p": sol.final_p,
    }
