"""Deprecated: the runner is :mod:`normsim.studies.runner`.

This path re-exports that module's names and warns; it is removed in the next release.
"""

import warnings

from normsim.studies.runner import *  # noqa: F403

warnings.warn(
    "normsim.runner is deprecated: import normsim.studies.runner instead",
    DeprecationWarning,
    stacklevel=2,
)
