"""Large societies: build time, peak memory and engine speed at 10^6 and 10^7 agents.

    .venv/bin/python benchmarks/bench_scale.py                 # every case (15-30 min)
    .venv/bin/python benchmarks/bench_scale.py --sizes 1e6     # only 10^6 agents
    .venv/bin/python benchmarks/bench_scale.py --kinds grid erdos_renyi --sizes 1e6 --edges 0
    .venv/bin/python benchmarks/bench_scale.py --sizes --edges 1e7   # only the edge list

Prints one JSON line per case: first the 50 x 50 torus (the paper's society)
in each update mode, the baseline; then, for each graph kind and size, the
native build (``build_s`` wall-clock, ``build_cpu_s`` the process's CPU
time: ``spec_adjacency`` of the spec with ``generator: auto``), and the
engine's agent-updates per second in each update mode (``engine.simulate``
on that graph, one replicate; CPU time of ``generations + 1`` generations
(8 times as many for the fast synchronous sweep) less that of one, so that the
initial state and the set-up are not counted;
CPU time because the kernel is single-threaded and a shared machine's
wall-clock says more about its other users), with the ratio to the torus figure of the
same mode measured in the same run. Every case runs in a fresh process, so
``peak_rss_mb`` (the process's peak resident set: interpreter, numba, the
graph, the engine's state and the series) is that case's whole run;
``bytes_per_agent`` is that peak over the number of agents, and
``added_bytes_per_agent`` the same without the process's footprint before
the graph was built (compiled kernels loaded). Last, an edge-list file of
``--edges`` edges (SNAP style, mean degree 10), plain and gzip-compressed, is
loaded with :func:`normsim.networks.edgelist.load_edgelist` (``load_s``).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODES = ("synchronous", "sequential", "reference")
KINDS = ("grid", "random_regular", "watts_strogatz", "erdos_renyi", "barabasi_albert")


def spec_for(kind: str, n: int) -> dict:
    """A graph of about ``n`` nodes and mean degree 4."""
    if kind == "grid":
        side = round(n**0.5)
        return {"kind": "grid", "rows": side, "cols": side, "periodic": True}
    if kind == "random_regular":
        return {"kind": "random_regular", "n": n, "d": 4}
    if kind == "watts_strogatz":
        return {"kind": "watts_strogatz", "n": n, "k": 4, "p": 0.1}
    if kind == "erdos_renyi":
        return {"kind": "erdos_renyi", "n": n, "p": 4.0 / (n - 1), "largest_component": True}
    if kind == "barabasi_albert":
        return {"kind": "barabasi_albert", "n": n, "m": 2}
    raise ValueError(kind)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _params(network, update: str, generations: int):
    from normsim.params import ModelParams

    return ModelParams(
        a=0.6,
        b=0.4,
        c=0.6,
        network=network,
        update=update,
        generations=generations,
        exploration=0.05,
        shocks=(),
    )


def _rate(adj, update: str, generations: int, reps: int = 1) -> float:
    """Agent-updates per second of ``generations`` generations (set-up excluded)."""
    from normsim.draws import replicate_seeds
    from normsim.engine import simulate

    seeds = replicate_seeds(2017, reps)
    if update == "synchronous":  # a fast sweep: more generations, so that they dominate
        generations *= 8
    # once untimed: compiles (or loads) the kernel for this graph's kind
    simulate(_params({"kind": "grid", "rows": 3, "cols": 3}, update, 1), seeds[:1], network=adj)
    t0 = time.process_time()
    simulate(_params({"kind": "grid", "rows": 3, "cols": 3}, update, 1), seeds, network=adj)
    t1 = time.process_time()
    simulate(
        _params({"kind": "grid", "rows": 3, "cols": 3}, update, generations + 1), seeds, network=adj
    )
    t2 = time.process_time()
    return adj.n * reps * generations / max(1e-9, (t2 - t1) - (t1 - t0))


def warm_up(kind: str = "grid") -> None:
    """Compile (or load) the generators, and the engine for this kind's graphs
    (a regular or irregular graph, a Fermi table or not, 32-bit neighbour
    indices, the sweep that takes agents ahead), on graphs of 2^17 nodes, so
    that no compilation is timed or counted in the case's memory."""
    from normsim.engine import simulate
    from normsim.networks import spec_adjacency

    for k in KINDS:
        spec_adjacency({**spec_for(k, 400), "generator": "native"}, seed=1)
    adj = spec_adjacency({**spec_for(kind, 1 << 17), "generator": "native"}, seed=1)
    for update in MODES:
        simulate(_params({"kind": "grid", "rows": 3, "cols": 3}, update, 1), [1], network=adj)


def torus_case(generations: int) -> list[dict]:
    """The 50 x 50 torus, 40 replicates, in each mode: the baseline (same timing)."""
    from normsim.networks import spec_adjacency

    warm_up()
    adj = spec_adjacency({"kind": "grid", "rows": 50, "cols": 50})
    return [
        {
            "case": "torus-50x50",
            "kind": "grid",
            "agents": adj.n,
            "mode": m,
            "agent_updates_per_s": round(_rate(adj, m, generations, reps=40)),
        }
        for m in MODES
    ]


def scale_case(kind: str, n: int, generations: int) -> dict:
    from normsim.draws import graph_seed, replicate_seed
    from normsim.networks import spec_adjacency

    warm_up(kind)
    base = _rss_mb()
    spec = spec_for(kind, n)
    t0, c0 = time.perf_counter(), time.process_time()
    adj = spec_adjacency(spec, seed=graph_seed(replicate_seed(2017, 0)))
    build, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    after_build = _rss_mb()
    rates = {m: round(_rate(adj, m, generations)) for m in MODES}
    peak = _rss_mb()
    return {
        "case": f"{kind}-{n:.0e}",
        "kind": kind,
        "spec": spec,
        "agents": adj.n,
        "edges": int(len(adj.indices) // 2),
        "build_s": round(build, 2),
        "build_cpu_s": round(build_cpu, 2),
        "generations": generations,
        "agent_updates_per_s": rates,
        "peak_rss_mb": round(peak, 1),
        "rss_before_build_mb": round(base, 1),
        "peak_after_build_mb": round(after_build, 1),
        "bytes_per_agent": round(peak * 2**20 / adj.n, 1),
        "added_bytes_per_agent": round((peak - base) * 2**20 / adj.n, 1),
    }


def write_edgelist(path: Path, edges: int, seed: int = 0) -> None:
    """A SNAP-style file: comment lines, then ``u<TAB>v`` lines of random ids in
    0..edges/5 (mean degree 10), without self-loops."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = edges // 5
    u = rng.integers(0, n, edges)
    v = (u + rng.integers(1, n, edges)) % n
    with open(path, "w") as fh:
        fh.write("# Undirected graph: a benchmark\n# FromNodeId\tToNodeId\n")
        for a in range(0, edges, 1_000_000):
            fh.write(
                "\n".join(
                    f"{x}\t{y}"
                    for x, y in zip(
                        u[a : a + 1_000_000].tolist(), v[a : a + 1_000_000].tolist(), strict=True
                    )
                )
            )
            fh.write("\n")


def edgelist_case(path: str) -> dict:
    """Load an edge-list file (largest component) with the compiled loader."""
    from normsim.networks.edgelist import load_edgelist

    small = Path(path).with_name("small.txt")
    small.write_text("1 2\n2 3\n")
    load_edgelist(small, largest_component=True)  # compile (or load) the loader
    base = _rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    g = load_edgelist(path, largest_component=True)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "case": f"edgelist-{Path(path).name}",
        "bytes": Path(path).stat().st_size,
        "edges": int(len(g.adjacency.indices) // 2),
        "nodes": g.adjacency.n,
        "load_s": round(wall, 2),
        "load_cpu_s": round(cpu, 2),
        "peak_rss_mb": round(_rss_mb(), 1),
        "rss_before_mb": round(base, 1),
    }


def child(args: list[str]) -> dict | list:
    """Run one case in a fresh process; its JSON result."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, cwd=ROOT
    )
    if out.returncode != 0:
        return {"case": " ".join(args), "error": out.stderr.strip().splitlines()[-1:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    ap.add_argument(
        "--sizes",
        nargs="*",
        type=float,
        default=[1e6, 1e7],
        help="agents (none: only the edge-list case)",
    )
    ap.add_argument("--generations", type=int, default=3, help="timed generations per mode")
    ap.add_argument(
        "--edges", type=float, default=1e7, help="edges of the edge-list file to load (0: none)"
    )
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        if args.child[0] == "edgelist":
            print(json.dumps(edgelist_case(args.child[1])))
            return
        if args.child[0] == "torus":
            print(json.dumps(torus_case(int(args.child[1]))))
        else:
            print(
                json.dumps(scale_case(args.child[0], int(float(args.child[1])), int(args.child[2])))
            )
        return
    baseline = {}
    for row in child(["torus", str(200)]) if args.sizes else []:
        baseline[row["mode"]] = row["agent_updates_per_s"]
        print(json.dumps(row), flush=True)
    for n in args.sizes:
        for kind in args.kinds:
            row = child([kind, str(int(n)), str(args.generations)])
            if "agent_updates_per_s" in row:
                row["ratio_to_torus"] = {
                    m: round(r / baseline[m], 3) for m, r in row["agent_updates_per_s"].items()
                }
            print(json.dumps(row), flush=True)
    if args.edges:
        import gzip
        import shutil
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            plain = Path(tmp) / "edges.txt"
            write_edgelist(plain, int(args.edges))
            with open(plain, "rb") as src, gzip.open(f"{plain}.gz", "wb", compresslevel=6) as dst:
                shutil.copyfileobj(src, dst)
            for p in (plain, Path(f"{plain}.gz")):
                print(json.dumps(child(["edgelist", str(p)])), flush=True)


if __name__ == "__main__":
    main()
