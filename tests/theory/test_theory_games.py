"""The theory of a general symmetric 2 x 2 game [[R, S], [T, P]] against independent
computations: the replicator-mutator in Nowak's mutation-matrix form, the closed-form
rest point, scipy's integrator, the finite chain by a dense linear solve, the pair
approximation by enumerating neighbourhoods, and the (a, b, c) game's own formulas."""

import itertools
import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from normsim.errors import NormsimError
from normsim.game import CoordinationGame, MatrixGame
from normsim.theory import analytic, finite, pairapprox

#: a stag hunt, a hawk-dove (anti-coordination), a prisoner's dilemma with a negative
#: entry, a coordination game whose payoff- and risk-dominant norms agree
GAMES = {
    "stag_hunt": MatrixGame(4.0, 0.0, 3.0, 2.0),
    "hawk_dove": MatrixGame(1.0, 0.5, 1.5, 0.0),
    "dilemma": MatrixGame(3.0, -1.0, 4.0, 0.0),
    "coordination": MatrixGame(2.0, 0.5, 0.25, 1.0),
}


def replicator_mutator(p, m, mu):
    """dp_B/dt in Nowak's form: sum_j x_j f_j Q[j, B] - x_B phi, Q the mutation matrix."""
    x = np.array([1 - p, p])
    f = m @ x
    Q = np.array([[1 - mu, mu], [mu, 1 - mu]])
    return float((x * f) @ Q[:, 1] - x[1] * (x @ f))


@pytest.mark.parametrize("name", sorted(GAMES))
@pytest.mark.parametrize("mu", [0.0, 0.07])
def test_replicator_rhs_is_the_replicator_mutator_of_the_matrix(name, mu):
    g = GAMES[name]
    if mu > 0 and min(g.entries) < 0:
        with pytest.raises(NormsimError, match="payoffs >= 0"):
            analytic.game_fixed_points(g, mu)
        return
    for p in np.linspace(0.0, 1.0, 11):
        want = replicator_mutator(p, g.matrix(), mu)
        assert analytic.game_rhs(p, g, mu) == pytest.approx(want, abs=1e-14)
        assert np.polyval(analytic.game_coefficients(g, mu), p) == pytest.approx(want, abs=1e-14)


def test_rest_points_are_the_closed_form():
    """Without exploration: 0, 1 and p* = (R - T) / (R - S - T + P) (the share of B at
    which both norms earn the same), unstable in a coordination game, stable in an
    anti-coordination game; a dilemma has no interior rest point."""
    rng = np.random.default_rng(11)
    for _ in range(200):
        R, S, T, P = rng.uniform(-2, 2, 4)
        g = MatrixGame(R, S, T, P)
        star = (R - T) / (R - S - T + P)
        pts = analytic.game_fixed_points(g)
        inner = [fp for fp in pts if 0 < fp.p < 1]
        assert [fp.p for fp in pts if fp.p in (0.0, 1.0)] == [0.0, 1.0]
        if 0 < star < 1:
            assert len(inner) == 1 and inner[0].p == pytest.approx(star, abs=1e-9)
            assert analytic.interior_point(g) == pytest.approx(star, rel=1e-12)
            coordination = R > T and P > S
            assert inner[0].stable == (not coordination)
        else:
            assert inner == [] and analytic.interior_point(g) is None
        # stability of the pure states: a rare invader earns less
        assert pts[0].stable == (R > T)
        assert pts[-1].stable == (P > S)


def test_the_abc_game_as_a_matrix_has_the_abc_theory():
    rng = np.random.default_rng(2)
    for a, b, c in rng.uniform([0.1, 0.1, 0.05], [1.0, 1.0, 1.0], (20, 3)):
        g = CoordinationGame(a, b, c)
        m = g.as_matrix_game()
        star = analytic.interior_fixed_point(a, b, c)
        got = analytic.interior_point(m)
        assert (got is None and star is None) or got == pytest.approx(star, rel=1e-9)
        for mu in (0.0, 0.05):
            want = [fp.p for fp in analytic.fixed_points(a, b, c, mu)]
            got = [fp.p for fp in analytic.game_fixed_points(m, mu)]
            np.testing.assert_allclose(got, want, atol=1e-9)
        x = np.linspace(0, 1, 7)
        np.testing.assert_allclose(
            analytic.pairwise_game_rhs(x, m, 5.0, 0.1),
            analytic.pairwise_rhs(x, a, b, c, 5.0, 0.1),
            atol=1e-13,
        )
        for k in (3, 4, 6):
            want = pairapprox.tipping_point_weak_selection(a, b, c, k)
            got = pairapprox.tipping_point_weak_selection_game(m, k)
            assert (got is None and want is None) or got == pytest.approx(want, abs=1e-12)


def test_solve_game_with_a_shock_against_scipy():
    g = GAMES["stag_hunt"]
    m0, m1 = g.matrix(), g.matrix()[::-1, ::-1]  # the shock relabels the norms

    def f(t, y, m):
        return [replicator_mutator(y[0], m, 0.02)]

    first = solve_ivp(f, (0, 3), [0.45], args=(m0,), rtol=1e-11, atol=1e-13, dense_output=True)
    second = solve_ivp(
        f, (3, 8), first.y[:, -1], args=(m1,), rtol=1e-11, atol=1e-13, dense_output=True
    )
    t = np.linspace(0, 8, 33)
    want = np.where(t <= 3, first.sol(np.minimum(t, 3))[0], second.sol(np.maximum(t, 3))[0])
    sol = analytic.solve_game(g, 0.02, 0.45, 8.0, t_eval=t, shocks=[3.0])
    np.testing.assert_allclose(sol.p, want, atol=1e-8)
    # payoffs scaled together: time scales, the path does not
    big = analytic.solve_game(g.scaled(0.5), 0.0, 0.45, 4.0, t_eval=t / 2)
    np.testing.assert_allclose(big.p, analytic.solve_game(g, 0.0, 0.45, 8.0, t_eval=t).p, atol=1e-8)


@pytest.mark.parametrize("name", sorted(GAMES))
def test_pairwise_rhs_is_the_fermi_mean_field(name):
    g = GAMES[name]
    R, S, T, P = g.entries
    r1 = max(g.entries) - min(g.entries)  # the spread of one game's payoffs
    for x in np.linspace(0, 1, 9):
        d = (T * (1 - x) + P * x) - (R * (1 - x) + S * x)
        want = 0.9 * x * (1 - x) * math.tanh(4.0 * d / (2 * r1)) + 0.05 * (1 - 2 * x)
        assert analytic.pairwise_game_rhs(x, g, 4.0, 0.1) == pytest.approx(want, abs=1e-14)


def chain(g: MatrixGame, Z: int, beta: float, mu: float):
    """The birth-death chain's per-step probabilities, from the process itself."""
    (R, S), (T, P) = g.matrix()
    r1 = max(g.entries) - min(g.entries)
    up, down = np.zeros(Z + 1), np.zeros(Z + 1)
    for k in range(Z + 1):
        if 0 < k < Z:
            fb = ((k - 1) * P + (Z - k) * T) / (Z - 1)
            fa = (k * S + (Z - k - 1) * R) / (Z - 1)
            w = 1 / (1 + math.exp(-beta * (fb - fa) / r1))
            up[k] = (1 - mu) * (Z - k) / Z * k / (Z - 1) * w
            down[k] = (1 - mu) * k / Z * (Z - k) / (Z - 1) * (1 - w)
        up[k] += mu / 2 * (Z - k) / Z
        down[k] += mu / 2 * k / Z
    return up, down


@pytest.mark.parametrize("name", sorted(GAMES))
def test_finite_chain_against_a_dense_linear_solve(name):
    g, Z, beta = GAMES[name], 15, 3.0
    up, down = chain(g, Z, beta, 0.0)
    M = np.diag(1 - up - down) + np.diag(up[:-1], 1) + np.diag(down[1:], -1)
    Q = M[1:Z, 1:Z]
    rho = np.linalg.solve(np.eye(Z - 1) - Q, M[1:Z, Z])  # absorbed at Z
    times = np.linalg.solve(np.eye(Z - 1) - Q, np.ones(Z - 1))
    ch = finite.BirthDeathChain(g, Z, beta)
    for k0 in range(1, Z):
        ab = ch.absorption(k0)
        assert ab.fixation_probability == pytest.approx(rho[k0 - 1], rel=1e-9)
        assert ab.absorption_steps == pytest.approx(times[k0 - 1], rel=1e-9)
    if min(g.entries) >= 0:  # with exploration: the stationary law, the null space of M^T
        up, down = chain(g, Z, beta, 0.05)
        M = np.diag(1 - up - down) + np.diag(up[:-1], 1) + np.diag(down[1:], -1)
        w, v = np.linalg.eig(M.T)
        pi = np.real(v[:, np.argmin(abs(w - 1))])
        pi /= pi.sum()
        ch = finite.BirthDeathChain(g, Z, beta, 0.05)
        np.testing.assert_allclose(ch.stationary_distribution(), pi, rtol=1e-8, atol=1e-15)


def enumerate_pair_rhs(g: MatrixGame, k, beta, mu, rho, pbb):
    """drho/dt and dp_BB/dt of the pair closure by enumerating neighbourhoods."""
    pay = {(x, y): g.matrix()[x, y] for x in (0, 1) for y in (0, 1)}
    R = (max(g.entries) - min(g.entries)) * k
    q = {1: pbb / rho, 0: (rho - pbb) / (1 - rho)}
    d_rho = d_bb = 0.0
    for x, px in ((0, 1 - rho), (1, rho)):
        for v in itertools.product((0, 1), repeat=k):
            pv = math.prod(q[x] if s else 1 - q[x] for s in v)
            gain = 1 if x == 0 else -1
            dbb = 2 * sum(v) * gain
            d_rho += mu * px * pv * 0.5 * gain
            d_bb += mu * px * pv * 0.5 * dbb
            p_x = sum(pay[(x, s)] for s in v)
            for i in range(k):
                if v[i] == x:
                    continue
                y = v[i]
                for w in itertools.product((0, 1), repeat=k - 1):
                    pw = math.prod(q[y] if s else 1 - q[y] for s in w)
                    p_y = pay[(y, x)] + sum(pay[(y, s)] for s in w)
                    W = 1.0 / (1.0 + math.exp(-beta * (p_y - p_x) / R))
                    prob = (1 - mu) * px * pv / k * pw * W
                    d_rho += prob * gain
                    d_bb += prob * dbb
    return d_rho, d_bb / k


@pytest.mark.parametrize("name", sorted(GAMES))
def test_pair_approximation_against_an_enumeration(name):
    g, k = GAMES[name], 3
    pa = pairapprox.PairApproximation(g, k, 4.0, 0.1)
    rng = np.random.default_rng(len(name))
    for _ in range(3):
        rho = rng.uniform(0.1, 0.9)
        pbb = rng.uniform(max(0.0, 2 * rho - 1) + 1e-3, rho - 1e-3)
        got = pa.rhs(rho, pbb)
        want = enumerate_pair_rhs(g, k, 4.0, 0.1, rho, pbb)
        np.testing.assert_allclose([got[0][0], got[1][0]], want, rtol=1e-11, atol=1e-14)


def test_pair_approximation_at_weak_selection_finds_the_shifted_rest_point():
    """Ohtsuki & Nowak's shift (R + S - T - P) / (k - 2): the stag hunt's p* = 1/3 moves
    to 1/6 (k = 4) and 1/4 (k = 6); at k = 3 it reaches 0, and all-A is not stable."""
    g = GAMES["stag_hunt"]
    for k, closed in ((4, 1 / 6), (6, 1 / 4)):
        want = pairapprox.tipping_point_weak_selection_game(g, k)
        assert want == pytest.approx(closed, rel=1e-12)
        pa = pairapprox.PairApproximation(g, k, beta=1e-3)
        inner = [fp for fp in pa.fixed_points() if 0 < fp["p"] < 1]
        assert len(inner) == 1 and inner[0]["p"] == pytest.approx(want, abs=2e-4)
    assert pairapprox.tipping_point_weak_selection_game(g, 3) is None
    pts = pairapprox.PairApproximation(g, 3, beta=1e-3).fixed_points()
    assert [fp["p"] for fp in pts] == [0.0, 1.0] and not pts[0]["stable"]


def test_the_reports_name_the_game_and_its_dominant_norms():
    g = GAMES["stag_hunt"]
    for res in (
        analytic.analyse_game(g, 0.0, 0.5, 20.0),
        analytic.analyse_pairwise_game(g, 5.0, 0.0, 0.5, 50.0),
        finite.analyse_game(g, 12, 5.0, 0.01, distribution=False),
        pairapprox.analyse_game(g, 4, 5.0, 0.0, 0.5, 50.0),
    ):
        assert res["matrix"] == [[4.0, 0.0], [3.0, 2.0]] and "a" not in res
        assert (res["payoff_dominant_norm"], res["risk_dominant_norm"]) == ("A", "B")
        assert "threshold_c" not in res
    # from p0 = 0.5 above p* = 1/3 the risk-dominant B takes over
    assert analytic.analyse_game(g, 0.0, 0.5, 20.0)["final_p"] == pytest.approx(1.0, abs=1e-9)
