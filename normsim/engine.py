"""Fast compiled engine for the agent-based model (model-spec section 3).

One compiled kernel (numba) runs one replicate through all its generations;
replicates are independent, each with its own random stream
(:mod:`normsim.draws`), so a replicate's series do not depend on how
replicates are batched or split across processes.

Per generation ``g`` (1..G), with the payoffs of ``ModelParams.game_at(g)``:

1. **Game phase**: every edge is played once; agent ``i`` with ``m`` neighbours
   playing B earns ``CoordinationGame.total_payoff(norm_i, n_same, n_other)``.
   On a graph with few distinct degrees, payoffs take few values (a "payoff
   class" per norm, degree and ``m``) and the Fermi probabilities between
   classes (up to 256 of them) are looked up in a table filled by the
   expression of :func:`normsim.game.fermi_probability`; otherwise they are
   computed by that expression for every learner.
2. **Update phase**, drawing from the stream as :mod:`normsim.draws` lays out.
   For each agent ``i`` (teacher ``t``, ``P`` the Fermi probability from ``t``'s
   and ``i``'s payoffs, ``mu`` the fixed rate or ``i``'s own rate):

   * ``synchronous`` (index order; norms, rates and payoffs of the start of the
     generation): if ``u_e < mu`` explore (B iff ``u_e < mu/2``); else if
     ``u_f < P`` copy ``t``'s start-of-generation norm (and rate). Evolving
     rates: then, if ``u_m < rate_mutation``, take the new rate.
   * ``sequential`` (shuffled order; start-of-generation payoffs, ``t``'s
     *current* norm and rate): as ``synchronous``.
   * ``reference`` (shuffled order; as ``sequential``, and a teacher replaced
     earlier in the sweep has payoff 0). Fixed ``mu``: if ``u_f < P``, ``i`` is
     replaced by a random norm if ``u_e < mu`` (B iff ``u_e < mu/2``), else by
     ``t``'s norm. Evolving rates, the authors' order: (1) if ``u_e < mu_i``
     explore (replaced); (2) if ``u_m < rate_mutation`` take the new rate; (3)
     if ``u_f < P`` copy ``t``'s current norm and rate (replaced).
3. **Record**: share of B, mean payoff of the game phase, counts of each rate.

Examples
--------
>>> from normsim.params import ModelParams
>>> p = ModelParams(network={"kind": "grid", "rows": 10, "cols": 10}, generations=50)
>>> out = simulate(p, seeds=[1, 2])
>>> out.share_b.shape
(2, 51)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import networkx as nx
import numba as nb
from numba import literally
import numpy as np

from normsim.draws import graph_seed, stream_state
from normsim.networks import Adjacency, adjacency, build_graph, is_random
from normsim.params import ModelParams

SYNCHRONOUS, SEQUENTIAL, REFERENCE = 0, 1, 2
MODE_CODES = {"synchronous": SYNCHRONOUS, "sequential": SEQUENTIAL, "reference": REFERENCE}
#: the largest number of payoff classes for which a Fermi lookup table is built
LUT_MAX_CLASSES = 256   # a 256 x 256 table per phase is 512 KiB: it stays in L2

# ------------------------------------------------------------------ the stream
_M32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_TWO_M53 = 2.0 ** -53


@nb.njit(inline="always")
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@nb.njit(inline="always")
def _next(s):
    """xoshiro256**: the next 64-bit output; ``s`` is the uint64[4] state."""
    s0, s1, s2, s3 = s[0], s[1], s[2], s[3]
    result = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    s[0] = s0
    s[1] = s1
    s[2] = s2
    s[3] = s3
    return result


@nb.njit(inline="always")
def _u53(x):
    # the shifted value fits in int64: a signed conversion is one instruction
    return np.float64(np.int64(x >> np.uint64(11))) * _TWO_M53


@nb.njit(inline="always")
def _pick(x, n):
    """(hi32(x) * n) >> 32: a neighbour or rate index (n < 2**32)."""
    return np.int64(((x >> _S32) * np.uint64(n)) >> _S32)


@nb.njit(inline="always")
def _word(s, have, lo):
    """The next 32-bit word of the shuffle: the high half of a new output, then its low half."""
    if have:
        return lo, False, lo
    x = _next(s)
    return x >> _S32, True, x & _M32


@nb.njit(inline="always")
def _shuffle(order, s):
    """Fisher-Yates with Lemire's unbiased bounded integers on 32-bit words (draws.py)."""
    have = False
    lo = np.uint64(0)
    two32 = np.uint64(4294967296)
    for j in range(order.shape[0] - 1, 0, -1):
        bound = np.uint64(j + 1)
        w, have, lo = _word(s, have, lo)
        m = w * bound
        if (m & _M32) < bound:
            t = (two32 - bound) % bound
            while (m & _M32) < t:
                w, have, lo = _word(s, have, lo)
                m = w * bound
        r = m >> _S32
        tmp = order[j]
        order[j] = order[r]
        order[r] = tmp


@nb.njit(cache=True)
def shuffled(order, state):
    """``order`` shuffled as the kernel does it (a copy; ``state`` is not advanced)."""
    out = order.copy()
    _shuffle(out, state.copy())
    return out


@nb.njit(cache=True)
def stream_outputs(state, n):
    """The first ``n`` outputs of the stream (a copy of ``state`` is advanced)."""
    s = state.copy()
    out = np.empty(n, dtype=np.uint64)
    for i in range(n):
        out[i] = _next(s)
    return out


@nb.njit(inline="always")
def _fermi(pt, pi, beta, R):
    z = -beta * (pt - pi) / R
    if z > 700.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(z))


@nb.njit(inline="always")
def _choose(two, flag, if_0, if_1):
    """``if_1 if flag else if_0`` through a two-slot table: no branch for an
    unpredictable ``flag`` (LLVM turns an arithmetic select into one)."""
    two[0] = if_0
    two[1] = if_1
    return two[flag]


@nb.njit(inline="always")
def _sel(flag, a, b):
    """``a if flag else b`` without a branch (``flag`` is 0 or 1)."""
    return flag * a + (1 - flag) * b


# ------------------------------------------------------------------ the kernel
@nb.njit(inline="always")
def _flip(i, new, old, norm, cls, indptr, indices, deg, counts):
    """Set agent i's norm to ``new``; keep classes and ``counts`` in step.

    ``counts`` is ``[count_b, e_ab, e_bb]``. A neighbour's class moves by one
    when its number of B neighbours does, i's own class by ``deg + 1``.
    """
    d = new - old                      # +1: A -> B, -1: B -> A
    k = deg[i]
    m = 0
    for p in range(indptr[i], indptr[i + 1]):
        j = np.uint64(indices[p])
        m += norm[j]
        cls[j] += d
    norm[i] = new
    cls[i] += d * (k + 1)
    counts[0] += d
    counts[1] += d * (k - 2 * m)       # AB edges: from m to k - m (or back)
    counts[2] += d * m                 # BB edges: i's m B neighbours


@nb.njit(cache=True)
def _run(indptr, indices, deg, cls_off, pay, thr, use_lut, zero_cls, R, beta,
         mode, evolving, t_mu, t_half, t_rm, phase, initial_b, state,
         a_pay, b_pay, c, share_b, mean_pay, rate_counts, snap_at, snap_norm, snap_rate):
    """Dispatch to :func:`_kernel` compiled for this mode, rate kind and table use."""
    _kernel(indptr, indices, deg, cls_off, pay, thr, literally(use_lut), zero_cls, R, beta,
            literally(mode), literally(evolving), t_mu, t_half, t_rm, phase, initial_b, state,
            a_pay, b_pay, c, share_b, mean_pay, rate_counts, snap_at, snap_norm, snap_rate)


@nb.njit(cache=True)
def _kernel(indptr, indices, deg, cls_off, pay, thr, use_lut, zero_cls, R, beta,
            mode, evolving, t_mu, t_half, t_rm, phase, initial_b, state,
            a_pay, b_pay, c, share_b, mean_pay, rate_counts, snap_at, snap_norm, snap_rate):
    """Run one replicate for ``len(phase) - 1`` generations, writing the series.

    State: ``norm`` (0 = A, 1 = B), ``cls`` (payoff class: degree block + norm *
    (degree + 1) + number of B neighbours) and ``ridx`` (rate index), kept up
    to date as agents change and copied at the start of each generation
    (``norm0``, ``cls0``, ``ridx0``): the game-phase payoffs are those of
    ``cls0``. Probabilities are compared as 32-bit thresholds:
    ``u < p  <=>  u32 < ceil(p * 2**32)`` for ``u = u32 * 2**-32``, so
    ``t_mu[r] = ceil(rates[r] * 2**32)`` (one entry for a fixed rate),
    ``t_half`` the same for half the rate, ``t_rm`` for the rate mutation and
    ``thr[phase, teacher class, learner class]`` for the Fermi probability.
    Agent indices in the hot loop are unsigned, so numba emits no
    negative-index wraparound code for them.
    """
    n = deg.shape[0]
    G = phase.shape[0] - 1
    K = t_mu.shape[0]
    s = state.copy()

    norm = np.zeros(n, dtype=np.int8)
    for i in range(n):
        if _u53(_next(s)) < initial_b:
            norm[i] = 1
    ridx = np.zeros(n, dtype=np.int64)
    rc = np.zeros(K, dtype=np.int64)
    if evolving:
        for i in range(n):
            ridx[i] = _pick(_next(s), K)
            rc[ridx[i]] += 1
    else:
        rc[0] = n
    # classes and edge counts of the initial state
    cls = np.empty(n, dtype=np.int32)
    counts = np.zeros(3, dtype=np.int64)    # count_b, e_ab, e_bb
    e_total = 0
    for i in range(n):
        m = 0
        for p in range(indptr[i], indptr[i + 1]):
            m += norm[indices[p]]
        cls[i] = cls_off[i] + norm[i] * (deg[i] + 1) + m
        counts[0] += norm[i]
        e_total += deg[i]
        if norm[i] == 1:
            counts[2] += m
        else:
            counts[1] += m
    counts[2] //= 2
    e_total //= 2

    order = np.arange(n).astype(np.int32)
    cls0 = np.empty(n, dtype=np.int32)
    norm0 = np.empty(n, dtype=np.int8)
    ridx0 = np.empty(n, dtype=np.int64)
    replaced = np.zeros(n, dtype=np.int8)
    two = np.zeros(2, dtype=np.int64)        # scratch for _choose
    snap_k = 0

    share_b[0] = counts[0] / n
    mean_pay[0] = np.nan
    for k in range(K):
        rate_counts[0, k] = rc[k]
    if snap_k < snap_at.shape[0] and snap_at[snap_k] == 0:
        snap_norm[snap_k, :] = norm
        snap_rate[snap_k, :] = ridx
        snap_k += 1

    for g in range(1, G + 1):
        ph = phase[g]
        T = thr[ph]
        PY = pay[ph]
        # ---- game phase: payoffs are those of the classes; mean payoff from edge counts
        e_ab = counts[1]
        e_bb = counts[2]
        e_aa = e_total - e_ab - e_bb
        own_a = a_pay if ph == 0 else b_pay
        own_b = b_pay if ph == 0 else a_pay
        mean_pay[g] = (own_a * (2 * e_aa + (1.0 - c) * e_ab)
                       + own_b * (2 * e_bb + (1.0 - c) * e_ab)) / n
        cls0[:] = cls
        norm0[:] = norm
        if evolving:
            ridx0[:] = ridx

        # ---- update phase
        if mode != SYNCHRONOUS:
            _shuffle(order, s)
            if mode == REFERENCE:
                replaced[:] = 0

        for v in range(n):
            if mode == SYNCHRONOUS:
                i = np.uint64(v)
            else:
                i = np.uint64(order[v])
            x1 = _next(s)
            x2 = _next(s)
            t = np.uint64(indices[indptr[i] + _pick(x1, deg[i])])
            ue = x1 & _M32
            uf = x2 >> _S32
            ci = np.uint64(cls0[i])
            if mode == REFERENCE:   # a teacher replaced earlier in the sweep earns 0
                ct = np.uint64(_sel(np.int64(replaced[t]), zero_cls, np.int64(cls0[t])))
            else:
                ct = np.uint64(cls0[t])
            if use_lut:
                accept = np.int64(uf < T[ct, ci])
            else:
                accept = np.int64(np.float64(uf) * 2.0 ** -32
                                  < _fermi(PY[ct], PY[ci], beta, R))
            old = np.int64(norm[i])
            if mode == SYNCHRONOUS:
                teacher_norm = np.int64(norm0[t])
            else:
                teacher_norm = np.int64(norm[t])

            # the Fermi test is a coin flip for the CPU: choose by indexing, not by a branch
            if not evolving:
                explore = np.int64(ue < t_mu[0])
                random_norm = np.int64(ue < t_half[0])
                if mode == REFERENCE:
                    new = _choose(two, accept, old, _sel(explore, random_norm, teacher_norm))
                    replaced[i] = accept
                else:
                    new = _sel(explore, random_norm, _choose(two, accept, old, teacher_norm))
                if new != old:
                    _flip(i, new, old, norm, cls, indptr, indices, deg, counts)
            else:
                x3 = _next(s)
                um = x2 & _M32
                new_rate = _pick(x3, K)
                r_i = ridx[i]
                explore = np.int64(ue < t_mu[r_i])
                random_norm = np.int64(ue < t_half[r_i])
                mutate = np.int64(um < t_rm)
                if mode == REFERENCE:   # the authors' order: explore, mutate the rate, imitate
                    new = _choose(two, accept, _sel(explore, random_norm, old), teacher_norm)
                    new_r = _choose(two, accept, _sel(mutate, new_rate, r_i), ridx[t])
                    replaced[i] = explore | accept
                else:
                    t_rate = ridx0[t] if mode == SYNCHRONOUS else ridx[t]
                    imitate = (1 - explore) * accept
                    new = _sel(explore, random_norm, _choose(two, imitate, old, teacher_norm))
                    new_r = _sel(mutate, new_rate, _choose(two, imitate, r_i, t_rate))
                if new != old:
                    _flip(i, new, old, norm, cls, indptr, indices, deg, counts)
                if new_r != r_i:
                    ridx[i] = new_r
                    rc[r_i] -= 1
                    rc[new_r] += 1

        # ---- record
        share_b[g] = counts[0] / n
        for k in range(K):
            rate_counts[g, k] = rc[k]
        if snap_k < snap_at.shape[0] and snap_at[snap_k] == g:
            snap_norm[snap_k, :] = norm
            snap_rate[snap_k, :] = ridx
            snap_k += 1


# ------------------------------------------------------------------ set-up
@dataclass(frozen=True)
class Tables:
    """Payoff classes and Fermi tables of one graph under one parameter set."""

    cls_off: np.ndarray     # per node: first class id of its degree block
    pay: np.ndarray         # (2, n_classes): payoff of each class, unshocked / shocked
    thr: np.ndarray         # (2, n_cls, n_cls) or (2, 1, 1): ceil(2**32 P[phase, teacher, learner])
    use_lut: bool
    zero_cls: int           # class of a replaced agent (payoff 0)
    R: float


def tables(adj: Adjacency, params: ModelParams) -> Tables:
    """Payoff classes ``(degree, norm, m)`` with their payoffs and Fermi probabilities."""
    degrees = np.unique(adj.degree)
    offset = {}
    n_cls = 0
    for k in degrees:
        offset[int(k)] = n_cls
        n_cls += 2 * (int(k) + 1)
    zero_cls = n_cls
    n_cls += 1
    cls_off = np.array([offset[int(k)] for k in adj.degree], dtype=np.int64)
    games = (params.game, params.game.shocked())
    pay = np.zeros((2, n_cls))
    for ph, game in enumerate(games):
        for k in degrees:
            k = int(k)
            for norm in (0, 1):
                for m in range(k + 1):   # m neighbours play B
                    n_same = m if norm == 1 else k - m
                    pay[ph, offset[k] + norm * (k + 1) + m] = game.total_payoff(
                        norm, n_same, k - n_same)
    R = params.game.payoff_range(adj.k_min, adj.k_max)
    use_lut = n_cls <= LUT_MAX_CLASSES
    if use_lut:
        thr = np.empty((2, n_cls, n_cls), dtype=np.uint64)
        _fill_thresholds(pay, float(params.beta), float(R), thr)
    else:
        thr = np.zeros((2, 1, 1), dtype=np.uint64)
    return Tables(cls_off, pay, thr, use_lut, zero_cls, R)


@nb.njit(cache=True)
def _fill_thresholds(pay, beta, R, thr):
    """``thr[ph, ct, ci] = threshold32(P(teacher class ct, learner class ci))``.

    The same expression as :func:`normsim.game.fermi_probability` (tests check
    that the two agree entry by entry)."""
    for ph in range(pay.shape[0]):
        for ct in range(pay.shape[1]):
            for ci in range(pay.shape[1]):
                thr[ph, ct, ci] = np.uint64(math.ceil(
                    _fermi(pay[ph, ct], pay[ph, ci], beta, R) * 4294967296.0))


def threshold32(p: float) -> int:
    """``ceil(p * 2**32)``: for a 32-bit integer u, ``u * 2**-32 < p  <=>  u < threshold32(p)``."""
    return math.ceil(p * 4294967296.0)


@dataclass
class Series:
    """Per-generation series of R replicates (index g = state after generation g).

    Attributes
    ----------
    share_b : (R, G+1) array
        Share of agents playing B.
    mean_payoff : (R, G+1) array
        Mean payoff in generation g's game phase (NaN at g = 0).
    rate_shares : (R, G+1, K) array or None
        Share of agents holding each exploration rate (evolving rates only).
    mean_rate : (R, G+1) array or None
        Mean exploration rate (evolving rates only).
    seeds : list of int
        The replicate seeds.
    snapshots : dict
        Generation -> ``(norms, rate_indices)``, each an (R, N) array.
    """

    share_b: np.ndarray
    mean_payoff: np.ndarray
    rate_shares: np.ndarray | None
    mean_rate: np.ndarray | None
    seeds: list[int]
    snapshots: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


NetworkLike = Mapping[str, Any] | nx.Graph | Adjacency


def replicate_adjacency(network: NetworkLike, seed: int, base_dir=None) -> Adjacency:
    """The graph of the replicate with ``seed`` (random kinds use ``graph_seed(seed)``)."""
    if isinstance(network, Adjacency):
        return network
    if isinstance(network, nx.Graph):
        return adjacency(network)
    return adjacency(build_graph(network, seed=graph_seed(seed), base_dir=base_dir))


def simulate(params: ModelParams, seeds: Sequence[int], *, network: NetworkLike | None = None,
             snapshots: Sequence[int] = (), base_dir=None) -> Series:
    """Simulate one replicate per seed and return their series.

    Parameters
    ----------
    params : ModelParams
        The model (its ``network`` spec is used unless ``network`` is given).
    seeds : sequence of int
        Replicate seeds (see :func:`normsim.draws.replicate_seeds`).
    network : spec, networkx graph or Adjacency, optional
        Overrides ``params.network``; a graph is used as is for every replicate.
    snapshots : sequence of int
        Generations at which to keep the full state (norms and rate indices).
    base_dir : path, optional
        Directory that a relative edge-list path is read from.
    """
    net = params.network if network is None else network
    seeds = [int(s) for s in seeds]
    G = params.generations
    R_ = len(seeds)
    rates = np.array(params.rates if params.evolving else (params.exploration,), dtype=np.float64)
    K = len(rates)
    t_mu = np.array([threshold32(r) for r in rates], dtype=np.uint64)
    t_half = np.array([threshold32(0.5 * r) for r in rates], dtype=np.uint64)
    phase = params.phases()
    snap_at = np.array(sorted(set(int(g) for g in snapshots if 0 <= int(g) <= G)), dtype=np.int64)
    share_b = np.empty((R_, G + 1))
    mean_pay = np.empty((R_, G + 1))
    counts = np.empty((R_, G + 1, K), dtype=np.int64)
    snaps: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    shared = None if (isinstance(net, Mapping) and is_random(net)) else \
        replicate_adjacency(net, 0, base_dir)
    shared_tables = tables(shared, params) if shared is not None else None
    for r, seed in enumerate(seeds):
        adj = shared if shared is not None else replicate_adjacency(net, seed, base_dir)
        tb = shared_tables if shared_tables is not None else tables(adj, params)
        sn = np.zeros((len(snap_at), adj.n), dtype=np.int8)
        sr = np.zeros((len(snap_at), adj.n), dtype=np.int64)
        _run(adj.indptr, adj.indices, adj.degree, tb.cls_off, tb.pay, tb.thr, tb.use_lut,
             tb.zero_cls, tb.R, float(params.beta), MODE_CODES[params.update], params.evolving,
             t_mu, t_half, np.uint64(threshold32(params.rate_mutation)), phase,
             float(params.initial_b), stream_state(seed), float(params.a), float(params.b),
             float(params.c), share_b[r], mean_pay[r], counts[r],
             snap_at, sn, sr)
        for k, g in enumerate(snap_at):
            norms, ridx = snaps.setdefault(int(g), (np.zeros((R_, adj.n), np.int8),
                                                    np.zeros((R_, adj.n), np.int64)))
            if norms.shape[1] == adj.n:
                norms[r] = sn[k]
                ridx[r] = sr[k]
    if params.evolving:
        n_agents = counts.sum(axis=2, keepdims=True)
        rate_shares = counts / n_agents
        mean_rate = (counts * rates).sum(axis=2) / n_agents[..., 0]
    else:
        rate_shares = mean_rate = None
    return Series(share_b, mean_pay, rate_shares, mean_rate, seeds, snaps)
