"""``normsim ARGS`` run inside the test process, for tests that are not about the process
boundary (bad input, outputs of a finished run): the same ``normsim.cli.main`` the console
script calls, with its stdout, stderr and exit code, without paying for a fresh interpreter
(imports, numba's cache) on every call. An exception that escapes ``main`` propagates, so a
traceback fails the test as it would in a subprocess."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import warnings

from normsim.cli import main


def _show(message, category, filename, lineno, file=None, line=None):
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def _as_a_fresh_interpreter_would():
    """Warning filters of a plain ``python``: a warning lands on (our) stderr, where the
    one-line checks see it, instead of in pytest's record."""
    warnings.resetwarnings()
    warnings.simplefilter("default")
    for cat in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
        warnings.simplefilter("ignore", cat)  # each goes in front of "default"
    warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
    warnings.showwarning = _show


def normsim(*args, cwd=None, **_ignored) -> subprocess.CompletedProcess:
    """Like ``subprocess.run([python, -m, normsim, *args], capture_output=True, text=True)``."""
    argv = [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            warnings.catch_warnings(),
        ):
            _as_a_fresh_interpreter_would()
            try:
                code = main(argv)
            except SystemExit as e:  # argparse: usage errors (2), --help (0)
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        os.chdir(old)
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())
