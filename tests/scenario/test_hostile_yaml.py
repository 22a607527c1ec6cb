"""Hostile YAML is one short line: alias bombs (merge keys included), a recursive alias,
duplicate keys at any depth, huge values quoted in a message; exponent notation is a
number, moderate aliases are accepted, and a scenario file's size is bounded."""

import pytest

from normsim.scenario import loads

from support.clirun import normsim_process
from support.hostile_helpers import one_line_error

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
    r = normsim_process("validate", p, timeout=120)
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
    one_line_error(
        normsim_process("validate", big), r"big\.yaml: more than 10 MiB: not a scenario file"
    )
    one_line_error(
        normsim_process("validate", "/dev/zero", timeout=60),
        r"/dev/zero: more than 10 MiB: not a scenario file",
    )
    one_line_error(normsim_process("validate", tmp_path), r"is a directory, not a scenario file")
