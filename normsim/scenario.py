"""Scenario files: YAML schema, validation with clear messages, sweep expansion.

A scenario describes one experiment (the documentation's "Scenario files"
page, docs/guide/scenarios.md, lists every field; its reference is generated
from the models below and their field docstrings). Loading one gives a
:class:`Scenario`; :func:`conditions` expands its sweep into the full
factorial of :class:`Condition` objects, each a resolved model with a content
hash that identifies its stored results.

Every error is a :class:`normsim.errors.NormsimError` whose message names the
file, the line where YAML gives one, the dotted path of the field, what was
wrong and what is allowed, e.g.
``quick.yaml:5: game.c: 1.5 is outside [0, 1]``.
"""

from __future__ import annotations

import copy
import difflib
import functools
import hashlib
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from normsim.datafiles import check_special
from normsim.design import DesignSpec, check_design
from normsim.draws import CONFORMITY_DRAWS, DRAW_SCHEDULE
from normsim.errors import NormsimError, check_number, excerpt
from normsim.game import CoordinationGame
from normsim.groups import check_groups
from normsim.mechanisms import check_committed, committed_count
from normsim.networks import COMMON, GENERATORS, KINDS
from normsim.parameters import PARAMETERS as _P
from normsim.parameters import UNLESS_DEFAULT
from normsim.params import (
    DEFAULTS,
    UPDATE_MODES,
    ModelParams,
    PayoffError,
    check_events,
    check_payoffs,
    expand_shocks,
)
from normsim.protocols import resolve as resolve_protocol
from normsim.yamlsafe import load_value, read_text
from normsim.yamlsafe import parse as parse_yaml


class _Strict(BaseModel):
    # the docstring under each field is its description in the documentation
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


Number = Annotated[float, Field(strict=True)]


def _field(name: str) -> Any:
    """A schema field of the model parameter ``name``: its default and its documentation
    with the allowed range, from :data:`normsim.parameters.PARAMETERS`."""
    return Field(_P[name].default, description=_P[name].description)


class GameSpec(_Strict):
    """``game``: payoffs at generation 0 and the need for coordination."""

    # each field's default, range and documentation: normsim.parameters
    a: Number = _field("a")
    b: Number = _field("b")
    c: Number = _field("c")

    @field_validator("a", "b", "c", mode="before")
    @classmethod
    def _checked(cls, v, info):
        return _P[info.field_name].check(v, "")

    def game(self) -> CoordinationGame:
        """This section as a :class:`normsim.game.CoordinationGame`."""
        return CoordinationGame(self.a, self.b, self.c)


class NetworkSpec(BaseModel):
    """``population.network``: a networkx kind and its parameters."""

    model_config = ConfigDict(extra="allow", use_attribute_docstrings=True)
    kind: str
    """The kind of graph; each kind takes its own parameters (below), plus
    ``largest_component``."""

    @model_validator(mode="after")
    def _params(self):
        if self.kind not in KINDS:
            raise ValueError(_not_one_of(self.kind, list(KINDS), "kind"))
        extra = dict(self.model_extra or {})
        allowed = {**KINDS[self.kind], **COMMON}
        for key, val in extra.items():
            if key not in allowed:
                raise ValueError(
                    f"{key}: not a parameter of {self.kind}"
                    f"{_did_you_mean(key, allowed)} (allowed: {', '.join(allowed)})"
                )
            typ = allowed[key][0]
            if typ is int and (isinstance(val, bool) or not isinstance(val, int)):
                raise ValueError(f"{key}: {excerpt(val)} is not an integer")
            if typ is float and (isinstance(val, bool) or not isinstance(val, (int, float))):
                raise ValueError(f"{key}: {excerpt(val)} is not a number")
            if typ is bool and not isinstance(val, bool):
                raise ValueError(f"{key}: {excerpt(val)} is not true or false")
            if typ is str and not isinstance(val, str):
                raise ValueError(f"{key}: {excerpt(val)} is not a text")
            if typ is list and not isinstance(val, list):
                raise ValueError(f"{key}: {excerpt(val)} is not a list")
            if typ is int and val < 1:
                raise ValueError(f"{key}: {val} must be >= 1")
            if key == "generator" and val not in GENERATORS:
                raise ValueError(f"{key}: {_not_one_of(val, list(GENERATORS))}")
        for key, (_, required) in KINDS[self.kind].items():
            if required and key not in extra:
                raise ValueError(f"{key}: required for kind {self.kind}")
        return self

    def as_dict(self) -> dict:
        """The spec as a plain dict (``kind`` and its parameters), as :mod:`normsim.networks` takes
        it."""
        return {"kind": self.kind, **(self.model_extra or {})}


class CommittedSpec(_Strict):
    """``population.committed``: agents that hold one norm for the whole run
    (:mod:`normsim.mechanisms`)."""

    fraction: Number | None = None
    """The committed share of the population (rounded to a whole number of agents;
    give ``fraction`` or ``count``, not both). Allowed: [0, 1]."""
    count: StrictInt | None = None
    """The number of committed agents, at most the population. Allowed: integer >= 0."""
    norm: str = "new"
    """The norm they hold: ``A``, ``B``, or ``new`` (the norm the first shock favours)."""
    placement: str | None = None
    """Where they sit: ``random``, ``hubs`` (the highest degrees, ties broken by the
    seed), ``cluster`` (a connected ball around a random node) or ``nodes`` (the list
    in ``nodes``; the default when ``nodes`` is given, else ``random``)."""
    nodes: list[StrictInt] | None = None
    """Node ids 0..N-1 of the committed agents (a grid's nodes row-major)."""

    @model_validator(mode="after")
    def _check(self):
        try:  # the payoffs only matter for norm 'new' with a = b (Scenario checks that)
            check_committed(self.model_dump(exclude_none=True), 1.0, 0.0)
        except NormsimError as e:
            raise ValueError(
                str(e).removeprefix("population.committed").lstrip(".:").lstrip()
            ) from None
        return self

    def as_dict(self) -> dict:
        """The fields that were given, as :class:`normsim.params.ModelParams` takes them."""
        return self.model_dump(exclude_none=True)


class GroupsSpec(_Strict):
    """``population.groups``: groups with their own c, exploration rate and initial
    share of B (:mod:`normsim.groups`)."""

    by: str | None = None
    """Where the groups come from: ``blocks`` (an ``sbm`` network's blocks), ``cliques``
    (a ``connected_caveman`` graph's cliques), ``halves`` (a grid's left and right
    halves) or ``attribute`` (a node attribute); the default follows the network."""
    c: list[Any] | None = None
    """Each group's need for coordination c, one value per group in [0, 1] (default:
    the scenario's c for every group)."""
    exploration: list[Any] | None = None
    """Each group's fixed exploration rate, one value per group in [0, 1] (default: the
    scenario's rate; refused with evolving rates)."""
    initial_b: list[Any] | None = None
    """Each group's probability of starting with norm B, one value per group in [0, 1]
    (default: the scenario's ``initial_b``)."""
    attribute: str | None = None
    """With ``by: attribute``: the integer node attribute (0..M-1) of a networkx graph
    given in Python that names each node's group."""
    file: str | None = None
    """With ``by: attribute`` on an edge-list network: a file of ``node group`` lines
    (relative to the scenario; ``#`` comments)."""

    @model_validator(mode="after")
    def _check(self):
        try:  # the values alone; the network is checked with the conditions (_check_network)
            check_groups(self.as_dict(), None, evolving=False)
        except NormsimError as e:
            raise ValueError(
                str(e).removeprefix("population.groups").lstrip(".:").lstrip()
            ) from None
        return self

    def as_dict(self) -> dict:
        """The fields that were given, as :class:`normsim.params.ModelParams` takes them."""
        return self.model_dump(exclude_none=True)


class PopulationSpec(_Strict):
    """``population``: a network, or ``well_mixed: true`` for the ODE."""

    network: NetworkSpec | None = None
    """The graph the agents sit on, one agent per node (default: the paper's 50 x 50
    torus, when ``well_mixed`` is not set)."""
    well_mixed: StrictBool = False
    """``true``: an infinite well-mixed population, solved as the replicator(-mutator)
    ODE instead of simulated; then give no ``network``."""
    initial_b: Number = _field("initial_b")
    committed: CommittedSpec | None = None
    """Committed agents: a minority that holds one norm for the whole run (see
    ``population.committed.*``); none by default."""
    groups: GroupsSpec | None = None
    """Groups with their own tightness: where they come from (``by``) and per-group
    ``c``, ``exploration`` and ``initial_b`` (see ``population.groups.*``); none by
    default."""

    @model_validator(mode="after")
    def _groups(self):
        if self.groups is not None and self.well_mixed:
            raise ValueError("groups: groups need a network (the well-mixed ODE has none)")
        return self

    @field_validator("initial_b", mode="before")
    @classmethod
    def _ib(cls, v):
        return _P["initial_b"].check(v, "")

    @model_validator(mode="after")
    def _one(self):
        if self.well_mixed and self.network is not None:
            raise ValueError("give either network or well_mixed: true, not both")
        if not self.well_mixed and self.network is None:
            self.network = NetworkSpec(**DEFAULTS.network)
        return self


class EvolvingRates(_Strict):
    """``dynamics.exploration`` as evolving rates (docs/model/odd.md, 7.5)."""

    rates: list[Number] = Field(
        description=f"{_P['rates'].doc} Allowed: a non-empty list of numbers in "
        f"{_P['rates'].allowed}."
    )
    rate_mutation: Number = _field("rate_mutation")

    @field_validator("rates", mode="before")
    @classmethod
    def _rates(cls, v):
        if not isinstance(v, list) or not v:
            raise ValueError(
                f"{excerpt(v)} must be a non-empty list of rates in {_P['rates'].allowed}"
            )
        return [_P["rates"].check(x, "") for x in v]

    @field_validator("rate_mutation", mode="before")
    @classmethod
    def _rm(cls, v):
        return _P["rate_mutation"].check(v, "")


class DynamicsSpec(_Strict):
    """``dynamics``: update mode, selection strength, exploration."""

    update: str = _field("update")
    selection_strength: Number = _field("beta")
    exploration: Number | EvolvingRates = _field("exploration")
    conformity: Number = _field("conformity")
    protocol: str | dict = _field("protocol")

    @field_validator("protocol", mode="before")
    @classmethod
    def _protocol(cls, v):
        try:
            return resolve_protocol(v, where="").name
        except NormsimError as e:
            raise ValueError(str(e)) from None

    @model_validator(mode="after")
    def _protocol_order(self):
        try:
            resolve_protocol(self.protocol, self.update, where="protocol")
        except NormsimError as e:
            raise ValueError(str(e)) from None
        return self

    @field_validator("conformity", mode="before")
    @classmethod
    def _gamma(cls, v):
        return _P["conformity"].check(v, "")

    @field_validator("update", mode="before")
    @classmethod
    def _update(cls, v):
        if v not in UPDATE_MODES:
            raise ValueError(_not_one_of(v, list(UPDATE_MODES)))
        return v

    @field_validator("selection_strength", mode="before")
    @classmethod
    def _beta(cls, v):
        return _P["beta"].check(v, "")

    @field_validator("exploration", mode="before")
    @classmethod
    def _expl(cls, v):
        if isinstance(v, dict):
            return v
        return check_number("", v, low=0.0, high=1.0)


class Every(_Strict):
    """``schedule.shocks: {every: T}``: a shock every T generations."""

    every: StrictInt = Field(ge=1)
    """The period T: shocks after generations T, 2T, ... below ``generations``.
    Allowed: integer >= 1."""


def _at_least_1(v: int) -> int:
    if v < 1:
        raise ValueError(f"{v} must be >= 1")
    return v


class ScheduleSpec(_Strict):
    """``schedule``: generations (ODE: time units), shocks and game events."""

    generations: StrictInt = _field("generations")
    shocks: list[StrictInt] | Every = Field(default_factory=list)
    """Generations s after which a and b swap (generation s + 1 is the first played
    under the new payoffs): a list, or ``{every: T}``. Allowed: each in 1..G-1, no
    repeats."""
    events: list[Any] = Field(default_factory=list)
    """Game events: ``{at: G, game: {a, b, c}}`` sets values from generation G + 1 on;
    ``{from: G1, to: G2, game: {...}}`` ramps them linearly, reaching them at G2.
    With ``population.groups``, ``group: k`` limits an event or a ramp to group k
    (any of a, b, c). Each generation lies in 0..G-1, the keys are a, b and c, k is
    a group number, and a ramp ends after it starts."""

    @field_validator("generations")
    @classmethod
    def _g(cls, v):
        return _at_least_1(v)

    @model_validator(mode="after")
    def _shocks(self):
        raw = {"every": self.shocks.every} if isinstance(self.shocks, Every) else self.shocks
        try:
            expand_shocks(raw, self.generations)
            check_events(self.events, self.generations)
        except NormsimError as e:
            raise ValueError(str(e).removeprefix("schedule.")) from None
        return self

    def shock_list(self) -> tuple[int, ...]:
        """The shock generations, sorted (``every: T`` expanded)."""
        raw = {"every": self.shocks.every} if isinstance(self.shocks, Every) else self.shocks
        return expand_shocks(raw, self.generations)


class OutputSpec(_Strict):
    """``output``: where results go, and the generations whose full state is kept."""

    dir: str | None = None
    """Results directory (store, plots), relative to the working directory;
    default ``results/NAME``. ``--out`` overrides it."""
    snapshots: list[StrictInt] = Field(default_factory=list)
    """Generations at which every agent's norm (and rate) is stored, for every
    replicate."""


class Scenario(_Strict):
    """A whole scenario file."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    """The scenario's name: it names the default results directory and is stored with
    every replicate. Allowed: letters, digits, '-' and '_'."""
    description: str = ""
    """Free text about the experiment (``normsim example`` shows it)."""
    game: GameSpec = Field(default_factory=GameSpec)
    """The coordination game."""
    population: PopulationSpec = Field(default_factory=PopulationSpec)
    """Who plays: agents on a network, or a well-mixed infinite population."""
    dynamics: DynamicsSpec = Field(default_factory=DynamicsSpec)
    """How agents learn: update mode, selection strength, exploration."""
    schedule: ScheduleSpec = Field(default_factory=ScheduleSpec)
    """How long a run lasts and when the shocks come."""
    runs: StrictInt = 100
    """Replicates per condition (a well-mixed condition runs once: the ODE is
    deterministic). Allowed: integer >= 1."""
    seed: StrictInt = 2017
    """Root seed: replicate i gets the seed ``replicate_seed(seed, i)`` in every
    condition. Allowed: integer in [0, 2**63)."""
    sweep: dict[str, list[Any]] = Field(default_factory=dict)
    """A full factorial study: dotted paths of fields (``game.c``,
    ``population.network.rows``, ...) mapped to lists of values; every combination is
    one condition. ``name``, ``description``, ``runs``, ``seed``, ``output`` and
    ``sweep`` cannot be swept."""
    design: DesignSpec | None = None  # a sampling design (normsim.design)
    """A sampling design instead of a sweep (Sobol', Morris or Latin hypercube over
    bounds of fields): every design point is one condition."""
    output: OutputSpec = Field(default_factory=OutputSpec)
    """Where the results go."""

    @field_validator("runs")
    @classmethod
    def _runs(cls, v):
        return _at_least_1(v)

    @field_validator("seed")
    @classmethod
    def _seed(cls, v):
        if v < 0 or v >= 2**63:
            raise ValueError(f"{v} must be a non-negative integer below 2**63")
        return v

    def model_params(self) -> ModelParams:
        """The agent-based model this scenario describes (its sweep not applied)."""
        s = self
        ex = s.dynamics.exploration
        evolving = isinstance(ex, EvolvingRates)
        return ModelParams(
            a=s.game.a,
            b=s.game.b,
            c=s.game.c,
            network=s.population.network.as_dict() if s.population.network else {},
            initial_b=s.population.initial_b,
            update=s.dynamics.update,
            beta=s.dynamics.selection_strength,
            exploration=0.0 if evolving else float(ex),
            rates=tuple(ex.rates) if evolving else None,
            rate_mutation=ex.rate_mutation if evolving else DEFAULTS.rate_mutation,
            generations=s.schedule.generations,
            shocks=s.schedule.shock_list(),
            committed=(
                s.population.committed.as_dict() if s.population.committed is not None else None
            ),
            conformity=s.dynamics.conformity,
            protocol=s.dynamics.protocol,
            events=tuple(s.schedule.events),
            groups=s.population.groups.as_dict() if s.population.groups is not None else None,
        )

    @model_validator(mode="after")
    def _well_mixed_rates(self):
        if self.population.well_mixed and isinstance(self.dynamics.exploration, EvolvingRates):
            raise ValueError(
                "dynamics.exploration: evolving rates need a network "
                "(the well-mixed ODE takes one fixed rate)"
            )
        if self.population.well_mixed and self.population.committed is not None:
            raise ValueError(
                "population.committed: committed agents need a network "
                "(the well-mixed ODE has none)"
            )
        if self.population.well_mixed and self.schedule.events:
            raise ValueError(
                "schedule.events: game events need a network "
                "(the well-mixed ODE follows the shocks only)"
            )
        if self.population.well_mixed and self.dynamics.conformity > 0:
            raise ValueError(
                "dynamics.conformity: conformity needs a network (the well-mixed ODE has none)"
            )
        if self.population.well_mixed and self.dynamics.protocol != DEFAULTS.protocol:
            raise ValueError(
                f"dynamics.protocol: {self.dynamics.protocol} needs a network "
                "(the well-mixed ODE is that of Fermi imitation)"
            )
        gr = self.population.groups
        for k, ev in enumerate(self.schedule.events):
            if gr is None and isinstance(ev, dict) and "group" in ev:
                raise ValueError(
                    f"schedule.events[{k}].group: an event for one group needs population.groups"
                )
        if (
            gr is not None
            and gr.exploration is not None
            and isinstance(self.dynamics.exploration, EvolvingRates)
        ):
            raise ValueError(
                "population.groups.exploration: per-group exploration rates need "
                "a fixed rate (with evolving rates each agent holds its own)"
            )
        cm = self.population.committed
        if cm is not None and cm.norm == "new" and self.game.a == self.game.b:
            raise ValueError(
                "population.committed.norm: new (the norm the first shock "
                "favours) is undefined when a = b; give A or B"
            )
        return self

    @model_validator(mode="after")
    def _snapshots(self):
        snaps = self.output.snapshots
        G = self.schedule.generations
        if snaps and self.population.well_mixed:
            raise ValueError(
                "output.snapshots: a well-mixed population has no agents to take snapshots of"
            )
        for g in snaps:
            if not 0 <= g <= G:
                raise ValueError(f"output.snapshots: {g} is outside 0..{G} (the generations)")
        if len(set(snaps)) != len(snaps):
            raise ValueError("output.snapshots: a generation is listed twice")
        return self


# ------------------------------------------------------------------ messages
def _did_you_mean(word: str, options) -> str:
    options = [str(o) for o in options]
    word = str(word)[:100]  # a long value need not be compared in full
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not close and len(word) >= 3:  # an abbreviation: 'async' for 'asynchronous'
        close = [o for o in options if o.lower().startswith(word.lower())][:1]
    return f"; did you mean {close[0]!r}?" if close else ""


def _not_one_of(value, options: list[str], what: str = "") -> str:
    return f"{excerpt(value)} is not one of {', '.join(options)}{_did_you_mean(value, options)}"


_MODELS = {
    (): Scenario,
    ("game",): GameSpec,
    ("population",): PopulationSpec,
    ("population", "committed"): CommittedSpec,
    ("population", "groups"): GroupsSpec,
    ("dynamics",): DynamicsSpec,
    ("schedule",): ScheduleSpec,
    ("output",): OutputSpec,
    ("dynamics", "exploration"): EvolvingRates,
    ("design",): DesignSpec,
}


def _format_error(err: dict) -> tuple[tuple, str]:
    """One pydantic error as (path, message)."""
    loc = tuple(
        x
        for x in err["loc"]
        if not (
            isinstance(x, str)
            and (
                x in ("EvolvingRates", "Every", "NetworkSpec")
                or x.startswith(("list[", "float", "constrained"))
            )
        )
    )
    typ = err["type"]
    value = err.get("input")
    if typ == "extra_forbidden":
        model = _MODELS.get(loc[:-1])
        options = list(model.model_fields) if model else []
        return loc, f"unknown key{_did_you_mean(loc[-1], options)}" + (
            f" (allowed: {', '.join(options)})" if options else ""
        )
    if typ == "missing":
        return loc, "required"
    if typ == "value_error":
        msg = err["msg"].removeprefix("Value error, ")
        if msg.startswith(": "):
            msg = msg[2:]
        return loc, msg
    if typ == "string_pattern_mismatch":
        return loc, f"{excerpt(value)} may contain only letters, digits, '-' and '_'"
    if typ in ("int_type", "int_parsing", "int_from_float"):
        return loc, f"{excerpt(value)} is not an integer"
    if typ in ("float_type", "float_parsing"):
        return loc, f"{excerpt(value)} is not a number"
    if typ in ("bool_type", "bool_parsing"):
        return loc, f"{excerpt(value)} is not true or false"
    if typ in ("list_type",):
        return loc, f"{excerpt(value)} is not a list"
    if typ in ("model_type", "model_attributes_type", "dict_type"):
        return loc, f"{excerpt(value)} is not a mapping of keys to values"
    if typ == "greater_than_equal":
        return loc, f"{excerpt(value)} must be >= {err['ctx']['ge']}"
    return loc, f"{err['msg']} (got {excerpt(value)})"


def _line(node: yaml.Node | None, path: tuple) -> int | None:
    """The 1-based line of ``path`` in a composed YAML node tree, if any."""
    line = None
    for key in path:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(key):
                    line = k.start_mark.line + 1
                    node = v
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _validate(raw: dict, where: str, node: yaml.Node | None, what: str = "") -> Scenario:
    try:
        sc = Scenario.model_validate(raw)
        if not sc.population.well_mixed:  # the simulation's payoff sums must stay finite
            try:
                check_payoffs(
                    sc.game.a, sc.game.b, check_events(sc.schedule.events, sc.schedule.generations)
                )
            except PayoffError as e:
                line = _line(node, e.loc) if node is not None else None
                raise NormsimError(
                    f"{where}:{line}: {what}{e}" if line else f"{where}: {what}{e}"
                ) from None
        return sc
    except ValidationError as e:
        errors = e.errors(include_url=False)
        # with a union (fixed rate or evolving rates), report the branch that matches the input
        loc, msg = _format_error(_best(errors, raw))
        line = _line(node, loc) if node is not None else None
        prefix = f"{where}:{line}" if line else where
        path = ".".join(str(x) for x in loc) or "scenario"
        raise NormsimError(f"{prefix}: {what}{path}: {msg}") from None


def _raw_at(raw: Any, path: tuple) -> Any:
    for k in path:
        if not isinstance(raw, dict):
            return None
        raw = raw.get(k)
    return raw


def _best(errors: list[dict], raw: Any) -> dict:
    """The error to report. For a union field (a fixed rate or evolving rates; a shock
    list or ``every``) pydantic reports every branch: keep the one the input meant."""
    unions = {"exploration": "EvolvingRates", "shocks": "Every"}
    for err in errors:
        loc = err["loc"]
        for fld, branch in unions.items():
            if fld in loc:
                i = loc.index(fld)
                meant_map = isinstance(_raw_at(raw, loc[: i + 1]), dict)
                if (branch in loc) != meant_map and err["type"] != "value_error":
                    break
        else:
            return err
    return errors[0]


# ------------------------------------------------------------------ loading
def _set_path(raw: dict, path: str, value: Any, where: str) -> None:
    keys = path.split(".")
    if not all(keys):
        raise NormsimError(f"{where}: {excerpt(path)} is not a dotted path like game.c")
    if keys[0] == "sweep" and len(keys) > 1:  # a sweep's keys are dotted paths themselves
        if not isinstance(raw.setdefault("sweep", {}), dict):
            raise NormsimError(f"{where}: {path}: sweep is not a mapping")
        raw["sweep"][".".join(keys[1:])] = value
        return
    d = raw
    for k in keys[:-1]:
        if not isinstance(d.get(k, {}), dict):
            raise NormsimError(f"{where}: {path}: {k} is not a mapping")
        d = d.setdefault(k, {})
    d[keys[-1]] = value


def parse_override(text: str) -> tuple[str, Any]:
    """``PATH=VALUE`` with VALUE read as YAML (``0.8``, ``[1, 2]``, ``reference``)."""
    if "=" not in text:
        raise NormsimError(f"--set: {excerpt(text)} is not PATH=VALUE (e.g. --set game.c=0.8)")
    path, value = text.split("=", 1)
    try:
        return path.strip(), load_value(value) if value.strip() else None
    except NormsimError:
        return path.strip(), value


@dataclass
class LoadedScenario:
    """A validated scenario with where it came from."""

    scenario: Scenario
    raw: dict
    path: Path | None
    #: folders besides the scenario's own that its data files may lie in (``--data-root``)
    data_roots: tuple = ()

    @property
    def base_dir(self) -> Path:
        """The folder relative paths in the scenario are read from (the file's folder)."""
        return self.path.parent if self.path else Path.cwd()

    def output_dir(self) -> Path:
        """The results directory: ``output.dir``, or ``results/NAME``."""
        out = self.scenario.output.dir or f"results/{self.scenario.name}"
        return Path(out)


def load(
    path: str | Path, overrides: list[str] | tuple = (), data_roots: list | tuple = ()
) -> LoadedScenario:
    """Read, check and validate a scenario file; apply ``--set`` overrides.

    The data files it names (an edge list, a group file) must lie in the scenario's
    folder or in one of ``data_roots`` (:func:`normsim.datafiles.resolve`)."""
    path = Path(path)
    where = str(path)
    text = read_text(path, where)  # at most yamlsafe.MAX_BYTES, whatever the file is
    return loads(text, where=where, path=path, overrides=overrides, data_roots=data_roots)


def loads(
    text: str,
    where: str = "<scenario>",
    path: Path | None = None,
    overrides: list[str] | tuple = (),
    data_roots: list | tuple = (),
) -> LoadedScenario:
    """Validate scenario text (see :func:`load`; without ``path`` its data files are
    read relative to the working directory, and must lie in it or in ``data_roots``)."""
    # no alias bombs, no duplicate keys, 1e-3 is a number (normsim.yamlsafe)
    node, raw = parse_yaml(text, where)
    if not isinstance(raw, dict):
        raise NormsimError(
            f"{where}: a scenario must be a mapping of keys to values "
            f"(name, game, population, ...), not {type(raw).__name__}"
        )
    if any(not isinstance(k, str) for k in raw):
        raise NormsimError(f"{where}: every top-level key must be a text")
    for text_ in overrides:
        p, v = parse_override(text_)
        sweep = raw.get("sweep")
        if isinstance(sweep, dict) and p in sweep:
            raise NormsimError(
                f"--set {p}: {p} is swept (sweep.{p}), so the sweep's values "
                f"would replace this one; set those instead, e.g. "
                f"--set 'sweep.{p}=[{excerpt(v)}]'"
            )
        _set_path(raw, p, v, "--set")
    if overrides:
        node = None  # line numbers would point at values that --set replaced
    sc = _validate(raw, where, node)
    roots = tuple(_data_root(r) for r in data_roots)
    check_paths(sc, path.parent if path else Path.cwd(), roots, where, node)
    _check_sweep(sc, raw, where, node)
    check_design(sc, raw, where, node, path.parent if path else Path.cwd())
    return LoadedScenario(sc, raw, path, roots)


def _data_root(text: str | Path) -> Path:
    p = Path(text)
    if not p.is_dir():
        raise NormsimError(f"--data-root: {excerpt(str(text))} is not a folder")
    return p.resolve()


def data_paths(spec: Scenario) -> list[tuple[tuple, str]]:
    """The data files a resolved scenario names: ``(field path, the path as written)``."""
    out = []
    net = spec.population.network
    if net is not None and net.kind == "edgelist":
        out.append((("population", "network", "path"), str(net.as_dict().get("path"))))
    gr = spec.population.groups
    if gr is not None and gr.file is not None:
        out.append((("population", "groups", "file"), gr.file))
    return out


def check_paths(
    spec: Scenario,
    base_dir: Path,
    roots: tuple = (),
    where: str = "<scenario>",
    node: yaml.Node | None = None,
) -> None:
    """Refuse a data file outside the scenario's folder and ``roots``, or a special file
    (:func:`normsim.datafiles.resolve`), before anything is read from it."""
    from normsim.datafiles import resolve

    for loc, text in data_paths(spec):
        line = _line(node, loc) if node is not None else None
        try:
            resolve(text, base_dir, ".".join(loc), roots)
        except NormsimError as e:
            raise NormsimError(f"{where}:{line}: {e}" if line else f"{where}: {e}") from None


def _check_sweep(sc: Scenario, raw: dict, where: str, node) -> None:
    base = {k: v for k, v in raw.items() if k != "sweep"}  # copied per value: not the sweep
    for key, values in sc.sweep.items():
        line = _line(node, ("sweep", key)) if node is not None else None
        at = f"{where}:{line}" if line else where
        if key in (
            "sweep",
            "name",
            "runs",
            "seed",
            "output",
            "description",
            "design",
        ) or key.startswith(("sweep.", "output.", "design.")):
            raise NormsimError(f"{at}: sweep.{key}: cannot be swept")
        if not values:
            raise NormsimError(f"{at}: sweep.{key}: give at least one value")
        if not _path_exists(raw, key):
            raise NormsimError(f"{at}: sweep.{key}: no such field{_suggest_path(key)}")
        for v in values:
            trial = copy.deepcopy(base)
            _set_path(trial, key, v, at)
            _validate(trial, at, None, what=f"sweep value {excerpt(v)} of ")


def _known_paths() -> list[str]:
    out = []
    for prefix, model in (
        ("game", GameSpec),
        ("population", PopulationSpec),
        ("dynamics", DynamicsSpec),
        ("schedule", ScheduleSpec),
    ):
        out += [f"{prefix}.{f}" for f in model.model_fields]
    out += [f"population.committed.{f}" for f in CommittedSpec.model_fields]
    out += [f"population.groups.{f}" for f in GroupsSpec.model_fields]
    out += [
        "dynamics.exploration.rates",
        "dynamics.exploration.rate_mutation",
        "schedule.shocks.every",
        "population.network.kind",
    ]
    for params in [*KINDS.values(), COMMON]:
        out += [f"population.network.{p}" for p in params]
    return sorted(set(out))


def _path_exists(raw: dict, key: str) -> bool:
    # a network parameter the kind does not take is reported by the kind's own check
    return key in _known_paths()


def _suggest_path(key: str) -> str:
    return _did_you_mean(key, _known_paths())


# ------------------------------------------------------------------ conditions
@dataclass(frozen=True)
class Condition:
    """One resolved condition of a scenario: the swept values and the full model."""

    scenario: str
    params: dict  # the swept paths and their values in this condition
    spec: Scenario  # the resolved scenario of this condition (no sweep)
    hash: str
    base_dir: str
    n_agents: int = 0  # agents in the first replicate's graph (0: well-mixed)

    @property
    def well_mixed(self) -> bool:
        """Whether this condition is the well-mixed ODE."""
        return self.spec.population.well_mixed

    def model_params(self) -> ModelParams:
        """The agent-based model of this condition."""
        return self.spec.model_params()

    def describe(self) -> str:
        """The swept values of this condition as text (``game.c=0.3, ...``)."""
        return ", ".join(f"{k}={v}" for k, v in self.params.items()) or "(single condition)"


def _check_network(spec: Scenario, base_dir: Path, where: str, params: dict) -> int:
    """Build the condition's graph once (first replicate's seed) to catch bad sizes early.

    Returns its number of agents."""
    net = spec.population.network.as_dict()
    size = _network_size.__wrapped__ if net["kind"] == "edgelist" else _network_size
    cond = f" (condition {', '.join(f'{k}={v}' for k, v in params.items())})" if params else ""
    try:  # an edge-list file may change between calls: never cached
        n = size(json.dumps(net, sort_keys=True), spec.seed, str(base_dir))
    except NormsimError as e:
        raise NormsimError(f"{where}: population.{e}{cond}") from None
    if spec.population.committed is not None:
        try:
            committed_count(
                check_committed(spec.population.committed.as_dict(), spec.game.a, spec.game.b), n
            )
        except NormsimError as e:
            raise NormsimError(f"{where}: {e}{cond}") from None
    gr = spec.population.groups
    if gr is not None:
        from normsim.groups import group_labels, n_groups

        try:  # the groups against the network (a blocks cut is checked per replicate)
            groups = check_groups(gr.as_dict(), net, evolving=False)
            m = groups["n"]
            if not (groups["by"] == "blocks" and net.get("largest_component")):
                m = n_groups(groups, group_labels(groups, net, n, None, base_dir))
            # an event for a group that does not exist (before anything is written)
            for k, ev in enumerate(check_events(spec.schedule.events, spec.schedule.generations)):
                if m is not None and ev.get("group", 0) >= m:
                    raise NormsimError(
                        f"schedule.events[{k}].group: {ev['group']} is not a "
                        f"group (groups 0..{m - 1})"
                    )
        except NormsimError as e:
            raise NormsimError(f"{where}: {e}{cond}") from None
    return n


@functools.lru_cache(maxsize=256)
def _network_size(spec_json: str, seed: int, base_dir: str) -> int:
    """Agents of a network spec's first-replicate graph; a sweep that does not
    vary the network builds it once, not once per condition."""
    from normsim.draws import graph_seed, replicate_seed
    from normsim.networks import spec_adjacency

    return spec_adjacency(
        json.loads(spec_json), seed=graph_seed(replicate_seed(seed, 0)), base_dir=base_dir
    ).n


def _content(spec: Scenario, base_dir: Path) -> dict:
    d = spec.model_dump(
        mode="json", exclude={"name", "description", "runs", "sweep", "output", "design"}
    )
    # mechanisms left at their defaults are left out: a plain scenario keeps the
    # hash it had before they existed (its stored replicates are resumed into)
    # (normsim.parameters: the parameters hashed "unless default")
    for par in UNLESS_DEFAULT:
        section, key = par.path.split(".")
        value = d[section].get(key)
        if value == par.default or (not value and not par.default and value != 0):
            d[section].pop(key, None)
    if "conformity" in d["dynamics"] and d["dynamics"].get("update") != "asynchronous":
        # the conformist's draws there changed (normsim.draws.CONFORMITY_DRAWS):
        # a store of the older draws is not resumed into
        d["conformity_draws"] = CONFORMITY_DRAWS
    d["draw_schedule"] = DRAW_SCHEDULE  # the same seed draws differently under another
    if d["population"].get("network"):  # networkx and native build the same graph
        d["population"]["network"].pop("generator", None)
    net = spec.population.network
    gr = spec.population.groups
    if gr is not None and gr.file is not None:  # the groups file's contents, as an edge list's
        p = Path(gr.file)
        p = check_special(p if p.is_absolute() else base_dir / p, "population.groups.file")
        try:
            d["groups_file_sha256"] = hashlib.sha256(p.read_bytes()).hexdigest()
        except OSError as e:
            raise NormsimError(f"population.groups.file: cannot read {p}: {e}") from None
    if net is not None and net.kind == "edgelist":
        p = Path(net.as_dict()["path"])
        p = check_special(p if p.is_absolute() else base_dir / p, "population.network.path")
        try:
            with open(p, "rb") as fh:  # streamed: an edge list may be large
                d["edgelist_sha256"] = hashlib.file_digest(fh, "sha256").hexdigest()
        except OSError as e:
            raise NormsimError(f"population.network.path: cannot read {p}: {e}") from None
    return d


def condition_hash(spec: Scenario, base_dir: Path) -> str:
    """Content hash of a resolved condition (model, schedule, seed; edge-list contents;
    the version of the draw schedule, :data:`normsim.draws.DRAW_SCHEDULE`)."""
    blob = json.dumps(_content(spec, base_dir), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def conditions(loaded: LoadedScenario, *, n_cores: int | None = None) -> list[Condition]:
    """The sweep's full factorial (or the one condition), in sweep order; with a
    ``design``, every sweep combination x every design point (:mod:`normsim.design`).

    A scenario too large for this machine (memory, or time on ``n_cores`` cores,
    default this machine's) is refused first, before anything is built or
    expanded (:func:`normsim.limits.check`).
    """
    from normsim import limits

    limits.check(loaded, n_cores=n_cores)
    sc = loaded.scenario
    if sc.design is not None:
        from normsim.design import design_conditions

        return design_conditions(loaded)
    keys = list(sc.sweep)
    combos = list(itertools.product(*(sc.sweep[k] for k in keys))) if keys else [()]
    out = []
    base = copy.deepcopy(loaded.raw)
    base.pop("sweep", None)
    for combo in combos:
        raw = copy.deepcopy(base)
        for k, v in zip(keys, combo, strict=True):
            _set_path(raw, k, v, "sweep")
        where = str(loaded.path or "<scenario>")
        spec = _validate(raw, where, None)
        check_paths(spec, loaded.base_dir, loaded.data_roots, where)  # a swept path too
        n = 0
        if spec.population.network is not None:
            n = _check_network(spec, loaded.base_dir, where, dict(zip(keys, combo, strict=True)))
        out.append(
            Condition(
                scenario=sc.name,
                params=dict(zip(keys, combo, strict=True)),
                spec=spec,
                hash=condition_hash(spec, loaded.base_dir),
                base_dir=str(loaded.base_dir),
                n_agents=n,
            )
        )
    return out
