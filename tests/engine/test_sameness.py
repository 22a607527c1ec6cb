"""Series and content hashes recorded before revision protocols existed stay the same:
the paper's protocol is the one it was, bit for bit (tests/support/sameness.py lists the cases)."""

import json
from pathlib import Path

import pytest

from support.sameness import cases, content_hashes, series_hash

ROOT = Path(__file__).resolve().parents[2]
RECORDED = json.loads((ROOT / "tests" / "support" / "data" / "series_hashes.json").read_text())


@pytest.mark.kernels
@pytest.mark.parametrize("name", sorted(RECORDED["series"]))
def test_every_recorded_series_is_bit_identical(name):
    assert series_hash(cases()[name]) == RECORDED["series"][name]


def test_every_case_is_recorded():
    assert sorted(cases()) == sorted(RECORDED["series"])


def test_the_examples_keep_their_content_hashes():
    now = content_hashes(ROOT)
    for example, hashes in RECORDED["content"].items():
        assert now[example] == hashes, example
