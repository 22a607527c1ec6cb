"""Tidy tables of stored results for other tools (CSV, or Parquet with pyarrow)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from normsim.errors import NormsimError
from normsim.store import Store, db_path


def _rows(store: Store):
    """(replicate rows, series rows) as lists of dicts, one condition at a time."""
    for c in store.conditions():
        params = {f"param:{k}": v for k, v in c["params"].items()}
        rates = None
        ex = c["resolved"]["dynamics"]["exploration"]
        if isinstance(ex, dict):
            rates = ex["rates"]
        for r in store.replicates(c["hash"]):
            rep = {
                "scenario": c["scenario"],
                "condition": c["hash"],
                **params,
                "rep": r.rep,
                "seed": r.seed,
                "wall_time": r.wall_time,
                "generations": len(r.share_b) - 1,
                "params_json": json.dumps(c["params"]),
            }
            series = []
            for g in range(len(r.share_b)):
                row = {
                    "condition": c["hash"],
                    **params,
                    "rep": r.rep,
                    "generation": g,
                    "share_b": r.share_b[g],
                    "mean_payoff": r.mean_payoff[g],
                }
                for name, values in r.extra.items():  # e.g. share_new_uncommitted
                    row[name] = values[g]
                if r.mean_rate is not None:
                    assert rates is not None and r.rate_shares is not None  # evolving rates
                    row["mean_rate"] = r.mean_rate[g]
                    for k, rate in enumerate(rates):
                        row[f"rate_share:{rate}"] = r.rate_shares[g, k]
                series.append(row)
            yield rep, series


def export(results: str | Path, fmt: str = "csv", to: str | Path | None = None) -> list[Path]:
    """Write ``replicates`` and ``series`` tables; returns the written paths."""
    if fmt not in ("csv", "parquet"):
        raise NormsimError(f"--format: {fmt!r} is not one of csv, parquet")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise NormsimError(
                "--format parquet needs pyarrow: install it with "
                "'.venv/bin/pip install pyarrow' (or use --format csv)"
            ) from None
    src = db_path(results)
    out = Path(to) if to else src.parent / "export"
    # the store is opened (read-only) first: no store, nothing created
    with Store(results, create=False) as store:
        reps, series = [], []
        for rep, ser in _rows(store):
            reps.append(rep)
            series.extend(ser)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise NormsimError(f"--to: cannot create {out}: {e.strerror or e}") from None
    paths = []
    for name, rows in (("replicates", reps), ("series", series)):
        cols = list(dict.fromkeys(k for r in rows for k in r))
        path = out / f"{name}.{fmt}"
        tmp = path.with_name(f".{path.name}.partial")  # renamed when complete
        try:
            if fmt == "csv":
                with open(tmp, "w", newline="", encoding="utf-8") as fh:
                    w = csv.DictWriter(fh, fieldnames=cols)
                    w.writeheader()
                    w.writerows(rows)
            else:
                import pyarrow as pa
                import pyarrow.parquet as pq

                pq.write_table(pa.Table.from_pylist(rows), tmp)
            tmp.replace(path)
        except OSError as e:  # a full disk, a directory in the way: no half-written table
            tmp.unlink(missing_ok=True)
            raise NormsimError(f"--to: cannot write {path}: {e.strerror or e}") from None
        paths.append(path)
    return paths
