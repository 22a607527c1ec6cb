"""The page's game menu (the (a, b, c) game, a matrix preset, a matrix of R, S, T, P)
and a scenario's initial configuration on the page: the page's model against the model
the scenario builds (normsim's Mesa model) and against the engine."""

import json
from dataclasses import replace

import pytest

from normsim.engine import simulate
from normsim.game import PRESETS, MatrixGame
from normsim.model import NormChangeModel
from normsim.scenario import conditions, load
from normsim.viz.app import (
    ABC_GAME,
    MATRIX_GAME,
    PAGE_DEFAULTS,
    VizModel,
    chart_png,
    defaults_from_scenario,
    info_markdown,
    model_params,
    network_png,
)

PNG = b"\x89PNG\r\n\x1a\n"


def _scenario(tmp_path, body: str) -> str:
    p = tmp_path / "s.yaml"
    p.write_text("name: s\n" + body)
    return str(p)


def _reference(path: str, seed: int) -> NormChangeModel:
    return NormChangeModel(params=conditions(load(path))[0].model_params(), seed=seed)


def test_a_scenario_with_a_matrix_game_opens_the_page_with_it(tmp_path):
    path = _scenario(
        tmp_path,
        "game: {matrix: [[1.5, -0.5], [1, 2]]}\n"
        "population: {network: {kind: grid, rows: 10, cols: 10}}\n"
        "dynamics: {exploration: 0.02}\n"
        "schedule: {generations: 100, shocks: [12]}\nseed: 3\n",
    )
    d = defaults_from_scenario(path)
    assert d["game"] == MATRIX_GAME
    assert (d["R"], d["S"], d["T"], d["P"]) == (1.5, -0.5, 1.0, 2.0)
    controls = model_params(d)
    assert controls["game"]["value"] == MATRIX_GAME and controls["R"]["value"] == 1.5
    m, ref = VizModel(**d), _reference(path, 3)
    assert m.problem is None and m.params.matrix == ((1.5, -0.5), (1.0, 2.0))
    assert m.game == MatrixGame(1.5, -0.5, 1.0, 2.0)
    assert "favoured norm now: **B** (R = 1.5, S = -0.5, T = 1, P = 2)" in info_markdown(m)
    for _ in range(15):  # across the shock, which swaps the norms' roles
        m.step()
        ref.step()
    assert m.history == [float(x) for x in ref.series()["share_b"]]
    eng = simulate(replace(m.params, generations=15, shocks=(12,)), [3])
    assert list(eng.share_b[0]) == m.history
    assert "favoured norm now: **A** (R = 2, S = 1, T = -0.5, P = 1.5)" in info_markdown(m)
    assert network_png(m).startswith(PNG) and chart_png(m).startswith(PNG)


@pytest.mark.parametrize(
    "game, menu", [("{preset: stag_hunt}", "stag_hunt"), ("{preset: stag_hunt, P: 2.5}", "matrix")]
)
def test_a_preset_opens_the_page_with_it_in_the_menu(tmp_path, game, menu):
    path = _scenario(
        tmp_path,
        f"game: {game}\npopulation: {{network: {{kind: watts_strogatz, n: 60, k: 4, p: 0.1}}}}\n"
        "seed: 2\n",
    )
    d = defaults_from_scenario(path)
    assert d["game"] == menu
    m, ref = VizModel(**d), _reference(path, 2)
    assert m.problem is None and m.params.matrix == ref.params.matrix
    for _ in range(6):
        m.step()
        ref.step()
    assert m.history == [float(x) for x in ref.series()["share_b"]]


def test_the_game_menu_builds_the_model():
    page = dict(PAGE_DEFAULTS, side=8, seed=4)
    stag = PRESETS["stag_hunt"]
    assert VizModel(**page).params.matrix is None  # the (a, b, c) game, as before
    assert VizModel(**dict(page, game="stag_hunt", R=9.0)).params.matrix == (
        (stag["R"], stag["S"]),
        (stag["T"], stag["P"]),
    )  # a preset ignores the inputs
    m = VizModel(**dict(page, game=MATRIX_GAME, R=3.0, S=-1.0, T=0.5, P=1.0))
    assert m.params.matrix == ((3.0, -1.0), (0.5, 1.0)) and m.favoured() == "A"
    controls = model_params(page)
    assert list(controls["game"]["values"]) == [*PRESETS, MATRIX_GAME]
    assert all(controls[k]["shown_when"] == ("game", MATRIX_GAME) for k in "RSTP")
    assert all(controls[k]["shown_when"] == ABC_GAME for k in "abc")


@pytest.mark.parametrize(
    "controls, msg",
    [
        ({"game": MATRIX_GAME, "R": float("nan")}, "game.matrix.R"),
        ({"game": MATRIX_GAME, "P": 1e300}, "game.matrix"),
        ({"game": "chicken"}, "game: 'chicken' is not one of"),
        ({"game": "stag_hunt", "threat_length": 10}, "matrix game"),
    ],
)
def test_games_the_model_rejects_are_shown_not_raised(controls, msg):
    m = VizModel(**dict(PAGE_DEFAULTS, side=8, **controls))
    assert m.problem is not None and msg in m.problem, m.problem
    m.step()
    assert m.generation == 0 and "**Not run:**" in info_markdown(m)


@pytest.mark.parametrize(
    "initial, b_nodes",
    [
        ("{nodes: [0, 1, 2, 44, 99]}", [0, 1, 2, 44, 99]),
        ("{block: {side: 2, corner: [9, 9]}}", [0, 9, 90, 99]),  # wraps round the torus
    ],
)
def test_a_scenario_with_an_initial_configuration_opens_the_page_with_it(
    tmp_path, initial, b_nodes
):
    path = _scenario(
        tmp_path,
        f"population: {{network: {{kind: grid, rows: 10, cols: 10}}, initial: {initial}}}\n"
        "dynamics: {exploration: 0.0}\nschedule: {generations: 50, shocks: [5]}\nseed: 8\n",
    )
    d = defaults_from_scenario(path)
    assert d["scenario_initial"] is True
    box = model_params(d)["scenario_initial"]
    assert box["type"] == "Checkbox" and next(iter(json.loads(d["initial_json"]))) in box["label"]
    m, ref = VizModel(**d), _reference(path, 8)
    assert m.problem is None and m.params.initial == ref.params.initial
    assert [a.node for a in m.by_node if a.norm == 1] == b_nodes
    for _ in range(8):
        m.step()
        ref.step()
    assert m.history == [float(x) for x in ref.series()["share_b"]]
    assert "no theory line" in info_markdown(m)
    # unticked: the random share of B, as without the configuration
    off = VizModel(**dict(d, scenario_initial=False))
    assert off.params.initial is None and 0 < off.history[0] < 1
    # without a scenario configuration the page has no such checkbox
    assert not isinstance(model_params(PAGE_DEFAULTS)["scenario_initial"], dict)


def test_the_rendered_page_switches_to_a_matrix_game():
    """solara.render: the game menu shows the R, S, T, P fields for a matrix game and
    hides a, b, c; Reset builds the model of the entries typed."""
    import ipyvuetify as v
    import solara

    from normsim.viz.app import NormsimViz, game_choices

    d = dict(PAGE_DEFAULTS, side=8)
    model = solara.reactive(VizModel(**d))

    @solara.component
    def Page():
        with solara.AppLayout():
            NormsimViz(model, model_params(d))

    _, rc = solara.render(Page(), handle_error=False)
    assert not rc.find(v.TextField, label="R: A's payoff against A")
    assert rc.find(v.Slider, label="need for coordination c: 0.30")
    rc.find(v.Select, label="game").widget.v_model = game_choices()[MATRIX_GAME]
    assert not rc.find(v.Slider, label="need for coordination c: 0.30")
    rc.find(v.TextField, label="R: A's payoff against A").widget.v_model = "5"
    rc.find(v.TextField, label="S: A's payoff against B").widget.v_model = "-1.5"
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert model.value.params.matrix == ((5.0, -1.5), (PAGE_DEFAULTS["T"], PAGE_DEFAULTS["P"]))
    rc.find(v.Select, label="game").widget.v_model = game_choices()["coordination"]
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert model.value.params.matrix is None and model.value.game.c == PAGE_DEFAULTS["c"]
