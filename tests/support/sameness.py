"""A fixed list of conditions whose series must stay bit-identical from release to
release, and the hash of each (share of B, mean payoff, rate shares, committed and
group series), for ``tests/engine/test_sameness.py`` and for recording the hashes anew:

    .venv/bin/python tests/support/sameness.py > tests/support/data/series_hashes.json

Every update mode, fixed and evolving rates, every network structure the kernels
tell apart, and each mechanism (committed agents, conformity, groups, game events)
in every mode; the scenarios' content hashes likewise, for the packaged examples."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

NETWORKS = {
    "torus": {"kind": "grid", "rows": 12, "cols": 12, "periodic": True},
    "ws": {"kind": "watts_strogatz", "n": 150, "k": 4, "p": 0.1},
    "ba": {"kind": "barabasi_albert", "n": 150, "m": 2},
    "er": {"kind": "erdos_renyi", "n": 120, "p": 0.04, "largest_component": True},
}
MODES = ("synchronous", "sequential", "reference", "asynchronous")
RATES = {"fixed": {"exploration": 0.05}, "evolving": {"rates": (0.0, 0.1, 0.3)}}
MECHANISMS = {
    "committed": {"committed": {"fraction": 0.1, "norm": "new", "placement": "random"}},
    "conformity": {"conformity": 0.3},
    "groups": {"groups": {"c": [0.8, 0.2], "exploration": [0.02, 0.1]}},
    "events": {
        "events": ({"at": 30, "game": {"c": 0.9}}, {"from": 60, "to": 90, "game": {"a": 0.5}})
    },
}


def cases() -> dict[str, dict]:
    """Name -> ModelParams keywords."""
    out = {}
    for nk, net in NETWORKS.items():
        for mode in MODES:
            for rk, rates in RATES.items():
                out[f"{nk}-{mode}-{rk}"] = dict(network=net, update=mode, **rates)
    for mk, mech in MECHANISMS.items():
        for mode in MODES:
            out[f"torus-{mode}-{mk}"] = dict(network=NETWORKS["torus"], update=mode, **mech)
    return out


def series_hash(kw: dict) -> str:
    from normsim.draws import replicate_seeds
    from normsim.engine import simulate
    from normsim.params import ModelParams

    p = ModelParams(generations=120, shocks=(40, 80), c=0.5, **kw)
    s = simulate(p, replicate_seeds(7, 2))
    h = hashlib.sha256()
    for name in (
        "share_b",
        "mean_payoff",
        "rate_shares",
        "share_new",
        "share_new_uncommitted",
        "group_share_b",
        "group_mean_payoff",
    ):
        v = getattr(s, name, None)
        if v is not None:
            h.update(name.encode())
            h.update(np.ascontiguousarray(v).tobytes())
    return h.hexdigest()[:20]


def content_hashes(root: Path) -> dict[str, list[str]]:
    """The condition hashes of every packaged example scenario."""
    from normsim.scenario import conditions, load

    out = {}
    for path in sorted((root / "normsim" / "examples").glob("*.yaml")):
        try:
            out[path.name] = [c.hash for c in conditions(load(path))]
        except Exception as e:  # noqa: BLE001 - recorded as such
            out[path.name] = [f"error: {type(e).__name__}"]
    return out


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[2]
    json.dump(
        {
            "series": {name: series_hash(kw) for name, kw in cases().items()},
            "content": content_hashes(root),
        },
        sys.stdout,
        indent=1,
        sort_keys=True,
    )
    print()
