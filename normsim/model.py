"""The Mesa model of norm change (docs/model/odd.md), agent by agent.

:class:`NormChangeModel` is the readable statement of the model: agents
(:class:`normsim.agents.NormAgent`) on a :class:`mesa.discrete_space.Network`
play the coordination game with their neighbours, then learn from them.
Built from the same parameters as a scenario condition and consuming the same
random stream (:mod:`normsim.draws`), it produces the same series as the
compiled engine for the same seed; the engine is what batch studies use, this
model is what you read, subclass, step and visualise.

Examples
--------
>>> m = NormChangeModel(c=0.6, network={"kind": "grid", "rows": 10, "cols": 10},
...                     generations=50, shocks=(25,), seed=42)
>>> m.run_model()
>>> len(m.series()["share_b"])
51

Agent-level data is off by default (it costs time and memory on large
networks); ``agent_reporters=True`` records each agent's ``norm``, ``payoff``,
``committed`` and ``group`` every generation, an integer ``n`` every n-th
generation (and the last):

>>> m = NormChangeModel(network={"kind": "grid", "rows": 4, "cols": 4}, generations=3,
...                     seed=1, agent_reporters=True)
>>> m.run_model()
>>> m.datacollector.get_agent_vars_dataframe().shape
(64, 4)
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, cast

import networkx as nx
import numpy as np
from mesa import DataCollector, Model
from mesa.discrete_space import Network

from normsim.agents import NormAgent
from normsim.draws import DrawStream, graph_seed
from normsim.groups import group_labels, group_payoffs, group_values, n_groups
from normsim.groups import payoff_range as group_payoff_range
from normsim.initial import initial_state
from normsim.mechanisms import place_committed
from normsim.networks import adjacency, build_graph, relabel
from normsim.params import DEFAULTS, ModelParams
from normsim.protocols import rules


# ------------------------------------------------------------ reporters
def share_b(model: NormChangeModel) -> float:
    """Share of agents playing B."""
    return sum(a.norm for a in model.by_node) / len(model.by_node)


def mean_payoff(model: NormChangeModel) -> float:
    """Mean payoff of the last game phase (NaN before the first generation).

    Computed from the counts of AA, AB and BB edges by
    :meth:`~normsim.game.CoordinationGame.mean_payoff`, the same formula as the engine.
    """
    if model.generation == 0:
        return float("nan")
    if model.params.groups is not None:
        return float(_group_totals(model).sum() / len(model.by_node))
    e_aa = e_ab = e_bb = 0
    for a in model.by_node:
        if a.start_norm == 0:
            e_aa += a.n_same
            e_ab += a.n_other
        else:
            e_bb += a.n_same
    game = model.params.game_at(model.generation)
    return game.mean_payoff(e_aa // 2, e_ab, e_bb // 2, len(model.by_node))


def _group_totals(model: NormChangeModel) -> np.ndarray:
    """Each group's summed payoff in the last game phase, from its (member, neighbour)
    pairs (:func:`normsim.groups.group_payoffs`, the engine's formula)."""
    half = np.zeros((model.n_groups, 4), dtype=np.int64)
    for a in model.by_node:
        if a.start_norm == 0:
            half[a.group, 0] += a.n_same
            half[a.group, 1] += a.n_other
        else:
            half[a.group, 2] += a.n_other
            half[a.group, 3] += a.n_same
    return group_payoffs(model.params.group_game_at(model.generation, model.n_groups), half)


def group_share_b(model: NormChangeModel) -> list[float] | None:
    """Share of B in each group (groups only)."""
    if model.params.groups is None:
        return None
    count = np.zeros(model.n_groups)
    for a in model.by_node:
        count[a.group] += a.norm
    return list(count / model.group_sizes)


def group_mean_payoff(model: NormChangeModel) -> list[float] | None:
    """Mean payoff of each group's members in the last game phase (groups only)."""
    if model.params.groups is None:
        return None
    if model.generation == 0:
        return [float("nan")] * model.n_groups
    return list(_group_totals(model) / model.group_sizes)


def group_mean_rate(model: NormChangeModel) -> list[float] | None:
    """Mean exploration rate of each group (groups and evolving rates only)."""
    if model.params.groups is None or model.params.rates is None:  # not evolving
        return None
    counts = np.zeros((model.n_groups, len(model.params.rates)), dtype=np.int64)
    for a in model.by_node:
        counts[a.group, a.rate_index] += 1
    return list((counts * np.array(model.params.rates)).sum(axis=1) / model.group_sizes)


def share_new(model: NormChangeModel) -> float | None:
    """Share of the committed agents' norm among everyone (committed agents only)."""
    if model.params.committed is None:
        return None
    norm = model.params.committed["norm"]
    return sum(1 for a in model.by_node if a.norm == norm) / len(model.by_node)


def share_new_uncommitted(model: NormChangeModel) -> float | None:
    """Share of the committed agents' norm among the uncommitted agents (NaN if none)."""
    if model.params.committed is None:
        return None
    norm = model.params.committed["norm"]
    free = [a for a in model.by_node if not a.committed]
    return sum(1 for a in free if a.norm == norm) / len(free) if free else float("nan")


def _rate_counts(model: NormChangeModel) -> np.ndarray:
    k = len(model.params.rates) if model.params.rates is not None else 1
    return np.bincount([a.rate_index for a in model.by_node], minlength=k)


def rate_shares(model: NormChangeModel) -> list[float] | None:
    """Share of agents holding each exploration rate (evolving rates only)."""
    if not model.params.evolving:
        return None
    counts = _rate_counts(model)
    return list(counts / counts.sum())


def mean_rate(model: NormChangeModel) -> float | None:
    """Mean exploration rate (evolving rates only)."""
    if not model.params.evolving:
        return None
    counts = _rate_counts(model)
    return float((counts * np.array(model.params.rates)).sum() / counts.sum())


# ------------------------------------------------------------ agent reporters
def agent_payoff(agent: NormAgent) -> float:
    """The agent's summed payoff of the last game phase (NaN before the first
    generation, as the model's ``mean_payoff``)."""
    return agent.payoff if agent.model.generation > 0 else float("nan")


#: The agent reporters of ``NormChangeModel(agent_reporters=...)``, column name to
#: attribute name or function of the agent, as Mesa's ``DataCollector`` takes them.
AGENT_REPORTERS: Mapping[str, Any] = {
    "norm": "norm",
    "payoff": agent_payoff,
    "committed": "committed",
    "group": "group",
}


def _agent_every(value: bool | int) -> int:
    """The ``agent_reporters`` keyword as a period in generations (0: off)."""
    if isinstance(value, bool):
        return int(value)
    try:
        every = operator.index(value)
    except TypeError:
        raise TypeError(
            f"agent_reporters must be True, False or a number of generations, not {value!r}"
        ) from None
    if every < 0:
        raise ValueError(f"agent_reporters must be a positive number of generations, not {every}")
    return every


class NormDataCollector(DataCollector):
    """Mesa's ``DataCollector`` that records the agent reporters only every
    ``agent_every``-th generation, and at the last one; the model reporters every
    generation.

    ``get_agent_vars_dataframe()`` then holds the generations recorded (index
    ``Step``, ``AgentID``); ``mesa.batch_run`` gives one row per agent at those
    generations and one row per generation at the others."""

    agent_reporters: dict  # set by Mesa's DataCollector

    def __init__(self, model_reporters=None, agent_reporters=None, agent_every: int = 1):
        super().__init__(model_reporters=model_reporters, agent_reporters=agent_reporters)
        self.agent_every = max(1, int(agent_every))

    def collect(self, model) -> None:
        """Collect the model reporters, and the agent reporters when they are due."""
        due = (
            model.generation % self.agent_every == 0 or model.generation >= model.params.generations
        )
        if due or not self.agent_reporters:
            super().collect(model)
            return
        reporters, self.agent_reporters = self.agent_reporters, {}
        try:
            super().collect(model)
        finally:
            self.agent_reporters = reporters


class NormChangeModel(Model):
    """Agents on a network playing a two-norm coordination game (De, Nau & Gelfand 2017).

    Parameters
    ----------
    a, b, c, network, initial_b, update, beta, exploration, rates, rate_mutation, generations
        As in :class:`normsim.params.ModelParams`; so are ``shocks``, ``committed``,
        ``conformity``, ``initial`` (:mod:`normsim.initial`), ``groups``
        (:mod:`normsim.groups`; with ``by: attribute`` pass a networkx graph whose
        nodes carry the attribute), ``protocol`` (:mod:`normsim.protocols`),
        ``payoffs``, ``normalisation``, ``selection_intensity`` and ``matrix`` (a
        general 2 x 2 game ``[[R, S], [T, P]]`` instead of a, b, c,
        :class:`normsim.game.MatrixGame`); game events: give ``params``.
        ``network`` is a spec dict (:mod:`normsim.networks`) or a networkx graph.
    params : ModelParams, optional
        All of the above at once (then the keyword values are ignored).
    seed : int, optional
        The replicate seed: Mesa's random number generator and the normsim
        random stream both derive from it, and ``NormChangeModel(params=p,
        seed=s)`` reproduces the engine's replicate with seed ``s``. None draws
        a fresh seed. ``mesa.batch_run(NormChangeModel, ..., rng=[...])`` passes
        its seeds here.
    rng : int, optional
        Deprecated name of ``seed`` (normsim 0.2 and earlier).
    layout : mapping, optional
        Node positions for drawing; None (default) skips Mesa's spring layout.
    agent_reporters : bool or int, optional
        Record the agent reporters (:data:`AGENT_REPORTERS`: ``norm``, ``payoff``,
        ``committed``, ``group``; the class attribute :attr:`agent_reporter_columns`)
        in the ``DataCollector``, so that
        ``model.datacollector.get_agent_vars_dataframe()`` works: True every
        generation, an integer ``n`` every n-th generation and the last one, False
        (default) never. Off by default because it is the costly part of a step on
        large networks: on a 50 x 50 torus recording every generation makes a step
        40 to 50 % slower (2.5 ms of records on a step of about 12 ms, plus the
        garbage collector's work on what is kept) and keeps about 0.3 MB per
        generation; every 10th generation costs 10 to 20 %. It draws no random
        number, so the series are the same either way.

    Notes
    -----
    ``model.agents`` is Mesa's ``AgentSet`` of the agents in node order
    (``unique_id`` is node + 1), so ``model.agents.select(lambda a: a.norm == 1)``,
    ``model.agents.groupby("norm").count()`` or ``model.agents.agg("payoff", max)``
    work between steps. The model draws every random number from its own stream
    (``model.stream``, :mod:`normsim.draws`), never from Mesa's ``model.random``
    that ``AgentSet.shuffle`` and ``shuffle_do`` use, and it visits the agents in its
    own order (``by_node``, ``order``), so these views leave the series unchanged.
    Only calling an agent's ``update`` or ``play`` from outside the step changes the
    state or consumes draws.
    """

    #: the agent class the model creates; a subclass that changes a rule sets its own
    agent_class: type[NormAgent] = NormAgent
    #: the agent reporters recorded with ``agent_reporters``; a subclass may add its own
    agent_reporter_columns: Mapping[str, Any] = AGENT_REPORTERS

    def __init__(
        self,
        a: float = DEFAULTS.a,
        b: float = DEFAULTS.b,
        c: float = DEFAULTS.c,
        network: Mapping[str, Any] | nx.Graph | None = None,
        initial_b: float = DEFAULTS.initial_b,
        update: str = DEFAULTS.update,
        beta: float = DEFAULTS.beta,
        exploration: float = DEFAULTS.exploration,
        rates: Sequence[float] | None = DEFAULTS.rates,
        rate_mutation: float = DEFAULTS.rate_mutation,
        generations: int = DEFAULTS.generations,
        shocks: Sequence[int] = DEFAULTS.shocks,
        committed: Mapping[str, Any] | None = DEFAULTS.committed,
        conformity: float = DEFAULTS.conformity,
        *,
        groups: Mapping[str, Any] | None = DEFAULTS.groups,
        protocol: str | Mapping[str, str] = DEFAULTS.protocol,
        payoffs: str = DEFAULTS.payoffs,
        normalisation: str = DEFAULTS.normalisation,
        selection_intensity: float = DEFAULTS.selection_intensity,
        matrix: Sequence[Sequence[float]] | None = DEFAULTS.matrix,
        initial: Mapping[str, Any] | None = DEFAULTS.initial,
        params: ModelParams | None = None,
        seed: int | None = None,
        base_dir=None,
        layout=None,
        rng: int | None = None,
        agent_reporters: bool | int = False,
    ):
        every = _agent_every(agent_reporters)
        if rng is not None:
            if seed is not None:
                raise TypeError("NormChangeModel: give seed, not both seed and rng")
            warnings.warn(
                "NormChangeModel(rng=...) is deprecated: call the replicate seed seed=",
                DeprecationWarning,
                stacklevel=2,
            )
            seed = rng
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
        elif isinstance(seed, np.random.Generator):
            seed = int(seed.integers(2**63))
        super().__init__(rng=int(seed))
        self.seed = int(seed)
        graph = network if isinstance(network, nx.Graph) else None
        if params is None:
            spec = dict(DEFAULTS.network) if network is None or graph is not None else dict(network)
            params = ModelParams(
                a=a,
                b=b,
                c=c,
                network=spec,
                initial_b=initial_b,
                update=update,
                beta=beta,
                exploration=exploration,
                rates=tuple(rates) if rates is not None else None,
                rate_mutation=rate_mutation,
                generations=generations,
                shocks=tuple(shocks),
                committed=committed,
                conformity=conformity,
                groups=groups,
                initial=initial,
                # a name, or a mapping of parts (ModelParams stores the name)
                protocol=cast(str, protocol),
                payoffs=payoffs,
                normalisation=normalisation,
                selection_intensity=selection_intensity,
                matrix=matrix,  # type: ignore[arg-type]  # checked and stored as a tuple
            )
        self.params = params
        self.stream = DrawStream(self.seed)
        G = (
            relabel(graph)
            if graph is not None
            else build_graph(params.network, seed=graph_seed(self.seed), base_dir=base_dir)
        )
        adj = adjacency(G)  # checks the graph: no self-loops, no isolated nodes
        self.graph = G
        self.grid = Network(G, layout=layout, random=self.random)
        self.k_range = (adj.k_min, adj.k_max)
        self.payoff_range = params.rule_range(params.game.payoff_range, adj.k_min, adj.k_max)
        self.generation = 0
        self.current_game = params.game  # the game of the generation being played
        #: the game each group plays in that generation (indexed by group; one without groups)
        self.current_games: tuple = (params.game,)

        # groups (normsim.groups): each node's group, the groups' exploration and initial share
        n = G.number_of_nodes()
        if params.groups is not None:
            labels = [
                int(x)
                for x in group_labels(
                    params.groups,
                    None if graph is not None else params.network,
                    n,
                    graph=G,
                    base_dir=base_dir,
                )
            ]
            self.n_groups = n_groups(params.groups, np.array(labels))
            self.group_sizes = np.bincount(labels, minlength=self.n_groups)
            self.group_mu = list(
                group_values(params.groups, "exploration", params.exploration, self.n_groups)
            )
            group_ib = list(
                group_values(params.groups, "initial_b", params.initial_b, self.n_groups)
            )
        else:
            labels = [0] * n
            self.n_groups = 1
            self.group_sizes = np.array([n])
            self.group_mu = [params.exploration]
            group_ib = [params.initial_b]
        # initial state: the draw order of normsim.draws
        norms = [
            1 if self.stream.u53(self.stream.next()) < group_ib[labels[i]] else 0 for i in range(n)
        ]
        rate_idx = (
            [self.stream.pick(self.stream.next(), len(params.rates)) for _ in range(n)]
            if params.rates is not None
            else [0] * n
        )
        if params.initial is not None:
            # an initial configuration (normsim.initial) replaces what was drawn (the
            # draws are taken all the same)
            init_norms, init_rates = initial_state(
                params.initial,
                adj.indptr,
                adj.indices,
                None if graph is not None else params.network,
                rates=params.rates,
                base_dir=base_dir,
            )
            norms = [int(x) for x in init_norms]
            if init_rates is not None:
                rate_idx = [int(x) for x in init_rates]
        # committed agents (normsim.mechanisms): placed from the stream, then given their norm
        fixed = set(
            place_committed(params.committed, adj.indptr, adj.indices, self.stream)
            if params.committed is not None
            else ()
        )
        for i in fixed:
            norms[i] = params.committed["norm"]  # type: ignore[index]  # fixed: committed only
        self.by_node: list[NormAgent] = [
            self.agent_class(
                self, self.grid[i], norms[i], rate_idx[i], committed=i in fixed, group=labels[i]
            )
            for i in range(n)
        ]
        for agent in self.by_node:
            agent.neighbors = sorted(agent.cell.neighborhood.agents, key=lambda x: x.node)
        self.order = list(self.by_node)  # the persistent visiting order of sequential modes

        self.datacollector = NormDataCollector(
            model_reporters={
                "share_b": share_b,
                "mean_payoff": mean_payoff,
                "rate_shares": rate_shares,
                "mean_rate": mean_rate,
                "share_new": share_new,
                "share_new_uncommitted": share_new_uncommitted,
                "group_share_b": group_share_b,
                "group_mean_payoff": group_mean_payoff,
                "group_mean_rate": group_mean_rate,
            },
            agent_reporters=dict(self.agent_reporter_columns) if every else None,
            agent_every=every or 1,
        )
        self.datacollector.collect(self)

    @property
    def game(self):
        """The game of the next generation (after the shocks so far)."""
        return self.params.game_at(min(self.generation + 1, self.params.generations))

    def step(self) -> None:
        """One generation: game phase, update phase, record (docs/model/odd.md, section 3).

        In ``asynchronous`` mode the update phase is N elementary steps of
        random learners (with replacement) who see current payoffs; the game
        phase then only fixes what the mean payoff reports."""
        game = self.params.game_at(self.generation + 1)
        self.current_game = game
        # the Fermi rule's payoff range is that of the game in play (events may change it)
        self.payoff_range = self.params.rule_range(game.payoff_range, *self.k_range)
        if self.params.groups is not None:
            # each agent plays its own group's game; R spans every group's payoffs
            # (normsim.groups.payoff_range)
            games = self.params.group_game_at(self.generation + 1, self.n_groups)
            self.payoff_range = self.params.rule_range(
                partial(group_payoff_range, games), *self.k_range
            )
        else:
            games = (game,)
        self.current_games = games
        for agent in self.by_node:
            agent.play(games[agent.group])
        if self.params.protocol == "moran_birth_death":
            self._birth_death_steps(games)
        elif self.params.update == "asynchronous":
            # N elementary steps, each a learner drawn with replacement (normsim.draws)
            n = len(self.by_node)
            for _ in range(n):
                self.by_node[self.stream.bounded(n)].update()
        else:
            # sequential modes: a fresh random order, drawn as the sweep goes (normsim.draws)
            self.stream.spare = None  # no spare half carried over from the last sweep
            for agent in (
                self.by_node
                if self.params.update == "synchronous"
                else self.stream.visit(self.order)
            ):
                agent.update()
        self.generation += 1
        self.datacollector.collect(self)
        if self.generation >= self.params.generations:
            self.running = False

    def _birth_death_steps(self, games: tuple) -> None:
        """N Moran birth-death steps (asynchronous): a reproducer drawn uniformly and
        accepted with probability fitness / largest fitness (the output ``x`` of each
        try), whose copy replaces the neighbour that ``x``'s low half picks."""
        p, rs, n = self.params, self.stream, len(self.by_node)
        fmax = p.check_fitness(games, *self.k_range)
        w = p.selection_intensity
        for _ in range(n):
            while True:
                parent = self.by_node[rs.bounded(n)]
                x = rs.next()
                if rs.hi(x) * fmax < rules.fitness(parent._payoff_now(), w):
                    break
            index, _ = rs.split(x & 0xFFFFFFFF, len(parent.neighbors))
            parent.neighbors[index].update(x=x, parent=parent)

    def run_model(self) -> None:
        """Step until the end of the schedule."""
        while self.running:
            self.step()

    def series(self) -> dict[str, np.ndarray]:
        """The collected series as arrays (index g = after generation g)."""
        df = self.datacollector.get_model_vars_dataframe()
        out = {
            "share_b": df["share_b"].to_numpy(dtype=float),
            "mean_payoff": df["mean_payoff"].to_numpy(dtype=float),
        }
        if self.params.evolving:
            out["rate_shares"] = np.array(df["rate_shares"].tolist(), dtype=float)
            out["mean_rate"] = df["mean_rate"].to_numpy(dtype=float)
        if self.params.committed is not None:
            out["share_new"] = df["share_new"].to_numpy(dtype=float)
            out["share_new_uncommitted"] = df["share_new_uncommitted"].to_numpy(dtype=float)
        if self.params.groups is not None:
            out["group_share_b"] = np.array(df["group_share_b"].tolist(), dtype=float)
            out["group_mean_payoff"] = np.array(df["group_mean_payoff"].tolist(), dtype=float)
            if self.params.evolving:
                out["group_mean_rate"] = np.array(df["group_mean_rate"].tolist(), dtype=float)
        return out
