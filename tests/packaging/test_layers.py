"""The package's layout: no import cycle, no import against the layers of
``tests/support/package_layout.py``, the deprecated module paths still work and nothing uses them.

The import graph is read from the source (``ast``): module-level imports and those inside
functions both count, so a cycle hidden in a function-local import fails too. Imports under
``if TYPE_CHECKING:`` load nothing at run time and are left out.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import subprocess
import sys
import warnings

import pytest

from support.package_layout import (
    CYCLES_ALLOWED,
    LAYERS,
    MOVED,
    ROOT,
    UPWARD_ALLOWED,
    cycles,
    imports,
    layer_of,
    modules,
)

RUNTIME = [i for i in imports() if not i.typing_only]


def test_every_module_has_one_layer():
    for name in modules():
        layer_of(name)  # raises for a module in no layer
    listed = [m for _, members in LAYERS for m in members]
    assert len(listed) == len(set(listed))


def test_no_import_cycle():
    found = {frozenset(c) for c in cycles([(i.importer, i.imported) for i in RUNTIME])}
    assert found - set(CYCLES_ALLOWED) == set(), "import cycles among normsim's modules"
    assert set(CYCLES_ALLOWED) - found == set(), "an allowed cycle is gone: remove it from the list"


def test_no_upward_import():
    up = [
        f"{i.importer} (layer {LAYERS[layer_of(i.importer)][0]}) imports {i.imported} "
        f"(layer {LAYERS[layer_of(i.imported)][0]}) at line {i.line}"
        for i in RUNTIME
        if i.importer not in MOVED
        and layer_of(i.imported) > layer_of(i.importer)
        and (i.importer, i.imported) not in UPWARD_ALLOWED
    ]
    assert up == []


def test_normsim_imports_no_deprecated_path():
    used = [f"{i.importer}:{i.line} imports {i.imported}" for i in imports() if i.imported in MOVED]
    assert used == []


#: modules whose import must not load numba: the package, its command line (each command
#: imports what it needs), the networks' specs, the well-mixed theory, scenarios, the
#: runner (which calls the engine), the figures and the browser page (its theory line
#: loads numba when it is drawn)
NO_NUMBA = [
    "normsim",
    "normsim.cli",
    "normsim.networks",
    "normsim.theory",
    "normsim.theory.analytic",
    "normsim.theory.mechanics_ode",
    "normsim.scenario",
    "normsim.studies.runner",
    "normsim.plots",
    "normsim.viz.app",
]


def _loads_at_import(module: str) -> set[str]:
    """The normsim modules that importing ``module`` runs, read from the module-level imports
    (with every package on the way, whose ``__init__`` runs first)."""
    graph: dict[str, set[str]] = {}
    for i in RUNTIME:
        if not i.local:
            graph.setdefault(i.importer, set()).add(i.imported)
    seen: set[str] = set()
    todo = [module]
    while todo:
        m = todo.pop()
        parts = m.split(".")
        for k in range(1, len(parts) + 1):
            name = ".".join(parts[:k])
            if name not in seen:
                seen.add(name)
                todo.extend(graph.get(name, ()))
    return seen


def _imports_numba_at_module_level(module: str) -> bool:
    tree = ast.parse(modules()[module].read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Import) and any(
            a.name.split(".")[0] == "numba" for a in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "numba":
            return True
    return False


@pytest.mark.parametrize("module", NO_NUMBA)
def test_importing_loads_no_numba(module):
    """numba and the compiled kernels load when a simulation or a numba theory needs them
    (the engine and normsim.theory load them on first use, PEP 562), not on import. A name
    taken from such a package is loaded by its ``__getattr__``, which this reading of the
    source does not follow: the slow test below imports the modules in a fresh interpreter."""
    loaded = sorted(m for m in _loads_at_import(module) if _imports_numba_at_module_level(m))
    assert loaded == []


@pytest.mark.slow
def test_importing_loads_no_numba_in_a_fresh_interpreter():
    code = (
        "import sys, warnings; warnings.simplefilter('error', DeprecationWarning); "
        f"import {', '.join(NO_NUMBA)}; "
        "print('numba' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "False", out.stderr


def _public(module) -> dict[str, object]:
    return {
        k: v
        for k, v in vars(module).items()
        if not k.startswith("_") and not inspect.ismodule(v) and k not in {"annotations"}
    }


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_path_imports_warns_and_exposes_the_same_objects(old):
    new = importlib.import_module(MOVED[old])
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=re.escape(f"import {MOVED[old]} instead")):
        shim = importlib.import_module(old)
    want = {k: getattr(new, k) for k in new.__all__} if hasattr(new, "__all__") else _public(new)
    got = _public(shim)
    assert want, MOVED[old]
    missing = sorted(set(want) - set(got))
    assert missing == [], f"{old} lacks {missing}"
    assert [k for k in want if got[k] is not want[k]] == []
    extra = {k: v for k, v in got.items() if k not in want and k != "warnings"}
    home, names = _MOVED_ELSEWHERE.get(old, ("", ()))
    for k, v in extra.items():  # names it had before the move, from a sibling module
        if k in names:  # or from a module of its own, below
            assert v is getattr(importlib.import_module(home), k), k
            continue
        assert getattr(v, "__module__", "").startswith(MOVED[old].rpartition(".")[0]), k


#: names an old path had that moved to a module outside its new package: old -> (module, names)
_MOVED_ELSEWHERE = {
    "normsim.limits": (
        "normsim.params",
        ("PayoffError", "SIM_PAYOFF_MAX", "SIM_PAYOFF_MIN", "check_payoffs"),
    ),
}


def test_old_paths_keep_the_names_they_had():
    """Names the old modules had that now live in a neighbouring module."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from normsim import analytic, edgelist
    from normsim.networks import node_labels
    from normsim.theory import mechanics_ode

    assert edgelist.node_labels is node_labels
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from normsim import design, limits
    from normsim import params, scenario

    for name in ("check_payoffs", "PayoffError", "SIM_PAYOFF_MAX"):
        assert getattr(limits, name) is getattr(params, name)
    for name in ("PointConditions", "numeric_paths", "DesignSpec", "design_conditions"):
        assert getattr(design, name) is getattr(scenario, name, getattr(scenario.design, name))
    for name in ("MixedPopulation", "analyse_mechanics", "critical_committed_fraction"):
        assert getattr(analytic, name) is getattr(mechanics_ode, name)


#: where an old path may still be written: the changelogs (history), the reference's list of
#: deprecated paths, this test's table and the shims themselves
_MAY_NAME_OLD_PATHS = {"CHANGELOG.md", "docs/changelog.md", "tests/support/package_layout.py"}


def test_tests_docs_and_scripts_use_the_new_paths():
    old = "|".join(m.split(".", 1)[1] for m in MOVED)
    pattern = re.compile(
        rf"(?<![\w.])normsim\.({old})\b|from normsim import [^\n]*\b({old})\b"
        rf"|normsim/({old})\.py"
    )
    files = [ROOT / "README.md", ROOT / "pyproject.toml"] + [
        p
        for top in ("tests", "docs", "benchmarks", "analysis", "scripts")
        for p in sorted((ROOT / top).rglob("*"))
        if p.suffix in {".py", ".md", ".rst", ".ipynb", ".sh"}
        and not any(part.startswith(("_build", "__pycache__", ".")) for part in p.parts[-4:])
    ]
    hits = []
    for path in files:
        f = path.relative_to(ROOT).as_posix()
        if f in _MAY_NAME_OLD_PATHS or f == "tests/packaging/test_layers.py" or not path.is_file():
            continue
        text = (ROOT / f).read_text(encoding="utf-8")
        if f == "docs/reference/api.rst":
            text = text.split("Deprecated module paths")[0]
        for n, line in enumerate(text.splitlines(), 1):
            if pattern.search(line):
                hits.append(f"{f}:{n}: {line.strip()[:120]}")
    assert hits == []
