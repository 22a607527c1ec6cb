"""`normsim analytic --model small-mutation | naming`: JSON fields, agreement with the
Python API, and bad input (one line, exit 1, nothing on stdout)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from normsim.theory.naming import analyse_naming
from normsim.theory.small_mutation import SmallMutationLimit, coordination_matrix

from support.clirun import normsim


def run_json(*args):
    r = normsim("analytic", *args, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_small_mutation_diagonal_is_the_python_api():
    res = run_json(
        "--model", "small-mutation", "--diagonal", "1,0.8,0.6", "--c", "0.5",
        "--population", "50", "--beta", "5",
    )  # fmt: skip
    sml = SmallMutationLimit(coordination_matrix([1.0, 0.8, 0.6], 0.5), 50, 5.0)
    np.testing.assert_allclose(res["stationary_distribution"], sml.stationary_distribution())
    assert res["fixation_probability"][1][0] == pytest.approx(sml.fixation_probabilities()[1, 0])
    assert res["fixation_probability"][2][2] is None
    assert (res["norms"], res["population"], res["beta"], res["c"]) == (3, 50, 5.0, 0.5)
    assert res["payoff_matrix"][0] == [1.0, 0.5, 0.5]


def test_small_mutation_matrix_keeps_the_logs_where_probabilities_underflow():
    res = run_json(
        "--model", "small-mutation", "--matrix", "1,0.5;0.4,0.8", "--population", "50",
        "--beta", "100",
    )  # fmt: skip
    assert res["fixation_probability"][0][1] == 0.0  # below 1e-308
    assert res["log10_fixation_probability"][0][1] < -700
    assert res["diagonal"] is None and res["c"] is None
    assert res["most_frequent_norm"] == 0


def test_naming_is_the_python_api():
    res = run_json("--model", "naming", "--committed", "0.12")
    ref = analyse_naming(0.12)
    assert res["consensus_time"] == pytest.approx(ref["consensus_time"])
    assert res["critical_committed_fraction"] == pytest.approx(0.0979, abs=5e-5)
    assert res["above_critical"] and len(res["fixed_points"]) == 1


def test_naming_below_p_c_has_three_fixed_points_and_no_consensus():
    res = run_json("--model", "naming", "--committed", "0.05", "--t-max", "500")
    assert len(res["fixed_points"]) == 3 and res["consensus_time"] is None
    assert res["t_max"] == 500


def test_text_outputs():
    r = normsim("analytic", "--model", "naming", "--committed", "0.2")
    assert r.returncode == 0 and "p_c = 0.097889" in r.stdout
    r = normsim("analytic", "--model", "small-mutation", "--diagonal", "1,1", "--c", "0.5",
                "--population", "10")  # fmt: skip
    assert r.returncode == 0 and "most frequent norm: 0" in r.stdout


@pytest.mark.parametrize(
    "args, words",
    [
        (["--model", "small-mutation", "--diagonal", "1", "--c", "0.5", "--population", "9"],
         "between 2 and 16"),
        (["--model", "small-mutation", "--diagonal", ",".join(["1"] * 17), "--c", "0.5",
          "--population", "9"], "between 2 and 16"),
        (["--model", "small-mutation", "--matrix", "1,2;3", "--population", "9"], "square"),
        (["--model", "small-mutation", "--matrix", "1,2,3;3,4,5", "--population", "9"],
         "square"),
        (["--model", "small-mutation", "--matrix", "1,x;3,4", "--population", "9"], "--matrix"),
        (["--model", "small-mutation", "--matrix", "1,0;0,1", "--c", "0.5", "--population", "9"],
         "--c"),
        (["--model", "small-mutation", "--diagonal", "1,0.5", "--population", "9"], "--c"),
        (["--model", "small-mutation", "--diagonal", "1,-1", "--c", "0.5", "--population", "9"],
         "--diagonal"),
        (["--model", "small-mutation", "--diagonal", "1,0.5", "--c", "0.5"], "--population"),
        (["--model", "small-mutation", "--population", "9"], "--diagonal"),
        (["--model", "small-mutation", "--diagonal", "1,2", "--matrix", "1,0;0,1",
          "--population", "9"], "--diagonal"),
        (["--model", "small-mutation", "--diagonal", "1,2", "--c", "0.5", "--population", "9",
          "--a", "1"], "--a"),
        (["--model", "small-mutation", "--diagonal", "1,2", "--c", "0.5", "--population", "9",
          "--mu", "0.1"], "--mu"),
        (["--model", "small-mutation", "--diagonal", "1,2", "--c", "0.5", "--population", "9",
          "--degree", "4"], "--degree"),
        (["--model", "naming", "--committed", "1"], "--committed"),
        (["--model", "naming", "--committed", "-0.1"], "--committed"),
        (["--model", "naming", "--committed", "1.5"], "--committed"),
        (["--model", "naming"], "--committed"),
        (["--model", "naming", "--committed", "0.1", "--c", "0.5"], "--c"),
        (["--model", "naming", "--committed", "0.1", "--population", "9"], "--population"),
        (["--model", "naming", "--committed", "0.1", "--t-max", "0"], "--t-max"),
        (["--model", "finite", "--a", "1", "--b", "1", "--c", "0.5", "--diagonal", "1,2"],
         "--diagonal"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_1(args, words):
    r = normsim("analytic", *args)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], r.stderr
    assert r.stdout == ""


def test_the_two_norm_models_still_need_a_game():
    r = normsim("analytic", "--model", "finite", "--a", "0.4", "--population", "9")
    assert r.returncode == 1 and "missing --b, --c" in r.stderr
