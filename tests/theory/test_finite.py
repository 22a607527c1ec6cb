"""The finite well-mixed chain (normsim.theory.finite) against independent computations.

Each quantity is checked against a dense linear solve of the chain, whose
transition matrix is built here from the chain's definitions in normsim.theory.finite's
module documentation (payoffs written out, the Fermi rule written out), not from
normsim.theory.finite; the fixation probability also against a direct simulation of the birth-death
process and against EGTtools.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from normsim.errors import NormsimError
from normsim.game import CoordinationGame
from normsim.theory.finite import BirthDeathChain, analyse, level_state, threshold_c


# ------------------------------------------------------------ independent chain
def payoff(a: float, b: float, c: float, own: int, other: int) -> float:
    v = a if own == 0 else b
    return v if own == other else (1.0 - c) * v


def fermi(d: float, beta: float, r1: float) -> float:
    return 1.0 / (1.0 + math.exp(-beta * d / r1))


def chain_steps(a: float, b: float, c: float, Z: int, beta: float, mu: float):
    """Per-step probabilities up[k] (k -> k+1) and down[k] (k -> k-1), k = 0..Z."""
    r1 = max(a, b) - (1.0 - c) * min(a, b)
    r1 = r1 if r1 > 0 else 1.0
    up, down = np.zeros(Z + 1), np.zeros(Z + 1)
    for k in range(Z + 1):
        if 0 < k < Z:
            fb = ((k - 1) * payoff(a, b, c, 1, 1) + (Z - k) * payoff(a, b, c, 1, 0)) / (Z - 1)
            fa = (k * payoff(a, b, c, 0, 1) + (Z - k - 1) * payoff(a, b, c, 0, 0)) / (Z - 1)
            # learner A (prob (Z-k)/Z) meets a B teacher (prob k/(Z-1)) and copies it
            up[k] = (1 - mu) * (Z - k) / Z * k / (Z - 1) * fermi(fb - fa, beta, r1)
            down[k] = (1 - mu) * k / Z * (Z - k) / (Z - 1) * fermi(fa - fb, beta, r1)
        up[k] += mu / 2 * (Z - k) / Z  # an A explores and lands on B
        down[k] += mu / 2 * k / Z
    return up, down


def exact_solve(A: list[list[Fraction]], rhs: list[list[Fraction]]) -> list[list[float]]:
    """Gaussian elimination in exact rational arithmetic; columns of rhs are solved for.

    The chain's float entries are exact rationals, so this is the exact solution of
    the float chain: a reference that, unlike a float solve, resolves probabilities
    of 1e-18 and times of 1e12 to full relative precision.
    """
    n = len(A)
    M = [row[:] + r[:] for row, r in zip(A, rhs, strict=True)]
    w = len(M[0])
    for i in range(n):
        piv = next(r for r in range(i, n) if M[r][i] != 0)
        M[i], M[piv] = M[piv], M[i]
        inv = 1 / M[i][i]
        nz = [j for j in range(i, w) if M[i][j] != 0]
        for r in range(n):
            if r != i and M[r][i] != 0:
                f = M[r][i] * inv
                for j in nz:
                    M[r][j] -= f * M[i][j]
    return [[float(M[i][n + j] / M[i][i]) for j in range(w - n)] for i in range(n)]


def absorbing_solve(up, down, top: int, rhs_cols):
    """Solve (I - Q) x = rhs on the transient states 1..top-1 (0 and top absorbing)."""
    F = [Fraction(float(x)) for x in up], [Fraction(float(x)) for x in down]
    n = top - 1
    A = [[Fraction(0)] * n for _ in range(n)]
    for i in range(n):
        k = i + 1
        A[i][i] = F[0][k] + F[1][k]  # 1 - P[k, k], without cancellation
        if i + 1 < n:
            A[i][i + 1] = -F[0][k]
        if i > 0:
            A[i][i - 1] = -F[1][k]
    return exact_solve(A, [[Fraction(x) for x in row] for row in rhs_cols])


def dense_absorbing(up, down, top: int):
    """Fixation in `top`, in 0, absorption time and the conditional times (0, top absorbing)."""
    n = top - 1
    e = [[0.0] * 3 for _ in range(n)]
    e[-1][0] = float(up[top - 1])  # one step up from top-1 reaches top
    e[0][1] = float(down[1])  # one step down from 1 reaches 0
    for i in range(n):
        e[i][2] = 1.0
    sol = np.array(absorbing_solve(up, down, top, e))
    rho, ext, t = sol[:, 0], sol[:, 1], sol[:, 2]
    # (I - Q) theta = rho: conditional times weight each visit by rho_l / rho_j
    F = [[Fraction(float(r)) for r in (rho[i], ext[i])] for i in range(n)]
    sol2 = np.array(absorbing_solve(up, down, top, [[float(x) for x in row] for row in F]))
    return rho, ext, t, sol2[:, 0] / rho, sol2[:, 1] / ext


def passage_solve(up, down, K: int):
    """Mean steps to first reach K from 0..K-1 (exploration: 0 is not absorbing)."""
    F = [Fraction(float(x)) for x in up], [Fraction(float(x)) for x in down]
    A = [[Fraction(0)] * K for _ in range(K)]
    for k in range(K):
        A[k][k] = F[0][k] + F[1][k]
        if k + 1 < K:
            A[k][k + 1] = -F[0][k]
        if k > 0:
            A[k][k - 1] = -F[1][k]
    return np.array(exact_solve(A, [[Fraction(1)] for _ in range(K)]))[:, 0]


def stationary_solve(up, down):
    """Stationary distribution: pi (P - I) = 0 and sum(pi) = 1, exactly."""
    Z = len(up) - 1
    F = [Fraction(float(x)) for x in up], [Fraction(float(x)) for x in down]
    A = [[Fraction(0)] * (Z + 1) for _ in range(Z + 1)]  # rows: balance of state j
    for j in range(Z + 1):
        A[j][j] = -(F[0][j] + F[1][j])
        if j > 0:
            A[j][j - 1] = F[0][j - 1]
        if j < Z:
            A[j][j + 1] = F[1][j + 1]
    A[Z] = [Fraction(1)] * (Z + 1)
    rhs = [[Fraction(0)] for _ in range(Z)] + [[Fraction(1)]]
    return np.array(exact_solve(A, rhs))[:, 0]


def rel(x: float, y: float) -> float:
    return abs(x - y) / abs(y)


CASES = [  # a, b, c, Z, beta
    (0.4, 0.6, 0.3, 10, 5.0),
    (0.4, 0.6, 0.8, 25, 5.0),
    (0.6, 0.4, 0.5, 17, 2.0),
    (0.4, 0.6, 1.0, 30, 10.0),
    (0.5, 0.5, 0.4, 12, 5.0),
    (0.4, 0.6, 0.0, 2, 5.0),
    (0.4, 0.6, 0.6, 3, 20.0),
    (1.0, 3.0, 0.9, 40, 1.0),
]


@pytest.mark.parametrize("a, b, c, Z, beta", CASES)
def test_fixation_and_times_agree_with_a_linear_solve(a, b, c, Z, beta):
    ch = BirthDeathChain(CoordinationGame(a, b, c), Z, beta)
    rho, ext, t, tf, te = dense_absorbing(*chain_steps(a, b, c, Z, beta, 0.0), Z)
    for k0 in range(1, Z):
        ab = ch.absorption(k0)
        assert rel(ab.fixation_probability, rho[k0 - 1]) < 1e-9
        assert rel(ab.extinction_probability, ext[k0 - 1]) < 1e-9
        assert rel(ab.absorption_steps, t[k0 - 1]) < 1e-9
        assert rel(ab.fixation_steps, tf[k0 - 1]) < 1e-9
        assert rel(ab.extinction_steps, te[k0 - 1]) < 1e-9
        assert ab.fixation_generations == pytest.approx(ab.fixation_steps / Z, rel=1e-15)
    np.testing.assert_allclose(ch.fixation_probabilities()[1:Z], rho, rtol=1e-9)


@pytest.mark.parametrize("a, b, c, Z, beta", CASES)
@pytest.mark.parametrize("mu", [0.01, 0.1, 1.0])
def test_stationary_and_passage_agree_with_a_linear_solve(a, b, c, Z, beta, mu):
    ch = BirthDeathChain(CoordinationGame(a, b, c), Z, beta, mu)
    up, down = chain_steps(a, b, c, Z, beta, mu)
    np.testing.assert_allclose(
        ch.stationary_distribution(), stationary_solve(up, down), rtol=1e-9, atol=0.0
    )
    for level in (0.5, 0.9, 0.99):
        K = level_state(level, Z)
        T = passage_solve(up, down, K)  # states 0..K-1 transient, K absorbing
        for k0 in range(Z + 1):
            got = ch.passage(level, k0)
            want = T[k0] if k0 < K else 0.0
            assert got.probability == 1.0
            assert got.steps == pytest.approx(want, rel=1e-9, abs=0.0)
        dist = np.random.default_rng(Z).random(Z + 1)
        dist /= dist.sum()
        want = float(dist[:K] @ T)
        assert ch.passage(level, dist).steps == pytest.approx(want, rel=1e-9)


@pytest.mark.parametrize("a, b, c, Z, beta", CASES[:5])
def test_passage_without_exploration_is_the_chain_stopped_at_the_target(a, b, c, Z, beta):
    ch = BirthDeathChain(CoordinationGame(a, b, c), Z, beta)
    K = level_state(0.5, Z)
    rho, _, _, tf, _ = dense_absorbing(*chain_steps(a, b, c, Z, beta, 0.0), K)
    for k0 in range(1, K):
        got = ch.passage(0.5, k0)
        assert rel(got.probability, rho[k0 - 1]) < 1e-9
        assert rel(got.steps, tf[k0 - 1]) < 1e-9
    never = ch.passage(0.5, 0)
    assert never.probability == 0.0 and never.steps is None


def test_old_norm_start_is_the_pre_shock_stationary_distribution_below_half():
    a, b, c, Z, beta, mu = 0.4, 0.6, 0.7, 20, 5.0, 0.05
    pi = stationary_solve(*chain_steps(b, a, c, Z, beta, mu))  # before the shock: a, b swapped
    K = level_state(0.5, Z)
    pi[K:] = 0.0
    pi /= pi.sum()
    ch = BirthDeathChain(CoordinationGame(a, b, c), Z, beta, mu)
    np.testing.assert_allclose(ch.old_norm_start(), pi, rtol=1e-9, atol=0.0)
    T = passage_solve(*chain_steps(a, b, c, Z, beta, mu), K)
    out = analyse(a, b, c, Z, beta, mu, start="stationary")
    assert out["t50"] == pytest.approx(float(pi[:K] @ T) / Z, rel=1e-9)


# ------------------------------------------------------------------ limits
@pytest.mark.parametrize("Z", [2, 5, 100, 10_000])
def test_neutral_fixation_probability_is_k_over_Z(Z):
    ch = BirthDeathChain(CoordinationGame(0.4, 0.6, 0.5), Z, beta=0.0)
    for k0 in {1, 2 % Z or 1, Z // 3 or 1, Z - 1}:
        assert ch.fixation_probability(k0) == pytest.approx(k0 / Z, rel=1e-12)
    # neutral conditional fixation time of one mutant: Z (Z - 1) steps for the Moran
    # process, whose T+ = T- = k (Z-k) / Z^2; here T+ = T- = k (Z-k) / (2 Z (Z-1)),
    # slower by the factor 2 (Z-1) / Z, so 2 (Z - 1)^2 steps
    assert ch.absorption(1).fixation_steps == pytest.approx(2 * (Z - 1) ** 2, rel=1e-9)


@pytest.mark.parametrize("Z, beta", [(10_000, 5.0), (100_000, 5.0), (100_000, 1000.0), (1000, 1e5)])
def test_large_populations_and_strong_selection_neither_overflow_nor_round_to_zero(Z, beta):
    for c in (0.2, 0.9):
        ch = BirthDeathChain(CoordinationGame(0.4, 0.6, c), Z, beta)
        lf = ch.log_fixation_probability(1)
        le = ch.absorption(Z - 1).log_extinction_probability  # one A-player takes over
        assert math.isfinite(lf) and lf <= 0.0 and math.isfinite(le) and le <= 0.0
        ab = ch.absorption(1)
        assert all(math.isfinite(x) and x > 0 for x in (ab.absorption_steps, ab.extinction_steps))
        # log-space agrees with the independent recursion of the odds ratios
        x = beta * (ch.f_b - ch.f_a)[1:Z] / ch.R1
        L = np.concatenate(([0.0], np.cumsum(-x)))
        m = L.max()
        want = -(m + math.log(np.exp(L - m).sum()))
        assert lf == pytest.approx(want, rel=1e-9, abs=1e-9)
        if lf > -700:
            assert ch.fixation_probability(1) > 0.0
    # the A-player's fixation against the better norm B at c = 0.2 is far below 1e-300
    assert le < math.log(1e-300)


def test_fixation_probability_is_monotone_and_complementary():
    ch = BirthDeathChain(CoordinationGame(0.4, 0.6, 0.8), 60, 5.0)
    f = ch.fixation_probabilities()
    assert f[0] == 0.0 and f[-1] == pytest.approx(1.0) and np.all(np.diff(f) >= 0)
    lf = [ch.log_fixation_probability(k) for k in range(1, 60)]
    assert np.all(np.diff(lf) > 0) and lf[-1] < 0.0 and ch.log_fixation_probability(60) == 0.0
    for k0 in (1, 30, 59):
        ab = ch.absorption(k0)
        assert ab.fixation_probability + ab.extinction_probability == pytest.approx(1.0, rel=1e-12)


def test_threshold_c_is_where_one_mutant_fixes_as_often_as_a_neutral_one():
    Z, beta = 50, 2.0
    cs = threshold_c(0.4, 0.6, Z, beta)
    assert cs is not None and 0.0 < cs < 1.0
    for c, sign in ((cs - 1e-4, 1), (cs + 1e-4, -1)):
        rho = BirthDeathChain(CoordinationGame(0.4, 0.6, c), Z, beta).fixation_probability(1)
        assert np.sign(rho - 1 / Z) == sign
    assert threshold_c(0.4, 0.6, Z, 0.0) is None


def test_fixed_points_follow_the_gradient_of_selection():
    ch = BirthDeathChain(CoordinationGame(0.4, 0.6, 0.8), 200, 5.0)
    fps = ch.fixed_points()
    assert [fp["stable"] for fp in fps] == [True, False, True]
    assert fps[0]["p"] == 0.0 and fps[-1]["p"] == 1.0
    # the mean-field tipping point (a - (1-c) b) / (c (a + b)) = 0.35 shifted by O(1/Z)
    assert fps[1]["p"] == pytest.approx(0.35, abs=0.01) and fps[1]["p"] != 0.35
    mixed = BirthDeathChain(CoordinationGame(0.4, 0.6, 0.8), 200, 5.0, mu=0.05).fixed_points()
    assert [fp["stable"] for fp in mixed] == [True, False, True]
    assert 0.0 < mixed[0]["p"] < 0.1 and 0.9 < mixed[-1]["p"] < 1.0
    assert BirthDeathChain(CoordinationGame(0.4, 0.6, 0.8), 20, 0.0).fixed_points() == []


# --------------------------------------------------------------- simulation
def simulate_fixation(a, b, c, Z, beta, k0, runs, rng):
    """Direct simulation of the birth-death process until all-A or all-B."""
    r1 = max(a, b) - (1.0 - c) * min(a, b)
    fixed = 0
    steps = np.zeros(runs)
    for r in range(runs):
        k, n = k0, 0
        while 0 < k < Z:
            n += 1
            learner_b = rng.random() < k / Z
            # teacher among the other Z - 1 agents
            teacher_b = rng.random() < ((k - 1) if learner_b else k) / (Z - 1)
            if learner_b == teacher_b:
                continue
            fb = ((k - 1) * b + (Z - k) * (1 - c) * b) / (Z - 1)
            fa = (k * (1 - c) * a + (Z - k - 1) * a) / (Z - 1)
            d = (fb - fa) if teacher_b else (fa - fb)
            if rng.random() < 1.0 / (1.0 + math.exp(-beta * d / r1)):
                k += 1 if teacher_b else -1
        fixed += k == Z
        steps[r] = n
    return fixed, steps


@pytest.mark.parametrize(
    "a, b, c, Z, beta, k0",
    [
        (0.4, 0.6, 0.3, 12, 5.0, 1),
        (0.4, 0.6, 0.8, 10, 5.0, 3),
        (0.4, 0.6, 1.0, 8, 2.0, 4),
    ],
)
def test_direct_simulation_falls_in_the_99_percent_interval(a, b, c, Z, beta, k0):
    runs = 4000
    fixed, steps = simulate_fixation(
        a, b, c, Z, beta, k0, runs, np.random.default_rng(int(1000 * c) + Z)
    )
    ab = BirthDeathChain(CoordinationGame(a, b, c), Z, beta).absorption(k0)
    p = ab.fixation_probability
    half = 2.576 * math.sqrt(p * (1 - p) / runs)
    assert abs(fixed / runs - p) < half
    half_t = 2.576 * steps.std(ddof=1) / math.sqrt(runs)
    assert abs(steps.mean() - ab.absorption_steps) < half_t


# ----------------------------------------------------------------- EGTtools
@pytest.mark.parametrize(
    "a, b, c, Z, beta",
    [
        (0.4, 0.6, 0.3, 20, 5.0),
        (0.4, 0.6, 0.8, 30, 5.0),
        (0.6, 0.4, 0.5, 15, 1.0),
        (0.4, 0.6, 1.0, 50, 0.5),
    ],
)
def test_egttools_oracle(a, b, c, Z, beta):
    """EGTtools (GPL-3.0, a test oracle only). Its conventions: raw
    payoffs, so it gets beta / R1; its mutation switches to the other strategy with
    probability mu_e and selection happens with 1 - mu_e, so normsim's mu
    corresponds to mu_e = mu / (2 - mu) (same ratios T+/T-, same stationary
    distribution); it returns exactly 0 for fixation probabilities below ~1e-7."""
    try:
        from egttools import sample_simplex
        from egttools.analytical import PairwiseComparison
        from egttools.games import Matrix2PlayerGameHolder
        from egttools.utils import calculate_stationary_distribution
    except ImportError:
        pytest.skip("egttools is not installed (pip install '.[test]')")
    game = CoordinationGame(a, b, c)
    holder = Matrix2PlayerGameHolder(2, game.matrix())  # keep a reference: egttools does not
    model = PairwiseComparison(Z, holder)
    beta_e = beta / game.payoff_range(1, 1)
    ch = BirthDeathChain(game, Z, beta)
    for invader, k0 in ((1, 1), (0, Z - 1)):
        theirs = model.calculate_fixation_probability(invader, 1 - invader, beta_e)
        ab = ch.absorption(k0)
        ours = ab.fixation_probability if invader == 1 else ab.extinction_probability
        if ours < 1e-7:
            assert theirs == pytest.approx(ours, abs=1e-7)
        else:
            assert theirs == pytest.approx(ours, rel=1e-9)
    for mu in (0.02, 0.2):
        # its helper wants the transposed (column-stochastic) matrix; it takes an
        # eigenvector, accurate to ~1e-10 absolute (so not on the tiny entries)
        T = model.calculate_transition_matrix(beta_e, mu / (2.0 - mu))
        sd = calculate_stationary_distribution(T.transpose())
        order = [int(sample_simplex(i, Z, 2)[1]) for i in range(Z + 1)]  # B-players
        pi = BirthDeathChain(game, Z, beta, mu).stationary_distribution()[order]
        np.testing.assert_allclose(sd, pi, rtol=0.0, atol=1e-9)
        big = pi > 1e-3
        np.testing.assert_allclose(sd[big], pi[big], rtol=1e-8)


# --------------------------------------------------------------- bad input
@pytest.mark.parametrize("Z", [1, 0, -5, 2.5, "ten", True])
def test_bad_population(Z):
    with pytest.raises(NormsimError, match="population"):
        BirthDeathChain(CoordinationGame(0.4, 0.6, 0.5), Z)


@pytest.mark.parametrize(
    "kw, name",
    [
        ({"beta": float("nan")}, "beta"),
        ({"beta": -1}, "beta"),
        ({"mu": float("inf")}, "mu"),
        ({"mu": 1.5}, "mu"),
    ],
)
def test_bad_numbers(kw, name):
    with pytest.raises(NormsimError, match=name):
        BirthDeathChain(CoordinationGame(0.4, 0.6, 0.5), 10, **kw)


def test_bad_states():
    ch = BirthDeathChain(CoordinationGame(0.4, 0.6, 0.5), 10)
    with pytest.raises(NormsimError, match="k0"):
        ch.absorption(11)
    with pytest.raises(NormsimError, match="k0"):
        ch.fixation_probability(-1)
    with pytest.raises(NormsimError, match="exploration"):
        ch.stationary_distribution()
    with pytest.raises(NormsimError, match="exploration"):
        analyse(0.4, 0.6, 0.5, 10, start="stationary")


# ------------------------------------------------ the engine's asynchronous mode
@pytest.mark.parametrize(
    "Z, c, beta, p", [(20, 0.3, 5.0, 0.1), (30, 0.8, 5.0, 0.3), (12, 1.0, 2.0, 0.4)]
)
def test_engine_asynchronous_mode_on_a_complete_graph_fixes_as_the_chain_says(Z, c, beta, p):
    """The chain is exact for `asynchronous` updating on a complete graph: starting
    from Binomial(Z, p) B-players, the share of replicates that end in all-B falls in
    the 99% interval around sum_k Binom(k; Z, p) rho_k."""
    from scipy.stats import binom

    from normsim.draws import replicate_seeds
    from normsim.engine import simulate
    from normsim.params import ModelParams

    runs = 3000
    params = ModelParams(
        a=0.4,
        b=0.6,
        c=c,
        network={"kind": "complete", "n": Z},
        update="asynchronous",
        beta=beta,
        exploration=0.0,
        initial_b=p,
        generations=200,
    )
    end = simulate(params, replicate_seeds(7, runs)).share_b[:, -1]
    assert np.all((end == 0.0) | (end == 1.0))  # every replicate absorbed
    rho = BirthDeathChain(CoordinationGame(0.4, 0.6, c), Z, beta).fixation_probabilities()
    exact = float(binom.pmf(np.arange(Z + 1), Z, p) @ rho)
    assert abs(np.mean(end == 1.0) - exact) < 2.576 * math.sqrt(exact * (1 - exact) / runs)


def _generation_end_passage(chain: BirthDeathChain, level: float = 0.5) -> float:
    """Expected number of generations until a generation ends with a share of B of
    at least ``level``, starting from all-A: the chain's distribution evolved step by
    step (Z elementary steps a generation), the target checked only at generation
    ends, as the simulation's t50 reads it."""
    Z = chain.Z
    up, down = chain.transitions()
    target = math.ceil(level * Z)
    v = np.zeros(Z + 1)
    v[0] = 1.0
    expected, g = 0.0, 0
    while v.sum() > 1e-13:
        for _ in range(Z):
            v = (
                v * (1.0 - up - down)
                + np.concatenate(([0.0], (v * up)[:-1]))
                + np.concatenate(((v * down)[1:], [0.0]))
            )
        g += 1
        expected += g * v[target:].sum()
        v[target:] = 0.0
    return expected


@pytest.mark.parametrize("Z, c, beta, mu", [(40, 0.3, 5.0, 0.05), (60, 0.5, 3.0, 0.1)])
def test_engine_asynchronous_time_to_norm_change_is_the_chain_s(Z, c, beta, mu):
    """From all-A, the mean number of generations until a generation ends with at least
    half B (how t50 is read) falls in the 99% interval around the chain's exact value."""
    from normsim.draws import replicate_seeds
    from normsim.engine import simulate
    from normsim.params import ModelParams

    game = CoordinationGame(0.4, 0.6, c)
    exact = _generation_end_passage(BirthDeathChain(game, Z, beta, mu))
    runs, G = 600, 400
    params = ModelParams(
        a=0.4,
        b=0.6,
        c=c,
        network={"kind": "complete", "n": Z},
        update="asynchronous",
        beta=beta,
        exploration=mu,
        initial_b=0.0,
        generations=G,
    )
    share = simulate(params, replicate_seeds(11, runs)).share_b
    reached = share >= 0.5
    assert reached.any(axis=1).all()
    t = reached.argmax(axis=1).astype(float)
    assert abs(t.mean() - exact) < 2.576 * t.std(ddof=1) / math.sqrt(runs)
    # and the chain's own passage time (steps / Z, crossing at any step) is a little less
    assert BirthDeathChain(game, Z, beta, mu).passage(0.5, 0).generations < exact
