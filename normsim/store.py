"""The SQLite results store (docs/guide/results.md).

One file, ``results.sqlite``, per output directory, written by the
coordinating process only. Each replicate is one row, committed in its own
transaction when it finishes, so an interrupted run keeps every finished
replicate and nothing half-written; the same command resumes.

Series are stored as little-endian float64 blobs: ``share_b`` and
``mean_payoff`` of length G + 1, and with evolving rates ``rate_shares``
((G + 1) x K, row-major) and ``mean_rate``; further named series (committed
agents: ``share_new`` and ``share_new_uncommitted``) go together into ``extra``
(a JSON header of names and lengths, then the float64 values). Snapshots of the
agents' state (``output.snapshots``) are rows of their own table, written in the
replicate's transaction (:mod:`normsim.snapshots`).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import overload

import numpy as np

from normsim import __version__
from normsim.datafiles import check_output
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
    extra BLOB,                  -- further named series (_pack), e.g. committed agents'
    PRIMARY KEY (hash, rep)
);
CREATE TABLE IF NOT EXISTS snapshots (  -- output.snapshots: see normsim/snapshots.py
    hash TEXT NOT NULL,
    rep INTEGER NOT NULL,
    generation INTEGER NOT NULL,
    n_agents INTEGER NOT NULL,
    n_rates INTEGER NOT NULL,    -- 0: a fixed exploration rate
    state BLOB NOT NULL,
    PRIMARY KEY (hash, rep, generation)
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
    extra: dict = field(default_factory=dict)


@overload
def _blob(a: np.ndarray) -> bytes: ...
@overload
def _blob(a: None) -> None: ...
def _blob(a: np.ndarray | None) -> bytes | None:
    return None if a is None else np.ascontiguousarray(a, dtype="<f8").tobytes()


@overload
def _arr(b: bytes) -> np.ndarray: ...
@overload
def _arr(b: None) -> None: ...
def _arr(b: bytes | None) -> np.ndarray | None:
    return None if b is None else np.frombuffer(b, dtype="<f8").copy()


def _object(value):
    """A decoded JSON record that must be an object."""
    if not isinstance(value, dict):
        raise TypeError(f"a JSON object was expected, not {type(value).__name__}")
    return value


def _pack(extra: dict[str, np.ndarray] | None) -> bytes | None:
    """Named 1-d series as one blob: 4-byte header length, JSON ``[[name, length], ...]``,
    then the float64 values, padded to 8 bytes."""
    if not extra:
        return None
    head = json.dumps([[k, int(np.size(v))] for k, v in extra.items()]).encode()
    head += b" " * (-(len(head) + 4) % 8)
    return (
        len(head).to_bytes(4, "little")
        + head
        + b"".join(_blob(np.ravel(v)) for v in extra.values())
    )


def _unpack(b: bytes | None) -> dict[str, np.ndarray]:
    if b is None:
        return {}
    n = int.from_bytes(b[:4], "little")
    names = json.loads(b[4 : 4 + n])
    vals = np.frombuffer(b[4 + n :], dtype="<f8")
    out, pos = {}, 0
    for name, length in names:
        out[str(name)] = vals[pos : pos + int(length)].copy()
        pos += int(length)
    if pos != len(vals):
        raise ValueError(f"the named series hold {pos} values, the blob {len(vals)}")
    return out


_TABLES = {"meta", "conditions", "replicates"}
#: tables a store may or may not have (stores written before they existed lack them)
_OPTIONAL_TABLES = {"snapshots"}


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection: nothing in the file can change through it.

    SQLite opens a WAL database read-only only where it can create the ``-shm``
    side file; on read-only media or in a read-only directory, a store that was
    closed cleanly (no ``-wal`` file) is opened as immutable instead.
    """
    uri = "file:" + urllib.parse.quote(str(path.absolute())) + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=30)
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        if Path(str(path) + "-wal").exists():
            raise
    conn = sqlite3.connect(uri + "&immutable=1", uri=True, timeout=30)
    conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    return conn


def _columns(conn: sqlite3.Connection) -> set[str]:
    return {r[1] for r in conn.execute("PRAGMA table_info(replicates)")}


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {
        n
        for (n,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    }


def check_store_file(dir_or_db: str | Path) -> None:
    """Refuse, without changing it, a file that is in the way of a store at ``dir_or_db``:
    a directory, a file that is not SQLite, or another program's database.

    A missing or empty file and a normsim store pass.
    """
    check_output(dir_or_db)
    path = db_path(dir_or_db)
    check_output(path)
    if not path.exists() and not path.is_symlink():
        return
    if path.is_dir():
        raise NormsimError(f"{path}: is a directory, not a results store; choose another --out")
    if not path.is_file():
        raise NormsimError(
            f"{path}: is not a regular file, so it cannot be a results store; choose another --out"
        )
    if path.stat().st_size == 0:
        return
    try:
        conn = _connect_readonly(path)
        try:
            tables = _tables(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise NormsimError(
            f"{path}: not a normsim results store ({e}); it was left as it is: choose another --out"
        ) from None
    foreign = tables - _TABLES - _OPTIONAL_TABLES
    if tables and (not tables >= _TABLES or foreign):
        other = ", ".join(sorted(foreign)) or "none of normsim's"
        raise NormsimError(
            f"{path}: not a normsim results store: it holds another program's "
            f"tables ({other}); it was left as it is: choose another --out"
        )


#: what a store was written by, the command (``run``, ``tipping``, ``calibrate``) and the
#: scenario's name, in the meta table
OWNER_KEYS = ("command", "scenario")
#: the result file each command writes beside its store (to recognise older stores)
_RESULT_FILES = {"tipping": "tipping.json", "calibrate": "calibration.json"}


def owner(dir_or_db: str | Path) -> tuple[str | None, str | None]:
    """``(command, scenario)`` that wrote the store at ``dir_or_db`` (None, None if there
    is no store yet). A store written before the owner was recorded is recognised by its
    conditions' scenario name and the result file beside it (command None if neither
    ``tipping.json`` nor ``calibration.json`` is there)."""
    path = db_path(dir_or_db)
    if not path.is_file() or path.stat().st_size == 0:
        return None, None
    try:
        conn = _connect_readonly(path)
        try:
            if not _tables(conn) >= _TABLES:
                return None, None
            meta = dict(
                conn.execute(
                    "SELECT key, value FROM meta WHERE key IN (?, ?)", OWNER_KEYS
                ).fetchall()
            )
            names = [n for (n,) in conn.execute("SELECT DISTINCT scenario FROM conditions LIMIT 2")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise damaged(path, e) from None
    command, scenario = meta.get("command"), meta.get("scenario")
    if scenario is None and names:
        scenario = names[0]
    if command is None and names:
        found = [c for c, f in _RESULT_FILES.items() if (path.parent / f).exists()]
        command = found[0] if len(found) == 1 else None
    return command, scenario


def check_owner(dir_or_db: str | Path, command: str, scenario: str) -> None:
    """Refuse, before anything is written, to add the results of ``normsim command`` for
    ``scenario`` to a store another command or another scenario wrote: a store holds one
    scenario's results of one command."""
    had_command, had_scenario = owner(dir_or_db)
    if (had_command in (None, command)) and (had_scenario in (None, scenario)):
        return
    by = f"normsim {had_command}" if had_command else "normsim"
    raise NormsimError(
        f"{db_path(dir_or_db)}: this store holds the results of {by} for scenario "
        f"{had_scenario!r}; a store holds one scenario's results of one command, so normsim "
        f"{command} for scenario {scenario!r} is not added to it: choose another --out"
    )


def integrity(path: Path) -> str:
    """SQLite's verdict on a store file (``PRAGMA integrity_check``), on one line."""
    try:
        conn = _connect_readonly(path)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check(5)")]
        finally:
            conn.close()
    except sqlite3.Error as e:
        return f"the check itself failed: {e}"
    text = "; ".join(str(r) for r in rows).replace("\n", " ")
    return text if len(text) <= 200 else text[:197] + "..."


def damaged(path: Path, e: Exception, what: str = "") -> NormsimError:
    """One line for a store that cannot be read: the store, what failed, SQLite's
    integrity verdict."""
    cause = f"{type(e).__name__}: {e}" if what else str(e)
    return NormsimError(
        f"{path}: the results store is damaged{' (' + what + ')' if what else ''}: "
        f"{cause}; PRAGMA integrity_check says: {integrity(path)}; restore it from a copy "
        "or run again with another --out"
    )


def _malformed(e: sqlite3.Error) -> bool:
    """Whether SQLite's error says the file is damaged inside (not: not a database)."""
    return "malformed" in str(e) or "corrupt" in str(e)


def _write_error(path: Path, e: sqlite3.Error) -> NormsimError:
    """One line for a failed write: a full disk, a read-only store, or another problem."""
    text = str(e)
    kept = (
        "what was stored before is kept; run the same command again to resume "
        "(only what is missing runs)"
    )
    if "full" in text:
        return NormsimError(
            f"{path}: the disk is full (SQLite: {text}); {kept} once there is space"
        )
    if "readonly" in text or "read-only" in text:
        return NormsimError(
            f"{path}: cannot write the results store (SQLite: {text}); choose a writable --out"
        )
    return NormsimError(f"{path}: cannot write the results store (SQLite: {text}); {kept}")


class Store:
    """A results database. Use as a context manager or call :meth:`close`.

    ``create=False`` opens an existing store read-only (``summary``, ``export``):
    nothing is written to it, and it may be on read-only media.
    """

    def __init__(self, path: str | Path, create: bool = True):
        self.path = db_path(path)
        self.readonly = not create
        if not create and not self.path.is_file():
            what = "is not a regular file" if self.path.exists() else "found"
            raise NormsimError(f"{path}: no results store ({DB_NAME}) {what}")
        if create:
            check_store_file(self.path)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise NormsimError(
                    f"output.dir: cannot create {self.path.parent}: {e.strerror or e}"
                ) from None
        try:
            if not create:
                self.conn = _connect_readonly(self.path)
                if not _tables(self.conn) >= _TABLES:
                    raise sqlite3.DatabaseError("it has no normsim tables")
                self.conn.execute("SELECT 1 FROM replicates LIMIT 1")
                return
            self.conn = sqlite3.connect(self.path, timeout=30)
        except sqlite3.DatabaseError as e:
            if _malformed(e):
                raise damaged(self.path, e) from None
            raise NormsimError(f"{self.path}: not a usable normsim results store ({e})") from None
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            with self.conn:
                self.conn.executescript(_SCHEMA)
                if "extra" not in _columns(self.conn):  # written before the column existed
                    self.conn.execute("ALTER TABLE replicates ADD COLUMN extra BLOB")
                self.conn.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
                )
        except sqlite3.OperationalError as e:
            self.conn.close()
            raise _write_error(self.path, e) from None
        except sqlite3.DatabaseError as e:
            self.conn.close()
            if _malformed(e):
                raise damaged(self.path, e) from None
            raise NormsimError(f"{self.path}: not a usable normsim results store ({e})") from None

    def close(self) -> None:
        """Close the database connection."""
        try:
            self.conn.close()
        except sqlite3.Error:  # pragma: no cover - closing after a failed write
            pass

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---------------------------------------------------------------- writing
    def claim(self, command: str, scenario: str) -> None:
        """Record the command and scenario this store holds (:func:`check_owner`), if not
        recorded yet."""
        try:
            with self.conn:
                self.conn.executemany(
                    "INSERT OR IGNORE INTO meta VALUES (?, ?)",
                    zip(OWNER_KEYS, (command, scenario), strict=True),
                )
        except sqlite3.OperationalError as e:
            raise _write_error(self.path, e) from None
        except sqlite3.DatabaseError as e:
            raise damaged(self.path, e) from None

    def add_condition(
        self, hash_: str, scenario: str, params: dict, resolved: dict, position: int
    ) -> None:
        """Record a condition (its hash, swept values, resolved scenario and sweep position).

        A condition stored before keeps its resolved scenario and every swept value it
        had: values are added, never taken away."""
        try:
            with self.conn:
                row = self.conn.execute(
                    "SELECT params FROM conditions WHERE hash = ?", (hash_,)
                ).fetchone()
                if row is not None:
                    params = {**json.loads(row[0]), **params}
                self.conn.execute(
                    "INSERT INTO conditions VALUES (?, ?, ?, ?, ?) ON CONFLICT(hash) DO UPDATE "
                    "SET params = excluded.params, position = excluded.position",
                    (hash_, scenario, json.dumps(params), json.dumps(resolved), position),
                )
        except sqlite3.OperationalError as e:  # a full disk: the transaction is rolled back
            raise _write_error(self.path, e) from None
        except (sqlite3.DatabaseError, ValueError) as e:
            raise damaged(self.path, e, f"condition {hash_}") from None

    def add_replicate(
        self,
        hash_: str,
        rep: int,
        seed: int,
        scenario: str,
        params: dict,
        wall_time: float,
        share_b: np.ndarray,
        mean_payoff: np.ndarray,
        rate_shares: np.ndarray | None = None,
        mean_rate: np.ndarray | None = None,
        snapshots: dict[int, tuple[int, bytes]] | None = None,
        extra: dict[str, np.ndarray] | None = None,
    ) -> None:
        """Store one finished replicate in one transaction (a duplicate is ignored),
        with its encoded snapshots (generation -> (agents, bytes); see
        :func:`normsim.snapshots.snapshot_blobs`) and further named series ``extra``."""
        n_rates = 0 if rate_shares is None else int(np.shape(rate_shares)[-1])
        try:
            with self.conn:
                self.conn.execute(
                    "INSERT OR IGNORE INTO replicates (hash, rep, seed, scenario, params, "
                    "version, wall_time, finished, generations, n_rates, share_b, mean_payoff, "
                    "rate_shares, mean_rate, extra) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        hash_,
                        int(rep),
                        int(seed),
                        scenario,
                        json.dumps(params),
                        __version__,
                        float(wall_time),
                        time.time(),
                        len(share_b) - 1,
                        n_rates,
                        _blob(share_b),
                        _blob(mean_payoff),
                        _blob(rate_shares),
                        _blob(mean_rate),
                        _pack(extra),
                    ),
                )
                for g, (n, blob) in (snapshots or {}).items():
                    self.conn.execute(
                        "INSERT OR IGNORE INTO snapshots VALUES (?,?,?,?,?,?)",
                        (hash_, int(rep), int(g), int(n), n_rates, blob),
                    )
        except sqlite3.OperationalError as e:  # a full disk: the transaction is rolled back
            raise _write_error(self.path, e) from None
        except sqlite3.DatabaseError as e:
            raise damaged(self.path, e) from None

    def set_meta(self, key: str, value: str) -> None:
        """Set a text value in the store's meta table (e.g. a design's record)."""
        try:
            with self.conn:
                self.conn.execute(
                    "INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE "
                    "SET value = excluded.value",
                    (key, value),
                )
        except sqlite3.OperationalError as e:
            raise _write_error(self.path, e) from None
        except sqlite3.DatabaseError as e:
            raise damaged(self.path, e) from None

    @contextlib.contextmanager
    def reading(self, what: str = ""):
        """Turn a failed read (SQLite finds the file damaged; a stored value that does not
        decode) into one line naming the store (:func:`damaged`)."""
        try:
            yield
        except sqlite3.OperationalError:
            raise
        except sqlite3.DatabaseError as e:
            raise damaged(self.path, e) from None
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as e:
            if isinstance(e, NormsimError):
                raise
            raise damaged(self.path, e, what or "a stored value does not decode") from None

    # ---------------------------------------------------------------- reading
    def get_meta(self, key: str) -> str | None:
        """A text value of the meta table (None if unset)."""
        with self.reading(f"meta {key}"):
            row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def stored_reps(self, hash_: str) -> set[int]:
        """The replicate numbers already stored for a condition."""
        with self.reading():
            return {
                r
                for (r,) in self.conn.execute("SELECT rep FROM replicates WHERE hash = ?", (hash_,))
            }

    def reps_with_snapshots(self, hash_: str, generations: list[int]) -> set[int]:
        """Replicates that have a snapshot at every one of ``generations``."""
        if not self._snapshot_table():
            return set()
        want = sorted(set(int(g) for g in generations))
        with self.reading():
            rows = self.conn.execute(
                f"SELECT rep FROM snapshots WHERE hash = ? AND generation IN "
                f"({','.join('?' * len(want))}) GROUP BY rep HAVING COUNT(*) = ?",
                (hash_, *want, len(want)),
            )
            return {r for (r,) in rows}

    def snapshot_rows(
        self, hash_: str, rep: int | None = None, generation: int | None = None
    ) -> list[tuple]:
        """``(rep, generation, n_agents, n_rates, bytes)`` of a condition's snapshots."""
        if not self._snapshot_table():
            return []
        sql = "SELECT rep, generation, n_agents, n_rates, state FROM snapshots WHERE hash = ?"
        args: list = [hash_]
        if rep is not None:
            sql += " AND rep = ?"
            args.append(int(rep))
        if generation is not None:
            sql += " AND generation = ?"
            args.append(int(generation))
        with self.reading():
            return self.conn.execute(sql + " ORDER BY rep, generation", args).fetchall()

    def _snapshot_table(self) -> bool:
        """Whether this store has the snapshots table (stores written before it do not)."""
        with self.reading():
            return (
                self.conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'snapshots'"
                ).fetchone()
                is not None
            )

    def conditions(self, hashes: list[str] | None = None) -> list[dict]:
        """Stored conditions (all, or those in ``hashes``) in sweep order, with replicate counts."""
        with self.reading("a condition's record does not decode"):
            rows = self.conn.execute(
                "SELECT c.hash, c.scenario, c.params, c.resolved, COUNT(r.rep) FROM conditions "
                "c LEFT JOIN replicates r ON r.hash = c.hash GROUP BY c.hash ORDER BY "
                "c.position"
            )
            out = [
                {
                    "hash": h,
                    "scenario": s,
                    "params": _object(json.loads(p)),
                    "resolved": _object(json.loads(res)),
                    "n": n,
                }
                for h, s, p, res, n in rows
            ]
        if hashes is not None:
            keep = set(hashes)
            out = [c for c in out if c["hash"] in keep]
        return out

    @property
    def _extra(self) -> str:
        """The ``extra`` column, or NULL in a store opened read-only that predates it."""
        with self.reading():
            return "extra" if "extra" in _columns(self.conn) else "NULL"

    def replicates(self, hash_: str, below: int | None = None) -> Iterator[Replicate]:
        """Stored replicates of a condition in order (only those numbered below ``below``)."""
        extra = self._extra
        with self.reading():
            rows = self.conn.execute(
                "SELECT hash, rep, seed, wall_time, n_rates, share_b, mean_payoff, "
                f"rate_shares, mean_rate, {extra} FROM replicates WHERE hash = ? AND rep < ? "
                "ORDER BY rep",
                (hash_, 2**63 - 1 if below is None else min(int(below), 2**63 - 1)),
            )
        while True:
            with self.reading():
                row = next(rows, None)
            if row is None:
                return
            h, rep, seed, wt, k, sb, mp, rs, mr, ex = row
            with self.reading(f"replicate {rep} of condition {h} does not decode"):
                shares = _arr(rs)
                out = Replicate(
                    h,
                    rep,
                    seed,
                    wt,
                    _arr(sb),
                    _arr(mp),
                    None if shares is None else shares.reshape(-1, k),
                    _arr(mr),
                    _unpack(ex),
                )
                if len(out.mean_payoff) != len(out.share_b):
                    raise ValueError(
                        f"share_b has {len(out.share_b)} values, mean_payoff {len(out.mean_payoff)}"
                    )
            yield out
