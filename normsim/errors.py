"""normsim's one exception for bad input, and the number checks that raise it.

Every module that validates input imports these from here: the command line
prints a :class:`NormsimError`'s message on one line and exits with status 1.

Examples
--------
>>> check_number("game.c", 0.5, low=0.0, high=1.0)
0.5
>>> check_number("game.c", 1.5, low=0.0, high=1.0)
Traceback (most recent call last):
...
normsim.errors.NormsimError: game.c: 1.5 is outside [0, 1]
"""

from __future__ import annotations

import math
from numbers import Real


class NormsimError(ValueError):
    """Invalid input to normsim (a parameter, a scenario, a file).

    The command line prints the message of this exception on one line and
    exits with status 1; it never shows a traceback for it.
    """


def check_number(name: str, value: object, *, low: float | None = None,
                 high: float | None = None, low_open: bool = False) -> float:
    """Return ``value`` as a float or raise :class:`NormsimError`.

    ``low``/``high`` are inclusive bounds unless ``low_open`` is set, in which
    case ``value`` must be strictly greater than ``low``.
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        raise NormsimError(f"{name}: {value!r} is not a number")
    x = float(value)
    if not math.isfinite(x):
        raise NormsimError(f"{name}: {value!r} is not a finite number")
    if low is not None and (x <= low if low_open else x < low):
        if high is None:
            op = ">" if low_open else ">="
            raise NormsimError(f"{name}: {value!r} must be {op} {low:g}")
        bracket = "(" if low_open else "["
        raise NormsimError(f"{name}: {value!r} is outside {bracket}{low:g}, {high:g}]")
    if high is not None and x > high:
        bracket = "(" if low_open else "["
        lo = "-inf" if low is None else f"{low:g}"
        raise NormsimError(f"{name}: {value!r} is outside {bracket}{lo}, {high:g}]")
    return x
