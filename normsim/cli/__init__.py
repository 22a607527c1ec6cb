"""The ``normsim`` command line: :func:`main` (the console script) and :func:`build_parser`.

One module per group of commands, each adding its commands' options beside their handlers:
:mod:`~normsim.cli.analytic` (``analytic``), :mod:`~normsim.cli.run` (``validate``, ``run``,
``summary``, ``export``), :mod:`~normsim.cli.example` (``example``),
:mod:`~normsim.cli.studies` (``sensitivity``, ``calibrate``, ``tipping``) and
:mod:`~normsim.cli.viz` (``viz``); :mod:`~normsim.cli.common` holds what they share and
:mod:`~normsim.cli.entry` the parser, :func:`main` and the handling of stop signals (its
``STOP_GRACE`` is the one the stop watchdog reads).
"""

from normsim.cli.common import (
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_PLOTS,
    EXIT_USAGE,
    Terminated,
    print_json,
)

# with the private names of the stop handling (_STOP_SIGNALS, _arm_stop_watchdog,
# _leave_now), reachable here as they were before the split into modules
from normsim.cli.entry import (  # noqa: F401
    _STOP_SIGNALS,
    STOP_GRACE,
    _arm_stop_watchdog,
    _leave_now,
    build_parser,
    main,
)

__all__ = [
    "EXIT_FAILED",
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_PLOTS",
    "EXIT_USAGE",
    "STOP_GRACE",
    "Terminated",
    "build_parser",
    "main",
    "print_json",
]
