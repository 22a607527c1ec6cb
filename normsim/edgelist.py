"""Deprecated: the edge-list loader is :mod:`normsim.networks.edgelist`, and
``node_labels`` is :func:`normsim.networks.node_labels`.

This path re-exports their names and warns; it is removed in the next release.
"""

import warnings

from normsim.networks.edgelist import *  # noqa: F403
from normsim.networks.spec import node_labels  # noqa: F401

warnings.warn(
    "normsim.edgelist is deprecated: import normsim.networks.edgelist instead "
    "(node_labels: normsim.networks)",
    DeprecationWarning,
    stacklevel=2,
)
