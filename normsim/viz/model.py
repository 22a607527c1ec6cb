"""The browser page's model: :class:`VizModel`, the Mesa model with the page's flat
parameters and the history of shares the page draws."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from normsim.errors import NormsimError
from normsim.model import NormChangeModel
from normsim.params import ModelParams, check_matrix_payoffs
from normsim.protocols import check_payoffs as check_protocol_payoffs
from normsim.protocols import resolve as resolve_protocol
from normsim.viz.params import (
    HORIZON,
    PAGE_DEFAULTS,
    RATES,
    network_spec,
    page_committed,
    page_events,
    page_groups,
    page_initial,
    page_matrix,
)

_P = PAGE_DEFAULTS


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
        game: str = _P["game"],
        R: float = _P["R"],
        S: float = _P["S"],
        T: float = _P["T"],
        P: float = _P["P"],
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
        payoffs: str = _P["payoffs"],
        normalisation: str = _P["normalisation"],
        selection_intensity: float = _P["selection_intensity"],
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
        initial_json: str = _P["initial_json"],
        scenario_initial: bool = _P["scenario_initial"],
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
        plain: dict[str, Any] = dict(
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
        try:  # the game menu: the (a, b, c) game, a matrix preset or the R, S, T, P inputs
            matrix = page_matrix(game, R, S, T, P)
            if matrix is not None:
                check_matrix_payoffs(matrix[0] + matrix[1])
                plain["matrix"] = matrix
        except NormsimError as e:
            self.problem = str(e)
        try:  # a protocol that does not support the update mode: say so, do not run
            chosen = resolve_protocol(protocol, update, where="protocol")
            check_protocol_payoffs(chosen, payoffs, normalisation, where="")
            plain.update(
                protocol=chosen.name,
                payoffs=payoffs,
                normalisation=normalisation,
                selection_intensity=float(selection_intensity),
            )
        except NormsimError as e:
            self.problem = str(e).lstrip(".")
        self.threat = None
        #: the scenario's events in ``params.events`` (the threat's follow them)
        self.scenario_event_count = 0
        #: the groups' names, one per group (empty without groups)
        self.group_names: list[str] = []
        sliders = tuple(x for x in (group_c0, group_c1, group_c2, group_c3) if x is not None)
        try:
            groups: Mapping[str, Any] | None = page_groups(
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
                initial=page_initial(initial_json, bool(scenario_initial)),
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
        except NormsimError as e:  # groups that do not fit the graph, an initial configuration
            if params.groups is None and params.initial is None:  # that does not (snapshot)
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
        """Whether committed agents, conformity, game events, groups or an initial
        configuration are in play."""
        p = self.params
        return (
            p.committed is not None
            or p.conformity > 0
            or bool(p.events)
            or p.groups is not None
            or p.initial is not None
        )

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
        """The norm that pays more in the next generation when both coordinate on it
        (the payoff-dominant norm: a > b, or R > P in a matrix game)."""
        norm = self.game.favoured_norm()
        return "neither" if norm is None else "AB"[norm]


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
