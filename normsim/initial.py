"""Initial configurations beyond a random share of B (``population.initial``).

By default each agent starts with norm B with probability ``initial_b`` (with
groups, its group's). ``population.initial`` gives the initial norms instead, as
exactly one of:

* ``nodes: [v, ...]``: these nodes start with B, every other node with A (node
  ids are normsim's numbering ``0..N-1``: a grid row-major, node ``(r, c)`` is
  ``r * cols + c``; an edge list's labels in increasing order);
* ``block: {side: s, corner: [row, col]}`` (a ``grid`` network only): the s x s
  square whose **corner** with the smallest row and column is node ``(row,
  col)`` starts with B: rows ``row .. row + s - 1`` and columns ``col .. col +
  s - 1``, wrapping round on a torus (``periodic: true``, the default; then
  ``s`` is at most ``rows`` and ``cols``), inside the lattice otherwise;
* ``ball: {centre: v, count: k}``: the ``k`` nodes closest to ``v`` start with
  B: the first ``k`` nodes of a breadth-first search from ``v`` that visits the
  neighbours of each node in increasing order of id (the ball of committed
  agents' ``cluster`` placement). The nodes at distance ``d`` all come before
  those at ``d + 1``; among the nodes at the distance where the ball stops, a
  node reached from an earlier-visited node comes first, and among those reached
  from the same node the smaller id;
* ``snapshot: {path: DIR, generation: g, replicate: r, condition: HASH}`` (or
  ``snapshot: DIR``): the state a previous run stored with ``output.snapshots``
  (:mod:`normsim.snapshots`) in the results store ``DIR`` (a results directory
  or its ``results.sqlite``, read relative to the scenario's folder like every
  data file). ``generation`` defaults to the latest one stored, ``replicate`` to
  0, and ``condition`` (a content hash, or a unique prefix of one) may be left
  out when the store holds one condition. Node ``i`` takes the norm of node
  ``i`` of the snapshot, whose run must have had as many agents: a snapshot is
  meant for the same graph (a fixed graph such as a lattice or an edge list; a
  random kind draws another graph for every replicate). When both the stored
  run and this one have evolving exploration rates, each agent also takes its
  stored rate (the two runs must list the same rates); otherwise this run's
  rates are drawn as usual.

How it combines with the rest (the engine, the Mesa model and the tests' slow
model all do exactly this):

* **The draws do not change.** The initial-norm draws of the schedule
  (:mod:`normsim.draws`, step 1) are still taken and their outcome is replaced
  (with a snapshot's rates, the rate draws of step 2 too). Every later draw is
  then the one a random-share run of the same seed takes: conditions that
  differ only by their initial configuration share common random numbers, and
  the default (no ``initial``) draws exactly as before it existed.
* **The random share.** An initial configuration replaces ``initial_b``: a
  scenario that gives both (``initial_b`` away from its default 0.5, or
  ``population.groups.initial_b``) is refused.
* **Committed agents** (:mod:`normsim.mechanisms`) are placed after it and
  hold their committed norm from generation 0: a committed agent's norm wins
  over the configuration's.
* **Groups** keep their own c and exploration rate; their initial shares are
  replaced by the configuration.

Examples
--------
>>> import numpy as np
>>> from normsim.networks import build_graph, adjacency
>>> adj = adjacency(build_graph({"kind": "grid", "rows": 4, "cols": 4}))
>>> block_nodes({"kind": "grid", "rows": 4, "cols": 4}, 2, (3, 3))
[0, 3, 12, 15]
>>> ball_nodes(adj.indptr, adj.indices, 5, 5)
[5, 1, 4, 6, 9]
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from normsim.errors import NormsimError

#: the kinds of initial configuration, the keys of ``population.initial``
INITIAL_KINDS = ("nodes", "block", "ball", "snapshot")
WHERE = "population.initial"
_SNAPSHOT_KEYS = ("path", "generation", "replicate", "condition")


def _whole(value: Any, where: str, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise NormsimError(f"{where}: {value!r} must be an integer >= {low}")
    return int(value)


def _keys(spec: Any, where: str, allowed: Sequence[str], required: Sequence[str]) -> Mapping:
    if not isinstance(spec, Mapping):
        raise NormsimError(f"{where}: {spec!r} is not a mapping ({', '.join(allowed)})")
    for key in spec:
        if key not in allowed:
            raise NormsimError(f"{where}.{key}: unknown key (allowed: {', '.join(allowed)})")
    for key in required:
        if spec.get(key) is None:
            raise NormsimError(f"{where}.{key}: required")
    return spec


def check_initial(spec: Mapping[str, Any] | None) -> dict | None:
    """Validate ``population.initial`` without the graph and return it normalised
    (None: the random share). The result has one key, the kind: ``{"nodes": (v,
    ...)}``, ``{"block": {"side": s, "corner": (row, col)}}``, ``{"ball":
    {"centre": v, "count": k}}`` or ``{"snapshot": {"path", "generation",
    "replicate", "condition"}}`` (``snapshot: DIR`` becomes ``{"path": DIR}``
    with the defaults). The graph is checked by :func:`initial_state`.

    >>> check_initial({"ball": {"centre": 3, "count": 5}})
    {'ball': {'centre': 3, 'count': 5}}
    """
    if spec is None:
        return None
    if not isinstance(spec, Mapping):
        raise NormsimError(
            f"{WHERE}: {spec!r} is not a mapping (one of {', '.join(INITIAL_KINDS)})"
        )
    given = [k for k in spec if spec[k] is not None]
    for key in spec:
        if key not in INITIAL_KINDS:
            raise NormsimError(f"{WHERE}.{key}: unknown key (allowed: {', '.join(INITIAL_KINDS)})")
    if len(given) != 1:
        raise NormsimError(f"{WHERE}: give exactly one of {', '.join(INITIAL_KINDS)}")
    kind = given[0]
    where = f"{WHERE}.{kind}"
    value = spec[kind]
    if kind == "nodes":
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise NormsimError(f"{where}: {value!r} is not a list of node ids")
        nodes = [_whole(v, where) for v in value]
        if len(set(nodes)) != len(nodes):
            raise NormsimError(f"{where}: a node is listed twice")
        return {"nodes": tuple(nodes)}
    if kind == "block":
        b = _keys(value, where, ("side", "corner"), ("side", "corner"))
        side = _whole(b["side"], f"{where}.side", 1)
        corner = b["corner"]
        if isinstance(corner, (str, bytes)) or not isinstance(corner, Sequence) or len(corner) != 2:
            raise NormsimError(f"{where}.corner: {corner!r} is not [row, col]")
        row, col = (_whole(x, f"{where}.corner") for x in corner)
        return {"block": {"side": side, "corner": (row, col)}}
    if kind == "ball":
        b = _keys(value, where, ("centre", "count"), ("centre", "count"))
        return {
            "ball": {
                "centre": _whole(b["centre"], f"{where}.centre"),
                "count": _whole(b["count"], f"{where}.count", 1),
            }
        }
    if isinstance(value, (str, os.PathLike)):
        value = {"path": os.fspath(value)}
    s = _keys(value, where, _SNAPSHOT_KEYS, ("path",))
    if not isinstance(s["path"], str) or not s["path"]:
        raise NormsimError(f"{where}.path: {s['path']!r} is not a path")
    cond = s.get("condition")
    if cond is not None and (not isinstance(cond, str) or not cond):
        raise NormsimError(f"{where}.condition: {cond!r} is not a content hash (or a prefix)")
    gen = s.get("generation")
    return {
        "snapshot": {
            "path": s["path"],
            "generation": None if gen is None else _whole(gen, f"{where}.generation"),
            "replicate": _whole(s.get("replicate", 0) or 0, f"{where}.replicate"),
            "condition": cond,
        }
    }


def block_nodes(network: Mapping[str, Any] | None, side: int, corner: Sequence[int]) -> list[int]:
    """The nodes of the ``side`` x ``side`` block whose smallest-row, smallest-column
    corner is ``corner = (row, col)`` on the grid ``network`` (a spec of kind
    ``grid``), in row-major order of the block; it wraps round on a torus.

    Raises :class:`~normsim.errors.NormsimError` when ``network`` is not a grid or
    the block does not fit in it."""
    where = f"{WHERE}.block"
    if network is None or network.get("kind") != "grid":
        kind = "a graph given in Python" if network is None else f"kind {network.get('kind')}"
        raise NormsimError(f"{where}: a block needs a grid network (population.network is {kind})")
    rows, cols = int(network["rows"]), int(network["cols"])
    periodic = bool(network.get("periodic", True))
    row, col = (int(x) for x in corner)
    if not (0 <= row < rows and 0 <= col < cols):
        raise NormsimError(
            f"{where}.corner: [{row}, {col}] is outside the {rows} x {cols} grid "
            f"(rows 0..{rows - 1}, columns 0..{cols - 1})"
        )
    if periodic:
        if side > rows or side > cols:
            raise NormsimError(f"{where}.side: {side} is larger than the {rows} x {cols} torus")
    elif row + side > rows or col + side > cols:
        raise NormsimError(
            f"{where}: a block of side {side} at [{row}, {col}] leaves the {rows} x {cols} "
            "grid (it is not periodic)"
        )
    return [
        ((row + dr) % rows) * cols + (col + dc) % cols for dr in range(side) for dc in range(side)
    ]


def ball_nodes(indptr: np.ndarray, indices: np.ndarray, centre: int, count: int) -> list[int]:
    """The first ``count`` nodes of a breadth-first search from ``centre`` that visits
    each node's neighbours in increasing order of id (CSR arrays ``indptr``,
    ``indices``, each row sorted), in the order visited.

    Raises :class:`~normsim.errors.NormsimError` when ``centre`` is not a node or
    its component has fewer than ``count`` nodes."""
    where = f"{WHERE}.ball"
    n = len(indptr) - 1
    if not 0 <= centre < n:
        raise NormsimError(f"{where}.centre: node {centre} is not in the graph (nodes 0..{n - 1})")
    seen = {centre}
    out: list[int] = []
    queue = deque([centre])
    while queue and len(out) < count:
        i = queue.popleft()
        out.append(i)
        for j in sorted(int(x) for x in indices[indptr[i] : indptr[i + 1]]):
            if j not in seen:
                seen.add(j)
                queue.append(j)
    if len(out) < count:
        raise NormsimError(
            f"{where}.count: {count} nodes do not fit in the component of node {centre} "
            f"({len(out)} nodes)"
        )
    return out


def snapshot_db(text: str) -> str:
    """The database file a snapshot's ``path`` names, as written: ``path`` itself when it
    ends in ``.sqlite`` or ``.db``, else the results directory's ``results.sqlite``."""
    from normsim.store import DB_NAME

    return text if text.endswith((".sqlite", ".db")) else str(Path(text) / DB_NAME)


def _snapshot_file(spec: Mapping[str, Any], base_dir) -> Path:
    p = Path(snapshot_db(spec["path"]))
    if not p.is_absolute() and base_dir is not None:
        p = Path(base_dir) / p
    if not p.is_file():
        raise NormsimError(f"{WHERE}.snapshot.path: no results store at {spec['path']!r}")
    return p


def read_snapshot(
    spec: Mapping[str, Any], base_dir=None
) -> tuple[np.ndarray, np.ndarray | None, tuple[float, ...] | None]:
    """The stored state a normalised ``snapshot`` spec (:func:`check_initial`) names:
    ``(norms, rate_index, rates)``, ``rate_index`` and ``rates`` (the stored run's
    exploration rates) None when that run had a fixed rate. ``path`` is read relative to
    ``base_dir``. The arrays are read-only (cached while the file is unchanged)."""
    p = _snapshot_file(spec, base_dir)
    st = p.stat()
    return _read_snapshot(
        str(p.resolve()),
        st.st_mtime_ns,
        st.st_size,
        spec.get("generation"),
        int(spec.get("replicate") or 0),
        spec.get("condition"),
    )


@functools.lru_cache(maxsize=8)
def _read_snapshot(path: str, _mtime: int, _size: int, generation, rep: int, condition):
    from normsim.snapshots import decode
    from normsim.store import Store

    where = f"{WHERE}.snapshot"
    with Store(path, create=False) as store:
        conds = store.conditions()
        if condition is not None:
            conds = [c for c in conds if c["hash"].startswith(condition)]
            if len(conds) != 1:
                what = "no condition" if not conds else f"{len(conds)} conditions"
                raise NormsimError(f"{where}.condition: {condition!r} matches {what} of {path}")
        elif len(conds) != 1:
            raise NormsimError(
                f"{where}.condition: {path} holds {len(conds)} conditions; give the content "
                "hash (or a prefix) of one"
            )
        cond = conds[0]
        rows = store.snapshot_rows(cond["hash"], rep, generation)
    if not rows:
        at = "any generation" if generation is None else f"generation {generation}"
        raise NormsimError(
            f"{where}: {path} stores no snapshot of replicate {rep} at {at} "
            f"(condition {cond['hash'][:12]})"
        )
    _, _, n, k, blob = max(rows, key=lambda r: r[1])  # the latest generation
    norms, ridx = decode(blob, n, k)
    rates = None
    if ridx is not None:
        ex = (cond.get("resolved") or {}).get("dynamics", {}).get("exploration")
        rates = tuple(float(x) for x in ex["rates"]) if isinstance(ex, Mapping) else None
        ridx = ridx.astype(np.int64)
        ridx.flags.writeable = False
    norms = norms.astype(np.uint8)
    norms.flags.writeable = False
    return norms, ridx, rates


def snapshot_digest(spec: Mapping[str, Any], base_dir=None) -> str:
    """A sha256 of the state a ``snapshot`` spec names (norms, and rates when stored):
    part of the content hash of a condition that starts from it."""
    norms, ridx, rates = read_snapshot(spec, base_dir)
    h = hashlib.sha256(np.ascontiguousarray(norms, dtype=np.uint8).tobytes())
    if ridx is not None:
        h.update(np.ascontiguousarray(ridx, dtype=np.int64).tobytes())
        h.update(repr(rates).encode())
    return h.hexdigest()


def initial_state(
    initial: Mapping[str, Any],
    indptr: np.ndarray,
    indices: np.ndarray,
    network: Mapping[str, Any] | None,
    *,
    rates: Sequence[float] | None = None,
    base_dir=None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The initial norms (a uint8 array, 1 = B) of a normalised ``population.initial``
    (:func:`check_initial`) on the graph with CSR arrays ``indptr``, ``indices``, and the
    initial rate indices (an int64 array) when they come from a snapshot, else None.

    ``network`` is the graph's spec (None for a graph given in Python; a block needs a
    grid spec), ``rates`` this run's evolving rates (None: a fixed rate), ``base_dir``
    the folder a snapshot's path is read from. Raises
    :class:`~normsim.errors.NormsimError` for a configuration the graph does not hold."""
    n = len(indptr) - 1
    norms = np.zeros(n, dtype=np.uint8)
    ridx = None
    if "nodes" in initial:
        bad = [v for v in initial["nodes"] if v >= n]
        if bad:
            raise NormsimError(
                f"{WHERE}.nodes: node {bad[0]} is not in the graph (nodes 0..{n - 1})"
            )
        norms[list(initial["nodes"])] = 1
    elif "block" in initial:
        b = initial["block"]
        nodes = block_nodes(network, b["side"], b["corner"])
        if max(nodes) >= n:  # a grid cut to its largest component (it has one)
            raise NormsimError(f"{WHERE}.block: the graph has {n} nodes, not a whole grid")
        norms[nodes] = 1
    elif "ball" in initial:
        b = initial["ball"]
        norms[ball_nodes(indptr, indices, b["centre"], b["count"])] = 1
    else:
        spec = initial["snapshot"]
        s_norms, s_ridx, s_rates = read_snapshot(spec, base_dir)
        if len(s_norms) != n:
            raise NormsimError(
                f"{WHERE}.snapshot: the snapshot holds {len(s_norms)} agents, this graph "
                f"has {n} nodes (a snapshot is for the same graph)"
            )
        norms[:] = s_norms
        if s_ridx is not None and rates is not None:
            if s_rates is not None and tuple(float(r) for r in rates) != s_rates:
                raise NormsimError(
                    f"{WHERE}.snapshot: the stored run's exploration rates {list(s_rates)} "
                    f"differ from this run's {list(rates)}; the agents' rates are read "
                    "as indices into the same list"
                )
            if s_ridx.max(initial=0) >= len(rates):
                raise NormsimError(
                    f"{WHERE}.snapshot: a stored rate index is beyond this run's {len(rates)} rates"
                )
            ridx = np.array(s_ridx, dtype=np.int64)
    return norms, ridx
