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

import math
import multiprocessing as mp
import os
import sys
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator

import numpy as np

from normsim import analytic
from normsim.draws import replicate_seed
from normsim.errors import NormsimError
from normsim.metrics import exploration_metrics, shock_metrics
from normsim.scenario import Condition, EvolvingRates, LoadedScenario, conditions
from normsim.store import Store


@dataclass
class RunReport:
    """What a run did."""

    out_dir: Path
    conditions: list[Condition]
    ran: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def well_mixed_series(cond: Condition) -> dict:
    """The ODE of a well-mixed condition sampled at integer times 0..G."""
    s = cond.spec
    ex = s.dynamics.exploration
    G = s.schedule.generations
    shocks = s.schedule.shock_list()
    sol = analytic.solve(s.game.a, s.game.b, s.game.c, float(ex), s.population.initial_b,
                         t_max=float(G), t_eval=np.arange(G + 1, dtype=float), shocks=shocks)
    p = sol.p
    a = np.full(G + 1, s.game.a)
    b = np.full(G + 1, s.game.b)
    for sh in shocks:  # payoffs in force at each time
        a[sh:], b[sh:] = b[sh:].copy(), a[sh:].copy()
    c = s.game.c
    fa = a * (1 - c * p)
    fb = b * (1 - c * (1 - p))
    return {"share_b": p, "mean_payoff": (1 - p) * fa + p * fb}


def run_chunk(cond: Condition, reps: list[tuple[int, int]]) -> list[dict]:
    """Simulate the replicates ``(rep, seed)`` of one condition (runs in a worker)."""
    from normsim.engine import simulate

    out = []
    if cond.well_mixed:
        for rep, seed in reps:
            t0 = time.perf_counter()
            series = well_mixed_series(cond)
            out.append({"rep": rep, "seed": seed, "wall_time": time.perf_counter() - t0,
                        **series, "rate_shares": None, "mean_rate": None})
        return out
    params = cond.model_params()
    for rep, seed in reps:
        t0 = time.perf_counter()
        res = simulate(params, [seed], base_dir=cond.base_dir)
        out.append({"rep": rep, "seed": seed, "wall_time": time.perf_counter() - t0,
                    "share_b": res.share_b[0], "mean_payoff": res.mean_payoff[0],
                    "rate_shares": None if res.rate_shares is None else res.rate_shares[0],
                    "mean_rate": None if res.mean_rate is None else res.mean_rate[0]})
    return out


def _warm_up(conds: list[Condition]) -> None:
    """Compile (or load from cache) the kernels these conditions need, once, here."""
    from normsim.engine import simulate

    seen = set()
    for c in conds:
        if c.well_mixed:
            continue
        p = c.model_params()
        key = (p.update, p.evolving)
        if key in seen:
            continue
        seen.add(key)
        simulate(replace(p, generations=1, shocks=()), [0], base_dir=c.base_dir)


def plan(conds: list[Condition], runs: int, store: Store | None) -> list[tuple[Condition, list]]:
    """For each condition, the ``(rep, seed)`` pairs not yet stored."""
    out = []
    for c in conds:
        done = store.stored_reps(c.hash) if store is not None else set()
        n = 1 if c.well_mixed else runs
        todo = [(i, replicate_seed(c.spec.seed, i)) for i in range(n) if i not in done]
        out.append((c, todo))
    return out


def chunked(todo: list, size: int) -> list[list]:
    return [todo[i:i + size] for i in range(0, len(todo), size)]


Task = tuple[Condition, list]
Outcome = tuple[Condition, list, "list[dict] | None", "BaseException | None"]


def _in_process(tasks: list[Task]) -> Iterator[Outcome]:
    for c, ch in tasks:
        try:
            yield c, ch, run_chunk(c, ch), None
        except Exception as e:  # noqa: BLE001 - reported; the run goes on
            yield c, ch, None, e


def _local_pool(tasks: list[Task], workers: int) -> Iterator[Outcome]:
    """Chunks on spawned local processes, at most 2 per worker in flight."""
    it = iter(tasks)
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
        pending: dict[Future, Task] = {}

        def submit() -> None:
            nxt = next(it, None)
            if nxt is not None:
                pending[pool.submit(run_chunk, *nxt)] = nxt

        for _ in range(2 * workers):
            submit()
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    c, ch = pending.pop(f)
                    try:
                        res, err = f.result(), None
                    except Exception as e:  # noqa: BLE001
                        res, err = None, e
                    yield c, ch, res, err
                    submit()
        finally:
            for f in pending:
                f.cancel()


def connect(address: str):
    """A dask.distributed Client for an existing scheduler (a NormsimError if unreachable)."""
    try:
        from distributed import Client
    except ImportError:
        raise NormsimError("--scheduler needs dask.distributed: install it with "
                           "'.venv/bin/pip install \"dask[distributed]\"'") from None
    try:
        return Client(address, timeout="15s")
    except (OSError, TimeoutError, ValueError) as e:
        raise NormsimError(f"--scheduler: cannot connect to {address}: {e}") from None


def _dask(tasks: list[Task], client) -> Iterator[Outcome]:
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
            (c, ch), _ = pending.pop(fut.key)
            try:
                res, err = fut.result(), None
            except Exception as e:  # noqa: BLE001 - also KilledWorker, once the cluster's
                res, err = None, e  # allowed-failures for lost workers is used up
            fut.release()
            yield c, ch, res, err
            submit()
    finally:  # interrupted: nothing more for the cluster to do
        if pending:
            client.cancel([f for _, f in pending.values()])


def _work_per_replicate(c: Condition) -> int:
    return max(1, c.n_agents) * c.spec.schedule.generations


def run(loaded: LoadedScenario, *, out_dir: Path, workers: int | None = None,
        scheduler: str | None = None, quiet: bool = False) -> RunReport:
    """Run every condition x replicate not yet stored; commit each replicate as it finishes.

    ``scheduler`` is the address of an existing dask.distributed scheduler
    (``tcp://host:8786``); otherwise ``workers`` local processes (default: all
    cores; 1 runs in this process).
    """
    from tqdm import tqdm

    t_start = time.perf_counter()
    conds = conditions(loaded)
    sc = loaded.scenario
    client = connect(scheduler) if scheduler else None
    if client is not None:
        workers = max(1, sum(client.nthreads().values()))
    workers = workers or os.cpu_count() or 1
    report = RunReport(out_dir=out_dir, conditions=conds)
    try:
        with Store(out_dir) as store:
            for pos, c in enumerate(conds):
                store.add_condition(c.hash, c.scenario, c.params,
                                    c.spec.model_dump(mode="json"), pos)
            todo = plan(conds, sc.runs, store)
            total = sum(len(t) for _, t in todo)
            report.skipped = sum((1 if c.well_mixed else sc.runs) for c in conds) - total
            if total == 0:
                report.seconds = time.perf_counter() - t_start
                return report
            if client is None:
                _warm_up([c for c, t in todo if t])
            tasks = []
            for c, t in todo:
                # chunks of about 2e7 agent-updates (a fraction of a second), but
                # at least 4 chunks per worker so that the load stays balanced
                size = max(1, min(math.ceil(2e7 / _work_per_replicate(c)),
                                  math.ceil(total / (4 * workers))))
                tasks += [(c, ch) for ch in chunked(t, size)]
            if client is not None:
                outcomes = _dask(tasks, client)
            elif workers == 1 or len(tasks) == 1:
                outcomes = _in_process(tasks)
            else:
                outcomes = _local_pool(tasks, workers)
            with tqdm(total=total, unit="rep", desc=sc.name, disable=quiet, delay=1.0,
                      file=sys.stderr, dynamic_ncols=True) as bar:
                for c, ch, results, err in outcomes:
                    if err is not None:
                        msg = "".join(traceback.format_exception_only(type(err), err)).strip()
                        report.failures.append(
                            f"{c.describe()} replicates {ch[0][0]}..{ch[-1][0]}: {msg}")
                        bar.update(len(ch))
                        continue
                    for r in results:
                        store.add_replicate(c.hash, r["rep"], r["seed"], c.scenario, c.params,
                                            r["wall_time"], r["share_b"], r["mean_payoff"],
                                            r["rate_shares"], r["mean_rate"])
                        report.ran += 1
                        bar.update(1)
    finally:
        if client is not None:
            client.close()
    report.seconds = time.perf_counter() - t_start
    return report


# ------------------------------------------------------------------ summary
def summarise(store: Store, hashes: list[str] | None = None) -> dict:
    """The summary JSON of interfaces.md section 2.1 (all stored conditions, or ``hashes``)."""
    conds = store.conditions(hashes)
    name = conds[0]["scenario"] if conds else None
    out = {"scenario": name, "conditions": []}
    for c in conds:
        out["conditions"].append(summarise_condition(store, c))
    return out


def load_series(store: Store, hash_: str) -> dict:
    reps = list(store.replicates(hash_))
    if not reps:
        return {}
    d = {"share_b": np.stack([r.share_b for r in reps]),
         "mean_payoff": np.stack([r.mean_payoff for r in reps]),
         "seeds": [r.seed for r in reps],
         "wall_time": float(sum(r.wall_time for r in reps))}
    if reps[0].rate_shares is not None:
        d["rate_shares"] = np.stack([r.rate_shares for r in reps])
        d["mean_rate"] = np.stack([r.mean_rate for r in reps])
    return d


def summarise_condition(store: Store, c: dict, series: dict | None = None) -> dict:
    from normsim.scenario import Scenario

    spec = Scenario.model_validate(c["resolved"])
    G = spec.schedule.generations
    shocks = spec.schedule.shock_list()
    series = load_series(store, c["hash"]) if series is None else series
    entry = {"params": c["params"], "runs": c["n"], "generations": G,
             "well_mixed": spec.population.well_mixed,
             "shocks": [], "final_share_b": None, "exploration": None}
    if not series:
        return entry
    from normsim.game import CoordinationGame
    game = CoordinationGame(spec.game.a, spec.game.b, spec.game.c)
    entry["shocks"] = shock_metrics(series["share_b"], game, shocks, G)
    mean_b = series["share_b"].mean(axis=0)
    w = max(1, math.ceil(0.1 * G))
    entry["final_share_b"] = float(mean_b[G - w + 1:].mean())
    ex = spec.dynamics.exploration
    if isinstance(ex, EvolvingRates) and "rate_shares" in series:
        entry["exploration"] = exploration_metrics(series["rate_shares"], series["mean_rate"],
                                                   ex.rates, shocks)
    return entry
