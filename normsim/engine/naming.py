"""The compiled engine of the naming game (docs/model/naming.md): :func:`simulate_naming`.

One interaction: a speaker is drawn uniformly among the N agents, then a hearer uniformly
among the speaker's neighbours (well mixed: among the other N - 1 agents). The speaker
utters a uniformly random name of its inventory (in the minimal game it first invents the
next unused integer if its inventory is empty). If the hearer knows the name, both
collapse their inventories to it (a success); otherwise the hearer adds it (a failure).
Committed agents (binary game) speak as everybody else but never change their inventory.
A generation is N interactions; the series are recorded after each generation.

Every random number comes from the replicate's xoshiro256** stream
(:mod:`normsim.draws`), taken with the kernels' own ``_xo`` and ``_bounded``
(:mod:`normsim.engine.kernels`) in the order docs/model/reproducibility.md lays out (the
naming game's section), which the Mesa model (:mod:`normsim.naming_model`) follows too.

State
-----
* **binary**: one byte an agent, of which three bits are used: bit 0 knows A, bit 1 knows
  B (so 1 = A, 2 = B, 3 = AB), bit 2 committed (a committed agent is 5). Counts of the
  agents in each state are kept up to date, so a record costs nothing.
* **minimal**: a fixed-capacity inventory per agent, ``cap`` 32-bit names in one flat
  array (agent ``i``'s names at ``i * cap .. i * cap + size[i] - 1``, in the order they
  were learnt), with overflow growth: when a hearer must add a name to a full inventory,
  every inventory is copied into an array of twice the capacity. The capacity starts at
  :data:`INITIAL_CAPACITY` and never exceeds N (an inventory holds distinct names, and at
  most N names are ever invented: an agent invents only while its inventory is empty,
  which happens only before it first speaks or hears). Memory: ``4 N cap`` bytes, ``cap``
  the largest inventory so far rounded up to a power of two; the well-mixed game's peak
  of total names grows as N^1.5 (Baronchelli et al. 2006), so its largest inventory is of
  order sqrt(N) names (about 2 MB at N = 10^4, of order 1 GB at N = 10^6). Beside the
  inventories: each name's number of holders (``4 N`` bytes), the number of distinct
  names and of names held, so a record scans only the names' holders (O(N), for the
  largest share). A membership test scans the hearer's inventory (its length).

Outputs (index ``g`` = after generation ``g``; ``g = 0`` the initial state): the number of
distinct names held, the mean inventory size, the success rate of generation ``g`` (NaN at
0), the share of agents holding the most widespread name, in the binary game the shares
``n_a``, ``n_b``, ``n_ab`` of *uncommitted* agents in each state among all N (the
conventions of :mod:`normsim.theory.naming`: ``n_a + n_b + n_ab = 1 - p``), and the
consensus time: the first ``g`` after which every agent holds one and the same single name,
or -1. Consensus is absorbing (every later interaction is a success and changes nothing),
so the engine stops interacting there and fills the remaining generations with the final
state and a success rate of 1, which is exactly what the interactions would give.

Examples
--------
>>> from normsim.naming import NamingParams, well_mixed
>>> p = NamingParams(variant="binary", network=well_mixed(200), committed=0.2, generations=60)
>>> s = simulate_naming(p, seeds=[1, 2])
>>> s.n_a.shape, int(s.consensus_time[0]) > 0
((2, 61), True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numba as nb
import numpy as np

import normsim.engine.cache  # noqa: F401  (normsim's kernel cache: before any cache=True kernel)
from normsim.draws import stream_state
from normsim.engine.kernels import _bounded
from normsim.errors import NormsimError
from normsim.naming import WELL_MIXED, NamingParams, check_well_mixed
from normsim.networks import Adjacency

#: the first capacity of a minimal-game inventory (names); it doubles as needed
INITIAL_CAPACITY = 8
#: the columns of a replicate's record, in the kernels' order
COLUMNS = ("distinct_names", "mean_inventory", "success_rate", "top_share", "n_a", "n_b", "n_ab")
#: the binary game's agent states (bit 1 knows A, bit 2 knows B, bit 4 committed)
A, B, AB, COMMITTED_A = 1, 2, 3, 5

_TWO = np.uint64(2)


# ------------------------------------------------------------------ the draws
@nb.njit(inline="always")
def _pair(n, wm, indptr, indices, s0, s1, s2, s3):
    """Speaker ``bounded(N)``, then hearer: well mixed ``j = bounded(N - 1)``, the agent
    ``j + (j >= speaker)``; on a network ``j = bounded(degree)``, the speaker's ``j``-th
    neighbour in increasing order. Returns ``(speaker, hearer, s0, s1, s2, s3)``."""
    r, s0, s1, s2, s3 = _bounded(np.uint64(n), s0, s1, s2, s3)
    sp = np.int64(r)
    if wm:
        r, s0, s1, s2, s3 = _bounded(np.uint64(n - 1), s0, s1, s2, s3)
        h = np.int64(r)
        if h >= sp:
            h += 1
    else:
        lo = indptr[sp]
        r, s0, s1, s2, s3 = _bounded(np.uint64(indptr[sp + 1] - lo), s0, s1, s2, s3)
        h = np.int64(indices[lo + np.int64(r)])
    return sp, h, s0, s1, s2, s3


@nb.njit(inline="always")
def _place(n, k, s0, s1, s2, s3):
    """The ``k`` committed agents: a partial Fisher-Yates shuffle of ``0..N-1`` (swap
    ``j`` and ``j + bounded(N - j)`` for ``j = 0..k-1``); the first ``k`` positions."""
    perm = np.arange(n)
    for j in range(k):
        r, s0, s1, s2, s3 = _bounded(np.uint64(n - j), s0, s1, s2, s3)
        q = j + np.int64(r)
        t = perm[j]
        perm[j] = perm[q]
        perm[q] = t
    return perm[:k].copy(), s0, s1, s2, s3


@nb.njit(inline="always")
def _fill(out, g, G):
    """After consensus at ``g``: generations ``g + 1 .. G`` repeat the state, all succeed."""
    for t in range(g + 1, G + 1):
        out[t, :] = out[g, :]
        out[t, 2] = 1.0


# ------------------------------------------------------------------ binary game
@nb.njit(inline="always")
def _record_binary(out, g, cnt, n, succ):
    hold_a = cnt[1] + cnt[3] + cnt[5]
    hold_b = cnt[2] + cnt[3]
    out[g, 0] = (hold_a > 0) + (hold_b > 0)
    out[g, 1] = (n + cnt[3]) / n
    out[g, 2] = succ / n if g > 0 else np.nan
    out[g, 3] = max(hold_a, hold_b) / n
    out[g, 4] = cnt[1] / n
    out[g, 5] = cnt[2] / n
    out[g, 6] = cnt[3] / n
    return cnt[3] == 0 and (hold_a == 0 or hold_b == 0)


@nb.njit(cache=True, nogil=True)
def binary_run(n, wm, indptr, indices, k, G, state_in, out):
    """One replicate of the binary game: ``k`` agents committed to A, the others on B.

    ``state_in`` is the stream's uint64[4] state (advanced in place), ``out`` the
    (G + 1, 7) record (:data:`COLUMNS`). Returns the consensus generation, or -1."""
    s0, s1, s2, s3 = state_in[0], state_in[1], state_in[2], state_in[3]
    state = np.full(n, 2, dtype=np.uint8)
    if k > 0:
        fixed, s0, s1, s2, s3 = _place(n, k, s0, s1, s2, s3)
        for i in fixed:
            state[i] = 5
    cnt = np.zeros(8, dtype=np.int64)
    for i in range(n):
        cnt[state[i]] += 1
    cons = -1
    if _record_binary(out, 0, cnt, n, 0):
        cons = 0
    g = 1
    while g <= G and cons < 0:
        succ = 0
        for _ in range(n):
            sp, h, s0, s1, s2, s3 = _pair(n, wm, indptr, indices, s0, s1, s2, s3)
            ss = np.int64(state[sp])
            w = ss & 3
            if w == 3:  # index 0 or 1 of (A, B): A is 1, B is 2
                r, s0, s1, s2, s3 = _bounded(_TWO, s0, s1, s2, s3)
                w = 1 + np.int64(r)
            hs = np.int64(state[h])
            if hs & w:
                succ += 1
                if ss < 4 and ss != w:
                    cnt[ss] -= 1
                    cnt[w] += 1
                    state[sp] = w
                if hs < 4 and hs != w:
                    cnt[hs] -= 1
                    cnt[w] += 1
                    state[h] = w
            elif hs < 4:
                cnt[hs] -= 1
                cnt[hs | w] += 1
                state[h] = hs | w
        if _record_binary(out, g, cnt, n, succ):
            cons = g
        g += 1
    if cons >= 0:
        _fill(out, cons, G)
    state_in[0], state_in[1], state_in[2], state_in[3] = s0, s1, s2, s3
    return cons


# ------------------------------------------------------------------ minimal game
@nb.njit(cache=True, nogil=True)
def _grow(inv, size, n, cap):
    """The inventories copied into an array of capacity ``2 cap`` (at most ``n``)."""
    new_cap = min(2 * cap, n)
    new = np.empty(n * new_cap, dtype=np.int32)
    for i in range(n):
        for q in range(size[i]):
            new[i * new_cap + q] = inv[i * cap + q]
    return new, new_cap


@nb.njit(inline="always")
def _collapse(inv, size, holders, i, cap, w):
    """Agent ``i`` keeps only ``w``: the others lose a holder. Returns the number of names
    gone from the population and from ``i``'s inventory."""
    base = i * cap
    gone = 0
    k = size[i]
    for q in range(k):
        x = inv[base + q]
        if x != w:
            holders[x] -= 1
            if holders[x] == 0:
                gone += 1
    inv[base] = w
    size[i] = 1
    return gone, k - 1


@nb.njit(cache=True, nogil=True)
def minimal_run(n, wm, indptr, indices, G, state_in, out, cap0):
    """One replicate of the minimal game from empty inventories (capacity ``cap0`` at
    first). Arguments and result as :func:`binary_run`; also returns the final capacity."""
    s0, s1, s2, s3 = state_in[0], state_in[1], state_in[2], state_in[3]
    cap = min(cap0, n)
    inv = np.empty(n * cap, dtype=np.int32)
    size = np.zeros(n, dtype=np.int32)
    holders = np.zeros(n + 1, dtype=np.int32)  # by name: how many agents hold it
    names = 0  # names invented so far (the next name)
    distinct = 0
    words = 0
    cons = -1
    succ = 0
    for g in range(G + 1):
        if g > 0:
            succ = 0
            for _ in range(n):
                sp, h, s0, s1, s2, s3 = _pair(n, wm, indptr, indices, s0, s1, s2, s3)
                k = size[sp]
                if k == 0:  # invent
                    w = np.int32(names)
                    names += 1
                    inv[sp * cap] = w
                    size[sp] = 1
                    holders[w] = 1
                    distinct += 1
                    words += 1
                elif k == 1:
                    w = inv[sp * cap]
                else:
                    r, s0, s1, s2, s3 = _bounded(np.uint64(k), s0, s1, s2, s3)
                    w = inv[sp * cap + np.int64(r)]
                base = h * cap
                kh = size[h]
                known = False
                for q in range(kh):
                    if inv[base + q] == w:
                        known = True
                        break
                if known:
                    succ += 1
                    gone, lost = _collapse(inv, size, holders, h, cap, w)
                    distinct -= gone
                    words -= lost
                    gone, lost = _collapse(inv, size, holders, sp, cap, w)
                    distinct -= gone
                    words -= lost
                else:
                    if kh == cap:
                        inv, cap = _grow(inv, size, n, cap)
                        base = h * cap
                    inv[base + kh] = w
                    size[h] = kh + 1
                    holders[w] += 1
                    words += 1
        top = 0
        for x in range(names):
            if holders[x] > top:
                top = holders[x]
        out[g, 0] = distinct
        out[g, 1] = words / n
        out[g, 2] = succ / n if g > 0 else np.nan
        out[g, 3] = top / n
        out[g, 4] = np.nan
        out[g, 5] = np.nan
        out[g, 6] = np.nan
        if distinct == 1 and words == n:
            cons = g
            break
    if cons >= 0:
        _fill(out, cons, G)
    state_in[0], state_in[1], state_in[2], state_in[3] = s0, s1, s2, s3
    return cons, cap


# ------------------------------------------------------------------ Python
@dataclass
class NamingSeries:
    """Per-generation series of R replicates (index ``g`` = after generation ``g``).

    Attributes
    ----------
    variant : str
        ``minimal`` or ``binary``.
    n_agents : int
        Number of agents (of the first replicate's graph; a random graph cut to its
        largest component may differ between replicates: ``sizes``).
    committed_count : int
        Number of committed agents (binary game).
    distinct_names : (R, G+1) int array
        Names held by at least one agent.
    mean_inventory : (R, G+1) array
        Mean number of names an agent holds.
    success_rate : (R, G+1) array
        Share of generation g's N interactions that succeeded (NaN at g = 0).
    top_share : (R, G+1) array
        Share of agents whose inventory holds the most widespread name.
    n_a, n_b, n_ab : (R, G+1) arrays or None
        Binary game: uncommitted agents holding only A, only B, both, as shares of all
        N agents (:mod:`normsim.theory.naming`'s conventions).
    consensus_time : (R,) int array
        First generation after which all agents hold one single same name; -1 if none.
    seeds : list of int
        The replicate seeds.
    sizes : (R,) int array
        Each replicate's number of agents.
    """

    variant: str
    n_agents: int
    committed_count: int
    distinct_names: np.ndarray
    mean_inventory: np.ndarray
    success_rate: np.ndarray
    top_share: np.ndarray
    n_a: np.ndarray | None
    n_b: np.ndarray | None
    n_ab: np.ndarray | None
    consensus_time: np.ndarray
    seeds: list[int]
    sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def series(self) -> dict[str, np.ndarray]:
        """The per-generation series by name (the binary game's shares included)."""
        out = {
            "distinct_names": self.distinct_names,
            "mean_inventory": self.mean_inventory,
            "success_rate": self.success_rate,
            "top_share": self.top_share,
        }
        if self.n_a is not None:
            out.update({"n_a": self.n_a, "n_b": self.n_b, "n_ab": self.n_ab})  # type: ignore[dict-item]
        return out


def naming_adjacency(network: Mapping[str, Any] | nx.Graph | Adjacency, seed: int, base_dir=None):
    """``(n, well_mixed, indptr, indices)`` of a replicate's population: a well-mixed spec
    gives empty arrays; a network spec, networkx graph or Adjacency its CSR arrays (random
    kinds from ``graph_seed(seed)``, as the norm-change engine builds them)."""
    if isinstance(network, Mapping) and network.get("kind") == WELL_MIXED:
        n = check_well_mixed(network)
        return n, True, np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int32)
    from normsim.engine.core import replicate_adjacency

    adj = replicate_adjacency(network, seed, base_dir)
    return (
        adj.n,
        False,
        np.ascontiguousarray(adj.indptr, dtype=np.int64),
        np.ascontiguousarray(adj.indices, dtype=np.int32),
    )


def run_replicate(
    params: NamingParams, seed: int, n: int, wm: bool, indptr: np.ndarray, indices: np.ndarray
) -> tuple[np.ndarray, int]:
    """One replicate's (G + 1, 7) record (:data:`COLUMNS`) and consensus time."""
    G = params.generations
    out = np.empty((G + 1, len(COLUMNS)))
    st = stream_state(seed)
    if params.binary:
        k = params.committed_number(n)
        cons = binary_run(n, wm, indptr, indices, k, G, st, out)
    else:
        cons, _cap = minimal_run(n, wm, indptr, indices, G, st, out, INITIAL_CAPACITY)
    return out, int(cons)


def simulate_naming(
    params: NamingParams,
    seeds: Sequence[int],
    *,
    network: Mapping[str, Any] | nx.Graph | Adjacency | None = None,
    base_dir=None,
) -> NamingSeries:
    """Simulate one replicate of the naming game per seed and return their series.

    Parameters
    ----------
    params : NamingParams
        The model (its ``network`` unless ``network`` is given).
    seeds : sequence of int
        Replicate seeds (:func:`normsim.draws.replicate_seeds`).
    network : spec, networkx graph or Adjacency, optional
        Overrides ``params.network`` (``{"kind": "well_mixed", "n": N}`` or any normsim
        network spec).
    base_dir : path, optional
        Directory that a relative edge-list path is read from.
    """
    net = params.network if network is None else network
    if isinstance(net, Mapping) and net.get("kind") == WELL_MIXED:
        check_well_mixed(net)
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise NormsimError("seeds: give at least one replicate seed")
    G = params.generations
    R = len(seeds)
    rec = np.empty((R, G + 1, len(COLUMNS)))
    cons = np.empty(R, dtype=np.int64)
    sizes = np.empty(R, dtype=np.int64)
    # a fixed graph (or a well-mixed population) is the same for every replicate
    shared = None if _is_random(net) else naming_adjacency(net, 0, base_dir)
    k = 0
    for r, seed in enumerate(seeds):
        n, wm, indptr, indices = (
            shared if shared is not None else naming_adjacency(net, seed, base_dir)
        )
        rec[r], cons[r] = run_replicate(params, seed, n, wm, indptr, indices)
        sizes[r] = n
        if r == 0 and params.binary:
            k = params.committed_number(n)
    binary = params.binary
    return NamingSeries(
        variant=params.variant,
        n_agents=int(sizes[0]),
        committed_count=k,
        distinct_names=rec[:, :, 0].astype(np.int64),
        mean_inventory=rec[:, :, 1],
        success_rate=rec[:, :, 2],
        top_share=rec[:, :, 3],
        n_a=rec[:, :, 4] if binary else None,
        n_b=rec[:, :, 5] if binary else None,
        n_ab=rec[:, :, 6] if binary else None,
        consensus_time=cons,
        seeds=seeds,
        sizes=sizes,
    )


def _is_random(net: Any) -> bool:
    from normsim.networks import is_random

    return isinstance(net, Mapping) and is_random(net)
