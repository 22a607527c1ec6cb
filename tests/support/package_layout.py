"""normsim's layers, its deprecated module paths, and its import graph read from the source.

Used by ``test_layers.py`` (no cycle, no upward import, no shim imported by normsim) and by
``test_docs.py`` (the deprecated paths are documented, not walked for public names).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "normsim"

#: The layers, lowest first: a module may import modules of its own layer and of the layers
#: below it, never above. A name ending in ``.*`` covers a package's modules (and the
#: package itself). The engine and the theory do not import each other; their order here
#: is arbitrary.
LAYERS: list[tuple[str, list[str]]] = [
    # the vocabulary every layer shares; the kernel cache's locator (numba's cache=True
    # functions of networks and theory need it installed first)
    (
        "core",
        [
            "normsim",
            "normsim.errors",
            "normsim.game",
            "normsim.draws",
            "normsim.mechanisms",
            # the rules for the data files a scenario names, which the networks, the groups
            # and the store read
            "normsim.datafiles",
            "normsim.engine.cache",
            # the declarations the model's layers read: parameters, revision protocols
            "normsim.parameters",
            "normsim.protocols.*",
        ],
    ),
    # the results database: below the scenarios because their cost estimate
    # (normsim.scenario.limits) reads a run's disk from it
    ("storage", ["normsim.store", "normsim.snapshots"]),
    ("networks", ["normsim.networks.*"]),
    # the model's parameters, with the payoffs the simulation can sum
    ("model", ["normsim.groups", "normsim.initial", "normsim.params", "normsim.naming"]),
    # the two implementations of the agent-based model: the compiled engine and Mesa's
    (
        "engine",
        [
            "normsim.engine",
            "normsim.engine.core",
            "normsim.engine.kernels",
            "normsim.engine.warm",
            "normsim.engine.naming",
            "normsim.agents",
            "normsim.model",
            "normsim.naming_model",
        ],
    ),
    ("theory", ["normsim.theory.*"]),
    # scenario files: schema, loading, conditions, sampling designs, cost estimates
    ("scenario", ["normsim.scenario.*", "normsim.examples"]),
    ("studies", ["normsim.studies.*"]),
    # what a user runs or looks at
    ("app", ["normsim.plots", "normsim.cli.*", "normsim.__main__", "normsim.viz.*"]),
]

#: Deprecated module paths (kept for one release): old -> new. Each old module only
#: re-exports the new one and warns; nothing in normsim imports it.
MOVED: dict[str, str] = {
    "normsim.generators": "normsim.networks.generators",
    "normsim.edgelist": "normsim.networks.edgelist",
    "normsim.analytic": "normsim.theory.analytic",
    "normsim.mechanics_ode": "normsim.theory.mechanics_ode",
    "normsim.pairapprox": "normsim.theory.pairapprox",
    "normsim.finite": "normsim.theory.finite",
    "normsim.runner": "normsim.studies.runner",
    "normsim.results": "normsim.studies.results",
    "normsim.metrics": "normsim.studies.metrics",
    "normsim.sensitivity": "normsim.studies.sensitivity",
    "normsim.calibrate": "normsim.studies.calibrate",
    "normsim.tipping": "normsim.studies.tipping",
    "normsim.export": "normsim.studies.export",
    "normsim.design": "normsim.scenario.design",
    "normsim.limits": "normsim.scenario.limits",
    "normsim.yamlsafe": "normsim.scenario.yamlsafe",
}

#: Import cycles allowed, each a set of modules, with the reason.
CYCLES_ALLOWED: dict[frozenset[str], str] = {}

#: Upward imports allowed: (importer, imported) -> reason. Keep this short.
UPWARD_ALLOWED: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    """One import of a normsim module by another, as written in the source."""

    importer: str
    imported: str
    names: tuple[str, ...]  # the names taken from it (``from m import a, b``), else ()
    line: int
    local: bool  # inside a function
    typing_only: bool  # under ``if TYPE_CHECKING:``


def modules() -> dict[str, Path]:
    """Every module of normsim: dotted name -> file."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _resolve(name: str, mods: dict[str, Path]) -> str:
    """The module a dotted name belongs to (its longest prefix that is a module)."""
    while name not in mods:
        name = name.rpartition(".")[0]
    return name


def imports() -> list[Import]:
    """Every import of one normsim module by another, module-level and function-local
    (``from normsim.x import y`` where ``y`` is a submodule counts as importing ``y``)."""
    mods = modules()
    out: list[Import] = []
    for name, path in mods.items():
        is_pkg = path.name == "__init__.py"

        def visit(node: ast.AST, local: bool, typing_only: bool, name=name, is_pkg=is_pkg):
            for child in ast.iter_child_nodes(node):
                loc = local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
                typ = typing_only or (
                    isinstance(child, ast.If)
                    and isinstance(child.test, ast.Name)
                    and child.test.id == "TYPE_CHECKING"
                )
                if isinstance(child, ast.Import):
                    for alias in child.names:
                        if alias.name.split(".")[0] == "normsim":
                            target = _resolve(alias.name, mods)
                            out.append(Import(name, target, (), child.lineno, loc, typ))
                elif isinstance(child, ast.ImportFrom):
                    if child.level:
                        base = name.split(".") if is_pkg else name.split(".")[:-1]
                        base = base[: len(base) - child.level + 1]
                        source = ".".join(base + ([child.module] if child.module else []))
                    else:
                        source = child.module or ""
                    if source.split(".")[0] == "normsim":
                        plain = []
                        for alias in child.names:
                            sub = f"{source}.{alias.name}"
                            if sub in mods:
                                out.append(Import(name, sub, (), child.lineno, loc, typ))
                            else:
                                plain.append(alias.name)
                        if plain:
                            target = _resolve(source, mods)
                            out.append(Import(name, target, tuple(plain), child.lineno, loc, typ))
                visit(child, loc, typ)

        visit(ast.parse(path.read_text(encoding="utf-8")), False, False)
    return [i for i in out if i.importer != i.imported]


def layer_of(module: str) -> int:
    """The index of a module's layer in :data:`LAYERS` (deprecated paths: above all)."""
    if module in MOVED:
        return len(LAYERS)
    for rank, (_, members) in enumerate(LAYERS):
        for m in members:
            if module == m or (m.endswith(".*") and (module + ".").startswith(m[:-1])):
                return rank
    raise KeyError(f"{module} is in no layer of tests/support/package_layout.py")


def cycles(edges: list[tuple[str, str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(comp)

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def counts() -> dict[str, int]:
    """Import statements between normsim's modules, those inside functions, and the
    private names (``_x``) taken from another module."""
    imps = imports()
    statements = {(i.importer, i.line) for i in imps}
    local = {(i.importer, i.line) for i in imps if i.local}
    private = sum(1 for i in imps for n in i.names if n.startswith("_") and not n.startswith("__"))
    return {"statements": len(statements), "local": len(local), "private": private}
