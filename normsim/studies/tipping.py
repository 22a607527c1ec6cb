"""Tipping points: the smallest value of a parameter at which the new norm takes over.

``normsim tipping SCENARIO.yaml --vary population.committed.fraction`` searches,
for every condition of the scenario (its sweep, e.g. over ``game.c``), for the
smallest committed fraction (or the smallest value of another numeric path)
at which the new norm takes over within the horizon.

**Criterion.** A tested value *tips* when the replicate-mean final share of the
new norm is at least one half. The share is taken

* among the **uncommitted** agents when the scenario has committed agents: the
  committed ones hold the new norm by construction, so the share among
  everyone would reach one half at a committed fraction of one half even if
  no other agent converted; the question is whether the minority converts the
  rest. (With every agent committed, which leaves nobody uncommitted, the
  share among everyone, 1, is used.)
* among **everyone** otherwise (e.g. ``--vary game.c`` in a scenario without
  committed agents).

The *new norm* is the committed agents' norm, or, without committed agents,
the norm that the first shock favours (the one not favoured at generation 0;
B when a = b). The *final share* of a replicate is its mean over the last 10%
of the generations after the last shock (of the whole run without shocks; at
least one generation: :func:`normsim.studies.metrics.final_share` on generations
s+1..G), not the last generation alone, so that exploration's
generation-to-generation noise does not decide, and never a generation before
the shock, however late in the run it comes. Without committed agents the
replicate mean is the last shock's ``final_share`` in ``normsim run --json``
(one shock). The *probability of change* at a value is the fraction of
replicates whose own final share is at least one half.

**Search** (:func:`bisect`). For each condition both ends ``lo`` and ``hi`` are
run; if ``hi`` does not tip the answer is "no tipping up to hi" (bracket
``[hi, None]``); if ``lo`` already tips, "tipping already at lo" (bracket
``[None, lo]``). Otherwise bisection on the replicate-mean share keeps the
largest value tested that did not tip and the smallest that did, until they
are at most ``tol`` apart. A committed fraction acts through the committed
count ``floor(fraction N + 0.5)`` of a population of N agents, so there the
midpoints are fractions ``k / N`` and the search also stops when the two ends
are one agent apart (finer fractions would only repeat counts). Bisection
assumes that a larger value makes change more likely; every value tested is
reported, so a non-monotone response (replicate noise, few runs) shows. For a
path where a larger value makes change *less* likely (``game.c``,
``dynamics.conformity``), ``direction="down"`` (``--direction down``) finds the
largest value that tips by the same bisection on the negated values: the
bracket is then [largest value that tipped, smallest that did not], "never"
means no tipping even at ``lo`` and "already" tipping even at ``hi``.

All conditions advance together: every round runs the next value of each
unfinished condition in one call of :func:`normsim.studies.runner.run`, on local
worker processes or a Dask cluster. Every tested value is an ordinary
condition of the runner and the store (its parameters are the condition's
swept values plus the varied path), so an interrupted search resumes: the
search is deterministic given the stored results, and a rerun finds each
value it tests already stored and runs only what is missing.
"""

from __future__ import annotations

import copy
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from normsim.errors import NormsimError
from normsim.scenario import (
    Condition,
    LoadedScenario,
    PointConditions,
    Scenario,
    combos,
    numeric_paths,
    validate,
)
from normsim.scenario.design import check_range
from normsim.store import Store, check_owner, check_store_file
from normsim.studies.metrics import final_share
from normsim.studies.results import load_series
from normsim.studies.runner import Batches

#: the share of the new norm at which a tested value counts as tipped
LEVEL = 0.5
#: the generations whose mean is a replicate's final share (see the module doc)
WINDOW = "last 10% of the generations after the last shock"
#: default search range and tolerance
DEFAULT_LO, DEFAULT_HI, DEFAULT_TOL = 0.0, 0.5, 0.01
COMMITTED_FRACTION = "population.committed.fraction"
#: the committed block added when a scenario without one varies the committed fraction
ADDED_COMMITTED = {"norm": "new", "placement": "random"}


@dataclass
class Point:
    """The outcome at one tested value of the varied path."""

    value: float
    share: float  # replicate-mean final share of the new norm (see the module doc)
    p_change: float  # fraction of replicates whose final share is >= LEVEL
    runs: int
    hash: str | None = None

    @property
    def tipped(self) -> bool:
        """Whether the new norm took over here (replicate-mean share >= LEVEL)."""
        return bool(self.share >= LEVEL)

    def as_dict(self) -> dict:
        """The point as the JSON output gives it."""
        return {
            "value": self.value,
            "share": self.share,
            "p_change": self.p_change,
            "tipped": self.tipped,
            "runs": self.runs,
            "hash": self.hash,
        }


@dataclass
class Search:
    """The search of one condition: every point tested, and the bracket so far."""

    lo: float
    hi: float
    tol: float
    grid: int | None = None  # N agents: midpoints k / N (committed fraction)
    tested: list[Point] = field(default_factory=list)
    no_tip: Point | None = None  # the end of the bracket that did not tip (up:
    tip: Point | None = None  # the largest such value) and the end that did
    status: str = "pending"  # pending | bracketed | never | already
    at_resolution: bool = False  # stopped at one agent apart, not at tol
    direction: str = "up"  # up: tips from some value on; down: up to some value

    def next_value(self) -> float | None:
        """The next value to test (None when the search is over)."""
        if self.status != "pending":
            return None
        if self.no_tip is None and self.tip is None:
            return None  # the ends are asked for by :func:`bisect`
        # still pending once the ends are tested: one end tipped and the other did not
        assert self.no_tip is not None and self.tip is not None
        b, a = self.no_tip.value, self.tip.value
        if a - b <= self.tol:
            self.status = "bracketed"
            return None
        if self.grid:
            kb, ka = _count(b, self.grid), _count(a, self.grid)
            if ka - kb <= 1:
                self.status, self.at_resolution = "bracketed", True
                return None
            mid = ((kb + ka) // 2) / self.grid
        else:
            mid = 0.5 * (b + a)
        if not b < mid < a:  # the floats cannot be split any further
            self.status = "bracketed"
            return None
        return mid

    def add(self, p: Point) -> None:
        """Record a tested point and narrow the bracket with it."""
        self.tested.append(p)
        if p.tipped:
            if self.tip is None or p.value < self.tip.value:
                self.tip = p
        elif self.no_tip is None or p.value > self.no_tip.value:
            self.no_tip = p

    def bracket(self) -> list[float | None]:
        """``[lo, hi]`` in value order: up ``[did not tip, tipped]``, down ``[tipped,
        did not tip]``; None for a side that no value tested."""
        no, yes = (None if p is None else p.value for p in (self.no_tip, self.tip))
        return [no, yes] if self.direction == "up" else [yes, no]

    def mirrored(self) -> Search:
        """This search with every value negated (how ``direction="down"`` is searched)."""

        def neg(p: Point) -> Point:
            return replace(p, value=-p.value + 0.0)

        return Search(
            -self.hi + 0.0,
            -self.lo + 0.0,
            self.tol,
            self.grid,
            [neg(p) for p in self.tested],
            None if self.no_tip is None else neg(self.no_tip),
            None if self.tip is None else neg(self.tip),
            self.status,
            self.at_resolution,
            "down" if self.direction == "up" else "up",
        )


def _count(fraction: float, n: int) -> int:
    """Committed agents of a fraction (as :func:`normsim.mechanisms.committed_count`)."""
    return int(math.floor(fraction * n + 0.5))


Evaluate = Callable[[list[tuple[int, float]]], list[Point]]


def bisect(
    evaluate: Evaluate,
    n_conditions: int,
    lo: float,
    hi: float,
    tol: float,
    grids: Sequence[int | None] | None = None,
    log: Callable[[str], None] | None = None,
    direction: str = "up",
) -> list[Search]:
    """Search every condition for the smallest value in ``[lo, hi]`` that tips (or, with
    ``direction="down"``, the largest).

    Parameters
    ----------
    evaluate
        Called once per round with ``(condition index, value)`` requests; returns one
        :class:`Point` per request, in order. The command line's runs the runner
        (:class:`RunnerEvaluator`); a test can plant a threshold.
    n_conditions
        How many conditions to search.
    lo, hi, tol
        The range (lo < hi) and the bracket width at which to stop (> 0).
    grids
        Per condition, None or a population size N: midpoints are then ``k / N``
        and the search also stops when the ends are one agent apart.
    log
        Called with a line of progress per round.
    direction
        ``"up"`` (default): larger values make change more likely (a committed
        fraction); the search finds the smallest value that tips. ``"down"``:
        larger values make it less likely (``game.c``, ``dynamics.conformity``); the
        search finds the largest value that tips, by the same bisection on the
        negated values.

    Returns
    -------
    list of Search
        One per condition, with its status, bracket and every point tested.

    Examples
    --------
    >>> planted = 0.3
    >>> ev = lambda reqs: [Point(v, float(v >= planted), float(v >= planted), 1)
    ...                    for _, v in reqs]
    >>> s = bisect(ev, 1, 0.0, 1.0, 0.01)[0]
    >>> s.status, s.no_tip.value < planted <= s.tip.value, s.tip.value - s.no_tip.value
    ('bracketed', True, 0.0078125)
    """
    if direction not in ("up", "down"):
        raise NormsimError(f"--direction: {direction!r} is not one of up, down")
    if direction == "down" and math.isfinite(lo) and math.isfinite(hi) and lo < hi:

        def mirrored(requests: list[tuple[int, float]]) -> list[Point]:
            pts = evaluate([(k, -t + 0.0) for k, t in requests])
            return [replace(p, value=-p.value + 0.0) for p in pts]

        return [
            s.mirrored()
            for s in bisect(mirrored, n_conditions, -hi + 0.0, -lo + 0.0, tol, grids, log)
        ]
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo >= hi:
        raise NormsimError(f"--lo {lo:g} --hi {hi:g}: give lo < hi")
    if not tol > 0:  # inf: the two ends only
        raise NormsimError(f"--tol {tol:g}: must be a number > 0")
    grids = list(grids) if grids is not None else [None] * n_conditions
    searches = [Search(lo, hi, tol, grid=g) for g in grids]
    requests = [(k, v) for k in range(n_conditions) for v in (lo, hi)]
    rnd = 1
    while requests:
        if log is not None:
            log(
                f"round {rnd}: {len(requests)} value(s) to test for "
                f"{len({k for k, _ in requests})} condition(s)"
            )
        points = evaluate(requests)
        if len(points) != len(requests):
            raise RuntimeError("evaluate returned a different number of points")
        for (k, _), p in zip(requests, points, strict=True):
            searches[k].add(p)
        if rnd == 1:
            for s in searches:
                lo_p, hi_p = s.tested[0], s.tested[1]
                if lo_p.tipped:
                    s.status, s.no_tip, s.tip = "already", None, lo_p
                elif not hi_p.tipped:
                    s.status, s.no_tip, s.tip = "never", hi_p, None
        requests = [(k, v) for k, s in enumerate(searches) if (v := s.next_value()) is not None]
        rnd += 1
    return searches


# ------------------------------------------------------------------ the criterion
def new_norm(spec: Scenario) -> int:
    """The new norm of a resolved condition (0 = A, 1 = B): the committed agents'
    norm, or the one the first shock favours in the game played right after it
    (:meth:`normsim.params.ModelParams.new_norm`: events before it count; B if a = b
    there)."""
    params = spec.model_params()
    if params.committed is not None:
        return int(params.committed["norm"])
    return 0 if params.new_norm() == 0 else 1


def outcome(spec: Scenario, series: dict[str, Any]) -> tuple[float, float, int]:
    """``(share, p_change, runs)`` of a condition's stored series (see the module doc).

    ``series`` is :func:`normsim.studies.results.load_series` of the condition.
    """
    G = spec.schedule.generations
    shocks = spec.schedule.shock_list()
    s = shocks[-1] if shocks else 0
    if spec.population.committed is not None and "share_new_uncommitted" in series:
        unc, everyone = series["share_new_uncommitted"], series["share_new"]
        per_rep = np.array(
            [
                final_share(u, s, G) if not np.isnan(u[1:]).all() else final_share(e, s, G)
                for u, e in zip(unc, everyone, strict=True)
            ]
        )
        if all(np.isnan(u[1:]).all() for u in unc):  # every agent committed: no one to change
            return float(per_rep.mean()), math.nan, len(per_rep)
    else:
        b = series["share_b"]
        new = b if new_norm(spec) == 1 else 1.0 - b
        per_rep = np.array([final_share(r, s, G) for r in new])
    return float(per_rep.mean()), float(np.mean(per_rep >= LEVEL)), len(per_rep)


# ------------------------------------------------------------------ the setup
@dataclass
class Setup:
    """A checked tipping search: the scenario (committed block added if needed), the
    varied path, the range, and the conditions (the sweep's combinations)."""

    loaded: LoadedScenario
    vary: str
    lo: float
    hi: float
    tol: float
    combos: list[dict]
    added_committed: bool = False
    dropped_sweep: bool = False  # the scenario swept the varied path: those values unused
    direction: str = "up"  # see :func:`bisect`


def prepare(
    loaded: LoadedScenario,
    vary: str,
    lo: float = DEFAULT_LO,
    hi: float = DEFAULT_HI,
    tol: float = DEFAULT_TOL,
    direction: str = "up",
) -> Setup:
    """Check a tipping search before anything runs or is written (one-line NormsimErrors).

    A varied path that the scenario sweeps is taken out of the sweep (the search
    chooses its values). A scenario without committed agents that varies
    ``population.committed.fraction`` gets ``population.committed: {norm: new,
    placement: random}`` (the fraction being the varied value); a committed block
    given by ``count`` or ``nodes`` is refused, since the fraction would not set it.
    """
    sc = loaded.scenario
    where = f"--vary {vary}"
    if sc.design is not None:
        raise NormsimError(
            f"{loaded.path}: tipping takes a scenario without a design "
            "(its sweep, if any, gives the conditions)"
        )
    if sc.population.well_mixed:
        raise NormsimError(
            f"{loaded.path}: tipping needs an agent-based population (a "
            "network); this scenario is well mixed (population.well_mixed: "
            "true), whose ODE 'normsim analytic' analyses"
        )
    raw = copy.deepcopy(loaded.raw)
    dropped = vary in sc.sweep  # the search chooses its values
    if dropped:
        raw["sweep"] = {k: v for k, v in raw["sweep"].items() if k != vary}
    if not tol > 0:  # inf: test the two ends only
        raise NormsimError(f"--tol: {tol:g} must be a number > 0")
    if direction not in ("up", "down"):
        raise NormsimError(f"--direction: {direction!r} is not one of up, down")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise NormsimError(f"--lo {lo:g} --hi {hi:g}: not finite numbers")
    if lo >= hi:
        raise NormsimError(f"--lo {lo:g} --hi {hi:g}: give lo < hi")
    added = False
    kinds = numeric_paths(raw)
    if vary == COMMITTED_FRACTION:
        kinds[vary] = "float"
        if sc.population.well_mixed:
            raise NormsimError(
                f"{where}: committed agents need a network; this scenario is "
                "well mixed (population.well_mixed: true)"
            )
        cm = sc.population.committed
        if cm is None:
            pop = raw.setdefault("population", {})
            pop["committed"] = {"fraction": lo, **ADDED_COMMITTED}
            added = True
        elif cm.placement == "nodes":
            raise NormsimError(
                f"{where}: population.committed lists its nodes (placement "
                "nodes), so a fraction cannot set it; use placement random, "
                "hubs or cluster with a fraction"
            )
        elif cm.count is not None:
            raise NormsimError(
                f"{where}: population.committed gives a count; give a fraction "
                "instead (the search varies it)"
            )
    elif kinds.get(vary) == "int":
        raise NormsimError(
            f"{where}: an integer parameter; tipping searches a continuous "
            "one (e.g. population.committed.fraction, dynamics.conformity, "
            "game.c)"
        )
    sweep = raw.get("sweep") or {}
    check_range(raw, vary, lo, hi, where, loaded.base_dir, kinds=kinds, sweep=sweep, integers=False)
    if added or dropped:
        loaded = LoadedScenario(
            validate(raw, str(loaded.path or "<scenario>"), None),
            raw,
            loaded.path,
            loaded.data_roots,
        )
    return Setup(
        loaded,
        vary,
        float(lo),
        float(hi),
        float(tol),
        combos(sweep),
        added_committed=added,
        dropped_sweep=dropped,
        direction=direction,
    )


class SearchFailed(NormsimError):
    """Some replicates of a tested value failed (the others are stored)."""


class RunnerEvaluator(Batches):
    """Runs requested values as runner conditions and reads their outcome from the store."""

    def __init__(
        self,
        setup: Setup,
        out_dir: Path,
        workers: int | None = None,
        scheduler: str | None = None,
        quiet: bool = False,
        scheduler_timeout: float | None = None,
    ):
        super().__init__(
            setup.loaded, Path(out_dir), workers, scheduler, quiet, scheduler_timeout, "tipping"
        )
        self.setup = setup
        self.maker = PointConditions(setup.loaded, list(setup.combos[0]) + [setup.vary])
        self.ran = self.skipped = 0

    def condition(self, k: int, value: float) -> Condition:
        """The runner condition of condition ``k`` with the varied path at ``value``."""
        values = {**self.setup.combos[k], self.setup.vary: value}
        return self.maker.make(values, params=dict(values))

    def grids(self) -> list[int | None]:
        """Per condition, its number of agents when the committed fraction is varied."""
        if self.setup.vary != COMMITTED_FRACTION:
            return [None] * len(self.setup.combos)
        return [
            self.condition(k, self.setup.lo).n_agents or None for k in range(len(self.setup.combos))
        ]

    def __call__(self, requests: list[tuple[int, float]]) -> list[Point]:
        conds = [self.condition(k, v) for k, v in requests]
        unique = list({c.hash: c for c in conds}.values())
        report = self.run(unique)
        self.ran += report.ran
        self.skipped += report.skipped
        if report.failures:
            raise SearchFailed(
                f"{len(report.failures)} chunk(s) of replicates failed (first: "
                f"{report.failures[0]}); the others are stored: run the same command again"
            )
        runs = self.setup.loaded.scenario.runs
        out = []
        with Store(self.out_dir) as store:
            for (_k, v), c in zip(requests, conds, strict=True):
                share, p, n = outcome(c.spec, load_series(store, c.hash, runs=runs))
                out.append(Point(float(v), share, p, n, c.hash))
        return out


# ------------------------------------------------------------------ the whole search
def search(
    setup: Setup,
    out_dir: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    quiet: bool = False,
    log: Callable[[str], None] | None = None,
    scheduler_timeout: float | None = None,
) -> dict:
    """Run the search of every condition (see the module doc); return the result object
    that ``normsim tipping --json`` prints (documented in the README).

    ``scheduler_timeout``: seconds to wait for the Dask scheduler when connecting
    (None: :data:`normsim.studies.runner.SCHEDULER_TIMEOUT`)."""
    t0 = time.perf_counter()
    check_store_file(out_dir)  # refused before the first round, not at its first run
    check_owner(out_dir, "tipping", setup.loaded.scenario.name)
    ev = RunnerEvaluator(setup, Path(out_dir), workers, scheduler, quiet, scheduler_timeout)
    done = False
    try:
        grids = ev.grids()
        found = bisect(
            ev,
            len(setup.combos),
            setup.lo,
            setup.hi,
            setup.tol,
            grids,
            log=log,
            direction=setup.direction,
        )
        done = True
    finally:
        ev.close(stop=not done)
    sc = setup.loaded.scenario
    conds = []
    for combo, s, grid in zip(setup.combos, found, grids, strict=True):
        ends = (s.no_tip, s.tip) if s.direction == "up" else (s.tip, s.no_tip)
        lo, hi = s.bracket()
        conds.append(
            {
                "params": combo,
                "status": s.status,
                "bracket": [lo, hi],
                "width": None if lo is None or hi is None else hi - lo,
                "at_resolution": s.at_resolution,
                "n_agents": grid,
                "lo_side": _side(ends[0]),
                "hi_side": _side(ends[1]),
                "tested": [p.as_dict() for p in sorted(s.tested, key=lambda p: p.value)],
            }
        )
    committed = sc.population.committed is not None
    return {
        "scenario": sc.name,
        "vary": setup.vary,
        "direction": setup.direction,
        "lo": setup.lo,
        "hi": setup.hi,
        "tol": setup.tol,
        "runs": sc.runs,
        "generations": sc.schedule.generations,
        "criterion": {
            "share_among": "uncommitted" if committed else "everyone",
            "window": WINDOW,
            "level": LEVEL,
        },
        "added_committed": setup.added_committed,
        "dropped_sweep": setup.dropped_sweep,
        "conditions": conds,
        "ran": ev.ran,
        "already_stored": ev.skipped,
        "seconds": round(time.perf_counter() - t0, 2),
        "out": str(out_dir),
    }


def _side(p: Point | None) -> dict | None:
    return (
        None
        if p is None
        else {"value": p.value, "share": p.share, "p_change": p.p_change, "tipped": p.tipped}
    )


# ------------------------------------------------------------------ table and plot
def label(params: dict) -> str:
    """A condition's short name: its swept values, e.g. ``c=0.3``."""
    return ", ".join(f"{k.split('.')[-1]}={v}" for k, v in params.items()) or "(one condition)"


def _g(v: float | None, fmt: str = ".4g") -> str:
    return "-" if v is None else format(v, fmt)


def table(res: dict) -> str:
    """The result as text: one row per condition, then every value tested."""
    short = res["vary"].split(".")[-1]
    up = res["direction"] == "up"
    lines = [
        f"{res['scenario']}: {'smallest' if up else 'largest'} {res['vary']} in "
        f"[{res['lo']:g}, {res['hi']:g}] at which the new norm's share among "
        f"{res['criterion']['share_among']} ({res['criterion']['window']}, mean of "
        f"{res['runs']} runs) reaches {LEVEL:g}; tol {res['tol']:g}"
    ]
    if res.get("added_committed"):
        lines.append(
            "  (the scenario had no committed agents: added population.committed "
            "{norm: new, placement: random})"
        )
    if res.get("dropped_sweep"):
        lines.append(f"  (the scenario swept {res['vary']}: the search chose its values instead)")
    keys = list(res["conditions"][0]["params"]) if res["conditions"] else []
    head = [k.split(".")[-1] for k in keys] + [
        "result",
        f"{short} lo",
        "share",
        "p_change",
        f"{short} hi",
        "share",
        "p_change",
        "tested",
    ]
    rows = []
    for c in res["conditions"]:
        lo, hi = c["lo_side"] or {}, c["hi_side"] or {}
        if up:
            what = {
                "bracketed": "tips in bracket",
                "never": f"no tipping up to {res['hi']:g}",
                "already": f"tips already at {res['lo']:g}",
            }[c["status"]]
        else:
            what = {
                "bracketed": "stops tipping in bracket",
                "never": f"no tipping even at {res['lo']:g}",
                "already": f"tips even at {res['hi']:g}",
            }[c["status"]]
        if c["at_resolution"]:
            what += " (1 agent apart)"
        rows.append(
            [str(c["params"][k]) for k in keys]
            + [
                what,
                _g(lo.get("value")),
                _g(lo.get("share"), ".3f"),
                _g(lo.get("p_change"), ".2f"),
                _g(hi.get("value")),
                _g(hi.get("share"), ".3f"),
                _g(hi.get("p_change"), ".2f"),
                str(len(c["tested"])),
            ]
        )
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    for r in [head] + rows:
        lines.append("  ".join(x.rjust(w) for x, w in zip(r, widths, strict=True)).rstrip())
    lines.append("values tested (value: share, p_change):")
    for c in res["conditions"]:
        pts = "; ".join(
            f"{p['value']:.4g}: {p['share']:.3f}, {p['p_change']:.2f}" for p in c["tested"]
        )
        lines.append(f"  {label(c['params'])}: {pts}")
    return "\n".join(lines)


def figure(res: dict, out_dir: str | Path) -> Path:
    """``tipping.png``: the probability of change against the varied value, one line per
    condition (markers at the values tested), each bracket shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(out_dir) / "tipping.png"
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    try:
        for k, c in enumerate(res["conditions"]):
            colour = f"C{k % 10}"
            xs = [p["value"] for p in c["tested"]]
            ax.plot(
                xs,
                [p["p_change"] for p in c["tested"]],
                "o-",
                color=colour,
                label=label(c["params"]),
            )
            ax.plot(xs, [p["share"] for p in c["tested"]], ":", color=colour, lw=1)
            lo, hi = c["bracket"]
            if lo is not None and hi is not None:
                ax.axvspan(lo, hi, color=colour, alpha=0.15, lw=0)
        ax.axhline(LEVEL, color="grey", lw=0.8, ls="--")
        ax.set_xlim(res["lo"], res["hi"])
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel(res["vary"])
        ax.set_ylabel("probability of change (solid); mean share (dotted)")
        ax.set_title(
            f"{res['scenario']}: tipping search ({res['runs']} runs per value; "
            f"new norm among {res['criterion']['share_among']})",
            fontsize=10,
        )
        ax.legend(fontsize=8, loc="best")
        fig.tight_layout()
        fig.savefig(path, dpi=110)
    finally:
        plt.close(fig)
    return path


def write_json(res: dict, out_dir: str | Path) -> Path:
    """``tipping.json`` beside the store: the result object."""
    import json

    path = Path(out_dir) / "tipping.json"
    path.write_text(json.dumps(res, indent=1) + "\n")
    return path


def log_stderr(msg: str) -> None:
    """Print a progress or note line on stderr, prefixed ``normsim tipping:``."""
    print(f"normsim tipping: {msg}", file=sys.stderr, flush=True)
