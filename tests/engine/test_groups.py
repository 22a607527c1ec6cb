"""Groups with their own tightness: engine = Mesa model = slow
model, a split with equal values is the ungrouped model, sbm = networkx, per-group
series and summaries, and bad input."""

import dataclasses
import json
import re
import subprocess
import sys

import networkx as nx
import numpy as np
import pytest

from normsim.draws import graph_seed, replicate_seeds
from normsim.engine import replicate_adjacency, simulate, tables
from normsim.errors import NormsimError
from normsim.model import NormChangeModel
from normsim.networks import adjacency, spec_adjacency
from normsim.params import ModelParams

from support.cases import EXPLORATION
from support.equivalence import assert_equivalent, tiered

MODES = ("synchronous", "sequential", "reference", "asynchronous")

#: an irregular two-block sbm (under 256 payoff classes, so the lookup-table kernels
#: that the other tests compile too: test_groups_beyond_the_lookup_table covers the
#: others), a regular grid split into halves, connected caves
GROUP_NETS = {
    "sbm": (
        {"kind": "sbm", "sizes": [12, 10], "p": [[0.5, 0.08], [0.08, 0.55]]},
        {"c": [0.9, 0.2], "exploration": [0.02, 0.12], "initial_b": [0.2, 0.7]},
    ),
    "halves": (
        {"kind": "grid", "rows": 6, "cols": 8, "periodic": True},
        {"c": [0.8, 0.1], "exploration": [0.15, 0.03]},
    ),
    "cliques": (
        {"kind": "connected_caveman", "cliques": 3, "size": 6},
        {"c": [0.7, 0.3, 0.5], "initial_b": [0.1, 0.9, 0.5]},
    ),
}

#: groups alone, and with committed agents, conformity and events together
WITH = {
    "alone": {},
    "all": {
        "committed": {"count": 4, "norm": "B", "placement": "random"},
        "conformity": 0.3,
        "events": (
            {"at": 6, "game": {"c": 0.95}},
            {"at": 10, "group": 1, "game": {"c": 0.5}},
            {"from": 14, "to": 20, "game": {"c": 0.1}},
            {"from": 16, "to": 22, "group": 0, "game": {"c": 0.7}},
        ),
    },
}


def _params(net, update, expl, extra=(), **kw):
    spec, groups = GROUP_NETS[net]
    groups = dict(groups)
    if expl == "evolving":
        groups.pop("exploration", None)
    base = dict(
        a=0.6,
        b=0.4,
        c=0.5,
        network=spec,
        update=update,
        generations=24,
        shocks=(8, 16),
        initial_b=0.4,
        groups=groups,
    )
    base.update(dict(extra))
    base.update(kw)
    return ModelParams(**base, **EXPLORATION[expl])


def _compare(params, seeds):
    out = assert_equivalent(params, seeds)
    M = out.group_share_b.shape[2]
    assert out.group_share_b.shape == (len(seeds), params.generations + 1, M)
    assert np.ptp(out.share_b) > 0
    return out


@pytest.mark.parametrize(
    "update, expl, net",
    tiered(
        {"update": MODES, "expl": sorted(EXPLORATION), "net": ["sbm", "halves"]},
        smoke=lambda row: row["net"] == "halves",
    ),
)
def test_groups_engine_equals_slow_model_and_mesa_model(update, expl, net):
    _compare(_params(net, update, expl), replicate_seeds(31, 2))


@pytest.mark.kernels
@pytest.mark.parametrize("update", MODES)
@pytest.mark.parametrize("expl", sorted(EXPLORATION))
def test_groups_with_committed_conformity_and_events(update, expl):
    _compare(_params("sbm", update, expl, WITH["all"].items()), replicate_seeds(32, 2))


def test_cliques_and_groups_differ_where_their_values_do():
    out = _compare(_params("cliques", "reference", "fixed"), replicate_seeds(33, 2))
    # the initial shares follow the groups' initial_b (0.1, 0.9, 0.5 of 6 agents each)
    start = out.group_share_b[:, 0, :]
    assert np.all(start[:, 0] < start[:, 1])


def test_per_group_c_changes_payoffs_as_the_game_says():
    # a tight group's agents earn (1 - c) of a coordinated game per miscoordinated
    # neighbour: check the engine's payoff table entry by entry against CoordinationGame
    p = _params("halves", "sequential", "fixed")
    adj = replicate_adjacency(p.network, 1)
    labels = np.arange(adj.n) % 8 >= 4
    tb = tables(adj, p, labels.astype(np.int64))
    from normsim.game import CoordinationGame

    for g, c in enumerate(p.groups["c"]):
        i = int(np.flatnonzero(labels == g)[0])
        off = int(tb.cls_off[i])
        game = CoordinationGame(p.a, p.b, c)
        for norm in (0, 1):
            for m in range(5):
                n_same = m if norm else 4 - m
                assert tb.pay[0, off + norm * 5 + m] == game.total_payoff(norm, n_same, 4 - n_same)
    # R: the plain payoff range with the largest group c
    assert tb.R == CoordinationGame(p.a, p.b, 0.8).payoff_range(4, 4)


@pytest.mark.parametrize(
    "update, expl, net",
    tiered(
        {"update": MODES, "expl": sorted(EXPLORATION), "net": ["sbm", "halves"]},
        smoke=lambda row: row["net"] == "halves",
    ),
)
def test_equal_groups_give_the_ungrouped_series(update, expl, net):
    spec, groups = GROUP_NETS[net]
    M = len(groups["c"]) if "c" in groups else 2
    plain = ModelParams(
        a=0.6,
        b=0.4,
        c=0.55,
        network=spec,
        update=update,
        generations=30,
        shocks=(12,),
        initial_b=0.35,
        **EXPLORATION[expl],
    )
    same = {"c": [0.55] * M, "initial_b": [0.35] * M}
    if expl == "fixed":
        same["exploration"] = [0.1] * M
    grouped = dataclasses.replace(plain, groups=same)
    seeds = replicate_seeds(7, 3)
    a, b = simulate(plain, seeds), simulate(grouped, seeds)
    np.testing.assert_array_equal(a.share_b, b.share_b)
    np.testing.assert_allclose(a.mean_payoff[:, 1:], b.mean_payoff[:, 1:], rtol=1e-12)
    if plain.evolving:
        np.testing.assert_array_equal(a.rate_shares, b.rate_shares)
    # and the groups with other values change the series
    other = dataclasses.replace(grouped, groups={**same, "c": [0.95] + [0.05] * (M - 1)})
    assert not np.array_equal(simulate(other, seeds).share_b, a.share_b)


def test_sbm_is_networkx_stochastic_block_model_for_the_seed():
    spec = {
        "kind": "sbm",
        "sizes": [30, 20, 25],
        "p": [[0.2, 0.02, 0.01], [0.02, 0.3, 0.05], [0.01, 0.05, 0.25]],
    }
    for seed in replicate_seeds(3, 3):
        adj = replicate_adjacency(spec, seed)
        G = nx.stochastic_block_model(spec["sizes"], spec["p"], seed=graph_seed(seed))
        want = adjacency(G)
        np.testing.assert_array_equal(adj.indptr, want.indptr)
        np.testing.assert_array_equal(adj.indices, want.indices)
        # the blocks are the groups, in networkx's node order
        p = ModelParams(network=spec, generations=2, groups={"c": [0.1, 0.5, 0.9]})
        m = NormChangeModel(params=p, seed=seed)
        assert [a.group for a in m.by_node] == [G.nodes[i]["block"] for i in range(adj.n)]


def test_sbm_largest_component_keeps_the_blocks_of_the_kept_nodes():
    spec = {
        "kind": "sbm",
        "sizes": [15, 15],
        "p": [[0.12, 0.01], [0.01, 0.12]],
        "largest_component": True,
    }
    seeds = replicate_seeds(9, 4)
    p = ModelParams(network=spec, generations=3, update="sequential", groups={"c": [0.9, 0.1]})
    for seed in seeds:
        G = nx.stochastic_block_model(spec["sizes"], spec["p"], seed=graph_seed(seed))
        keep = sorted(max(nx.connected_components(G), key=len))
        try:
            out = simulate(p, [seed], snapshots=[0])
        except NormsimError as e:  # a block lost every node: refused in one line
            assert "has no agents" in str(e)
            continue
        blocks = np.array([G.nodes[i]["block"] for i in keep])
        np.testing.assert_array_equal(out.group_sizes[0], np.bincount(blocks, minlength=2))
        m = NormChangeModel(params=p, seed=seed)
        assert [a.group for a in m.by_node] == list(blocks)


def test_node_attribute_groups_from_a_graph():
    G = nx.karate_club_graph()
    for i in G.nodes:
        G.nodes[i]["side"] = 0 if G.nodes[i]["club"] == "Mr. Hi" else 1
    p = ModelParams(
        network={"kind": "edgelist", "path": "unused"},
        update="reference",
        generations=20,
        shocks=(10,),
        groups={"by": "attribute", "attribute": "side", "c": [0.9, 0.2]},
    )
    seeds = replicate_seeds(5, 2)
    out = simulate(p, seeds, network=G)
    m = NormChangeModel(params=p, network=G, seed=seeds[0])
    m.run_model()
    np.testing.assert_array_equal(m.series()["share_b"], out.share_b[0])
    np.testing.assert_array_equal(m.series()["group_share_b"], out.group_share_b[0])
    assert list(out.group_sizes[0]) == [17, 17]
    del G.nodes[3]["side"]
    with pytest.raises(NormsimError, match="node 3 has no integer group attribute 'side'"):
        simulate(p, seeds, network=G)


def test_bad_group_input():
    grid = {"kind": "grid", "rows": 4, "cols": 6}
    for groups, msg in [
        ({"c": [0.1, 0.2, 0.3]}, "population.groups.c: 3 value(s) for 2 groups"),
        ({"exploration": [0.1]}, "population.groups.exploration: 1 value(s) for 2 groups"),
        ({"c": [0.1, 1.5]}, "population.groups.c[1]: 1.5 is outside [0, 1]"),
        ({"initial_b": [-0.1, 0.5]}, "population.groups.initial_b[0]: -0.1 is outside"),
        ({"by": "rows"}, "'rows' is not one of blocks, cliques, halves, attribute"),
        ({"by": "blocks"}, "blocks needs a sbm network (this one is grid)"),
        ({"c": [0.1, 0.2], "colour": 1}, "population.groups.colour: unknown key"),
        ({"by": "attribute"}, "needs the node attribute's name"),
        ({"c": 0.5}, "is not a list"),
    ]:
        with pytest.raises(NormsimError, match=re.escape(msg)):
            ModelParams(network=grid, groups=groups)
    with pytest.raises(NormsimError, match="cols = 5 is odd"):
        ModelParams(network={"kind": "grid", "rows": 4, "cols": 5}, groups={"c": [0.1, 0.2]})
    with pytest.raises(NormsimError, match="per-group exploration rates need a fixed rate"):
        ModelParams(network=grid, rates=(0.0, 0.1), groups={"exploration": [0.1, 0.2]})
    # asynchronous updating takes groups (it refused them before normsim 0.3.0)
    assert ModelParams(network=grid, update="asynchronous", groups={"c": [0.1, 0.2]}).groups
    with pytest.raises(NormsimError, match="network.p: not symmetric"):
        spec_adjacency({"kind": "sbm", "sizes": [3, 3], "p": [[0.5, 0.1], [0.2, 0.5]]}, seed=1)
    with pytest.raises(NormsimError, match=re.escape("network.p[0][1]: 1.2 is not a probability")):
        spec_adjacency({"kind": "sbm", "sizes": [3, 3], "p": [[0.5, 1.2], [1.2, 0.5]]}, seed=1)


# ------------------------------------------------------------------ scenarios and CLI
SCENARIO = """
name: groups
game: {a: 0.6, b: 0.4, c: 0.3}
population:
  network: {kind: sbm, sizes: [30, 20], p: [[0.25, 0.03], [0.03, 0.3]]}
  groups: {c: [0.9, 0.1], exploration: [0.03, 0.06]}
dynamics: {update: sequential, exploration: 0.05}
schedule: {generations: 60, shocks: [20]}
runs: 3
seed: 5
"""

BAD = [
    ("c: [0.9, 0.1]", "c: [0.9, 0.1, 0.5]", "population.groups.c: 3 value(s) for 2 groups"),
    ("c: [0.9, 0.1]", "c: [0.9, 1.1]", "population.groups: c[1]: 1.1 is outside [0, 1]"),
    (
        "exploration: [0.03, 0.06]",
        "exploration: [0.03]",
        "population.groups.exploration: 1 value(s) for 2 groups",
    ),
    (
        "kind: sbm, sizes: [30, 20], p: [[0.25, 0.03], [0.03, 0.3]]",
        "kind: grid, rows: 6, cols: 7",
        "cols = 7 is odd",
    ),
    (
        "groups: {c: [0.9, 0.1]",
        "groups: {by: attribute, attribute: x, c: [0.9, 0.1]",
        "attribute needs a networkx graph",
    ),
    # a group event: checked before the store is written
    (
        "shocks: [20]}",
        "shocks: [20], events: [{at: 5, group: 2, game: {a: 0.9, b: 0.2}}]}",
        "schedule.events[0].group: 2 is not a group (groups 0..1)",
    ),
    (
        "shocks: [20]}",
        "shocks: [20], events: [{from: 5, to: 9, group: 1, game: {b: 0.9, x: 1}}]}",
        "events[0].game.x: unknown game key (allowed: a, b, c for the (a, b, c) game",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize("old, new, pattern", BAD, ids=[b[2][:30] for b in BAD])
def test_bad_group_input_exits_1_with_one_line_and_writes_nothing(tmp_path, old, new, pattern):
    assert old in SCENARIO
    p = tmp_path / "s.yaml"
    p.write_text(SCENARIO.replace(old, new))
    out = tmp_path / "res"
    r = subprocess.run(
        [sys.executable, "-m", "normsim", "run", str(p), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and pattern in lines[0], r.stderr
    assert not out.exists()


def test_scenario_runs_groups_stores_and_summarises_per_group(tmp_path):
    from normsim.scenario import conditions, loads
    from normsim.store import Store
    from normsim.studies.results import load_series, summarise
    from normsim.studies.runner import run

    loaded = loads(SCENARIO, overrides=["sweep.population.groups.c=[[0.9, 0.1], [0.3, 0.3]]"])
    conds = conditions(loaded)
    assert [c.model_params().groups["c"] for c in conds] == [(0.9, 0.1), (0.3, 0.3)]
    out = tmp_path / "res"
    report = run(loaded, out_dir=out, workers=1, quiet=True)
    assert report.ran == 6 and not report.failures
    with Store(out) as store:
        summ = summarise(store)
        series = load_series(store, conds[0].hash)
    direct = simulate(conds[0].model_params(), replicate_seeds(5, 3))
    np.testing.assert_array_equal(series["share_b"], direct.share_b)
    for k in range(2):
        np.testing.assert_array_equal(series[f"group{k}_share_b"], direct.group_share_b[:, :, k])
        np.testing.assert_array_equal(
            series[f"group{k}_mean_payoff"][:, 1:], direct.group_mean_payoff[:, 1:, k]
        )
    groups = summ["conditions"][0]["groups"]
    assert [g["c"] for g in groups] == [0.9, 0.1]
    assert [g["exploration"] for g in groups] == [0.03, 0.06]
    mean1 = direct.group_share_b[:, :, 1].mean(axis=0)
    assert groups[1]["final_share_b"] == pytest.approx(mean1[-6:].mean())
    assert groups[0]["shocks"][0]["at"] == 20
    # the loose group (c = 0.1) moves to the new norm after the shock, the tight one lags
    assert groups[1]["final_share_b"] > groups[0]["final_share_b"]


@pytest.mark.slow
def test_run_json_has_groups(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(SCENARIO)
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "normsim",
            "run",
            str(p),
            "--out",
            str(tmp_path / "res"),
            "--json",
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode in (0, 4), r.stderr
    summ = json.loads(r.stdout)
    groups = summ["conditions"][0]["groups"]
    assert len(groups) == 2 and {"c", "shocks", "final_share_b", "final_mean_payoff"} <= set(
        groups[0]
    )


def test_ungrouped_scenario_hash_is_unchanged():
    # the hash of a scenario without groups, computed by the code before groups existed
    # (branch mech, 8bc1a24) for this text
    from normsim.scenario import conditions, loads

    text = SCENARIO.replace("  groups: {c: [0.9, 0.1], exploration: [0.03, 0.06]}\n", "").replace(
        "kind: sbm, sizes: [30, 20], p: [[0.25, 0.03], [0.03, 0.3]]",
        "kind: grid, rows: 10, cols: 10",
    )
    assert conditions(loads(text))[0].hash == UNGROUPED_HASH


UNGROUPED_HASH = "ea2834a9867d03ecd3c844d0"


@pytest.mark.slow
def test_edgelist_groups_from_a_file(tmp_path):
    G = nx.connected_caveman_graph(3, 5)
    (tmp_path / "net.txt").write_text("".join(f"n{u} n{v}\n" for u, v in G.edges))
    (tmp_path / "groups.txt").write_text(
        "# node group\n" + "".join(f"n{i} {int(i >= 5)}\n" for i in G.nodes)
    )
    net = {"kind": "edgelist", "path": "net.txt"}
    p = ModelParams(
        network=net,
        update="sequential",
        generations=20,
        shocks=(10,),
        groups={"by": "attribute", "file": "groups.txt", "c": [0.9, 0.1]},
    )
    seeds = replicate_seeds(2, 2)
    out = simulate(p, seeds, base_dir=tmp_path)
    m = NormChangeModel(params=p, seed=seeds[0], base_dir=tmp_path)
    m.run_model()
    np.testing.assert_array_equal(m.series()["group_share_b"], out.group_share_b[0])
    # text ids are numbered in sorted order: n0, n1, n10, n11, ... n5 ...
    order = sorted(f"n{i}" for i in G.nodes)
    assert [a.group for a in m.by_node] == [int(int(x[1:]) >= 5) for x in order]
    assert list(out.group_sizes[0]) == [5, 10]
    # the same split by c alone leaves equal c's equal to the ungrouped model
    same = dataclasses.replace(p, groups={**p.groups, "c": [p.c, p.c]})
    plain = dataclasses.replace(p, groups=None)
    np.testing.assert_array_equal(
        simulate(same, seeds, base_dir=tmp_path).share_b,
        simulate(plain, seeds, base_dir=tmp_path).share_b,
    )
    (tmp_path / "groups.txt").write_text("n0 0\nn1 1\n")
    with pytest.raises(NormsimError, match="node n10 of the edge list has no group"):
        simulate(p, seeds, base_dir=tmp_path)
    # in a scenario: one line, exit 1, nothing written
    (tmp_path / "s.yaml").write_text(
        "name: g\npopulation:\n  network: {kind: edgelist, path: net.txt}\n"
        "  groups: {by: attribute, file: groups.txt, c: [0.9, 0.1]}\n"
        "dynamics: {update: sequential}\nschedule: {generations: 10}\nruns: 1\n"
    )
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "normsim",
            "run",
            str(tmp_path / "s.yaml"),
            "--out",
            str(tmp_path / "res"),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "has no group" in r.stderr and not (tmp_path / "res").exists()


def test_group_events():
    base = _params("halves", "sequential", "fixed")
    seeds = replicate_seeds(12, 2)
    ref = simulate(base, seeds).share_b
    # an event for one group that sets the c it already has changes nothing
    same = dataclasses.replace(base, events=({"at": 5, "group": 1, "game": {"c": 0.1}},))
    np.testing.assert_array_equal(simulate(same, seeds).share_b, ref)
    games, index = same.group_games(2)
    assert all(g[1].c == 0.1 and g[0].c == 0.8 for g in games)
    # one that changes it changes group 1's game only, from generation 6 on
    other = dataclasses.replace(base, events=({"at": 5, "group": 1, "game": {"c": 0.6}},))
    assert [x.c for x in other.group_game_at(5, 2)] == [0.8, 0.1]
    assert [x.c for x in other.group_game_at(6, 2)] == [0.8, 0.6]
    assert not np.array_equal(simulate(other, seeds).share_b, ref)
    for ev, msg in [
        ({"at": 5, "group": 2, "game": {"c": 0.5}}, "2 is not a group"),
        ({"at": 5, "group": 0, "game": {"d": 0.5}}, "game.d: unknown game key"),
        ({"from": 5, "to": 9, "group": 3, "game": {"b": 0.5}}, "3 is not a group"),
        ({"at": 5, "group": -1, "game": {"c": 0.5}}, "must be a group number"),
    ]:
        with pytest.raises(NormsimError, match=msg):
            dataclasses.replace(base, events=(ev,))
    with pytest.raises(NormsimError, match="needs population.groups"):
        dataclasses.replace(base, groups=None, events=({"at": 5, "group": 0, "game": {"c": 0.5}},))


#: events that give the groups their own a and b: set for one group, ramped for the
#: other, and set for everyone (a shock then swaps each group's own a and b)
AB_EVENTS = (
    {"at": 4, "group": 0, "game": {"a": 0.9, "b": 0.3}},
    {"from": 10, "to": 18, "group": 1, "game": {"b": 0.8, "c": 0.6}},
    {"at": 12, "game": {"a": 0.5}},
)


@pytest.mark.parametrize(
    "update",
    [
        m if m in ("sequential", "reference") else pytest.param(m, marks=pytest.mark.kernels)
        for m in MODES
    ],
)
def test_group_events_for_a_and_b(update):
    p = _params("sbm", update, "fixed", events=AB_EVENTS)
    games = p.group_game_at(7, 2)
    assert (games[0].a, games[0].b, games[1].a, games[1].b) == (0.9, 0.3, 0.6, 0.4)
    g9 = p.group_game_at(9, 2)  # after the shock at 8: each group's own a and b swap
    assert (g9[0].a, g9[0].b, g9[1].a, g9[1].b) == (0.3, 0.9, 0.4, 0.6)
    g13 = p.group_game_at(13, 2)  # the shared event sets a everywhere; group 1 ramps b
    assert g13[0].a == g13[1].a == 0.5 and g13[0].b == 0.9 and 0.6 < g13[1].b < 0.8
    out = _compare(p, replicate_seeds(35, 2))
    # the groups' a and b differ from the shared ones: the series differ from the
    # same events applied to c only
    plain = dataclasses.replace(
        p,
        events=tuple(
            {**e, "game": {k: v for k, v in e["game"].items() if k == "c"}}
            for e in AB_EVENTS
            if "c" in e["game"]
        ),
    )
    assert not np.array_equal(simulate(plain, replicate_seeds(35, 2)).share_b, out.share_b)


def test_group_payoff_range_is_the_spread_of_all_payoffs():
    from normsim.game import CoordinationGame
    from normsim.groups import payoff_range

    rng = np.random.default_rng(4)
    for _ in range(500):
        # a and b shared: exactly the plain R with the largest c
        a, b = rng.uniform(0.05, 2.0, 2)
        cs = rng.uniform(0, 1, rng.integers(1, 5))
        k_min, k_max = sorted(rng.integers(1, 9, 2))
        games = [CoordinationGame(a, b, c) for c in cs]
        want = CoordinationGame(a, b, cs.max()).payoff_range(k_min, k_max)
        assert payoff_range(games, k_min, k_max) == want
    # a and b of the groups' own: the engine's R is the spread of its payoff table
    # (every payoff class occurs on a regular grid, the extremes among them)
    p = _params(
        "halves",
        "sequential",
        "fixed",
        events=(
            {"at": 3, "group": 0, "game": {"a": 1.5, "b": 0.2}},
            {"at": 5, "group": 1, "game": {"a": 0.1, "b": 0.3, "c": 1.0}},
        ),
    )
    adj = replicate_adjacency(p.network, 1)
    labels = (np.arange(adj.n) % 8 >= 4).astype(np.int64)
    tb = tables(adj, p, labels)
    games, index = p.group_games(2)
    assert len(games) >= 4
    for ph, gs in enumerate(games):
        pay = tb.pay[ph, :-1]  # the last class is the replaced agent's 0
        assert tb.R_games[ph] == pytest.approx(pay.max() - pay.min(), rel=1e-12)
        assert tb.R_games[ph] == payoff_range(gs, 4, 4)
    # group 0 with a = 1.5 next to group 1 with c = 1: R spans 6.0 - 0
    assert tb.R_games[index[6]] == pytest.approx(6.0)


def test_summaries_name_the_norm_each_groups_game_favours():
    from normsim.scenario import conditions, loads
    from normsim.studies.results import group_summaries, shock_new_norms

    # before the shock at 20: group 0 gets a = 0.3, b = 0.7 (the shock then favours A
    # there), everyone else keeps a = 0.6, b = 0.4 (the shock favours B)
    text = SCENARIO.replace(
        "shocks: [20]}",
        "shocks: [20, 40], events: [{at: 10, group: 0, "
        "game: {a: 0.3, b: 0.7}}, {at: 30, game: {a: 0.6}}]}",
    )
    spec = conditions(loads(text))[0].spec
    assert shock_new_norms(spec, [20, 40]) == [1, None]  # after 40: a = b = 0.6
    assert shock_new_norms(spec, [20, 40], group=0) == [0, 1]
    assert shock_new_norms(spec, [20, 40], group=1) == [1, None]
    G = 60
    share = np.zeros((2, G + 1))
    share[:, 25:] = 1.0  # a group that moves to B after the first shock
    series = {f"group{k}_{x}": share for k in range(2) for x in ("share_b", "mean_payoff")}
    rows = group_summaries(spec, series, G, [20, 40])
    assert [r["shocks"][0]["new_norm"] for r in rows] == ["A", "B"]
    # group 1 reaches B at 25 (t50 5); for group 0 the new norm A holds at once (t50 1)
    assert rows[1]["shocks"][0]["t50"] == 5 and rows[0]["shocks"][0]["t50"] == 1
    # without events, the swaps of the scenario's game, as before
    plain = conditions(loads(SCENARIO))[0].spec
    assert shock_new_norms(plain, [20]) == shock_new_norms(plain, [20], group=0) == [1]


# (a kernel of its own: few payoff classes decided by the ratio test; the kernels tier)
@pytest.mark.kernels
@pytest.mark.parametrize("update", ["sequential", "reference"])
def test_groups_beyond_the_lookup_table(update, monkeypatch):
    # more payoff classes than the Fermi lookup table holds: the ratio test decides
    import normsim.engine.core as engine

    p = _params("halves", update, "fixed")
    adj = replicate_adjacency(p.network, 1)
    labels = (np.arange(adj.n) % 8 >= 4).astype(np.int64)
    assert engine.tables(adj, p, labels).how == engine.LUT
    monkeypatch.setattr(engine, "LUT_MAX_CLASSES", 8)
    assert engine.tables(adj, p, labels).how == engine.RATIO
    _compare(p, replicate_seeds(34, 2))
