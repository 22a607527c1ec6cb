"""The visualization's Python side: defaults from scenarios, figures, the viz command."""

import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from normsim.engine import simulate
from normsim.viz.app import (VizModel, chart_png, defaults_from_scenario, info_markdown,
                             network_png)

PNG = b"\x89PNG\r\n\x1a\n"


def test_figures_for_a_grid_and_a_graph_with_evolving_rates():
    m = VizModel(c=0.6, side=12, shock_at=5, seed=3)
    first = network_png(m)
    for _ in range(8):
        m.step()
    assert network_png(m).startswith(PNG) and network_png(m) != first
    assert chart_png(m).startswith(PNG)
    assert "Generation 8" in info_markdown(m) and "favoured norm now: **B**" in info_markdown(m)
    g = VizModel(network_kind="watts_strogatz", nodes=60, evolving=True, shocks="periodic",
                 shock_at=4)
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
    p.write_text("name: s\ngame: {a: 0.5, b: 0.7, c: 0.8}\n"
                 "population: {network: {kind: watts_strogatz, n: 300, k: 4, p: 0.1}}\n"
                 "dynamics: {update: synchronous, exploration: 0.02}\n"
                 "schedule: {generations: 300, shocks: {every: 60}}\nseed: 5\n")
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
@pytest.mark.parametrize("body, msg", [
    (None, "not found"),
    ("name: w\npopulation: {well_mixed: true}\n", "needs a network"),
    ("name: w\ngame: {c: 3}\n", "game.c"),
])
def test_viz_command_rejects_bad_scenarios(tmp_path, body, msg):
    p = tmp_path / "v.yaml"
    if body is not None:
        p.write_text(body)
    r = subprocess.run([sys.executable, "-m", "normsim", "viz", str(p), "--port", "1"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and msg in r.stderr and "Traceback" not in r.stderr


def test_large_lattice_is_a_density_image_and_the_page_says_so():
    import io

    from PIL import Image

    from normsim.viz.app import lattice_png, network_note
    m = VizModel(side=40, seed=2, initial_b=0.3)
    assert network_note(m) is None
    img = Image.open(io.BytesIO(lattice_png(m, px=16))).convert("RGB")
    assert img.size == (14, 14)              # ceil(40 / 3): blocks of 3 x 3 agents
    assert "block of 3 x 3 agents" in network_note(m, px=16)
    norms = np.array([a.norm for a in m.by_node]).reshape(40, 40)
    px = np.asarray(img, dtype=float)
    share = norms[:3, :3].mean()             # the first block's colour mixes A and B
    want = (1 - share) * np.array([49, 104, 176]) + share * np.array([232, 132, 38])
    np.testing.assert_allclose(px[0, 0], want, atol=1)


def test_large_graph_draws_a_sample_and_the_page_says_so(monkeypatch):
    from normsim.viz import app
    g = VizModel(network_kind="barabasi_albert", nodes=300, seed=4)
    monkeypatch.setattr(app, "MAX_DRAWN_NODES", 120)
    assert network_png(g).startswith(PNG)
    assert len(g._pts) == 120 and "sample of 120 of the 300 agents" in app.network_note(g)
    g.step()
    assert network_png(g).startswith(PNG)
