"""The naming game's mean field (normsim.theory.naming) against independent computations.

The right-hand side is rebuilt here from the game's rules by enumerating every
speaker, hearer and uttered name; fixed points, the critical committed fraction and
the consensus times are checked against numerical root finding and integrations of
that enumeration with ``scipy.integrate.solve_ivp``, and p_c against the value of
Xie et al. 2011 (0.0979, quoted to four decimals: tolerance 5e-5).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import fsolve

from normsim.errors import NormsimError
from normsim.theory.naming import (
    analyse_naming,
    critical_committed_fraction,
    fixed_points,
    naming_rhs,
    times_from_all_b,
)

STATES = ("C", "A", "B", "AB")  # C: committed to A


def enumerated_rhs(y, p):
    """Expected change of (n_A, n_B, n_AB) per interaction (times N): every ordered
    speaker-hearer pair of types and every name the speaker may utter, with the rules:
    a hearer that knows the name and the speaker keep only it (committed agents never
    change); otherwise the hearer adds it."""
    share = dict(zip(STATES, (p, *y), strict=True))
    inventory = {"C": {"A"}, "A": {"A"}, "B": {"B"}, "AB": {"A", "B"}}
    after_single = {"A": "A", "B": "B"}
    change = dict.fromkeys(("A", "B", "AB"), 0.0)

    def move(old, new, w):
        if old == "C" or old == new:
            return
        change[old] -= w
        change[new] += w

    for s in STATES:
        for h in STATES:
            words = sorted(inventory[s])
            for word in words:
                w = share[s] * share[h] / len(words)
                if w == 0.0:
                    continue
                if word in inventory[h]:
                    move(s, after_single[word], w)
                    move(h, after_single[word], w)
                else:
                    move(h, "AB", w)  # the hearer held the other name only
    return np.array([change["A"], change["B"], change["AB"]])


@pytest.mark.parametrize("seed", range(5))
def test_rhs_is_the_enumeration_of_the_rules(seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.0, 0.5)
    y = rng.dirichlet([1.0, 1.0, 1.0]) * (1.0 - p)
    np.testing.assert_allclose(naming_rhs(0.0, y, p), enumerated_rhs(y, p), atol=1e-15)


@pytest.mark.parametrize("p", [0.0, 0.02, 0.05, 0.09, 0.0978, 0.1, 0.3])
def test_fixed_points_are_zeros_and_their_number_changes_at_p_c(p):
    pts = fixed_points(p)
    for fp in pts:
        y = np.array([fp["n_a"], fp["n_b"], fp["n_ab"]])
        assert y.sum() == pytest.approx(1.0 - p, abs=1e-14)
        np.testing.assert_allclose(enumerated_rhs(y, p), 0.0, atol=1e-12)
    assert len(pts) == (3 if p < critical_committed_fraction() else 1)
    assert pts[0]["n_a"] == 1.0 - p and pts[0]["stable"]
    if len(pts) == 3:
        assert [fp["stable"] for fp in pts] == [True, False, True]


@pytest.mark.parametrize("p", [0.0, 0.03, 0.08, 0.097])
def test_the_old_names_stable_state_is_where_integration_from_all_b_ends(p):
    old = fixed_points(p)[-1]
    sol = solve_ivp(
        lambda t, y: enumerated_rhs(y, p),
        (0, 3000),
        [0.0, 1.0 - p, 0.0],
        method="LSODA",
        rtol=1e-11,
        atol=1e-13,
    )
    np.testing.assert_allclose(sol.y[:, -1], [old["n_a"], old["n_b"], old["n_ab"]], atol=1e-7)


def test_critical_fraction_is_the_tangency_of_the_fixed_point_equations():
    """Solve dn_A = dn_B = 0 and det J = 0 for (n_A, n_B, p) numerically, with the
    Jacobian by central differences of the enumerated right-hand side."""

    def reduced(v, p):
        a, b = v
        return enumerated_rhs(np.array([a, b, 1.0 - p - a - b]), p)[:2]

    def equations(x):
        a, b, p = x
        h = 1e-6
        J = np.column_stack(
            [
                (reduced([a + h, b], p) - reduced([a - h, b], p)) / (2 * h),
                (reduced([a, b + h], p) - reduced([a, b - h], p)) / (2 * h),
            ]
        )
        return [*reduced([a, b], p), np.linalg.det(J)]

    a, b, p = fsolve(equations, [0.1, 0.65, 0.1], xtol=1e-13)
    assert critical_committed_fraction() == pytest.approx(p, abs=1e-8)
    assert critical_committed_fraction() == pytest.approx(0.0979, abs=5e-5)  # Xie et al. 2011


def test_consensus_from_all_b_needs_more_than_p_c():
    pc = critical_committed_fraction()
    below, _ = times_from_all_b(pc - 1e-4, (0.5,), t_max=2e4)
    above, end = times_from_all_b(pc + 1e-4, (0.5,), t_max=2e4)
    assert below[0.5] is None and above[0.5] is not None
    assert end[0] == pytest.approx(1.0 - pc - 1e-4, abs=1e-6)


@pytest.mark.parametrize("p", [0.1, 0.15, 0.3])
def test_consensus_time_matches_an_independent_integration(p):
    res = analyse_naming(p)

    def reach(t, y):
        return p + y[0] - res["consensus_level"]

    reach.terminal = True
    sol = solve_ivp(
        lambda t, y: enumerated_rhs(y, p),
        (0, 1e4),
        [0.0, 1.0 - p, 0.0],
        method="DOP853",
        events=reach,
        rtol=1e-11,
        atol=1e-13,
    )
    assert res["consensus_time"] == pytest.approx(sol.t_events[0][0], rel=1e-6)
    assert res["t50"] < res["t90"] < res["consensus_time"]
    assert res["above_critical"] and len(res["fixed_points"]) == 1


def test_consensus_time_diverges_as_the_inverse_square_root_near_p_c():
    """Near the saddle-node the passage through the bottleneck takes ~ (p - p_c)^(-1/2):
    with p_c wrong by more than about 1e-8 the products below would drift apart."""
    pc = critical_committed_fraction()
    prods = []
    for eps in (1e-5, 1e-6, 1e-7):
        t, _ = times_from_all_b(pc + eps, (0.5,), t_max=1e5)
        prods.append(t[0.5] * math.sqrt(eps))
    assert prods[2] == pytest.approx(prods[1], rel=0.02)
    assert abs(prods[2] - prods[1]) < abs(prods[1] - prods[0])  # converging


def test_below_p_c_no_consensus_and_at_zero_nothing_moves():
    res = analyse_naming(0.0)
    assert res["consensus_time"] is None and res["t50"] is None
    assert res["final_share_b"] == pytest.approx(1.0)
    assert not res["above_critical"]


@pytest.mark.parametrize("p", [1.0, -0.1, float("nan"), 1.5, "x"])
def test_bad_committed_fraction(p):
    with pytest.raises(NormsimError, match="committed"):
        analyse_naming(p)
