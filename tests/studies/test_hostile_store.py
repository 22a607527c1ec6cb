"""A results store holds one scenario's results of one command: ``run``, ``tipping`` or
``calibrate`` of another scenario, or another command into the same folder, is refused
in one line before anything is written; a stored condition's metadata is never
overwritten with less."""

import json
import shutil
import sqlite3

import pytest

from normsim.store import Store, db_path

from support.clirun import normsim
from support.hostile_helpers import one_line_error

SCENARIO = """name: {name}
game: {{a: 0.6, b: 0.4, c: 0.3}}
population: {{network: {{kind: grid, rows: 5, cols: 5}}}}
schedule: {{generations: 30, shocks: [10]}}
runs: 2
"""


def _scenario(tmp_path, name):
    p = tmp_path / f"{name}.yaml"
    p.write_text(SCENARIO.format(name=name))
    return p


def _rows(out):
    conn = sqlite3.connect(db_path(out))
    try:
        return (
            conn.execute("SELECT * FROM conditions ORDER BY hash").fetchall(),
            conn.execute("SELECT COUNT(*) FROM replicates").fetchone()[0],
        )
    finally:
        conn.close()


def _tipping_store(out, legacy):
    """A store as ``normsim tipping`` of scenario t leaves it (``legacy``: as it was
    written before a store recorded its command, with tipping.json beside it)."""
    with Store(out) as store:
        if not legacy:
            store.claim("tipping", "t")
        store.add_condition("a" * 24, "t", {"game.c": 0.3}, {"name": "t"}, 0)
    if legacy:
        (out / "tipping.json").write_text("{}")


def test_run_into_a_tipping_store_is_refused(tmp_path):
    sc = _scenario(tmp_path, "t")
    for legacy in (False, True):
        out = tmp_path / f"o{legacy}"
        _tipping_store(out, legacy)
        before = _rows(out)
        r = normsim("run", sc, "--out", out, "--workers", "1")
        one_line_error(
            r,
            r"holds the results of normsim tipping for scenario 't'.*normsim "
            r"run for scenario 't' is not added.*choose another --out",
        )
        assert _rows(out) == before
        assert not (out / "shares.png").exists()


def test_another_scenario_into_the_same_store_is_refused(tmp_path):
    out = tmp_path / "o"
    r = normsim("run", _scenario(tmp_path, "t"), "--out", out, "--workers", "1")
    assert r.returncode == 0, r.stderr
    before = _rows(out)
    u = _scenario(tmp_path, "u")
    r = normsim("run", u, "--out", out, "--workers", "1")
    one_line_error(
        r,
        r"holds the results of normsim run for scenario 't'.*scenario 'u'.*"
        r"choose another --out",
    )
    r = normsim("tipping", u, "--vary", "game.c", "--tol", "inf", "--workers", "1", "--out", out)
    one_line_error(
        r,
        r"holds the results of normsim run for scenario 't'.*normsim tipping "
        r"for scenario 'u'.*choose another --out",
    )
    assert _rows(out) == before
    assert not (out / "tipping.json").exists()


def test_a_condition_is_never_overwritten_with_less(tmp_path):
    with Store(tmp_path / "o") as store:
        store.add_condition("h" * 24, "t", {"game.c": 0.3}, {"name": "t", "x": 1}, 3)
        store.add_condition("h" * 24, "t", {}, {"name": "t"}, 0)
        (cond,) = store.conditions()
    assert cond["params"] == {"game.c": 0.3}
    assert cond["resolved"] == {"name": "t", "x": 1}
    assert json.dumps(cond["scenario"]) == '"t"'


# ------------------------------------------------------------------ a damaged store
DESIGN = """name: dd
game: {a: 0.6, b: 0.4, c: 0.3}
population: {network: {kind: grid, rows: 6, cols: 6}, initial_b: 0.05}
schedule: {generations: 200, shocks: [20]}
runs: 3
design:
  method: morris
  samples: 4
  seed: 9
  bounds:
    game.c: [0.2, 0.9]
    dynamics.exploration: [0.01, 0.1]
"""

READERS = (("summary",), ("export",), ("sensitivity", "--no-plots"))


@pytest.fixture(scope="module")
def design_store(tmp_path_factory):
    """A design's store (scenario, directory), run once for the module."""
    pytest.importorskip("SALib")
    d = tmp_path_factory.mktemp("design")
    sc = d / "dd.yaml"
    sc.write_text(DESIGN)
    r = normsim("run", sc, "--out", d / "o", "--workers", "1", "--json")
    assert r.returncode == 0, r.stderr
    return sc, d / "o"


def _copy(src, dst):
    dst.mkdir()
    shutil.copy(db_path(src), db_path(dst))
    return dst


def _all_refused(cmds, out, pattern):
    for cmd in cmds:
        r = normsim(*cmd)
        line = one_line_error(r, pattern)
        assert str(db_path(out)) in line, (cmd, line)


def test_a_store_damaged_inside_is_one_line(design_store, tmp_path):
    sc, src = design_store
    out = _copy(src, tmp_path / "o")
    db = db_path(out)
    size = db.stat().st_size
    page = 4096
    assert size > 8 * page
    with open(db, "r+b") as f:  # the header and the schema's page intact
        f.seek(size // 2 // page * page)
        f.write(bytes(range(256)) * ((size - f.tell()) // 256))
    cmds = [(c, out, *rest) for c, *rest in READERS] + [("run", sc, "--out", out, "--workers", "1")]
    _all_refused(
        cmds,
        out,
        r"the results store is damaged: .*PRAGMA integrity_check says: "
        r"(?!ok;).*restore it from a copy or run again with another --out",
    )


def test_a_corrupted_blob_or_design_record_is_one_line(design_store, tmp_path):
    sc, src = design_store
    out = _copy(src, tmp_path / "blob")
    with sqlite3.connect(db_path(out)) as conn:
        conn.execute(
            "UPDATE replicates SET share_b = x'010203' WHERE rowid = "
            "(SELECT MIN(rowid) FROM replicates)"
        )
    conn.close()
    _all_refused(
        [(c, out, *rest) for c, *rest in READERS],
        out,
        r"damaged \(replicate \d+ of condition \w+ does not decode\).*"
        r"integrity_check says: ok",
    )
    for value in ('{"method": "morris", ', "[1, 2]", '{"method": "morris"}'):
        out = _copy(src, tmp_path / f"rec{len(value)}")
        with sqlite3.connect(db_path(out)) as conn:
            conn.execute("UPDATE meta SET value = ? WHERE key = 'design'", (value,))
        conn.close()
        _all_refused(
            [("sensitivity", out, "--no-plots")],
            out,
            r"damaged \(the design record does not decode\)",
        )
