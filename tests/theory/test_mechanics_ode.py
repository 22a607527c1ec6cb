"""The well-mixed mean fields of the mechanisms (normsim.theory.mechanics_ode), against
independent computations: the existing analytic functions, the mean-field formulas
written out here, the roots of a polynomial, numerical Jacobians and direct ODE
integration."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.stats import binom

from normsim.errors import NormsimError
from normsim.theory import analytic
from normsim.theory import mechanics_ode as mo


# ------------------------------------------------ reduces to the existing functions
@pytest.mark.parametrize(
    "a, b, c, mu",
    [
        (0.4, 0.6, 0.8, 0.0),
        (0.4, 0.6, 0.8, 0.05),
        (4.0, 6.0, 0.5, 0.02),
        (0.6, 0.4, 0.3, 0.1),
        (0.5, 0.5, 0.9, 0.0),
    ],
)
def test_without_mechanisms_replicator_is_analytic_rhs(a, b, c, mu):
    m = mo.mixed_population(a, b, c, mu)
    x = np.linspace(0.0, 1.0, 101)
    np.testing.assert_allclose(
        m.rhs(x[None, :])[0], analytic.rhs(x, a, b, c, mu), rtol=1e-12, atol=1e-15
    )
    ours = mo.mixed_fixed_points(m)
    theirs = analytic.fixed_points(a, b, c, mu)
    assert [fp.stable for fp in ours] == [fp.stable for fp in theirs]
    np.testing.assert_allclose([fp.p for fp in ours], [fp.p for fp in theirs], atol=1e-9)
    np.testing.assert_allclose(
        [fp.eigenvalues[0] for fp in ours], [fp.eigenvalue for fp in theirs], rtol=1e-7, atol=1e-9
    )


@pytest.mark.parametrize(
    "a, b, c, beta, mu",
    [
        (0.4, 0.6, 0.8, 5.0, 0.0),
        (0.4, 0.6, 0.8, 5.0, 0.05),
        (1.0, 3.0, 0.9, 20.0, 0.01),
        (0.6, 0.4, 0.5, 1.0, 0.1),
    ],
)
def test_without_mechanisms_pairwise_is_analytic_pairwise(a, b, c, beta, mu):
    m = mo.mixed_population(a, b, c, mu, model="pairwise", beta=beta)
    x = np.linspace(0.0, 1.0, 101)
    np.testing.assert_allclose(
        m.rhs(x[None, :])[0], analytic.pairwise_rhs(x, a, b, c, beta, mu), rtol=1e-12, atol=1e-15
    )
    ours = mo.mixed_fixed_points(m)
    theirs = analytic.pairwise_fixed_points(a, b, c, beta, mu)
    assert [fp.stable for fp in ours] == [fp.stable for fp in theirs]
    np.testing.assert_allclose([fp.p for fp in ours], [fp.p for fp in theirs], atol=1e-9)
    sol = mo.solve_mechanics(m, 0.3, 200.0, t_eval=np.arange(201.0))
    ref = analytic.solve_pairwise(a, b, c, beta, mu, 0.3, 200.0, t_eval=np.arange(201.0))
    np.testing.assert_allclose(sol.p, ref.p, atol=1e-8)


def test_without_mechanisms_trajectory_is_analytic_solve():
    m = mo.mixed_population(0.4, 0.6, 0.3)
    sol = mo.solve_mechanics(m, 0.05, 100.0)
    ref = analytic.solve(0.4, 0.6, 0.3, 0.0, 0.05, 100.0)
    np.testing.assert_allclose(sol.p, ref.p, atol=1e-8)
    for lv in (0.5, 0.9, 0.99):
        assert sol.crossing[lv] == pytest.approx(ref.crossing[lv], abs=1e-6)


# ------------------------------------------- the mean-field formulas, written out
def _fermi(d, beta, r):
    return 1.0 / (1.0 + math.exp(-beta * d / r))


@pytest.mark.parametrize("z, mu", [(0.1, 0.0), (0.2, 0.04), (0.0, 0.02)])
def test_pairwise_committed_is_the_written_out_formula(z, mu):
    a, b, c, beta = 0.4, 0.6, 0.8, 5.0
    m = mo.mixed_population(a, b, c, mu, committed=z, model="pairwise", beta=beta)
    r1 = max(a, b) - (1 - c) * min(a, b)
    for xu in np.linspace(0.0, 1.0, 23):
        X = (1 - z) * xu  # uncommitted B among everyone
        p = z + X
        f_a, f_b = a * (1 - c * p), b * (1 - c * (1 - p))
        dX = (1 - mu) * (
            (1 - z - X) * p * _fermi(f_b - f_a, beta, r1)
            - X * (1 - p) * _fermi(f_a - f_b, beta, r1)
        ) + mu / 2 * (1 - z - 2 * X)
        assert (1 - z) * m.rhs(np.array([xu]))[0] == pytest.approx(dX, abs=1e-14)


@pytest.mark.parametrize(
    "gamma, mu, k", [(0.3, 0.0, 4), (1.0, 0.05, 4), (0.6, 0.02, 7), (0.5, 0.0, 8)]
)
def test_pairwise_conformity_is_the_written_out_formula(gamma, mu, k):
    a, b, c, beta = 0.4, 0.6, 0.8, 5.0
    m = mo.mixed_population(a, b, c, mu, conformity=gamma, model="pairwise", beta=beta, sample=k)
    r1 = max(a, b) - (1 - c) * min(a, b)
    for p in np.linspace(0.0, 1.0, 23):
        f_a, f_b = a * (1 - c * p), b * (1 - c * (1 - p))
        up = binom.sf(math.floor(k / 2), k, p)  # P(Bin > k/2)
        down = binom.cdf(math.ceil(k / 2) - 1, k, p)  # P(Bin < k/2)
        dp = (1 - mu) * (
            gamma * ((1 - p) * up - p * down)
            + (1 - gamma) * p * (1 - p) * math.tanh(beta * (f_b - f_a) / (2 * r1))
        ) + mu / 2 * (1 - 2 * p)
        assert m.rhs(np.array([p]))[0] == pytest.approx(dp, abs=1e-13)


def test_replicator_critical_fraction_against_cubic_roots():
    """Replicator, mu = 0: the fixed points solve the cubic
    (1 - Z) p f_B(p) - (p - Z) phi(p) = 0 in the total share p; below Z* it has three
    roots in [Z, 1], above it one (p = 1)."""
    a, b = 0.4, 0.6

    def roots(c, z):
        P = np.polynomial.Polynomial
        p = P([0.0, 1.0])
        f_a, f_b = a * (1 - c * p), b * (1 - c * (1 - p))
        poly = (1 - z) * p * f_b - (p - z) * ((1 - p) * f_a + p * f_b)
        r = poly.roots()
        return sorted(
            float(v.real) for v in r if abs(v.imag) < 1e-9 and z - 1e-9 <= v.real <= 1 + 1e-9
        )

    for c in (0.5, 0.8, 1.0):
        cf = mo.critical_committed_fraction(mo.mixed_population(a, b, c))
        assert cf.method == "newton"
        zs = cf.z
        assert len(roots(c, zs * (1 - 1e-6))) == 3
        assert len(roots(c, zs * (1 + 1e-6))) == 1
        mid = mo.mixed_population(a, b, c, committed=zs / 2)
        np.testing.assert_allclose(
            [fp.p for fp in mo.mixed_fixed_points(mid)], roots(c, zs / 2), atol=1e-9
        )
    # c = 1: the fold is at p = 1/2 - sqrt(0.15) ... a closed form in this case
    cf = mo.critical_committed_fraction(mo.mixed_population(a, b, 1.0))
    assert cf.x[0] == pytest.approx(0.5 - math.sqrt(0.15), abs=1e-7)


# ------------------------------------------------ fixed points and their stability
CONFIGS = [
    dict(a=0.4, b=0.6, c=0.8, committed=0.05, conformity=0.2),
    dict(a=0.4, b=0.6, c=0.9, mu=0.03, committed=0.1, conformity=0.5, model="pairwise"),
    dict(a=0.5, b=0.5, c=0.7, conformity=0.4, model="pairwise", beta=2.0, sample=5),
    dict(a=0.4, b=0.6, c=[0.5, 0.95], committed=0.02, between=0.3, model="pairwise"),
    dict(a=0.4, b=0.6, c=[0.4, 0.9], mu=[0.01, 0.02], sizes=[1, 3], between=0.6, conformity=0.2),
    dict(
        a=0.4, b=0.6, c=[0.9, 0.9, 0.6], committed=[0.0, 0.05, 0.1], between=0.2, model="pairwise"
    ),
]


def _num_jacobian(m, x, h=1e-6):
    G = len(x)
    J = np.empty((G, G))
    for j in range(G):
        e = np.zeros(G)
        e[j] = h
        J[:, j] = (m.rhs(x + e) - m.rhs(x - e)) / (2 * h)
    return J


@pytest.mark.parametrize("kw", CONFIGS)
def test_fixed_points_are_zeros_with_stability_of_a_numerical_jacobian(kw):
    m = mo.mixed_population(**kw)
    fps = mo.mixed_fixed_points(m)
    assert fps
    for fp in fps:
        x = np.array(fp.x)
        assert np.max(np.abs(m.rhs(x))) < 1e-10
        # central differences (at 0 or 1 too: the field extends smoothly beyond)
        ev = np.sort_complex(np.linalg.eigvals(_num_jacobian(m, x)))
        np.testing.assert_allclose(
            ev, np.sort_complex(np.array(fp.eigenvalues, dtype=complex)), rtol=1e-5, atol=1e-6
        )
        assert fp.stable == bool(np.all(ev.real < 0))
        assert fp.p == pytest.approx(float(np.sum(np.array(m.sizes) * m.shares(x))))
    # integration from any start (none a fixed point here) ends at a stable one
    for x0 in (0.03, 0.27, 0.61, 0.97):
        end = solve_ivp(
            lambda t, y: m.rhs(y),
            (0, 5000),
            np.full(m.groups, x0),
            method="LSODA",
            rtol=1e-10,
            atol=1e-12,
        ).y[:, -1]
        assert min(np.max(np.abs(end - np.array(fp.x))) for fp in fps if fp.stable) < 1e-4


# ---------------------------------------- the critical fraction against integration
CRITICAL = [
    dict(a=0.4, b=0.6, c=0.8),
    dict(a=0.4, b=0.6, c=0.8, model="pairwise"),
    dict(a=0.4, b=0.6, c=1.0, mu=0.02, conformity=0.3, model="pairwise"),
    dict(a=0.4, b=0.6, c=0.9, mu=0.01, conformity=0.5, sample=8),
    dict(a=0.4, b=0.6, c=[0.5, 0.95], between=0.5),
    dict(a=0.4, b=0.6, c=[0.6, 1.0], sizes=[3, 1], between=0.2, model="pairwise", beta=10.0),
]


@pytest.mark.parametrize("kw", CRITICAL)
def test_critical_fraction_agrees_with_direct_integration(kw):
    m = mo.mixed_population(**kw)
    cf = mo.critical_committed_fraction(m)
    assert cf.method == "newton" and 0.0 < cf.z < 0.5
    old = mo.old_norm_state(m)
    ends = []
    for z in (cf.z * (1 - 1e-3), cf.z * (1 + 1e-3)):
        mz = m.with_committed(z)
        y = solve_ivp(
            lambda t, y, mz=mz: mz.rhs(y),
            (0.0, 1e5),
            np.array(old.x),
            method="LSODA",
            rtol=1e-10,
            atol=1e-12,
        ).y[:, -1]
        ends.append(float(mz.total_share(y)))
    assert ends[0] < 0.5 and ends[0] < cf.p + 0.05  # stays near the old norm
    assert ends[1] > 0.9  # goes to the new norm


def test_critical_fraction_zero_below_threshold_and_increasing_in_c():
    for model in ("replicator", "pairwise"):
        loose = mo.mixed_population(0.4, 0.6, 0.2, model=model)
        assert mo.critical_committed_fraction(loose).z == 0.0
        rows = mo.critical_committed_curve(0.4, 0.6, [0.4, 0.6, 0.8, 1.0], model=model)
        zs = [r["critical_committed_fraction"] for r in rows]
        assert all(0 < u < v for u, v in zip(zs, zs[1:], strict=False))


def test_neutral_and_smooth_cases_have_no_critical_fraction():
    neutral = mo.mixed_population(0.5, 0.5, 0.0)
    assert mo.mixed_fixed_points(neutral) == []
    assert mo.critical_committed_fraction(neutral).z is None
    # B the worse norm, much exploration: one equilibrium at every Z (checked on a grid
    # of Z by the sign changes of the field), moving smoothly: no saddle-node
    smooth = mo.mixed_population(0.6, 0.4, 0.3, 0.3, model="pairwise")
    x = np.linspace(0.0, 1.0, 4001)
    for z in np.linspace(0.0, 0.99, 100):
        v = smooth.with_committed(z).rhs(x[None, :])[0]
        assert np.count_nonzero(np.diff(np.sign(v))) == 1
    assert mo.critical_committed_fraction(smooth).z is None
    # B the better norm, much exploration: the new norm holds already without committed agents
    gone = mo.critical_committed_fraction(mo.mixed_population(0.4, 0.6, 0.9, 0.7, model="pairwise"))
    assert gone.z == 0.0 and gone.method == "no-old-norm"


# ------------------------------------------------------------------------ groups
def test_two_groups_with_equal_c_are_the_one_group_model():
    for model in ("replicator", "pairwise"):
        kw = dict(mu=0.02, committed=0.05, conformity=0.25, model=model)
        one = mo.mixed_population(0.4, 0.6, 0.85, **kw)
        two = mo.mixed_population(0.4, 0.6, [0.85, 0.85], sizes=[0.3, 0.7], between=0.4, **kw)
        t = np.linspace(0, 300, 31)
        s1 = mo.solve_mechanics(one, 0.2, 300.0, t_eval=t)
        s2 = mo.solve_mechanics(two, 0.2, 300.0, t_eval=t)
        np.testing.assert_allclose(s2.p, s1.p, atol=1e-9)
        np.testing.assert_allclose(s2.x[0], s2.x[1], atol=1e-9)
        full = mo.mixed_population(0.4, 0.6, [0.85, 0.85], sizes=[0.3, 0.7], **kw)
        np.testing.assert_allclose(
            [fp.p for fp in mo.mixed_fixed_points(full)],
            [fp.p for fp in mo.mixed_fixed_points(one)],
            atol=1e-8,
        )
        assert mo.critical_committed_fraction(two).z == pytest.approx(
            mo.critical_committed_fraction(one).z, abs=1e-8
        )


def test_isolated_groups_tip_at_the_smaller_critical_fraction():
    """With between-group weight 0 each group is a one-group model with its own c; the
    old norm of the whole population is lost when the first group's is."""
    for model in ("replicator", "pairwise"):
        two = mo.mixed_population(0.4, 0.6, [0.6, 0.95], between=0.0, model=model)
        z1 = mo.critical_committed_fraction(mo.mixed_population(0.4, 0.6, 0.6, model=model)).z
        z2 = mo.critical_committed_fraction(mo.mixed_population(0.4, 0.6, 0.95, model=model)).z
        assert mo.critical_committed_fraction(two).z == pytest.approx(min(z1, z2), abs=1e-8)


def test_each_group_pays_with_its_own_c():
    m = mo.mixed_population(0.4, 0.6, [0.2, 0.9], committed=0.0, model="pairwise", beta=5.0)
    x = np.array([0.3, 0.3])  # everyone meets B with q = 0.3
    v = m.rhs(x)
    for g, c in enumerate((0.2, 0.9)):
        one = mo.mixed_population(0.4, 0.6, c, model="pairwise", beta=5.0)
        # the teachers of the other group earn with their own c: differs from one group
        assert v[g] != pytest.approx(one.rhs(np.array([0.3]))[0], abs=1e-6)
    # learners and teachers of the same group and isolated groups: exactly one group each
    iso = mo.mixed_population(0.4, 0.6, [0.2, 0.9], between=0.0, model="pairwise", beta=5.0)
    for g, c in enumerate((0.2, 0.9)):
        one = mo.mixed_population(0.4, 0.6, c, model="pairwise", beta=5.0)
        assert iso.rhs(x)[g] == pytest.approx(one.rhs(np.array([0.3]))[0], abs=1e-15)


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kw, word",
    [
        (dict(committed=1.5), "committed"),
        (dict(committed=-0.1), "committed"),
        (dict(conformity=1.01), "conformity"),
        (dict(conformity=-0.5), "conformity"),
        (dict(c=[0.3, 0.5], mu=[0.1, 0.1, 0.1]), "mu"),
        (dict(c=[0.3, 0.5], sizes=[1, 1, 1]), "c"),
        (dict(sample=0), "sample"),
        (dict(sample=1001), "sample"),
        (dict(sample=2.5), "sample"),
        (dict(between=2.0), "between"),
        (dict(model="voter"), "model"),
        (dict(c=float("nan")), "c"),
    ],
)
def test_bad_parameters_are_one_clear_error(kw, word):
    args = dict(a=0.4, b=0.6, c=0.5)
    args.update(kw)
    with pytest.raises(NormsimError, match=word):
        mo.mixed_population(**args)


@pytest.mark.parametrize("c", [0.5, 0.8, 1.0])
def test_mu_crit_equals_the_existing_functions_without_mechanisms(c):
    assert mo.mixed_mu_crit(mo.mixed_population(0.4, 0.6, c)) == pytest.approx(
        analytic.mu_crit(0.4, 0.6, c), abs=1e-10
    )
    ours = mo.mixed_mu_crit(mo.mixed_population(0.4, 0.6, c, model="pairwise"))
    # analytic.pairwise_mu_crit counts roots on a 401-point grid (up to 1e-5 low); check
    # ours directly: bistable just below, monostable just above (sign changes on a fine grid)
    assert ours == pytest.approx(analytic.pairwise_mu_crit(0.4, 0.6, c), abs=1e-4)
    x = np.linspace(0.0, 1.0, 200001)
    for mu, n in ((ours * (1 - 1e-7), 3), (ours * (1 + 1e-7), 1)):
        v = analytic.pairwise_rhs(x, 0.4, 0.6, c, 5.0, mu)
        assert np.count_nonzero(np.diff(np.sign(v))) == n


# ---------------------------------------- against a stochastic simulation of the rules
def _simulate(model, a, b, c, mu, z, gamma, k, beta, N, times, seed):
    """Agents of a well-mixed population of N, by counts: every event one uncommitted
    learner follows the rules the module docstring states (explore / conform to a sample
    of k / imitate a teacher); returns the share of B at each of ``times`` (model time)."""
    rng = np.random.default_rng(seed)
    n_c = round(z * N)
    U = N - n_c
    n_b = 0  # uncommitted B-players
    r1 = max(a, b) - (1 - c) * min(a, b)
    t = 0.0
    out = []
    times = list(times)
    while True:
        p = (n_c + n_b) / N
        f_a, f_b = a * (1 - c * p), b * (1 - c * (1 - p))
        phi = (1 - p) * f_a + p * f_b
        t += (1.0 / U) * (1.0 / phi if model == "replicator" else 1.0)
        while times and t > times[0]:
            out.append((n_c + n_b) / N)
            times.pop(0)
        if not times:
            return np.array(out)
        own_b = rng.random() < n_b / U
        if model == "pairwise" and rng.random() < mu:
            new_b = rng.random() < 0.5
        elif rng.random() < gamma:
            ones = rng.binomial(k, p)
            new_b = own_b if 2 * ones == k else 2 * ones > k
        elif model == "pairwise":
            teacher_b = rng.random() < p
            d = (f_b if teacher_b else f_a) - (f_b if own_b else f_a)
            new_b = teacher_b if rng.random() < 1 / (1 + math.exp(-beta * d / r1)) else own_b
        else:  # teacher drawn in proportion to fitness
            new_b = rng.random() < p * f_b / phi
        if model == "replicator" and rng.random() < mu:
            new_b = not new_b
        n_b += int(new_b) - int(own_b)


@pytest.mark.parametrize(
    "model, mu, z, gamma, k, t_end",
    [
        ("pairwise", 0.02, 0.2, 0.3, 4, 15.0),
        ("pairwise", 0.05, 0.2, 0.6, 7, 20.0),
        ("replicator", 0.02, 0.2, 0.3, 4, 40.0),
        ("replicator", 0.0, 0.15, 0.0, 4, 30.0),
    ],
)
def test_mean_field_is_the_large_population_limit_of_the_rules(model, mu, z, gamma, k, t_end):
    a, b, c, beta = 0.4, 0.6, 0.8, 5.0
    m = mo.mixed_population(
        a, b, c, mu, committed=z, conformity=gamma, model=model, beta=beta, sample=k
    )
    times = np.linspace(0.0, t_end, 7)[1:]
    ode = mo.solve_mechanics(m, 0.0, t_end, t_eval=times).p
    sims = [_simulate(model, a, b, c, mu, z, gamma, k, beta, 4000, times, s) for s in range(3)]
    assert np.max(np.abs(np.mean(sims, axis=0) - ode)) < 0.03
    # the comparison can tell: without conformity the field is far off the simulation
    other = mo.mixed_population(a, b, c, mu, committed=z, model=model, beta=beta)
    if gamma > 0:
        far = mo.solve_mechanics(other, 0.0, t_end, t_eval=times).p
        assert np.max(np.abs(np.mean(sims, axis=0) - far)) > 0.03
