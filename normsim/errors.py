"""normsim's one exception for bad input, and the number checks that raise it.

Every module that validates input imports these from here: the command line
prints a :class:`~normsim.errors.NormsimError`'s message on one line and exits with status 1.

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
import reprlib
from numbers import Real

_REPR = reprlib.Repr(
    maxlevel=3, maxdict=4, maxlist=6, maxtuple=6, maxset=6, maxstring=60, maxlong=40, maxother=60
)


class NormsimError(ValueError):
    """Invalid input to normsim (a parameter, a scenario, a file).

    The command line prints the message of this exception on one line and
    exits with status 1; it never shows a traceback for it.
    """


def excerpt(value: object) -> str:
    """A bounded ``repr`` of ``value`` for an error message (at most about 80 characters
    whatever the value holds: long texts, big lists and deep nesting are cut with ``...``).

    >>> len(excerpt("x" * 10**6))
    60
    >>> excerpt(list(range(100)))
    '[0, 1, 2, 3, 4, 5, ...]'
    """
    text = _REPR.repr(value)
    return text if len(text) <= 120 else text[:57] + "..." + text[-57:]


def check_number(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> float:
    """Return ``value`` as a float or raise :class:`~normsim.errors.NormsimError`.

    ``low``/``high`` are inclusive bounds unless ``low_open`` is set, in which
    case ``value`` must be strictly greater than ``low``.
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        raise NormsimError(f"{name}: {excerpt(value)} is not a number")
    try:
        x = float(value)
    except OverflowError:  # an integer beyond the range of a float
        x = math.inf
    if not math.isfinite(x):
        raise NormsimError(f"{name}: {excerpt(value)} is not a finite number")
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
