"""A slow, straightforward naming game: Python lists and sets, one interaction at a time.

Written from docs/model/naming.md and the naming game's draw schedule in
docs/model/reproducibility.md alone, as the reference the compiled engine and the Mesa
model are compared with. It shares nothing with them but the random stream
(:class:`normsim.draws.DrawStream`) and the graph builder; a well-mixed population is
drawn here as "any other agent" (not through a complete graph), and it never stops early
at consensus.
"""

from __future__ import annotations

import math

import networkx as nx

from normsim.draws import DrawStream, graph_seed
from normsim.naming import NamingParams
from normsim.networks import build_graph, is_random, relabel


def _neighbours(params: NamingParams, seed: int, graph: nx.Graph | None):
    """Each agent's sorted neighbour list, or None for a well-mixed population, and N."""
    if graph is None and params.is_well_mixed:
        return None, params.network["n"]
    if graph is None:
        graph = build_graph(
            params.network, seed=graph_seed(seed) if is_random(params.network) else None
        )
    graph = relabel(graph)
    return [
        sorted(graph.neighbors(i)) for i in range(graph.number_of_nodes())
    ], graph.number_of_nodes()


def slow_naming(params: NamingParams, seed: int, graph: nx.Graph | None = None) -> dict:
    """One replicate: the series by name (lists, index g = after generation g) and the
    consensus time (-1 if none)."""
    stream = DrawStream(seed)
    nbrs, n = _neighbours(params, seed, graph)
    binary = params.variant == "binary"
    committed: set[int] = set()
    if binary:
        if params.committed_count is not None:
            k = params.committed_count
        else:
            k = math.floor(params.committed * n + 0.5)
        perm = list(range(n))
        for j in range(k):
            r = j + stream.bounded(n - j)
            perm[j], perm[r] = perm[r], perm[j]
        committed = set(perm[:k])
        inventories = [[0] if i in committed else [1] for i in range(n)]
    else:
        inventories = [[] for _ in range(n)]
    next_name = 0
    out: dict[str, list] = {
        key: []
        for key in (
            "distinct_names",
            "mean_inventory",
            "success_rate",
            "top_share",
            "n_a",
            "n_b",
            "n_ab",
        )
    }
    consensus = -1

    def record(successes: int | None) -> bool:
        held: dict[int, int] = {}
        for inv in inventories:
            for name in set(inv):
                held[name] = held.get(name, 0) + 1
        out["distinct_names"].append(len(held))
        out["mean_inventory"].append(sum(len(inv) for inv in inventories) / n)
        out["success_rate"].append(math.nan if successes is None else successes / n)
        out["top_share"].append(max(held.values(), default=0) / n)
        if binary:
            free = [sorted(inv) for i, inv in enumerate(inventories) if i not in committed]
            out["n_a"].append(sum(inv == [0] for inv in free) / n)
            out["n_b"].append(sum(inv == [1] for inv in free) / n)
            out["n_ab"].append(sum(inv == [0, 1] for inv in free) / n)
        else:
            for key in ("n_a", "n_b", "n_ab"):
                out[key].append(math.nan)
        return len(held) == 1 and all(len(inv) == 1 for inv in inventories)

    if record(None):
        consensus = 0
    for g in range(1, params.generations + 1):
        successes = 0
        for _ in range(n):
            speaker = stream.bounded(n)
            if nbrs is None:
                others = [i for i in range(n) if i != speaker]
                hearer = others[stream.bounded(n - 1)]
            else:
                hearer = nbrs[speaker][stream.bounded(len(nbrs[speaker]))]
            inv = inventories[speaker]
            if not inv:
                inv.append(next_name)
                next_name += 1
            # the binary game lists its names as (A, B); the minimal game in learning order
            names = sorted(inv) if binary else inv
            name = names[stream.bounded(len(names))] if len(names) > 1 else names[0]
            if name in inventories[hearer]:
                successes += 1
                for agent in (speaker, hearer):
                    if agent not in committed:
                        inventories[agent] = [name]
            elif hearer not in committed:
                inventories[hearer].append(name)
        if record(successes) and consensus < 0:
            consensus = g
    return {"series": out, "consensus_time": consensus}
