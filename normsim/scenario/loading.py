"""Loading a scenario file, and expanding a loaded scenario into its conditions.

:func:`~normsim.scenario.load` reads a scenario file defensively
(:mod:`normsim.scenario.yamlsafe`: a bounded size, no alias bombs, no duplicate keys),
applies ``--set`` overrides and checks the whole scenario before anything runs: its
fields (:func:`normsim.scenario.validate`), the data files it names, every value of
its sweep and its design's bounds (:func:`normsim.scenario.design.check_design`).
Every error is a :class:`normsim.errors.NormsimError` of one line naming the file and,
where YAML gives one, the line.

:func:`~normsim.scenario.conditions` expands a loaded scenario: the sweep's full
factorial, or every sweep combination x every design point, each a
:class:`~normsim.scenario.Condition` built by
:class:`~normsim.scenario.PointConditions`, once the cost estimate
(:func:`normsim.scenario.limits.check`) has refused a scenario too large for this
machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from normsim.errors import NormsimError, excerpt
from normsim.scenario import limits
from normsim.scenario.condition import Condition, PointConditions, check_paths, combos
from normsim.scenario.design import check_design, design_conditions
from normsim.scenario.schema import (
    Scenario,
    condition_mapping,
    known_paths,
    line_of,
    set_path,
    suggest_path,
    validate,
)
from normsim.scenario.yamlsafe import load_value, read_text
from normsim.scenario.yamlsafe import parse as parse_yaml


def parse_override(text: str) -> tuple[str, Any]:
    """``PATH=VALUE`` with VALUE read as YAML (``0.8``, ``[1, 2]``, ``reference``)."""
    if "=" not in text:
        raise NormsimError(f"--set: {excerpt(text)} is not PATH=VALUE (e.g. --set game.c=0.8)")
    path, value = text.split("=", 1)
    try:
        return path.strip(), load_value(value) if value.strip() else None
    except NormsimError:
        return path.strip(), value


@dataclass
class LoadedScenario:
    """A validated scenario with where it came from."""

    scenario: Scenario
    raw: dict
    path: Path | None
    #: folders besides the scenario's own that its data files may lie in (``--data-root``)
    data_roots: tuple = ()

    @property
    def base_dir(self) -> Path:
        """The folder relative paths in the scenario are read from (the file's folder)."""
        return self.path.parent if self.path else Path.cwd()

    def output_dir(self) -> Path:
        """The results directory: ``output.dir``, or ``results/NAME``."""
        out = self.scenario.output.dir or f"results/{self.scenario.name}"
        return Path(out)


def load(
    path: str | Path, overrides: list[str] | tuple = (), data_roots: list | tuple = ()
) -> LoadedScenario:
    """Read, check and validate a scenario file; apply ``--set`` overrides.

    The data files it names (an edge list, a group file) must lie in the scenario's
    folder or in one of ``data_roots`` (:func:`normsim.datafiles.resolve`)."""
    path = Path(path)
    where = str(path)
    text = read_text(path, where)  # at most yamlsafe.MAX_BYTES, whatever the file is
    return loads(text, where=where, path=path, overrides=overrides, data_roots=data_roots)


def loads(
    text: str,
    where: str = "<scenario>",
    path: Path | None = None,
    overrides: list[str] | tuple = (),
    data_roots: list | tuple = (),
) -> LoadedScenario:
    """Validate scenario text (see :func:`load`; without ``path`` its data files are
    read relative to the working directory, and must lie in it or in ``data_roots``)."""
    # no alias bombs, no duplicate keys, 1e-3 is a number (normsim.scenario.yamlsafe)
    node, raw = parse_yaml(text, where)
    if not isinstance(raw, dict):
        raise NormsimError(
            f"{where}: a scenario must be a mapping of keys to values "
            f"(name, game, population, ...), not {type(raw).__name__}"
        )
    if any(not isinstance(k, str) for k in raw):
        raise NormsimError(f"{where}: every top-level key must be a text")
    for text_ in overrides:
        p, v = parse_override(text_)
        sweep = raw.get("sweep")
        if isinstance(sweep, dict) and p in sweep:
            raise NormsimError(
                f"--set {p}: {p} is swept (sweep.{p}), so the sweep's values "
                f"would replace this one; set those instead, e.g. "
                f"--set 'sweep.{p}=[{excerpt(v)}]'"
            )
        set_path(raw, p, v, "--set")
    if overrides:
        node = None  # line numbers would point at values that --set replaced
    sc = validate(raw, where, node)
    roots = tuple(_data_root(r) for r in data_roots)
    check_paths(sc, path.parent if path else Path.cwd(), roots, where, node)
    _check_sweep(sc, raw, where, node)
    check_design(sc, raw, where, node, path.parent if path else Path.cwd())
    return LoadedScenario(sc, raw, path, roots)


def _data_root(text: str | Path) -> Path:
    p = Path(text)
    if not p.is_dir():
        raise NormsimError(f"--data-root: {excerpt(str(text))} is not a folder")
    return p.resolve()


def _check_sweep(sc: Scenario, raw: dict, where: str, node) -> None:
    for key, values in sc.sweep.items():
        line = line_of(node, ("sweep", key)) if node is not None else None
        at = f"{where}:{line}" if line else where
        if key in (
            "sweep",
            "name",
            "runs",
            "seed",
            "output",
            "description",
            "design",
        ) or key.startswith(("sweep.", "output.", "design.")):
            raise NormsimError(f"{at}: sweep.{key}: cannot be swept")
        if not values:
            raise NormsimError(f"{at}: sweep.{key}: give at least one value")
        if not _path_exists(raw, key):
            raise NormsimError(f"{at}: sweep.{key}: no such field{suggest_path(key)}")
        for v in values:
            trial = condition_mapping(raw, {key: v}, at)
            validate(trial, at, None, what=f"sweep value {excerpt(v)} of ")


def _path_exists(raw: dict, key: str) -> bool:
    # a network parameter the kind does not take is reported by the kind's own check
    return key in known_paths()


def conditions(loaded: LoadedScenario, *, n_cores: int | None = None) -> list[Condition]:
    """The sweep's full factorial (or the one condition), in sweep order; with a
    ``design``, every sweep combination x every design point
    (:mod:`normsim.scenario.design`).

    A scenario too large for this machine (memory, or time on ``n_cores`` cores,
    default this machine's) is refused first, before anything is built or
    expanded (:func:`normsim.scenario.limits.check`).
    """
    limits.check(loaded, n_cores=n_cores)
    sc = loaded.scenario
    if sc.design is not None:
        return design_conditions(loaded)
    maker = PointConditions(loaded, list(sc.sweep), source="sweep", each_network=True)
    return [maker.make(values) for values in combos(sc.sweep)]
