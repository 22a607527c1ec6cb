"""The ``normsim`` command line."""

from normsim.cli.analytic import (
    _STOP_SIGNALS,
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_PLOTS,
    EXIT_USAGE,
    STOP_GRACE,
    Terminated,
    _arm_stop_watchdog,
    _leave_now,
    _loopback,
    build_parser,
    main,
    print_json,
)

__all__ = ["build_parser", "main"]
