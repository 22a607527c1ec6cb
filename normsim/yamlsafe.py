"""Deprecated: the defensive YAML reader is :mod:`normsim.scenario.yamlsafe`.

This path re-exports that module's names and warns; it is removed in the next release.
"""

import warnings

from normsim.scenario.yamlsafe import *  # noqa: F403

warnings.warn(
    "normsim.yamlsafe is deprecated: import normsim.scenario.yamlsafe instead",
    DeprecationWarning,
    stacklevel=2,
)
