"""Reading scenario YAML defensively: bounded size, no alias bombs, no duplicate keys.

PyYAML's ``safe_load`` already refuses arbitrary Python objects. This module adds
what a careless or hostile file still gets through it:

* **alias expansion bombs** ("billion laughs"): anchors and aliases let a few
  hundred bytes describe a value with billions of elements. PyYAML builds it as
  a shared structure, but anything that walks it (validation, ``repr`` in an
  error message, ``json.dumps``) expands it. :func:`parse` counts the values a
  document expands to, on the composed node graph, before anything is built,
  and refuses a document whose aliases add more than
  :data:`MAX_ALIAS_EXPANSION` values (or that refers to itself);
* **duplicate keys**, which YAML loaders silently resolve to the last one:
  refused with the line numbers of both;
* **exponent notation**: YAML 1.1 reads ``1e-3`` and ``1.0e3`` as text (its
  floats need a decimal point and a signed exponent). Here ``1e-3``,
  ``1.0e-3``, ``2.5E+4`` and ``.5e3`` are floats, and ``1e6`` (an integer
  mantissa, a non-negative exponent up to 18) is the integer 1000000, so it
  can be a number of generations or replicates;
* **size**: :func:`read_text` reads at most :data:`MAX_BYTES` (a FIFO or a
  device such as ``/dev/zero`` cannot make it read forever), and :func:`parse`
  refuses a document of more than :data:`MAX_VALUES` values, counted on the
  parser's event stream before anything is composed, so a file at the size limit
  is read or refused in about a second. Documents are parsed by libyaml when
  PyYAML has it (its pure-Python parser reads about 0.2 MB a second).

Every problem is a :class:`normsim.errors.NormsimError` in the scenario
messages' style, ``file:line: path: problem``.

Examples
--------
>>> node, raw = parse("game: {a: 1e-3, b: 1.0e-3}\\nschedule: {generations: 1e4}\\n", "s.yaml")
>>> raw
{'game': {'a': 0.001, 'b': 0.001}, 'schedule': {'generations': 10000}}
>>> parse("game: {c: 0.3}\\ngame: {c: 0.4}\\n", "s.yaml")
Traceback (most recent call last):
...
normsim.errors.NormsimError: s.yaml:2: game: given twice (lines 1 and 2); keep one
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from normsim.errors import NormsimError

#: largest scenario file read (bytes); a scenario is a short text
MAX_BYTES = 10 * 2**20
#: how many values aliases may add to a document beyond those written in it
MAX_ALIAS_EXPANSION = 100_000
#: most values (scalars, lists, mappings, aliases) a scenario document may hold
MAX_VALUES = 100_000

_EXP = re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?|[-+]?\.[0-9_]+)[eE][-+]?[0-9]+$")
_EXP_INT = re.compile(r"^([-+]?[0-9]+)[eE]\+?([0-9]+)$")
_EXP_TAG = "tag:normsim,2017:exponent-number"


#: libyaml's parser when PyYAML was built with it, else PyYAML's own
_SAFE_LOADER = getattr(yaml, "CSafeLoader", None) if yaml.__with_libyaml__ else None
_SAFE_LOADER = _SAFE_LOADER or yaml.SafeLoader


# the base is chosen at import time (libyaml or not), which a type checker cannot follow
class ScenarioLoader(_SAFE_LOADER):  # type: ignore[valid-type,misc]
    """A safe loader (libyaml's when available) that also reads exponent notation as
    numbers."""


def _construct_exponent(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int | float:
    text = loader.construct_scalar(node).replace("_", "")
    m = _EXP_INT.match(text)
    if m and int(m.group(2)) <= 18:
        return int(m.group(1)) * 10 ** int(m.group(2))
    return float(text)


ScenarioLoader.add_implicit_resolver(_EXP_TAG, _EXP, list("-+0123456789."))
ScenarioLoader.add_constructor(_EXP_TAG, _construct_exponent)


def read_text(path: str | Path, where: str | None = None) -> str:
    """The UTF-8 text of a scenario file, read with a size limit."""
    path = Path(path)
    where = where or str(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise NormsimError(f"{where}: scenario file not found") from None
    except IsADirectoryError:
        raise NormsimError(f"{where}: is a directory, not a scenario file") from None
    except OSError as e:
        raise NormsimError(f"{where}: cannot read the scenario: {e.strerror or e}") from None
    if len(data) > MAX_BYTES:
        raise NormsimError(
            f"{where}: more than {MAX_BYTES // 2**20} MiB: not a scenario file "
            "(a scenario is a short text; is this the right file?)"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise NormsimError(
            f"{where}: cannot read the scenario: not UTF-8 text ({e.reason} at byte {e.start})"
        ) from None


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [x for kv in node.value for x in kv]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _path(path: tuple) -> str:
    return ".".join(str(p) for p in path) or "scenario"


def check_tree(root: yaml.Node | None, where: str) -> None:
    """Refuse alias bombs, self-referring aliases and duplicate keys in a composed document.

    Walks the node graph once (iteratively: nesting depth does not matter),
    each node once however many aliases point at it.
    """
    if root is None:
        return
    size: dict[int, int] = {}
    entered: set[int] = set()
    stack: list[tuple[yaml.Node, bool, tuple]] = [(root, False, ())]
    while stack:
        node, done, path = stack.pop()
        i = id(node)
        if done:
            size[i] = 1 + sum(size[id(c)] for c in _children(node))
            continue
        if i in size:
            continue
        if i in entered:
            raise NormsimError(
                f"{where}:{node.start_mark.line + 1}: {_path(path)}: an alias "
                "refers to the value that contains it (a recursive value)"
            )
        entered.add(i)
        stack.append((node, True, path))
        if isinstance(node, yaml.MappingNode):
            _check_duplicates(node, path, where)
            for k, v in node.value:
                key = k.value if isinstance(k, yaml.ScalarNode) else "?"
                stack.append((k, False, path))
                stack.append((v, False, path + (key,)))
        elif isinstance(node, yaml.SequenceNode):
            for j, v in enumerate(node.value):
                stack.append((v, False, path + (j,)))
    extra = size[id(root)] - len(size)
    if extra > MAX_ALIAS_EXPANSION:
        raise NormsimError(
            f"{where}: YAML aliases expand this document by {extra:.3g} values "
            f"(at most {MAX_ALIAS_EXPANSION:,} allowed): refusing a possible "
            "'billion laughs' document; write the values out instead"
        )


def _check_duplicates(node: yaml.MappingNode, path: tuple, where: str) -> None:
    seen: dict[tuple, int] = {}
    for k, _ in node.value:
        if not isinstance(k, yaml.ScalarNode) or k.tag == "tag:yaml.org,2002:merge":
            continue
        key = (k.tag, k.value)
        line = k.start_mark.line + 1
        if key in seen:
            raise NormsimError(
                f"{where}:{line}: {_path(path + (k.value,))}: given twice "
                f"(lines {seen[key]} and {line}); keep one"
            )
        seen[key] = line


_VALUE_EVENTS = (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent, yaml.AliasEvent)


def _count_values(text: str, where: str) -> None:
    """Refuse a document of more than :data:`MAX_VALUES` values, reading no further than
    that many parser events (the count stops there: time bounded by the limit, not by
    the file)."""
    loader = ScenarioLoader(text)
    try:
        n = 0
        while loader.check_event():
            if isinstance(loader.get_event(), _VALUE_EVENTS):
                n += 1
                if n > MAX_VALUES:
                    raise NormsimError(
                        f"{where}: more than {MAX_VALUES:,} values: not a scenario file (a "
                        "scenario is a short text; a long list of values belongs in a data "
                        "file, a long sweep in several scenarios)"
                    )
    finally:
        loader.dispose()


def parse(text: str, where: str) -> tuple[yaml.Node | None, Any]:
    """Count, compose, check and construct one YAML document: ``(node tree, Python
    value)``."""
    loader = None
    try:
        _count_values(text, where)
        loader = ScenarioLoader(text)
        node = loader.get_single_node()
        check_tree(node, where)
        raw = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise NormsimError(f"{where}{line}: malformed YAML: {_short(problem)}") from None
    except (ValueError, TypeError, RecursionError, OverflowError) as e:
        if isinstance(e, NormsimError):
            raise
        raise NormsimError(f"{where}: malformed YAML: {_short(str(e))}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return node, raw


def load_value(text: str) -> Any:
    """One YAML value (a ``--set`` value), read like a scenario's values."""
    return parse(text, "--set")[1]
