"""The two-norm coordination game (docs/model/odd.md, 7.1).

Payoff to the focal player (row) against the partner (column)::

            A            B
    A       a        (1 - c) a
    B   (1 - c) b        b

A miscoordinating player keeps a fraction ``1 - c`` of what its own norm earns
when both coordinate on it. A *shock* swaps ``a`` and ``b``.

Norms are coded as integers everywhere in normsim: ``A = 0`` and ``B = 1``.

Examples
--------
>>> g = CoordinationGame(a=0.4, b=0.6, c=0.5)
>>> g.payoff(B, A)
0.3
>>> g.shocked().a
0.6
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import overload

import numpy as np

from normsim.errors import NormsimError, check_number, excerpt

A: int = 0
B: int = 1
NORM_NAMES = ("A", "B")
#: the shares of the new norm whose first-passage times the theory reports (t50, t90, t99)
LEVELS = (0.5, 0.9, 0.99)


@dataclass(frozen=True)
class CoordinationGame:
    """The coordination game with payoffs ``a``, ``b`` and need for coordination ``c``.

    Parameters
    ----------
    a, b : float
        Payoff of coordinating on A and on B (both > 0).
    c : float
        Need for coordination in [0, 1]; 0 is a "loose" society, 1 a "tight" one.
    """

    a: float
    b: float
    c: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "a", check_number("a", self.a, low=0.0, low_open=True))
        object.__setattr__(self, "b", check_number("b", self.b, low=0.0, low_open=True))
        object.__setattr__(self, "c", check_number("c", self.c, low=0.0, high=1.0))

    def own_payoff(self, norm: int) -> float:
        """What ``norm`` earns when both players coordinate on it."""
        return self.a if norm == A else self.b

    def payoff(self, own: int, other: int) -> float:
        """Payoff of one game to a player of norm ``own`` against ``other``."""
        v = self.own_payoff(own)
        return v if own == other else (1.0 - self.c) * v

    def total_payoff(self, own: int, n_same: int, n_other: int) -> float:
        """Summed payoff of ``n_same`` coordinated and ``n_other`` miscoordinated games.

        This is the one formula for an agent's game-phase payoff (docs/model/odd.md,
        7.2: every edge played once, payoffs summed). The engine, the Mesa
        model and the tests all use it, so their payoffs agree to the last bit.
        """
        return self.own_payoff(own) * (n_same + (1.0 - self.c) * n_other)

    @overload
    def mean_payoff(self, e_aa: int, e_ab: int, e_bb: int, n: int) -> float: ...
    @overload
    def mean_payoff(
        self, e_aa: np.ndarray, e_ab: np.ndarray, e_bb: np.ndarray, n: int
    ) -> np.ndarray: ...
    def mean_payoff(
        self, e_aa: int | np.ndarray, e_ab: int | np.ndarray, e_bb: int | np.ndarray, n: int
    ) -> float | np.ndarray:
        """Mean game-phase payoff of ``n`` agents, from the counts of AA, AB and BB edges.

        Equal to the mean of :meth:`total_payoff` over the agents (every edge is
        played once by each end), computed in this one order-independent way by
        the engine and the Mesa model alike.
        """
        return (
            self.a * (2 * e_aa + (1.0 - self.c) * e_ab)
            + self.b * (2 * e_bb + (1.0 - self.c) * e_ab)
        ) / n

    def matrix(self) -> np.ndarray:
        """The 2x2 row-player payoff matrix, rows and columns ordered A, B."""
        return np.array(
            [[self.payoff(A, A), self.payoff(A, B)], [self.payoff(B, A), self.payoff(B, B)]]
        )

    def shocked(self) -> CoordinationGame:
        """The game after a shock: ``a`` and ``b`` swapped."""
        return CoordinationGame(a=self.b, b=self.a, c=self.c)

    def favoured_norm(self) -> int | None:
        """The norm that pays more when coordinated on (None if a == b)."""
        if self.a == self.b:
            return None
        return A if self.a > self.b else B

    def fitness(self, p: float | np.ndarray) -> tuple:
        """Fitness ``(f_A, f_B)`` of each norm in a well-mixed population with share
        ``p`` of B (the expected payoff of one game against a random partner):
        ``f_A = a (1 - c p)``, ``f_B = b (1 - c (1 - p))``. Vectorised over ``p``.

        >>> CoordinationGame(0.4, 0.6, 0.5).fitness(0.5)
        (0.30000000000000004, 0.44999999999999996)
        """
        return fitness(self.a, self.b, self.c, p)

    def mean_fitness(self, p: float | np.ndarray) -> float | np.ndarray:
        """Mean payoff of one game in a well-mixed population with share ``p`` of B."""
        f_a, f_b = self.fitness(p)
        return (1 - p) * f_a + p * f_b

    def payoff_range(self, k_min: int = 1, k_max: int = 1) -> float:
        """Payoff range R used to normalise the Fermi rule (docs/model/odd.md, 7.2).

        ``R = max(a, b) * k_max - (1 - c) * min(a, b) * k_min``: on a network the
        spread of summed payoffs between the best-off agent of the largest degree
        and the worst-off agent of the smallest; with the default degrees 1 the
        range of one game, ``R1 = max(a, b) - (1 - c) min(a, b)``. It is symmetric
        in a and b, so a shock leaves it unchanged. In the degenerate case R = 0
        (c = 0, a = b on a regular graph: every payoff is equal) normsim uses
        R = 1 so that the Fermi rule stays defined.
        """
        r = max(self.a, self.b) * k_max - (1.0 - self.c) * min(self.a, self.b) * k_min
        return r if r > 0 else 1.0

    def threshold_c(self) -> float:
        """``c* = |b - a| / max(a, b)``: above it the old norm resists a shock in a
        well-mixed population (docs/model/odd.md, 7.8)."""
        return abs(self.b - self.a) / max(self.a, self.b)

    def payoff_bounds(self, k_min: int = 1, k_max: int = 1) -> tuple[float, float]:
        """``(top, bottom)``: the largest and smallest summed payoff of an agent with
        k_min..k_max neighbours, ``max(a, b) k_max`` and ``(1 - c) min(a, b) k_min``
        (:meth:`payoff_range` is their difference)."""
        return max(self.a, self.b) * k_max, (1.0 - self.c) * min(self.a, self.b) * k_min

    def scaled(self, factor: float) -> CoordinationGame:
        """The game with every payoff divided by ``factor`` > 0 (c unchanged). It is
        for computing, not checked again: a payoff far below the other may underflow
        to 0 (a = 1e308, b = 1e-308 scaled by 1e308)."""
        g = object.__new__(CoordinationGame)
        for name, value in (("a", self.a / factor), ("b", self.b / factor), ("c", self.c)):
            object.__setattr__(g, name, value)
        return g

    def scale(self) -> float:
        """The largest absolute payoff, ``max(a, b)`` (what :meth:`scaled` divides by
        to keep sums of payoffs away from overflow)."""
        return max(self.a, self.b)

    def risk_dominant_norm(self) -> int | None:
        """The risk-dominant norm (Harsanyi & Selten 1988), None on a tie.

        B is risk dominant iff its deviation loss ``b - (1 - c) a`` exceeds A's,
        ``a - (1 - c) b``; the difference is ``(2 - c)(b - a)``, so for every c
        the risk-dominant norm is the payoff-dominant one (:meth:`favoured_norm`).
        """
        return self.favoured_norm()

    def as_matrix_game(self) -> MatrixGame:
        """The same game as a :class:`MatrixGame` (its entries :meth:`matrix`)."""
        (r, s), (t, p) = self.matrix().tolist()
        return MatrixGame(r, s, t, p)


@dataclass(frozen=True)
class MatrixGame:
    """A general symmetric 2 x 2 game, payoff to the row player::

                A    B
        A       R    S
        B       T    P

    (``R``: reward of coordinating on A, ``S``: what A earns against B, ``T``: what
    B earns against A, ``P``: B's payoff against B.) Any finite entries. A *shock*
    swaps the roles of the two norms: ``[[P, T], [S, R]]``. An agent of norm A with
    ``n_A`` A-neighbours and ``n_B`` B-neighbours earns ``R n_A + S n_B``, one of
    norm B ``T n_A + P n_B``.

    On a network every edge is one game, and the game on any graph is a potential
    game (Monderer & Shapley 1996): ``pi(B) - pi(A) = n_B (P - S) - n_A (R - T)``, so
    with ``phi(A, A) = R - T``, ``phi(B, B) = P - S``, ``phi(A, B) = 0``
    (:meth:`edge_potential`) and ``Phi(x)`` the sum of ``phi`` over the edges, one
    agent's payoff gain from a switch is the change of ``Phi``. normsim's
    coordination game is the case ``R = a, S = (1 - c) a, T = (1 - c) b, P = b``
    (:meth:`CoordinationGame.as_matrix_game`).

    >>> g = MatrixGame(4.0, 0.0, 3.0, 2.0)     # the stag hunt preset
    >>> g.favoured_norm(), g.risk_dominant_norm()
    (0, 1)
    >>> g.shocked()
    MatrixGame(R=2.0, S=3.0, T=0.0, P=4.0)
    """

    R: float
    S: float
    T: float
    P: float

    def __post_init__(self) -> None:
        for name in ("R", "S", "T", "P"):
            object.__setattr__(self, name, check_number(f"game.{name}", getattr(self, name)))

    @classmethod
    def from_matrix(cls, matrix: object, where: str = "game.matrix") -> MatrixGame:
        """The game of ``[[R, S], [T, P]]``, or a one-line
        :class:`~normsim.errors.NormsimError` naming ``where`` when it is not a 2 x 2
        matrix of finite numbers."""
        return cls(*check_matrix(matrix, where))

    @property
    def entries(self) -> tuple[float, float, float, float]:
        """``(R, S, T, P)``."""
        return (self.R, self.S, self.T, self.P)

    def payoff(self, own: int, other: int) -> float:
        """Payoff of one game to a player of norm ``own`` against ``other``."""
        if own == A:
            return self.R if other == A else self.S
        return self.T if other == A else self.P

    def total_payoff(self, own: int, n_same: int, n_other: int) -> float:
        """Summed payoff of ``n_same`` games against the agent's own norm and ``n_other``
        against the other: ``R n_A + S n_B`` for A, ``T n_A + P n_B`` for B."""
        if own == A:
            return self.R * n_same + self.S * n_other
        return self.T * n_other + self.P * n_same

    @overload
    def mean_payoff(self, e_aa: int, e_ab: int, e_bb: int, n: int) -> float: ...
    @overload
    def mean_payoff(
        self, e_aa: np.ndarray, e_ab: np.ndarray, e_bb: np.ndarray, n: int
    ) -> np.ndarray: ...
    def mean_payoff(
        self, e_aa: int | np.ndarray, e_ab: int | np.ndarray, e_bb: int | np.ndarray, n: int
    ) -> float | np.ndarray:
        """Mean game-phase payoff of ``n`` agents from the counts of AA, AB and BB edges
        (each edge played once by each end): ``(2 R e_AA + (S + T) e_AB + 2 P e_BB) / n``."""
        return (2 * self.R * e_aa + (self.S + self.T) * e_ab + 2 * self.P * e_bb) / n

    def total_payoffs(
        self, n_a: int | np.ndarray, n_b: int | np.ndarray
    ) -> tuple[float | np.ndarray, float | np.ndarray]:
        """``(pi(A), pi(B))``: the summed payoffs of each norm against ``n_a`` neighbours of
        norm A and ``n_b`` of norm B (vectorised).

        >>> MatrixGame(4.0, 0.0, 3.0, 2.0).total_payoffs(2, 1)
        (8.0, 8.0)
        """
        return n_a * self.R + n_b * self.S, n_a * self.T + n_b * self.P

    def matrix(self) -> np.ndarray:
        """The 2x2 row-player payoff matrix, rows and columns ordered A, B."""
        return np.array([[self.R, self.S], [self.T, self.P]])

    def as_dict(self) -> dict[str, float]:
        """``{"R": ..., "S": ..., "T": ..., "P": ...}``."""
        return {"R": self.R, "S": self.S, "T": self.T, "P": self.P}

    def edge_potential(self) -> tuple[float, float]:
        """``(phi(A, A), phi(B, B)) = (R - T, P - S)``: the potential of one edge
        (``phi(A, B) = 0``), whose sum over the edges is the network game's potential;
        each is also the deviation loss of its norm (:meth:`risk_dominant_norm`)."""
        return self.R - self.T, self.P - self.S

    def best_response_threshold(self) -> float | None:
        """``q* = (R - T) / ((R - T) + (P - S))``: in a coordination game (``R > T`` and
        ``P > S``) B is the strict best response iff the share of B among the neighbours
        exceeds ``q*``. None when the game is not a coordination game.

        >>> MatrixGame(4.0, 0.0, 3.0, 2.0).best_response_threshold()
        0.3333333333333333
        """
        phi_a, phi_b = self.edge_potential()
        if phi_a <= 0 or phi_b <= 0:
            return None
        return phi_a / (phi_a + phi_b)

    def shocked(self) -> MatrixGame:
        """The game after a shock: the norms swap roles, ``[[P, T], [S, R]]``."""
        return MatrixGame(self.P, self.T, self.S, self.R)

    def favoured_norm(self) -> int | None:
        """The payoff-dominant norm: A if R > P, B if P > R (None on a tie)."""
        if self.R == self.P:
            return None
        return A if self.R > self.P else B

    def risk_dominant_norm(self) -> int | None:
        """The risk-dominant norm (Harsanyi & Selten 1988): B iff its deviation loss
        ``P - S`` exceeds A's, ``R - T`` (None on a tie). In a stag hunt it differs
        from :meth:`favoured_norm`."""
        if self.P - self.S == self.R - self.T:
            return None
        return B if self.P - self.S > self.R - self.T else A

    def fitness(self, p: float | np.ndarray) -> tuple:
        """Fitness ``(f_A, f_B)`` at share ``p`` of B in a well-mixed population:
        ``f_A = R (1 - p) + S p``, ``f_B = T (1 - p) + P p``. Vectorised over ``p``."""
        return self.R * (1.0 - p) + self.S * p, self.T * (1.0 - p) + self.P * p

    def mean_fitness(self, p: float | np.ndarray) -> float | np.ndarray:
        """Mean payoff of one game in a well-mixed population with share ``p`` of B."""
        f_a, f_b = self.fitness(p)
        return (1 - p) * f_a + p * f_b

    def payoff_bounds(self, k_min: int = 1, k_max: int = 1) -> tuple[float, float]:
        """``(top, bottom)``: the largest and smallest summed payoff an agent with
        k_min..k_max neighbours can get (the largest entry times k_max, or k_min when
        it is negative; the smallest entry likewise)."""
        hi, lo = max(self.entries), min(self.entries)
        return max(hi * k_max, hi * k_min), min(lo * k_min, lo * k_max)

    def payoff_range(self, k_min: int = 1, k_max: int = 1) -> float:
        """Payoff range R of the Fermi rule (docs/model/odd.md, 7.2): the spread
        ``top - bottom`` of :meth:`payoff_bounds` (1 when it is 0: every payoff equal).
        A shock leaves it unchanged."""
        top, bottom = self.payoff_bounds(k_min, k_max)
        r = top - bottom
        return r if r > 0 else 1.0

    def scaled(self, factor: float) -> MatrixGame:
        """The game with every entry divided by ``factor`` > 0."""
        return MatrixGame(self.R / factor, self.S / factor, self.T / factor, self.P / factor)

    def scale(self) -> float:
        """The largest absolute entry (1 when every entry is 0)."""
        return max(abs(x) for x in self.entries) or 1.0


#: either kind of game, the (a, b, c) coordination game or a general 2 x 2 matrix
Game = CoordinationGame | MatrixGame


def check_matrix(matrix: object, where: str = "game.matrix") -> tuple[float, float, float, float]:
    """``(R, S, T, P)`` of ``[[R, S], [T, P]]``, or a one-line
    :class:`~normsim.errors.NormsimError` starting with ``where``."""
    rows = matrix.tolist() if isinstance(matrix, np.ndarray) else matrix
    if (
        not isinstance(rows, (list, tuple))
        or len(rows) != 2
        or not all(isinstance(r, (list, tuple)) and len(r) == 2 for r in rows)
    ):
        raise NormsimError(f"{where}: {excerpt(matrix)} is not a 2 x 2 matrix [[R, S], [T, P]]")
    names = (("R", "S"), ("T", "P"))
    return tuple(  # type: ignore[return-value]
        check_number(f"{where}.{names[i][j]}", rows[i][j]) for i in range(2) for j in range(2)
    )


def as_matrix_game(game: Game | object) -> MatrixGame:
    """``game`` as a :class:`MatrixGame`: a :class:`MatrixGame` itself, a
    :class:`CoordinationGame` (:meth:`CoordinationGame.as_matrix_game`) or a 2 x 2
    matrix ``[[R, S], [T, P]]`` (a one-line :class:`~normsim.errors.NormsimError`
    otherwise).

    >>> as_matrix_game(CoordinationGame(1.0, 2.0, 1.0)).as_dict()
    {'R': 1.0, 'S': 0.0, 'T': 0.0, 'P': 2.0}
    """
    if isinstance(game, MatrixGame):
        return game
    if isinstance(game, CoordinationGame):
        return game.as_matrix_game()
    return MatrixGame.from_matrix(game, where="game")


#: the named games of ``game: {preset: NAME}``; ``coordination`` takes a, b, c (the
#: defaults of normsim.parameters), a matrix preset its entries ``R``, ``S``, ``T``, ``P``.
#: ``stag_hunt``: R > T > P > S and R + S < T + P, so that the payoff-dominant norm
#: (A, the stag: R > P) is not the risk-dominant one (B, the hare: P - S = 2 > R - T = 1);
#: every entry differs, and the replicator's tipping point is p* = 1/3 of B.
PRESETS: dict[str, dict[str, float] | None] = {
    "coordination": None,
    "stag_hunt": {"R": 4.0, "S": 0.0, "T": 3.0, "P": 2.0},
}


def fitness(a: float | np.ndarray, b: float | np.ndarray, c: float, p: float | np.ndarray) -> tuple:
    """``(f_A, f_B)`` at share ``p`` of B for plain numbers (see
    :meth:`CoordinationGame.fitness`; the analytic module's right-hand sides call
    this without building a game at every step). ``a`` and ``b`` may be arrays too
    (per time, the game in force after the shocks)."""
    return a * (1.0 - c * p), b * (1.0 - c * (1.0 - p))


def fermi_probability(pi_teacher: float, pi_learner: float, beta: float, R: float) -> float:
    """Probability that a learner copies a teacher under the Fermi rule.

    ``1 / (1 + exp(-beta * (pi_teacher - pi_learner) / R))``. The engine's
    lookup tables are filled by this exact expression.
    """
    z = -beta * (pi_teacher - pi_learner) / R
    if z > 700.0:  # exp would overflow; the compiled kernels get 1 / (1 + inf) = 0 here too
        return 0.0
    return 1.0 / (1.0 + math.exp(z))
