"""General symmetric 2 x 2 games: the matrix game's payoffs against sums over single
games, engine = Mesa model = slow model for a stag hunt in every visiting order, the
(a, b, c) preset bit for bit the (a, b, c) game, shocks and events on the entries."""

import dataclasses
import itertools

import networkx as nx
import numpy as np
import pytest

from normsim.draws import replicate_seeds
from normsim.engine import simulate
from normsim.errors import NormsimError
from normsim.game import PRESETS, CoordinationGame, MatrixGame, as_matrix_game
from normsim.params import UPDATE_MODES, ModelParams
from normsim.scenario import loads

from support.cases import NETWORKS
from support.equivalence import assert_equivalent, tiered

STAG = PRESETS["stag_hunt"]
STAG_MATRIX = ((STAG["R"], STAG["S"]), (STAG["T"], STAG["P"]))


def test_summed_payoffs_are_sums_of_single_games():
    g = MatrixGame(4.0, -1.5, 3.25, 2.0)
    for own, n_same, n_other in itertools.product((0, 1), range(5), range(5)):
        games = [g.payoff(own, own)] * n_same + [g.payoff(own, 1 - own)] * n_other
        assert g.total_payoff(own, n_same, n_other) == pytest.approx(sum(games), abs=1e-12)


def test_mean_payoff_from_edge_counts_is_the_mean_of_the_agents_payoffs():
    rng = np.random.default_rng(3)
    G = nx.erdos_renyi_graph(40, 0.15, seed=4)
    norms = rng.integers(0, 2, 40)
    g = MatrixGame(1.0, -2.0, 0.5, 3.0)
    totals = [sum(g.payoff(norms[i], norms[j]) for j in G[i]) for i in G]
    kinds = [tuple(sorted((norms[i], norms[j]))) for i, j in G.edges]
    e_aa, e_ab, e_bb = kinds.count((0, 0)), kinds.count((0, 1)), kinds.count((1, 1))
    assert g.mean_payoff(e_aa, e_ab, e_bb, 40) == pytest.approx(np.mean(totals), rel=1e-12)


@pytest.mark.parametrize("entries", [(4, 0, 3, 2), (-1, -3, 0, -2), (2, 2, 2, 2), (1, -1, 5, 0)])
def test_payoff_range_is_the_spread_of_every_possible_summed_payoff(entries):
    g = MatrixGame(*map(float, entries))
    k_min, k_max = 2, 5
    pays = [
        g.total_payoff(own, n, k - n)
        for own in (0, 1)
        for k in range(k_min, k_max + 1)
        for n in range(k + 1)
    ]
    spread = max(pays) - min(pays)
    assert g.payoff_range(k_min, k_max) == (spread if spread > 0 else 1.0)
    assert g.shocked().payoff_range(k_min, k_max) == g.payoff_range(k_min, k_max)


@pytest.mark.parametrize("entries", [(4, 0, 3, 2), (1, -1, 5, 0), (0.4, 0.2, 0.3, 0.6)])
def test_a_switch_gains_the_change_of_the_edge_potential(entries):
    """Monderer & Shapley's potential: the sum over the edges of ``phi`` changes by the
    switching agent's payoff gain, each payoff summed from single games."""
    g = MatrixGame(*map(float, entries))
    phi_aa, phi_bb = g.edge_potential()
    G = nx.erdos_renyi_graph(12, 0.4, seed=2)
    rng = np.random.default_rng(5)

    def potential(x):
        return sum(phi_aa if x[i] == x[j] == 0 else phi_bb if x[i] == x[j] == 1 else 0.0
                   for i, j in G.edges)  # fmt: skip

    for _ in range(30):
        x = rng.integers(0, 2, 12)
        i = int(rng.integers(12))
        y = x.copy()
        y[i] = 1 - x[i]
        gain = sum(g.payoff(y[i], x[j]) for j in G[i]) - sum(g.payoff(x[i], x[j]) for j in G[i])
        assert potential(y) - potential(x) == pytest.approx(gain, abs=1e-12)
        n_b = int(sum(x[j] for j in G[i]))
        pi_a, pi_b = g.total_payoffs(G.degree[i] - n_b, n_b)
        assert (pi_a, pi_b) == pytest.approx(
            (sum(g.payoff(0, x[j]) for j in G[i]), sum(g.payoff(1, x[j]) for j in G[i]))
        )


@pytest.mark.parametrize("entries", [(4, 0, 3, 2), (1, 0, 0, 3), (1, 0.5, 1.5, 0), (3, -1, 4, 0)])
def test_best_response_threshold_splits_the_neighbourhoods(entries):
    g = MatrixGame(*map(float, entries))
    q = g.best_response_threshold()
    coordination = g.R > g.T and g.P > g.S
    assert (q is None) == (not coordination)
    if q is None:
        return
    for k in range(1, 13):
        for n_b in range(k + 1):
            pi_a, pi_b = (
                sum(g.payoff(0, y) for y in [0] * (k - n_b) + [1] * n_b),
                sum(g.payoff(1, y) for y in [0] * (k - n_b) + [1] * n_b),
            )
            if n_b / k != pytest.approx(q):
                assert (pi_b > pi_a) == (n_b / k > q)


def test_any_game_as_a_matrix_game():
    stag = MatrixGame(**STAG)
    assert as_matrix_game(stag) is stag
    assert as_matrix_game(np.array(STAG_MATRIX)) == stag
    c = CoordinationGame(0.4, 0.6, 0.5)
    m = as_matrix_game(c)
    for x, y in itertools.product((0, 1), repeat=2):
        assert m.payoff(x, y) == c.payoff(x, y)
    assert m.as_dict() == dict(zip("RSTP", m.entries, strict=True))
    with pytest.raises(NormsimError, match="^game: .* is not a 2 x 2 matrix"):
        as_matrix_game([[1.0, 2.0, 3.0]])


def test_a_shock_swaps_the_roles_of_the_norms():
    g = MatrixGame(4.0, 0.0, 3.0, 2.0)
    s = g.shocked()
    for x, y in itertools.product((0, 1), repeat=2):
        assert s.payoff(x, y) == g.payoff(1 - x, 1 - y)
    assert s.shocked() == g
    # the (a, b, c) game's shock (a and b swapped) is the same relabelling
    c = CoordinationGame(0.6, 0.4, 0.3)
    np.testing.assert_array_equal(c.shocked().matrix(), c.as_matrix_game().shocked().matrix())


def test_risk_and_payoff_dominance():
    """Harsanyi-Selten risk dominance from the deviation losses, computed here from the
    matrix: in the stag hunt it parts from payoff dominance; in the (a, b, c) game the
    two agree for every a, b, c (the difference of the losses is (2 - c)(b - a))."""
    stag = MatrixGame(**STAG)
    assert stag.R > stag.T > stag.P > stag.S and stag.R + stag.S < stag.T + stag.P
    assert stag.favoured_norm() == 0 and stag.risk_dominant_norm() == 1
    rng = np.random.default_rng(5)
    for a, b, c in rng.uniform([0.01, 0.01, 0.0], [2.0, 2.0, 1.0], (500, 3)):
        m = CoordinationGame(a, b, c).matrix()
        loss_a, loss_b = m[0, 0] - m[1, 0], m[1, 1] - m[0, 1]  # R - T, P - S
        assert loss_b - loss_a == pytest.approx((2 - c) * (b - a), abs=1e-12)
        assert (loss_b > loss_a) == (b > a) == (CoordinationGame(a, b, c).favoured_norm() == 1)


def test_the_schedule_of_a_matrix_game():
    p = ModelParams(
        matrix=STAG_MATRIX,
        generations=20,
        shocks=(5, 12),
        events=({"at": 8, "game": {"R": 5.0}}, {"from": 14, "to": 18, "game": {"S": 1.0}}),
    )
    g0 = MatrixGame(4.0, 0.0, 3.0, 2.0)
    assert p.game_at(5) == g0 and p.game_at(6) == g0.shocked()
    assert p.game_at(9) == MatrixGame(5.0, 3.0, 0.0, 4.0)  # R set after the swap
    after = MatrixGame(4.0, 0.0, 3.0, 5.0)  # the second shock swaps back
    assert p.game_at(13) == after
    assert p.game_at(16) == dataclasses.replace(after, S=0.5)  # half-way up the ramp
    assert p.game_at(20) == dataclasses.replace(after, S=1.0)
    assert p.new_norm() == 1  # after the first shock P = 4 > R = 2
    # committed agents of the new norm hold the one the first shock favours
    for shocks, norm in (((5,), 1), ((), 1)):
        cm = dataclasses.replace(p, shocks=shocks, events=(), committed={"count": 2})
        assert cm.committed is not None and cm.committed["norm"] == norm
    late = dataclasses.replace(p, events=({"at": 2, "game": {"matrix": [[1, 0], [0, 3]]}},))
    assert late.new_norm() == 0 and late.game_at(6) == MatrixGame(3.0, 0.0, 0.0, 1.0)
    assert dataclasses.replace(late, committed={"count": 2}).committed["norm"] == 0


SMALL = {"kind": "watts_strogatz", "n": 30, "k": 4, "p": 0.2}


@pytest.mark.parametrize(
    "update", tiered({"update": UPDATE_MODES}, smoke=lambda r: r["update"] == "reference")
)
def test_engine_equals_slow_model_and_mesa_model_for_a_stag_hunt(update):
    params = ModelParams(
        matrix=STAG_MATRIX,
        network=SMALL,
        update=update,
        beta=3.0,
        exploration=0.08,
        initial_b=0.4,
        generations=30,
        shocks=(15,),
    )
    out = assert_equivalent(params, replicate_seeds(7, 2))
    # the game matters: the (a, b, c) default game gives other series
    other = simulate(dataclasses.replace(params, matrix=None), replicate_seeds(7, 2))
    assert not np.array_equal(other.share_b, out.share_b)


@pytest.mark.kernels
@pytest.mark.parametrize("update", UPDATE_MODES)
def test_engine_equals_the_others_with_negative_entries_events_and_groups(update):
    params = ModelParams(
        matrix=((1.0, -2.0), (0.5, -0.25)),
        network={"kind": "sbm", "sizes": [15, 15], "p": [[0.4, 0.05], [0.05, 0.4]]},
        groups={"by": "blocks", "exploration": [0.05, 0.2]},
        update=update,
        generations=24,
        shocks=(10,),
        events=(
            {"at": 0, "group": 1, "game": {"matrix": [[2.0, 0.0], [1.0, 1.0]]}},
            {"from": 14, "to": 20, "game": {"T": 3.0}},
        ),
    )
    assert_equivalent(params, replicate_seeds(8, 2))


def test_the_coordination_preset_is_the_abc_game_bit_for_bit():
    base = "name: x\npopulation: {network: {kind: grid, rows: 6, cols: 7}}\n"
    base += "schedule: {generations: 40, shocks: [20]}\ndynamics: {exploration: 0.05}\n"
    plain = loads(base + "game: {a: 0.7, b: 0.45, c: 0.6}").scenario.model_params()
    preset = loads(base + "game: {preset: coordination, a: 0.7, b: 0.45, c: 0.6}")
    params = preset.scenario.model_params()
    assert params == plain and params.matrix is None
    seeds = replicate_seeds(2, 2)
    a, b = simulate(plain, seeds), simulate(params, seeds)
    np.testing.assert_array_equal(a.share_b, b.share_b)
    np.testing.assert_array_equal(a.mean_payoff, b.mean_payoff)


def test_the_abc_game_as_a_matrix_plays_the_same_games():
    """The (a, b, c) game written as its matrix: the same decisions (shares of B), and the
    same mean payoffs up to rounding (R n_A + S n_B is another float than a (n_same + (1 -
    c) n_other))."""
    plain = ModelParams(a=0.6, b=0.4, c=0.5, network=NETWORKS["grid"], generations=30)
    m = CoordinationGame(0.6, 0.4, 0.5).matrix()
    as_matrix = dataclasses.replace(plain, matrix=m.tolist())
    seeds = replicate_seeds(9, 2)
    x, y = simulate(plain, seeds), simulate(as_matrix, seeds)
    np.testing.assert_array_equal(x.share_b, y.share_b)
    np.testing.assert_allclose(x.mean_payoff[:, 1:], y.mean_payoff[:, 1:], rtol=1e-12)


@pytest.mark.parametrize(
    "kw, msg",
    [
        ({"matrix": [[1, 2], [3]]}, "game.matrix: [[1, 2], [3]] is not a 2 x 2 matrix"),
        ({"matrix": [[1, 2], [3, float("nan")]]}, "game.matrix.P: nan is not a finite number"),
        ({"matrix": [[1e300, 0], [0, 1]]}, "game.matrix.R: 1e+300 is too large"),
        (
            {"matrix": [[1, 2], [3, 4]], "events": ({"at": 2, "game": {"c": 0.5}},)},
            "schedule.events[0].game.c: the game is a matrix game",
        ),
        (
            {"events": ({"at": 2, "game": {"matrix": [[1, 2], [3, 4]]}},)},
            "schedule.events[0].game.R: the game is the (a, b, c) game",
        ),
        (
            {"matrix": [[1, 2], [3, 4]], "events": ({"at": 2, "game": {"R": 1, "a": 2}},)},
            "schedule.events[0].game: give a, b, c",
        ),
        (
            {
                "matrix": [[1, 2], [3, 4]],
                "network": {"kind": "sbm", "sizes": [5, 5], "p": [[0.5, 0.1], [0.1, 0.5]]},
                "groups": {"by": "blocks", "c": [0.1, 0.2]},
            },
            "population.groups.c: a matrix game has no c",
        ),
    ],
)
def test_bad_matrices_are_one_line_errors(kw, msg):
    with pytest.raises(NormsimError) as e:
        ModelParams(generations=10, **kw)
    assert str(e.value).startswith(msg) and "\n" not in str(e.value)
