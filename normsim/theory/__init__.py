"""Theory: the deterministic descriptions of the dynamics, and the best one for a network.

normsim has four deterministic descriptions of its dynamics, each exact or
good in its own setting:

- the **pair approximation** (:mod:`normsim.theory.pairapprox`) on a k-regular graph
  (a torus, a random regular graph): it follows the density of B and of B-B
  pairs, so it sees the clusters that let a better norm nucleate on a graph;
- the **pairwise-comparison mean field** (:func:`normsim.theory.analytic.solve_pairwise`),
  the large-population limit of the finite chain (:mod:`normsim.theory.finite`) that
  the ``asynchronous`` mode follows exactly on a complete graph;
- the **replicator** (:func:`normsim.theory.analytic.well_mixed_prediction`), the
  paper's comparison, for every other network (its time unit is not a
  generation; normsim draws one time unit per generation).

All three take time in generations; shocks swap a and b as in the simulation.
With evolving exploration rates no theory applies and there is no prediction.

The modules:

- :mod:`normsim.theory.analytic`: the well-mixed replicator(-mutator) and the
  pairwise-comparison mean field;
- :mod:`normsim.theory.mechanics_ode`: their extensions to committed agents,
  conformity and groups (it builds on ``analytic``);
- :mod:`normsim.theory.pairapprox`: the pair approximation (numba);
- :mod:`normsim.theory.finite`: the finite population's Markov chain;
- :mod:`normsim.theory.small_mutation`: k norms in the limit of rare exploration
  (the embedded chain among the monomorphic states);
- :mod:`normsim.theory.naming`: the naming game with committed agents (mean field);
- :mod:`normsim.theory.report`: :func:`network_prediction`, the best of them for
  a network.

The names of :mod:`~normsim.theory.report` (``network_prediction``,
``NetworkPrediction``, ``regular_degree``) are available here; they are loaded on
first use, so that importing :mod:`normsim.theory.analytic` loads no numba.

Examples
--------
>>> from normsim.params import ModelParams
>>> p = ModelParams(network={"kind": "grid", "rows": 20, "cols": 20}, generations=50)
>>> pr = network_prediction(p)
>>> pr.name, pr.share_b.shape
('pair approximation (k = 4)', (51,))
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from normsim.theory.report import NetworkPrediction, network_prediction, regular_degree

_SUBMODULES = (
    "analytic",
    "finite",
    "mechanics_ode",
    "naming",
    "pairapprox",
    "report",
    "small_mutation",
)

__all__ = ["NetworkPrediction", "network_prediction", "regular_degree"]


def __getattr__(name: str) -> Any:
    if name.startswith("__") or name in _SUBMODULES:  # a submodule: the import system's
        raise AttributeError(name)
    if name not in __all__:
        raise AttributeError(f"module 'normsim.theory' has no attribute {name!r}")
    return getattr(importlib.import_module("normsim.theory.report"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
