"""Data files named by a scenario or on the command line: where they may lie, what they
may be, and how an error message quotes them.

Scenarios are files that people share, so a scenario must not be able to make normsim
read (and print) a file its user did not mean to give it:

* a path a scenario names (an edge list, a group file) is read relative to the
  scenario's folder and must lie inside it (after following symbolic links), or
  inside a data root given on the command line (``--data-root DIR``);
* special files are refused before anything is read from them: anything under
  ``/proc``, ``/sys`` or ``/dev``, directories, FIFOs, sockets and devices;
* an error message about a data file gives the file, the line number and what was
  expected, with at most a short escaped excerpt (:func:`quote`), never a whole line.

Examples
--------
>>> quote("root:x:0:0:root:/root:/bin/bash")
"'root:x:0:0:root:/r'..."
>>> quote("a\\x00b")
"'a\\\\x00b'"
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from normsim.errors import NormsimError

#: at most this many characters of a data file appear in an error message
EXCERPT = 16
#: folders of the system's special files, refused whatever the file there looks like
SPECIAL = (Path("/proc"), Path("/sys"), Path("/dev"))


def quote(text: str | bytes, limit: int = EXCERPT) -> str:
    """A short escaped excerpt of a data file's text: at most ``limit`` characters,
    quoted with control characters escaped, ``...`` after it when cut."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text[: 4 * limit]).decode("utf-8", "replace")
    text = str(text)
    cut = len(text) > limit
    return repr(text[:limit]) + ("..." if cut else "")


def _name(path: Path) -> str:
    return quote(str(path), 200)


def _under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def check_special(path: str | Path, field: str) -> Path:
    """Refuse a path that is not an ordinary file before anything is read from it:
    a file under ``/proc``, ``/sys`` or ``/dev`` (even when it looks like a regular file,
    as ``/proc/self/environ`` does), a directory, FIFO, socket or device; a missing file.
    Returns ``path`` as a :class:`~pathlib.Path`."""
    path = Path(path)
    absolute = Path(os.path.abspath(path))
    try:
        real = path.resolve(strict=True)
    except FileNotFoundError:
        raise NormsimError(f"{field}: {_name(path)} not found") from None
    except (OSError, RuntimeError) as e:
        raise NormsimError(
            f"{field}: cannot read {_name(path)}: "
            f"{getattr(e, 'strerror', None) or type(e).__name__}"
        ) from None
    for root in SPECIAL:
        if _under(absolute, root) or _under(real, root):
            raise NormsimError(
                f"{field}: {_name(path)} is a system file (under {root}), "
                "not a data file; refused without reading it"
            )
    try:
        mode = os.stat(real).st_mode
    except OSError as e:
        raise NormsimError(f"{field}: cannot read {_name(path)}: {e.strerror or e}") from None
    if not stat.S_ISREG(mode):
        what = (
            "a directory"
            if stat.S_ISDIR(mode)
            else "a FIFO"
            if stat.S_ISFIFO(mode)
            else "a socket"
            if stat.S_ISSOCK(mode)
            else "a device"
        )
        raise NormsimError(
            f"{field}: {_name(path)} is not a regular file ({what}; a "
            "directory, device, FIFO or socket cannot be a data file); "
            "refused without reading it"
        )
    return path


def resolve(text: str, base_dir: str | Path, field: str, roots: Iterable[str | Path] = ()) -> Path:
    """The file a scenario names: ``text`` relative to ``base_dir`` (the scenario's
    folder), refused unless it lies inside ``base_dir`` or one of ``roots`` (the data
    roots allowed on the command line) once symbolic links are followed, and refused
    if it is a special file (:func:`check_special`)."""
    base = Path(base_dir)
    path = Path(text)
    path = path if path.is_absolute() else base / path
    if any(_under(Path(os.path.abspath(path)), root) for root in SPECIAL):
        check_special(path, field)  # refused as a system file, whatever the folder
    real = path.resolve()
    allowed = [Path(base).resolve(), *(Path(r).resolve() for r in roots)]
    if not any(_under(real, r) for r in allowed):
        raise NormsimError(
            f"{field}: {quote(text, 200)} is outside the scenario's folder "
            f"({allowed[0]}); move the file there, or allow its folder with "
            "--data-root DIR"
        )
    return check_special(path, field)


def check_output(path: str | Path, field: str = "--out") -> Path:
    """Refuse an output path under ``/proc``, ``/sys`` or ``/dev`` (as written or once
    symbolic links are followed: ``/proc/self/fd/1`` is standard output) or one that
    exists and is not a regular file or a directory (a FIFO, socket or device), before
    anything is written. Returns ``path`` as a :class:`~pathlib.Path`."""
    path = Path(path)
    absolute = Path(os.path.abspath(path))
    real = Path(os.path.realpath(path))
    for root in [r for r in SPECIAL if _under(absolute, r)] + [
        r for r in SPECIAL if _under(real, r)
    ]:
        raise NormsimError(
            f"{field}: {_name(path)} is under {root}, a folder of system "
            "files, not a place for results; choose another " + field
        )
    try:
        mode = os.stat(real).st_mode
    except OSError:
        return path  # not there yet: created by the command
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        what = (
            "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
        )
        raise NormsimError(
            f"{field}: {_name(path)} is {what}, not a place for results; choose another " + field
        )
    return path
