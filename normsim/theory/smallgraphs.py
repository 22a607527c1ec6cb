"""Small graphs as arrays, for the exact theory that enumerates states.

The logit, contagion and fixation modules take a networkx graph; this module turns it
into integer arrays (nodes numbered ``0..N-1`` in the graph's node order), reads a set
of nodes given by their labels, and enumerates the ``2^N`` states of a graph. A state
is an integer whose bit ``i`` is node ``i``'s norm (1 = B).

Examples
--------
>>> import networkx as nx
>>> ga = graph_arrays(nx.path_graph(3))
>>> ga.n, ga.degree.tolist(), ga.edges.tolist()
(3, [1, 2, 1], [[0, 1], [1, 2]])
>>> state_bits(2).tolist()
[[0, 1, 0, 1], [0, 0, 1, 1]]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy import sparse

from normsim.errors import NormsimError, excerpt


@dataclass(frozen=True)
class GraphArrays:
    """A simple undirected graph as arrays: ``n`` nodes, ``edges`` (E x 2, each once),
    ``degree``, the sparse 0/1 adjacency matrix and the original node labels."""

    n: int
    edges: np.ndarray
    degree: np.ndarray
    adjacency: sparse.csr_matrix
    labels: list

    def neighbours(self, i: int) -> np.ndarray:
        """The neighbours of node ``i`` (0-based index)."""
        a = self.adjacency
        return a.indices[a.indptr[i] : a.indptr[i + 1]]


def graph_arrays(G: nx.Graph) -> GraphArrays:
    """The arrays of a simple undirected networkx graph (no self-loops, not directed)."""
    if not isinstance(G, nx.Graph) or G.is_directed() or G.is_multigraph():
        raise NormsimError("graph: expected a simple undirected networkx.Graph")
    if nx.number_of_selfloops(G):
        raise NormsimError("graph: self-loops are not allowed (an agent does not play itself)")
    labels = list(G.nodes)
    n = len(labels)
    if n < 1:
        raise NormsimError("graph: it has no nodes")
    index = {v: i for i, v in enumerate(labels)}
    e = np.array([(index[u], index[v]) for u, v in G.edges], dtype=np.int64).reshape(-1, 2)
    rows = np.concatenate([e[:, 0], e[:, 1]])
    cols = np.concatenate([e[:, 1], e[:, 0]])
    adj = sparse.csr_matrix((np.ones(rows.size, dtype=np.int64), (rows, cols)), shape=(n, n))
    adj.sort_indices()
    degree = np.asarray(adj.sum(axis=1)).ravel().astype(np.int64)
    return GraphArrays(n=n, edges=e, degree=degree, adjacency=adj, labels=labels)


def node_mask(ga: GraphArrays, nodes: Iterable, what: str = "seed") -> np.ndarray:
    """A 0/1 int array over the nodes, 1 at the given node labels."""
    index = {v: i for i, v in enumerate(ga.labels)}
    x = np.zeros(ga.n, dtype=np.int64)
    for v in nodes:
        if v not in index:
            raise NormsimError(f"{what}: {excerpt(v)} is not a node of the graph")
        x[index[v]] = 1
    return x


def check_enumerable(n: int, limit: int, what: str) -> None:
    """Raise :class:`~normsim.errors.NormsimError` when ``2^n`` states are too many."""
    if n > limit:
        raise NormsimError(
            f"{what}: {n} nodes are too many to enumerate its 2^{n} states (at most {limit} nodes)"
        )


def state_bits(n: int) -> np.ndarray:
    """The ``n x 2^n`` uint8 array of every state's bits (row i: node i's norm)."""
    s = np.arange(2**n, dtype=np.int64)
    return ((s[None, :] >> np.arange(n, dtype=np.int64)[:, None]) & 1).astype(np.uint8)


def state_of(x: np.ndarray) -> int:
    """The integer state of a 0/1 array over the nodes."""
    return int(sum(1 << i for i, v in enumerate(np.asarray(x).tolist()) if v))
