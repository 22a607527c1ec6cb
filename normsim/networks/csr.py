"""The engine's form of a network, :class:`~normsim.networks.Adjacency`, and the checks
every way of building one shares (networkx graphs in :mod:`normsim.networks.spec`, the native
generators of :mod:`normsim.networks.generators`, edge-list files in
:mod:`normsim.networks.edgelist`): no self-loop, no isolated node, at least one edge.

This module imports neither networkx nor numba, and no other module of
:mod:`normsim.networks`: they all build on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from normsim.errors import NormsimError


def need(cond: bool | np.bool_, msg: str) -> None:
    """Raise :class:`~normsim.errors.NormsimError` with ``msg`` unless ``cond``."""
    if not cond:
        raise NormsimError(msg)


def is_int(v) -> bool:
    """Whether ``int(v)`` works (a node id that is numbered as an integer)."""
    try:
        int(v)
        return True
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Adjacency:
    """A graph in compressed sparse row form, as the engine reads it.

    ``indices[indptr[i]:indptr[i + 1]]`` are the neighbours of node ``i``, in
    increasing order.
    """

    indptr: np.ndarray
    indices: np.ndarray
    degree: np.ndarray

    @property
    def n(self) -> int:
        """Number of nodes."""
        return len(self.degree)

    @property
    def k_min(self) -> int:
        """Smallest degree."""
        return int(self.degree.min())

    @property
    def k_max(self) -> int:
        """Largest degree."""
        return int(self.degree.max())

    def neighbors(self, i: int) -> np.ndarray:
        """The neighbours of node ``i``, in increasing order."""
        return self.indices[self.indptr[i] : self.indptr[i + 1]]


def csr_adjacency(n: int, u: np.ndarray, v: np.ndarray) -> Adjacency:
    """Check an undirected simple graph given as edges ``u[k] - v[k]`` on nodes
    ``0..n-1`` and return its :class:`~normsim.networks.Adjacency` (neighbours in
    increasing order)."""
    need(n >= 2 and len(u) > 0, "network: the graph has no edges")
    loops = int(np.count_nonzero(u == v))
    need(
        loops == 0,
        f"network: the graph has {loops} self-loop(s); an agent cannot play or imitate itself",
    )
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    degree = np.bincount(rows, minlength=n).astype(np.int32)
    iso = np.flatnonzero(degree == 0)
    need(
        not len(iso),
        f"network: the graph has {len(iso)} isolated node(s) (e.g. node "
        f"{iso[0] if len(iso) else ''}) with no neighbour to play or learn "
        "from; set largest_component: true to drop them",
    )
    order = np.lexsort((cols, rows))
    indptr = np.zeros(n + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(degree)
    return Adjacency(indptr=indptr, indices=cols[order].astype(np.int32), degree=degree)


def checked_adjacency(indptr: np.ndarray, indices: np.ndarray, degree: np.ndarray) -> Adjacency:
    """The :class:`~normsim.networks.Adjacency` of compressed rows built elsewhere
    (without self-loops), after the check that no node is isolated."""
    iso = np.flatnonzero(degree == 0)
    need(
        not len(iso),
        f"network: the graph has {len(iso)} isolated node(s) (e.g. node "
        f"{iso[0] if len(iso) else ''}) with no neighbour to play or learn "
        "from; set largest_component: true to drop them",
    )
    return Adjacency(indptr=indptr, indices=indices, degree=degree)
