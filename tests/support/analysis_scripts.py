"""The repository's analysis scripts (``analysis/NAME.py``) imported as modules, for the
tests of the reports they write."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def load(name: str) -> ModuleType:
    """``analysis/NAME.py`` as the module ``NAME`` (registered in ``sys.modules``, so
    that its dataclasses and pickling find it)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "analysis" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod
