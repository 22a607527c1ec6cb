"""Deprecated: a scenario's cost estimates are :mod:`normsim.scenario.limits`; the
simulation's payoff bounds are in :mod:`normsim.params`.

This path re-exports those names and warns; it is removed in the next release.
"""

import warnings

# the payoff bounds this module had, now beside the parameters they check
from normsim.params import (  # noqa: F401
    SIM_PAYOFF_MAX,
    SIM_PAYOFF_MIN,
    PayoffError,
    check_payoffs,
)
from normsim.scenario.limits import *  # noqa: F403

warnings.warn(
    "normsim.limits is deprecated: import normsim.scenario.limits instead",
    DeprecationWarning,
    stacklevel=2,
)
