"""The documentation: every scenario field, CLI option and public function has an entry,
what the entries claim is true, and the site builds strictly, offline, with every
tutorial executed.

The fast tests read the code and the documentation's generator; the slow one builds
the site (``bash scripts/docs.sh``) and reads what it wrote.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import inspect
import os
import pkgutil
import re
import subprocess
import sys
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

import normsim
from normsim.errors import NormsimError

import normsim_docs
from support.package_layout import MOVED

ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------ scenario fields
def test_every_scenario_field_has_a_docstring():
    fields = normsim_docs.schema_fields()
    assert len(fields) > 20
    missing = [p for p, f, _ in fields if not normsim_docs.split_allowed(f.description)[0]]
    assert missing == [], f"scenario fields without a docstring in scenario/schema.py: {missing}"


def test_every_network_kind_and_parameter_is_described():
    from normsim.networks import COMMON, COMMON_DOCS, KIND_DOCS, KINDS

    assert set(KIND_DOCS) == set(KINDS)
    for kind, params in KINDS.items():
        what, pdocs = KIND_DOCS[kind]
        assert what.strip()
        assert set(pdocs) == set(params), kind
        assert all(v.strip() for v in pdocs.values()), kind
    assert set(COMMON_DOCS) == set(COMMON)


def _set(raw: dict, path: str, value) -> dict:
    raw = copy.deepcopy(raw)
    d = raw
    keys = path.split(".")
    for k in keys[:-1]:
        d = d.setdefault(k, {})
    d[keys[-1]] = value
    return raw


def _valid(raw: dict) -> bool:
    from normsim.scenario import loads

    try:
        loads(yaml.safe_dump(raw), where="probe")
        return True
    except NormsimError:
        return False


#: how to put a probe value into a scenario, for fields whose value is not the number
#: itself (a list of rates, a periodic schedule)
_PLACE = {
    "dynamics.exploration.rates": lambda x: ("dynamics.exploration", {"rates": [x]}),
    "dynamics.exploration.rate_mutation": lambda x: (
        "dynamics.exploration",
        {"rates": [0.1], "rate_mutation": x},
    ),
    "schedule.shocks.every": lambda x: ("schedule.shocks", {"every": x}),
}
_NUM = r"(-?[\d.]+(?:\*\*\d+)?)"


def _claims():
    for path, field, _ in normsim_docs.schema_fields():
        _, allowed = normsim_docs.split_allowed(field.description)
        if allowed:
            yield path, allowed


@pytest.mark.parametrize("path,allowed", list(_claims()))
def test_allowed_values_in_the_docs_are_what_validation_accepts(path, allowed):
    """Probe each documented bound: the value on it and just inside are accepted, just
    outside is refused. A claim this test cannot read fails, so it cannot go stale."""
    base = {"name": "probe", "schedule": {"generations": 50}}
    integer = allowed.startswith("integer")
    eps = 1 if integer else 1e-9

    def ok(x) -> bool:
        where, value = _PLACE.get(path, lambda v: (path, v))(x)
        return _valid(_set(base, where, value))

    def num(t: str):
        v = eval(t, {"__builtins__": {}}) if "**" in t else float(t)  # noqa: S307 - digits
        return int(v) if integer else v

    checks: list[tuple[object, bool]] = []
    if m := re.fullmatch(rf"(?:integer )?(>=|>) {_NUM}", allowed):
        lo = num(m.group(2))
        closed = m.group(1) == ">="
        checks += [(lo, closed), (lo - eps, False), (lo + eps, True)]
    elif m := re.fullmatch(rf"(?:integer in |.*numbers in )?([\[(]){_NUM}, {_NUM}([\])])", allowed):
        lo, hi = num(m.group(2)), num(m.group(3))
        checks += [
            (lo, m.group(1) == "["),
            (hi, m.group(4) == "]"),
            (lo - eps, False),
            (hi + eps, False),
            ((lo + hi) / 2 if not integer else lo + 1, True),
        ]
    elif path == "name":
        assert allowed == "letters, digits, '-' and '_'"
        assert _valid({"name": "a-B_9"}) and not _valid({"name": "a b"})
        return
    elif path == "schedule.shocks":
        assert allowed == "each in 1..G-1, no repeats"
        for shocks, good in (
            ([1], True),
            ([49], True),
            ([0], False),
            ([50], False),
            ([5, 5], False),
        ):
            assert ok(shocks) == good, shocks
        return
    else:
        pytest.fail(f"{path}: cannot check the documented 'Allowed: {allowed}'")
    for value, expected in checks:
        assert ok(value) == expected, f"{path} = {value!r}: docs say '{allowed}'"


# ------------------------------------------------------------------ command line
def _actions():
    from normsim.cli import build_parser

    parser = build_parser()
    subs = normsim_docs._subparsers(parser)
    out = [
        ("", a)
        for a in parser._actions
        if not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction))
    ]
    for name, sub in subs.items():
        out += [(name, a) for a in sub._actions if not isinstance(a, argparse._HelpAction)]
    return out


def test_every_cli_argument_has_help_text():
    missing = [
        f"normsim {cmd} {a.option_strings or a.metavar}"
        for cmd, a in _actions()
        if not (a.help or "").strip()
    ]
    assert missing == []
    assert {cmd for cmd, _ in _actions()} >= {
        "run",
        "validate",
        "summary",
        "export",
        "analytic",
        "viz",
        "example",
    }


# ------------------------------------------------------------------ Python API
def public_objects() -> list[tuple[str, object]]:
    """``(dotted name, object)`` of every public function, class and method of normsim."""
    mods = ["normsim"] + [
        m.name
        for m in pkgutil.walk_packages(normsim.__path__, "normsim.")
        if m.name != "normsim.__main__" and m.name not in MOVED  # deprecated paths: no names
    ]
    out = []
    for name in mods:
        mod = importlib.import_module(name)
        for attr, obj in vars(mod).items():
            if attr.startswith("_") or getattr(obj, "__module__", None) != name:
                continue
            if not (inspect.isclass(obj) or inspect.isfunction(obj) or hasattr(obj, "py_func")):
                continue
            out.append((f"{name}.{attr}", obj))
            if inspect.isclass(obj):
                for m, v in vars(obj).items():
                    if m.startswith("_"):
                        continue
                    f = (
                        v.fget
                        if isinstance(v, property)
                        else (v.__func__ if isinstance(v, (staticmethod, classmethod)) else v)
                    )
                    if inspect.isfunction(f):
                        out.append((f"{name}.{attr}.{m}", f))
    return out


def test_every_public_function_has_a_docstring():
    objs = public_objects()
    assert len(objs) > 100
    missing = [n for n, o in objs if not (o.__doc__ or "").strip()]
    assert missing == [], f"public functions, classes or methods without a docstring: {missing}"


def test_every_module_is_in_the_api_reference():
    """Each module of the package has its automodule line (a new module is not left out)."""
    text = (ROOT / "docs" / "reference" / "api.rst").read_text()
    listed = set(re.findall(r"^\.\. automodule:: (\S+)$", text, re.M))
    modules = {
        m.name
        for m in pkgutil.walk_packages(normsim.__path__, "normsim.")
        if not m.ispkg and m.name != "normsim.__main__"
    }
    # packages whose __init__ is (part of) the API
    modules |= {"normsim.examples", "normsim.engine", "normsim.networks", "normsim.theory"}
    modules |= {"normsim.studies", "normsim.protocols", "normsim.cli", "normsim.scenario"}
    assert modules - listed == set()
    assert listed - modules == set()


def test_attribute_docs_are_not_read_as_types():
    """napoleon reads ``type: description`` in the first line of a data or attribute
    comment (``#:``) or of a property's docstring: the text before a colon becomes the
    entry's type, its words cross-references (an ambiguous one fails the build). The
    reference documents them as prose, so no first line may split that way (the scenario
    schema's fields are documented by the scenario page's generator, not napoleon)."""
    from pydantic import BaseModel
    from sphinx.ext.napoleon import Config
    from sphinx.ext.napoleon.docstring import NumpyDocstring
    from sphinx.pycode import ModuleAnalyzer

    config = Config(napoleon_numpy_docstring=True, napoleon_google_docstring=False)

    def as_type(lines: list[str], name: str) -> bool:
        text = str(NumpyDocstring(lines, config, what="attribute", name=name))
        return ":type:" in text

    split = []
    for name in [
        m.name
        for m in pkgutil.walk_packages(normsim.__path__, "normsim.")
        if m.name != "normsim.__main__" and m.name not in MOVED
    ]:
        mod = importlib.import_module(name)
        for (owner, attr), lines in ModuleAnalyzer.for_module(name).find_attr_docs().items():
            cls = getattr(mod, owner, None) if owner else None
            if attr.startswith("_") or (inspect.isclass(cls) and issubclass(cls, BaseModel)):
                continue
            if as_type(list(lines), f"{name}.{owner}.{attr}"):
                split.append(f"{name}.{owner + '.' if owner else ''}{attr}: {lines[0]}")
        for attr, cls in vars(mod).items():
            if attr.startswith("_") or not inspect.isclass(cls) or cls.__module__ != name:
                continue
            for m, v in vars(cls).items():
                if isinstance(v, property) and not m.startswith("_") and v.__doc__:
                    lines = inspect.cleandoc(v.__doc__).splitlines()
                    if as_type(lines, f"{name}.{attr}.{m}"):
                        split.append(f"{name}.{attr}.{m}: {lines[0]}")
    assert split == [], "first lines napoleon reads as 'type: description':\n" + "\n".join(split)


def test_design_docs_follow_its_limits():
    """The ``design.samples`` docstring states the numbers the validation uses."""
    from normsim.scenario.schema import LHS_MIN_SAMPLES, DesignSpec

    text = DesignSpec.model_fields["samples"].description
    assert f"at least {LHS_MIN_SAMPLES}" in text and "2**24" in text


# ------------------------------------------------------------------ citing, releasing
def test_citation_and_changelog_follow_the_version():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    assert cff["title"].startswith("normsim")
    assert cff["version"] == normsim.__version__
    assert cff["authors"] and cff["message"]
    paper = [r for r in cff["references"] if "Norm Change" in r["title"]]
    assert paper and paper[0]["year"] == 2017
    assert {a["family-names"] for a in paper[0]["authors"]} == {"De", "Nau", "Gelfand"}
    changelog = (ROOT / "CHANGELOG.md").read_text()
    versions = re.findall(r"^## (\d+\.\d+\.\d+)", changelog, flags=re.M)
    assert versions[0] == normsim.__version__
    assert versions == sorted(versions, key=lambda v: tuple(map(int, v.split("."))), reverse=True)


def test_no_reference_to_notes_outside_the_repository():
    """Docstrings, messages, comments and the README point at the documentation, not at
    specification notes or issue numbers a user of the package never sees."""
    hits = []
    for path in [
        *ROOT.glob("normsim/**/*.py"),
        *ROOT.glob("tests/**/*.py"),
        ROOT / "README.md",
        *ROOT.glob("analysis/**/*.py"),
        *ROOT.glob("analysis/**/*.md"),
        *ROOT.glob("docs/**/*.md"),
        *ROOT.glob("docs/**/*.rst"),
        *ROOT.glob("benchmarks/*.py"),
    ]:
        if path == Path(__file__):
            continue
        for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(
                r"model-spec|interfaces\.md|shared/|theory-notes|\bissues? #?\d+",
                line,
                re.IGNORECASE,
            ):
                hits.append(f"{path.relative_to(ROOT)}:{k}: {line.strip()}")
    assert hits == []


# ------------------------------------------------------------------ the built site
class _Resources(HTMLParser):
    """Every URL a page makes the browser load: scripts, styles, images, frames, media."""

    ATTRS = {
        "script": ("src",),
        "link": ("href",),
        "img": ("src", "srcset"),
        "iframe": ("src",),
        "source": ("src", "srcset"),
        "video": ("src", "poster"),
        "audio": ("src",),
        "embed": ("src",),
        "object": ("data",),
        "track": ("src",),
    }

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and not (
            {"stylesheet", "icon", "preload", "prefetch", "modulepreload", "manifest", "shortcut"}
            & set((a.get("rel") or "").split())
        ):
            return  # <link rel="next"/"prev"/"index">: navigation, not loaded
        for key in self.ATTRS.get(tag, ()):
            for part in (a.get(key) or "").split(","):
                if part.strip():
                    self.urls.append(part.strip().split()[0])
        for m in re.finditer(r"url\(\s*['\"]?([^'\")]+)", a.get("style") or ""):
            self.urls.append(m.group(1))


def outside(url: str) -> bool:
    return bool(re.match(r"(?i)^(https?:)?//", url))


def read_inventory(path: Path) -> set[tuple[str, str]]:
    """``(domain:role, name)`` of every object in a Sphinx ``objects.inv``."""
    data = path.read_bytes()
    head = data.split(b"\n", 4)
    assert head[0].startswith(b"# Sphinx inventory version 2")
    body = zlib.decompress(head[4]).decode()
    out = set()
    for line in body.splitlines():
        m = re.match(r"(.+?)\s+(\S+:\S+)\s+(-?\d+)\s+(\S+)\s+(.*)", line)
        if m:
            out.add((m.group(2), m.group(1)))
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs") / "html"
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "docs.sh"), str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    if proc.returncode != 0:
        lines = [x for x in (proc.stdout + proc.stderr).splitlines() if "IPKernelApp" not in x]
        pytest.fail("the documentation build failed:\n" + "\n".join(lines[-60:]))
    return out


@pytest.mark.slow
def test_site_builds_strictly_with_every_page(site):
    for page in [
        "index",
        "getting-started",
        "model/odd",
        "model/reproducibility",
        "reference/scenario",
        "reference/protocols",
        "reference/cli",
        "reference/api",
        "citing",
        "changelog",
        "guide/scenarios",
        "guide/running",
        "guide/results",
        "guide/paper",
    ]:
        assert (site / f"{page}.html").is_file(), page
    odd = (site / "model" / "odd.html").read_text()
    for section in (
        "Purpose and patterns",
        "Entities, state variables and scales",
        "Process overview and scheduling",
        "Design concepts",
        "Initialization",
        "Input data",
        "Submodels",
    ):
        assert section in odd
    assert "<math" in odd  # formulas rendered as MathML, no script
    repro = (site / "model" / "reproducibility.html").read_text()
    assert "xoshiro256**" in repro and "Lemire" in repro  # the draws docstring is included


@pytest.mark.slow
def test_site_loads_nothing_from_outside(site):
    bad = []
    pages = list(site.rglob("*.html"))
    assert len(pages) > 15
    for page in pages:
        parser = _Resources()
        parser.feed(page.read_text(encoding="utf-8"))
        bad += [f"{page.relative_to(site)}: {u}" for u in parser.urls if outside(u)]
    for css in site.rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        bad += [
            f"{css.relative_to(site)}: {m.group(1)}"
            for m in re.finditer(
                r"(?:url\(\s*['\"]?|@import\s+['\"])((?:https?:)?//[^'\")\s]+)", text
            )
        ]
    assert bad == []


@pytest.mark.slow
def test_tutorials_ran_during_the_build(site):
    names = ["first_scenario", "figure6", "mesa_model", "dask_sweep", "theory_vs_simulation"]
    for name in names:
        html = (site / "tutorials" / f"{name}.html").read_text(encoding="utf-8")
        assert "cell_output" in html, name  # outputs exist: it was executed
        assert "<img" in html, name  # and drew its figures
        assert "output traceback" not in html and "output error" not in html, name
    import html as html_

    first = html_.unescape((site / "tutorials" / "first_scenario.html").read_text(encoding="utf-8"))
    assert "dynamics.update: 'async' is not one of" in first  # the deliberate mistake, one line
    mesa = (site / "tutorials" / "mesa_model.html").read_text(encoding="utf-8")
    assert "identical: True" in mesa
    dask = (site / "tutorials" / "dask_sweep.html").read_text(encoding="utf-8")
    assert dask.count("identical: True") == 2


@pytest.mark.slow
def test_every_field_option_and_function_has_an_entry(site):
    inv = read_inventory(site / "objects.inv")
    names = {n for _, n in inv}
    fields = {n for role, n in inv if role == "std:scenario-field"}
    missing = [p for p, _, _ in normsim_docs.schema_fields() if p not in fields]
    assert missing == [], f"scenario fields without an entry: {missing}"

    from normsim.networks import KINDS

    labels = {n for role, n in inv if role == "std:label"}
    from normsim.networks import COMMON

    missing = [
        f"{k}.{p}"
        for k, ps in KINDS.items()
        for p in [*ps, *COMMON]
        if f"scenario-network-{k}-{p}" not in labels
    ]
    assert missing == [], f"network parameters without an entry: {missing}"

    options = {n for role, n in inv if role == "std:cmdoption"}
    missing = []
    for cmd, action in _actions():
        prog = f"normsim {cmd}".strip()
        for opt in normsim_docs.option_names(action):
            # Sphinx files option OPT of program 'normsim run' as 'normsim-run.OPT'
            if f"{prog.replace(' ', '-')}.{opt}" not in options:
                missing.append(f"{prog} {opt}")
    assert missing == [], f"CLI arguments without an entry: {missing}"

    # normsim.engine documents the names of its core module as its own (its __init__
    # re-exports them), so the reference links normsim.engine.simulate; so do
    # normsim.networks (spec, adjacency), normsim.theory (report) and normsim.scenario
    # (schema, condition, load)
    reexported = {
        "normsim.engine.core.": "normsim.engine.",
        "normsim.networks.spec.": "normsim.networks.",
        "normsim.networks.csr.": "normsim.networks.",
        "normsim.theory.report.": "normsim.theory.",
        "normsim.scenario.schema.": "normsim.scenario.",
        "normsim.scenario.condition.": "normsim.scenario.",
        "normsim.scenario.loading.": "normsim.scenario.",
    }

    def as_documented(n: str) -> str:
        for module, package in reexported.items():
            if n.startswith(module):
                return package + n[len(module) :]
        return n

    missing = [n for n, _ in public_objects() if n not in names and as_documented(n) not in names]
    assert missing == [], f"public functions, classes or methods without an entry: {missing}"


@pytest.mark.slow
def test_site_in_a_browser_requests_nothing_outside(site):
    """Open pages in headless Chromium: every request stays on the local files."""
    from normsim.viz.measure import CHROMIUM_ARGS, chromium

    exe = chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("no Chromium under CI (bash scripts/setup.sh --test installs it)")
        pytest.skip("Chromium not installed")
    from playwright.sync_api import sync_playwright

    requests, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on(
            "request",
            lambda r: (
                None if r.url.startswith(("file:", "data:", "blob:")) else requests.append(r.url)
            ),
        )
        page.on("pageerror", lambda e: errors.append(str(e)))
        for name in [
            "index",
            "model/odd",
            "reference/api",
            "tutorials/mesa_model",
            "tutorials/figure6",
            "search",
        ]:
            page.goto((site / f"{name}.html").as_uri())
            page.wait_for_load_state("load")
        page.goto((site / "model" / "odd.html").as_uri())
        assert page.locator("math").count() > 20
        browser.close()
    assert requests == []
    assert errors == []


@pytest.mark.slow
def test_importing_normsim_leaves_a_notebooks_plots_alone():
    """The plotting and browser-page modules draw without pyplot: importing them must not
    switch matplotlib's backend (a notebook would stop showing its inline figures)."""
    code = (
        "import matplotlib; matplotlib.use('svg'); "
        "import normsim.plots, normsim.viz.app, normsim.cli; "
        "print(matplotlib.get_backend())"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False"),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "svg"


def _json_blocks() -> list[tuple[list[list[str]], list[list[str]], frozenset, dict]]:
    """The ``normsim-json`` blocks of the CLI reference: set-up runs, invocations, dynamic
    maps, keys."""
    import shlex

    text = (ROOT / "docs" / "reference" / "cli.rst").read_text()
    out = []
    for block in text.split(".. normsim-json::")[1:]:
        lines = block.splitlines()[1:]
        body = []
        for line in lines:
            if line and not line.startswith(" "):
                break
            body.append(line.strip())
        setup, args, dynamic, keys, mode = [], [], frozenset(), {}, None
        for line in body:
            if line.startswith(":setup:"):
                mode, line = "setup", line[len(":setup:") :].strip()
            elif line.startswith(":args:"):
                mode, line = "args", line[len(":args:") :].strip()
            elif line.startswith(":dynamic:"):
                dynamic = frozenset(x.strip() for x in line[len(":dynamic:") :].split(","))
                mode = None
                continue
            elif not line:
                mode = "keys" if mode in ("args", "setup") or keys else mode
                continue
            if mode == "setup":
                setup.append(shlex.split(line))
            elif mode == "args":
                args.append(shlex.split(line))
            elif mode == "keys" or (mode is None and ": " in line):
                k, _, v = line.partition(": ")
                keys[k] = v
        out.append((setup, args, dynamic, keys))
    return out


def test_documented_json_keys_are_exactly_the_output_keys(tmp_path):
    """The same check the build makes (normsim-json), without Sphinx: every key the
    commands print is documented, and every documented key is printed."""
    blocks = _json_blocks()
    assert len(blocks) >= 7
    for setup, invocations, dynamic, documented in blocks:
        work = tmp_path / f"block{len(list(tmp_path.iterdir()))}"
        work.mkdir()
        for args in setup:
            normsim_docs.run_cli(args, str(work))
        keys = set()
        for args in invocations:
            keys |= normsim_docs.flatten_keys(
                __import__("json").loads(normsim_docs.run_cli(args, str(work))), dynamic=dynamic
            )
        assert keys == set(documented), keys ^ set(documented)
