"""``normsim ARGS`` from a test.

:func:`normsim` runs the command inside the test process, for tests that are not about the
process boundary (bad input, outputs of a finished run): the same ``normsim.cli.main`` the
console script calls, with its stdout, stderr and exit code, without paying for a fresh
interpreter (imports, numba's cache) on every call. An exception that escapes ``main``
propagates, so a traceback fails the test as it would in a subprocess.

:func:`normsim_process` runs a real ``python -m normsim`` process, and :func:`killed_run`
starts one and kills it midway, for tests where the process boundary is the subject
(signals, a kill and a resume, the environment, the interpreter's own output)."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
import warnings
from pathlib import Path

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


def normsim(*args, cwd=None, timeout=None) -> subprocess.CompletedProcess:
    """``normsim ARGS`` in this process, with what :func:`normsim_process` would return
    (``timeout``, a process's limit, has nothing to stop here)."""
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


def normsim_process(*args, cwd=None, env=None, timeout=600, **kw) -> subprocess.CompletedProcess:
    """A real ``normsim ARGS`` process (``env``: added to this one's environment)."""
    return subprocess.run(
        [sys.executable, "-m", "normsim", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env=None if env is None else {**os.environ, **env},
        **kw,
    )


def killed_run(*args, out, at_least: int, wait: float = 300.0) -> subprocess.Popen:
    """Start ``normsim ARGS`` (which stores into ``out``) in a process group of its own and
    kill the group (the command and its workers) with SIGKILL as soon as ``out``'s store
    holds ``at_least`` replicates, or after ``wait`` seconds. Returns the ended process:
    its ``returncode`` is ``-SIGKILL`` unless it finished before it could be killed."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "normsim", *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    db = Path(out) / "results.sqlite"
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
        if not db.is_file():
            continue
        try:
            con = sqlite3.connect(db, timeout=1)
            try:
                stored = con.execute("SELECT COUNT(*) FROM replicates").fetchone()[0]
            finally:
                con.close()
        except sqlite3.Error:
            continue
        if stored >= at_least:
            break
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return proc
