"""Where numba keeps normsim's compiled kernels between runs.

numba compiles each variant of the engine's kernels (one per update mode, rate
kind, graph kind, Fermi test and mechanism set) in about 10 s and can keep the
machine code on disk (``cache=True``). By default it keeps it in a
``__pycache__`` folder beside the source, stamped with the source's path, so a
new checkout or a second clone starts cold. normsim keeps it instead in one
per-user folder, :func:`cache_root`:

``$XDG_CACHE_HOME/normsim/numba-<numba>-normsim-<normsim>-py<X.Y>/`` (``~/.cache``
without ``XDG_CACHE_HOME``), with a subfolder per source module named after the
module and the hash of its content (``engine.kernels-<sha256 prefix>``).

So the cache is keyed by numba's, normsim's and Python's versions and by the
kernels' own source: any clone or installation of the same code finds the
kernels compiled, and an edited kernel module gets a folder of its own.
Editing the Python around the kernels (:mod:`normsim.engine.core`) leaves
them valid, as they live in :mod:`normsim.engine.kernels`.

Writes are made safe for concurrent processes (parallel test workers, Dask
workers, two runs at once): numba picks the name of a new overload's data
file from the index it has just read, so two processes saving at once could
give two overloads one file. Here each save holds an exclusive lock on its
index (``fcntl.flock``); reads need none, as numba replaces the index and data
files atomically.

Setting ``NUMBA_CACHE_DIR`` hands the cache back to numba's own rules (that
folder, keyed by the source's path); ``NORMSIM_CACHE_DIR`` moves normsim's
folder. :mod:`normsim.engine.warm` compiles the variants ahead of time.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
from pathlib import Path

import numba
from numba.core import caching, config

#: the folder of the ``normsim`` package: its modules' kernels use this cache
_PACKAGE = Path(__file__).resolve().parents[1]


def cache_root() -> Path:
    """The folder that holds normsim's compiled kernels for this numba, normsim and Python."""
    from normsim import __version__

    base = os.environ.get("NORMSIM_CACHE_DIR")
    if base:
        top = Path(base)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        top = (Path(xdg) if xdg else Path.home() / ".cache") / "normsim"
    py = f"{sys.version_info.major}.{sys.version_info.minor}"
    return top / f"numba-{numba.__version__}-normsim-{__version__}-py{py}"


@functools.cache
def _source_hash(path: str, mtime: float, size: int) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def source_hash(path: str | Path) -> str:
    """The SHA-256 of a source file's content (what the cache is stamped with)."""
    st = os.stat(path)
    return _source_hash(str(path), st.st_mtime, st.st_size)


class PackageCacheLocator(caching._CacheLocator):
    """numba's cache locator for functions defined in the normsim package: the
    folder is :func:`cache_root` / ``<module>-<hash>``, the stamp the content hash."""

    def __init__(self, py_func, py_file):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._stamp = source_hash(py_file)
        module = Path(py_file).resolve().relative_to(_PACKAGE).with_suffix("")
        self._cache_path = str(cache_root() / f"{'.'.join(module.parts)}-{self._stamp[:16]}")

    def get_cache_path(self):
        """The folder of this module's compiled functions."""
        return self._cache_path

    def get_source_stamp(self):
        """The source's content hash: an index with another stamp is stale."""
        return self._stamp

    def get_disambiguator(self):
        """The function's first line, which tells apart functions of the same name."""
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file):
        """This locator for a function of the normsim package, when its cache folder is
        writable and ``NUMBA_CACHE_DIR`` is not set; otherwise None (numba's next one)."""
        if config.CACHE_DIR:  # type: ignore[attr-defined]  # NUMBA_CACHE_DIR: numba's locator
            return None
        try:
            Path(py_file).resolve().relative_to(_PACKAGE)
        except (ValueError, OSError):
            return None
        try:
            self = cls(py_func, py_file)
            self.ensure_cache_path()
        except OSError:  # no writable cache folder: numba's next locator
            return None
        return self


def _locked_save(save):
    """``IndexDataCacheFile.save`` under an exclusive lock on the index, for normsim's folders."""
    import fcntl

    @functools.wraps(save)
    def locked(self, key, data):
        index = getattr(self, "_index_path", None)
        if index is None or not str(index).startswith(str(cache_root())):
            return save(self, key, data)
        with open(f"{index}.lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                return save(self, key, data)
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    locked._normsim_locked = True  # type: ignore[attr-defined]  # a marker on the wrapper
    return locked


def install() -> None:
    """Put :class:`PackageCacheLocator` first in numba's list of locators and lock
    its saves (idempotent; where numba's internals differ, numba's defaults stay)."""
    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)
    classes = getattr(impl, "_locator_classes", None)
    if isinstance(classes, list) and PackageCacheLocator not in classes:
        classes.insert(0, PackageCacheLocator)
    cls = getattr(caching, "IndexDataCacheFile", None)
    if (
        cls is not None
        and callable(getattr(cls, "save", None))
        and not getattr(cls.save, "_normsim_locked", False)
        and os.name == "posix"
    ):
        cls.save = _locked_save(cls.save)


install()
