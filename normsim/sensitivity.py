"""Deprecated: sensitivity analysis is :mod:`normsim.studies.sensitivity`.

This path re-exports that module's names and warns; it is removed in the next release.
"""

import warnings

from normsim.studies.sensitivity import *  # noqa: F403

warnings.warn(
    "normsim.sensitivity is deprecated: import normsim.studies.sensitivity instead",
    DeprecationWarning,
    stacklevel=2,
)
