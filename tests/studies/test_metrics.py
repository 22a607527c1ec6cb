"""Inertia metrics (normsim.studies.metrics) on hand-made series with known answers."""

import numpy as np

from normsim.game import CoordinationGame
from normsim.studies.metrics import exploration_metrics, final_share, shock_metrics

GAME = CoordinationGame(a=0.6, b=0.4, c=0.5)  # A favoured first; a shock makes B better


def step(G, s, jump_at, low=0.0, high=1.0):
    """Share of B: ``low`` up to generation ``jump_at - 1``, ``high`` from ``jump_at`` on."""
    x = np.full(G + 1, low)
    x[jump_at:] = high
    return x


def test_step_function_has_exact_t50_and_t90():
    G, s = 100, 40
    series = step(G, s, jump_at=47)[None, :]
    (m,) = shock_metrics(series, GAME, [s], G)
    assert m["at"] == 40 and m["new_norm"] == "B"
    assert m["t50"] == 7 and m["t90"] == 7  # generation 47 is the 7th after the shock
    assert m["t50_median"] == 7 and m["t50_p10"] == 7 and m["t50_p90"] == 7
    assert m["t50_reached"] == 1
    assert m["pre_share"] == 0.0 and m["final_share"] == 1.0


def test_t50_and_t90_differ_on_a_ramp():
    G, s = 100, 50
    x = np.zeros(G + 1)
    x[s + 1 :] = np.minimum(1.0, np.arange(1, G - s + 1) / 20)  # 0.05 per generation
    (m,) = shock_metrics(x[None, :], GAME, [s], G)
    assert m["t50"] == 10 and m["t90"] == 18


def test_never_reaching_half_gives_none():
    G, s = 60, 30
    series = np.full((3, G + 1), 0.49)
    (m,) = shock_metrics(series, GAME, [s], G)
    assert m["t50"] is None and m["t90"] is None
    assert m["t50_median"] is None and m["t50_reached"] == 0
    assert abs(m["final_share"] - 0.49) < 1e-12


def test_replicate_mean_and_per_replicate_times():
    G, s = 100, 20
    jumps = [25, 30, 35, 40]  # t50 of each replicate: 5, 10, 15, 20
    series = np.stack([step(G, s, j) for j in jumps])
    (m,) = shock_metrics(series, GAME, [s], G)
    assert m["t50"] == 10  # the mean reaches 0.5 when two of four have switched
    assert m["t90"] == 20  # and 0.9 only when all four have
    assert m["t50_median"] == 12.5
    assert m["t50_p10"] == np.percentile([5, 10, 15, 20], 10)
    # a replicate that never switches counts as infinitely late
    series[3] = 0.0
    (m,) = shock_metrics(series, GAME, [s], G)
    assert m["t50_reached"] == 3 and m["t50_p90"] is None and m["t50_median"] == 10


def test_second_shock_favours_a_and_bounds_the_first():
    G = 200
    x = step(G, 50, 60)  # B takes over after the first shock ...
    x[130:] = 0.0  # ... and A after the second (at 100)
    (m1, m2) = shock_metrics(x[None, :], GAME, [50, 100], G)
    assert (m1["new_norm"], m2["new_norm"]) == ("B", "A")
    assert m1["t50"] == 10 and m2["t50"] == 30
    assert m1["final_share"] == 1.0 and m2["pre_share"] == 0.0 and m2["final_share"] == 1.0
    # a takeover after the next shock does not count for the first
    y = step(G, 50, 120)
    (m1, _) = shock_metrics(y[None, :], GAME, [50, 100], G)
    assert m1["t50"] is None


def test_final_share_is_the_last_tenth():
    x = np.arange(101, dtype=float)  # x[g] = g
    assert final_share(x, 0, 100) == np.mean(np.arange(91, 101))
    assert final_share(x, 0, 5) == 5.0  # at least one generation
    assert final_share(x, 40, 60) == np.mean([59, 60])


def test_exploration_metrics_over_the_last_third_and_since_shocks():
    R, G, K = 2, 90, 2
    rates = (0.0, 0.5)
    shares = np.zeros((R, G + 1, K))
    shares[:, :, 0] = 1.0
    shares[:, 61:, :] = [0.25, 0.75]  # the last third is generations 61..90
    mean_rate = (shares * np.array(rates)).sum(axis=2)
    out = exploration_metrics(shares, mean_rate, rates, shocks=[30, 60])
    assert out["rate_shares"] == {"0.0": 0.25, "0.5": 0.75}
    assert abs(out["mean_rate"] - 0.375) < 1e-12
    since = out["mean_rate_since_shock"]  # the second half of the shocks: after 60
    assert len(since) == 30 and abs(since[0] - 0.375) < 1e-12
