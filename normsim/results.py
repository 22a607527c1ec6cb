"""Deprecated: reading and summarising stored results is :mod:`normsim.studies.results`.

This path re-exports that module's names and warns; it is removed in the next release.
"""

import warnings

from normsim.studies.results import *  # noqa: F403

warnings.warn(
    "normsim.results is deprecated: import normsim.studies.results instead",
    DeprecationWarning,
    stacklevel=2,
)
