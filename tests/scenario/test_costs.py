"""What a scenario costs, checked before anything is built: a scenario too large for this
machine is refused in one line before allocation; ``validate`` states the estimate;
limits.py's tables agree with the built graphs and with a measured build; the memory and
worker caps; a store that would not fit on the disk."""

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from normsim.errors import NormsimError
from normsim.scenario import limits, loads

from support.clirun import normsim, normsim_process
from support.hostile_helpers import MEASURE, TINY, one_line_error, rows

SWEEP_1E6 = (
    "schedule: {generations: 20000}\nsweep:\n  game.c: ["
    + ", ".join(f"{i / 1000:g}" for i in range(1000))
    + "]\n"
    "  dynamics.selection_strength: [" + ", ".join(str(i) for i in range(1, 1001)) + "]\n"
)
TOO_LARGE = [
    (
        "grid",
        "population: {network: {kind: grid, rows: 100000, cols: 100000}}\n",
        [],
        r"population\.network: too large for this machine: building the grid network of "
        r"10,000,000,000 agents and 20,000,000,000 edges \(native generator\) needs about "
        r"[\d.]+ GB of memory",
    ),
    (
        "complete",
        "population: {network: {kind: complete, n: 200000}}\n",
        [],
        r"population\.network: too large .* complete network of 200,000 agents and "
        r"19,999,900,000 edges",
    ),
    (
        "erdos-renyi",
        "population: {network: {kind: erdos_renyi, n: 1000000000, p: 1.0e-8}}\n",
        [],
        r"population\.network: too large .* erdos_renyi network of 1,000,000,000 agents",
    ),
    (
        "generations",
        "schedule: {generations: 1e12}\n",
        [],
        r"schedule\.generations: too large for this machine: one replicate's series of "
        r"1,000,000,000,000 generations needs about [\d.]+ TB",
    ),
    (
        "runs",
        "",
        ["--runs", "1000000000000"],
        r"runs: too large for this machine: .*1,000,000,000,000 replicate",
    ),
    (
        "sweep",
        SWEEP_1E6,
        [],
        r"too large for this machine: .*(1,000,000 condition|"
        r"100,000,000 replicates)",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "body, extra, pattern", [t[1:] for t in TOO_LARGE], ids=[t[0] for t in TOO_LARGE]
)
def test_too_large_is_refused_before_anything_is_built(tmp_path, body, extra, pattern):
    sc = tmp_path / "big.yaml"
    sc.write_text("name: big\n" + body)
    line = one_line_error(normsim_process("validate", sc, *extra, timeout=120), pattern)
    assert "this machine has" in line or "take about" in line
    out = tmp_path / "out"
    one_line_error(normsim_process("run", sc, *extra, "--out", out, "--json", timeout=120), pattern)
    assert not out.exists()  # nothing created, nothing stored


@pytest.mark.slow
def test_validate_says_what_a_feasible_scenario_costs(tmp_path):
    sc = tmp_path / "s.yaml"
    sc.write_text(TINY)
    r = normsim("validate", sc)
    assert r.returncode == 0, r.stderr
    cost = [x for x in r.stdout.splitlines() if "estimated cost" in x]
    assert len(cost) == 1
    assert re.search(
        r"about [\d.]+ [kMGT]?B of memory with \d+ worker\(s\) \(this machine: "
        r"[\d.]+ [kMGT]?B available\), [\d.]+ [kMG]?B stored, \d+ s on \d core",
        cost[0],
    ), cost[0]


def test_every_update_mode_and_network_kind_has_a_cost():
    """A new update mode or network kind needs its row in limits.py's tables."""
    from normsim.networks import KINDS
    from normsim.params import UPDATE_MODES

    assert set(limits.UPDATES_PER_SECOND) == set(UPDATE_MODES)
    assert set(limits.BUILD_BYTES) == set(KINDS)


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "grid", "rows": 7, "cols": 9},
        {"kind": "grid", "rows": 7, "cols": 9, "periodic": False},
        {"kind": "grid", "rows": 2, "cols": 9, "periodic": False},
        {"kind": "complete", "n": 40},
        {"kind": "watts_strogatz", "n": 60, "k": 6, "p": 0.3},
        {"kind": "barabasi_albert", "n": 80, "m": 3},
        {"kind": "connected_caveman", "cliques": 5, "size": 6},
        {"kind": "random_regular", "n": 50, "d": 4},
        {"kind": "star", "n": 30},
    ],
    ids=lambda s: "-".join(str(v) for v in s.values()),
)
def test_network_size_from_the_spec_equals_the_built_graph(spec):
    from normsim.networks import spec_adjacency

    adj = spec_adjacency(spec, seed=5)
    assert limits.network_size(spec) == (adj.n, len(adj.indices) / 2)


def test_erdos_renyi_and_edge_list_sizes(tmp_path):
    from normsim.networks import spec_adjacency

    spec = {"kind": "erdos_renyi", "n": 2000, "p": 0.01}
    n, e = limits.network_size(spec)
    sd = math.sqrt(e * (1 - 0.01))
    for seed in range(3):  # the expectation, within 5 standard deviations of each draw
        adj = spec_adjacency({**spec, "largest_component": True}, seed=seed)
        assert abs(len(adj.indices) / 2 - e) < 5 * sd
    rng = np.random.default_rng(1)
    pairs = {tuple(sorted(rng.choice(500, 2, replace=False))) for _ in range(3000)}
    path = tmp_path / "e.txt"
    path.write_text("".join(f"{u} {v}\n" for u, v in pairs))
    assert limits.network_size({"kind": "edgelist", "path": str(path)})[1] == len(pairs)


# peak RSS of this process image (VmHWM; ru_maxrss would include the parent's before exec)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "grid", "rows": 300, "cols": 300},
        {"kind": "complete", "n": 1200},
        {"kind": "erdos_renyi", "n": 100000, "p": 5e-5, "largest_component": True},
    ],
    ids=["grid", "complete", "erdos_renyi"],
)
def test_build_memory_table_matches_a_measurement(spec):
    """The per-kind table (limits.BUILD_BYTES) against the peak memory of a real build:
    not below it, and not more than three times it."""
    r = subprocess.run(
        [sys.executable, "-c", MEASURE, json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    measured = float(r.stdout.strip())
    n, e = limits.network_size(spec)
    bn, be = limits.BUILD_BYTES[spec["kind"]]
    estimate = n * bn + e * be
    assert measured <= estimate <= 3 * measured, (measured, estimate)


@pytest.mark.slow
def test_memory_and_worker_caps(tmp_path):
    sc = tmp_path / "s.yaml"
    sc.write_text(TINY)
    # more workers than replicates: capped, and said
    r = normsim_process(
        "run", sc, "--out", tmp_path / "a", "--runs", "2", "--workers", "1000", "--json"
    )
    assert r.returncode == 0, r.stderr
    assert "using 2 worker process(es), not 1000: only 2 replicate(s) to run" in r.stderr
    assert json.loads(r.stdout)["conditions"][0]["runs"] == 2
    # less memory than two workers need: one, and said
    r = normsim_process(
        "run",
        sc,
        "--out",
        tmp_path / "b",
        "--workers",
        "2",
        "--json",
        env={"NORMSIM_MEMORY": "800M"},
    )
    assert r.returncode == 0, r.stderr
    assert re.search(
        r"using 1 worker process\(es\), not 2: each needs about [\d.]+ MB of memory "
        r"and this machine has 839 MB allowed by NORMSIM_MEMORY",
        r.stderr,
    ), r.stderr
    assert rows(tmp_path / "a")[:2] == rows(tmp_path / "b")[:2]
    # not even one fits
    one_line_error(
        normsim_process("validate", sc, env={"NORMSIM_MEMORY": "100M"}),
        r"too large for this machine: .* this machine has 105 MB allowed by "
        r"NORMSIM_MEMORY",
    )


def test_a_store_that_would_not_fit_on_the_disk_is_refused(tmp_path, monkeypatch):
    loaded = loads(
        TINY.replace("runs: 3", "runs: 1000").replace("generations: 120", "generations: 100000")
    )
    monkeypatch.setattr(limits, "free_disk", lambda path: 1e6)
    with pytest.raises(
        NormsimError,
        match=r"storing 1,000 replicates needs about 1.6 GB of "
        r"disk; .* has 1 MB free",
    ):
        limits.check(loaded, out_dir=tmp_path)
