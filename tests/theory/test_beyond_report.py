"""The beyond-the-paper report (analysis/beyond_paper.py): its reading of the results."""

from __future__ import annotations

import pytest

from support.analysis_scripts import load


@pytest.fixture(scope="module")
def bp():
    return load("beyond_paper")


def row(c, status, lo, hi):
    return {"c": c, "status": status, "lo": lo, "hi": hi, "tested": 5}


def test_bracket_midpoints_and_labels(bp):
    assert bp.mid(row(0.5, "already", None, 0.0)) == 0.0
    assert bp.mid(row(0.9, "never", 0.5, None)) is None
    assert bp.mid(row(0.7, "bracketed", 0.02, 0.04)) == pytest.approx(0.03)
    assert bp.bracket(row(0.5, "already", None, 0.0)) == "0 (tips without)"
    assert bp.bracket(row(0.9, "never", 0.5, None)) == "> 0.500"
    assert bp.bracket(row(0.7, "bracketed", 0.02, 0.04)) == "0.020 - 0.040"


def test_findings_follow_the_numbers(bp):
    cs = [0.5, 1.0]
    torus = [row(0.5, "bracketed", 0.02, 0.04), row(1.0, "bracketed", 0.10, 0.12)]
    rr = [row(0.5, "bracketed", 0.00, 0.02), row(1.0, "bracketed", 0.06, 0.08)]
    conf = [row(0.5, "bracketed", 0.04, 0.06), row(1.0, "bracketed", 0.14, 0.16)]
    wm = {"replicator": [0.0, 0.09], "pairwise": [0.01, 0.15]}
    wm3 = {"replicator": [0.0, 0.1], "pairwise": [0.05, 0.16]}
    text = "\n".join(bp.findings(cs, {"torus": torus, "random 4-regular": rr}, conf, wm, wm3, 100))
    assert "from 0.030 at c = 0.5 to 0.110 at c = 1.0" in text
    assert "more than the Fermi mean field at 1 of 2 values of c and less at 1" in text
    assert "neither needs more" in text
    assert "the torus needs more at 2 of 2 values of c and less at 0" in text
    assert "raises the critical fraction at 2 of 2 values of c" in text
    # the other way round, the sentence turns round too
    text = "\n".join(bp.findings(cs, {"torus": rr, "random 4-regular": torus}, rr, wm, wm3, 100))
    assert "the random graph needs more at 2 of 2 values of c and less at 0" in text
    assert "does not raise the critical fraction" in text


def test_groups_and_threat_sections(bp):
    def cond(t50, share, **kw):
        return {"shocks": [{"t50": t50}], "final_share_b": share, **kw}

    groups = {
        "conditions": [{"groups": [{"c": 0.9, **cond(26, 0.98)}, {"c": 0.2, **cond(19, 0.97)}]}]
    }
    text = "\n".join(bp.groups_section(groups))
    assert "| 0.9, 0.2 | 26 | 19 | 0.980 | 0.970 |" in text
    assert "the loose periphery leads and the tight core follows" in text
    threat = {
        "conditions": [
            cond(8, 0.99, params={"schedule.events": []}),
            cond(88, 0.98, params={"schedule.events": [{"at": 1}]}),
        ]
    }
    text = "\n".join(bp.threat_section(threat))
    assert "slows the change 11.0-fold (t50 8 -> 88)" in text
