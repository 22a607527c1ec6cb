"""Run a scenario's conditions x replicates on local worker processes; summarise.

Data flow: scenario -> conditions -> chunks of replicates -> workers (the
engine, or the ODE for well-mixed conditions) -> the coordinating process,
which commits each replicate to the store as it arrives -> metrics -> summary
and plots.

Replicate ``i`` of a condition always has seed ``replicate_seed(seed, i)``, and
every replicate is computed on its own, so the stored series are identical
whatever ``workers`` is. Replicates already in the store for the same condition
hash are not run again.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing as mp
import os
import sys
import time
import traceback
from collections.abc import Generator, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from normsim.draws import replicate_seed
from normsim.errors import NormsimError
from normsim.scenario import Condition, EvolvingRates, LoadedScenario, conditions, limits
from normsim.scenario.design import write_record
from normsim.snapshots import snapshot_blobs
from normsim.store import Store, check_owner, check_store_file
from normsim.theory import analytic

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    from distributed import Client

    from normsim.engine import Series
    from normsim.scenario.limits import Cost


@dataclass
class RunReport:
    """What a run did."""

    out_dir: Path
    conditions: list[Condition]
    ran: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def well_mixed_series(cond: Condition) -> dict[str, Any]:
    """A well-mixed condition's stored series: the ODE at integer times 0..G
    (:func:`normsim.theory.analytic.well_mixed_prediction`)."""
    s = cond.spec
    mu = s.dynamics.exploration
    assert not isinstance(mu, EvolvingRates)  # the scenario refuses them when well-mixed
    pr = analytic.well_mixed_prediction(
        s.game.game(),
        float(mu),
        s.population.initial_b,
        s.schedule.generations,
        s.schedule.shock_list(),
    )
    return {"share_b": pr.share_b, "mean_payoff": pr.mean_payoff}


def extra_series(res: Series) -> dict[str, np.ndarray] | None:
    """The named series a replicate stores in the store's ``extra`` column: with
    committed agents ``share_new`` and ``share_new_uncommitted``; with groups, per
    group ``k``, ``group{k}_share_b``, ``group{k}_mean_payoff`` (and
    ``group{k}_mean_rate`` with evolving rates)."""
    extra: dict[str, np.ndarray] = {}
    if res.share_new is not None:
        assert res.share_new_uncommitted is not None  # both series come with committed agents
        extra["share_new"] = res.share_new[0]
        extra["share_new_uncommitted"] = res.share_new_uncommitted[0]
    if res.group_share_b is not None:
        assert res.group_mean_payoff is not None  # both series come with groups
        for k in range(res.group_share_b.shape[2]):
            extra[f"group{k}_share_b"] = res.group_share_b[0, :, k]
            extra[f"group{k}_mean_payoff"] = res.group_mean_payoff[0, :, k]
            if res.group_mean_rate is not None:
                extra[f"group{k}_mean_rate"] = res.group_mean_rate[0, :, k]
    return extra or None


def run_chunk(cond: Condition, reps: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """Simulate the replicates ``(rep, seed)`` of one condition (runs in a worker)."""
    from normsim.engine import simulate

    out: list[dict[str, Any]] = []
    if cond.well_mixed:
        for rep, seed in reps:
            t0 = time.perf_counter()
            series = well_mixed_series(cond)
            out.append(
                {
                    "rep": rep,
                    "seed": seed,
                    "wall_time": time.perf_counter() - t0,
                    **series,
                    "rate_shares": None,
                    "mean_rate": None,
                }
            )
        return out
    params = cond.model_params()
    snaps = list(cond.spec.output.snapshots)
    n_rates = len(params.rates) if params.rates is not None else 0  # evolving rates
    for rep, seed in reps:
        t0 = time.perf_counter()
        res = simulate(params, [seed], base_dir=cond.base_dir, snapshots=snaps)
        out.append(
            {
                "rep": rep,
                "seed": seed,
                "wall_time": time.perf_counter() - t0,
                "share_b": res.share_b[0],
                "mean_payoff": res.mean_payoff[0],
                "rate_shares": None if res.rate_shares is None else res.rate_shares[0],
                "mean_rate": None if res.mean_rate is None else res.mean_rate[0],
                "snapshots": snapshot_blobs(res.snapshots, 0, n_rates),
                "extra": extra_series(res),
            }
        )
        del res
    return out


def _warm_up(conds: list[Condition]) -> None:
    """Compile (or load from cache) the kernels these conditions need, once, here."""
    from normsim.engine import simulate

    seen = set()
    for cond in conds:
        if cond.well_mixed:
            continue
        p = cond.model_params()
        key = (
            p.update,
            p.evolving,
            p.committed is not None,
            p.conformity > 0,
            p.groups is not None,
        )
        if key in seen:
            continue
        seen.add(key)
        simulate(replace(p, generations=1, shocks=(), events=()), [0], base_dir=cond.base_dir)


def plan(
    conds: list[Condition], runs: int, store: Store | None
) -> list[tuple[Condition, list[tuple[int, int]]]]:
    """For each condition, the ``(rep, seed)`` pairs not yet stored."""
    out = []
    for cond in conds:
        done = store.stored_reps(cond.hash) if store is not None else set()
        # asked for snapshots it lacks: run again (done is empty without a store)
        if done and store is not None and cond.spec.output.snapshots:
            done &= store.reps_with_snapshots(cond.hash, cond.spec.output.snapshots)
        n = 1 if cond.well_mixed else runs
        todo = [(i, replicate_seed(cond.spec.seed, i)) for i in range(n) if i not in done]
        out.append((cond, todo))
    return out


def chunked(todo: list, size: int) -> list[list]:
    """``todo`` cut into consecutive lists of at most ``size`` items."""
    return [todo[i : i + size] for i in range(0, len(todo), size)]


Task = tuple[Condition, list[tuple[int, int]]]
#: a chunk's results, or what it raised (exactly one of the two is None)
Outcome = tuple[
    Condition, list[tuple[int, int]], "list[dict[str, Any]] | None", "BaseException | None"
]


def _in_process(tasks: list[Task]) -> Generator[Outcome, None, None]:
    for cond, chunk in tasks:
        try:
            yield cond, chunk, run_chunk(cond, chunk), None
        except Exception as e:  # noqa: BLE001 - reported; the run goes on
            yield cond, chunk, None, e


def _watch_parent(parent: int) -> None:
    """In a worker: exit when the coordinating process is gone (even after SIGKILL).

    A worker ignores SIGINT: Ctrl-C reaches every process of the terminal's group, and
    the coordinator, which stops its workers itself, must be the only one to act on it
    (a worker dying of it half-way through a message can leave the pool's queues
    locked, and the coordinator waiting on them)."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if hasattr(signal, "pthread_sigmask"):  # blocked since its spawn (_sigint_held)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="normsim-watch-parent").start()


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Terminate a pool's worker processes now (their running chunks are lost, not stored)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    for proc in procs:
        proc.join(timeout=5)
        if proc.is_alive():  # pragma: no cover - ignores SIGTERM
            proc.kill()


@contextlib.contextmanager
def _sigint_held() -> Iterator[None]:
    """SIGINT blocked in this thread for a moment: a process spawned now starts with it
    blocked (the mask is inherited), so a Ctrl-C that reaches it while it imports cannot
    kill it with a traceback; it unblocks it once it ignores it (:func:`_watch_parent`).
    A SIGINT meant for this process waits and is raised right after."""
    import signal
    import threading

    if (
        not hasattr(signal, "pthread_sigmask")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def close_pool(pool: ProcessPoolExecutor | None, stop: bool = False) -> None:
    """Shut down a pool from :func:`local_pool`; ``stop`` (the caller was interrupted or
    failed) terminates its workers first instead of letting running chunks finish."""
    if pool is None:
        return
    if stop:
        _stop_workers(pool)
    pool.shutdown(wait=True, cancel_futures=True)


def local_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of spawned worker processes, for :func:`run`'s ``pool`` (shut it down
    after); its workers exit by themselves if this process dies."""
    with _sigint_held():  # the resource tracker may be spawned here
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=mp.get_context("spawn"),
            initializer=_watch_parent,
            initargs=(os.getpid(),),
        )


def _local_pool(
    tasks: list[Task], workers: int, given: ProcessPoolExecutor | None = None
) -> Generator[Outcome, None, None]:
    """Chunks on spawned local processes (``given``, or a pool of ``workers``), at
    most 2 per worker in flight.

    If the consumer stops early (a signal, a full disk: the generator is closed
    or raises), the worker processes are terminated at once rather than left
    to finish their chunks.
    """
    it = iter(tasks)
    with contextlib.nullcontext(given) if given is not None else local_pool(workers) as pool:
        pending: dict[Future, Task] = {}

        def submit() -> None:
            nxt = next(it, None)
            if nxt is not None:
                with _sigint_held():  # a worker process may be spawned here
                    fut = pool.submit(run_chunk, *nxt)
                pending[fut] = nxt

        for _ in range(2 * workers):
            submit()
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    cond, chunk = pending.pop(f)
                    try:
                        res, err = f.result(), None
                    except Exception as e:  # noqa: BLE001
                        res, err = None, e
                    yield cond, chunk, res, err
                    submit()
        finally:
            for f in pending:
                f.cancel()
            if pending:  # stopped early
                _stop_workers(pool)


#: seconds a Dask client waits for the scheduler to answer when it connects
#: (``normsim run|tipping|calibrate --scheduler-timeout``)
SCHEDULER_TIMEOUT = 15.0


def connect(address: str, timeout: float | None = SCHEDULER_TIMEOUT) -> Client:
    """A dask.distributed Client for an existing scheduler (a NormsimError if unreachable).

    ``timeout`` is how long, in seconds, to wait for the scheduler to answer
    (None: :data:`SCHEDULER_TIMEOUT`)."""
    try:
        from distributed import Client
    except ImportError:
        raise NormsimError(
            "--scheduler needs dask.distributed: install it with "
            "'.venv/bin/pip install \"dask[distributed]\"'"
        ) from None
    try:
        return Client(address, timeout=SCHEDULER_TIMEOUT if timeout is None else timeout)
    except (OSError, TimeoutError, ValueError) as e:
        raise NormsimError(f"--scheduler: cannot connect to {address}: {e}") from None


def _dask(tasks: list[Task], client: Client) -> Generator[Outcome, None, None]:
    """Chunks as tasks on a Dask cluster; a failing task is retried once, then reported.

    At most four tasks per worker thread are in flight, so memory stays flat
    however many conditions a sweep has; results are released once committed.
    """
    from distributed import as_completed

    limit = 4 * max(1, sum(client.nthreads().values()))
    it = iter(tasks)
    pending = {}
    ac = as_completed()

    def submit() -> None:
        nxt = next(it, None)
        if nxt is not None:
            fut = client.submit(run_chunk, *nxt, retries=1, pure=False)
            pending[fut.key] = (nxt, fut)
            ac.add(fut)

    for _ in range(limit):
        submit()
    try:
        for fut in ac:
            (cond, chunk), _ = pending.pop(fut.key)
            try:
                res, err = fut.result(), None
            except Exception as e:  # noqa: BLE001 - also KilledWorker, once the cluster's
                res, err = None, e  # allowed-failures for lost workers is used up
            fut.release()
            yield cond, chunk, res, err
            submit()
    finally:  # interrupted: nothing more for the cluster to do
        if pending:
            client.cancel([f for _, f in pending.values()])


def _work_per_replicate(cond: Condition) -> int:
    return max(1, cond.n_agents) * cond.spec.schedule.generations


def run(
    loaded: LoadedScenario,
    *,
    out_dir: Path,
    workers: int | None = None,
    scheduler: str | None = None,
    quiet: bool = False,
    conds: list[Condition] | None = None,
    pool: ProcessPoolExecutor | None = None,
    scheduler_timeout: float | None = None,
    command: str = "run",
) -> RunReport:
    """Run every condition x replicate not yet stored; commit each replicate as it finishes.

    ``scheduler`` is the address of an existing dask.distributed scheduler
    (``tcp://host:8786``), waited for ``scheduler_timeout`` seconds when connecting
    (None: :data:`SCHEDULER_TIMEOUT`); otherwise ``workers`` local processes
    (default: all cores; 1 runs in this process). ``conds`` runs these conditions (with the
    scenario's ``runs``) instead of the scenario's own, e.g. the particles of a
    calibration (:mod:`normsim.studies.calibrate`); ``pool`` (from :func:`local_pool`)
    is used instead of starting worker processes for this call alone. ``command`` names
    the command whose results these are: a store holds one command's results of one
    scenario (:func:`normsim.store.check_owner`).
    """
    from tqdm import tqdm

    t_start = time.perf_counter()
    own = conds is None
    sc = loaded.scenario
    check_store_file(out_dir)  # another program's database is refused before anything else
    check_owner(out_dir, command, sc.name)  # and another command's or scenario's store
    client = connect(scheduler, scheduler_timeout) if scheduler else None
    try:
        threads = max(1, sum(client.nthreads().values())) if client is not None else None
        if conds is None:  # the scenario's own; refuses what this machine cannot run
            conds = conditions(loaded, n_cores=threads)
        requested = workers
        workers = threads or workers or limits.cores()
        cost = limits.check(
            loaded,
            out_dir=out_dir,
            workers=workers,
            n_cores=threads,
            stored_bytes=limits.stored_bytes(out_dir),
        )
    except BaseException:
        if client is not None:
            client.close()
        raise
    report = RunReport(out_dir=out_dir, conditions=conds)
    try:
        with Store(out_dir) as store:
            store.claim(command, sc.name)
            for pos, cond in enumerate(conds):
                store.add_condition(
                    cond.hash, cond.scenario, cond.params, cond.spec.model_dump(mode="json"), pos
                )
            if own and sc.design is not None:
                write_record(store, loaded, conds)
            todo = plan(conds, sc.runs, store)
            total = sum(len(t) for _, t in todo)
            report.skipped = sum((1 if cond.well_mixed else sc.runs) for cond in conds) - total
            if total == 0:
                report.seconds = time.perf_counter() - t_start
                return report
            if client is None:
                workers = _cap_workers(workers, requested, total, cost)
                _warm_up([cond for cond, t in todo if t])
            tasks = []
            for cond, t in todo:
                # chunks of about 2e7 agent-updates (a fraction of a second), but
                # at least 4 chunks per worker so that the load stays balanced
                size = max(
                    1,
                    min(
                        math.ceil(2e7 / _work_per_replicate(cond)), math.ceil(total / (4 * workers))
                    ),
                )
                tasks += [(cond, chunk) for chunk in chunked(t, size)]
            if client is not None:
                outcomes = _dask(tasks, client)
            elif workers == 1 or len(tasks) == 1:
                outcomes = _in_process(tasks)
            else:
                if len(tasks) < workers:
                    _say_workers(requested, len(tasks), f"{len(tasks)} chunks of replicates to run")
                outcomes = _local_pool(tasks, min(workers, len(tasks)), pool)
            # closing: if this ends early (a signal, a full disk) the workers stop at once
            with (
                tqdm(
                    total=total,
                    unit="rep",
                    desc=sc.name,
                    disable=quiet,
                    delay=1.0,
                    file=sys.stderr,
                    dynamic_ncols=True,
                ) as bar,
                contextlib.closing(outcomes),
            ):
                for cond, chunk, results, err in outcomes:
                    if err is not None:
                        msg = "".join(traceback.format_exception_only(type(err), err)).strip()
                        report.failures.append(
                            f"{cond.describe()} replicates {chunk[0][0]}..{chunk[-1][0]}: {msg}"
                        )
                        bar.update(len(chunk))
                        continue
                    assert results is not None  # a chunk that did not raise
                    for r in results:
                        store.add_replicate(
                            cond.hash,
                            r["rep"],
                            r["seed"],
                            cond.scenario,
                            cond.params,
                            r["wall_time"],
                            r["share_b"],
                            r["mean_payoff"],
                            r["rate_shares"],
                            r["mean_rate"],
                            r.get("snapshots"),
                            r.get("extra"),
                        )
                        report.ran += 1
                        bar.update(1)
    finally:
        if client is not None:
            client.close()
    report.seconds = time.perf_counter() - t_start
    return report


def _cap_workers(workers: int, requested: int | None, total: int, cost: Cost) -> int:
    """Local worker processes: no more than replicates to run, nor than memory allows."""
    if total < workers:
        _say_workers(requested, total, f"{total} replicate(s) to run")
        workers = total
    mem, source = limits.available_memory()
    fit = cost.max_workers(mem)
    if fit < workers:
        print(
            f"normsim: using {fit} worker process(es), not {workers}: each needs about "
            f"{limits.fmt_bytes(cost.worker)} of memory and this machine has "
            f"{limits.fmt_bytes(mem)} {source}",
            file=sys.stderr,
        )
        workers = fit
    return max(1, workers)


def _say_workers(requested: int | None, n: int, why: str) -> None:
    if requested is not None and requested > n:
        print(
            f"normsim: using {n} worker process(es), not {requested}: only {why}", file=sys.stderr
        )


class Batches:
    """Runs batches of conditions of one scenario into one store, for a command that asks
    for them round after round (``tipping``'s bisection, ``calibrate``'s populations): one
    local worker pool, started by the first batch that needs it and kept until
    :meth:`close`; the time spent running is added up in ``seconds``."""

    def __init__(
        self,
        loaded: LoadedScenario,
        out_dir: Path,
        workers: int | None,
        scheduler: str | None,
        quiet: bool,
        scheduler_timeout: float | None,
        command: str,
    ):
        self.loaded, self.out_dir = loaded, Path(out_dir)
        self.workers, self.scheduler, self.quiet = workers, scheduler, quiet
        self.scheduler_timeout, self.command = scheduler_timeout, command
        self.seconds = 0.0
        self.pool: ProcessPoolExecutor | None = None

    def run(self, conds: list[Condition]) -> RunReport:
        """:func:`normsim.studies.runner.run` these conditions (what is not stored yet)."""
        t0 = time.perf_counter()
        if (
            self.pool is None
            and self.scheduler is None
            and (self.workers or 2) > 1
            and (os.cpu_count() or 1) > 1
        ):
            self.pool = local_pool(self.workers or os.cpu_count() or 1)
        report = run(
            self.loaded,
            out_dir=self.out_dir,
            workers=self.workers,
            scheduler=self.scheduler,
            quiet=self.quiet,
            conds=conds,
            pool=self.pool,
            scheduler_timeout=self.scheduler_timeout,
            command=self.command,
        )
        self.seconds += time.perf_counter() - t0
        return report

    def close(self, stop: bool = False) -> None:
        """Shut down the worker pool, if one was started; ``stop``: terminate its workers
        first (interrupted)."""
        pool, self.pool = self.pool, None
        close_pool(pool, stop)
