"""The engine's compiled kernels (numba): the random stream, the Fermi test,
the sweeps of every update mode and the set-up and recording they call.

They live in a module of their own, apart from the Python that prepares their
arguments (:mod:`normsim.engine.core`): numba stamps its on-disk cache with the
source file, so editing the Python around the kernels keeps every compiled
kernel valid. The model they implement is stated in :mod:`normsim.engine.core`
and docs/model/odd.md; the draws they take in docs/model/reproducibility.md.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numba as nb
import numpy as np
from numba import literally

import normsim.engine.cache  # noqa: F401  (normsim's kernel cache: before any cache=True kernel)
from normsim.protocols import KERNELS, PROTOCOLS, rules

#: the update modes, as the kernels' compile-time ``mode``
SYNCHRONOUS, SEQUENTIAL, REFERENCE, ASYNCHRONOUS = 0, 1, 2, 3
#: how the Fermi test is decided (see :func:`_accept`)
LUT, RATIO, FORMULA = 0, 1, 2
#: the kernel families (:data:`normsim.protocols.KERNELS`), the kernels' compile-time
#: ``protocol``: imitation of a random neighbour, or a direct protocol (no candidate: the
#: learner weighs the other norm)
IMITATIVE = KERNELS["random_neighbour"]
DIRECT = KERNELS["none"]
#: the structured families, the candidate found from payoffs (no conformity with them)
BEST_NEIGHBOUR = KERNELS["best_neighbour"]
FITNESS_NEIGHBOUR = KERNELS["fitness_neighbour"]
FITNESS_POPULATION = KERNELS["fitness_population"]
#: the choice rules' run-time codes (:attr:`normsim.protocols.Protocol.code`, ``tables.rule``)
FERMI = PROTOCOLS["fermi"].code
BEST_RESPONSE = PROTOCOLS["best_response"].code
LOGIT = PROTOCOLS["logit"].code
VOTER = PROTOCOLS["voter"].code
IMITATE_IF_BETTER = PROTOCOLS["imitate_if_better"].code
PAIRWISE_DIFFERENCE = PROTOCOLS["pairwise_difference"].code
#: from this many agents on (the state no longer fits a core's cache), the
#: shuffled sweeps take BATCH agents' draws, teachers and memory ahead (_take_ahead)
AHEAD_MIN = 1 << 17
BATCH = 64

# ------------------------------------------------------------------ the stream
_M32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_TWO_M53 = 2.0**-53


@nb.njit(inline="always")
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@nb.njit(inline="always")
def _u53(x):
    # the shifted value fits in int64: a signed conversion is one instruction
    return np.float64(np.int64(x >> np.uint64(11))) * _TWO_M53


@nb.njit(inline="always")
def _pick(x, n):
    """(hi32(x) * n) >> 32: a neighbour or rate index (n < 2**32)."""
    return np.int64(((x >> _S32) * np.uint64(n)) >> _S32)


@nb.njit(inline="always")
def _xo(s0, s1, s2, s3):
    """xoshiro256** on a state held in four scalars: ``(output, s0, s1, s2, s3)``.

    The hot loop keeps the state in registers this way; :func:`_next` steps
    a state array."""
    result = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return result, s0, s1, s2, s3


@nb.njit(inline="always")
def _next(s):
    """xoshiro256**: the next 64-bit output; ``s`` is the uint64[4] state (see :func:`_xo`)."""
    x, s0, s1, s2, s3 = _xo(s[0], s[1], s[2], s[3])
    s[0] = s0
    s[1] = s1
    s[2] = s2
    s[3] = s3
    return x


@nb.njit
def _lemire_tail(bound, m, s0, s1, s2, s3):
    """The rare rest of a bounded draw (see :func:`bounded_draws`): ``m = w *
    bound`` had ``m mod 2**32 < bound``; reject while ``m mod 2**32 < (2**32 -
    bound) mod bound``, taking the next output's high half.
    Returns ``(m, s0, s1, s2, s3)``."""
    t = (np.uint64(4294967296) - bound) % bound
    while (m & _M32) < t:
        x, s0, s1, s2, s3 = _xo(s0, s1, s2, s3)
        m = (x >> _S32) * bound
    return m, s0, s1, s2, s3


@nb.njit(inline="always")
def _bounded(bound, s0, s1, s2, s3):
    """A uniform index in ``0..bound-1`` (``bound`` a uint64 below 2**32) by
    Lemire's method (draws.py ``bounded``): ``(index, s0, s1, s2, s3)``."""
    r, _lo, s0, s1, s2, s3 = _bounded_lo(bound, s0, s1, s2, s3)
    return r, s0, s1, s2, s3


@nb.njit(inline="always")
def _bounded_lo(bound, s0, s1, s2, s3):
    """:func:`_bounded`, and the low 32 bits of its first output, which the index
    does not use (the conformist's branch in the sequential modes: draws.py)."""
    x, s0, s1, s2, s3 = _xo(s0, s1, s2, s3)
    m = (x >> _S32) * bound
    if (m & _M32) < bound:
        m, s0, s1, s2, s3 = _lemire_tail(bound, m, s0, s1, s2, s3)
    return m >> _S32, x & _M32, s0, s1, s2, s3


@nb.njit(inline="always")
def _conform_uniform(sync, v, n, z, uc, s0, s1, s2, s3):
    """The conformist's uniform ``u_c`` of the agent visited ``v``-th, as 32 bits
    (draws.py): when ``sync``hronous, agents ``2k`` and ``2k + 1`` share one output
    ``z`` (its high half, then its low half); in the sequential modes ``uc`` is
    already the low half of the swap's draw, but at position 0, which draws ``z``.
    Returns ``(uc, z, s0, s1, s2, s3)``."""
    if sync:
        if v & 1 == 0:
            z, s0, s1, s2, s3 = _xo(s0, s1, s2, s3)
            uc = z >> _S32
        else:
            uc = z & _M32
    elif v == n - 1:
        z, s0, s1, s2, s3 = _xo(s0, s1, s2, s3)
        uc = z >> _S32
    return uc, z, s0, s1, s2, s3


@nb.njit(cache=True)
def bounded_draws(state, bounds):
    """A bounded draw for each of ``bounds`` in turn, from a copy of ``state`` (for tests).

    An exactly uniform index in ``0..bound-1`` by Lemire's method on the high 32
    bits of an output (draws.py), as the kernel draws its shuffle."""
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    out = np.empty(bounds.shape[0], dtype=np.uint64)
    for k in range(bounds.shape[0]):
        out[k], s0, s1, s2, s3 = _bounded(np.uint64(bounds[k]), s0, s1, s2, s3)
    return out


@nb.njit(cache=True)
def stream_outputs(state, n):
    """The first ``n`` outputs of the stream (a copy of ``state`` is advanced)."""
    s = state.copy()
    out = np.empty(n, dtype=np.uint64)
    for i in range(n):
        out[i] = _next(s)
    return out


# ------------------------------------------------------------------ the protocols
#: the choice rules, compiled from the functions the Mesa agent calls
_fermi = nb.njit(inline="always")(rules.fermi)
_best_response = nb.njit(inline="always")(rules.best_response)
_logit = _fermi  # rules.logit is rules.fermi
_voter = nb.njit(inline="always")(rules.voter)
_imitate_if_better = nb.njit(inline="always")(rules.imitate_if_better)
_pairwise_difference = nb.njit(inline="always")(rules.pairwise_difference)
_fitness = nb.njit(inline="always")(rules.fitness)


@nb.njit(inline="always")
def _adopt(rule, pc, pi, beta, R):
    """The probability that the learner adopts its candidate's norm under the protocol
    of code ``rule`` (run-time; :attr:`normsim.protocols.Protocol.code`): the
    protocol's choice rule (:mod:`normsim.protocols.rules`) of the candidate's payoff
    ``pc`` and its own ``pi``."""
    if rule == FERMI:
        return _fermi(pc, pi, beta, R)
    if rule == BEST_RESPONSE:
        return _best_response(pc, pi, beta, R)
    if rule == LOGIT:
        return _logit(pc, pi, beta, R)
    if rule == VOTER:
        return _voter(pc, pi, beta, R)
    if rule == IMITATE_IF_BETTER:
        return _imitate_if_better(pc, pi, beta, R)
    if rule == PAIRWISE_DIFFERENCE:
        return _pairwise_difference(pc, pi, beta, R)
    return _voter(pc, pi, beta, R)  # the structured protocols adopt their candidate


@nb.njit(inline="always")
def _best_in_closed(i, uf, indptr, indices, cls, PY):
    """Imitate the best: the best-paid agent of ``i``'s closed neighbourhood (payoffs
    ``PY`` of the classes ``cls``), the ``floor(uf m / 2**32)``-th of the ``m`` tied
    ones in the order ``i``, then its neighbours."""
    lo = np.uint64(indptr[i])
    hi = np.uint64(indptr[i + np.uint64(1)])
    own = PY[np.uint64(cls[i])]
    best = own
    m = np.uint64(1)
    for q in range(lo, hi):
        v = PY[np.uint64(cls[np.uint64(indices[q])])]
        if v > best:
            best = v
            m = np.uint64(1)
        elif v == best:
            m += np.uint64(1)
    k = (uf * m) >> _S32
    if own == best:
        if k == np.uint64(0):
            return i
        k -= np.uint64(1)
    for q in range(lo, hi):
        j = np.uint64(indices[q])
        if PY[np.uint64(cls[j])] == best:
            if k == np.uint64(0):
                return j
            k -= np.uint64(1)
    return i  # not reached: the count above found m tied agents


@nb.njit(inline="always")
def _fitness_neighbour(i, uf, indptr, indices, cls, PY, w):
    """Moran death-birth: the neighbour of ``i`` whose running sum of fitness (in
    neighbour order) first exceeds ``uf * 2**-32`` times the neighbours' total."""
    lo = np.uint64(indptr[i])
    hi = np.uint64(indptr[i + np.uint64(1)])
    total = 0.0
    for q in range(lo, hi):
        total += _fitness(PY[np.uint64(cls[np.uint64(indices[q])])], w)
    target = np.float64(uf) * 2.0**-32 * total
    cum = 0.0
    for q in range(lo, hi):
        j = np.uint64(indices[q])
        cum += _fitness(PY[np.uint64(cls[j])], w)
        if target < cum:
            return j
    return np.uint64(indices[hi - np.uint64(1)])  # not reached: target < total


@nb.njit(inline="always")
def _other_class(ci, own, k):
    """The payoff class of an agent of class ``ci``, norm ``own`` and degree ``k`` had
    it the other norm (its neighbours unchanged): a direct protocol's candidate."""
    return np.uint64(np.int64(ci) + (1 - 2 * np.int64(own)) * (np.int64(k) + 1))


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
def _fixed_rate_rule(reference: bool) -> np.ndarray:
    """The new norm for every combination of (old norm, teacher's norm, accept,
    explore, random norm), indexed by those bits (1, 2, 4, 8, 16), fixed mu."""
    out = np.zeros(32, dtype=np.int8)
    for k in range(32):
        old, teacher, accept, explore, rnd = ((k >> b) & 1 for b in range(5))
        if reference:  # explore only instead of an accepted imitation
            out[k] = (rnd if explore else teacher) if accept else old
        else:
            out[k] = rnd if explore else (teacher if accept else old)
    return out


#: row 0: synchronous and sequential; row 1: reference (docs/model/odd.md, section 3)
_FIXED_RATE_RULES = np.stack([_fixed_rate_rule(False), _fixed_rate_rule(True)])


@nb.njit(inline="always")
def _accept(uf, ct, ci, how, T, E, PY, beta, R, rule):
    """Whether the learner adopts: ``uf * 2**-32 < P(candidate class ct, learner class ci)``.

    ``how`` is ``LUT`` (a threshold table of the protocol's rule), ``RATIO`` (the Fermi
    and logit rules only: ``P = E[ct] / (E[ct] + E[ci])`` with ``E = exp(beta *
    (payoff - mid) / R)``, deciding by the exact expression whenever ``uf`` falls
    within 16 / 2**32 of that value: the two differ by far less, so the decision is
    the exact one) or ``FORMULA`` (the expression of the rule of code ``rule``,
    :func:`_adopt`, every time)."""
    if how == LUT:  # the threshold above the rule mask of tables()
        return np.int64(uf < (T[(ct << np.uint64(8)) + ci] >> np.uint64(16)))
    if how == RATIO:  # uf < 2**32 * et / sum, without a division
        et = E[ct]
        tot = et + E[ci]
        d = et * 4294967296.0 - np.float64(uf) * tot
        if abs(d) > 16.0 * tot:
            return np.int64(d > 0.0)
    return np.int64(np.float64(uf) * 2.0**-32 < _adopt(rule, PY[ct], PY[ci], beta, R))


# ------------------------------------------------------------------ kernel arguments
#: the graph as CSR arrays (``indices`` 16-bit where the nodes fit, half the cache footprint)
GraphArgs = namedtuple("GraphArgs", "indptr indices degree")
#: payoff classes and the Fermi test of one graph under one parameter set
#: (see :class:`~normsim.engine.Tables`)
TableArgs = namedtuple("TableArgs", "cls_off pay thr E zero_cls R beta tmu_c th_c rule w fmax")
#: (``tmu_c``, ``th_c``; with groups and a fixed rate, each class's exploration
#: thresholds, those of its group; otherwise one unused entry)
#: (``R`` has one payoff range per game of the run: see :meth:`normsim.params.ModelParams.games`;
#: ``rule`` the protocol's rule code, ``w`` the Moran rules' selection intensity, ``fmax``
#: the largest fitness per game, :meth:`normsim.params.ModelParams.fitness_bounds`)
#: exploration as 32-bit thresholds: ``t_mu[r]``, ``t_half[r]`` per rate, ``t_rm`` rate mutation
RateArgs = namedtuple("RateArgs", "t_mu t_half t_rm")
#: what a replicate writes, ``share_b`` (G+1), ``edges`` (G+1, 3; the AA, AB and BB
#: edges of each generation's game phase), ``rate_counts`` (G+1, K) and the snapshots
#: (``snap_norm``/``snap_rate`` at the generations ``snap_at``)
Outputs = namedtuple(
    "Outputs", "share_b edges rate_counts snap_at snap_norm snap_rate g_count g_half g_rates"
)
#: (with groups, :mod:`normsim.groups`; ``g_count`` (G+1, M) B agents of each group,
#: ``g_half`` (G+1, M, 4) each group's AA, AB, BA, BB (member, neighbour) pairs of
#: generation g's game phase, ``g_rates`` (G+1, M, K) rate counts; empty otherwise)
#: the mechanisms (:mod:`normsim.mechanisms`): committed agents (placement
#: code, count, explicit ``nodes``, their norm) and conformity (``t_gamma``, a 32-bit
#: threshold); read only when the kernel's ``committed``/``conform`` flags are set
MechArgs = namedtuple("MechArgs", "place count nodes cnorm t_gamma grp g_ib init_norm init_rate")
#: (groups, read only when the ``groups`` flag is set; ``grp`` each node's group,
#: ``g_ib`` each group's initial share of B)
#: (an initial configuration, :mod:`normsim.initial`, read whatever the flags: ``init_norm``
#: each node's initial norm, ``init_rate`` its initial rate index; empty: drawn)
#: MechArgs of a scenario without committed agents, conformity or groups
NO_MECH = MechArgs(
    np.int64(0),
    np.int64(0),
    np.zeros(0, dtype=np.int64),
    np.uint8(0),
    np.uint64(0),
    np.zeros(0, dtype=np.int64),
    np.zeros(0),
    np.zeros(0, dtype=np.uint8),
    np.zeros(0, dtype=np.int64),
)


@nb.njit(cache=True, nogil=True)
def _take_ahead(
    n,
    v0,
    nb_,
    evolving,
    regular,
    kdeg,
    indptr,
    indices,
    deg,
    order,
    cls,
    norm,
    norm0,
    replaced,
    ridx,
    s0,
    s1,
    s2,
    s3,
    bi,
    bt,
    bx,
    by,
    bm,
):
    """The next ``nb_`` agents of a shuffled sweep of a large population, from
    position ``v0``: their draws in the stream's order (the shuffle's, then
    ``x``, then ``y`` for each agent; they depend on nothing in memory), the
    shuffle's swaps, each learner ``bi`` and teacher ``bt``, and the split word
    ``bm`` of ``x``. The memory the batch touches (the swapped places, the
    learners' rows, both sides' state) is read in tight loops first, so that
    its cache misses overlap instead of each waiting for the last. Returns the
    stream's state. The sweep then updates the agents one by one as it would
    have."""
    warm = np.uint64(0)
    for b in range(nb_):  # Fisher-Yates from the top: r uniform in 0..j
        j = np.uint64(n - 1 - (v0 + b))
        r = j
        if j > 0:
            r, s0, s1, s2, s3 = _bounded(j + np.uint64(1), s0, s1, s2, s3)
        bt[b] = r
        x, s0, s1, s2, s3 = _xo(s0, s1, s2, s3)
        bx[b] = x
        if evolving:
            y, s0, s1, s2, s3 = _xo(s0, s1, s2, s3)
            by[b] = y
    for b in range(nb_):
        warm += np.uint64(order[bt[b]])
    for b in range(nb_):  # position j is final once swapped: its agent is visited next
        j = np.uint64(n - 1 - (v0 + b))
        r = bt[b]
        tmp = order[j]
        order[j] = order[r]
        order[r] = tmp
        bi[b] = np.uint64(order[j])
    if not regular:
        for b in range(nb_):
            warm += np.uint64(indptr[bi[b]]) + np.uint64(deg[bi[b]])
    for b in range(nb_):  # the teacher: neighbour number (lo(x) * degree) >> 32
        i = bi[b]
        if regular:
            mm = (bx[b] & _M32) * kdeg
            bt[b] = np.uint64(indices[i * kdeg + (mm >> _S32)])
        else:
            mm = (bx[b] & _M32) * np.uint64(deg[i])
            bt[b] = np.uint64(indices[np.uint64(indptr[i]) + (mm >> _S32)])
        bm[b] = mm
    for b in range(nb_):
        i = bi[b]
        t = bt[b]
        warm += (
            np.uint64(cls[i])
            + np.uint64(cls[t])
            + np.uint64(norm[t])
            + np.uint64(norm0[i])
            + np.uint64(replaced[t])
        )
        if evolving:
            warm += np.uint64(ridx[i]) + np.uint64(ridx[t])
    if warm == np.uint64(1):  # keeps the early reads (their sum is never used)
        bm[0] = bm[0]
    return s0, s1, s2, s3


@nb.njit(cache=True, nogil=True)
def _run(
    graph,
    tables,
    rates,
    out,
    phase,
    initial_b,
    state,
    mech,
    mode,
    evolving,
    regular,
    how,
    mech_on,
    committed,
    conform,
    groups,
    protocol,
):
    """Dispatch to :func:`_kernel` compiled for these flags (:data:`_FLAGS`)."""
    _kernel(
        graph,
        tables,
        rates,
        out,
        phase,
        initial_b,
        state,
        mech,
        literally(mode),
        literally(evolving),
        literally(regular),
        literally(how),
        literally(mech_on),
        committed,
        literally(conform),
        groups,
        literally(protocol),
    )


@nb.njit(cache=True, nogil=True)
def _run_conform(
    graph,
    tables,
    rates,
    out,
    phase,
    initial_b,
    state,
    mech,
    mode,
    evolving,
    regular,
    how,
    mech_on,
    committed,
    conform,
    groups,
    protocol,
):
    """:func:`_run` with conformity: groups are compile-time there too (a run-time
    flag cost the synchronous conformist 10-15%). A function of its own, as numba
    compiles both arms of a branch on a flag."""
    _kernel(
        graph,
        tables,
        rates,
        out,
        phase,
        initial_b,
        state,
        mech,
        literally(mode),
        literally(evolving),
        literally(regular),
        literally(how),
        literally(mech_on),
        committed,
        literally(conform),
        literally(groups),
        literally(protocol),
    )


@nb.njit(cache=True, nogil=True)
def _run_async(
    graph,
    tables,
    rates,
    out,
    phase,
    initial_b,
    state,
    mech,
    mode,
    evolving,
    regular,
    how,
    mech_on,
    committed,
    conform,
    groups,
    protocol,
):
    """Dispatch to :func:`_kernel_async` compiled for these flags (``mode`` is
    always ``ASYNCHRONOUS`` here)."""
    _kernel_async(
        graph,
        tables,
        rates,
        out,
        phase,
        initial_b,
        state,
        mech,
        literally(evolving),
        literally(regular),
        literally(how),
        literally(mech_on),
        committed,
        literally(conform),
        groups,
        literally(protocol),
    )


@nb.njit(cache=True, nogil=True)
def _bounded_state(s, n):
    """``bounded(n)`` of :mod:`normsim.draws` from the state array ``s`` (advanced)."""
    r, s0, s1, s2, s3 = _bounded(np.uint64(n), s[0], s[1], s[2], s[3])
    s[0] = s0
    s[1] = s1
    s[2] = s2
    s[3] = s3
    return np.int64(r)


@nb.njit(cache=True, nogil=True)
def _place_committed(graph, mech, s):
    """The committed agents as a 0/1 mask, drawn from ``s`` as
    :func:`normsim.mechanisms.place_committed` draws them (the same nodes).
    Returns ``(mask, ok)``; ``ok`` is False when a cluster's component is too small."""
    indptr, indices, deg = graph.indptr, graph.indices, graph.degree
    n = deg.shape[0]
    k = mech.count
    mask = np.zeros(n, dtype=np.uint8)
    if mech.place == 3:  # nodes
        for v in mech.nodes:
            mask[v] = 1
    elif mech.place == 0:  # random: a partial Fisher-Yates shuffle
        perm = np.arange(n)
        for j in range(k):
            r = j + _bounded_state(s, n - j)
            tmp = perm[j]
            perm[j] = perm[r]
            perm[r] = tmp
            mask[perm[j]] = 1
    elif mech.place == 1:  # hubs: degree descending, then a random key, then the id
        keys = np.empty(n, dtype=np.uint64)
        for i in range(n):
            keys[i] = _next(s)
        by_key = np.argsort(keys, kind="mergesort")
        neg = np.empty(n, dtype=np.int64)
        for q in range(n):
            neg[q] = -np.int64(deg[by_key[q]])
        by_deg = np.argsort(neg, kind="mergesort")
        for q in range(k):
            mask[by_key[by_deg[q]]] = 1
    else:  # cluster: breadth-first from a random centre
        centre = _bounded_state(s, n)
        seen = np.zeros(n, dtype=np.uint8)
        queue = np.empty(n, dtype=np.int64)
        queue[0] = centre
        seen[centre] = 1
        head = 0
        tail = 1
        taken = 0
        while head < tail and taken < k:
            i = queue[head]
            head += 1
            mask[i] = 1
            taken += 1
            for q in range(indptr[i], indptr[i + 1]):
                j = np.int64(indices[q])
                if seen[j] == 0:
                    seen[j] = 1
                    queue[tail] = j
                    tail += 1
        if taken < k:
            return mask, False
    return mask, True


@nb.njit(cache=True, nogil=True)
def _initial_state(graph, tables, K, evolving, initial_b, s, mech, committed, groups):
    """The state at generation 0, drawn from the stream ``s`` (advanced in place):
    norms (with ``groups``, each agent's group's initial share of B), then rate
    indices (evolving rates), then the committed agents (who take the committed
    norm); then each agent's payoff class and the counts of B agents and of AB,
    BB and all edges. An initial configuration (``mech.init_norm``, ``init_rate``
    when not empty) replaces the drawn norms (rates) after their draws.

    Returns ``(norm, ridx, cls, count_b, e_ab, e_bb, e_total, fixed, ok)``:
    ``fixed`` marks the committed agents, ``ok`` is False when they could not be placed."""
    indptr, indices, deg = graph.indptr, graph.indices, graph.degree
    n = deg.shape[0]
    norm = np.zeros(n, dtype=np.uint8)
    for i in range(n):
        ib = mech.g_ib[mech.grp[i]] if groups else initial_b
        if _u53(_next(s)) < ib:
            norm[i] = 1
    if mech.init_norm.shape[0] > 0:
        norm[:] = mech.init_norm
    ridx = np.zeros(n, dtype=np.int64)
    if evolving:
        for i in range(n):
            ridx[i] = _pick(_next(s), K)
        if mech.init_rate.shape[0] > 0:
            ridx[:] = mech.init_rate
    ok = True
    if committed:
        fixed, ok = _place_committed(graph, mech, s)
        for i in range(n):
            if fixed[i]:
                norm[i] = mech.cnorm
    else:
        fixed = np.zeros(0, dtype=np.uint8)
    cls = tables.cls_off.copy()  # its dtype: uint8 when the classes fit (cache footprint)
    count_b = 0
    e_ab = 0
    e_bb = 0
    e_total = 0
    for i in range(n):
        m = 0
        for q in range(indptr[i], indptr[i + 1]):
            m += norm[indices[q]]
        cls[i] += norm[i] * (deg[i] + 1) + m
        count_b += norm[i]
        e_total += deg[i]
        if norm[i] == 1:
            e_bb += m
        else:
            e_ab += m
    return norm, ridx, cls, count_b, e_ab, e_bb // 2, e_total // 2, fixed, ok


@nb.njit(cache=True, nogil=True)
def _record(out, g, count_b, n, norm, ridx, evolving, hist, snap_k):
    """Write generation ``g``'s share of B, rate counts and (if one is due) snapshot.

    Rates are counted with a histogram in four interleaved parts (no chain of
    increments); without evolving rates everyone holds rate 0. Returns the index
    of the next snapshot due."""
    out.share_b[g] = count_b / n
    K = out.rate_counts.shape[1]
    if evolving:
        hist[:, :] = 0
        for i in range(n):
            hist[i & 3, ridx[i]] += 1
        for k in range(K):
            out.rate_counts[g, k] = hist[0, k] + hist[1, k] + hist[2, k] + hist[3, k]
    else:
        out.rate_counts[g, 0] = n
    if snap_k < out.snap_at.shape[0] and out.snap_at[snap_k] == g:
        out.snap_norm[snap_k, :] = norm
        out.snap_rate[snap_k, :] = ridx
        snap_k += 1
    return snap_k


@nb.njit(cache=True, nogil=True)
def _group_counts(norm, cls, cls_off, deg, grp, M, groups):
    """Each group's number of B agents and its (member, neighbour) pairs AA, AB, BA,
    BB, from the norms and payoff classes (zeros of the right shape without
    ``groups``); the kernels then keep both up to date on every change."""
    gcb = np.zeros(M, dtype=np.int64)
    gh = np.zeros((M, 4), dtype=np.int64)
    if groups:
        for i in range(norm.shape[0]):
            xb = np.int64(norm[i])
            k = np.int64(deg[i])
            mb = np.int64(cls[i]) - np.int64(cls_off[i]) - xb * (k + 1)  # B neighbours
            g = grp[i]
            gcb[g] += xb
            gh[g, 2 * xb] += k - mb
            gh[g, 2 * xb + 1] += mb
    return gcb, gh


@nb.njit(cache=True, nogil=True)
def _record_groups(out, g, gcb, gh, grp, ridx, evolving):
    """Write generation ``g``'s B agents of each group and, with evolving rates,
    each group's rate counts (the pairs of ``gh`` are written at the game phase)."""
    out.g_count[g, :] = gcb
    if evolving:
        out.g_rates[g, :, :] = 0
        for i in range(grp.shape[0]):
            out.g_rates[g, grp[i], ridx[i]] += 1


@nb.njit(cache=True, nogil=True)
def _kernel(
    graph,
    tables,
    rates,
    out,
    phase,
    initial_b,
    state,
    mech,
    mode,
    evolving,
    regular,
    how,
    mech_on,
    committed_rt,
    conform_rt,
    groups_rt,
    protocol,
):
    """Run one replicate for ``len(phase) - 1`` generations, writing ``out``.

    State: ``norm`` (0 = A, 1 = B), ``ridx`` (rate index) and ``cls`` (payoff
    class: degree block + norm * (degree + 1) + number of B neighbours). The
    sweep reads ``cls``, the game phase's classes, and ``norm0``, the norms at
    the start of the generation (``ridx0`` the rates, synchronous evolving
    only), and writes ``norm``, ``ridx`` and the list of agents that changed;
    afterwards the list updates ``cls``, ``norm0`` and the edge counts, so the
    next generation starts consistent. The game phase only records the edge
    counts: :func:`simulate` turns them into the mean payoff with
    :meth:`normsim.game.CoordinationGame.mean_payoff`.

    Probabilities are compared as 32-bit thresholds: ``u < p  <=>  u32 <
    ceil(p * 2**32)`` for ``u = u32 * 2**-32``, so ``rates.t_mu[r] = ceil(rates[r]
    * 2**32)`` (one entry for a fixed rate), ``rates.t_half`` the same for half
    the rate, ``rates.t_rm`` for the rate mutation and ``tables.thr[phase,
    teacher class * 256 + learner class] >> 16`` for the Fermi probability (see
    :func:`_accept` for the other two ways); the low 16 bits of that word give
    the fixed-rate rule's new norm (:func:`_rule_masks`). On a ``regular``
    graph node ``i``'s neighbours start at ``i * degree``. Agent indices in the
    hot loop are unsigned, so numba emits no negative-index wraparound code,
    and the stream's state lives in four scalars (registers).

    Mechanisms (:mod:`normsim.mechanisms`; the plain kernel, compiled without
    ``mech_on``, is the code above): ``committed`` agents (a run-time flag;
    ``mech`` places them; they consume their draws and keep their norm and
    rate), ``conform``ity (compile-time; one more output per two agents when
    synchronous, the low half of the swap's draw in the sequential modes:
    :func:`_conform_uniform`; the whole update of a learner is then the block
    under ``if conform``) and ``groups`` (run-time, compile-time with conformity)
    (:mod:`normsim.groups`: the group's c is in the payoff classes already; the
    flag reads a fixed exploration rate per class, draws the initial norms with
    each group's share, and keeps the per-group counts of ``out.g_*``).
    ``out.share_b[0]`` is -1 when the committed agents could not be placed.
    """
    # the mechanisms' run-time flags (see _FLAGS) are constants in the plain
    # kernel, so that its code is that of the plain model alone
    direct = protocol == DIRECT  # compile-time: the candidate is the other norm
    structured = protocol >= BEST_NEIGHBOUR  # compile-time: the candidate by payoffs
    rcode = tables.rule  # run-time: the protocol's choice rule (_adopt)
    w = tables.w
    conform = conform_rt  # compile-time, and only with mech_on
    if mech_on:
        committed, groups = committed_rt, groups_rt
    else:
        committed, groups = False, False
    indptr, indices, deg = graph.indptr, graph.indices, graph.degree
    thr, E, pay, zero_cls, RG, beta = (
        tables.thr,
        tables.E,
        tables.pay,
        tables.zero_cls,
        tables.R,
        tables.beta,
    )
    cls_off = tables.cls_off
    t_mu, t_half, t_rm = rates.t_mu, rates.t_half, rates.t_rm
    n = deg.shape[0]
    G = phase.shape[0] - 1
    K = t_mu.shape[0]
    s = state.copy()
    norm, ridx, cls, count_b, e_ab, e_bb, e_total, fixed, ok = _initial_state(
        graph, tables, K, evolving, initial_b, s, mech, committed, groups
    )
    if not ok:
        out.share_b[0] = -1.0
        return
    t_gamma = mech.t_gamma
    tmu_c, th_c = tables.tmu_c, tables.th_c
    grp = mech.grp
    M = out.g_count.shape[1]
    gcb, gh = _group_counts(norm, cls, cls_off, deg, grp, M, groups)
    # with conformity in the sequential modes, each agent's conformist score
    # 4 (current B neighbours) - 2 degree + own norm: the neighbours' majority is
    # B iff it is > 0, a tie going to one's own norm (the classes keep the start
    # of the generation; the score follows every change in the sweep)
    if conform and mode != SYNCHRONOUS:
        csc = np.empty(n, dtype=np.int32)
        for i in range(n):
            own = np.int64(norm[i])
            k = np.int64(deg[i])
            mb = np.int64(cls[i]) - np.int64(cls_off[i]) - own * (k + 1)
            csc[i] = np.int32(4 * mb - 2 * k + own)
    else:
        csc = np.zeros(0, dtype=np.int32)

    order = np.arange(n).astype(np.uint32)
    norm0 = norm.copy()  # the start of the generation, then the working copy of the pass
    changed = np.empty(n, dtype=np.uint32)  # the agents whose norm the sweep changed
    hist = np.zeros((4, K), dtype=np.int64)
    ridx0 = np.empty(n, dtype=np.int64)
    replaced = np.zeros(n, dtype=np.int8)
    two = np.zeros(2, dtype=np.int64)  # scratch for _choose
    # (synchronous sweeps visit agents in index order, which the hardware
    # prefetcher follows: taking them ahead there costs more than it saves)
    # (and the mechanisms draw more per agent than a batch takes ahead)
    # (and a structured protocol scans each learner's neighbourhood anyway)
    ahead = (
        n >= AHEAD_MIN and mode != SYNCHRONOUS and not committed and not conform and not structured
    )
    bi = np.empty(BATCH, dtype=np.uint64)  # learners, teachers, draws, split words
    bt = np.empty(BATCH, dtype=np.uint64)  # and second draws of a batch (_take_ahead)
    bx = np.empty(BATCH, dtype=np.uint64)
    by = np.empty(BATCH, dtype=np.uint64)
    bm = np.empty(BATCH, dtype=np.uint64)
    b = 0
    rule = _FIXED_RATE_RULES[1 if mode == REFERENCE else 0]
    kdeg = np.uint64(deg[0])
    tm0 = t_mu[0]
    th0 = t_half[0]
    Ku = np.uint64(K)
    out.edges[0, :] = 0  # generation 0 has no game phase
    snap_k = _record(out, 0, count_b, n, norm, ridx, evolving, hist, 0)
    if groups:
        _record_groups(out, 0, gcb, gh, grp, ridx, evolving)
    s0, s1, s2, s3 = s[0], s[1], s[2], s[3]  # the generator's state, in registers
    uc = np.uint64(0)  # the conformist's uniform, as 32 bits (draws.py)
    z = np.uint64(0)  # and the output it comes from, when not the swap's

    for g in range(1, G + 1):
        ph = phase[g]
        T = thr[ph]
        EP = E[ph]
        PY = pay[ph]
        R = RG[ph]
        # ---- game phase: payoffs are those of the classes; record the edge counts
        out.edges[g, 0] = e_total - e_ab - e_bb
        out.edges[g, 1] = e_ab
        out.edges[g, 2] = e_bb
        if groups:
            out.g_half[g, :, :] = gh
        if mode == SYNCHRONOUS and evolving:
            ridx0[:] = ridx
        if mode == REFERENCE:
            replaced[:] = 0

        # ---- update phase: the sweep sets norms only; cls stays the start of the generation
        n_changed = 0
        for v in range(n):
            if ahead:  # a large population: agents, teachers and draws taken in batches
                b = v % BATCH
                if b == 0:
                    s0, s1, s2, s3 = _take_ahead(
                        n,
                        v,
                        min(BATCH, n - v),
                        evolving,
                        regular,
                        kdeg,
                        indptr,
                        indices,
                        deg,
                        order,
                        cls,
                        norm,
                        norm0,
                        replaced,
                        ridx,
                        s0,
                        s1,
                        s2,
                        s3,
                        bi,
                        bt,
                        bx,
                        by,
                        bm,
                    )
                i = bi[b]
                t = bt[b]
                x = bx[b]
                mm = bm[b]
            elif mode == SYNCHRONOUS:
                i = np.uint64(v)
            else:  # Fisher-Yates from the top; position j is final once swapped: visit it
                j = np.uint64(n - 1 - v)
                if j > 0:  # r uniform in 0..j; uc: the low half of its first output
                    r, uc, s0, s1, s2, s3 = _bounded_lo(j + np.uint64(1), s0, s1, s2, s3)
                    tmp = order[j]
                    order[j] = order[r]
                    order[r] = tmp
                i = np.uint64(order[j])
            if not ahead:
                x, s0, s1, s2, s3 = _xo(s0, s1, s2, s3)
                if regular:
                    mm = (x & _M32) * kdeg
                    t = np.uint64(indices[i * kdeg + (mm >> _S32)])
                else:
                    mm = (x & _M32) * np.uint64(deg[i])
                    t = np.uint64(indices[np.uint64(indptr[i]) + (mm >> _S32)])
            ue = mm & _M32
            uf = x >> _S32
            if committed:
                if fixed[i]:  # a committed agent: its draws are consumed, nothing changes
                    if evolving:
                        y, s0, s1, s2, s3 = _xo(s0, s1, s2, s3)
                    if conform:
                        uc, z, s0, s1, s2, s3 = _conform_uniform(
                            mode == SYNCHRONOUS, v, n, z, uc, s0, s1, s2, s3
                        )
                    continue
            ci = np.uint64(cls[i])
            if groups and not evolving:  # the exploration rate of i's group (its class's)
                tmv = tmu_c[ci]
                thv = th_c[ci]
            else:
                tmv = tm0
                thv = th0
            if structured:  # the candidate from the game phase's payoffs (the classes)
                if protocol == BEST_NEIGHBOUR:
                    t = _best_in_closed(i, uf, indptr, indices, cls, PY)
                else:
                    t = _fitness_neighbour(i, uf, indptr, indices, cls, PY, w)
            if direct:  # the candidate: i's own class had it the other norm
                ct = _other_class(ci, norm0[i], deg[i])
            elif mode == REFERENCE:  # a teacher replaced earlier in the sweep earns 0
                ct = np.uint64(_sel(np.int64(replaced[t]), zero_cls, np.int64(cls[t])))
            else:
                ct = np.uint64(cls[t])
            if conform and not evolving and how == LUT:
                # one table word, as without conformity: bit 3 of the mask index is
                # the branch when synchronous (bits 8-15 hold the conformist's new
                # norm, the majority of the class's B neighbours: _conformist_masks);
                # in the sequential modes the conformist is an accepted imitation
                # of the majority (the score csc): the Fermi rule's masks then give
                # the conformist's rule (explore, else the majority)
                uc, z, s0, s1, s2, s3 = _conform_uniform(
                    mode == SYNCHRONOUS, v, n, z, uc, s0, s1, s2, s3
                )
                isc = np.uint64(uc < t_gamma)  # the conformist's branch
                e = T[(ct << np.uint64(8)) + ci]
                acc = np.uint64(uf < (e >> np.uint64(16)))
                ex = np.uint64(ue < tmv)
                rn = np.uint64(ue < thv)
                old = e & np.uint64(1)
                if mode == SYNCHRONOUS:
                    new = (
                        e
                        >> (
                            acc
                            | (ex << np.uint64(1))
                            | (rn << np.uint64(2))
                            | (isc << np.uint64(3))
                        )
                    ) & np.uint64(1)
                else:
                    tn = (np.uint64(1) - old) if direct else np.uint64(norm[t])
                    tn ^= isc & (np.uint64(csc[i] > 0) ^ tn)  # the majority if conformist
                    acc |= isc
                    new = (
                        e
                        >> (
                            acc | (ex << np.uint64(1)) | (rn << np.uint64(2)) | (tn << np.uint64(3))
                        )
                    ) & np.uint64(1)
                    if mode == REFERENCE:
                        replaced[i] = acc
                norm[i] = new
                if mode == SYNCHRONOUS:
                    changed[n_changed] = i  # kept only if i changed: no branch
                    n_changed += np.int64(new != old)
                elif new != old:  # the list, the scores of i's neighbours, and i's own
                    # (a branch: changes are rare, and an unconditional store to
                    # changed[], at an address known late, held the later loads back)
                    changed[n_changed] = i
                    n_changed += 1
                    d = np.int32(np.int64(new) - np.int64(old))
                    for q in range(np.uint64(indptr[i]), np.uint64(indptr[i + np.uint64(1)])):
                        csc[np.uint64(indices[q])] += 4 * d
                    csc[i] += d
                continue
            if conform:
                old = np.int64(norm0[i])
                if evolving:
                    y, s0, s1, s2, s3 = _xo(s0, s1, s2, s3)
                    um = y & _M32
                    new_rate = np.int64(((y >> _S32) * Ku) >> _S32)
                    r_i = ridx[i]
                else:
                    um = np.uint64(0)
                    new_rate = np.int64(0)
                    r_i = np.int64(0)
                uc, z, s0, s1, s2, s3 = _conform_uniform(
                    mode == SYNCHRONOUS, v, n, z, uc, s0, s1, s2, s3
                )
                isc = np.int64(uc < t_gamma)  # the conformist's branch
                if evolving:
                    explore = np.int64(ue < t_mu[r_i])
                    random_norm = np.int64(ue < t_half[r_i])
                else:
                    explore = np.int64(ue < tmv)
                    random_norm = np.int64(ue < thv)
                mutate = np.int64(um < t_rm)
                # the neighbours' majority, one's own on a tie, without a branch: the
                # start-of-generation B neighbours from the class when synchronous,
                # the current ones (the score csc) otherwise
                if mode == SYNCHRONOUS:
                    k2 = np.int64(deg[i])
                    mb = np.int64(cls[i]) - np.int64(cls_off[i]) - old * (k2 + 1)
                    maj = np.int64(2 * mb > k2) | (np.int64(2 * mb == k2) & old)
                else:
                    maj = np.int64(csc[i] > 0)
                new_c = _sel(explore, random_norm, maj)
                if isc:  # conformist: the majority unless it explores
                    new_n = new_c
                    new_r = new_rate if mutate else r_i
                    if mode == REFERENCE:
                        replaced[i] = 1
                else:  # the protocol's rule, as without conformity
                    accept = _accept(uf, ct, ci, how, T, EP, PY, beta, R, rcode)
                    if direct:  # the other norm; no rate to imitate
                        tn = 1 - old
                        t_rate = r_i
                    elif mode == SYNCHRONOUS:
                        tn = np.int64(norm0[t])
                        t_rate = ridx0[t]
                    else:
                        tn = np.int64(norm[t])
                        t_rate = ridx[t]
                    if mode == REFERENCE and not evolving:
                        new_n = (random_norm if explore else tn) if accept else old
                        new_r = r_i
                        replaced[i] = accept
                    elif mode == REFERENCE:
                        new_n = tn if accept else (random_norm if explore else old)
                        new_r = t_rate if accept else (new_rate if mutate else r_i)
                        replaced[i] = explore | accept
                    else:
                        imitate = (1 - explore) * accept
                        new_n = random_norm if explore else (tn if accept else old)
                        new_r = new_rate if mutate else (t_rate if imitate else r_i)
                if evolving:
                    ridx[i] = new_r
                norm[i] = np.uint8(new_n)
                if mode == SYNCHRONOUS:
                    changed[n_changed] = i
                    n_changed += np.int64(new_n != old)
                elif new_n != old:  # the list, the scores of i's neighbours, and i's own
                    changed[n_changed] = i
                    n_changed += 1
                    d = np.int32(new_n - old)
                    for q in range(np.uint64(indptr[i]), np.uint64(indptr[i + np.uint64(1)])):
                        csc[np.uint64(indices[q])] += 4 * d
                    csc[i] += d
                continue
            # the Fermi test is a coin flip for the CPU: choose by indexing, not by a branch
            if not evolving and how == LUT and not structured:
                # one table word: the Fermi threshold, and the new norm for each
                # outcome of the draws as a mask (_rule_masks; bit 0: the old norm)
                e = T[(ct << np.uint64(8)) + ci]
                accept = np.uint64(uf < (e >> np.uint64(16)))
                sel = (
                    accept
                    | (np.uint64(ue < tmv) << np.uint64(1))
                    | (np.uint64(ue < thv) << np.uint64(2))
                )
                old = e & np.uint64(1)
                if direct and mode != SYNCHRONOUS:  # the candidate: the other norm
                    sel |= (np.uint64(1) - old) << np.uint64(3)
                elif mode != SYNCHRONOUS:  # the teacher's current norm
                    sel |= np.uint64(norm[t]) << np.uint64(3)
                new = (e >> sel) & np.uint64(1)
                if mode == REFERENCE:
                    replaced[i] = accept
                norm[i] = new
                changed[n_changed] = i  # kept only if i changed: no branch
                n_changed += np.int64(new != old)
                continue
            # (a structured protocol's candidate is adopted: it was chosen by payoff)
            accept = (
                np.int64(1) if structured else _accept(uf, ct, ci, how, T, EP, PY, beta, R, rcode)
            )
            old = np.uint64(norm0[i])  # i is visited once: its norm is still the start one
            if direct:
                teacher_norm = np.uint64(1) - old
            elif mode == SYNCHRONOUS:
                teacher_norm = np.uint64(norm0[t])
            else:
                teacher_norm = np.uint64(norm[t])
            if not evolving:
                explore = np.uint64(ue < tmv)
                random_norm = np.uint64(ue < thv)
                # the rule of this mode, as a table of the five bits (_fixed_rate_rule)
                new = np.uint64(
                    rule[
                        old
                        | (teacher_norm << np.uint64(1))
                        | (np.uint64(accept) << np.uint64(2))
                        | (explore << np.uint64(3))
                        | (random_norm << np.uint64(4))
                    ]
                )
                if mode == REFERENCE:
                    replaced[i] = accept
            else:
                if ahead:
                    y = by[b]
                else:
                    y, s0, s1, s2, s3 = _xo(s0, s1, s2, s3)
                um = y & _M32
                new_rate = np.int64(((y >> _S32) * Ku) >> _S32)
                r_i = ridx[i]
                explore = np.int64(ue < t_mu[r_i])
                random_norm = np.int64(ue < t_half[r_i])
                mutate = np.int64(um < t_rm)
                o = np.int64(old)
                tn = np.int64(teacher_norm)
                if mode == REFERENCE:  # the authors' order: explore, mutate the rate, imitate
                    new_n = _choose(two, accept, _sel(explore, random_norm, o), tn)
                    new_r = _choose(two, accept, _sel(mutate, new_rate, r_i), ridx[t])
                    replaced[i] = explore | accept
                else:
                    if direct:  # no rate to imitate
                        t_rate = r_i
                    else:
                        t_rate = ridx0[t] if mode == SYNCHRONOUS else ridx[t]
                    imitate = (1 - explore) * accept
                    new_n = _sel(explore, random_norm, _choose(two, imitate, o, tn))
                    new_r = _sel(mutate, new_rate, _choose(two, imitate, r_i, t_rate))
                new = np.uint64(new_n)
                ridx[i] = new_r  # rate counts: from ridx after the sweep
            norm[i] = new
            changed[n_changed] = i  # kept only if i changed: no branch
            n_changed += np.int64(new != old)

        # ---- apply the changes to classes and edge counts (in any order: the
        # result is the same); norm0 is the working state and ends equal to norm
        for h in range(n_changed):
            i = np.uint64(changed[h])
            # i's norm changes: a neighbour's class moves by one (its number of
            # B neighbours does), i's own by deg + 1; written out here, as an
            # inlined helper would add reference counting
            d = np.int64(norm[i]) - np.int64(norm0[i])  # +1: A -> B, -1: B -> A
            k = np.int64(deg[i])
            mb = np.int64(0)  # i's B neighbours
            for q in range(np.uint64(indptr[i]), np.uint64(indptr[i + np.uint64(1)])):
                j = np.uint64(indices[q])
                mb += np.int64(norm0[j])
                cls[j] += d
                if groups:  # j's pair with i: (norm j, old norm i) -> (norm j, new norm i)
                    gj = grp[j]
                    xj = 2 * np.int64(norm0[j])
                    gh[gj, xj] -= d
                    gh[gj, xj + 1] += d
            if groups:  # i's own pairs: k - mb with A neighbours, mb with B ones
                gi = grp[i]
                xo = 2 * np.int64(norm0[i])
                xn = 2 * np.int64(norm[i])
                gh[gi, xo] -= k - mb
                gh[gi, xo + 1] -= mb
                gh[gi, xn] += k - mb
                gh[gi, xn + 1] += mb
                gcb[gi] += d
            norm0[i] = norm[i]
            cls[i] += d * (k + 1)
            count_b += d
            e_ab += d * (k - 2 * mb)  # AB edges: from mb to k - mb (or back)
            e_bb += d * mb  # BB edges: i's mb B neighbours

        # ---- record
        snap_k = _record(out, g, count_b, n, norm, ridx, evolving, hist, snap_k)
        if groups:
            _record_groups(out, g, gcb, gh, grp, ridx, evolving)


@nb.njit(cache=True, nogil=True)
def _kernel_async(
    graph,
    tables,
    rates,
    out,
    phase,
    initial_b,
    state,
    mech,
    evolving,
    regular,
    how,
    mech_on,
    committed_rt,
    conform_rt,
    groups_rt,
    protocol,
):
    """Run one replicate in ``asynchronous`` mode, writing ``out`` (see :func:`_kernel`).

    A generation is N elementary steps. Each step draws a learner uniformly
    with replacement (Lemire's bounded draw), then its teacher and the
    exploration and Fermi draws as the other modes do; payoffs are those of
    the current state, so a change updates the classes of the learner and its
    neighbours at once. The rule is the sequential one: explore with
    probability mu (B iff ``u_e < mu/2``), otherwise copy the teacher's norm
    (and rate) if the Fermi test passes; with evolving rates the rate then
    mutates with probability ``rate_mutation``. Generation g records the edge
    counts at its start and the share of B after its N steps.

    The mechanisms as in :func:`_kernel` (run-time flags under ``mech_on``): a ``committed``
    learner takes its draws and changes nothing; with ``conform``ity a further
    draw ``z`` decides the branch, and the conformist takes the majority of its
    neighbours' current norms (its own on a tie) unless it explores, its rate
    mutating as the Fermi learner's does but never copied. With ``groups`` the
    initial norms take each group's share, a fixed exploration rate is the
    learner's group's (``tables.tmu_c``/``th_c``, indexed by its class), and each
    change also updates the per-group counts of B agents and of (member,
    neighbour) pairs; ``out.g_half[g]`` holds the pairs at the start of
    generation g (with ``out.edges``), ``out.g_count[g]`` the counts after its
    N steps.
    """
    conform = conform_rt  # the flags as in _kernel
    direct = protocol == DIRECT
    structured = protocol >= BEST_NEIGHBOUR
    rcode = tables.rule
    w = tables.w
    if mech_on:
        committed, groups = committed_rt, groups_rt
    else:
        committed, groups = False, False
    indptr, indices, deg = graph.indptr, graph.indices, graph.degree
    thr, E, pay, RG, beta = tables.thr, tables.E, tables.pay, tables.R, tables.beta
    t_mu, t_half, t_rm = rates.t_mu, rates.t_half, rates.t_rm
    n = deg.shape[0]
    G = phase.shape[0] - 1
    K = t_mu.shape[0]
    s = state.copy()
    norm, ridx, cls, count_b, e_ab, e_bb, e_total, fixed, ok = _initial_state(
        graph, tables, K, evolving, initial_b, s, mech, committed, groups
    )
    if not ok:
        out.share_b[0] = -1.0
        return
    t_gamma = mech.t_gamma
    tmu_c, th_c = tables.tmu_c, tables.th_c
    cls_off = tables.cls_off
    grp = mech.grp
    M = out.g_count.shape[1]
    gcb, gh = _group_counts(norm, cls, cls_off, deg, grp, M, groups)
    hist = np.zeros((4, K), dtype=np.int64)
    nu = np.uint64(n)
    kdeg = np.uint64(deg[0])
    tm0 = t_mu[0]
    th0 = t_half[0]
    Ku = np.uint64(K)
    out.edges[0, :] = 0
    snap_k = _record(out, 0, count_b, n, norm, ridx, evolving, hist, 0)
    if groups:
        _record_groups(out, 0, gcb, gh, grp, ridx, evolving)
    s0, s1, s2, s3 = s[0], s[1], s[2], s[3]

    for g in range(1, G + 1):
        ph = phase[g]
        T = thr[ph]
        EP = E[ph]
        PY = pay[ph]
        R = RG[ph]
        out.edges[g, 0] = e_total - e_ab - e_bb
        out.edges[g, 1] = e_ab
        out.edges[g, 2] = e_bb
        if groups:
            out.g_half[g, :, :] = gh
        fmax = tables.fmax[ph]
        for _ in range(n):
            if protocol == FITNESS_POPULATION:
                # Moran birth-death: a reproducer t by fitness (a uniform agent, accepted
                # with probability fitness / fmax), whose copy replaces the learner i, a
                # uniform neighbour of t (the low half of the accepting output)
                while True:
                    t, s0, s1, s2, s3 = _bounded(nu, s0, s1, s2, s3)
                    x, s0, s1, s2, s3 = _xo(s0, s1, s2, s3)
                    if np.float64(x >> _S32) * 2.0**-32 * fmax < _fitness(PY[np.uint64(cls[t])], w):
                        break
                mm = (x & _M32) * np.uint64(deg[t])
                i = np.uint64(indices[np.uint64(indptr[t]) + (mm >> _S32)])
            else:
                # the learner: uniform in 0..n-1, with replacement
                i, s0, s1, s2, s3 = _bounded(nu, s0, s1, s2, s3)
                x, s0, s1, s2, s3 = _xo(s0, s1, s2, s3)
                if regular:
                    mm = (x & _M32) * kdeg
                    t = np.uint64(indices[i * kdeg + (mm >> _S32)])
                else:
                    mm = (x & _M32) * np.uint64(deg[i])
                    t = np.uint64(indices[np.uint64(indptr[i]) + (mm >> _S32)])
            ue = mm & _M32
            uf = x >> _S32
            if protocol == BEST_NEIGHBOUR:  # the candidate from the current payoffs
                t = _best_in_closed(i, uf, indptr, indices, cls, PY)
            elif protocol == FITNESS_NEIGHBOUR:
                t = _fitness_neighbour(i, uf, indptr, indices, cls, PY, w)
            if committed or conform:
                if evolving:
                    y, s0, s1, s2, s3 = _xo(s0, s1, s2, s3)
                conformist = False
                if conform:
                    z, s0, s1, s2, s3 = _xo(s0, s1, s2, s3)
                    conformist = (z >> _S32) < t_gamma
                if committed:
                    if fixed[i]:  # a committed agent: its draws are consumed, nothing changes
                        continue
                old = np.int64(norm[i])
                r_i = ridx[i] if evolving else np.int64(0)
                if groups and not evolving:  # the exploration rate of i's group
                    tmv = tmu_c[np.uint64(cls[i])]
                    thv = th_c[np.uint64(cls[i])]
                else:
                    tmv = t_mu[r_i]
                    thv = t_half[r_i]
                if ue < tmv:
                    new = np.int64(ue < thv)
                elif conformist:  # the majority of the neighbours' current norms
                    k2 = np.int64(deg[i])
                    mb = np.int64(0)
                    for q in range(np.uint64(indptr[i]), np.uint64(indptr[i + np.uint64(1)])):
                        mb += np.int64(norm[np.uint64(indices[q])])
                    if 2 * mb > k2:
                        new = np.int64(1)
                    elif 2 * mb < k2:
                        new = np.int64(0)
                    else:
                        new = old
                elif direct:  # the other norm, from the current classes; no rate imitated
                    ci = np.uint64(cls[i])
                    ct = _other_class(ci, old, deg[i])
                    new = old
                    if _accept(uf, ct, ci, how, T, EP, PY, beta, R, rcode):
                        new = 1 - old
                elif structured or _accept(
                    uf, np.uint64(cls[t]), np.uint64(cls[i]), how, T, EP, PY, beta, R, rcode
                ):
                    new = np.int64(norm[t])
                    if evolving:
                        r_i = ridx[t]
                else:
                    new = old
                if evolving:
                    if (y & _M32) < t_rm:
                        r_i = np.int64(((y >> _S32) * Ku) >> _S32)
                    ridx[i] = r_i
            else:
                old = np.int64(norm[i])
                ci = np.uint64(cls[i])
                if direct:  # the candidate: i's class had it the other norm
                    ct = _other_class(ci, old, deg[i])
                    tn = 1 - old
                else:
                    ct = np.uint64(cls[t])
                    tn = np.int64(norm[t])
                accept = (
                    np.int64(1)
                    if structured
                    else _accept(uf, ct, ci, how, T, EP, PY, beta, R, rcode)
                )
                if not evolving:
                    if groups:  # the exploration rate of i's group (its class's)
                        tmv = tmu_c[ci]
                        thv = th_c[ci]
                    else:
                        tmv = tm0
                        thv = th0
                    if ue < tmv:
                        new = np.int64(ue < thv)
                    elif accept:
                        new = tn
                    else:
                        new = old
                else:
                    y, s0, s1, s2, s3 = _xo(s0, s1, s2, s3)
                    r_i = ridx[i]
                    if ue < t_mu[r_i]:
                        new = np.int64(ue < t_half[r_i])
                    elif accept:
                        new = tn
                        if not direct:  # a direct protocol imitates no rate
                            r_i = ridx[t]
                    else:
                        new = old
                    if (y & _M32) < t_rm:
                        r_i = np.int64(((y >> _S32) * Ku) >> _S32)
                    ridx[i] = r_i
            if new != old:  # apply at once: the next step sees the current payoffs
                d = new - old
                k = np.int64(deg[i])
                mb = np.int64(0)
                for q in range(np.uint64(indptr[i]), np.uint64(indptr[i + np.uint64(1)])):
                    j = np.uint64(indices[q])
                    mb += np.int64(norm[j])
                    cls[j] += d
                    if groups:  # j's pair with i: (norm j, old) -> (norm j, new)
                        gj = grp[j]
                        xj = 2 * np.int64(norm[j])
                        gh[gj, xj] -= d
                        gh[gj, xj + 1] += d
                if groups:  # i's own pairs: k - mb with A neighbours, mb with B ones
                    gi = grp[i]
                    gh[gi, 2 * old] -= k - mb
                    gh[gi, 2 * old + 1] -= mb
                    gh[gi, 2 * new] += k - mb
                    gh[gi, 2 * new + 1] += mb
                    gcb[gi] += d
                norm[i] = new
                cls[i] += d * (k + 1)
                count_b += d
                e_ab += d * (k - 2 * mb)
                e_bb += d * mb
        snap_k = _record(out, g, count_b, n, norm, ridx, evolving, hist, snap_k)
        if groups:
            _record_groups(out, g, gcb, gh, grp, ridx, evolving)


@nb.njit(cache=True)
def _fill_thresholds(pay, beta, R, cls_norm, masks, thr, rule):
    """``thr[ph, ct, ci] = threshold32(P(candidate class ct, learner class ci)) << 16
    | masks[norm of ct, norm of ci]`` (:func:`_rule_masks`), P the choice rule of
    the protocol of code ``rule`` (:func:`_adopt`).

    The same function as the Mesa agent's (:mod:`normsim.protocols.rules`; tests
    check that the two agree entry by entry)."""
    for ph in range(pay.shape[0]):
        for ct in range(pay.shape[1]):
            for ci in range(pay.shape[1]):  # thr's rows may be longer
                p32 = np.uint64(
                    math.ceil(_adopt(rule, pay[ph, ct], pay[ph, ci], beta, R[ph]) * 4294967296.0)
                )
                thr[ph, ct, ci] = (p32 << np.uint64(16)) | masks[cls_norm[ct], cls_norm[ci]]
