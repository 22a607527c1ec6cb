"""The theory-against-simulation report (analysis/theory_vs_simulation.py)."""

from __future__ import annotations

import networkx as nx
import pytest
from scipy.stats import binomtest

from support.analysis_scripts import load


@pytest.fixture(scope="module")
def tvs():
    return load("theory_vs_simulation")


def test_moore_lattice_is_the_periodic_8_neighbour_lattice(tvs):
    G = tvs.moore_lattice(5)
    assert G.number_of_nodes() == 25 and G.number_of_edges() == 25 * 4
    assert {d for _, d in G.degree()} == {8}
    # node (2, 2) = 12: its neighbours are the 3 x 3 block around it
    assert set(G[12]) == {r * 5 + c for r in (1, 2, 3) for c in (1, 2, 3)} - {12}
    # wrapping: node (0, 0) touches (4, 4)
    assert G.has_edge(0, 24)
    # every edge of the Moore lattice lies in triangles (unlike the von Neumann torus)
    assert min(nx.triangles(G).values()) > 0


def test_t50_table_cells_give_theory_and_error(tvs):
    rows = [
        {
            "graph": "g",
            "key": "rr4",
            "theories": ["replicator", "pairwise", "pair"],
            "c": 0.6,
            "mode": "asynchronous",
            "sim": {"t50": 20, "t50_p10": 15.0, "t50_p90": 30.0},
            "theory": {"replicator": None, "pairwise": 30.0, "pair": 18.0},
        },
        {
            "graph": "g",
            "key": "rr4",
            "theories": ["replicator", "pairwise", "pair"],
            "c": 0.8,
            "mode": "reference",
            "sim": {"t50": None},
            "theory": {"replicator": None, "pairwise": None, "pair": 400.0},
        },
    ]
    lines = tvs.t50_table(rows)
    assert lines[0].count("|") == 9 and lines[1].startswith("|---")
    cells = [c.strip() for c in lines[2].split("|")[1:-1]]
    assert cells[:4] == ["g", "0.6", "asynchronous", "20 (15-30)"]
    assert cells[4] == "never (sim. changes)"
    assert cells[5] == "30.0 (+10.0, +50%)"
    assert cells[6] == "18.0 (-2.0, -10%)"
    assert cells[7] == "-"  # the finite chain: complete graph only
    cells = [c.strip() for c in lines[3].split("|")[1:-1]]
    assert cells[3] == "never" and cells[4] == "both never" and cells[6] == "400.0 (sim. never)"


def test_fixation_table_interval_and_verdict(tvs):
    rows = [
        {"Z": 50, "c": 0.3, "k0": 2, "n": 400, "fixed": 120, "exact": 0.31},
        {"Z": 50, "c": 0.3, "k0": 3, "n": 400, "fixed": 120, "exact": 0.5},
        {"Z": 50, "c": 0.3, "k0": 9, "n": 0, "fixed": 0, "exact": 0.9},
    ]
    lines = tvs.fixation_table(rows, confidence=0.99)
    assert len(lines) == 5
    ci = binomtest(120, 400).proportion_ci(confidence_level=0.99)
    cells = [c.strip() for c in lines[2].split("|")[1:-1]]
    assert cells[4] == "0.3000" and cells[5] == f"{ci.low:.4f}-{ci.high:.4f}"
    assert cells[7] == "yes"
    assert lines[3].rstrip().endswith("**no** |")
    assert "| 0 |" in lines[4]


@pytest.mark.slow
def test_quick_run_writes_the_report(tvs, tmp_path):
    out, res = tmp_path / "report", tmp_path / "results"
    assert tvs.main(["--quick", "--out", str(out), "--results", str(res)]) == 0
    text = (out / "THEORY.md").read_text()
    assert "| graph | c | mode | simulation t50" in text
    assert "| Z | c | k0 | replicates | simulated | 99% interval | exact chain | inside |" in text
    # 4 graphs x 1 c x 4 modes rows in the t50 table, 4 k0 rows in the fixation table
    assert (
        sum(line.startswith("| ") and " | asynchronous | " in line for line in text.splitlines())
        == 4
    )
    assert (out / "theory_t50.png").stat().st_size > 1000
    assert (res / "cache.json").exists()
    # a rerun reuses every simulation
    assert tvs.main(["--quick", "--out", str(out), "--results", str(res)]) == 0
    assert "0 simulation cells run" in (out / "THEORY.md").read_text()
