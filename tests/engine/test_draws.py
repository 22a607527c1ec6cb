"""The random stream itself (normsim.draws): the generator, seeds, conversions,
bounded draws and the visiting order, against references that do not use it."""

import numpy as np
import pytest

from normsim.draws import DrawStream, graph_seed, replicate_seed, replicate_seeds, stream_state
from normsim.engine import bounded_draws, stream_outputs

# xoshiro256** from the state (1, 2, 3, 4): the first outputs of Blackman and
# Vigna's reference C implementation
REFERENCE_OUTPUTS = [
    11520,
    0,
    1509978240,
    1215971899390074240,
    1216172134540287360,
    607988272756665600,
    16172922978634559625,
    8476171486693032832,
    10595114339597558777,
    2904607092377533576,
]


def stream_from_state(state):
    rs = DrawStream(0)
    rs.s = list(state)
    return rs


def test_generator_matches_the_reference_implementation():
    rs = stream_from_state([1, 2, 3, 4])
    assert [rs.next() for _ in range(10)] == REFERENCE_OUTPUTS
    compiled = stream_outputs(np.array([1, 2, 3, 4], dtype=np.uint64), 10)
    assert list(map(int, compiled)) == REFERENCE_OUTPUTS


def test_python_stream_equals_compiled_stream():
    for seed in (0, 1, 2017, 2**62):
        rs = DrawStream(seed)
        want = list(map(int, stream_outputs(stream_state(seed), 50)))
        assert [rs.next() for _ in range(50)] == want


def test_replicate_seeds_are_deterministic_distinct_and_63_bit():
    seeds = replicate_seeds(2017, 500)
    assert seeds == [replicate_seed(2017, i) for i in range(500)]
    assert replicate_seeds(2017, 5, start=3) == seeds[3:8]
    assert len(set(seeds)) == 500
    assert all(0 <= s < 2**63 for s in seeds)
    assert replicate_seeds(2018, 5) != seeds[:5]
    # numpy's SeedSequence is the documented source: the first 64-bit word, shifted
    want = np.random.SeedSequence(2017, spawn_key=(4,)).generate_state(1, np.uint64)[0] >> 1
    assert seeds[4] == int(want)


def test_stream_state_and_graph_seed():
    st = stream_state(123)
    assert st.dtype == np.uint64 and st.shape == (4,) and st.any()
    np.testing.assert_array_equal(st, stream_state(123))
    assert not np.array_equal(st, stream_state(124))
    gs = [graph_seed(s) for s in replicate_seeds(1, 200)]
    assert all(0 <= g < 2**32 for g in gs) and len(set(gs)) == 200
    assert graph_seed(99) == graph_seed(99)


def test_conversions_of_an_output():
    x = (0xDEADBEEF << 32) | 0x12345678
    assert DrawStream.hi(x) == 0xDEADBEEF / 2**32
    assert DrawStream.lo(x) == 0x12345678 / 2**32
    assert DrawStream.u53(x) == (x >> 11) / 2**53
    assert DrawStream.u53(2**64 - 1) < 1.0 and DrawStream.u53(0) == 0.0
    for n in (1, 3, 7, 1000):
        assert DrawStream.pick(0, n) == 0 and DrawStream.pick(2**64 - 1, n) == n - 1
    idx, rest = DrawStream.split(0x80000000, 3)  # half of the word times 3 = 1.5
    assert idx == 1 and rest == 0.5


def test_split_gives_an_index_and_a_uniform_rest():
    rs = DrawStream(3)
    idx, rest = zip(*(rs.split(rs.next() & 0xFFFFFFFF, 3) for _ in range(30000)), strict=True)
    assert set(idx) == {0, 1, 2}
    for k in range(3):  # each index about 1/3, and the rest uniform given the index
        rk = np.array([r for i, r in zip(idx, rest, strict=True) if i == k])
        assert abs(len(rk) / 30000 - 1 / 3) < 0.015
        assert abs(rk.mean() - 0.5) < 0.02 and abs((rk < 0.1).mean() - 0.1) < 0.02


def test_python_bounded_equals_compiled_bounded():
    # bounds near 2**31 and 2**32 reject about half / almost all first words:
    # the rejection path is exercised, not only the common one
    bounds = [1, 2, 3, 17, 2500, 2**31 + 1, 2**32 - 1, 3 * 2**30 + 7] * 40
    for seed in (1, 99):
        rs = DrawStream(seed)
        want = [rs.bounded(b) for b in bounds]
        got = bounded_draws(stream_state(seed), np.array(bounds, np.uint64))
        assert want == list(map(int, got))
        assert all(0 <= r < b for r, b in zip(want, bounds, strict=True))


@pytest.mark.parametrize("n", [3, 5, 2**31 + 1])
def test_bounded_is_uniform(n):
    # chi-square over 6 cells (n = 3, 5 exactly; a large bound binned into 6 ranges)
    rs = DrawStream(42)
    draws = np.array([rs.bounded(n) for _ in range(30000)])
    assert draws.min() >= 0 and draws.max() < n
    cells = np.minimum(draws * 6 // n, 5) if n > 6 else draws
    k = min(n, 6)
    counts = np.bincount(cells, minlength=k)
    expected = np.array(
        [len(draws) * (((i + 1) * n + k - 1) // k - (i * n + k - 1) // k) / n for i in range(k)]
    )
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 20.5  # above the 0.999 quantile of chi-square(5) (20.5)


def test_visiting_order_is_uniform():
    # all 24 orders of 4 items, 24000 sweeps: chi-square with 23 degrees of freedom
    counts = {}
    rs = DrawStream(5)
    order = [0, 1, 2, 3]
    for _ in range(24000):
        seen = tuple(rs.visit(order))
        assert sorted(seen) == [0, 1, 2, 3]
        counts[seen] = counts.get(seen, 0) + 1
    assert len(counts) == 24
    chi2 = sum((c - 1000) ** 2 / 1000 for c in counts.values())
    assert chi2 < 49.7  # the 0.999 quantile of chi-square(23)


def test_visit_draws_lazily_between_agents():
    # the shuffle's next bounded draw comes after the visited agent's own draws:
    # drawing in between changes the order that follows, as the schedule says
    a, b = DrawStream(8), DrawStream(8)
    first = [x for x in a.visit(list(range(10)))]
    second = []
    for x in b.visit(list(range(10))):
        second.append(x)
        b.next()
    assert first[0] == second[0] and first != second
