"""The choice rules of the revision protocols: each one function of plain numbers.

A rule gives the probability that a revising agent adopts its candidate's norm,
from the candidate's payoff, its own payoff, the selection strength ``beta`` and
the payoff range ``R``. The compiled kernels inline the same functions
(:mod:`normsim.engine.kernels`) and the Mesa agent calls them
(:mod:`normsim.agents`), so both decide alike to the last bit. A decision is
``u < rule(...)`` for the agent's uniform draw ``u`` in [0, 1): a rule that
returns 0 or 1 decides without chance.

Examples
--------
>>> fermi(1.0, 1.0, 5.0, 2.0)
0.5
>>> best_response(1.2, 1.0, 5.0, 2.0), best_response(1.0, 1.0, 5.0, 2.0)
(1.0, 0.0)
>>> pairwise_difference(1.5, 1.0, 5.0, 2.0), voter(0.0, 9.0, 5.0, 2.0)
(0.25, 1.0)
"""

from __future__ import annotations

from normsim.game import fermi_probability

#: The Fermi rule, ``1 / (1 + exp(-beta (candidate - own) / R))``, the function
#: :func:`normsim.game.fermi_probability` itself
fermi = fermi_probability

#: Logit (log-linear) choice between two options, ``exp(beta other / R) / (exp(beta
#: other / R) + exp(beta own / R))``: the same function, the Fermi expression of the
#: difference (``rule(other, own, beta, R)``), so the same bits
logit = fermi_probability


def best_response(candidate: float, own: float, beta: float, R: float) -> float:
    """Myopic best response: 1 if the candidate payoff is strictly higher, else 0
    (a tie keeps the agent's own norm). ``beta`` and ``R`` are not used."""
    return 1.0 if candidate > own else 0.0


def voter(candidate: float, own: float, beta: float, R: float) -> float:
    """The voter rule: always 1 (payoffs play no part)."""
    return 1.0


def imitate_if_better(candidate: float, own: float, beta: float, R: float) -> float:
    """Imitate if better: 1 if the candidate's payoff is strictly higher, else 0."""
    return 1.0 if candidate > own else 0.0


def pairwise_difference(candidate: float, own: float, beta: float, R: float) -> float:
    """Pairwise difference (proportional imitation): ``max(0, candidate - own) / R``,
    at most 1."""
    d = candidate - own
    if d <= 0.0:
        return 0.0
    return min(1.0, d / R)


def fitness(payoff: float, w: float) -> float:
    """The Moran rules' fitness ``1 - w + w payoff`` with selection intensity ``w``,
    computed as ``(1 - w) + w * payoff`` everywhere."""
    return (1.0 - w) + w * payoff
