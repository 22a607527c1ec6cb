"""The parameters of one model run (one scenario condition), validated.

:class:`ModelParams` is what the engine, the Mesa model and the scenario
runner share: one object, one set of checks.

Examples
--------
>>> p = ModelParams(c=0.6, generations=200, shocks=(100,))
>>> p.game.shocked().a
0.4
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from normsim.errors import NormsimError, check_number
from normsim.game import CoordinationGame, Game, MatrixGame, check_matrix
from normsim.groups import check_groups
from normsim.initial import check_initial
from normsim.mechanisms import check_committed
from normsim.parameters import PARAMETERS as _P
from normsim.protocols import VISITING_ORDERS, payoff_part
from normsim.protocols import check_payoffs as check_protocol_payoffs
from normsim.protocols import resolve as resolve_protocol
from normsim.protocols.rules import fitness

UPDATE_MODES = VISITING_ORDERS
DEFAULT_NETWORK = _P["network"].default


def expand_shocks(shocks: Any, generations: int) -> tuple[int, ...]:
    """Shock generations as a sorted tuple: from a list, or ``{"every": T}``.

    ``every: T`` puts shocks at T, 2T, ... below ``generations``.
    """
    if shocks is None:
        return ()
    if isinstance(shocks, Mapping):
        every = shocks.get("every")
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise NormsimError(f"schedule.shocks.every: {every!r} must be an integer >= 1")
        return tuple(range(int(every), generations, int(every)))
    out = []
    for s in shocks:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise NormsimError(f"schedule.shocks: {s!r} is not an integer generation")
        if not 1 <= s <= generations - 1:
            raise NormsimError(
                f"schedule.shocks: {s} is outside 1..{generations - 1} "
                f"(generations = {generations})"
            )
        out.append(int(s))
    if len(set(out)) != len(out):
        raise NormsimError("schedule.shocks: a generation is listed twice")
    return tuple(sorted(out))


GAME_KEYS = ("a", "b", "c")
#: the entries of a matrix game ``[[R, S], [T, P]]`` (normsim.game.MatrixGame)
MATRIX_KEYS = ("R", "S", "T", "P")


def check_events(events: Any, generations: int) -> tuple[dict, ...]:
    """Validate ``schedule.events`` and return them normalised.

    An event is ``{"at": G, "game": {...}}`` (the values hold from generation
    G + 1 on, as a shock at G swaps a and b from G + 1 on) or ``{"from": G1,
    "to": G2, "game": {...}}`` (a linear ramp: generation g in G1+1..G2 plays
    ``v0 + (v1 - v0) (g - G1) / (G2 - G1)``, v0 the value in force after the
    changes at G1, v1 the given value, kept after G2). ``game`` sets any of a,
    b, c of the (a, b, c) game, or of a matrix game its ``matrix`` (all four
    entries) or any of its entries ``R``, ``S``, ``T``, ``P`` (normalised to the entries).
    ``group: k`` (with ``population.groups``) limits an event to group k.
    Normalised: ``{"at": G, "game": {...}}`` or ``{"from": G1, "to": G2,
    "game": {...}}`` with float values (and ``group`` when given).
    """
    if events is None:
        return ()
    if isinstance(events, Mapping) or isinstance(events, (str, bytes)):
        raise NormsimError(
            "schedule.events: give a list of events ({at: G, game: {c: 0.8}} "
            "or {from: G1, to: G2, game: {...}})"
        )
    out = []
    for k, ev in enumerate(events):
        where = f"schedule.events[{k}]"
        if not isinstance(ev, Mapping):
            raise NormsimError(f"{where}: {ev!r} is not a mapping (at or from/to, and game)")
        unknown = [key for key in ev if key not in ("at", "from", "to", "game", "group")]
        if unknown:
            raise NormsimError(
                f"{where}.{unknown[0]}: unknown key (allowed: at, from, to, game, group)"
            )
        extra = {}
        if "group" in ev:
            grp = ev["group"]
            if isinstance(grp, bool) or not isinstance(grp, (int, np.integer)) or grp < 0:
                raise NormsimError(
                    f"{where}.group: {grp!r} must be a group number (an integer >= 0)"
                )
            extra["group"] = int(grp)
        game = ev.get("game")
        if not isinstance(game, Mapping) or not game:
            raise NormsimError(f"{where}.game: give the game values to set, e.g. {{c: 0.8}}")
        vals = {}
        for key, v in game.items():
            if key in GAME_KEYS:
                vals[key] = _P[key].check(v, f"{where}.game.{key}")
            elif key == "matrix":
                vals.update(zip(MATRIX_KEYS, check_matrix(v, f"{where}.game.matrix"), strict=True))
            elif key in MATRIX_KEYS:
                vals[key] = check_number(f"{where}.game.{key}", v)
            else:
                raise NormsimError(
                    f"{where}.game.{key}: unknown game key (allowed: a, b, c for the (a, b, c) "
                    "game; matrix, R, S, T, P for a matrix game)"
                )
        if any(k in GAME_KEYS for k in vals) and any(k in MATRIX_KEYS for k in vals):
            raise NormsimError(
                f"{where}.game: give a, b, c (the (a, b, c) game) or matrix entries, not both"
            )
        if "matrix" in game and any(k in game for k in MATRIX_KEYS):
            raise NormsimError(f"{where}.game: give matrix or its entries R, S, T, P, not both")

        def gen(name: str, ev: Mapping = ev, where: str = where) -> int:
            g = ev[name]
            if isinstance(g, bool) or not isinstance(g, (int, np.integer)) or g < 0:
                raise NormsimError(f"{where}.{name}: {g!r} must be an integer generation >= 0")
            return int(g)

        if "at" in ev:
            if "from" in ev or "to" in ev:
                raise NormsimError(f"{where}: give at, or from and to, not both")
            at = gen("at")
            if at > generations - 1:
                raise NormsimError(
                    f"{where}.at: {at} is after the last generation "
                    f"(an event at G changes generations G+1.., so at most "
                    f"{generations - 1})"
                )
            out.append({"at": at, "game": vals, **extra})
        else:
            if "from" not in ev or "to" not in ev:
                raise NormsimError(f"{where}: give at, or both from and to")
            g1, g2 = gen("from"), gen("to")
            if g2 <= g1:
                raise NormsimError(f"{where}.to: {g2} must be after from ({g1})")
            if g2 > generations:
                raise NormsimError(f"{where}.to: {g2} is after the last generation ({generations})")
            out.append({"from": g1, "to": g2, "game": vals, **extra})
    return tuple(out)


def check_event_kinds(events: tuple[Mapping[str, Any], ...], matrix: bool) -> None:
    """Refuse normalised events (:func:`check_events`) that set the other kind of game's
    values: a, b, c in a matrix game (``matrix``), matrix entries in the (a, b, c) game."""
    wrong, kind = (GAME_KEYS, "a matrix game") if matrix else (MATRIX_KEYS, "the (a, b, c) game")
    for k, ev in enumerate(events):
        for key in ev["game"]:
            if key in wrong:
                raise NormsimError(
                    f"schedule.events[{k}].game.{key}: the game is {kind}, which has no "
                    f"{key} (set {'matrix, R, S, T, P' if matrix else 'a, b, c'})"
                )


#: the largest and smallest max(a, b) the simulation accepts. Payoffs are summed over
#: an agent's neighbours (and over every edge for the mean payoff) and divided by the
#: payoff range R = max(a, b) k_max - ...: with max(a, b) = 1e308 on a grid R overflows
#: to inf and every Fermi probability becomes 1/2. Within these bounds a graph of up to
#: 1e10 edges stays finite and normal. (The well-mixed ODE takes any a, b > 0.)
SIM_PAYOFF_MAX = 1e290
SIM_PAYOFF_MIN = 1e-290


class PayoffError(NormsimError):
    """Payoffs out of the simulation's bounds; ``loc`` is the field's path (a tuple)."""

    def __init__(self, message: str, loc: tuple):
        super().__init__(message)
        self.loc = loc


def _check_pair(a: float, b: float, loc: tuple) -> None:
    big, name = (a, "a") if a >= b else (b, "b")
    if big > SIM_PAYOFF_MAX or big < SIM_PAYOFF_MIN:
        side = "large" if big > SIM_PAYOFF_MAX else "small"
        field = (
            ".".join(loc) + f".{name}"
            if loc[0] == "game"
            else f"schedule.events[{loc[2]}].game.{name}"
        )
        raise PayoffError(
            f"{field}: {big:g} is too {side} for the simulation: payoffs summed over "
            f"neighbours leave double precision unless max(a, b) is within "
            f"[{SIM_PAYOFF_MIN:g}, {SIM_PAYOFF_MAX:g}]; the dynamics depend only on a : b and "
            "c, so divide a and b by the same factor",
            (*loc, name),
        )


def check_payoffs(a: float, b: float, events=()) -> None:
    """Refuse payoffs whose sums over neighbours overflow (or underflow) the simulation's
    Fermi computation: the initial game's and every game that ``events`` (normalised
    ``schedule.events``, :func:`normsim.params.check_events`) set, in every group, by
    the same bounds. The error (a :class:`PayoffError`) starts with the field
    (``game.a: ...``, ``schedule.events[2].game.a: ...``)."""
    _check_pair(a, b, ("game",))
    states: dict = {None: (a, b)}  # group -> its (a, b); None: every other group
    timed = sorted(range(len(events)), key=lambda k: events[k].get("at", events[k].get("to")))
    for k in timed:
        ev = events[k]
        game = ev.get("game", {})
        if "a" not in game and "b" not in game:
            continue
        groups = [ev["group"]] if "group" in ev else list(states)
        for g in groups:
            old_a, old_b = states.get(g, states[None])
            ga, gb = game.get("a", old_a), game.get("b", old_b)
            states[g] = (ga, gb)
            _check_pair(ga, gb, ("schedule", "events", k, "game"))


def check_matrix_payoffs(entries: tuple[float, ...], events=()) -> None:
    """Refuse matrix entries whose sums over neighbours leave double precision: each
    entry of the matrix and every entry an event sets must be 0 or have a magnitude in
    ``[SIM_PAYOFF_MIN, SIM_PAYOFF_MAX]`` (a :class:`PayoffError` naming the field)."""

    def check(v: float, loc: tuple, field: str) -> None:
        if v != 0.0 and not SIM_PAYOFF_MIN <= abs(v) <= SIM_PAYOFF_MAX:
            side = "large" if abs(v) > SIM_PAYOFF_MAX else "small"
            raise PayoffError(
                f"{field}: {v:g} is too {side} for the simulation: payoffs summed over "
                f"neighbours leave double precision unless every entry is 0 or within "
                f"[{SIM_PAYOFF_MIN:g}, {SIM_PAYOFF_MAX:g}] in size; the dynamics depend only on "
                "the ratios of the entries, so divide them by the same factor",
                loc,
            )

    for name, v in zip(MATRIX_KEYS, entries, strict=True):
        check(v, ("game", "matrix"), f"game.matrix.{name}")
    for k, ev in enumerate(events):
        for name in MATRIX_KEYS:
            if name in ev.get("game", {}):
                v = ev["game"][name]
                check(v, ("schedule", "events", k, "game"), f"schedule.events[{k}].game.{name}")


def _swap_abc(cur: dict) -> None:
    cur["a"], cur["b"] = cur["b"], cur["a"]


def _swap_matrix(cur: dict) -> None:  # [[R, S], [T, P]] -> [[P, T], [S, R]]
    cur["R"], cur["S"], cur["T"], cur["P"] = cur["P"], cur["T"], cur["S"], cur["R"]


def game_schedule(
    a: float,
    b: float,
    c: float,
    shocks: tuple[int, ...],
    events: tuple[Mapping[str, Any], ...],
    generations: int,
) -> tuple[list[tuple[float, float, float]], np.ndarray]:
    """The distinct games of a run and, for each generation 0..G, the index of its game.

    After generation s (s = 0..G-1) the changes apply in this order: a shock at
    s swaps a and b, the events at s set their values (in list order), and
    every ramp running in generation s + 1 sets its value. Games 0 and 1 are
    always the initial game and its swap (the plain model's two phases); the
    others follow in order of first use."""
    cur = {"a": float(a), "b": float(b), "c": float(c)}
    return _schedule(cur, _swap_abc, shocks, events, generations)


def matrix_schedule(
    entries: tuple[float, float, float, float],
    shocks: tuple[int, ...],
    events: tuple[Mapping[str, Any], ...],
    generations: int,
) -> tuple[list[tuple[float, float, float, float]], np.ndarray]:
    """:func:`game_schedule` of a matrix game: its distinct ``(R, S, T, P)`` and each
    generation's index; a shock swaps the norms' roles (``[[P, T], [S, R]]``), events
    set entries (normalised ``schedule.events``, :func:`check_events`)."""
    cur = {k: float(v) for k, v in zip(MATRIX_KEYS, entries, strict=True)}
    return _schedule(cur, _swap_matrix, shocks, events, generations)


def _schedule(
    cur: dict, swap: Callable[[dict], None], shocks: tuple, events: tuple, generations: int
) -> tuple[list[tuple], np.ndarray]:
    keys = tuple(cur)
    swapped = dict(cur)
    swap(swapped)
    games = [tuple(cur[k] for k in keys), tuple(swapped[k] for k in keys)]
    pos = {g: k for k, g in reversed(list(enumerate(games)))}
    index = np.zeros(generations + 1, dtype=np.int64)
    shock_set = set(shocks)
    start: dict[int, dict] = {}
    for g in range(1, generations + 1):
        s = g - 1
        if s in shock_set:
            swap(cur)
        for ev in events:
            if ev.get("at") == s:
                cur.update(ev["game"])
        for k, ev in enumerate(events):
            if "from" in ev and ev["from"] < g <= ev["to"]:
                v0 = start.setdefault(k, {key: cur[key] for key in ev["game"]})
                f = (g - ev["from"]) / (ev["to"] - ev["from"])
                for key, v1 in ev["game"].items():
                    cur[key] = v1 if g == ev["to"] else v0[key] + (v1 - v0[key]) * f
        key = tuple(cur[k] for k in keys)
        if key not in pos:
            pos[key] = len(games)
            games.append(key)
        index[g] = pos[key]
    return games, index


@dataclass(frozen=True)
class ModelParams:
    """Everything that defines a run of the agent-based model (docs/model/odd.md).

    Parameters
    ----------
    a, b, c : float
        The game at generation 0 (each shock swaps a and b).
    network : mapping
        Network spec (:mod:`normsim.networks`), default the paper's 50 x 50 torus.
    initial_b : float
        Probability that an agent starts with norm B.
    update : str
        ``synchronous``, ``sequential``, ``reference`` or
        ``asynchronous`` (N elementary steps a generation, each a random learner
        with replacement that sees current payoffs; see :mod:`normsim.engine`).
    beta : float
        Selection strength of the Fermi rule.
    exploration : float
        Fixed exploration rate mu (ignored when ``rates`` is given).
    rates : tuple of float, optional
        Evolving exploration rates (docs/model/odd.md, 7.5): each agent holds one.
    rate_mutation : float
        Probability per generation that an agent redraws its rate.
    generations : int
        Number of generations G.
    shocks : tuple of int
        Generations s after which a and b swap (generation s + 1 is the first
        played under the swapped payoffs).
    committed : mapping, optional
        Committed agents (:mod:`normsim.mechanisms`): ``fraction`` or ``count``,
        ``norm`` (``A``, ``B`` or ``new``), ``placement`` (``random``, ``hubs``,
        ``cluster`` or ``nodes`` with a ``nodes`` list). Stored normalised
        (:func:`normsim.mechanisms.check_committed`: ``norm`` as 0 or 1).
    conformity : float
        Probability gamma that a learner adopts its neighbours' majority norm
        instead of using the Fermi rule (:mod:`normsim.mechanisms`).
    events : tuple of mapping
        Game events (:func:`check_events`): ``{"at": G, "game": {"c": 0.9}}`` sets
        values from generation G + 1 on, ``{"from": G1, "to": G2, "game": {...}}``
        ramps them linearly; shocks still swap a and b (:func:`game_schedule`).
        With ``groups``, ``"group": k`` limits an event to group k's game (any of a,
        b, c; :meth:`group_games`).
    groups : mapping, optional
        Groups with their own tightness (:mod:`normsim.groups`): ``by`` (``blocks``,
        ``cliques``, ``halves`` or ``attribute``), per-group lists ``c``,
        ``exploration`` and ``initial_b``. Stored normalised
        (:func:`normsim.groups.check_groups`).
    initial : mapping, optional
        An initial configuration instead of the random share (:mod:`normsim.initial`):
        ``{"nodes": [...]}``, ``{"block": {"side": s, "corner": [row, col]}}``,
        ``{"ball": {"centre": v, "count": k}}`` or ``{"snapshot": {"path": ...}}``.
        Stored normalised (:func:`normsim.initial.check_initial`); ``initial_b`` must
        then keep its default and groups give no ``initial_b``.
    protocol : str or mapping
        The revision protocol (:data:`normsim.protocols.PROTOCOLS`) by name (``fermi``,
        the paper's Fermi imitation of a random neighbour, is the default), or a
        mapping of its parts. Stored as the protocol's name.
    payoffs : str
        How the payoffs the rule compares are determined: ``total`` or ``average``
        (:data:`normsim.protocols.PAYOFFS`).
    normalisation : str
        ``range`` (payoff differences over the payoff range R) or ``raw`` (R = 1).
    selection_intensity : float
        w of the Moran rules' fitness ``1 - w + w payoff``.
    matrix : 2 x 2 nested sequence, optional
        A general symmetric game ``[[R, S], [T, P]]`` instead of the (a, b, c) game
        (:class:`normsim.game.MatrixGame`; a, b and c are then not used). A shock
        swaps the norms' roles, events set its entries. Stored as a tuple of tuples.
    """

    # the defaults of every entry point (DEFAULTS below), declared with their ranges
    # and documentation in normsim.parameters: the paper's grid experiment
    a: float = _P["a"].default
    b: float = _P["b"].default
    c: float = _P["c"].default
    network: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_NETWORK))
    initial_b: float = _P["initial_b"].default
    update: str = _P["update"].default
    beta: float = _P["beta"].default
    exploration: float = _P["exploration"].default
    rates: tuple[float, ...] | None = _P["rates"].default
    rate_mutation: float = _P["rate_mutation"].default
    generations: int = _P["generations"].default
    shocks: tuple[int, ...] = _P["shocks"].default
    committed: Mapping[str, Any] | None = _P["committed"].default
    conformity: float = _P["conformity"].default
    events: tuple[Mapping[str, Any], ...] = _P["events"].default
    groups: Mapping[str, Any] | None = _P["groups"].default
    protocol: str = _P["protocol"].default
    payoffs: str = _P["payoffs"].default
    normalisation: str = _P["normalisation"].default
    selection_intensity: float = _P["selection_intensity"].default
    matrix: tuple[tuple[float, float], tuple[float, float]] | None = _P["matrix"].default
    initial: Mapping[str, Any] | None = _P["initial"].default

    def __post_init__(self) -> None:
        if self.matrix is not None:  # a general game: a, b, c are not used
            r, s_, t, p_ = check_matrix(self.matrix)
            object.__setattr__(self, "matrix", ((r, s_), (t, p_)))
            check_matrix_payoffs((r, s_, t, p_))
        else:
            CoordinationGame(self.a, self.b, self.c)
            check_payoffs(self.a, self.b)  # payoff sums must stay finite (SIM_PAYOFF_MAX)
        _P["initial_b"].check(self.initial_b)
        if self.update not in UPDATE_MODES:
            raise NormsimError(
                f"dynamics.update: {self.update!r} is not one of {', '.join(UPDATE_MODES)}"
            )
        part = payoff_part(self.protocol)
        if part is not None and part != self.payoffs:
            if self.payoffs != _P["payoffs"].default:
                raise NormsimError(
                    f"dynamics.protocol.payoff: {part} contradicts dynamics.payoffs: "
                    f"{self.payoffs}; give one of them"
                )
            object.__setattr__(self, "payoffs", part)
        protocol = resolve_protocol(self.protocol, self.update)
        object.__setattr__(self, "protocol", protocol.name)
        check_protocol_payoffs(protocol, self.payoffs, self.normalisation)
        object.__setattr__(
            self, "selection_intensity", _P["selection_intensity"].check(self.selection_intensity)
        )
        if protocol.structured and self.conformity > 0:
            raise NormsimError(
                f"dynamics.conformity: {protocol.name} chooses its candidate by payoff and "
                "does not combine with conformity"
            )
        _P["beta"].check(self.beta)
        _P["exploration"].check(self.exploration)
        _P["rate_mutation"].check(self.rate_mutation)
        if self.rates is not None:
            rates = tuple(_P["rates"].check(r) for r in self.rates)
            if not rates:
                raise NormsimError("exploration.rates: give at least one rate")
            object.__setattr__(self, "rates", rates)
        g = self.generations
        if isinstance(g, bool) or not isinstance(g, (int, np.integer)) or g < 1:
            raise NormsimError(f"schedule.generations: {g!r} must be an integer >= 1")
        object.__setattr__(self, "shocks", expand_shocks(list(self.shocks), int(g)))
        object.__setattr__(self, "network", dict(self.network))
        _P["conformity"].check(self.conformity)
        object.__setattr__(self, "conformity", float(self.conformity))
        object.__setattr__(self, "events", check_events(self.events, int(g)))
        self._check_event_kinds()
        if self.matrix is not None:
            check_matrix_payoffs(self.game.entries, self.events)  # type: ignore[union-attr]
        else:
            check_payoffs(self.a, self.b, self.events)  # the games the events set, too
        if self.events:
            object.__setattr__(
                self, "_schedule", self._game_schedule(self.c, lambda e: "group" not in e)
            )
        if self.committed is not None:  # norm new: the one the first shock favours
            after = self.first_shock_game()
            if isinstance(after, MatrixGame):  # A is new iff R > P after the shock
                old_a, old_b = after.P, after.R
            else:
                old_a, old_b = after.b, after.a
            object.__setattr__(self, "committed", check_committed(self.committed, old_a, old_b))
        if self.groups is not None:
            object.__setattr__(
                self,
                "groups",
                check_groups(self.groups, self.network, evolving=self.rates is not None),
            )
            if self.matrix is not None and self.groups["c"] is not None:
                raise NormsimError(
                    "population.groups.c: a matrix game has no c (give each group its "
                    "own game with events for one group: {at: 0, group: k, game: {matrix: ...}})"
                )
        if self.initial is not None:
            object.__setattr__(self, "initial", check_initial(self.initial))
            if self.initial_b != _P["initial_b"].default:
                raise NormsimError(
                    "population.initial: an initial configuration replaces the random "
                    f"share of B; drop population.initial_b ({self.initial_b:g})"
                )
            if self.groups is not None and self.groups.get("initial_b") is not None:
                raise NormsimError(
                    "population.initial: an initial configuration replaces the groups' "
                    "initial shares; drop population.groups.initial_b"
                )
        for k, ev in enumerate(self.events):
            if "group" not in ev:
                continue
            if self.groups is None:
                raise NormsimError(
                    f"schedule.events[{k}].group: an event for one group needs population.groups"
                )
            m = self.groups["n"]
            if m is None:
                m = (
                    max(
                        len(self.groups[x])
                        for x in ("c", "exploration", "initial_b")
                        if self.groups[x] is not None
                    )
                    if any(self.groups[x] is not None for x in ("c", "exploration", "initial_b"))
                    else None
                )
            if m is not None and ev["group"] >= m:
                raise NormsimError(
                    f"schedule.events[{k}].group: {ev['group']} is not a group (groups 0..{m - 1})"
                )

    def _check_event_kinds(self) -> None:
        check_event_kinds(self.events, self.matrix is not None)

    def _game_schedule(self, c: float, use: Callable[[Mapping[str, Any]], bool]) -> tuple:
        """The games (objects) and index of :func:`game_schedule` or
        :func:`matrix_schedule` with the events ``use`` accepts (c: the group's)."""
        events = tuple(e for e in self.events if use(e))
        if self.matrix is not None:
            entries, at = matrix_schedule(
                self.game.entries,  # type: ignore[union-attr]
                self.shocks,
                events,
                self.generations,
            )
            return [MatrixGame(*x) for x in entries], at
        games, index = game_schedule(self.a, self.b, c, self.shocks, events, self.generations)
        return [CoordinationGame(*x) for x in games], index

    @property
    def game(self) -> Game:
        """The game at generation 0, a :class:`~normsim.game.MatrixGame` when ``matrix``
        is given, else the (a, b, c) :class:`~normsim.game.CoordinationGame`."""
        if self.matrix is not None:
            (r, s), (t, p) = self.matrix
            return MatrixGame(r, s, t, p)
        return CoordinationGame(self.a, self.b, self.c)

    def first_shock_game(self) -> Game:
        """The game played right after the first shock: the swap of the game in force
        then (the initial one, changed by the events before the shock), with the events
        at the shock applied; the swap of the initial game in a run without shocks.
        Events of one group (``group: k``) do not count."""
        if not self.shocks:
            return self.game.shocked()
        return self.game_at(self.shocks[0] + 1)

    def new_norm(self) -> int | None:
        """The *new norm*: the one the first shock favours, in the game played right
        after it (:meth:`first_shock_game`); None when that game has a = b."""
        return self.first_shock_game().favoured_norm()

    def payoff(self, game: Game, norm: int, n_same: int, n_other: int) -> float:
        """The payoff a protocol's rule compares (``payoffs``): the game's total over
        ``n_same`` coordinated and ``n_other`` miscoordinated games, or that total over
        the number of neighbours (``average``)."""
        total = game.total_payoff(norm, n_same, n_other)
        return total / (n_same + n_other) if self.payoffs == "average" else total

    def rule_range(
        self, payoff_range: Callable[[int, int], float], k_min: int, k_max: int
    ) -> float:
        """The ``R`` a protocol's rule receives, from ``payoff_range(k_min, k_max)`` (the
        game's or the groups' payoff range): 1 with ``normalisation: raw``; with
        ``average`` payoffs the range of one game (degrees 1)."""
        if self.normalisation == "raw":
            return 1.0
        if self.payoffs == "average":
            return payoff_range(1, 1)
        return payoff_range(k_min, k_max)

    def fitness_bounds(self, games: Sequence[Game], k_min: int, k_max: int) -> tuple[float, float]:
        """``(largest, smallest)`` fitness ``1 - w + w payoff`` of the Moran rules that an
        agent with k_min..k_max neighbours can have under ``games`` (the group games, or
        the one game), from the payoffs' bounds (one game's with ``average`` payoffs).
        The birth-death rule draws its reproducer by rejection against the largest; a
        smallest at or below 0 is refused by :meth:`check_fitness`."""
        k_lo, k_hi = (1, 1) if self.payoffs == "average" else (k_min, k_max)
        bounds = [g.payoff_bounds(k_lo, k_hi) for g in games]
        w = self.selection_intensity
        return fitness(max(b[0] for b in bounds), w), fitness(min(b[1] for b in bounds), w)

    def check_fitness(self, games: Sequence[Game], k_min: int, k_max: int) -> float:
        """The largest fitness (:meth:`fitness_bounds`) of a Moran rule's run, after
        refusing in one line a smallest fitness at or below 0."""
        top, bottom = self.fitness_bounds(games, k_min, k_max)
        if bottom <= 0:
            raise NormsimError(
                f"dynamics.selection_intensity: the fitness 1 - w + w payoff falls to "
                f"{bottom:.4g} for the lowest payoff on this graph (w = "
                f"{self.selection_intensity:g}); lower w so that every fitness is positive"
            )
        return top

    @property
    def evolving(self) -> bool:
        """Whether exploration rates evolve (docs/model/odd.md, 7.5)."""
        return self.rates is not None

    def phases(self) -> np.ndarray:
        """``phases()[g]`` is 1 when generation g is played under swapped payoffs:
        an odd number of shocks s < g (a shock at s swaps from generation s + 1 on)."""
        g = np.arange(self.generations + 1)
        return (
            np.searchsorted(np.asarray(self.shocks, dtype=np.int64), g, side="left") % 2
        ).astype(np.uint8)

    def game_at(self, generation: int) -> Game:
        """The game played in ``generation`` (1-based), after the shocks and events before it."""
        if self.events:
            games, index = self.__dict__["_schedule"]
            return games[int(index[generation])]
        g = self.game
        return g.shocked() if bisect.bisect_left(self.shocks, generation) % 2 else g

    def games(self) -> tuple[list[Game], np.ndarray]:
        """The distinct games of the run and each generation's index into them
        (:func:`game_schedule`): without events ``[game, game.shocked()]`` and
        :meth:`phases`."""
        if self.events:
            games, index = self.__dict__["_schedule"]
            return list(games), index.copy()
        return [self.game, self.game.shocked()], self.phases()

    def group_c(self) -> tuple[float, ...] | None:
        """The groups' c at generation 0 (None without groups or per-group values)."""
        if self.groups is None or self.groups["c"] is None:
            return None
        return tuple(self.groups["c"])

    def group_games(self, m: int) -> tuple[list[tuple[Game, ...]], np.ndarray]:
        """The distinct per-group games of a run of ``m`` groups and each generation's
        index into them.

        Group k plays :func:`game_schedule` of ``(a, b, c_k)``: shocks swap a and b
        for everyone, an event sets its values in every group (only in group k
        with ``group: k``), and a ramp runs from each group's own value. Entries 0 and 1
        are the initial games and their swap (as :meth:`games`). Without groups (``m = 1``
        and no per-group c) this is :meth:`games` with one-game tuples."""
        cs = self.group_c() or (self.c,) * m
        if len(cs) != m:
            raise NormsimError(
                f"population.groups.c: {len(cs)} value(s) for {m} groups (give one per group)"
            )
        key = ("_group_games", m)
        cache: dict[Any, Any] = self.__dict__  # keyed by (name, m)
        if key in cache:
            games, index = cache[key]
            return list(games), index.copy()
        per = [self._game_schedule(ck, _for_group(k)) for k, ck in enumerate(cs)]
        G = self.generations
        combos = [tuple(0 for _ in per), tuple(1 for _ in per)]
        pos = {combos[0]: 0}
        pos.setdefault(combos[1], 1)
        index = np.zeros(G + 1, dtype=np.int64)
        for g in range(1, G + 1):
            k = tuple(int(ix[g]) for _, ix in per)
            if k not in pos:
                pos[k] = len(combos)
                combos.append(k)
            index[g] = pos[k]
        games = [tuple(per[j][0][k[j]] for j in range(m)) for k in combos]
        cache[key] = (games, index)
        return list(games), index.copy()

    def group_game_at(self, generation: int, m: int) -> tuple[Game, ...]:
        """The per-group games played in ``generation`` (1-based)."""
        games, index = self.group_games(m)
        return games[int(index[generation])]


def _for_group(k: int) -> Callable[[Mapping[str, Any]], bool]:
    """Whether an event applies to group k (an event for everyone, or for k)."""
    return lambda e: e.get("group", k) == k


#: normsim's defaults, in one place; the scenario schema, the Mesa model's
#: keywords and the browser page's initial values are all read from here
DEFAULTS = ModelParams()
