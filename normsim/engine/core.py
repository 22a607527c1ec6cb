"""Fast compiled engine for the agent-based model (docs/model/odd.md).

One compiled kernel (numba) runs one replicate through all its generations;
replicates are independent, each with its own random stream
(:mod:`normsim.draws`), so a replicate's series do not depend on how
replicates are batched or split across processes.

Per generation ``g`` (1..G), with the payoffs of ``ModelParams.game_at(g)``:

1. **Game phase**: every edge is played once; agent ``i`` with ``m`` neighbours
   playing B earns ``CoordinationGame.total_payoff(norm_i, n_same, n_other)``.
   Payoffs take few values: one per "payoff class" (norm, degree, ``m``),
   and each agent's class is kept up to date as norms change. With up to 256
   classes the Fermi probabilities between classes are looked up in a table
   filled by the expression of :func:`normsim.game.fermi_probability`; with
   more, the test is decided by a ratio of per-class exponentials and, when
   the draw is within 16 / 2**32 of it, by that expression (``_accept``):
   either way the decision is the expression's.
2. **Update phase**, drawing from the stream as :mod:`normsim.draws` lays out.
   For each agent ``i`` (teacher ``t``, ``P`` the Fermi probability from ``t``'s
   and ``i``'s payoffs, ``mu`` the fixed rate or ``i``'s own rate):

   * ``synchronous`` (index order; norms, rates and payoffs of the start of the
     generation): if ``u_e < mu`` explore (B iff ``u_e < mu/2``); else if
     ``u_f < P`` copy ``t``'s start-of-generation norm (and rate). Evolving
     rates: then, if ``u_m < rate_mutation``, take the new rate.
   * ``sequential`` (shuffled order; start-of-generation payoffs, ``t``'s
     *current* norm and rate): as ``synchronous``.
   * ``asynchronous`` (N elementary steps, each a learner drawn with
     replacement; *current* payoffs, norms and rates of learner and teacher):
     as ``sequential``, and each change updates the payoff classes at once
     (:func:`_kernel_async`).
   * ``reference`` (shuffled order; as ``sequential``, and a teacher replaced
     earlier in the sweep has payoff 0). Fixed ``mu``: if ``u_f < P``, ``i`` is
     replaced by a random norm if ``u_e < mu`` (B iff ``u_e < mu/2``), else by
     ``t``'s norm. Evolving rates, the authors' order: (1) if ``u_e < mu_i``
     explore (replaced); (2) if ``u_m < rate_mutation`` take the new rate; (3)
     if ``u_f < P`` copy ``t``'s current norm and rate (replaced).
3. **Record**: share of B, mean payoff of the game phase, counts of each rate.

How it is fast: the generator's state stays in registers; one 64-bit output
per agent (two with evolving rates), the sequential modes' shuffle fused with
the sweep; the fixed-rate update rule is a 32-entry table indexed by five
bits (no branch on the coin-flip Fermi test); the sweep only writes norms and
lists the agents that changed, and classes and edge counts are updated from
that list afterwards; 8-bit classes and 16-bit neighbour indices keep the
working set in cache; the kernel is compiled per mode, rate kind, graph kind
and Fermi test (numba ``literally``), cached on disk, and called without
numba's re-dispatch for every replicate after the first.

Examples
--------
>>> from normsim.params import ModelParams
from normsim.protocols import PROTOCOLS
>>> p = ModelParams(network={"kind": "grid", "rows": 10, "cols": 10}, generations=50)
>>> out = simulate(p, seeds=[1, 2])
>>> out.share_b.shape
(2, 51)
"""

from __future__ import annotations

import functools
import inspect
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import networkx as nx
import numba as nb
import numpy as np

from normsim.draws import graph_seed, stream_state
from normsim.engine.kernels import (  # noqa: F401  (the kernels' names, re-exported)
    _FIXED_RATE_RULES,
    AHEAD_MIN,
    ASYNCHRONOUS,
    BATCH,
    FERMI,
    FORMULA,
    IMITATIVE,
    LUT,
    NO_MECH,
    RATIO,
    REFERENCE,
    SEQUENTIAL,
    SYNCHRONOUS,
    GraphArgs,
    MechArgs,
    Outputs,
    RateArgs,
    TableArgs,
    _accept,
    _fill_thresholds,
    _run,
    _run_async,
    _run_conform,
    bounded_draws,
    stream_outputs,
)
from normsim.errors import NormsimError
from normsim.groups import group_labels, group_payoffs, group_values, n_groups
from normsim.groups import payoff_range as group_payoff_range
from normsim.initial import initial_state
from normsim.mechanisms import PLACEMENT_CODES, committed_count
from normsim.networks import Adjacency, adjacency, build_graph, is_random, relabel, spec_adjacency
from normsim.params import ModelParams
from normsim.protocols import PROTOCOLS

MODE_CODES = {
    "synchronous": SYNCHRONOUS,
    "sequential": SEQUENTIAL,
    "reference": REFERENCE,
    "asynchronous": ASYNCHRONOUS,
}
#: the largest number of payoff classes for which a Fermi lookup table is built
LUT_MAX_CLASSES = 256  # rows of 256 (a shift, not a multiply); at most 512 KiB a phase


#: the flags of :func:`_run`, by name: update mode, evolving rates, regular graph,
#: how the Fermi test is decided, whether any mechanism is in play (``mech_on``)
#: and conformity are compile-time (each set its own machine code: the plain
#: kernel carries no mechanism); committed agents are a run-time flag of the
#: mechanism kernels, and so are groups but with conformity (:func:`_run_conform`:
#: the run-time flag cost the synchronous conformist 10-15%), so that a study or
#: the test suite compiles few mechanism kernels, not one per combination (each
#: costs about 10 s)
_FLAGS = (
    "mode",
    "evolving",
    "regular",
    "how",
    "mech_on",
    "committed",
    "conform",
    "groups",
    "protocol",
)
_FLAG_POS = tuple(inspect.signature(_run.py_func).parameters).index(_FLAGS[0])
#: the compiled ``_run`` for each set of flags and argument types
_SPECIALISED: dict[tuple, Any] = {}


def _type_key(a: Any) -> Any:
    """What numba's typing of an argument depends on (arrays: dtype, rank, layout)."""
    if isinstance(a, np.ndarray):
        return (a.dtype.char, a.ndim, a.flags.c_contiguous, a.flags.writeable)
    if isinstance(a, tuple):
        return (type(a), *map(_type_key, a))
    return type(a)


def _call_run(
    graph: GraphArgs,
    tables: TableArgs,
    rates: RateArgs,
    out: Outputs,
    phase: np.ndarray,
    initial_b: float,
    state: np.ndarray,
    mech: MechArgs = NO_MECH,
    *,
    mode: int,
    evolving: bool,
    regular: bool,
    how: int,
    committed: bool = False,
    conform: bool = False,
    groups: bool = False,
    protocol: int = IMITATIVE,
) -> None:
    """Call :func:`_run`, skipping numba's dispatch after the first call with the
    same flags and argument types: re-dispatching a ``literally`` function types
    all its arguments again (about 10 ms), as long as a short replicate."""
    args = (
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
        committed or conform or groups,
        committed,
        conform,
        groups,
        protocol,
    )
    key = tuple(_type_key(a) for a in args[:_FLAG_POS]) + args[_FLAG_POS:]
    fn = _SPECIALISED.get(key)
    if fn is not None:
        fn(*args)
        return
    run = _run_async if mode == ASYNCHRONOUS else _run_conform if conform else _run
    run(*args)
    want = [nb.typeof(a) for a in args]
    # numba's table of compiled versions; should it change, every call simply
    # goes through the dispatcher (correct, 10 ms slower a replicate)
    for sig, cres in getattr(run, "overloads", {}).items():
        if all(
            (
                isinstance(t, nb.types.Literal)
                and t.literal_value == args[k]
                and type(t.literal_value) is type(args[k])
            )
            or (not isinstance(t, nb.types.Literal) and t == want[k])
            for k, t in enumerate(sig)
        ) and callable(getattr(cres, "entry_point", None)):
            _SPECIALISED[key] = cres.entry_point
            break


# ------------------------------------------------------------------ set-up
@dataclass(frozen=True)
class Tables:
    """Payoff classes and Fermi tables of one graph under one parameter set."""

    cls_off: np.ndarray  # per node: first class id of its degree block (uint8 if < 256 classes)
    pay: np.ndarray  # (P, n_classes): payoff of each class in each game of the run
    #                         (P = 2 without events: unshocked / shocked)
    thr: np.ndarray  # (P, n_cls, 256) or (P, 1, 1): ceil(2**32 P[phase, teacher, learner])
    #                         << 16 | the rule mask of _rule_masks
    E: np.ndarray  # (P, n_cls) or (P, 1): exp(beta * (payoff - mid) / R) for RATIO
    how: int  # LUT, RATIO or FORMULA (see _accept)
    zero_cls: int  # class of a replaced agent (payoff 0)
    R: float  # the payoff range of the initial game
    R_games: np.ndarray | None = None  # (P,): the payoff range of each game
    tmu_c: np.ndarray | None = None  # per class: the group's exploration thresholds
    th_c: np.ndarray | None = None  # (groups, fixed rate; else one unused entry)
    n_groups: int = 1
    fmax: np.ndarray | None = None  # (P,): the Moran rules' largest fitness in each game
    rule: int = 0  # the protocol's rule code (normsim.protocols.Protocol.code)

    @property
    def use_lut(self) -> bool:
        """Whether the Fermi test is a table lookup (at most 256 payoff classes)."""
        return self.how == LUT


def tables(adj: Adjacency, params: ModelParams, labels: np.ndarray | None = None) -> Tables:
    """Payoff classes ``(degree, norm, m)`` with their payoffs and Fermi probabilities.

    With groups (``labels``: each node's group, :mod:`normsim.groups`) a class is
    ``(group, degree, norm, m)``: each (group, degree) pair has its own block, whose
    payoffs are those of the group's game, and (fixed rate) its group's
    exploration thresholds ``tmu_c``, ``th_c``. The Fermi rule's R is then
    :func:`normsim.groups.payoff_range` of each phase's games."""
    grouped = labels is not None
    if labels is not None:
        assert params.groups is not None  # labels come from the groups' spec
        M = n_groups(params.groups, labels)
        kspan = adj.k_max + 1
        keys = labels.astype(np.int64) * kspan + adj.degree
        blocks = [(int(key // kspan), int(key % kspan)) for key in np.unique(keys)]
        phase_games, _ = params.group_games(M)
    else:
        M = 1
        keys = adj.degree
        blocks = [(0, int(k)) for k in np.unique(adj.degree)]
        phase_games = [(g,) for g in params.games()[0]]
    block_keys = np.unique(keys)
    offset = {}
    n_cls = 0
    for blk in blocks:
        offset[blk] = n_cls
        n_cls += 2 * (blk[1] + 1)
    zero_cls = n_cls
    n_cls += 1
    # per node through its block's position (a Python list of N ints would take
    # 36 bytes an agent for a moment)
    first = np.array([offset[blk] for blk in blocks], dtype=np.int64)
    cls_off = first[np.searchsorted(block_keys, keys)].astype(
        np.uint8 if n_cls <= 256 else np.int32
    )
    P = len(phase_games)
    pay = np.zeros((P, n_cls))
    for ph, games in enumerate(phase_games):
        for grp_, k in blocks:
            game = games[grp_]
            for norm in (0, 1):
                for m in range(k + 1):  # m neighbours play B
                    n_same = m if norm == 1 else k - m
                    pay[ph, offset[(grp_, k)] + norm * (k + 1) + m] = params.payoff(
                        game, norm, n_same, k - n_same
                    )
    k_lo, k_hi = adj.k_min, adj.k_max
    if grouped:
        R = params.rule_range(partial(group_payoff_range, phase_games[0]), k_lo, k_hi)
        R_games = np.array(
            [params.rule_range(partial(group_payoff_range, g), k_lo, k_hi) for g in phase_games]
        )
    else:
        R = params.rule_range(params.game.payoff_range, k_lo, k_hi)
        R_games = np.array([params.rule_range(g[0].payoff_range, k_lo, k_hi) for g in phase_games])
    tmu_c = np.zeros(1, dtype=np.uint64)
    th_c = np.zeros(1, dtype=np.uint64)
    if grouped and not params.evolving:
        assert params.groups is not None
        mu = group_values(params.groups, "exploration", params.exploration, M)
        tmu_c = np.zeros(n_cls, dtype=np.uint64)
        th_c = np.zeros(n_cls, dtype=np.uint64)
        for grp_, k in blocks:
            sl = slice(offset[(grp_, k)], offset[(grp_, k)] + 2 * (k + 1))
            tmu_c[sl] = threshold32(mu[grp_])
            th_c[sl] = threshold32(0.5 * mu[grp_])
    beta = float(params.beta)
    protocol = PROTOCOLS[params.protocol]
    rule = protocol.code
    fmax = np.zeros(P)
    if protocol.moran:  # refuses a fitness at or below 0
        fmax = np.array([params.check_fitness(g, k_lo, k_hi) for g in phase_games])
    thr = np.zeros((P, 1, 1), dtype=np.uint64)
    E = np.zeros((P, 1))
    if n_cls <= LUT_MAX_CLASSES:
        how = LUT
        thr = np.zeros((P, n_cls, LUT_MAX_CLASSES), dtype=np.uint64)
        cls_norm = np.zeros(n_cls, dtype=np.int64)  # the norm a class stands for
        for blk in blocks:
            k = blk[1]
            cls_norm[offset[blk] + k + 1 : offset[blk] + 2 * (k + 1)] = 1
        _fill_thresholds(pay, beta, R_games, cls_norm, _rule_masks(params.update), thr, rule)
        if params.update == "synchronous":  # bits 8-15: the conformist's new norm
            thr[:, :, :n_cls] |= _conformist_masks(blocks, offset, n_cls)[None, None, :]
    else:
        # exp(+-z) stays far from overflow and underflow: the ratio is accurate to ~1e-13
        mid = 0.5 * (pay.max() + pay.min())
        z = beta * (pay - mid) / R_games[:, None]
        # (the ratio of exponentials is the Fermi and logit rules' alone)
        ratio = protocol.choice in ("fermi", "logit") and np.abs(z).max() < 600.0
        how = RATIO if ratio else FORMULA
        if how == RATIO:
            E = np.exp(z)
    return Tables(cls_off, pay, thr, E, how, zero_cls, R, R_games, tmu_c, th_c, M, fmax, rule)


def _rule_masks(update: str) -> np.ndarray:
    """``mask[teacher class norm, learner norm]``: bit ``accept | explore << 1 |
    random_norm << 2 | teacher_norm << 3`` is the learner's new norm (fixed mu);
    bit 0 is the old norm.

    Synchronous updating copies the teacher's start-of-generation norm, the
    norm of its class: its masks fill bits 0-7 only, and bit 3 of its index is
    the conformist's branch instead (bits 8-15: :func:`_conformist_masks`); the
    sequential modes look the teacher's current norm up."""
    rule = _FIXED_RATE_RULES[1 if update == "reference" else 0]
    mask = np.zeros((2, 2), dtype=np.uint64)
    for ct_norm in (0, 1):
        for old in (0, 1):
            for b in range(8 if update == "synchronous" else 16):
                acc, ex, rn, tn = b & 1, (b >> 1) & 1, (b >> 2) & 1, (b >> 3) & 1
                teacher = ct_norm if update == "synchronous" else tn
                new = rule[old | (teacher << 1) | (acc << 2) | (ex << 3) | (rn << 4)]
                mask[ct_norm, old] |= np.uint64(int(new) << b)
    return mask


def _conformist_masks(blocks: list, offset: dict, n_cls: int) -> np.ndarray:
    """Per learner class, the conformist's new norm in synchronous updating as mask
    bits 8-15 of the table word (:func:`_rule_masks`; bit 3 of the index is the
    conformist's branch there, as the teacher's norm is the class's): bit ``8 |
    accept | explore << 1 | random_norm << 2`` is the random norm if it explores,
    else the majority of its ``m`` B neighbours among ``k`` (its own norm on a tie)."""
    out = np.zeros(n_cls, dtype=np.uint64)
    for blk in blocks:
        k = blk[1]
        for norm in (0, 1):
            for m in range(k + 1):
                maj = 1 if 2 * m > k else 0 if 2 * m < k else norm
                word = 0
                for b in range(8):
                    ex, rn = (b >> 1) & 1, (b >> 2) & 1
                    word |= (rn if ex else maj) << (8 + b)
                out[offset[blk] + norm * (k + 1) + m] = word
    return out


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
    share_new, share_new_uncommitted : (R, G+1) arrays or None
        With committed agents: the share of their norm (the "new" norm they
        push) among everyone and among the uncommitted agents (NaN when all are
        committed).
    group_share_b, group_mean_payoff : (R, G+1, M) arrays or None
        With groups (:mod:`normsim.groups`): each group's share of B and the mean
        payoff of its members (NaN at g = 0).
    group_mean_rate : (R, G+1, M) array or None
        With groups and evolving rates: each group's mean exploration rate.
    group_sizes : (R, M) array or None
        The number of agents in each group of each replicate.
    """

    share_b: np.ndarray
    mean_payoff: np.ndarray
    rate_shares: np.ndarray | None
    mean_rate: np.ndarray | None
    seeds: list[int]
    snapshots: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    share_new: np.ndarray | None = None
    share_new_uncommitted: np.ndarray | None = None
    group_share_b: np.ndarray | None = None
    group_mean_payoff: np.ndarray | None = None
    group_mean_rate: np.ndarray | None = None
    group_sizes: np.ndarray | None = None


type NetworkLike = Mapping[str, Any] | nx.Graph | Adjacency


def replicate_adjacency(network: NetworkLike, seed: int, base_dir=None) -> Adjacency:
    """The graph of the replicate with ``seed`` (random kinds use ``graph_seed(seed)``)."""
    if isinstance(network, Adjacency):
        return network
    if isinstance(network, nx.Graph):
        return adjacency(network)
    if is_random(network) or network.get("kind") == "edgelist":
        return spec_adjacency(network, seed=graph_seed(seed), base_dir=base_dir)
    # a fixed graph is the same for every replicate and every chunk of a run:
    # build it once per process (a 50 x 50 grid takes 50 ms in networkx)
    return _fixed_adjacency(json.dumps(dict(network), sort_keys=True))


@functools.lru_cache(maxsize=16)
def _fixed_adjacency(spec_json: str) -> Adjacency:
    adj = spec_adjacency(json.loads(spec_json))
    for a in (adj.indptr, adj.indices, adj.degree):
        a.flags.writeable = False  # shared by every caller
    return adj


def _read_only(a: np.ndarray) -> np.ndarray:
    """A read-only view of ``a`` (no copy). The kernels never write the graph, and
    numba compiles a kernel per argument type, writability included: a graph held
    read-only (a cached fixed graph) and one freshly built would otherwise take two
    compiled variants of the same kernel."""
    v = a.view()
    v.flags.writeable = False
    return v


def _graph_args(
    adj: Adjacency, params: ModelParams, labels: np.ndarray | None = None
) -> tuple[GraphArgs, TableArgs, bool, int]:
    """A graph's kernel arguments under ``params``: its CSR arrays (16-bit neighbour
    indices where they fit: half the cache footprint), its tables (with groups:
    ``labels``, each node's group), whether it is regular, and how the Fermi test
    is decided."""
    tb = tables(adj, params, labels)
    idx = adj.indices.astype(np.uint16) if adj.n <= 65536 else adj.indices
    return (
        GraphArgs(_read_only(adj.indptr), _read_only(idx), _read_only(adj.degree)),
        TableArgs(
            tb.cls_off,
            tb.pay,
            tb.thr.reshape(tb.pay.shape[0], -1),
            tb.E,
            tb.zero_cls,
            tb.R_games,
            float(params.beta),
            tb.tmu_c,
            tb.th_c,
            np.int64(tb.rule),
            float(params.selection_intensity),
            tb.fmax,
        ),
        bool(adj.k_min == adj.k_max),
        tb.how,
    )


def replicate_groups(
    params: ModelParams, adj: Adjacency, network: NetworkLike, seed: int, base_dir=None
) -> np.ndarray | None:
    """Each node's group in the replicate with ``seed`` (None without groups).

    ``network`` is what the graph was built from: a spec (an ``sbm`` cut to its
    largest component is built again as a networkx graph to read its blocks) or a
    networkx graph (``by: attribute`` reads its node attribute)."""
    if params.groups is None:
        return None
    graph = None
    if isinstance(network, nx.Graph):
        graph = relabel(network)
        spec: dict | None = None
    else:
        spec = dict(network) if isinstance(network, Mapping) else None
        if spec is not None and params.groups["by"] == "blocks" and spec.get("largest_component"):
            graph = build_graph(
                spec, seed=graph_seed(seed) if is_random(spec) else None, base_dir=base_dir
            )
    return group_labels(params.groups, spec, adj.n, graph, base_dir)


def committed_shares(
    share_b: np.ndarray, n: int, count: int, norm: int
) -> tuple[np.ndarray, np.ndarray]:
    """The share of the committed norm among everyone and among the ``n - count``
    uncommitted agents, from the share of B of a population of ``n`` with
    ``count`` agents committed to ``norm`` (0 = A, 1 = B)."""
    count_b = np.rint(np.asarray(share_b) * n)
    new_all = count_b if norm == 1 else n - count_b
    free = n - count
    with np.errstate(invalid="ignore", divide="ignore"):
        unc = (new_all - count) / free if free else np.full(np.shape(share_b), np.nan)
    return new_all / n, unc


def _protocol_code(params: ModelParams) -> int:
    """The kernels' compile-time code of the run's revision protocol: its kernel family
    (:attr:`normsim.protocols.Protocol.kernel`; the rule is ``tables.rule``)."""
    return PROTOCOLS[params.protocol].kernel


def initial_arrays(
    params: ModelParams, adj: Adjacency, network: NetworkLike | None = None, base_dir=None
) -> tuple[np.ndarray, np.ndarray]:
    """The kernel's ``init_norm`` and ``init_rate`` (:class:`~normsim.engine.kernels.MechArgs`)
    for ``params.initial`` (:mod:`normsim.initial`) on the graph ``adj``, built from
    ``network`` (a spec, or a graph given in Python; default ``params.network``):
    each node's initial norm and, from a snapshot with evolving rates, its rate index;
    empty arrays for what the stream draws."""
    norm, rate = NO_MECH.init_norm, NO_MECH.init_rate
    if params.initial is None:
        return norm, rate
    net = params.network if network is None else network
    norms, ridx = initial_state(
        params.initial,
        adj.indptr,
        adj.indices,
        net if isinstance(net, Mapping) else None,
        rates=params.rates,
        base_dir=base_dir,
    )
    return norms, (rate if ridx is None else np.ascontiguousarray(ridx, dtype=np.int64))


def mech_args(
    params: ModelParams,
    adj: Adjacency,
    labels: np.ndarray | None = None,
    initial: tuple[np.ndarray, np.ndarray] | None = None,
) -> MechArgs:
    """The kernel's :class:`~normsim.engine.kernels.MechArgs` for ``params`` on the graph
    ``adj`` (checks the committed agents against the graph); ``labels``: each node's group;
    ``initial``: :func:`initial_arrays` (default: that of ``params.network``)."""
    init_norm, init_rate = initial_arrays(params, adj) if initial is None else initial
    grp, g_ib = NO_MECH.grp, NO_MECH.g_ib
    if labels is not None:
        assert params.groups is not None  # labels come from the groups' spec
        grp = np.ascontiguousarray(labels, dtype=np.int64)
        g_ib = group_values(
            params.groups, "initial_b", params.initial_b, n_groups(params.groups, labels)
        )
    if params.committed is None and params.conformity == 0.0:
        return NO_MECH._replace(grp=grp, g_ib=g_ib, init_norm=init_norm, init_rate=init_rate)
    place = count = 0
    nodes = np.zeros(0, dtype=np.int64)
    cnorm = 0
    if params.committed is not None:
        cm = params.committed
        count = committed_count(cm, adj.n)
        place = PLACEMENT_CODES[cm["placement"]]
        if cm["nodes"] is not None:
            nodes = np.array(cm["nodes"], dtype=np.int64)
        cnorm = cm["norm"]
    return MechArgs(
        np.int64(place),
        np.int64(count),
        nodes,
        np.uint8(cnorm),
        np.uint64(threshold32(params.conformity)),
        grp,
        g_ib,
        init_norm,
        init_rate,
    )


def mean_payoff_series(params: ModelParams, edges: np.ndarray, n: int) -> np.ndarray:
    """Mean game-phase payoff per generation from the recorded edge counts.

    ``edges[..., g, :]`` holds generation g's AA, AB and BB edges; the payoff is
    :meth:`~normsim.game.CoordinationGame.mean_payoff` of the game played in generation g
    (NaN at g = 0, before any game)."""
    games, index = params.games()
    e_aa, e_ab, e_bb = edges[..., 0], edges[..., 1], edges[..., 2]
    out = np.empty(e_aa.shape)
    for k, game in enumerate(games):
        use = index == k
        if use.any():
            out[..., use] = game.mean_payoff(e_aa[..., use], e_ab[..., use], e_bb[..., use], n)
    out[..., 0] = np.nan
    return out


def simulate(
    params: ModelParams,
    seeds: Sequence[int],
    *,
    network: NetworkLike | None = None,
    snapshots: Sequence[int] = (),
    base_dir=None,
) -> Series:
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
    n_reps = len(seeds)
    rate_values = np.array(
        params.rates if params.evolving else (params.exploration,), dtype=np.float64
    )
    K = len(rate_values)
    rates = RateArgs(
        np.array([threshold32(r) for r in rate_values], dtype=np.uint64),
        np.array([threshold32(0.5 * r) for r in rate_values], dtype=np.uint64),
        np.uint64(threshold32(params.rate_mutation)),
    )
    games, phase = params.games()
    # a game index per generation: 8 bits as long as the games fit (shocks alone: 2)
    phase = phase.astype(np.uint8 if len(games) <= 256 else np.int32)
    snap_at = np.array(sorted(set(int(g) for g in snapshots if 0 <= int(g) <= G)), dtype=np.int64)
    share_b = np.empty((n_reps, G + 1))
    mean_pay = np.empty((n_reps, G + 1))
    edges = np.empty((G + 1, 3), dtype=np.int64)
    counts = np.empty((n_reps, G + 1, K), dtype=np.int64)
    snaps: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    rate_dtype = np.uint8 if K <= 256 else np.int64  # a byte an agent when rates fit
    shared = (
        None
        if (isinstance(net, Mapping) and is_random(net))
        else replicate_adjacency(net, 0, base_dir)
    )
    grouped = params.groups is not None
    shared_labels = (
        replicate_groups(params, shared, net, 0, base_dir) if shared is not None else None
    )
    shared_args = _graph_args(shared, params, shared_labels) if shared is not None else None
    committed = params.committed is not None
    conform = params.conformity > 0.0
    shared_mech = (
        mech_args(params, shared, shared_labels, initial_arrays(params, shared, net, base_dir))
        if shared is not None
        else None
    )
    share_new = np.empty((n_reps, G + 1)) if committed else None
    share_unc = np.empty((n_reps, G + 1)) if committed else None
    group_out: dict[str, list] = {"share": [], "pay": [], "rate": [], "size": []}
    for r, seed in enumerate(seeds):
        adj = shared if shared is not None else replicate_adjacency(net, seed, base_dir)
        labels = (
            shared_labels
            if shared is not None
            else replicate_groups(params, adj, net, seed, base_dir)
        )
        graph, tabs, regular, how = (
            shared_args if shared_args is not None else _graph_args(adj, params, labels)
        )
        M = (
            n_groups(params.groups, labels)
            if params.groups is not None and labels is not None
            else 0
        )
        out = Outputs(
            share_b[r],
            edges,
            counts[r],
            snap_at,
            np.zeros((len(snap_at), adj.n), dtype=np.int8),
            np.zeros((len(snap_at), adj.n), dtype=rate_dtype),
            np.zeros((G + 1 if grouped else 0, M), dtype=np.int64),
            np.zeros((G + 1 if grouped else 0, M, 4), dtype=np.int64),
            np.zeros((G + 1 if grouped and params.evolving else 0, M, K), dtype=np.int64),
        )
        mech = (
            shared_mech
            if shared_mech is not None
            else mech_args(params, adj, labels, initial_arrays(params, adj, net, base_dir))
        )
        if grouped:
            g_phase = params.group_games(M)[1]
            phase_r = g_phase.astype(np.uint8 if g_phase.max() < 256 else np.int32)
        else:
            phase_r = phase
        _call_run(
            graph,
            tabs,
            rates,
            out,
            phase_r,
            float(params.initial_b),
            stream_state(seed),
            mech,
            mode=MODE_CODES[params.update],
            evolving=params.evolving,
            regular=regular,
            how=how,
            committed=committed,
            conform=conform,
            groups=grouped,
            protocol=_protocol_code(params),
        )
        if share_b[r, 0] < 0:
            raise NormsimError(
                f"population.committed: placement cluster: a connected ball of "
                f"{int(mech.count)} nodes does not fit in the component of the centre drawn "
                f"for replicate seed {seed}"
            )
        if share_new is not None and share_unc is not None:
            share_new[r], share_unc[r] = committed_shares(
                share_b[r], adj.n, int(mech.count), int(mech.cnorm)
            )
        if grouped:
            assert labels is not None  # replicate_groups gives labels with groups
            sizes = np.bincount(labels, minlength=M)
            g_games, g_index = params.group_games(M)
            totals = np.full((G + 1, M), np.nan)
            for k, games_k in enumerate(g_games):
                use = g_index == k
                use[0] = False
                if use.any():
                    totals[use] = group_payoffs(games_k, out.g_half[use])
            mean_pay[r] = totals.sum(axis=1) / adj.n
            with np.errstate(invalid="ignore", divide="ignore"):
                group_out["share"].append(out.g_count / sizes)
                group_out["pay"].append(totals / sizes)
                if params.evolving:
                    group_out["rate"].append((out.g_rates * rate_values).sum(axis=2) / sizes)
            group_out["size"].append(sizes)
        else:
            mean_pay[r] = mean_payoff_series(params, edges, adj.n)
        for k, g in enumerate(snap_at):
            norms, ridx = snaps.setdefault(
                int(g), (np.zeros((n_reps, adj.n), np.int8), np.zeros((n_reps, adj.n), rate_dtype))
            )
            if norms.shape[1] == adj.n:
                norms[r] = out.snap_norm[k]
                ridx[r] = out.snap_rate[k]
    rate_shares: np.ndarray | None
    mean_rate: np.ndarray | None
    if params.evolving:
        n_agents = counts.sum(axis=2, keepdims=True)
        rate_shares = counts / n_agents
        mean_rate = (counts * rate_values).sum(axis=2) / n_agents[..., 0]
    else:
        rate_shares = mean_rate = None
    groups_series = {}
    if grouped:
        widths = {len(x) for x in group_out["size"]}
        if len(widths) == 1:
            groups_series = {
                "group_share_b": np.stack(group_out["share"]),
                "group_mean_payoff": np.stack(group_out["pay"]),
                "group_mean_rate": np.stack(group_out["rate"]) if params.evolving else None,
                "group_sizes": np.stack(group_out["size"]),
            }
        else:
            raise NormsimError("population.groups: the replicates have different numbers of groups")
    return Series(
        share_b,
        mean_pay,
        rate_shares,
        mean_rate,
        seeds,
        snaps,
        share_new,
        share_unc,
        **groups_series,
    )
