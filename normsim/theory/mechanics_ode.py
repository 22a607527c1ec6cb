"""Well-mixed mean fields of the norm-change mechanisms: committed agents, conformity, groups.

The infinite well-mixed counterpart of the mechanisms of :mod:`normsim.mechanisms`
and :mod:`normsim.groups` (docs/guide/theory.md), for the two imitation rules of
:mod:`normsim.theory.analytic`: the replicator(-mutator) dynamic and the
pairwise-comparison (Fermi) mean field.
B is the new norm (the game is the one after the shock, as everywhere in
:mod:`normsim.theory.analytic`).

The model
---------
The population is split into groups ``g = 1..G`` (``G = 1`` or 2 in practice,
any ``G`` works) of population shares ``n_g``; group ``g`` has its own need for
coordination ``c_g`` and exploration rate ``mu_g``. In every group a fraction
``Z_g`` is *committed* to B: they play and can be imitated but never update.
The state is ``x_g``, the share of B among the uncommitted of group ``g``; the
share of B in group ``g`` is ``p_g = Z_g + (1 - Z_g) x_g``.

*Mixing.* An agent of group ``g`` meets (plays, picks a teacher, samples its
conformity sample) an agent of group ``h`` with probability
``M_gh = (1 - w) [g = h] + w n_h``, where ``w`` is the between-group weight:
``w = 1`` (the default) is random mixing across the whole population, ``w = 0``
groups that never meet. It meets B with probability ``q_g = sum_h M_gh p_h``,
and its fitness (expected payoff of one game, with its own ``c_g``) is
``f_A,g = a (1 - c_g q_g)`` and ``f_B,g = b (1 - c_g (1 - q_g))``.

*Conformity.* With probability ``gamma`` an updating agent conforms instead of
imitating: it samples ``k`` agents (``sample``; drawn as its teachers are) and
adopts their majority norm, keeping its own on a tie, so an A-player switches
with ``M+ = P(Bin(k, q_g) > k/2)`` and a B-player with ``M- = P(Bin(k, q_g) <
k/2)``. This is the well-mixed limit of a learner that looks at ``k`` random
neighbours (De, Nau, Pan & Gelfand 2018): on a network the
majority is taken over the ``k`` neighbours, and in a well-mixed population the
neighbours are a random sample, so ``k`` should be the degree of the network
compared with (4 on the paper's torus, the default). The other conceivable
limit, ``k -> infinity`` (adopt the population majority), turns the field into
a step function of ``q_g`` with no derivative at ``q = 1/2``, so that fixed
points and their stability are no longer defined; a finite sample keeps the
field smooth and is what an agent on a network of degree ``k`` sees.

*The replicator* (``model="replicator"``, time in the payoff units of
:func:`normsim.theory.analytic.rhs`). Every uncommitted agent updates at the rate
``phi_g = sum_h M_gh ((1 - p_h) f_A,h + p_h f_B,h)`` (the mean fitness it
meets). With probability ``1 - gamma`` it copies a teacher drawn from the
agents it meets with probability proportional to the teacher's fitness
(committed teachers included; a teacher's fitness uses the teacher's own
group's ``c``); with probability ``gamma`` it conforms; in either branch the
result then flips to the other norm with probability ``mu_g`` (the mutation of
the replicator-mutator)::

    dx_g/dt = (1 - gamma) [(1 - mu_g) sum_h M_gh p_h f_B,h + mu_g sum_h M_gh (1 - p_h) f_A,h
                           - x_g phi_g]
              + gamma phi_g [(1 - x_g) ((1 - mu_g) M+ + mu_g (1 - M+))
                             - x_g ((1 - mu_g) M- + mu_g (1 - M-))]

The learner's own payoff does not enter this rule (it picks its teacher by
fitness), so a group's ``c`` acts through how attractive its members are as
teachers, and with ``w = 1`` every group holds the same uncommitted share of B
(with ``w < 1`` they differ). Without committed agents, conformity and groups this *is*
:func:`normsim.theory.analytic.rhs` (the replicator-mutator
``p (1 - p)(f_B - f_A) + mu ((1 - p) f_A - p f_B)``) to the last term: the
fitness-proportional teacher is how the replicator-mutator arises from
imitation. Committed B-players are copied like any other B-player, which is why
even a small committed fraction moves the old-norm equilibrium off 0.

*The pairwise-comparison mean field* (``model="pairwise"``, time in
generations, as :func:`normsim.theory.analytic.pairwise_rhs`). An uncommitted agent updates once per
unit time: with probability ``mu_g`` it explores (takes a random norm, so
switches with ``mu_g / 2``), else with probability ``gamma`` it conforms, else
it compares itself with a random teacher of the agents it meets and copies it
with the Fermi probability ``W(d) = 1 / (1 + exp(-beta d / R_g))``, ``d`` the
teacher's fitness minus its own and ``R_g = max(a, b) - (1 - c_g) min(a, b)``
(normsim's ``R1`` with the learner's ``c``)::

    dx_g/dt = (1 - x_g) [mu_g/2 + (1 - mu_g)(gamma M+
                                              + (1 - gamma) sum_h M_gh p_h W(f_B,h - f_A,g))]
              - x_g [mu_g/2 + (1 - mu_g)(gamma M-
                                         + (1 - gamma) sum_h M_gh (1 - p_h) W(f_A,h - f_B,g))]

With committed agents this is the committed-minority field, whose variable
(the uncommitted B-players among everyone) is our ``(1 - Z) x``; with
conformity, the conformity field; without the mechanisms,
:func:`normsim.theory.analytic.pairwise_rhs`. Exploring first, in either branch, is
how normsim's ``synchronous`` and ``sequential`` modes combine exploration with
conformity.

The critical committed fraction
-------------------------------
:func:`critical_committed_fraction` puts the same committed fraction ``Z`` in
every group (committed agents placed at random) and follows the old-norm
equilibrium (the stable fixed point of lowest share of B at ``Z = 0``) by
natural-parameter continuation in ``Z`` (Newton steps with a tangent
predictor, step halving); where the branch ends it solves the saddle-node
conditions ``F(x, Z) = 0, det J(x, Z) = 0`` by Newton's method. Above ``Z*`` the
old norm cannot hold and the population goes to the new one.
:func:`mixed_mu_crit` follows the same branch in the exploration rate instead.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, overload

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq, root

from normsim.errors import NormsimError, check_number
from normsim.game import LEVELS
from normsim.params import DEFAULTS
from normsim.theory.analytic import _Event, threshold_c

MODELS = ("replicator", "pairwise")
#: evaluations of the field one :func:`solve_mechanics` may use (a few seconds)
MAX_RHS_CALLS = 300_000
_H = 1e-30  # complex-step size for derivatives
#: the largest conformity sample (binomial coefficients of larger ones overflow a float)
MAX_SAMPLE = 1000


@dataclass(frozen=True)
class MixedPopulation:
    """A well-mixed population with committed agents, conformity and groups.

    Build it with :func:`mixed_population`, which checks the values. Payoffs
    are stored normalised to ``max(a, b) = 1`` (``scale`` is the factor): the
    fixed points do not depend on it, and the replicator's time runs ``scale``
    times faster.

    Attributes
    ----------
    a, b : float
        Coordination payoffs divided by ``scale``.
    scale : float
        ``max(a, b)`` of the payoffs given.
    c, mu, committed, sizes : tuple of float
        Per group: need for coordination, exploration rate, committed fraction
        (holding B), population share (summing to 1).
    conformity : float
        Probability ``gamma`` that an update follows the majority of a sample.
    sample : int
        Size ``k`` of the conformity sample.
    model : {"replicator", "pairwise"}
        The imitation rule.
    beta : float
        Selection strength of the Fermi rule (pairwise).
    between : float
        Between-group weight ``w`` of the mixing matrix (1: whole population).
    """

    a: float
    b: float
    scale: float
    c: tuple[float, ...]
    mu: tuple[float, ...]
    committed: tuple[float, ...]
    sizes: tuple[float, ...]
    conformity: float = 0.0
    sample: int = 4
    model: str = "replicator"
    beta: float = DEFAULTS.beta
    between: float = 1.0

    @property
    def groups(self) -> int:
        """Number of groups G (the dimension of the state)."""
        return len(self.c)

    def mixing(self) -> np.ndarray:
        """The G x G matrix ``M_gh``: probability that an agent of g meets one of h."""
        n = np.asarray(self.sizes)
        G = self.groups
        return (1.0 - self.between) * np.eye(G) + self.between * np.tile(n, (G, 1))

    def with_committed(self, z: float) -> MixedPopulation:
        """The same population with committed fraction ``z`` in every group."""
        return replace(self, committed=(float(z),) * self.groups)

    def shares(self, x: np.ndarray) -> np.ndarray:
        """Share of B per group, ``p_g = Z_g + (1 - Z_g) x_g``."""
        z = np.asarray(self.committed).reshape((-1,) + (1,) * (np.ndim(x) - 1))
        return z + (1.0 - z) * x

    def total_share(self, x: np.ndarray) -> float | np.ndarray:
        """Share of B in the whole population (committed included)."""
        n = np.asarray(self.sizes).reshape((-1,) + (1,) * (np.ndim(x) - 1))
        return np.sum(n * self.shares(np.asarray(x)), axis=0)

    def field(self, x: np.ndarray) -> np.ndarray:
        """``dx/dt`` with ``max(a, b) = 1`` (the replicator's time is ``scale`` times slower).

        ``x`` has shape ``(G,)`` or ``(G, n)`` (n states at once); real or
        complex (the complex step of :meth:`jacobian`).
        """
        x = np.asarray(x)
        extra = (1,) * (x.ndim - 1)

        def col(v: tuple[float, ...]) -> np.ndarray:
            return np.asarray(v, dtype=float).reshape((-1,) + extra)

        a, b = self.a, self.b
        c, mu = col(self.c), col(self.mu)
        p = self.shares(x)
        M = self.mixing()
        q = np.tensordot(M, p, axes=1)
        f_a = a * (1.0 - c * q)
        f_b = b * (1.0 - c * (1.0 - q))
        g = self.conformity
        if g > 0.0:
            up, down = majority_probabilities(q, self.sample)
        if self.model == "replicator":
            in_b = np.tensordot(M, p * f_b, axes=1)
            in_a = np.tensordot(M, (1.0 - p) * f_a, axes=1)
            phi = in_a + in_b
            out = (1.0 - g) * ((1.0 - mu) * in_b + mu * in_a - x * phi)
            if g > 0.0:
                a2b = (1.0 - mu) * up + mu * (1.0 - up)
                b2a = (1.0 - mu) * down + mu * (1.0 - down)
                out = out + g * phi * ((1.0 - x) * a2b - x * b2a)
            return out
        r = 1.0 - (1.0 - c) * min(a, b)
        r = np.where(r > 0.0, r, 1.0)
        s = self.beta / (2.0 * r)  # W(d) = (1 + tanh(s d)) / 2
        G = self.groups
        imit_up = 0.0
        imit_down = 0.0
        for h in range(G):  # teacher of group h, learner of every group g at once
            w = M[:, h].reshape((-1,) + extra)
            imit_up = imit_up + w * p[h] * 0.5 * (1.0 + np.tanh(s * (f_b[h] - f_a)))
            imit_down = imit_down + w * (1.0 - p[h]) * 0.5 * (1.0 + np.tanh(s * (f_a[h] - f_b)))
        a2b = (1.0 - g) * imit_up
        b2a = (1.0 - g) * imit_down
        if g > 0.0:
            a2b = a2b + g * up
            b2a = b2a + g * down
        return (1.0 - x) * (0.5 * mu + (1.0 - mu) * a2b) - x * (0.5 * mu + (1.0 - mu) * b2a)

    def rhs(self, x: np.ndarray) -> np.ndarray:
        """``dx/dt`` in the model's own time (payoff units for the replicator, generations
        for the pairwise mean field)."""
        f = self.field(x)
        return f * self.scale if self.model == "replicator" else f

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        """``d field / dx`` (G x G, with ``max(a, b) = 1``), by complex-step differentiation."""
        x = np.asarray(x, dtype=float)
        G = len(x)
        J = np.empty((G, G))
        for j in range(G):
            xc = x.astype(complex)
            xc[j] += 1j * _H
            J[:, j] = np.imag(self.field(xc)) / _H
        return J


@overload
def majority_probabilities(q: float, k: int) -> tuple[float, float]: ...
@overload
def majority_probabilities(q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...
def majority_probabilities(
    q: float | np.ndarray, k: int
) -> tuple[np.ndarray | float, np.ndarray | float]:
    """``(P(Bin(k, q) > k/2), P(Bin(k, q) < k/2))``: the chance that a sample of ``k``
    has a strict majority of B, and of A. Polynomials in ``q`` (any shape; complex
    ``q`` allowed, for the complex-step derivative): numbers for a number ``q``.

    >>> [round(float(v), 6) for v in majority_probabilities(0.5, 4)]
    [0.3125, 0.3125]
    """
    q = np.asarray(q)
    j = np.arange(k + 1)
    coef = _binomials(k)
    qe = q[..., None]
    terms = coef * qe**j * (1.0 - qe) ** (k - j)
    return terms[..., 2 * j > k].sum(axis=-1), terms[..., 2 * j < k].sum(axis=-1)


@functools.lru_cache(maxsize=32)
def _binomials(k: int) -> np.ndarray:
    return np.array([float(math.comb(k, i)) for i in range(k + 1)])


def _per_group(
    name: str, value: float | Sequence[float] | np.ndarray, G: int, low: float, high: float
) -> tuple[float, ...]:
    if np.isscalar(value) or isinstance(value, (int, float)):
        vals = [value] * G
    else:
        vals = list(value)
        if len(vals) != G:
            raise NormsimError(f"{name}: {len(vals)} values for {G} groups")
    return tuple(check_number(name, v, low=low, high=high) for v in vals)


def mixed_population(
    a: float,
    b: float,
    c: float | Sequence[float],
    mu: float | Sequence[float] = 0.0,
    committed: float | Sequence[float] = 0.0,
    conformity: float = 0.0,
    model: str = "replicator",
    beta: float = DEFAULTS.beta,
    sample: int = 4,
    sizes: Sequence[float] | None = None,
    between: float = 1.0,
) -> MixedPopulation:
    """Check the parameters and build a :class:`MixedPopulation`.

    ``c`` (and ``mu``, ``committed``) may be one number or one per group; the
    number of groups is ``len(sizes)`` or, without sizes, the longest of these
    lists (equal sizes). Bad values are a :class:`~normsim.errors.NormsimError`.

    >>> m = mixed_population(0.4, 0.6, [0.3, 0.8], committed=0.1)
    >>> m.groups, m.sizes, m.committed
    (2, (0.5, 0.5), (0.1, 0.1))
    """
    a = check_number("a", a, low=0.0, low_open=True)
    b = check_number("b", b, low=0.0, low_open=True)
    if model not in MODELS:
        raise NormsimError(f"model: {model!r} is not one of {', '.join(MODELS)}")
    named = {
        k: len(v) for k, v in (("c", c), ("mu", mu), ("committed", committed)) if not np.isscalar(v)
    }
    if len(set(named.values())) > 1:
        raise NormsimError(
            " and ".join(f"{k} ({n} values)" for k, n in named.items())
            + " give different numbers of groups"
        )
    lens = list(named.values())
    if sizes is not None:
        sizes_l = [check_number("sizes", s, low=0.0, low_open=True) for s in sizes]
        if not sizes_l:
            raise NormsimError("sizes: give at least one group")
        G = len(sizes_l)
    else:
        G = max(lens) if lens else 1
        if G < 1:
            raise NormsimError("c: give at least one group")
        sizes_l = [1.0] * G
    total = sum(sizes_l)
    sizes_t = tuple(s / total for s in sizes_l)
    cs = _per_group("c", c, G, 0.0, 1.0)
    mus = _per_group("mu", mu, G, 0.0, 1.0)
    zs = _per_group("committed fraction", committed, G, 0.0, 1.0)
    gamma = check_number("conformity", conformity, low=0.0, high=1.0)
    beta = check_number("beta", beta, low=0.0)
    if (
        isinstance(sample, bool)
        or not isinstance(sample, (int, np.integer))
        or not 1 <= sample <= MAX_SAMPLE
    ):
        raise NormsimError(f"sample: {sample!r} must be a whole number from 1 to {MAX_SAMPLE}")
    between = check_number("between", between, low=0.0, high=1.0)
    s = max(a, b)
    return MixedPopulation(
        a=a / s,
        b=b / s,
        scale=s,
        c=cs,
        mu=mus,
        committed=zs,
        sizes=sizes_t,
        conformity=gamma,
        sample=int(sample),
        model=model,
        beta=beta,
        between=between,
    )


# ------------------------------------------------------------------ fixed points
@dataclass(frozen=True)
class MixedFixedPoint:
    """A fixed point: per-group uncommitted shares ``x``, total share ``p``, stability.

    ``eigenvalues`` are those of the Jacobian in the model's own time; the
    point is stable when every real part is negative.
    """

    x: tuple[float, ...]
    p: float
    eigenvalues: tuple[complex | float, ...]
    stable: bool

    def as_dict(self) -> dict:
        """The JSON form: ``p``, ``stable``, ``x`` (a list for several groups) and the
        ``eigenvalues`` (a complex one as ``[real, imag]``)."""
        ev = [
            float(e.real) if abs(complex(e).imag) < 1e-12 else [float(e.real), float(e.imag)]
            for e in self.eigenvalues
        ]
        return {
            "p": self.p,
            "stable": self.stable,
            "x": self.x[0] if len(self.x) == 1 else list(self.x),
            "eigenvalues": ev,
        }


def _make_point(m: MixedPopulation, x: np.ndarray) -> MixedFixedPoint:
    J = m.jacobian(x)
    ev = np.linalg.eigvals(J)
    t = m.scale if m.model == "replicator" else 1.0
    ev_out = tuple(float(e.real) * t if abs(e.imag) < 1e-12 else complex(e) * t for e in ev)
    return MixedFixedPoint(
        x=tuple(float(v) for v in x),
        p=float(m.total_share(x)),
        eigenvalues=ev_out,
        stable=bool(np.all(ev.real < 0.0)),
    )


def mixed_fixed_points(
    m: MixedPopulation, n: int = 2001, starts: int = 11
) -> list[MixedFixedPoint]:
    """All fixed points in ``[0, 1]^G``, sorted by total share of B, with stability.

    One group: the sign changes of the field on an ``n``-point grid, refined by
    Brent's method, and exact zeros at 0 and 1 (a tangency inside one grid cell,
    a double root, is not found). More groups: Newton's method (MINPACK's
    hybrid method with the complex-step Jacobian) from a ``starts`` x ``starts``
    grid of starting states; a fixed point whose basin of Newton convergence
    misses every start is not found. An empty list when the field vanishes
    everywhere (the neutral case: a = b, c = 0, nothing else).
    """
    if m.groups == 1:
        xs = np.linspace(0.0, 1.0, n)
        v = m.field(xs[None, :])[0]
        if np.max(np.abs(v)) == 0.0:
            return []
        pts: list[float] = []
        for i in range(n):
            if v[i] == 0.0:
                pts.append(float(xs[i]))
            elif i < n - 1 and v[i + 1] != 0.0 and (v[i] > 0.0) != (v[i + 1] > 0.0):
                pts.append(
                    float(
                        brentq(
                            lambda z: float(m.field(np.array([z]))[0]),
                            xs[i],
                            xs[i + 1],
                            xtol=1e-15,
                            rtol=1e-15,
                        )
                    )
                )
        return [_make_point(m, np.array([x])) for x in sorted(set(pts))]
    G = m.groups
    probe = np.random.default_rng(0).random((G, 64))
    if np.max(np.abs(m.field(probe))) == 0.0:
        return []
    grid = np.linspace(0.0, 1.0, starts)
    found: list[np.ndarray] = []
    for start in np.array(np.meshgrid(*([grid] * G), indexing="ij")).reshape(G, -1).T:
        sol = root(m.field, start, jac=m.jacobian, method="hybr", options={"xtol": 1e-13})
        x = sol.x
        if not np.all((x >= -1e-9) & (x <= 1.0 + 1e-9)):
            continue
        x = np.clip(x, 0.0, 1.0)
        if np.max(np.abs(m.field(x))) > 1e-11:
            continue
        if all(np.max(np.abs(x - y)) > 1e-7 for y in found):
            found.append(x)
    pts2 = [_make_point(m, x) for x in found]
    return sorted(pts2, key=lambda fp: (fp.p, fp.x))


# -------------------------------------------------------- critical committed fraction
@dataclass(frozen=True)
class CriticalFraction:
    """The saddle-node of the old-norm branch.

    Attributes
    ----------
    z : float or None
        The critical committed fraction ``Z*`` (0 when the old norm is not an
        equilibrium even without committed agents; None when the old-norm
        equilibrium moves continuously to the new norm, with no saddle-node).
    x : tuple of float or None
        The uncommitted shares of B where the branch ends.
    p : float or None
        The total share of B there.
    bracket : (float, float) or None
        The continuation's last committed fraction with the branch and the
        first without it.
    method : str
        ``"newton"`` (the saddle-node conditions solved), ``"bracket"`` (their
        Newton solve left the bracket: its midpoint), ``"none"`` or ``"no-old-norm"``.
    """

    z: float | None
    x: tuple[float, ...] | None
    p: float | None
    bracket: tuple[float, float] | None
    method: str


def old_norm_state(m: MixedPopulation) -> MixedFixedPoint | None:
    """The old norm's equilibrium of ``m`` without committed agents: the stable fixed
    point of lowest total share of B (None in the neutral case)."""
    stable = [fp for fp in mixed_fixed_points(m.with_committed(0.0)) if fp.stable]
    return stable[0] if stable else None


def _newton(m: MixedPopulation, x0: np.ndarray) -> np.ndarray | None:
    sol = root(m.field, x0, jac=m.jacobian, method="hybr", options={"xtol": 1e-14})
    if not np.all(np.isfinite(sol.x)) or np.max(np.abs(m.field(sol.x))) > 1e-13:
        return None
    return sol.x


def critical_committed_fraction(
    m: MixedPopulation, step: float = 0.01, tol: float = 1e-12
) -> CriticalFraction:
    """The critical committed fraction ``Z*`` of ``m`` (its own committed fractions ignored).

    Follows the old-norm equilibrium from ``Z = 0`` upwards (see the module
    docstring); the branch step is halved whenever Newton's method fails, jumps
    (more than 0.05 in some group) or lands on an unstable point, down to
    ``tol``; then the saddle-node conditions are solved from the last point.
    """
    return _branch_end(m.with_committed, old_norm_state(m), step, tol)


def mixed_mu_crit(m: MixedPopulation, step: float = 0.01, tol: float = 1e-12) -> float | None:
    """The exploration rate (the same in every group) above which the old norm's
    equilibrium of ``m`` (with its committed agents) disappears: the saddle-node of
    the low branch followed from ``mu = 0``, as :func:`critical_committed_fraction`
    follows it in Z. None when the model is not bistable at ``mu = 0`` or the branch
    reaches ``mu = 1/2`` (0 if its equilibrium at mu = 0 has the new norm's majority).
    """

    def family(mu: float) -> MixedPopulation:
        return replace(m, mu=(float(mu),) * m.groups)

    stable = [fp for fp in mixed_fixed_points(family(0.0)) if fp.stable]
    if len(stable) < 2:
        return None
    end = _branch_end(family, stable[0], step, tol, top=0.5)
    return end.z if end.method in ("newton", "bracket") else None


def _branch_end(
    family: Callable[[float], MixedPopulation],
    start: MixedFixedPoint | None,
    step: float,
    tol: float,
    top: float = 1.0,
) -> CriticalFraction:
    """Follow the stable point ``start`` of ``family(0)`` as the parameter grows to ``top``;
    where the branch ends, solve the saddle-node conditions (see
    :func:`critical_committed_fraction`)."""
    if start is None:
        return CriticalFraction(None, None, None, None, "none")
    if start.p >= 0.5:
        return CriticalFraction(0.0, start.x, start.p, None, "no-old-norm")
    x = np.array(start.x)
    z, h = 0.0, step
    G = len(x)
    while True:
        if z >= top:
            return CriticalFraction(None, None, None, None, "none")
        z_new = min(top, z + h)
        mz = family(z_new)
        mzc = family(z)
        try:  # tangent predictor: dx/dZ = -J^-1 dF/dZ
            fz = (family(z + 1e-7).field(x) - mzc.field(x)) / 1e-7
            pred = x - np.linalg.solve(mzc.jacobian(x), fz) * (z_new - z)
        except np.linalg.LinAlgError:
            pred = x
        xn = _newton(mz, np.clip(pred, 0.0, 1.0))
        ok = (
            xn is not None
            and np.all((xn >= -1e-9) & (xn <= 1 + 1e-9))
            and np.max(np.abs(xn - x)) <= 0.05
            and np.all(np.linalg.eigvals(mz.jacobian(xn)).real < 0.0)
        )
        if ok:
            assert xn is not None  # ok checks it
            x, z = np.clip(xn, 0.0, 1.0), z_new
            h = min(step, 2.0 * h)
            continue
        if h <= tol:
            break
        h *= 0.5
    bracket = (z, min(top, z + h))

    def fold(v: np.ndarray) -> np.ndarray:
        mv = family(v[G])
        return np.append(mv.field(v[:G]), np.linalg.det(mv.jacobian(v[:G])))

    sol = root(fold, np.append(x, z), method="hybr", options={"xtol": 1e-14})
    v = sol.x
    if (
        np.all(np.isfinite(v))
        and np.max(np.abs(fold(v))) < 1e-12
        and bracket[0] - 1e-7 <= v[G] <= bracket[1] + 1e-7
        and np.max(np.abs(v[:G] - x)) < 1e-2
    ):
        xs = np.clip(v[:G], 0.0, 1.0)
        zz = float(v[G])
        return CriticalFraction(
            zz, tuple(float(t) for t in xs), float(family(zz).total_share(xs)), bracket, "newton"
        )
    zz = 0.5 * (bracket[0] + bracket[1])
    return CriticalFraction(
        zz, tuple(float(t) for t in x), float(family(zz).total_share(x)), bracket, "bracket"
    )


def critical_committed_curve(
    a: float, b: float, cs: Sequence[float], **kw: Any
) -> list[dict[str, Any]]:
    """``Z*(c)`` for every ``c`` in ``cs`` (one group; the other keywords as for
    :func:`mixed_population`). Each row: ``c``, ``critical_committed_fraction``, ``p``."""
    out = []
    for c in cs:
        cf = critical_committed_fraction(mixed_population(a, b, c, **kw))
        out.append({"c": float(c), "critical_committed_fraction": cf.z, "p": cf.p})
    return out


# ------------------------------------------------------------------ trajectories
@dataclass
class MixedTrajectory:
    """A solved trajectory: times ``t``, per-group uncommitted shares ``x`` (G x len(t)),
    total share of B ``p``, first time ``p`` reaches each level (None if never)."""

    t: np.ndarray
    x: np.ndarray
    p: np.ndarray
    crossing: dict[float, float | None]

    @property
    def final_p(self) -> float:
        """Total share of B at the end of the time span."""
        return float(self.p[-1])


def solve_mechanics(
    m: MixedPopulation,
    x0: float | Sequence[float] | np.ndarray,
    t_max: float,
    t_eval: Sequence[float] | np.ndarray | None = None,
    levels: Sequence[float] = LEVELS,
) -> MixedTrajectory:
    """Integrate ``dx/dt`` from ``x(0) = x0`` (uncommitted shares of B, one per group
    or one for all) to ``t_max`` in the model's own time.

    DOP853 (rtol 1e-10, atol 1e-12) on the field with ``max(a, b) = 1`` (the
    replicator in the scaled time ``max(a, b) t``, as :func:`normsim.theory.analytic.solve`
    does), with event detection for the first time the total share of B reaches
    each level; once the state is within ``CONVERGED`` of a stable fixed point the
    rest of the span is that point (so that any payoff scale and time span is
    quick). ``t_eval`` defaults to 2001 evenly spaced points. A span that needs
    more than ``MAX_RHS_CALLS`` evaluations is a :class:`~normsim.errors.NormsimError`.
    """
    t_max = check_number("t_max", t_max, low=0.0, low_open=True)
    x0 = np.array(_per_group("x0", x0, m.groups, 0.0, 1.0))
    if t_eval is None:
        t_eval = np.linspace(0.0, t_max, 2001)
    t_eval = np.asarray(t_eval, dtype=float)
    t_eval = t_eval[(t_eval >= 0.0) & (t_eval <= t_max)]
    speed = m.scale if m.model == "replicator" else 1.0
    tau_max = speed * t_max if math.isfinite(speed * t_max) else 1e300
    stable = [np.array(fp.x) for fp in mixed_fixed_points(m) if fp.stable]
    calls = [0]

    def f(t: float, y: np.ndarray) -> np.ndarray:
        calls[0] += 1
        if calls[0] > MAX_RHS_CALLS:
            raise NormsimError(
                f"t_max: integrating {t_max:g} time units takes more than "
                f"{MAX_RHS_CALLS:,} evaluations of the dynamic; give a shorter "
                "t_max"
            )
        return m.field(y)

    def distance(y: np.ndarray) -> float:
        return min(float(np.max(np.abs(y - s))) for s in stable) if stable else math.inf

    events: list[_Event] = []
    for lv in levels:

        def ev(t: float, y: np.ndarray, lv: float = lv) -> float:
            return float(m.total_share(y)) - lv

        events.append(_Event(ev, direction=1.0))
    p0 = float(m.total_share(x0))
    crossing: dict[float, float | None] = {lv: (0.0 if p0 >= lv else None) for lv in levels}
    with np.errstate(over="ignore"):
        tau = speed * t_eval
    tau = np.where(np.isfinite(tau), tau, 1e300)
    if distance(x0) <= CONVERGED:
        x = np.repeat(x0[:, None], len(t_eval), axis=1)
        return MixedTrajectory(
            t=t_eval.copy(), x=x, p=np.asarray(m.total_share(x)), crossing=crossing
        )
    if stable:

        def settled(t: float, y: np.ndarray) -> float:
            return distance(y) - CONVERGED

        events.append(_Event(settled, direction=-1.0, terminal=True))
    res = solve_ivp(
        f,
        (0.0, tau_max),
        x0,
        method="DOP853",
        rtol=1e-10,
        atol=1e-12,
        events=events,
        dense_output=True,
    )
    if not res.success:  # pragma: no cover - smooth bounded field
        raise NormsimError(f"the well-mixed dynamic could not be integrated: {res.message}")
    for lv, te in zip(levels, res.t_events, strict=False):  # settled's events may follow
        if crossing[lv] is None and len(te):
            crossing[lv] = float(te[0]) / speed
    done = res.t[-1]
    inside = tau <= done
    x = np.empty((m.groups, len(t_eval)))
    if inside.any():
        x[:, inside] = res.sol(np.clip(tau[inside], 0.0, done))
    if res.status == 1:  # settled at the nearest stable fixed point
        end = min(stable, key=lambda s: float(np.max(np.abs(res.y[:, -1] - s))))
        x[:, ~inside] = end[:, None]
        for lv in levels:
            if crossing[lv] is None and float(m.total_share(end)) >= lv:
                crossing[lv] = float(done) / speed
    else:
        x[:, ~inside] = res.y[:, -1:]
    x = np.clip(x, 0.0, 1.0)
    return MixedTrajectory(t=t_eval.copy(), x=x, p=np.asarray(m.total_share(x)), crossing=crossing)


#: distance to a stable fixed point below which a trajectory counts as settled there
CONVERGED = 1e-12


# ------------------------------------------------------------------ the CLI's report
def analyse_mechanics(
    a: float,
    b: float,
    c: float | Sequence[float],
    mu: float | Sequence[float] = 0.0,
    committed: float = 0.0,
    conformity: float = 0.0,
    model: str = "replicator",
    beta: float = DEFAULTS.beta,
    sample: int = 4,
    sizes: Sequence[float] | None = None,
    between: float = 1.0,
    p0: float = 0.05,
    t_max: float | None = None,
) -> dict:
    """Everything ``normsim analytic --committed Z --conformity G --json`` reports.

    The keys of :func:`normsim.theory.analytic.analyse` (and ``analyse_pairwise``)
    keep their meaning for the mechanism model: ``fixed_points`` (each with the
    total share ``p``, the uncommitted share(s) ``x``, ``stable``,
    ``eigenvalues``), ``mu_crit`` (one group: :func:`mixed_mu_crit`),
    ``t50``/``t90``/``t99`` and ``final_p`` of
    the total share of B from the uncommitted share ``p0``; plus
    ``critical_committed_fraction`` (:func:`critical_committed_fraction`),
    ``critical_committed_bracket`` and ``critical_committed_method``.
    """
    m = mixed_population(a, b, c, mu, committed, conformity, model, beta, sample, sizes, between)
    if t_max is None:
        t_max = 100.0 if model == "replicator" else 1000.0
    p0 = check_number("p0", p0, low=0.0, high=1.0)
    fps = mixed_fixed_points(m)
    cf = critical_committed_fraction(m)
    sol = solve_mechanics(m, p0, t_max)
    mu_crit = mixed_mu_crit(m) if m.groups == 1 else None
    c_list = list(m.c)
    out = {
        "model": model,
        "a": a,
        "b": b,
        "c": c_list[0] if m.groups == 1 else c_list,
        "mu": m.mu[0] if m.groups == 1 else list(m.mu),
        "p0": p0,
        "t_max": t_max,
        "committed": committed,
        "conformity": conformity,
        "sample": m.sample,
        "threshold_c": threshold_c(a, b),
        "mu_crit": mu_crit,
        "fixed_points": [fp.as_dict() for fp in fps],
        "critical_committed_fraction": cf.z,
        "critical_committed_bracket": list(cf.bracket) if cf.bracket else None,
        "critical_committed_method": cf.method,
        "t50": sol.crossing[0.5],
        "t90": sol.crossing[0.9],
        "t99": sol.crossing[0.99],
        "final_p": sol.final_p,
        "time_unit": "generations" if model == "pairwise" else "payoff time",
    }
    if model == "pairwise":
        out["beta"] = beta
    if m.groups > 1:
        out["sizes"] = list(m.sizes)
        out["between"] = between
    return out
