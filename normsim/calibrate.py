"""Deprecated: calibration is :mod:`normsim.studies.calibrate`.

This path re-exports that module's names and warns; it is removed in the next release.
"""

import warnings

from normsim.studies.calibrate import *  # noqa: F403

warnings.warn(
    "normsim.calibrate is deprecated: import normsim.studies.calibrate instead",
    DeprecationWarning,
    stacklevel=2,
)
