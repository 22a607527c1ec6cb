"""Work too large for this machine's memory is refused before anything is allocated, in
one line with the estimate: calibrate's observed file, particles and posterior-predictive
simulations; the pair approximation's degree; the finite chain's population."""

import pytest

from support.clirun import normsim
from support.hostile_helpers import one_line_error

SCENARIO = """name: c
population: {network: {kind: grid, rows: 4, cols: 4}}
schedule: {generations: 40, shocks: [20]}
runs: 2
"""
THEORY = ["--a", "0.6", "--b", "0.4", "--c", "0.3"]


@pytest.fixture
def small_memory(monkeypatch):
    monkeypatch.setenv("NORMSIM_MEMORY", "2G")


@pytest.mark.parametrize(
    "extra, option",
    [
        (["--particles", "1e9"], "--particles"),
        (["--predictive", "1e9"], "--predictive"),
    ],
)
def test_calibrate_refuses_what_memory_cannot_hold(tmp_path, small_memory, extra, option):
    sc = tmp_path / "c.yaml"
    sc.write_text(SCENARIO)
    obs = tmp_path / "o.csv"
    obs.write_text("generation,share\n0,0.1\n5,0.2\n")
    out = tmp_path / "out"
    r = normsim("calibrate", sc, "--observed", obs, "--fit", "game.c", "--out", out, *extra)
    one_line_error(
        r,
        rf"{option}: too large for this machine: .* needs about [\d.]+ [kMGTPE]B "
        r"of memory; this machine has 2\.\d+ GB",
    )
    assert not out.exists()


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom"])
def test_calibrate_refuses_an_endless_observed_file(tmp_path, target):
    sc = tmp_path / "c.yaml"
    sc.write_text(SCENARIO)
    r = normsim("calibrate", sc, "--observed", target, "--fit", "game.c", "--out", tmp_path / "out")
    one_line_error(r, r"--observed: '/dev/\w+' is a system file")
    assert not (tmp_path / "out").exists()


def test_calibrate_refuses_a_huge_observed_file(tmp_path, monkeypatch):
    from normsim.studies import calibrate

    monkeypatch.setattr(calibrate, "MAX_OBSERVED_BYTES", 1000)
    sc = tmp_path / "c.yaml"
    sc.write_text(SCENARIO)
    obs = tmp_path / "o.csv"
    obs.write_text("generation,share\n" + "".join(f"{g},0.5\n" for g in range(500)))
    r = normsim("calibrate", sc, "--observed", obs, "--fit", "game.c", "--out", tmp_path / "o")
    one_line_error(r, r"o\.csv: .*MiB; an observed series is at most")


@pytest.mark.parametrize(
    "args, option",
    [
        (["--model", "pair", "--degree", "1000000"], "--degree"),
        (["--model", "finite", "--population", "100000000"], "--population"),
    ],
)
def test_analytic_refuses_what_memory_cannot_hold(small_memory, args, option):
    r = normsim("analytic", *THEORY, *args)
    one_line_error(
        r,
        rf"{option}: too large for this machine: .* needs about [\d.]+ [kMGTPE]B "
        r"of memory; this machine has 2\.\d+ GB",
    )
