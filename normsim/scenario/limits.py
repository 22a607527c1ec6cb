"""What a scenario will cost (memory, disk, time), estimated before anything is built.

``normsim validate`` and ``normsim run`` call :func:`check` before they build a
network, allocate a series or plan a replicate: a scenario too large for this
machine is refused in a fraction of a second with one line giving the
estimate and what the machine has, e.g.::

    s.yaml: population.network: too large for this machine: building the grid network
    of 10,000,000,000 agents and 20,000,000,000 edges needs about 20 TB of memory;
    this machine has 23.1 GB available

Sizes come from the specification alone: ``rows * cols`` agents for a grid,
``p * n (n - 1) / 2`` edges for an Erdos-Renyi graph, the line count of an
edge-list file, a sweep's number of conditions as the product of its list
lengths (the sweep is not expanded).

The per-item costs are in the tables below, measured on the code as it is
(networkx builds the graphs; the numba engine's arrays; SQLite blobs). When
the code changes, measure again and update the tables: :data:`BUILD_BYTES`
(per network kind), :data:`ENGINE_BYTES_PER_NODE`, ... An estimate is meant to
be right within a factor of two or so; it refuses only what is clearly
impossible, and ``validate`` prints it for everything else.

The memory normsim may use is the machine's available memory
(``MemAvailable`` in ``/proc/meminfo``, or less under a cgroup limit), or the
environment variable ``NORMSIM_MEMORY`` (e.g. ``NORMSIM_MEMORY=4G``) when set.

Examples
--------
>>> network_size({"kind": "grid", "rows": 100_000, "cols": 100_000})
(10000000000.0, 20000000000.0)
>>> fmt_bytes(2.5e9), fmt_seconds(3 * 86400)
('2.5 GB', '3.0 days')
"""

from __future__ import annotations

import math
import os
import shutil
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from normsim.errors import NormsimError
from normsim.scenario.schema import condition_mapping

if TYPE_CHECKING:  # pragma: no cover
    from normsim.scenario.loading import LoadedScenario

# ------------------------------------------------------------------ cost tables
#: peak memory while building one graph, per network kind, as (bytes per node, bytes per
#: edge). Measured as the peak RSS of a fresh process that builds the network the way a
#: run does (numba's first compile included): a 300 x 300 grid 263-270 MB, a complete
#: graph of 1,200 nodes 272-276 MB, an Erdos-Renyi graph of 10^5 nodes 152 MB. The
#: figures below are those measurements plus about 20%, so that an estimate stays
#: above a real build from one run to the next (the test in tests/scenario/test_costs.py).
BUILD_BYTES: dict[str, tuple[float, float]] = {
    "grid": (2900.0, 360.0),
    "complete": (600.0, 460.0),
    "watts_strogatz": (850.0, 420.0),
    "erdos_renyi": (850.0, 420.0),
    "barabasi_albert": (400.0, 350.0),
    "connected_caveman": (600.0, 350.0),
    "random_regular": (500.0, 350.0),
    "star": (350.0, 350.0),
    "edgelist": (600.0, 600.0),
    "sbm": (850.0, 420.0),  # as erdos_renyi: networkx draws each block pair alike
}
#: peak memory while normsim's native generators (:mod:`normsim.networks.generators`) build one
#: graph straight into the engine's arrays: (bytes per node, bytes per edge), fitted to
#: the peak RSS over a fresh process's baseline (a 1000 x 1000 and a 2000 x 2000 grid
#: 28 and 111 MB; random regular graphs of 10^6 nodes, d = 4, 80 MB and 3 x 10^5 nodes,
#: d = 10, 27 MB; Barabasi-Albert 10^6 nodes, m = 3, 116 MB and 3 x 10^5, m = 10, 52 MB;
#: Erdos-Renyi 10^6 nodes with 2 x 10^6 edges 81 MB and 2 x 10^5 nodes with 2 x 10^6
#: edges 20 MB; Watts-Strogatz 10^6 nodes, k = 4, 66 MB; a complete graph of 3,000
#: nodes 104 MB), each fit about 15% above its measurements. Edge lists are always read
#: natively: BUILD_BYTES["edgelist"] is that reader's. NATIVE_BUILD_BASE: what loading
#: the generators' compiled code adds to a fresh process first (measured 103 MB with a
#: 10 x 10 grid; a 3000 x 3000 grid peaked at 364 MB in all).
NATIVE_BUILD_BASE = 110e6
NATIVE_BUILD_BYTES: dict[str, tuple[float, float]] = {
    "grid": (20.0, 6.0),
    "complete": (0.0, 26.0),
    "star": (100.0, 30.0),
    "connected_caveman": (60.0, 12.0),
    "erdos_renyi": (60.0, 12.0),
    "watts_strogatz": (60.0, 6.0),
    "barabasi_albert": (100.0, 10.0),
    "random_regular": (85.0, 5.0),
}
#: the engine's arrays for one replicate, per agent (norms, rate indices, classes,
#: order, changed-list, CSR offsets, degree) and per edge (int32 and uint16 neighbour
#: indices, both directions)
ENGINE_BYTES_PER_NODE = 60.0
ENGINE_BYTES_PER_EDGE = 24.0
#: the coordinating process (numpy, scipy, numba, networkx, matplotlib loaded), and one
#: spawned worker process, before any work (peak RSS measured: 340 MB and 218 MB)
COORDINATOR_BYTES = 400e6
WORKER_BYTES = 250e6
#: one expanded condition held by the coordinator (measured 4.3 kB) and the time to
#: expand and validate it (measured 0.7-1.3 ms)
CONDITION_BYTES = 6000.0
CONDITION_SECONDS = 1.5e-3
#: one planned replicate, (rep, seed) in a list
PLAN_BYTES_PER_REPLICATE = 200.0
#: one stored replicate's row besides its series, and its commit
STORE_ROW_BYTES = 300.0
STORE_SECONDS_PER_REPLICATE = 1e-3
#: the well-mixed ODE sampled at G + 1 times, arrays per time point (solve_ivp's
#: output, the payoff series, masks)
WELL_MIXED_BYTES_PER_TIME = 160.0
WELL_MIXED_SECONDS = 0.05
#: agent-updates per second on one core (README "Speed", rounded down for a shared
#: machine, larger graphs; asynchronous measured at 0.63 x reference on a 50 x 50
#: torus); evolving rates run at EVOLVING_SPEED of that
UPDATES_PER_SECOND = {
    "synchronous": 2.0e8,
    "sequential": 1.2e8,
    "reference": 1.0e8,
    "asynchronous": 0.65e8,
}
EVOLVING_SPEED = 0.7
#: a random graph is generated for every replicate, in seconds per node plus edge (measured
#: 3-9 us for networkx's generators)
BUILD_SECONDS_PER_ITEM = 6e-6
#: parallel speed-up per worker process (2 workers ran x1.47 of one, benchmarks/bench_sweep.py),
#: and the start-up of a run (processes, compiled kernels loaded, plots)
PARALLEL_EFFICIENCY = 0.75
STARTUP_SECONDS = 5.0
#: the most a run may be estimated to take on the cores that do the work
MAX_SECONDS = 30 * 86400.0
#: replicates per worker task, about this many agent-updates (as normsim.studies.runner chunks)
CHUNK_UPDATES = 2e7
#: a sweep whose cost-relevant keys (network, generations, rates, update) have more
#: combinations than this is estimated from each key's worst value instead of exactly
EXACT_VARIANTS = 10_000

_COST_KEYS = ("population", "schedule.generations", "dynamics.exploration", "dynamics.update")


def series_bytes(generations: float, rates: int) -> float:
    """One replicate's series in a worker: share of B and mean payoff (float64), and
    the count of agents per exploration rate (int64 per rate) for each generation."""
    return (generations + 1) * 8.0 * (2 + rates)


def store_bytes(generations: float, rates: int, evolving: bool) -> float:
    """One replicate's series as stored: share_b, mean_payoff, and with evolving rates
    rate_shares (one per rate) and mean_rate."""
    return (generations + 1) * 8.0 * (2 + (rates + 1 if evolving else 0))


# ------------------------------------------------------------------ the machine
@dataclass(frozen=True)
class Machine:
    """What this machine offers: memory normsim may use, cores, free disk at the output."""

    memory: float
    cores: int
    disk: float | None = None
    memory_source: str = "available"


def _meminfo() -> float | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _cgroup_room() -> float | None:
    """Memory left under a cgroup v2 limit, if one applies."""
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit == "max":
            return None
        used = float(Path("/sys/fs/cgroup/memory.current").read_text().strip())
        return max(0.0, float(limit) - used)
    except (OSError, ValueError):
        return None


def parse_size(text: str) -> float:
    """``4G``, ``512M``, ``2.5e9`` -> bytes (powers of 1024 for K, M, G, T)."""
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    mult = 1.0
    if t and t[-1] in "KMGT":
        mult = 1024.0 ** ("KMGT".index(t[-1]) + 1)
        t = t[:-1]
    try:
        x = float(t) * mult
    except ValueError:
        raise NormsimError(f"NORMSIM_MEMORY: {text!r} is not a size like 4G or 512M") from None
    if not math.isfinite(x) or x <= 0:
        raise NormsimError(f"NORMSIM_MEMORY: {text!r} must be a positive size like 4G")
    return x


def available_memory() -> tuple[float, str]:
    """Bytes of memory normsim may use now, and where the figure comes from."""
    env = os.environ.get("NORMSIM_MEMORY")
    if env:
        return parse_size(env), "allowed by NORMSIM_MEMORY"
    avail = _meminfo()
    if avail is None:
        try:
            avail = float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            avail = 8e9  # no way to know: assume a small laptop
    room = _cgroup_room()
    if room is not None and room < avail:
        return room, "available under this cgroup's memory limit"
    return avail, "available"


def cores() -> int:
    """CPU cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def free_disk(path: str | Path) -> float | None:
    """Free bytes on the file system that ``path`` (or its nearest existing parent) is on."""
    p = Path(path).absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        return float(shutil.disk_usage(p).free)
    except OSError:
        return None


def stored_bytes(out_dir: str | Path) -> float:
    """Bytes already in the results store at ``out_dir`` (0 if there is none)."""
    from normsim.store import db_path

    total = 0.0
    for suffix in ("", "-wal"):
        try:
            total += Path(str(db_path(out_dir)) + suffix).stat().st_size
        except OSError:
            pass
    return total


def machine(out_dir: str | Path | None = None, n_cores: int | None = None) -> Machine:
    """This machine, with the free disk at ``out_dir`` when given."""
    mem, source = available_memory()
    return Machine(
        memory=mem,
        cores=n_cores or cores(),
        disk=free_disk(out_dir) if out_dir is not None else None,
        memory_source=source,
    )


# ------------------------------------------------------------------ network sizes
def _f(x: Any) -> float:
    """A count as a float (inf beyond the float range, never an OverflowError)."""
    try:
        return float(x)
    except OverflowError:
        return math.inf


def _count(x: float) -> str:
    return f"{int(x):,}" if x < 1e15 else f"{x:.3g}"


def _int(x: Any) -> float:
    return _f(x) if isinstance(x, int) and not isinstance(x, bool) and x > 0 else 0.0


def _num(x: Any) -> float:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else 0.0


def edgelist_size(path: Path) -> tuple[float, float]:
    """(nodes, edges) estimated from an edge-list file without reading it all: its
    size over the mean line length of its first MiB. A missing or non-regular file
    gives (0, 0): reading it reports the problem."""
    try:
        st = path.stat()
    except OSError:
        return 0.0, 0.0
    if not stat.S_ISREG(st.st_mode) or st.st_size == 0:
        return 0.0, 0.0
    try:
        with open(path, "rb") as fh:
            head = fh.read(2**20)
    except OSError:
        return 0.0, 0.0
    lines = head.count(b"\n") + (0 if head.endswith(b"\n") else 1)
    edges = st.st_size / (len(head) / max(1, lines))
    return edges, edges  # real networks have about as many nodes as edges, or fewer


def network_size(
    spec: Mapping[str, Any], base_dir: str | Path | None = None
) -> tuple[float, float]:
    """(agents, edges) of a network spec, computed from its parameters, nothing built.

    Random kinds give the expected number of edges; parameters that the
    generator would refuse give a small size (the generator reports them).
    """
    k = spec.get("kind")
    g: Callable[..., Any] = spec.get
    if k == "grid":
        r, c = _int(g("rows")), _int(g("cols"))
        n = r * c
        periodic = g("periodic", True) and r >= 3 and c >= 3
        return n, 2 * n if periodic else r * max(0.0, c - 1) + c * max(0.0, r - 1)
    if k == "complete":
        n = _int(g("n"))
        return n, n * (n - 1) / 2.0
    if k == "watts_strogatz":
        n = _int(g("n"))
        return n, n * (_int(g("k")) // 2)
    if k == "erdos_renyi":
        n = _int(g("n"))
        return n, min(1.0, max(0.0, _num(g("p")))) * n * (n - 1) / 2.0
    if k == "barabasi_albert":
        n, m = _int(g("n")), _int(g("m"))
        return n, m * max(0.0, n - m)
    if k == "connected_caveman":
        ell, s = _int(g("cliques")), _int(g("size"))
        return ell * s, ell * s * (s - 1) / 2.0
    if k == "random_regular":
        n = _int(g("n"))
        return n, n * _int(g("d")) / 2.0
    if k == "star":
        n = _int(g("n"))
        return n + 1, n
    if k == "sbm" and isinstance(g("sizes"), list) and isinstance(g("p"), list):
        sizes = [_int(x) for x in g("sizes")]
        e = 0.0
        for i, si in enumerate(sizes):
            for j, sj in enumerate(sizes[: i + 1]):
                try:
                    q = min(1.0, max(0.0, _num(g("p")[i][j])))
                except (IndexError, TypeError):
                    q = 0.0
                e += q * (si * (si - 1) / 2.0 if i == j else si * sj)
        return float(sum(sizes)), e
    if k == "edgelist" and isinstance(g("path"), str):
        p = Path(g("path"))
        if base_dir is not None and not p.is_absolute():
            p = Path(base_dir) / p
        return edgelist_size(p)
    return 0.0, 0.0


# ------------------------------------------------------------------ the estimate
@dataclass(frozen=True)
class Variant:
    """The cost-relevant settings of one condition."""

    kind: str | None  # network kind (None: well-mixed)
    nodes: float
    edges: float
    generations: float
    rates: int  # exploration rates (1 when fixed)
    evolving: bool
    update: str
    random: bool  # a new graph per replicate
    native: bool = False  # built by normsim's native generators (or the edge-list reader)
    snapshots: int = 0  # generations of output.snapshots


@dataclass(frozen=True)
class Part:
    """One component of the memory estimate: bytes, the field it comes from, what it is."""

    bytes: float
    field: str
    what: str


@dataclass(frozen=True)
class Cost:
    """The estimated cost of running a whole scenario (nothing stored yet).

    Memory has three pieces: what the coordinating process always holds
    (``base``: normsim itself and the expanded conditions), its largest phase
    (``phase``: the planned replicates, building a network to validate it, or
    summarising a condition) and one worker process at its peak (``worker``).
    ``parts`` lists the components in the order a refusal names them: the
    network, one replicate's series, summarising, planning, the sweep.
    """

    conditions: float
    replicates: float
    agent_updates: float
    base: float
    plan: float
    phase: float
    worker: float
    parts: tuple[Part, ...]
    disk: float  # bytes the store grows to
    seconds: float  # wall time on `cores` cores
    validate_seconds: float  # building each distinct network once to check it
    cores: int

    def memory(self, workers: int) -> float:
        """Peak memory with ``workers`` worker processes (1: in this process)."""
        if workers <= 1:
            return self.base + max(self.phase, self.worker - WORKER_BYTES)
        return self.base + max(self.phase, self.plan + workers * self.worker)

    def max_workers(self, memory: float) -> int:
        """How many worker processes fit in ``memory`` (at least 1)."""
        room = memory - self.base - self.plan
        return max(1, int(min(room // max(1.0, self.worker), 1e9)))

    def blame(self, memory: float) -> Part:
        """The first component that does not fit in ``memory`` on its own, or the largest."""
        if COORDINATOR_BYTES >= memory:
            return Part(COORDINATOR_BYTES, "", "normsim itself (Python, numpy, numba, ...)")
        for p in self.parts:
            if COORDINATOR_BYTES + p.bytes > memory:
                return p
        return max(self.parts, key=lambda p: p.bytes)


def _variant(d: dict) -> Variant | None:
    from normsim.networks import RANDOM_KINDS

    try:
        pop, dyn = d["population"], d["dynamics"]
        G = _f(d["schedule"]["generations"])
        ex = dyn.get("exploration")
        rates = ex.get("rates") if isinstance(ex, dict) else None
        evolving = isinstance(rates, list)
        K = len(rates) if isinstance(rates, list) else 1
        update = dyn.get("update") if dyn.get("update") in UPDATES_PER_SECOND else "reference"
        if pop.get("well_mixed"):
            return Variant(None, 0.0, 0.0, G, K, evolving, update, False)
        net = pop.get("network")
        if not isinstance(net, dict):
            return None
        n, e = network_size(net, d.get("_base_dir"))
        snaps = (d.get("output") or {}).get("snapshots") or ()
        return Variant(
            net.get("kind"),
            n,
            e,
            G,
            K,
            evolving,
            update,
            net.get("kind") in RANDOM_KINDS,
            native=_native(net, n),
            snapshots=len(snaps),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _native(net: Mapping[str, Any], nodes: float) -> bool:
    """Whether the network will be built by the native generators (as
    :func:`normsim.networks.spec_adjacency` decides: ``generator``, kind and size)."""
    from normsim.networks import NATIVE_MIN_NODES
    from normsim.networks.generators import NATIVE_KINDS

    kind, generator = net.get("kind"), net.get("generator", "auto")
    if kind == "edgelist":
        return True
    if generator == "networkx" or kind not in NATIVE_KINDS:
        return False
    return generator == "native" or nodes >= NATIVE_MIN_NODES


def snapshot_bytes(nodes: float, rates: int, evolving: bool) -> float:
    """One stored snapshot of every agent (:func:`normsim.snapshots.encode`) and its row.

    With a fixed rate, a bit an agent (packed; zlib gains nothing on mixed norms). With
    evolving rates the norm and the rate index share a byte (two beyond 128 rates),
    which zlib packs to about their entropy, ``1 + log2(rates)`` bits (measured: 3 rates
    on 40,000 agents, 0.35 bytes an agent); counted with a fifth more."""
    from normsim.snapshots import MAX_BYTE_RATES

    if evolving:
        width = 1.0 if rates <= MAX_BYTE_RATES else 2.0
        per_agent = min(width, 1.2 * (1.0 + math.log2(max(1, rates))) / 8.0)
    else:
        per_agent = 0.125
    return nodes * per_agent + STORE_ROW_BYTES


def _variants(loaded: LoadedScenario) -> tuple[list[tuple[Variant, float]], float]:
    """The distinct cost-relevant variants of a scenario's conditions with how many
    conditions each stands for, and the number of conditions (nothing expanded)."""
    import itertools

    sc = loaded.scenario
    base = sc.model_dump(mode="python", exclude={"sweep"})
    base["_base_dir"] = str(loaded.base_dir)
    sweep = {k: v for k, v in sc.sweep.items() if isinstance(v, list)}
    n_cond = _f(math.prod(len(v) for v in sweep.values())) if sweep else 1.0
    keys = [k for k in sweep if k.startswith(_COST_KEYS)]
    rel = _f(math.prod(len(sweep[k]) for k in keys)) if keys else 1.0
    per = n_cond / rel if rel else 0.0
    out: list[tuple[Variant, float]] = []
    if rel <= EXACT_VARIANTS:
        for combo in itertools.product(*(sweep[k] for k in keys)):
            d = condition_mapping(base, dict(zip(keys, combo, strict=True)), "sweep", replace=True)
            v = _variant(d)
            if v is not None:
                out.append((v, per))
        return out, n_cond
    # too many combinations to list: each key at its most expensive value, together
    worst: dict[str, Any] = {}
    for k in keys:
        best, best_cost = None, -1.0
        for val in sweep[k]:
            v = _variant(condition_mapping(base, {k: val}, "sweep", replace=True))
            c = 0.0 if v is None else (v.nodes + v.edges + 1) * v.generations * v.rates
            if c > best_cost:
                best, best_cost = val, c
        worst[k] = best
    v = _variant(condition_mapping(base, worst, "sweep", replace=True))
    if v is not None:
        out.append((v, n_cond))
    return out, n_cond


def _chunk(v: Variant, total: float, workers: int) -> float:
    work = max(1.0, v.nodes) * v.generations
    return max(1.0, min(math.ceil(CHUNK_UPDATES / work), total / (4 * max(1, workers))))


def estimate(
    loaded: LoadedScenario, *, workers: int | None = None, n_cores: int | None = None
) -> Cost:
    """Estimate the memory, disk and time of running the whole scenario.

    Parameters
    ----------
    loaded : LoadedScenario
        A validated scenario (:func:`normsim.scenario.load`).
    workers : int, optional
        Worker processes (default: every core); the time uses at most ``n_cores`` of them.
    n_cores : int, optional
        Cores that do the work (default: this machine's; a Dask cluster's threads).
    """
    sc = loaded.scenario
    n_cores = n_cores or cores()
    workers = workers or n_cores
    variants, n_cond = _variants(loaded)
    runs = _f(sc.runs)
    reps = sum(m * (1.0 if v.kind is None else runs) for v, m in variants)
    updates = sum(m * runs * v.nodes * v.generations for v, m in variants if v.kind is not None)
    sweep = Part(
        n_cond * CONDITION_BYTES, "sweep", f"expanding a sweep of {_count(n_cond)} conditions"
    )
    plan = Part(
        reps * PLAN_BYTES_PER_REPLICATE,
        "runs",
        f"planning {_count(reps)} replicates ({_count(n_cond)} condition(s) x {_count(runs)} runs)",
    )
    none = Part(0.0, "", "")
    build = series = summary = none
    worker = 0.0
    disk = n_cond * 2000.0
    seconds = n_cond * CONDITION_SECONDS
    validate_seconds = 0.0
    work_seconds = 0.0
    for v, m in variants:
        n_rep = 1.0 if v.kind is None else runs
        stored = store_bytes(v.generations, v.rates, v.evolving)
        snaps = v.snapshots * snapshot_bytes(v.nodes, v.rates, v.evolving)
        disk += m * n_rep * (stored + STORE_ROW_BYTES + snaps)
        seconds += m * n_rep * STORE_SECONDS_PER_REPLICATE
        gens = f"{_count(v.generations)} generations"
        if v.kind is None:
            ode = Part(
                (v.generations + 1) * WELL_MIXED_BYTES_PER_TIME,
                "schedule.generations",
                f"the well-mixed ODE sampled at {gens}",
            )
            series = max(series, ode, key=lambda p: p.bytes)
            worker = max(worker, ode.bytes)
            work_seconds += m * (WELL_MIXED_SECONDS + v.generations * 1e-6)
        else:
            native = v.native and v.kind != "edgelist"
            table = NATIVE_BUILD_BYTES if native else BUILD_BYTES
            bn, be = table.get(v.kind or "", (600.0, 600.0))
            net = f"the {v.kind} network of {_count(v.nodes)} agents and {_count(v.edges)} edges"
            b = Part(
                (NATIVE_BUILD_BASE if native else 0.0) + v.nodes * bn + v.edges * be,
                "population.network",
                f"building {net}" + (" (native generator)" if native else ""),
            )
            build = max(build, b, key=lambda p: p.bytes)
            engine = v.nodes * ENGINE_BYTES_PER_NODE + v.edges * ENGINE_BYTES_PER_EDGE
            # a replicate's snapshots: the engine's norm and rate arrays (a byte each
            # an agent), then their encoding
            snap_mem = v.snapshots * v.nodes * 3.0
            one = Part(
                3 * series_bytes(v.generations, v.rates) + snap_mem,
                "output.snapshots"
                if snap_mem > 3 * series_bytes(v.generations, v.rates)
                else "schedule.generations",
                f"one replicate's series of {gens}"
                + (f" and {v.snapshots} snapshot(s)" if v.snapshots else ""),
            )
            series = max(series, one, key=lambda p: p.bytes)
            chunk = _chunk(v, reps, workers)
            worker = max(worker, b.bytes + engine, engine + chunk * one.bytes)
            rate = UPDATES_PER_SECOND[v.update] * (EVOLVING_SPEED if v.evolving else 1.0)
            per_rep = v.nodes * v.generations / rate
            if v.random:
                per_rep += (v.nodes + v.edges) * BUILD_SECONDS_PER_ITEM
            work_seconds += m * runs * per_rep
            validate_seconds += (v.nodes + v.edges) * BUILD_SECONDS_PER_ITEM
        # summarising (and plotting) one condition holds its series about 4 times over
        summ = Part(
            4 * n_rep * stored,
            "runs" if n_rep > 1 else "schedule.generations",
            f"summarising {_count(n_rep)} replicate(s) of {gens}",
        )
        summary = max(summary, summ, key=lambda p: p.bytes)
    used = max(1, min(workers, n_cores))
    return Cost(
        conditions=n_cond,
        replicates=reps,
        agent_updates=updates,
        base=COORDINATOR_BYTES + sweep.bytes,
        plan=plan.bytes,
        phase=max(plan.bytes, build.bytes, summary.bytes),
        worker=WORKER_BYTES + worker,
        parts=tuple(p for p in (build, series, summary, plan, sweep) if p is not none),
        disk=disk,
        seconds=STARTUP_SECONDS
        + seconds
        + work_seconds / (used * (PARALLEL_EFFICIENCY if used > 1 else 1.0)),
        validate_seconds=validate_seconds,
        cores=used,
    )


# ------------------------------------------------------------------ checking
#: bytes a particle of ``calibrate`` holds while its population runs, its runner
#: condition (a resolved scenario), its candidate record and its distance
PARTICLE_BYTES = 40_000
#: bytes of the pair approximation per neighbour count 0..k (binomial tables of every
#: start of its fixed-point search) and per pair of counts (its (k+1) x k switching-
#: probability matrices and the temporaries that build them: the peak RSS above k = 20
#: grew by 30, 98 and 340 MB at k = 200, 400 and 800, 530-750 bytes a pair)
PAIR_BYTES_PER_DEGREE = 250 * 6 * 8
PAIR_BYTES_PER_PAIR = 650
#: bytes of the finite-population chain per state 0..Z (its log-rate and passage arrays:
#: the peak RSS above Z = 1,000 grew by 14, 56 and 287 MB at Z = 10^5, 4 x 10^5 and
#: 2 x 10^6, 140 bytes a state)
FINITE_BYTES_PER_STATE = 200


def check_memory(what: str, need: float, option: str) -> None:
    """Refuse, before anything is allocated, work whose estimated memory ``need`` (bytes)
    is more than this machine offers normsim: one line with ``option``, the estimate and
    what is available."""
    have, source = available_memory()
    if need > have:
        raise NormsimError(
            f"{option}: too large for this machine: {what} needs about "
            f"{fmt_bytes(need)} of memory; this machine has {fmt_bytes(have)} "
            f"{source}"
        )


def fmt_bytes(x: float) -> str:
    """Bytes in decimal units: ``2.5 GB``."""
    if not math.isfinite(x):
        return "an unbounded amount"
    for unit, size in (
        ("EB", 1e18),
        ("PB", 1e15),
        ("TB", 1e12),
        ("GB", 1e9),
        ("MB", 1e6),
        ("kB", 1e3),
    ):
        if x >= size:
            return f"{x / size:.3g} {unit}"
    return f"{x:.0f} bytes"


def fmt_seconds(s: float) -> str:
    """A duration in the largest sensible unit: ``26 s``, ``4.2 min``, ``3.1 days``."""
    if s < 90:
        return f"{s:.0f} s" if s >= 1 else f"{s:.1g} s"
    if s < 5400:
        return f"{s / 60:.1f} min"
    if s < 2 * 86400:
        return f"{s / 3600:.1f} h"
    if s < 730 * 86400:
        return f"{s / 86400:.1f} days"
    return f"{s / (365.25 * 86400):.3g} years"


def check(
    loaded: LoadedScenario,
    *,
    where: str | None = None,
    out_dir: str | Path | None = None,
    workers: int | None = None,
    n_cores: int | None = None,
    stored_bytes: float = 0.0,
) -> Cost:
    """Refuse (NormsimError, one line) a scenario too large for this machine; return its cost.

    Refused when the memory with a single worker exceeds what this machine has
    available, when the store would not fit on the free disk at ``out_dir``
    (``stored_bytes`` already there count as done), or when the run would take
    longer than :data:`MAX_SECONDS` on the cores that do the work.
    """
    where = where or str(loaded.path or "<scenario>")
    mach = machine(out_dir, n_cores)
    cost = estimate(loaded, workers=workers, n_cores=mach.cores)
    need = cost.memory(1)
    if need > mach.memory:
        part = cost.blame(mach.memory)
        field = f"{part.field}: " if part.field else ""
        alone = COORDINATOR_BYTES + part.bytes > mach.memory
        total = "" if alone and need < 1.5 * part.bytes else f" (about {fmt_bytes(need)} in all)"
        raise NormsimError(
            f"{where}: {field}too large for this machine: {part.what} needs about "
            f"{fmt_bytes(part.bytes)} of memory{total}; this machine has "
            f"{fmt_bytes(mach.memory)} {mach.memory_source}"
        )
    if mach.disk is not None and cost.disk - stored_bytes > mach.disk:
        raise NormsimError(
            f"{where}: too large for this machine: storing {_count(cost.replicates)} replicates "
            f"needs about {fmt_bytes(cost.disk - stored_bytes)} of disk; {out_dir} has "
            f"{fmt_bytes(mach.disk)} free"
        )
    if cost.seconds > MAX_SECONDS:
        raise NormsimError(
            f"{where}: too large for this machine: {cost.agent_updates:.3g} agent-updates "
            f"({_count(cost.replicates)} replicates in {_count(cost.conditions)} condition(s)) "
            f"take about {fmt_seconds(cost.seconds)} on {cost.cores} core(s); normsim refuses runs "
            f"estimated above {fmt_seconds(MAX_SECONDS)} (fewer runs, generations or sweep "
            "values, or a Dask cluster with --scheduler)"
        )
    return cost


def describe(cost: Cost, mach: Machine, workers: int | None = None) -> str:
    """One line for ``normsim validate``: the estimated memory, disk and time."""
    w = int(max(1, min(workers or mach.cores, cost.replicates)))
    w = min(w, cost.max_workers(mach.memory))
    return (
        f"estimated cost: about {fmt_bytes(cost.memory(w))} of memory with {w} worker(s) "
        f"(this machine: {fmt_bytes(mach.memory)} {mach.memory_source}), "
        f"{fmt_bytes(cost.disk)} stored, {fmt_seconds(cost.seconds)} on {cost.cores} core(s)"
    )
