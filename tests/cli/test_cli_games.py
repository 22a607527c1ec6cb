"""General 2 x 2 games on the command line: bad matrices and presets are one line, exit
1 and nothing written; ``--set game.matrix=...`` and ``normsim analytic --matrix``."""

import json

import pytest

from normsim.game import MatrixGame
from normsim.theory import analytic

from support.clirun import normsim

SCENARIO = """name: games
population: {network: {kind: grid, rows: 5, cols: 5}}
runs: 1
"""

BAD = [
    ("game: {matrix: [[1, 2], [3]]}", "game.matrix: [[1, 2], [3]] is not a 2 x 2 matrix"),
    ("game: {matrix: [[1, 2, 3], [3, 4, 5]]}", "is not a 2 x 2 matrix"),
    ("game: {matrix: [[1, 2], [3, .inf]]}", "game.matrix: entry P: inf is not a finite number"),
    ("game: {matrix: [[.nan, 2], [3, 4]]}", "game.matrix: entry R: nan is not a finite number"),
    ("game: {matrix: [[1, 2], [3, 4]], a: 0.5}", "game: give matrix or a, b, c, not both"),
    ("game: {preset: stag_hant}", "game.preset: 'stag_hant' is not one of coordination, "),
    ("game: {preset: stag_hunt, c: 0.5}", "preset stag_hunt is a matrix game"),
    ("game: {S: 1}", "game: S: a matrix entry needs game.matrix or a matrix preset"),
    (
        "game: {preset: stag_hunt}\nschedule: {generations: 10, events: [{at: 2, game: {b: 1}}]}",
        "schedule.events[0].game.b: the game is a matrix game",
    ),
]


def _files(path):
    return sorted(p.name for p in path.rglob("*"))


@pytest.mark.parametrize("body, message", BAD, ids=[m[:28] for _, m in BAD])
def test_bad_games_are_one_line_exit_1_and_nothing_written(tmp_path, body, message):
    p = tmp_path / "s.yaml"
    if "schedule" not in body:
        body += "\nschedule: {generations: 10}"
    p.write_text(SCENARIO + body + "\n")
    before = _files(tmp_path)
    r = normsim("run", str(p), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert message in lines[0], lines[0]
    assert _files(tmp_path) == before


def test_set_gives_a_matrix_like_any_other_key(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(SCENARIO + "schedule: {generations: 10}\n")
    r = normsim("validate", str(p), "--set", "game.matrix=[[4, 0], [3, 2]]", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = normsim("validate", str(p), "--set", "game.matrix=[[4, 0], [3]]", cwd=tmp_path)
    assert r.returncode == 1 and "game.matrix:" in r.stderr
    r = normsim("validate", str(p), "--set", "game.preset=stag_hunt", "--set", "game.R=5")
    assert r.returncode == 0, r.stderr


def test_analytic_takes_a_matrix_and_a_preset():
    r = normsim("analytic", "--matrix", "4,0,3,2", "--p0", "0.3", "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    want = analytic.analyse_game(MatrixGame(4.0, 0.0, 3.0, 2.0), 0.0, 0.3, 100.0)
    assert res == json.loads(json.dumps(want))
    assert res["interior_fixed_point"] == pytest.approx(1 / 3)
    r = normsim("analytic", "--preset", "stag_hunt", "--p0", "0.3", "--json")
    assert json.loads(r.stdout) == res
    # the coordination preset is the (a, b, c) game with the defaults, which --a overrides
    r1 = normsim("analytic", "--preset", "coordination", "--a", "0.4", "--json")
    r2 = normsim("analytic", "--a", "0.4", "--b", "0.4", "--c", "0.3", "--json")
    assert r1.returncode == 0 and json.loads(r1.stdout) == json.loads(r2.stdout)
    r = normsim("analytic", "--preset", "stag_hunt", "--model", "pair", "--degree", "4", "--json")
    assert json.loads(r.stdout)["tipping_point_weak_selection"] == pytest.approx(1 / 6)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--matrix", "4,0,3"], "--matrix: '4,0,3' is not four numbers R,S,T,P"),
        (["--matrix", "4,0,3,nan"], "--matrix P: 'nan' is not a finite number"),
        (["--matrix", "4,0,3,2", "--c", "0.3"], "give --matrix or --a --b --c, not both"),
        (["--preset", "chicken"], "--preset: 'chicken' is not one of coordination, stag_hunt"),
        (["--preset", "stag_hunt", "--matrix", "1,2,3,4"], "give --matrix or --preset, not both"),
        (["--a", "0.4", "--b", "0.6"], "give the game: --a --b --c (missing --c)"),
        (["--matrix", "4,0,3,2", "--conformity", "0.2"], "--conformity takes the (a, b, c) game"),
    ],
)
def test_analytic_refuses_a_bad_game_in_one_line(args, message):
    r = normsim("analytic", *args)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.strip().splitlines() == [r.stderr.strip()] and message in r.stderr
