"""The schedule of game events: engine = Mesa model = slow model,
events that change nothing, the schedule's arithmetic, bad input."""

import dataclasses
import re

import numpy as np
import pytest

from normsim.draws import replicate_seeds
from normsim.engine import simulate
from normsim.errors import NormsimError
from normsim.game import CoordinationGame
from normsim.params import UPDATE_MODES, ModelParams, game_schedule
from normsim.scenario import loads

from support.cases import EXPLORATION, NETWORKS
from support.equivalence import assert_equivalent, tiered

#: a threat (c rises, then ramps back) around a shock, and a change of payoffs
EVENTS = (
    {"at": 4, "game": {"c": 0.9}},
    {"from": 12, "to": 18, "game": {"c": 0.2}},
    {"at": 20, "game": {"a": 0.7}},
)
MECHS = {
    "events": {},
    "all": {"committed": {"fraction": 0.15, "placement": "random"}, "conformity": 0.25},
}


@pytest.mark.parametrize(
    "update, mech, expl",
    tiered(
        {"update": UPDATE_MODES, "mech": sorted(MECHS), "expl": sorted(EXPLORATION)},
        smoke=lambda row: row["mech"] == "events" and row["expl"] == "fixed",
    ),
)
def test_engine_equals_slow_model_and_mesa_model_with_events(update, mech, expl):
    params = ModelParams(
        a=0.6,
        b=0.4,
        c=0.5,
        network=NETWORKS["watts_strogatz"],
        update=update,
        generations=26,
        shocks=(8, 16),
        initial_b=0.4,
        events=EVENTS,
        **EXPLORATION[expl],
        **MECHS[mech],
    )
    assert len(params.games()[0]) > 4
    seeds = replicate_seeds(31, 2)
    out = assert_equivalent(params, seeds)
    # the events matter
    plain = simulate(dataclasses.replace(params, events=()), seeds)
    assert not np.array_equal(plain.share_b, out.share_b)


@pytest.mark.parametrize("update", UPDATE_MODES)
def test_an_event_that_sets_the_values_in_force_changes_nothing(update):
    base = dict(
        a=0.6, b=0.4, c=0.5, network=NETWORKS["grid"], update=update, generations=40, shocks=(10,)
    )
    same = (
        {"at": 5, "game": {"c": 0.5}},
        {"at": 20, "game": {"a": 0.4, "b": 0.6}},  # after the shock: swapped
        {"from": 25, "to": 35, "game": {"c": 0.5}},
    )
    seeds = replicate_seeds(2, 3)
    want = simulate(ModelParams(**base), seeds)
    got = simulate(ModelParams(**base, events=same), seeds)
    np.testing.assert_array_equal(got.share_b, want.share_b)
    np.testing.assert_array_equal(got.mean_payoff, want.mean_payoff)


def test_schedule_arithmetic():
    events = ({"at": 5, "game": {"c": 0.9}}, {"from": 6, "to": 10, "game": {"c": 0.1}})
    games, index = game_schedule(0.6, 0.4, 0.3, (3,), events, 12)
    at = [games[k] for k in index]
    assert at[1] == at[3] == (0.6, 0.4, 0.3)  # generations 1..3: the initial game
    assert at[4] == at[5] == (0.4, 0.6, 0.3)  # the shock at 3 swaps from 4 on
    assert at[6] == (0.4, 0.6, 0.9)  # the event at 5 holds from 6 on
    for g in range(7, 11):  # the ramp from 6 to 10
        assert at[g][2] == pytest.approx(0.9 + (0.1 - 0.9) * (g - 6) / 4)
    assert at[10][2] == 0.1 and at[12] == (0.4, 0.6, 0.1)
    p = ModelParams(a=0.6, b=0.4, c=0.3, generations=12, shocks=(3,), events=events)
    assert [(g.a, g.b, g.c) for g in map(p.game_at, range(1, 13))] == at[1:]
    # without events, the two phases of the plain model
    plain = ModelParams(generations=12, shocks=(3, 7))
    games, index = plain.games()
    assert [(g.a, g.b) for g in games] == [(0.6, 0.4), (0.4, 0.6)]
    np.testing.assert_array_equal(index, plain.phases())


BAD = [
    ({"at": 40, "game": {"c": 0.9}}, "schedule.events[0].at: 40 is after the last generation"),
    ({"at": 4, "game": {"d": 0.9}}, "schedule.events[0].game.d: unknown game key"),
    ({"from": 20, "to": 10, "game": {"c": 0.9}}, "schedule.events[0].to: 10 must be after from"),
    ({"from": 20, "to": 41, "game": {"c": 0.9}}, "41 is after the last generation"),
    ({"at": 4, "game": {"c": 1.5}}, "schedule.events[0].game.c: 1.5 is outside"),
    ({"at": 4}, "schedule.events[0].game: give the game values"),
    ({"at": 4, "from": 5, "to": 9, "game": {"c": 0.2}}, "not both"),
]


@pytest.mark.parametrize("event, msg", BAD, ids=[b[1][:30] for b in BAD])
def test_bad_events_are_one_line_errors(event, msg):
    with pytest.raises(NormsimError, match=re.escape(msg)):
        ModelParams(generations=40, events=(event,))
    text = f"name: x\nschedule:\n  generations: 40\n  events: [{event!r}]\n".replace("'", "")
    with pytest.raises(NormsimError, match=re.escape(msg.removeprefix("schedule."))):
        loads(text)


def test_the_new_norm_is_the_one_the_first_shock_favours_after_the_events_before_it():
    """An event before the first shock that turns which norm pays more turns the new norm:
    committed agents of norm new, tipping's criterion and the studies take it from the game
    played right after the shock, not from the swap of the initial game."""
    from normsim.studies import tipping

    # A pays more at first (0.6 > 0.4); the event makes B the better one (a = 0.3); the
    # shock at 20 swaps them: A (0.4) pays more again, so A is the new norm
    events = ({"at": 5, "game": {"a": 0.3}},)
    p = ModelParams(
        a=0.6,
        b=0.4,
        shocks=(20,),
        generations=40,
        events=events,
        committed={"fraction": 0.1, "norm": "new", "placement": "random"},
    )
    assert p.first_shock_game() == CoordinationGame(0.4, 0.3, p.c)
    assert p.new_norm() == 0 and p.committed["norm"] == 0
    assert ModelParams(a=0.6, b=0.4, shocks=(20,), generations=40).new_norm() == 1
    assert ModelParams(a=0.6, b=0.4).new_norm() == 1  # no shock: the initial game's swap
    sc = loads(
        "name: t\npopulation: {network: {kind: grid, rows: 4, cols: 4}}\n"
        "game: {a: 0.6, b: 0.4}\n"
        "schedule: {generations: 40, shocks: [20], events: [{at: 5, game: {a: 0.3}}]}\n"
    ).scenario
    assert tipping.new_norm(sc) == 0
