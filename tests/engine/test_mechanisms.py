"""Committed agents and conformity: engine = Mesa model = slow model,
properties, and bad input."""

import re

import networkx as nx
import numpy as np
import pytest

from normsim.draws import DrawStream, replicate_seeds
from normsim.engine import replicate_adjacency, simulate
from normsim.errors import NormsimError
from normsim.mechanisms import check_committed, committed_count, place_committed
from normsim.model import NormChangeModel
from normsim.params import UPDATE_MODES, ModelParams

from support.cases import EXPLORATION, NETWORKS
from support.equivalence import assert_equivalent, tiered

#: every update mode supports committed agents and conformity
MECH_MODES = UPDATE_MODES

#: each mechanism alone and both together (placements: every kind)
MECHANISMS = {
    "committed-random": {"committed": {"fraction": 0.2, "norm": "B", "placement": "random"}},
    "committed-hubs": {"committed": {"count": 6, "norm": "new", "placement": "hubs"}},
    "committed-cluster": {"committed": {"count": 7, "norm": "A", "placement": "cluster"}},
    "committed-nodes": {"committed": {"nodes": [0, 5, 11, 30], "norm": "B"}},
    "conformity": {"conformity": 0.4},
    "both": {"committed": {"fraction": 0.15, "placement": "cluster"}, "conformity": 0.3},
}


def _params(mech, update, expl, net, **kw):
    base = dict(
        a=0.6,
        b=0.4,
        c=0.5,
        network=NETWORKS[net],
        update=update,
        generations=24,
        shocks=(8, 16),
        initial_b=0.4,
    )
    base.update(kw)
    return ModelParams(**base, **EXPLORATION[expl], **MECHANISMS[mech])


@pytest.mark.parametrize(
    "update, expl, mech",
    tiered(
        {"update": MECH_MODES, "expl": sorted(EXPLORATION), "mech": sorted(MECHANISMS)},
        # conformity in every visiting order with a fixed rate, and with evolving rates
        # in one (test_groups runs its mechanism kernel in every order with both)
        smoke=lambda row: (
            row["mech"] == "conformity"
            and (row["expl"] == "fixed" or row["update"] == "sequential")
        ),
    ),
)
def test_engine_equals_slow_model_and_mesa_model(update, expl, mech):
    net = "watts_strogatz" if mech in ("committed-hubs", "both") else "grid"
    out = assert_equivalent(_params(mech, update, expl, net), replicate_seeds(23, 2))
    assert np.ptp(out.share_b) > 0


@pytest.mark.parametrize("place", ["random", "hubs", "cluster"])
def test_placement_draws_match_the_documented_schedule(place):
    # the compiled placement and normsim.mechanisms.place_committed draw the same
    # nodes: the engine's generation-0 snapshot shows the committed norm exactly there
    # when the initial norms are all the other norm
    net = {"kind": "barabasi_albert", "n": 80, "m": 2}
    p = ModelParams(
        network=net,
        initial_b=1.0,
        generations=1,
        exploration=0.0,
        committed={"count": 9, "norm": "A", "placement": place},
    )
    seed = replicate_seeds(4, 1)[0]
    adj = replicate_adjacency(net, seed)
    rs = DrawStream(seed)
    for _ in range(adj.n):  # the initial norms
        rs.next()
    want = sorted(place_committed(p.committed, adj.indptr, adj.indices, rs))
    norms, _ = simulate(p, [seed], snapshots=[0]).snapshots[0]
    assert sorted(np.flatnonzero(norms[0] == 0)) == want
    if place == "hubs":
        k9 = np.sort(adj.degree)[-9]
        assert all(adj.degree[i] >= k9 for i in want)
    if place == "cluster":  # a connected ball
        assert nx.is_connected(_subgraph(adj, want))


def _subgraph(adj, nodes):
    G = nx.Graph()
    G.add_nodes_from(nodes)
    s = set(nodes)
    for i in nodes:
        G.add_edges_from((i, int(j)) for j in adj.neighbors(i) if int(j) in s)
    return G


@pytest.mark.parametrize(
    "update, expl",
    tiered(
        {"update": MECH_MODES, "expl": sorted(EXPLORATION)},
        smoke=lambda row: row["update"] == "sequential",
    ),
)
def test_committed_agents_never_change(update, expl):
    params = ModelParams(
        network={"kind": "grid", "rows": 12, "cols": 12},
        update=update,
        generations=40,
        shocks=(15, 30),
        conformity=0.3,
        committed={"fraction": 0.1, "norm": "B", "placement": "random"},
        **EXPLORATION[expl],
    )
    seeds = replicate_seeds(8, 3)
    out = simulate(params, seeds, snapshots=range(41))
    for r, seed in enumerate(seeds):
        m = NormChangeModel(params=params, seed=seed)
        fixed = [a.node for a in m.by_node if a.committed]
        assert len(fixed) == round(0.1 * 144)
        for g in range(41):
            norms, rates = out.snapshots[g]
            assert np.all(norms[r, fixed] == 1)
            np.testing.assert_array_equal(rates[r, fixed], out.snapshots[0][1][r, fixed])
        assert np.all(out.share_new[r] >= len(fixed) / 144)


@pytest.mark.parametrize(
    "update", tiered({"update": MECH_MODES}, smoke=lambda row: row["update"] == "sequential")
)
def test_full_conformity_keeps_a_strict_local_majority(update, monkeypatch):
    # gamma = 1, mu = 0: an agent whose neighbours (as it sees them when it
    # updates) hold its own norm in strict majority never changes
    from normsim.agents import NormAgent

    checked = []
    original = NormAgent.update

    def watched(self):
        sync = self.model.params.update == "synchronous"
        b = sum((o.start_norm if sync else o.norm) for o in self.neighbors)
        own = b if self.norm == 1 else len(self.neighbors) - b
        before = self.norm
        original(self)
        if 2 * own > len(self.neighbors):
            checked.append(self.norm == before)

    monkeypatch.setattr(NormAgent, "update", watched)
    m = NormChangeModel(
        network={"kind": "watts_strogatz", "n": 60, "k": 5, "p": 0.3},
        update=update,
        conformity=1.0,
        exploration=0.0,
        generations=6,
        seed=5,
    )
    m.run_model()
    assert len(checked) > 100 and all(checked)
    # the engine gives the same series as that model
    np.testing.assert_array_equal(simulate(m.params, [5]).share_b[0], m.series()["share_b"])


@pytest.mark.parametrize(
    "update, mech",
    tiered(
        {
            "update": [m for m in UPDATE_MODES if m != "reference"],
            "mech": ["committed-random", "conformity", "both"],
        },
        smoke=lambda row: row["mech"] == "conformity",
    ),
)
def test_equal_payoffs_make_c_irrelevant(update, mech):
    # a = b: every payoff difference is a * c * (an integer) and R = a * c * k, so
    # the Fermi probabilities do not depend on c > 0
    extra = dict(MECHANISMS[mech])
    if "committed" in extra:
        extra["committed"] = {**extra["committed"], "norm": "B"}
    seeds = replicate_seeds(6, 3)
    runs = [
        simulate(
            ModelParams(
                a=0.5, b=0.5, c=c, network=NETWORKS["grid"], update=update, generations=40, **extra
            ),
            seeds,
        ).share_b
        for c in (0.2, 0.55, 1.0)
    ]
    assert np.ptp(runs[0]) > 0
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0], other)


def test_count_from_fraction_and_bad_input():
    cm = check_committed({"fraction": 0.25}, 0.6, 0.4)
    assert cm["norm"] == 1 and cm["placement"] == "random"
    assert committed_count(cm, 10) == 3  # floor(2.5 + 0.5)
    assert committed_count(check_committed({"fraction": 0.0}, 1, 2), 50) == 0
    assert check_committed({"count": 2, "norm": "new"}, 0.4, 0.6)["norm"] == 0
    for bad, msg in [
        ({"fraction": 1.5}, "outside [0, 1]"),
        ({"fraction": -0.1}, "outside [0, 1]"),
        ({"count": 3, "placement": "corners"}, "not one of"),
        ({"count": 3, "fraction": 0.1}, "exactly one"),
        ({"nodes": [1, 1]}, "twice"),
        ({"count": 2, "norm": "C"}, "not one of"),
        ({"count": 2, "colour": 1}, "unknown key"),
    ]:
        with pytest.raises(NormsimError, match=re.escape(msg)):
            ModelParams(committed=bad)
    with pytest.raises(NormsimError, match="undefined when a = b"):
        ModelParams(a=0.5, b=0.5, committed={"count": 1})
    with pytest.raises(NormsimError, match="outside"):
        ModelParams(conformity=1.2)
    small = {"kind": "grid", "rows": 4, "cols": 4}
    with pytest.raises(NormsimError, match="larger than the population"):
        simulate(ModelParams(network=small, committed={"count": 17}, generations=2), [1])
    with pytest.raises(NormsimError, match="node 16 is not in the graph"):
        simulate(ModelParams(network=small, committed={"nodes": [3, 16]}, generations=2), [1])
    with pytest.raises(NormsimError, match="node 16 is not in the graph"):
        NormChangeModel(network=small, committed={"nodes": [16]}, seed=1)


# ------------------------------------------------------------------ scenarios and CLI
SCENARIO = """
name: committed
game: {a: 0.6, b: 0.4, c: 0.3}
population:
  network: {kind: grid, rows: 8, cols: 8}
  committed: {fraction: 0.25, norm: B, placement: random}
dynamics: {update: sequential, exploration: 0.02, conformity: 0.2}
schedule: {generations: 60}
runs: 3
seed: 5
"""

BAD_MECH = [
    (
        "committed: {fraction: 0.25, norm: B",
        "committed: {fraction: 1.5, norm: B",
        "population.committed: fraction: 1.5 is outside",
    ),
    (
        "committed: {fraction: 0.25, norm: B",
        "committed: {count: 65, norm: B",
        "population.committed.count: 65 is larger than the population",
    ),
    ("placement: random", "placement: corners", "'corners' is not one of"),
    (
        "committed: {fraction: 0.25, norm: B, placement: random}",
        "committed: {nodes: [1, 64], norm: B}",
        "node 64 is not in the graph",
    ),
    ("conformity: 0.2", "conformity: 1.2", "dynamics.conformity: 1.2 is outside"),
]


@pytest.mark.slow
@pytest.mark.parametrize("old, new, pattern", BAD_MECH, ids=[b[2][:28] for b in BAD_MECH])
def test_bad_mechanism_input_exits_1_with_one_line_and_writes_nothing(tmp_path, old, new, pattern):
    import subprocess
    import sys

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


def test_scenario_runs_committed_and_conformity_and_summarises(tmp_path):
    from normsim.scenario import conditions, loads
    from normsim.store import Store
    from normsim.studies.results import load_series, summarise
    from normsim.studies.runner import run

    loaded = loads(SCENARIO, overrides=["sweep.population.committed.fraction=[0.0, 0.5]"])
    conds = conditions(loaded)
    assert [c.model_params().committed["fraction"] for c in conds] == [0.0, 0.5]
    assert conds[1].model_params().conformity == 0.2
    out = tmp_path / "res"
    report = run(loaded, out_dir=out, workers=1, quiet=True)
    assert report.ran == 6 and not report.failures
    with Store(out) as store:
        summ = summarise(store)
        series = load_series(store, conds[1].hash)
    direct = simulate(conds[1].model_params(), replicate_seeds(5, 3))
    np.testing.assert_array_equal(series["share_new_uncommitted"], direct.share_new_uncommitted)
    np.testing.assert_array_equal(series["share_b"], direct.share_b)
    c0, c1 = (c["committed"] for c in summ["conditions"])
    assert c0["final_share_new"] == pytest.approx(c0["final_share_new_uncommitted"])
    # half the population committed to B, the rest follows
    assert c1["final_share_new"] >= 0.5 and c1["p_change"] == 1.0
    # the export's series table has the committed agents' series
    import csv

    from normsim.studies.export import export

    paths = export(out)
    rows = list(csv.DictReader(open(paths[1], encoding="utf-8")))
    assert len(rows) == 6 * 61 and "share_new_uncommitted" in rows[0]
    # the uncommitted share among the 32 uncommitted agents, from the share of B
    n_b = np.rint(direct.share_b * 64)
    np.testing.assert_allclose(direct.share_new_uncommitted, (n_b - 32) / 32)
