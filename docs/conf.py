"""Sphinx configuration of normsim's documentation.

Build it with ``bash scripts/docs.sh`` (strict: every warning is an error). It builds
offline: the theme's files and the math (rendered as MathML) are all local, and the
tutorial notebooks run on this machine while the pages are built.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))

import normsim  # noqa: E402

project = "normsim"
author = "the normsim authors"
copyright = "2017-2026, the normsim authors"
release = normsim.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_nb",                 # MyST Markdown pages and executed notebooks
    "sphinx.ext.autodoc",      # the Python API from docstrings
    "sphinx.ext.napoleon",     # numpy-style docstrings
    "sphinx.ext.viewcode",
    "normsim_docs",            # generated references, MathML math
]

# --- sources
exclude_patterns = ["_build", "jupyter_execute", "**.ipynb_checkpoints", "README.md"]
root_doc = "index"
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist", "attrs_inline"]
myst_heading_anchors = 3

# --- math: MathML written into the page (MathJax would be fetched from a CDN)
html_math_renderer = "mathml"

# --- notebooks: every tutorial runs during the build; a failing cell fails the build
nb_execution_mode = "force"
nb_execution_raise_on_error = True
nb_execution_timeout = 300          # per cell; each notebook takes well under a minute
nb_execution_in_temp = True         # results/ folders go to a temporary directory
nb_execution_show_tb = True
nb_output_stderr = "remove"         # progress bars
nb_ipywidgets_js = {}               # widget JS would come from a CDN; see the Mesa tutorial
nb_merge_streams = True

# --- Python API
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False

# strict cross-references (-n): every reference to normsim's own objects must resolve;
# outside libraries have no inventories offline, and numpy-style type descriptions
# ("array", "optional", "(R, G+1) array") are prose
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|pathlib|networkx|nx|argparse|mesa|pydantic|pydantic_core|scipy|"
               r"typing|collections|PIL|solara|sqlite3|concurrent|dask|distributed|matplotlib)"
               r"(\..*)?"),
    (r"py:class", r"(?!normsim\.)[^A-Z].*|[A-Z]|.*[ =+,()].*"),
    (r"py:func", r"_.*"),
    (r"py:class", r"normsim\.[\w.]*\._\w+|Path|Any|Iterator|Mapping|Sequence|Callable|"
               r"Client|Subparsers"),
]

# --- HTML: pydata-sphinx-theme (as Mesa's documentation), every file served locally
html_theme = "pydata_sphinx_theme"
html_title = f"normsim {release}"
html_static_path: list[str] = []   # no static files of our own
html_theme_options = {
    "navigation_with_keys": False,
    "header_links_before_dropdown": 6,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None


def _skip_schema_fields(app, what, name, obj, skip, options):
    """The scenario schema's fields are documented on the scenario reference page (generated
    from the same docstrings), not again as attributes of the pydantic models."""
    if what == "class" and name in _schema_field_names() and not callable(obj) \
            and not isinstance(obj, property):
        return True
    return None


def _schema_field_names() -> set[str]:
    """Field names of every model of the scenario schema (those of normsim.scenario and
    the ones it uses from other modules, e.g. normsim.scenario.schema.DesignSpec)."""
    from normsim_docs import schema_fields

    return {f for _, _, model in schema_fields() for f in model.model_fields}


def _model_signature(app, what, name, obj, options, signature, return_annotation):
    """A pydantic model's generated signature repeats every field with pydantic's internal
    annotation objects; the fields are on the scenario reference page instead."""
    import inspect

    from pydantic import BaseModel

    if what == "class" and inspect.isclass(obj) and issubclass(obj, BaseModel):
        return "", None
    return None


def _module_docstrings(app, what, name, obj, options, lines):
    """The draw schedule (normsim.draws' docstring) has its own page; the API page links it."""
    if what == "module" and name == "normsim.draws":
        lines[:] = ["Seeds, the per-replicate random stream and the random-draw schedule: the "
                    "module's documentation is the page :doc:`/model/reproducibility`.", ""]


#: packages that re-export a module's names and document them as their own
_REEXPORTS = {"normsim.networks": "normsim.networks.spec", "normsim.theory": "normsim.theory.report"}


def _reexported_data(app, what, name, obj, options, lines):
    """Data a package re-exports (normsim.networks.KINDS) has the ``#:`` comment written
    where it is defined (normsim.networks.spec), which autodoc looks for in the package only
    (and, not finding it, would print the docstring of the value's type, dict's)."""
    package, _, attr = name.rpartition(".")
    if what != "data" or package not in _REEXPORTS:
        return
    from sphinx.pycode import ModuleAnalyzer

    doc = ModuleAnalyzer.for_module(_REEXPORTS[package]).find_attr_docs().get(("", attr))
    lines[:] = [*doc, ""] if doc else []


def setup(app):
    app.connect("autodoc-process-docstring", _module_docstrings)
    app.connect("autodoc-process-docstring", _reexported_data)
    app.connect("autodoc-skip-member", _skip_schema_fields)
    app.connect("autodoc-process-signature", _model_signature)
