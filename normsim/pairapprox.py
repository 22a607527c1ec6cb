"""Deprecated: the pair approximation is :mod:`normsim.theory.pairapprox`.

This path re-exports that module's names and warns; it is removed in the next release.
"""

import warnings

from normsim.theory.pairapprox import *  # noqa: F403

warnings.warn(
    "normsim.pairapprox is deprecated: import normsim.theory.pairapprox instead",
    DeprecationWarning,
    stacklevel=2,
)
