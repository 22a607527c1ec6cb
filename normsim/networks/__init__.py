"""Networks: specs -> seeded networkx graphs -> adjacency arrays for the engine.

A spec is a dict (or the scenario's network model) with a ``kind`` and the
parameters networkx uses for it (:data:`KINDS`, described in :data:`KIND_DOCS`;
the documentation's scenario reference lists them)::

    {"kind": "grid", "rows": 50, "cols": 50, "periodic": True}
    {"kind": "watts_strogatz", "n": 1000, "k": 4, "p": 0.1}

Random graphs are generated from a seed: the same seed gives the same graph.
Nodes are always relabelled to integers ``0..N-1`` (a grid row-major, node
``(r, c)`` becomes ``r * cols + c``). A graph with a self-loop, an isolated
node or no edges is an error: the Fermi rule needs a neighbour to learn from.
Set ``largest_component: true`` in a spec to keep only the largest connected
component (useful for sparse random graphs with isolated nodes).

``generator`` chooses how :func:`spec_adjacency` (the engine's path) builds a
built-in kind: ``networkx``, ``native`` (:mod:`normsim.networks.generators`: the same
graph, written straight into arrays, for millions of nodes; edge lists:
:mod:`normsim.networks.edgelist`) or ``auto`` (the default: native from
:data:`NATIVE_MIN_NODES` nodes up, and always for edge lists). Both give the
same graph for the same seed, so the choice is not part of a condition's
content hash. :func:`build_graph` always returns the networkx graph.

The modules, each importing only those before it:

- :mod:`normsim.networks.csr`: :class:`Adjacency` and the checks every
  builder shares (no networkx, no numba);
- :mod:`normsim.networks.generators`: the native generators (numba);
- :mod:`normsim.networks.edgelist`: edge-list files (numba);
- :mod:`normsim.networks.spec`: the specs and networkx's graphs, which calls the
  native builders when a spec asks for them (imported then, so that this package
  loads no numba).

The names of :mod:`~normsim.networks.spec` and :mod:`~normsim.networks.csr`
(``build_graph``, ``spec_adjacency``, ``Adjacency`` ...) are available here.

Examples
--------
>>> adj = adjacency(build_graph({"kind": "grid", "rows": 3, "cols": 4}))
>>> adj.n, adj.k_min, adj.k_max
(12, 4, 4)
"""

from normsim.networks.csr import Adjacency
from normsim.networks.spec import (
    COMMON,
    COMMON_DOCS,
    GENERATORS,
    KIND_DOCS,
    KINDS,
    NATIVE_MIN_NODES,
    RANDOM_KINDS,
    adjacency,
    build_graph,
    check_sbm,
    is_random,
    node_labels,
    read_edgelist,
    relabel,
    spec_adjacency,
    text_lines,
)

__all__ = [
    "COMMON",
    "COMMON_DOCS",
    "GENERATORS",
    "KINDS",
    "KIND_DOCS",
    "NATIVE_MIN_NODES",
    "RANDOM_KINDS",
    "Adjacency",
    "adjacency",
    "build_graph",
    "check_sbm",
    "is_random",
    "node_labels",
    "read_edgelist",
    "relabel",
    "spec_adjacency",
    "text_lines",
]
