"""The results store's file under hostile conditions, each one line and a non-zero exit
with nothing stored lost or half-written: a read-only store, another program's database
or a text file, an empty file, a folder without a store, a disk that fills up (SQLite's
limit and a real tmpfs); and the summary after a smaller ``--runs`` says what it covers."""

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from support.clirun import normsim, normsim_process
from support.hostile_helpers import TINY, one_line_error, rows


def sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def listing(d):
    return sorted(str(p.relative_to(d)) for p in Path(d).rglob("*"))


def _store(tmp_path, runs=2):
    sc = tmp_path / "s.yaml"
    sc.write_text(TINY)
    out = tmp_path / "res"
    r = normsim("run", sc, "--out", out, "--runs", runs, "--json", "--workers", "1")
    assert r.returncode == 0, r.stderr
    for side in ("-wal", "-shm"):
        assert not Path(str(out / "results.sqlite") + side).exists()
    return sc, out, r.stdout


def _can_unshare():
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    r = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True
    )
    return r.returncode == 0


def _read_only(directory, *commands):
    """Run normsim commands with ``directory`` read-only: a private read-only bind mount
    as root (root ignores file permissions), else file permissions."""
    cmds = [" ".join([sys.executable, "-m", "normsim", *map(str, c)]) for c in commands]
    if os.geteuid() == 0:
        if not _can_unshare():
            pytest.skip("root without mount namespaces: cannot make a read-only directory")
        script = (
            f"mount --bind {directory} {directory} && "
            f"mount -o remount,bind,ro {directory} && "
            + " && ".join(f"{c} > {directory.parent / f'out{i}.txt'}" for i, c in enumerate(cmds))
        )
        r = subprocess.run(
            ["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=300
        )
        return r, [(directory.parent / f"out{i}.txt").read_text() for i in range(len(cmds))]
    mode = directory.stat().st_mode
    os.chmod(directory / "results.sqlite", 0o444)
    os.chmod(directory, 0o555)
    try:
        outs = []
        for c in commands:
            r = normsim_process(*c)
            if r.returncode:
                return r, outs
            outs.append(r.stdout)
        return r, outs
    finally:
        os.chmod(directory, mode)


@pytest.mark.slow
def test_read_only_store_is_summarised_and_exported(tmp_path):
    _, out, run_json = _store(tmp_path)
    before, files = sha(out / "results.sqlite"), listing(out)
    r, outs = _read_only(out, ["summary", out, "--json"], ["export", out, "--to", tmp_path / "x"])
    assert r.returncode == 0, r.stderr
    assert json.loads(outs[0]) == json.loads(run_json)
    assert (tmp_path / "x" / "series.csv").read_text().count("\n") == 1 + 2 * 121
    assert sha(out / "results.sqlite") == before and listing(out) == files


FOREIGN = [
    (
        "another program's database as --out FILE.db",
        "app.db",
        "CREATE TABLE users (id INTEGER, name TEXT); INSERT INTO users VALUES (1, 'ada');",
        r"app\.db: not a normsim results store: it holds another program's tables \(users\); it "
        r"was left as it is",
    ),
    (
        "another program's results.sqlite in --out DIR",
        "dir/results.sqlite",
        "CREATE TABLE orders (id INTEGER); INSERT INTO orders VALUES (7);",
        r"results\.sqlite: not a normsim results store: .*\(orders\)",
    ),
    (
        "a normsim store with another program's table",
        "both.db",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); CREATE TABLE conditions "
        "(hash TEXT); CREATE TABLE replicates (hash TEXT); CREATE TABLE extra (x);",
        r"both\.db: not a normsim results store: .*\(extra\)",
    ),
    (
        "a text file as --out FILE.db",
        "notes.db",
        None,
        r"notes\.db: not a normsim results store \(file is not a database\); it was left",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, sql, pattern", [t[1:] for t in FOREIGN], ids=[t[0] for t in FOREIGN]
)
def test_foreign_files_are_refused_and_left_as_they_were(tmp_path, name, sql, pattern):
    sc = tmp_path / "s.yaml"
    sc.write_text(TINY)
    target = tmp_path / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if sql is None:
        target.write_text("my notes, not a database\n" * 50)
    else:
        con = sqlite3.connect(target)
        con.executescript(sql)
        con.commit()
        con.close()
    before, files = sha(target), listing(tmp_path)
    out = target.parent if name.endswith("results.sqlite") else target
    one_line_error(normsim("run", sc, "--out", out, "--json"), pattern)
    assert sha(target) == before and listing(tmp_path) == files


@pytest.mark.slow
def test_summary_of_an_empty_file_writes_nothing(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    empty = d / "results.sqlite"
    empty.touch()
    mtime = empty.stat().st_mtime_ns
    for target in (d, empty):
        one_line_error(normsim("summary", target), r"not a usable normsim results store")
        one_line_error(normsim("export", target), r"not a usable normsim results store")
    assert empty.stat().st_size == 0 and empty.stat().st_mtime_ns == mtime
    assert listing(d) == ["results.sqlite"]


@pytest.mark.slow
def test_export_of_a_directory_without_a_store_creates_nothing(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    one_line_error(normsim("export", d), r"d: no results store \(results\.sqlite\) found")
    one_line_error(normsim("export", d, "--to", tmp_path / "x"), r"no results store")
    assert listing(tmp_path) == ["d"]
    one_line_error(normsim("summary", "/dev/null"), r"no results store")


def test_full_disk_keeps_what_is_stored_and_the_same_command_resumes(tmp_path, monkeypatch, capsys):
    """SQLite's own 'database or disk is full' (SQLITE_FULL), from a page limit set on the
    store's connection after the first few replicates: the same error a full disk gives."""
    from normsim import cli, store

    sc = tmp_path / "s.yaml"
    sc.write_text(TINY.replace("runs: 3", "runs: 12"))
    out = tmp_path / "res"
    real = store.Store.add_replicate
    calls = {"n": 0}

    def filling(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 4:  # no room for a fourth replicate
            n = self.conn.execute("PRAGMA page_count").fetchone()[0]
            self.conn.execute(f"PRAGMA max_page_count = {n}")
        return real(self, *a, **k)

    monkeypatch.setattr(store.Store, "add_replicate", filling)
    args = ["run", str(sc), "--out", str(out), "--workers", "1", "--json"]
    assert cli.main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and re.search(
        r"results\.sqlite: the disk is full \(SQLite: database or "
        r"disk is full\); what was stored before is kept; run "
        r"the same command again to resume",
        err[0],
    ), err
    kept = rows(out)
    assert 3 <= len(kept) < 12  # the replicates before the disk filled
    monkeypatch.setattr(store.Store, "add_replicate", real)
    assert cli.main(args) == 0
    capsys.readouterr()
    resumed = rows(out)
    assert set(kept) <= set(resumed) and len(resumed) == 12
    assert cli.main([*args[:3], str(tmp_path / "clean"), *args[4:]]) == 0
    assert rows(tmp_path / "clean") == resumed


FILL = r"""
set -e
mount -t tmpfs -o size=24m tmpfs {d}
{py} -m normsim run {sc} --out {d}/res --workers 1 --json > {t}/first.out 2> {t}/first.err &
pid=$!
i=0
while [ $i -lt 600 ]; do
  n=$({py} {t}/count.py {d}/res/results.sqlite)
  [ "$n" -ge 3 ] && break
  i=$((i+1)); sleep 0.2
done
dd if=/dev/zero of={d}/filler bs=64k 2>/dev/null || true
set +e
wait $pid; echo $? > {t}/first.code
{py} {t}/count.py {d}/res/results.sqlite > {t}/kept
rm {d}/filler
{py} -m normsim run {sc} --out {d}/res --workers 1 --json > {t}/second.out 2> {t}/second.err
echo $? > {t}/second.code
cp {d}/res/results.sqlite {t}/after.sqlite
"""
COUNT = """import sqlite3, sys
try:
    con = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
    print(con.execute("SELECT COUNT(*) FROM replicates").fetchone()[0])
except sqlite3.Error:
    print(0)
"""


@pytest.mark.slow
@pytest.mark.skipif(not _can_unshare(), reason="needs root and mount namespaces for a tmpfs")
def test_a_really_full_disk(tmp_path):
    """A small tmpfs filled up during the run (ENOSPC from the kernel)."""
    sc = tmp_path / "s.yaml"
    sc.write_text(
        "name: full\npopulation: {network: {kind: grid, rows: 20, cols: 20}}\n"
        "schedule: {generations: 20000, shocks: [10000]}\nruns: 40\n"
    )
    d = tmp_path / "disk"
    d.mkdir()
    (tmp_path / "count.py").write_text(COUNT)
    r = subprocess.run(
        ["unshare", "-m", "sh", "-c", FILL.format(d=d, sc=sc, t=tmp_path, py=sys.executable)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "first.code").read_text().strip() == "1"
    err = (tmp_path / "first.err").read_text().strip().splitlines()
    assert len(err) == 1 and "the disk is full" in err[0], err
    assert int((tmp_path / "kept").read_text()) >= 3
    assert (tmp_path / "second.code").read_text().strip() == "0", (
        tmp_path / "second.err"
    ).read_text()
    con = sqlite3.connect(tmp_path / "after.sqlite")
    assert con.execute("SELECT COUNT(DISTINCT rep) FROM replicates").fetchone()[0] == 40
    resumed = sorted(con.execute("SELECT hash, rep, seed, share_b FROM replicates"))
    con.close()
    clean = tmp_path / "clean"  # the reference, in this process
    assert normsim("run", sc, "--out", clean, "--json").returncode == 0
    con = sqlite3.connect(clean / "results.sqlite")
    assert sorted(con.execute("SELECT hash, rep, seed, share_b FROM replicates")) == resumed


@pytest.mark.slow
def test_summary_after_a_smaller_runs_says_what_it_covers(tmp_path):
    sc = tmp_path / "s.yaml"
    sc.write_text(TINY)
    d = tmp_path / "d"
    six = json.loads(
        normsim("run", "--workers", "1", sc, "--runs", "6", "--out", d, "--json").stdout
    )
    two = normsim("run", "--workers", "1", sc, "--runs", "2", "--out", d, "--json")
    assert two.returncode == 0
    c = json.loads(two.stdout)["conditions"][0]
    assert c["runs"] == 2 and c["stored"] == 6
    # exactly what a fresh store with two replicates says (which two: numbers 0 and 1)
    fresh = json.loads(
        normsim(
            "run", "--workers", "1", sc, "--runs", "2", "--out", tmp_path / "f", "--json"
        ).stdout
    )["conditions"][0]
    assert {**c, "stored": 2} == fresh
    table = normsim("run", "--workers", "1", sc, "--runs", "2", "--out", d).stdout
    assert re.search(r"^\s*2 of 6\s", table, re.M), table
    # summary covers everything stored, and says so
    s = json.loads(normsim("summary", d, "--json").stdout)["conditions"][0]
    assert s["runs"] == s["stored"] == 6 and s == six["conditions"][0]
