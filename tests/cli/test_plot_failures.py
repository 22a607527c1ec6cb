"""A plot that cannot be written, or that raises, is a warning with exit code 4: the
results are stored and the JSON, the table and the summary still come out."""

import json

import pytest

from support.clirun import normsim
from support.hostile_helpers import TINY, one_line_error, rows


@pytest.mark.slow
def test_a_failing_plot_does_not_lose_the_report(tmp_path):
    sc = tmp_path / "s.yaml"
    sc.write_text(TINY)
    out = tmp_path / "out"
    (out / "shares.png").mkdir(parents=True)  # a directory in the way of a plot
    r = normsim("run", sc, "--out", out, "--json", "--workers", "1")
    line = one_line_error(
        r,
        r"warning: plots not written \(cannot write .*shares\.png: Is a "
        r"directory\); the results are stored",
        code=4,
    )
    s = json.loads(r.stdout)  # the JSON still comes out
    assert s["conditions"][0]["runs"] == 3 and len(rows(out)) == 3
    r = normsim("run", sc, "--out", out, "--workers", "1")  # and the table
    assert r.returncode == 4 and "share B end" in r.stdout and "results:" in r.stdout
    r = normsim("summary", out, "--plots", "--json")
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
