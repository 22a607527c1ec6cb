"""The example scenarios that ship inside the package.

Each ``*.yaml`` file beside this module is a scenario file (the quick start,
one per figure of the paper, and a few studies beyond it). They are package
data, so an installed wheel has them too: ``normsim example`` lists them and
``normsim example NAME`` runs one. The repository's ``scenarios/`` folder holds
symbolic links to these files, so there is one copy of each.

Examples
--------
>>> "quickstart" in names()
True
>>> load("quickstart").scenario.name
'quickstart'
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from normsim.errors import NormsimError


def _folder():
    return resources.files(__name__)


def names() -> list[str]:
    """Names of the packaged example scenarios (file names without ``.yaml``), sorted."""
    return sorted(p.name[:-5] for p in _folder().iterdir() if p.name.endswith(".yaml"))


def _key(name: str) -> str:
    return name.removesuffix(".yaml").replace("-", "_")


def path(name: str) -> Path:
    """The file of example ``name``.

    ``name`` is a file name without ``.yaml`` (``quickstart``, ``fig6_norm_change``);
    hyphens may stand for underscores (``fig6-norm-change``, the scenario's own name).

    Raises
    ------
    NormsimError
        If there is no such example (the message lists the examples).
    """
    for n in names():
        if _key(n) == _key(name):
            return Path(str(_folder() / f"{n}.yaml"))
    raise NormsimError(
        f"example {name!r}: no such example scenario (examples: {', '.join(names())})"
    )


def text(name: str) -> str:
    """The YAML text of example ``name`` (to copy and edit)."""
    return path(name).read_text(encoding="utf-8")


def load(name: str, overrides: list[str] | tuple = ()):
    """Example ``name`` as a validated :class:`normsim.scenario.LoadedScenario`.

    ``overrides`` are ``PATH=VALUE`` texts, as ``--set`` takes them.
    """
    from normsim.scenario import load as load_file

    return load_file(path(name), overrides=overrides)


def describe(name: str, width: int = 90) -> str:
    """Example ``name``'s description on one line, cut to about ``width`` characters."""
    from normsim.scenario import loads

    words = loads(text(name), where=name).scenario.description.split()
    line = " ".join(words)
    if len(line) <= width:
        return line
    cut = line[:width].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.") + " ..."
