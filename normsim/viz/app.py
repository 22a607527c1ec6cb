"""The Mesa browser visualization of norm change (a Solara page).

Serve it with ``normsim viz [SCENARIO.yaml]`` (or ``solara run
normsim/viz/app.py``). The page shows the network with agents coloured by norm
(a grid as a lattice; other graphs on a seeded layout computed once per
reset; on a large graph a density image or a sample, as the page says;
committed agents in a darker shade, and group boundaries when the model has
groups), a live chart of the norm shares with the shocks marked (with groups,
the share of B in each group), the need for coordination in play when events
change it, and the well-mixed replicator prediction overlaid (without
mechanisms; and the exploration-rate shares when rates evolve), and a text
panel with the generation, the shares, the norm currently favoured and each
group's c and share. Controls set c, the exploration rate, beta, a, b, the
network kind and size, the update mode, the revision protocol (the choices of
:func:`protocol_choices`, from :data:`normsim.protocols.PROTOCOLS`), the shock
schedule, the seed, the committed minority (fraction, placement, norm),
conformity, a threat (c raised for a span of generations) and groups (none,
the lattice's left and right halves with a c each, or the scenario's groups
with a c slider for each of the first :data:`MAX_GROUP_SLIDERS`); Reset, Step
and Play drive the model. Every slider shows its value; the page's title and
tab say what it shows.

The page is Mesa's SolaraViz layout, rebuilt from Mesa's own pieces
(``ModelController``, ``ShowSteps``) so that sliders can show their values
and the tab can have a name (SolaraViz labels its tabs ``Page 0``, ``Page
1``, ... and draws its sliders without values).

Figures are PNG images drawn with PIL (network) and matplotlib (chart), so
the page works offline with only the locally served front-end files.
"""

from __future__ import annotations

import html
import io
import json
import os
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from typing import Any

import networkx as nx
import numpy as np
import solara
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from mesa.visualization.solara_viz import ModelController, ShowSteps
from mesa.visualization.utils import update_counter
from PIL import Image, ImageDraw

from normsim.draws import graph_seed
from normsim.errors import NormsimError
from normsim.groups import DEFAULT_SOURCE
from normsim.mechanisms import PLACEMENTS
from normsim.model import NormChangeModel
from normsim.parameters import PARAMETERS
from normsim.params import DEFAULTS, UPDATE_MODES, ModelParams
from normsim.protocols import PROTOCOLS
from normsim.protocols import resolve as resolve_protocol
from normsim.theory import network_prediction

COLORS = {0: (49, 104, 176), 1: (232, 132, 38)}  # A blue, B orange
#: committed agents: a darker shade of their norm's colour (navy: A, brown: B)
COMMITTED_COLORS = {0: (12, 30, 78), 1: (110, 50, 0)}
#: lines between agents of different groups (lattice) / edges across groups (graph)
BOUNDARY_COLOR = (0, 0, 0)
KINDS = ("grid", "watts_strogatz", "erdos_renyi", "barabasi_albert", "random_regular")
RATES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
#: generations: the page runs until the user stops it or this generation is reached
#: (game events are laid out per generation up to here, about 0.1 s per Reset)
HORIZON = 100_000
#: graphs with more nodes are drawn as a sample of this many (a spring layout
#: and a dot per agent would take seconds a frame); a lattice wider than the
#: image becomes a density image
MAX_DRAWN_NODES = 1500
#: the committed placements the page offers (``nodes`` only from a scenario)
PAGE_PLACEMENTS = tuple(p for p in PLACEMENTS if p != "nodes")
SCENARIO_NODES = "nodes (scenario)"
#: the group splits the page offers: none, the grid's left and right halves, and
#: the groups of the scenario the page was opened with (only then)
GROUP_SPLITS = ("none", "halves")
SCENARIO_GROUPS = "scenario groups"
#: scenario groups: a c slider for each of the first this many groups (the others keep
#: the scenario's c, or follow the c slider when the scenario gives no per-group c)
MAX_GROUP_SLIDERS = 4
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

#: the page's initial values: the model's from normsim.params.DEFAULTS, and the
#: page's own (graph size for non-grid kinds, when to shock, the seed, the threat)
PAGE_DEFAULTS = {
    "c": DEFAULTS.c,
    "exploration": DEFAULTS.exploration,
    "beta": DEFAULTS.beta,
    "a": DEFAULTS.a,
    "b": DEFAULTS.b,
    "network_kind": DEFAULTS.network["kind"],
    "side": DEFAULTS.network["rows"],
    "nodes": 400,
    "update": DEFAULTS.update,
    "protocol": DEFAULTS.protocol,
    "shocks": "once",
    "shock_at": 100,
    "evolving": False,
    "seed": 1,
    "initial_b": DEFAULTS.initial_b,
    "network_spec_json": "",
    "committed": float((DEFAULTS.committed or {}).get("fraction") or 0.0),
    "placement": "random",
    "committed_norm": "new",
    "conformity": DEFAULTS.conformity,
    "threat_c": 0.9,
    "threat_start": 50,
    "threat_length": 0,
    "scenario_events": False,
    "events_json": "",
    "committed_nodes_json": "",
    "group_split": "none",
    "c_left": 0.9,
    "c_right": 0.2,
    # scenario groups' c sliders (None: no slider, the scenario's c)
    **{f"group_c{k}": None for k in range(MAX_GROUP_SLIDERS)},
    "groups_json": "",
    "group_count": 0,
    "base_dir": "",
}
_P = PAGE_DEFAULTS


def _slider(name: str, defaults: Mapping[str, Any], **extra: Any) -> dict:
    """The page's slider of the model parameter ``name``: its range, step and label as
    :data:`normsim.parameters.PARAMETERS` declares them, its value from ``defaults``."""
    par = PARAMETERS[name]
    assert par.page is not None, name  # a parameter with a slider declares its range
    lo, hi, step = par.page
    return {
        "type": "SliderFloat",
        "value": defaults[name],
        "min": lo,
        "max": hi,
        "step": step,
        "label": par.label,
        **extra,
    }


def protocol_choices() -> dict[str, str]:
    """The page's revision protocols: each registered protocol's name and its label on
    the page (:data:`normsim.protocols.PROTOCOLS`, in registry order).

    >>> protocol_choices()["fermi"]
    'Fermi imitation'
    """
    return {name: p.label for name, p in PROTOCOLS.items()}


def network_spec(kind: str, side: int = _P["side"], nodes: int = _P["nodes"]) -> dict:
    """The spec of a network kind: a side x side torus, or ``nodes`` nodes of mean degree 4."""
    size = nodes
    if kind == "grid":
        return {"kind": "grid", "rows": side, "cols": side, "periodic": True}
    if kind == "watts_strogatz":
        return {"kind": "watts_strogatz", "n": size, "k": 4, "p": 0.1}
    if kind == "erdos_renyi":
        return {"kind": "erdos_renyi", "n": size, "p": 4.0 / (size - 1), "largest_component": True}
    if kind == "barabasi_albert":
        return {"kind": "barabasi_albert", "n": size, "m": 2}
    if kind == "random_regular":
        return {"kind": "random_regular", "n": size, "d": 4}
    raise ValueError(f"unknown network kind {kind!r}")


def page_committed(fraction: float, placement: str, norm: str, nodes_json: str = "") -> dict | None:
    """The ``population.committed`` spec of the page's controls (None: no committed agents).

    ``placement`` is ``random``, ``hubs``, ``cluster`` or ``SCENARIO_NODES``
    (the node list of the scenario the page was opened with, ``nodes_json``);
    ``norm`` is ``new``, ``A`` or ``B``."""
    if placement == SCENARIO_NODES:
        return {"placement": "nodes", "nodes": json.loads(nodes_json), "norm": norm}
    if float(fraction) <= 0:
        return None
    return {"fraction": float(fraction), "placement": placement, "norm": norm}


def page_groups(
    split: str,
    c: float = _P["c"],
    c_left: float = _P["c_left"],
    c_right: float = _P["c_right"],
    groups_json: str = "",
    group_count: int = 0,
    group_cs: tuple[float, ...] = (),
) -> dict | None:
    """The ``population.groups`` spec of the page's controls (None: no groups).

    ``split`` is ``none``, ``halves`` (the grid's left half, group 0, plays
    ``c_left`` and its right half, group 1, ``c_right``) or ``SCENARIO_GROUPS``:
    the groups of the scenario the page was opened with (``groups_json``, its
    ``population.groups`` as given: source, c, exploration, initial_b, file or
    attribute), of which there are ``group_count``; ``group_cs`` (the page's
    sliders, at most ``MAX_GROUP_SLIDERS``) replace the c of the first
    groups, the others keep the scenario's c (``c`` when the scenario gives no
    per-group c). Raises :class:`~normsim.errors.NormsimError` for scenario
    groups without a scenario that has them, or an unknown split."""
    if split == "none":
        return None
    if split == "halves":
        return {"by": "halves", "c": [float(c_left), float(c_right)]}
    if split != SCENARIO_GROUPS:
        raise NormsimError(f"groups: {split!r} is not one of none, halves, {SCENARIO_GROUPS}")
    if not groups_json:
        raise NormsimError(
            "groups: scenario groups need a scenario with population.groups "
            "(normsim viz SCENARIO.yaml)"
        )
    groups = json.loads(groups_json)
    m = int(group_count)
    if m > 0 and group_cs:
        cs = [float(x) for x in groups["c"]] if groups.get("c") is not None else [float(c)] * m
        for k, value in enumerate(group_cs[:m]):
            cs[k] = float(value)
        groups["c"] = cs
    return groups


def page_events(
    c: float,
    threat_c: float,
    threat_start: int,
    threat_length: int,
    events_json: str = "",
    groups: dict | None = None,
    network: dict | None = None,
) -> tuple[dict, ...]:
    """The ``schedule.events`` of the page: the scenario's (``events_json``, a JSON
    list, or empty), then the threat, if ``threat_length`` > 0: c set to
    ``threat_c`` after generation ``threat_start`` (generations threat_start + 1
    .. threat_start + threat_length play it) and back to the value in force
    before the threat after generation threat_start + threat_length.

    With ``groups`` (a ``population.groups`` spec with one c per group, on the
    ``network`` spec, which is then needed) the threat sets c in every group and
    then gives each group back its own c in force before the threat (one event
    per group)."""
    events = list(json.loads(events_json)) if events_json else []
    length, start = int(threat_length), int(threat_start)
    if length > 0:
        threat = {"at": start, "game": {"c": float(threat_c)}}
        if groups is not None and groups.get("c") is not None:
            # each group's c in the last generation before the threat; a horizon that
            # covers the scenario's events (the page's whole horizon takes seconds to
            # lay out with many groups)
            if network is None:
                raise ValueError("page_events: groups need the network spec they split")
            last = max([start, 1] + [int(e.get("at", e.get("to", 0))) for e in events])
            m = len(groups["c"])
            before = ModelParams(
                c=c,
                network=network,
                generations=min(HORIZON, last + 1),
                events=tuple(events),
                groups=groups,
            ).group_game_at(start, m)
            return tuple(
                events
                + [threat]
                + [
                    {"at": start + length, "group": k, "game": {"c": float(g.c)}}
                    for k, g in enumerate(before)
                ]
            )
        before = c
        if events:  # the c in force in the last generation before the threat
            before = ModelParams(c=c, generations=HORIZON, events=tuple(events)).game_at(start).c
        events += [threat, {"at": start + length, "game": {"c": float(before)}}]
    return tuple(events)


class VizModel(NormChangeModel):
    """NormChangeModel with the flat, widget-friendly parameters of the page.

    Settings the model rejects (for example committed norm ``new`` when
    a = b, or a protocol that does not support the update mode) do not raise: the
    model is built without the mechanisms (and with the paper's protocol),
    ``problem`` holds the reason, and
    it does not step (``running`` is False after the first Step), so the page
    can say what to change."""

    def __init__(
        self,
        c: float = _P["c"],
        exploration: float = _P["exploration"],
        beta: float = _P["beta"],
        a: float = _P["a"],
        b: float = _P["b"],
        network_kind: str = _P["network_kind"],
        side: int = _P["side"],
        nodes: int = _P["nodes"],
        update: str = _P["update"],
        protocol: str = _P["protocol"],
        shocks: str = _P["shocks"],
        shock_at: int = _P["shock_at"],
        evolving: bool = _P["evolving"],
        seed: int = _P["seed"],
        initial_b: float = _P["initial_b"],
        network_spec_json: str = _P["network_spec_json"],
        committed: float = _P["committed"],
        placement: str = _P["placement"],
        committed_norm: str = _P["committed_norm"],
        conformity: float = _P["conformity"],
        threat_c: float = _P["threat_c"],
        threat_start: int = _P["threat_start"],
        threat_length: int = _P["threat_length"],
        scenario_events: bool = _P["scenario_events"],
        events_json: str = _P["events_json"],
        committed_nodes_json: str = _P["committed_nodes_json"],
        group_split: str = _P["group_split"],
        c_left: float = _P["c_left"],
        c_right: float = _P["c_right"],
        group_c0: float | None = _P["group_c0"],
        group_c1: float | None = _P["group_c1"],
        group_c2: float | None = _P["group_c2"],
        group_c3: float | None = _P["group_c3"],
        groups_json: str = _P["groups_json"],
        group_count: int = _P["group_count"],
        base_dir: str = _P["base_dir"],
    ):
        spec = (
            json.loads(network_spec_json)
            if network_kind == "scenario network"
            else network_spec(network_kind, int(side), int(nodes))
        )
        shock_at = max(1, int(shock_at))
        sched = tuple(range(shock_at, HORIZON, shock_at)) if shocks == "periodic" else (shock_at,)
        plain = dict(
            a=a,
            b=b,
            c=c,
            network=spec,
            initial_b=initial_b,
            update=update,
            beta=beta,
            exploration=exploration,
            rates=RATES if evolving else None,
            generations=HORIZON,
            shocks=sched,
        )
        self.problem: str | None = None
        try:  # a protocol that does not support the update mode: say so, do not run
            plain["protocol"] = resolve_protocol(protocol, update, where="protocol").name
        except NormsimError as e:
            self.problem = str(e)
        self.threat = None
        #: the scenario's events in ``params.events`` (the threat's follow them)
        self.scenario_event_count = 0
        #: the groups' names, one per group (empty without groups)
        self.group_names: list[str] = []
        sliders = tuple(x for x in (group_c0, group_c1, group_c2, group_c3) if x is not None)
        try:
            groups = page_groups(
                group_split, c, c_left, c_right, groups_json, int(group_count), sliders
            )
            if groups is not None:  # checked against the network before the events use it
                groups = ModelParams(**plain, groups=groups).groups
            events = page_events(
                c,
                threat_c,
                threat_start,
                threat_length,
                events_json if scenario_events else "",
                groups,
                spec,
            )
            params = ModelParams(
                **plain,
                committed=page_committed(
                    committed, placement, committed_norm, committed_nodes_json
                ),
                conformity=float(conformity),
                events=events,
                groups=groups,
            )
            self.scenario_event_count = (
                len(json.loads(events_json)) if (scenario_events and events_json) else 0
            )
            if int(threat_length) > 0:
                self.threat = (
                    int(threat_start) + 1,
                    int(threat_start) + int(threat_length),
                    float(threat_c),
                )
        except NormsimError as e:
            self.problem = self.problem or str(e)
            params = ModelParams(**plain)
        try:
            super().__init__(params=params, seed=int(seed), base_dir=base_dir or None)
        except NormsimError as e:  # the groups do not fit the graph (a node without a group)
            if params.groups is None:
                raise
            self.problem = str(e)
            params = ModelParams(**plain)
            super().__init__(params=params, seed=int(seed), base_dir=base_dir or None)
        self.shock_list = sched
        self.base_dir = base_dir or None  # where a scenario's relative files are read from
        self.history = [self.datacollector.model_vars["share_b"][0]]
        self.rate_history = [self.datacollector.model_vars["rate_shares"][0]]
        self.free_history = [self.datacollector.model_vars["share_new_uncommitted"][0]]
        #: the share of B in each group after each generation (groups only)
        self.group_history = (
            [self.datacollector.model_vars["group_share_b"][0]] if params.groups is not None else []
        )
        if params.groups is not None:
            by = params.groups["by"]
            self.group_names = (
                ["left half", "right half"]
                if by == "halves"
                else [f"group {k}" for k in range(self.n_groups)]
            )
        self.lattice = (spec["rows"], spec["cols"]) if spec["kind"] == "grid" else None
        self.committed_mask = np.fromiter(
            (ag.committed for ag in self.by_node), dtype=bool, count=len(self.by_node)
        )
        self.group_labels = agent_groups(self)  # not .groups: the groups work may use that name

    @property
    def mechanisms(self) -> bool:
        """Whether committed agents, conformity, game events or groups are in play."""
        p = self.params
        return p.committed is not None or p.conformity > 0 or bool(p.events) or p.groups is not None

    def group_games(self) -> tuple:
        """Each group's game in the next generation (groups only)."""
        return self.params.group_game_at(
            min(self.generation + 1, self.params.generations), self.n_groups
        )

    def step(self) -> None:
        """One generation of the model, and the page's history of shares (nothing when
        the controls gave a setting the model rejects)."""
        if self.problem:  # nothing to run: the page shows the problem
            self.running = False
            return
        super().step()
        self.history.append(self.datacollector.model_vars["share_b"][-1])
        self.rate_history.append(self.datacollector.model_vars["rate_shares"][-1])
        self.free_history.append(self.datacollector.model_vars["share_new_uncommitted"][-1])
        if self.params.groups is not None:
            self.group_history.append(self.datacollector.model_vars["group_share_b"][-1])

    def favoured(self) -> str:
        """The norm that pays more in the next generation."""
        g = self.game
        return "A" if g.a > g.b else ("B" if g.b > g.a else "neither")


def agent_groups(model: NormChangeModel) -> np.ndarray | None:
    """Each agent's group, or None: the hook for group boundaries on the page.

    Reads the per-agent attribute ``group`` (an integer label) when every agent
    has one and there are at least two groups; a model without groups gives
    None and the page draws no boundaries."""
    agents = model.by_node
    if not agents or not all(hasattr(ag, "group") for ag in agents):
        return None
    groups = np.array([ag.group for ag in agents])
    return groups if len(np.unique(groups)) > 1 else None


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
    """The grid as a lattice image, one square per agent, coloured by norm
    (committed agents in :data:`COMMITTED_COLORS`, a line between agents of
    different groups when squares are at least 2 pixels wide); a lattice wider
    than ``px`` as a density image, each pixel a block of agents coloured by
    its share of B."""
    rows, cols = model.lattice
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
    if model.committed_mask.any():
        norm = "AB"[model.params.committed["norm"]]
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
        FigureCanvasAgg(self.fig)
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
        self.free = model.params.committed is not None
        norm = "AB"[model.params.committed["norm"]] if self.free else ""
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
        if self.group_c_lines:  # each group's need for coordination in each generation
            games, index = model.params.group_games(model.n_groups)
            cs = np.array([[gm.c for gm in combo] for combo in games])[index[: limit + 1]]
            for k, line in enumerate(self.group_c_lines):
                line.set_data(np.arange(len(cs)), cs[:, k])
        elif model.params.events:  # the need for coordination of each generation
            games, index = model.params.games()
            cs = np.array([gm.c for gm in games])[index[: limit + 1]]
            self.line_c.set_data(np.arange(len(cs)), cs)
        shocks = [s for s in model.shock_list if s <= limit]
        for s in shocks[self.shocks_drawn :]:
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
    c_now = "" if p.groups is not None else f", c = {model.game.c:g}"  # groups: below
    lines += [
        f"**Generation {model.generation}**",
        f"share of A: {1 - hist:.3f}, share of B: {hist:.3f}",
        f"favoured norm now: **{model.favoured()}** (a = {model.game.a:g}, "
        f"b = {model.game.b:g}{c_now})",
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


def group_markdown(model: VizModel) -> str:
    """The text panel's line on the groups: the split, and each group's size, c in
    play and share of B (the first :data:`MAX_GROUP_LINES` groups)."""
    p, m = model.params, model.n_groups
    games, shares = model.group_games(), model.group_history[-1]
    by = p.groups["by"]
    parts = [
        f"{model.group_names[k]} ({int(model.group_sizes[k])} agents): c = {games[k].c:g}, "
        f"share of B {shares[k]:.3f}"
        for k in range(min(m, MAX_GROUP_LINES))
    ]
    more = (
        f"; and {m - MAX_GROUP_LINES} more groups (the chart shows the first {MAX_GROUP_LINES})"
        if m > MAX_GROUP_LINES
        else ""
    )
    return f"{m} groups ({by}): " + "; ".join(parts) + more


# ------------------------------------------------------------------ components
def markdown_html(text: str) -> str:
    """Markdown (the page's own text: bold, italics, line breaks) as HTML, escaped."""
    import markdown

    out = markdown.markdown(html.escape(text, quote=False))
    return out.replace("<strong>", '<strong style="font-weight: 600">')


@solara.component
def Text(text: str):
    """Markdown text shown as HTML. Not ``solara.Markdown``: that loads KaTeX and
    mermaid from the CDN each time one is mounted, which offline fails (404s in
    the console) and makes the server try to reach the internet."""
    solara.HTML(tag="div", unsafe_innerHTML=markdown_html(text))


@solara.component
def NetworkView(model: VizModel):
    update_counter.get()
    note = network_note(model)
    with solara.Column():
        solara.Image(network_png(model), format="png")
        if note:
            Text(f"*{note}*")


@solara.component
def ChartView(model: VizModel):
    update_counter.get()
    solara.Image(chart_png(model), format="png")


@solara.component
def InfoPanel(model: VizModel):
    update_counter.get()
    Text(info_markdown(model))


# ------------------------------------------------------------------ parameters
#: the environment variable that passes ``normsim viz --data-root`` folders to the page
DATA_ROOTS_ENV = "NORMSIM_VIZ_DATA_ROOTS"


def defaults_from_scenario(path: str | None, data_roots: list | tuple = ()) -> dict:
    """Default widget values from a scenario file (its first condition); its data files
    may also lie in ``data_roots`` (``--data-root``)."""
    d = dict(PAGE_DEFAULTS)
    if not path:
        return d
    from normsim.scenario import EvolvingRates, conditions, load

    cond = conditions(load(path, data_roots=data_roots))[0]
    s = cond.spec
    if s.population.well_mixed:
        from normsim.errors import NormsimError

        raise NormsimError(f"{path}: the visualization needs a network, not well_mixed")
    net = s.population.network.as_dict()
    d.update(
        c=s.game.c,
        a=s.game.a,
        b=s.game.b,
        beta=s.dynamics.selection_strength,
        update=s.dynamics.update,
        protocol=s.dynamics.protocol,
        seed=int(s.seed),
        initial_b=s.population.initial_b,
    )
    ex = s.dynamics.exploration
    if isinstance(ex, EvolvingRates):
        d["evolving"] = True
    else:
        d["exploration"] = float(ex)
    if net["kind"] == "grid" and net.get("rows") == net.get("cols") and net.get("periodic", True):
        d["side"] = net["rows"]
    elif (
        net["kind"] in KINDS
        and net["kind"] != "grid"
        and net == network_spec(net["kind"], nodes=net["n"])
    ):
        d.update(network_kind=net["kind"], nodes=net["n"])
    else:
        d.update(network_kind="scenario network", network_spec_json=json.dumps(net))
    shocks = s.schedule.shock_list()
    if s.schedule.shocks and not isinstance(s.schedule.shocks, list):
        d.update(shocks="periodic", shock_at=shocks[0] if shocks else 75)
    elif shocks:
        d.update(shocks="once", shock_at=shocks[0])
    d["conformity"] = float(s.dynamics.conformity)
    if s.population.committed is not None:
        cm = s.population.committed.as_dict()
        d["committed_norm"] = cm.get("norm", "new")
        placement = cm.get("placement") or ("nodes" if cm.get("nodes") is not None else "random")
        if placement == "nodes":
            d.update(placement=SCENARIO_NODES, committed_nodes_json=json.dumps(cm["nodes"]))
        else:
            frac = cm.get("fraction")
            if frac is None:  # a count: the same number of agents as a fraction
                from normsim.networks import build_graph

                n = build_graph(
                    net, seed=graph_seed(int(s.seed)), base_dir=cond.base_dir
                ).number_of_nodes()
                frac = cm["count"] / n
            d.update(committed=float(frac), placement=placement)
    if s.schedule.events:
        d.update(scenario_events=True, events_json=json.dumps(list(s.schedule.events)))
    d["base_dir"] = str(cond.base_dir)  # relative edge-list and group files are read there
    if s.population.groups is not None:
        groups = s.population.groups.as_dict()
        groups.setdefault("by", DEFAULT_SOURCE.get(net["kind"]))  # the network's own source
        m = scenario_group_count(groups, net, int(s.seed), cond.base_dir)
        cs = groups.get("c") or [s.game.c] * m
        d.update(
            group_split=SCENARIO_GROUPS,
            groups_json=json.dumps(groups),
            group_count=m,
            **{f"group_c{k}": float(cs[k]) for k in range(min(m, MAX_GROUP_SLIDERS))},
        )
    return d


def scenario_group_count(groups: dict, network: dict, seed: int, base_dir=None) -> int:
    """The number of groups of a scenario's ``population.groups`` on its network:
    from the network spec when it says (blocks, cliques, halves), else from the
    groups of the graph the first replicate builds (a file or attribute)."""
    from normsim.groups import check_groups, group_labels, n_groups
    from normsim.networks import build_graph

    spec = check_groups(groups, network, evolving=False)
    if spec["n"] is not None:
        return int(spec["n"])
    graph = build_graph(network, seed=graph_seed(seed), base_dir=base_dir)
    labels = group_labels(spec, network, graph.number_of_nodes(), graph=graph, base_dir=base_dir)
    return n_groups(spec, labels)


def model_params(defaults: dict) -> dict:
    """The page's controls, in Mesa's ``model_params`` format (each with a
    ``section`` heading for ``ParamInputs``), starting at ``defaults``."""
    kinds = list(KINDS) + (["scenario network"] if defaults["network_spec_json"] else [])
    placements = list(PAGE_PLACEMENTS) + (
        [SCENARIO_NODES] if defaults["committed_nodes_json"] else []
    )
    splits = list(GROUP_SPLITS) + ([SCENARIO_GROUPS] if defaults["groups_json"] else [])
    group_sliders = {}  # scenario groups: a c slider for each of the first groups
    if defaults["groups_json"]:
        halves = json.loads(defaults["groups_json"])["by"] == "halves"
        for k in range(min(int(defaults["group_count"]), MAX_GROUP_SLIDERS)):
            name = f"group {k}" + (f" ({('left', 'right')[k]} half)" if halves else "")
            group_sliders[f"group_c{k}"] = {
                "type": "SliderFloat",
                "value": defaults[f"group_c{k}"],
                "min": 0.0,
                "max": 1.0,
                "step": 0.05,
                "label": f"c, {name}",
                "shown_when": ("group_split", SCENARIO_GROUPS),
            }
    out = {
        "c": _slider("c", defaults, section="Game"),
        "exploration": _slider("exploration", defaults),
        "evolving": {
            "type": "Checkbox",
            "value": defaults["evolving"],
            "label": "evolving exploration rates (0 .. 0.5)",
        },
        "beta": _slider("beta", defaults),
        "a": _slider("a", defaults),
        "b": _slider("b", defaults),
        "network_kind": {
            "type": "Select",
            "value": defaults["network_kind"],
            "values": kinds,
            "label": "network",
            "section": "Network and schedule",
        },
        "side": {
            "type": "SliderInt",
            "value": defaults["side"],
            "min": 5,
            "max": 100,
            "step": 1,
            "label": "grid side (grid: side x side torus)",
        },
        "nodes": {
            "type": "SliderInt",
            "value": defaults["nodes"],
            "min": 20,
            "max": 1000,
            "step": 10,
            "label": "nodes (other networks, mean degree 4)",
        },
        "update": {
            "type": "Select",
            "value": defaults["update"],
            "values": list(UPDATE_MODES),
            "label": "update mode",
        },
        "protocol": {
            "type": "Select",
            "value": defaults["protocol"],
            "values": list(protocol_choices()),
            "labels": protocol_choices(),
            "label": "revision protocol",
        },
        "shocks": {
            "type": "Select",
            "value": defaults["shocks"],
            "values": ["once", "periodic"],
            "label": "shocks",
        },
        "shock_at": {
            "type": "SliderInt",
            "value": defaults["shock_at"],
            "min": 1,
            "max": 1000,
            "step": 1,
            "label": "shock generation / period",
        },
        "seed": {
            "type": "SliderInt",
            "value": defaults["seed"],
            "min": 0,
            "max": max(1000, defaults["seed"]),
            "step": 1,
            "label": "seed",
        },
        "committed": {
            "type": "SliderFloat",
            "value": defaults["committed"],
            "min": 0.0,
            "max": max(0.5, defaults["committed"]),
            "step": 0.01,
            "label": "committed fraction",
            "section": "Mechanisms",
        },
        "placement": {
            "type": "Select",
            "value": defaults["placement"],
            "values": placements,
            "label": "committed placement",
        },
        "committed_norm": {
            "type": "Select",
            "value": defaults["committed_norm"],
            "values": ["new", "A", "B"],
            "label": "committed norm (new: the one the first shock favours)",
        },
        "conformity": _slider("conformity", defaults),
        "threat_c": {
            "type": "SliderFloat",
            "value": defaults["threat_c"],
            "min": 0.0,
            "max": 1.0,
            "step": 0.05,
            "label": "threat: c during the threat",
        },
        "threat_start": {
            "type": "SliderInt",
            "value": defaults["threat_start"],
            "min": 0,
            "max": 1000,
            "step": 1,
            "label": "threat: starts after generation",
        },
        "threat_length": {
            "type": "SliderInt",
            "value": defaults["threat_length"],
            "min": 0,
            "max": 1000,
            "step": 1,
            "label": "threat: lasts (generations, 0: no threat)",
        },
        "group_split": {
            "type": "Select",
            "value": defaults["group_split"],
            "values": splits,
            "label": "groups",
            "section": "Groups",
        },
        "c_left": {
            "type": "SliderFloat",
            "value": defaults["c_left"],
            "min": 0.0,
            "max": 1.0,
            "step": 0.05,
            "label": "c, left half",
            "shown_when": ("group_split", "halves"),
        },
        "c_right": {
            "type": "SliderFloat",
            "value": defaults["c_right"],
            "min": 0.0,
            "max": 1.0,
            "step": 0.05,
            "label": "c, right half",
            "shown_when": ("group_split", "halves"),
        },
        **group_sliders,
        "groups_json": defaults["groups_json"],
        "group_count": defaults["group_count"],
        "base_dir": defaults["base_dir"],
        "initial_b": defaults["initial_b"],
        "network_spec_json": defaults["network_spec_json"],
        "events_json": defaults["events_json"],
        "committed_nodes_json": defaults["committed_nodes_json"],
        "scenario_events": defaults["scenario_events"],
    }
    if defaults["events_json"]:
        n = len(json.loads(defaults["events_json"]))
        out["scenario_events"] = {
            "type": "Checkbox",
            "value": defaults["scenario_events"],
            "label": f"the scenario's game events ({n})",
        }
    return out


# ------------------------------------------------------------------ the page
def slider_label(label: str, value: float, step: float) -> str:
    """A slider's label with its current value, to the slider's precision."""
    text = f"{step:g}"
    places = len(text.split(".")[1]) if "." in text and "e" not in text else 0
    return f"{label}: {float(value):.{places}f}"


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


@solara.component
def ParamInputs(user_params: dict, model_parameters: solara.Reactive[dict]):
    """The model's controls (Mesa's ``ModelCreator``, with each slider showing its value
    in its label and a heading before each ``section``).

    Fixed (non-dict) entries are passed to the model as they are. A ``Select`` with
    ``labels`` (a mapping of its values to what the menu shows) passes the value of
    the label chosen. A control with
    ``shown_when: (other, value)`` is shown only while control ``other`` has that
    value (its value is passed to the model either way)."""
    adjustable = {k: v for k, v in user_params.items() if isinstance(v, dict)}
    fixed = {k: v for k, v in user_params.items() if not isinstance(v, dict)}
    start = {**fixed, **{k: v["value"] for k, v in adjustable.items()}}
    solara.use_effect(lambda: model_parameters.set(dict(start)), [])
    current = {**start, **model_parameters.value}

    for name, opt in adjustable.items():

        def on_value(value: Any, name: str = name) -> None:
            model_parameters.value = {**model_parameters.value, name: value}

        if "shown_when" in opt:  # a control that matters for one value of another only
            other, wanted = opt["shown_when"]
            if current[other] != wanted:
                continue

        if "section" in opt:
            Text(f"**{opt['section']}**")
        kind, value = opt["type"], current[name]
        if kind in ("SliderInt", "SliderFloat"):
            cls = solara.SliderInt if kind == "SliderInt" else solara.SliderFloat
            cls(
                slider_label(opt["label"], value, opt["step"]),
                value=value,
                on_value=on_value,
                min=opt["min"],
                max=opt["max"],
                step=opt["step"],
            )
        elif kind == "Select" and "labels" in opt:  # shown by label, passed by value
            shown = opt["labels"]

            def on_label(label: str, on_value=on_value, shown=shown) -> None:
                on_value(next(v for v, text in shown.items() if text == label))

            solara.Select(
                opt["label"],
                value=shown[value],
                values=[shown[v] for v in opt["values"]],
                on_value=on_label,
            )
        elif kind == "Select":
            solara.Select(opt["label"], value=value, values=opt["values"], on_value=on_value)
        elif kind == "Checkbox":
            solara.Checkbox(label=opt["label"], value=value, on_value=on_value)
        else:
            raise ValueError(f"{kind} is not a supported input type")


@solara.component
def MainView(model: VizModel):
    """The one named tab: network, chart and state side by side."""
    with solara.v.Tabs(v_model=0):
        solara.v.Tab(children=[view_title(model)])
    with solara.v.Window(v_model=0):
        with solara.v.WindowItem():
            with solara.Columns([1, 1]):
                NetworkView(model)
                with solara.Column():
                    ChartView(model)
                    InfoPanel(model)


#: a slider's label (with its value) on a line of its own above the slider, so long
#: labels do not squeeze the slider (Vuetify 2 puts them side by side)
SLIDER_CSS = """
.v-input__slider .v-input__slot { flex-wrap: wrap; }
.v-input__slider .v-input__slot > .v-label { flex: 0 0 100%; max-width: 100%; }
"""


@solara.component
def NormsimViz(
    model: VizModel | solara.Reactive,
    user_params: dict,
    play_interval: int = 150,
    render_interval: int = 1,
):
    """The page: SolaraViz's layout (controls in the sidebar, views in the main
    area) with Mesa's model controller, sliders that show their values, and a
    title and tab named for what the page shows."""
    if not isinstance(model, solara.Reactive):
        model = solara.use_reactive(model)  # noqa: SH102
    parameters = solara.use_reactive({})
    play = solara.use_reactive(play_interval)
    render = solara.use_reactive(render_interval)
    threads = solara.use_reactive(False)
    title = page_title(model.value)
    solara.Title(title)
    solara.Style(SLIDER_CSS)
    with solara.AppBar():
        solara.AppBarTitle(title)
    with solara.Sidebar(), solara.Column():
        with solara.Card("Controls"):
            solara.SliderInt(
                f"Play interval (ms): {play.value}", value=play, min=50, max=1000, step=10
            )
            solara.SliderInt(
                f"Render interval (steps): {render.value}", value=render, min=1, max=100, step=1
            )
            ModelController(
                model,
                model_parameters=parameters,
                play_interval=play,
                render_interval=render,
                use_threads=threads,
            )
        with solara.Card("Model parameters"):
            ParamInputs(user_params, parameters)
        with solara.Card("Information"):
            ShowSteps(model.value)
    MainView(model.value)


_defaults = defaults_from_scenario(
    os.environ.get("NORMSIM_VIZ_SCENARIO"),
    [r for r in os.environ.get(DATA_ROOTS_ENV, "").split(os.pathsep) if r],
)
model = VizModel(**_defaults)
page = NormsimViz(model, model_params(_defaults), play_interval=150)
