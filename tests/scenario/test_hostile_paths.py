"""A scenario received from someone else reads no file outside its folder and prints no
line of any file: data paths resolve inside the scenario's folder (or a ``--data-root``),
special files are refused before they are read, and a message quotes at most a short
excerpt of a data file."""

import os
import sqlite3
from pathlib import Path

import pytest

from support.clirun import normsim, normsim_process
from support.hostile_helpers import one_line_error

SYSTEM_FILES = [Path("/etc/passwd"), Path("/etc/group"), Path("/etc/os-release")]
OBSERVED = "generation,share\n0,0.1\n10,0.5\n20,0.9\n"


def _secrets(tmp_path):
    """What must never be printed or stored: every line of the system files, and every
    environment variable's value (those long enough to be a secret and not a part of
    the paths the test itself prints)."""
    lines = {
        ln.strip()
        for f in SYSTEM_FILES
        if f.exists()
        for ln in f.read_text(errors="replace").splitlines()
        if len(ln.strip()) >= 6
    }
    values = {
        v
        for v in os.environ.values()
        if len(v) >= 8 and v not in str(tmp_path) and v not in os.getcwd()
    }
    return lines | values


def _stored_text(out):
    db = Path(out) / "results.sqlite"
    if not db.exists():
        return ""
    con = sqlite3.connect(db)
    try:
        tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return "\n".join(str(row) for t in tables for row in con.execute(f"SELECT * FROM {t}"))
    finally:
        con.close()


def _assert_nothing_leaked(r, tmp_path, out):
    said = r.stdout + r.stderr + _stored_text(out)
    for secret in _secrets(tmp_path):
        assert secret not in said, f"leaked {secret[:12]!r}..."


def _scenario(folder, network_path=None, groups_file=None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "inside.txt").write_text("1 2\n2 3\n3 4\n4 1\n1 3\n")
    net = network_path if network_path is not None else "inside.txt"
    groups = f"\n  groups: {{by: attribute, file: '{groups_file}'}}" if groups_file else ""
    sc = folder / "s.yaml"
    sc.write_text(
        f"name: hostile\npopulation:\n  network: {{kind: edgelist, path: '{net}'}}"
        f"{groups}\nschedule: {{generations: 40, shocks: [20]}}\nruns: 2\n"
    )
    return sc


HOSTILE = [
    "/etc/passwd",
    "../../../../../../../../etc/passwd",
    "/proc/self/environ",
    "/proc/self/cmdline",
    "/dev/zero",
    "link-to-passwd",
]


@pytest.mark.parametrize("field", ["network", "groups"])
@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_data_paths_are_refused_without_reading(tmp_path, field, target):
    folder = tmp_path / "shared" / "scenario"
    folder.mkdir(parents=True)
    (folder / "link-to-passwd").symlink_to("/etc/passwd")
    sc = (
        _scenario(folder, network_path=target)
        if field == "network"
        else _scenario(folder, groups_file=target)
    )
    out = tmp_path / "out"
    for cmd in (
        ["validate", sc],
        ["run", sc, "--out", out],
        ["tipping", sc, "--vary", "game.c", "--out", out],
        ["calibrate", sc, "--observed", tmp_path / "obs.csv", "--fit", "game.c", "--out", out],
    ):
        (tmp_path / "obs.csv").write_text(OBSERVED)
        r = normsim(*cmd)
        one_line_error(r, r"(outside the scenario's folder|system file|not a regular file)")
        _assert_nothing_leaked(r, tmp_path, out)
        assert not out.exists()


def test_a_file_outside_is_refused_saying_how_to_allow_it(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "net.txt").write_text("1 2\n2 3\n3 1\n")
    sc = _scenario(tmp_path / "sc", network_path=str(data / "net.txt"))
    one_line_error(
        normsim("validate", sc),
        r"s\.yaml:\d+: population\.network\.path: .*"
        r"outside the scenario's folder .*--data-root DIR",
    )
    r = normsim("validate", sc, "--data-root", data)
    assert r.returncode == 0, r.stderr
    # a relative climb into the data root is allowed the same way
    sc2 = _scenario(tmp_path / "sc2", network_path="../data/net.txt")
    assert normsim("validate", sc2).returncode == 1
    assert normsim("validate", sc2, "--data-root", data).returncode == 0


def test_an_error_quotes_at_most_a_short_excerpt_of_a_data_file(tmp_path):
    folder = tmp_path / "sc"
    folder.mkdir()
    secret = "s3cr3t-" + "x" * 60 + "-end"
    (folder / "net.txt").write_text(f"{secret}\n1 2\n")
    (folder / "groups.txt").write_text(f"1 0\n{secret} {secret}\n")
    for sc in (
        _scenario(folder, network_path="net.txt"),
        _scenario(folder, groups_file="groups.txt"),
    ):
        r = normsim("validate", sc)
        line = one_line_error(r, r"\.txt:\d+: expected")
        assert secret not in line and "-end" not in line
        assert len(line) < 300
    obs = tmp_path / "obs.csv"
    obs.write_text(f"generation,share\n0,{secret}\n")
    sc = tmp_path / "c.yaml"
    sc.write_text(
        "name: c\npopulation: {network: {kind: grid, rows: 4, cols: 4}}\n"
        "schedule: {generations: 40, shocks: [20]}\nruns: 2\n"
    )
    line = one_line_error(
        normsim("calibrate", sc, "--observed", obs, "--fit", "game.c", "--out", tmp_path / "o"),
        r"obs\.csv:2: share",
    )
    assert secret not in line and "-end" not in line


def test_observed_special_files_are_refused_before_reading(tmp_path):
    sc = tmp_path / "c.yaml"
    sc.write_text(
        "name: c\npopulation: {network: {kind: grid, rows: 4, cols: 4}}\n"
        "schedule: {generations: 40, shocks: [20]}\nruns: 2\n"
    )
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for target in ("/proc/self/environ", "/dev/zero", "/dev/urandom", fifo, tmp_path):
        r = normsim(
            "calibrate", sc, "--observed", target, "--fit", "game.c", "--out", tmp_path / "o"
        )
        one_line_error(r, r"--observed: .*(system file|not a regular file)")
        _assert_nothing_leaked(r, tmp_path, tmp_path / "o")
        assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_process_environment_never_leaks(tmp_path):
    """A fresh process, so that /proc/self/environ holds the secret."""
    secret = "NORMSIM-TEST-SECRET-7f3a9c"
    folder = tmp_path / "sc"
    for i, target in enumerate(("/proc/self/environ", "../../../../../../proc/self/environ")):
        sc = _scenario(folder / str(i), network_path=target)
        for cmd in (["validate", sc], ["run", sc, "--out", tmp_path / "o"]):
            r = normsim_process(*cmd, env={"CI_JOB_TOKEN": secret}, timeout=120)
            one_line_error(r, r"system file|outside the scenario's folder")
            assert secret not in r.stdout + r.stderr
            assert not (tmp_path / "o").exists()


def test_viz_and_example_take_data_roots(tmp_path):
    """``viz`` reads its defaults, and ``example`` runs, with the same --data-root rule."""
    from normsim.cli import build_parser
    from normsim.errors import NormsimError
    from normsim.viz.app import defaults_from_scenario

    data, folder = tmp_path / "data", tmp_path / "sc"
    data.mkdir()
    folder.mkdir()
    (data / "net.txt").write_text("1 2\n2 3\n3 4\n4 1\n1 3\n")
    sc = folder / "s.yaml"
    sc.write_text(
        f"name: s\npopulation:\n  network: {{kind: edgelist, path: '{data / 'net.txt'}'}}\n"
    )
    with pytest.raises(NormsimError, match="outside the scenario's folder.*--data-root"):
        defaults_from_scenario(str(sc))
    assert defaults_from_scenario(str(sc), [str(data)])["seed"] is not None
    for cmd in (["viz", str(sc)], ["example", "quickstart"]):
        args = build_parser().parse_args([*cmd, "--data-root", str(data)])
        assert args.data_root == [str(data)]
    r = normsim(
        "example",
        "quickstart",
        "--set",
        f"population.network={{kind: edgelist, path: '{data / 'net.txt'}'}}",
        "--out",
        tmp_path / "o",
    )
    one_line_error(r, r"outside the scenario's folder.*--data-root DIR")
    assert not (tmp_path / "o").exists()
