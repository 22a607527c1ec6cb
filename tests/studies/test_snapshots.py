"""Snapshots of the agents' state (output.snapshots): encoding, store, reading back."""

import sqlite3

import numpy as np
import pytest

from normsim.draws import replicate_seed
from normsim.engine import simulate
from normsim.errors import NormsimError
from normsim.scenario import conditions, loads
from normsim.snapshots import decode, encode, read_snapshots
from normsim.studies.runner import run

BODY = """
name: snap
population: {{network: {{kind: grid, rows: {side}, cols: {side}}}}}
dynamics: {{update: sequential, exploration: {expl}}}
schedule: {{generations: 40, shocks: [20]}}
runs: 3
seed: 5
sweep: {{game.c: [0.2, 0.8]}}
output: {{dir: {out}{snaps}}}
"""


def scenario(tmp_path, side=8, expl="0.05", snaps=", snapshots: [0, 20, 40]", out="res"):
    return loads(BODY.format(side=side, expl=expl, snaps=snaps, out=tmp_path / out))


@pytest.mark.parametrize("k", [0, 3, 128, 300])
def test_encoding_round_trips_in_a_byte_or_less(k):
    rng = np.random.default_rng(k)
    n = 10_001
    norms = rng.integers(0, 2, n).astype(np.uint8)
    ridx = rng.integers(0, k, n) if k else None
    blob = encode(norms, ridx, k)
    got_n, got_r = decode(blob, n, k)
    np.testing.assert_array_equal(got_n, norms)
    if k:
        np.testing.assert_array_equal(got_r, ridx)
    else:
        assert got_r is None
    limit = n / 8 if k == 0 else (n if k <= 128 else 2 * n)
    assert len(blob) <= limit * 1.01 + 64
    # a settled population compresses to almost nothing
    assert len(encode(np.ones(n, np.uint8), np.zeros(n, int) if k else None, k)) < 200


@pytest.mark.parametrize("expl", ["0.05", "{rates: [0.0, 0.1, 0.2], rate_mutation: 0.05}"])
def test_run_stores_snapshots_that_read_back_as_the_engines_state(tmp_path, expl):
    loaded = scenario(tmp_path, expl=expl)
    run(loaded, out_dir=tmp_path / "res", workers=1, quiet=True)
    snaps = read_snapshots(tmp_path / "res")
    assert len(snaps) == 2 * 3 * 3
    conds = conditions(loaded)
    for cond in conds:
        params = cond.model_params()
        for rep in range(3):
            seed = replicate_seed(5, rep)
            want = simulate(params, [seed], snapshots=[0, 20, 40])
            for g in (0, 20, 40):
                (s,) = read_snapshots(
                    tmp_path / "res", condition=cond.params, rep=rep, generation=g
                )
                assert s.norms.dtype == np.uint8 and s.norms.shape == (64,)
                np.testing.assert_array_equal(s.norms, want.snapshots[g][0][0])
                assert s.norms.mean() == want.share_b[0, g]
                if params.evolving:
                    np.testing.assert_array_equal(s.rate_index, want.snapshots[g][1][0])
                    counts = np.bincount(s.rate_index, minlength=3) / 64
                    np.testing.assert_allclose(counts, want.rate_shares[0, g])
                else:
                    assert s.rate_index is None
    assert read_snapshots(tmp_path / "res", condition=conds[1].hash[:8], generation=20)[
        0
    ].params == {"game.c": 0.8}
    with pytest.raises(NormsimError, match="no stored condition matches"):
        read_snapshots(tmp_path / "res", condition={"game.c": 0.5})


def test_store_does_not_grow_with_agents_without_snapshots(tmp_path):
    sizes = []
    for side in (6, 60):
        out = f"r{side}"
        run(
            scenario(tmp_path, side=side, snaps="", out=out),
            out_dir=tmp_path / out,
            workers=1,
            quiet=True,
        )
        with sqlite3.connect(tmp_path / out / "results.sqlite") as db:
            sizes.append(
                db.execute(
                    "SELECT SUM(length(share_b) + length(mean_payoff)) FROM replicates"
                ).fetchone()
            )
            assert db.execute("SELECT COUNT(*) FROM snapshots").fetchone() == (0,)
    assert sizes[0] == sizes[1]


def test_asking_for_snapshots_later_runs_the_replicates_again(tmp_path):
    run(scenario(tmp_path, snaps=""), out_dir=tmp_path / "res", workers=1, quiet=True)
    assert read_snapshots(tmp_path / "res") == []
    with sqlite3.connect(tmp_path / "res" / "results.sqlite") as db:
        before = db.execute("SELECT hash, rep, share_b FROM replicates ORDER BY 1, 2").fetchall()
    report = run(scenario(tmp_path), out_dir=tmp_path / "res", workers=1, quiet=True)
    assert report.ran == 6 and len(read_snapshots(tmp_path / "res", generation=40)) == 6
    with sqlite3.connect(tmp_path / "res" / "results.sqlite") as db:
        after = db.execute("SELECT hash, rep, share_b FROM replicates ORDER BY 1, 2").fetchall()
    assert after == before
    assert run(scenario(tmp_path), out_dir=tmp_path / "res", workers=1, quiet=True).ran == 0


def test_store_written_before_snapshots_reads_as_none(tmp_path):
    db = tmp_path / "old.sqlite"
    with sqlite3.connect(db) as c:
        c.executescript(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "CREATE TABLE conditions (hash TEXT PRIMARY KEY, scenario TEXT, "
            "params TEXT, resolved TEXT, position INTEGER);"
            "CREATE TABLE replicates (hash TEXT, rep INTEGER);"
        )
    assert read_snapshots(db) == []


@pytest.mark.parametrize(
    "snaps, msg",
    [
        (", snapshots: [0, 41]", "output.snapshots: 41 is outside 0..40"),
        (", snapshots: [5, 5]", "listed twice"),
        (", snapshots: [a]", "not an integer"),
    ],
)
def test_bad_snapshot_lists_get_one_line(tmp_path, snaps, msg):
    with pytest.raises(NormsimError, match=msg):
        scenario(tmp_path, snaps=snaps)


def test_well_mixed_has_no_snapshots():
    with pytest.raises(NormsimError, match="well-mixed population has no agents"):
        loads("name: w\npopulation: {well_mixed: true}\noutput: {snapshots: [1]}\n")
