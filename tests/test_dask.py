"""Running on a dask.distributed cluster: same results as local, failures retried and reported."""

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")
from distributed import LocalCluster  # noqa: E402

pytestmark = pytest.mark.slow

from inproc import normsim as normsim_here

from normsim import runner  # noqa: E402
from normsim.cli import main  # noqa: E402

SCENARIO = """
name: dasktest
game: {a: 0.6, b: 0.4, c: 0.3}
population: {network: {kind: grid, rows: 10, cols: 10}}
dynamics: {update: reference, exploration: 0.05}
schedule: {generations: 200, shocks: [100]}
runs: 8
seed: 11
sweep: {game.c: [0.1, 0.7], dynamics.exploration: [0.02, 0.05]}
"""


def rows(out):
    con = sqlite3.connect(Path(out) / "results.sqlite")
    return sorted(con.execute("SELECT hash, rep, seed, share_b, mean_payoff FROM replicates"))


def test_cluster_run_equals_local_run(tmp_path, dask_cluster):    # tests/conftest.py
    sc = tmp_path / "s.yaml"
    sc.write_text(SCENARIO)
    r = subprocess.run([sys.executable, "-m", "normsim", "run", str(sc), "--out",
                        str(tmp_path / "dask"), "--scheduler", dask_cluster.scheduler_address,
                        "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    # the reference needs no process of its own, nor a pool (workers 1 = 2: test_scenario_cli)
    r2 = normsim_here("run", sc, "--out", tmp_path / "local", "--workers", "1", "--json")
    assert r2.returncode == 0, r2.stderr
    assert json.loads(r.stdout) == json.loads(r2.stdout)
    got = rows(tmp_path / "dask")
    assert len(got) == 32 and got == rows(tmp_path / "local")


def test_failing_task_is_retried_once_reported_and_filled_later(tmp_path, monkeypatch):

    sc = tmp_path / "s.yaml"
    sc.write_text(SCENARIO)
    log = tmp_path / "attempts.jsonl"   # the task may be serialised: count in a file
    real = runner.run_chunk

    def flaky(cond, reps):
        if cond.params == {"game.c": 0.7, "dynamics.exploration": 0.05} and \
                any(rep == 3 for rep, _ in reps):
            with open(log, "a") as fh:
                fh.write(json.dumps(reps) + "\n")
            raise RuntimeError("injected failure")
        return real(cond, reps)

    monkeypatch.setattr(runner, "run_chunk", flaky)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=":0") as lc:
        code = main(["run", str(sc), "--out", str(tmp_path / "o"), "--scheduler",
                     lc.scheduler_address, "--json"])
    assert code == 3
    attempts = [json.loads(x) for x in log.read_text().splitlines()]
    assert len(attempts) == 2 and attempts[0] == attempts[1]             # tried, retried once, then reported
    stored = rows(tmp_path / "o")
    missing = len(attempts[0])
    assert len(stored) == 32 - missing
    monkeypatch.setattr(runner, "run_chunk", real)
    assert main(["run", str(sc), "--out", str(tmp_path / "o"), "--workers", "1", "--json"]) == 0
    assert len(rows(tmp_path / "o")) == 32
    assert main(["run", str(sc), "--out", str(tmp_path / "clean"), "--workers", "1",
                 "--json"]) == 0
    assert rows(tmp_path / "o") == rows(tmp_path / "clean")


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    sc = tmp_path / "s.yaml"
    sc.write_text(SCENARIO)
    # in this process: the error is raised and printed by the same code (the wait for the
    # scheduler, 15 s, is most of this test's time)
    r = normsim_here("run", sc, "--out", tmp_path / "o", "--scheduler", "tcp://127.0.0.1:1")
    assert r.returncode == 1 and "--scheduler: cannot connect" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "o" / "results.sqlite").exists()


def test_workers_and_scheduler_together_is_a_usage_error(tmp_path):
    sc = tmp_path / "s.yaml"
    sc.write_text(SCENARIO)
    assert main(["run", str(sc), "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"]) == 2
