"""The Mesa model: identical to the engine, works with Mesa's batch_run."""

import mesa
import numpy as np
import pytest

from normsim.draws import replicate_seeds
from normsim.engine import simulate
from normsim.model import NormChangeModel
from normsim.params import UPDATE_MODES, ModelParams

from support.cases import EXPLORATION, NETWORKS


def test_agents_are_mesa_agents_on_a_network():
    m = NormChangeModel(network={"kind": "grid", "rows": 4, "cols": 4}, seed=3, generations=3)
    assert len(m.agents) == 16
    a = m.by_node[0]
    assert all(isinstance(x, type(a)) for x in a.cell.neighborhood.agents)
    assert sorted(x.node for x in a.neighbors) == [1, 3, 4, 12]
    m.step()
    assert a.payoff == m.params.game.total_payoff(a.start_norm, a.n_same, a.n_other)


def test_keyword_parameters_and_fresh_seed():
    m = NormChangeModel(
        c=0.9, exploration=0.0, initial_b=1.0, network={"kind": "complete", "n": 10}, generations=5
    )
    m.run_model()
    assert list(m.series()["share_b"]) == [1.0] * 6
    assert isinstance(m.seed, int)


@pytest.mark.slow
def test_batch_run_with_two_processes_matches_engine():
    seeds = replicate_seeds(5, 2)
    net = {"kind": "grid", "rows": 5, "cols": 5}
    results = mesa.batch_run(
        NormChangeModel,
        parameters={"c": 0.6, "network": [net], "generations": 15, "update": "sequential"},
        number_processes=2,
        rng=seeds,
        max_steps=15,
        data_collection_period=1,
        display_progress=False,
    )
    eng = simulate(ModelParams(c=0.6, network=net, generations=15, update="sequential"), seeds)
    for r, seed in enumerate(seeds):
        rows = sorted((x for x in results if x["seed"] == seed), key=lambda x: x["Step"])
        got = [x["share_b"] for x in rows]
        assert len(got) >= 15
        assert got == list(eng.share_b[r][-len(got) :])


def test_agent_reporters_give_the_agent_vars_dataframe():
    net = {"kind": "grid", "rows": 4, "cols": 4}
    off = NormChangeModel(network=net, generations=3, seed=2)
    assert not off.datacollector.agent_reporters  # off by default
    m = NormChangeModel(
        network=net, generations=3, seed=2, committed={"nodes": [5]}, agent_reporters=True
    )
    m.run_model()
    df = m.datacollector.get_agent_vars_dataframe()
    assert list(df.columns) == ["norm", "payoff", "committed", "group"]
    assert len(df) == 16 * 4  # generations 0..3, every agent
    last = df.xs(3, level="Step")
    for a in m.agents:
        row = last.loc[a.unique_id]
        assert (row["norm"], row["payoff"], row["committed"], row["group"]) == (
            a.norm,
            a.payoff,
            a.committed,
            a.group,
        )
    assert df.xs(0, level="Step")["payoff"].isna().all()  # no game before generation 1
    assert last["committed"].sum() == 1
    # every n-th generation and the last; the model reporters every generation
    m = NormChangeModel(network=net, generations=5, seed=2, agent_reporters=2)
    m.run_model()
    steps = sorted(set(m.datacollector.get_agent_vars_dataframe().index.get_level_values("Step")))
    assert steps == [0, 2, 4, 5]
    assert len(m.datacollector.get_model_vars_dataframe()) == 6
    # mesa.batch_run gives one row per agent at each recorded generation
    rows = mesa.batch_run(
        NormChangeModel,
        parameters={"network": [net], "generations": 2, "agent_reporters": True},
        rng=[7],
        max_steps=2,
        number_processes=1,
        data_collection_period=1,
        display_progress=False,
    )
    assert len(rows) == 16 * 3 and {"AgentID", "norm", "payoff"} <= set(rows[0])
    for bad in (-1, "yes", 0.5):
        with pytest.raises((TypeError, ValueError), match="agent_reporters"):
            NormChangeModel(network=net, generations=1, seed=1, agent_reporters=bad)


@pytest.mark.parametrize("update", UPDATE_MODES)
def test_agentset_views_between_steps_leave_the_engine_series(update):
    """Mesa's AgentSet views (select, groupby, agg, shuffle, ...) and the agent
    reporters read the agents and Mesa's own ``model.random``, never the model's
    stream: the series stay those of the engine."""
    params = ModelParams(
        a=0.6,
        b=0.4,
        c=0.5,
        network=NETWORKS["watts_strogatz"],
        update=update,
        generations=20,
        shocks=(8,),
        initial_b=0.4,
        **EXPLORATION["evolving"],
    )
    seed = replicate_seeds(13, 1)[0]
    eng = simulate(params, [seed])
    m = NormChangeModel(params=params, seed=seed, agent_reporters=True)
    while m.running:
        agents = m.agents
        b = agents.select(lambda a: a.norm == 1)
        assert len(b) == sum(a.norm for a in m.by_node)
        by_norm = agents.groupby("norm")
        assert sum(by_norm.count().values()) == len(m.by_node)
        by_norm.agg("payoff", sum)
        agents.select(at_most=5).get("norm")
        agents.agg("payoff", max)
        agents.shuffle().sort("payoff", ascending=False)
        agents.shuffle_do(lambda a: a.norm)  # reads only; uses Mesa's model.random
        agents.groupby("group").count()
        assert [a.node for a in agents] == list(range(len(m.by_node)))  # node order
        m.step()
    s = m.series()
    np.testing.assert_array_equal(s["share_b"], eng.share_b[0])
    np.testing.assert_array_equal(s["mean_payoff"][1:], eng.mean_payoff[0, 1:])
    np.testing.assert_array_equal(s["rate_shares"], eng.rate_shares[0])
    df = m.datacollector.get_agent_vars_dataframe()
    np.testing.assert_array_equal(
        df.groupby(level="Step")["norm"].mean().to_numpy(), eng.share_b[0]
    )
