"""Snapshots: the full state of every agent at chosen generations, stored compactly.

A scenario asks for them with ``output.snapshots: [0, 1000]``; ``normsim
run`` then keeps, for every replicate, each agent's norm (and, with evolving
exploration rates, its rate) after those generations, in the results store
next to the replicate's series, written in the same transaction. Encoding:

* fixed exploration rate: one bit per agent (``numpy.packbits``, bit order
  big), compressed with zlib;
* evolving rates: one byte per agent, ``norm | rate_index << 1`` (up to 128
  rates; two bytes little-endian beyond), compressed with zlib.

A population that has settled on one norm compresses to almost nothing; the
worst case is the size above. Nothing else in the store grows with the
number of agents. Read them back as arrays with :func:`read_snapshots`:

>>> from normsim.snapshots import read_snapshots           # doctest: +SKIP
>>> snaps = read_snapshots("results/big", generation=1000)  # doctest: +SKIP
>>> snaps[0].norms                # agent i's norm (0 = A, 1 = B)   # doctest: +SKIP

Node ``i`` is node ``i`` of the replicate's network (for an edge list,
:func:`normsim.networks.node_labels` gives the file's ids).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from normsim.errors import NormsimError
from normsim.store import Store

#: rates that fit one byte with the norm
MAX_BYTE_RATES = 128


@dataclass
class Snapshot:
    """One replicate's state after one generation.

    Attributes
    ----------
    hash : str
        The condition's content hash.
    params : dict
        The condition's swept values.
    rep : int
        Replicate index.
    generation : int
        State after this generation (0: the initial state).
    norms : (N,) uint8 array
        Each agent's norm, 0 = A, 1 = B.
    rate_index : (N,) array or None
        Each agent's index into the scenario's exploration rates (evolving
        rates only).
    """

    hash: str
    params: dict
    rep: int
    generation: int
    norms: np.ndarray
    rate_index: np.ndarray | None


def encode(norms: np.ndarray, rate_index: np.ndarray | None, n_rates: int) -> bytes:
    """One agent state as stored (module docstring): ``n_rates`` 0 for a fixed rate."""
    norms = np.asarray(norms).astype(np.uint8, copy=False)
    if not n_rates:
        return zlib.compress(np.packbits(norms).tobytes(), 1)
    dt: Any = np.uint8 if n_rates <= MAX_BYTE_RATES else np.dtype("<u2")
    code = norms.astype(dt) | (np.asarray(rate_index).astype(dt) << 1)
    return zlib.compress(code.tobytes(), 1)


def decode(blob: bytes, n_agents: int, n_rates: int) -> tuple[np.ndarray, np.ndarray | None]:
    """``(norms, rate_index)`` from :func:`encode`'s bytes."""
    raw = zlib.decompress(blob)
    if not n_rates:
        return np.unpackbits(np.frombuffer(raw, np.uint8), count=n_agents), None
    dt: Any = np.uint8 if n_rates <= MAX_BYTE_RATES else np.dtype("<u2")
    code = np.frombuffer(raw, dt)
    return (code & 1).astype(np.uint8), code >> 1


def snapshot_blobs(
    series_snapshots: Mapping[int, tuple[np.ndarray, np.ndarray]], row: int, n_rates: int
) -> dict[int, tuple[int, bytes]]:
    """Encode replicate ``row`` of :attr:`normsim.engine.Series.snapshots`:
    generation -> ``(number of agents, bytes)``."""
    out = {}
    for g, (norms, ridx) in series_snapshots.items():
        out[int(g)] = (norms.shape[1], encode(norms[row], ridx[row] if n_rates else None, n_rates))
    return out


def read_snapshots(
    path: str | Path,
    *,
    generation: int | None = None,
    rep: int | None = None,
    condition: str | Mapping[str, Any] | None = None,
) -> list[Snapshot]:
    """Stored snapshots as arrays, in sweep order, then replicate, then generation.

    Parameters
    ----------
    path : path
        A results directory or its ``results.sqlite``.
    generation, rep : int, optional
        Only this generation / replicate.
    condition : str or mapping, optional
        Only this condition: its content hash (or a prefix of it), or its swept
        values (``{"game.c": 0.6}``).

    Raises
    ------
    NormsimError
        No store at ``path``, or a condition that matches nothing.
    """
    with Store(path, create=False) as store:
        conds = store.conditions()
        if condition is not None:
            if isinstance(condition, str):
                conds = [c for c in conds if c["hash"].startswith(condition)]
            else:
                want = json.loads(json.dumps(dict(condition)))
                conds = [c for c in conds if all(c["params"].get(k) == v for k, v in want.items())]
            if not conds:
                raise NormsimError(f"{path}: no stored condition matches {condition!r}")
        out = []
        for c in conds:
            for rep_, g, n, k, blob in store.snapshot_rows(c["hash"], rep, generation):
                norms, ridx = decode(blob, n, k)
                out.append(Snapshot(c["hash"], c["params"], rep_, g, norms, ridx))
        return out
