"""The Mesa model: identical to the engine, works with Mesa's batch_run."""

import mesa

from normsim.draws import replicate_seeds
from normsim.engine import simulate
from normsim.model import NormChangeModel
from normsim.params import ModelParams




def test_agents_are_mesa_agents_on_a_network():
    m = NormChangeModel(network={"kind": "grid", "rows": 4, "cols": 4}, seed=3, generations=3)
    assert len(m.agents) == 16
    a = m.by_node[0]
    assert all(isinstance(x, type(a)) for x in a.cell.neighborhood.agents)
    assert sorted(x.node for x in a.neighbors) == [1, 3, 4, 12]
    m.step()
    assert a.payoff == m.params.game.total_payoff(a.start_norm, a.n_same, a.n_other)


def test_keyword_parameters_and_fresh_seed():
    m = NormChangeModel(c=0.9, exploration=0.0, initial_b=1.0,
                        network={"kind": "complete", "n": 10}, generations=5)
    m.run_model()
    assert list(m.series()["share_b"]) == [1.0] * 6
    assert isinstance(m.seed, int)


def test_batch_run_with_two_processes_matches_engine():
    seeds = replicate_seeds(5, 2)
    net = {"kind": "grid", "rows": 5, "cols": 5}
    results = mesa.batch_run(NormChangeModel,
                             parameters={"c": 0.6, "network": [net], "generations": 15,
                                         "update": "sequential"},
                             number_processes=2, rng=seeds, max_steps=15,
                             data_collection_period=1, display_progress=False)
    eng = simulate(ModelParams(c=0.6, network=net, generations=15, update="sequential"), seeds)
    for r, seed in enumerate(seeds):
        rows = sorted((x for x in results if x["seed"] == seed), key=lambda x: x["Step"])
        got = [x["share_b"] for x in rows]
        assert len(got) >= 15
        assert got == list(eng.share_b[r][-len(got):])
