"""Deprecated: the well-mixed theory is :mod:`normsim.theory.analytic`.

This path re-exports that module's names and warns; it is removed in the next release.
"""

import warnings

from normsim.theory.analytic import *  # noqa: F403

# the mechanisms' models, which this module re-exported
from normsim.theory.mechanics_ode import (  # noqa: F401
    MixedPopulation,
    analyse_mechanics,
    critical_committed_curve,
    critical_committed_fraction,
    mixed_fixed_points,
    mixed_mu_crit,
    mixed_population,
    solve_mechanics,
)

warnings.warn(
    "normsim.analytic is deprecated: import normsim.theory.analytic instead",
    DeprecationWarning,
    stacklevel=2,
)
