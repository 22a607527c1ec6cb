"""The well-mixed module against the reference values of docs/model/odd.md 7.8, nashpy and
invariants."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nashpy.learning.replicator_dynamics import get_derivative_of_fitness

from normsim.errors import NormsimError
from normsim.theory import analytic

A_, B_ = 0.4, 0.6


def test_threshold_is_one_third():
    assert analytic.threshold_c(A_, B_) == pytest.approx(1 / 3, abs=1e-12)
    assert analytic.threshold_c(B_, A_) == pytest.approx(1 / 3, abs=1e-12)


@pytest.mark.parametrize("c, expected", [(0.36, True), (0.37, False), (0.2, True), (0.9, False)])
def test_switch_condition_from_p0_005(c, expected):
    assert analytic.switches(A_, B_, c, 0.05) is expected
    # the closed form c < (b - a) / (b - eps (a + b)) = 0.3636...
    assert (c < (B_ - A_) / (B_ - 0.05 * (A_ + B_))) is expected


def test_switch_boundary_value():
    assert (B_ - A_) / (B_ - 0.05 * (A_ + B_)) == pytest.approx(0.363636, abs=1e-6)
    # solving the ODE agrees with the condition on both sides of the boundary
    assert analytic.solve(A_, B_, 0.36, p0=0.05, t_max=2000).final_p > 0.99
    assert analytic.solve(A_, B_, 0.37, p0=0.05, t_max=2000).final_p < 0.01


@pytest.mark.parametrize("c, pstar", [(0.4, 0.1), (0.5, 0.2), (1.0, 0.4)])
def test_interior_fixed_point(c, pstar):
    assert analytic.interior_fixed_point(A_, B_, c) == pytest.approx(pstar, abs=1e-12)
    fps = analytic.fixed_points(A_, B_, c)
    assert [fp.p for fp in fps] == pytest.approx([0.0, pstar, 1.0], abs=1e-10)
    assert [fp.stable for fp in fps] == [True, False, True]


def test_no_interior_fixed_point_below_threshold():
    fps = analytic.fixed_points(A_, B_, 0.3)
    assert [(fp.p, fp.stable) for fp in fps] == [(0.0, False), (1.0, True)]


def test_eigenvalues_at_the_boundaries():
    for c in (0.1, 0.5, 0.9):
        fps = {fp.p: fp for fp in analytic.fixed_points(A_, B_, c)}
        assert fps[0.0].eigenvalue == pytest.approx((1 - c) * B_ - A_, abs=1e-12)
        assert fps[1.0].eigenvalue == pytest.approx(-(B_ - (1 - c) * A_), abs=1e-12)


def test_all_dpdt_curves_cross_at_b_over_a_plus_b():
    p = B_ / (A_ + B_)
    for c in np.linspace(0, 1, 11):
        assert analytic.rhs(p, A_, B_, c) == pytest.approx(0.048, abs=1e-12)


@pytest.mark.parametrize("c, times", [(0.05, (16.30, 26.94, 37.94)), (0.3, (43.05, 52.44, 60.22))])
def test_replicator_crossing_times(c, times):
    sol = analytic.solve(A_, B_, c, p0=0.05, t_max=100)
    for lv, t in zip((0.5, 0.9, 0.99), times, strict=True):
        assert sol.crossing[lv] == pytest.approx(t, abs=0.01)
        # event detection agrees with root-finding on the dense output
        assert analytic.crossing_time_root(A_, B_, c, 0.0, 0.05, lv, 100) == pytest.approx(
            sol.crossing[lv], abs=1e-6
        )


def test_replicator_value_at_t50():
    sol = analytic.solve(A_, B_, 0.3, p0=0.05, t_max=100, t_eval=[0.0, 50.0])
    assert sol.p[-1] == pytest.approx(0.8203, abs=1e-4)


@pytest.mark.parametrize(
    "c, levels", [(0.05, (0.9215, 0.8508, 0.7705)), (0.3, (0.9433, 0.8863, 0.8118))]
)
def test_replicator_mutator_stable_points(c, levels):
    for mu, level in zip((0.03, 0.06, 0.1), levels, strict=True):
        stable = [fp.p for fp in analytic.fixed_points(A_, B_, c, mu) if fp.stable]
        assert stable == pytest.approx([level], abs=1e-4)
        # the trajectory from p(0) = 0 ends there
        assert analytic.solve(A_, B_, c, mu, p0=0.0, t_max=400).final_p == pytest.approx(
            level, abs=1e-4
        )


def test_replicator_mutator_crossing_times():
    for mu, t in zip((0.03, 0.06, 0.1), (24.76, 18.06, 14.32), strict=True):
        sol = analytic.solve(A_, B_, 0.3, mu, p0=0.0, t_max=100)
        assert sol.crossing[0.5] == pytest.approx(t, abs=0.01)


@pytest.mark.parametrize("c, value", [(0.5, 0.0147), (0.6, 0.0337), (0.8, 0.0860), (1.0, 0.1512)])
def test_mu_crit(c, value):
    m = analytic.mu_crit(A_, B_, c)
    assert m == pytest.approx(value, abs=1e-4)
    # just below: bistable (the old norm holds); just above: it does not
    assert sum(fp.stable for fp in analytic.fixed_points(A_, B_, c, m * 0.99)) == 2
    assert sum(fp.stable for fp in analytic.fixed_points(A_, B_, c, m * 1.01)) == 1


def test_mu_crit_none_below_threshold():
    assert analytic.mu_crit(A_, B_, 0.3) is None
    assert analytic.mu_crit(A_, B_, 1 / 3) is None


def test_c1_mu01_fixed_points():
    fps = analytic.fixed_points(A_, B_, 1.0, 0.1)
    assert [fp.p for fp in fps] == pytest.approx([0.1229, 0.3648, 0.8923], abs=1e-4)
    assert [fp.stable for fp in fps] == [True, False, True]


def test_shock_swaps_payoffs():
    # p near all-A under a > b, then a shock makes B better: with c < c* B takes over
    sol = analytic.solve(0.6, 0.4, 0.2, mu=0.0, p0=0.05, t_max=500, shocks=[30])
    before = sol.p[sol.t < 30]
    assert before[-1] < 0.01
    assert sol.final_p > 0.99
    assert sol.crossing[0.5] > 30


def test_invalid_parameters_raise_one_clear_error():
    with pytest.raises(NormsimError, match="c: 1.5 is outside"):
        analytic.fixed_points(0.4, 0.6, 1.5)
    with pytest.raises(NormsimError, match="a: "):
        analytic.solve(0.0, 0.6, 0.5)
    with pytest.raises(NormsimError, match="not a number"):
        analytic.solve("x", 0.6, 0.5)
    with pytest.raises(NormsimError, match="mu"):
        analytic.fixed_points(0.4, 0.6, 0.5, mu=-0.1)


# ------------------------------------------------------------------ nashpy
@pytest.mark.parametrize("c", [0.0, 0.05, 0.3, 0.6, 1.0])
@pytest.mark.parametrize("mu", [0.0, 0.03, 0.1])
@pytest.mark.parametrize("p0", [0.05, 0.5, 0.9])
def test_against_nashpy(c, mu, p0):
    nash = pytest.importorskip("nashpy")

    M = np.array([[A_, (1 - c) * A_], [(1 - c) * B_, B_]])
    Q = np.array([[1 - mu, mu], [mu, 1 - mu]])
    # right-hand sides agree everywhere
    for p in np.linspace(0, 1, 21):
        d = get_derivative_of_fitness(np.array([1 - p, p]), 0.0, M, Q)
        assert d[1] == pytest.approx(analytic.rhs(p, A_, B_, c, mu), abs=1e-14)
    # and so do whole trajectories
    t = np.linspace(0, 60, 61)
    xs = nash.Game(M).replicator_dynamics(
        y0=np.array([1 - p0, p0]), timepoints=t, mutation_matrix=Q
    )
    ours = analytic.solve(A_, B_, c, mu, p0=p0, t_max=60, t_eval=t).p
    assert np.max(np.abs(xs[:, 1] - ours)) < 5e-6


# -------------------------------------------------------------- invariants
params = st.tuples(
    st.floats(0.05, 2.0), st.floats(0.05, 2.0), st.floats(0.0, 1.0), st.floats(0.0, 0.5)
)


@settings(max_examples=60, deadline=None)
@given(params, st.floats(0.0, 1.0))
def test_p_stays_in_unit_interval(prm, p0):
    a, b, c, mu = prm
    sol = analytic.solve(a, b, c, mu, p0=p0, t_max=50, t_eval=np.linspace(0, 50, 51))
    assert np.all(sol.p >= 0.0) and np.all(sol.p <= 1.0)


@settings(max_examples=150, deadline=None)
@given(params)
def test_fixed_points_are_roots_with_correct_stability(prm):
    a, b, c, mu = prm
    fps = analytic.fixed_points(a, b, c, mu)
    if a == b and c == 0 and mu == 0:
        assert fps == []
        return
    for fp in fps:
        assert 0.0 <= fp.p <= 1.0
        assert abs(analytic.rhs(fp.p, a, b, c, mu)) < 1e-9
        if abs(fp.eigenvalue) < 1e-6:
            continue  # (near-)degenerate root: no sign change to read
        h = min(1e-4, abs(fp.eigenvalue) * 1e-3)
        left = analytic.rhs(fp.p - h, a, b, c, mu) if fp.p - h >= 0 else None
        right = analytic.rhs(fp.p + h, a, b, c, mu) if fp.p + h <= 1 else None
        if fp.stable:  # flow points towards the fixed point from both sides
            assert left is None or left > 0
            assert right is None or right < 0
        else:
            assert left is None or left < 0
            assert right is None or right > 0


@settings(max_examples=60, deadline=None)
@given(params)
def test_every_root_in_unit_interval_is_reported(prm):
    a, b, c, mu = prm
    fps = analytic.fixed_points(a, b, c, mu)
    if not fps:
        return
    grid = np.linspace(0, 1, 2001)
    vals = analytic.rhs(grid, a, b, c, mu)
    # f_B - f_A is a difference of numbers of size max(a, b): below ~1e-12 of that,
    # a sign is rounding noise (a = b = 1, c = mu = 1e-15 shows spurious changes)
    real = np.maximum(np.abs(vals[:-1]), np.abs(vals[1:])) > 1e-12 * max(a, b)
    sign_changes = np.nonzero((np.sign(vals[:-1]) * np.sign(vals[1:]) < 0) & real)[0]
    for i in sign_changes:
        assert any(grid[i] - 1e-6 <= fp.p <= grid[i + 1] + 1e-6 for fp in fps)


def test_threshold_matches_fixed_point_structure():
    for c in np.linspace(0.0, 1.0, 41):
        bistable = sum(fp.stable for fp in analytic.fixed_points(A_, B_, c)) == 2
        assert bistable == (c > analytic.threshold_c(A_, B_) + 1e-12), c
        assert not math.isnan(analytic.rhs(0.5, A_, B_, c))
