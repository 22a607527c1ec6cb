"""Native network generators: the engine's compressed adjacency, built directly.

networkx builds a graph as dicts of dicts, about 1.4 kB per node, and
:func:`normsim.networks.adjacency` then converts it to the arrays the engine reads. For
millions of nodes that costs minutes and gigabytes. The functions here write
those arrays (:class:`normsim.networks.Adjacency`: ``indptr``, ``indices``,
``degree``) directly, in compiled loops, at a few tens of bytes per node.

They give **the same graph as networkx for the same seed**, not merely a
graph of the same distribution: networkx's random generators draw from
Python's ``random.Random(seed)`` (MT19937), and this module runs the same
generator (:func:`python_random_state` copies its state) through the same
algorithm, draw for draw:

* ``erdos_renyi``: ``fast_gnp_random_graph`` (Batagelj-Brandes geometric
  skips, the same ``math.log`` expressions);
* ``watts_strogatz``: ``watts_strogatz_graph`` (ring lattice, rewiring slot by
  slot in networkx's order, the same retry and skip rules);
* ``barabasi_albert``: ``barabasi_albert_graph`` (star seed graph, targets by
  ``choice`` from the list of repeated nodes; the order in which a target set
  enters that list is the iteration order of CPython's ``set``, which
  :func:`_set_order` reproduces);
* ``random_regular``: ``random_regular_graph`` (Steger-Wormald pairing rounds
  with networkx's suitability test and restarts);
* ``grid``, ``complete``, ``star``, ``connected_caveman``: the deterministic
  graphs.

The tests compare every kind with networkx edge for edge over many seeds, so
a change in networkx's algorithms or in CPython's ``random`` or ``set``
shows up there rather than in a stored result. Nodes are numbered as
:func:`normsim.networks.spec_adjacency` numbers them, and
:func:`largest_component` keeps the largest connected component by the same
rule.

Examples
--------
>>> adj = native_adjacency("grid", {"rows": 3, "cols": 4, "periodic": True})
>>> adj.n, adj.k_min, adj.k_max
(12, 4, 4)
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from typing import Any

import numba as nb
import numpy as np

import normsim.engine.cache  # noqa: F401  (normsim's kernel cache: before any cache=True kernel)
from normsim.errors import NormsimError
from normsim.networks.csr import checked_adjacency, need

#: kinds with a native generator
NATIVE_KINDS = frozenset(
    {
        "grid",
        "complete",
        "star",
        "connected_caveman",
        "erdos_renyi",
        "watts_strogatz",
        "barabasi_albert",
        "random_regular",
    }
)

_N = 624
_U = np.uint64


# ------------------------------------------------------------------ Python's random
def python_random_state(seed: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The MT19937 state of ``random.Random(seed)``, as networkx seeds it.

    Returns ``(mt, pos)``: the 624 state words (as uint64) and the position in
    them (a one-element int64 array), which the compiled draws advance.
    """
    state = random.Random(seed).getstate()[1]
    return (np.array(state[:_N], dtype=np.uint64), np.array([state[_N]], dtype=np.int64))


@nb.njit(inline="always")
def _twist_one(mt, kk, k1, km):
    y = (mt[kk] & _U(0x80000000)) | (mt[k1] & _U(0x7FFFFFFF))
    v = mt[km] ^ (y >> _U(1))
    mt[kk] = v ^ (_U(0x9908B0DF) * (y & _U(1)))


@nb.njit(cache=True)
def _twist(mt):
    """The next 624 words (CPython's genrand_uint32, three loops without a modulo)."""
    for kk in range(_N - 397):
        _twist_one(mt, kk, kk + 1, kk + 397)
    for kk in range(_N - 397, _N - 1):
        _twist_one(mt, kk, kk + 1, kk + 397 - _N)
    _twist_one(mt, _N - 1, 0, 396)


@nb.njit(inline="always")
def _u32(mt, pos):
    """``genrand_uint32`` of CPython's ``_randommodule.c``."""
    i = pos[0]
    if i >= _N:
        _twist(mt)
        i = 0
    y = mt[i]
    pos[0] = i + 1
    y ^= y >> _U(11)
    y ^= (y << _U(7)) & _U(0x9D2C5680)
    y ^= (y << _U(15)) & _U(0xEFC60000)
    y ^= y >> _U(18)
    return y


@nb.njit(inline="always")
def _random(mt, pos):
    """``random.random()``: 53 bits from two words."""
    a = _u32(mt, pos) >> _U(5)
    b = _u32(mt, pos) >> _U(6)
    return (np.float64(a) * 67108864.0 + np.float64(b)) * (1.0 / 9007199254740992.0)


@nb.njit(inline="always")
def _randbelow(mt, pos, n):
    """``random._randbelow(n)`` for ``1 <= n < 2**32``: ``getrandbits(n.bit_length())``
    until the value is below ``n``."""
    k = 0
    x = n
    while x:
        k += 1
        x >>= 1
    shift = _U(32 - k)
    r = np.int64(_u32(mt, pos) >> shift)
    while r >= n:
        r = np.int64(_u32(mt, pos) >> shift)
    return r


@nb.njit(cache=True)
def py_draws(mt, pos, kinds, args):
    """Draws of the compiled Python ``random`` (for tests): ``kinds[i]`` 0 gives
    ``random()``, 1 ``_randbelow(args[i])``, 2 ``getrandbits(32)``."""
    out = np.empty(kinds.shape[0])
    for i in range(kinds.shape[0]):
        if kinds[i] == 0:
            out[i] = _random(mt, pos)
        elif kinds[i] == 1:
            out[i] = _randbelow(mt, pos, args[i])
        else:
            out[i] = _u32(mt, pos)
    return out


# ------------------------------------------------------------------ CSR helpers
@nb.njit(cache=True)
def _sort_rows(indptr, indices):
    """Sort every row's neighbours (insertion sort for short rows)."""
    n = indptr.shape[0] - 1
    for i in range(n):
        a = indptr[i]
        b = indptr[i + 1]
        if b - a > 24:
            indices[a:b].sort()
            continue
        for p in range(a + 1, b):
            x = indices[p]
            q = p - 1
            while q >= a and indices[q] > x:
                indices[q + 1] = indices[q]
                q -= 1
            indices[q + 1] = x


@nb.njit(cache=True)
def _indptr(deg):
    n = deg.shape[0]
    indptr = np.empty(n + 1, dtype=np.int64)
    indptr[0] = 0
    for i in range(n):
        indptr[i + 1] = indptr[i] + deg[i]
    return indptr


@nb.njit(cache=True)
def csr_from_edges(n, u, v):
    """The simple graph of the edges ``u[k] - v[k]`` (duplicates merged, either
    direction): ``(indptr, indices, degree, self_loops)``, rows sorted. A
    self-loop is kept as an entry ``i`` in row ``i`` and counted once."""
    deg = np.zeros(n, dtype=np.int64)
    for k in range(u.shape[0]):
        deg[u[k]] += 1
        deg[v[k]] += 1
    indptr = _indptr(deg)
    indices = np.empty(indptr[n], dtype=np.int32)
    fill = indptr[:n].copy()
    for k in range(u.shape[0]):
        a = u[k]
        b = v[k]
        indices[fill[a]] = b
        fill[a] += 1
        indices[fill[b]] = a
        fill[b] += 1
    _sort_rows(indptr, indices)
    # merge duplicates in place, row by row
    out = 0
    loops = 0
    degree = np.empty(n, dtype=np.int32)
    start = indptr[0]
    for i in range(n):
        a = start
        b = indptr[i + 1]
        start = b
        row0 = out
        last = -1
        for p in range(a, b):
            x = indices[p]
            if x != last:
                indices[out] = x
                out += 1
                last = x
                if x == i:
                    loops += 1
        indptr[i] = row0
        degree[i] = out - row0
    indptr[n] = out
    return indptr, indices[:out].copy() if out < indices.shape[0] else indices, degree, loops


def adjacency_from_edges(n: int, u: np.ndarray, v: np.ndarray):
    """Check edges ``u[k] - v[k]`` on nodes ``0..n-1`` (duplicates merged) and return
    their :class:`~normsim.networks.Adjacency`, with the errors of
    :func:`normsim.networks.adjacency` (no edges, self-loops, isolated nodes)."""
    need(n >= 2 and len(u) > 0, "network: the graph has no edges")
    indptr, indices, degree, loops = csr_from_edges(n, u, v)
    need(
        loops == 0,
        f"network: the graph has {loops} self-loop(s); an agent cannot play or imitate itself",
    )
    return checked_adjacency(indptr, indices, degree)


# ------------------------------------------------------------------ components
@nb.njit(cache=True)
def _component_labels(indptr, indices):
    """Connected components labelled 0, 1, ... in order of their smallest node.

    Breadth-first, with the rows of the nodes a few places ahead in the queue
    read early (``warm``): at millions of nodes each row is a cache miss, and
    misses that do not wait for each other overlap."""
    n = indptr.shape[0] - 1
    label = np.full(n, -1, dtype=np.int32)
    queue = np.empty(n, dtype=np.int32)
    warm = np.int64(0)
    c = 0
    tail = 0
    for s in range(n):
        if label[s] >= 0:
            continue
        label[s] = c
        head = tail
        queue[tail] = s
        tail += 1
        while head < tail:
            if head + 16 < tail:
                warm += indptr[queue[head + 16]]
            if head + 8 < tail:
                y8 = queue[head + 8]
                for p in range(indptr[y8], indptr[y8 + 1]):
                    warm += label[indices[p]]
            x = queue[head]
            head += 1
            for p in range(indptr[x], indptr[x + 1]):
                y = indices[p]
                if label[y] < 0:
                    label[y] = c
                    queue[tail] = y
                    tail += 1
        c += 1
    if warm == -1:  # keeps the early reads
        label[0] = label[0]
    return label, c


@nb.njit(inline="always")
def _popcount(x):
    x = x - ((x >> _U(1)) & _U(0x5555555555555555))
    x = (x & _U(0x3333333333333333)) + ((x >> _U(2)) & _U(0x3333333333333333))
    x = (x + (x >> _U(4))) & _U(0x0F0F0F0F0F0F0F0F)
    return (x * _U(0x0101010101010101)) >> _U(56)


@nb.njit(cache=True)
def _keep_component(indptr, indices, label, pick):
    """The subgraph of the nodes with ``label == pick``, a whole connected
    component (so every neighbour of a kept node is kept), renumbered in
    increasing order. A node's new number is its old one less the dropped
    nodes before it, counted in a bitmap and per-64-node totals small enough
    to stay in cache (a full table of new numbers would miss for every entry)."""
    n = indptr.shape[0] - 1
    nw = (n + 63) // 64
    drop = np.zeros(nw, dtype=np.uint64)
    before = np.empty(nw, dtype=np.int64)
    m = 0
    total = 0
    for i in range(n):
        if label[i] == pick:
            m += 1
            total += indptr[i + 1] - indptr[i]
        else:
            drop[i >> 6] |= _U(1) << _U(i & 63)
    acc = 0
    for w in range(nw):
        before[w] = acc
        acc += np.int64(_popcount(drop[w]))  # type: ignore[assignment]  # numba-typed kernel
    deg = np.empty(m, dtype=np.int32)
    new_ptr = np.empty(m + 1, dtype=np.int64)
    new_idx = np.empty(total, dtype=np.int32)
    new_ptr[0] = 0
    q = 0
    k = 0
    for i in range(n):
        if label[i] == pick:
            for p in range(indptr[i], indptr[i + 1]):
                j = np.int64(indices[p])
                w = j >> 6  # type: ignore[assignment]  # numba-typed kernel
                below = drop[w] & ((_U(1) << _U(j & 63)) - _U(1))
                new_idx[q] = j - before[w] - np.int64(_popcount(below))
                q += 1
            new_ptr[k + 1] = q
            deg[k] = q - new_ptr[k]
            k += 1
    return new_ptr, new_idx, deg


def largest_component(
    indptr: np.ndarray,
    indices: np.ndarray,
    degree: np.ndarray,
    first_seen: Callable[[], np.ndarray] | None = None,
):
    """The largest connected component, its nodes renumbered in increasing order.

    Ties go to the component with the smallest node, or, given ``first_seen``
    (the order in which nodes were first met, as in an edge-list file), to the
    component met first: the rule of :func:`normsim.networks.build_graph`,
    where networkx lists components in the order its nodes were added.

    Returns ``(indptr, indices, degree, keep)``, ``keep`` the boolean mask of
    the kept nodes (None when the graph is connected).
    """
    label, n_comp = _component_labels(indptr, indices)
    if n_comp == 1:
        return indptr, indices, degree, None
    size = np.bincount(label, minlength=n_comp)
    best = np.flatnonzero(size == size.max())
    if len(best) > 1 and first_seen is not None:
        first = np.full(n_comp, np.iinfo(np.int64).max)
        np.minimum.at(first, label, first_seen())
        pick = int(best[np.argmin(first[best])])
    else:
        pick = int(best[0])
    p, i, d = _keep_component(indptr, indices, label, pick)
    return p, i, d, label == pick


# ------------------------------------------------------------------ deterministic kinds
@nb.njit(cache=True)
def _grid_row(rows, cols, periodic, i, out):
    """The sorted neighbours of node ``i`` of the grid in ``out``; returns how many."""
    r = i // cols
    c = i - r * cols
    k = 0
    for q in range(4):
        rr = r + (-1 if q == 0 else (1 if q == 1 else 0))
        cc = c + (-1 if q == 2 else (1 if q == 3 else 0))
        if periodic:
            rr %= rows
            cc %= cols
        elif rr < 0 or rr >= rows or cc < 0 or cc >= cols:
            continue
        x = rr * cols + cc
        p = k - 1
        while p >= 0 and out[p] > x:
            out[p + 1] = out[p]
            p -= 1
        out[p + 1] = x
        k += 1
    return k


@nb.njit(cache=True)
def _grid(rows, cols, periodic):
    """networkx's grid_2d_graph, node ``(r, c)`` numbered ``r * cols + c``."""
    n = rows * cols
    row = np.empty(4, dtype=np.int64)
    deg = np.empty(n, dtype=np.int32)
    for i in range(n):
        deg[i] = _grid_row(rows, cols, periodic, i, row)
    indptr = _indptr(deg)
    indices = np.empty(indptr[n], dtype=np.int32)
    for i in range(n):
        k = _grid_row(rows, cols, periodic, i, row)
        for q in range(k):
            indices[indptr[i] + q] = row[q]
    return indptr, indices, deg


def _complete_edges(n: int) -> tuple[np.ndarray, np.ndarray]:
    u, v = np.triu_indices(n, 1)
    return u.astype(np.int32), v.astype(np.int32)


def _caveman_edges(cliques: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """networkx's connected_caveman_graph: cliques, each with its edge (start,
    start + 1) moved to (start, start - 1 mod N)."""
    a, b = np.triu_indices(size, 1)
    rewired = (a == 0) & (b == 1)
    a, b = a[~rewired], b[~rewired]
    start = (np.arange(cliques, dtype=np.int64) * size)[:, None]
    u = (start + a).ravel()
    v = (start + b).ravel()
    st = start.ravel()
    u = np.concatenate([u, st])
    v = np.concatenate([v, (st - 1) % (cliques * size)])
    return u.astype(np.int32), v.astype(np.int32)


# ------------------------------------------------------------------ erdos_renyi
@nb.njit(cache=True)
def _gnp_edges(n, lp, mt, pos, vw, bv, bw):
    """The next edges of networkx's fast_gnp_random_graph loop into ``bv``, ``bw``
    (``vw`` holds its ``v, w``); returns how many. Drawing apart from writing the
    rows lets the scattered writes overlap in memory."""
    v = vw[0]
    w = vw[1]
    k = 0
    while v < n and k < bv.shape[0]:
        lr = math.log(1.0 - _random(mt, pos))
        q = lr / lp
        if q >= 4.0e18:  # a skip past every remaining pair
            v = n
            break
        w = w + 1 + np.int64(q)
        while w >= v and v < n:
            w = w - v
            v = v + 1
        if v < n:
            bv[k] = v
            bw[k] = w
            k += 1
    vw[0] = v
    vw[1] = w
    return k


@nb.njit(cache=True)
def _gnp_pass(n, lp, mt, pos, deg, cursor, indices, fill):
    """Count degrees, or (``fill``) write each edge into both rows, which come
    out sorted (row ``x`` gets its smaller neighbours when ``v = x``, in
    increasing order, then its larger ones as ``v`` grows)."""
    bv = np.empty(4096, dtype=np.int64)
    bw = np.empty(4096, dtype=np.int64)
    vw = np.array([1, -1], dtype=np.int64)
    while True:
        k = _gnp_edges(n, lp, mt, pos, vw, bv, bw)
        if fill:
            for e in range(k):
                v = bv[e]
                w = bw[e]
                indices[cursor[v]] = w
                cursor[v] += 1
                indices[cursor[w]] = v
                cursor[w] += 1
        else:
            for e in range(k):
                deg[bv[e]] += 1
                deg[bw[e]] += 1
        if vw[0] >= n:
            break


def _erdos_renyi(n: int, p: float, seed) -> tuple:
    mt, pos = python_random_state(seed)
    lp = math.log(1.0 - p)
    deg = np.zeros(n, dtype=np.int32)
    dummy = np.empty(0, dtype=np.int32)
    _gnp_pass(n, lp, mt.copy(), pos.copy(), deg, np.empty(0, np.int64), dummy, False)
    indptr = _indptr(deg)
    indices = np.empty(indptr[n], dtype=np.int32)
    cursor = indptr[:n].copy()
    _gnp_pass(n, lp, mt, pos, deg, cursor, indices, True)
    return indptr, indices, deg


# ------------------------------------------------------------------ watts_strogatz
@nb.njit(cache=True)
def _ws(n, k, p, mt, pos):
    """networkx's watts_strogatz_graph: slot ``(u, j)`` holds the far end of
    the edge that started as ``(u, u + j mod n)``; every edge is one slot."""
    h = k // 2
    t = np.empty((n, h), dtype=np.int32)
    deg = np.full(n, 2 * h, dtype=np.int32)
    for u in range(n):
        for j in range(h):
            t[u, j] = (u + j + 1) % n
    for j in range(h):
        for u in range(n):
            if _random(mt, pos) < p:
                v = (u + j + 1) % n
                w = _randbelow(mt, pos, n)
                skipped = False
                while True:
                    exists = w == u
                    if not exists:
                        for jj in range(h):
                            if t[u, jj] == w or t[w, jj] == u:
                                exists = True
                                break
                    if not exists:
                        break
                    w = _randbelow(mt, pos, n)
                    if deg[u] >= n - 1:
                        skipped = True
                        break
                if not skipped:
                    t[u, j] = w
                    deg[v] -= 1
                    deg[w] += 1
    indptr = _indptr(deg)
    indices = np.empty(indptr[n], dtype=np.int32)
    fill = indptr[:n].copy()
    for u in range(n):
        for j in range(h):
            w = t[u, j]
            indices[fill[u]] = w
            fill[u] += 1
            indices[fill[w]] = u
            fill[w] += 1
    _sort_rows(indptr, indices)
    return indptr, indices, deg


# ------------------------------------------------------------------ barabasi_albert
@nb.njit(inline="always")
def _set_insert(table, mask, x, clean):
    """Insert ``x`` (>= 0, its own hash) into an open-addressing table as CPython's
    setobject.c does (``set_add_entry``; ``set_insert_clean`` when ``clean``).
    Returns True if it was added, False if it was already there."""
    i = np.uint64(x) & mask
    perturb = np.uint64(x)
    while True:
        probes = 9 if i + np.uint64(9) <= mask else 0
        e = i
        for _ in range(probes + 1):
            key = table[e]
            if key < 0:
                table[e] = x
                return True
            if not clean and key == x:
                return False
            e += np.uint64(1)
        perturb >>= np.uint64(5)
        i = (i * np.uint64(5) + np.uint64(1) + perturb) & mask


@nb.njit(inline="always")
def _set_add(table, old, state, x):
    """``set.add(x)`` with resizing; ``state = [mask, fill]``. Returns True if added."""
    mask = np.uint64(state[0])
    if not _set_insert(table, mask, x, False):
        return False
    state[1] += 1
    if state[1] * 5 < state[0] * 3:
        return True
    used = state[1]
    newsize = 8
    while newsize <= used * 4:  # set_table_resize(so, used * 4), used <= 50000
        newsize <<= 1
    size = state[0] + 1
    old[:size] = table[:size]
    table[:newsize] = -1
    new_mask = np.uint64(newsize - 1)
    for s in range(size):
        if old[s] >= 0:
            _set_insert(table, new_mask, old[s], True)
    state[0] = newsize - 1
    return True


@nb.njit(cache=True)
def set_order(values, table_size):
    """The iteration order of a CPython ``set`` of the non-negative ints
    ``values`` added in turn (for tests)."""
    table = np.full(table_size, -1, dtype=np.int64)
    old = np.empty(table_size, dtype=np.int64)
    state = np.array([7, 0], dtype=np.int64)
    for x in values:
        _set_add(table, old, state, x)
    out = np.empty(state[1], dtype=np.int64)
    k = 0
    for s in range(state[0] + 1):
        if table[s] >= 0:
            out[k] = table[s]
            k += 1
    return out


@nb.njit(cache=True)
def _ba_targets(n, m, mt, pos):
    """networkx's barabasi_albert_graph: ``tg[s - m - 1]`` are the targets of
    source ``s`` in the order they enter the list of repeated nodes (the set's
    iteration order). That list is never built: entry ``q`` is ``0`` (q < m),
    ``q - m + 1`` (q < 2m), else target ``o`` of block ``b`` or its source
    (``(q - 2m) = 2m b + o``)."""
    n_src = n - m - 1
    tg = np.empty((max(n_src, 0), m), dtype=np.int32)
    size = 8
    while size <= 32 * m + 32:
        size <<= 1
    table = np.full(size, -1, dtype=np.int64)
    old = np.empty(size, dtype=np.int64)
    state = np.zeros(2, dtype=np.int64)
    length = 2 * m
    for b in range(n_src):
        state[0] = 7
        state[1] = 0
        while state[1] < m:
            q = _randbelow(mt, pos, length)
            if q < m:
                x = 0
            elif q < 2 * m:
                x = q - m + 1
            else:
                r = q - 2 * m
                bb = r // (2 * m)
                o = r - bb * 2 * m
                x = tg[bb, o] if o < m else bb + m + 1
            _set_add(table, old, state, x)
        k = 0
        for s in range(state[0] + 1):
            if table[s] >= 0:
                tg[b, k] = table[s]
                table[s] = -1
                k += 1
        length += 2 * m
    return tg


def _barabasi_albert(n: int, m: int, seed) -> tuple:
    if 2 * m * n >= 2**32:
        raise NormsimError(
            f"network: barabasi_albert with n = {n}, m = {m} is beyond the "
            "native generator (2 m n must be below 2**32)"
        )
    mt, pos = python_random_state(seed)
    tg = _ba_targets(n, m, mt, pos)
    star = np.arange(1, m + 1, dtype=np.int32)
    u = np.concatenate(
        [np.zeros(m, dtype=np.int32), np.repeat(np.arange(m + 1, n, dtype=np.int32), m)]
    )
    v = np.concatenate([star, tg.ravel()])
    del tg
    indptr, indices, degree, _ = csr_from_edges(n, u, v)
    return indptr, indices, degree


# ------------------------------------------------------------------ random_regular
@nb.njit(cache=True)
def _has(nbr, cnt, d, a, b):
    base = a * d
    for q in range(cnt[a]):
        if nbr[base + q] == b:
            return True
    return False


@nb.njit(cache=True)
def _rr(n, d, mt, pos):
    """networkx's random_regular_graph (its ``_try_creation`` until one succeeds).
    Node ``i``'s edges fill ``nbr[i*d : i*d + d]``; ``potential_edges`` (a dict in
    insertion order) is ``pot`` with the order of first insertion in ``pot_order``."""
    total = n * d
    nbr = np.empty(total, dtype=np.int32)
    cnt = np.zeros(n, dtype=np.int32)
    stubs = np.empty(total, dtype=np.int32)
    pot = np.zeros(n, dtype=np.int32)
    pot_order = np.empty(n, dtype=np.int32)
    js = np.empty(256, dtype=np.int64)
    warm = np.int64(0)
    while True:
        cnt[:] = 0
        for q in range(total):
            stubs[q] = q % n
        length = total
        ok = True
        while length > 0:
            # random.shuffle, its draws taken 256 at a time ahead of the swaps
            # (they do not depend on the list) and the places they swap read in
            # a tight loop, so that those cache misses overlap
            i = length - 1
            while i >= 1:
                b = min(256, i)
                for e in range(b):
                    js[e] = _randbelow(mt, pos, i - e + 1)
                for e in range(b):
                    warm += stubs[js[e]]
                for e in range(b):
                    j = js[e]
                    tmp = stubs[i]
                    stubs[i] = stubs[j]
                    stubs[j] = tmp
                    i -= 1
            npot = 0
            for q in range(0, length - 1, 2):
                if q % 512 == 0:  # read ahead: the rows of the next 256 pairs
                    for e in range(q, min(q + 512, length)):
                        a1 = stubs[e]
                        warm += cnt[a1] + nbr[a1 * d]
                s1 = stubs[q]
                s2 = stubs[q + 1]
                if s1 > s2:
                    s1, s2 = s2, s1
                if s1 != s2 and not _has(nbr, cnt, d, s1, s2):
                    nbr[s1 * d + cnt[s1]] = s2
                    cnt[s1] += 1
                    nbr[s2 * d + cnt[s2]] = s1
                    cnt[s2] += 1
                else:
                    if pot[s1] == 0:
                        pot_order[npot] = s1
                        npot += 1
                    pot[s1] += 1
                    if pot[s2] == 0:
                        pot_order[npot] = s2
                        npot += 1
                    pot[s2] += 1
            if npot:
                suitable = False
                for a in range(npot):
                    s1 = pot_order[a]
                    for b in range(npot):
                        s2 = pot_order[b]
                        if s1 == s2:
                            break
                        if s1 > s2:  # as networkx: s1 keeps the smaller one
                            s1, s2 = s2, s1
                        if not _has(nbr, cnt, d, s1, s2):
                            suitable = True
                            break
                    if suitable:
                        break
                if not suitable:
                    for a in range(npot):
                        pot[pot_order[a]] = 0
                    ok = False
                    break
            length = 0
            for a in range(npot):
                x = pot_order[a]
                for _ in range(pot[x]):
                    stubs[length] = x
                    length += 1
                pot[x] = 0
        if ok:
            break
    if warm == -1:  # keeps the early reads
        cnt[0] = 0
    indptr = np.arange(n + 1, dtype=np.int64) * d
    _sort_rows(indptr, nbr)
    return indptr, nbr, np.full(n, d, dtype=np.int32)


# ------------------------------------------------------------------ entry point
def native_size(kind: str, p: Mapping[str, Any]) -> int | None:
    """Nodes of the generated graph before any largest-component step (None: unknown)."""
    if kind == "grid":
        return int(p["rows"]) * int(p["cols"])
    if kind == "connected_caveman":
        return int(p["cliques"]) * int(p["size"])
    if kind == "star":
        return int(p["n"]) + 1
    if kind in NATIVE_KINDS:
        return int(p["n"])
    return None


def native_arrays(kind: str, p: Mapping[str, Any], seed: int | None) -> tuple:
    """``(indptr, indices, degree, n_self_loops)`` of a kind's graph, parameters
    already checked (``normsim.networks.spec._generate`` states the ranges)."""
    if kind == "grid":
        return (*_grid(int(p["rows"]), int(p["cols"]), bool(p.get("periodic", True))), 0)
    if kind == "erdos_renyi":
        if float(p["p"]) >= 1.0:
            return native_arrays("complete", {"n": p["n"]}, None)
        return (*_erdos_renyi(int(p["n"]), float(p["p"]), seed), 0)
    if kind == "watts_strogatz":
        mt, pos = python_random_state(seed)
        return (*_ws(int(p["n"]), int(p["k"]), float(p["p"]), mt, pos), 0)
    if kind == "barabasi_albert":
        return (*_barabasi_albert(int(p["n"]), int(p["m"]), seed), 0)
    if kind == "random_regular":
        mt, pos = python_random_state(seed)
        return (*_rr(int(p["n"]), int(p["d"]), mt, pos), 0)
    if kind == "complete":
        u, v = _complete_edges(int(p["n"]))
        return csr_from_edges(int(p["n"]), u, v)
    if kind == "star":
        n = int(p["n"])
        return csr_from_edges(n + 1, np.zeros(n, np.int32), np.arange(1, n + 1, dtype=np.int32))
    if kind == "connected_caveman":
        u, v = _caveman_edges(int(p["cliques"]), int(p["size"]))
        return csr_from_edges(int(p["cliques"]) * int(p["size"]), u, v)
    raise NormsimError(f"network: no native generator for {kind!r}")


def native_adjacency(
    kind: str, p: Mapping[str, Any], seed: int | None = None, largest: bool = False
):
    """The :class:`~normsim.networks.Adjacency` of a kind with checked parameters
    ``p``, as :func:`normsim.networks.spec_adjacency` would give it from networkx."""
    indptr, indices, degree, loops = native_arrays(kind, p, seed)
    need(len(degree) >= 2 and len(indices) > 0, "network: the graph has no edges")
    need(
        loops == 0,
        f"network: the graph has {loops} self-loop(s); an agent cannot play or imitate itself",
    )
    if largest:
        indptr, indices, degree, _ = largest_component(indptr, indices, degree)
    return checked_adjacency(indptr, indices, degree)
