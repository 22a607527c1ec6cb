"""The Mesa agent of normsim: a person holding a norm on a node of a network.

A :class:`NormAgent` holds its norm (``A = 0`` or ``B = 1``), the index of its
exploration rate (evolving rates, docs/model/odd.md 7.5) and its payoff of the
current generation. In each generation it first plays the coordination game
with every neighbour (:meth:`NormAgent.play`), then updates its norm by
exploration or by the run's revision protocol (:meth:`NormAgent.update`,
docs/model/odd.md sections 3 and 7.3): the paper's Fermi imitation of a random
neighbour, or a direct protocol such as best response, which weighs the other
norm against the same neighbours (``_revise_directly``). The protocols are
declared in :mod:`normsim.protocols`, and the agent decides with their rule
functions (:mod:`normsim.protocols.rules`). The random numbers come from the
model's stream in the order documented in :mod:`normsim.draws`, so the Mesa
model reproduces the compiled engine exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesa.discrete_space import FixedAgent

from normsim.game import Game
from normsim.protocols import PROTOCOLS, Protocol, rules

if TYPE_CHECKING:  # pragma: no cover
    from normsim.model import NormChangeModel


class NormAgent(FixedAgent):
    """An agent on a network cell that plays the coordination game and imitates.

    Attributes
    ----------
    norm : int
        0 (A) or 1 (B).
    rate_index : int
        Index of the agent's exploration rate in ``model.params.rates``
        (always 0 with a fixed rate).
    payoff : float
        Summed payoff of this generation's games (docs/model/odd.md, 7.2).
    n_same, n_other : int
        Neighbours playing the agent's norm / the other norm in this generation.
    committed : bool
        A committed agent (:mod:`normsim.mechanisms`) plays and can be imitated
        but never updates or explores; it still consumes its draws.
    group : int
        The agent's group (:mod:`normsim.groups`; 0 without groups): it plays its
        group's game and, with a fixed rate, explores at its group's rate.
    """

    model: NormChangeModel

    def __init__(
        self,
        model: NormChangeModel,
        cell,
        norm: int,
        rate_index: int = 0,
        committed: bool = False,
        group: int = 0,
    ):
        super().__init__(model)
        self.group = group
        self.committed = committed  # holds its norm and rate for the whole run
        self.cell = cell
        self.norm = norm
        self.rate_index = rate_index
        self.payoff = 0.0
        self.n_same = 0
        self.n_other = 0
        # the state at the start of the generation (what synchronous updating sees)
        self.start_norm = norm
        self.start_rate = rate_index
        self.replaced = False
        self.neighbors: list[NormAgent] = []  # sorted by node id; set by the model

    @property
    def node(self) -> int:
        """The network node the agent sits on."""
        return self.cell.coordinate

    # ------------------------------------------------------------ game phase
    def play(self, game: Game) -> None:
        """Play one game with every neighbour and sum the payoffs (docs/model/odd.md, 7.2;
        their average with ``payoffs: average``)."""
        self.n_same = sum(1 for other in self.neighbors if other.norm == self.norm)
        self.n_other = len(self.neighbors) - self.n_same
        self.payoff = self.model.params.payoff(game, self.norm, self.n_same, self.n_other)
        self.start_norm = self.norm
        self.start_rate = self.rate_index
        self.replaced = False

    def payoff_of(self, norm: int, game: Game, current: bool = True) -> float:
        """Payoff (summed, or averaged: ``payoffs``) the agent earns holding ``norm``
        against its neighbours' norms as they are now (``current``) or as they were at
        the generation's start."""
        n_same = sum(1 for o in self.neighbors if (o.norm if current else o.start_norm) == norm)
        return self.model.params.payoff(game, norm, n_same, len(self.neighbors) - n_same)

    def current_payoff(self, game: Game) -> float:
        """Summed payoff against the neighbours' norms as they are now
        (``asynchronous`` updating: no game phase fixes the payoffs)."""
        return self.payoff_of(self.norm, game)

    # ---------------------------------------------------------- update phase

    def _revise_directly(
        self, protocol: Protocol, u_e: float, u_f: float, mu: float, random_norm: int
    ) -> None:
        """A direct protocol (no candidate is looked at): explore with probability mu,
        otherwise adopt the other norm with the probability of the protocol's rule,
        weighing its payoff against one's own (the payoffs of the game phase, or of the
        current state in ``asynchronous`` mode)."""
        m = self.model
        game = m.current_games[self.group]
        current = m.params.update == "asynchronous"
        own = self.current_payoff(game) if current else self.payoff
        if u_e < mu:
            self.norm = random_norm
        elif u_f < protocol.rule(
            self.payoff_of(1 - self.norm, game, current), own, m.params.beta, m.payoff_range
        ):
            self.norm = 1 - self.norm

    def _payoff_now(self) -> float:
        """The payoff a structured protocol weighs: the game phase's, or the current one
        in ``asynchronous`` mode."""
        m = self.model
        if m.params.update == "asynchronous":
            return self.current_payoff(m.current_games[self.group])
        return self.payoff

    def _structured_candidate(self, protocol: Protocol, u_f: float) -> NormAgent:
        """Imitate the best: the best-paid agent of the closed neighbourhood (itself,
        then its neighbours; the ``floor(u_f m)``-th of ``m`` tied ones). Moran
        death-birth: the first neighbour whose running sum of fitness exceeds ``u_f``
        times the total (sums in neighbour order, one addition at a time)."""
        if protocol.candidate == "best_neighbour":
            pool = [self, *self.neighbors]
            pays = [a._payoff_now() for a in pool]
            best = max(pays)
            tied = [a for a, v in zip(pool, pays, strict=True) if v == best]
            return tied[int(u_f * len(tied))]
        w = self.model.params.selection_intensity
        fit = [rules.fitness(a._payoff_now(), w) for a in self.neighbors]
        total = 0.0
        for f in fit:
            total += f
        target, cum = u_f * total, 0.0
        for a, f in zip(self.neighbors, fit, strict=True):
            cum += f
            if target < cum:
                return a
        return self.neighbors[-1]

    def update(self, x: int | None = None, parent: NormAgent | None = None) -> None:
        """Explore or revise by the run's protocol (docs/model/odd.md, 3 and 7): the
        paper's is Fermi imitation of a random neighbour, a direct protocol weighs the
        other norm instead (``_revise_directly``), a structured one finds its candidate
        by payoff (``_structured_candidate``); with conformity, adopt the neighbours'
        majority instead with probability gamma.

        In ``asynchronous`` mode this is one elementary step of the learner:
        both payoffs are those of the current state. A Moran birth-death step passes
        the output ``x`` that accepted the reproducer ``parent`` (the model drew it)."""
        m = self.model
        rs = m.stream
        p = m.params
        if x is None:
            x = rs.next()
        if parent is not None:  # birth-death: the parent is the candidate
            _, u_e = rs.split(x & 0xFFFFFFFF, len(parent.neighbors))
            teacher = parent
        else:
            index, u_e = rs.split(x & 0xFFFFFFFF, len(self.neighbors))
            teacher = self.neighbors[index]
        u_f = rs.hi(x)
        if p.rates is not None:  # evolving rates
            y = rs.next()
            new_rate, u_m = rs.pick(y, len(p.rates)), rs.lo(y)
        conform = p.conformity > 0 and rs.conform_uniform(p.update) < p.conformity
        if self.committed:
            return  # its draws are consumed; nothing changes
        mu = p.rates[self.rate_index] if p.rates is not None else m.group_mu[self.group]
        random_norm = 1 if u_e < mu / 2 else 0
        if conform:
            # the neighbours' majority (their start-of-generation norms when
            # synchronous, their current ones otherwise); a tie keeps one's own
            sync = p.update == "synchronous"
            n_b = sum((o.start_norm if sync else o.norm) for o in self.neighbors)
            n_a = len(self.neighbors) - n_b
            majority = 1 if n_b > n_a else 0 if n_a > n_b else self.norm
            # exploration in both branches: a random norm with probability mu
            self.norm = random_norm if u_e < mu else majority
            if p.evolving and u_m < p.rate_mutation:
                self.rate_index = new_rate
            if p.update == "reference":
                self.replaced = True  # the authors' code replaces the agent either way
            return

        protocol = PROTOCOLS[p.protocol]
        if protocol.structured and parent is None:  # its rule then adopts the candidate
            teacher = self._structured_candidate(protocol, u_f)
        if protocol.direct:
            self._revise_directly(protocol, u_e, u_f, mu, random_norm)
            if p.evolving and u_m < p.rate_mutation:
                self.rate_index = new_rate
            return
        teacher_payoff, own_payoff = teacher.payoff, self.payoff
        if p.update == "reference" and teacher.replaced:
            teacher_payoff = 0.0  # the authors' code: a replaced agent earns 0
        if p.update == "asynchronous":  # payoffs of the current state, not of a game phase
            # (each agent's own group's game: normsim.groups)
            teacher_payoff = teacher.current_payoff(m.current_games[teacher.group])
            own_payoff = self.current_payoff(m.current_games[self.group])
        accept = u_f < protocol.rule(teacher_payoff, own_payoff, p.beta, m.payoff_range)

        if p.update == "reference":
            if p.evolving:  # the authors' order: explore, mutate rate, imitate
                if u_e < mu:
                    self.norm, self.replaced = random_norm, True
                if u_m < p.rate_mutation:
                    self.rate_index = new_rate
                if accept:
                    self.norm, self.rate_index = teacher.norm, teacher.rate_index
                    self.replaced = True
            elif accept:  # fixed rate: explore only instead of an imitation
                self.norm = random_norm if u_e < mu else teacher.norm
                self.replaced = True
            return
        # synchronous sees the teacher's start-of-generation state, the others its current one
        t_norm, t_rate = (
            (teacher.start_norm, teacher.start_rate)
            if p.update == "synchronous"
            else (teacher.norm, teacher.rate_index)
        )
        if u_e < mu:
            self.norm = random_norm
        elif accept:
            self.norm = t_norm
            if p.evolving:
                self.rate_index = t_rate
        if p.evolving and u_m < p.rate_mutation:
            self.rate_index = new_rate
