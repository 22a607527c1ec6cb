"""ModelParams: the schedule of games (shocks) against a direct statement of it."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from normsim.params import ModelParams


@settings(max_examples=80, deadline=None)
@given(
    st.integers(2, 60).flatmap(
        lambda G: st.tuples(st.just(G), st.sets(st.integers(1, G - 1), max_size=G - 1))
    )
)
def test_phases_and_game_at_follow_the_shocks(case):
    G, shocks = case
    p = ModelParams(generations=G, shocks=tuple(shocks))
    # a shock at s swaps a and b for generations s + 1, s + 2, ...: toggle from there on
    want = np.zeros(G + 1, dtype=np.uint8)
    for s in sorted(shocks):
        want[s + 1 :] ^= 1
    np.testing.assert_array_equal(p.phases(), want)
    for g in range(1, G + 1):
        game = p.game_at(g)
        assert (game.a, game.b) == ((p.b, p.a) if want[g] else (p.a, p.b))


def test_game_at_is_cheap_with_many_shocks():
    # the browser page runs a million-generation schedule with a shock every 4
    p = ModelParams(generations=1_000_000, shocks=tuple(range(4, 1_000_000, 4)))
    assert len(p.shocks) == 249_999
    assert p.game_at(5).a == p.b and p.game_at(9).a == p.a  # one shock, then two
    assert p.game_at(999_999).a == p.b  # 249,999 shocks before it
