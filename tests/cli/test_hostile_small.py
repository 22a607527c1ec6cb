"""Smaller careless-use cases: tipping on a well-mixed scenario, an observed CSV with a
byte-order mark, ``--tol inf``, p_change with every agent committed."""

import json
import math

import numpy as np

from normsim.scenario import load
from normsim.studies.calibrate import read_observed
from normsim.studies.tipping import outcome

from support.clirun import normsim
from support.hostile_helpers import one_line_error


def test_tipping_refuses_a_well_mixed_scenario(tmp_path):
    sc = tmp_path / "wm.yaml"
    sc.write_text(
        "name: wm\npopulation: {well_mixed: true}\nschedule: {generations: 50, shocks: [20]}\n"
    )
    r = normsim("tipping", sc, "--vary", "game.c", "--direction", "down", "--out", tmp_path / "o")
    one_line_error(r, r"tipping needs an agent-based population .* well mixed")
    assert not (tmp_path / "o").exists()


def test_observed_csv_with_a_byte_order_mark(tmp_path):
    obs = tmp_path / "o.csv"
    obs.write_bytes("generation,share\r\n0,0.1\r\n5,0.4\r\n".encode("utf-8-sig"))
    got = read_observed(obs)
    assert list(got.generations) == [0, 5] and list(got.mean) == [0.1, 0.4]


def test_tol_inf_is_accepted_as_its_message_says(tmp_path):
    sc = tmp_path / "t.yaml"
    sc.write_text(
        "name: t\ngame: {a: 0.6, b: 0.4, c: 0.3}\n"
        "population: {network: {kind: grid, rows: 6, cols: 6}}\n"
        "schedule: {generations: 60, shocks: [20]}\nruns: 2\n"
    )
    r = normsim(
        "tipping",
        sc,
        "--vary",
        "population.committed.fraction",
        "--tol",
        "inf",
        "--workers",
        "1",
        "--json",
        "--out",
        tmp_path / "o",
    )
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["tol"] is None or res["tol"] == math.inf  # JSON has no inf: null
    assert len(res["conditions"][0]["tested"]) == 2  # the two ends only
    r = normsim(
        "tipping",
        sc,
        "--vary",
        "population.committed.fraction",
        "--tol",
        "0",
        "--out",
        tmp_path / "o2",
    )
    one_line_error(r, r"--tol: 0 is outside \(0, inf\]")


def test_p_change_is_null_when_every_agent_is_committed(tmp_path):
    sc = tmp_path / "c.yaml"
    sc.write_text(
        "name: c\npopulation:\n  network: {kind: grid, rows: 4, cols: 4}\n"
        "  committed: {fraction: 1.0, norm: new}\n"
        "schedule: {generations: 20, shocks: [10]}\nruns: 2\n"
    )
    spec = load(sc).scenario
    nan = np.full((2, 21), np.nan)
    ones = np.ones((2, 21))
    share, p_change, runs = outcome(
        spec, {"share_new_uncommitted": nan, "share_new": ones, "share_b": ones}
    )
    assert runs == 2 and math.isnan(p_change)
