"""Sampling designs and global sensitivity analysis: SALib wiring against closed forms,
design points as runner conditions (reuse, Dask; the resume after a kill is in
test_scenario_cli), bad input."""

import json
import math
import sqlite3
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("SALib")

from normsim.scenario import conditions, load, loads  # noqa: E402
from normsim.scenario.condition import _content  # noqa: E402
from normsim.scenario.design import problem, read_record, sample_matrix  # noqa: E402
from normsim.store import Store  # noqa: E402
from normsim.studies import runner  # noqa: E402
from normsim.studies.sensitivity import analyse, analyse_matrix  # noqa: E402

from support.clirun import normsim, normsim_process

DESIGN = """
name: dtiny
game: {a: 0.6, b: 0.4, c: 0.3}
population: {network: {kind: watts_strogatz, n: 64, k: 4, p: 0.1}, initial_b: 0.05}
dynamics: {update: sequential, exploration: 0.05}
schedule: {generations: 80, shocks: [20]}
runs: 3
seed: 4
design:
  method: sobol
  samples: 4
  seed: 9
  bounds:
    game.c: [0.2, 0.9]
    dynamics.exploration: [0.01, 0.1]
    population.network.p: [0, 0.3]
"""


def write(tmp_path, text, name="s.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def rows(out):
    con = sqlite3.connect(Path(out) / "results.sqlite")
    return sorted(con.execute("SELECT hash, rep, seed, share_b FROM replicates"))


# ------------------------------------------------------------ SALib wiring, closed forms
ISHIGAMI_A, ISHIGAMI_B = 7.0, 0.1


def ishigami(X):
    return (
        np.sin(X[:, 0])
        + ISHIGAMI_A * np.sin(X[:, 1]) ** 2
        + ISHIGAMI_B * X[:, 2] ** 4 * np.sin(X[:, 0])
    )


def ishigami_exact():
    a, b, pi = ISHIGAMI_A, ISHIGAMI_B, math.pi
    V = a**2 / 8 + b * pi**4 / 5 + b**2 * pi**8 / 18 + 0.5
    V1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    V2 = a**2 / 8
    V13 = 8 * b**2 * pi**8 / 225
    return {
        "S1": [V1 / V, V2 / V, 0.0],
        "ST": [(V1 + V13) / V, V2 / V, V13 / V],
        "S2": {"x1,x2": 0.0, "x1,x3": V13 / V, "x2,x3": 0.0},
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sobol_wiring_reproduces_ishigami_indices_within_their_intervals(seed):
    ex = ishigami_exact()
    p = problem(["x1", "x2", "x3"], [(-math.pi, math.pi)] * 3)
    X = sample_matrix("sobol", p, 1024, seed, second_order=True)
    assert X.shape == (1024 * 8, 3)
    res = analyse_matrix("sobol", p, X, ishigami(X), second_order=True, seed=seed)
    for k, n in enumerate(["x1", "x2", "x3"]):
        ind = res["parameters"][n]
        for key in ("S1", "ST"):
            assert abs(ind[key] - ex[key][k]) <= ind[f"{key}_conf"], (n, key, ind)
            assert ind[f"{key}_conf"] < 0.1  # and the intervals are informative
    for pair, val in ex["S2"].items():
        s2 = res["second_order"][pair]
        assert abs(s2["S2"] - val) <= s2["S2_conf"], (pair, s2)


def test_morris_of_a_linear_function_is_its_slopes_times_ranges():
    # elementary effects of f = 2 x1 - x2 (x3 inert) are exact: mu* = |beta| (hi - lo), sigma 0
    p = problem(["x1", "x2", "x3"], [(0, 2), (0, 1), (5, 6)])
    X = sample_matrix("morris", p, 12, 3, levels=4)
    assert X.shape == (12 * 4, 3)
    res = analyse_matrix("morris", p, X, 2 * X[:, 0] - X[:, 1], levels=4)["parameters"]
    assert res["x1"]["mu_star"] == pytest.approx(4.0) and res["x1"]["mu"] == pytest.approx(4.0)
    assert res["x2"]["mu_star"] == pytest.approx(1.0) and res["x2"]["mu"] == pytest.approx(-1.0)
    assert res["x3"]["mu_star"] == pytest.approx(0.0, abs=1e-12)
    assert all(res[n]["sigma"] == pytest.approx(0.0, abs=1e-9) for n in res)


def test_rbd_fast_on_a_latin_hypercube_of_an_additive_function():
    # f = x1 + 2 x2 on the unit square: S1 = 1/5, 4/5, 0
    p = problem(["x1", "x2", "x3"], [(0, 1)] * 3)
    X = sample_matrix("lhs", p, 600, 5)
    res = analyse_matrix("lhs", p, X, X[:, 0] + 2 * X[:, 1], seed=5)["parameters"]
    for n, exact in (("x1", 0.2), ("x2", 0.8), ("x3", 0.0)):
        assert abs(res[n]["S1"] - exact) <= res[n]["S1_conf"] + 0.02, (n, res[n])


def test_raising_sobol_samples_keeps_the_smaller_design_as_prefix():
    p = problem(["x", "y"], [(0, 1), (2, 3)])
    for so in (True, False):
        small = sample_matrix("sobol", p, 16, 7, second_order=so)
        big = sample_matrix("sobol", p, 64, 7, second_order=so)
        assert np.array_equal(small, big[: len(small)])
    # without second order, every point is one of the second-order design's
    with_so = {tuple(r) for r in sample_matrix("sobol", p, 16, 7, second_order=True)}
    assert all(tuple(r) in with_so for r in sample_matrix("sobol", p, 16, 7, second_order=False))
    small = sample_matrix("morris", p, 5, 7, levels=4)
    assert np.array_equal(small, sample_matrix("morris", p, 9, 7, levels=4)[: len(small)])


# ------------------------------------------------------------ designs as conditions
def test_design_points_are_conditions_with_rounded_integers():
    text = (
        DESIGN.replace("population.network.p: [0, 0.3]", "population.network.k: [2, 5]")
        .replace("method: sobol", "method: morris")
        .replace("samples: 4", "samples: 10")
    )
    loaded = loads(text)
    conds = conditions(loaded)
    ks = [c.params["population.network.k"] for c in conds]
    assert all(isinstance(k, int) for k in ks) and set(ks) == {2, 3, 4, 5}
    assert len({c.hash for c in conds}) == len(conds)  # repeated points run once
    assert len(conds) < 10 * 4  # Morris points do repeat here
    for c in conds:
        assert c.spec.population.network.as_dict()["k"] == c.params["population.network.k"]
        assert c.model_params().c == c.params["game.c"]


def test_a_scenario_without_design_hashes_as_before():
    # the content hash must not see the new (empty) design field: old stores resume
    sc = loads(DESIGN.split("design:")[0]).scenario
    assert "design" not in _content(sc, Path.cwd())


def test_raising_samples_runs_only_the_new_points(tmp_path):
    p = write(tmp_path, DESIGN)
    out = tmp_path / "o"
    r1 = runner.run(load(p), out_dir=out, workers=1, quiet=True)
    assert r1.ran == len(r1.conditions) * 3 == 4 * 8 * 3
    r2 = runner.run(load(p, overrides=["design.samples=8"]), out_dir=out, workers=1, quiet=True)
    assert len(r2.conditions) == 8 * 8
    assert r2.skipped == 4 * 8 * 3 and r2.ran == 4 * 8 * 3
    with Store(out) as st:
        rec = read_record(st)
    assert rec["samples"] == 8 and rec["groups"][0]["rows"][:32] == [c.hash for c in r1.conditions]
    # the analysis of the larger design reads every point from the store
    res = analyse(out, "t50")
    assert res["points"] == 64 and res["groups"][0]["replicates"] == 64 * 3


def test_design_with_a_sweep_repeats_the_design_per_combination(tmp_path):
    text = DESIGN + "sweep:\n  dynamics.update: [sequential, synchronous]\n"
    p = write(tmp_path, text)
    r = normsim("run", str(p), "--out", str(tmp_path / "o"), "--workers", "1")
    assert r.returncode == 0, r.stderr
    js = json.loads(normsim("sensitivity", str(tmp_path / "o"), "--json", "--no-plots").stdout)
    assert [g["params"] for g in js["groups"]] == [
        {"dynamics.update": "sequential"},
        {"dynamics.update": "synchronous"},
    ]
    assert "sweep: dynamics.update=synchronous" in r.stdout


@pytest.mark.slow
def test_sensitivity_cli_outputs_json_table_and_figures(tmp_path):
    p = write(tmp_path, DESIGN)
    out = tmp_path / "o"
    r = normsim_process("run", str(p), "--out", str(out), "--workers", "1")  # no pool to start
    assert r.returncode == 0, r.stderr
    assert "S1" in r.stdout and (out / "sensitivity_t50.png").is_file()
    for output in ("t90", "pre_share", "mean_payoff"):
        # the first one in its own process, the others here
        r = (normsim_process if output == "t90" else normsim)(
            "sensitivity", str(out), "--output", output, "--json"
        )
        assert r.returncode == 0, r.stderr
        js = json.loads(r.stdout)
        g = js["groups"][0]
        assert js["method"] == "sobol" and js["points"] == 32 and js["second_order"]
        assert set(g["indices"]) == {"dynamics.exploration", "game.c", "population.network.p"}
        assert len(g["second_order_indices"]) == 3
        assert all(Path(f).is_file() for f in js["figures"])
    r = normsim("sensitivity", str(out), "--output", "mean_rate")
    assert r.returncode == 1 and "evolving" in r.stderr and len(r.stderr.splitlines()) == 1
    r = normsim("sensitivity", str(tmp_path))
    assert r.returncode == 1 and "no results store" in r.stderr


def test_per_replicate_outputs_against_the_summary(tmp_path):
    # t50 of one replicate is the summary's t50 of a one-replicate condition
    from normsim.studies.results import summarise
    from normsim.studies.sensitivity import replicate_outputs

    p = write(tmp_path, DESIGN.replace("runs: 3", "runs: 1"))
    out = tmp_path / "o"
    runner.run(load(p), out_dir=out, workers=1, quiet=True)
    with Store(out) as st:
        summ = summarise(st)
        checked = 0
        for c, s in zip(st.conditions(), summ["conditions"], strict=True):
            from normsim.scenario import Scenario

            spec = Scenario.model_validate(c["resolved"])
            rep = next(st.replicates(c["hash"]))
            t50, cens = replicate_outputs(spec, rep.share_b, rep.mean_payoff, None, "t50")
            sh = s["shocks"][0]
            if sh["t50"] is None:
                assert cens == 1 and t50[0] == 80 - 20 + 1
            else:
                assert t50[0] == sh["t50"]
                checked += 1
            fs, _ = replicate_outputs(spec, rep.share_b, rep.mean_payoff, None, "final_share")
            assert fs[0] == pytest.approx(sh["final_share"])
        assert checked > 5


def test_replicate_noise_share_and_its_warning(tmp_path):
    # c over a sliver of its range: the differences between points are mostly replicate noise
    narrow = (
        DESIGN.replace("game.c: [0.2, 0.9]", "game.c: [0.60, 0.6001]")
        .replace("dynamics.exploration: [0.01, 0.1]", "dynamics.exploration: [0.05, 0.0501]")
        .replace("population.network.p: [0, 0.3]", "population.network.p: [0.1, 0.1001]")
    )
    out = tmp_path / "n"
    runner.run(loads(narrow, path=write(tmp_path, narrow)), out_dir=out, workers=1, quiet=True)
    g = analyse(out, "final_share")["groups"][0]
    assert g["noise_share"] > 0.5 and any("replicate noise" in w for w in g["warnings"])
    # the whole ranges on a larger graph: the parameters, not the noise, make the differences
    out = tmp_path / "w"
    runner.run(
        loads(DESIGN.replace("n: 64", "n: 400").replace("runs: 3", "runs: 4")),
        out_dir=out,
        workers=1,
        quiet=True,
    )
    g = analyse(out, "final_share")["groups"][0]
    assert g["noise_share"] < 0.1 and not any("replicate noise" in w for w in g["warnings"])


def _indices(out):
    r = normsim("sensitivity", str(out), "--json", "--no-plots")
    assert r.returncode == 0, r.stderr
    js = json.loads(r.stdout)
    return js["groups"]


@pytest.mark.slow
def test_design_on_a_dask_cluster_stores_what_a_local_run_stores(tmp_path, dask_cluster):
    # the session's cluster (tests/conftest.py); `run --scheduler` has its process in test_dask
    p = write(tmp_path, DESIGN)
    r = normsim(
        "run",
        str(p),
        "--out",
        str(tmp_path / "dask"),
        "--scheduler",
        dask_cluster.scheduler_address,
        "--json",
    )
    assert r.returncode == 0, r.stderr
    r2 = normsim("run", str(p), "--out", str(tmp_path / "local"), "--workers", "1", "--json")
    assert r2.returncode == 0, r2.stderr
    got = rows(tmp_path / "dask")
    assert len(got) == 32 * 3 and got == rows(tmp_path / "local")
    assert _indices(tmp_path / "dask") == _indices(tmp_path / "local")


# ------------------------------------------------------------ bad input
# in this process (tests/support/clirun.py): validation runs before anything is written, the same
# code path as in a subprocess; `run` and `sensitivity` have real processes above
BAD = [
    ("game.c: [0.2, 0.9]", "game.c: [0.9, 0.2]", "lo 0.9 >= hi 0.2"),
    ("game.c: [0.2, 0.9]", "game.c: [0.5, 0.5]", "lo 0.5 >= hi 0.5"),
    ("game.c: [0.2, 0.9]", "game.q: [0.2, 0.9]", "no such field; did you mean 'game.c'"),
    ("game.c: [0.2, 0.9]", "dynamics.update: [0, 1]", "not a numeric parameter"),
    ("game.c: [0.2, 0.9]", "game.c: [0.2, 1.5]", "1.5 is outside [0, 1]"),
    ("game.c: [0.2, 0.9]", "game.c: [0.2, abc]", "'abc' is not a number"),
    ("game.c: [0.2, 0.9]", "game.c: [0.2]", "is not [lo, hi]"),
    ("population.network.p: [0, 0.3]", "population.network.k: [2, 2.5]", "not an integer"),
    ("population.network.p: [0, 0.3]", "population.network.k: [2, 64]", "k < n"),
    ("samples: 4", "samples: 100", "100 is not a power of 2"),
    ("samples: 4", "samples: 0", "0 is not a power of 2"),
    ("method: sobol", "method: sobel", "'sobel' is not one of sobol, morris, lhs"),
]


@pytest.mark.parametrize("old,new,message", BAD)
def test_bad_design_exits_1_with_one_line_and_writes_nothing(tmp_path, old, new, message):
    assert old in DESIGN
    p = write(tmp_path, DESIGN.replace(old, new))
    for cmd in ("validate", "run"):
        r = normsim(cmd, str(p), "--out", str(tmp_path / "o"))
        assert r.returncode == 1, r.stderr
        assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "method,samples,message", [("morris", 1, "at least 2"), ("lhs", 20, "at least 42")]
)
def test_sample_counts_salib_cannot_use(tmp_path, method, samples, message):
    p = write(
        tmp_path,
        DESIGN.replace("method: sobol", f"method: {method}").replace(
            "samples: 4", f"samples: {samples}"
        ),
    )
    r = normsim("run", str(p), "--out", str(tmp_path / "o"))
    assert r.returncode == 1 and message in r.stderr and len(r.stderr.splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_a_path_in_both_sweep_and_design(tmp_path):
    for sweep in ("game.c: [0.1, 0.5]", "population.network: [{kind: grid, rows: 5, cols: 5}]"):
        p = write(tmp_path, DESIGN + f"sweep:\n  {sweep}\n")
        r = normsim("run", str(p), "--out", str(tmp_path / "o"))
        assert r.returncode == 1 and "also in sweep" in r.stderr, r.stderr
        assert len(r.stderr.splitlines()) == 1 and not (tmp_path / "o").exists()


def test_design_options_of_other_methods_are_errors(tmp_path):
    p = write(
        tmp_path,
        DESIGN.replace("method: sobol", "method: lhs").replace(
            "samples: 4", "samples: 64\n  second_order: true"
        ),
    )
    r = normsim("validate", str(p))
    assert r.returncode == 1 and "only for method sobol" in r.stderr
    p = write(
        tmp_path,
        DESIGN.replace("method: sobol", "method: morris").replace(
            "samples: 4", "samples: 4\n  levels: 3"
        ),
    )
    r = normsim("validate", str(p))
    assert r.returncode == 1 and "even number" in r.stderr


def test_sensitivity_of_a_store_without_design(tmp_path):
    p = write(tmp_path, DESIGN.split("design:")[0])
    assert (
        normsim("run", str(p), "--out", str(tmp_path / "o"), "--workers", "1", "--json").returncode
        == 0
    )
    r = normsim("sensitivity", str(tmp_path / "o"))
    assert r.returncode == 1 and "no design" in r.stderr
