"""Inertia metrics from series (docs/model/odd.md, 7.9) and the summary JSON.

Indexing: ``series[0]`` is the initial state and ``series[g]`` the state after
generation g. For a shock at s, generations s+1, s+2, ... are played under the
swapped payoffs, and the *new norm* is the one the shock favours.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from normsim.game import NORM_NAMES, Game


def _first_at_least(series: np.ndarray, s: int, end: int, level: float) -> int | None:
    """Smallest g - s with s < g <= end and series[g] >= level (None if none)."""
    seg = series[s + 1 : end + 1]
    hit = np.nonzero(seg >= level)[0]
    return int(hit[0]) + 1 if len(hit) else None


def _window(lo: int, hi: int) -> slice:
    """The last 10% (at least one) of the generations lo+1..hi, as a slice of a series."""
    w = max(1, math.ceil(0.1 * (hi - lo)))
    return slice(hi - w + 1, hi + 1)


def final_share(mean: np.ndarray, lo: int, hi: int) -> float:
    """Mean of a series over the last 10% (at least one) of the generations lo+1..hi.

    >>> final_share(np.array([0.0, 0.2, 0.4, 0.6, 0.8, 1.0]), 0, 5)
    1.0
    """
    return float(mean[_window(lo, hi)].mean())


def _percentiles(values: list[int | None]) -> tuple[float | None, float | None, float | None]:
    """Median, 10% and 90% of per-replicate times; never reached counts as infinite."""
    if not values:
        return None, None, None
    arr = np.array([np.inf if v is None else v for v in values], dtype=float)
    out = []
    for q in (50, 10, 90):
        v = (
            float(np.percentile(arr, q, method="linear"))
            if np.all(np.isfinite(arr))
            else float(np.percentile(arr, q, method="inverted_cdf"))
        )
        out.append(v if math.isfinite(v) else None)
    return out[0], out[1], out[2]


def shock_metrics(
    share_b: np.ndarray,
    game: Game,
    shocks: Sequence[int],
    generations: int,
    new_norms: Sequence[int | None] | None = None,
) -> list[dict]:
    """Metrics of every shock from an (R, G+1) array of share-of-B series.

    The new norm of shock k is ``new_norms[k]`` when given (the norm the game
    played right after it favours: :func:`normsim.studies.results.shock_new_norms`, which
    counts game events), else the norm that ``game`` favours after k + 1 swaps;
    B when no norm is favoured (a = b)."""
    share_b = np.atleast_2d(share_b)
    mean_b = share_b.mean(axis=0)
    out = []
    g_now = game
    bounds = list(shocks) + [generations]
    prev = 0
    for k, s in enumerate(shocks):
        g_now = g_now.shocked()
        new = g_now.favoured_norm() if new_norms is None else new_norms[k]
        end = bounds[k + 1]
        if new is None:  # a == b: no norm is favoured; report B
            new = 1
        mean_new = mean_b if new == 1 else 1.0 - mean_b
        reps_new = share_b if new == 1 else 1.0 - share_b
        per_rep = [_first_at_least(r, s, end, 0.5) for r in reps_new]
        med, p10, p90 = _percentiles(per_rep)
        out.append(
            {
                "at": int(s),
                "new_norm": NORM_NAMES[new],
                "pre_share": final_share(mean_new, prev, s),
                "t50": _first_at_least(mean_new, s, end, 0.5),
                "t90": _first_at_least(mean_new, s, end, 0.9),
                "t50_median": med,
                "t50_p10": p10,
                "t50_p90": p90,
                "t50_reached": sum(v is not None for v in per_rep),
                "final_share": final_share(mean_new, s, end),
            }
        )
        prev = s
    return out


def exploration_metrics(
    rate_shares: np.ndarray, mean_rate: np.ndarray, rates: Sequence[float], shocks: Sequence[int]
) -> dict:
    """Evolved exploration over the last third of the run, and against time since a shock.

    ``rate_shares`` is (R, G+1, K), ``mean_rate`` (R, G+1).
    """
    G = mean_rate.shape[1] - 1
    start = G - G // 3 + 1 if G >= 3 else 1
    tail = slice(start, G + 1)
    shares = rate_shares[:, tail, :].mean(axis=(0, 1))
    out = {
        "mean_rate": float(mean_rate[:, tail].mean()),
        "rate_shares": {_rate_key(r): float(v) for r, v in zip(rates, shares, strict=True)},
    }
    if len(shocks) >= 1:
        mean = mean_rate.mean(axis=0)
        bounds = list(shocks) + [G]
        length = min(b - a for a, b in zip(bounds[:-1], bounds[1:], strict=True))
        segs = [mean[s + 1 : s + 1 + length] for s in shocks if s + length <= G]
        # the second half of the shocks: after the rates had time to evolve
        segs = segs[len(segs) // 2 :] if len(segs) > 1 else segs
        if segs and length > 0:
            out["mean_rate_since_shock"] = [float(v) for v in np.mean(segs, axis=0)]
    return out


def _rate_key(r: float) -> str:
    return repr(float(r))


def committed_metrics(
    share_new: np.ndarray, share_new_uncommitted: np.ndarray, generations: int
) -> dict:
    """What a committed minority did, from (R, G+1) arrays of the share of its norm
    among everyone and among the uncommitted agents.

    ``final_share_new`` and ``final_share_new_uncommitted`` are the replicate-mean
    shares over the last 10% of the run; ``t50_uncommitted`` the first generation
    at which the replicate-mean share among the uncommitted reaches 0.5 (None if
    never); ``p_change`` the fraction of replicates whose final share among the
    uncommitted (same window) is at least 0.5.

    >>> committed_metrics(np.array([[0.1, 0.6]]), np.array([[0.0, 0.55]]), 1)["p_change"]
    1.0
    """
    new = np.atleast_2d(share_new)
    unc = np.atleast_2d(share_new_uncommitted)
    win = _window(0, generations)
    per_rep = unc[:, win].mean(axis=1)
    return {
        "final_share_new": final_share(new.mean(axis=0), 0, generations),
        "final_share_new_uncommitted": final_share(unc.mean(axis=0), 0, generations),
        "t50_uncommitted": _first_at_least(unc.mean(axis=0), 0, generations, 0.5),
        "p_change": float(np.mean(per_rep >= 0.5)),
    }
