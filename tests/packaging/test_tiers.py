"""The test suite's tiers hold: outside the slow tier no test starts a process, and the
kernel warm-up compiles each variant once."""

import multiprocessing
import subprocess
import sys

import pytest

from conftest import ProcessOutsideSlowTier
from support.equivalence import all_pairs, tiered


def test_a_default_tier_test_cannot_start_a_subprocess():
    with pytest.raises(ProcessOutsideSlowTier, match="mark it @pytest.mark.slow"):
        subprocess.run([sys.executable, "-c", "pass"], check=False)


def test_a_default_tier_test_cannot_start_a_process():
    with pytest.raises(ProcessOutsideSlowTier, match="mark it @pytest.mark.slow"):
        multiprocessing.get_context("spawn").Process(target=print).start()


@pytest.mark.slow
def test_a_slow_test_may_start_a_subprocess():
    assert subprocess.run([sys.executable, "-c", "pass"], check=False).returncode == 0


def test_all_pairs_covers_every_pair_with_fewer_rows():
    factors = {"mode": list("abcd"), "rates": [0, 1], "net": ["x", "y", "z"], "m": [0, 1, 2]}
    rows = all_pairs(factors)
    names = list(factors)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            for va in factors[a]:
                for vb in factors[b]:
                    assert any(r[a] == va and r[b] == vb for r in rows), (a, va, b, vb)
    assert len(rows) < 4 * 2 * 3 * 3


def test_tiered_keeps_the_smoke_cases_and_every_pair_in_the_default_tier():
    factors = {"x": [1, 2, 3], "y": ["p", "q"], "z": ["a", "b"]}
    cases = tiered(factors, smoke=lambda r: r["x"] == 1, pairs=True)
    assert len(cases) == 12
    marked = [c for c in cases if any(m.name == "kernels" for m in c.marks)]
    default = {c.values for c in cases if c not in marked}
    assert marked and {(1, y, z) for y in "pq" for z in "ab"} <= default
    for (i, a), (j, b) in [((0, "x"), (1, "y")), ((0, "x"), (2, "z")), ((1, "y"), (2, "z"))]:
        for va in factors[a]:
            for vb in factors[b]:
                assert any(d[i] == va and d[j] == vb for d in default), (a, va, b, vb)
    only_smoke = tiered(factors, smoke=lambda r: r["x"] == 1)
    assert {c.values for c in only_smoke if not c.marks} == {(1, y, z) for y in "pq" for z in "ab"}


@pytest.mark.slow
def test_the_warm_up_compiles_once_and_then_only_loads(tmp_path):
    import os

    env = {**os.environ, "NORMSIM_CACHE_DIR": str(tmp_path)}
    env.pop("NUMBA_CACHE_DIR", None)
    cmd = [
        sys.executable,
        "-m",
        "normsim.engine.warm",
        "--only",
        "sequential-fixed-regular-lut-plain",
    ]
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    assert "compiled (" in first.stdout and ", 0 kernels compiled" not in first.stdout
    second = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    assert "cached (" in second.stdout and ", 0 kernels compiled" in second.stdout
    assert str(tmp_path) in second.stdout


@pytest.mark.slow
def test_the_warm_up_refuses_an_unknown_variant(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "normsim.engine.warm", "--only", "nonesuch"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "nonesuch" in r.stderr


def test_ci_runs_the_readmes_test_command_which_runs_every_tier():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8").split("```bash\n", 1)[1]
    run_cmd, test_cmd = readme.split("```", 1)[0].strip().splitlines()
    ci = [
        ln
        for ln in (root / ".ci/run").read_text().splitlines()
        if ln and not ln.startswith(("#", "set ", "cd "))
    ]
    assert ci == [test_cmd] == ["bash scripts/test.sh"]
    script = (root / "scripts/test.sh").read_text()
    default = script.index('-m pytest -n auto --dist loadfile --durations=25 "$@"')
    rest = script.index('-m pytest -n auto --dist loadfile --durations=25 -m "kernels or slow"')
    assert default < rest  # the default tier first, so that it fails fast
    for check in ("-m ruff check", "-m ruff format --check", "-m mypy"):
        assert check in script
