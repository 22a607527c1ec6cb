"""A general symmetric 2x2 game, for the theory of the learning rules.

The row player's payoffs, norms ordered A (0), B (1)::

            A   B
    A       R   S
    B       T   P

normsim's coordination game (docs/model/odd.md, 7.1) is the case
``R = a, S = (1 - c) a, T = (1 - c) b, P = b`` (:func:`coordination_matrix`). A
general matrix separates payoff dominance from risk dominance (a stag hunt:
``R > T >= P > S`` with ``R + S < T + P``), which the ``(a, b, c)`` game never
does: there the payoff-dominant norm is always risk dominant.

On a network every edge is one game and an agent's payoff is the sum over its
neighbours. With ``n_A`` neighbours of norm A and ``n_B`` of norm B::

    pi(A) = n_A R + n_B S,     pi(B) = n_A T + n_B P,
    pi(B) - pi(A) = n_B (P - S) - n_A (R - T).

So the game on any graph is a potential game (Monderer & Shapley 1996): with
``phi(A, A) = R - T``, ``phi(B, B) = P - S``, ``phi(A, B) = phi(B, A) = 0`` and
``Phi(x) = sum over edges of phi(x_i, x_j)``, the payoff gain of one agent's
switch equals the change of ``Phi`` (:meth:`MatrixGame.edge_potential`).

Examples
--------
>>> g = coordination_matrix(0.4, 0.6, 0.5)
>>> g.R, g.S, g.T, g.P
(0.4, 0.2, 0.3, 0.6)
>>> g.edge_potential()
(0.10000000000000003, 0.39999999999999997)
>>> g.risk_dominant()
1
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from normsim.errors import NormsimError, check_number
from normsim.game import A, B


@dataclass(frozen=True)
class MatrixGame:
    """The symmetric 2x2 game ``[[R, S], [T, P]]`` (row player's payoffs, A = 0, B = 1).

    Parameters
    ----------
    R, S, T, P : float
        ``u(A, A)``, ``u(A, B)``, ``u(B, A)``, ``u(B, B)``: finite numbers.
    """

    R: float
    S: float
    T: float
    P: float

    def __post_init__(self) -> None:
        for name in ("R", "S", "T", "P"):
            object.__setattr__(self, name, check_number(name, getattr(self, name)))

    def payoff(self, own: int, other: int) -> float:
        """Payoff of one game to a player of norm ``own`` against ``other``."""
        return ((self.R, self.S), (self.T, self.P))[own][other]

    def matrix(self) -> np.ndarray:
        """The 2x2 row-player payoff matrix, rows and columns ordered A, B."""
        return np.array([[self.R, self.S], [self.T, self.P]], dtype=float)

    def total_payoffs(
        self, n_a: int | np.ndarray, n_b: int | np.ndarray
    ) -> tuple[float | np.ndarray, float | np.ndarray]:
        """``(pi(A), pi(B))``: the summed payoffs of each norm against ``n_a`` neighbours of
        norm A and ``n_b`` of norm B (vectorised)."""
        return n_a * self.R + n_b * self.S, n_a * self.T + n_b * self.P

    def edge_potential(self) -> tuple[float, float]:
        """``(phi(A, A), phi(B, B)) = (R - T, P - S)``: the potential of one edge
        (``phi(A, B) = 0``), whose sum over the edges is the network game's potential."""
        return self.R - self.T, self.P - self.S

    def risk_dominant(self) -> int | None:
        """The risk-dominant norm (Harsanyi & Selten 1988): B iff ``P - S > R - T``, A iff
        ``R - T > P - S``; None on a tie."""
        phi_a, phi_b = self.edge_potential()
        if phi_a == phi_b:
            return None
        return B if phi_b > phi_a else A

    def best_response_threshold(self) -> float | None:
        """``q* = (R - T) / ((R - T) + (P - S))``: in a coordination game (both ``R > T``
        and ``P > S``) B is the strict best response iff the share of B among the
        neighbours exceeds ``q*``. None when the game is not a coordination game."""
        phi_a, phi_b = self.edge_potential()
        if phi_a <= 0 or phi_b <= 0:
            return None
        return phi_a / (phi_a + phi_b)

    def payoff_range(self, k_min: int = 1, k_max: int = 1) -> float:
        """The payoff range normsim's Fermi rule divides by (docs/model/odd.md, 7.2).

        The largest difference between two agents' summed payoffs when degrees lie in
        ``[k_min, k_max]``: ``max(u) k_max - min(u) k_min`` for non-negative payoffs
        (which is normsim's ``R = max(a, b) k_max - (1 - c) min(a, b) k_min`` for the
        coordination game); a negative extreme payoff is scaled by the other degree.
        1 when the range is 0, as in normsim.
        """
        hi = max(self.R, self.S, self.T, self.P)
        lo = min(self.R, self.S, self.T, self.P)
        top = hi * (k_max if hi >= 0 else k_min)
        bottom = lo * (k_min if lo >= 0 else k_max)
        r = top - bottom
        return r if r > 0 and math.isfinite(r) else 1.0

    def as_dict(self) -> dict:
        """``{"R": ..., "S": ..., "T": ..., "P": ...}``."""
        return {"R": self.R, "S": self.S, "T": self.T, "P": self.P}


def coordination_matrix(a: float, b: float, c: float) -> MatrixGame:
    """normsim's coordination game as a matrix: ``u(A,A) = a``, ``u(A,B) = (1 - c) a``,
    ``u(B,A) = (1 - c) b``, ``u(B,B) = b``.

    >>> coordination_matrix(1.0, 2.0, 1.0).as_dict()
    {'R': 1.0, 'S': 0.0, 'T': 0.0, 'P': 2.0}
    """
    a = check_number("a", a, low=0.0, low_open=True)
    b = check_number("b", b, low=0.0, low_open=True)
    c = check_number("c", c, low=0.0, high=1.0)
    return MatrixGame(R=a, S=(1.0 - c) * a, T=(1.0 - c) * b, P=b)


def as_matrix_game(game: object) -> MatrixGame:
    """A :class:`MatrixGame`, an object with ``a``, ``b``, ``c`` (a
    :class:`~normsim.game.CoordinationGame`) or a 2x2 array, as a :class:`MatrixGame`."""
    if isinstance(game, MatrixGame):
        return game
    if all(hasattr(game, k) for k in ("a", "b", "c")):
        return coordination_matrix(game.a, game.b, game.c)  # type: ignore[attr-defined]
    arr = np.asarray(game, dtype=float)
    if arr.shape != (2, 2):
        raise NormsimError(f"game: expected a 2x2 payoff matrix, got shape {arr.shape}")
    return MatrixGame(*(float(v) for v in arr.ravel()))
