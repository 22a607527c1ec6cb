"""Deprecated: the inertia metrics is :mod:`normsim.studies.metrics`.

This path re-exports that module's names and warns; it is removed in the next release.
"""

import warnings

from normsim.studies.metrics import *  # noqa: F403

warnings.warn(
    "normsim.metrics is deprecated: import normsim.studies.metrics instead",
    DeprecationWarning,
    stacklevel=2,
)
