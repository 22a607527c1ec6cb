"""Network specs: their kinds and parameters, checked; the networkx graph a spec
describes, and :func:`~normsim.networks.spec_adjacency`, the engine's path from a
spec to its :class:`~normsim.networks.Adjacency` (networkx, or the native builders
of :mod:`normsim.networks.generators` and :mod:`normsim.networks.edgelist`, imported
when a spec needs them). The package :mod:`normsim.networks` documents these names
as its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from normsim.datafiles import check_special, quote
from normsim.errors import NormsimError
from normsim.networks.csr import Adjacency, csr_adjacency, is_int, need

#: parameters of each kind, name -> (type, required)
KINDS: dict[str, dict[str, tuple[type, bool]]] = {
    "grid": {"rows": (int, True), "cols": (int, True), "periodic": (bool, False)},
    "complete": {"n": (int, True)},
    "watts_strogatz": {"n": (int, True), "k": (int, True), "p": (float, True)},
    "erdos_renyi": {"n": (int, True), "p": (float, True)},
    "barabasi_albert": {"n": (int, True), "m": (int, True)},
    "connected_caveman": {"cliques": (int, True), "size": (int, True)},
    "random_regular": {"n": (int, True), "d": (int, True)},
    "star": {"n": (int, True)},
    "edgelist": {"path": (str, True)},
    # a stochastic block model (networkx.stochastic_block_model): block sizes and the
    # symmetric matrix of edge probabilities between blocks; the blocks are groups
    "sbm": {"sizes": (list, True), "p": (list, True)},
}
#: what each kind builds and what its parameters mean (the documentation's scenario
#: reference is generated from this and :data:`KINDS`; a test checks that every kind and
#: parameter is described)
KIND_DOCS: dict[str, tuple[str, dict[str, str]]] = {
    "grid": (
        "a rows x cols lattice, von Neumann neighbourhood (networkx grid_2d_graph); "
        "node (r, c) is number r * cols + c",
        {
            "rows": "rows of the lattice",
            "cols": "columns of the lattice",
            "periodic": "wrap around into a torus, every degree 4 (default true; "
            "needs rows, cols >= 3)",
        },
    ),
    "complete": (
        "every agent is every other's neighbour (complete_graph)",
        {"n": "number of agents (>= 2)"},
    ),
    "watts_strogatz": (
        "a small world: a ring of n agents, each linked to its k nearest, "
        "every link rewired with probability p (watts_strogatz_graph)",
        {
            "n": "number of agents",
            "k": "neighbours on the ring (2 <= k < n)",
            "p": "rewiring probability, in [0, 1]",
        },
    ),
    "erdos_renyi": (
        "every pair linked independently with probability p "
        "(fast_gnp_random_graph); isolated agents are an error unless "
        "largest_component is set",
        {"n": "number of agents (>= 2)", "p": "link probability, in (0, 1]"},
    ),
    "barabasi_albert": (
        "a scale-free graph grown by preferential attachment (barabasi_albert_graph)",
        {"n": "number of agents", "m": "links of each new agent (1 <= m < n)"},
    ),
    "connected_caveman": (
        "cliques joined into a ring by rewiring one edge of each (connected_caveman_graph)",
        {"cliques": "number of cliques (>= 1)", "size": "agents per clique (>= 2)"},
    ),
    "random_regular": (
        "a random graph in which every agent has degree d (random_regular_graph)",
        {"n": "number of agents", "d": "degree of every agent (d * n even)"},
    ),
    "star": (
        "one hub linked to n leaves (star_graph): n + 1 agents",
        {"n": "number of leaves (>= 1)"},
    ),
    "sbm": (
        "a stochastic block model (stochastic_block_model): blocks of the given sizes, "
        "nodes numbered block by block, an edge between blocks i and j with "
        "probability p[i][j]; the blocks can be groups (population.groups)",
        {
            "sizes": "agents in each block (a list)",
            "p": "the symmetric matrix of edge probabilities between blocks (a list of lists)",
        },
    ),
    "edgelist": (
        "a graph read from a file of 'u v' lines (# starts a comment); node "
        "labels are numbered in increasing order",
        {"path": "the file, relative to the scenario file's folder"},
    ),
}
#: kinds whose graph depends on the seed
RANDOM_KINDS = frozenset(
    {"watts_strogatz", "erdos_renyi", "barabasi_albert", "random_regular", "sbm"}
)
COMMON = {"largest_component": (bool, False), "generator": (str, False)}
#: values of ``generator``
GENERATORS = ("auto", "native", "networkx")
#: ``generator: auto`` builds graphs of this many nodes or more natively; the
#: sizes whose results were stored before the native generators existed (and
#: the paper's 2,500 agents) keep networkx's code, which gives the same graph
NATIVE_MIN_NODES = 100_000
#: what the parameters every kind takes mean
COMMON_DOCS = {
    "largest_component": "keep only the largest connected component "
    "(default false), e.g. for a sparse random graph",
    "generator": "how the engine builds the graph: ``auto`` (the default: "
    f"native from {NATIVE_MIN_NODES:,} nodes up, and always for "
    "edge lists), ``native`` (normsim's own generators, written "
    "straight into arrays, for millions of nodes) or ``networkx``; "
    "both give the same graph for the same seed",
}


def is_random(spec: Mapping[str, Any]) -> bool:
    """Whether the spec's graph is drawn at random (so differs between replicates)."""
    return spec.get("kind") in RANDOM_KINDS


def build_graph(
    spec: Mapping[str, Any], seed: int | None = None, base_dir: str | Path | None = None
) -> nx.Graph:
    """Build the networkx graph a spec describes, with nodes ``0..N-1``.

    Parameters
    ----------
    spec : mapping
        ``kind`` and its parameters (see :data:`KINDS`).
    seed : int, optional
        Seed for random kinds (every networkx generator gets it).
    base_dir : path, optional
        Directory that a relative ``edgelist`` path is read from.
    """
    G, largest = _raw_graph(spec, seed, base_dir)
    return _finish(G, largest)


def _finish(G: nx.Graph, largest: bool) -> nx.Graph:
    """Keep the largest component if asked, and number the nodes ``0..N-1``."""
    if largest and G.number_of_nodes() and not nx.is_connected(G):
        G = G.subgraph(max(nx.connected_components(G), key=len)).copy()
    return relabel(G)


def spec_adjacency(
    spec: Mapping[str, Any], seed: int | None = None, base_dir: str | Path | None = None
) -> Adjacency:
    """``adjacency(build_graph(spec, seed, base_dir))``, without networkx's copies.

    The same graph and numbering: the largest component keeps its nodes in
    increasing order, as ``relabel`` numbers them (ties go to the component
    with the smallest node, as in ``build_graph``). For an ER graph of 2,500
    nodes this takes a quarter of the time. The spec's ``generator`` (see
    :mod:`normsim.networks`) picks networkx or :mod:`normsim.networks.generators` /
    :mod:`normsim.networks.edgelist`, which write the arrays directly: 10^7 nodes in
    seconds, at tens of bytes a node.
    """
    kind, p, largest, generator = _check_spec(spec)
    if _use_native(kind, p, generator):
        if kind == "edgelist":
            from normsim.networks.edgelist import load_edgelist

            return load_edgelist(_edgelist_path(p, base_dir), largest_component=largest).adjacency
        from normsim.networks.generators import native_adjacency

        return native_adjacency(kind, p, seed, largest)
    G = _networkx_graph(kind, p, seed, base_dir)
    n = G.number_of_nodes()
    nodes = list(G.nodes)
    if nodes != list(range(n)) or G.is_directed() or G.is_multigraph():
        return adjacency(_finish(G, largest))
    u, v = _edge_arrays(G)
    if largest and n:
        keep = np.ones(n, dtype=bool)
        if len(u):
            _, label = csgraph.connected_components(
                sparse.coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n)), directed=False
            )
            keep = label == np.argmax(np.bincount(label))
        elif n > 1:
            keep[1:] = False
        new_id = np.cumsum(keep) - 1
        inside = keep[u] & keep[v]
        u, v, n = new_id[u[inside]], new_id[v[inside]], int(keep.sum())
    return csr_adjacency(n, u, v)


def node_labels(spec: Mapping[str, Any], base_dir: str | Path | None = None) -> np.ndarray:
    """The file's id of each node ``0..N-1`` of an ``edgelist`` network spec.

    Parameters
    ----------
    spec : mapping
        ``{"kind": "edgelist", "path": ..., "largest_component": ...}``.
    base_dir : path, optional
        Directory that a relative path is read from (a scenario's folder).
    """
    from normsim.networks.edgelist import load_edgelist

    kind, p, largest, _ = _check_spec(spec)
    if kind != "edgelist":
        raise NormsimError(f"network.kind: node labels belong to edgelist networks, not {kind}")
    return load_edgelist(_edgelist_path(p, base_dir), largest_component=largest).labels


def _check_spec(spec: Mapping[str, Any]) -> tuple[str, dict, bool, str]:
    """Check a spec: its kind, parameters, largest-component flag and generator."""
    spec = dict(spec)
    kind = spec.pop("kind", None)
    need(kind in KINDS, f"network.kind: {kind!r} is not one of {', '.join(KINDS)}")
    largest = bool(spec.pop("largest_component", False))
    generator = spec.pop("generator", "auto")
    need(
        generator in GENERATORS,
        f"network.generator: {generator!r} is not one of {', '.join(GENERATORS)}",
    )
    allowed = KINDS[kind]
    for key in spec:
        need(
            key in allowed,
            f"network.{key}: not a parameter of {kind} (allowed: {', '.join(allowed) or 'none'})",
        )
    for key, (_, required) in allowed.items():
        need(not required or key in spec, f"network.{key}: required for {kind}")
    _check_params(kind, spec)
    return kind, spec, largest, generator


def _use_native(kind: str, p: dict, generator: str) -> bool:
    """Whether ``generator`` means the native path for this kind and size."""
    if generator == "networkx":
        return False
    if kind == "edgelist":
        return True
    from normsim.networks.generators import NATIVE_KINDS, native_size

    if kind not in NATIVE_KINDS:
        return False
    size = native_size(kind, p)  # an int for the native kinds
    return generator == "native" or (size is not None and size >= NATIVE_MIN_NODES)


def _raw_graph(spec: Mapping[str, Any], seed: int | None, base_dir) -> tuple[nx.Graph, bool]:
    """Check a spec; the networkx graph and whether to keep its largest component."""
    kind, p, largest, _ = _check_spec(spec)
    return _networkx_graph(kind, p, seed, base_dir), largest


def _networkx_graph(kind: str, p: dict, seed: int | None, base_dir) -> nx.Graph:
    try:
        return _generate(kind, p, seed, base_dir)
    except NormsimError:
        raise
    except (nx.NetworkXError, ValueError, TypeError) as e:
        raise NormsimError(f"network: networkx cannot build {kind} with {_fmt(p)}: {e}") from None


def _fmt(spec: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in spec.items()) or "no parameters"


def _check_params(kind: str, p: dict) -> None:
    """The ranges networkx (and the native generators) accept for each kind."""
    if kind == "grid":
        rows, cols, periodic = p["rows"], p["cols"], p.get("periodic", True)
        if periodic:
            need(
                rows >= 3 and cols >= 3,
                f"network: a periodic grid needs rows and cols >= 3 (got {rows} x {cols})",
            )
        need(rows * cols >= 2, "network: a grid needs at least 2 nodes")
    elif kind == "complete":
        need(p["n"] >= 2, f"network.n: {p['n']} must be >= 2")
    elif kind == "watts_strogatz":
        n, k, q = p["n"], p["k"], p["p"]
        need(2 <= k < n, f"network.k: {k} must satisfy 2 <= k < n = {n}")
        need(0.0 <= q <= 1.0, f"network.p: {q} is outside [0, 1]")
    elif kind == "erdos_renyi":
        n, q = p["n"], p["p"]
        need(n >= 2, f"network.n: {n} must be >= 2")
        need(0.0 < q <= 1.0, f"network.p: {q} is outside (0, 1]")
    elif kind == "barabasi_albert":
        n, m = p["n"], p["m"]
        need(1 <= m < n, f"network.m: {m} must satisfy 1 <= m < n = {n}")
    elif kind == "connected_caveman":
        need(p["cliques"] >= 1, f"network.cliques: {p['cliques']} must be >= 1")
        need(p["size"] >= 2, f"network.size: {p['size']} must be >= 2")
    elif kind == "random_regular":
        n, d = p["n"], p["d"]
        need(1 <= d < n, f"network.d: {d} must satisfy 1 <= d < n = {n}")
        need(d * n % 2 == 0, f"network: d * n must be even (d = {d}, n = {n})")
    elif kind == "star":
        need(p["n"] >= 1, f"network.n: {p['n']} must be >= 1 (leaves; the star has n + 1 nodes)")
    elif kind == "sbm":
        check_sbm(p["sizes"], p["p"])


def check_sbm(sizes: Any, probs: Any) -> None:
    """Check a stochastic block model's ``sizes`` (positive integers) and ``p`` (a
    symmetric matrix of probabilities in [0, 1], one row and column per block)."""
    need(
        isinstance(sizes, (list, tuple)) and len(sizes) >= 1,
        f"network.sizes: {sizes!r} must be a list of block sizes",
    )
    for v in sizes:
        need(
            not isinstance(v, bool) and isinstance(v, (int, np.integer)) and v >= 1,
            f"network.sizes: {v!r} is not a block size (an integer >= 1)",
        )
    m = len(sizes)
    need(
        isinstance(probs, (list, tuple))
        and len(probs) == m
        and all(isinstance(row, (list, tuple)) and len(row) == m for row in probs),
        f"network.p: give a {m} x {m} matrix of edge probabilities (one row per block), "
        f"got {probs!r}"[:300],
    )
    for i, row in enumerate(probs):
        for j, v in enumerate(row):
            need(
                not isinstance(v, bool)
                and isinstance(v, (int, float, np.number))
                and 0.0 <= v <= 1.0,
                f"network.p[{i}][{j}]: {v!r} is not a probability in [0, 1]",
            )
            need(
                v == probs[j][i],
                f"network.p: not symmetric (p[{i}][{j}] = {v} but "
                f"p[{j}][{i}] = {probs[j][i]}); the graph is undirected",
            )


def _edgelist_path(p: dict, base_dir) -> Path:
    path = Path(p["path"])
    if base_dir is not None and not path.is_absolute():
        path = Path(base_dir) / path
    return path


def _generate(kind: str, p: dict, seed: int | None, base_dir) -> nx.Graph:
    """The networkx graph of a kind with checked parameters."""
    if kind == "grid":
        rows, cols, periodic = p["rows"], p["cols"], p.get("periodic", True)
        G = nx.grid_2d_graph(rows, cols, periodic=periodic)
        return nx.relabel_nodes(G, {(r, c): r * cols + c for r, c in G.nodes})
    if kind == "complete":
        return nx.complete_graph(p["n"])
    if kind == "watts_strogatz":
        return nx.watts_strogatz_graph(p["n"], p["k"], p["p"], seed=seed)
    if kind == "erdos_renyi":
        return nx.fast_gnp_random_graph(p["n"], p["p"], seed=seed)
    if kind == "barabasi_albert":
        return nx.barabasi_albert_graph(p["n"], p["m"], seed=seed)
    if kind == "connected_caveman":
        return nx.connected_caveman_graph(p["cliques"], p["size"])
    if kind == "random_regular":
        return nx.random_regular_graph(p["d"], p["n"], seed=seed)
    if kind == "star":
        return nx.star_graph(p["n"])
    if kind == "sbm":
        return nx.stochastic_block_model(
            [int(x) for x in p["sizes"]], [[float(x) for x in row] for row in p["p"]], seed=seed
        )
    # edgelist
    return read_edgelist(_edgelist_path(p, base_dir))


def read_edgelist(path: str | Path) -> nx.Graph:
    """Read a whitespace-separated edge list (``u v`` per line, ``#`` comments)."""
    path = check_special(path, "network.path")  # before a byte of it is read
    G = nx.Graph()
    for lineno, line, parts in text_lines(path, "network.path"):
        need(
            len(parts) >= 2,
            f"network.path: {path}:{lineno}: expected 'u v' (two node "
            f"ids), got one field: {quote(line)}",
        )
        G.add_edge(parts[0], parts[1])
    need(G.number_of_edges() > 0, f"network.path: {path} has no edges")
    return G


def text_lines(path: Path, where: str) -> Iterator[tuple[int, str, list[str]]]:
    """The data lines of a small text file (an edge list, a group file): ``(line
    number, the line without its ``#`` comment, its blank-separated fields)`` for
    each line that is not empty then; a read or decoding error is one
    :class:`~normsim.errors.NormsimError` naming ``where``."""
    try:
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                line = line.split("#", 1)[0].strip()
                if line:
                    yield lineno, line, line.split()
    except (OSError, UnicodeDecodeError) as e:
        raise NormsimError(f"{where}: cannot read {path}: {e}") from None


def relabel(G: nx.Graph) -> nx.Graph:
    """Relabel nodes to ``0..N-1`` (integer labels numerically, others as text).

    Nodes that are already ``0..N-1`` keep their labels.
    """
    need(not G.is_directed(), "network: the graph must be undirected")
    need(not G.is_multigraph(), "network: multigraphs are not supported")
    nodes = list(G.nodes)
    if all(isinstance(v, (int, np.integer)) for v in nodes) and set(nodes) == set(
        range(len(nodes))
    ):
        return G
    try:
        key = sorted(nodes, key=lambda v: (0, int(v), "") if is_int(v) else (1, 0, str(v)))
    except TypeError:  # pragma: no cover - unorderable labels
        key = nodes
    return nx.relabel_nodes(G, {v: i for i, v in enumerate(key)})


def adjacency(G: nx.Graph) -> Adjacency:
    """Check a graph and convert it to :class:`Adjacency` (nodes must be 0..N-1).

    Raises :class:`~normsim.errors.NormsimError` for a self-loop, an isolated node or no edges.
    """
    G = relabel(G)
    return csr_adjacency(G.number_of_nodes(), *_edge_arrays(G))


def _edge_arrays(G: nx.Graph) -> tuple[np.ndarray, np.ndarray]:
    e = np.fromiter(
        (x for edge in G.edges() for x in edge), dtype=np.int64, count=2 * G.number_of_edges()
    )
    return e[0::2], e[1::2]
