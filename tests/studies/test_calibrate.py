"""Calibration by ABC-SMC: the algorithm against closed-form posteriors, recovery of known
parameters from series normsim generated, the command line (outputs, rerun, Dask), bad input."""

import json
import math
import sqlite3

import numpy as np
import pytest
from scipy import stats

from normsim.errors import NormsimError
from normsim.scenario import load, loads
from normsim.studies.calibrate import (
    abc_smc,
    calibrate,
    prepare,
    read_observed,
    synthetic_observed,
    weighted_quantile,
    write_observed,
)

from support.clirun import normsim, normsim_process

SCENARIO = """
name: recover
game: {a: 0.6, b: 0.4, c: 0.5}
population: {network: {kind: grid, rows: 20, cols: 20}, initial_b: 0.02}
dynamics: {update: sequential, exploration: 0.05}
schedule: {generations: 80, shocks: [20]}
runs: 6
seed: 3
"""


# ------------------------------------------------------------ the algorithm
def _gauss_sim(n_obs):
    """Candidates' sample means of n_obs draws from N(theta_k, 1), one stream per seed."""

    def sim(theta, seeds, t, b):
        means = np.array(
            [
                np.random.default_rng(int(s)).normal(th, 1 / math.sqrt(n_obs))
                for th, s in zip(theta[:, 0], seeds, strict=True)
            ]
        )
        return means

    return sim


def test_abc_smc_recovers_a_normal_posterior():
    # y_bar of 20 draws of N(theta, 1), flat prior: the posterior is N(y_bar, 1/20); ABC with
    # tolerance eps on |mean - y_bar| widens it by about eps^2/3
    n, ybar = 20, 0.7
    sim = _gauss_sim(n)
    res = abc_smc(
        lambda th, s, t, b: np.abs(sim(th, s, t, b) - ybar),
        ["theta"],
        [-3.0],
        [3.0],
        particles=400,
        populations=8,
        seed=11,
    )
    p = res.posterior
    assert p.weights.sum() == pytest.approx(1.0) and 0 < p.ess <= 400
    eps = p.epsilon
    assert eps < 0.1
    sd = math.sqrt(1 / n + eps**2 / 3)
    s = res.summary()["theta"]
    assert s["mean"] == pytest.approx(ybar, abs=0.05)
    assert s["sd"] == pytest.approx(sd, rel=0.15)
    lo, hi = s["ci90"]
    assert lo == pytest.approx(ybar - 1.645 * sd, abs=0.08)
    assert hi == pytest.approx(ybar + 1.645 * sd, abs=0.08)
    assert len(res.candidates) == sum(q.proposed for q in res.populations)


def test_abc_smc_posterior_cut_by_the_prior_is_the_truncated_normal():
    # two parameters, the second's posterior cut by its prior at 0: a truncated normal
    # N(0.05, 0.1^2) on [0, 1]; the first is N(0.5, 0.1^2); both y_bars from 100 draws
    n = 100
    target = np.array([0.5, 0.05])

    def dist(theta, seeds, t, b):
        out = []
        for th, s in zip(theta, seeds, strict=True):
            m = np.random.default_rng(int(s)).normal(th, 1 / math.sqrt(n))
            out.append(np.max(np.abs(m - target)))
        return np.array(out)

    res = abc_smc(dist, ["a", "b"], [0.0, 0.0], [1.0, 1.0], particles=500, populations=8, seed=5)
    s = res.summary()
    eps = res.posterior.epsilon
    assert eps < 0.08
    sd = math.sqrt(1 / n + eps**2 / 3)
    assert s["a"]["mean"] == pytest.approx(0.5, abs=0.03)
    tn = stats.truncnorm((0 - 0.05) / sd, (1 - 0.05) / sd, loc=0.05, scale=sd)
    assert s["b"]["mean"] == pytest.approx(tn.mean(), abs=0.02)
    assert s["b"]["ci90"][1] == pytest.approx(tn.ppf(0.95), abs=0.04)


def test_weighted_quantile_equal_weights_and_importance_weights():
    x = np.array([3.0, 1.0, 2.0, 5.0])
    for q in (0.25, 0.5, 0.9):  # equal weights: the sample quantile (midpoint rule)
        assert weighted_quantile(x, np.ones(4), q) == pytest.approx(
            np.quantile(x, q, method="hazen"), abs=1e-12
        )
    # uniform draws weighted by 2x are a sample of Beta(2, 1), whose q-quantile is sqrt(q)
    u = np.random.default_rng(1).random(200_000)
    for q in (0.05, 0.5, 0.95):
        assert weighted_quantile(u, 2 * u, q) == pytest.approx(math.sqrt(q), abs=0.005)


# ------------------------------------------------------------ recovery on normsim's own data
TRUTHS = [(0.70, 0.06), (0.78, 0.04), (0.85, 0.05)]


@pytest.mark.slow
@pytest.mark.parametrize("c,mu", TRUTHS)
def test_calibration_recovers_known_c_and_exploration(tmp_path, c, mu):
    loaded = loads(SCENARIO)
    obs = synthetic_observed(
        loaded,
        {"game.c": c, "dynamics.exploration": mu},
        10,
        seed=1000 + int(100 * c),
        every=1,
        last=60,
    )
    write_observed(tmp_path / "obs.csv", obs, f"c = {c}, exploration = {mu}")
    setup = prepare(
        loaded,
        tmp_path / "obs.csv",
        ["game.c", "dynamics.exploration"],
        ["dynamics.exploration=0,0.1"],
    )
    out = calibrate(
        setup,
        tmp_path / "o",
        particles=100,
        populations=6,
        quantile=0.4,
        predictive=0,
        workers=1,
        quiet=True,
    )
    post = out["posterior"]
    for path, truth in (("game.c", c), ("dynamics.exploration", mu)):
        lo, hi = post[path]["ci90"]
        assert lo <= truth <= hi, (path, truth, post[path])
    assert abs(post["game.c"]["mean"] - c) < 0.05, post["game.c"]
    # every simulated particle is in the store
    n = (
        sqlite3.connect(tmp_path / "o" / "results.sqlite")
        .execute("SELECT COUNT(DISTINCT hash) FROM replicates")
        .fetchone()[0]
    )
    assert n == out["simulations"]


# ------------------------------------------------------------ command line
SMALL = SCENARIO.replace("rows: 20, cols: 20", "rows: 8, cols: 8").replace("runs: 6", "runs: 2")


@pytest.fixture
def small(tmp_path):
    sc = tmp_path / "s.yaml"
    sc.write_text(SMALL)
    rows = synthetic_observed(
        load(sc), {"game.c": 0.6, "dynamics.exploration": 0.05}, 3, seed=8, every=5, last=40
    )
    write_observed(tmp_path / "obs.csv", rows, "test data")
    return sc, tmp_path / "obs.csv"


ARGS = [
    "--fit",
    "game.c,dynamics.exploration",
    "--prior",
    "dynamics.exploration=0,0.2",
    "--particles",
    "20",
    "--populations",
    "2",
    "--predictive",
    "5",
]


@pytest.mark.slow
def test_calibrate_cli_writes_its_outputs_and_a_rerun_simulates_nothing(tmp_path, small):
    sc, obs = small
    out = tmp_path / "out"
    r = normsim_process(
        "calibrate", str(sc), "--observed", str(obs), *ARGS, "--out", str(out), "--workers", "2"
    )
    assert r.returncode == 0, r.stderr
    assert "90% credible interval" in r.stdout and "population 1" in r.stderr
    for f in (
        "posterior.csv",
        "particles.csv",
        "calibration.json",
        "posterior_pairs.png",
        "posterior_predictive.png",
        "results.sqlite",
    ):
        assert (out / f).is_file(), f
    js = json.loads((out / "calibration.json").read_text())
    assert [p["population"] for p in js["populations"]] == [0, 1]
    post = (out / "posterior.csv").read_text()
    assert len(post.splitlines()) == 21
    db = sqlite3.connect(out / "results.sqlite")
    n_sims = db.execute("SELECT COUNT(DISTINCT hash) FROM replicates").fetchone()[0]
    assert n_sims == js["simulations"]
    assert db.execute("SELECT COUNT(*) FROM replicates").fetchone()[0] == 2 * n_sims
    stored = db.execute("SELECT MAX(finished) FROM replicates").fetchone()[0]
    particles = (out / "particles.csv").read_text()
    assert len(particles.splitlines()) == 1 + js["simulations"] - 5
    # the rerun in this process (the first run above had its own)
    r = normsim("calibrate", str(sc), "--observed", str(obs), *ARGS, "--out", str(out), "--json")
    assert r.returncode == 0, r.stderr
    again = json.loads(r.stdout)
    assert again["posterior"] == js["posterior"]
    assert (out / "posterior.csv").read_text() == post
    assert (out / "particles.csv").read_text() == particles
    db = sqlite3.connect(out / "results.sqlite")
    assert db.execute("SELECT MAX(finished) FROM replicates").fetchone()[0] == stored


@pytest.mark.slow
def test_calibrate_on_a_dask_cluster_equals_a_local_run(tmp_path, small, dask_cluster):
    # the session's cluster (tests/conftest.py), the command in a process of its own
    sc, obs = small
    r = normsim_process(
        "calibrate",
        str(sc),
        "--observed",
        str(obs),
        *ARGS,
        "--out",
        str(tmp_path / "dask"),
        "--scheduler",
        dask_cluster.scheduler_address,
        "--json",
    )
    assert r.returncode == 0, r.stderr
    r2 = normsim(
        "calibrate",
        str(sc),
        "--observed",
        str(obs),
        *ARGS,
        "--out",
        str(tmp_path / "local"),
        "--workers",
        "1",
        "--json",
    )
    assert r2.returncode == 0, r2.stderr
    assert json.loads(r.stdout)["posterior"] == json.loads(r2.stdout)["posterior"]
    q = "SELECT hash, rep, seed, share_b FROM replicates ORDER BY hash, rep"
    assert (
        sqlite3.connect(tmp_path / "dask" / "results.sqlite").execute(q).fetchall()
        == sqlite3.connect(tmp_path / "local" / "results.sqlite").execute(q).fetchall()
    )


# ------------------------------------------------------------ bad input
# in this process (tests/support/clirun.py): the error path is the same as in a subprocess, and the
# command line's own process is tested above
BAD_CSV = [
    ("generation,value\n0,0.1\n", "missing column(s) share"),
    ("share\n0.1\n", "missing column(s) generation"),
    ("generation,share\n0,0.1\n1,1.2\n", "share: 1.2 is outside [0, 1]"),
    ("generation,share\n0,-0.1\n", "share: -0.1 is outside [0, 1]"),
    ("generation,share\n0,abc\n", "share: 'abc' is not a number"),
    ("generation,share\nx,0.1\n", "generation: 'x' is not a number"),
    ("generation,share\n1.5,0.1\n", "not a whole number"),
    ("generation,share\n", "no data rows"),
    ("# only a comment\n", "no header and no rows"),
    ("generation,share,colour\n0,0.1,red\n", "unknown column 'colour'"),
    ("generation,share\n0,0.1\n0,0.2\n", "generation 0 is given twice"),
    ("generation,share\n0,0.1,7\n", "3 cells, the header has 2"),
    ("generation,share\n500,0.1\n", "beyond the 60 generations"),
]


@pytest.mark.parametrize("text,message", BAD_CSV)
def test_bad_observed_csv_exits_1_with_one_line_and_writes_nothing(tmp_path, text, message):
    sc = tmp_path / "s.yaml"
    sc.write_text(SMALL)
    obs = tmp_path / "bad.csv"
    obs.write_text(text)
    r = normsim(
        "calibrate",
        str(sc),
        "--observed",
        str(obs),
        "--fit",
        "game.c",
        "--out",
        str(tmp_path / "o"),
    )
    assert r.returncode == 1, r.stderr
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "o").exists()


BAD_ARGS = [
    (["--fit", "game.c", "--prior", "game.c=0,1.5"], "1.5 is not allowed"),
    (["--fit", "game.c", "--prior", "game.c=-0.2,0.5"], "-0.2 is not allowed"),
    (["--fit", "game.c", "--prior", "game.c=0.6,0.2"], "lo 0.6 >= hi 0.2"),
    (["--fit", "game.c", "--prior", "game.c=0,x"], "'x' is not a number"),
    (["--fit", "game.c", "--prior", "game.c=0"], "is not LO,HI"),
    (["--fit", "game.c", "--prior", "dynamics.exploration=0,0.1"], "not a fitted path"),
    (["--fit", "game.q"], "no such field; did you mean 'game.c'"),
    (["--fit", "dynamics.update"], "not a numeric parameter"),
    (
        ["--fit", "population.network.rows", "--prior", "population.network.rows=4,9"],
        "only continuous ones can be fitted",
    ),
    (["--fit", "dynamics.selection_strength"], "give its prior with --prior"),
    (
        ["--fit", "dynamics.selection_strength", "--prior", "dynamics.selection_strength=-1,5"],
        "-1.0 is not allowed",
    ),
    (["--fit", "game.c,game.c"], "given twice"),
    (["--fit", "game.c", "--particles", "3"], "--particles: 3"),
    (["--fit", "game.c", "--quantile", "1"], "--quantile"),
]


@pytest.mark.parametrize("args,message", BAD_ARGS)
def test_bad_fit_or_prior_exits_1_with_one_line_and_writes_nothing(tmp_path, small, args, message):
    sc, obs = small
    r = normsim("calibrate", str(sc), "--observed", str(obs), *args, "--out", str(tmp_path / "o"))
    assert r.returncode == 1, r.stderr
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "o").exists()


def test_scenarios_calibrate_cannot_use(tmp_path):
    obs = tmp_path / "o.csv"
    obs.write_text("generation,share\n0,0.1\n")
    for text, message in (
        (SMALL.replace("shocks: [20]", "shocks: []"), "needs a shock"),
        (SMALL + "sweep: {game.a: [0.6, 0.7]}\n", "without sweep"),
        (
            SMALL.replace(
                "population: {network: {kind: grid, rows: 8, cols: 8},",
                "population: {well_mixed: true,",
            ),
            "well-mixed",
        ),
    ):
        loaded = loads(text)
        with pytest.raises(NormsimError, match=message):
            prepare(loaded, obs, ["game.c"])


def test_observed_reader_several_series_and_comments(tmp_path):
    p = tmp_path / "o.csv"
    p.write_text(
        "# header line\nseries,generation,share\na,0,0.1\na,2,0.3\nb,0,0.2\n"
        "# a comment between rows\nb,1,0.5\n"
    )
    o = read_observed(p)
    assert o.generations.tolist() == [0, 1, 2]
    assert o.mean.tolist() == pytest.approx([0.15, 0.5, 0.3])
    assert set(o.series) == {"a", "b"}
