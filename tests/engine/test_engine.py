"""The compiled engine against the slow per-agent model, invariants and behaviour."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from normsim import engine
from normsim.draws import DrawStream, replicate_seeds
from normsim.engine import (
    FERMI,
    FORMULA,
    RATIO,
    _accept,
    replicate_adjacency,
    simulate,
    tables,
    threshold32,
)
from normsim.game import fermi_probability
from normsim.networks import adjacency, build_graph
from normsim.params import UPDATE_MODES, ModelParams
from normsim.theory import analytic

from support.cases import EXPLORATION, NETWORKS
from support.equivalence import assert_equivalent, tiered
from support.slow_model import slow_simulate


@pytest.mark.parametrize("beta, c", [(5.0, 0.3), (0.0, 1.0), (50.0, 0.9), (1e4, 0.5)])
def test_compiled_thresholds_equal_python_fermi_probability(beta, c):
    params = ModelParams(
        a=0.61, b=0.37, c=c, beta=beta, network={"kind": "barabasi_albert", "n": 60, "m": 2}
    )
    adj = adjacency(build_graph(params.network, seed=3))
    tb = tables(adj, params)
    assert tb.use_lut
    pay = tb.pay
    want = np.array(
        [
            [
                [
                    threshold32(fermi_probability(pay[ph, t], pay[ph, i], beta, tb.R))
                    for i in range(pay.shape[1])
                ]
                for t in range(pay.shape[1])
            ]
            for ph in range(2)
        ],
        dtype=np.uint64,
    )
    np.testing.assert_array_equal(tb.thr[:, :, : pay.shape[1]] >> np.uint64(16), want)


@pytest.mark.parametrize(
    "update, expl, net",
    tiered(
        {"update": UPDATE_MODES, "expl": sorted(EXPLORATION), "net": sorted(NETWORKS)},
        smoke=lambda row: row["net"] == "grid",
        pairs=True,
    ),
)
def test_engine_equals_mesa_and_slow_model(update, expl, net):
    params = ModelParams(
        a=0.6,
        b=0.4,
        c=0.5,
        network=NETWORKS[net],
        update=update,
        generations=30,
        shocks=(10, 20),
        initial_b=0.4,
        **EXPLORATION[expl],
    )
    out = assert_equivalent(params, replicate_seeds(7, 2))
    # the series are not trivially constant
    assert np.ptp(out.share_b) > 0


def adj_n(params, seed):
    return replicate_adjacency(params.network, seed).n


def test_batching_does_not_change_replicates():
    params = ModelParams(network=NETWORKS["grid"], generations=50, update="sequential")
    seeds = replicate_seeds(3, 4)
    whole = simulate(params, seeds)
    for r, s in enumerate(seeds):
        np.testing.assert_array_equal(simulate(params, [s]).share_b[0], whole.share_b[r])


def test_same_seed_same_series_other_seed_other_series():
    params = ModelParams(network={"kind": "grid", "rows": 10, "cols": 10}, generations=60)
    a = simulate(params, [11, 12]).share_b
    b = simulate(params, [11, 12]).share_b
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a[0], a[1])


@pytest.mark.parametrize("update", UPDATE_MODES)
def test_no_exploration_uniform_population_never_changes(update):
    for init in (0.0, 1.0):
        params = ModelParams(
            network={"kind": "grid", "rows": 8, "cols": 8},
            generations=50,
            exploration=0.0,
            initial_b=init,
            update=update,
            shocks=(25,),
        )
        out = simulate(params, [1, 2, 3])
        assert np.all(out.share_b == init)


@pytest.mark.parametrize(
    "update", [pytest.param("synchronous", marks=pytest.mark.kernels), "sequential"]
)
def test_beta_zero_makes_imitation_a_coin_flip(update):
    # exploration 0 and beta 0: every learner copies its teacher with probability 1/2
    # whatever the payoffs. On a complete graph starting half-half, one synchronous
    # generation moves the share of B by a sum of coin flips; check the flip frequency.
    params = ModelParams(
        network={"kind": "complete", "n": 400},
        generations=1,
        exploration=0.0,
        beta=0.0,
        update=update,
        c=1.0,
    )
    small = ModelParams(network={"kind": "complete", "n": 5}, beta=0.0, c=1.0)
    tb = tables(adjacency(build_graph(small.network)), small)
    n_cls = tb.pay.shape[1]  # P = 1/2 exactly for every class pair
    assert tb.use_lut and np.all(tb.thr[:, :, :n_cls] >> np.uint64(16) == 2**31)
    out = simulate(params, replicate_seeds(5, 200), snapshots=[0, 1])
    n0, _ = out.snapshots[0]
    n1, _ = out.snapshots[1]
    # an agent changes iff it accepts (prob 1/2) a teacher of the other norm
    changed = (n0 != n1).mean()
    other = 2 * n0.mean(1) * (1 - n0.mean(1))  # prob. a random teacher differs
    expected = 0.5 * other.mean()
    assert abs(changed - expected) < 0.01


@pytest.mark.parametrize("update", ["synchronous", "sequential", "asynchronous"])
def test_exploration_one_keeps_share_near_half(update):
    # (in reference mode exploration acts only on accepted imitations, so it need not)
    params = ModelParams(
        network={"kind": "grid", "rows": 20, "cols": 20},
        generations=100,
        exploration=1.0,
        initial_b=0.05,
        c=1.0,
        update=update,
    )
    out = simulate(params, replicate_seeds(9, 10))
    # asynchronous: a generation leaves about e^-1 of the agents unvisited, so
    # the start fades over a few generations; the others are there after one
    first = 5 if update == "asynchronous" else 1
    assert abs(out.share_b[:, first:].mean() - 0.5) < 0.01
    assert np.all(np.abs(out.share_b[:, first:] - 0.5) < 0.15)


@pytest.mark.parametrize("update", UPDATE_MODES)
def test_share_in_unit_interval_and_payoff_sane(update):
    params = ModelParams(
        network={"kind": "watts_strogatz", "n": 200, "k": 4, "p": 0.3},
        generations=80,
        update=update,
        shocks=(20, 40, 60),
        rates=(0.0, 0.2, 0.5),
    )
    out = simulate(params, replicate_seeds(1, 3))
    assert np.all((out.share_b >= 0) & (out.share_b <= 1))
    assert np.all(np.isnan(out.mean_payoff[:, 0]))
    assert np.all(out.mean_payoff[:, 1:] > 0)
    np.testing.assert_allclose(out.rate_shares.sum(axis=2), 1.0)


@pytest.mark.parametrize(
    "net, beta, how",
    [
        ({"kind": "star", "n": 300}, 5.0, RATIO),
        ({"kind": "barabasi_albert", "n": 400, "m": 3}, 5.0, RATIO),
        # exp(beta * payoff / R) would overflow (a kernel of its own: the kernels tier)
        pytest.param({"kind": "star", "n": 300}, 3000.0, FORMULA, marks=pytest.mark.kernels),
    ],
)
@pytest.mark.parametrize(
    "update",
    [
        "reference",
        *(pytest.param(u, marks=pytest.mark.kernels) for u in ("synchronous", "asynchronous")),
    ],
)
def test_irregular_graph_without_lookup_table_equals_slow_model(net, beta, how, update):
    # many distinct degrees: too many payoff classes for the lookup table
    params = ModelParams(network=net, generations=20, update=update, c=0.4, beta=beta)
    seed = replicate_seeds(4, 1)[0]
    adj = replicate_adjacency(params.network, seed)
    assert tables(adj, params).how == how
    share, _, _ = slow_simulate(params, adj, seed)
    np.testing.assert_array_equal(simulate(params, [seed]).share_b[0], share)


def test_ratio_test_decides_as_the_exact_formula_at_the_threshold():
    params = ModelParams(network={"kind": "barabasi_albert", "n": 400, "m": 3}, c=0.7)
    tb = tables(adjacency(build_graph(params.network, seed=1)), params)
    assert tb.how == RATIO
    rng = np.random.default_rng(0)
    n_cls = tb.pay.shape[1]
    for ct, ci in rng.integers(0, n_cls, size=(300, 2)):
        for ph in (0, 1):
            P = fermi_probability(tb.pay[ph, ct], tb.pay[ph, ci], params.beta, tb.R)
            edge = threshold32(P)  # uf < edge  <=>  accepted
            for uf in {0, edge - 3, edge - 1, edge, edge + 1, edge + 5, 2**32 - 1}:
                if 0 <= uf < 2**32:
                    got = _accept(
                        np.uint64(uf),
                        np.uint64(ct),
                        np.uint64(ci),
                        RATIO,
                        tb.thr.reshape(2, -1)[0],
                        tb.E[ph],
                        tb.pay[ph],
                        params.beta,
                        tb.R,
                        FERMI,
                    )
                    assert got == (uf < edge), (ct, ci, ph, uf, edge)


def test_complete_graph_follows_the_threshold():
    # a large well-mixed population: B starts at 10% (below the tipping point p* = 0.4
    # for c = 1) and cannot invade; with c below c* = 1/3 it takes over.
    base = dict(
        a=0.4,
        b=0.6,
        network={"kind": "complete", "n": 300},
        exploration=0.0,
        initial_b=0.1,
        generations=150,
        update="sequential",
    )
    assert analytic.interior_fixed_point(0.4, 0.6, 1.0) == pytest.approx(0.4)
    tight = simulate(ModelParams(c=1.0, **base), replicate_seeds(2, 5)).share_b[:, -1]
    loose = simulate(ModelParams(c=0.1, **base), replicate_seeds(2, 5)).share_b[:, -1]
    assert np.all(tight < 0.05)
    assert np.all(loose > 0.95)


def test_time_to_change_on_torus_grows_with_c():
    t50 = []
    for c in (0.05, 0.3, 0.6, 1.0):
        params = ModelParams(
            a=0.6,
            b=0.4,
            c=c,
            network={"kind": "grid", "rows": 30, "cols": 30},
            generations=700,
            shocks=(200,),
            exploration=0.05,
            update="reference",
        )
        mean = simulate(params, replicate_seeds(2017, 8)).share_b.mean(0)
        after = np.nonzero(mean[201:] >= 0.5)[0]
        t50.append(after[0] + 1 if len(after) else np.inf)
    assert t50 == sorted(t50) and t50[0] < t50[-1], t50


@pytest.mark.kernels  # it compiles a kernel of its own (argument types no warm-up case has)
def test_large_graph_after_small_one_uses_its_own_compiled_kernel():
    # more than 65536 nodes: 32-bit neighbour indices, where the small grid had
    # 16-bit ones; the engine must not reuse the small grid's compiled kernel
    small = ModelParams(network={"kind": "grid", "rows": 5, "cols": 5}, generations=3)
    simulate(small, [1])
    big = ModelParams(
        network={"kind": "grid", "rows": 257, "cols": 256}, generations=2, update="sequential"
    )
    simulate(ModelParams(network=small.network, generations=3, update="sequential"), [1])
    seed = replicate_seeds(3, 1)[0]
    adj = replicate_adjacency(big.network, seed)
    assert adj.n > 65536
    share, pay, _ = slow_simulate(big, adj, seed)
    out = simulate(big, [seed])
    np.testing.assert_array_equal(out.share_b[0], share)
    np.testing.assert_allclose(out.mean_payoff[0, 1:], pay[1:], rtol=1e-12)


def test_compiled_shortcut_gives_the_dispatchers_result():
    # after the first replicate the kernel is called without numba's dispatch:
    # the same replicate must come out the same either way
    p = ModelParams(
        network={"kind": "grid", "rows": 6, "cols": 6},
        generations=40,
        update="reference",
        shocks=(20,),
    )
    s1, s2 = replicate_seeds(11, 2)
    engine._SPECIALISED.clear()
    both = simulate(p, [s1, s2])  # s1 through the dispatcher, s2 through the shortcut
    assert engine._SPECIALISED
    engine._SPECIALISED.clear()
    alone = simulate(p, [s2])  # s2 through the dispatcher
    np.testing.assert_array_equal(both.share_b[1], alone.share_b[0])
    np.testing.assert_array_equal(both.mean_payoff[1], alone.mean_payoff[0])


def test_replicates_in_threads_equal_replicates_in_turn():
    # the kernel releases the GIL (multi-threaded Dask workers run it in parallel)
    p = ModelParams(
        network={"kind": "grid", "rows": 12, "cols": 12},
        generations=60,
        update="sequential",
        shocks=(30,),
    )
    seeds = replicate_seeds(5, 8)
    want = simulate(p, seeds).share_b
    with ThreadPoolExecutor(4) as ex:
        got = list(ex.map(lambda s: simulate(p, [s]).share_b[0], seeds))
    np.testing.assert_array_equal(np.array(got), want)


def test_asynchronous_learner_sees_current_payoffs():
    # one generation of N elementary steps on a small open grid (irregular degrees),
    # worked by hand from the stream: each learner's and teacher's payoffs are those
    # of the current state, not of the start of the generation
    net = {"kind": "grid", "rows": 3, "cols": 4, "periodic": False}
    params = ModelParams(
        a=0.6,
        b=0.4,
        c=0.9,
        beta=50.0,
        exploration=0.0,
        generations=1,
        update="asynchronous",
        network=net,
    )
    adj = replicate_adjacency(net, 0)
    nbrs = [list(map(int, adj.neighbors(i))) for i in range(adj.n)]
    game = params.game
    R = game.payoff_range(adj.k_min, adj.k_max)

    def by_hand(seed, current):
        rs = DrawStream(seed)
        norm = [1 if rs.u53(rs.next()) < params.initial_b else 0 for _ in range(adj.n)]
        start = list(norm)
        for _ in range(adj.n):
            i = rs.bounded(adj.n)
            x = rs.next()
            k, _ = rs.split(x & 0xFFFFFFFF, len(nbrs[i]))
            t = nbrs[i][k]
            seen = norm if current else start

            def pay(a, seen=seen):
                return sum(game.payoff(seen[a], seen[j]) for j in nbrs[a])

            if rs.hi(x) < fermi_probability(pay(t), pay(i), params.beta, R):
                norm[i] = norm[t]
        return sum(norm) / adj.n

    seeds = [s for s in replicate_seeds(1, 400) if by_hand(s, True) != by_hand(s, False)]
    assert len(seeds) >= 5  # cases where stale payoffs would give another state
    out = simulate(params, seeds)
    assert list(out.share_b[:, 1]) == [by_hand(s, True) for s in seeds]


@pytest.mark.kernels  # the slow model on 131,769 agents, and 32-bit neighbour indices
@pytest.mark.parametrize(
    "update, expl",
    [
        ("sequential", "fixed"),
        ("reference", "fixed"),
        ("reference", "evolving"),
        ("sequential", "evolving"),
    ],
)
def test_large_shuffled_sweep_taken_ahead_equals_slow_model(update, expl):
    # from engine.AHEAD_MIN agents on, the shuffled sweeps take their draws, swaps
    # and teachers a batch ahead (engine._take_ahead): the same replicate
    side = int(np.ceil(np.sqrt(engine.AHEAD_MIN + 5)))
    net = (
        {"kind": "grid", "rows": side, "cols": side}
        if expl == "fixed"
        else {"kind": "random_regular", "n": side * side, "d": 4, "generator": "native"}
    )
    params = ModelParams(
        network=net, generations=2, update=update, c=0.5, shocks=(1,), **EXPLORATION[expl]
    )
    seed = replicate_seeds(21, 1)[0]
    adj = replicate_adjacency(params.network, seed)
    assert adj.n >= engine.AHEAD_MIN and adj.n % engine.BATCH != 0
    share, pay, rcounts = slow_simulate(params, adj, seed)
    out = simulate(params, [seed])
    np.testing.assert_array_equal(out.share_b[0], share)
    np.testing.assert_allclose(out.mean_payoff[0, 1:], pay[1:], rtol=1e-12)
    if params.evolving:
        np.testing.assert_array_equal(np.rint(out.rate_shares[0] * adj.n), rcounts)
