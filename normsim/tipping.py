"""Deprecated: the tipping-point search is :mod:`normsim.studies.tipping`.

This path re-exports that module's names and warns; it is removed in the next release.
"""

import warnings

from normsim.studies.tipping import *  # noqa: F403

warnings.warn(
    "normsim.tipping is deprecated: import normsim.studies.tipping instead",
    DeprecationWarning,
    stacklevel=2,
)
