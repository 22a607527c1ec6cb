"""The Mesa browser visualization of norm change (a SolaraViz page).

Serve it with ``normsim viz [SCENARIO.yaml]`` (or ``solara run
normsim/viz/app.py``). The page shows the network with agents coloured by norm
(a grid as a lattice; other graphs on a seeded layout computed once per
reset; on a large graph a density image or a sample, as the page says), a
live chart of the norm shares with the shocks marked and the well-mixed
replicator prediction overlaid (and the exploration-rate shares
when rates evolve), and a text panel with the generation, the shares and the
norm currently favoured. Controls set c, the exploration rate, beta, a, b, the
network kind and size, the update mode, the shock schedule and the seed;
Reset, Step and Play drive the model.

Figures are PNG images drawn with PIL (network) and matplotlib (chart), so
the page works offline with only the locally served front-end files.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import replace
from functools import lru_cache

import networkx as nx
import numpy as np
import solara
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter
from PIL import Image, ImageDraw

from normsim.draws import graph_seed
from normsim.model import NormChangeModel
from normsim.params import DEFAULTS, UPDATE_MODES
from normsim.theory import network_prediction

COLORS = {0: (49, 104, 176), 1: (232, 132, 38)}        # A blue, B orange
KINDS = ("grid", "watts_strogatz", "erdos_renyi", "barabasi_albert", "random_regular")
RATES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
HORIZON = 1_000_000      # generations: the page runs until the user stops it
#: graphs with more nodes are drawn as a sample of this many (a spring layout
#: and a dot per agent would take seconds a frame); a lattice wider than the
#: image becomes a density image
MAX_DRAWN_NODES = 1500

#: the page's initial values: the model's from normsim.params.DEFAULTS, and the
#: page's own (graph size for non-grid kinds, when to shock, the seed)
PAGE_DEFAULTS = {"c": DEFAULTS.c, "exploration": DEFAULTS.exploration, "beta": DEFAULTS.beta,
                 "a": DEFAULTS.a, "b": DEFAULTS.b, "network_kind": DEFAULTS.network["kind"],
                 "side": DEFAULTS.network["rows"], "nodes": 400, "update": DEFAULTS.update,
                 "shocks": "once", "shock_at": 100, "evolving": False, "seed": 1,
                 "initial_b": DEFAULTS.initial_b, "network_spec_json": ""}
_P = PAGE_DEFAULTS


def network_spec(kind: str, side: int = _P["side"], nodes: int = _P["nodes"]) -> dict:
    """The spec of a network kind: a side x side torus, or ``nodes`` nodes of mean degree 4."""
    size = nodes
    if kind == "grid":
        return {"kind": "grid", "rows": side, "cols": side, "periodic": True}
    if kind == "watts_strogatz":
        return {"kind": "watts_strogatz", "n": size, "k": 4, "p": 0.1}
    if kind == "erdos_renyi":
        return {"kind": "erdos_renyi", "n": size, "p": 4.0 / (size - 1),
                "largest_component": True}
    if kind == "barabasi_albert":
        return {"kind": "barabasi_albert", "n": size, "m": 2}
    if kind == "random_regular":
        return {"kind": "random_regular", "n": size, "d": 4}
    raise ValueError(f"unknown network kind {kind!r}")


class VizModel(NormChangeModel):
    """NormChangeModel with the flat, widget-friendly parameters of the page."""

    def __init__(self, c: float = _P["c"], exploration: float = _P["exploration"],
                 beta: float = _P["beta"], a: float = _P["a"], b: float = _P["b"],
                 network_kind: str = _P["network_kind"], side: int = _P["side"],
                 nodes: int = _P["nodes"], update: str = _P["update"], shocks: str = _P["shocks"],
                 shock_at: int = _P["shock_at"], evolving: bool = _P["evolving"],
                 seed: int = _P["seed"], initial_b: float = _P["initial_b"],
                 network_spec_json: str = _P["network_spec_json"]):
        spec = (json.loads(network_spec_json) if network_kind == "scenario network"
                else network_spec(network_kind, int(side), int(nodes)))
        shock_at = max(1, int(shock_at))
        sched = (tuple(range(shock_at, HORIZON, shock_at)) if shocks == "periodic"
                 else (shock_at,))
        super().__init__(a=a, b=b, c=c, network=spec, initial_b=initial_b, update=update,
                         beta=beta, exploration=exploration,
                         rates=RATES if evolving else None, generations=HORIZON,
                         shocks=sched, seed=int(seed))
        self.shock_list = sched
        self.history = [self.datacollector.model_vars["share_b"][0]]
        self.rate_history = [self.datacollector.model_vars["rate_shares"][0]]
        self.lattice = (spec["rows"], spec["cols"]) if spec["kind"] == "grid" else None

    def step(self) -> None:
        """One generation of the model, and the page's history of shares."""
        super().step()
        self.history.append(self.datacollector.model_vars["share_b"][-1])
        self.rate_history.append(self.datacollector.model_vars["rate_shares"][-1])

    def favoured(self) -> str:
        """The norm that pays more in the next generation."""
        g = self.game
        return "A" if g.a > g.b else ("B" if g.b > g.a else "neither")


# ------------------------------------------------------------------ drawing
def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def lattice_block(model: VizModel, px: int = 420) -> int:
    """Agents per side of a pixel of the lattice image (1: one square per agent)."""
    rows, cols = model.lattice
    return max(1, -(-max(rows, cols) // px))


def lattice_png(model: VizModel, px: int = 420) -> bytes:
    """The grid as a lattice image, one square per agent, coloured by norm; a
    lattice wider than ``px`` as a density image, each pixel a block of agents
    coloured by its share of B."""
    rows, cols = model.lattice
    norms = np.fromiter((ag.norm for ag in model.by_node), dtype=np.uint8, count=rows * cols)
    palette = np.array([COLORS[0], COLORS[1]], dtype=np.uint8)
    k = lattice_block(model, px)
    if k == 1:
        img = Image.fromarray(palette[norms.reshape(rows, cols)], "RGB")
        scale = max(1, px // max(rows, cols))
        return _png(img.resize((cols * scale, rows * scale), Image.NEAREST))
    r, c = -(-rows // k), -(-cols // k)
    grid = np.full((r * k, c * k), np.nan)
    grid[:rows, :cols] = norms.reshape(rows, cols)
    share = np.nanmean(grid.reshape(r, k, c, k), axis=(1, 3))[..., None]
    rgb = (1 - share) * palette[0] + share * palette[1]
    return _png(Image.fromarray(rgb.round().astype(np.uint8), "RGB"))


def _sample(model: VizModel, max_nodes: int) -> list[int]:
    """Up to ``max_nodes`` agents, breadth-first from a seeded random agent (and
    from further ones if its component is smaller): a neighbourhood to draw."""
    G = model.graph
    rng = np.random.default_rng(model.seed)
    seen: dict[int, None] = {}
    for start in rng.permutation(G.number_of_nodes()):
        if len(seen) >= max_nodes:
            break
        if int(start) in seen:
            continue
        for v in nx.bfs_tree(G, int(start), depth_limit=None):
            seen.setdefault(v)
            if len(seen) >= max_nodes:
                break
    return list(seen)


@lru_cache(maxsize=8)
def _layout(spec_json: str, seed: int, n: int) -> np.ndarray:
    from normsim.networks import build_graph

    G = build_graph(json.loads(spec_json), seed=graph_seed(seed))
    pos = nx.spring_layout(G, seed=seed, iterations=40)
    xy = np.array([pos[i] for i in range(n)])
    xy -= xy.min(axis=0)
    return xy / max(1e-9, xy.max())


def graph_png(model: VizModel, px: int = 420, max_nodes: int | None = None) -> bytes:
    """A non-grid network on a seeded spring layout (computed once per graph); a
    graph of more than ``max_nodes`` (default :data:`MAX_DRAWN_NODES`) agents
    as a breadth-first sample of that many, with the edges between them."""
    n = len(model.by_node)
    limit = MAX_DRAWN_NODES if max_nodes is None else max_nodes
    if getattr(model, "_bg", None) is None:
        if n > limit:
            nodes = _sample(model, limit)
            sub = model.graph.subgraph(nodes)
            pos = nx.spring_layout(sub, seed=model.seed, iterations=40)
            xy = np.array([pos[v] for v in nodes])
            xy -= xy.min(axis=0)
            xy /= max(1e-9, xy.max())
            edges = sub.edges
        else:
            nodes = list(range(n))
            xy = _layout(json.dumps(model.params.network, sort_keys=True), model.seed, n)
            edges = model.graph.edges
        at = {v: (10 + x * (px - 20), 10 + y * (px - 20)) for v, (x, y) in zip(nodes, xy)}
        bg = Image.new("RGB", (px, px), "white")
        d = ImageDraw.Draw(bg)
        for u, v in edges:
            d.line([at[u], at[v]], fill=(205, 205, 205), width=1)
        model._bg, model._pts = bg, at
    img = model._bg.copy()
    d = ImageDraw.Draw(img)
    r = 4 if len(model._pts) <= 300 else 3
    for v, (x, y) in model._pts.items():
        d.ellipse([x - r, y - r, x + r, y + r], fill=COLORS[model.by_node[v].norm])
    return _png(img)


def network_png(model: VizModel) -> bytes:
    """The network picture: the lattice for a grid, the seeded layout otherwise."""
    return lattice_png(model) if model.lattice else graph_png(model)


def network_note(model: VizModel, px: int = 420) -> str | None:
    """What the network image leaves out on a large graph (None: every agent is drawn)."""
    n = len(model.by_node)
    if model.lattice:
        k = lattice_block(model, px)
        if k > 1:
            return (f"Density image: each pixel is a block of {k} x {k} agents, coloured "
                    f"by its share of B (blue: all A, orange: all B); {n:,} agents.")
        return None
    if n > MAX_DRAWN_NODES:
        return (f"A sample of {MAX_DRAWN_NODES:,} of the {n:,} agents is drawn (neighbourhoods "
                "grown breadth-first from random agents); the chart and the numbers "
                "cover every agent.")
    return None


def _prediction(model: VizModel, t_max: int):
    """The best available theory for the page's network up to ``t_max``
    (:func:`normsim.theory.network_prediction`), or None with evolving rates."""
    p = model.params
    if p.evolving:
        return None
    return network_prediction(replace(p, generations=t_max,
                                      shocks=tuple(s for s in model.shock_list if s < t_max)))


def _x_limit(g: int) -> int:
    """The chart's x range: the next of 50, 100, 200, 500, 1000, ... above g (few redraws)."""
    lim = 50
    while lim <= g:
        lim = lim * 2 if str(lim)[0] in "15" else lim * 5 // 2
    return lim


class _Chart:
    """A matplotlib figure kept per model. The axes, ticks, legend, prediction and
    shocks are drawn when the x range changes; each step only redraws the data
    lines onto that saved background (blitting)."""

    def __init__(self, model: VizModel):
        self.evolving = model.params.evolving
        rows = 2 if self.evolving else 1
        # an Agg canvas of its own, not pyplot: a notebook's inline plots stay as they are
        self.fig = Figure(figsize=(6.2, 2.6 * rows), dpi=80)
        FigureCanvasAgg(self.fig)
        axes = self.fig.subplots(rows, 1, squeeze=False)
        self.ax = axes[0, 0]
        self.line_b, = self.ax.plot([], [], color="#e88426", label="share of B", animated=True)
        self.line_a, = self.ax.plot([], [], color="#3168b0", label="share of A", animated=True)
        self.line_pred, = self.ax.plot([], [], "k--", lw=0.8, label=(
            "_none" if self.evolving else "theory"))
        self.ax.plot([], [], color="red", ls=":", lw=0.9, label="shock")
        self.ax.set(ylim=(-0.02, 1.02), xlabel="generation", ylabel="share of agents")
        self.ax.legend(fontsize=7, loc="center right")
        self.ax2 = axes[1, 0] if self.evolving else None
        if self.ax2 is not None:
            self.ax2.set(ylim=(0, 1), xlabel="generation", ylabel="share holding rate")
            for r in RATES:   # legend entries for the stacked areas drawn per step
                self.ax2.fill_between([], [], [], label=f"rate {r:g}")
            self.ax2.legend(fontsize=6, loc="center right", ncol=2)
        self.fig.tight_layout()
        self.limit = 0
        self.shocks_drawn = 0
        self.background = None

    def _redraw_background(self, model: VizModel, limit: int) -> None:
        self.limit = limit
        pred = _prediction(model, limit)
        if pred is not None:
            self.line_pred.set_data(np.arange(limit + 1), pred.share_b)
            self.line_pred.set_label(pred.name)
            self.ax.legend(fontsize=7, loc="center right")
        shocks = [s for s in model.shock_list if s <= limit]
        for s in shocks[self.shocks_drawn:]:
            self.ax.axvline(s, color="red", ls=":", lw=0.9)
        self.shocks_drawn = len(shocks)
        for ax in (self.ax, self.ax2):
            if ax is not None:
                ax.set_xlim(0, limit)
        self.fig.canvas.draw()
        self.background = self.fig.canvas.copy_from_bbox(self.fig.bbox)

    def png(self, model: VizModel) -> bytes:
        g = model.generation
        if _x_limit(g) != self.limit or self.background is None:
            self._redraw_background(model, _x_limit(g))
        canvas = self.fig.canvas
        canvas.restore_region(self.background)
        x = np.arange(g + 1)
        hist = np.asarray(model.history)
        self.line_b.set_data(x, hist)
        self.line_a.set_data(x, 1 - hist)
        self.ax.draw_artist(self.line_b)
        self.ax.draw_artist(self.line_a)
        if self.ax2 is not None:
            shares = np.cumsum(np.asarray(model.rate_history), axis=1)
            lower = np.zeros(len(x))
            for k in range(len(RATES)):
                poly = self.ax2.fill_between(x, lower, shares[:, k], color=f"C{k}",
                                             animated=True)
                self.ax2.draw_artist(poly)
                poly.remove()
                lower = shares[:, k]
        rgba = np.asarray(canvas.buffer_rgba())
        return _png(Image.fromarray(rgba[..., :3].copy(), "RGB"))


def chart_png(model: VizModel) -> bytes:
    """Norm shares so far, shocks marked, the best available theory dashed."""
    if getattr(model, "_chart", None) is None:
        model._chart = _Chart(model)
    return model._chart.png(model)


def info_markdown(model: VizModel) -> str:
    """The text panel: generation, shares, favoured norm, next shock."""
    hist = model.history[-1]
    nxt = next((s for s in model.shock_list if s >= model.generation), None)
    p = model.params
    lines = [f"**Generation {model.generation}**",
             f"share of A: {1 - hist:.3f}, share of B: {hist:.3f}",
             f"favoured norm now: **{model.favoured()}** (a = {model.game.a:g}, "
             f"b = {model.game.b:g}, c = {p.c:g})",
             f"next shock after generation {nxt}" if nxt is not None else "no more shocks",
             f"{len(model.by_node)} agents, {p.update} update, seed {model.seed}"]
    if p.evolving:
        shares = model.rate_history[-1]
        lines.append("mean exploration rate: "
                     f"{float(np.dot(shares, RATES)):.3f}")
    return "  \n".join(lines)


# ------------------------------------------------------------------ components
@solara.component
def NetworkView(model: VizModel):
    update_counter.get()
    note = network_note(model)
    with solara.Column():
        solara.Image(network_png(model), format="png")
        if note:
            solara.Markdown(f"*{note}*")


@solara.component
def ChartView(model: VizModel):
    update_counter.get()
    solara.Image(chart_png(model), format="png")


@solara.component
def InfoPanel(model: VizModel):
    update_counter.get()
    solara.Markdown(info_markdown(model))


# ------------------------------------------------------------------ parameters
def defaults_from_scenario(path: str | None) -> dict:
    """Default widget values from a scenario file (its first condition)."""
    d = dict(PAGE_DEFAULTS)
    if not path:
        return d
    from normsim.scenario import EvolvingRates, conditions, load

    cond = conditions(load(path))[0]
    s = cond.spec
    if s.population.well_mixed:
        from normsim.errors import NormsimError
        raise NormsimError(f"{path}: the visualization needs a network, not well_mixed")
    net = s.population.network.as_dict()
    d.update(c=s.game.c, a=s.game.a, b=s.game.b, beta=s.dynamics.selection_strength,
             update=s.dynamics.update, seed=int(s.seed), initial_b=s.population.initial_b)
    ex = s.dynamics.exploration
    if isinstance(ex, EvolvingRates):
        d["evolving"] = True
    else:
        d["exploration"] = float(ex)
    if net["kind"] == "grid" and net.get("rows") == net.get("cols") and net.get(
            "periodic", True):
        d["side"] = net["rows"]
    elif net["kind"] in KINDS and net["kind"] != "grid" and net == network_spec(
            net["kind"], nodes=net["n"]):
        d.update(network_kind=net["kind"], nodes=net["n"])
    else:
        d.update(network_kind="scenario network", network_spec_json=json.dumps(net))
    shocks = s.schedule.shock_list()
    if s.schedule.shocks and not isinstance(s.schedule.shocks, list):
        d.update(shocks="periodic", shock_at=shocks[0] if shocks else 75)
    elif shocks:
        d.update(shocks="once", shock_at=shocks[0])
    return d


def model_params(defaults: dict) -> dict:
    """The page's controls (SolaraViz ``model_params``) with ``defaults`` as initial values."""
    kinds = list(KINDS) + (["scenario network"] if defaults["network_spec_json"] else [])
    return {
        "c": {"type": "SliderFloat", "value": defaults["c"], "min": 0.0, "max": 1.0,
              "step": 0.05, "label": "need for coordination c"},
        "exploration": {"type": "SliderFloat", "value": defaults["exploration"], "min": 0.0,
                        "max": 0.5, "step": 0.01, "label": "exploration rate"},
        "evolving": {"type": "Checkbox", "value": defaults["evolving"],
                     "label": "evolving exploration rates (0 .. 0.5)"},
        "beta": {"type": "SliderFloat", "value": defaults["beta"], "min": 0.0, "max": 20.0,
                 "step": 0.5, "label": "selection strength beta"},
        "a": {"type": "SliderFloat", "value": defaults["a"], "min": 0.1, "max": 1.0,
              "step": 0.05, "label": "payoff a (norm A, at start)"},
        "b": {"type": "SliderFloat", "value": defaults["b"], "min": 0.1, "max": 1.0,
              "step": 0.05, "label": "payoff b (norm B, at start)"},
        "network_kind": {"type": "Select", "value": defaults["network_kind"], "values": kinds,
                         "label": "network"},
        "side": {"type": "SliderInt", "value": defaults["side"], "min": 5, "max": 100,
                 "step": 1, "label": "grid side (grid: side x side torus)"},
        "nodes": {"type": "SliderInt", "value": defaults["nodes"], "min": 20, "max": 1000,
                  "step": 10, "label": "nodes (other networks, mean degree 4)"},
        "update": {"type": "Select", "value": defaults["update"], "values": list(UPDATE_MODES),
                   "label": "update mode"},
        "shocks": {"type": "Select", "value": defaults["shocks"], "values": ["once", "periodic"],
                   "label": "shocks"},
        "shock_at": {"type": "SliderInt", "value": defaults["shock_at"], "min": 1, "max": 1000,
                     "step": 1, "label": "shock generation / period"},
        "seed": {"type": "SliderInt", "value": defaults["seed"], "min": 0,
                 "max": max(1000, defaults["seed"]),
                 "step": 1, "label": "seed"},
        "initial_b": defaults["initial_b"],
        "network_spec_json": defaults["network_spec_json"],
    }


_defaults = defaults_from_scenario(os.environ.get("NORMSIM_VIZ_SCENARIO"))
model = VizModel(**_defaults)
page = SolaraViz(model, components=[(NetworkView, 0), (ChartView, 0), (InfoPanel, 0)],
                 model_params=model_params(_defaults), name="normsim: norm change",
                 play_interval=150)
