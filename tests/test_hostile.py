"""Hostile and careless use: every case ends in one line naming the problem and a
non-zero exit, with nothing stored lost or half-written.

Size limits before allocation, YAML bombs and duplicate keys, stiff or extreme analytic
inputs, failing plots, worker processes on SIGTERM/SIGHUP, read-only/foreign/full
stores, the summary after a smaller --runs, the browser page's port and host, and
non-regular edge-list files.
"""

import hashlib
import json
import math
import os
import re
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hostile_helpers import MEASURE, one_line_error
from hostile_helpers import normsim_process as normsim
from scipy.integrate import solve_ivp

from normsim.errors import NormsimError
from normsim.scenario import conditions, limits, loads
from normsim.theory import analytic

from inproc import normsim as normsim_here

ROOT = Path(__file__).resolve().parents[1]
TINY = """name: tiny
game: {a: 0.6, b: 0.4, c: 0.3}
population:
  network: {kind: grid, rows: 8, cols: 8}
schedule: {generations: 120, shocks: [60]}
runs: 3
seed: 3
"""


def sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def listing(d):
    return sorted(str(p.relative_to(d)) for p in Path(d).rglob("*"))


def rows(out):
    con = sqlite3.connect(Path(out) / "results.sqlite")
    try:
        return sorted(con.execute("SELECT hash, rep, seed, share_b, mean_payoff FROM replicates"))
    finally:
        con.close()


# ====================================================================== 1. size limits
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
    line = one_line_error(normsim("validate", sc, *extra, timeout=120), pattern)
    assert "this machine has" in line or "take about" in line
    out = tmp_path / "out"
    one_line_error(normsim("run", sc, *extra, "--out", out, "--json", timeout=120), pattern)
    assert not out.exists()  # nothing created, nothing stored


@pytest.mark.slow
def test_validate_says_what_a_feasible_scenario_costs(tmp_path):
    sc = tmp_path / "s.yaml"
    sc.write_text(TINY)
    r = normsim_here("validate", sc)
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
    r = normsim("run", sc, "--out", tmp_path / "a", "--runs", "2", "--workers", "1000", "--json")
    assert r.returncode == 0, r.stderr
    assert "using 2 worker process(es), not 1000: only 2 replicate(s) to run" in r.stderr
    assert json.loads(r.stdout)["conditions"][0]["runs"] == 2
    # less memory than two workers need: one, and said
    r = normsim(
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
        normsim("validate", sc, env={"NORMSIM_MEMORY": "100M"}),
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


# ====================================================================== 2, 3. YAML
BOMB = "".join(
    f"{x}: &{x} [{', '.join(['*' + p] * 9)}]\n" for p, x in zip("abcdefgh", "bcdefghi", strict=True)
)
BAD_YAML = [
    (
        "billion laughs in description",
        "name: bomb\n_a: &a ['lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol']\n"
        + BOMB
        + "description: *i\n",
        r"bomb\.yaml: YAML aliases expand this document by [\d.e+]+ values \(at most 100,000",
    ),
    (
        "bomb in sweep values",
        "name: bomb\nsweep:\n  game.c: &a [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]]\n"
        "  dynamics.exploration: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "  schedule.generations: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
        "  runs: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "  seed: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
        "  population.initial_b: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
        r"YAML aliases expand this document",
    ),
    (
        "merge-key bomb",
        "name: bomb\n"
        "x0: &x0 {a0: 1, a1: 1, a2: 1, a3: 1, a4: 1, a5: 1, a6: 1, a7: 1, a8: 1, a9: 1}\n"
        + "".join(f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 10)}]\n" for i in range(1, 6))
        + "game: {<<: {k: *x5}, c: 0.3}\n",
        r"YAML aliases expand this document",
    ),
    (
        "recursive alias",
        "name: rec\ndescription: &x [1, *x]\n",
        r"bomb\.yaml:2: description\.1: an alias refers to the value that contains it",
    ),
    (
        "duplicate top-level key",
        "name: dup\ngame: {c: 0.3}\nruns: 3\ngame: {c: 0.5}\n",
        r"bomb\.yaml:4: game: given twice \(lines 2 and 4\); keep one",
    ),
    (
        "duplicate nested key",
        "name: dup\ngame:\n  c: 0.3\n  a: 0.6\n  c: 0.5\n",
        r"bomb\.yaml:5: game\.c: given twice \(lines 3 and 5\)",
    ),
    (
        "duplicate network key",
        "name: dup\npopulation:\n  network:\n    kind: grid\n    rows: 5\n    cols: 5\n"
        "    rows: 6\n",
        r"bomb\.yaml:7: population\.network\.rows: given twice \(lines 5 and 7\)",
    ),
    (
        "duplicate sweep path",
        "name: dup\nsweep:\n  game.c: [0.1]\n  game.c: [0.2]\n",
        r"bomb\.yaml:4: sweep\.game\.c: given twice \(lines 3 and 4\)",
    ),
    (
        "quoted duplicate",
        "name: dup\n'runs': 2\nruns: 3\n",
        r"bomb\.yaml:3: runs: given twice \(lines 2 and 3\)",
    ),
    (
        "megabyte value in an error",
        "name: big\ngame: {c: '" + "x" * 10**6 + "'}\n",
        r"game\.c: 'x+\.\.\.x+' is not a number",
    ),
    (
        "huge list in an error",
        "name: big\ngame: {c: [" + ", ".join(["1"] * 50000) + "]}\n",
        r"game\.c: \[1, 1, 1, 1, 1, 1, \.\.\.\] is not a number",
    ),
    (
        "integer beyond a float",
        "name: big\ngame: {c: 1" + "0" * 400 + "}\n",
        r"game\.c: 1000.*\.\.\..*0 is not a finite number",
    ),
    ("exponent integer", "name: e\nruns: 2.5e1\n", r"runs: 25\.0 is not an integer"),
]


@pytest.mark.slow
@pytest.mark.parametrize("text, pattern", [t[1:] for t in BAD_YAML], ids=[t[0] for t in BAD_YAML])
def test_hostile_yaml_is_one_short_line(tmp_path, text, pattern):
    p = tmp_path / "bomb.yaml"
    p.write_text(text)
    r = normsim("validate", p, timeout=120)
    line = one_line_error(r, pattern)
    assert len(line) < 400, len(line)


@pytest.mark.parametrize(
    "text, value",
    [
        ("1e-3", 1e-3),
        ("1.0e-3", 1e-3),
        ("1E-3", 1e-3),
        ("+2.5e-1", 0.25),
        (".5e-1", 0.05),
        ("1e0", 1),
        ("3.0E-1", 0.3),
        ("1_0e-2", 0.1),
    ],
)
def test_exponent_notation_is_a_number(text, value):
    sc = loads(f"name: e\ngame: {{c: {text}}}\n").scenario
    assert sc.game.c == value
    assert loads("name: e\n", overrides=[f"game.c={text}"]).scenario.game.c == value


def test_exponent_integers_and_moderate_aliases_are_accepted():
    sc = loads(
        "name: e\nschedule: {generations: 1e3, shocks: [5e2]}\nruns: 2E1\n"
        "population: {network: &net {kind: grid, rows: 5, cols: 5}}\n"
        "sweep: {population.network: [*net, {<<: *net, rows: 6}]}\n"
    ).scenario
    assert sc.schedule.generations == 1000 and sc.schedule.shock_list() == (500,) and sc.runs == 20
    assert [v["rows"] for v in sc.sweep["population.network"]] == [5, 6]


@pytest.mark.slow
def test_scenario_file_size_is_bounded(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("name: big\ndescription: '" + "x" * (11 * 2**20) + "'\n")
    one_line_error(normsim("validate", big), r"big\.yaml: more than 10 MiB: not a scenario file")
    one_line_error(
        normsim("validate", "/dev/zero", timeout=60),
        r"/dev/zero: more than 10 MiB: not a scenario file",
    )
    one_line_error(normsim("validate", tmp_path), r"is a directory, not a scenario file")


# ====================================================================== 4. analytic
def radau(a, b, c, mu, p0, t_max):
    """An independent solution: scipy's implicit Radau method on the unscaled equation."""
    sol = solve_ivp(
        lambda t, y: [analytic.rhs(y[0], a, b, c, mu)],
        (0.0, t_max),
        [p0],
        method="Radau",
        rtol=1e-10,
        atol=1e-13,
    )
    assert sol.success
    return float(sol.y[0, -1])


@pytest.mark.parametrize(
    "args, p_end",
    [
        (["--a", "60000", "--b", "40000", "--c", "0.3"], None),
        (["--a", "1e6", "--b", "1e-6", "--c", "0.3"], None),
        (["--a", "0.6", "--b", "0.4", "--c", "0.3", "--t-max", "1e9"], None),
        (["--a", "0.4", "--b", "0.6", "--c", "0.3", "--mu", "0.01", "--t-max", "1e12"], None),
        (["--a", "1e308", "--b", "1e308", "--c", "0.3"], 0.0),
        (["--a", "1e308", "--b", "1e-308", "--c", "0.3", "--t-max", "1e308"], 0.0),
        (["--a", "0.6", "--b", "0.4", "--c", "0.3", "--t-max", "5e-324"], 0.05),
        (["--a", "0.5", "--b", "0.5", "--c", "0", "--t-max", "1e300"], 0.05),
    ],
)
@pytest.mark.slow
def test_extreme_analytic_inputs_are_answered(args, p_end):
    r = normsim("analytic", *args, "--json", timeout=120)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    out = json.loads(r.stdout)
    if p_end is None:  # the stiff oracle on the equation as given (shortened where it
        t = min(out["t_max"], 1e4 / max(out["a"], out["b"]))  # has long settled)
        p_end = radau(out["a"], out["b"], out["c"], out["mu"], out["p0"], t)
    assert out["final_p"] == pytest.approx(p_end, abs=1e-8)


@pytest.mark.parametrize("k", [1e-3, 1e3, 2.0**600, 2.0**-600])
def test_replicator_is_solved_in_scaled_time(k):
    """Scaling a and b by k scales time by 1/k: same trajectory, crossing times / k."""
    a, b, c, mu = 0.4, 0.6, 0.3, 0.01
    ref = analytic.solve(a, b, c, mu, p0=0.05, t_max=100, t_eval=np.linspace(0, 100, 101))
    sc = analytic.solve(
        a * k, b * k, c, mu, p0=0.05, t_max=100 / k, t_eval=np.linspace(0, 100, 101) / k
    )
    assert np.max(np.abs(ref.p - sc.p)) < 1e-9
    for lv, t in ref.crossing.items():
        assert (t is None) == (sc.crossing[lv] is None)
        if t is not None:
            assert sc.crossing[lv] * k == pytest.approx(t, rel=1e-9)


@pytest.mark.parametrize(
    "a, b, c, mu, p0",
    [
        (0.6, 0.4, 0.3, 0.0, 0.05),
        (0.4, 0.6, 0.3, 0.0, 0.05),
        (0.4, 0.6, 0.8, 0.05, 0.02),
        (0.4, 0.6, 0.3, 0.1, 0.9),
    ],
)
def test_settling_early_agrees_with_integrating_to_the_end(a, b, c, mu, p0):
    t = np.linspace(0, 3000, 301)
    ours = analytic.solve(a, b, c, mu, p0=p0, t_max=3000, t_eval=t).p
    plain = solve_ivp(
        lambda _, y: [analytic.rhs(y[0], a, b, c, mu)],
        (0, 3000),
        [p0],
        method="Radau",
        rtol=1e-11,
        atol=1e-14,
        t_eval=t,
    ).y[0]
    assert np.max(np.abs(ours - plain)) < 1e-8


def test_step_budget_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(analytic, "MAX_RHS_CALLS", 50)
    with pytest.raises(NormsimError, match=r"needs more than 50 steps to reach t = 100"):
        analytic.solve(0.4, 0.6, 0.3, 0.0, p0=0.05, t_max=100)


@pytest.mark.slow
def test_simulation_refuses_payoffs_that_overflow(tmp_path):
    from normsim.params import ModelParams

    with pytest.raises(NormsimError, match=r"game\.a: 1e\+308 is too large for the simulation"):
        ModelParams(a=1e308, b=0.4)
    with pytest.raises(NormsimError, match=r"game\.b: 1e-300 is too small"):
        ModelParams(a=1e-301, b=1e-300)
    sc = tmp_path / "s.yaml"
    sc.write_text(TINY.replace("a: 0.6", "a: 1e308"))
    one_line_error(
        normsim_here("validate", sc),
        r"s\.yaml:2: game\.a: 1e\+308 is too large for the "
        r"simulation: .*divide a and b by the same factor",
    )
    # the well-mixed ODE takes any scale
    sc.write_text(
        "name: wm\ngame: {a: 1e308, b: 2e307}\npopulation: {well_mixed: true}\n"
        "schedule: {generations: 50}\n"
    )
    assert normsim_here("validate", sc).returncode == 0


def test_engine_is_invariant_to_scaling_payoffs_by_a_power_of_two():
    """Within the accepted range the simulation is exact under a common scale (2**600 is
    exact in floating point): the same shares, the payoffs scaled."""
    from normsim.engine import simulate
    from normsim.params import ModelParams

    kw = dict(
        c=0.3, network={"kind": "grid", "rows": 10, "cols": 10}, generations=200, shocks=(100,)
    )
    ref = simulate(ModelParams(a=0.6, b=0.4, **kw), [11, 12])
    big = simulate(ModelParams(a=0.6 * 2.0**600, b=0.4 * 2.0**600, **kw), [11, 12])
    assert np.array_equal(ref.share_b, big.share_b)
    assert np.allclose(big.mean_payoff[:, 1:] / 2.0**600, ref.mean_payoff[:, 1:], rtol=1e-15)
    assert ref.share_b[:, 100].mean() < 0.2  # A favoured before the shock


# ====================================================================== 5. plots
@pytest.mark.slow
def test_a_failing_plot_does_not_lose_the_report(tmp_path):
    sc = tmp_path / "s.yaml"
    sc.write_text(TINY)
    out = tmp_path / "out"
    (out / "shares.png").mkdir(parents=True)  # a directory in the way of a plot
    r = normsim_here("run", sc, "--out", out, "--json", "--workers", "1")
    line = one_line_error(
        r,
        r"warning: plots not written \(cannot write .*shares\.png: Is a "
        r"directory\); the results are stored",
        code=4,
    )
    s = json.loads(r.stdout)  # the JSON still comes out
    assert s["conditions"][0]["runs"] == 3 and len(rows(out)) == 3
    r = normsim_here("run", sc, "--out", out, "--workers", "1")  # and the table
    assert r.returncode == 4 and "share B end" in r.stdout and "results:" in r.stdout
    r = normsim_here("summary", out, "--plots", "--json")
    assert r.returncode == 4 and json.loads(r.stdout) == s and line in r.stderr


def test_a_plot_that_raises_is_a_warning(tmp_path, monkeypatch, capsys):
    from normsim import cli, plots

    sc = tmp_path / "s.yaml"
    sc.write_text(TINY.replace("a: 0.6, b: 0.4", "a: 1.0e+200, b: 1.0e-10"))

    def boom(*a, **k):
        raise ValueError("Axis limits cannot be NaN or Inf")

    monkeypatch.setattr(plots, "inertia_figure", boom)
    code = cli.main(["run", str(sc), "--out", str(tmp_path / "o"), "--json", "--workers", "1"])
    cap = capsys.readouterr()
    assert code == 4
    assert json.loads(cap.out)["conditions"][0]["runs"] == 3
    assert cap.err.strip() == (
        "normsim: warning: plots not written (ValueError: Axis limits "
        "cannot be NaN or Inf); the results are stored and summarised"
    )


# ====================================================================== 6. workers
def _children(pid):
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            cmd = (d / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in cmd:
            out.append(int(d.name))
    return out


def _alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP"])
def test_signal_stops_the_workers_and_keeps_what_is_stored(tmp_path, sig):
    sc = tmp_path / "long.yaml"
    sc.write_text(
        "name: long\npopulation: {network: {kind: grid, rows: 30, cols: 30}}\n"
        "schedule: {generations: 20000, shocks: [10000]}\nruns: 40\n"
    )
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "normsim",
            "run",
            str(sc),
            "--out",
            str(out),
            "--workers",
            "2",
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        workers, deadline = [], time.time() + 180
        while time.time() < deadline and proc.poll() is None:
            workers = _children(proc.pid)
            if len(workers) == 2 and (out / "results.sqlite").exists():
                break
            time.sleep(0.2)
        assert len(workers) == 2 and proc.poll() is None, "no workers seen"
        time.sleep(1.0)
        proc.send_signal(getattr(signal, sig))
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + getattr(signal, sig), err
    lines = err.strip().splitlines()
    assert (
        len(lines) == 1
        and f"stopped by {sig}; worker processes stopped; finished replicates are stored"
        in lines[0]
    ), err
    deadline = time.time() + 30
    while time.time() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.2)
    assert not any(_alive(w) for w in workers)
    con = sqlite3.connect(out / "results.sqlite")
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert con.execute("SELECT COUNT(*) FROM replicates").fetchone()[0] < 40
    con.close()


# ====================================================================== 7. stores
def _store(tmp_path, runs=2):
    sc = tmp_path / "s.yaml"
    sc.write_text(TINY)
    out = tmp_path / "res"
    r = normsim_here("run", sc, "--out", out, "--runs", runs, "--json", "--workers", "1")
    assert r.returncode == 0, r.stderr
    for side in ("-wal", "-shm"):
        assert not Path(str(out / "results.sqlite") + side).exists()
    return sc, out, r.stdout


def _can_unshare():
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    r = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True
    )
    return r.returncode == 0


def _read_only(directory, *commands):
    """Run normsim commands with ``directory`` read-only: a private read-only bind mount
    as root (root ignores file permissions), else file permissions."""
    cmds = [" ".join([sys.executable, "-m", "normsim", *map(str, c)]) for c in commands]
    if os.geteuid() == 0:
        if not _can_unshare():
            pytest.skip("root without mount namespaces: cannot make a read-only directory")
        script = (
            f"mount --bind {directory} {directory} && "
            f"mount -o remount,bind,ro {directory} && "
            + " && ".join(f"{c} > {directory.parent / f'out{i}.txt'}" for i, c in enumerate(cmds))
        )
        r = subprocess.run(
            ["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=300
        )
        return r, [(directory.parent / f"out{i}.txt").read_text() for i in range(len(cmds))]
    mode = directory.stat().st_mode
    os.chmod(directory / "results.sqlite", 0o444)
    os.chmod(directory, 0o555)
    try:
        outs = []
        for c in commands:
            r = normsim(*c)
            if r.returncode:
                return r, outs
            outs.append(r.stdout)
        return r, outs
    finally:
        os.chmod(directory, mode)


@pytest.mark.slow
def test_read_only_store_is_summarised_and_exported(tmp_path):
    _, out, run_json = _store(tmp_path)
    before, files = sha(out / "results.sqlite"), listing(out)
    r, outs = _read_only(out, ["summary", out, "--json"], ["export", out, "--to", tmp_path / "x"])
    assert r.returncode == 0, r.stderr
    assert json.loads(outs[0]) == json.loads(run_json)
    assert (tmp_path / "x" / "series.csv").read_text().count("\n") == 1 + 2 * 121
    assert sha(out / "results.sqlite") == before and listing(out) == files


FOREIGN = [
    (
        "another program's database as --out FILE.db",
        "app.db",
        "CREATE TABLE users (id INTEGER, name TEXT); INSERT INTO users VALUES (1, 'ada');",
        r"app\.db: not a normsim results store: it holds another program's tables \(users\); it "
        r"was left as it is",
    ),
    (
        "another program's results.sqlite in --out DIR",
        "dir/results.sqlite",
        "CREATE TABLE orders (id INTEGER); INSERT INTO orders VALUES (7);",
        r"results\.sqlite: not a normsim results store: .*\(orders\)",
    ),
    (
        "a normsim store with another program's table",
        "both.db",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); CREATE TABLE conditions "
        "(hash TEXT); CREATE TABLE replicates (hash TEXT); CREATE TABLE extra (x);",
        r"both\.db: not a normsim results store: .*\(extra\)",
    ),
    (
        "a text file as --out FILE.db",
        "notes.db",
        None,
        r"notes\.db: not a normsim results store \(file is not a database\); it was left",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, sql, pattern", [t[1:] for t in FOREIGN], ids=[t[0] for t in FOREIGN]
)
def test_foreign_files_are_refused_and_left_as_they_were(tmp_path, name, sql, pattern):
    sc = tmp_path / "s.yaml"
    sc.write_text(TINY)
    target = tmp_path / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if sql is None:
        target.write_text("my notes, not a database\n" * 50)
    else:
        con = sqlite3.connect(target)
        con.executescript(sql)
        con.commit()
        con.close()
    before, files = sha(target), listing(tmp_path)
    out = target.parent if name.endswith("results.sqlite") else target
    one_line_error(normsim_here("run", sc, "--out", out, "--json"), pattern)
    assert sha(target) == before and listing(tmp_path) == files


@pytest.mark.slow
def test_summary_of_an_empty_file_writes_nothing(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    empty = d / "results.sqlite"
    empty.touch()
    mtime = empty.stat().st_mtime_ns
    for target in (d, empty):
        one_line_error(normsim_here("summary", target), r"not a usable normsim results store")
        one_line_error(normsim_here("export", target), r"not a usable normsim results store")
    assert empty.stat().st_size == 0 and empty.stat().st_mtime_ns == mtime
    assert listing(d) == ["results.sqlite"]


@pytest.mark.slow
def test_export_of_a_directory_without_a_store_creates_nothing(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    one_line_error(normsim_here("export", d), r"d: no results store \(results\.sqlite\) found")
    one_line_error(normsim_here("export", d, "--to", tmp_path / "x"), r"no results store")
    assert listing(tmp_path) == ["d"]
    one_line_error(normsim_here("summary", "/dev/null"), r"no results store")


def test_full_disk_keeps_what_is_stored_and_the_same_command_resumes(tmp_path, monkeypatch, capsys):
    """SQLite's own 'database or disk is full' (SQLITE_FULL), from a page limit set on the
    store's connection after the first few replicates: the same error a full disk gives."""
    from normsim import cli, store

    sc = tmp_path / "s.yaml"
    sc.write_text(TINY.replace("runs: 3", "runs: 12"))
    out = tmp_path / "res"
    real = store.Store.add_replicate
    calls = {"n": 0}

    def filling(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 4:  # no room for a fourth replicate
            n = self.conn.execute("PRAGMA page_count").fetchone()[0]
            self.conn.execute(f"PRAGMA max_page_count = {n}")
        return real(self, *a, **k)

    monkeypatch.setattr(store.Store, "add_replicate", filling)
    args = ["run", str(sc), "--out", str(out), "--workers", "1", "--json"]
    assert cli.main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and re.search(
        r"results\.sqlite: the disk is full \(SQLite: database or "
        r"disk is full\); what was stored before is kept; run "
        r"the same command again to resume",
        err[0],
    ), err
    kept = rows(out)
    assert 3 <= len(kept) < 12  # the replicates before the disk filled
    monkeypatch.setattr(store.Store, "add_replicate", real)
    assert cli.main(args) == 0
    capsys.readouterr()
    resumed = rows(out)
    assert set(kept) <= set(resumed) and len(resumed) == 12
    assert cli.main([*args[:3], str(tmp_path / "clean"), *args[4:]]) == 0
    assert rows(tmp_path / "clean") == resumed


FILL = r"""
set -e
mount -t tmpfs -o size=24m tmpfs {d}
{py} -m normsim run {sc} --out {d}/res --workers 1 --json > {t}/first.out 2> {t}/first.err &
pid=$!
i=0
while [ $i -lt 600 ]; do
  n=$({py} {t}/count.py {d}/res/results.sqlite)
  [ "$n" -ge 3 ] && break
  i=$((i+1)); sleep 0.2
done
dd if=/dev/zero of={d}/filler bs=64k 2>/dev/null || true
set +e
wait $pid; echo $? > {t}/first.code
{py} {t}/count.py {d}/res/results.sqlite > {t}/kept
rm {d}/filler
{py} -m normsim run {sc} --out {d}/res --workers 1 --json > {t}/second.out 2> {t}/second.err
echo $? > {t}/second.code
cp {d}/res/results.sqlite {t}/after.sqlite
"""
COUNT = """import sqlite3, sys
try:
    con = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
    print(con.execute("SELECT COUNT(*) FROM replicates").fetchone()[0])
except sqlite3.Error:
    print(0)
"""


@pytest.mark.slow
@pytest.mark.skipif(not _can_unshare(), reason="needs root and mount namespaces for a tmpfs")
def test_a_really_full_disk(tmp_path):
    """A small tmpfs filled up during the run (ENOSPC from the kernel)."""
    sc = tmp_path / "s.yaml"
    sc.write_text(
        "name: full\npopulation: {network: {kind: grid, rows: 20, cols: 20}}\n"
        "schedule: {generations: 20000, shocks: [10000]}\nruns: 40\n"
    )
    d = tmp_path / "disk"
    d.mkdir()
    (tmp_path / "count.py").write_text(COUNT)
    r = subprocess.run(
        ["unshare", "-m", "sh", "-c", FILL.format(d=d, sc=sc, t=tmp_path, py=sys.executable)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "first.code").read_text().strip() == "1"
    err = (tmp_path / "first.err").read_text().strip().splitlines()
    assert len(err) == 1 and "the disk is full" in err[0], err
    assert int((tmp_path / "kept").read_text()) >= 3
    assert (tmp_path / "second.code").read_text().strip() == "0", (
        tmp_path / "second.err"
    ).read_text()
    con = sqlite3.connect(tmp_path / "after.sqlite")
    assert con.execute("SELECT COUNT(DISTINCT rep) FROM replicates").fetchone()[0] == 40
    resumed = sorted(con.execute("SELECT hash, rep, seed, share_b FROM replicates"))
    con.close()
    clean = tmp_path / "clean"  # the reference, in this process
    assert normsim_here("run", sc, "--out", clean, "--json").returncode == 0
    con = sqlite3.connect(clean / "results.sqlite")
    assert sorted(con.execute("SELECT hash, rep, seed, share_b FROM replicates")) == resumed


# ====================================================================== 8. smaller --runs
@pytest.mark.slow
def test_summary_after_a_smaller_runs_says_what_it_covers(tmp_path):
    sc = tmp_path / "s.yaml"
    sc.write_text(TINY)
    d = tmp_path / "d"
    six = json.loads(
        normsim_here("run", "--workers", "1", sc, "--runs", "6", "--out", d, "--json").stdout
    )
    two = normsim_here("run", "--workers", "1", sc, "--runs", "2", "--out", d, "--json")
    assert two.returncode == 0
    c = json.loads(two.stdout)["conditions"][0]
    assert c["runs"] == 2 and c["stored"] == 6
    # exactly what a fresh store with two replicates says (which two: numbers 0 and 1)
    fresh = json.loads(
        normsim_here(
            "run", "--workers", "1", sc, "--runs", "2", "--out", tmp_path / "f", "--json"
        ).stdout
    )["conditions"][0]
    assert {**c, "stored": 2} == fresh
    table = normsim_here("run", "--workers", "1", sc, "--runs", "2", "--out", d).stdout
    assert re.search(r"^\s*2 of 6\s", table, re.M), table
    # summary covers everything stored, and says so
    s = json.loads(normsim_here("summary", d, "--json").stdout)["conditions"][0]
    assert s["runs"] == s["stored"] == 6 and s == six["conditions"][0]


# ====================================================================== 9. browser page
@pytest.mark.slow
def test_busy_port_is_one_line_before_serving():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = normsim("viz", "--port", port, timeout=120)
    one_line_error(r, rf"--port {port}: already in use on 127\.0\.0\.1")
    assert "serving" not in r.stdout


@pytest.mark.slow
@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_non_loopback_host_warns_about_no_authentication(host):
    if host == "::" and not socket.has_ipv6:
        pytest.skip("no IPv6")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        try:
            s.bind((host, 0))
        except OSError:
            pytest.skip(f"cannot bind {host} here")
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "normsim", "viz", "--host", host, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        ready, _, _ = select.select([proc.stderr], [], [], 120)
        assert ready, "no warning within 120 s"
        line = proc.stderr.readline()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    assert (
        f"warning: --host {host} makes the page reachable from the network, and it has no "
        f"authentication: anyone who can reach port {port} can use it"
    ) in line


def test_loopback_hosts_do_not_warn():
    from normsim.cli import _loopback

    assert _loopback("127.0.0.1") and _loopback("localhost") and _loopback("::1")
    assert not _loopback("0.0.0.0") and not _loopback("::")


# ====================================================================== 10. edge lists
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["device", "fifo", "directory"])
def test_non_regular_edge_list_is_named_so(tmp_path, kind):
    if kind == "device":
        path = Path("/dev/zero")
    elif kind == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)
    else:
        path = tmp_path / "adir"
        path.mkdir()
    sc = tmp_path / "s.yaml"
    sc.write_text(f"name: el\npopulation: {{network: {{kind: edgelist, path: {path}}}}}\n")
    # a device is refused as a system file (under /dev), wherever the scenario is
    what = "is a system file" if kind == "device" else "is not a regular file"
    pattern = rf"population\.network\.path: '{re.escape(str(path))}' {what}"
    one_line_error(normsim("validate", sc, timeout=60), pattern)
    one_line_error(normsim("run", sc, "--out", tmp_path / "o", timeout=60), pattern)
    assert not (tmp_path / "o").exists()
    with pytest.raises(NormsimError, match=what):
        conditions(loads(sc.read_text(), path=sc))
