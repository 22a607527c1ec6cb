"""`normsim analytic --model pairwise | finite | pair`: JSON fields, agreement with
the Python API, and bad input (one line, exit 1; argparse usage errors exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from normsim.cli import main
from normsim.theory import analytic, finite, pairapprox


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.returncode, self.stdout, self.stderr = code, out, err


@pytest.fixture
def run(capsys):
    """`normsim analytic --a 0.4 --b 0.6 ARGS` in this process (the console script: below)."""

    def call(*args):
        try:
            code = main(["analytic", "--a", "0.4", "--b", "0.6", *args])
        except SystemExit as e:  # argparse usage errors
            code = e.code
        got = capsys.readouterr()
        return Result(code, got.out, got.err)

    return call


def run_script(*args):
    return subprocess.run(
        [sys.executable, "-m", "normsim", "analytic", "--a", "0.4", "--b", "0.6", *args],
        capture_output=True,
        text=True,
    )


def test_replicator_stays_the_default_with_todays_fields(run):
    out = json.loads(run("--c", "0.3", "--json").stdout)
    assert set(out) == {
        "a",
        "b",
        "c",
        "mu",
        "p0",
        "t_max",
        "threshold_c",
        "mu_crit",
        "fixed_points",
        "t50",
        "t90",
        "t99",
        "final_p",
    }
    same = json.loads(run("--c", "0.3", "--json", "--model", "replicator").stdout)
    assert same == out


@pytest.mark.slow
def test_console_script_prints_the_same_json(run):
    args = ("--c", "0.6", "--model", "finite", "--population", "30", "--mu", "0.1", "--json")
    assert json.loads(run_script(*args).stdout) == json.loads(run(*args).stdout)


def test_pairwise_json_matches_the_api(run):
    r = run(
        "--model",
        "pairwise",
        "--c",
        "0.8",
        "--mu",
        "0.05",
        "--beta",
        "5",
        "--from-old",
        "--shocks",
        "300,600",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    want = analytic.analyse_pairwise(0.4, 0.6, 0.8, 5.0, 0.05, None, 1000.0, [300.0, 600.0])
    for key in ("t50", "t90", "final_p", "threshold_c", "mu_crit", "fixed_points", "shocks", "p0"):
        assert out[key] == want[key]
    assert out["start"] == "old" and out["model"] == "pairwise"


def test_finite_json_has_fixation_times_and_the_stationary_distribution(run):
    r = run(
        "--model",
        "finite",
        "--c",
        "0.6",
        "--population",
        "40",
        "--mu",
        "0.05",
        "--from-old",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    ch = finite.BirthDeathChain(finite.CoordinationGame(0.4, 0.6, 0.6), 40, 5.0, 0.05)
    np.testing.assert_allclose(
        out["stationary"]["distribution"], ch.stationary_distribution(), rtol=1e-12
    )
    assert out["t50"] == pytest.approx(ch.passage(0.5, ch.old_norm_start()).generations, rel=1e-12)
    ab = finite.BirthDeathChain(finite.CoordinationGame(0.4, 0.6, 0.6), 40, 5.0).absorption(1)
    assert out["fixation"]["fixation_probability"] == pytest.approx(ab.fixation_probability)
    assert out["fixation"]["fixation_time"]["generations"] == pytest.approx(ab.fixation_generations)
    assert out["fixation"]["absorption_time"]["steps"] == pytest.approx(ab.absorption_steps)
    for key in ("t50", "t90", "t99", "final_p", "fixed_points", "threshold_c"):
        assert key in out


def test_finite_start_from_p0_or_k0(run):
    a = json.loads(
        run("--model", "finite", "--c", "0.5", "--population", "50", "--p0", "0.1", "--json").stdout
    )
    b = json.loads(
        run("--model", "finite", "--c", "0.5", "--population", "50", "--k0", "5", "--json").stdout
    )
    assert a["fixation"] == b["fixation"] and a["fixation"]["k0"] == 5
    assert a["passage"] == b["passage"] and 0 < a["passage"]["0.5"]["probability"] < 1
    assert a["final_p"] == a["fixation"]["fixation_probability"]


def test_pair_json_matches_the_api_and_records_the_population(run):
    r = run(
        "--model",
        "pair",
        "--degree",
        "4",
        "--population",
        "2500",
        "--c",
        "0.6",
        "--mu",
        "0.05",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    want = pairapprox.analyse(0.4, 0.6, 0.6, 4, 5.0, 0.05, 0.05, 1000.0)
    for key in ("t50", "t90", "final_p", "threshold_c", "threshold_c_weak_selection"):
        assert out[key] == want[key]
    assert out["population"] == 2500 and out["degree"] == 4


@pytest.mark.parametrize(
    "model, extra",
    [("pairwise", []), ("finite", ["--population", "30"]), ("pair", ["--degree", "3"])],
)
def test_human_output(model, extra, run):
    r = run("--model", model, "--c", "0.5", "--mu", "0.02", *extra)
    assert r.returncode == 0, r.stderr
    assert "fixed points" in r.stdout and "threshold c" in r.stdout


@pytest.mark.parametrize(
    "args, name",
    [
        (["--model", "finite", "--population", "1"], "--population"),
        (["--model", "finite", "--population", "0"], "--population"),
        (["--model", "finite", "--population", "2.5"], "--population"),
        (["--model", "finite"], "--population"),
        (["--model", "pair"], "--degree"),
        (["--model", "pair", "--degree", "1"], "--degree"),
        (["--model", "pair", "--degree", "10", "--population", "10"], "--degree"),
        (["--model", "pair", "--degree", "12", "--population", "10"], "--degree"),
        (["--model", "pair", "--degree", "3", "--population", "7"], "--degree"),
        (["--model", "finite", "--population", "10", "--beta", "nan"], "--beta"),
        (["--model", "pairwise", "--beta", "inf"], "--beta"),
        (["--model", "pair", "--degree", "4", "--mu", "nan"], "--mu"),
        (["--model", "pairwise", "--p0=-inf"], "--p0"),
        (["--model", "finite", "--population", "nan"], "--population"),
        (["--model", "finite", "--population", "inf"], "--population"),
        (["--model", "pair", "--degree", "inf"], "--degree"),
        (["--model", "finite", "--population", "10", "--k0", "11"], "--k0"),
        (["--model", "replicator", "--beta", "2"], "--beta"),
        (["--model", "pairwise", "--degree", "4"], "--degree"),
        (["--model", "finite", "--population", "10", "--plot", "x.png"], "--plot"),
        (["--model", "pairwise", "--shocks", "5,3"], "--shocks"),
        (["--model", "pairwise", "--shocks", "2000"], "--shocks"),
        (["--model", "finite", "--population", "10", "--from-old"], "exploration"),
        # bounded work and no underflowing time grid (for these models too)
        (["--model", "pairwise", "--t-max", "1e9"], "t_max"),
        (["--model", "pairwise", "--t-max", "5e-324"], "t_max"),
        (["--model", "pair", "--degree", "4", "--t-max", "1e-300"], "t_max"),
    ],
)
def test_bad_input_is_one_line_exit_1(args, name, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(["analytic", "--a", "0.4", "--b", "0.6", "--c", "0.5", *args])
    err = capsys.readouterr()
    assert code == 1, err
    lines = err.err.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and "Traceback" not in err.err
    assert err.out == "" and not list(tmp_path.iterdir())


@pytest.mark.slow
def test_bad_input_from_the_console_script():
    r = run_script("--c", "0.5", "--model", "pair")
    assert r.returncode == 1 and r.stderr.strip().count("\n") == 0 and "--degree" in r.stderr


def test_unknown_model_is_a_usage_error(run):
    r = run("--c", "0.5", "--model", "moran")
    assert r.returncode == 2 and "--model" in r.stderr


@pytest.mark.parametrize(
    "model, extra",
    [
        ("pair", ["--degree", "4"]),
        ("pairwise", []),
        ("finite", ["--population", "50", "--mu", "0.05"]),
    ],
)
def test_payoffs_near_overflow_give_the_scaled_game_s_answer(model, extra, run, capsys):
    # the Fermi rule sees payoff differences over the payoff range: scaling a and b
    # together changes nothing, even next to the largest double
    def answer(a, b):
        code = main(
            ["analytic", "--a", a, "--b", b, "--c", "0.6", "--model", model, *extra, "--json"]
        )
        assert code == 0
        return json.loads(capsys.readouterr().out)

    small, huge = answer("0.4", "0.6"), answer("4e307", "6e307")
    for key in ("t50", "final_p", "threshold_c"):
        if small.get(key) is None:
            assert huge.get(key) is None
        else:
            assert huge[key] == pytest.approx(small[key], rel=1e-9), key
