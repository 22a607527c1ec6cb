"""Pair approximation of normsim's Fermi rule on k-regular graphs.

After Matsuda et al. 1992, Hauert & Szabo 2005 and Ohtsuki & Nowak 2006
(docs/guide/theory.md). State: ``rho``, the density of B, and ``p_BB``, the
share of directed edges that join two B-players. Conditionals ``q_B|B = p_BB / rho`` and
``q_B|A = (rho - p_BB) / (1 - rho)``; closure: given a site's norm, its other
``k - 1`` neighbours are independent with these conditionals.

One elementary step (``N`` steps are one generation): a random site x explores
with probability ``mu`` (takes a uniformly random norm), otherwise picks a
random neighbour y and copies it with probability
``W = 1 / (1 + exp(-beta (P_y - P_x) / R))``, payoffs summed over the ``k``
games and ``R = CoordinationGame.payoff_range(k, k)`` (normsim's ``R`` on a
k-regular graph). Summing over the binomial neighbourhoods of x and y gives the
A -> B flux ``U``, the B -> A flux ``D`` and the same sums weighted by the change
in B-B edges::

    drho/dt  = (1 - mu) (U - D) + (mu / 2) (1 - 2 rho)
    dp_BB/dt = (2 / k) (1 - mu) (U_gain - D_loss) + mu (rho - 2 p_BB)

With ``mu = 0`` the uniform states are fixed; whether a few B-players grow in
all-A is the *invasion rate*: the growth rate of ``rho`` at ``rho -> 0`` with
``q_B|B`` at its own quasi-equilibrium (the local structure of the invaders).
The c at which it changes sign is the pair approximation's critical need for
coordination; at weak selection it tends to Ohtsuki & Nowak's closed form
``c_k = (b - a) k / (b (k - 2) + (b - a))`` (:func:`critical_c_weak_selection`).

Examples
--------
>>> pa = PairApproximation(CoordinationGame(0.4, 0.6, 0.3), degree=4, beta=5.0)
>>> sol = pa.solve(p0=0.05, t_max=200)
>>> round(sol.crossing[0.5], 2)
6.53
"""

from __future__ import annotations

from collections.abc import Sequence

import numba as nb
import numpy as np
from scipy.optimize import brentq
from scipy.special import comb, expit

import normsim.engine.cache  # noqa: F401  (normsim's kernel cache: before any cache=True kernel)
from normsim.errors import NormsimError, check_number
from normsim.game import LEVELS, CoordinationGame, Game
from normsim.params import DEFAULTS
from normsim.theory.analytic import Trajectory, game_fields, integrate

__all__ = [
    "PairApproximation",
    "check_degree",
    "critical_c",
    "critical_c_weak_selection",
    "tipping_point_weak_selection",
    "analyse",
    "tipping_point_weak_selection_game",
    "analyse_game",
]


def check_degree(degree: object, name: str = "degree") -> int:
    """Return ``degree`` as an int >= 2 or raise :class:`~normsim.errors.NormsimError`."""
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)):
        if isinstance(degree, float) and degree.is_integer():
            degree = int(degree)
        else:
            raise NormsimError(f"{name}: {degree!r} is not an integer")
    if degree < 2:
        raise NormsimError(
            f"{name}: {degree} must be >= 2 (each agent needs two neighbours "
            "for pairs to carry structure)"
        )
    return int(degree)


@nb.njit(cache=True)
def _rhs_one(
    rho: float,
    pbb: float,
    k: int,
    mu: float,
    WU: np.ndarray,
    WD: np.ndarray,
    ck: np.ndarray,
    ck1: np.ndarray,
) -> np.ndarray:
    """``(drho/dt, dp_BB/dt)`` at one state: :meth:`PairApproximation.rhs` in compiled loops.

    The state is first clipped into the feasible set (0 <= rho <= 1,
    max(0, 2 rho - 1) <= p_BB <= rho), as a solver may step slightly outside.
    """
    rho = min(1.0, max(0.0, rho))
    pbb = min(rho, max(max(0.0, 2.0 * rho - 1.0), pbb))
    q_bb = min(1.0, pbb / rho) if rho > 0.0 else 0.0
    q_ba = min(1.0, max(0.0, (rho - pbb) / (1.0 - rho))) if rho < 1.0 else 1.0
    # the teachers' other k - 1 neighbours: W averaged over them, per learner count n
    wu = np.zeros(k + 1)
    wd = np.zeros(k + 1)
    for m in range(k):
        cb = ck1[m] * q_bb**m * (1.0 - q_bb) ** (k - 1 - m)
        ca = ck1[m] * q_ba**m * (1.0 - q_ba) ** (k - 1 - m)
        for n in range(k + 1):
            wu[n] += cb * WU[n, m]
            wd[n] += ca * WD[n, m]
    U = Ug = D = Dl = 0.0
    for n in range(k + 1):
        ba = ck[n] * q_ba**n * (1.0 - q_ba) ** (k - n)
        bb = ck[n] * q_bb**n * (1.0 - q_bb) ** (k - n)
        up = ba * (n / k) * wu[n]
        down = bb * (1.0 - n / k) * wd[n]
        U += up
        Ug += up * n
        D += down
        Dl += down * n
    out = np.empty(2)
    out[0] = (1.0 - mu) * ((1.0 - rho) * U - rho * D) + 0.5 * mu * (1.0 - 2.0 * rho)
    out[1] = (2.0 / k) * (1.0 - mu) * ((1.0 - rho) * Ug - rho * Dl) + mu * (rho - 2.0 * pbb)
    return out


class PairApproximation:
    """The pair-approximation ODE of normsim's Fermi rule on a k-regular graph.

    Parameters
    ----------
    game : CoordinationGame or MatrixGame
        The game (payoffs from its :meth:`~normsim.game.MatrixGame.matrix`).
    degree : int
        The degree ``k >= 2`` of every node.
    beta : float
        Selection strength (>= 0).
    mu : float
        Exploration rate in [0, 1] (normsim's: explore with probability mu).
    """

    def __init__(
        self, game: Game, degree: int, beta: float = DEFAULTS.beta, mu: float = 0.0
    ) -> None:
        self.game = game
        self.k = k = check_degree(degree)
        self.beta = check_number("beta", beta, low=0.0)
        self.mu = check_number("mu", mu, low=0.0, high=1.0)
        # the Fermi rule depends on payoff differences over R only: scaling a and b
        # together changes nothing, so work with max(a, b) = 1 (no overflow at 1e308)
        unit = game.scaled(game.scale())
        self.R = unit.payoff_range(k, k)
        m = unit.matrix()
        j = np.arange(k + 1, dtype=float)  # number of B-neighbours
        pi_a = (k - j) * m[0, 0] + j * m[0, 1]  # payoff of an A-player
        pi_b = j * m[1, 1] + (k - j) * m[1, 0]  # payoff of a B-player
        s = self.beta / self.R
        # WU[n, m]: A-learner with n B-neighbours copies a B-teacher with m other
        # B-neighbours; WD[n, m]: B-learner with n B-neighbours copies an A-teacher
        # with m other B-neighbours (plus the learner itself).
        self.WU = expit(s * (pi_b[None, :k] - pi_a[:, None]))
        self.WD = expit(s * (pi_a[None, 1:] - pi_b[:, None]))
        self._n = j
        self._frac = j / k
        self._ck = comb(k, np.arange(k + 1))
        self._ck1 = comb(k - 1, np.arange(k))

    # -------------------------------------------------------------- dynamics
    @staticmethod
    def _pmf(q: np.ndarray, coef: np.ndarray) -> np.ndarray:
        """Binomial pmfs, one row per q: coef[i] q^i (1 - q)^(n - i)."""
        n = len(coef) - 1
        i = np.arange(n + 1)
        q = q[:, None]
        return coef * q**i * (1.0 - q) ** (n - i)

    def conditionals(self, rho: np.ndarray, p_bb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(q_B|B, q_B|A)``, clipped to [0, 1] (0 and 1 where undefined)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            q_bb = np.where(rho > 0.0, p_bb / rho, 0.0)
            q_ba = np.where(rho < 1.0, (rho - p_bb) / (1.0 - rho), 1.0)
        return np.clip(q_bb, 0.0, 1.0), np.clip(q_ba, 0.0, 1.0)

    def fluxes(self, rho, p_bb) -> tuple[np.ndarray, ...]:
        """``(U, U_gain, D, D_loss)`` per unit time (vectorised over states)."""
        rho = np.atleast_1d(np.asarray(rho, dtype=float))
        p_bb = np.atleast_1d(np.asarray(p_bb, dtype=float))
        q_bb, q_ba = self.conditionals(rho, p_bb)
        b_a, b_b = self._pmf(q_ba, self._ck), self._pmf(q_bb, self._ck)
        c_a, c_b = self._pmf(q_ba, self._ck1), self._pmf(q_bb, self._ck1)
        wu = c_b @ self.WU.T  # (N, k+1): sum over the teacher's neighbours
        wd = c_a @ self.WD.T
        up = b_a * self._frac * wu
        down = b_b * (1.0 - self._frac) * wd
        U = (1.0 - rho) * up.sum(axis=1)
        Ug = (1.0 - rho) * (up * self._n).sum(axis=1)
        D = rho * down.sum(axis=1)
        Dl = rho * (down * self._n).sum(axis=1)
        return U, Ug, D, Dl

    def rhs(self, rho, p_bb) -> tuple[np.ndarray, np.ndarray]:
        """``(drho/dt, dp_BB/dt)`` per generation, vectorised over states."""
        U, Ug, D, Dl = self.fluxes(rho, p_bb)
        rho = np.atleast_1d(np.asarray(rho, dtype=float))
        p_bb = np.atleast_1d(np.asarray(p_bb, dtype=float))
        mu = self.mu
        drho = (1.0 - mu) * (U - D) + 0.5 * mu * (1.0 - 2.0 * rho)
        dpbb = (2.0 / self.k) * (1.0 - mu) * (Ug - Dl) + mu * (rho - 2.0 * p_bb)
        return drho, dpbb

    def _rhs_scalar(self):
        """A fast right-hand side for solve_ivp (one state; compiled, see :func:`_rhs_one`)."""
        args = (
            self.k,
            self.mu,
            np.ascontiguousarray(self.WU),
            np.ascontiguousarray(self.WD),
            self._ck,
            self._ck1,
        )

        def f(t, y):
            return _rhs_one(float(y[0]), float(y[1]), *args)

        return f

    # ------------------------------------------------------------ trajectory
    def solve(
        self,
        p0: float = 0.05,
        t_max: float = 1000.0,
        p_bb0: float | None = None,
        shocks: Sequence[float] = (),
        levels: Sequence[float] = LEVELS,
        t_eval: Sequence[float] | np.ndarray | None = None,
    ) -> Trajectory:
        """Integrate from density ``p0`` for ``t_max`` generations.

        Uses LSODA (rtol 1e-9, atol 1e-11): with exploration the approach to
        the equilibrium limits an explicit method's step size.
        ``p_bb0`` defaults to ``p0 ** 2`` (an uncorrelated random start). At
        every time in ``shocks`` a and b swap; ``Trajectory.shocks`` gives the
        time after each shock until the favoured norm's density reaches each level.
        """
        p0 = check_number("p0", p0, low=0.0, high=1.0)
        if p_bb0 is None:
            p_bb0 = p0 * p0
        p_bb0 = check_number("p_bb0", p_bb0, low=max(0.0, 2 * p0 - 1) - 1e-12, high=p0 + 1e-12)
        beta, mu, k = self.beta, self.mu, self.k

        def rhs_for(g: Game):
            return PairApproximation(g, k, beta, mu)._rhs_scalar()

        def clip(y: np.ndarray) -> np.ndarray:
            rho = np.clip(y[0], 0.0, 1.0)
            return np.vstack([rho, np.clip(y[1], np.maximum(0.0, 2 * rho - 1), rho)])

        return integrate(
            rhs_for,
            self.game,
            [p0, p_bb0],
            t_max,
            shocks,
            levels,
            t_eval,
            rtol=1e-9,
            atol=1e-11,
            clip=clip,
            method="LSODA",
        )

    # ---------------------------------------------------------- fixed points
    def jacobian(self, rho: float, p_bb: float, h: float = 1e-7) -> np.ndarray:
        """Finite-difference Jacobian of ``(drho/dt, dp_BB/dt)`` at a state."""
        J = np.zeros((2, 2))
        for j, (dr, dp) in enumerate(((h, 0.0), (0.0, h))):
            plus = np.concatenate(self.rhs(rho + dr, p_bb + dp))
            minus = np.concatenate(self.rhs(rho - dr, p_bb - dp))
            J[:, j] = (plus - minus) / (2 * h)
        return J

    def fixed_points(self) -> list[dict]:
        """Fixed points ``{"p", "p_bb", "stable", "eigenvalues"}``, sorted by density.

        Interior points: roots of the two-dimensional right-hand side found by
        :func:`scipy.optimize.root` from a grid of starts over the feasible
        states (density x share of A-B pairs), kept when the residual is below
        1e-12; stable when both eigenvalues of the Jacobian have negative real
        parts. Without exploration the uniform states are fixed too, stable when
        the other norm's invasion rate (:meth:`invasion`) is negative; so is
        every fully segregated state (no A-B pairs, ``p_BB = rho``), which is
        not listed. Empty when the dynamics are neutral (beta = 0 and mu = 0).
        """
        from scipy.optimize import root

        if self.beta == 0.0 and self.mu == 0.0:
            return []
        f = self._rhs_scalar()
        found: list[tuple[float, float]] = []
        rhos = np.unique(
            np.concatenate(
                (
                    np.geomspace(1e-4, 0.02, 6),
                    np.linspace(0.03, 0.97, 24),
                    1.0 - np.geomspace(1e-4, 0.02, 6),
                )
            )
        )
        for r in rhos:
            room = min(r, 1.0 - r)
            for u in np.linspace(0.05, 0.95, 8):  # share of the possible A-B pairs
                sol = root(
                    lambda y: f(0.0, y), [r, r - u * room], method="hybr", options={"xtol": 1e-13}
                )
                rr, pp = (float(v) for v in sol.x)
                if not (sol.success and np.max(np.abs(sol.fun)) < 1e-12):
                    continue
                if not (
                    1e-12 < rr < 1.0 - 1e-12 and max(0.0, 2 * rr - 1) + 1e-12 < pp < rr - 1e-12
                ):
                    continue
                if not any(abs(rr - x) < 1e-7 and abs(pp - y) < 1e-7 for x, y in found):
                    found.append((rr, pp))
        pts: list[dict] = []
        if self.mu == 0.0:
            lam = self.invasion()["rate"]
            pts.append({"p": 0.0, "p_bb": 0.0, "stable": bool(lam < 0.0), "eigenvalues": [lam]})
        for rr, pp in sorted(found):
            ev = np.linalg.eigvals(self.jacobian(rr, pp))
            pts.append(
                {
                    "p": rr,
                    "p_bb": pp,
                    "stable": bool(np.all(ev.real < 0.0)),
                    "eigenvalues": sorted(float(e) for e in ev.real),
                }
            )
        if self.mu == 0.0:
            other = PairApproximation(self.game.shocked(), self.k, self.beta, 0.0)
            lam = other.invasion()["rate"]
            pts.append({"p": 1.0, "p_bb": 1.0, "stable": bool(lam < 0.0), "eigenvalues": [lam]})
        return pts

    # -------------------------------------------------------------- invasion
    def _invasion_parts(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Growth rate ``lambda(q)`` of rare B-players and ``dq/dt`` at ``rho -> 0``.

        ``q = q_B|B``, the share of B among a B-player's neighbours. At
        ``rho -> 0`` an A-player next to a B-player has no other B-neighbour and
        a B-player's A-neighbours have none either (``q_B|A -> 0``).
        """
        k = self.k
        n = self._n
        c_b = self._pmf(q, self._ck1)  # the B-teacher's other neighbours
        b_b = self._pmf(q, self._ck)  # a B-learner's neighbours
        s_u = c_b @ self.WU[1]  # A-learner with exactly 1 B-neighbour
        down = b_b * (1.0 - self._frac) * self.WD[:, 0]
        lam = (1.0 - q) * s_u - down.sum(axis=1)
        dq = (2.0 / k) * ((1.0 - q) * s_u - (down * n).sum(axis=1)) - q * lam
        return lam, dq

    def invasion(self) -> dict:
        """Invasion of all-A by rare B-players (no exploration).

        Returns ``{"rate": lambda, "q_bb": q}``: ``drho/dt = lambda rho`` near
        ``rho = 0`` once the invaders' local structure ``q_B|B`` has settled at
        its stable value ``q``. All-A is stable against B when ``lambda < 0``.
        """
        grid = np.linspace(0.0, 1.0, 2001)[:-1]
        lam, dq = self._invasion_parts(grid)
        for i in range(len(grid) - 1):
            if dq[i] > 0.0 >= dq[i + 1]:
                q = float(
                    brentq(
                        lambda x: float(self._invasion_parts(np.array([x]))[1][0]),
                        grid[i],
                        grid[i + 1],
                        xtol=1e-15,
                        rtol=1e-14,
                    )
                )
                return {"rate": float(self._invasion_parts(np.array([q]))[0][0]), "q_bb": q}
        return {"rate": 0.0, "q_bb": 1.0}


# ----------------------------------------------------------- critical c
def critical_c(
    a: float, b: float, degree: int, beta: float = DEFAULTS.beta, tol: float = 1e-12
) -> float | None:
    """Need for coordination above which the old norm resists, in the pair approximation.

    The c where the invasion rate of the better norm into the uniform old norm
    changes sign (at selection strength ``beta``, no exploration); None when it
    does not in (0, 1]. The old norm is the one the game disfavours (A if b > a).
    """
    k = check_degree(degree)
    beta = check_number("beta", beta, low=0.0)
    a = check_number("a", a, low=0.0, low_open=True)
    b = check_number("b", b, low=0.0, low_open=True)
    if a == b or beta == 0.0:
        return None
    lo_pay, hi_pay = min(a, b), max(a, b)  # old norm A pays lo, new norm B pays hi

    def lam(c: float) -> float:
        return PairApproximation(CoordinationGame(lo_pay, hi_pay, c), k, beta).invasion()["rate"]

    grid = np.linspace(0.0, 1.0, 41)
    vals = [lam(float(c)) for c in grid]
    for i in range(len(grid) - 1):
        if vals[i] > 0.0 >= vals[i + 1]:
            if vals[i + 1] == 0.0:
                return float(grid[i + 1])
            return float(brentq(lam, grid[i], grid[i + 1], xtol=tol))
    return None


def critical_c_weak_selection(a: float, b: float, degree: int) -> float | None:
    """Ohtsuki & Nowak's (2006) weak-selection critical c on a graph of degree k.

    The graph adds ``(a_ii + a_ij - a_ji - a_jj) / (k - 2)`` to the payoff
    matrix; the old norm then resists the better one iff
    ``c > (b - a) k / (b (k - 2) + (b - a))`` (b the better payoff). None for
    k = 2 (the correction diverges) or when the value exceeds 1.
    """
    k = check_degree(degree)
    lo_pay, hi_pay = min(a, b), max(a, b)
    if k == 2:
        return None
    c = (hi_pay - lo_pay) * k / (hi_pay * (k - 2) + (hi_pay - lo_pay))
    return c if c <= 1.0 else None


def tipping_point_weak_selection(a: float, b: float, c: float, degree: int) -> float | None:
    """Ohtsuki & Nowak's weak-selection interior fixed point on a graph of degree k.

    ``x*_k = x*_MF - (b - a)(2 - c) / ((k - 2) c (a + b))`` with the replicator's
    ``x*_MF = (a - (1 - c) b) / (c (a + b))``; None when it is not in (0, 1).
    """
    k = check_degree(degree)
    if k == 2 or c <= 0.0:
        return None
    x = (a - (1 - c) * b) / (c * (a + b)) - (b - a) * (2 - c) / ((k - 2) * c * (a + b))
    return x if 0.0 < x < 1.0 else None


def analyse(
    a: float,
    b: float,
    c: float,
    degree: int,
    beta: float = DEFAULTS.beta,
    mu: float = 0.0,
    p0: float | None = 0.05,
    t_max: float = 1000.0,
    shocks: Sequence[float] = (),
) -> dict:
    """Everything ``normsim analytic --model pair --json`` reports, as a plain dict.

    ``p0=None`` starts from the old norm's equilibrium: the stable fixed point
    with the lowest density of B of the game before the shock (a and b swapped),
    with its pair correlations; otherwise an uncorrelated start at density p0.
    Times are in generations.
    """
    return analyse_game(CoordinationGame(a, b, c), degree, beta, mu, p0, t_max, shocks)


def tipping_point_weak_selection_game(game: Game, degree: int) -> float | None:
    """:func:`tipping_point_weak_selection` for any game: Ohtsuki & Nowak's (2006)
    correction ``delta = (R + S - T - P) / (k - 2)`` added to S and taken from T moves
    the replicator's interior point to ``(R - T + delta) / (R - S - T + P)``; None
    when it is not in (0, 1) (or k = 2)."""
    k = check_degree(degree)
    R, S, T, P = game.scaled(game.scale()).matrix().ravel()
    den = R - S - T + P
    if k == 2 or den == 0.0:
        return None
    x = (R - T + (R + S - T - P) / (k - 2)) / den
    return float(x) if 0.0 < x < 1.0 else None


def analyse_game(
    game: Game,
    degree: int,
    beta: float = DEFAULTS.beta,
    mu: float = 0.0,
    p0: float | None = 0.05,
    t_max: float = 1000.0,
    shocks: Sequence[float] = (),
) -> dict:
    """:func:`analyse` for any game (a :class:`~normsim.game.MatrixGame` too): the game
    is reported as :func:`normsim.theory.analytic.game_fields` does; the critical c
    belongs to the (a, b, c) game only."""
    pa = PairApproximation(game, degree, beta, mu)
    start = "p0"
    p_bb0 = None
    if p0 is None:
        before = PairApproximation(game.shocked(), pa.k, pa.beta, pa.mu).fixed_points()
        stable = [fp for fp in before if fp["stable"]]
        first = min(stable, key=lambda fp: fp["p"]) if stable else {"p": 0.0, "p_bb": 0.0}
        p0, p_bb0 = first["p"], first["p_bb"]
        start = "old"
    sol = pa.solve(p0, t_max, p_bb0=p_bb0, shocks=shocks)
    out = {
        "model": "pair",
        **game_fields(game),
        "mu": pa.mu,
        "beta": pa.beta,
        "degree": pa.k,
        "p0": p0,
        "p_bb0": p0 * p0 if p_bb0 is None else p_bb0,
        "start": start,
        "t_max": t_max,
        "tipping_point_weak_selection": tipping_point_weak_selection_game(game, pa.k),
        "fixed_points": [
            {"p": fp["p"], "p_bb": fp["p_bb"], "stable": fp["stable"]} for fp in pa.fixed_points()
        ],
        "t50": sol.crossing[0.5],
        "t90": sol.crossing[0.9],
        "t99": sol.crossing[0.99],
        "final_p": sol.final_p,
        "final_p_bb": float(sol.final[1]),
        "time_unit": "generations",
    }
    if isinstance(game, CoordinationGame):
        out["threshold_c"] = critical_c(game.a, game.b, pa.k, pa.beta)
        out["threshold_c_weak_selection"] = critical_c_weak_selection(game.a, game.b, pa.k)
        out["tipping_point_weak_selection"] = tipping_point_weak_selection(
            game.a, game.b, game.c, pa.k
        )
    if shocks:
        out["shocks"] = sol.shocks
    return out
