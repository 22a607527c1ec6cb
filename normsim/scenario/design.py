"""Sampling designs: the ``design`` block of a scenario (Sobol', Morris, Latin hypercube).

A scenario may, besides (or instead of) a factorial ``sweep``, name a design::

    design:
      method: sobol            # sobol | morris | lhs
      samples: 64              # sobol: base samples N (a power of 2); morris: trajectories;
                               # lhs: points (at least 42)
      seed: 1                  # default: the scenario's seed
      second_order: true       # sobol only: also the points for second-order indices
      levels: 4                # morris only: grid levels (even)
      bounds:                  # dotted paths of numeric fields -> [lo, hi], lo < hi
        game.c: [0, 1]
        dynamics.exploration: [0, 0.2]
        population.network.p: [0, 0.3]

SALib draws the points (:func:`sample_matrix`): Saltelli's scheme on a
scrambled Sobol' sequence gives ``N (2D + 2)`` points (``N (D + 2)`` without
second order), Morris ``N (D + 1)``, Latin hypercube ``N``. The parameters are
taken in alphabetical order of their paths, so the order in which the bounds
are written does not change the design. Every point is an ordinary
:class:`~normsim.scenario.Condition` of the runner, with a content hash; the
runner stores, resumes and distributes them as it does a sweep's conditions,
and a point that is already stored (in this design or in another one) is not
run again. With a ``sweep`` as well, the design is repeated for every
combination of the swept values (a path may be in one of them only).

**Integer parameters** (network sizes and degrees, ``schedule.generations``,
``schedule.shocks.every``): with bounds ``[lo, hi]`` (integers) the design
samples ``[lo, hi + 1)`` and rounds down, so each integer lo..hi is equally
likely (Morris's top level, exactly ``hi + 1``, becomes ``hi``).

**Raising ``samples``** (same seed, bounds and method):

* Sobol': SALib's base sequence for ``N`` is the first ``N`` points of a
  scrambled Sobol' sequence in 2D dimensions seeded by ``seed``, and the
  Saltelli matrix is built block by block from it (for base point ``i``: row
  A_i, the D cross rows AB, with second order the D rows BA, then B_i). The
  design for ``N`` is therefore exactly the first ``N (2D + 2)`` rows of the
  design for any larger power of two: every old point is reused and only the
  new rows run. Switching ``second_order`` off keeps every point but the BA
  rows; switching it on adds them. Any change of ``seed``, of the bounds, or
  of the set of parameters gives other points (nothing reused).
* Morris: SALib draws the trajectories one after another from one seeded
  generator, so the first ``N`` trajectories of a larger design are the
  smaller design: reused too (unless ``levels`` changes). Points repeated
  between trajectories run once.
* Latin hypercube: the strata depend on ``N``; a new ``samples`` gives new
  points (none reused).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from normsim.errors import NormsimError
from normsim.scenario.condition import Condition, PointConditions, check_network, combos
from normsim.scenario.schema import (
    LHS_MIN_SAMPLES,
    METHODS,
    RBD_HARMONICS,
    DesignSpec,
    Scenario,
    condition_mapping,
    known_paths,
    line_of,
    numeric_paths,
    set_path,
    suggest_path,
    validate,
)

if TYPE_CHECKING:  # pragma: no cover
    from normsim.scenario.loading import LoadedScenario

#: meta key of the design record in a results store
META_KEY = "design"


def _overlap(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


# ------------------------------------------------------------------ validation
def check_design(sc: Scenario, raw: dict, where: str, node, base_dir: Path) -> None:
    """Check a scenario's design: paths, bounds, sample count (a NormsimError naming the field)."""
    d = sc.design
    if d is None:
        return

    def at(*path) -> str:
        line = line_of(node, ("design", *path)) if node is not None else None
        return f"{where}:{line}" if line else where

    kinds = numeric_paths(raw)
    for path, bound in d.bounds.items():
        loc = f"{at('bounds', path)}: design.bounds.{path}"
        for key in sc.sweep:
            if _overlap(path, key):
                raise NormsimError(
                    f"{loc}: {key} is also in sweep; a path can be in "
                    "either sweep or design, not both"
                )
        if not isinstance(bound, list) or len(bound) != 2:
            raise NormsimError(f"{loc}: {bound!r} is not [lo, hi]")
        check_range(raw, path, bound[0], bound[1], loc, base_dir, kinds=kinds, sweep=sc.sweep)
    _check_count(d, len(d.bounds), f"{at('samples')}: design.samples")
    if d.method != "sobol" and (raw.get("design") or {}).get("second_order") is True:
        raise NormsimError(f"{at('second_order')}: design.second_order: only for method sobol")
    if d.method != "morris" and "levels" in (raw.get("design") or {}):
        raise NormsimError(f"{at('levels')}: design.levels: only for method morris")
    if d.method == "morris" and (d.levels < 2 or d.levels % 2):
        raise NormsimError(
            f"{at('levels')}: design.levels: {d.levels} must be an even number "
            ">= 2 (SALib's Morris sampling is biased with an odd number)"
        )


def check_range(
    raw: dict,
    path: str,
    lo: Any,
    hi: Any,
    loc: str,
    base_dir: Path,
    *,
    kinds: dict | None = None,
    sweep: dict | None = None,
    integers: bool = True,
) -> str:
    """Check that ``path`` is a numeric field and ``[lo, hi]`` a range of values it accepts
    (lo < hi; both ends valid in every sweep combination). Returns ``"float"`` or ``"int"``.

    ``loc`` starts every error message (e.g. ``s.yaml:12: design.bounds.game.c``).
    """
    kinds = numeric_paths(raw) if kinds is None else kinds
    if path not in kinds:
        if path in known_paths():
            raise NormsimError(
                f"{loc}: not a numeric parameter (only numbers can be sampled; "
                "put other fields in sweep)"
            )
        raise NormsimError(f"{loc}: no such field{suggest_path(path)}")
    if kinds[path] == "int" and not integers:
        raise NormsimError(f"{loc}: an integer parameter; only continuous ones can be fitted")
    for v in (lo, hi):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
            raise NormsimError(f"{loc}: {v!r} is not a number")
        if kinds[path] == "int" and not float(v).is_integer():
            raise NormsimError(f"{loc}: {v!r} is not an integer ({path} is one)")
    if lo >= hi:
        raise NormsimError(f"{loc}: lo {lo!r} >= hi {hi!r}; give [lo, hi] with lo < hi")
    for combo in combos(sweep or {}):
        for v in (lo, hi):
            trial = condition_mapping(raw, combo, "sweep")
            set_path(trial, path, int(v) if kinds[path] == "int" else v, loc)
            try:
                spec = validate(trial, "", None)
                if spec.population.network is not None and path.startswith("population.network."):
                    check_network(spec, base_dir, "", {})
            except NormsimError as e:
                msg = str(e).lstrip(": ")
                raise NormsimError(f"{loc}: {v!r} is not allowed: {msg}") from None
    return kinds[path]


def _check_count(d: DesignSpec, n_vars: int, loc: str) -> None:
    n = d.samples
    if d.method == "sobol":
        if n < 2 or n & (n - 1):
            raise NormsimError(
                f"{loc}: {n} is not a power of 2 >= 2; SALib's Sobol' sampling needs one "
                f"(e.g. {max(2, 1 << max(1, (max(n, 2) - 1).bit_length() - 1))} or "
                f"{1 << max(1, (max(n, 2) - 1).bit_length())}): the sequence is balanced only "
                "then, and only then is a design the first rows of a larger one"
            )
        if n > 2**24:
            raise NormsimError(f"{loc}: {n} is more than 2**24 base samples")
    elif d.method == "morris":
        if n < 2:
            raise NormsimError(
                f"{loc}: {n} trajectories; SALib's Morris analysis needs at "
                "least 2 (sigma is a spread over trajectories)"
            )
    elif n < LHS_MIN_SAMPLES:
        raise NormsimError(
            f"{loc}: {n} points; the Latin hypercube's analysis (SALib's "
            f"RBD-FAST with M = {RBD_HARMONICS} harmonics) needs at least "
            f"{LHS_MIN_SAMPLES}"
        )


# ------------------------------------------------------------------ sampling
def problem(
    names: list[str], bounds: list[tuple[float, float]], integer: list[bool] | None = None
) -> dict:
    """The SALib problem: integer parameters span ``[lo, hi + 1)`` (rounded down later)."""
    integer = integer or [False] * len(names)
    b = [
        [float(lo), float(hi) + 1.0] if isint else [float(lo), float(hi)]
        for (lo, hi), isint in zip(bounds, integer, strict=True)
    ]
    return {"num_vars": len(names), "names": list(names), "bounds": b}


def sample_matrix(
    method: str, prob: dict, samples: int, seed: int, *, second_order: bool = True, levels: int = 4
) -> np.ndarray:
    """SALib's sample for a problem: an (n_points, D) array scaled to the problem's bounds.

    Examples
    --------
    >>> p = problem(["x", "y"], [(0, 1), (0, 2)])
    >>> sample_matrix("sobol", p, 8, seed=1).shape      # N (2D + 2)
    (48, 2)
    """
    from SALib.sample import latin, morris, sobol

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # SALib warns about unusable counts: never ignore it
        try:
            if method == "sobol":
                return sobol.sample(prob, samples, calc_second_order=second_order, seed=seed)
            if method == "morris":
                return morris.sample(prob, samples, num_levels=levels, seed=seed)
            if method == "lhs":
                return latin.sample(prob, samples, seed=seed)
        except (ValueError, UserWarning) as e:
            raise NormsimError(
                f"design: SALib cannot sample {samples} points by {method}: "
                f"{str(e).strip().splitlines()[0]}"
            ) from None
    raise NormsimError(f"design.method: {method!r} is not one of {', '.join(METHODS)}")


def require_salib() -> None:
    """Refuse (NormsimError, one line saying how to install it) when SALib is missing."""
    try:
        import SALib  # noqa: F401
    except ImportError:
        raise NormsimError(
            "a design needs SALib: install it with "
            "'.venv/bin/pip install -e \".[studies]\"' (or 'pip install SALib')"
        ) from None


def design_matrix(sc: Scenario, raw: dict) -> tuple[list[str], list[bool], np.ndarray]:
    """The design's parameter names (alphabetical), integer flags and SALib sample."""
    require_salib()
    d = sc.design
    assert d is not None, "a scenario with a design"
    kinds = numeric_paths(raw)
    names = sorted(d.bounds)
    integer = [kinds[n] == "int" for n in names]
    prob = problem(names, [tuple(d.bounds[n]) for n in names], integer)
    seed = sc.seed if d.seed is None else d.seed
    X = sample_matrix(d.method, prob, d.samples, seed, second_order=d.second_order, levels=d.levels)
    return names, integer, X


def point_values(names: list[str], integer: list[bool], row: np.ndarray, bounds: list) -> dict:
    """One design row as path -> value: integers rounded down (and at most ``hi``)."""
    out = {}
    for name, isint, x, (_lo, hi) in zip(names, integer, row, bounds, strict=True):
        out[name] = min(int(np.floor(x)), int(hi)) if isint else float(x)
    return out


def design_conditions(loaded: LoadedScenario) -> list[Condition]:
    """The conditions of a design scenario: every sweep combination x every design point.

    Points that coincide (Morris trajectories sharing a grid point, integer
    rounding) are one condition; the order is that of first appearance.
    """
    return _build(loaded)[0]


_LAST: dict = {}


def _build(loaded: LoadedScenario) -> tuple[list[Condition], dict]:
    """Conditions and record of a design, computed once for the scenario last asked about
    (the runner asks for the conditions, then for the record)."""
    key = (
        json.dumps(loaded.raw, sort_keys=True, default=str),
        str(loaded.path),
        str(loaded.base_dir),
        str(loaded.data_roots),
    )
    if key not in _LAST:
        _LAST.clear()
        _LAST[key] = _build_now(loaded)
    return _LAST[key]


def _build_now(loaded: LoadedScenario) -> tuple[list[Condition], dict]:
    sc = loaded.scenario
    d = sc.design
    assert d is not None, "a scenario with a design"
    names, integer, X = design_matrix(sc, loaded.raw)
    bounds = [d.bounds[n] for n in names]
    maker = PointConditions(loaded, list(sc.sweep) + names)
    by_hash: dict[str, Condition] = {}
    groups = []
    for combo in combos(sc.sweep):
        rows = []
        for row in X:
            c = maker.make({**combo, **point_values(names, integer, row, bounds)})
            rows.append(c.hash)
            by_hash.setdefault(c.hash, c)
        groups.append({"params": combo, "rows": rows})
    record = {
        "method": d.method,
        "samples": d.samples,
        "seed": sc.seed if d.seed is None else d.seed,
        "second_order": d.second_order if d.method == "sobol" else False,
        "levels": d.levels if d.method == "morris" else None,
        "names": names,
        "bounds": bounds,
        "integer": integer,
        "X": X.tolist(),
        "scenario": sc.name,
        "runs": sc.runs,
        "groups": groups,
    }
    return list(by_hash.values()), record


def design_record(loaded: LoadedScenario) -> dict:
    """What ``normsim sensitivity`` needs: method, parameters, the SALib sample and,
    for every sweep combination, the condition hash of every design row in order."""
    return _build(loaded)[1]


def write_record(store, loaded: LoadedScenario, conds: list[Condition]) -> None:
    """Store the design record (in the store's meta table) beside the conditions."""
    record = design_record(loaded)
    known = {c.hash for c in conds}
    assert all(h in known for g in record["groups"] for h in g["rows"])
    store.set_meta(META_KEY, json.dumps(record))


def read_record(store) -> dict | None:
    """The design record of a store (None if its last run had no design)."""
    text = store.get_meta(META_KEY)
    if text is None:
        return None
    with store.reading("the design record does not decode"):
        record = json.loads(text)
        if not isinstance(record, dict):
            raise TypeError("the design record is not a JSON object")
        missing = [k for k in _RECORD_KEYS if k not in record]
        if missing:
            raise KeyError(f"the design record lacks {', '.join(missing)}")
        for g in record["groups"]:
            if not isinstance(g["params"], dict) or not all(isinstance(h, str) for h in g["rows"]):
                raise TypeError(
                    "a group of the design record is not a mapping of params and condition hashes"
                )
    return record


#: what a design record holds (:func:`design_record`)
_RECORD_KEYS = (
    "method",
    "samples",
    "seed",
    "second_order",
    "levels",
    "names",
    "bounds",
    "integer",
    "X",
    "scenario",
    "runs",
    "groups",
)
