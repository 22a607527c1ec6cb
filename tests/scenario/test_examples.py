"""The packaged example scenarios and ``normsim example``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from normsim import examples
from normsim.cli import main
from normsim.errors import NormsimError
from normsim.scenario import conditions

ROOT = Path(__file__).resolve().parents[2]
PACKAGED = ROOT / "normsim" / "examples"


def test_scenarios_folder_links_to_the_packaged_files():
    """One copy of each example: scenarios/NAME.yaml is a link to normsim/examples/NAME.yaml."""
    links = sorted((ROOT / "scenarios").glob("*.yaml"))
    assert [p.name for p in links] == sorted(p.name for p in PACKAGED.glob("*.yaml"))
    for p in links:
        assert p.is_symlink(), f"{p} is a copy; make it a link to ../normsim/examples/{p.name}"
        assert p.resolve() == (PACKAGED / p.name).resolve()


@pytest.mark.parametrize("name", examples.names())
def test_every_example_is_valid(name):
    loaded = examples.load(name)
    assert loaded.scenario.description.strip()
    assert conditions(loaded)


def test_names_and_lookup():
    names = examples.names()
    assert "quickstart" in names and "fig6_norm_change" in names
    assert examples.path("fig6-norm-change") == examples.path("fig6_norm_change")
    assert examples.text("quickstart") == (PACKAGED / "quickstart.yaml").read_text()
    with pytest.raises(NormsimError, match="no such example.*quickstart"):
        examples.path("nope")


def test_example_lists(capsys):
    assert main(["example"]) == 0
    out = capsys.readouterr().out
    for name in examples.names():
        assert f"  {name} " in out
    assert main(["example", "--list"]) == 0
    assert capsys.readouterr().out == out


def test_example_print_is_the_file(capsys):
    assert main(["example", "quickstart", "--print"]) == 0
    assert capsys.readouterr().out == examples.text("quickstart")


def test_example_errors(capsys):
    assert main(["example", "nope"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such example" in err
    assert main(["example", "--print"]) == 2
    assert main(["example", "quickstart", "--list"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "--list takes no NAME" in err


def test_example_runs_into_out(tmp_path, capsys):
    os.chdir(tmp_path)
    code = main(
        [
            "example",
            "quickstart",
            "--out",
            "q",
            "--workers",
            "1",
            "--runs",
            "2",
            "--set",
            "schedule.generations=40",
            "--set",
            "schedule.shocks=[20]",
            "--set",
            "population.network.rows=6",
            "--set",
            "population.network.cols=6",
        ]
    )
    assert code == 0
    assert (tmp_path / "q" / "results.sqlite").is_file()
    assert (tmp_path / "q" / "shares.png").is_file()
    assert "quickstart: 3 condition(s)" in capsys.readouterr().out
    assert not (tmp_path / "results").exists()  # --out, not the default results/NAME
