"""The best available theory for a network: the dashed prediction of the plots and the page.

normsim has four deterministic descriptions of its dynamics, each exact or
good in its own setting:

- the **pair approximation** (:mod:`normsim.pairapprox`) on a k-regular graph
  (a torus, a random regular graph): it follows the density of B and of B-B
  pairs, so it sees the clusters that let a better norm nucleate on a graph;
- the **pairwise-comparison mean field** (:func:`normsim.analytic.solve_pairwise`),
  the large-population limit of the finite chain (:mod:`normsim.finite`) that
  the ``asynchronous`` mode follows exactly on a complete graph;
- the **replicator** (:func:`normsim.analytic.well_mixed_prediction`), the
  paper's comparison, for every other network (its time unit is not a
  generation; normsim draws one time unit per generation).

All three take time in generations; shocks swap a and b as in the simulation.
With evolving exploration rates no theory applies and there is no prediction.

Examples
--------
>>> from normsim.params import ModelParams
>>> p = ModelParams(network={"kind": "grid", "rows": 20, "cols": 20}, generations=50)
>>> pr = network_prediction(p)
>>> pr.name, pr.share_b.shape
('pair approximation (k = 4)', (51,))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from normsim import analytic
from normsim.pairapprox import PairApproximation
from normsim.params import ModelParams


@dataclass(frozen=True)
class NetworkPrediction:
    """A theory's share of B at generations 0..G, and its name for a legend."""

    name: str
    share_b: np.ndarray


def regular_degree(network: Mapping[str, Any]) -> int | None:
    """The degree of a network spec whose every node has the same degree (None if
    not, or not known without building the graph): a periodic grid (4), a
    random regular graph (d), a complete graph (n - 1)."""
    kind = network.get("kind")
    if (
        kind == "grid"
        and network.get("periodic", True)
        and min(network.get("rows", 0), network.get("cols", 0)) >= 3
    ):
        return 4
    if kind == "random_regular":
        return int(network["d"])
    if kind == "complete":
        return int(network["n"]) - 1
    return None


def network_prediction(
    params: ModelParams, network: Mapping[str, Any] | None = None
) -> NetworkPrediction | None:
    """The best available theory for ``params`` on ``network`` (default
    ``params.network``) at generations 0..G, or None with evolving rates.

    A complete graph gets the pairwise-comparison mean field, another k-regular
    graph (k >= 2) the pair approximation, every other graph the replicator.
    """
    if params.evolving:
        return None
    net = params.network if network is None else network
    G = params.generations
    t = np.arange(G + 1, dtype=float)
    k = regular_degree(net)
    game, mu, p0 = params.game, params.exploration, params.initial_b
    if net.get("kind") == "complete":
        tr = analytic.solve_pairwise(
            game.a,
            game.b,
            game.c,
            params.beta,
            mu,
            p0,
            t_max=float(G),
            t_eval=t,
            shocks=params.shocks,
        )
        return NetworkPrediction(
            "pairwise mean field (large-population limit of the finite chain)", tr.y[0]
        )
    if k is not None and k >= 2:
        tr = PairApproximation(game, k, params.beta, mu).solve(
            p0, t_max=float(G), t_eval=t, shocks=params.shocks
        )
        return NetworkPrediction(f"pair approximation (k = {k})", tr.y[0])
    pr = analytic.well_mixed_prediction(game, mu, p0, G, params.shocks)
    return NetworkPrediction("well-mixed replicator (1 time unit = 1 generation)", pr.share_b)
