"""The pairwise-comparison mean field (normsim.theory.analytic.pairwise_*, solve_pairwise)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from normsim.game import CoordinationGame
from normsim.theory import analytic
from normsim.theory.finite import BirthDeathChain


def r1(a, b, c):
    return max(a, b) - (1 - c) * min(a, b)


@pytest.mark.parametrize("c", [0.0, 0.3, 0.6, 1.0])
@pytest.mark.parametrize("mu", [0.0, 0.05])
def test_is_the_large_population_limit_of_the_chain(c, mu):
    """Per generation (Z steps) the chain's expected change of the share is T+ - T-."""
    a, b, beta = 0.4, 0.6, 5.0
    errs = []
    for Z in (1000, 10_000):
        g = BirthDeathChain(CoordinationGame(a, b, c), Z, beta, mu).gradient()
        k = np.arange(0, Z + 1, Z // 20)
        errs.append(np.max(np.abs(g[k] - analytic.pairwise_rhs(k / Z, a, b, c, beta, mu))))
    assert errs[1] < 2e-3 and errs[1] < errs[0] / 5  # O(1/Z)


@pytest.mark.parametrize("c", [0.05, 0.3, 0.5, 1.0])
def test_equals_the_replicator_rescaled_in_time_to_first_order_in_beta(c):
    a, b = 0.4, 0.6
    x = np.linspace(0, 1, 101)
    rep = analytic.rhs(x, a, b, c)
    errs = []
    for beta in (1e-1, 1e-2):
        scale = beta / (2 * r1(a, b, c))
        errs.append(np.max(np.abs(analytic.pairwise_rhs(x, a, b, c, beta) / scale - rep)))
    assert errs[1] < 1e-5 and errs[1] < errs[0] / 50  # O(beta^2)
    # trajectories: the crossing times, rescaled, agree with the replicator's
    beta = 0.01
    scale = beta / (2 * r1(a, b, c))
    rep_sol = analytic.solve(a, b, c, 0.0, 0.05, t_max=200.0)
    pw = analytic.solve_pairwise(a, b, c, beta, 0.0, 0.05, t_max=200.0 / scale)
    for lv in (0.5, 0.9):
        if rep_sol.crossing[lv] is None:
            assert pw.crossing[lv] is None
        else:
            assert pw.crossing[lv] * scale == pytest.approx(rep_sol.crossing[lv], rel=1e-4)


def rk4_crossing(a, b, c, beta, mu, p0, level, t_max, h=1e-2):
    """Independent integration of the tanh ODE written out here, with linear interpolation."""
    s = beta / (2 * r1(a, b, c))

    def f(x):
        fb = x * b + (1 - x) * (1 - c) * b
        fa = x * (1 - c) * a + (1 - x) * a
        return (1 - mu) * x * (1 - x) * math.tanh(s * (fb - fa)) + mu / 2 * (1 - 2 * x)

    x, t = p0, 0.0
    while t < t_max:
        k1 = f(x)
        k2 = f(x + h / 2 * k1)
        k3 = f(x + h / 2 * k2)
        k4 = f(x + h * k3)
        nx = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        if nx >= level > x:
            return t + h * (level - x) / (nx - x)
        x, t = nx, t + h
    return None


@pytest.mark.parametrize(
    "c, mu, beta", [(0.3, 0.0, 5.0), (0.05, 0.03, 1.0), (0.6, 0.1, 5.0), (0.9, 0.02, 20.0)]
)
def test_crossing_times_agree_with_an_independent_integration(c, mu, beta):
    sol = analytic.solve_pairwise(0.4, 0.6, c, beta, mu, 0.05, t_max=400)
    for lv in (0.5, 0.9):
        want = rk4_crossing(0.4, 0.6, c, beta, mu, 0.05, lv, 400)
        got = sol.crossing[lv]
        assert (got is None) == (want is None)
        if want is not None:
            assert got == pytest.approx(want, rel=1e-5)


@pytest.mark.parametrize("c", [0.2, 0.5, 0.8, 1.0])
def test_fixed_points_without_exploration_are_the_replicators(c):
    a, b = 0.4, 0.6
    rep = analytic.fixed_points(a, b, c)
    pw = analytic.pairwise_fixed_points(a, b, c, 5.0, 0.0)
    assert [fp.stable for fp in pw] == [fp.stable for fp in rep]
    np.testing.assert_allclose([fp.p for fp in pw], [fp.p for fp in rep], atol=1e-10)
    assert analytic.analyse_pairwise(a, b, c)["threshold_c"] == pytest.approx(1 / 3)


@pytest.mark.parametrize("c, mu", [(0.8, 0.05), (1.0, 0.1), (0.3, 0.2)])
def test_fixed_points_with_exploration_are_zeros_with_the_right_stability(c, mu):
    fps = analytic.pairwise_fixed_points(0.4, 0.6, c, 5.0, mu)
    for fp in fps:
        assert abs(analytic.pairwise_rhs(fp.p, 0.4, 0.6, c, 5.0, mu)) < 1e-12
        left = analytic.pairwise_rhs(fp.p - 1e-4, 0.4, 0.6, c, 5.0, mu)
        right = analytic.pairwise_rhs(fp.p + 1e-4, 0.4, 0.6, c, 5.0, mu)
        assert fp.stable == (left > 0 > right)
    # the chain's gradient of selection at a large Z has its zeros close by
    chain = BirthDeathChain(CoordinationGame(0.4, 0.6, c), 20_000, 5.0, mu).fixed_points()
    np.testing.assert_allclose([fp["p"] for fp in chain], [fp.p for fp in fps], atol=1e-3)


def test_mu_crit_is_where_bistability_ends():
    m = analytic.pairwise_mu_crit(0.4, 0.6, 0.8, 5.0)
    assert m is not None
    n_stable = [
        sum(fp.stable for fp in analytic.pairwise_fixed_points(0.4, 0.6, 0.8, 5.0, mu))
        for mu in (m * 0.99, m * 1.01)
    ]
    assert n_stable == [2, 1]
    assert analytic.pairwise_mu_crit(0.4, 0.6, 0.3, 5.0) is None


def test_shocks_report_the_time_after_each_shock():
    a, b, c, beta, mu = 0.4, 0.6, 0.3, 5.0, 0.05
    out = analytic.analyse_pairwise(a, b, c, beta, mu, p0=None, t_max=900, shocks=[300, 600])
    # from the old norm's equilibrium the first change takes t50; after each shock
    # the other norm is favoured and the same time elapses by symmetry (a <-> b)
    assert [s["new_norm"] for s in out["shocks"]] == ["A", "B"]
    for s in out["shocks"]:
        assert s["t50"] == pytest.approx(out["t50"], rel=1e-6)
        assert s["t90"] == pytest.approx(out["t90"], rel=1e-6)
    eq = analytic.old_norm_share(analytic.pairwise_fixed_points(b, a, c, beta, mu))
    want = rk4_crossing(a, b, c, beta, mu, eq, 0.5, 100)
    assert out["t50"] == pytest.approx(want, rel=1e-5)


def test_beta_zero_is_pure_exploration():
    x = np.linspace(0, 1, 11)
    np.testing.assert_allclose(analytic.pairwise_rhs(x, 0.4, 0.6, 0.5, 0.0, 0.2), 0.1 * (1 - 2 * x))
    assert analytic.pairwise_fixed_points(0.4, 0.6, 0.5, 0.0, 0.0) == []
