"""Reading stored results: series per condition, and the summary of each condition.

The last steps of normsim's data flow, store -> metrics -> summary and plots:
:func:`load_series` stacks a condition's stored replicates into arrays,
:func:`summarise_condition` turns them into the metrics of
:mod:`normsim.studies.metrics`, and :func:`summarise` gives the JSON summary that
``normsim run --json`` and ``normsim summary --json`` print. The plots read
series through :func:`load_series` too.

Examples
--------
>>> from normsim.store import Store
>>> with Store("results/quickstart") as store:          # doctest: +SKIP
...     summary = summarise(store)
...     series = load_series(store, store.conditions()[0]["hash"])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from normsim.game import CoordinationGame, MatrixGame
from normsim.params import check_events, game_schedule, matrix_schedule
from normsim.scenario import EvolvingRates, Scenario
from normsim.store import Store
from normsim.studies.metrics import (
    committed_metrics,
    exploration_metrics,
    final_share,
    shock_metrics,
)


def load_series(store: Store, hash_: str, runs: int | None = None) -> dict[str, Any]:
    """A condition's stored replicates stacked: ``share_b`` and ``mean_payoff``
    (R, G+1), ``seeds``, the summed ``wall_time``, and with evolving rates
    ``rate_shares`` (R, G+1, K) and ``mean_rate`` (R, G+1). Empty if none is stored.
    With ``runs``, only the replicates numbered below it."""
    reps = list(store.replicates(hash_, below=runs))
    if not reps:
        return {}
    d: dict[str, Any] = {
        "share_b": np.stack([r.share_b for r in reps]),
        "mean_payoff": np.stack([r.mean_payoff for r in reps]),
        "seeds": [r.seed for r in reps],
        "wall_time": float(sum(r.wall_time for r in reps)),
    }
    if reps[0].rate_shares is not None:
        rate_shares: list[np.ndarray] = []
        mean_rate: list[np.ndarray] = []
        for r in reps:  # evolving rates: every replicate of the condition stores both series
            assert r.rate_shares is not None and r.mean_rate is not None
            rate_shares.append(r.rate_shares)
            mean_rate.append(r.mean_rate)
        d["rate_shares"] = np.stack(rate_shares)
        d["mean_rate"] = np.stack(mean_rate)
    for name in reps[0].extra:  # e.g. share_new, share_new_uncommitted (committed agents)
        d[name] = np.stack([r.extra[name] for r in reps])
    return d


def summarise(
    store: Store, hashes: list[str] | None = None, runs: int | None = None
) -> dict[str, Any]:
    """The summary JSON (all stored conditions, or those of ``hashes``, in order):
    ``{"scenario": name, "conditions": [summarise_condition(...), ...]}``.

    ``runs``: summarise only the replicates numbered below it (what ``normsim run``
    asked for), not every stored one. Each condition says how many replicates the
    summary covers (``runs``) and how many are stored (``stored``).
    """
    conds = store.conditions(hashes)
    name = conds[0]["scenario"] if conds else None
    return {
        "scenario": name,
        "conditions": [summarise_condition(store, c, runs=runs) for c in conds],
    }


def shock_new_norms(
    spec: Scenario, shocks: Sequence[int], group: int | None = None
) -> list[int | None]:
    """The norm each shock favours: that of the game played in the generation
    right after it (:func:`normsim.params.game_schedule`: the shocks and the game
    events so far; None where a = b). ``group``: group k's game (its own c and the
    events for everyone or for group k), else the events for everyone."""
    G = spec.schedule.generations
    events = check_events(spec.schedule.events, G)
    c = spec.game.c
    if group is None:
        events = tuple(e for e in events if "group" not in e)
    else:
        gr = spec.population.groups
        c = gr.c[group] if gr is not None and gr.c is not None else c
        events = tuple(e for e in events if e.get("group", group) == group)
    game = spec.game.game()
    if isinstance(game, MatrixGame):  # a shock swaps the norms' roles, events set entries
        entries, index = matrix_schedule(game.entries, tuple(shocks), events, G)
        return [MatrixGame(*entries[int(index[s + 1])]).favoured_norm() for s in shocks]
    games, index = game_schedule(spec.game.a, spec.game.b, c, tuple(shocks), events, G)
    return [CoordinationGame(*games[int(index[s + 1])]).favoured_norm() for s in shocks]


def group_summaries(
    spec: Scenario, series: dict[str, Any], G: int, shocks: Sequence[int]
) -> list[dict[str, Any]]:
    """Per group (:mod:`normsim.groups`): its c, exploration rate and initial share,
    the metrics of each shock (:func:`normsim.studies.metrics.shock_metrics` on the
    group's share of B, the new norm being the one the group's own game favours
    after the shock), its final share of B and mean payoff over the last 10%,
    and with evolving rates its mean rate over the last third."""
    gr = spec.population.groups
    out = []
    k = 0
    while f"group{k}_share_b" in series:
        assert gr is not None  # group series are stored for a grouped population only
        share = series[f"group{k}_share_b"]
        pay = series[f"group{k}_mean_payoff"]
        entry: dict[str, Any] = {
            "group": k,
            "c": gr.c[k]
            if gr.c is not None
            else (spec.game.c if spec.game.matrix is None else None),
            "exploration": (
                gr.exploration[k]
                if gr.exploration is not None
                else spec.dynamics.exploration
                if not isinstance(spec.dynamics.exploration, EvolvingRates)
                else None
            ),
            "initial_b": gr.initial_b[k] if gr.initial_b is not None else spec.population.initial_b,
            "shocks": shock_metrics(
                share, spec.game.game(), shocks, G, shock_new_norms(spec, shocks, k)
            ),
            "final_share_b": final_share(share.mean(axis=0), 0, G),
            "final_mean_payoff": final_share(pay.mean(axis=0), 0, G),
        }
        if f"group{k}_mean_rate" in series:
            rate = series[f"group{k}_mean_rate"]
            entry["mean_rate"] = float(rate[:, G - G // 3 + 1 if G >= 3 else 1 :].mean())
        out.append(entry)
        k += 1
    return out


def summarise_condition(
    store: Store,
    cond: dict[str, Any],
    series: dict[str, Any] | None = None,
    runs: int | None = None,
) -> dict[str, Any]:
    """One stored condition's entry of the summary: its swept parameters, the
    number of replicates, per shock the metrics of :func:`normsim.studies.metrics.shock_metrics`,
    the final share of B, with committed agents ``committed``
    (:func:`normsim.studies.metrics.committed_metrics`) and, with evolving rates, the
    evolved exploration.

    ``cond`` is a row of :meth:`~normsim.store.Store.conditions`; ``series`` defaults to
    :func:`load_series` of it (the replicates numbered below ``runs``, or all)."""
    spec = Scenario.model_validate(cond["resolved"])
    G = spec.schedule.generations
    shocks = spec.schedule.shock_list()
    series = load_series(store, cond["hash"], runs=runs) if series is None else series
    covered = len(series["seeds"]) if series else 0
    entry: dict[str, Any] = {
        "params": cond["params"],
        "runs": covered,
        "stored": cond["n"],
        "generations": G,
        "well_mixed": spec.population.well_mixed,
        "shocks": [],
        "final_share_b": None,
        "exploration": None,
    }
    if not series:
        return entry
    entry["shocks"] = shock_metrics(
        series["share_b"], spec.game.game(), shocks, G, shock_new_norms(spec, shocks)
    )
    entry["final_share_b"] = final_share(series["share_b"].mean(axis=0), 0, G)
    if spec.population.committed is not None and "share_new_uncommitted" in series:
        entry["committed"] = committed_metrics(
            series["share_new"], series["share_new_uncommitted"], G
        )
    if spec.population.groups is not None and "group0_share_b" in series:
        entry["groups"] = group_summaries(spec, series, G, shocks)
    ex = spec.dynamics.exploration
    if isinstance(ex, EvolvingRates) and "rate_shares" in series:
        entry["exploration"] = exploration_metrics(
            series["rate_shares"], series["mean_rate"], ex.rates, shocks
        )
    return entry
