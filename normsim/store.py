"""The SQLite results store (interfaces.md section 3).

One file, ``results.sqlite``, per output directory, written by the
coordinating process only. Each replicate is one row, committed in its own
transaction when it finishes, so an interrupted run keeps every finished
replicate and nothing half-written; the same command resumes.

Series are stored as little-endian float64 blobs: ``share_b`` and
``mean_payoff`` of length G + 1, and with evolving rates ``rate_shares``
((G + 1) x K, row-major) and ``mean_rate``.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from normsim import __version__
from normsim.errors import NormsimError

DB_NAME = "results.sqlite"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS conditions (
    hash TEXT PRIMARY KEY,
    scenario TEXT NOT NULL,
    params TEXT NOT NULL,        -- the swept values, JSON
    resolved TEXT NOT NULL,      -- the whole resolved condition, JSON
    position INTEGER NOT NULL    -- order in the sweep
);
CREATE TABLE IF NOT EXISTS replicates (
    hash TEXT NOT NULL REFERENCES conditions(hash),
    rep INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    scenario TEXT NOT NULL,
    params TEXT NOT NULL,
    version TEXT NOT NULL,
    wall_time REAL NOT NULL,
    finished REAL NOT NULL,
    generations INTEGER NOT NULL,
    n_rates INTEGER NOT NULL,
    share_b BLOB NOT NULL,
    mean_payoff BLOB NOT NULL,
    rate_shares BLOB,
    mean_rate BLOB,
    PRIMARY KEY (hash, rep)
);
"""


def db_path(dir_or_db: str | Path) -> Path:
    """The database file of an output directory (or the file itself)."""
    p = Path(dir_or_db)
    return p if p.suffix in (".sqlite", ".db") or p.is_file() else p / DB_NAME


@dataclass
class Replicate:
    """One stored replicate."""

    hash: str
    rep: int
    seed: int
    wall_time: float
    share_b: np.ndarray
    mean_payoff: np.ndarray
    rate_shares: np.ndarray | None
    mean_rate: np.ndarray | None


def _blob(a: np.ndarray | None) -> bytes | None:
    return None if a is None else np.ascontiguousarray(a, dtype="<f8").tobytes()


def _arr(b: bytes | None) -> np.ndarray | None:
    return None if b is None else np.frombuffer(b, dtype="<f8").copy()


class Store:
    """A results database. Use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | Path, create: bool = True):
        self.path = db_path(path)
        if not create and not self.path.is_file():
            raise NormsimError(f"{path}: no results store ({DB_NAME}) found")
        if create:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise NormsimError(f"output.dir: cannot create {self.path.parent}: "
                                   f"{e.strerror or e}") from None
        try:
            self.conn = sqlite3.connect(self.path, timeout=30)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            if create:
                with self.conn:
                    self.conn.executescript(_SCHEMA)
                    self.conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)",
                                      (str(SCHEMA_VERSION),))
            else:
                self.conn.execute("SELECT 1 FROM replicates LIMIT 1")
        except sqlite3.DatabaseError as e:
            raise NormsimError(f"{self.path}: not a usable normsim results store ({e})") from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---------------------------------------------------------------- writing
    def add_condition(self, hash_: str, scenario: str, params: dict, resolved: dict,
                      position: int) -> None:
        with self.conn:
            self.conn.execute(
                "INSERT INTO conditions VALUES (?, ?, ?, ?, ?) ON CONFLICT(hash) DO UPDATE SET "
                "scenario = excluded.scenario, params = excluded.params, "
                "position = excluded.position",
                (hash_, scenario, json.dumps(params), json.dumps(resolved), position))

    def add_replicate(self, hash_: str, rep: int, seed: int, scenario: str, params: dict,
                      wall_time: float, share_b: np.ndarray, mean_payoff: np.ndarray,
                      rate_shares: np.ndarray | None = None,
                      mean_rate: np.ndarray | None = None) -> None:
        """Store one finished replicate in one transaction (a duplicate is ignored)."""
        n_rates = 0 if rate_shares is None else int(np.shape(rate_shares)[-1])
        with self.conn:
            self.conn.execute(
                "INSERT OR IGNORE INTO replicates VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (hash_, int(rep), int(seed), scenario, json.dumps(params), __version__,
                 float(wall_time), time.time(), len(share_b) - 1, n_rates, _blob(share_b),
                 _blob(mean_payoff), _blob(rate_shares), _blob(mean_rate)))

    def set_meta(self, key: str, value: str) -> None:
        """Set a text value in the store's meta table (e.g. a design's record)."""
        with self.conn:
            self.conn.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                              "value = excluded.value", (key, value))

    # ---------------------------------------------------------------- reading
    def get_meta(self, key: str) -> str | None:
        """A text value of the meta table (None if unset)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def stored_reps(self, hash_: str) -> set[int]:
        return {r for (r,) in self.conn.execute("SELECT rep FROM replicates WHERE hash = ?",
                                                (hash_,))}

    def conditions(self, hashes: list[str] | None = None) -> list[dict]:
        """Stored conditions (all, or those in ``hashes``) in sweep order, with replicate counts."""
        rows = self.conn.execute(
            "SELECT c.hash, c.scenario, c.params, c.resolved, COUNT(r.rep) FROM conditions c "
            "LEFT JOIN replicates r ON r.hash = c.hash GROUP BY c.hash ORDER BY c.position")
        out = [{"hash": h, "scenario": s, "params": json.loads(p), "resolved": json.loads(res),
                "n": n} for h, s, p, res, n in rows]
        if hashes is not None:
            keep = set(hashes)
            out = [c for c in out if c["hash"] in keep]
        return out

    def replicates(self, hash_: str) -> Iterator[Replicate]:
        rows = self.conn.execute(
            "SELECT hash, rep, seed, wall_time, n_rates, share_b, mean_payoff, rate_shares, "
            "mean_rate FROM replicates WHERE hash = ? ORDER BY rep", (hash_,))
        for h, rep, seed, wt, k, sb, mp, rs, mr in rows:
            shares = _arr(rs)
            yield Replicate(h, rep, seed, wt, _arr(sb), _arr(mp),
                            None if shares is None else shares.reshape(-1, k), _arr(mr))
