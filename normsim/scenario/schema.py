"""The scenario file's schema: its pydantic models, and a mapping checked against them.

:class:`~normsim.scenario.Scenario` and its sections declare every field of a scenario
file with its default, its check and its documentation (the documentation's scenario
reference, docs/reference/scenario.rst, is generated from the models below and their
field docstrings). :func:`~normsim.scenario.validate` checks a mapping against them
and turns pydantic's errors into one line that names the file, the line where YAML
gives one, the dotted path of the field, what was wrong and what is allowed, e.g.
``quick.yaml:5: game.c: 1.5 is outside [0, 1]``.

:func:`~normsim.scenario.condition_mapping` writes a condition's values (a sweep's combination, a
design's point) into a copy of a scenario's mapping: the one place where a condition
is built from its scenario, for the conditions themselves
(:mod:`normsim.scenario.condition`) and for the cost estimate
(:mod:`normsim.scenario.limits`).
"""

from __future__ import annotations

import copy
import difflib
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import ErrorDetails

from normsim.errors import NormsimError, check_number, excerpt
from normsim.game import PRESETS, CoordinationGame, Game, MatrixGame, check_matrix
from normsim.groups import check_groups
from normsim.initial import check_initial
from normsim.mechanisms import check_committed
from normsim.networks import COMMON, GENERATORS, KINDS
from normsim.parameters import PARAMETERS as _P
from normsim.params import (
    DEFAULTS,
    MATRIX_KEYS,
    UPDATE_MODES,
    ModelParams,
    PayoffError,
    check_event_kinds,
    check_events,
    check_matrix_payoffs,
    check_payoffs,
    expand_shocks,
)
from normsim.protocols import check_payoffs as check_protocol_payoffs
from normsim.protocols import payoff_part
from normsim.protocols import resolve as resolve_protocol

#: the methods of a sampling design (:mod:`normsim.scenario.design`)
METHODS = ("sobol", "morris", "lhs")
#: RBD-FAST (the analysis of a Latin hypercube) uses this many harmonics ...
RBD_HARMONICS = 10
#: ... and needs more than 2 M points in each half-size bootstrap resample
LHS_MIN_SAMPLES = 4 * RBD_HARMONICS + 2


class _Strict(BaseModel):
    # the docstring under each field is its description in the documentation
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


Number = Annotated[float, Field(strict=True)]


def _field(name: str) -> Any:
    """A schema field of the model parameter ``name``: its default and its documentation
    with the allowed range, from :data:`normsim.parameters.PARAMETERS`."""
    return Field(_P[name].default, description=_P[name].description)


class GameSpec(_Strict):
    """``game``: the game at generation 0: the (a, b, c) coordination game (payoffs a,
    b and the need for coordination c), or a general 2 x 2 ``matrix``, or a named
    ``preset`` of either."""

    # each field's default, range and documentation: normsim.parameters
    a: Number = _field("a")
    b: Number = _field("b")
    c: Number = _field("c")
    matrix: list[list[Any]] | None = _field("matrix")
    preset: str | None = None
    """A named game (:data:`normsim.game.PRESETS`): ``coordination`` (the (a, b, c)
    game; a, b, c given beside it override its defaults) or ``stag_hunt`` (the matrix
    ``[[4, 0], [3, 2]]``, where the payoff-dominant norm A is not the risk-dominant B;
    entries R, S, T, P given beside it override its own)."""
    R: Number | None = None
    """Entry R (A against A) of a matrix game, overriding the ``matrix`` or the preset's."""
    S: Number | None = None
    """Entry S (A against B) of a matrix game, overriding the ``matrix`` or the preset's."""
    T: Number | None = None
    """Entry T (B against A) of a matrix game, overriding the ``matrix`` or the preset's."""
    P: Number | None = None
    """Entry P (B against B) of a matrix game, overriding the ``matrix`` or the preset's."""

    @model_validator(mode="before")
    @classmethod
    def _resolve(cls, raw: Any) -> Any:
        """A preset and entries resolved to ``a, b, c`` or to ``matrix`` (a key given
        as null counts as not given, so that ``--set game.a=`` removes a)."""
        if not isinstance(raw, dict):
            return raw
        raw = {k: v for k, v in raw.items() if v is not None}
        preset = raw.get("preset")
        if preset is not None and (not isinstance(preset, str) or preset not in PRESETS):
            return raw  # refused by the field's check, with the presets' names
        abc = [k for k in ("a", "b", "c") if k in raw]
        entries = [k for k in MATRIX_KEYS if k in raw]
        if preset == "coordination":
            if "matrix" in raw or entries:
                raise ValueError(
                    "preset coordination is the (a, b, c) game: give a, b, c beside it, "
                    "not a matrix"
                )
            return {k: v for k, v in raw.items() if k != "preset"}
        if preset is not None:
            if abc:
                raise ValueError(
                    f"preset {preset} is a matrix game: give its entries R, S, T, P beside "
                    f"it, not {abc[0]}"
                )
            table = PRESETS[preset]
            assert table is not None  # a matrix preset
            raw.setdefault("matrix", [[table["R"], table["S"]], [table["T"], table["P"]]])
            del raw["preset"]
        if "matrix" in raw and abc:
            raise ValueError(f"give matrix or a, b, c, not both (matrix and {abc[0]} given)")
        if entries and "matrix" not in raw:
            raise ValueError(
                f"{entries[0]}: a matrix entry needs game.matrix or a matrix preset "
                "(the (a, b, c) game has a, b, c)"
            )
        if entries and isinstance(raw["matrix"], list):
            try:
                r, s_, t, p_ = check_matrix(raw["matrix"], "matrix")
            except NormsimError:
                return raw  # refused by the field's check
            m = {"R": r, "S": s_, "T": t, "P": p_}
            for k in entries:
                m[k] = raw.pop(k)
            raw["matrix"] = [[m["R"], m["S"]], [m["T"], m["P"]]]
        return raw

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict:
        """The resolved game as it validates again: ``a, b, c`` or ``matrix`` (a preset
        and entries are resolved into them)."""
        d = handler(self)
        for key in ("preset", *MATRIX_KEYS):
            d.pop(key, None)
        if d.get("matrix") is None:
            d.pop("matrix", None)
        else:
            for key in ("a", "b", "c"):
                d.pop(key, None)
        return d

    @field_validator("a", "b", "c", mode="before")
    @classmethod
    def _checked(cls, v, info):
        return _P[info.field_name].check(v, "")

    @field_validator("R", "S", "T", "P", mode="before")
    @classmethod
    def _entry(cls, v):
        return check_number("", v)

    @field_validator("matrix", mode="before")
    @classmethod
    def _matrix(cls, v):
        try:
            r, s_, t, p_ = check_matrix(v, "matrix")
        except NormsimError as e:
            msg = str(e)
            raise ValueError(
                "entry " + msg[len("matrix.") :] if msg.startswith("matrix.") else msg[6:]
            ) from None
        return [[r, s_], [t, p_]]

    @field_validator("preset")
    @classmethod
    def _preset(cls, v):
        if v not in PRESETS:
            raise ValueError(_not_one_of(v, list(PRESETS)))
        return v

    def game(self) -> Game:
        """This section as a :class:`normsim.game.MatrixGame` (with a ``matrix``) or a
        :class:`normsim.game.CoordinationGame`."""
        if self.matrix is not None:
            return MatrixGame.from_matrix(self.matrix)
        return CoordinationGame(self.a, self.b, self.c)

    def matrix_tuple(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """The matrix as :class:`normsim.params.ModelParams` takes it (None: the (a, b, c) game)."""
        if self.matrix is None:
            return None
        (r, s_), (t, p_) = self.matrix
        return ((r, s_), (t, p_))


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
        # the values alone; the network is checked with each condition (condition.check_network)
        try:
            check_groups(self.as_dict(), None, evolving=False)
        except NormsimError as e:
            raise ValueError(
                str(e).removeprefix("population.groups").lstrip(".:").lstrip()
            ) from None
        return self

    def as_dict(self) -> dict:
        """The fields that were given, as :class:`normsim.params.ModelParams` takes them."""
        return self.model_dump(exclude_none=True)


class BlockSpec(_Strict):
    """``population.initial.block``: a square of B on a grid network."""

    side: StrictInt
    """The side s of the square (s x s nodes): at least 1, at most the rows and columns
    of a torus; a grid that is not periodic must hold the whole square."""
    corner: list[StrictInt]
    """``[row, col]``: the square's corner with the smallest row and column; the square
    takes rows row..row+s-1 and columns col..col+s-1 (wrapping round on a torus)."""


class BallSpec(_Strict):
    """``population.initial.ball``: a ball of B around a node."""

    centre: StrictInt
    """The node at the centre (an id 0..N-1)."""
    count: StrictInt
    """How many nodes start with B: the first ``count`` nodes of a breadth-first search
    from the centre, each node's neighbours in increasing order of id (at least 1, at
    most the centre's component)."""


class SnapshotSpec(_Strict):
    """``population.initial.snapshot``: the state a previous run stored
    (``output.snapshots``), or just its results directory."""

    path: str
    """The results store: a results directory or its ``results.sqlite``, relative to the
    scenario (as every data file: inside the scenario's folder or a ``--data-root``)."""
    generation: StrictInt | None = None
    """The stored generation to start from (default: the latest stored)."""
    replicate: StrictInt = 0
    """The stored replicate to start from (0, 1, ...)."""
    condition: str | None = None
    """The stored condition: its content hash or a unique prefix of it (needed when the
    store holds more than one condition)."""


class InitialSpec(_Strict):
    """``population.initial``: the initial norms, instead of a random share of B
    (:mod:`normsim.initial`); give exactly one key."""

    nodes: list[StrictInt] | None = None
    """Node ids 0..N-1 that start with B (a grid's nodes row-major); every other node
    starts with A."""
    block: BlockSpec | None = None
    """An s x s square of B on a ``grid`` network (see ``population.initial.block.*``)."""
    ball: BallSpec | None = None
    """A ball of B around a node (see ``population.initial.ball.*``)."""
    snapshot: SnapshotSpec | None = None
    """The state stored by a previous run on the same graph: its norms and, when both
    runs have evolving rates, its rates (see ``population.initial.snapshot.*``);
    ``snapshot: DIR`` is ``snapshot: {path: DIR}``."""

    @field_validator("snapshot", mode="before")
    @classmethod
    def _path_only(cls, v):
        return {"path": v} if isinstance(v, str) else v

    @model_validator(mode="after")
    def _check(self):
        try:
            check_initial(self.as_dict())
        except NormsimError as e:
            raise ValueError(
                str(e).removeprefix("population.initial").lstrip(".:").lstrip()
            ) from None
        return self

    def as_dict(self) -> dict:
        """The kind that was given, as :class:`normsim.params.ModelParams` takes it."""
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
    initial: InitialSpec | None = None
    """The initial norms instead of a random share of B: ``nodes``, a ``block``, a
    ``ball`` or a ``snapshot`` (see ``population.initial.*``); none by default. It
    replaces ``initial_b`` (which must then keep its default) and the groups'
    ``initial_b``; committed agents still hold their norm."""

    @model_validator(mode="after")
    def _initial(self):
        if self.initial is None:
            return self
        if self.well_mixed:
            raise ValueError(
                "initial: an initial configuration needs a network (the well-mixed ODE has none)"
            )
        if self.initial_b != _P["initial_b"].default:
            raise ValueError(
                f"initial: an initial configuration replaces the random share of B; "
                f"drop initial_b ({self.initial_b:g})"
            )
        if self.groups is not None and self.groups.initial_b is not None:
            raise ValueError(
                "initial: an initial configuration replaces the groups' initial shares; "
                "drop groups.initial_b"
            )
        return self

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
    payoffs: str = _field("payoffs")
    normalisation: str = _field("normalisation")
    selection_intensity: Number = _field("selection_intensity")

    @model_validator(mode="before")
    @classmethod
    def _protocol_payoff(cls, data):
        """A mapping of parts that names its ``payoff`` sets ``payoffs``."""
        if isinstance(data, dict):
            part = payoff_part(data.get("protocol", ""))
            if part is not None:
                given = data.get("payoffs", part)
                if given != part:
                    raise ValueError(
                        f"protocol.payoff: {part} contradicts payoffs: {given}; give one of them"
                    )
                data = {**data, "payoffs": part}
        return data

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
            p = resolve_protocol(self.protocol, self.update, where="protocol")
            check_protocol_payoffs(p, self.payoffs, self.normalisation, where="")
        except NormsimError as e:
            raise ValueError(str(e).lstrip(".")) from None
        return self

    @field_validator("conformity", mode="before")
    @classmethod
    def _gamma(cls, v):
        return _P["conformity"].check(v, "")

    @field_validator("selection_intensity", mode="before")
    @classmethod
    def _w(cls, v):
        return _P["selection_intensity"].check(v, "")

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
    (any of a, b, c). Each generation lies in 0..G-1, the keys are a, b and c (of a
    matrix game: ``matrix``, or its entries R, S, T, P), k is a group number, and a
    ramp ends after it starts."""

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


class DesignSpec(BaseModel):
    """``design``: a sampling design over numeric fields (:mod:`normsim.scenario.design`)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)
    method: str
    """How the points are drawn (SALib): ``sobol`` (Saltelli's scheme on a scrambled Sobol'
    sequence, for Sobol' indices), ``morris`` (elementary-effect trajectories) or ``lhs``
    (a Latin hypercube, analysed with RBD-FAST)."""
    samples: StrictInt
    """The design's size: for ``sobol`` the base samples N, a power of 2 (at most 2**24),
    giving N (2D + 2) points for D bounded fields (N (D + 2) without second order); for
    ``morris`` the trajectories (at least 2), N (D + 1) points; for ``lhs`` the points
    themselves (at least 42, what RBD-FAST's analysis needs)."""
    seed: StrictInt | None = None
    """Seed of the sampling (a non-negative integer below 2**63); none: the scenario's
    ``seed``. The replicates' own seeds still come from the scenario's seed."""
    bounds: dict[str, list[Any]]
    """The fields to vary: dotted paths of numeric fields (e.g. ``game.c``,
    ``population.network.p``) mapped to ``[lo, hi]`` with lo < hi, both ends values the
    field accepts. Integer fields make each integer lo..hi equally likely. A path is in
    either ``sweep`` or ``design``, not both."""
    second_order: StrictBool = True
    """``sobol`` only: also the points for the second-order indices S2 (the BA rows of
    Saltelli's scheme); false gives N (D + 2) points and first- and total-order indices."""
    levels: StrictInt = 4
    """``morris`` only: the number of grid levels each field takes, an even number >= 2."""

    @field_validator("method", mode="before")
    @classmethod
    def _method(cls, v):
        if v not in METHODS:
            raise ValueError(f"{v!r} is not one of {', '.join(METHODS)}")
        return v

    @field_validator("seed")
    @classmethod
    def _seed(cls, v):
        if v is not None and not 0 <= v < 2**63:
            raise ValueError(f"{v} must be a non-negative integer below 2**63")
        return v

    @field_validator("bounds", mode="before")
    @classmethod
    def _bounds(cls, v):
        if not isinstance(v, dict) or not v:
            raise ValueError(f"{v!r} must map at least one dotted path to [lo, hi]")
        return v


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
    design: DesignSpec | None = None  # a sampling design (normsim.scenario.design)
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
        rates: tuple[float, ...] | None
        if isinstance(ex, EvolvingRates):
            exploration, rates, rate_mutation = 0.0, tuple(ex.rates), ex.rate_mutation
        else:
            exploration, rates, rate_mutation = float(ex), None, DEFAULTS.rate_mutation
        protocol = s.dynamics.protocol
        assert isinstance(protocol, str)  # validated to the protocol's name
        return ModelParams(
            a=s.game.a,
            b=s.game.b,
            c=s.game.c,
            matrix=s.game.matrix_tuple(),
            network=s.population.network.as_dict() if s.population.network else {},
            initial_b=s.population.initial_b,
            update=s.dynamics.update,
            beta=s.dynamics.selection_strength,
            exploration=exploration,
            rates=rates,
            rate_mutation=rate_mutation,
            generations=s.schedule.generations,
            shocks=s.schedule.shock_list(),
            committed=(
                s.population.committed.as_dict() if s.population.committed is not None else None
            ),
            conformity=s.dynamics.conformity,
            protocol=protocol,
            payoffs=s.dynamics.payoffs,
            normalisation=s.dynamics.normalisation,
            selection_intensity=s.dynamics.selection_intensity,
            events=tuple(s.schedule.events),
            groups=s.population.groups.as_dict() if s.population.groups is not None else None,
            initial=s.population.initial.as_dict() if s.population.initial is not None else None,
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
        ex = self.dynamics.exploration
        if (
            self.population.well_mixed
            and self.game.matrix is not None
            and not isinstance(ex, EvolvingRates)
            and ex > 0
            and min(min(row) for row in self.game.matrix) < 0
        ):
            raise ValueError(
                "game.matrix: the well-mixed replicator-mutator needs payoffs >= 0 with "
                "exploration (a fitness is a rate of offspring); add a constant to every entry"
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
        d = self.dynamics
        if self.population.well_mixed and (
            d.payoffs != DEFAULTS.payoffs
            or d.normalisation != DEFAULTS.normalisation
            or d.selection_intensity != DEFAULTS.selection_intensity
        ):
            raise ValueError(
                "dynamics.payoffs, dynamics.normalisation, dynamics.selection_intensity: "
                "these need a network (the well-mixed ODE is that of Fermi imitation)"
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
        matrix = self.game.matrix is not None
        if matrix and gr is not None and gr.c is not None:
            raise ValueError(
                "population.groups.c: a matrix game has no c (give a group its own game "
                "with an event for that group: {at: 0, group: k, game: {matrix: ...}})"
            )
        try:
            check_event_kinds(check_events(self.schedule.events, self.schedule.generations), matrix)
        except NormsimError as e:
            raise ValueError(str(e)) from None
        cm = self.population.committed
        if cm is not None and cm.norm == "new" and matrix:
            g = self.game.game()
            assert isinstance(g, MatrixGame)
            if g.R == g.P:
                raise ValueError(
                    "population.committed.norm: new (the norm the first shock "
                    "favours) is undefined when R = P; give A or B"
                )
        elif cm is not None and cm.norm == "new" and self.game.a == self.game.b:
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
def _did_you_mean(word: object, options) -> str:
    options = [str(o) for o in options]
    word = str(word)[:100]  # a long value need not be compared in full
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not close and len(word) >= 3:  # an abbreviation: 'async' for 'asynchronous'
        close = [o for o in options if o.lower().startswith(word.lower())][:1]
    return f"; did you mean {close[0]!r}?" if close else ""


def _not_one_of(value, options: list[str], what: str = "") -> str:
    return f"{excerpt(value)} is not one of {', '.join(options)}{_did_you_mean(value, options)}"


_MODELS: dict[tuple, type[BaseModel]] = {
    (): Scenario,
    ("game",): GameSpec,
    ("population",): PopulationSpec,
    ("population", "committed"): CommittedSpec,
    ("population", "groups"): GroupsSpec,
    ("population", "initial"): InitialSpec,
    ("population", "initial", "block"): BlockSpec,
    ("population", "initial", "ball"): BallSpec,
    ("population", "initial", "snapshot"): SnapshotSpec,
    ("dynamics",): DynamicsSpec,
    ("schedule",): ScheduleSpec,
    ("output",): OutputSpec,
    ("dynamics", "exploration"): EvolvingRates,
    ("design",): DesignSpec,
}


def _format_error(err: ErrorDetails) -> tuple[tuple, str]:
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


def line_of(node: yaml.Node | None, path: tuple) -> int | None:
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


def validate(raw: dict, where: str, node: yaml.Node | None, what: str = "") -> Scenario:
    """``raw`` as a :class:`Scenario`, or a :class:`~normsim.errors.NormsimError` of one
    line: ``where`` (the file), the line of the field in ``node`` (the YAML document's
    composed tree, when given), ``what`` (e.g. ``sweep value 0.3 of``), the field's
    dotted path and what is wrong with it. Payoffs the simulation cannot sum are refused
    (:func:`normsim.params.check_payoffs`) unless the population is well-mixed."""
    try:
        sc = Scenario.model_validate(raw)
        if not sc.population.well_mixed:  # the simulation's payoff sums must stay finite
            try:
                events = check_events(sc.schedule.events, sc.schedule.generations)
                game = sc.game.game()
                if isinstance(game, MatrixGame):
                    check_matrix_payoffs(game.entries, events)
                else:
                    check_payoffs(sc.game.a, sc.game.b, events)
            except PayoffError as e:
                line = line_of(node, e.loc) if node is not None else None
                raise NormsimError(
                    f"{where}:{line}: {what}{e}" if line else f"{where}: {what}{e}"
                ) from None
        return sc
    except ValidationError as e:
        errors = e.errors(include_url=False)
        # with a union (fixed rate or evolving rates), report the branch that matches the input
        loc, msg = _format_error(_best(errors, raw))
        line = line_of(node, loc) if node is not None else None
        prefix = f"{where}:{line}" if line else where
        path = ".".join(str(x) for x in loc) or "scenario"
        raise NormsimError(f"{prefix}: {what}{path}: {msg}") from None


def _raw_at(raw: Any, path: tuple) -> Any:
    for k in path:
        if not isinstance(raw, dict):
            return None
        raw = raw.get(k)
    return raw


def _best(errors: list[ErrorDetails], raw: Any) -> ErrorDetails:
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


# ------------------------------------------------------------------ paths
def set_path(raw: dict, path: str, value: Any, where: str, *, replace: bool = False) -> None:
    """Set the dotted ``path`` of a scenario mapping to ``value``, adding the mappings on the
    way (``sweep.KEY`` sets the sweep's key ``KEY``, itself a dotted path). A key on the way
    that holds something other than a mapping is refused (an error starting with
    ``where``), or with ``replace`` replaced by a mapping."""
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
            if not replace:
                raise NormsimError(f"{where}: {path}: {k} is not a mapping")
            d[k] = {}
        d = d.setdefault(k, {})
    d[keys[-1]] = value


def condition_mapping(
    base: Mapping[str, Any], values: Mapping[str, Any], where: str, *, replace: bool = False
) -> dict:
    """The mapping of one condition: a copy of the scenario mapping ``base`` without its
    ``sweep`` and ``design``, with each dotted path of ``values`` set in order
    (:func:`set_path`; ``where`` starts its errors, e.g. ``sweep``).

    The sweep's conditions, the design's points, the studies' particles
    (:class:`normsim.scenario.PointConditions`), the checks of a sweep's values
    and of a design's bounds and the cost estimate (:mod:`normsim.scenario.limits`) all
    build a condition here. ``replace`` is the estimate's: it sets the values in a
    resolved scenario, whose defaults are filled in, so that a key on a path may hold its
    default rather than a mapping (a fixed exploration rate, under
    ``dynamics.exploration.rates``); it is replaced instead of refused.
    """
    out = copy.deepcopy({k: v for k, v in base.items() if k not in ("sweep", "design")})
    for path, value in values.items():
        set_path(out, path, copy.deepcopy(value), where, replace=replace)
    return out


def known_paths() -> list[str]:
    """Every dotted path of a scenario field that a sweep may name, sorted."""
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
    out += [f"population.initial.{f}" for f in InitialSpec.model_fields]
    kinds: tuple[tuple[str, type[BaseModel]], ...] = (
        ("block", BlockSpec),
        ("ball", BallSpec),
        ("snapshot", SnapshotSpec),
    )
    for kind, spec in kinds:
        out += [f"population.initial.{kind}.{f}" for f in spec.model_fields]
    out += [
        "dynamics.exploration.rates",
        "dynamics.exploration.rate_mutation",
        "schedule.shocks.every",
        "population.network.kind",
    ]
    for params in [*KINDS.values(), COMMON]:
        out += [f"population.network.{p}" for p in params]
    return sorted(set(out))


def suggest_path(key: str) -> str:
    """``; did you mean 'PATH'?`` for the known path closest to ``key``, or nothing."""
    return _did_you_mean(key, known_paths())


def numeric_paths(raw: dict) -> dict[str, str]:
    """Every numeric field a design can vary in this scenario: path -> ``"float"`` | ``"int"``.

    Read from the scenario models (fields of type float or int) and, for the
    network, from the parameters of its kind (:data:`normsim.networks.KINDS`).
    """
    out: dict[str, str] = {}
    for prefix, model in (
        ("game", GameSpec),
        ("population", PopulationSpec),
        ("dynamics", DynamicsSpec),
        ("schedule", ScheduleSpec),
        ("dynamics.exploration", EvolvingRates),
    ):
        for name, f in model.model_fields.items():
            kind = _kind(f.annotation)
            if kind:
                out[f"{prefix}.{name}"] = kind
    out["schedule.shocks.every"] = "int"
    kinds = [KINDS.get(k) for k in _network_kinds(raw)]
    for params in (p for p in kinds if p):
        for name, (typ, _) in params.items():
            if typ in (int, float):
                out[f"population.network.{name}"] = "int" if typ is int else "float"
    return out


def _kind(annotation) -> str | None:
    """``"float"`` for a float field (or a union with float), ``"int"`` for an int, else None."""

    def base(a):  # Annotated[float, ...] -> float
        return typing.get_args(a)[0] if typing.get_origin(a) is typing.Annotated else a

    annotation = base(annotation)
    if annotation is float or (
        typing.get_origin(annotation) in (typing.Union, types.UnionType)
        and float in [base(a) for a in typing.get_args(annotation)]
    ):
        return "float"
    return "int" if annotation is int else None


def _network_kinds(raw: dict) -> list[str]:
    pop = raw.get("population")
    net = pop.get("network") if isinstance(pop, dict) else None
    kinds: list[Any] = [net.get("kind")] if isinstance(net, dict) else ["grid"]
    sweep = raw.get("sweep")
    if not isinstance(sweep, dict):
        sweep = {}
    for v in sweep.get("population.network", []) or []:
        if isinstance(v, dict):
            kinds.append(v.get("kind"))
    kinds += [k for k in sweep.get("population.network.kind", []) or []]
    return [k for k in kinds if isinstance(k, str)]
