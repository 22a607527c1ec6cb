"""Revision protocols: the registry feeds every part of normsim, each protocol gives the
same series in the engine, the Mesa model and the slow model, best response has the
properties of the best-response dynamic, and bad input is one line."""

import dataclasses
import inspect
import re
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from normsim.engine import replicate_adjacency, simulate
from normsim.errors import NormsimError
from normsim.game import CoordinationGame
from normsim.model import NormChangeModel
from normsim.params import ModelParams
from normsim.protocols import CHOICE_RULES, DEFAULT, KERNELS, PAYOFFS, PROTOCOLS, resolve

import normsim_docs
from support import slow_model
from support.cases import EXPLORATION, NETWORKS
from support.clirun import normsim
from support.equivalence import assert_equivalent

ROOT = Path(__file__).resolve().parents[2]

#: every registered protocol in every visiting order it supports
PROTOCOL_ORDERS = [(p.name, order) for p in PROTOCOLS.values() for order in p.orders]


def _params(protocol, update, expl, net="grid", **kw):
    return ModelParams(
        a=0.6,
        b=0.4,
        c=0.5,
        network=NETWORKS[net] if isinstance(net, str) else net,
        update=update,
        initial_b=0.5,
        generations=25,
        shocks=(12,),
        protocol=protocol,
        **EXPLORATION[expl],
        **kw,
    )


def _smoke_order(name: str) -> str:
    return next(o for o in ("sequential", "asynchronous") if o in PROTOCOLS[name].orders)


# ---------------------------------------------------------------- the registry
def test_every_protocol_is_complete_in_every_place_that_reads_the_registry():
    """A registered protocol has its kernel code, its rule in the kernels, a schema value,
    documentation, a page choice, a Mesa step, a slow-model branch and draw rows."""
    from normsim.scenario import Scenario
    from normsim.viz.app import protocol_choices

    codes = [p.code for p in PROTOCOLS.values()]
    assert sorted(codes) == list(range(len(codes))), "codes are 0..n-1 (the kernels' rule codes)"
    assert DEFAULT in PROTOCOLS
    protocols_page = (ROOT / "docs" / "reference" / "protocols.md").read_text()
    odd = (ROOT / "docs" / "model" / "odd.md").read_text()
    slow_src = inspect.getsource(slow_model)
    for p in PROTOCOLS.values():
        assert p.choice in CHOICE_RULES and p.orders and p.doc and p.draws and p.rates
        assert p.kernel in KERNELS.values() and (p.kernel == KERNELS["none"]) == p.direct
        assert set(p.payoffs) <= set(PAYOFFS)
        sc = Scenario.model_validate(
            {"name": "x", "dynamics": {"protocol": p.name, "update": p.orders[0]}}
        )
        assert sc.dynamics.protocol == p.name
        assert p.name in protocol_choices()
        assert f"`{p.name}`" in odd, f"docs/model/odd.md does not describe {p.name}"
        assert "normsim-protocols" in protocols_page  # the page is generated from PROTOCOLS
        if p.name != DEFAULT:
            assert f'"{p.name}"' in slow_src, f"support/slow_model.py has no branch for {p.name}"
        m = NormChangeModel(params=_params(p.name, p.orders[0], "fixed"), seed=3)
        m.step()  # the Mesa step runs it
    rows = normsim_docs.protocol_rows()
    assert [r[0] for r in rows] == [f"``{name}``" for name in PROTOCOLS]


@pytest.mark.parametrize("name", list(PROTOCOLS))
def test_the_kernels_decide_with_the_same_rule_function_as_the_mesa_agent(name):
    from normsim.engine.kernels import _adopt

    p = PROTOCOLS[name]
    rng = np.random.default_rng(5)
    for _ in range(200):
        pc, pi = rng.choice([0.0, 0.3, 1.7, 2.4], 2) if rng.random() < 0.3 else rng.random(2) * 3
        beta, R = rng.random() * 10, 0.1 + rng.random() * 4
        assert _adopt(p.code, pc, pi, beta, R) == p.rule(pc, pi, beta, R)


def test_the_table_of_a_direct_protocol_holds_its_rule():
    """Every lookup-table entry is the rule's threshold of the two classes' payoffs."""
    from normsim.engine import tables
    from normsim.engine.core import replicate_adjacency, threshold32

    for name, p in PROTOCOLS.items():
        params = _params(name, p.orders[0], "fixed", net="erdos_renyi")
        adj = replicate_adjacency(params.network, 1)
        tb = tables(adj, params)
        n = tb.pay.shape[1]
        for ph in range(tb.pay.shape[0]):
            for ct in range(n):
                for ci in range(n):
                    want = threshold32(
                        p.rule(tb.pay[ph, ct], tb.pay[ph, ci], params.beta, tb.R_games[ph])
                    )
                    assert int(tb.thr[ph, ct, ci]) >> 16 == want


# ---------------------------------------------------------------- equivalence
@pytest.mark.parametrize(
    "protocol,update,expl",
    [
        pytest.param(
            name,
            update,
            expl,
            # the smoke case of each protocol in the default tier: its first order of
            # sequential and asynchronous, with a fixed rate
            marks=() if (update, expl) == (_smoke_order(name), "fixed") else (pytest.mark.kernels,),
            id=f"{name}-{update}-{expl}",
        )
        for name, update in PROTOCOL_ORDERS
        if name != DEFAULT
        for expl in EXPLORATION
    ],
)
def test_engine_equals_mesa_and_slow_model(protocol, update, expl):
    # birth-death (asynchronous only) on the irregular graph: the kernel variant the
    # default tier compiles for its fixation test anyway
    net = "erdos_renyi" if protocol == "moran_birth_death" else "grid"
    assert_equivalent(_params(protocol, update, expl, net=net), [11, 12])


@pytest.mark.kernels
@pytest.mark.parametrize("net", ["watts_strogatz", "erdos_renyi"])
@pytest.mark.parametrize("protocol,update", [x for x in PROTOCOL_ORDERS if x[0] != DEFAULT])
def test_engine_equals_mesa_and_slow_model_on_irregular_graphs(protocol, update, net):
    assert_equivalent(_params(protocol, update, "fixed", net=net), [21, 22])


MECHANISMS = {
    "committed": {"committed": {"fraction": 0.2, "norm": "B", "placement": "random"}},
    "conformity": {"conformity": 0.4},
    "both": {"committed": {"fraction": 0.15, "placement": "cluster"}, "conformity": 0.3},
    "groups": {"groups": {"c": [0.2, 0.8], "exploration": [0.05, 0.2]}},
}


@pytest.mark.kernels
@pytest.mark.parametrize(
    "protocol,update,mech,expl",
    [
        (name, update, mech, expl)
        for name, update in PROTOCOL_ORDERS
        if name != DEFAULT
        for mech, expl in [(m, "fixed") for m in MECHANISMS] + [("both", "evolving")]
        # a structured protocol refuses conformity; it takes committed agents alone
        if not (PROTOCOLS[name].structured and "conformity" in MECHANISMS[mech])
    ]
    + [
        (name, update, "committed", "evolving")
        for name, update in PROTOCOL_ORDERS
        if PROTOCOLS[name].structured
    ],
)
def test_engine_equals_mesa_and_slow_model_with_each_mechanism(protocol, update, mech, expl):
    """Each mechanism with a fixed rate, and both together with evolving rates (the
    mechanisms' own kernels: normsim.engine.warm's set ``all``)."""
    net = {"kind": "grid", "rows": 6, "cols": 6, "periodic": True}  # halves: even columns
    assert_equivalent(_params(protocol, update, expl, net=net, **MECHANISMS[mech]), [31, 32])


# ---------------------------------------------------------------- best response
def _best_response_map(game: CoordinationGame, n: int, n_b: int) -> int:
    """The next number of B agents of the synchronous best-response dynamic on the
    complete graph K_n: every agent sees the others' norms and switches iff the other
    norm's total payoff is strictly higher (computed here from the payoff matrix)."""
    M = game.matrix()

    def total(own, n_a_others, n_b_others):
        return n_a_others * M[own, 0] + n_b_others * M[own, 1]

    a_agents, b_agents = n - n_b, n_b
    # an A agent sees n_a - 1 A's and n_b B's; a B agent sees n_a A's and n_b - 1 B's
    a_switch = a_agents > 0 and total(1, a_agents - 1, b_agents) > total(0, a_agents - 1, b_agents)
    b_switch = b_agents > 0 and total(0, a_agents, b_agents - 1) > total(1, a_agents, b_agents - 1)
    return (a_agents if a_switch else 0) + (0 if b_switch else b_agents)


@pytest.mark.parametrize("a,b,c,initial_b", [(0.6, 0.4, 0.5, 0.5), (0.4, 0.6, 0.9, 0.3)])
def test_best_response_without_exploration_on_a_complete_graph_is_the_deterministic_dynamic(
    a, b, c, initial_b
):
    n = 21
    p = ModelParams(
        a=a,
        b=b,
        c=c,
        network={"kind": "complete", "n": n},
        update="synchronous",
        protocol="best_response",
        exploration=0.0,
        initial_b=initial_b,
        generations=12,
    )
    for seed in range(6):
        share = simulate(p, [seed]).share_b[0]
        n_b = round(share[0] * n)
        want = [n_b]
        for _ in range(p.generations):
            n_b = _best_response_map(p.game, n, n_b)
            want.append(n_b)
        np.testing.assert_array_equal(np.rint(share * n).astype(int), want)


@pytest.mark.parametrize("update", PROTOCOLS["best_response"].orders)
def test_under_best_response_a_node_whose_neighbours_all_hold_its_norm_never_changes(update):
    """Without exploration, where coordinating pays more than miscoordinating with the
    other norm (a, b > (1 - c) max(a, b)), an agent whose neighbours all hold its norm
    keeps it. In the sweep orders the neighbours of the start of the generation count:
    checked on snapshots of every generation. In the asynchronous order they change
    between steps, so the check there is that a unanimous population never moves."""
    p = ModelParams(
        a=0.6,
        b=0.5,
        c=0.5,
        network={"kind": "grid", "rows": 8, "cols": 8, "periodic": True},
        update=update,
        protocol="best_response",
        exploration=0.0,
        generations=15,
    )
    if update == "asynchronous":
        for initial_b in (0.0, 1.0):
            unanimous = dataclasses.replace(p, initial_b=initial_b)
            np.testing.assert_array_equal(simulate(unanimous, [1, 2]).share_b, initial_b)
        return
    adj = replicate_adjacency(p.network, 1)
    nbrs = [list(map(int, adj.neighbors(i))) for i in range(adj.n)]
    out = simulate(p, [1], snapshots=range(16))
    changed_agents = checked = 0
    for gen in range(15):
        before, after = out.snapshots[gen][0][0], out.snapshots[gen + 1][0][0]
        changed_agents += int((before != after).sum())
        for i in range(adj.n):
            if all(before[j] == before[i] for j in nbrs[i]):
                checked += 1
                assert after[i] == before[i], (gen, i)
    assert changed_agents > 0 and checked > 0  # the dynamic moved, the property was met


def test_best_response_ignores_the_selection_strength_and_keeps_ties():
    """beta does not enter best response; with a = b the tie of a split neighbourhood keeps
    each agent's norm (a 4-cycle holding A, A, B, B is then frozen: every agent has one
    neighbour of each norm)."""
    base = dict(network={"kind": "grid", "rows": 5, "cols": 6, "periodic": True})
    runs = [
        simulate(
            ModelParams(update="sequential", protocol="best_response", beta=beta, **base), [4]
        ).share_b[0]
        for beta in (0.5, 5.0, 50.0)
    ]
    np.testing.assert_array_equal(runs[0], runs[1])
    np.testing.assert_array_equal(runs[0], runs[2])
    g = nx.cycle_graph(4)
    p = ModelParams(
        a=0.5,
        b=0.5,
        c=0.5,
        network={"kind": "ring", "n": 4, "k": 2},
        update="sequential",
        protocol="best_response",
        exploration=0.0,
        generations=5,
    )
    m = NormChangeModel(params=p, seed=2, network=g)
    for agent, norm in zip(m.by_node, (0, 0, 1, 1), strict=True):
        agent.norm = norm
    m.run_model()
    assert [a.norm for a in m.by_node] == [0, 0, 1, 1]


# ---------------------------------------------------------------- payoffs and normalisation
@pytest.mark.parametrize(
    "protocol,update,payoffs,normalisation",
    [
        pytest.param(*case, marks=() if k < 3 else (pytest.mark.kernels,), id="-".join(case))
        for k, case in enumerate(
            [
                ("fermi", "sequential", "average", "range"),
                ("logit", "asynchronous", "total", "raw"),
                ("imitate_if_better", "synchronous", "average", "range"),
                ("fermi", "reference", "average", "raw"),
                ("fermi", "asynchronous", "average", "range"),
                ("logit", "sequential", "average", "raw"),
                ("best_response", "synchronous", "average", "range"),
                ("pairwise_difference", "asynchronous", "average", "range"),
                ("pairwise_difference", "reference", "total", "range"),
                ("voter", "sequential", "average", "raw"),
            ]
        )
    ],
)
def test_payoff_determination_and_normalisation_are_the_same_everywhere(
    protocol, update, payoffs, normalisation
):
    """Average payoffs and raw normalisation on an irregular graph (degrees differ, so the
    average is not a multiple of the total): engine = Mesa = slow model."""
    assert_equivalent(
        _params(
            protocol,
            update,
            "fixed",
            net="erdos_renyi",
            payoffs=payoffs,
            normalisation=normalisation,
        ),
        [41, 42],
    )


def test_average_payoffs_divide_the_total_by_the_degree_and_take_one_games_range():
    from normsim.engine import tables

    base = _params("fermi", "sequential", "fixed", net="erdos_renyi")
    adj = replicate_adjacency(base.network, 1)
    total = tables(adj, base)
    avg = tables(adj, dataclasses.replace(base, payoffs="average"))
    raw = tables(adj, dataclasses.replace(base, normalisation="raw"))
    degree_of_class = np.zeros(total.pay.shape[1])
    for k in np.unique(adj.degree):  # the classes of degree k: 2 (k + 1) after its offset
        first = int(total.cls_off[np.flatnonzero(adj.degree == k)[0]])
        degree_of_class[first : first + 2 * (k + 1)] = k
    used = degree_of_class > 0
    np.testing.assert_array_equal(avg.pay[:, used], total.pay[:, used] / degree_of_class[used])
    a, b, c = base.a, base.b, base.c
    assert avg.R == pytest.approx(max(a, b) - (1 - c) * min(a, b))
    assert total.R == pytest.approx(max(a, b) * adj.k_max - (1 - c) * min(a, b) * adj.k_min)
    assert raw.R == 1.0


# ---------------------------------------------------------------- the other rules
def test_the_voter_rule_ignores_payoffs_and_the_selection_strength():
    """Whatever the game and beta, the voter rule's series are the same (the draws are)."""
    voter = _params("voter", "sequential", "fixed")
    runs = [
        simulate(dataclasses.replace(voter, beta=beta, c=c, a=a, b=0.5), [7]).share_b[0]
        for beta, c, a in ((5.0, 0.5, 0.6), (0.0, 0.9, 0.2), (50.0, 0.0, 1.5))
    ]
    for r in runs[1:]:
        np.testing.assert_array_equal(runs[0], r)
    assert np.ptp(runs[0]) > 0  # the voter dynamic moved


@pytest.mark.parametrize("update", ["synchronous", "sequential", "asynchronous"])
def test_imitate_if_better_never_copies_an_equal_payoff(update):
    """With a = b and c = 0 every agent of a regular graph earns the same, so without
    exploration imitate-if-better never changes a norm, while the voter rule does."""
    kw = dict(a=0.5, b=0.5, c=0.0, exploration=0.0, shocks=())
    iib = dataclasses.replace(_params("imitate_if_better", update, "fixed"), **kw)
    still = simulate(iib, [3, 4]).share_b
    np.testing.assert_array_equal(still, still[:, :1] * np.ones_like(still))
    moving = simulate(dataclasses.replace(iib, protocol="voter"), [3, 4]).share_b
    assert np.ptp(moving, axis=1).min() > 0


def _gibbs_mean_share(graph: nx.Graph, game: CoordinationGame, beta: float) -> float:
    """The expected share of B under the law proportional to exp(beta * potential),
    by enumerating every state; the potential of one edge is found from the payoff
    matrix so that switching a node changes the potential by its payoff gain."""
    M = game.matrix()
    phi = np.zeros((2, 2))
    phi[0, 1] = phi[1, 0] = M[1, 0] - M[0, 0]
    phi[1, 1] = phi[0, 1] + M[1, 1] - M[0, 1]
    nodes = list(graph)
    n = len(nodes)
    edges = [(nodes.index(u), nodes.index(v)) for u, v in graph.edges]
    states = (np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1
    pot = sum(phi[states[:, u], states[:, v]] for u, v in edges)
    w = np.exp(beta * (pot - pot.max()))
    return float((w * states.mean(axis=1)).sum() / w.sum())


def test_asynchronous_logit_has_the_gibbs_law_on_a_small_graph():
    """Logit learning in the asynchronous order without exploration, raw payoffs: the
    time average of the share of B is the Gibbs expectation (enumerated here), within
    sampling error across independent replicates. A degree-1 node, a triangle and
    distinct degrees make the graph a fair test."""
    g = nx.Graph([(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (4, 5), (5, 3), (5, 6)])
    p = ModelParams(
        a=0.7,
        b=1.0,
        c=0.4,
        network={"kind": "grid", "rows": 2, "cols": 2},  # replaced by the graph below
        update="asynchronous",
        protocol="logit",
        normalisation="raw",
        beta=1.5,
        exploration=0.0,
        initial_b=0.5,
        generations=6000,
    )
    seeds = list(range(16))
    share = simulate(p, seeds, network=g).share_b[:, 100:]  # after a burn-in
    means = share.mean(axis=1)
    want = _gibbs_mean_share(g, p.game, p.beta)
    err = means.std(ddof=1) / np.sqrt(len(seeds))
    assert abs(means.mean() - want) < 4 * err + 1e-3, (means.mean(), want, err)
    # the law is not the uniform one nor all-B: the test can tell them apart
    assert abs(want - 0.5) > 10 * err and abs(want - 1.0) > 10 * err


# ---------------------------------------------------------------- structured protocols
@pytest.mark.parametrize(
    "update",
    [
        pytest.param(u, marks=() if u == "sequential" else (pytest.mark.kernels,))
        for u in PROTOCOLS["imitate_the_best"].orders
    ],
)
def test_imitate_the_best_never_adopts_a_norm_absent_from_the_closed_neighbourhood(update):
    """Without exploration: in the sweep orders, each agent's norm after a generation is
    one its closed neighbourhood held at the generation's start (checked on snapshots);
    on a graph where everyone earns the same, it keeps its norm with probability 1/m."""
    p = dataclasses.replace(
        _params("imitate_the_best", update, "fixed"),
        exploration=0.0,
        shocks=(),
        generations=12,
    )
    adj = replicate_adjacency(p.network, 1)
    nbrs = [list(map(int, adj.neighbors(i))) for i in range(adj.n)]
    out = simulate(p, [1], snapshots=range(13))
    changes = 0
    for gen in range(12):
        before, after = out.snapshots[gen][0][0], out.snapshots[gen + 1][0][0]
        changes += int((before != after).sum())
        if update == "asynchronous":  # several steps per agent: only the unanimous check
            continue
        for i in range(adj.n):
            assert after[i] in {before[i], *(before[j] for j in nbrs[i])}, (gen, i)
    assert changes > 0
    for initial_b in (0.0, 1.0):  # a unanimous population never moves
        share = simulate(dataclasses.replace(p, initial_b=initial_b), [2]).share_b
        np.testing.assert_array_equal(share, initial_b)


def _fixation_frequency(params, graph, seeds):
    share = simulate(params, seeds, network=graph).share_b[:, -1]
    assert np.all((share == 0) | (share == 1)), "some runs did not fix: run longer"
    return float(share.mean())


@pytest.mark.parametrize(
    "protocol,rule",
    [
        pytest.param("moran_death_birth", "death-birth", marks=pytest.mark.kernels),
        ("moran_birth_death", "birth-death"),
    ],
)
def test_moran_fixation_on_a_small_graph_is_the_chain_solution(protocol, rule):
    """A single B agent on a small irregular graph, asynchronous, no exploration, with
    selection (b > a): the fraction of replicates that fix on B is the absorbing chain's
    fixation probability (normsim.theory.fixation, 2**N states), within 4 standard errors."""
    from normsim.theory.fixation import fixation_probability

    g = nx.Graph([(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (4, 5), (5, 3), (1, 6)])
    p = ModelParams(
        a=0.4,
        b=1.0,
        c=0.3,
        network={"kind": "grid", "rows": 2, "cols": 2},  # replaced by the graph
        update="asynchronous",
        protocol=protocol,
        selection_intensity=0.5,
        exploration=0.0,
        initial={"nodes": [3]},
        generations=400,
    )
    seeds = list(range(600))
    got = _fixation_frequency(p, g, seeds)
    want = fixation_probability(g, [3], rule=rule, game=p.game, w=0.5)
    se = np.sqrt(want * (1 - want) / len(seeds))
    assert abs(got - want) < 4 * se, (got, want, se)


def test_a_fitness_at_or_below_zero_is_refused_in_one_line():
    p = ModelParams(
        matrix=((4.0, -3.0), (3.0, 2.0)),
        network={"kind": "grid", "rows": 4, "cols": 4, "periodic": True},
        update="asynchronous",
        protocol="moran_birth_death",
    )
    with pytest.raises(NormsimError, match="selection_intensity: the fitness 1 - w \\+ w payoff"):
        simulate(p, [1])
    with pytest.raises(NormsimError, match="does not combine with conformity"):
        ModelParams(protocol="imitate_the_best", update="sequential", conformity=0.2)


# ---------------------------------------------------------------- bad input
def test_resolve_by_name_and_by_parts():
    assert resolve("fermi").name == "fermi"
    assert resolve({"choice": "best_response"}, "asynchronous").name == "best_response"
    assert resolve({"candidate": "random_neighbour", "choice": "fermi"}).name == "fermi"
    assert resolve({"choice": "voter", "payoff": "average"}).name == "voter"  # takes any
    with pytest.raises(NormsimError, match="no protocol combines candidate none, choice fermi"):
        resolve({"candidate": "none", "choice": "fermi"})
    with pytest.raises(NormsimError, match="give more of them"):
        resolve({"payoff": "total"})


@pytest.mark.parametrize(
    "dynamics,message",
    [
        ({"protocol": "imitate_the_bestest"}, "is not a protocol (one of fermi, best_response, "),
        ({"protocol": {"choice": "gossip"}}, "'gossip' is not a choice (one of fermi, best_"),
        ({"payoffs": "mean"}, "payoffs: 'mean' is not one of total, average"),
        ({"normalisation": "max"}, "normalisation: 'max' is not one of range, raw"),
        (
            {"protocol": "pairwise_difference", "normalisation": "raw"},
            "pairwise_difference needs range",
        ),
        (
            {"protocol": {"choice": "fermi", "payoff": "average"}, "payoffs": "total"},
            "protocol.payoff: average contradicts payoffs: total",
        ),
        (
            {"protocol": "logit", "update": "reference"},
            "logit does not support update: reference",
        ),
        ({"protocol": {"rule": "fermi"}}, "'rule': unknown part (allowed: candidate, payoff"),
        ({"protocol": 3}, "must be a protocol's name or a mapping of its parts"),
        (
            {"protocol": "best_response"},
            "best_response does not support update: reference "
            "(it supports synchronous, sequential, asynchronous)",
        ),
    ],
)
def test_bad_protocols_are_one_line_and_write_nothing(tmp_path, dynamics, message):
    import yaml

    sc = tmp_path / "s.yaml"
    sc.write_text(
        yaml.safe_dump(
            {
                "name": "bad",
                "population": {"network": {"kind": "grid", "rows": 4, "cols": 4}},
                "dynamics": dynamics,
                "schedule": {"generations": 5},
                "runs": 1,
            }
        )
    )
    for cmd in ("validate", "run"):
        r = normsim(cmd, sc, "--out", tmp_path / "out", cwd=tmp_path)
        assert r.returncode == 1, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert message in r.stderr and "dynamics" in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


def test_a_protocol_needs_a_network_in_a_well_mixed_scenario(tmp_path):
    sc = tmp_path / "s.yaml"
    sc.write_text(
        "name: wm\npopulation: {well_mixed: true}\n"
        "dynamics: {protocol: best_response, update: sequential}\n"
    )
    r = normsim("validate", sc)
    assert r.returncode == 1 and "best_response needs a network" in r.stderr, r.stderr


def test_the_default_protocol_leaves_every_content_hash_unchanged(tmp_path):
    """A scenario that names the paper's protocol hashes as one that names none; another
    protocol is another condition."""
    from normsim.scenario import conditions, load

    hashes = []
    for extra in ("", "dynamics: {protocol: fermi}\n", "dynamics: {protocol: {choice: fermi}}\n"):
        sc = tmp_path / f"s{len(hashes)}.yaml"
        sc.write_text("name: h\npopulation: {network: {kind: grid, rows: 4, cols: 4}}\n" + extra)
        hashes.append(conditions(load(sc))[0].hash)
    assert len(set(hashes)) == 1
    sc = tmp_path / "br.yaml"
    sc.write_text(
        "name: h\npopulation: {network: {kind: grid, rows: 4, cols: 4}}\n"
        "dynamics: {protocol: best_response, update: sequential}\n"
    )
    seq = tmp_path / "seq.yaml"
    seq.write_text(
        "name: h\npopulation: {network: {kind: grid, rows: 4, cols: 4}}\n"
        "dynamics: {update: sequential}\n"
    )
    assert conditions(load(sc))[0].hash != conditions(load(seq))[0].hash
    assert re.fullmatch(r"[0-9a-f]{24}", hashes[0])
