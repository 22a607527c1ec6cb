"""The binary naming game with committed agents: its mean field (Xie et al. 2011).

Every agent holds an inventory of names: A, B or both (AB); a fraction ``p`` of the
agents is *committed* to A and never changes. In one interaction a random speaker
utters a name from its inventory (A or B with probability 1/2 from AB; a committed
agent says A) to a random hearer. If the hearer knows the name, both keep only that
name (a committed agent stays as it is); otherwise the hearer adds it. With
``n_A``, ``n_B``, ``n_AB`` the shares of uncommitted agents in each state
(``n_A + n_B + n_AB = 1 - p``) and time in units of ``N`` interactions (each agent
speaks once on average), the infinite-population limit is::

    dn_A/dt  = n_A n_AB + (3/2) p n_AB + n_AB^2 - n_A n_B
    dn_B/dt  = n_B n_AB + n_AB^2 - n_A n_B - p n_B
    dn_AB/dt = -(dn_A/dt + dn_B/dt)

Fixed points. ``dn_B/dt = 0`` with ``n_AB = 1 - p - n_A - n_B`` reads
``(n_A - (1 - p))^2 = n_B``, so every fixed point other than the A consensus
(``n_A = 1 - p``) lies on the curve ``n_B = s^2``, ``n_A = 1 - p - s``,
``n_AB = s (1 - s)``; on it ``dn_A/dt = 0`` becomes the cubic

    h(s) = s^3 - (2 - p/2) s + 1 + p/2 = 0,   0 < s <= 1 - p.

Below a critical ``p_c`` it has two roots: a stable state where B (the old name)
dominates and a saddle between it and the A consensus. They merge where ``h`` and
``h'`` vanish together, ``3 s^2 = 2 - p/2`` and ``2 s^3 = 1 + p/2``; eliminating ``s``
gives ``4 (2 - p/2)^3 = 27 (1 + p/2)^2``, that is

    2 p^3 + 3 p^2 + 204 p - 20 = 0,   p_c = 0.097889...

(Xie et al. report p_c ~ 0.0979). Above ``p_c`` the A consensus is the only fixed
point and a population that starts with everybody uncommitted on B reaches it; the
time diverges as ``(p - p_c)^(-1/2)`` near ``p_c``.

Examples
--------
>>> round(critical_committed_fraction(), 6)
0.097889
>>> [round(fp["n_b"], 4) for fp in fixed_points(0.05)]
[0.0, 0.4543, 0.8861]
"""

from __future__ import annotations

import numpy as np

from normsim.errors import NormsimError, check_number

#: the share of agents holding only A whose first crossing counts as consensus (default)
CONSENSUS_LEVEL = 0.99
#: the levels of that share whose first crossing times are reported besides (t50, t90)
LEVELS = (0.5, 0.9)


def check_committed(p: object) -> float:
    """Return the committed fraction ``p`` as a float in [0, 1), or raise
    :class:`~normsim.errors.NormsimError`."""
    p = check_number("committed", p, low=0.0, high=1.0)
    if p >= 1.0:
        raise NormsimError("committed: 1 is outside [0, 1) (someone must be uncommitted)")
    return p


def naming_rhs(t: float, y: np.ndarray, p: float) -> np.ndarray:
    """The mean field's right-hand side ``d(n_A, n_B, n_AB)/dt`` (``solve_ivp`` signature).

    Parameters
    ----------
    t : float
        Time (unused: the dynamics is autonomous).
    y : array
        ``(n_A, n_B, n_AB)``, the shares of uncommitted agents in each state.
    p : float
        The fraction of agents committed to A.
    """
    a, b, ab = y[0], y[1], y[2]
    da = a * ab + 1.5 * p * ab + ab * ab - a * b
    db = b * ab + ab * ab - a * b - p * b
    return np.array([da, db, -(da + db)])


def jacobian(n_a: float, n_b: float, p: float) -> np.ndarray:
    """Jacobian of ``(dn_A/dt, dn_B/dt)`` with ``n_AB = 1 - p - n_A - n_B`` eliminated."""
    w = 1.0 - p - n_a - n_b
    return np.array(
        [
            [-w - n_a - n_b - 1.5 * p, -2.0 * n_a - 1.5 * p - 2.0 * w],
            [-2.0 * n_b - 2.0 * w, -n_a - n_b - p - w],
        ]
    )


def critical_committed_fraction() -> float:
    """``p_c``: the committed fraction above which the old name's stable state is gone.

    The root in (0, 1) of ``2 p^3 + 3 p^2 + 204 p - 20`` (the saddle-node of the fixed
    points, see the module documentation), by bisection to full double precision.
    """
    lo, hi = 0.0, 1.0  # the cubic is increasing on [0, 1], -20 at 0 and 189 at 1
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if ((2.0 * mid + 3.0) * mid + 204.0) * mid - 20.0 < 0.0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def fixed_points(p: float) -> list[dict]:
    """The fixed points of the mean field at committed fraction ``p``, by increasing ``n_B``.

    Each is a dict with the uncommitted shares ``n_a``, ``n_b``, ``n_ab``, the share of
    agents holding only A (``share_a = p + n_a``) and ``stable`` (both eigenvalues of the
    reduced Jacobian negative; the A consensus at ``p = 0`` is stable as well, its
    eigenvalues are 0 and -1 but the zero one leaves the simplex).
    """
    p = check_committed(p)
    pts = [(1.0 - p, 0.0, 0.0)]
    roots = np.roots([1.0, 0.0, -(2.0 - 0.5 * p), 1.0 + 0.5 * p])
    ss = sorted(
        float(r.real) for r in roots if abs(r.imag) <= 1e-9 and 0.0 < r.real <= 1.0 - p + 1e-12
    )
    for s in ss:
        s = min(s, 1.0 - p)
        pts.append((1.0 - p - s, s * s, s * (1.0 - s)))
    out = []
    for n_a, n_b, n_ab in pts:
        ev = np.linalg.eigvals(jacobian(n_a, n_b, p))
        stable = bool(np.max(ev.real) < 0.0) or (n_b == 0.0 and p == 0.0)
        out.append({"n_a": n_a, "n_b": n_b, "n_ab": n_ab, "share_a": p + n_a, "stable": stable})
    return out


def times_from_all_b(
    p: float, levels: tuple[float, ...] = LEVELS, t_max: float = 1e4
) -> tuple[dict[float, float | None], np.ndarray]:
    """First times the share of agents holding only A (``p + n_A``) reaches each level,
    starting with every uncommitted agent on B.

    Returns the times by level (``None``: not within ``t_max``) and the state
    ``(n_A, n_B, n_AB)`` at ``t_max``. Integrated with ``scipy.integrate.solve_ivp``
    (LSODA, relative tolerance 1e-10) and its events.
    """
    from scipy.integrate import solve_ivp

    p = check_committed(p)
    t_max = check_number("t_max", t_max, low=0.0, low_open=True)
    events = []
    for lv in levels:

        def ev(t: float, y: np.ndarray, p: float, lv: float = lv) -> float:
            return p + y[0] - lv

        ev.terminal = False  # type: ignore[attr-defined]
        ev.direction = 1.0  # type: ignore[attr-defined]
        events.append(ev)
    sol = solve_ivp(
        naming_rhs,
        (0.0, t_max),
        [0.0, 1.0 - p, 0.0],
        method="LSODA",
        args=(p,),
        events=events,
        rtol=1e-10,
        atol=1e-12,
    )
    if not sol.success:  # pragma: no cover - LSODA on this polynomial field
        raise NormsimError(f"the naming game's mean field failed to integrate: {sol.message}")
    times: dict[float, float | None] = {}
    for lv, te in zip(levels, sol.t_events, strict=True):
        if p >= lv:
            times[lv] = 0.0
        else:
            times[lv] = float(te[0]) if te.size else None
    return times, sol.y[:, -1]


def analyse_naming(p: float, t_max: float = 1e4, consensus_level: float = CONSENSUS_LEVEL) -> dict:
    """Everything ``normsim analytic --model naming --json`` reports, as a plain dict.

    Parameters
    ----------
    p : float
        Fraction of agents committed to A, in [0, 1).
    t_max : float
        The time span integrated, in units of N interactions.
    consensus_level : float
        The share of agents holding only A (committed or not) whose first crossing,
        from all-B, is the consensus time.
    """
    p = check_committed(p)
    consensus_level = check_number("consensus_level", consensus_level, low=0.0, high=1.0)
    pc = critical_committed_fraction()
    levels = tuple(sorted(set(LEVELS) | {consensus_level}))
    times, end = times_from_all_b(p, levels, t_max)
    return {
        "model": "naming",
        "committed": p,
        "critical_committed_fraction": pc,
        "above_critical": p > pc,
        "fixed_points": fixed_points(p),
        "start": "all-B",
        "consensus_level": consensus_level,
        "consensus_time": times[consensus_level],
        "t50": times[0.5],
        "t90": times[0.9],
        "t_max": t_max,
        "final_share_a": float(p + end[0]),
        "final_share_b": float(end[1]),
        "time_unit": "N interactions",
    }
