"""Scenario validation, `normsim run` end to end, resume after SIGKILL, summary, export."""

import hashlib
import importlib.util
import json
import re
import sqlite3
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from normsim.errors import NormsimError
from normsim.scenario import condition as condition_module
from normsim.scenario import conditions, load, loads

from support.clirun import killed_run, normsim, normsim_process

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
name: tiny
game: {a: 0.6, b: 0.4, c: 0.3}
population:
  network: {kind: grid, rows: 8, cols: 8}
  initial_b: 0.5
dynamics: {update: reference, selection_strength: 5.0, exploration: 0.05}
schedule: {generations: 120, shocks: [60]}
runs: 6
seed: 3
sweep:
  game.c: [0.05, 0.6]
"""


def write(tmp_path, text, name="s.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


# --------------------------------------------------------------- validation
def test_good_scenario_expands_its_sweep():
    loaded = loads(GOOD)
    conds = conditions(loaded)
    assert [c.params for c in conds] == [{"game.c": 0.05}, {"game.c": 0.6}]
    assert conds[0].model_params().c == 0.05
    assert conds[0].hash != conds[1].hash
    assert conditions(loads(GOOD))[0].hash == conds[0].hash


def test_another_draw_schedule_is_another_condition(monkeypatch):
    # a store written under an older draw schedule must not be resumed into
    before = conditions(loads(GOOD))[0].hash
    monkeypatch.setattr(condition_module, "DRAW_SCHEDULE", condition_module.DRAW_SCHEDULE + 1)
    assert conditions(loads(GOOD))[0].hash != before


@pytest.mark.parametrize("update", ["synchronous", "sequential", "reference", "asynchronous"])
def test_the_conformists_draws_version_is_in_the_hash_where_they_changed(monkeypatch, update):
    # the conformist's uniform changed in every mode but asynchronous (draws.py):
    # a store of the older draws is not resumed into there; other conditions keep
    # their hashes
    def hashes():
        plain = GOOD.replace("update: reference", f"update: {update}")
        conf = plain.replace("exploration: 0.05}", "exploration: 0.05, conformity: 0.3}")
        assert "conformity" in conf
        return conditions(loads(plain))[0].hash, conditions(loads(conf))[0].hash

    plain, conf = hashes()
    monkeypatch.setattr(condition_module, "CONFORMITY_DRAWS", condition_module.CONFORMITY_DRAWS + 1)
    assert hashes()[0] == plain
    assert (hashes()[1] != conf) == (update != "asynchronous")


def test_an_edited_edge_list_is_checked_again(tmp_path):
    # network sizes are cached per process, but never for an edge-list file
    (tmp_path / "e.txt").write_text("0 1\n1 2\n2 0\n")
    sc = tmp_path / "s.yaml"
    sc.write_text(
        GOOD.replace(
            "network: {kind: grid, rows: 8, cols: 8}", "network: {kind: edgelist, path: e.txt}"
        )
    )
    assert "edgelist" in sc.read_text()
    assert conditions(load(sc))[0].n_agents == 3
    (tmp_path / "e.txt").write_text("0 1\n1 2\n2 0\n3 4\n4 5\n5 3\n")
    assert conditions(load(sc))[0].n_agents == 6


def test_network_parameter_can_be_swept():
    text = GOOD.replace("game.c: [0.05, 0.6]", "population.network.rows: [6, 10]\n  game.c: [0.1]")
    conds = conditions(loads(text))
    assert [c.model_params().network["rows"] for c in conds] == [6, 10]


BAD = [
    ("game:\n  c: 1.5\n", r"s.yaml:\d+: game.c: 1.5 is outside \[0, 1\]"),
    (
        "dynamics:\n  update: async\n",
        "dynamics.update: 'async' is not one of synchronous, sequential, reference, "
        "asynchronous; did you mean 'asynchronous'",
    ),
    ("gmae:\n  c: 0.3\n", "gmae: unknown key; did you mean 'game'"),
    ("game:\n  cc: 0.3\n", "game.cc: unknown key; did you mean 'c'"),
    ("game: {a: 0.6, b: 0.4, c: 0.3\n", "malformed YAML"),
    ("game:\n  a: zero\n", "game.a: 'zero' is not a number"),
    ("runs: 0\n", "runs: 0 must be >= 1"),
    ("seed: -4\n", "seed: -4 must be a non-negative integer"),
    ("sweep:\n  game.c: []\n", "sweep.game.c: give at least one value"),
    ("sweep:\n  game.cee: [0.1]\n", "sweep.game.cee: no such field; did you mean 'game.c'"),
    ("sweep:\n  game.c: [0.1, 2.0]\n", "game.c: 2.0 is outside"),
    ("schedule:\n  generations: 100\n  shocks: [100]\n", "shocks: 100 is outside 1..99"),
    ("schedule:\n  shocks: {every: 0}\n", "every"),
    ("population:\n  network: {kind: edgelist, path: missing.txt}\n", "not found"),
    ("population:\n  network: {kind: watts_strogatz, n: 10, k: 12, p: 0.1}\n", "k"),
    ("population:\n  network: {kind: gird, rows: 5, cols: 5}\n", "did you mean 'grid'"),
    ("runs: 2.5\n", "runs: 2.5 is not an integer"),
    ("name: 'bad name!'\n", "name: 'bad name!' may contain only"),
    ("- just\n- a list\n", "must be a mapping"),
    ("dynamics:\n  exploration: {rates: [], rate_mutation: 0.1}\n", "non-empty list"),
]


@pytest.mark.slow
@pytest.mark.parametrize("body, pattern", BAD, ids=[b[1][:30] for b in BAD])
def test_bad_scenarios_exit_1_with_one_line(tmp_path, body, pattern):
    text = body if body.startswith(("name", "-")) else "name: bad\n" + body
    p = write(tmp_path, text)
    r = normsim("validate", str(p), cwd=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr
    assert re.search(pattern, lines[0]), lines[0]


def test_set_overrides_a_sweep_by_its_dotted_key():
    loaded = loads(GOOD, overrides=["sweep.game.c=[0.8, 0.9]", "game.a=0.7"])
    conds = conditions(loaded)
    assert [c.params for c in conds] == [{"game.c": 0.8}, {"game.c": 0.9}]
    assert conds[1].model_params().c == 0.9 and conds[1].model_params().a == 0.7


@pytest.mark.slow
def test_missing_scenario_file(tmp_path):
    r = normsim("run", str(tmp_path / "nope.yaml"))
    assert r.returncode == 1 and "not found" in r.stderr


@pytest.mark.slow
def test_set_override_is_validated(tmp_path):
    p = write(tmp_path, GOOD)
    # game.c is swept in GOOD: a plain --set would be silently replaced by the sweep
    r = normsim("validate", str(p), "--set", "game.c=0.8")
    assert r.returncode == 1 and "is swept" in r.stderr and "sweep.game.c=[0.8]" in r.stderr
    r = normsim("validate", str(p), "--set", "game.a=0.7")
    assert r.returncode == 0, r.stderr
    r = normsim("validate", str(p), "--set", "dynamics.selection_strength=-1")
    assert r.returncode == 1 and "selection_strength" in r.stderr
    r = normsim("validate", str(p), "--set", "game.c")
    assert r.returncode == 1 and "PATH=VALUE" in r.stderr


@pytest.mark.slow
def test_bad_scenarios_leave_an_existing_store_untouched(tmp_path):
    out = tmp_path / "res"
    good = write(tmp_path, GOOD, "good.yaml")
    assert (
        normsim(
            "run", "--workers", "1", str(good), "--out", str(out), "--runs", "2", "--json"
        ).returncode
        == 0
    )
    db = out / "results.sqlite"
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    for k, (body, _) in enumerate(BAD[:12]):
        text = body if body.startswith(("name", "-")) else "name: tiny\n" + body
        bad = write(tmp_path, text, f"bad{k}.yaml")
        r = normsim("run", str(bad), "--out", str(out), "--json")
        assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


@pytest.mark.slow
def test_unwritable_output_dir_exits_1(tmp_path):
    p = write(tmp_path, GOOD)
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    r = normsim("run", str(p), "--out", str(blocker / "out"), "--workers", "1")
    assert r.returncode == 1 and "cannot create" in r.stderr and "Traceback" not in r.stderr


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_loader_never_ends_in_a_traceback(text):
    try:
        loads(text)
    except NormsimError:
        pass


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            ["name", "game", "runs", "seed", "sweep", "schedule", "dynamics", "population", "extra"]
        ),
        st.one_of(
            st.integers(-5, 5),
            st.floats(allow_nan=True),
            st.text(max_size=5),
            st.lists(st.integers(-2, 3), max_size=3),
            st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
        ),
    )
)
def test_structured_fuzz_never_ends_in_a_traceback(d):
    try:
        conditions(loads(yaml.safe_dump(d)))
    except NormsimError:
        pass


# --------------------------------------------------------------- running
@pytest.mark.slow
def test_run_json_summary_and_store(tmp_path):
    p = write(tmp_path, GOOD)
    out = tmp_path / "res"
    r = normsim_process("run", str(p), "--out", str(out), "--json", "--workers", "2")
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == ""  # quiet under --json
    s = json.loads(r.stdout)
    assert s["scenario"] == "tiny" and len(s["conditions"]) == 2
    c0 = s["conditions"][0]
    assert c0["params"] == {"game.c": 0.05} and c0["runs"] == 6 and c0["generations"] == 120
    sh = c0["shocks"][0]
    assert sh["at"] == 60 and sh["new_norm"] == "B"
    for key in ("pre_share", "t50", "t90", "t50_median", "t50_p10", "t50_p90", "final_share"):
        assert key in sh
    assert sh["pre_share"] < 0.2 and sh["final_share"] > 0.8
    assert c0["exploration"] is None
    assert (out / "shares.png").is_file() and (out / "inertia.png").is_file()
    con = sqlite3.connect(out / "results.sqlite")
    rows = con.execute(
        "SELECT hash, rep, seed, scenario, params, version, wall_time FROM replicates"
    ).fetchall()
    assert len(rows) == 12 and all(r[3] == "tiny" and r[6] > 0 for r in rows)
    # a rerun skips everything and reports the same summary
    r2 = normsim("run", str(p), "--out", str(out), "--json")
    assert json.loads(r2.stdout) == s
    # workers do not change results
    r3 = normsim("run", str(p), "--out", str(tmp_path / "res1"), "--json", "--workers", "1")
    assert json.loads(r3.stdout) == s
    assert _series(out) == _series(tmp_path / "res1")
    # summary and export read the store
    r4 = normsim_process("summary", str(out), "--json")
    assert json.loads(r4.stdout) == s
    r5 = normsim_process("export", str(out), "--format", "csv")
    assert r5.returncode == 0
    lines = (out / "export" / "series.csv").read_text().splitlines()
    assert len(lines) == 1 + 12 * 121
    assert "share_b" in lines[0] and "param:game.c" in lines[0]


def _series(out):
    con = sqlite3.connect(Path(out) / "results.sqlite")
    return sorted(con.execute("SELECT hash, rep, seed, share_b, mean_payoff FROM replicates"))


@pytest.mark.slow
def test_more_runs_only_adds_replicates(tmp_path):
    p = write(tmp_path, GOOD)
    out = tmp_path / "res"
    normsim("run", "--workers", "1", str(p), "--out", str(out), "--runs", "3", "--json")
    before = _series(out)
    r = normsim("run", "--workers", "1", str(p), "--out", str(out), "--runs", "6")
    assert r.returncode == 0
    assert "ran 6 replicate(s), 6 already stored" in r.stdout
    after = _series(out)
    assert set(before) <= set(after) and len(after) == 12


#: scenarios large enough to kill midway: a sweep and a sampling design, each with the
#: number of stored replicates at which it is killed
KILLED = {
    "sweep": (
        GOOD.replace("runs: 6", "runs: 40")
        .replace("rows: 8, cols: 8", "rows: 20, cols: 20")
        .replace("generations: 120", "generations: 3000")
        .replace("shocks: [60]", "shocks: [1500]"),
        5,
    ),
    "design": (
        """
name: dkilled
game: {a: 0.6, b: 0.4, c: 0.3}
population: {network: {kind: watts_strogatz, n: 900, k: 4, p: 0.1}, initial_b: 0.05}
dynamics: {update: sequential, exploration: 0.05}
schedule: {generations: 600, shocks: [20]}
runs: 4
seed: 4
design:
  method: sobol
  samples: 8
  seed: 9
  bounds:
    game.c: [0.2, 0.9]
    dynamics.exploration: [0.01, 0.1]
    population.network.p: [0, 0.3]
""",
        20,
    ),
}


def _indices(out):
    r = normsim("sensitivity", str(out), "--json", "--no-plots")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["groups"]


@pytest.mark.slow
@pytest.mark.parametrize("study", list(KILLED))
def test_a_killed_run_resumes_to_the_results_of_an_uninterrupted_one(tmp_path, study):
    """``normsim run`` killed midway (SIGKILL, its workers too), then run again: what was
    stored is kept, only the missing replicates run, and the store (and a design's
    sensitivity indices) are those of a run that was never interrupted."""
    text, at_least = KILLED[study]
    p = write(tmp_path, text)
    out = tmp_path / "killed"
    killed_run("run", p, "--out", out, "--workers", "2", "--json", out=out, at_least=at_least)
    partial = _series(out)
    if study == "design":
        assert normsim("sensitivity", str(out)).returncode == 1  # incomplete: says so
    r = normsim_process("run", p, "--out", out, "--json")
    assert r.returncode == 0, r.stderr
    resumed = _series(out)
    assert at_least <= len(partial) < len(resumed), len(partial)
    assert len({(h, rep) for h, rep, *_ in resumed}) == len(resumed)
    assert set(partial) <= set(resumed)
    clean = tmp_path / "clean"
    assert normsim("run", p, "--out", clean, "--json").returncode == 0  # the reference, here
    assert resumed == _series(clean)
    if study == "design":
        assert _indices(out) == _indices(clean)


@pytest.mark.slow
def test_well_mixed_scenario(tmp_path):
    text = """
name: wm
game: {a: 0.6, b: 0.4, c: 0.3}
population: {well_mixed: true, initial_b: 0.5}
dynamics: {exploration: 0.03}
schedule: {generations: 200, shocks: [100]}
sweep: {game.c: [0.05, 0.8]}
"""
    p = write(tmp_path, text)
    r = normsim("run", "--workers", "1", str(p), "--out", str(tmp_path / "o"), "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    loose, tight = s["conditions"]
    assert loose["runs"] == 1 and loose["shocks"][0]["t50"] is not None
    # c = 0.8 > c* and mu = 0.03 < mu_crit(0.8) = 0.086: the old norm resists the shock
    assert tight["shocks"][0]["t50"] is None and tight["final_share_b"] < 0.1


@pytest.mark.slow
def test_evolving_rates_summary(tmp_path):
    text = """
name: evo
game: {a: 0.6, b: 0.4, c: 0.3}
population: {network: {kind: grid, rows: 10, cols: 10}}
dynamics:
  exploration: {rates: [0.0, 0.1, 0.2], rate_mutation: 0.05}
schedule: {generations: 300, shocks: {every: 75}}
runs: 3
"""
    p = write(tmp_path, text)
    r = normsim("run", "--workers", "1", str(p), "--out", str(tmp_path / "o"), "--json")
    assert r.returncode == 0, r.stderr
    c = json.loads(r.stdout)["conditions"][0]
    assert [sh["at"] for sh in c["shocks"]] == [75, 150, 225]
    assert [sh["new_norm"] for sh in c["shocks"]] == ["B", "A", "B"]
    ex = c["exploration"]
    assert set(ex["rate_shares"]) == {"0.0", "0.1", "0.2"}
    assert sum(ex["rate_shares"].values()) == pytest.approx(1.0)
    assert 0 <= ex["mean_rate"] <= 0.2
    assert len(ex["mean_rate_since_shock"]) == 75
    assert (tmp_path / "o" / "rates.png").is_file()


@pytest.mark.slow
def test_parquet_without_pyarrow_is_a_clear_error(tmp_path):
    if importlib.util.find_spec("pyarrow") is not None:
        pytest.skip("pyarrow installed")
    p = write(tmp_path, GOOD)
    normsim("run", "--workers", "1", str(p), "--out", str(tmp_path / "o"), "--runs", "1", "--json")
    r = normsim("export", str(tmp_path / "o"), "--format", "parquet")
    assert r.returncode == 1 and "pyarrow" in r.stderr


@pytest.mark.slow
def test_summary_of_missing_store(tmp_path):
    r = normsim("summary", str(tmp_path))
    assert r.returncode == 1 and "no results store" in r.stderr
