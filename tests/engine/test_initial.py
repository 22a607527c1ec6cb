"""Initial configurations (``population.initial``): the state at generation 0 is the one
asked for, engine = Mesa model = slow model from each kind, the draws after it are a
random-share run's, and bad input is one line and exit 1 with nothing written."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from normsim.draws import replicate_seeds
from normsim.engine import replicate_adjacency, simulate
from normsim.errors import NormsimError
from normsim.initial import ball_nodes, block_nodes, check_initial
from normsim.model import NormChangeModel
from normsim.params import ModelParams

from support.cases import EXPLORATION
from support.clirun import normsim
from support.equivalence import assert_equivalent, tiered
from support.slow_model import ball

GRID = {"kind": "grid", "rows": 6, "cols": 7, "periodic": True}
OPEN_GRID = {"kind": "grid", "rows": 6, "cols": 7, "periodic": False}
SEEDS = replicate_seeds(11, 2)

#: one configuration of each kind given in place (a snapshot needs a store: below)
KINDS = {
    "nodes": {"nodes": [0, 3, 8, 9, 10, 41]},
    "block": {"block": {"side": 3, "corner": [4, 5]}},  # wraps round the torus
    "ball": {"ball": {"centre": 17, "count": 9}},
}


def _params(initial, update="synchronous", expl="fixed", **kw):
    base = dict(a=0.6, b=0.4, c=0.5, network=GRID, update=update, generations=16)
    if kw.get("generations", 16) > 8:
        base["shocks"] = (8,)
    return ModelParams(**{**base, **EXPLORATION[expl], **kw}, initial=initial)


def _expected(initial, network=GRID) -> np.ndarray:
    """The requested norms, computed from the description without normsim.initial."""
    g = nx.grid_2d_graph(network["rows"], network["cols"], periodic=network["periodic"])
    cols = network["cols"]
    out = np.zeros(network["rows"] * cols, dtype=np.int8)
    if "nodes" in initial:
        out[initial["nodes"]] = 1
    elif "block" in initial:
        s, (r0, c0) = initial["block"]["side"], initial["block"]["corner"]
        for r, c in g.nodes:
            if (r - r0) % network["rows"] < s and (c - c0) % cols < s:
                out[r * cols + c] = 1
    else:
        centre, k = initial["ball"]["centre"], initial["ball"]["count"]
        dist = nx.single_source_shortest_path_length(g, divmod(centre, cols))
        inner = [r * cols + c for (r, c), d in dist.items() if d < 2]  # the 1 + 4 nearest
        out[inner] = 1
        assert k == 9  # the rest: 4 of the 8 nodes at distance 2, checked below
    return out


# ------------------------------------------------------------------ the initial state
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_initial_state_is_the_requested_one(kind):
    out = simulate(_params(KINDS[kind], generations=2), SEEDS, snapshots=[0])
    norms = out.snapshots[0][0]
    want = _expected(KINDS[kind])
    for r in range(len(SEEDS)):  # the same in every replicate: nothing drawn
        if kind == "ball":
            # the 5 nodes within distance 1 and 4 of the 8 at distance 2
            assert (norms[r][want == 1] == 1).all() and norms[r].sum() == 9
        else:
            np.testing.assert_array_equal(norms[r], want)
    np.testing.assert_array_equal(out.share_b[:, 0], norms.sum(axis=1) / 42)


def test_ball_is_breadth_first_with_neighbours_in_increasing_order():
    adj = replicate_adjacency(GRID, 0)
    nbrs = [list(map(int, adj.neighbors(i))) for i in range(adj.n)]
    g = nx.grid_2d_graph(6, 7, periodic=True)
    dist = nx.single_source_shortest_path_length(g, (2, 3))
    for k in range(1, adj.n + 1):
        got = ball_nodes(adj.indptr, adj.indices, 17, k)
        assert got == ball(nbrs, 17, k)  # the slow model's layer-by-layer search
        d = [dist[divmod(v, 7)] for v in got]
        assert d == sorted(d)  # nearer nodes first
        assert len(set(got)) == k


def test_block_nodes_wrap_on_a_torus_and_stay_inside_an_open_grid():
    assert block_nodes(GRID, 2, (5, 6)) == [41, 35, 6, 0]
    assert block_nodes(OPEN_GRID, 2, (4, 5)) == [33, 34, 40, 41]
    with pytest.raises(NormsimError, match="leaves the 6 x 7 grid"):
        block_nodes(OPEN_GRID, 2, (5, 5))
    with pytest.raises(NormsimError, match="larger than the 6 x 7 torus"):
        block_nodes(GRID, 7, (0, 0))
    with pytest.raises(NormsimError, match="needs a grid network"):
        block_nodes({"kind": "complete", "n": 9}, 2, (0, 0))


def test_a_committed_agent_holds_its_norm_over_the_configuration():
    initial = {"nodes": [0, 1, 2, 3]}
    p = _params(initial, committed={"nodes": [2, 3, 4], "norm": "A"}, generations=2)
    norms = simulate(p, SEEDS[:1], snapshots=[0]).snapshots[0][0][0]
    assert list(np.flatnonzero(norms)) == [0, 1]
    m = NormChangeModel(params=p, seed=SEEDS[0])
    assert [a.norm for a in m.by_node] == list(norms)


def test_the_draws_after_the_initial_state_are_a_random_share_runs():
    """A configuration equal to the state a seed draws gives that seed's series exactly:
    the initial-norm draws are still taken (common random numbers)."""
    for update, expl in (("asynchronous", "fixed"), ("sequential", "evolving")):
        plain = _params(None, update=update, expl=expl)
        out = simulate(plain, SEEDS[:1], snapshots=[0])
        drawn = [int(v) for v in np.flatnonzero(out.snapshots[0][0][0])]
        given = simulate(_params({"nodes": drawn}, update=update, expl=expl), SEEDS[:1])
        np.testing.assert_array_equal(given.share_b, out.share_b)
        np.testing.assert_array_equal(given.mean_payoff, out.mean_payoff)


def test_groups_keep_their_c_with_an_initial_configuration():
    p = _params(
        KINDS["block"], network={**GRID, "cols": 6}, groups={"by": "halves", "c": [0.9, 0.1]}
    )
    assert_equivalent(p, SEEDS)


# ------------------------------------------------------------------ equivalence
@pytest.mark.parametrize(
    "update, expl, kind",
    tiered(
        {
            "update": ("synchronous", "asynchronous", "sequential", "reference"),
            "expl": ("fixed", "evolving"),
            "kind": sorted(KINDS),
        },
        smoke=lambda row: (
            row["expl"] == "fixed" and row["update"] in ("synchronous", "asynchronous")
        ),
    ),
)
def test_engine_mesa_and_slow_model_agree_from_a_configuration(update, expl, kind):
    assert_equivalent(_params(KINDS[kind], update=update, expl=expl), SEEDS)


# ------------------------------------------------------------------ snapshots
SNAP_SCENARIO = """
name: first
runs: 2
seed: 5
population:
  network: {kind: grid, rows: 6, cols: 7}
dynamics: {update: sequential, exploration: EXPL}
schedule: {generations: 12}
output: {snapshots: [0, 12]}
"""
RATES = "{rates: [0.0, 0.1, 0.2, 0.3, 0.4, 0.5], rate_mutation: 0.05}"


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """Two results stores with snapshots: a fixed rate (``fixed``) and evolving rates."""
    from normsim.scenario import loads
    from normsim.studies.runner import run

    root = tmp_path_factory.mktemp("snapshots")
    for name, expl in (("fixed", "0.1"), ("evolving", RATES)):
        loaded = loads(SNAP_SCENARIO.replace("EXPL", expl))
        report = run(loaded, out_dir=root / name, workers=1, quiet=True)
        assert report.ran == 2 and not report.failures
    return root


def _stored(root, name, rep=1, generation=12):
    from normsim.snapshots import read_snapshots

    (snap,) = read_snapshots(root / name, rep=rep, generation=generation)
    return snap


@pytest.mark.parametrize(
    "update, expl, source",
    tiered(
        {
            "update": ("synchronous", "asynchronous", "sequential", "reference"),
            "expl": ("fixed", "evolving"),
            "source": ("fixed", "evolving"),
        },
        smoke=lambda row: (
            row["update"] in ("synchronous", "asynchronous") and row["expl"] == row["source"]
        ),
    ),
)
def test_a_snapshot_starts_the_run_in_its_state(stores, update, expl, source):
    initial = {"snapshot": {"path": source, "replicate": 1}}
    p = _params(initial, update=update, expl=expl)
    out = assert_equivalent(p, SEEDS, base_dir=stores)
    first = simulate(p, SEEDS, snapshots=[0], base_dir=stores)
    snap = _stored(stores, source)
    norms, rates = first.snapshots[0]
    for r in range(len(SEEDS)):
        np.testing.assert_array_equal(norms[r], snap.norms)
        if expl == "evolving" and source == "evolving":  # the stored rates too
            np.testing.assert_array_equal(rates[r], snap.rate_index)
    if expl == "evolving" and source == "fixed":  # rates drawn: replicates differ
        assert not np.array_equal(rates[0], rates[1])
    assert out.share_b[0, 0] == snap.norms.mean()


def test_snapshot_defaults_to_the_latest_generation_and_replicate_0(stores):
    p = _params({"snapshot": "fixed"}, generations=1)
    norms = simulate(p, SEEDS[:1], snapshots=[0], base_dir=stores).snapshots[0][0][0]
    np.testing.assert_array_equal(norms, _stored(stores, "fixed", rep=0, generation=12).norms)


def test_snapshot_rates_must_be_the_same_list(stores):
    p = _params({"snapshot": "evolving"}, expl="evolving", rates=(0.0, 0.1, 0.2, 0.3, 0.4, 0.6))
    with pytest.raises(NormsimError, match="exploration rates .* differ"):
        simulate(p, SEEDS[:1], base_dir=stores)


# ------------------------------------------------------------------ scenarios and hashes
SCENARIO = """
name: start
runs: 2
population:
  network: {kind: grid, rows: 6, cols: 7, periodic: false}
  INITIAL
schedule: {generations: 5}
"""


def _hash(text, folder=None):
    from normsim.scenario import conditions, load, loads

    if folder is None:
        return [c.hash for c in conditions(loads(text))]
    (folder / "h.yaml").write_text(text)
    return [c.hash for c in conditions(load(folder / "h.yaml"))]


def test_the_content_hash_includes_the_configuration(stores, tmp_path):
    plain = _hash(SCENARIO.replace("INITIAL", ""))
    nodes = _hash(SCENARIO.replace("INITIAL", "initial: {nodes: [1, 2]}"))
    other = _hash(SCENARIO.replace("INITIAL", "initial: {nodes: [1, 3]}"))
    ball_ = _hash(SCENARIO.replace("INITIAL", "initial: {ball: {centre: 1, count: 2}}"))
    assert len({*plain, *nodes, *other, *ball_}) == 4
    # a snapshot: the stored state, not only the path
    import shutil

    shutil.copytree(stores / "fixed", tmp_path / "s")
    text = SCENARIO.replace("periodic: false", "periodic: true").replace(
        "INITIAL", "initial: {snapshot: {path: s, replicate: REP}}"
    )
    h0 = _hash(text.replace("REP", "0"), tmp_path)
    h1 = _hash(text.replace("REP", "1"), tmp_path)
    assert h0 != h1
    shutil.rmtree(tmp_path / "s")
    shutil.copytree(stores / "evolving", tmp_path / "s")
    assert _hash(text.replace("REP", "0"), tmp_path) != h0  # same path, another state


def test_set_and_sweep_reach_the_configuration():
    from normsim.scenario import conditions, loads

    text = SCENARIO.replace("INITIAL", "initial: {ball: {centre: 0, count: 3}}")
    loaded = loads(text, overrides=["population.initial.ball.count=5"])
    assert loaded.scenario.model_params().initial == {"ball": {"centre": 0, "count": 5}}
    loaded = loads(text, overrides=["sweep.population.initial.ball.centre=[0, 20]"])
    got = [c.model_params().initial["ball"]["centre"] for c in conditions(loaded)]
    assert got == [0, 20]
    loaded = loads(SCENARIO.replace("INITIAL", ""), overrides=["population.initial.nodes=[4, 5]"])
    assert loaded.scenario.model_params().initial == {"nodes": (4, 5)}


def test_check_initial_refuses_malformed_specs():
    for spec, pattern in (
        ({}, "exactly one"),
        ({"nodes": [1], "ball": {"centre": 0, "count": 2}}, "exactly one"),
        ({"nodes": [1, 1]}, "listed twice"),
        ({"nodes": [-1]}, "integer >= 0"),
        ({"block": {"side": 0, "corner": [0, 0]}}, "side: 0 must be an integer >= 1"),
        ({"block": {"side": 2, "corner": [0]}}, "is not \\[row, col\\]"),
        ({"ball": {"centre": 0}}, "count: required"),
        ({"snapshot": {"path": "x", "rep": 1}}, "rep: unknown key"),
        ({"start": 1}, "unknown key"),
    ):
        with pytest.raises(NormsimError, match=pattern):
            check_initial(spec)
    with pytest.raises(NormsimError, match="replaces the random share"):
        ModelParams(initial={"nodes": [1]}, initial_b=0.3)


BAD = [
    ("initial: {nodes: [1, 42]}", "population.initial.nodes: node 42 is not in the graph"),
    ("initial: {block: {side: 3, corner: [4, 0]}}", "block of side 3 at [4, 0] leaves the"),
    ("initial: {block: {side: 2, corner: [6, 0]}}", "[6, 0] is outside the 6 x 7 grid"),
    ("initial: {ball: {centre: 42, count: 3}}", "ball.centre: node 42 is not in the graph"),
    ("initial: {ball: {centre: 0, count: 43}}", "43 nodes do not fit in the component"),
    ("initial: {snapshot: nowhere}", "nowhere/results.sqlite' not found"),
    ("initial: {snapshot: s}", "the snapshot holds 42 agents, this graph has 49 nodes"),
    ("initial: {snapshot: {path: s, generation: 3}}", "no snapshot of replicate 0 at generation 3"),
    ("initial: {nodes: [1]}\n  initial_b: 0.2", "replaces the random share of B; drop initial_b"),
    (
        "initial: {nodes: [1]}\n  groups: {by: halves, initial_b: [0.1, 0.9]}",
        "drop groups.initial_b",
    ),
    ("initial: {nodes: [1], ball: {centre: 0, count: 3}}", "give exactly one of nodes, block"),
]


@pytest.mark.parametrize("initial, pattern", BAD, ids=[b[1][:40] for b in BAD])
def test_bad_input_is_one_line_exit_1_and_nothing_written(stores, tmp_path, initial, pattern):
    import shutil

    shutil.copytree(stores / "fixed", tmp_path / "s")
    text = SCENARIO.replace("INITIAL", initial)
    if "snapshot" in initial:  # the store's graph has 42 nodes; this one 49
        text = text.replace("rows: 6, cols: 7, periodic: false", "rows: 7, cols: 7")
    if "halves" in initial:
        text = text.replace("cols: 7", "cols: 8")
    (tmp_path / "s.yaml").write_text(text)
    out = tmp_path / "res"
    r = normsim("run", tmp_path / "s.yaml", "--out", out, cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and pattern in lines[0], r.stderr
    assert not out.exists()
