"""One Ctrl-C ends ``tipping`` within seconds, whenever it comes: a worker ignores SIGINT
(its coordinator stops it), and the coordinator terminates its workers before shutting
the pool down, so nothing waits on a queue a dying worker left locked; once its message
is out it leaves without the interpreter's shutdown, whose garbage collection could wait
forever on a pool's lock."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

SCENARIO = """name: tipsig
game: {a: 0.6, b: 0.4, c: 0.3}
population: {network: {kind: grid, rows: 40, cols: 40}}
schedule: {generations: 3000, shocks: [1000]}
runs: 4
"""


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs process groups")
def test_a_single_sigint_ends_tipping_every_time(tmp_path):
    sc = tmp_path / "s.yaml"
    sc.write_text(SCENARIO)
    for i in range(10):
        out = tmp_path / f"out{i}"
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "normsim",
                "tipping",
                str(sc),
                "--vary",
                "population.committed.fraction",
                "--workers",
                "2",
                "--out",
                str(out),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            env={**os.environ, "PYTHONFAULTHANDLER": "1"},  # SIGABRT: every thread's stack
        )
        try:
            time.sleep(2.0 + 0.6 * i)  # compiling, in a round, between rounds
            os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
            t0 = time.time()
            _, err = proc.communicate(timeout=20)
            assert time.time() - t0 < 10, err
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGABRT)  # where it hangs, for the failure message
            try:
                _, err = proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                err = "(no stack: SIGABRT did not end it)"
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail(f"try {i}: tipping still running 20 s after one SIGINT:\n{err[-4000:]}")
        if proc.returncode == 0:  # finished before the signal
            continue
        # 130, or killed by the SIGINT itself once its message is out (-2)
        assert proc.returncode in (130, -signal.SIGINT), (i, proc.returncode, err[-2000:])
        assert "Traceback" not in err, err[-3000:]
        assert err.strip().splitlines()[-1].startswith("normsim: interrupted;"), err[-2000:]
        db = out / "results.sqlite"
        if db.exists():
            con = sqlite3.connect(db)
            try:
                assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            finally:
                con.close()


@pytest.mark.slow
def test_the_stop_watchdog_ends_a_cleanup_that_hangs_and_stops_the_workers():
    """After a stop signal the cleanup has normsim.cli.entry.STOP_GRACE seconds; a cleanup that
    hangs (a pool's shutdown waiting on a lock a dead worker held) is cut off with the
    usual message and exit code, its worker processes terminated first."""
    code = (
        "import multiprocessing, time, normsim.cli.entry as c\n"
        "w = multiprocessing.get_context('spawn').Process(target=time.sleep, args=(120,))\n"
        "w.start(); print(w.pid, flush=True)\n"
        "c.STOP_GRACE = 1.0; c._arm_stop_watchdog(130)\n"
        "time.sleep(120)\n"
    )
    t0 = time.time()
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert time.time() - t0 < 30
    assert r.returncode == 130, r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("normsim: interrupted;"), r.stderr
    worker = int(r.stdout.split()[0])
    assert _ended(worker), "the worker outlived its coordinator"


def _ended(pid: int, wait: float = 10.0) -> bool:
    """Whether process ``pid`` has ended (gone, or a zombie its new parent has not reaped)."""
    deadline = time.time() + wait
    while time.time() < deadline:
        try:
            with open(f"/proc/{pid}/status") as fh:
                state = next(x for x in fh if x.startswith("State:"))
        except (FileNotFoundError, StopIteration, ProcessLookupError):
            return True
        if "Z" in state.split()[1]:
            return True
        time.sleep(0.1)
    return False
