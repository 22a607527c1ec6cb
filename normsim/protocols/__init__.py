"""Revision protocols: how an agent revises its norm, declared once.

A revision protocol is built from parts, as in the catalogue of Izquierdo,
Izquierdo & Sandholm (*Agent-Based Evolutionary Game Dynamics*, 2024):

* **who revises when**: the visiting order (``dynamics.update``: synchronous,
  sequential, reference, asynchronous);
* **which candidate is looked at** (:data:`CANDIDATES`): one random neighbour,
  or none, for a direct protocol that compares the agent's own two norms;
* **how payoffs are determined** (:data:`PAYOFFS`, the run's ``dynamics.payoffs``):
  the total over all neighbours, or its average;
* **the choice rule** (:data:`CHOICE_RULES`): a function of plain numbers in
  :mod:`normsim.protocols.rules`.

The kernels are compiled once per *kernel family* (:attr:`Protocol.kernel`: how the
candidate is found) and take the choice rule as a run-time code
(:attr:`Protocol.code`): with at most 256 payoff classes the rule is in the lookup
table of thresholds anyway, so a new rule of an existing family compiles nothing
new. The payoffs' normalisation (``dynamics.normalisation``: the payoff range ``R``,
or ``raw`` payoffs as in Blume 1993) is the ``R`` the rules receive.

:data:`PROTOCOLS` is the table of the protocols made from these parts. It is
the one declaration that the rest of normsim reads: the scenario schema's
allowed values and their documentation (``dynamics.protocol``), the model's
parameters (:class:`normsim.params.ModelParams`), the compiled kernels'
dispatch code (:attr:`Protocol.code`), the Mesa agent's step, the browser
page's choices, the draw schedule's table and the reference page of protocols.

Examples
--------
>>> resolve("best_response", "sequential").candidate
'none'
>>> resolve({"candidate": "random_neighbour", "choice": "fermi"}, "reference").name
'fermi'
>>> resolve("best_response", "reference")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
normsim.errors.NormsimError: dynamics.protocol: best_response does not support update: ...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from normsim.errors import NormsimError, excerpt
from normsim.protocols import rules


@dataclass(frozen=True)
class Part:
    """One part a protocol is built from: its name and what it means."""

    name: str
    summary: str


#: which candidate a revising agent looks at
CANDIDATES: dict[str, Part] = {
    p.name: p
    for p in (
        Part(
            "random_neighbour",
            "one neighbour drawn uniformly at random; the agent may adopt its norm "
            "(an imitative protocol)",
        ),
        Part(
            "none",
            "no one: the agent compares its own norm with the other one against its "
            "neighbours (a direct protocol)",
        ),
        Part(
            "best_neighbour",
            "the best-paid agent of its closed neighbourhood (itself and its neighbours), "
            "ties broken uniformly by the visit's draw",
        ),
        Part(
            "fitness_neighbour",
            "one neighbour drawn with probability proportional to its fitness 1 - w + w "
            "payoff (a Moran death-birth step: the agent dies, a neighbour's copy replaces it)",
        ),
        Part(
            "fitness_population",
            "the revising agent is a uniformly random neighbour of a reproducer drawn from "
            "the whole population with probability proportional to fitness (a Moran "
            "birth-death step)",
        ),
    )
}

#: how the payoffs that the choice rule compares are determined
PAYOFFS: dict[str, Part] = {
    p.name: p
    for p in (
        Part(
            "total",
            "the sum over all neighbours of one game each (docs/model/odd.md, 7.2)",
        ),
        Part(
            "average",
            "the total divided by the number of neighbours; the payoff range R is then "
            "that of one game",
        ),
    )
}

#: how the rules' payoff differences are scaled (``dynamics.normalisation``)
NORMALISATIONS: dict[str, Part] = {
    p.name: p
    for p in (
        Part("range", "divided by the payoff range R (docs/model/odd.md, 7.2), the paper's"),
        Part("raw", "not scaled (R = 1), as in Blume's (1993) log-linear learning"),
    )
}

#: the choice rules, each the probability of adopting the candidate's norm
CHOICE_RULES: dict[str, Part] = {
    p.name: p
    for p in (
        Part(
            "fermi",
            "adopt with probability 1 / (1 + exp(-beta (candidate - own) / R))",
        ),
        Part(
            "best_response",
            "adopt the other norm if its payoff is strictly higher; a tie keeps one's own",
        ),
        Part(
            "logit",
            "adopt the other norm with probability 1 / (1 + exp(-beta (other - own) / R)): "
            "log-linear choice between the two norms",
        ),
        Part("voter", "adopt the candidate's norm always (payoffs play no part)"),
        Part(
            "imitate_if_better",
            "adopt if the candidate's payoff is strictly higher; a tie keeps one's own norm",
        ),
        Part(
            "pairwise_difference",
            "adopt with probability max(0, candidate - own) / R",
        ),
        Part("imitate", "adopt the candidate's norm always (the candidate was chosen by payoff)"),
    )
}

#: the kernel families, how the kernels find a protocol's candidate (compile-time code)
KERNELS: dict[str, int] = {
    "random_neighbour": 0,
    "none": 1,
    "best_neighbour": 2,
    "fitness_neighbour": 3,
    "fitness_population": 4,
}

#: the visiting orders (the values of ``dynamics.update``)
VISITING_ORDERS = ("synchronous", "sequential", "reference", "asynchronous")


@dataclass(frozen=True)
class Protocol:
    """A revision protocol: its parts, its decision function and its documentation.

    Attributes
    ----------
    name : str
        The value of ``dynamics.protocol``.
    code : int
        Its number: the run-time rule code the kernels' choice dispatches on (0..n-1).
    candidate, choice : str
        Its parts (keys of :data:`CANDIDATES`, :data:`CHOICE_RULES`).
    payoffs : tuple of str
        The payoff determinations (:data:`PAYOFFS`) it takes; ``()`` when its rule
        reads no payoff.
    rule : callable
        ``rule(candidate_payoff, own_payoff, beta, R)``: the probability of adopting
        the candidate's norm (:mod:`normsim.protocols.rules`).
    orders : tuple of str
        The visiting orders it supports.
    label : str
        Its name on the browser page.
    doc : str
        Its documentation: the scenario reference and the protocols page.
    draws : str
        How it uses the draws of a visit (the draw schedule's table).
    rates : str
        What becomes of evolving exploration rates under it.
    """

    name: str
    code: int
    candidate: str
    payoffs: tuple[str, ...]
    choice: str
    rule: Callable[[float, float, float, float], float]
    orders: tuple[str, ...]
    label: str
    doc: str
    draws: str
    rates: str

    @property
    def direct(self) -> bool:
        """Whether the agent compares its own options (no candidate is looked at)."""
        return self.candidate == "none"

    @property
    def kernel(self) -> int:
        """The compile-time code of its kernel family (:data:`KERNELS`)."""
        return KERNELS[self.candidate]

    @property
    def structured(self) -> bool:
        """Whether it finds its candidate from the payoffs of a neighbourhood or the
        population (imitate the best, the Moran rules): conformity does not combine
        with it."""
        return self.kernel >= KERNELS["best_neighbour"]

    @property
    def moran(self) -> bool:
        """Whether it weighs agents by their fitness ``1 - w + w payoff``
        (``dynamics.selection_intensity`` w)."""
        return self.candidate.startswith("fitness_")

    @property
    def scaled(self) -> bool:
        """Whether its rule divides payoff differences by ``R`` (``dynamics.normalisation``
        applies)."""
        return self.choice in ("fermi", "logit", "pairwise_difference")


#: the registered protocols by name, in the order every table and menu lists them
PROTOCOLS: dict[str, Protocol] = {
    p.name: p
    for p in (
        Protocol(
            name="fermi",
            code=0,
            candidate="random_neighbour",
            payoffs=tuple(PAYOFFS),
            choice="fermi",
            rule=rules.fermi,
            orders=VISITING_ORDERS,
            label="Fermi imitation",
            doc="Fermi imitation of one random neighbour (the paper's rule): the agent "
            "adopts the neighbour's norm (and, with evolving rates, its rate) with "
            "probability 1 / (1 + exp(-beta (payoff of the neighbour - own payoff) / R)).",
            draws="x: the neighbour (high bits of its low half), u_e (the rest of the "
            "low half) and u_f (its high half, the Fermi test)",
            rates="an imitating agent takes its neighbour's rate; the rate then mutates",
        ),
        Protocol(
            name="best_response",
            code=1,
            candidate="none",
            payoffs=tuple(PAYOFFS),
            choice="best_response",
            rule=rules.best_response,
            orders=("synchronous", "sequential", "asynchronous"),
            label="best response",
            doc="Myopic best response: the agent switches to the other norm when that "
            "norm's total payoff against its neighbours is strictly higher than its own "
            "norm's (a tie keeps its norm); exploration acts as under every protocol. "
            "The payoffs are those of the neighbours' norms at the start of the "
            "generation (synchronous, sequential) or their current norms "
            "(asynchronous). With exploration 0 this is the deterministic "
            "best-response dynamic; with exploration it is the Kandori-Mailath-Rob "
            "and Young noisy best response. The reference order is the authors' "
            "imitation procedure and does not apply.",
            draws="x as under fermi (the same draws, so switching the protocol changes "
            "nothing else): u_e decides exploration; the neighbour it picks and u_f "
            "are not used",
            rates="no rate is imitated: rates change by mutation alone",
        ),
        Protocol(
            name="logit",
            code=2,
            candidate="none",
            payoffs=tuple(PAYOFFS),
            choice="logit",
            rule=rules.logit,
            orders=("synchronous", "sequential", "asynchronous"),
            label="logit (log-linear)",
            doc="Logit (log-linear) choice between the two norms (Blume 1993): the agent "
            "takes the other norm with probability 1 / (1 + exp(-beta (its payoff - own "
            "payoff) / R)), R the payoff range or 1 (``dynamics.normalisation: raw``). "
            "Payoffs as under best response: those of the start of the generation "
            "(synchronous, sequential) or of the current state (asynchronous). In the "
            "asynchronous order with exploration 0 and total payoffs its stationary law "
            "on any graph is the Gibbs measure of the game's potential; payoffs frozen "
            "for a whole sweep do not give that law.",
            draws="as under best_response, u_f deciding the logit choice",
            rates="no rate is imitated: rates change by mutation alone",
        ),
        Protocol(
            name="voter",
            code=3,
            candidate="random_neighbour",
            payoffs=(),
            choice="voter",
            rule=rules.voter,
            orders=VISITING_ORDERS,
            label="voter",
            doc="The voter rule: the agent copies the norm (and, with evolving rates, the "
            "rate) of one random neighbour; payoffs play no part. Exploration acts as "
            "under every protocol.",
            draws="as under fermi: x picks the neighbour and gives u_e; u_f is drawn and not used",
            rates="an agent takes its neighbour's rate with its norm; the rate then mutates",
        ),
        Protocol(
            name="imitate_if_better",
            code=4,
            candidate="random_neighbour",
            payoffs=tuple(PAYOFFS),
            choice="imitate_if_better",
            rule=rules.imitate_if_better,
            orders=VISITING_ORDERS,
            label="imitate if better",
            doc="Imitate if better: the agent adopts one random neighbour's norm (and "
            "rate) when that neighbour's payoff is strictly higher than its own.",
            draws="as under fermi; u_f is drawn and not used",
            rates="an imitating agent takes its neighbour's rate; the rate then mutates",
        ),
        Protocol(
            name="pairwise_difference",
            code=5,
            candidate="random_neighbour",
            payoffs=tuple(PAYOFFS),
            choice="pairwise_difference",
            rule=rules.pairwise_difference,
            orders=VISITING_ORDERS,
            label="pairwise difference",
            doc="Pairwise difference (proportional imitation): the agent adopts one random "
            "neighbour's norm (and rate) with probability max(0, its payoff - own payoff) "
            "/ R, R the payoff range (it needs ``dynamics.normalisation: range``, the "
            "default: the difference of two payoffs never exceeds R).",
            draws="as under fermi, u_f deciding the imitation",
            rates="an imitating agent takes its neighbour's rate; the rate then mutates",
        ),
        Protocol(
            name="imitate_the_best",
            code=6,
            candidate="best_neighbour",
            payoffs=tuple(PAYOFFS),
            choice="imitate",
            rule=rules.voter,
            orders=("synchronous", "sequential", "asynchronous"),
            label="imitate the best",
            doc="Imitate the best (Nowak & May 1992): the agent takes the norm (and rate) "
            "of the best-paid agent of its closed neighbourhood, itself included; among "
            "several best-paid ones it takes one uniformly at random (the visit's u_f "
            "picks it), so it keeps its norm when it is among the best. The payoffs are "
            "those of the game phase (synchronous, sequential) or current "
            "(asynchronous). It never adopts a norm absent from its closed "
            "neighbourhood, except by exploration.",
            draws="x as under fermi: u_e decides exploration, u_f breaks ties among the "
            "best (the m tied agents, itself first and then its neighbours in order: the "
            "floor(u_f m)-th); the neighbour x picks is not used",
            rates="an imitating agent takes the best agent's rate; the rate then mutates",
        ),
        Protocol(
            name="moran_death_birth",
            code=7,
            candidate="fitness_neighbour",
            payoffs=tuple(PAYOFFS),
            choice="imitate",
            rule=rules.voter,
            orders=("synchronous", "sequential", "asynchronous"),
            label="Moran death-birth",
            doc="Moran death-birth on the graph: the visited agent dies and a copy of one "
            "of its neighbours takes its place, the neighbour drawn with probability "
            "proportional to its fitness 1 - w + w payoff (selection intensity w, "
            "``dynamics.selection_intensity``; w = 0 is the voter model). With "
            "exploration the newcomer takes a random norm with probability mu.",
            draws="x as under fermi: u_e decides exploration, u_f draws the parent (the "
            "first neighbour whose running sum of fitness, in neighbour order, exceeds "
            "u_f times the total); the neighbour x picks is not used",
            rates="the newcomer takes its parent's rate; the rate then mutates",
        ),
        Protocol(
            name="moran_birth_death",
            code=8,
            candidate="fitness_population",
            payoffs=tuple(PAYOFFS),
            choice="imitate",
            rule=rules.voter,
            orders=("asynchronous",),
            label="Moran birth-death",
            doc="Moran birth-death on the graph: an agent of the whole population "
            "reproduces with probability proportional to its fitness 1 - w + w payoff "
            "(drawn by rejection: a uniformly random agent is accepted with probability "
            "fitness / largest possible fitness), and its copy replaces a uniformly "
            "random neighbour; with exploration the copy takes a random norm with "
            "probability mu. Current payoffs; the asynchronous order only (a step is a "
            "birth, not a visit).",
            draws="per step, until a reproducer is accepted: j (a bounded draw, as the "
            "asynchronous learner) and x, whose u_f accepts j if u_f fmax < fitness; "
            "then x's low half picks the neighbour that is replaced and gives u_e",
            rates="the copy takes its parent's rate; the rate then mutates",
        ),
    )
}

#: the protocol of the paper, and of every scenario that names none
DEFAULT = "fermi"


def _parts_error(where: str, spec: Mapping) -> NormsimError:
    given = ", ".join(f"{k} {v}" for k, v in spec.items())
    known = ", ".join(f"{p.name} = {p.candidate}/{p.choice}" for p in PROTOCOLS.values())
    return NormsimError(f"{where}: no protocol combines {given} (registered: {known})")


def resolve(
    spec: str | Mapping, update: str | None = None, where: str = "dynamics.protocol"
) -> Protocol:
    """The protocol a scenario names: a name of :data:`PROTOCOLS`, or a mapping of its
    parts (``candidate``, ``payoff``, ``choice``; those left out match any; a
    ``payoff`` given is the run's payoff determination, :func:`payoff_part`, and must be
    one the protocol takes). With ``update``, the protocol must support that visiting
    order. Bad input raises a one-line :class:`~normsim.errors.NormsimError`."""
    if isinstance(spec, str):
        p = PROTOCOLS.get(spec)
        if p is None:
            raise NormsimError(
                f"{where}: {excerpt(spec)} is not a protocol (one of {', '.join(PROTOCOLS)})"
            )
    elif isinstance(spec, Mapping):
        parts = {"candidate": CANDIDATES, "payoff": PAYOFFS, "choice": CHOICE_RULES}
        for key, value in spec.items():
            at = f"{where}.{excerpt(key)}" if where else excerpt(key)
            if key not in parts:
                raise NormsimError(f"{at}: unknown part (allowed: candidate, payoff, choice)")
            if not isinstance(value, str) or value not in parts[key]:
                raise NormsimError(
                    f"{at}: {excerpt(value)} is not a {key} (one of {', '.join(parts[key])})"
                )
        found = [
            p
            for p in PROTOCOLS.values()
            if all(
                (v in p.payoffs or not p.payoffs) if k == "payoff" else getattr(p, k) == v
                for k, v in spec.items()
            )
        ]
        if not found:
            raise _parts_error(where, spec)
        if len(found) > 1:
            raise NormsimError(
                f"{where}: the parts given match {', '.join(p.name for p in found)}; "
                "give more of them, or a protocol's name"
            )
        p = found[0]
    else:
        raise NormsimError(
            f"{where}: {excerpt(spec)} must be a protocol's name or a mapping of its parts"
        )
    if update is not None and update not in p.orders:
        raise NormsimError(
            f"{where}: {p.name} does not support update: {update} "
            f"(it supports {', '.join(p.orders)})"
        )
    return p


def payoff_part(spec: str | Mapping) -> str | None:
    """The payoff determination a protocol's mapping of parts names (``payoff``), if any:
    it sets the run's ``dynamics.payoffs``."""
    if isinstance(spec, Mapping) and isinstance(spec.get("payoff"), str):
        return spec["payoff"]
    return None


def check_payoffs(p: Protocol, payoffs: str, normalisation: str, where: str = "dynamics") -> None:
    """Refuse, in one line, a payoff determination or normalisation that ``p`` does not
    take."""
    if payoffs not in PAYOFFS:
        raise NormsimError(
            f"{where}.payoffs: {excerpt(payoffs)} is not one of {', '.join(PAYOFFS)}"
        )
    if normalisation not in NORMALISATIONS:
        raise NormsimError(
            f"{where}.normalisation: {excerpt(normalisation)} is not one of "
            f"{', '.join(NORMALISATIONS)}"
        )
    if p.payoffs and payoffs not in p.payoffs:
        raise NormsimError(
            f"{where}.payoffs: {p.name} does not take {payoffs} payoffs "
            f"(it takes {', '.join(p.payoffs)})"
        )
    if p.choice == "pairwise_difference" and normalisation != "range":
        raise NormsimError(
            f"{where}.normalisation: {p.name} needs range (its probability is the payoff "
            "gain over the payoff range)"
        )


def by_code(code: int) -> Protocol:
    """The protocol with this rule code."""
    for p in PROTOCOLS.values():
        if p.code == code:
            return p
    raise KeyError(code)


__all__ = [
    "CANDIDATES",
    "CHOICE_RULES",
    "DEFAULT",
    "KERNELS",
    "NORMALISATIONS",
    "PAYOFFS",
    "PROTOCOLS",
    "VISITING_ORDERS",
    "Part",
    "Protocol",
    "by_code",
    "check_payoffs",
    "payoff_part",
    "resolve",
    "rules",
]
