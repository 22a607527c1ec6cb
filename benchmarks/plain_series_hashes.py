"""Hashes of plain-scenario series, to check that a change leaves them bit-identical.

    PYTHONPATH=/tmp/normsim-base .venv/bin/python benchmarks/plain_series_hashes.py > before.json
    .venv/bin/python benchmarks/plain_series_hashes.py > after.json     # then compare

One hash per network (torus, Watts-Strogatz, Barabasi-Albert, Erdos-Renyi),
update mode and rate kind (fixed, evolving), over three replicates of 150
generations with two shocks: share of B, mean payoff and rate shares. A
scenario that uses none of the mechanisms (committed agents, conformity,
game events, groups) must hash the same before and after them (the draw schedule did not change).
"""

import hashlib
import json

from normsim.draws import replicate_seeds
from normsim.engine import simulate
from normsim.params import ModelParams

nets = {
    "torus": {"kind": "grid", "rows": 20, "cols": 20, "periodic": True},
    "ws": {"kind": "watts_strogatz", "n": 300, "k": 4, "p": 0.1},
    "ba": {"kind": "barabasi_albert", "n": 300, "m": 2},
    "er": {"kind": "erdos_renyi", "n": 200, "p": 0.03, "largest_component": True},
}
out = {}
for nk, net in nets.items():
    for upd in ("synchronous", "sequential", "reference", "asynchronous"):
        for ex in ({"exploration": 0.05}, {"rates": (0.0, 0.1, 0.3), "rate_mutation": 0.05}):
            p = ModelParams(network=net, update=upd, generations=150, shocks=(50, 100), c=0.5, **ex)
            r = simulate(p, replicate_seeds(99, 3))
            rates = b"" if r.rate_shares is None else r.rate_shares.tobytes()
            h = hashlib.sha256(r.share_b.tobytes() + r.mean_payoff.tobytes() + rates).hexdigest()[
                :16
            ]
            out[f"{nk}-{upd}-{'evolving' if 'rates' in ex else 'fixed'}"] = h
print(json.dumps(out))
