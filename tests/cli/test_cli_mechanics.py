"""`normsim analytic --committed Z --conformity G`: the mechanism models at the command line."""

import json
import subprocess
import sys

import pytest

from normsim.cli import main
from normsim.theory import mechanics_ode as mo

BASE = ["analytic", "--a", "0.4", "--b", "0.6", "--c", "0.8"]
#: the keys `normsim analytic --json` had before the mechanisms
OLD_KEYS = {
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


def run_json(capsys, *args):
    assert main([*BASE, *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_replicator_json_has_the_old_keys_and_the_critical_fraction(capsys):
    out = run_json(capsys, "--committed", "0.05", "--conformity", "0.1")
    assert OLD_KEYS <= set(out)
    m = mo.mixed_population(0.4, 0.6, 0.8, committed=0.05, conformity=0.1)
    assert out["critical_committed_fraction"] == pytest.approx(
        mo.critical_committed_fraction(m).z, abs=1e-12
    )
    assert out["committed"] == 0.05 and out["conformity"] == 0.1 and out["model"] == "replicator"
    fps = mo.mixed_fixed_points(m)
    assert [fp["p"] for fp in out["fixed_points"]] == pytest.approx([fp.p for fp in fps])
    assert [fp["stable"] for fp in out["fixed_points"]] == [True, False, True]
    # 0.05 is below Z* = 0.081...: from the uncommitted share 0.05 the old norm holds
    assert out["critical_committed_fraction"] > 0.05 and out["t50"] is None
    assert out["final_p"] == pytest.approx(out["fixed_points"][0]["p"], abs=1e-6)


def test_pairwise_json_and_zero_mechanisms_equal_the_plain_model(capsys):
    out = run_json(
        capsys,
        "--model",
        "pairwise",
        "--beta",
        "5",
        "--committed",
        "0",
        "--conformity",
        "0",
        "--mu",
        "0.05",
    )
    plain = run_json(capsys, "--model", "pairwise", "--beta", "5", "--mu", "0.05")
    assert out["model"] == "pairwise" and out["beta"] == 5.0
    assert [fp["p"] for fp in out["fixed_points"]] == pytest.approx(
        [fp["p"] for fp in plain["fixed_points"]], abs=1e-9
    )
    # the plain model's mu_crit counts fixed points on a 401-point grid, which misses two
    # roots closer than one cell: it is up to ~1e-5 low; ours solves the saddle-node
    assert out["mu_crit"] == pytest.approx(plain["mu_crit"], abs=1e-4)
    assert out["mu_crit"] >= plain["mu_crit"]
    assert out["t50"] == plain["t50"] is None and out["final_p"] == pytest.approx(plain["final_p"])
    assert out["critical_committed_fraction"] == pytest.approx(
        mo.critical_committed_fraction(
            mo.mixed_population(0.4, 0.6, 0.8, 0.05, model="pairwise")
        ).z,
        abs=1e-12,
    )


def test_groups_at_the_command_line(capsys):
    out = run_json(
        capsys,
        "--group-c",
        "0.5,0.95",
        "--group-sizes",
        "1,3",
        "--between",
        "0.5",
        "--committed",
        "0.02",
    )
    assert out["c"] == [0.5, 0.95] and out["sizes"] == [0.25, 0.75] and out["between"] == 0.5
    m = mo.mixed_population(0.4, 0.6, [0.5, 0.95], sizes=[1, 3], between=0.5)
    assert out["critical_committed_fraction"] == pytest.approx(
        mo.critical_committed_fraction(m).z, abs=1e-12
    )
    assert all(len(fp["x"]) == 2 for fp in out["fixed_points"])


def test_text_output_names_the_critical_fraction(capsys):
    assert main([*BASE, "--committed", "0.05", "--conformity", "0.1"]) == 0
    text = capsys.readouterr().out
    assert "critical committed fraction Z* = 0.0811" in text


@pytest.mark.parametrize(
    "args, name",
    [
        (["--committed", "1.5"], "--committed"),
        (["--committed", "-0.01"], "--committed"),
        (["--conformity", "1.2"], "--conformity"),
        (["--conformity", "-1"], "--conformity"),
        (["--conformity", "nan"], "--conformity"),
        (["--committed", "x"], "--committed"),
        (["--model", "pairwise", "--committed", "0.1", "--beta", "-1"], "--beta"),
        (["--model", "finite", "--population", "10", "--committed", "0.1"], "--committed"),
        (["--group-c", "0.5,0.9", "--group-mu", "0,0,0"], "--group-mu"),
        (["--group-c", "0.5"], "--group-c"),
        (["--committed", "0.1", "--shocks", "10"], "--shocks"),
        (["--committed", "0.1", "--between", "0.5"], "--between"),
        (["--sample", "0", "--conformity", "0.5"], "--sample"),
        (["--sample", "100000", "--conformity", "0.5"], "--sample"),
        (["--sample", "2.5", "--conformity", "0.5"], "--sample"),
        (["--sample", "3"], "--sample"),
    ],
)
def test_bad_values_are_one_line_and_exit_1(capsys, args, name):
    assert main([*BASE, *args]) == 1
    cap = capsys.readouterr()
    lines = cap.err.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and cap.out == ""


@pytest.mark.slow
def test_subprocess_bad_committed_fraction_one_line_no_traceback():
    r = subprocess.run(
        [sys.executable, "-m", "normsim", *BASE, "--committed", "2", "--json"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.strip() == "normsim: error: --committed: 2 is outside [0, 1]"
