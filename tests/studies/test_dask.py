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

from normsim.cli import main  # noqa: E402
from normsim.studies import runner  # noqa: E402

from support.clirun import normsim  # noqa: E402

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


def test_cluster_run_equals_local_run(tmp_path, dask_cluster):  # tests/conftest.py
    sc = tmp_path / "s.yaml"
    sc.write_text(SCENARIO)
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "normsim",
            "run",
            str(sc),
            "--out",
            str(tmp_path / "dask"),
            "--scheduler",
            dask_cluster.scheduler_address,
            "--json",
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    # the reference needs no process of its own, nor a pool (workers 1 = 2: test_scenario_cli)
    r2 = normsim("run", sc, "--out", tmp_path / "local", "--workers", "1", "--json")
    assert r2.returncode == 0, r2.stderr
    assert json.loads(r.stdout) == json.loads(r2.stdout)
    got = rows(tmp_path / "dask")
    assert len(got) == 32 and got == rows(tmp_path / "local")


def test_failing_task_is_retried_once_reported_and_filled_later(tmp_path, monkeypatch):

    sc = tmp_path / "s.yaml"
    sc.write_text(SCENARIO)
    log = tmp_path / "attempts.jsonl"  # the task may be serialised: count in a file
    real = runner.run_chunk

    def flaky(cond, reps):
        if cond.params == {"game.c": 0.7, "dynamics.exploration": 0.05} and any(
            rep == 3 for rep, _ in reps
        ):
            with open(log, "a") as fh:
                fh.write(json.dumps(reps) + "\n")
            raise RuntimeError("injected failure")
        return real(cond, reps)

    monkeypatch.setattr(runner, "run_chunk", flaky)
    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
    ) as lc:
        code = main(
            [
                "run",
                str(sc),
                "--out",
                str(tmp_path / "o"),
                "--scheduler",
                lc.scheduler_address,
                "--json",
            ]
        )
    assert code == 3
    attempts = [json.loads(x) for x in log.read_text().splitlines()]
    # tried, retried once, then reported
    assert len(attempts) == 2 and attempts[0] == attempts[1]
    stored = rows(tmp_path / "o")
    missing = len(attempts[0])
    assert len(stored) == 32 - missing
    monkeypatch.setattr(runner, "run_chunk", real)
    assert main(["run", str(sc), "--out", str(tmp_path / "o"), "--workers", "1", "--json"]) == 0
    assert len(rows(tmp_path / "o")) == 32
    assert main(["run", str(sc), "--out", str(tmp_path / "clean"), "--workers", "1", "--json"]) == 0
    assert rows(tmp_path / "o") == rows(tmp_path / "clean")


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    sc = tmp_path / "s.yaml"
    sc.write_text(SCENARIO)
    # in this process: the error is raised and printed by the same code (the wait for the
    # scheduler, 15 s, is most of this test's time)
    r = normsim("run", sc, "--out", tmp_path / "o", "--scheduler", "tcp://127.0.0.1:1")
    assert r.returncode == 1 and "--scheduler: cannot connect" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "o" / "results.sqlite").exists()


def test_workers_and_scheduler_together_is_a_usage_error(tmp_path):
    sc = tmp_path / "s.yaml"
    sc.write_text(SCENARIO)
    assert main(["run", str(sc), "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"]) == 2


def test_scheduler_timeout_option(tmp_path, monkeypatch):
    """``--scheduler-timeout`` reaches the Dask client of run, tipping and calibrate; a bad
    value is one line and exit 1; the default stays 15 s."""
    import inspect
    import time

    from normsim.errors import NormsimError

    assert inspect.signature(runner.connect).parameters["timeout"].default == 15.0
    sc = tmp_path / "s.yaml"
    sc.write_text(SCENARIO)
    # a real unreachable address, given 1 s instead of the default 15 s
    t0 = time.perf_counter()
    r = normsim(
        "run",
        sc,
        "--out",
        tmp_path / "o",
        "--scheduler",
        "tcp://127.0.0.1:1",
        "--scheduler-timeout",
        "1",
    )
    assert r.returncode == 1 and "--scheduler: cannot connect" in r.stderr
    assert time.perf_counter() - t0 < 12
    assert not (tmp_path / "o" / "results.sqlite").exists()
    # every command with --scheduler passes the value on
    seen = []

    def unreachable(address, timeout=runner.SCHEDULER_TIMEOUT):
        seen.append(timeout)
        raise NormsimError(f"--scheduler: cannot connect to {address}: test")

    monkeypatch.setattr(runner, "connect", unreachable)
    obs = tmp_path / "obs.csv"
    obs.write_text("series,generation,share\n0,0,0.1\n0,50,0.5\n0,100,0.9\n")
    one = tmp_path / "one.yaml"  # calibrate fits one condition: no sweep
    one.write_text("\n".join(x for x in SCENARIO.splitlines() if not x.startswith("sweep")))
    commands = {
        "run": [],
        "tipping": ["--vary", "game.c", "--lo", "0.1", "--hi", "0.9"],
        "calibrate": [
            "--observed",
            str(obs),
            "--fit",
            "game.c",
            "--particles",
            "10",
            "--populations",
            "1",
        ],
    }
    for cmd, extra in commands.items():
        seen.clear()
        r = normsim(
            cmd,
            one if cmd == "calibrate" else sc,
            *extra,
            "--out",
            tmp_path / cmd,
            "--scheduler",
            "tcp://x:1",
            "--scheduler-timeout",
            "2.5",
        )
        assert r.returncode == 1 and "cannot connect" in r.stderr, (cmd, r.stderr)
        assert seen == [2.5], cmd
    for args, msg in (
        (["--scheduler-timeout", "5"], "only with --scheduler"),
        (["--scheduler", "tcp://x:1", "--scheduler-timeout", "soon"], "not a number"),
        (["--scheduler", "tcp://x:1", "--scheduler-timeout", "0"], "outside"),
    ):
        r = normsim("run", sc, "--out", tmp_path / "bad", *args)
        assert r.returncode == 1 and msg in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "bad" / "results.sqlite").exists()
