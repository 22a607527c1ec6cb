"""Native generators (normsim.networks.generators): the graph networkx builds, edge for edge."""

import random

import networkx as nx
import numpy as np
import pytest

from normsim.draws import replicate_seeds
from normsim.engine import replicate_adjacency, simulate
from normsim.errors import NormsimError
from normsim.networks import adjacency, build_graph, generators, spec_adjacency
from normsim.networks import spec as network_spec
from normsim.params import ModelParams

from support.slow_model import slow_simulate

RANDOM = [
    {"kind": "erdos_renyi", "n": 60, "p": 0.1},
    {"kind": "erdos_renyi", "n": 60, "p": 0.03, "largest_component": True},
    {"kind": "erdos_renyi", "n": 30, "p": 0.05, "largest_component": True},  # ties
    {"kind": "erdos_renyi", "n": 12, "p": 1.0},
    {"kind": "watts_strogatz", "n": 30, "k": 4, "p": 0.3},
    {"kind": "watts_strogatz", "n": 10, "k": 7, "p": 0.9},  # dense: the skip rule
    {"kind": "watts_strogatz", "n": 30, "k": 2, "p": 0.5, "largest_component": True},
    {"kind": "barabasi_albert", "n": 50, "m": 2},
    {"kind": "barabasi_albert", "n": 80, "m": 7},  # sets that resize
    {"kind": "barabasi_albert", "n": 6, "m": 5},
    {"kind": "random_regular", "n": 30, "d": 3},
    {"kind": "random_regular", "n": 12, "d": 9},  # dense: restarts
]
FIXED = [
    {"kind": "grid", "rows": 5, "cols": 4, "periodic": True},
    {"kind": "grid", "rows": 3, "cols": 3, "periodic": True},
    {"kind": "grid", "rows": 5, "cols": 4, "periodic": False},
    {"kind": "grid", "rows": 1, "cols": 2, "periodic": False},
    {"kind": "complete", "n": 6},
    {"kind": "star", "n": 7},
    {"kind": "connected_caveman", "cliques": 4, "size": 5},
    {"kind": "connected_caveman", "cliques": 1, "size": 2},
    {"kind": "connected_caveman", "cliques": 3, "size": 2},
]


def _ids(s):
    return "-".join(f"{v}" for v in s.values())


def assert_same_adjacency(got, want):
    for a in ("indptr", "indices", "degree"):
        np.testing.assert_array_equal(getattr(got, a), getattr(want, a))
        assert getattr(got, a).dtype == getattr(want, a).dtype, a


def test_compiled_python_random_equals_random_random():
    kinds = np.array([0, 1, 1, 2, 0, 1] * 400)
    args = np.array([0, 7, 1000, 0, 0, 2**31 + 5] * 400)
    for seed in (0, 1, 12345, 2**32 - 1, None):
        if seed is None:
            continue
        mt, pos = generators.python_random_state(seed)
        rnd = random.Random(seed)
        want = [
            rnd.random() if k == 0 else (rnd._randbelow(int(a)) if k == 1 else rnd.getrandbits(32))
            for k, a in zip(kinds, args, strict=True)
        ]
        assert list(generators.py_draws(mt, pos, kinds, args)) == want


def test_set_order_is_cpythons():
    # sets that stay in their first table, resize once or several times; colliding hashes
    rng = np.random.default_rng(0)
    for _ in range(2000):
        k = int(rng.integers(1, 60))
        vals = rng.integers(0, int(rng.integers(2, 10**7)), size=k)
        s = set()
        for v in vals:
            s.add(int(v))
        assert list(generators.set_order(vals.astype(np.int64), 4096)) == list(s)


@pytest.mark.parametrize("spec", RANDOM, ids=_ids)
def test_random_kinds_are_networkxs_graph_for_the_same_seed(spec):
    for seed in range(50):
        try:
            want = spec_adjacency({**spec, "generator": "networkx"}, seed=seed)
        except NormsimError as e:
            with pytest.raises(NormsimError) as got:
                spec_adjacency({**spec, "generator": "native"}, seed=seed)
            assert str(got.value) == str(e)
            continue
        assert_same_adjacency(spec_adjacency({**spec, "generator": "native"}, seed=seed), want)


@pytest.mark.parametrize("spec", FIXED, ids=_ids)
def test_fixed_kinds_are_networkxs_graph(spec):
    want = adjacency(build_graph(spec))
    assert_same_adjacency(spec_adjacency({**spec, "generator": "native"}), want)


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "erdos_renyi", "n": 20000, "p": 2e-4, "largest_component": True},
        {"kind": "watts_strogatz", "n": 20000, "k": 6, "p": 0.1},
        {"kind": "barabasi_albert", "n": 20000, "m": 3},
        {"kind": "random_regular", "n": 20000, "d": 4},
    ],
    ids=lambda s: s["kind"],
)
def test_medium_graphs_are_networkxs_graph(spec):
    # many MT19937 twists, BA hubs with long rows, WS rewiring far around the ring
    seed = 2**31 + 7
    assert_same_adjacency(
        spec_adjacency({**spec, "generator": "native"}, seed=seed),
        spec_adjacency({**spec, "generator": "networkx"}, seed=seed),
    )


@pytest.mark.parametrize(
    "spec",
    [
        s
        for s in RANDOM
        if s["n"] >= 30 and (s["kind"] != "erdos_renyi" or s.get("largest_component"))
    ],
    ids=_ids,
)
def test_same_seed_same_graph_other_seed_other_graph(spec):
    spec = {**spec, "generator": "native"}
    a, b, c = (spec_adjacency(spec, seed=s) for s in (11, 11, 12))
    assert_same_adjacency(a, b)
    assert not (a.n == c.n and np.array_equal(a.indices, c.indices))


def test_degree_sequences_and_edge_counts_as_promised():
    n = 3000
    rr = spec_adjacency({"kind": "random_regular", "n": n, "d": 5, "generator": "native"}, 1)
    assert rr.k_min == rr.k_max == 5 and len(rr.indices) == n * 5
    ws = spec_adjacency(
        {"kind": "watts_strogatz", "n": n, "k": 6, "p": 0.3, "generator": "native"}, 2
    )
    assert len(ws.indices) == 2 * n * 3 and ws.degree.sum() == 2 * n * 3
    ba = spec_adjacency({"kind": "barabasi_albert", "n": n, "m": 3, "generator": "native"}, 3)
    assert len(ba.indices) == 2 * (3 + 3 * (n - 4)) and ba.degree[4:].min() >= 3
    torus = spec_adjacency({"kind": "grid", "rows": 40, "cols": 30, "generator": "native"})
    assert torus.k_min == torus.k_max == 4 and torus.n == 1200
    assert list(torus.neighbors(0)) == [1, 29, 30, 1170]
    er = spec_adjacency({"kind": "erdos_renyi", "n": n, "p": 0.006, "generator": "native"}, 4)
    m = len(er.indices) // 2
    mean, sd = 0.006 * n * (n - 1) / 2, (0.006 * n * (n - 1) / 2) ** 0.5
    assert abs(m - mean) < 5 * sd
    for adj in (rr, ws, ba, torus, er):  # simple: rows sorted, no loops or repeats
        for i in range(0, adj.n, 97):
            row = adj.neighbors(i)
            assert np.all(np.diff(row) > 0) and i not in row
            for j in row:
                assert i in adj.neighbors(j)


def test_largest_component_keeps_networkxs_component_and_numbering():
    spec = {"kind": "erdos_renyi", "n": 400, "p": 0.004, "largest_component": True}
    G = nx.fast_gnp_random_graph(400, 0.004, seed=5)
    comp = sorted(max(nx.connected_components(G), key=len))
    adj = spec_adjacency({**spec, "generator": "native"}, seed=5)
    assert adj.n == len(comp)
    sub = nx.relabel_nodes(G.subgraph(comp), {v: i for i, v in enumerate(comp)})
    assert_same_adjacency(adj, adjacency(sub))


def test_auto_uses_native_from_the_documented_size(monkeypatch):
    calls = []
    real = generators.native_adjacency

    def spy(*a, **k):
        calls.append(a[0])
        return real(*a, **k)

    monkeypatch.setattr(generators, "native_adjacency", spy)
    small = {"kind": "barabasi_albert", "n": 500, "m": 2}
    spec_adjacency(small, seed=1)
    assert calls == []
    monkeypatch.setattr(network_spec, "NATIVE_MIN_NODES", 500)
    spec_adjacency(small, seed=1)
    spec_adjacency({**small, "generator": "networkx"}, seed=1)
    assert calls == ["barabasi_albert"]
    assert network_spec._use_native("edgelist", {"path": "x"}, "auto")


def test_bad_generator_and_sizes_get_one_line():
    with pytest.raises(NormsimError, match="generator: 'fast' is not one of"):
        spec_adjacency({"kind": "grid", "rows": 4, "cols": 4, "generator": "fast"})
    with pytest.raises(NormsimError, match="d \\* n must be even"):
        spec_adjacency({"kind": "random_regular", "n": 5, "d": 3, "generator": "native"}, 1)
    with pytest.raises(NormsimError, match="isolated"):
        spec_adjacency({"kind": "erdos_renyi", "n": 200, "p": 0.004, "generator": "native"}, 1)


def test_generator_is_not_part_of_the_condition_hash():
    from normsim.scenario import loads

    body = (
        "name: g\npopulation: {network: {kind: barabasi_albert, n: 300, m: 2%s}}\n"
        "schedule: {generations: 10}\nruns: 1\n"
    )
    from normsim.scenario import conditions

    hashes = {
        conditions(loads(body % g))[0].hash
        for g in ("", ", generator: auto", ", generator: native", ", generator: networkx")
    }
    assert len(hashes) == 1
    with pytest.raises(
        NormsimError, match="population.network: generator: 'nx' is not one of auto"
    ):
        loads(body % ", generator: nx")


@pytest.mark.parametrize(
    "spec, update",
    [
        ({"kind": "grid", "rows": 5, "cols": 6}, "reference"),
        ({"kind": "grid", "rows": 4, "cols": 5, "periodic": False}, "synchronous"),
        ({"kind": "erdos_renyi", "n": 40, "p": 0.1, "largest_component": True}, "sequential"),
        ({"kind": "watts_strogatz", "n": 36, "k": 4, "p": 0.2}, "reference"),
        ({"kind": "barabasi_albert", "n": 40, "m": 2}, "synchronous"),
        ({"kind": "random_regular", "n": 36, "d": 3}, "sequential"),
        ({"kind": "complete", "n": 12}, "reference"),
        ({"kind": "star", "n": 15}, "sequential"),
        ({"kind": "connected_caveman", "cliques": 5, "size": 6}, "synchronous"),
    ],
    ids=lambda s: s["kind"] if isinstance(s, dict) else s,
)
def test_engine_equals_slow_model_on_native_graphs(spec, update):
    params = ModelParams(
        network={**spec, "generator": "native"},
        update=update,
        c=0.5,
        generations=20,
        shocks=(10,),
        initial_b=0.4,
        exploration=0.05,
    )
    seeds = replicate_seeds(13, 2)
    out = simulate(params, seeds)
    for r, seed in enumerate(seeds):
        adj = replicate_adjacency(params.network, seed)
        share, pay, _ = slow_simulate(params, adj, seed)
        np.testing.assert_array_equal(out.share_b[r], share)
        np.testing.assert_allclose(out.mean_payoff[r, 1:], pay[1:], rtol=1e-12)
    assert np.ptp(out.share_b) > 0
