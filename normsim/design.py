"""Deprecated: sampling designs are :mod:`normsim.scenario.design`.

This path re-exports that module's names and warns; it is removed in the next release.
"""

import warnings

# the names this module had that now live in the scenario's other modules
from normsim.scenario.condition import PointConditions  # noqa: F401
from normsim.scenario.design import *  # noqa: F403
from normsim.scenario.schema import numeric_paths  # noqa: F401

warnings.warn(
    "normsim.design is deprecated: import normsim.scenario.design instead",
    DeprecationWarning,
    stacklevel=2,
)
