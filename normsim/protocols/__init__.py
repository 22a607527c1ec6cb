"""Revision protocols: how an agent revises its norm, declared once.

A revision protocol is built from parts, as in the catalogue of Izquierdo,
Izquierdo & Sandholm (*Agent-Based Evolutionary Game Dynamics*, 2024):

* **who revises when**: the visiting order (``dynamics.update``: synchronous,
  sequential, reference, asynchronous);
* **which candidate is looked at** (:data:`CANDIDATES`): one random neighbour,
  or none, for a direct protocol that compares the agent's own two norms;
* **how payoffs are determined** (:data:`PAYOFFS`): the total over all
  neighbours;
* **the choice rule** (:data:`CHOICE_RULES`): a function of plain numbers in
  :mod:`normsim.protocols.rules`.

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
    )
}

#: the choice rules: the probability of adopting the candidate's norm
CHOICE_RULES: dict[str, Part] = {
    p.name: p
    for p in (
        Part(
            "fermi",
            "adopt with probability 1 / (1 + exp(-beta (candidate - own) / R))",
        ),
        Part(
            "best_response",
            "adopt if the candidate payoff is strictly higher; a tie keeps one's own norm",
        ),
    )
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
        The compile-time code the kernels dispatch on (one machine code per protocol).
    candidate, payoff, choice : str
        Its parts (keys of :data:`CANDIDATES`, :data:`PAYOFFS`, :data:`CHOICE_RULES`).
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
    payoff: str
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


#: the registered protocols by name, in the order every table and menu lists them
PROTOCOLS: dict[str, Protocol] = {
    p.name: p
    for p in (
        Protocol(
            name="fermi",
            code=0,
            candidate="random_neighbour",
            payoff="total",
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
            payoff="total",
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
    )
}

#: the protocol of the paper, and of every scenario that names none
DEFAULT = "fermi"


def _parts_error(where: str, spec: Mapping) -> NormsimError:
    given = ", ".join(f"{k} {v}" for k, v in spec.items())
    known = ", ".join(f"{p.name} = {p.candidate}/{p.payoff}/{p.choice}" for p in PROTOCOLS.values())
    return NormsimError(f"{where}: no protocol combines {given} (registered: {known})")


def resolve(
    spec: str | Mapping, update: str | None = None, where: str = "dynamics.protocol"
) -> Protocol:
    """The protocol a scenario names: a name of :data:`PROTOCOLS`, or a mapping of its
    parts (``candidate``, ``payoff``, ``choice``; those left out match any). With
    ``update``, the protocol must support that visiting order. Bad input raises a
    one-line :class:`~normsim.errors.NormsimError`."""
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
        found = [p for p in PROTOCOLS.values() if all(getattr(p, k) == v for k, v in spec.items())]
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


def by_code(code: int) -> Protocol:
    """The protocol with this kernel code."""
    for p in PROTOCOLS.values():
        if p.code == code:
            return p
    raise KeyError(code)


__all__ = [
    "CANDIDATES",
    "CHOICE_RULES",
    "DEFAULT",
    "PAYOFFS",
    "PROTOCOLS",
    "VISITING_ORDERS",
    "Part",
    "Protocol",
    "by_code",
    "resolve",
    "rules",
]
