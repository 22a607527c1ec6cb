"""Engine = Mesa model = slow model over numbers, not flags: Hypothesis draws the game,
the exploration rate, the selection strength, the initial share, the seed and a small
random graph with leaves (degree-1 nodes) and payoff ties, in every update mode with
fixed and evolving rates."""

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from normsim.draws import replicate_seeds
from normsim.params import UPDATE_MODES, ModelParams

from support.equivalence import assert_equivalent


@st.composite
def small_graphs(draw):
    """A connected graph of 4 to 12 nodes: a random tree (so some nodes have degree 1)
    and a few extra edges (so degrees differ and payoffs can tie)."""
    n = draw(st.integers(4, 12))
    parents = [draw(st.integers(0, i - 1)) for i in range(1, n)]
    G = nx.Graph([(i, p) for i, p in zip(range(1, n), parents, strict=True)])
    extra = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=n))
    G.add_edges_from((u, v) for u, v in extra if u != v)
    return G


# payoffs with ties: equal a and b, and c = 0 or 1 give equal payoffs to different classes
payoff = st.sampled_from([0.2, 0.4, 0.5, 0.6, 1.0])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    graph=small_graphs(),
    update=st.sampled_from(UPDATE_MODES),
    evolving=st.booleans(),
    a=payoff,
    b=payoff,
    c=st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0, 1)),
    mu=st.one_of(st.just(0.0), st.floats(0, 1)),
    beta=st.sampled_from([0.0, 1.0, 5.0, 50.0]),
    initial_b=st.floats(0, 1),
    seed=st.integers(0, 2**31 - 1),
)
def test_engine_mesa_and_slow_model_agree_on_any_numbers(
    graph, update, evolving, a, b, c, mu, beta, initial_b, seed
):
    rates = {"rates": (0.0, 0.1, 0.3), "rate_mutation": 0.2} if evolving else {"exploration": mu}
    params = ModelParams(
        a=a,
        b=b,
        c=c,
        beta=beta,
        initial_b=initial_b,
        update=update,
        network={"kind": "complete", "n": graph.number_of_nodes()},
        generations=12,
        shocks=(6,),
        **rates,
    )
    assert_equivalent(params, replicate_seeds(seed, 2), graph=graph)
