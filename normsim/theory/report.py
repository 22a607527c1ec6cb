"""The best available theory for a network, :func:`~normsim.theory.network_prediction`:
the dashed prediction of the plots and the browser page (the package
:mod:`normsim.theory` describes the choice and documents these names as its own).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from normsim.params import ModelParams
from normsim.theory import analytic
from normsim.theory.pairapprox import PairApproximation


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
        tr = analytic.solve_pairwise_game(
            game,
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
