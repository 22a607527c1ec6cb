"""Helpers of the hostile-use test modules: the one-line check, the peak-memory probe, a
small scenario and the replicates of a store."""

import re
import sqlite3
from pathlib import Path

#: a small scenario that runs in a moment: three replicates of a grid of 64 agents
TINY = """name: tiny
game: {a: 0.6, b: 0.4, c: 0.3}
population:
  network: {kind: grid, rows: 8, cols: 8}
schedule: {generations: 120, shocks: [60]}
runs: 3
seed: 3
"""


def rows(out):
    """The replicates stored in ``out``'s store, sorted: (hash, rep, seed, share_b, mean_payoff)."""
    con = sqlite3.connect(Path(out) / "results.sqlite")
    try:
        return sorted(con.execute("SELECT hash, rep, seed, share_b, mean_payoff FROM replicates"))
    finally:
        con.close()


def one_line_error(r, pattern, code=1):
    """``r`` exited with ``code`` and said one line on stderr matching ``pattern``."""
    assert r.returncode == code, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    assert re.search(pattern, lines[0]), lines[0]
    return lines[0]


#: a child process's peak memory while it builds the network spec given as JSON: VmHWM
#: over the resident set after normsim's imports (bytes, on stdout)
MEASURE = """
import json, sys
from normsim.networks import spec_adjacency
def status(key):
    with open("/proc/self/status") as fh:
        return next(int(x.split()[1]) * 1024 for x in fh if x.startswith(key))
base = status("VmRSS:")
spec_adjacency(json.loads(sys.argv[1]), seed=1)
print(status("VmHWM:") - base)
"""
