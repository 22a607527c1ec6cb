"""Scenario files: YAML schema, validation with clear messages, sweep and design expansion.

A scenario describes one experiment (the documentation's "Scenario files"
page, docs/guide/scenarios.md, lists every field; its reference is generated
from the models of :mod:`normsim.scenario.schema` and their field docstrings).
Loading one gives a :class:`LoadedScenario`; :func:`conditions` expands its
sweep into the full factorial of :class:`Condition` objects (or its sampling
design into its points), each a resolved model with a content hash that
identifies its stored results.

Every error is a :class:`normsim.errors.NormsimError` whose message names the
file, the line where YAML gives one, the dotted path of the field, what was
wrong and what is allowed, e.g.
``quick.yaml:5: game.c: 1.5 is outside [0, 1]``.

The modules, each importing only those before it:

- :mod:`normsim.scenario.yamlsafe`: reading YAML defensively, with line numbers;
- :mod:`normsim.scenario.schema`: the pydantic models, a mapping validated against
  them, the fields' dotted paths and the mapping of one condition;
- :mod:`normsim.scenario.condition`: one condition built, checked and hashed;
- :mod:`normsim.scenario.design`: sampling designs (SALib) and their checks;
- :mod:`normsim.scenario.limits`: what a scenario will cost, refused when too large;
- :mod:`normsim.scenario.loading`: :func:`load`, :func:`loads` and :func:`conditions`.

The names of :mod:`~normsim.scenario.schema`, :mod:`~normsim.scenario.condition` and
:mod:`~normsim.scenario.loading` are available here.

Examples
--------
>>> loaded = loads("name: demo\\nruns: 2\\nsweep: {game.c: [0.3, 0.6]}\\n")
>>> [c.describe() for c in conditions(loaded)]
['game.c=0.3', 'game.c=0.6']
"""

from normsim.scenario.condition import (
    Condition,
    PointConditions,
    check_network,
    check_paths,
    combos,
    condition_hash,
    data_paths,
)
from normsim.scenario.loading import LoadedScenario, conditions, load, loads, parse_override
from normsim.scenario.schema import (
    BallSpec,
    BlockSpec,
    CommittedSpec,
    DesignSpec,
    DynamicsSpec,
    Every,
    EvolvingRates,
    GameSpec,
    GroupsSpec,
    InitialSpec,
    NetworkSpec,
    Number,
    OutputSpec,
    PopulationSpec,
    Scenario,
    ScheduleSpec,
    SnapshotSpec,
    condition_mapping,
    known_paths,
    line_of,
    numeric_paths,
    set_path,
    suggest_path,
    validate,
)

__all__ = [
    "BallSpec",
    "BlockSpec",
    "CommittedSpec",
    "Condition",
    "DesignSpec",
    "DynamicsSpec",
    "Every",
    "EvolvingRates",
    "GameSpec",
    "GroupsSpec",
    "InitialSpec",
    "LoadedScenario",
    "NetworkSpec",
    "Number",
    "OutputSpec",
    "PointConditions",
    "PopulationSpec",
    "Scenario",
    "ScheduleSpec",
    "SnapshotSpec",
    "check_network",
    "check_paths",
    "combos",
    "condition_hash",
    "condition_mapping",
    "conditions",
    "data_paths",
    "known_paths",
    "line_of",
    "load",
    "loads",
    "numeric_paths",
    "parse_override",
    "set_path",
    "suggest_path",
    "validate",
]
