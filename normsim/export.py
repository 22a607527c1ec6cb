"""Deprecated: exporting the store is :mod:`normsim.studies.export`.

This path re-exports that module's names and warns; it is removed in the next release.
"""

import warnings

from normsim.studies.export import *  # noqa: F403

warnings.warn(
    "normsim.export is deprecated: import normsim.studies.export instead",
    DeprecationWarning,
    stacklevel=2,
)
