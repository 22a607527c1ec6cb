"""The browser page's controls, in Mesa's ``model_params`` format: :func:`model_params`
builds them from the page's initial values (the sliders of model parameters take their
ranges, steps and labels from :mod:`normsim.parameters`);
:func:`slider_label` is a slider's label with its value. The component that shows
them is ``ParamInputs`` in :mod:`normsim.viz.components`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from normsim.parameters import PARAMETERS
from normsim.params import UPDATE_MODES
from normsim.protocols import NORMALISATIONS, PAYOFFS
from normsim.viz.params import (
    GROUP_SPLITS,
    KINDS,
    MATRIX_GAME,
    MAX_GROUP_SLIDERS,
    PAGE_PLACEMENTS,
    SCENARIO_GROUPS,
    SCENARIO_NODES,
    game_choices,
    protocol_choices,
)

#: the ``shown_when`` of the sliders a, b and c, shown only while the game menu has the
#: (a, b, c) coordination game
ABC_GAME = ("game", "coordination")


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
        "game": {
            "type": "Select",
            "value": defaults["game"],
            "values": list(game_choices()),
            "labels": game_choices(),
            "label": "game",
            "section": "Game",
        },
        **{
            name: {
                "type": "InputFloat",
                "value": defaults[name],
                "label": label,
                "shown_when": ("game", MATRIX_GAME),
            }
            for name, label in (
                ("R", "R: A's payoff against A"),
                ("S", "S: A's payoff against B"),
                ("T", "T: B's payoff against A"),
                ("P", "P: B's payoff against B"),
            )
        },
        "c": _slider("c", defaults, shown_when=ABC_GAME),
        "exploration": _slider("exploration", defaults),
        "evolving": {
            "type": "Checkbox",
            "value": defaults["evolving"],
            "label": "evolving exploration rates (0 .. 0.5)",
        },
        "beta": _slider("beta", defaults),
        "a": _slider("a", defaults, shown_when=ABC_GAME),
        "b": _slider("b", defaults, shown_when=ABC_GAME),
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
        "payoffs": {
            "type": "Select",
            "value": defaults["payoffs"],
            "values": list(PAYOFFS),
            "label": "payoffs compared",
        },
        "normalisation": {
            "type": "Select",
            "value": defaults["normalisation"],
            "values": list(NORMALISATIONS),
            "label": "payoff normalisation",
        },
        "selection_intensity": _slider("selection_intensity", defaults),
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
        "initial_json": defaults["initial_json"],
        "scenario_initial": defaults["scenario_initial"],
    }
    if defaults["initial_json"]:
        kind = next(iter(json.loads(defaults["initial_json"])))
        out["scenario_initial"] = {
            "type": "Checkbox",
            "value": defaults["scenario_initial"],
            "label": f"the scenario's initial configuration ({kind}; off: random share of B)",
            "section": "Initial configuration",
        }
    if defaults["events_json"]:
        n = len(json.loads(defaults["events_json"]))
        out["scenario_events"] = {
            "type": "Checkbox",
            "value": defaults["scenario_events"],
            "label": f"the scenario's game events ({n})",
        }
    return out


def slider_label(label: str, value: float, step: float) -> str:
    """A slider's label with its current value, to the slider's precision."""
    text = f"{step:g}"
    places = len(text.split(".")[1]) if "." in text and "e" not in text else 0
    return f"{label}: {float(value):.{places}f}"
