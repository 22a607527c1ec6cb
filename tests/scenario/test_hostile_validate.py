"""Validation of large scenario files is bounded by the file-size limit: a file at the
limit is read, or refused by its number of values, in one line, whatever it holds."""

import pytest

from normsim.scenario.yamlsafe import MAX_BYTES, MAX_VALUES

from support.clirun import normsim
from support.hostile_helpers import one_line_error

BASE = (
    "name: big\npopulation: {network: {kind: grid, rows: 6, cols: 6}}\n"
    "schedule: {generations: 100}\n"
)


def _fill(tail, item, close="", base=BASE):
    """``base``, then ``tail`` and as many ``item`` as bring the file to the size limit."""
    room = MAX_BYTES - len(base) - len(tail) - len(close) - 2
    return base + tail + item * (room // len(item)) + close + "\n"


#: files at the size limit, each of another shape: (name, text, refused for its values)
SHAPES = [
    ("a sweep list", _fill("sweep:\n  game.c: [", "0.25, ", "0.5]"), True),
    (
        "a list of committed nodes",
        _fill(
            "population:\n  network: {kind: grid, rows: 6, cols: 6}"
            "\n  committed: {placement: nodes, nodes: [",
            "1, ",
            "2]}",
            base="name: big\n",
        ),
        True,
    ),
    ("a flow mapping", _fill("extra: {", "k: 1, ", "z: 2}"), True),
    ("comments", _fill("", "# a comment line\n"), False),
    ("a long description", _fill('description: "', "text ", '"'), False),
]


@pytest.mark.parametrize("shape, text, refused", SHAPES, ids=[s[0] for s in SHAPES])
def test_a_file_at_the_size_limit_is_read_or_refused_in_one_line(tmp_path, shape, text, refused):
    """(How long it takes, under 2 s at the limit and linear in the values, is measured by
    benchmarks/bench_validate.py.)"""
    assert MAX_BYTES - 64 < len(text.encode()) <= MAX_BYTES, shape
    sc = tmp_path / "big.yaml"
    sc.write_text(text)
    r = normsim("validate", sc)
    if refused:
        one_line_error(r, rf"big\.yaml: more than {MAX_VALUES:,} values: not a scenario file")
    else:
        assert r.returncode == 0, r.stderr[-2000:]


def test_a_group_event_without_groups_is_refused_by_validate_and_before_run_writes(tmp_path):
    sc = tmp_path / "ge.yaml"
    sc.write_text(
        "name: ge\npopulation: {network: {kind: grid, rows: 6, cols: 6}}\n"
        "schedule:\n  generations: 30\n  events:\n"
        "    - {at: 10, group: 1, game: {c: 0.5}}\n"
    )
    out = tmp_path / "o"
    for cmd in (["validate", sc], ["run", sc, "--out", out, "--workers", "1"]):
        one_line_error(
            normsim(*cmd),
            r"schedule\.events\[0\]\.group: an event for one group "
            r"needs population\.groups",
        )
    assert not out.exists()


@pytest.mark.parametrize("out", ["/proc/self/fd/1", "/dev/stdout", "/dev/null", "/sys/kernel/x"])
def test_a_special_file_is_refused_as_an_output(tmp_path, out):
    sc = tmp_path / "s.yaml"
    sc.write_text(BASE)
    r = normsim("run", sc, "--out", out, "--workers", "1")
    one_line_error(
        r,
        r"--out: '/(proc|dev|sys)/.*' is under /(proc|dev|sys), a folder of "
        r"system files, not a place for results; choose another --out",
    )
    assert r.stdout == ""


def test_a_fifo_is_refused_as_an_output(tmp_path):
    import os

    sc = tmp_path / "s.yaml"
    sc.write_text(BASE)
    fifo = tmp_path / "f.sqlite"
    os.mkfifo(fifo)
    one_line_error(
        normsim("run", sc, "--out", fifo, "--workers", "1"),
        r"--out: .*f\.sqlite' is a FIFO, not a place for results",
    )


def test_export_and_analytic_plot_refuse_a_special_file_as_an_output(tmp_path):
    sc = tmp_path / "s.yaml"
    sc.write_text(BASE)
    assert normsim("run", sc, "--out", tmp_path / "out", "--workers", "1").returncode == 0
    r = normsim("export", tmp_path / "out", "--to", "/proc/self/fd/1")
    one_line_error(r, r"--to: '/proc/self/fd/1' is under /proc, a folder of system files")
    assert r.stdout == ""
    r = normsim("analytic", "--a", "0.4", "--b", "0.6", "--c", "0.5", "--plot", "/dev/stdout")
    one_line_error(r, r"--plot: '/dev/stdout' is under /dev, a folder of system files")
    assert r.stdout == ""
