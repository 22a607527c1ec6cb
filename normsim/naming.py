"""The naming game's parameters, validated: :class:`NamingParams`.

Two variants (docs/model/naming.md):

* ``minimal``: the minimal naming game (Baronchelli, Felici, Loreto, Caglioti & Steels
  2006). Every agent starts with an empty inventory of names (integers); a speaker with
  an empty inventory invents the next unused integer.
* ``binary``: the binary naming game with committed agents (Xie, Sreenivasan, Korniss,
  Zhang, Lim & Szymanski 2011): names A (0) and B (1) only; everybody starts on B except
  a committed minority that holds A and never changes its inventory.

The population is a normsim network spec (:mod:`normsim.networks`) or the well-mixed
population ``{"kind": "well_mixed", "n": N}``, in which the hearer is a uniformly random
agent other than the speaker (the same draws as a complete graph, see
:mod:`normsim.engine.naming`). The compiled engine (:func:`normsim.engine.naming.simulate_naming`),
the Mesa model (:class:`normsim.naming_model.NamingGameModel`) and the tests' slow model
all take these parameters.

Examples
--------
>>> p = NamingParams(variant="binary", network={"kind": "well_mixed", "n": 1000},
...                  committed=0.12, generations=50)
>>> p.committed_number(1000)
120
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from normsim.errors import NormsimError, check_number, excerpt

#: the two games
VARIANTS = ("minimal", "binary")
#: the network kind of a well-mixed population (besides normsim's network kinds)
WELL_MIXED = "well_mixed"
#: the names of the binary game, by their integer code
BINARY_NAMES = ("A", "B")
#: the model's name, as a scenario or a stored result would say it
MODEL = "naming"


def well_mixed(n: int) -> dict[str, Any]:
    """The spec of a well-mixed population of ``n`` agents.

    >>> well_mixed(500)
    {'kind': 'well_mixed', 'n': 500}
    """
    return {"kind": WELL_MIXED, "n": int(n)}


def check_well_mixed(spec: Mapping[str, Any]) -> int:
    """The size of a well-mixed spec (``{"kind": "well_mixed", "n": N}``, N >= 2), or raise
    :class:`~normsim.errors.NormsimError`."""
    extra = sorted(set(spec) - {"kind", "n"})
    if extra:
        raise NormsimError(f"network.{extra[0]}: not a parameter of well_mixed (allowed: n)")
    n = spec.get("n")
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise NormsimError(f"network.n: {excerpt(n)} must be an integer >= 2 (well_mixed)")
    if n >= 2**31:
        raise NormsimError(f"network.n: {n} agents is more than the engine indexes (2**31 - 1)")
    return n


@dataclass(frozen=True)
class NamingParams:
    """One naming-game model: variant, population, committed agents, length.

    Parameters
    ----------
    variant : str
        ``"minimal"`` or ``"binary"``.
    network : mapping
        A normsim network spec (:mod:`normsim.networks`) or ``{"kind": "well_mixed",
        "n": N}`` (the default, 100 agents).
    committed : float
        Binary game: the fraction ``p`` of agents committed to A, in [0, 1); the number
        committed is ``floor(p N + 0.5)``. Must be 0 in the minimal game.
    committed_count : int, optional
        Binary game: the number of committed agents instead of ``committed`` (give one).
    generations : int
        Number of generations recorded after the initial state; a generation is ``N``
        interactions.
    """

    variant: str = "binary"
    network: Mapping[str, Any] = field(default_factory=lambda: well_mixed(100))
    committed: float = 0.0
    committed_count: int | None = None
    generations: int = 100

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise NormsimError(f"variant: {excerpt(self.variant)} is not one of minimal, binary")
        if not isinstance(self.network, Mapping) or "kind" not in self.network:
            raise NormsimError(
                f"network: {excerpt(self.network)} is not a network spec with a kind"
            )
        if self.network["kind"] == WELL_MIXED:
            check_well_mixed(self.network)
        p = check_number("committed", self.committed, low=0.0, high=1.0)
        if p >= 1.0:
            raise NormsimError("committed: 1 is outside [0, 1) (someone must be uncommitted)")
        object.__setattr__(self, "committed", p)
        k = self.committed_count
        if k is not None:
            if isinstance(k, bool) or not isinstance(k, int) or k < 0:
                raise NormsimError(f"committed_count: {excerpt(k)} must be an integer >= 0")
            if p > 0.0:
                raise NormsimError("committed: give a fraction or committed_count, not both")
        if self.variant == "minimal" and (p > 0.0 or (k or 0) > 0):
            raise NormsimError("committed: only the binary variant has committed agents")
        g = self.generations
        if isinstance(g, bool) or not isinstance(g, int) or g < 1:
            raise NormsimError(f"generations: {excerpt(g)} must be an integer >= 1")

    @property
    def is_well_mixed(self) -> bool:
        """Whether the population is well mixed (no network)."""
        return self.network["kind"] == WELL_MIXED

    @property
    def binary(self) -> bool:
        """Whether this is the binary game."""
        return self.variant == "binary"

    def committed_number(self, n: int) -> int:
        """The number of committed agents in a population of ``n`` (checked: at least one
        agent is uncommitted)."""
        if self.committed_count is not None:
            k = self.committed_count
            if k >= n:
                raise NormsimError(
                    f"committed_count: {k} leaves nobody uncommitted in a population of {n}"
                )
            return k
        k = int(math.floor(self.committed * n + 0.5))
        if k >= n:
            raise NormsimError(
                f"committed: {self.committed:g} of {n} agents rounds to all {n}; "
                "someone must be uncommitted"
            )
        return k
