"""An obviously-correct, slow, per-agent implementation of the model (docs/model/odd.md).

Written straight from the model description, independently of the engine: payoffs are
summed game by game, probabilities compared as floats, one agent at a time.
It consumes the random stream in the order :mod:`normsim.draws` documents, so
its share-of-B series must equal the engine's exactly.
"""

from __future__ import annotations

import math

import numpy as np

from normsim.draws import DrawStream
from normsim.networks import Adjacency
from normsim.params import ModelParams
from normsim.snapshots import read_snapshots


def fermi(pt: float, pi: float, beta: float, R: float) -> float:
    z = -beta * (pt - pi) / R
    return 0.0 if z > 700 else 1.0 / (1.0 + math.exp(z))


def imitation_probability(protocol: str, pt: float, pi: float, beta: float, R: float) -> float:
    """The probability of copying the teacher under each imitative protocol."""
    if protocol in ("voter", "imitate_the_best", "moran_death_birth", "moran_birth_death"):
        return 1.0  # (the structured protocols adopt the candidate they chose)
    if protocol == "imitate_if_better":
        return 1.0 if pt > pi else 0.0
    if protocol == "pairwise_difference":
        return min(1.0, max(0.0, pt - pi) / R)
    return fermi(pt, pi, beta, R)


def place(spec, nbrs, rs):
    """The committed nodes, as normsim.draws documents the placement."""
    N = len(nbrs)
    if spec["placement"] == "nodes":
        return list(spec["nodes"])
    k = (
        len(spec["nodes"])
        if spec["nodes"]
        else (
            spec["count"] if spec["count"] is not None else math.floor(spec["fraction"] * N + 0.5)
        )
    )
    if spec["placement"] == "random":
        pool = list(range(N))
        for j in range(k):
            r = j + rs.bounded(N - j)
            pool[j], pool[r] = pool[r], pool[j]
        return pool[:k]
    if spec["placement"] == "hubs":
        key = [rs.next() for _ in range(N)]
        return sorted(range(N), key=lambda i: (-len(nbrs[i]), key[i], i))[:k]
    return ball(nbrs, rs.bounded(N), k)  # cluster: breadth first from a random node


def ball(nbrs, start, k):
    """The first k nodes of a breadth-first search from ``start``, layer by layer,
    each layer in the order its nodes are first reached (neighbours in increasing order)."""
    out, frontier = [start], [start]
    while frontier and len(out) < k:
        nxt = []
        for i in frontier:
            for j in sorted(nbrs[i]):
                if j not in out and j not in nxt:
                    nxt.append(j)
        out += nxt
        frontier = nxt
    return out[:k]


def slow_initial(params: ModelParams, nbrs, base_dir=None):
    """The initial norms (a list) and rate indices (a list, or None) of
    ``params.initial``, straight from its description (normsim.initial)."""
    N = len(nbrs)
    spec = params.initial
    if "nodes" in spec:
        return [int(i in spec["nodes"]) for i in range(N)], None
    if "block" in spec:
        net = params.network
        rows, cols, side = net["rows"], net["cols"], spec["block"]["side"]
        r0, c0 = spec["block"]["corner"]
        inside = {((r0 + a) % rows, (c0 + b) % cols) for a in range(side) for b in range(side)}
        return [int((i // cols, i % cols) in inside) for i in range(N)], None
    if "ball" in spec:
        chosen = ball(nbrs, spec["ball"]["centre"], spec["ball"]["count"])
        return [int(i in chosen) for i in range(N)], None
    snap = spec["snapshot"]
    from pathlib import Path

    path = Path(snap["path"])
    path = path if path.is_absolute() or base_dir is None else Path(base_dir) / path
    found = read_snapshots(
        path, rep=snap["replicate"], generation=snap["generation"], condition=snap["condition"]
    )
    last = max(found, key=lambda x: x.generation)
    rates = None
    if params.evolving and last.rate_index is not None:
        rates = [int(x) for x in last.rate_index]
    return [int(x) for x in last.norms], rates


def slow_groups(params: ModelParams, N: int) -> list[int]:
    """Each node's group, straight from the spec (normsim.groups documents the numbering)."""
    g, net = params.groups, params.network
    if g["by"] == "blocks":
        return [k for k, size in enumerate(net["sizes"]) for _ in range(size)]
    if g["by"] == "cliques":
        return [i // net["size"] for i in range(N)]
    assert g["by"] == "halves"
    return [0 if (i % net["cols"]) * 2 < net["cols"] else 1 for i in range(N)]


def slow_simulate(
    params: ModelParams, adj: Adjacency, seed: int, with_groups: bool = False, base_dir=None
):
    """Return (share_b, mean_payoff, rate_counts) lists for one replicate (and, with
    ``with_groups``, the per-group share of B and mean payoff, each (G+1, M));
    ``base_dir``: where a snapshot's path is read from."""
    rs = DrawStream(seed)
    N = adj.n
    nbrs = [list(map(int, adj.neighbors(i))) for i in range(N)]
    K = len(params.rates) if params.evolving else 1
    grouped = params.groups is not None
    group = slow_groups(params, N) if grouped else [0] * N
    M = max(group) + 1
    gspec = params.groups or {"c": None, "exploration": None, "initial_b": None}
    g_mu = gspec["exploration"] or [params.exploration] * M
    g_ib = gspec["initial_b"] or [params.initial_b] * M
    norm = [1 if rs.u53(rs.next()) < g_ib[group[i]] else 0 for i in range(N)]
    rate = [rs.pick(rs.next(), K) for _ in range(N)] if params.evolving else [0] * N
    if params.initial is not None:  # the draws above are taken, their outcome replaced
        norm, given_rates = slow_initial(params, nbrs, base_dir)
        rate = given_rates if given_rates is not None else rate
    committed = set(place(params.committed, nbrs, rs)) if params.committed else set()
    for i in committed:
        norm[i] = params.committed["norm"]
    kmin, kmax = min(map(len, nbrs)), max(map(len, nbrs))
    order = list(range(N))
    share = [sum(norm) / N]
    mean_pay = [float("nan")]
    rcounts = [[rate.count(k) for k in range(K)]]
    size = [group.count(k) for k in range(M)]

    def group_shares():
        return [sum(norm[i] for i in range(N) if group[i] == k) / size[k] for k in range(M)]

    g_share = [group_shares()]
    g_pay = [[float("nan")] * M]
    for g in range(1, params.generations + 1):
        game = params.game_at(g)
        # the payoff range: average payoffs span one game's (degrees 1); raw payoffs: R = 1
        k_lo, k_hi = (1, 1) if params.payoffs == "average" else (kmin, kmax)
        R = game.payoff_range(k_lo, k_hi)
        if grouped:  # each agent its own group's game; R: the spread of every payoff
            games = params.group_game_at(g, M)
            if params.matrix is not None:  # the extreme entries at either degree
                ends = [v * k for x in games for v in x.matrix().ravel() for k in (k_lo, k_hi)]
                best, worst = max(ends), min(ends)
            else:
                best = max(max(x.a, x.b) * k_hi for x in games)  # everyone coordinated
                worst = min((1 - x.c) * min(x.a, x.b) * k_lo for x in games)
            R = best - worst if best - worst > 0 else 1.0
        else:
            games = [game]
        if params.normalisation == "raw":
            R = 1.0
        per = (lambda i: len(nbrs[i])) if params.payoffs == "average" else (lambda i: 1)

        def exact(i, own, seen, games=games, per=per):
            """i's payoff holding ``own`` against the norms ``seen``, by the payoff
            formula (strict comparisons decide ties on exact values)."""
            gm = games[group[i]]
            n_own = sum(1 for j in nbrs[i] if seen[j] == own)
            return gm.total_payoff(own, n_own, len(nbrs[i]) - n_own) / per(i)

        total = [sum(games[group[i]].payoff(norm[i], norm[j]) for j in nbrs[i]) for i in range(N)]
        payoff = [total[i] / per(i) for i in range(N)]  # what the rules compare
        payoff_f = [exact(i, norm[i], norm) for i in range(N)]  # the game phase's, by formula
        w = params.selection_intensity

        def fit(pay, w=w):
            return (1.0 - w) + w * pay

        # the largest fitness: from the largest payoff an agent can earn (degrees k_hi,
        # or k_lo for a negative matrix entry)
        top = max(
            max(max(x.matrix().ravel()) * k_hi, max(x.matrix().ravel()) * k_lo)
            if params.matrix is not None
            else max(x.a, x.b) * k_hi
            for x in games
        )
        fmax = fit(top)
        mean_pay.append(sum(total) / N)  # the game phase's totals, whatever the rules compare
        g_pay.append([sum(total[i] for i in range(N) if group[i] == k) / size[k] for k in range(M)])
        start_norm, start_rate = list(norm), list(rate)
        replaced = [False] * N
        spare = None  # the spare half of an earlier output: the conformist's uniform
        for pos in range(N - 1, -1, -1):
            if params.update == "synchronous":
                i = N - 1 - pos
            elif params.protocol == "moran_birth_death":  # a reproducer t by fitness
                while True:  # uniform, accepted with probability fitness / fmax
                    t = rs.bounded(N)
                    x = rs.next()
                    if rs.hi(x) * fmax < fit(exact(t, norm[t], norm)):
                        break
                k, _ = rs.split(x & 0xFFFFFFFF, len(nbrs[t]))
                i = nbrs[t][k]  # its copy replaces this neighbour
            elif params.update == "asynchronous":  # a random learner, with replacement
                i = rs.bounded(N)
            else:  # Fisher-Yates, visiting each position once it is final
                spare = None  # lo of the swap's first output
                if pos:
                    r, spare = rs.bounded_lo(pos + 1)
                    order[pos], order[r] = order[r], order[pos]
                i = order[pos]
            if params.protocol == "moran_birth_death":  # x accepted the reproducer t
                _, u_e = rs.split(x & 0xFFFFFFFF, len(nbrs[t]))
            else:
                x = rs.next()
                k, u_e = rs.split(x & 0xFFFFFFFF, len(nbrs[i]))
                t = nbrs[i][k]
            u_f = rs.hi(x)
            if params.evolving:
                y = rs.next()
                new_rate, u_m = rs.pick(y, K), rs.lo(y)
            if params.conformity > 0:  # when synchronous, agents 2k, 2k+1 share one z
                if spare is None or params.update == "asynchronous":
                    z = rs.next()
                    u_c = rs.hi(z)
                    spare = rs.lo(z) if params.update == "synchronous" else None
                else:
                    u_c, spare = spare, None
            conform = params.conformity > 0 and u_c < params.conformity
            if i in committed:
                continue
            mu = params.rates[rate[i]] if params.evolving else g_mu[group[i]]
            if conform:  # the neighbours' majority; exploration with prob. mu in every mode
                seen = start_norm if params.update == "synchronous" else norm
                b = sum(seen[j] for j in nbrs[i])
                a = len(nbrs[i]) - b
                maj = norm[i] if a == b else int(b > a)
                norm[i] = (1 if u_e < mu / 2 else 0) if u_e < mu else maj
                if params.evolving and u_m < params.rate_mutation:
                    rate[i] = new_rate
                replaced[i] = True
                continue
            if params.protocol in ("best_response", "logit"):  # direct protocols: no teacher
                # the neighbours' norms of the game phase, or current ones when asynchronous;
                # both payoffs by the payoff formula (a tie is decided on its exact values)
                seen = norm if params.update == "asynchronous" else start_norm
                own = norm[i]
                own_total = exact(i, own, seen)
                other_total = exact(i, 1 - own, seen)
                switch = (
                    other_total > own_total
                    if params.protocol == "best_response"
                    else u_f < fermi(other_total, own_total, params.beta, R)
                )
                if u_e < mu:
                    norm[i] = 1 if u_e < mu / 2 else 0
                elif switch:
                    norm[i] = 1 - own
                if params.evolving and u_m < params.rate_mutation:
                    rate[i] = new_rate
                continue
            if params.protocol in ("imitate_the_best", "moran_death_birth"):
                # payoffs by the formula (ties and running sums on exact values): the
                # game phase's, or the current ones when asynchronous
                def now(j, pf=payoff_f):
                    return exact(j, norm[j], norm) if params.update == "asynchronous" else pf[j]

                if params.protocol == "imitate_the_best":
                    pool = [i] + nbrs[i]
                    best = max(now(j) for j in pool)
                    tied = [j for j in pool if now(j) == best]
                    t = tied[int(u_f * len(tied))]
                else:
                    fits = [fit(now(j)) for j in nbrs[i]]
                    total = 0.0
                    for f in fits:
                        total += f
                    cum, target = 0.0, u_f * total
                    for j, f in zip(nbrs[i], fits, strict=True):
                        cum += f
                        if target < cum:
                            t = j
                            break
            teacher_pay, own_pay = payoff[t], payoff[i]
            if params.update == "reference" and replaced[t]:
                teacher_pay = 0.0
            if params.update == "asynchronous":  # the payoffs of the current state
                own_pay = sum(games[group[i]].payoff(norm[i], norm[j]) for j in nbrs[i]) / per(i)
                teacher_pay = sum(games[group[t]].payoff(norm[t], norm[j]) for j in nbrs[t]) / per(
                    t
                )
            if params.protocol in ("imitate_if_better", "pairwise_difference"):
                # payoffs by the formula: a tie is decided on its exact values
                if params.update == "asynchronous":
                    own_pay, teacher_pay = exact(i, norm[i], norm), exact(t, norm[t], norm)
                else:  # the game phase's
                    own_pay, teacher_pay = payoff_f[i], payoff_f[t]
                    if params.update == "reference" and replaced[t]:
                        teacher_pay = 0.0
            P = imitation_probability(params.protocol, teacher_pay, own_pay, params.beta, R)
            coin = 1 if u_e < mu / 2 else 0
            if params.update in ("synchronous", "sequential", "asynchronous"):
                # synchronous copies the teacher's start-of-generation state,
                # the others its current one
                sync = params.update == "synchronous"
                if u_e < mu:
                    norm[i] = coin
                elif u_f < P:
                    norm[i] = start_norm[t] if sync else norm[t]
                    rate[i] = start_rate[t] if sync else rate[t]
                if params.evolving and u_m < params.rate_mutation:
                    rate[i] = new_rate
            elif not params.evolving:  # reference, fixed rate
                if u_f < P:
                    norm[i] = coin if u_e < mu else norm[t]
                    replaced[i] = True
            else:  # reference, evolving: explore, mutate rate, imitate
                if u_e < mu:
                    norm[i] = coin
                    replaced[i] = True
                if u_m < params.rate_mutation:
                    rate[i] = new_rate
                if u_f < P:
                    norm[i] = norm[t]
                    rate[i] = rate[t]
                    replaced[i] = True
        share.append(sum(norm) / N)
        rcounts.append([rate.count(k) for k in range(K)])
        g_share.append(group_shares())
    if with_groups:
        return (
            np.array(share),
            np.array(mean_pay),
            np.array(rcounts),
            np.array(g_share),
            np.array(g_pay),
        )
    return np.array(share), np.array(mean_pay), np.array(rcounts)
