"""Every parameter of the model, declared once.

:data:`PARAMETERS` holds, for each parameter of a run, its name (the field of
:class:`normsim.params.ModelParams` and the Mesa model's keyword), where a
scenario sets it, its default, its allowed range, its unit, its documentation and
whether it enters a condition's content hash. The rest of normsim reads it:

* :class:`normsim.params.ModelParams`: the fields' defaults and the range checks;
* the scenario schema (:mod:`normsim.scenario`): the defaults and checks of its
  fields and their documentation (the scenario reference is generated from it);
* :class:`normsim.model.NormChangeModel`: its keywords' defaults (through
  :data:`normsim.params.DEFAULTS`);
* the browser page (:mod:`normsim.viz.params`, :mod:`normsim.viz.controls`): the
  sliders' ranges, labels and initial values;
* the content hash (:func:`normsim.scenario.condition_hash`): a parameter marked
  ``hashed="unless default"`` is left out while it keeps its default, so a
  scenario that does not use it keeps the hash it had before it existed.

Examples
--------
>>> PARAMETERS["c"].path, PARAMETERS["c"].allowed
('game.c', '[0, 1]')
>>> PARAMETERS["beta"].check(-1.0)
Traceback (most recent call last):
...
normsim.errors.NormsimError: dynamics.selection_strength: -1.0 must be >= 0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from normsim.errors import check_number


@dataclass(frozen=True)
class Parameter:
    """One parameter of the model.

    Attributes
    ----------
    name : str
        The :class:`~normsim.params.ModelParams` field and Mesa model keyword.
    path : str
        Where a scenario file sets it (``section.key``).
    default : object
        Its default (the paper's grid experiment).
    low, high : float or None
        The allowed range of a number (None: unbounded on that side).
    low_open : bool
        Whether ``low`` itself is excluded.
    unit : str
        What it counts or measures.
    doc : str
        Its documentation (the scenario reference and the page's tooltips).
    hashed : str
        ``"always"``, or ``"unless default"``: left out of the content hash while
        it keeps its default.
    integer : bool
        Whether it is a whole number.
    label : str
        Its name on the browser page.
    page : tuple of float, optional
        The page's slider: ``(min, max, step)``, within the allowed range.
    """

    name: str
    path: str
    default: Any
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    unit: str = ""
    doc: str = ""
    hashed: str = "always"
    integer: bool = False
    label: str = ""
    page: tuple[float, float, float] | None = None

    @property
    def allowed(self) -> str:
        """The allowed range as the documentation writes it (``> 0``, ``[0, 1]``)."""
        if self.low is not None and self.high is not None:
            return f"{'(' if self.low_open else '['}{self.low:g}, {self.high:g}]"
        if self.low is not None:
            whole = "integer " if self.integer else ""
            return f"{whole}{'>' if self.low_open else '>='} {self.low:g}"
        return ""

    @property
    def description(self) -> str:
        """:attr:`doc` with the allowed range, as the scenario reference shows it."""
        return f"{self.doc} Allowed: {self.allowed}." if self.allowed else self.doc

    def check(self, value: Any, where: str | None = None) -> float:
        """``value`` as a float if it is a number in the allowed range, else a one-line
        :class:`~normsim.errors.NormsimError` naming ``where`` (default :attr:`path`)."""
        return check_number(
            self.path if where is None else where,
            value,
            low=self.low,
            high=self.high,
            low_open=self.low_open,
        )


_DEFAULT_NETWORK = {"kind": "grid", "rows": 50, "cols": 50, "periodic": True}

#: every parameter of a run, by name, in the order of :class:`normsim.params.ModelParams`'s fields
PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in (
        Parameter(
            "a",
            "game.a",
            0.6,
            low=0.0,
            low_open=True,
            unit="payoff",
            doc="Payoff of coordinating on norm A at generation 0 (every shock swaps a and b).",
            label="payoff a (norm A, at start)",
            page=(0.1, 1.0, 0.05),
        ),
        Parameter(
            "b",
            "game.b",
            0.4,
            low=0.0,
            low_open=True,
            unit="payoff",
            doc="Payoff of coordinating on norm B at generation 0.",
            label="payoff b (norm B, at start)",
            page=(0.1, 1.0, 0.05),
        ),
        Parameter(
            "c",
            "game.c",
            0.3,
            low=0.0,
            high=1.0,
            unit="share of the payoff",
            doc="Need for coordination: a miscoordinating player keeps a share 1 - c of "
            "what its norm earns when coordinated (0: a loose society, 1: a tight one).",
            label="need for coordination c",
            page=(0.0, 1.0, 0.05),
        ),
        Parameter(
            "network",
            "population.network",
            _DEFAULT_NETWORK,
            doc="The graph the agents sit on, one agent per node (default: the paper's "
            "50 x 50 torus).",
        ),
        Parameter(
            "initial_b",
            "population.initial_b",
            0.5,
            low=0.0,
            high=1.0,
            unit="probability",
            doc="Probability that an agent starts with norm B (well-mixed: the initial "
            "share of B).",
        ),
        Parameter(
            "update",
            "dynamics.update",
            "reference",
            doc="The update mode: the order in which agents learn and what they see "
            "(``reference`` is the authors' own order).",
        ),
        Parameter(
            "beta",
            "dynamics.selection_strength",
            5.0,
            low=0.0,
            unit="1 / payoff range",
            doc="beta, the selection strength of the Fermi rule (0: imitation ignores payoffs).",
            label="selection strength beta",
            page=(0.0, 20.0, 0.5),
        ),
        Parameter(
            "exploration",
            "dynamics.exploration",
            0.05,
            low=0.0,
            high=1.0,
            unit="probability per generation",
            doc="A fixed exploration rate mu (the probability of trying a random norm), "
            "or a mapping with ``rates`` and ``rate_mutation`` for evolving rates.",
            label="exploration rate",
            page=(0.0, 0.5, 0.01),
        ),
        Parameter(
            "rates",
            "dynamics.exploration.rates",
            None,
            low=0.0,
            high=1.0,
            unit="probability per generation",
            doc="The exploration rates an agent can hold; each agent starts with one "
            "drawn uniformly (evolving rates; none: a fixed rate).",
        ),
        Parameter(
            "rate_mutation",
            "dynamics.exploration.rate_mutation",
            0.05,
            low=0.0,
            high=1.0,
            unit="probability per generation",
            doc="Probability per generation that an agent redraws its rate uniformly "
            "from ``rates``.",
        ),
        Parameter(
            "generations",
            "schedule.generations",
            2000,
            low=1.0,
            integer=True,
            unit="generations",
            doc="Number of generations G (well-mixed: time units of the ODE).",
        ),
        Parameter(
            "shocks",
            "schedule.shocks",
            (),
            unit="generations",
            doc="Generations s after which a and b swap.",
        ),
        Parameter(
            "committed",
            "population.committed",
            None,
            doc="Committed agents: a minority that holds one norm for the whole run.",
            hashed="unless default",
        ),
        Parameter(
            "conformity",
            "dynamics.conformity",
            0.0,
            low=0.0,
            high=1.0,
            unit="probability",
            doc="gamma, the probability that a learner adopts its neighbours' majority "
            "norm (its own on a tie) instead of using its protocol's rule.",
            hashed="unless default",
            label="conformity gamma",
            page=(0.0, 1.0, 0.05),
        ),
        Parameter(
            "events",
            "schedule.events",
            (),
            doc="Game events: values of a, b and c (a matrix game's entries) set at a "
            "generation, or ramped.",
            hashed="unless default",
        ),
        Parameter(
            "groups",
            "population.groups",
            None,
            doc="Groups with their own tightness, exploration and initial share.",
            hashed="unless default",
        ),
        Parameter(
            "protocol",
            "dynamics.protocol",
            "fermi",
            doc="The revision protocol: how a learner revises its norm (see the "
            "protocols page), by name or as a mapping of its parts (``candidate``, "
            "``payoff``, ``choice``); it must support the update mode.",
            hashed="unless default",
        ),
        Parameter(
            "payoffs",
            "dynamics.payoffs",
            "total",
            doc="How the payoffs the protocol's rule compares are determined: ``total`` "
            "(the sum over all neighbours, the paper's) or ``average`` (the total over "
            "the number of neighbours; the payoff range R is then one game's).",
            hashed="unless default",
        ),
        Parameter(
            "normalisation",
            "dynamics.normalisation",
            "range",
            doc="How the Fermi, logit and pairwise-difference rules scale payoff "
            "differences: ``range`` (divided by the payoff range R, the paper's) or "
            "``raw`` (not scaled, as in Blume's log-linear learning; not for "
            "pairwise_difference).",
            hashed="unless default",
        ),
        Parameter(
            "selection_intensity",
            "dynamics.selection_intensity",
            1.0,
            low=0.0,
            high=1.0,
            unit="weight",
            doc="w, the Moran rules' selection intensity: an agent's fitness is 1 - w + w "
            "payoff (w = 0: neutral, the voter model; w = 1: fitness is the payoff). Every "
            "fitness must stay positive.",
            hashed="unless default",
            label="Moran selection w",
            page=(0.0, 1.0, 0.05),
        ),
        Parameter(
            "matrix",
            "game.matrix",
            None,
            doc="A general symmetric 2 x 2 game [[R, S], [T, P]] (payoff of the row "
            "player; rows and columns A, B) instead of the (a, b, c) game; a shock swaps "
            "the norms' roles, [[P, T], [S, R]].",
            hashed="unless default",
        ),
        Parameter(
            "initial",
            "population.initial",
            None,
            doc="An initial configuration instead of the random share of B: an explicit "
            "list of ``nodes``, a ``block`` on a grid, a ``ball`` around a node, or a stored "
            "``snapshot`` (none: each agent starts with B with probability ``initial_b``).",
            hashed="unless default",
        ),
    )
}

#: the parameters a scenario leaves out of its content hash while they keep their default
UNLESS_DEFAULT = tuple(p for p in PARAMETERS.values() if p.hashed == "unless default")
