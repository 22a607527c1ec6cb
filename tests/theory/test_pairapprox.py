"""The pair approximation on k-regular graphs (normsim.theory.pairapprox)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from normsim.errors import NormsimError
from normsim.game import CoordinationGame
from normsim.theory import analytic
from normsim.theory.pairapprox import (
    PairApproximation,
    analyse,
    critical_c,
    critical_c_weak_selection,
    tipping_point_weak_selection,
)


def enumerate_rhs(a, b, c, k, beta, mu, rho, pbb):
    """drho/dt and dp_BB/dt by brute force over every neighbourhood configuration.

    Written from the process (one random site explores or copies a random
    neighbour, Fermi rule with R = k R1) and the pair closure, without the
    binomial sums of normsim.theory.pairapprox.
    """
    pay = {(0, 0): a, (0, 1): (1 - c) * a, (1, 0): (1 - c) * b, (1, 1): b}
    R = max(a, b) * k - (1 - c) * min(a, b) * k
    q = {1: pbb / rho, 0: (rho - pbb) / (1 - rho)}  # P(neighbour is B | own norm)
    d_rho = d_bb = 0.0
    for x, px in ((0, 1 - rho), (1, rho)):
        for v in itertools.product((0, 1), repeat=k):
            pv = math.prod(q[x] if s else 1 - q[x] for s in v)
            n_b = sum(v)
            gain = 1 if x == 0 else -1
            dbb = 2 * n_b * gain  # ordered B-B pairs gained or lost
            # exploration: switch with probability 1/2
            d_rho += mu * px * pv * 0.5 * gain
            d_bb += mu * px * pv * 0.5 * dbb
            p_x = sum(pay[(x, s)] for s in v)
            for i in range(k):
                if v[i] == x:
                    continue  # copying one's own norm changes nothing
                y = v[i]
                for w in itertools.product((0, 1), repeat=k - 1):
                    pw = math.prod(q[y] if s else 1 - q[y] for s in w)
                    p_y = pay[(y, x)] + sum(pay[(y, s)] for s in w)
                    W = 1.0 / (1.0 + math.exp(-beta * (p_y - p_x) / R))
                    prob = (1 - mu) * px * pv * (1 / k) * pw * W
                    d_rho += prob * gain
                    d_bb += prob * dbb
    return d_rho, d_bb / k


@pytest.mark.parametrize("k", [2, 3, 4])
@pytest.mark.parametrize(
    "a, b, c, beta, mu",
    [
        (0.4, 0.6, 0.3, 5.0, 0.0),
        (0.4, 0.6, 0.9, 20.0, 0.05),
        (0.6, 0.4, 0.5, 1.0, 0.3),
        (1.0, 2.0, 1.0, 5.0, 1.0),
    ],
)
def test_rhs_equals_a_brute_force_enumeration(k, a, b, c, beta, mu):
    pa = PairApproximation(CoordinationGame(a, b, c), k, beta, mu)
    f = pa._rhs_scalar()
    rng = np.random.default_rng(k)
    for _ in range(4):
        rho = rng.uniform(0.05, 0.95)
        pbb = rng.uniform(max(0.0, 2 * rho - 1) + 1e-3, rho - 1e-3)
        want = enumerate_rhs(a, b, c, k, beta, mu, rho, pbb)
        got = pa.rhs(rho, pbb)
        np.testing.assert_allclose([got[0][0], got[1][0]], want, rtol=1e-11, atol=1e-14)
        np.testing.assert_allclose(f(0.0, [rho, pbb]), want, rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("k", [3, 4, 8])
def test_neutral_voter_dynamics_conserve_the_density(k):
    pa = PairApproximation(CoordinationGame(0.4, 0.6, 0.7), k, beta=0.0, mu=0.0)
    rng = np.random.default_rng(0)
    rho = rng.uniform(0.01, 0.99, 50)
    pbb = np.maximum(0, 2 * rho - 1) + rng.uniform(0, 1, 50) * (rho - np.maximum(0, 2 * rho - 1))
    np.testing.assert_allclose(pa.rhs(rho, pbb)[0], 0.0, atol=1e-15)
    sol = pa.solve(p0=0.3, t_max=200)
    np.testing.assert_allclose(sol.p, 0.3, atol=1e-9)
    # the pairs relax onto the neutral slow manifold q_A|A - q_A|B = 1 / (k - 1)
    rho_end, pbb_end = sol.final
    p_aa = 1 - 2 * rho_end + pbb_end
    q_aa = p_aa / (1 - rho_end)
    q_ab = (rho_end - pbb_end) / rho_end  # share of A among a B-player's neighbours
    assert q_aa - q_ab == pytest.approx(1 / (k - 1), abs=1e-7)


@pytest.mark.parametrize("k", [3, 4, 6, 8])
def test_weak_selection_reproduces_the_ohtsuki_nowak_critical_c(k):
    a, b = 0.4, 0.6
    closed = critical_c_weak_selection(a, b, k)
    assert closed == pytest.approx(0.2 * k / (0.6 * (k - 2) + 0.2))
    errs = [abs(critical_c(a, b, k, beta) - closed) for beta in (1e-2, 1e-3)]
    assert errs[1] < 1e-4 and errs[1] < errs[0] / 5  # converges as beta -> 0
    # at the paper's beta the pair approximation's threshold sits above it (k = 4: 0.669)
    assert critical_c(a, b, k, 5.0) is None or critical_c(a, b, k, 5.0) > closed


def test_weak_selection_reproduces_the_shifted_tipping_point():
    for k, c in ((4, 0.8), (6, 0.7), (3, 0.95)):
        x_k = tipping_point_weak_selection(0.4, 0.6, c, k)
        pa = PairApproximation(CoordinationGame(0.4, 0.6, c), k, beta=1e-3)
        inner = [fp for fp in pa.fixed_points() if 0 < fp["p"] < 1]
        assert len(inner) == 1 and not inner[0]["stable"]
        assert inner[0]["p"] == pytest.approx(x_k, abs=2e-4)


def test_invasion_rate_is_the_growth_rate_of_rare_invaders():
    pa = PairApproximation(CoordinationGame(0.4, 0.6, 0.5), 4, 5.0)
    inv = pa.invasion()
    rho = 1e-7
    drho, dpbb = pa.rhs(rho, inv["q_bb"] * rho)
    assert drho[0] / rho == pytest.approx(inv["rate"], rel=1e-5)
    # q_B|B is at its quasi-equilibrium: d(p_BB / rho)/dt = 0
    assert (dpbb[0] - inv["q_bb"] * drho[0]) / rho == pytest.approx(0.0, abs=1e-5)
    neutral = PairApproximation(CoordinationGame(0.4, 0.6, 0.5), 4, 0.0).invasion()
    assert neutral["rate"] == pytest.approx(0.0, abs=1e-15)
    assert neutral["q_bb"] == pytest.approx(1 / 3)


@pytest.mark.parametrize("c, mu", [(0.8, 0.0), (0.8, 0.001), (1.0, 0.02), (0.3, 0.05)])
def test_fixed_points_are_zeros_and_their_stability_holds_in_trajectories(c, mu):
    pa = PairApproximation(CoordinationGame(0.4, 0.6, c), 4, 5.0, mu)
    fps = pa.fixed_points()
    assert fps and all(fps[i]["p"] < fps[i + 1]["p"] for i in range(len(fps) - 1))
    for fp in fps:
        drho, dpbb = pa.rhs(fp["p"], fp["p_bb"])
        assert abs(drho[0]) < 1e-11 and abs(dpbb[0]) < 1e-11
        if 0 < fp["p"] < 1:
            r, pbb = fp["p"], fp["p_bb"]
            room = min(r, 1 - r, r - pbb, pbb - max(0.0, 2 * r - 1))
            for eps in (-0.01 * room, 0.01 * room):
                end = pa.solve(fp["p"] + eps, 400, p_bb0=fp["p_bb"] + eps).final
                back = np.hypot(end[0] - fp["p"], end[1] - fp["p_bb"]) < 1e-6
                assert back == fp["stable"]


def test_large_degree_approaches_the_pairwise_mean_field():
    a, b, c, beta, mu = 0.4, 0.6, 0.5, 5.0, 0.02
    x = np.linspace(0.05, 0.95, 19)
    pw = analytic.pairwise_rhs(x, a, b, c, beta, mu)
    errs = []
    for k in (20, 200):
        pa = PairApproximation(CoordinationGame(a, b, c), k, beta, mu)
        errs.append(np.max(np.abs(pa.rhs(x, x * x)[0] - pw)))
    assert errs[1] < 2e-3 and errs[1] < errs[0] / 5


def test_shocks_and_the_old_norms_equilibrium():
    out = analyse(0.4, 0.6, 0.6, 4, 5.0, 0.05, p0=None, t_max=600, shocks=[200, 400])
    assert out["start"] == "old" and 0 < out["p0"] < 0.1 and out["p_bb0"] < out["p0"] ** 1
    assert [s["new_norm"] for s in out["shocks"]] == ["A", "B"]
    for s in out["shocks"]:
        assert s["t50"] == pytest.approx(out["t50"], rel=1e-5)
    assert out["threshold_c_weak_selection"] == pytest.approx(4 / 7)
    assert out["final_p"] == pytest.approx(out["fixed_points"][-1]["p"], abs=1e-6)


@pytest.mark.parametrize("k", [1, 0, -3, 2.5, "four", True])
def test_bad_degree(k):
    with pytest.raises(NormsimError, match="degree"):
        PairApproximation(CoordinationGame(0.4, 0.6, 0.5), k)


@pytest.mark.parametrize(
    "kw, name", [({"beta": float("nan")}, "beta"), ({"mu": float("-inf")}, "mu"), ({"mu": 2}, "mu")]
)
def test_bad_numbers(kw, name):
    with pytest.raises(NormsimError, match=name):
        PairApproximation(CoordinationGame(0.4, 0.6, 0.5), 4, **kw)


def test_a_start_exactly_at_a_level_integrates():
    """p0 = 0.5 is already at the t50 level: its crossing is 0, and the integration must
    not fail in solve_ivp's event search (it did when the trajectory stayed near 0.5)."""
    pa = PairApproximation(CoordinationGame(0.4, 0.6, 0.58), 4, 5.0, 0.0)
    t = np.linspace(0.0, 40.0, 4001)
    tr = pa.solve(0.5, t_max=40.0, t_eval=t, shocks=())
    assert tr.crossing[0.5] == 0.0
    p = tr.y[0]
    assert abs(p[0] - 0.5) < 1e-12 and p[-1] > 0.99
    # the 0.9 crossing is where the sampled trajectory first reaches 0.9
    first = t[np.argmax(p >= 0.9)]
    assert abs(tr.crossing[0.9] - first) <= t[1] - t[0]
    # the same after a shock that leaves the new norm's share exactly at a level
    tr2 = pa.solve(0.5, t_max=40.0, t_eval=t, shocks=(20.0,))
    assert tr2.crossing[0.5] == 0.0
