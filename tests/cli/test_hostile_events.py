"""Game events are bounded exactly as the initial game is (one check, params.check_payoffs):
an event or ramp that sets max(a, b) beyond the simulation's bounds is refused in one line,
before anything is written."""

import pytest

from normsim.errors import NormsimError
from normsim.params import ModelParams

from support.clirun import normsim
from support.hostile_helpers import one_line_error

BASE = """name: ev
population: {network: {kind: grid, rows: 6, cols: 6}}
schedule:
  generations: 30
  events:
"""


@pytest.mark.parametrize(
    "events, field, side",
    [
        ("  - {at: 10, game: {a: 1.7e308}}\n", r"schedule\.events\[0\]\.game\.a", "large"),
        (
            "  - {at: 3, game: {c: 0.5}}\n  - {from: 5, to: 9, game: {b: 1e295}}\n",
            r"schedule\.events\[1\]\.game\.b",
            "large",
        ),
        ("  - {at: 5, game: {a: 1e-300, b: 1e-300}}\n", r"schedule\.events\[0\]\.game\.a", "small"),
    ],
)
def test_event_payoffs_are_bounded_like_the_initial_game(tmp_path, events, field, side):
    sc = tmp_path / "ev.yaml"
    sc.write_text(BASE + events)
    out = tmp_path / "out"
    for cmd in (["validate", sc], ["run", sc, "--out", out, "--runs", "1"]):
        one_line_error(
            normsim(*cmd),
            rf"ev\.yaml(:\d+)?: {field}: .* too {side} for the "
            r"simulation.*within \[1e-290, 1e\+290\]",
        )
    assert not out.exists()


def test_event_payoffs_of_a_group_and_the_python_api(tmp_path):
    with pytest.raises(NormsimError, match=r"schedule\.events\[0\]\.game\.a: .* too large"):
        ModelParams(a=0.6, b=0.4, generations=20, events=({"at": 5, "game": {"a": 1e300}},))
    ModelParams(a=0.6, b=0.4, generations=20, events=({"at": 5, "game": {"a": 1e280}},))
