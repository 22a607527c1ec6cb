"""Deprecated: the mechanisms' mean-field theory is :mod:`normsim.theory.mechanics_ode`.

This path re-exports that module's names and warns; it is removed in the next release.
"""

import warnings

from normsim.theory.mechanics_ode import *  # noqa: F403

warnings.warn(
    "normsim.mechanics_ode is deprecated: import normsim.theory.mechanics_ode instead",
    DeprecationWarning,
    stacklevel=2,
)
