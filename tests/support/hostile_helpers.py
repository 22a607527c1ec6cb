"""Helpers of the hostile-use test modules: the one-line check, the peak-memory probe."""

import re


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
