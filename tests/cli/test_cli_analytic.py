"""`normsim analytic` as docs/reference/cli.rst describes it."""

import json

import pytest

from normsim.cli import main

from support.clirun import normsim


@pytest.mark.slow
def test_json_reference_case():
    r = normsim("analytic", "--a", "0.4", "--b", "0.6", "--c", "0.3", "--p0", "0.05", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["t50"] == pytest.approx(43.05, abs=0.01)
    assert out["t90"] == pytest.approx(52.44, abs=0.01)
    assert out["t99"] == pytest.approx(60.22, abs=0.01)
    assert out["threshold_c"] == pytest.approx(1 / 3, abs=1e-9)
    assert out["mu_crit"] is None
    assert out["fixed_points"] == [{"p": 0.0, "stable": False}, {"p": 1.0, "stable": True}]
    assert out["final_p"] == pytest.approx(1.0, abs=1e-6)
    for key in ("a", "b", "c", "mu", "p0"):
        assert key in out


@pytest.mark.slow
def test_never_reached_is_null_and_mu_crit_given():
    out = json.loads(
        normsim(
            "analytic", "--a", "0.4", "--b", "0.6", "--c", "0.8", "--mu", "0.05", "--json"
        ).stdout
    )
    assert out["t50"] is None and out["t90"] is None
    assert out["mu_crit"] == pytest.approx(0.0860, abs=1e-4)
    assert [fp["stable"] for fp in out["fixed_points"]] == [True, False, True]


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, name",
    [
        (["--c", "1.5"], "--c"),
        (["--c", "abc"], "--c"),
        (["--c", "0.3", "--mu", "2"], "--mu"),
        (["--c", "0.3", "--p0", "-1"], "--p0"),
        (["--c", "0.3", "--t-max", "0"], "--t-max"),
        (["--c", "nan"], "--c"),
    ],
)
def test_bad_option_exits_1_with_one_line(args, name):
    r = normsim("analytic", "--a", "0.4", "--b", "0.6", *args)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0]
    assert "Traceback" not in r.stderr


def test_usage_error_exits_2(capsys):
    # (a game with --b and --c missing is a one-line error, exit 1: the game may also be
    # given as --matrix or --preset; tests/cli/test_cli_games.py)
    with pytest.raises(SystemExit) as e:
        main(["analytic", "--a", "0.4", "--model", "nonsense"])
    assert e.value.code == 2


@pytest.mark.slow
def test_plot_is_written(tmp_path):
    out = tmp_path / "sub" / "an.png"
    r = normsim(
        "analytic", "--a", "0.4", "--b", "0.6", "--c", "0.5", "--mu", "0.01", "--plot", str(out)
    )
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "fixed points" in r.stdout


@pytest.mark.slow
def test_plot_to_unwritable_place_exits_1(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = normsim(
        "analytic", "--a", "0.4", "--b", "0.6", "--c", "0.5", "--plot", str(blocker / "x.png")
    )
    assert r.returncode == 1 and "--plot" in r.stderr and "Traceback" not in r.stderr
