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
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from normsim.errors import NormsimError, check_number
from normsim.game import CoordinationGame

UPDATE_MODES = ("synchronous", "sequential", "reference", "asynchronous")
DEFAULT_NETWORK = {"kind": "grid", "rows": 50, "cols": 50, "periodic": True}


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
            raise NormsimError(f"schedule.shocks: {s} is outside 1..{generations - 1} "
                               f"(generations = {generations})")
        out.append(int(s))
    if len(set(out)) != len(out):
        raise NormsimError("schedule.shocks: a generation is listed twice")
    return tuple(sorted(out))


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
    """

    # the defaults of every entry point (DEFAULTS below): the paper's grid experiment
    a: float = 0.6
    b: float = 0.4
    c: float = 0.3
    network: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_NETWORK))
    initial_b: float = 0.5
    update: str = "reference"
    beta: float = 5.0
    exploration: float = 0.05
    rates: tuple[float, ...] | None = None
    rate_mutation: float = 0.05
    generations: int = 2000
    shocks: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        from normsim.limits import check_payoffs

        CoordinationGame(self.a, self.b, self.c)
        check_payoffs(self.a, self.b)   # payoff sums must stay finite (limits.py)
        check_number("initial_b", self.initial_b, low=0.0, high=1.0)
        if self.update not in UPDATE_MODES:
            raise NormsimError(f"dynamics.update: {self.update!r} is not one of "
                               f"{', '.join(UPDATE_MODES)}")
        check_number("selection_strength", self.beta, low=0.0)
        check_number("exploration", self.exploration, low=0.0, high=1.0)
        check_number("rate_mutation", self.rate_mutation, low=0.0, high=1.0)
        if self.rates is not None:
            rates = tuple(check_number("exploration.rates", r, low=0.0, high=1.0)
                          for r in self.rates)
            if not rates:
                raise NormsimError("exploration.rates: give at least one rate")
            object.__setattr__(self, "rates", rates)
        g = self.generations
        if isinstance(g, bool) or not isinstance(g, (int, np.integer)) or g < 1:
            raise NormsimError(f"schedule.generations: {g!r} must be an integer >= 1")
        object.__setattr__(self, "shocks", expand_shocks(list(self.shocks), int(g)))
        object.__setattr__(self, "network", dict(self.network))

    @property
    def game(self) -> CoordinationGame:
        """The game at generation 0."""
        return CoordinationGame(self.a, self.b, self.c)

    @property
    def evolving(self) -> bool:
        """Whether exploration rates evolve (docs/model/odd.md, 7.5)."""
        return self.rates is not None

    def phases(self) -> np.ndarray:
        """``phases()[g]`` is 1 when generation g is played under swapped payoffs:
        an odd number of shocks s < g (a shock at s swaps from generation s + 1 on)."""
        g = np.arange(self.generations + 1)
        return (np.searchsorted(np.asarray(self.shocks, dtype=np.int64), g, side="left")
                % 2).astype(np.uint8)

    def game_at(self, generation: int) -> CoordinationGame:
        """The game played in ``generation`` (1-based), after the shocks before it."""
        g = self.game
        return g.shocked() if bisect.bisect_left(self.shocks, generation) % 2 else g


#: normsim's defaults, in one place: the scenario schema, the Mesa model's
#: keywords and the browser page's initial values are all read from here
DEFAULTS = ModelParams()
