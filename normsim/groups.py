"""Groups with their own tightness.

A population split into groups, each with its own need for coordination ``c``
and, optionally, its own exploration rate and initial share of B. The groups
come from the network (``population.groups.by``):

- ``blocks``: the blocks of a stochastic block model (``kind: sbm``, as
  :func:`networkx.stochastic_block_model` builds it: block ``k`` is nodes
  ``sum(sizes[:k]) .. sum(sizes[:k+1]) - 1``);
- ``cliques``: the cliques of a ``connected_caveman`` graph (clique ``k`` is
  nodes ``k * size .. (k + 1) * size - 1``);
- ``halves``: a grid split into its left half (group 0, columns ``0 ..
  cols/2 - 1``) and right half (group 1); ``cols`` must be even;
- ``attribute``: a node attribute (integers ``0 .. M-1``): of the nodes of an
  edge-list network, read from a file of ``node group`` lines (``file: PATH``,
  relative to the scenario; node ids as in the edge list, ``#`` comments), or of
  a networkx graph handed to :func:`normsim.engine.simulate` or
  :class:`normsim.model.NormChangeModel` (``attribute: NAME``).

The default ``by`` follows the network: ``blocks`` for ``sbm``, ``cliques`` for
``connected_caveman``, ``halves`` for ``grid``.

What a group changes (:mod:`normsim.engine`, :mod:`normsim.model` and the
tests' slow model all do exactly this):

* An agent's payoff uses its own group's ``c``: agent ``i`` of group ``g`` with
  ``n_same`` neighbours on its norm earns ``total_payoff(norm, n_same, n_other)``
  of the game ``(a, b, c_g)``. Its partners' groups do not matter.
* The Fermi rule's payoff range R is the spread of all payoffs any agent can
  get in the generation's games, ``max_g max(a_g, b_g) k_max - min_g (1 - c_g)
  min(a_g, b_g) k_min`` (:func:`payoff_range`): with a and b shared by every
  group, the plain formula with the largest ``c`` of any group (the plain R
  when every group has the same game).
* With a fixed exploration rate, an agent explores with its group's rate
  (``exploration``, default the scenario's rate); with evolving rates the
  agents' own rates are used and per-group rates are refused.
* Initial norms: agent ``i`` starts with B iff ``U53(x) < initial_b[g]`` (its
  group's share, default the scenario's ``initial_b``); the same draws as without
  groups, so groups whose values all equal the scenario's give the ungrouped
  model's series exactly.
* Shocks swap a and b for everyone (each group its own a and b). A game event
  without ``group`` sets its values (any of ``a``, ``b``, ``c``) in every group, a
  ramp running from each group's own values; an event with ``group: k`` sets
  (or ramps) its values in group k only.

Series per group: the share of B, the mean payoff of the group's members and,
with evolving rates, their mean exploration rate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from normsim.errors import NormsimError, check_number
from normsim.game import CoordinationGame, Game, MatrixGame

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

SOURCES = ("blocks", "cliques", "halves", "attribute")
#: the source that a network kind gives by default
DEFAULT_SOURCE = {"sbm": "blocks", "connected_caveman": "cliques", "grid": "halves"}
#: the kind each source needs (``attribute`` needs a networkx graph given directly)
SOURCE_KIND = {"blocks": "sbm", "cliques": "connected_caveman", "halves": "grid"}
_KEYS = ("by", "c", "exploration", "initial_b", "attribute", "file")


def group_count(by: str, network: Mapping[str, Any]) -> int | None:
    """The number of groups the network spec gives (None: known only from a graph)."""
    if by == "blocks":
        sizes = network.get("sizes")
        return len(sizes) if isinstance(sizes, (list, tuple)) else None
    if by == "cliques":
        return int(network.get("cliques", 0))
    if by == "halves":
        return 2
    return None


def check_groups(
    spec: Mapping[str, Any] | None, network: Mapping[str, Any] | None, *, evolving: bool
) -> dict[str, Any] | None:
    """Validate ``population.groups`` against the network spec and return it
    normalised: ``by``, ``n`` (the number of groups, None for ``attribute``),
    ``c`` (a tuple, or None: every group plays the scenario's c), ``exploration``
    and ``initial_b`` (tuples or None), ``attribute`` (a name or None).

    ``network`` None checks the values alone (a scenario's schema; the network
    is checked when the conditions are built).

    Raises :class:`~normsim.errors.NormsimError` (one line) for an unknown key or source, a
    source that does not fit the network, a list whose length is not the number
    of groups, a value outside its range, a grid with an odd number of columns
    split into halves, or per-group exploration rates with evolving rates.
    """
    if spec is None:
        return None
    where = "population.groups"
    if not isinstance(spec, Mapping):
        raise NormsimError(
            f"{where}: {spec!r} is not a mapping (by, c, exploration, initial_b)"[:300]
        )
    for key in spec:
        if key not in _KEYS and key != "n":  # n: in a normalised spec, recomputed below
            raise NormsimError(f"{where}.{key}: unknown key (allowed: {', '.join(_KEYS)})")
    kind = network.get("kind") if isinstance(network, Mapping) else None
    by = spec.get("by")
    if by is None and network is None:  # values only: the network is checked later
        pass
    elif by is None:
        if kind not in DEFAULT_SOURCE:
            raise NormsimError(
                f"{where}.by: give the groups' source ({', '.join(SOURCES)}); "
                f"a {kind} network has none by default"
            )
        by = DEFAULT_SOURCE[kind]
    if by is not None and by not in SOURCES:
        raise NormsimError(f"{where}.by: {by!r} is not one of {', '.join(SOURCES)}")
    if by in SOURCE_KIND and kind is not None and kind != SOURCE_KIND[by]:
        raise NormsimError(
            f"{where}.by: {by} needs a {SOURCE_KIND[by]} network (this one is {kind})"
        )
    attribute = spec.get("attribute")
    file = spec.get("file")
    if by == "attribute":
        if file is not None:
            if not isinstance(file, str) or not file:
                raise NormsimError(f"{where}.file: {file!r} is not a file name")
            if kind is not None and kind != "edgelist":
                raise NormsimError(
                    f"{where}.file: a file of node groups needs an edgelist "
                    f"network (this one is {kind})"
                )
            if attribute is not None:
                raise NormsimError(f"{where}: give file or attribute, not both")
        elif not isinstance(attribute, str) or not attribute:
            raise NormsimError(
                f"{where}.attribute: by attribute needs the node attribute's "
                "name (a networkx graph's) or a file of node groups (file: "
                "PATH, with an edgelist network)"
            )
    elif attribute is not None or file is not None:
        raise NormsimError(
            f"{where}.{'attribute' if attribute is not None else 'file'}: "
            f"only with by: attribute (not {by})"
        )
    if by == "halves" and kind == "grid":
        assert network is not None  # kind was read from it
        cols = network.get("cols")
        if isinstance(cols, int) and cols % 2:
            raise NormsimError(
                f"{where}.by: halves splits the grid's columns in two; cols = {cols} is odd"
            )
    n: int | None = None
    if kind is not None:
        # kind was read from the network, so by is set (from kind if not given) and is
        # one of SOURCES
        assert network is not None and isinstance(by, str)
        n = group_count(by, network)
    out: dict[str, Any] = {"by": by, "n": n, "attribute": attribute, "file": file}
    for key, high in (("c", 1.0), ("exploration", 1.0), ("initial_b", 1.0)):
        vals = spec.get(key)
        if vals is None:
            out[key] = None
            continue
        if isinstance(vals, (str, bytes, Mapping)) or not isinstance(vals, Sequence):
            raise NormsimError(f"{where}.{key}: {vals!r} is not a list (one value per group)"[:300])
        vals = tuple(
            check_number(f"{where}.{key}[{k}]", v, low=0.0, high=high) for k, v in enumerate(vals)
        )
        if n is not None and len(vals) != n:
            raise NormsimError(
                f"{where}.{key}: {len(vals)} value(s) for {n} groups (give one per group)"
            )
        if not vals:
            raise NormsimError(f"{where}.{key}: give one value per group")
        out[key] = vals
    lengths = {len(out[k]) for k in ("c", "exploration", "initial_b") if out[k] is not None}
    if len(lengths) > 1 and network is not None:
        raise NormsimError(
            f"{where}: c, exploration and initial_b give different numbers of groups"
        )
    if evolving and out["exploration"] is not None:
        raise NormsimError(
            f"{where}.exploration: per-group exploration rates need a fixed "
            "rate (with evolving rates each agent holds its own)"
        )
    return out


def read_group_file(path: Path) -> dict[str, int]:
    """A file of ``node group`` lines (``#`` comments): node id (as text) -> group."""
    where = "population.groups.file"
    from normsim.datafiles import check_special, quote
    from normsim.networks import text_lines

    check_special(path, where)  # before a byte of it is read

    out: dict[str, int] = {}
    for lineno, line, parts in text_lines(path, where):
        if len(parts) != 2 or not parts[1].isdigit():
            raise NormsimError(
                f"{where}: {path}:{lineno}: expected 'node group' "
                f"(group an integer >= 0), got {quote(line)}"
            )
        if parts[0] in out:
            raise NormsimError(f"{where}: {path}:{lineno}: node {quote(parts[0])} is listed twice")
        out[parts[0]] = int(parts[1])
    return out


def _file_labels(
    groups: Mapping[str, Any], network: Mapping[str, Any], n: int, base_dir: str | Path | None
) -> np.ndarray:
    from normsim.networks import node_labels

    path = Path(groups["file"])
    if base_dir is not None and not path.is_absolute():
        path = Path(base_dir) / path
    table = read_group_file(path)
    ids = node_labels(network, base_dir)
    out = np.empty(n, dtype=np.int64)
    for i, label in enumerate(ids):
        key = str(label)
        if key not in table:
            raise NormsimError(
                f"population.groups.file: node {key} of the edge list has no group in {path}"
            )
        out[i] = table[key]
    return out


def group_labels(
    groups: Mapping[str, Any],
    network: Mapping[str, Any] | None,
    n: int,
    graph: nx.Graph | None = None,
    base_dir: str | Path | None = None,
) -> np.ndarray:
    """Each node's group (int64, nodes ``0..N-1`` as normsim numbers them).

    ``graph`` (a networkx graph with nodes ``0..N-1``) is needed for
    ``attribute`` without a ``file``, and for ``blocks`` when the largest
    component was kept (its nodes carry networkx's ``block`` attribute);
    ``base_dir`` is where a relative ``file`` (and edge list) is read from."""
    by = groups["by"]
    where = "population.groups"
    if by == "attribute" and groups.get("file") is not None:
        if network is None:
            raise NormsimError(
                f"{where}.file: a file of node groups needs the edgelist network's spec"
            )
        out = _file_labels(groups, network, n, base_dir)
    elif by == "attribute" or (
        by == "blocks"
        and graph is not None
        and (network is None or network.get("largest_component"))
    ):
        name = groups["attribute"] if by == "attribute" else "block"
        if graph is None:
            raise NormsimError(
                f"{where}.by: attribute needs a networkx graph whose nodes "
                f"carry the attribute {name!r}"
            )
        out = np.empty(n, dtype=np.int64)
        for i in range(n):
            v = graph.nodes[i].get(name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
                raise NormsimError(
                    f"{where}.attribute: node {i} has no integer group "
                    f"attribute {name!r} (got {v!r})"
                )
            out[i] = int(v)
    elif network is None:
        raise NormsimError(
            f"{where}.by: {by} needs the network's spec (a {SOURCE_KIND[by]}), not a graph"
        )
    elif by == "blocks":
        out = np.repeat(
            np.arange(len(network["sizes"]), dtype=np.int64),
            np.asarray(network["sizes"], dtype=np.int64),
        )
    elif by == "cliques":
        out = np.arange(n, dtype=np.int64) // int(network["size"])
    else:  # halves: left and right
        cols = int(network["cols"])
        out = (np.arange(n, dtype=np.int64) % cols >= cols // 2).astype(np.int64)
    if len(out) != n:
        raise NormsimError(
            f"{where}: {len(out)} group labels for {n} nodes (with "
            "largest_component: true give the graph)"
        )
    m = max(int(out.max()) + 1, groups["n"] or 0)
    empty = np.flatnonzero(np.bincount(out, minlength=m) == 0)
    if len(empty):
        raise NormsimError(f"{where}: group {int(empty[0])} has no agents")
    for key in ("c", "exploration", "initial_b"):
        if groups[key] is not None and len(groups[key]) != m:
            raise NormsimError(
                f"{where}.{key}: {len(groups[key])} value(s) for {m} groups (give one per group)"
            )
    return out


def n_groups(groups: Mapping[str, Any], labels: np.ndarray) -> int:
    """The number of groups: from the spec, or the largest label + 1."""
    m = int(labels.max()) + 1 if len(labels) else 0
    for key in ("c", "exploration", "initial_b"):
        if groups[key] is not None:
            m = max(m, len(groups[key]))
    return max(m, groups["n"] or 0)


def group_values(groups: Mapping[str, Any], key: str, default: float, m: int) -> np.ndarray:
    """The per-group values of ``key`` (``c``, ``exploration`` or ``initial_b``),
    ``default`` for each group when the spec gives none."""
    vals = groups[key]
    return np.array(vals if vals is not None else [default] * m, dtype=np.float64)


def payoff_range(games: Sequence[Game], k_min: int, k_max: int) -> float:
    """The Fermi rule's R with groups: the spread of all payoffs any agent can get
    when group g plays ``games[g]``,

    ``max_g max(a_g, b_g) k_max  -  min_g (1 - c_g) min(a_g, b_g) k_min``

    (for matrix games the largest ``top`` minus the smallest ``bottom`` of their
    :meth:`~normsim.game.MatrixGame.payoff_bounds`)

    (1.0 if that is not > 0, as :meth:`~normsim.game.CoordinationGame.payoff_range`).
    When every group has the same a and b this is exactly (as floats) the plain R
    with the largest c of the groups.

    >>> from normsim.game import CoordinationGame as Game
    >>> payoff_range([Game(0.6, 0.4, 0.9), Game(0.6, 0.4, 0.2)], 4, 4) == Game(0.6, 0.4, 0.9
    ...     ).payoff_range(4, 4)
    True
    >>> payoff_range([Game(0.6, 0.4, 0.2), Game(1.0, 0.5, 0.2)], 4, 4)   # 4.0 - 0.8 * 0.4 * 4
    2.7199999999999998
    """
    bounds = [g.payoff_bounds(k_min, k_max) for g in games]
    top = max(t for t, _ in bounds)
    bottom = min(b for _, b in bounds)
    r = top - bottom
    return r if r > 0 else 1.0


def group_payoffs(games: Sequence[Game], half: np.ndarray) -> np.ndarray:
    """The summed payoffs of each group's members from their half-edge counts.

    ``half[..., g, :]`` counts group g's (member norm, neighbour norm) pairs:
    AA, AB, BA, BB. Returns ``(..., M)``."""
    half = np.asarray(half, dtype=np.float64)
    if isinstance(games[0], MatrixGame):  # R n_AA + S n_AB + T n_BA + P n_BB
        m = np.array([g.entries for g in games if isinstance(g, MatrixGame)])
        return (m[:, 0] * half[..., 0] + m[:, 1] * half[..., 1]) + (
            m[:, 2] * half[..., 2] + m[:, 3] * half[..., 3]
        )
    abc = [g for g in games if isinstance(g, CoordinationGame)]
    a = np.array([g.a for g in abc])
    b = np.array([g.b for g in abc])
    keep = np.array([1.0 - g.c for g in abc])
    return a * (half[..., 0] + keep * half[..., 1]) + b * (keep * half[..., 2] + half[..., 3])
