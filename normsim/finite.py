"""Deprecated: the finite population's chain is :mod:`normsim.theory.finite`.

This path re-exports that module's names and warns; it is removed in the next release.
"""

import warnings

from normsim.theory.finite import *  # noqa: F403

warnings.warn(
    "normsim.finite is deprecated: import normsim.theory.finite instead",
    DeprecationWarning,
    stacklevel=2,
)
