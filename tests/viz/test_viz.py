"""The visualization's Python side: defaults from scenarios, figures, the viz command."""

import json
import subprocess
from dataclasses import replace

import numpy as np
import pytest

from normsim.engine import simulate
from normsim.viz.app import VizModel, chart_png, defaults_from_scenario, info_markdown, network_png

from support.clirun import normsim

PNG = b"\x89PNG\r\n\x1a\n"


def test_figures_for_a_grid_and_a_graph_with_evolving_rates():
    m = VizModel(c=0.6, side=12, shock_at=5, seed=3)
    first = network_png(m)
    for _ in range(8):
        m.step()
    assert network_png(m).startswith(PNG) and network_png(m) != first
    assert chart_png(m).startswith(PNG)
    assert "Generation 8" in info_markdown(m) and "favoured norm now: **B**" in info_markdown(m)
    g = VizModel(
        network_kind="watts_strogatz", nodes=60, evolving=True, shocks="periodic", shock_at=4
    )
    for _ in range(9):
        g.step()
    assert g.shock_list[:3] == (4, 8, 12)
    assert network_png(g).startswith(PNG) and chart_png(g).startswith(PNG)
    assert "mean exploration rate" in info_markdown(g)


def test_viz_model_is_the_mesa_model():
    m = VizModel(c=0.6, side=10, shock_at=5, seed=9, update="sequential")
    for _ in range(10):
        m.step()
    eng = simulate(replace(m.params, generations=10, shocks=(5,)), [9])
    assert list(eng.share_b[0]) == m.history


def test_defaults_from_scenario(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(
        "name: s\ngame: {a: 0.5, b: 0.7, c: 0.8}\n"
        "population: {network: {kind: watts_strogatz, n: 300, k: 4, p: 0.1}}\n"
        "dynamics: {update: synchronous, exploration: 0.02}\n"
        "schedule: {generations: 300, shocks: {every: 60}}\nseed: 5\n"
    )
    d = defaults_from_scenario(str(p))
    assert d["c"] == 0.8 and d["a"] == 0.5 and d["update"] == "synchronous"
    assert d["network_kind"] == "watts_strogatz" and d["nodes"] == 300
    assert d["shocks"] == "periodic" and d["shock_at"] == 60 and d["exploration"] == 0.02
    p.write_text("name: s\npopulation: {network: {kind: connected_caveman, cliques: 5, size: 6}}\n")
    d = defaults_from_scenario(str(p))
    assert d["network_kind"] == "scenario network"
    m = VizModel(**d)
    assert len(m.by_node) == 30


@pytest.mark.slow
@pytest.mark.parametrize(
    "body, msg",
    [
        (None, "not found"),
        ("name: w\npopulation: {well_mixed: true}\n", "needs a network"),
        ("name: w\ngame: {c: 3}\n", "game.c"),
    ],
)
def test_viz_command_rejects_bad_scenarios(tmp_path, body, msg, monkeypatch):
    # in this process (tests/support/clirun.py; `normsim viz` has real processes in test_viz_port):
    # starting the server instead of refusing fails the test rather than hanging it
    def serve(*args, **kw):
        raise AssertionError(f"normsim viz went on to serve: {args}")

    monkeypatch.setattr(subprocess, "call", serve)
    p = tmp_path / "v.yaml"
    if body is not None:
        p.write_text(body)
    r = normsim("viz", str(p), "--port", "1")
    assert r.returncode == 1 and msg in r.stderr and "Traceback" not in r.stderr


def test_large_lattice_is_a_density_image_and_the_page_says_so():
    import io

    from PIL import Image

    from normsim.viz.app import lattice_png, network_note

    m = VizModel(side=40, seed=2, initial_b=0.3)
    assert network_note(m) is None
    img = Image.open(io.BytesIO(lattice_png(m, px=16))).convert("RGB")
    assert img.size == (14, 14)  # ceil(40 / 3): blocks of 3 x 3 agents
    assert "block of 3 x 3 agents" in network_note(m, px=16)
    norms = np.array([a.norm for a in m.by_node]).reshape(40, 40)
    px = np.asarray(img, dtype=float)
    share = norms[:3, :3].mean()  # the first block's colour mixes A and B
    want = (1 - share) * np.array([49, 104, 176]) + share * np.array([232, 132, 38])
    np.testing.assert_allclose(px[0, 0], want, atol=1)


def test_large_graph_draws_a_sample_and_the_page_says_so(monkeypatch):
    from normsim.viz import render

    g = VizModel(network_kind="barabasi_albert", nodes=300, seed=4)
    monkeypatch.setattr(render, "MAX_DRAWN_NODES", 120)
    assert network_png(g).startswith(PNG)
    assert len(g._pts) == 120 and "sample of 120 of the 300 agents" in render.network_note(g)
    g.step()
    assert network_png(g).startswith(PNG)


# ------------------------------------------------------------ the mechanisms' controls
# The page's model for a setting of its controls, against the compiled engine run on
# the parameters a scenario would give (written out by hand here, not by the page).
GRID12 = {"kind": "grid", "rows": 12, "cols": 12, "periodic": True}
PAGE = dict(c=0.5, side=12, shock_at=30, seed=5, update="sequential")


@pytest.mark.parametrize(
    "controls, expect",
    [
        ({}, {}),
        (
            {"committed": 0.1},
            {"committed": {"fraction": 0.1, "norm": "new", "placement": "random"}},
        ),
        (
            {"committed": 0.15, "placement": "hubs", "committed_norm": "B"},
            {"committed": {"fraction": 0.15, "norm": "B", "placement": "hubs"}},
        ),
        (
            {"committed": 0.2, "placement": "cluster", "committed_norm": "A"},
            {"committed": {"fraction": 0.2, "norm": "A", "placement": "cluster"}},
        ),
        ({"conformity": 0.4}, {"conformity": 0.4}),
        (
            {"threat_c": 0.9, "threat_start": 10, "threat_length": 15},
            {"events": ({"at": 10, "game": {"c": 0.9}}, {"at": 25, "game": {"c": 0.5}})},
        ),
        (
            {
                "committed": 0.1,
                "placement": "cluster",
                "conformity": 0.3,
                "threat_c": 1.0,
                "threat_start": 0,
                "threat_length": 20,
            },
            {
                "committed": {"fraction": 0.1, "norm": "new", "placement": "cluster"},
                "conformity": 0.3,
                "events": ({"at": 0, "game": {"c": 1.0}}, {"at": 20, "game": {"c": 0.5}}),
            },
        ),
    ],
    ids=["plain", "random", "hubs", "cluster", "conformity", "threat", "all"],
)
def test_each_control_builds_the_model_a_scenario_would(controls, expect):
    from normsim.params import ModelParams

    m = VizModel(**PAGE, **controls)
    assert m.problem is None
    for _ in range(40):
        m.step()
    want = ModelParams(
        a=0.6,
        b=0.4,
        c=0.5,
        network=GRID12,
        update="sequential",
        generations=40,
        shocks=(30,),
        **expect,
    )
    assert m.params.committed == want.committed
    assert m.params.conformity == want.conformity
    assert m.params.events == want.events
    eng = simulate(want, [5])
    assert m.history == list(eng.share_b[0])
    if want.committed is not None:
        k = int(np.floor(want.committed["fraction"] * 144 + 0.5))
        assert m.committed_mask.sum() == k
        np.testing.assert_array_equal(m.free_history, eng.share_new_uncommitted[0])
        assert f"committed agents: {k}" in info_markdown(m)
    assert m.mechanisms == bool(expect)


def test_placements_on_a_graph_and_the_threat_timing():
    import networkx as nx

    m = VizModel(
        network_kind="barabasi_albert", nodes=200, committed=0.05, placement="hubs", seed=3
    )
    deg = np.array([d for _, d in sorted(m.graph.degree)])
    fixed = m.committed_mask
    assert fixed.sum() == 10 and deg[fixed].min() >= deg[~fixed].max()  # the hubs
    m = VizModel(side=20, committed=0.1, placement="cluster", seed=3)
    ball = np.flatnonzero(m.committed_mask)
    assert len(ball) == 40 and nx.is_connected(m.graph.subgraph(ball.tolist()))
    # c is 0.9 in generations 11..25 and back to 0.5 from 26 on
    m = VizModel(**PAGE, threat_c=0.9, threat_start=10, threat_length=15)
    assert [m.params.game_at(g).c for g in (10, 11, 25, 26)] == [0.5, 0.9, 0.9, 0.5]
    assert "threat: c = 0.9 in generations 11..25" in info_markdown(m)
    # with the scenario's events the threat ends on the c in force before it
    ev = '[{"at": 5, "game": {"c": 0.2}}]'
    m = VizModel(
        **PAGE,
        threat_c=0.9,
        threat_start=10,
        threat_length=15,
        events_json=ev,
        scenario_events=True,
    )
    assert [m.params.game_at(g).c for g in (5, 6, 11, 25, 26)] == [0.5, 0.2, 0.9, 0.9, 0.2]
    assert 'the scenario\'s events: [{"at": 5' in info_markdown(m)
    off = VizModel(**PAGE, events_json=ev, scenario_events=False)
    assert off.params.events == () and not off.mechanisms


@pytest.mark.parametrize(
    "controls, msg",
    [
        ({"a": 0.5, "b": 0.5, "committed": 0.1}, "undefined when a = b"),
        (
            {"a": 0.5, "b": 0.5, "committed": 0.1, "update": "asynchronous", "conformity": 0.2},
            "undefined when a = b",
        ),
    ],
)
def test_settings_the_model_rejects_are_shown_not_raised(controls, msg):
    m = VizModel(**dict(PAGE, **controls))
    assert msg in m.problem and m.params.committed is None and m.params.conformity == 0
    m.step()
    assert m.generation == 0 and m.running is False
    assert info_markdown(m).startswith("**Not run:**") and msg in info_markdown(m)
    ok = VizModel(**dict(PAGE, **controls) | {"committed_norm": "A"})
    assert ok.problem is None and ok.params.committed["norm"] == 0
    ok.step()
    assert ok.generation == 1


def test_lattice_marks_committed_agents_and_group_boundaries():
    import io

    from PIL import Image

    from normsim.viz.app import BOUNDARY_COLOR, COLORS, COMMITTED_COLORS, agent_groups

    m = VizModel(side=12, committed=0.2, seed=4)
    for _ in range(3):
        m.step()
    s = 420 // 12  # 35 pixels a square
    px = np.asarray(Image.open(io.BytesIO(network_png(m))).convert("RGB"))
    assert px.shape == (12 * s, 12 * s, 3)
    for i, ag in enumerate(m.by_node):
        r, c = divmod(i, 12)
        want = (COMMITTED_COLORS if ag.committed else COLORS)[ag.norm]
        assert tuple(px[r * s + s // 2, c * s + s // 2]) == want
    assert "Committed agents (holding B) are drawn brown" in app_note(m)
    # no groups: no boundaries; a per-agent group (left and right halves): a line
    assert agent_groups(m) is None and not (px == BOUNDARY_COLOR).all(axis=2).any()
    for i, ag in enumerate(m.by_node):
        ag.group = int(i % 12 >= 5)
    m.group_labels = agent_groups(m)
    px = np.asarray(Image.open(io.BytesIO(network_png(m))).convert("RGB"))
    black = (px == BOUNDARY_COLOR).all(axis=2)
    assert black[:, 5 * s - 1].all() and black.sum() == 12 * s  # one column, top to bottom
    assert "Black lines separate the groups" in app_note(m)


def app_note(m):
    from normsim.viz.app import network_note

    return network_note(m)


def test_graph_marks_committed_agents():
    import io

    from PIL import Image

    from normsim.viz.app import COMMITTED_COLORS

    g = VizModel(network_kind="watts_strogatz", nodes=80, committed=0.1, placement="hubs")
    px = np.asarray(Image.open(io.BytesIO(network_png(g))).convert("RGB"))
    assert g.committed_mask.sum() == 8
    for v in np.flatnonzero(g.committed_mask):  # each committed dot's centre is brown
        x, y = g._pts[v]
        assert tuple(px[int(round(y)), int(round(x))]) == COMMITTED_COLORS[1]
    plain = VizModel(network_kind="watts_strogatz", nodes=80)
    px = np.asarray(Image.open(io.BytesIO(network_png(plain))).convert("RGB"))
    assert not (px == COMMITTED_COLORS[1]).all(axis=2).any()


def test_chart_shows_c_in_play_and_no_theory_with_mechanisms():
    m = VizModel(**PAGE, committed=0.1, threat_c=0.9, threat_start=10, threat_length=15)
    for _ in range(12):
        m.step()
    assert chart_png(m).startswith(PNG)
    ch = m._chart
    assert ch.line_pred.get_label() == "_none" and len(ch.line_pred.get_xdata()) == 0
    x, y = ch.line_c.get_data()
    assert list(y[:12]) == [0.5] * 11 + [0.9] and len(x) == ch.limit + 1
    assert ch.line_free.get_label() == "share of B among the uncommitted"
    assert "no theory line" in info_markdown(m)
    plain = VizModel(**PAGE)
    chart_png(plain)
    assert plain._chart.line_pred.get_label() != "_none"


def test_defaults_from_a_scenario_with_mechanisms(tmp_path):
    from normsim.model import NormChangeModel
    from normsim.scenario import conditions, load
    from normsim.viz.app import SCENARIO_NODES, model_params

    p = tmp_path / "m.yaml"
    p.write_text(
        "name: m\ngame: {a: 0.6, b: 0.4, c: 0.5}\n"
        "population: {network: {kind: grid, rows: 10, cols: 10},\n"
        "  committed: {count: 7, norm: new, placement: hubs}}\n"
        "dynamics: {conformity: 0.25}\n"
        "schedule: {generations: 300, shocks: [100],\n"
        "  events: [{at: 50, game: {c: 0.9}}, {from: 150, to: 200, game: {c: 0.1}}]}\n"
        "seed: 11\n"
    )
    d = defaults_from_scenario(str(p))
    assert d["committed"] == 0.07 and d["placement"] == "hubs" and d["conformity"] == 0.25
    assert d["scenario_events"] is True and len(json.loads(d["events_json"])) == 2
    assert model_params(d)["scenario_events"]["label"] == "the scenario's game events (2)"
    m = VizModel(**d)
    ref = NormChangeModel(params=conditions(load(str(p)))[0].model_params(), seed=11)
    assert [a.committed for a in m.by_node] == [a.committed for a in ref.by_node]
    assert m.committed_mask.sum() == 7 and m.params.events == ref.params.events
    for _ in range(5):
        m.step()
        ref.step()
    assert m.history == [float(x) for x in ref.series()["share_b"]]
    p.write_text(
        "name: m\npopulation: {network: {kind: grid, rows: 10, cols: 10},\n"
        "  committed: {nodes: [0, 1, 2, 55], norm: B}}\n"
    )
    d = defaults_from_scenario(str(p))
    assert d["placement"] == SCENARIO_NODES
    assert SCENARIO_NODES in model_params(d)["placement"]["values"]
    m = VizModel(**d)
    assert np.flatnonzero(m.committed_mask).tolist() == [0, 1, 2, 55]


def test_the_page_names_its_tab_and_shows_every_slider_value():
    """The page rendered in Python (solara.render): the tab and title, each slider's
    label with its value, and Reset building the model from the controls."""
    import re

    import ipyvuetify as v
    import solara

    from normsim.viz.app import PAGE_DEFAULTS, NormsimViz, model_params

    d = dict(PAGE_DEFAULTS, side=12)
    model = solara.reactive(VizModel(**d))

    @solara.component
    def Page():
        with solara.AppLayout():
            NormsimViz(model, model_params(d))

    _, rc = solara.render(Page(), handle_error=False)
    assert [t.widget.children for t in rc.find(v.Tab)] == [["Norms and shares on a 12 x 12 torus"]]
    assert rc.find(v.ToolbarTitle).widget.children == ["normsim: norm change on a 12 x 12 torus"]
    labels = [s.widget.label for s in rc.find(v.Slider)]
    assert len(labels) == 17 and all(re.search(r": \d+(\.\d+)?$", x) for x in labels), labels
    assert "need for coordination c: 0.30" in labels and "Play interval (ms): 150" in labels
    assert "Moran selection w: 1.00" in labels
    rc.find(v.Slider, label="committed fraction: 0.00").widget.v_model = 0.1
    rc.find(v.Slider, label="conformity gamma: 0.00").widget.v_model = 0.35
    rc.find(v.Slider, label="grid side (grid: side x side torus): 12").widget.v_model = 14
    rc.find(v.Select, label="committed placement").widget.v_model = "cluster"
    assert rc.find(v.Slider, label="committed fraction: 0.10").widget.v_model == 0.1
    rc.find(v.Btn, children=["Reset"]).widget.click()
    m = model.value
    assert m.params.committed["placement"] == "cluster" and m.committed_mask.sum() == 20
    assert m.params.conformity == 0.35
    assert rc.find(v.Tab).widget.children == ["Norms and shares on a 14 x 14 torus"]
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert model.value.generation == 1
    # the groups: choosing halves shows a c slider for each half, with its value
    assert not rc.find(v.Slider, label="c, left half: 0.90")
    rc.find(v.Select, label="groups").widget.v_model = "halves"
    labels = [s.widget.label for s in rc.find(v.Slider)]
    assert len(labels) == 19 and "c, left half: 0.90" in labels, labels
    rc.find(v.Slider, label="c, right half: 0.20").widget.v_model = 0.6
    assert rc.find(v.Slider, label="c, right half: 0.60").widget.v_model == 0.6
    rc.find(v.Btn, children=["Reset"]).widget.click()
    m = model.value
    assert m.params.groups["c"] == (0.9, 0.6) and m.group_labels is not None
    assert m.committed_mask.sum() == 20  # the other controls still apply
    assert rc.find(v.Tab).widget.children == ["Norms and shares on a 14 x 14 torus"]


def test_graph_draws_edges_across_groups_black():
    import io

    from PIL import Image

    from normsim.viz.app import BOUNDARY_COLOR, agent_groups

    def black(model):
        px = np.asarray(Image.open(io.BytesIO(network_png(model))).convert("RGB"))
        return (px == BOUNDARY_COLOR).all(axis=2).sum()

    g = VizModel(network_kind="watts_strogatz", nodes=60, seed=2)
    assert black(g) == 0
    for ag in g.by_node:
        ag.group = 0
    assert agent_groups(g) is None  # one group: nothing to separate
    h = VizModel(network_kind="watts_strogatz", nodes=60, seed=2)
    for ag in h.by_node:
        ag.group = int(ag.node >= 30)
    h.group_labels = agent_groups(h)
    across = sum(1 for u, v in h.graph.edges if (u >= 30) != (v >= 30))
    assert across > 0 and black(h) > 0
    assert "Black lines separate the groups" in app_note(h)


# ------------------------------------------------------------ the groups' controls
def test_halves_control_builds_groups_with_their_own_c():
    from normsim.game import CoordinationGame
    from normsim.params import ModelParams

    m = VizModel(**PAGE, group_split="halves", c_left=0.9, c_right=0.2)
    assert m.problem is None and m.params.groups["by"] == "halves"
    assert m.params.groups["c"] == (0.9, 0.2) and m.mechanisms
    left = np.arange(144) % 12 < 6
    np.testing.assert_array_equal([a.group for a in m.by_node], (~left).astype(int))
    np.testing.assert_array_equal(m.group_labels, (~left).astype(int))
    for _ in range(35):
        m.step()
    # each agent's payoff is its own half's game (and would differ under the other's)
    games = [CoordinationGame(0.4, 0.6, 0.9), CoordinationGame(0.4, 0.6, 0.2)]  # after the shock
    differs = 0
    for ag in m.by_node:
        own, other = games[ag.group], games[1 - ag.group]
        assert ag.payoff == pytest.approx(own.total_payoff(ag.start_norm, ag.n_same, ag.n_other))
        differs += ag.payoff != pytest.approx(
            other.total_payoff(ag.start_norm, ag.n_same, ag.n_other)
        )
    assert differs > 0
    want = ModelParams(
        a=0.6,
        b=0.4,
        c=0.5,
        network=GRID12,
        update="sequential",
        generations=35,
        shocks=(30,),
        groups={"by": "halves", "c": [0.9, 0.2]},
    )
    eng = simulate(want, [5])
    assert m.history == list(eng.share_b[0])
    np.testing.assert_array_equal(m.group_history, eng.group_share_b[0])
    text = info_markdown(m)
    assert "2 groups (halves): left half (72 agents): c = 0.9" in text
    assert "right half (72 agents): c = 0.2" in text and "no theory line" in text
    assert chart_png(m).startswith(PNG)
    assert [ln.get_label() for ln in m._chart.group_lines] == ["B in left half", "B in right half"]
    np.testing.assert_array_equal(
        m._chart.group_lines[1].get_ydata(), np.asarray(m.group_history)[:, 1]
    )


def test_halves_run_in_asynchronous_updating_as_the_engine_does():
    from normsim.params import ModelParams

    m = VizModel(
        **(PAGE | {"update": "asynchronous"}), group_split="halves", c_left=0.9, c_right=0.2
    )
    assert m.problem is None
    for _ in range(12):
        m.step()
    want = ModelParams(
        a=0.6,
        b=0.4,
        c=0.5,
        network=GRID12,
        update="asynchronous",
        generations=35,
        shocks=(30,),
        groups={"by": "halves", "c": [0.9, 0.2]},
    )
    eng = simulate(want, [5])
    assert m.history == list(eng.share_b[0][:13])
    np.testing.assert_array_equal(m.group_history, eng.group_share_b[0][:13])


def test_halves_with_equal_c_give_the_ungrouped_series_also_with_a_threat():
    threat = {"threat_c": 0.9, "threat_start": 10, "threat_length": 15}
    for extra in ({}, threat):
        plain = VizModel(**PAGE, **extra)
        split = VizModel(**PAGE, **extra, group_split="halves", c_left=0.5, c_right=0.5)
        assert split.params.groups is not None and split.group_labels is not None
        for _ in range(35):
            plain.step()
            split.step()
        assert split.history == plain.history
    # the threat raises c in both halves, then gives each its own c back
    m = VizModel(**PAGE, **threat, group_split="halves", c_left=0.8, c_right=0.1)
    assert [tuple(g.c for g in m.params.group_game_at(t, 2)) for t in (10, 11, 25, 26)] == [
        (0.8, 0.1),
        (0.9, 0.9),
        (0.9, 0.9),
        (0.8, 0.1),
    ]
    assert "threat: c = 0.9 in generations 11..25" in info_markdown(m)
    assert "the scenario's events" not in info_markdown(m)


@pytest.mark.parametrize(
    "controls, msg",
    [
        ({"network_kind": "watts_strogatz", "nodes": 60}, "halves needs a grid network"),
        ({"side": 11}, "cols = 11 is odd"),
        ({"group_split": "scenario groups"}, "scenario groups need a scenario"),
    ],
)
def test_group_settings_the_model_rejects_are_shown(controls, msg):
    m = VizModel(**(PAGE | {"group_split": "halves"} | controls))
    assert msg in m.problem and m.params.groups is None and m.group_labels is None
    m.step()
    assert m.generation == 0 and info_markdown(m).startswith("**Not run:**")


def test_scenario_groups_are_passed_through(tmp_path):
    from normsim.model import NormChangeModel
    from normsim.scenario import conditions, load
    from normsim.viz.app import SCENARIO_GROUPS, model_params

    p = tmp_path / "g.yaml"
    p.write_text(
        "name: g\ngame: {a: 0.6, b: 0.4, c: 0.5}\n"
        "population:\n  network: {kind: connected_caveman, cliques: 3, size: 6}\n"
        "  groups: {c: [0.9, 0.5, 0.1], exploration: [0.0, 0.05, 0.1],\n"
        "           initial_b: [0.2, 0.5, 0.8]}\n"
        "dynamics: {update: synchronous}\n"
        "schedule: {generations: 50, shocks: [20]}\nseed: 4\n"
    )
    d = defaults_from_scenario(str(p))
    assert d["group_split"] == SCENARIO_GROUPS and d["group_count"] == 3
    params = model_params(d)
    assert SCENARIO_GROUPS in params["group_split"]["values"]
    assert [params[f"group_c{k}"]["label"] for k in range(3)] == [
        "c, group 0",
        "c, group 1",
        "c, group 2",
    ]
    assert [params[f"group_c{k}"]["value"] for k in range(3)] == [0.9, 0.5, 0.1]
    assert "group_c3" not in params
    m = VizModel(**d)
    ref = NormChangeModel(params=conditions(load(str(p)))[0].model_params(), seed=4)
    assert m.problem is None and m.params.groups == ref.params.groups
    assert (
        [a.group for a in m.by_node]
        == [a.group for a in ref.by_node]
        == [k for k in range(3) for _ in range(6)]
    )
    for _ in range(25):
        m.step()
        ref.step()
    assert m.history == [float(x) for x in ref.series()["share_b"]]
    assert "3 groups (cliques)" in info_markdown(m)
    # a slider changes its group's c; the other groups keep the scenario's values
    moved = VizModel(**dict(d, group_c1=0.3))
    assert moved.params.groups["c"] == (0.9, 0.3, 0.1)
    assert moved.params.groups["exploration"] == (0.0, 0.05, 0.1)
    assert VizModel(**dict(d, group_split="none")).params.groups is None


def test_scenario_groups_from_a_file_beside_an_edge_list(tmp_path, monkeypatch):
    """Relative files are read beside the scenario whatever the working directory;
    more groups than sliders: the first four have sliders, the others keep their c."""
    import networkx as nx

    from normsim.viz.app import MAX_GROUP_SLIDERS, model_params

    G = nx.connected_caveman_graph(6, 4)
    (tmp_path / "net.txt").write_text("".join(f"{u} {v}\n" for u, v in G.edges))
    (tmp_path / "groups.txt").write_text("".join(f"{v} {v // 4}\n" for v in G.nodes))
    p = tmp_path / "e.yaml"
    p.write_text(
        "name: e\npopulation:\n  network: {kind: edgelist, path: net.txt}\n"
        "  groups: {by: attribute, file: groups.txt, c: [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]}\n"
        "seed: 3\n"
    )
    monkeypatch.chdir(tmp_path.parent)
    d = defaults_from_scenario(str(p))
    assert d["group_count"] == 6 and MAX_GROUP_SLIDERS == 4
    assert [k for k in model_params(d) if k[:7] == "group_c" and k[7:].isdigit()] == [
        f"group_c{k}" for k in range(4)
    ]
    m = VizModel(**dict(d, group_c0=0.1))
    assert m.problem is None and m.params.groups["c"] == (0.1, 0.8, 0.7, 0.6, 0.5, 0.4)
    assert [a.group for a in m.by_node] == [v // 4 for v in range(24)]
    m.step()
    assert network_png(m).startswith(PNG) and chart_png(m).startswith(PNG)
    assert len(m._chart.group_lines) == 6


# ---------------------------------------------------------------- revision protocols
def test_the_protocol_menu_offers_the_registered_protocols_by_label():
    from normsim.params import DEFAULTS
    from normsim.protocols import PROTOCOLS
    from normsim.viz.app import PAGE_DEFAULTS, model_params, protocol_choices

    assert protocol_choices() == {name: p.label for name, p in PROTOCOLS.items()}
    assert list(protocol_choices()) == list(PROTOCOLS)  # registry order
    assert PAGE_DEFAULTS["protocol"] == DEFAULTS.protocol == "fermi"
    control = model_params(PAGE_DEFAULTS)["protocol"]
    assert control["type"] == "Select" and control["value"] == "fermi"
    assert control["values"] == list(PROTOCOLS) and control["labels"] == protocol_choices()
    assert VizModel(**PAGE).params.protocol == "fermi"


@pytest.mark.parametrize("update", ["synchronous", "sequential", "asynchronous"])
def test_best_response_on_the_page_is_the_engines(update):
    m = VizModel(**(PAGE | {"update": update, "protocol": "best_response"}))
    assert m.problem is None and m.params.protocol == "best_response"
    for _ in range(35):
        m.step()
    eng = simulate(replace(m.params, generations=35, shocks=(30,)), [5])
    assert m.history == list(eng.share_b[0])
    assert "best response, " + update + " update" in info_markdown(m)


def test_a_scenario_with_best_response_opens_the_page_with_it(tmp_path):
    from normsim.viz.app import model_params

    p = tmp_path / "br.yaml"
    p.write_text(
        "name: br\npopulation: {network: {kind: grid, rows: 12, cols: 12}}\n"
        "dynamics: {protocol: best_response, update: sequential}\nseed: 5\n"
    )
    d = defaults_from_scenario(str(p))
    assert d["protocol"] == "best_response" and d["update"] == "sequential"
    assert model_params(d)["protocol"]["value"] == "best_response"
    m = VizModel(**d)
    assert m.problem is None and m.params.protocol == "best_response"
    m.step()
    assert m.generation == 1
    # by its parts: the page gets the protocol's name
    p.write_text(
        p.read_text().replace(
            "protocol: best_response", "protocol: {candidate: none, choice: best_response}"
        )
    )
    assert defaults_from_scenario(str(p))["protocol"] == "best_response"


def test_a_protocol_that_does_not_support_the_update_mode_is_shown_not_raised():
    m = VizModel(**(PAGE | {"update": "reference", "protocol": "best_response"}))
    msg = (
        "protocol: best_response does not support update: reference "
        "(it supports synchronous, sequential, asynchronous)"
    )
    assert m.problem == msg and m.params.protocol == "fermi"
    m.step()
    assert m.generation == 0 and m.running is False
    assert info_markdown(m).startswith(f"**Not run:** {msg}")
    # with a mechanism the model also rejects, the protocol's message is kept
    both = VizModel(
        **(PAGE | {"update": "reference", "protocol": "best_response"}),
        a=0.5,
        b=0.5,
        committed=0.1,
    )
    assert both.problem == msg and both.params.committed is None


def test_the_protocol_menu_shows_labels_and_builds_the_model_on_reset():
    """The page rendered in Python: the menu shows the protocols' labels; choosing best
    response in the default (reference) order shows the problem, in sequential runs it."""
    import ipyvuetify as v
    import solara

    from normsim.viz.app import PAGE_DEFAULTS, NormsimViz, model_params, protocol_choices

    d = dict(PAGE_DEFAULTS, side=10)
    model = solara.reactive(VizModel(**d))

    @solara.component
    def Page():
        with solara.AppLayout():
            NormsimViz(model, model_params(d))

    _, rc = solara.render(Page(), handle_error=False)
    menu = rc.find(v.Select, label="revision protocol").widget
    assert menu.items == list(protocol_choices().values()) and menu.v_model == "Fermi imitation"
    menu.v_model = "best response"
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert model.value.problem.startswith("protocol: best_response does not support update")
    rc.find(v.Select, label="update mode").widget.v_model = "sequential"
    rc.find(v.Btn, children=["Reset"]).widget.click()
    m = model.value
    assert m.problem is None and m.params.protocol == "best_response"
    assert m.params.update == "sequential"
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert model.value.generation == 1
