"""Size estimates against measurements: snapshots count in the disk estimate, and the
memory of building a network follows the generator that will run it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from normsim.scenario import limits, load, loads

from support.clirun import normsim
from support.hostile_helpers import MEASURE, one_line_error

SNAPSHOTS = """name: snaps
population: {{network: {{kind: grid, rows: 200, cols: 200}}}}
dynamics: {{{exploration}, update: sequential}}
schedule: {{generations: 20}}
runs: 4
output: {{snapshots: [0, 5, 10, 15, 20]}}
"""


@pytest.mark.parametrize(
    "exploration",
    ["exploration: 0.5", "exploration: {rates: [0.0, 0.2, 0.5], rate_mutation: 0.05}"],
    ids=["fixed", "evolving"],
)
def test_the_disk_estimate_counts_snapshots_within_a_factor_of_two(tmp_path, exploration):
    sc = tmp_path / "s.yaml"
    sc.write_text(SNAPSHOTS.format(exploration=exploration))
    r = normsim("run", sc, "--out", tmp_path / "out", "--workers", "1")
    assert r.returncode == 0, r.stderr
    measured = sum(f.stat().st_size for f in (tmp_path / "out").glob("results.sqlite*"))
    estimate = limits.estimate(load(str(sc))).disk
    assert 0.5 <= measured / estimate <= 2.0, (measured, estimate)


def test_a_grid_of_nine_million_is_refused_by_the_generator_that_would_build_it(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(limits, "available_memory", lambda: (4e9, "(test)"))
    big = "name: big\npopulation: {{network: {{kind: grid, rows: 3000, cols: 3000{g}}}}}\n"
    big += "schedule: {{generations: 10}}\nruns: 1\n"
    native = loads(big.format(g=", generator: native"), path=tmp_path / "n.yaml")
    cost = limits.check(native)  # not refused: about 0.4 GB to build natively
    assert cost.memory(1) < 4e9
    build = next(p for p in cost.parts if p.field == "population.network")
    assert build.bytes < 0.6e9 and "native generator" in build.what
    sc = tmp_path / "x.yaml"
    sc.write_text(big.format(g=", generator: networkx"))
    one_line_error(
        normsim("validate", sc),
        r"population\.network: too large for this machine: building the grid network of "
        r"9,000,000 agents",
    )


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "grid", "rows": 1000, "cols": 1000, "generator": "native"},
        {"kind": "random_regular", "n": 300000, "d": 10, "generator": "native"},
        {"kind": "barabasi_albert", "n": 300000, "m": 10, "generator": "native"},
        {"kind": "watts_strogatz", "n": 1000000, "k": 4, "p": 0.1, "generator": "native"},
    ],
    ids=["grid", "random_regular", "barabasi_albert", "watts_strogatz"],
)
def test_native_build_memory_matches_a_measurement_within_a_factor_of_two(spec):
    r = subprocess.run(
        [sys.executable, "-c", MEASURE, json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ},
    )
    assert r.returncode == 0, r.stderr
    measured = float(r.stdout.strip())
    d = {"population": {"network": spec}, "dynamics": {}, "schedule": {"generations": 1}}
    v = limits._variant(d)
    assert v is not None and v.native
    bn, be = limits.NATIVE_BUILD_BYTES[spec["kind"]]
    estimate = limits.NATIVE_BUILD_BASE + v.nodes * bn + v.edges * be
    assert measured / 2 <= estimate <= 2 * measured, (measured, estimate)


PEAK = """
import sys
from normsim.cli import main
code = main(sys.argv[1:])
with open("/proc/self/status") as fh:
    print(next(int(x.split()[1]) * 1024 for x in fh if x.startswith("VmHWM:")), file=sys.stderr)
sys.exit(code)
"""


def _peak_rss(args) -> float:
    """Peak resident memory (bytes) of ``normsim ARGS`` in a fresh process, as that
    process sees it (a forked child's own count would include its parent's pages)."""
    r = subprocess.run(
        [sys.executable, "-c", PEAK, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    return float(r.stderr.strip().splitlines()[-1])


GAME = ["--a", "0.4", "--b", "0.6", "--c", "0.5", "--mu", "0.01"]


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_the_finite_chain_and_pair_approximation_estimates_match_a_measurement():
    base = _peak_rss(["analytic", "--model", "finite", *GAME, "--population", "1000"])
    grown = _peak_rss(["analytic", "--model", "finite", *GAME, "--population", "2000000"])
    estimate = limits.FINITE_BYTES_PER_STATE * (2000000 - 1000)
    assert (grown - base) / 2 <= estimate <= 2 * (grown - base), (grown - base, estimate)
    base = _peak_rss(["analytic", "--model", "pair", *GAME, "--degree", "20"])
    grown = _peak_rss(["analytic", "--model", "pair", *GAME, "--degree", "600"])
    estimate = limits.PAIR_BYTES_PER_DEGREE * 580 + limits.PAIR_BYTES_PER_PAIR * (601**2 - 21**2)
    assert (grown - base) / 2 <= estimate <= 2 * (grown - base), (grown - base, estimate)
