"""Edge-list files of millions of edges -> the engine's adjacency, without networkx.

The formats of common public network datasets (SNAP, KONECT, Network
Repository, CSV exports):

* one edge per line: the first two fields are the two node ids; further
  fields (weights, timestamps) are ignored;
* fields separated by spaces, tabs or commas (``1 2``, ``1\\t2``, ``1,2``);
* comments: ``#`` starts a comment anywhere on a line, and a line whose first
  character (after blanks) is ``%`` is a comment; blank lines are skipped;
* plain text, or compressed with gzip, bzip2 or xz (recognised by the file's
  first bytes, whatever its name);
* node ids are integers (fast path: a compiled parser, 10^7 edges in a few
  seconds) or any text (a slower Python path, the same numbering rule);
* a line ``u v`` and a line ``v u`` are the same undirected edge; repeated
  edges count once; a self-loop is an error, as for every network.

Nodes are relabelled compactly to ``0..N-1``: integer ids in increasing
numeric order, then text ids in text order (as :func:`normsim.networks.relabel`
numbers them). The mapping is kept: :func:`load_edgelist` returns it as
``labels`` (``labels[i]`` is the file's id of node ``i``), and
:func:`normsim.networks.node_labels` gives it for a scenario's network spec.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "e.csv"
>>> _ = p.write_text("# a triangle\\n10,20\\n20,30\\n30,10\\n")
>>> g = load_edgelist(p)
>>> g.adjacency.n, list(g.labels)
(3, [10, 20, 30])
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numba as nb
import numpy as np

import normsim.engine.cache  # noqa: F401  (normsim's kernel cache: before any cache=True kernel)
from normsim.datafiles import check_special, quote
from normsim.errors import NormsimError
from normsim.networks.csr import checked_adjacency, is_int
from normsim.networks.generators import csr_from_edges, largest_component

#: bytes read (after decompression) at a time
CHUNK = 1 << 24

_OK, _NOT_INT, _ONE_FIELD, _TOO_BIG = 0, 1, 2, 3


@dataclass(frozen=True)
class EdgeList:
    """An edge-list file as the engine's graph.

    Attributes
    ----------
    adjacency : Adjacency
        Nodes ``0..N-1`` (the largest component only, if asked).
    labels : ndarray
        ``labels[i]`` is the file's id of node ``i``: int64 for integer ids,
        an object array of str when any id is text.
    """

    adjacency: Any
    labels: np.ndarray


# ------------------------------------------------------------------ compiled parser
@nb.njit(inline="always")
def _is_sep(c):
    return c == 32 or c == 9 or c == 44 or c == 13  # space, tab, comma, CR


@nb.njit(cache=True)
def _parse(buf, end, final, us, vs, k, line, skip):
    """Parse ``buf[:end]`` (whole lines, or everything if ``final``) into ``us``,
    ``vs`` from index ``k`` on, skipping lines up to number ``skip``. Returns
    ``(bytes consumed, edges, lines, status)``;
    ``status`` is not ``_OK`` when a line's first fields are not integers in
    canonical form (``_NOT_INT``), a line has one field (``_ONE_FIELD``), or an
    id is beyond 2**62 (``_TOO_BIG``); ``lines`` then is that line's number."""
    i = 0
    stop = end
    if not final:  # up to the last newline
        while stop > 0 and buf[stop - 1] != 10:
            stop -= 1
    vals = np.zeros(2, dtype=np.int64)
    while i < stop:
        line += 1
        start = i
        while i < stop and _is_sep(buf[i]):
            i += 1
        if line <= skip or (i < stop and buf[i] == 37):  # '%' comment line
            while i < stop and buf[i] != 10:
                i += 1
            i += 1
            continue
        nf = 0
        while nf < 2:
            while i < stop and _is_sep(buf[i]):
                i += 1
            if i >= stop or buf[i] == 10 or buf[i] == 35:  # end of line or '#'
                break
            neg = False
            if buf[i] == 45:  # '-'
                neg = True
                i += 1
            d0 = i
            x = np.int64(0)
            while i < stop and 48 <= buf[i] <= 57:
                if x > 461168601842738790:  # 2**62 / 10
                    return start, k, line, _TOO_BIG
                x = x * 10 + (buf[i] - 48)
                i += 1
            nd = i - d0
            if (
                nd == 0
                or (nd > 1 and buf[d0] == 48)
                or (neg and x == 0)
                or (i < stop and not _is_sep(buf[i]) and buf[i] != 10 and buf[i] != 35)
            ):
                return start, k, line, _NOT_INT
            vals[nf] = -x if neg else x
            nf += 1
        if nf == 1:
            return start, k, line, _ONE_FIELD
        if nf == 2:
            us[k] = vals[0]
            vs[k] = vals[1]
            k += 1
        while i < stop and buf[i] != 10:  # the rest of the line
            i += 1
        i += 1
    return min(i, end), k, line, _OK


@nb.njit(cache=True)
def _dense_ids(us, vs, lo, span):
    """Ids ``lo .. lo + span - 1`` -> ranks among the ids present; the labels."""
    present = np.zeros(span, dtype=np.uint8)
    for k in range(us.shape[0]):
        present[us[k] - lo] = 1
        present[vs[k] - lo] = 1
    rank = np.empty(span, dtype=np.int32)
    m = 0
    for x in range(span):
        rank[x] = m
        m += present[x]
    labels = np.empty(m, dtype=np.int64)
    u = np.empty(us.shape[0], dtype=np.int32)
    v = np.empty(us.shape[0], dtype=np.int32)
    for x in range(span):
        if present[x]:
            labels[rank[x]] = lo + x
    for k in range(us.shape[0]):
        u[k] = rank[us[k] - lo]
        v[k] = rank[vs[k] - lo]
    return u, v, labels


@nb.njit(cache=True)
def _first_seen(n, u, v):
    """The position of each node's first appearance (``u`` before ``v`` on a line)."""
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    for k in range(u.shape[0] - 1, -1, -1):
        first[v[k]] = 2 * k + 1
        first[u[k]] = 2 * k
    return first


# ------------------------------------------------------------------ reading
def _open(path: Path) -> io.BufferedIOBase:
    with open(path, "rb") as fh:
        magic = fh.read(6)
    if magic[:2] == b"\x1f\x8b":
        return gzip.open(path, "rb")
    if magic[:3] == b"BZh":
        return bz2.open(path, "rb")
    if magic == b"\xfd7zXZ\x00":
        return lzma.open(path, "rb")
    return open(path, "rb")


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Turn what a missing, damaged or truncated file raises while read into one line."""
    try:
        yield
    except EOFError:
        raise NormsimError(
            f"network.path: {path} is truncated (its compressed stream ends early)"
        ) from None
    except (OSError, lzma.LZMAError, zlib.error) as e:
        msg = getattr(e, "strerror", None) or str(e)
        raise NormsimError(f"network.path: cannot read {path}: {msg}") from None


def _integer_edges(path: Path, skip: int = 0):
    """``(u, v)`` int64 arrays of a file of integer ids, or ``(None, line)``:
    the first line with a field that is not an integer."""
    us_parts, vs_parts = [], []
    line = 0
    carry = b""
    with _reading(path), _open(path) as fh:
        while True:
            data = fh.read(CHUNK)
            final = not data
            buf = carry + data if carry else data
            if not buf:
                break
            arr = np.frombuffer(buf, dtype=np.uint8)
            cap = int(np.count_nonzero(arr == 10)) + 1
            us = np.empty(cap, dtype=np.int64)
            vs = np.empty(cap, dtype=np.int64)
            used, k, line, status = _parse(arr, len(arr), final, us, vs, 0, line, skip)
            if status == _ONE_FIELD:
                bad = bytes(arr[used : used + 64]).split(b"\n", 1)[0].strip()
                raise NormsimError(
                    f"network.path: {path}:{line}: expected 'u v' (two node "
                    f"ids), got one field: {quote(bad)}"
                )
            if status == _TOO_BIG:
                raise NormsimError(f"network.path: {path}:{line}: a node id beyond 2**62")
            if status == _NOT_INT:
                return None, line
            us_parts.append(us[:k].copy() if k < cap // 2 else us[:k])
            vs_parts.append(vs[:k].copy() if k < cap // 2 else vs[:k])
            carry = buf[used:]
            if final:
                break
    if not us_parts:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return (
        np.concatenate(us_parts) if len(us_parts) > 1 else us_parts[0],
        np.concatenate(vs_parts) if len(vs_parts) > 1 else vs_parts[0],
    )


_SPLIT = re.compile(r"[\s,]+")


def _text_edges(path: Path):
    """Edges of a file with text ids: ``(u, v, labels, header line)``, nodes
    numbered as :func:`normsim.networks.relabel` numbers a graph's nodes; the
    header line is the first line with fields if both its ids are text, else -1."""
    index: dict[str, int] = {}
    us: list[int] = []
    vs: list[int] = []
    first_line = 0
    with _reading(path), _open(path) as raw:
        try:
            lines = (ln.decode("utf-8") for ln in raw)
            for lineno, line in enumerate(lines, 1):
                line = line.split("#", 1)[0].strip(" \t\r\n,")
                if not line or line.startswith("%"):
                    continue
                parts = _SPLIT.split(line)
                if len(parts) < 2:
                    raise NormsimError(
                        f"network.path: {path}:{lineno}: expected 'u v' (two "
                        f"node ids), got one field: {quote(line)}"
                    )
                if not first_line:  # a header: both ids of the first line are text
                    first_line = -1 if is_int(parts[0]) or is_int(parts[1]) else lineno
                for x, out in ((parts[0], us), (parts[1], vs)):
                    out.append(index.setdefault(x, len(index)))
        except UnicodeDecodeError as e:
            raise NormsimError(f"network.path: cannot read {path}: {e}") from None
    names = list(index)
    order = sorted(
        range(len(names)),
        key=lambda i: (0, int(names[i]), "") if is_int(names[i]) else (1, 0, names[i]),
    )
    rank = np.empty(len(names), dtype=np.int32)
    rank[order] = np.arange(len(names), dtype=np.int32)
    labels = np.empty(len(names), dtype=object)
    labels[:] = [names[i] for i in order]
    return (
        rank[np.array(us, dtype=np.int64)],
        rank[np.array(vs, dtype=np.int64)],
        labels,
        first_line,
    )


def load_edgelist(path: str | Path, largest_component: bool = False) -> EdgeList:
    """Read an edge-list file (module docstring) into the engine's adjacency.

    Parameters
    ----------
    path : path
        The file (plain, gzip, bzip2 or xz).
    largest_component : bool
        Keep only the largest connected component (ties: the component met
        first in the file), renumbered in increasing order.

    Returns
    -------
    EdgeList
        ``adjacency`` and ``labels`` (the file's id of each node).

    Raises
    ------
    NormsimError
        A missing, unreadable, truncated or empty file; a special file (under
        ``/proc``, ``/sys`` or ``/dev``, a directory, FIFO or socket: refused before
        it is read); a line with one field; a self-loop; one line, naming the file and
        line, quoting at most a short excerpt of it.
    """
    path = check_special(path, "network.path")  # before a byte of it is read
    u, v = _integer_edges(path)
    if u is None:
        bad_line = v
        u, v, labels, header = _text_edges(path)
        if bad_line == header and _integer_edges(path, skip=bad_line)[0] is not None:
            raise NormsimError(
                f"network.path: {path}:{bad_line}: only this line has ids "
                "that are not integers, as in a header: start it with '#' "
                "to read the file"
            )
    else:
        if len(u) == 0:
            raise NormsimError(f"network.path: {path} has no edges")
        lo = int(min(u.min(), v.min()))
        span = int(max(u.max(), v.max())) - lo + 1
        if span <= 4 * len(u) + (1 << 20):
            u, v, labels = _dense_ids(u, v, lo, span)
        else:
            labels, inv = np.unique(np.concatenate([u, v]), return_inverse=True)
            m = len(u)
            del u, v
            inv = inv.astype(np.int32)
            u, v = inv[:m], inv[m:]
    n = len(labels)
    if len(u) == 0:
        raise NormsimError(f"network.path: {path} has no edges")
    indptr, indices, degree, loops = csr_from_edges(n, u, v)
    if loops:
        raise NormsimError(
            f"network: the graph has {loops} self-loop(s); an agent cannot play or imitate itself"
        )
    if n < 2:
        raise NormsimError("network: the graph has no edges")
    if largest_component:
        indptr, indices, degree, keep = largest_component_of(indptr, indices, degree, u, v)
        if keep is not None:
            labels = labels[keep]
    return EdgeList(checked_adjacency(indptr, indices, degree), labels)


def largest_component_of(indptr, indices, degree, u, v):
    """:func:`normsim.networks.generators.largest_component` with ties broken by the
    file order of ``u``, ``v`` (computed only when there is a tie)."""
    return largest_component(
        indptr, indices, degree, first_seen=lambda: _first_seen(len(degree), u, v)
    )
