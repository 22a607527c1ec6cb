"""The dashed prediction: the best available theory for the network at hand."""

import numpy as np
import pytest

from normsim.params import ModelParams
from normsim.scenario import loads
from normsim.theory import analytic, network_prediction, regular_degree
from normsim.theory.pairapprox import PairApproximation

BASE = dict(a=0.6, b=0.4, c=0.6, exploration=0.05, generations=300, shocks=(150,))


@pytest.mark.parametrize(
    "net, k",
    [
        ({"kind": "grid", "rows": 20, "cols": 30, "periodic": True}, 4),
        ({"kind": "random_regular", "n": 100, "d": 3}, 3),
        ({"kind": "complete", "n": 50}, 49),
        ({"kind": "grid", "rows": 20, "cols": 30, "periodic": False}, None),
        ({"kind": "barabasi_albert", "n": 100, "m": 2}, None),
    ],
)
def test_regular_degree_from_the_spec(net, k):
    assert regular_degree(net) == k


def test_regular_graph_gets_the_pair_approximation():
    p = ModelParams(network={"kind": "random_regular", "n": 200, "d": 3}, **BASE)
    pr = network_prediction(p)
    assert pr.name == "pair approximation (k = 3)"
    want = PairApproximation(p.game, 3, p.beta, p.exploration).solve(
        p.initial_b, t_max=300.0, t_eval=np.arange(301.0), shocks=(150,)
    )
    np.testing.assert_array_equal(pr.share_b, want.y[0])
    # the shock makes B better: the pair approximation at c = 0.6, k = 3 lets it take over
    assert pr.share_b[150] < 0.1 and pr.share_b[300] > 0.9


def test_complete_graph_gets_the_pairwise_mean_field():
    p = ModelParams(network={"kind": "complete", "n": 60}, **BASE)
    pr = network_prediction(p)
    assert pr.name.startswith("pairwise mean field")
    want = analytic.solve_pairwise(
        p.a,
        p.b,
        p.c,
        p.beta,
        p.exploration,
        p.initial_b,
        t_max=300.0,
        t_eval=np.arange(301.0),
        shocks=(150,),
    )
    np.testing.assert_array_equal(pr.share_b, want.y[0])


def test_other_graphs_get_the_replicator_and_evolving_rates_none():
    p = ModelParams(network={"kind": "barabasi_albert", "n": 100, "m": 2}, **BASE)
    pr = network_prediction(p)
    assert pr.name.startswith("well-mixed replicator")
    want = analytic.well_mixed_prediction(p.game, p.exploration, p.initial_b, 300, (150,))
    np.testing.assert_array_equal(pr.share_b, want.share_b)
    evolving = ModelParams(
        network={"kind": "complete", "n": 60},
        rates=(0.0, 0.1),
        **{k: v for k, v in BASE.items() if k != "exploration"},
    )
    assert network_prediction(evolving) is None


def test_a_scenario_resolves_to_its_model():
    sc = loads(
        "name: x\npopulation: {network: {kind: random_regular, n: 50, d: 4}}\n"
        "schedule: {generations: 40, shocks: [20]}\n"
    ).scenario
    p = sc.model_params()
    assert p.network == {"kind": "random_regular", "n": 50, "d": 4} and p.shocks == (20,)
    assert network_prediction(p).name == "pair approximation (k = 4)"
