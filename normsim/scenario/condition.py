"""One condition of a scenario: built, checked and identified by its content hash.

A condition is the scenario with a sweep's combination or a design's point set
(:func:`normsim.scenario.condition_mapping`), validated as a whole scenario, its
data files and its network checked (:func:`~normsim.scenario.check_paths`,
:func:`~normsim.scenario.check_network`), and identified by a hash of what
determines its results (:func:`~normsim.scenario.condition_hash`): the runner
stores and resumes its replicates under that hash.
:class:`~normsim.scenario.PointConditions` builds them, for a sweep
(:func:`normsim.scenario.conditions`), a sampling design
(:mod:`normsim.scenario.design`) and the studies' particles.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from normsim.datafiles import check_special, resolve
from normsim.draws import CONFORMITY_DRAWS, DRAW_SCHEDULE
from normsim.errors import NormsimError
from normsim.groups import check_groups
from normsim.initial import check_initial, initial_state, snapshot_db, snapshot_digest
from normsim.mechanisms import check_committed, committed_count
from normsim.parameters import UNLESS_DEFAULT
from normsim.params import ModelParams, check_events
from normsim.scenario.schema import Scenario, condition_mapping, line_of, numeric_paths, validate

if TYPE_CHECKING:  # pragma: no cover
    from normsim.scenario.loading import LoadedScenario


def data_paths(spec: Scenario) -> list[tuple[tuple, str]]:
    """The data files a resolved scenario names: ``(field path, the path as written)``."""
    out: list[tuple[tuple, str]] = []
    net = spec.population.network
    if net is not None and net.kind == "edgelist":
        out.append((("population", "network", "path"), str(net.as_dict().get("path"))))
    gr = spec.population.groups
    if gr is not None and gr.file is not None:
        out.append((("population", "groups", "file"), gr.file))
    ini = spec.population.initial
    if ini is not None and ini.snapshot is not None:  # the results store's database file
        out.append((("population", "initial", "snapshot", "path"), snapshot_db(ini.snapshot.path)))
    return out


def check_paths(
    spec: Scenario,
    base_dir: Path,
    roots: tuple = (),
    where: str = "<scenario>",
    node: yaml.Node | None = None,
) -> None:
    """Refuse a data file outside the scenario's folder and ``roots``, or a special file
    (:func:`normsim.datafiles.resolve`), before anything is read from it."""
    for loc, text in data_paths(spec):
        line = line_of(node, loc) if node is not None else None
        try:
            resolve(text, base_dir, ".".join(loc), roots)
        except NormsimError as e:
            raise NormsimError(f"{where}:{line}: {e}" if line else f"{where}: {e}") from None


@dataclass(frozen=True)
class Condition:
    """One resolved condition of a scenario: the swept values and the full model."""

    scenario: str
    params: dict  # the swept paths and their values in this condition
    spec: Scenario  # the resolved scenario of this condition (no sweep)
    hash: str
    base_dir: str
    n_agents: int = 0  # agents in the first replicate's graph (0: well-mixed)

    @property
    def well_mixed(self) -> bool:
        """Whether this condition is the well-mixed ODE."""
        return self.spec.population.well_mixed

    def model_params(self) -> ModelParams:
        """The agent-based model of this condition."""
        return self.spec.model_params()

    def describe(self) -> str:
        """The swept values of this condition as text (``game.c=0.3, ...``)."""
        return ", ".join(f"{k}={v}" for k, v in self.params.items()) or "(single condition)"


def check_network(spec: Scenario, base_dir: Path, where: str, params: dict) -> int:
    """Build the condition's graph once (first replicate's seed) to catch bad sizes early.

    Returns its number of agents."""
    assert spec.population.network is not None, "a network condition"
    net = spec.population.network.as_dict()
    size = _network_size.__wrapped__ if net["kind"] == "edgelist" else _network_size
    cond = f" (condition {', '.join(f'{k}={v}' for k, v in params.items())})" if params else ""
    try:  # an edge-list file may change between calls: never cached
        n = size(json.dumps(net, sort_keys=True), spec.seed, str(base_dir))
    except NormsimError as e:
        raise NormsimError(f"{where}: population.{e}{cond}") from None
    if spec.population.committed is not None:
        try:
            committed = check_committed(
                spec.population.committed.as_dict(), spec.game.a, spec.game.b
            )
            assert committed is not None  # a spec was given
            committed_count(committed, n)
        except NormsimError as e:
            raise NormsimError(f"{where}: {e}{cond}") from None
    if spec.population.initial is not None:
        from normsim.draws import graph_seed, replicate_seed
        from normsim.networks import spec_adjacency

        try:  # the initial configuration against the first replicate's graph
            adj = spec_adjacency(
                net, seed=graph_seed(replicate_seed(spec.seed, 0)), base_dir=base_dir
            )
            initial = check_initial(spec.population.initial.as_dict())
            assert initial is not None  # a spec was given
            ex = spec.dynamics.exploration
            initial_state(
                initial,
                adj.indptr,
                adj.indices,
                net,
                rates=None if isinstance(ex, float) else tuple(ex.rates),
                base_dir=base_dir,
            )
        except NormsimError as e:
            raise NormsimError(f"{where}: {e}{cond}") from None
    gr = spec.population.groups
    if gr is not None:
        from normsim.groups import group_labels, n_groups

        try:  # the groups against the network (a blocks cut is checked per replicate)
            groups = check_groups(gr.as_dict(), net, evolving=False)
            assert groups is not None  # a spec was given
            m = groups["n"]
            if not (groups["by"] == "blocks" and net.get("largest_component")):
                m = n_groups(groups, group_labels(groups, net, n, None, base_dir))
            # an event for a group that does not exist (before anything is written)
            for k, ev in enumerate(check_events(spec.schedule.events, spec.schedule.generations)):
                if m is not None and ev.get("group", 0) >= m:
                    raise NormsimError(
                        f"schedule.events[{k}].group: {ev['group']} is not a "
                        f"group (groups 0..{m - 1})"
                    )
        except NormsimError as e:
            raise NormsimError(f"{where}: {e}{cond}") from None
    return n


@functools.lru_cache(maxsize=256)
def _network_size(spec_json: str, seed: int, base_dir: str) -> int:
    """Agents of a network spec's first-replicate graph; a sweep that does not
    vary the network builds it once, not once per condition."""
    from normsim.draws import graph_seed, replicate_seed
    from normsim.networks import spec_adjacency

    return spec_adjacency(
        json.loads(spec_json), seed=graph_seed(replicate_seed(seed, 0)), base_dir=base_dir
    ).n


def _content(spec: Scenario, base_dir: Path) -> dict:
    d = spec.model_dump(
        mode="json", exclude={"name", "description", "runs", "sweep", "output", "design"}
    )
    # mechanisms left at their defaults are left out: a plain scenario keeps the
    # hash it had before they existed (its stored replicates are resumed into)
    # (normsim.parameters: the parameters hashed "unless default")
    # (the game section dumps a, b, c or the matrix: GameSpec, a preset resolved)
    for par in UNLESS_DEFAULT:
        section, key = par.path.split(".")
        # (the JSON dump writes a tuple default, such as no events, as a list)
        default = list(par.default) if isinstance(par.default, tuple) else par.default
        if d[section].get(key) == default:
            d[section].pop(key, None)
    if "conformity" in d["dynamics"] and d["dynamics"].get("update") != "asynchronous":
        # the conformist's draws there changed (normsim.draws.CONFORMITY_DRAWS):
        # a store of the older draws is not resumed into
        d["conformity_draws"] = CONFORMITY_DRAWS
    d["draw_schedule"] = DRAW_SCHEDULE  # the same seed draws differently under another
    if d["population"].get("network"):  # networkx and native build the same graph
        d["population"]["network"].pop("generator", None)
    net = spec.population.network
    gr = spec.population.groups
    if gr is not None and gr.file is not None:  # the groups file's contents, as an edge list's
        p = Path(gr.file)
        p = check_special(p if p.is_absolute() else base_dir / p, "population.groups.file")
        try:
            d["groups_file_sha256"] = hashlib.sha256(p.read_bytes()).hexdigest()
        except OSError as e:
            raise NormsimError(f"population.groups.file: cannot read {p}: {e}") from None
    ini = spec.population.initial
    if ini is not None and ini.snapshot is not None:  # the stored state, as an edge list's
        d["initial_snapshot_sha256"] = snapshot_digest(ini.snapshot.model_dump(), base_dir)
    if net is not None and net.kind == "edgelist":
        p = Path(net.as_dict()["path"])
        p = check_special(p if p.is_absolute() else base_dir / p, "population.network.path")
        try:
            with open(p, "rb") as fh:  # streamed: an edge list may be large
                d["edgelist_sha256"] = hashlib.file_digest(fh, "sha256").hexdigest()
        except OSError as e:
            raise NormsimError(f"population.network.path: cannot read {p}: {e}") from None
    return d


def condition_hash(spec: Scenario, base_dir: Path) -> str:
    """Content hash of a resolved condition (model, schedule, seed; edge-list contents;
    the state an initial snapshot holds; the version of the draw schedule,
    :data:`normsim.draws.DRAW_SCHEDULE`)."""
    blob = json.dumps(_content(spec, base_dir), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def combos(sweep: Mapping[str, list]) -> list[dict]:
    """A sweep's full factorial: for each combination, its paths mapped to their values,
    in sweep order (``[{}]``, one condition, without a sweep)."""
    keys = list(sweep)
    return [
        dict(zip(keys, c, strict=True)) for c in itertools.product(*(sweep[k] for k in keys))
    ] or [{}]


class PointConditions:
    """The conditions of a scenario with some paths set: a sweep's combinations, design
    points, particles.

    Each is validated as a whole scenario and gets its content hash. ``varied`` are the
    paths that vary; ``source`` (``design``, ``sweep``) starts an error in setting one.
    With ``each_network`` (a sweep's conditions) the network of every condition is
    checked, with its committed agents and groups. Otherwise it is built once per
    distinct network (to check it and count its agents): a float network parameter
    within checked bounds (a rewiring probability) changes neither, unless the largest
    component is taken.
    """

    def __init__(
        self,
        loaded: LoadedScenario,
        varied: list[str],
        *,
        source: str = "design",
        each_network: bool = False,
    ):
        self.loaded = loaded
        self.source = source
        self.each_network = each_network
        self.where = str(loaded.path or "<scenario>")
        kinds = numeric_paths(loaded.raw) if not each_network else {}
        self.float_net = {
            p.split(".")[-1]
            for p in varied
            if p.startswith("population.network.") and kinds.get(p) == "float"
        }
        self.sizes: dict[str, int] = {}

    def make(self, values: dict, params: dict | None = None) -> Condition:
        """The condition with ``values`` (path -> value) set; ``params`` as stored (default
        ``values``)."""
        raw = condition_mapping(self.loaded.raw, values, self.source)
        spec = validate(raw, self.where, None)
        check_paths(spec, self.loaded.base_dir, self.loaded.data_roots, self.where)
        params = dict(values) if params is None else params
        n = 0
        if spec.population.network is not None:
            if self.each_network:
                n = check_network(spec, self.loaded.base_dir, self.where, params)
            else:
                n = self._size(spec, params)
        return Condition(
            scenario=spec.name,
            params=params,
            spec=spec,
            hash=condition_hash(spec, self.loaded.base_dir),
            base_dir=str(self.loaded.base_dir),
            n_agents=n,
        )

    def _size(self, spec: Scenario, params: dict) -> int:
        assert spec.population.network is not None
        net = spec.population.network.as_dict()
        key = json.dumps(
            {
                k: v
                for k, v in net.items()
                if k not in self.float_net or net.get("largest_component")
            },
            sort_keys=True,
        )
        if key not in self.sizes:
            self.sizes[key] = check_network(spec, self.loaded.base_dir, self.where, params)
        return self.sizes[key]
