"""The browser page's parameters: their initial values, and what they mean to the model.

:data:`PAGE_DEFAULTS` holds the page's initial values (the model's defaults and the
page's own), :func:`defaults_from_scenario` reads them from a scenario file instead.
The page's flat parameters become model specs here: :func:`page_matrix` (the game:
the (a, b, c) game, a matrix preset or the R, S, T, P inputs), :func:`network_spec`
(a network kind and size), :func:`page_initial` (the scenario's initial
configuration), :func:`page_committed` (the committed minority),
:func:`page_groups` (the group split) and :func:`page_events` (the scenario's game
events and the threat); :func:`protocol_choices` lists the revision protocols the
page offers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from normsim.draws import graph_seed
from normsim.errors import NormsimError
from normsim.game import PRESETS, CoordinationGame, check_matrix
from normsim.groups import DEFAULT_SOURCE
from normsim.mechanisms import PLACEMENTS
from normsim.params import DEFAULTS, ModelParams
from normsim.protocols import PROTOCOLS

#: the page's games, the (a, b, c) coordination game (sliders a, b, c), each matrix
#: preset of :data:`normsim.game.PRESETS`, and a matrix game of the R, S, T, P inputs
MATRIX_GAME = "matrix"
GAMES = (*PRESETS, MATRIX_GAME)
#: the stag hunt: the matrix inputs' initial entries when the scenario gives none
_STAG = PRESETS["stag_hunt"] or {}
KINDS = ("grid", "watts_strogatz", "erdos_renyi", "barabasi_albert", "random_regular")
RATES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
#: generations; the page runs until the user stops it or this generation is reached
#: (game events are laid out per generation up to here, about 0.1 s per Reset)
HORIZON = 100_000
#: the committed placements the page offers (``nodes`` only from a scenario)
PAGE_PLACEMENTS = tuple(p for p in PLACEMENTS if p != "nodes")
SCENARIO_NODES = "nodes (scenario)"
#: the group splits the page offers, none, the grid's left and right halves, and
#: the groups of the scenario the page was opened with (only then)
GROUP_SPLITS = ("none", "halves")
SCENARIO_GROUPS = "scenario groups"
#: scenario groups with a c slider, the first this many groups (the others keep
#: the scenario's c, or follow the c slider when the scenario gives no per-group c)
MAX_GROUP_SLIDERS = 4

#: the page's initial values, the model's from normsim.params.DEFAULTS, and the
#: page's own (graph size for non-grid kinds, when to shock, the seed, the threat)
PAGE_DEFAULTS = {
    "game": "coordination",
    **{name: _STAG[name] for name in ("R", "S", "T", "P")},
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
    "payoffs": DEFAULTS.payoffs,
    "normalisation": DEFAULTS.normalisation,
    "selection_intensity": DEFAULTS.selection_intensity,
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
    "initial_json": "",
    "scenario_initial": False,
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


def protocol_choices() -> dict[str, str]:
    """The page's revision protocols: each registered protocol's name and its label on
    the page (:data:`normsim.protocols.PROTOCOLS`, in registry order).

    >>> protocol_choices()["fermi"]
    'Fermi imitation'
    """
    return {name: p.label for name, p in PROTOCOLS.items()}


def game_choices() -> dict[str, str]:
    """The page's games and their labels in the game menu: the (a, b, c) game, each
    matrix preset (with its entries) and the matrix of the R, S, T, P inputs.

    >>> game_choices()["stag_hunt"]
    'stag_hunt: R, S, T, P = 4, 0, 3, 2'
    """
    out = {}
    for name, table in PRESETS.items():
        if table is None:
            out[name] = "(a, b, c) coordination game"
        else:
            entries = ", ".join(f"{table[k]:g}" for k in ("R", "S", "T", "P"))
            out[name] = f"{name}: R, S, T, P = {entries}"
    out[MATRIX_GAME] = "matrix game: R, S, T, P below"
    return out


def page_matrix(
    game: str, R: float = _P["R"], S: float = _P["S"], T: float = _P["T"], P: float = _P["P"]
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The ``matrix`` of :class:`~normsim.params.ModelParams` for the page's game menu:
    None for the (a, b, c) game, a preset's matrix, or ``[[R, S], [T, P]]`` of the
    inputs for :data:`MATRIX_GAME` (a one-line :class:`~normsim.errors.NormsimError` for
    an entry that is not a finite number or an unknown game).

    >>> page_matrix("stag_hunt")
    ((4.0, 0.0), (3.0, 2.0))
    >>> page_matrix("matrix", 1, 0, 0, 2)
    ((1.0, 0.0), (0.0, 2.0))
    """
    if game == MATRIX_GAME:
        r, s, t, p = check_matrix([[R, S], [T, P]], "game.matrix")
    elif game in PRESETS:
        table = PRESETS[game]
        if table is None:
            return None
        r, s, t, p = (float(table[k]) for k in ("R", "S", "T", "P"))
    else:
        raise NormsimError(f"game: {game!r} is not one of {', '.join(GAMES)}")
    return ((r, s), (t, p))


def page_initial(initial_json: str, use: bool) -> dict | None:
    """The ``population.initial`` of the page: the scenario's initial configuration
    (``initial_json``, as the scenario gives it: nodes, block, ball or snapshot) when
    ``use`` is set and there is one, else None (a random share ``initial_b`` of B)."""
    return json.loads(initial_json) if use and initial_json else None


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
    groups: Mapping[str, Any] | None = None,
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
            games = ModelParams(
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
                    {
                        "at": start + length,
                        "group": k,
                        "game": {"c": float(cast(CoordinationGame, g).c)},
                    }
                    for k, g in enumerate(games)
                ]
            )
        before = c
        if events:  # the c in force in the last generation before the threat
            before = cast(
                CoordinationGame,
                ModelParams(c=c, generations=HORIZON, events=tuple(events)).game_at(start),
            ).c
        events += [threat, {"at": start + length, "game": {"c": float(before)}}]
    return tuple(events)


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
    network = s.population.network
    if s.population.well_mixed or network is None:
        raise NormsimError(f"{path}: the visualization needs a network, not well_mixed")
    net = network.as_dict()
    if s.game.matrix is not None:  # a preset with its own entries, or the matrix inputs
        (r, s_), (t, p_) = s.game.matrix
        entries = {"R": float(r), "S": float(s_), "T": float(t), "P": float(p_)}
        preset = next((k for k, v in PRESETS.items() if v == entries), None)
        d.update(game=preset or MATRIX_GAME, **entries)
    else:
        d.update(game="coordination", c=s.game.c, a=s.game.a, b=s.game.b)
    d.update(
        beta=s.dynamics.selection_strength,
        update=s.dynamics.update,
        protocol=s.dynamics.protocol,
        payoffs=s.dynamics.payoffs,
        normalisation=s.dynamics.normalisation,
        selection_intensity=s.dynamics.selection_intensity,
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
    if s.population.initial is not None:
        d.update(scenario_initial=True, initial_json=json.dumps(s.population.initial.as_dict()))
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
    assert spec is not None  # groups were given
    if spec["n"] is not None:
        return int(spec["n"])
    graph = build_graph(network, seed=graph_seed(seed), base_dir=base_dir)
    labels = group_labels(spec, network, graph.number_of_nodes(), graph=graph, base_dir=base_dir)
    return n_groups(spec, labels)
