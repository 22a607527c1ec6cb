"""Drawing the browser page's model: the network (a lattice image, or a graph on a
seeded layout; committed agents and group boundaries marked), the chart of the norm
shares (with the shocks, the need for coordination in play and the theory's
prediction), and the page's text (the state panel, the titles).

Figures are PNG images drawn with PIL (network) and matplotlib (chart, on an Agg
canvas of its own, not pyplot), so the page works offline with only the locally
served front-end files.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from functools import lru_cache
from typing import cast

import networkx as nx
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image, ImageDraw

from normsim.draws import graph_seed
from normsim.game import CoordinationGame, Game, MatrixGame
from normsim.protocols import PROTOCOLS
from normsim.viz.model import VizModel
from normsim.viz.params import RATES

COLORS = {0: (49, 104, 176), 1: (232, 132, 38)}  # A blue, B orange
#: committed agents' colours, a darker shade of their norm's (navy for A, brown for B)
COMMITTED_COLORS = {0: (12, 30, 78), 1: (110, 50, 0)}
#: lines between agents of different groups (lattice) / edges across groups (graph)
BOUNDARY_COLOR = (0, 0, 0)
#: graphs with more nodes are drawn as a sample of this many (a spring layout
#: and a dot per agent would take seconds a frame); a lattice wider than the
#: image becomes a density image
MAX_DRAWN_NODES = 1500
#: the chart draws the share of B of the first this many groups (one line each)
MAX_GROUP_LINES = 8
#: the colours of the groups' lines on the chart (matplotlib's tab10 without its
#: blue and orange, the norms' colours, and with its red, the shocks', last)
GROUP_LINE_COLORS = (
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#d62728",
)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def _lattice(model: VizModel) -> tuple[int, int]:
    """The grid's rows and columns."""
    if model.lattice is None:
        raise ValueError("a lattice image needs a grid network")
    return model.lattice


def lattice_block(model: VizModel, px: int = 420) -> int:
    """Agents per side of a pixel of the lattice image (1: one square per agent)."""
    rows, cols = _lattice(model)
    return max(1, -(-max(rows, cols) // px))


def lattice_png(model: VizModel, px: int = 420) -> bytes:
    """The grid as a lattice image, one square per agent, coloured by norm
    (committed agents in :data:`COMMITTED_COLORS`, a line between agents of
    different groups when squares are at least 2 pixels wide); a lattice wider
    than ``px`` as a density image, each pixel a block of agents coloured by
    its share of B."""
    rows, cols = _lattice(model)
    norms = np.fromiter((ag.norm for ag in model.by_node), dtype=np.uint8, count=rows * cols)
    k = lattice_block(model, px)
    if k == 1:
        palette = np.array(
            [COLORS[0], COLORS[1], COMMITTED_COLORS[0], COMMITTED_COLORS[1]], dtype=np.uint8
        )
        idx = (norms + 2 * model.committed_mask).reshape(rows, cols)
        s = max(1, px // max(rows, cols))
        rgb = np.repeat(np.repeat(palette[idx], s, axis=0), s, axis=1)
        groups = getattr(model, "group_labels", None)
        if groups is not None and s >= 2:
            g = groups.reshape(rows, cols)
            # the last pixel column (row) of a square whose right (lower) neighbour
            # is in another group
            right = rgb[:, s - 1 : (cols - 1) * s : s]
            right[np.repeat(g[:, :-1] != g[:, 1:], s, axis=0)] = BOUNDARY_COLOR
            below = rgb[s - 1 : (rows - 1) * s : s, :]
            below[np.repeat(g[:-1, :] != g[1:, :], s, axis=1)] = BOUNDARY_COLOR
        return _png(Image.fromarray(rgb, "RGB"))
    palette = np.array([COLORS[0], COLORS[1]], dtype=np.uint8)
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
def _layout(spec_json: str, seed: int, n: int, base_dir: str | None = None) -> np.ndarray:
    from normsim.networks import build_graph

    G = build_graph(json.loads(spec_json), seed=graph_seed(seed), base_dir=base_dir)
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
            xy = _layout(
                json.dumps(model.params.network, sort_keys=True), model.seed, n, model.base_dir
            )
            edges = model.graph.edges
        at = {
            v: (10 + x * (px - 20), 10 + y * (px - 20)) for v, (x, y) in zip(nodes, xy, strict=True)
        }
        groups = getattr(model, "group_labels", None)
        bg = Image.new("RGB", (px, px), "white")
        d = ImageDraw.Draw(bg)
        for u, v in edges:
            across = groups is not None and groups[u] != groups[v]
            d.line([at[u], at[v]], fill=BOUNDARY_COLOR if across else (205, 205, 205), width=1)
        model._bg, model._pts = bg, at
    img = model._bg.copy()
    d = ImageDraw.Draw(img)
    r = 4 if len(model._pts) <= 300 else 3
    fixed = model.committed_mask
    for v, (x, y) in model._pts.items():
        norm = model.by_node[v].norm
        if fixed[v]:  # committed: the dark shade, one pixel larger, with a black rim
            d.ellipse(
                [x - r - 1, y - r - 1, x + r + 1, y + r + 1],
                fill=COMMITTED_COLORS[norm],
                outline=(0, 0, 0),
            )
        else:
            d.ellipse([x - r, y - r, x + r, y + r], fill=COLORS[norm])
    return _png(img)


def network_png(model: VizModel) -> bytes:
    """The network picture: the lattice for a grid, the seeded layout otherwise."""
    return lattice_png(model) if model.lattice else graph_png(model)


def network_note(model: VizModel, px: int = 420) -> str | None:
    """What the network image shows beyond the norms and what it leaves out on a
    large graph (None: nothing to say)."""
    n = len(model.by_node)
    notes = []
    k = lattice_block(model, px) if model.lattice else 1
    marked = k == 1
    committed = model.params.committed
    if committed is not None and model.committed_mask.any():
        norm = "AB"[committed["norm"]]
        shade = "navy" if norm == "A" else "brown"
        notes.append(
            f"Committed agents (holding {norm}) are drawn {shade}."
            if marked
            else "Committed agents are not marked at this density."
        )
    if model.group_labels is not None:
        notes.append(
            "Black lines separate the groups."
            if marked and (not model.lattice or px // max(model.lattice) >= 2)
            else "Group boundaries are not drawn at this density."
        )
    if model.lattice:
        if k > 1:
            notes.insert(
                0,
                f"Density image: each pixel is a block of {k} x {k} agents, "
                f"coloured by its share of B (blue: all A, orange: all B); "
                f"{n:,} agents.",
            )
    elif n > MAX_DRAWN_NODES:
        notes.insert(
            0,
            f"A sample of {MAX_DRAWN_NODES:,} of the {n:,} agents is drawn "
            "(neighbourhoods grown breadth-first from random agents); the chart "
            "and the numbers cover every agent.",
        )
    return " ".join(notes) or None


def _prediction(model: VizModel, t_max: int):
    """The best available theory for the page's network up to ``t_max``
    (:func:`normsim.theory.network_prediction`), or None with evolving rates or
    with committed agents, conformity or events (the theory module has no
    prediction for those on a network)."""
    p = model.params
    if p.evolving or model.mechanisms:
        return None
    from normsim.theory import network_prediction  # loads numba: only when a line is drawn

    return network_prediction(
        replace(p, generations=t_max, shocks=tuple(s for s in model.shock_list if s < t_max))
    )


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
        # groups: the legend goes below the axes (a line per group would cover the data)
        grouped = model.params.groups is not None
        self.fig = Figure(figsize=(6.2, 2.6 * rows + (0.9 if grouped else 0)), dpi=80)
        self.canvas = FigureCanvasAgg(self.fig)
        axes = self.fig.subplots(rows, 1, squeeze=False)
        self.ax = axes[0, 0]
        (self.line_b,) = self.ax.plot([], [], color="#e88426", label="share of B", animated=True)
        (self.line_a,) = self.ax.plot([], [], color="#3168b0", label="share of A", animated=True)
        (self.line_pred,) = self.ax.plot(
            [],
            [],
            "k--",
            lw=0.8,
            label=("_none" if self.evolving or model.mechanisms else "theory"),
        )
        committed = model.params.committed
        self.free = committed is not None
        norm = "AB"[committed["norm"]] if committed is not None else ""
        (self.line_free,) = self.ax.plot(
            [],
            [],
            color="#e88426" if norm == "B" else "#3168b0",
            ls=(0, (1, 1)),
            lw=1.6,
            animated=True,
            label=(f"share of {norm} among the uncommitted" if self.free else "_none"),
        )
        (self.line_c,) = self.ax.plot(
            [],
            [],
            color="#7a7a7a",
            lw=1.0,
            label=("c in play" if model.params.events and not grouped else "_none"),
        )
        # groups: the share of B in each of the first MAX_GROUP_LINES groups and, with
        # events, the c each of them plays (dashed, in the group's colour)
        names = model.group_names[:MAX_GROUP_LINES]
        self.group_lines = [
            self.ax.plot(
                [], [], color=GROUP_LINE_COLORS[k], lw=1.1, animated=True, label=f"B in {name}"
            )[0]
            for k, name in enumerate(names)
        ]
        self.group_c_lines = (
            [
                self.ax.plot(
                    [], [], color=GROUP_LINE_COLORS[k], lw=0.9, ls="--", label=f"c in {name}"
                )[0]
                for k, name in enumerate(names)
            ]
            if model.params.events
            else []
        )
        self.ax.plot([], [], color="red", ls=":", lw=0.9, label="shock")
        self.ax.set(ylim=(-0.02, 1.02), xlabel="generation", ylabel="share of agents")
        self.legend = (
            {"loc": "upper center", "bbox_to_anchor": (0.5, -0.22), "ncol": 3}
            if grouped
            else {"loc": "center right"}
        )
        self.ax.legend(fontsize=7, **self.legend)
        self.ax2 = axes[1, 0] if self.evolving else None
        if self.ax2 is not None:
            self.ax2.set(ylim=(0, 1), xlabel="generation", ylabel="share holding rate")
            for r in RATES:  # legend entries for the stacked areas drawn per step
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
            self.ax.legend(fontsize=7, **self.legend)
        if model.params.matrix is not None:  # a matrix game has no c to draw
            pass
        elif self.group_c_lines:  # each group's need for coordination in each generation
            combos, index = model.params.group_games(model.n_groups)
            cs = np.array([[cast(CoordinationGame, gm).c for gm in combo] for combo in combos])[
                index[: limit + 1]
            ]
            for k, line in enumerate(self.group_c_lines):
                line.set_data(np.arange(len(cs)), cs[:, k])
        elif model.params.events:  # the need for coordination of each generation
            games, index = model.params.games()
            cs = np.array([cast(CoordinationGame, gm).c for gm in games])[index[: limit + 1]]
            self.line_c.set_data(np.arange(len(cs)), cs)
        shocks = [s for s in model.shock_list if s <= limit]
        for s in shocks[self.shocks_drawn :]:
            self.ax.axvline(s, color="red", ls=":", lw=0.9)
        self.shocks_drawn = len(shocks)
        for ax in (self.ax, self.ax2):
            if ax is not None:
                ax.set_xlim(0, limit)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)

    def png(self, model: VizModel) -> bytes:
        g = model.generation
        if _x_limit(g) != self.limit or self.background is None:
            self._redraw_background(model, _x_limit(g))
        canvas = self.canvas
        canvas.restore_region(self.background)
        x = np.arange(g + 1)
        hist = np.asarray(model.history)
        self.line_b.set_data(x, hist)
        self.line_a.set_data(x, 1 - hist)
        self.ax.draw_artist(self.line_b)
        self.ax.draw_artist(self.line_a)
        if self.free:
            self.line_free.set_data(x, np.asarray(model.free_history, dtype=float))
            self.ax.draw_artist(self.line_free)
        if self.group_lines:
            shares = np.asarray(model.group_history, dtype=float)
            for k, line in enumerate(self.group_lines):
                line.set_data(x, shares[:, k])
                self.ax.draw_artist(line)
        if self.ax2 is not None:
            shares = np.cumsum(np.asarray(model.rate_history), axis=1)
            lower = np.zeros(len(x))
            for k in range(len(RATES)):
                poly = self.ax2.fill_between(x, lower, shares[:, k], color=f"C{k}", animated=True)
                self.ax2.draw_artist(poly)
                poly.remove()
                lower = shares[:, k]
        rgba = np.asarray(canvas.buffer_rgba())
        return _png(Image.fromarray(rgba[..., :3].copy(), "RGB"))


def chart_png(model: VizModel) -> bytes:
    """Norm shares so far (and the committed norm's share among the uncommitted;
    with groups the share of B in each of the first :data:`MAX_GROUP_LINES`
    groups), shocks marked, c in play when events change it (each group's, with
    groups), the best available theory dashed (without mechanisms)."""
    if getattr(model, "_chart", None) is None:
        model._chart = _Chart(model)
    return model._chart.png(model)


def info_markdown(model: VizModel) -> str:
    """The text panel: generation, shares, the game in play, the mechanisms."""
    hist = model.history[-1]
    nxt = next((s for s in model.shock_list if s >= model.generation), None)
    p = model.params
    lines = []
    if model.problem:
        lines.append(f"**Not run:** {model.problem}. Change the controls and press Reset.")
    lines += [
        f"**Generation {model.generation}**",
        f"share of A: {1 - hist:.3f}, share of B: {hist:.3f}",
        f"favoured norm now: **{model.favoured()}** "
        f"({game_text(model.game, with_c=p.groups is None)})",  # groups: each one's c below
        f"next shock after generation {nxt}" if nxt is not None else "no more shocks",
        f"{len(model.by_node)} agents, {PROTOCOLS[p.protocol].label}, {p.update} update, "
        f"seed {model.seed}",
    ]
    if p.committed is not None:
        k, n = int(model.committed_mask.sum()), len(model.by_node)
        norm = "AB"[p.committed["norm"]]
        free = model.free_history[-1]
        lines.append(
            f"committed agents: {k} ({k / n:.1%}, {p.committed['placement']}) "
            f"holding {norm}; share of {norm} among the uncommitted: "
            + ("none uncommitted" if free != free else f"{free:.3f}")
        )
    if p.conformity > 0:
        lines.append(f"conformity gamma = {p.conformity:g}")
    if p.groups is not None:
        lines.append(group_markdown(model))
    if model.threat is not None:
        g1, g2, tc = model.threat
        lines.append(f"threat: c = {tc:g} in generations {g1}..{g2}")
    scenario_events = p.events[: model.scenario_event_count]
    if scenario_events:
        lines.append(f"the scenario's events: {json.dumps(list(scenario_events))}")
    if p.evolving:
        shares = model.rate_history[-1]
        lines.append(f"mean exploration rate: {float(np.dot(shares, RATES)):.3f}")
    elif model.mechanisms:
        lines.append("no theory line: the theory module predicts the plain model only")
    return "  \n".join(lines)


def game_text(game: Game, with_c: bool = True) -> str:
    """The game's values in words: ``a = 0.4, b = 0.6, c = 0.5`` (without c if not
    ``with_c``) or a matrix game's ``R = 4, S = 0, T = 3, P = 2``.

    >>> game_text(MatrixGame(4.0, 0.0, 3.0, 2.0))
    'R = 4, S = 0, T = 3, P = 2'
    """
    if isinstance(game, MatrixGame):
        return ", ".join(f"{k} = {v:g}" for k, v in game.as_dict().items())
    return f"a = {game.a:g}, b = {game.b:g}" + (f", c = {game.c:g}" if with_c else "")


def group_markdown(model: VizModel) -> str:
    """The text panel's line on the groups: the split, and each group's size, c in
    play and share of B (the first :data:`MAX_GROUP_LINES` groups)."""
    p, m = model.params, model.n_groups
    games, shares = model.group_games(), model.group_history[-1]
    assert p.groups is not None  # the panel has this line for a model with groups
    by = p.groups["by"]
    parts = [
        f"{model.group_names[k]} ({int(model.group_sizes[k])} agents): "
        f"{game_text(games[k]) if isinstance(games[k], MatrixGame) else f'c = {games[k].c:g}'}, "
        f"share of B {shares[k]:.3f}"
        for k in range(min(m, MAX_GROUP_LINES))
    ]
    more = (
        f"; and {m - MAX_GROUP_LINES} more groups (the chart shows the first {MAX_GROUP_LINES})"
        if m > MAX_GROUP_LINES
        else ""
    )
    return f"{m} groups ({by}): " + "; ".join(parts) + more


def network_label(model: VizModel) -> str:
    """What the network is, in words: 'a 50 x 50 torus', 'a Watts-Strogatz graph of 400 nodes'."""
    net, n = model.params.network, len(model.by_node)
    if net["kind"] == "grid":
        shape = "torus" if net.get("periodic", True) else "grid"
        return f"a {net['rows']} x {net['cols']} {shape}"
    names = {
        "watts_strogatz": "Watts-Strogatz graph",
        "erdos_renyi": "Erdos-Renyi graph",
        "barabasi_albert": "Barabasi-Albert graph",
        "random_regular": "random regular graph",
        "complete": "complete graph",
        "connected_caveman": "connected-caveman graph",
        "edgelist": "network from an edge list",
    }
    return f"a {names.get(net['kind'], net['kind'] + ' network')} of {n:,} agents"


def view_title(model: VizModel) -> str:
    """The name of the page's tab: what it shows."""
    return f"Norms and shares on {network_label(model)}"


def page_title(model: VizModel) -> str:
    """The page's title (the browser tab and the app bar)."""
    return f"normsim: norm change on {network_label(model)}"
