"""The test suite's tiers, and the fixtures every tier shares.

Three tiers (markers, enforced with ``--strict-markers``):

- the **default** tier, ``pytest`` with no flags: unit, theory and scenario tests
  and an equivalence smoke test, in minutes;
- ``kernels``: the full cross-product of update modes, rate kinds, networks and
  mechanisms in the equivalence grids (each new kernel variant costs a compile);
- ``slow``: tests that start a subprocess, a Dask cluster, a browser, the
  documentation build or a wheel build.

``--kernels`` and ``--slow`` add a tier, ``--all`` adds both. An explicit ``-m``
expression selects by itself (``pytest -m "kernels or slow"`` runs the two opt-in
tiers only). Outside the ``slow`` tier, starting a process fails the test
(:func:`_no_processes_outside_the_slow_tier`), so that the tiers stay honest.
"""

from __future__ import annotations

import multiprocessing.process
import subprocess

import pytest

OPT_IN = ("kernels", "slow")


def pytest_addoption(parser):
    group = parser.getgroup("normsim tiers")
    group.addoption(
        "--kernels",
        action="store_true",
        help="also run the kernels tier (the full equivalence cross-product)",
    )
    group.addoption(
        "--slow",
        action="store_true",
        help="also run the slow tier (subprocesses, Dask, browser, docs, wheel)",
    )
    group.addoption("--all", action="store_true", help="run every tier")


def pytest_collection_modifyitems(config, items):
    if config.getoption("markexpr"):  # -m chooses by itself
        return
    wanted = {t for t in OPT_IN if config.getoption("all") or config.getoption(t)}
    keep, drop = [], []
    for item in items:
        tiers = {t for t in OPT_IN if item.get_closest_marker(t)}
        (keep if tiers <= wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


class ProcessOutsideSlowTier(RuntimeError):
    """A test outside the ``slow`` tier started a process."""


def _refuse(what):
    def refuse(*args, **kwargs):
        raise ProcessOutsideSlowTier(
            f"this test starts {what}: mark it @pytest.mark.slow (tests/conftest.py)"
        )

    return refuse


@pytest.fixture(autouse=True)
def _no_processes_outside_the_slow_tier(request, monkeypatch):
    """Outside the ``slow`` tier a test may not start a subprocess or a process of
    ``multiprocessing`` (Dask's local cluster, process pools, Mesa's batch_run with
    several processes, playwright's browser, a documentation or wheel build)."""
    if request.node.get_closest_marker("slow"):
        return
    monkeypatch.setattr(subprocess.Popen, "__init__", _refuse("a subprocess"))
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", _refuse("a process"))


@pytest.fixture(scope="session")
def dask_cluster():
    """One two-process dask.distributed cluster for every Dask test of the session: its
    worker processes start (and load normsim) once, not once per test."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
    ) as lc:
        yield lc
