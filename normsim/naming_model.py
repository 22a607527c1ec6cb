"""The Mesa model of the naming game (docs/model/naming.md), agent by agent.

:class:`NamingGameModel` is the readable statement of the naming game that
:func:`normsim.engine.naming.simulate_naming` runs compiled: agents
(:class:`NamingAgent`) on a :class:`mesa.discrete_space.Network` hold inventories of
names; in each interaction a random speaker tells a random neighbour a name. It draws
every random number from normsim's stream (:class:`normsim.draws.DrawStream`, never
Mesa's ``model.random``) in the order of docs/model/reproducibility.md, so it gives the
engine's series for the same seed. A well-mixed population is a complete graph here
(the engine draws the same hearers without building it): fine for the small populations
a Mesa model is for, ``N (N - 1)`` neighbour entries.

Examples
--------
>>> from normsim.naming import NamingParams, well_mixed
>>> m = NamingGameModel(NamingParams(variant="minimal", network=well_mixed(30),
...                                  generations=200), seed=3)
>>> m.run_model()
>>> m.consensus_time > 0, int(m.series()["distinct_names"][-1])
(True, 1)
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from mesa import DataCollector, Model
from mesa.discrete_space import FixedAgent, Network

from normsim.draws import DrawStream, graph_seed
from normsim.mechanisms import place_committed
from normsim.naming import NamingParams
from normsim.networks import adjacency, build_graph, is_random, relabel


class NamingAgent(FixedAgent):
    """An agent holding an inventory of names (integers; binary game: A = 0, B = 1).

    Attributes
    ----------
    inventory : list of int
        The names the agent knows, in the order it learnt them.
    committed : bool
        Binary game: holds A for the whole run; still speaks.
    neighbors : list of NamingAgent
        The agents it can speak to, by node id (set by the model).
    """

    model: NamingGameModel

    def __init__(self, model: NamingGameModel, cell, inventory: list[int], committed: bool):
        super().__init__(model)
        self.cell = cell
        self.inventory = inventory
        self.committed = committed
        self.neighbors: list[NamingAgent] = []

    @property
    def node(self) -> int:
        """The network node the agent sits on."""
        return self.cell.coordinate

    def speak(self) -> int:
        """The name uttered: a new one if the inventory is empty (minimal game), else a
        uniformly random one, ``bounded(k)`` among the ``k >= 2`` names (binary game: in
        the order A, B; minimal game: in the order learnt)."""
        if not self.inventory:
            self.inventory.append(self.model.invent())
        names = sorted(self.inventory) if self.model.params.binary else self.inventory
        if len(names) == 1:
            return names[0]
        return names[self.model.stream.bounded(len(names))]

    def hear(self, name: int) -> bool:
        """Hear ``name``: known, keep only it (a success, True); else learn it."""
        if name in self.inventory:
            self.agree(name)
            return True
        if not self.committed:
            self.inventory.append(name)
        return False

    def agree(self, name: int) -> None:
        """Collapse the inventory to ``name`` (a committed agent keeps its own)."""
        if not self.committed:
            self.inventory = [name]

    def interact(self) -> bool:
        """Speak to a random neighbour (``bounded(degree)``, neighbours by node id);
        returns whether the interaction succeeded."""
        hearer = self.neighbors[self.model.stream.bounded(len(self.neighbors))]
        name = self.speak()
        if hearer.hear(name):
            self.agree(name)
            return True
        return False


# ------------------------------------------------------------ reporters
def _holders(model: NamingGameModel) -> dict[int, int]:
    held: dict[int, int] = {}
    for a in model.by_node:
        for name in a.inventory:
            held[name] = held.get(name, 0) + 1
    return held


def distinct_names(model: NamingGameModel) -> int:
    """Names held by at least one agent."""
    return len(_holders(model))


def mean_inventory(model: NamingGameModel) -> float:
    """Mean number of names an agent holds."""
    return sum(len(a.inventory) for a in model.by_node) / len(model.by_node)


def success_rate(model: NamingGameModel) -> float:
    """Share of the last generation's interactions that succeeded (NaN before the first)."""
    return model.successes / len(model.by_node) if model.generation else float("nan")


def top_share(model: NamingGameModel) -> float:
    """Share of agents holding the most widespread name."""
    return max(_holders(model).values(), default=0) / len(model.by_node)


def _uncommitted_share(model: NamingGameModel, inventory: list[int]) -> float:
    if not model.params.binary:
        return float("nan")
    free = [a for a in model.by_node if not a.committed]
    return sum(sorted(a.inventory) == inventory for a in free) / len(model.by_node)


def n_a(model: NamingGameModel) -> float:
    """Binary game: uncommitted agents holding only A, as a share of all agents."""
    return _uncommitted_share(model, [0])


def n_b(model: NamingGameModel) -> float:
    """Binary game: uncommitted agents holding only B, as a share of all agents."""
    return _uncommitted_share(model, [1])


def n_ab(model: NamingGameModel) -> float:
    """Binary game: uncommitted agents holding A and B, as a share of all agents."""
    return _uncommitted_share(model, [0, 1])


def consensus(model: NamingGameModel) -> bool:
    """Whether every agent holds one single, same name."""
    names = {tuple(a.inventory) for a in model.by_node}
    return len(names) == 1 and len(next(iter(names))) == 1


REPORTERS = {
    "distinct_names": distinct_names,
    "mean_inventory": mean_inventory,
    "success_rate": success_rate,
    "top_share": top_share,
    "n_a": n_a,
    "n_b": n_b,
    "n_ab": n_ab,
    "consensus": consensus,
}


class NamingGameModel(Model):
    """The naming game on a network: minimal (Baronchelli et al. 2006) or binary with
    committed agents (Xie et al. 2011).

    Parameters
    ----------
    params : NamingParams
        Variant, population (a network spec or ``well_mixed``), committed agents,
        generations.
    seed : int, optional
        The replicate seed: ``NamingGameModel(p, seed=s)`` reproduces the engine's
        replicate with seed ``s``. None draws a fresh one.
    graph : networkx graph, optional
        Use this graph instead of ``params.network``.
    """

    def __init__(
        self, params: NamingParams, seed: int | None = None, graph: nx.Graph | None = None
    ):
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
        super().__init__(rng=int(seed))
        self.params = params
        self.seed = int(seed)
        self.stream = DrawStream(self.seed)
        if graph is not None:
            G = relabel(graph)
        elif params.is_well_mixed:
            G = nx.complete_graph(params.network["n"])
        else:
            net = params.network
            G = build_graph(net, seed=graph_seed(self.seed) if is_random(net) else None)
        adj = adjacency(G)
        self.grid = Network(G, random=self.random)
        n = adj.n
        fixed: set[int] = set()
        if params.binary:
            k = params.committed_number(n)
            spec = {"placement": "random", "count": k, "fraction": None, "nodes": None}
            fixed = set(place_committed(spec, adj.indptr, adj.indices, self.stream))
        self.by_node = [
            NamingAgent(
                self,
                self.grid[i],
                ([0] if i in fixed else [1]) if params.binary else [],
                committed=i in fixed,
            )
            for i in range(n)
        ]
        for agent in self.by_node:
            agent.neighbors = sorted(agent.cell.neighborhood.agents, key=lambda x: x.node)
        self.names = 0  # names invented so far (minimal game)
        self.generation = 0
        self.successes = 0
        self.consensus_time = -1
        self.datacollector = DataCollector(model_reporters=REPORTERS)
        self._collect()

    def invent(self) -> int:
        """A name nobody has used: the next integer."""
        self.names += 1
        return self.names - 1

    def _collect(self) -> None:
        self.datacollector.collect(self)
        if self.consensus_time < 0 and consensus(self):
            self.consensus_time = self.generation

    def step(self) -> None:
        """One generation: N interactions, each of a speaker ``bounded(N)``."""
        n = len(self.by_node)
        self.successes = 0
        for _ in range(n):
            self.successes += self.by_node[self.stream.bounded(n)].interact()
        self.generation += 1
        self._collect()
        if self.generation >= self.params.generations:
            self.running = False

    def run_model(self) -> None:
        """Step until the last generation."""
        while self.running:
            self.step()

    def series(self) -> dict[str, np.ndarray]:
        """The collected series as arrays (index g = after generation g)."""
        df = self.datacollector.get_model_vars_dataframe()
        return {k: df[k].to_numpy(dtype=float) for k in REPORTERS if k != "consensus"}
