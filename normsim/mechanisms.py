"""Mechanisms beyond the 2017 model: committed agents and conformity.

* **Committed agents** (``population.committed``): a minority that holds one
  norm for the whole run. They play and can be imitated, but never update or
  explore; with evolving rates they keep the rate they drew. Given as a
  ``fraction`` of the population or a ``count``, a ``norm`` (``A``, ``B`` or
  ``new``: the norm that is *not* favoured at generation 0, which the first
  shock makes the better one) and a ``placement``:

  - ``random``: ``count`` nodes drawn uniformly without replacement;
  - ``hubs``: the ``count`` highest-degree nodes, ties broken by the seed;
  - ``cluster``: a connected ball, breadth-first from a random node;
  - ``nodes``: an explicit list of node ids (normsim's numbering ``0..N-1``:
    a grid row-major, an edge list's labels in increasing order).

  The placement is drawn from the replicate's stream right after the initial
  norms and rates (the draw schedule in :mod:`normsim.draws`); a committed
  agent's initial norm draw is consumed and then overridden. ``fraction``
  gives ``count = floor(fraction * N + 0.5)``.

* **Conformity** (``dynamics.conformity: gamma``): with probability gamma a
  learner adopts the majority norm of its neighbours (keeping its own on a
  tie) instead of using the Fermi rule (De, Nau, Pan & Gelfand 2018). How it
  combines with exploration in each update mode is in :mod:`normsim.draws`.

This module validates the committed-agent spec and places the agents in
pure Python (the Mesa model uses it; the engine has a compiled twin that
consumes the same draws).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from normsim.errors import NormsimError, check_number

PLACEMENTS = ("random", "hubs", "cluster", "nodes")
#: placement codes of the compiled engine
PLACEMENT_CODES = {name: k for k, name in enumerate(PLACEMENTS)}
COMMITTED_NORMS = ("A", "B", "new")
_KEYS = ("fraction", "count", "norm", "placement", "nodes")


def check_committed(spec: Mapping[str, Any] | None, a: float, b: float) -> dict | None:
    """Validate ``population.committed`` and return it normalised (None: no committed agents).

    The result has ``fraction`` (or None), ``count`` (or None), ``norm`` (0 or
    1, ``new`` resolved with the payoffs ``a``, ``b`` of generation 0),
    ``placement`` and ``nodes`` (a tuple, or None).
    """
    if spec is None:
        return None
    where = "population.committed"
    if not isinstance(spec, Mapping):
        raise NormsimError(
            f"{where}: {spec!r} is not a mapping (fraction or count, norm, placement)"
        )
    for key in spec:
        if key not in _KEYS:
            raise NormsimError(f"{where}.{key}: unknown key (allowed: {', '.join(_KEYS)})")
    placement = spec.get("placement", "nodes" if spec.get("nodes") is not None else "random")
    if placement not in PLACEMENTS:
        raise NormsimError(
            f"{where}.placement: {placement!r} is not one of {', '.join(PLACEMENTS)}"
        )
    nodes = spec.get("nodes")
    fraction = spec.get("fraction")
    count = spec.get("count")
    if placement == "nodes":
        if nodes is None:
            raise NormsimError(f"{where}.nodes: placement nodes needs a list of node ids")
        if fraction is not None or count is not None:
            raise NormsimError(
                f"{where}: with placement nodes the list gives the count; drop fraction and count"
            )
        if isinstance(nodes, (str, bytes)) or not isinstance(nodes, Sequence):
            raise NormsimError(f"{where}.nodes: {nodes!r} is not a list of node ids")
        out = []
        for v in nodes:
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
                raise NormsimError(f"{where}.nodes: {v!r} is not a node id (an integer >= 0)")
            out.append(int(v))
        if len(set(out)) != len(out):
            raise NormsimError(f"{where}.nodes: a node is listed twice")
        nodes = tuple(out)
    else:
        if nodes is not None:
            raise NormsimError(
                f"{where}.nodes: a node list needs placement: nodes (not {placement})"
            )
        if (fraction is None) == (count is None):
            raise NormsimError(f"{where}: give exactly one of fraction and count")
        if fraction is not None:
            fraction = check_number(f"{where}.fraction", fraction, low=0.0, high=1.0)
        else:
            if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
                raise NormsimError(f"{where}.count: {count!r} must be an integer >= 0")
            count = int(count)
    norm = spec.get("norm", "new")
    if norm in (0, 1) and not isinstance(norm, bool):  # already normalised
        return {
            "fraction": fraction,
            "count": count,
            "norm": int(norm),
            "placement": placement,
            "nodes": nodes,
        }
    if norm not in COMMITTED_NORMS:
        raise NormsimError(f"{where}.norm: {norm!r} is not one of {', '.join(COMMITTED_NORMS)}")
    if norm == "new":
        if a == b:
            raise NormsimError(
                f"{where}.norm: new (the norm the first shock favours) is "
                "undefined when a = b; give A or B"
            )
        code = 1 if a > b else 0
    else:
        code = 0 if norm == "A" else 1
    return {
        "fraction": fraction,
        "count": count,
        "norm": code,
        "placement": placement,
        "nodes": nodes,
    }


def committed_count(committed: Mapping[str, Any], n: int) -> int:
    """The number of committed agents in a population of ``n`` (checked against ``n``)."""
    where = "population.committed"
    if committed["placement"] == "nodes":
        bad = [v for v in committed["nodes"] if v >= n]
        if bad:
            raise NormsimError(
                f"{where}.nodes: node {bad[0]} is not in the graph (nodes 0..{n - 1})"
            )
        return len(committed["nodes"])
    if committed["count"] is not None:
        if committed["count"] > n:
            raise NormsimError(
                f"{where}.count: {committed['count']} is larger than the population ({n} agents)"
            )
        return committed["count"]
    return int(math.floor(committed["fraction"] * n + 0.5))


def place_committed(
    committed: Mapping[str, Any], indptr: np.ndarray, indices: np.ndarray, stream
) -> list[int]:
    """The committed nodes, drawing from ``stream`` (a :class:`normsim.draws.DrawStream`)
    as :mod:`normsim.draws` lays out. Returns them in the order they were chosen."""
    n = len(indptr) - 1
    k = committed_count(committed, n)
    place = committed["placement"]
    if place == "nodes":
        return list(committed["nodes"])
    if place == "random":
        perm = list(range(n))
        for j in range(k):
            r = j + stream.bounded(n - j)
            perm[j], perm[r] = perm[r], perm[j]
        return perm[:k]
    if place == "hubs":
        keys = [stream.next() for _ in range(n)]
        deg = np.diff(indptr)
        return sorted(range(n), key=lambda i: (-int(deg[i]), keys[i], i))[:k]
    # cluster: breadth-first from a random centre, neighbours in increasing order
    centre = stream.bounded(n)
    seen = {centre}
    out: list[int] = []
    queue = deque([centre])
    while queue and len(out) < k:
        i = queue.popleft()
        out.append(i)
        for j in indices[indptr[i] : indptr[i + 1]]:
            j = int(j)
            if j not in seen:
                seen.add(j)
                queue.append(j)
    if len(out) < k:
        raise NormsimError(
            f"population.committed: placement cluster: the component of node "
            f"{centre} has {len(out)} nodes, fewer than the {k} committed"
        )
    return out
