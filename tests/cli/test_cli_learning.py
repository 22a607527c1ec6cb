"""`normsim analytic --model logit | kmr | contagion | fixation`: JSON output and refusals."""

import json

import networkx as nx
import pytest

from normsim.game import CoordinationGame
from normsim.theory import fixation, logit

from support.clirun import normsim


def _json(*args):
    r = normsim("analytic", *args, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_logit_json_is_the_enumerated_law():
    out = _json(
        "--model",
        "logit",
        "--a",
        "0.4",
        "--b",
        "0.6",
        "--c",
        "0.8",
        "--graph",
        "kind: grid, rows: 3, cols: 4",
        "--beta",
        "2",
    )
    G = nx.convert_node_labels_to_integers(nx.grid_2d_graph(3, 4, periodic=True))
    law = logit.gibbs_law(G, CoordinationGame(0.4, 0.6, 0.8), 2.0)
    assert out["expected_share_b"] == pytest.approx(law.share_b)
    assert out["method"] == "enumeration"


def test_fixation_json_reports_the_neutral_formula():
    out = _json("--model", "fixation", "--graph", "kind: star, n: 5", "--b-nodes", "0")
    assert out["fixation_probability_b"] == pytest.approx(out["degree_weighted_formula"])
    assert out["degree_weighted_formula"] == pytest.approx(
        fixation.voter_fixation_formula(nx.star_graph(5), [0])
    )


@pytest.mark.parametrize(
    "args, words",
    [
        (
            [
                "--model",
                "logit",
                "--a",
                "1",
                "--b",
                "2",
                "--c",
                "0.5",
                "--graph",
                "kind: grid, rows: 5, cols: 5",
            ],
            "at most 20 nodes",
        ),
        (["--model", "kmr", "--a", "1", "--b", "2", "--c", "0.5"], "--population"),
        (
            [
                "--model",
                "contagion",
                "--a",
                "1",
                "--b",
                "2",
                "--c",
                "0.5",
                "--graph",
                "kind: star, n: 4",
            ],
            "--b-nodes",
        ),
        (["--model", "fixation", "--graph", "kind: star, n: 4", "--b-nodes", "9"], "not a node"),
        (["--model", "kmr", "--matrix", "1,2,3", "--population", "5"], "four numbers"),
        (
            ["--model", "logit", "--population", "5", "--a", "1", "--b", "2", "--c", "0"],
            "does not apply",
        ),
    ],
)
def test_refusals_are_one_line(args, words):
    r = normsim("analytic", *args)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and not r.stdout


def test_one_matrix_option_for_every_model():
    """``--matrix`` reads the same everywhere: R,S,T,P or rows separated by ';', and a
    matrix ``--preset`` is its matrix, for the learning models too."""
    kmr = ["--model", "kmr", "--population", "12", "--mu", "0.1"]
    by_entries = _json(*kmr, "--matrix", "4,0,3,2")
    assert _json(*kmr, "--matrix", "4,0;3,2") == by_entries
    assert _json(*kmr, "--preset", "stag_hunt") == by_entries
    assert by_entries["matrix"] == {"R": 4.0, "S": 0.0, "T": 3.0, "P": 2.0}
    sm = ["--model", "small-mutation", "--population", "20"]
    assert _json(*sm, "--matrix", "1,0.5,0.4,0.8") == _json(*sm, "--matrix", "1,0.5;0.4,0.8")
    r = normsim("analytic", "--model", "kmr", "--population", "5", "--matrix", "1,0,0;0,1,0;0,0,1")
    assert r.returncode == 1 and "takes a 2 x 2 game" in r.stderr and not r.stdout
