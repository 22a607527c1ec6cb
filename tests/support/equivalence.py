"""One equivalence harness: the compiled engine, the Mesa model and the tests' slow
model give the same series for the same parameters and seeds.

:func:`assert_equivalent` is what every equivalence test calls; the grids that call
it are tiered (tests/conftest.py): :func:`tiered` keeps the smoke cases in the
default tier and marks the rest of a cross-product ``kernels``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pytest

from normsim.engine import replicate_adjacency, simulate
from normsim.model import NormChangeModel
from normsim.params import ModelParams

from support.slow_model import slow_simulate

IMPLEMENTATIONS = ("engine", "mesa", "slow")


def assert_equivalent(
    params: ModelParams,
    seeds: Sequence[int],
    implementations: Iterable[str] = IMPLEMENTATIONS,
    *,
    graph=None,
    base_dir=None,
):
    """Assert that the engine's series equal those of the other ``implementations``
    (on ``graph``, a networkx graph, instead of ``params.network`` when given;
    ``base_dir``: where a data file the parameters name is read from).

    - ``slow`` (every seed): share of B and rate counts exactly, mean payoffs to
      1e-12 (the slow model sums payoffs in another order), the mean rate from the
      counts; with groups, each group's share of B and mean payoff, and that the
      groups add up to the whole.
    - ``mesa`` (the first seed): every series exactly (the payoff of generation 0
      is NaN there), the committed agents' series to 1e-12, the group series.

    Returns the engine's :class:`~normsim.engine.Series` for further checks."""
    which = set(implementations)
    unknown = which - set(IMPLEMENTATIONS)
    assert not unknown and "engine" in which, f"implementations: {sorted(which)}"
    out = simulate(params, seeds, network=graph, base_dir=base_dir)
    grouped = params.groups is not None
    if "slow" in which:
        for r, seed in enumerate(seeds):
            adj = replicate_adjacency(params.network if graph is None else graph, seed)
            res = slow_simulate(params, adj, seed, with_groups=grouped, base_dir=base_dir)
            share, pay, rcounts = res[:3]
            np.testing.assert_array_equal(out.share_b[r], share)
            np.testing.assert_allclose(out.mean_payoff[r, 1:], pay[1:], rtol=1e-12)
            if params.evolving:
                np.testing.assert_array_equal(np.rint(out.rate_shares[r] * adj.n), rcounts)
                assert np.allclose(
                    out.mean_rate[r], (rcounts * np.array(params.rates)).sum(1) / rcounts.sum(1)
                )
            if grouped:
                g_share, g_pay = res[3:5]
                np.testing.assert_allclose(out.group_share_b[r], g_share, rtol=1e-12)
                np.testing.assert_allclose(out.group_mean_payoff[r, 1:], g_pay[1:], rtol=1e-12)
                # the groups add up to the whole
                np.testing.assert_allclose(
                    out.group_share_b[r] @ out.group_sizes[r] / adj.n, out.share_b[r], rtol=1e-12
                )
    if "mesa" in which:
        m = NormChangeModel(
            params=params,
            seed=seeds[0],
            base_dir=base_dir,
            **({} if graph is None else {"network": graph}),
        )
        m.run_model()
        s = m.series()
        assert m.generation == params.generations and not m.running
        np.testing.assert_array_equal(s["share_b"], out.share_b[0])
        np.testing.assert_array_equal(s["mean_payoff"][1:], out.mean_payoff[0, 1:])
        assert np.isnan(s["mean_payoff"][0])
        if params.evolving:
            np.testing.assert_array_equal(s["rate_shares"], out.rate_shares[0])
            np.testing.assert_array_equal(s["mean_rate"], out.mean_rate[0])
        if params.committed is not None:
            np.testing.assert_allclose(s["share_new"], out.share_new[0], rtol=1e-12)
            np.testing.assert_allclose(
                s["share_new_uncommitted"], out.share_new_uncommitted[0], rtol=1e-12
            )
        if grouped:
            np.testing.assert_array_equal(s["group_share_b"], out.group_share_b[0])
            np.testing.assert_array_equal(s["group_mean_payoff"][1:], out.group_mean_payoff[0, 1:])
            if params.evolving:
                np.testing.assert_allclose(s["group_mean_rate"], out.group_mean_rate[0], rtol=1e-12)
    return out


def all_pairs(factors: dict[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """A small set of combinations of ``factors`` in which every pair of values of
    every two factors occurs at least once (a greedy all-pairs covering array)."""
    names = list(factors)
    uncovered = {
        (a, va, b, vb)
        for a, b in itertools.combinations(names, 2)
        for va in factors[a]
        for vb in factors[b]
    }
    rows: list[dict[str, Any]] = []
    while uncovered:
        best, gain = None, -1
        for combo in itertools.product(*(factors[n] for n in names)):
            row = dict(zip(names, combo, strict=True))
            g = sum(
                (a, row[a], b, row[b]) in uncovered for a, b in itertools.combinations(names, 2)
            )
            if g > gain:
                best, gain = row, g
        rows.append(best)
        uncovered -= {(a, best[a], b, best[b]) for a, b in itertools.combinations(names, 2)}
    return rows


def tiered(
    factors: dict[str, Sequence[Any]],
    smoke: Callable[[dict[str, Any]], bool] | None = None,
    *,
    pairs: bool = False,
) -> list[Any]:
    """``pytest.param`` cases of the full cross-product of ``factors`` (in the order
    of their names): those ``smoke`` accepts and (``pairs``) those of an all-pairs
    covering set in the default tier, the rest marked ``kernels``. Grids whose
    all-pairs set would compile kernel variants the default tier has no other use
    for (mechanisms on irregular graphs) keep their smoke cases only."""
    names = list(factors)
    cover = {tuple(r[n] for n in names) for r in all_pairs(factors)} if pairs else set()
    out = []
    for combo in itertools.product(*(factors[n] for n in names)):
        row = dict(zip(names, combo, strict=True))
        default = combo in cover or (smoke is not None and smoke(row))
        marks = () if default else (pytest.mark.kernels,)
        out.append(pytest.param(*combo, marks=marks, id="-".join(map(str, combo))))
    return out
