"""The compiled engine of the agent-based model (docs/model/odd.md).

- :mod:`normsim.engine.core`: :func:`simulate` and the
  Python that prepares the kernels' arguments (payoff classes, Fermi tables,
  mechanisms, outputs);
- :mod:`normsim.engine.kernels`: the numba kernels, in a module of their own so
  that editing the Python around them keeps their compiled cache valid;
- :mod:`normsim.engine.cache`: where the compiled kernels are kept (one
  per-user folder, safe for concurrent processes);
- :mod:`normsim.engine.warm`: ``python -m normsim.engine.warm`` compiles the
  kernel variants ahead of time.

The names of :mod:`normsim.engine.core` (``simulate``, ``Series``, ``tables``
...) are available here as before; they are loaded on first use, so that
``import normsim`` and modules that only need the cache load no kernel.
"""

from __future__ import annotations

import importlib
from typing import Any

_SUBMODULES = ("cache", "core", "kernels", "warm")

__all__ = [
    "Series",
    "Tables",
    "committed_shares",
    "mean_payoff_series",
    "initial_arrays",
    "mech_args",
    "replicate_adjacency",
    "replicate_groups",
    "simulate",
    "tables",
    "threshold32",
]


def __getattr__(name: str) -> Any:
    if name.startswith("__") or name in _SUBMODULES:  # a submodule: the import system's
        raise AttributeError(name)
    core = importlib.import_module("normsim.engine.core")
    try:
        return getattr(core, name)
    except AttributeError:
        raise AttributeError(f"module 'normsim.engine' has no attribute {name!r}") from None


def __dir__() -> list[str]:
    core = importlib.import_module("normsim.engine.core")
    return sorted(set(globals()) | set(dir(core)))
