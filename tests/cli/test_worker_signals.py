"""SIGTERM or SIGHUP to ``normsim run`` stops its worker processes, says so in one line
and keeps the finished replicates in an intact store."""

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _children(pid):
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            cmd = (d / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in cmd:
            out.append(int(d.name))
    return out


def _alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP"])
def test_signal_stops_the_workers_and_keeps_what_is_stored(tmp_path, sig):
    sc = tmp_path / "long.yaml"
    sc.write_text(
        "name: long\npopulation: {network: {kind: grid, rows: 30, cols: 30}}\n"
        "schedule: {generations: 20000, shocks: [10000]}\nruns: 40\n"
    )
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "normsim",
            "run",
            str(sc),
            "--out",
            str(out),
            "--workers",
            "2",
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        workers, deadline = [], time.time() + 180
        while time.time() < deadline and proc.poll() is None:
            workers = _children(proc.pid)
            if len(workers) == 2 and (out / "results.sqlite").exists():
                break
            time.sleep(0.2)
        assert len(workers) == 2 and proc.poll() is None, "no workers seen"
        time.sleep(1.0)
        proc.send_signal(getattr(signal, sig))
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + getattr(signal, sig), err
    lines = err.strip().splitlines()
    assert (
        len(lines) == 1
        and f"stopped by {sig}; worker processes stopped; finished replicates are stored"
        in lines[0]
    ), err
    deadline = time.time() + 30
    while time.time() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.2)
    assert not any(_alive(w) for w in workers)
    con = sqlite3.connect(out / "results.sqlite")
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert con.execute("SELECT COUNT(*) FROM replicates").fetchone()[0] < 40
    con.close()
