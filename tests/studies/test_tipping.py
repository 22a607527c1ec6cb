"""normsim tipping: the bisection against planted thresholds, the command line end to end
on a tiny torus (JSON, table, plot, agreement with the run summary), resumption, bad input."""

import json
import math
import signal
import sqlite3

import numpy as np
import pytest

from normsim.errors import NormsimError
from normsim.scenario import loads
from normsim.studies.tipping import LEVEL, Point, bisect, outcome, prepare

from support.clirun import killed_run, normsim, normsim_process


# ------------------------------------------------------------ the search, planted thresholds
def planted(thresholds, calls=None):
    """A deterministic stand-in for the runner: condition k tips at values >= thresholds[k]."""

    def evaluate(requests):
        if calls is not None:
            calls.append(list(requests))
        out = []
        for k, v in requests:
            tip = v >= thresholds[k]
            share = (
                0.5 + 0.4 * math.tanh(20 * (v - thresholds[k]))
                if tip
                else 0.49 * math.exp(-(thresholds[k] - v))
            )
            out.append(Point(v, share, float(tip), 4))
        return out

    return evaluate


@pytest.mark.parametrize("threshold", [0.0371, 0.1, 0.25, 0.3333, 0.49, 0.4999])
@pytest.mark.parametrize("tol", [0.01, 0.001])
def test_bisection_brackets_a_planted_threshold_within_tol(threshold, tol):
    s = bisect(planted([threshold]), 1, 0.0, 0.5, tol)[0]
    assert s.status == "bracketed"
    lo, hi = s.bracket()
    assert lo < threshold <= hi
    assert hi - lo <= tol
    # the bracket's ends are tested values on the right sides, and no tested value
    # contradicts them
    assert not s.no_tip.tipped and s.tip.tipped
    for p in s.tested:
        assert p.tipped == (p.value >= threshold)
    # bisection: the two ends, then one value per halving of 0.5 down to tol
    assert len(s.tested) == 2 + math.ceil(math.log2(0.5 / tol))


def test_all_conditions_advance_together_one_batch_per_round():
    calls = []
    thresholds = [0.05, 0.3, 0.45]
    found = bisect(planted(thresholds, calls), 3, 0.0, 0.5, 0.02)
    for s, t in zip(found, thresholds, strict=True):
        assert s.bracket()[0] < t <= s.bracket()[1]
        assert s.bracket()[1] - s.bracket()[0] <= 0.02
    assert calls[0] == [(0, 0.0), (0, 0.5), (1, 0.0), (1, 0.5), (2, 0.0), (2, 0.5)]
    assert len(calls) == 1 + math.ceil(math.log2(0.5 / 0.02))
    assert all(sorted(k for k, _ in c) == [0, 1, 2] for c in calls[1:])


def test_a_population_grid_stops_one_agent_apart():
    # N = 400 agents: the committed count is floor(f N + 0.5); tipping from 37 agents on
    n, k = 400, 37

    def evaluate(requests):
        return [Point(v, float(math.floor(v * n + 0.5) >= k), 0.0, 1) for _, v in requests]

    s = bisect(evaluate, 1, 0.0, 0.5, 1e-6, grids=[n])[0]
    assert s.status == "bracketed" and s.at_resolution
    assert s.bracket() == [(k - 1) / n, k / n]
    assert all(p.value in (0.0, 0.5) or (p.value * n).is_integer() for p in s.tested)
    # with a tolerance coarser than one agent, tol stops it first
    s = bisect(evaluate, 1, 0.0, 0.5, 0.02, grids=[n])[0]
    assert not s.at_resolution and s.bracket()[1] - s.bracket()[0] <= 0.02
    assert s.bracket()[0] < k / n <= s.bracket()[1] + 1e-12


@pytest.mark.parametrize("threshold", [0.0371, 0.25, 0.4999])
def test_direction_down_brackets_the_largest_value_that_tips(threshold):
    # change happens at values <= threshold (as for game.c): the bracket is
    # [largest value that tipped, smallest that did not], within tol
    def evaluate(requests):
        return [Point(v, float(v <= threshold), float(v <= threshold), 2) for _, v in requests]

    s = bisect(evaluate, 1, 0.0, 0.5, 0.01, direction="down")[0]
    assert s.status == "bracketed" and s.direction == "down"
    lo, hi = s.bracket()
    assert lo <= threshold < hi and hi - lo <= 0.01
    assert s.tip.value == lo and s.no_tip.value == hi
    assert {p.value for p in s.tested} >= {0.0, 0.5}
    assert all(p.tipped == (p.value <= threshold) for p in s.tested)
    # the ends: no change even at lo, change even at hi
    never = bisect(
        lambda r: [Point(v, 0.0, 0.0, 1) for _, v in r], 1, 0.1, 0.5, 0.01, direction="down"
    )[0]
    assert never.status == "never" and never.bracket() == [None, 0.1]
    always = bisect(
        lambda r: [Point(v, 1.0, 1.0, 1) for _, v in r], 1, 0.1, 0.5, 0.01, direction="down"
    )[0]
    assert always.status == "already" and always.bracket() == [0.5, None]
    with pytest.raises(NormsimError, match="direction"):
        bisect(evaluate, 1, 0.0, 0.5, 0.01, direction="sideways")


def test_no_tipping_up_to_hi_and_tipping_already_at_lo():
    found = bisect(planted([0.7, -1.0]), 2, 0.1, 0.5, 0.01)
    never, already = found
    assert never.status == "never" and never.bracket() == [0.5, None]
    assert len(never.tested) == 2 and never.no_tip.value == 0.5
    assert already.status == "already" and already.bracket() == [None, 0.1]
    assert len(already.tested) == 2


@pytest.mark.parametrize(
    "lo,hi,tol,msg",
    [
        (0.3, 0.3, 0.01, "lo < hi"),
        (0.4, 0.2, 0.01, "lo < hi"),
        (0.0, 0.5, 0.0, "> 0"),
        (0.0, 0.5, float("nan"), "> 0"),
    ],
)
def test_bisect_refuses_a_bad_range(lo, hi, tol, msg):
    with pytest.raises(NormsimError, match=msg):
        bisect(planted([0.2]), 1, lo, hi, tol)


# ------------------------------------------------------------ the criterion
def test_outcome_uses_the_uncommitted_share_over_the_last_tenth_after_the_shock():
    sc = loads(
        TINY.replace("{extra}", "  committed: {fraction: 0.1, norm: new, placement: random}")
    ).scenario
    G = sc.schedule.generations  # 80, shock at 30: the window is the last 5
    rng = np.random.default_rng(1)
    unc = np.zeros((3, G + 1))
    unc[:, :31] = rng.random((3, 31))  # before the shock: never counted
    unc[0, -5:] = 1.0  # 1
    unc[1, -3:] = 1.0  # 0.6 -> changed (>= 0.5)
    unc[2, -2:] = 1.0  # 0.4
    unc[2, -6] = 1.0  # just before the window: not counted
    everyone = 0.1 + 0.9 * unc
    share, p, n = outcome(
        sc, {"share_b": np.zeros((3, G + 1)), "share_new": everyone, "share_new_uncommitted": unc}
    )
    assert n == 3
    assert share == pytest.approx((1.0 + 0.6 + 0.4) / 3)
    assert p == pytest.approx(2 / 3)
    # every agent committed: nobody is uncommitted, the share among everyone counts and
    # the probability of change is undefined (NaN, null in JSON)
    nan = np.full((1, G + 1), np.nan)
    share, p, _ = outcome(
        sc,
        {
            "share_b": np.ones((1, G + 1)),
            "share_new": np.ones((1, G + 1)),
            "share_new_uncommitted": nan,
        },
    )
    assert share == 1.0 and np.isnan(p)
    # without committed agents: the share of the new norm (B, as a > b) among everyone
    plain = loads(TINY.replace("{extra}", "")).scenario
    share, p, n = outcome(plain, {"share_b": unc})
    assert share == pytest.approx((1.0 + 0.6 + 0.4) / 3) and p == pytest.approx(2 / 3)
    flipped = loads(
        TINY.replace("{extra}", "").replace("a: 0.6, b: 0.4", "a: 0.4, b: 0.6")
    ).scenario
    share, _, _ = outcome(flipped, {"share_b": unc})
    assert share == pytest.approx(1 - (1.0 + 0.6 + 0.4) / 3)
    # no shock: the last 10% of the whole run (8 generations)
    noshock = loads(TINY.replace("{extra}", "").replace("shocks: [30]", "shocks: []")).scenario
    share, _, _ = outcome(noshock, {"share_b": unc})
    assert share == pytest.approx((5 / 8 + 3 / 8 + 3 / 8) / 3)


# ------------------------------------------------------------ the command line, end to end
TINY = """
name: tiny-tipping
game: {a: 0.6, b: 0.4, c: 0.9}
population:
  network: {kind: grid, rows: 10, cols: 10, periodic: true}
  initial_b: 0.5
{extra}
dynamics: {update: reference, selection_strength: 5.0, exploration: 0.05}
schedule: {generations: 80, shocks: [30]}
runs: 2
seed: 5
"""

KEYS = {
    "scenario",
    "vary",
    "direction",
    "lo",
    "hi",
    "tol",
    "runs",
    "generations",
    "criterion",
    "added_committed",
    "dropped_sweep",
    "conditions",
    "ran",
    "already_stored",
    "seconds",
    "out",
    "files",
}
COND_KEYS = {
    "params",
    "status",
    "bracket",
    "width",
    "at_resolution",
    "n_agents",
    "lo_side",
    "hi_side",
    "tested",
}


@pytest.fixture
def tiny(tmp_path):
    p = tmp_path / "tiny.yaml"
    p.write_text(TINY.replace("{extra}", "") + "sweep:\n  game.c: [0.2, 0.9]\n")
    return p


def _check_result(res, out):
    assert set(res) == KEYS
    assert res["vary"] == "population.committed.fraction" and res["added_committed"] is True
    assert res["criterion"] == {
        "share_among": "uncommitted",
        "window": "last 10% of the generations after the last shock",
        "level": 0.5,
    }
    assert [c["params"] for c in res["conditions"]] == [{"game.c": 0.2}, {"game.c": 0.9}]
    for c in res["conditions"]:
        assert set(c) == COND_KEYS
        assert c["n_agents"] == 100
        values = [p["value"] for p in c["tested"]]
        assert values == sorted(values) and {0.0, 0.5} <= set(values)
        for p in c["tested"]:
            assert p["tipped"] == (p["share"] >= LEVEL) and p["runs"] == 2
            assert 0 <= p["p_change"] <= 1
        lo, hi = c["bracket"]
        if c["status"] == "bracketed":
            assert c["lo_side"]["value"] == lo < hi == c["hi_side"]["value"]
            assert c["lo_side"]["share"] < LEVEL <= c["hi_side"]["share"]
            assert not c["lo_side"]["tipped"] and c["hi_side"]["tipped"]
            assert hi - lo <= 0.05 or c["at_resolution"]
            assert all((p["value"] * 100).is_integer() for p in c["tested"])
        elif c["status"] == "never":
            assert c["bracket"] == [0.5, None] and c["hi_side"] is None
        else:
            assert c["status"] == "already" and c["bracket"] == [None, 0.0]
    for f in ("tipping.png", "tipping.json", "results.sqlite"):
        assert (out / f).is_file(), f
    assert json.loads((out / "tipping.json").read_text())["conditions"] == res["conditions"]


@pytest.mark.slow
def test_cli_end_to_end_json_table_plot_and_resumption(tiny, tmp_path):
    out = tmp_path / "out"
    args = [
        "tipping",
        str(tiny),
        "--vary",
        "population.committed.fraction",
        "--tol",
        "0.05",
        "--out",
        str(out),
        "--workers",
        "2",
    ]
    r = normsim_process(*args, "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    _check_result(res, out)
    # the tight society (c = 0.9) needs committed agents: it does not tip at 0 but at 0.5
    tight = res["conditions"][1]
    assert tight["status"] == "bracketed"
    n_tested = sum(len(c["tested"]) for c in res["conditions"])
    assert res["ran"] == 2 * n_tested and res["already_stored"] == 0
    # every tested value is its own stored condition; its numbers recomputed from the
    # stored series (share of B, so the uncommitted count is taken out here)
    db = sqlite3.connect(out / "results.sqlite")
    assert db.execute("SELECT COUNT(DISTINCT hash) FROM replicates").fetchone()[0] == n_tested
    finished = db.execute("SELECT MAX(finished) FROM replicates").fetchone()[0]
    from normsim.store import Store
    from normsim.studies.results import load_series

    with Store(out) as store:
        for c in res["conditions"]:
            for p in c["tested"]:
                b = load_series(store, p["hash"])["share_b"]  # (2, 81), 100 agents
                k = math.floor(p["value"] * 100 + 0.5)
                if k == 100:
                    continue
                unc = (np.rint(b * 100) - k) / (100 - k)  # committed hold B
                final = unc[:, 76:].mean(axis=1)  # 5 of the 50 after 30
                assert p["share"] == pytest.approx(final.mean(), abs=1e-12)
                assert p["p_change"] == pytest.approx(np.mean(final >= 0.5))
    # a rerun runs nothing and gives the same result; the table names the bracket
    r = normsim_process(*args)
    assert r.returncode == 0, r.stderr
    assert "ran 0 replicate(s)" in r.stdout and "c lo" not in r.stdout
    assert "fraction lo" in r.stdout and "values tested" in r.stdout
    assert "tipping.png" in r.stdout
    again = json.loads((out / "tipping.json").read_text())
    assert again["conditions"] == res["conditions"] and again["ran"] == 0
    assert again["already_stored"] == 2 * n_tested
    assert db.execute("SELECT MAX(finished) FROM replicates").fetchone()[0] == finished
    # after losing some replicates (a kill mid-search), only those run again
    h = tight["tested"][-1]["hash"]
    db.execute("DELETE FROM replicates WHERE hash = ? AND rep = 1", (h,))
    db.commit()
    db.close()
    r = normsim_process(*args, "--json")
    assert r.returncode == 0, r.stderr
    res3 = json.loads(r.stdout)
    assert res3["ran"] == 1 and res3["conditions"] == res["conditions"]


@pytest.mark.slow
def test_cli_varies_another_path_without_committed_agents(tmp_path):
    p = tmp_path / "plain.yaml"
    p.write_text(TINY.replace("{extra}", ""))
    out = tmp_path / "o"
    r = normsim(
        "tipping",
        str(p),
        "--vary",
        "game.c",
        "--lo",
        "0.1",
        "--hi",
        "1.0",
        "--tol",
        "0.1",
        "--direction",
        "down",
        "--out",
        str(out),
        "--workers",
        "1",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["criterion"]["share_among"] == "everyone" and not res["added_committed"]
    assert res["direction"] == "down"
    (c,) = res["conditions"]
    assert c["params"] == {} and c["n_agents"] is None
    assert c["tested"][0]["value"] == 0.1 and c["tested"][-1]["value"] == 1.0
    # a loose society changes within 50 generations after the shock, a fully tight one not
    assert c["tested"][0]["tipped"] and not c["tested"][-1]["tipped"]
    assert c["status"] == "bracketed" and c["width"] <= 0.1
    assert c["lo_side"]["tipped"] and not c["hi_side"]["tipped"]
    # the share is the last shock's final_share of the run summary (one shock, new norm B)
    s = normsim("summary", str(out), "--json")
    finals = {
        x["params"]["game.c"]: x["shocks"][-1]["final_share"]
        for x in json.loads(s.stdout)["conditions"]
    }
    for pt in c["tested"]:
        assert pt["share"] == pytest.approx(finals[pt["value"]], abs=1e-12)
    r = normsim(
        "tipping",
        str(p),
        "--vary",
        "game.c",
        "--lo",
        "0.1",
        "--hi",
        "1.0",
        "--tol",
        "0.1",
        "--direction",
        "down",
        "--out",
        str(out),
        "--workers",
        "1",
    )
    assert r.returncode == 0 and "largest game.c" in r.stdout and "ran 0 replicate" in r.stdout


@pytest.mark.slow
def test_a_search_killed_midway_resumes_with_only_the_missing_replicates(tmp_path):
    p = tmp_path / "k.yaml"
    p.write_text(
        TINY.replace("{extra}", "")
        .replace("rows: 10, cols: 10", "rows: 30, cols: 30")
        .replace("generations: 80", "generations: 70")
        .replace("runs: 2", "runs: 4")
        + "sweep:\n  game.c: [0.9]\n"
    )
    args = [
        "tipping",
        str(p),
        "--vary",
        "population.committed.fraction",
        "--tol",
        "0.01",
        "--workers",
        "2",
        "--json",
    ]
    killed = tmp_path / "killed"
    # killed in the second round (the first: 2 values x 4 runs)
    proc = killed_run(*args, "--out", killed, out=killed, at_least=9)
    if proc.returncode != -signal.SIGKILL:
        pytest.skip("the search finished before it could be killed")
    con = sqlite3.connect(killed / "results.sqlite")
    before = con.execute("SELECT COUNT(*) FROM replicates").fetchone()[0]
    con.close()
    r = normsim_process(*args, "--out", str(killed))
    assert r.returncode == 0, r.stderr
    resumed = json.loads(r.stdout)
    r = normsim(*args, "--out", str(tmp_path / "whole"))  # the reference, here
    assert r.returncode == 0, r.stderr
    whole = json.loads(r.stdout)
    total = 4 * len(whole["conditions"][0]["tested"])
    assert whole["ran"] == total
    if before == total:
        pytest.skip("every replicate was stored before the search could be killed")
    assert resumed["conditions"] == whole["conditions"]
    assert 0 < resumed["ran"] == total - before < total
    assert resumed["already_stored"] == before


@pytest.mark.slow
def test_tipping_on_a_dask_cluster_equals_a_local_run(tiny, tmp_path, dask_cluster):
    # the session's cluster (tests/conftest.py), the command in a process of its own
    args = [
        "tipping",
        str(tiny),
        "--vary",
        "population.committed.fraction",
        "--tol",
        "0.1",
        "--json",
    ]
    r = normsim_process(
        *args, "--out", str(tmp_path / "dask"), "--scheduler", dask_cluster.scheduler_address
    )
    assert r.returncode == 0, r.stderr
    r2 = normsim(*args, "--out", str(tmp_path / "local"), "--workers", "1")
    assert r2.returncode == 0, r2.stderr
    dask, local = json.loads(r.stdout), json.loads(r2.stdout)
    assert dask["conditions"] == local["conditions"] and dask["ran"] == local["ran"] > 0
    q = "SELECT hash, rep, seed, share_b FROM replicates ORDER BY hash, rep"
    assert (
        sqlite3.connect(tmp_path / "dask" / "results.sqlite").execute(q).fetchall()
        == sqlite3.connect(tmp_path / "local" / "results.sqlite").execute(q).fetchall()
    )


# ------------------------------------------------------------ bad input
# in this process (tests/support/clirun.py); `normsim tipping` has its own process above
COUNT = "  committed: {count: 5, norm: new, placement: random}"
NODES = "  committed: {nodes: [1, 2], norm: new, placement: nodes}"


@pytest.mark.slow
@pytest.mark.parametrize(
    "extra,sweep,args,code,msg",
    [
        ("", "", ["--lo", "0.4", "--hi", "0.2"], 1, "lo < hi"),
        ("", "", ["--lo", "0.3", "--hi", "0.3"], 1, "lo < hi"),
        ("", "", ["--hi", "1.5"], 1, "outside [0, 1]"),
        ("", "", ["--tol", "0"], 1, "--tol"),
        ("", "", ["--tol", "abc"], 1, "not a number"),
        ("", "", ["--lo", "nan"], 1, "not a finite number"),
        ("", "", ["--vary", "population.committed.fractoin"], 1, "did you mean"),
        ("", "", ["--vary", "game.cc"], 1, "no such field"),
        ("", "", ["--vary", "dynamics.update"], 1, "not a numeric parameter"),
        ("", "", ["--vary", "population.network.rows"], 1, "integer parameter"),
        (COUNT, "", [], 1, "gives a count"),
        (NODES, "", [], 1, "placement nodes"),
        ("", "", ["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], 2, "cannot be combined"),
        ("", "", ["--bogus"], 2, "unrecognized arguments"),
        ("", "", ["--direction", "sideways"], 2, "invalid choice"),
    ],
)
def test_bad_input_gets_one_line_and_writes_nothing(tmp_path, extra, sweep, args, code, msg):
    p = tmp_path / "s.yaml"
    p.write_text(TINY.replace("{extra}", extra) + sweep)
    out = tmp_path / "never"
    vary = [] if "--vary" in args else ["--vary", "population.committed.fraction"]
    r = normsim("tipping", str(p), *vary, *args, "--out", str(out))
    assert r.returncode == code, (r.stdout, r.stderr)
    assert msg in r.stderr
    assert "Traceback" not in r.stderr
    if code == 1:
        assert len(r.stderr.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.slow
def test_well_mixed_and_missing_vary(tmp_path):
    p = tmp_path / "wm.yaml"
    p.write_text("name: wm\npopulation: {well_mixed: true}\nschedule: {generations: 10}\n")
    r = normsim(
        "tipping", str(p), "--vary", "population.committed.fraction", "--out", str(tmp_path / "x")
    )
    assert r.returncode == 1 and "needs an agent-based population (a network)" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = normsim("tipping", str(p), "--out", str(tmp_path / "x"))
    assert r.returncode == 2 and "--vary" in r.stderr
    assert not (tmp_path / "x").exists()


def test_prepare_takes_the_varied_path_out_of_the_sweep():
    loaded = loads(
        TINY.replace("{extra}", "") + "sweep:\n  population.committed.fraction: "
        "[0.1, 0.2]\n  game.c: [0.3, 0.9]\n"
    )
    s = prepare(loaded, "population.committed.fraction")
    assert s.dropped_sweep and s.combos == [{"game.c": 0.3}, {"game.c": 0.9}]
    assert s.loaded.scenario.sweep == {"game.c": [0.3, 0.9]}
    s = prepare(
        loads(TINY.replace("{extra}", "") + "sweep:\n  game.c: [0.3, 0.9]\n"), "game.c", 0.1, 0.9
    )
    assert s.dropped_sweep and s.combos == [{}]


def test_prepare_adds_committed_agents_and_keeps_a_given_block():
    loaded = loads(TINY.replace("{extra}", ""))
    s = prepare(loaded, "population.committed.fraction")
    assert s.added_committed
    cm = s.loaded.scenario.population.committed
    assert (cm.norm, cm.placement) == ("new", "random")
    given = loads(TINY.replace("{extra}", "  committed: {fraction: 0.3, norm: B, placement: hubs}"))
    s = prepare(given, "population.committed.fraction", 0.0, 0.4, 0.01)
    assert not s.added_committed
    assert s.loaded.scenario.population.committed.placement == "hubs"
