"""Deprecated: the native generators are :mod:`normsim.networks.generators`.

This path re-exports that module's names and warns; it is removed in the next release.
"""

import warnings

from normsim.networks.generators import *  # noqa: F403

warnings.warn(
    "normsim.generators is deprecated: import normsim.networks.generators instead",
    DeprecationWarning,
    stacklevel=2,
)
