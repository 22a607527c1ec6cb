"""Theory against simulation: normsim's four theories beside its four update modes.

    .venv/bin/python analysis/theory_vs_simulation.py           # report scale (a few minutes)
    .venv/bin/python analysis/theory_vs_simulation.py --quick   # small graphs, for a smoke run

Part 1: the time to norm change after a shock (t50: generations until the
replicate-mean share of the new norm first reaches one half,
:func:`normsim.studies.metrics.shock_metrics`) on four graphs of N = side x side nodes
(the periodic von Neumann torus, a random 4-regular graph, the periodic Moore
lattice with k = 8 and the complete graph), in the four update modes, beside
each theory's own t50 after the shock: the replicator (one time unit taken as a
generation), the pairwise-comparison mean field, the pair approximation with the
graph's degree, and, on the complete graph, the finite chain's expected passage
to one half from the old norm's stationary distribution.

Part 2: the fixation probability of a few B-players on a small complete graph
(asynchronous mode, no exploration), simulated, with its binomial 99% interval,
against the exact chain (:meth:`normsim.theory.finite.BirthDeathChain.fixation_probability`).

Simulations are cached as JSON under ``results/theory_vs_simulation/`` (keyed by
every parameter that defines them), so a rerun only recomputes the theory and
redraws. Writes ``analysis/report/THEORY.md`` and its figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
from scipy.stats import binomtest  # noqa: E402

from normsim import __version__  # noqa: E402
from normsim.draws import replicate_seeds  # noqa: E402
from normsim.engine import simulate  # noqa: E402
from normsim.game import CoordinationGame  # noqa: E402
from normsim.params import ModelParams  # noqa: E402
from normsim.studies.metrics import shock_metrics  # noqa: E402
from normsim.theory import analytic  # noqa: E402
from normsim.theory.finite import BirthDeathChain  # noqa: E402
from normsim.theory.pairapprox import PairApproximation  # noqa: E402

MODES = ("synchronous", "sequential", "reference", "asynchronous")
THEORIES = ("replicator", "pairwise", "pair", "finite")
THEORY_NAMES = {
    "replicator": "replicator (1 unit = 1 gen.)",
    "pairwise": "pairwise mean field",
    "pair": "pair approximation",
    "finite": "finite chain",
}
A, B = 0.6, 0.4  # before the shock A is the better norm; the shock makes B better
MU, BETA = 0.05, 5.0
SEED = 2017
CONFIDENCE = 0.99


# ------------------------------------------------------------------ configuration
def config(quick: bool) -> dict[str, Any]:
    """Sizes of the study: report scale, or a smoke run (--quick).

    ``complete`` overrides the schedule (runs, generations, shock) on the complete graph.
    """
    if quick:
        return {
            "side": 12,
            "runs": 3,
            "generations": 300,
            "shock": 150,
            "cs": [0.6],
            "fix_Z": 20,
            "fix_p": 0.15,
            "fix_runs": 300,
            "fix_cs": [0.3],
            "fix_k0": [1, 2, 3, 4],
            "c_grid": np.linspace(0.0, 1.0, 6),
            "complete": {"runs": 2, "generations": 200, "shock": 50},
        }
    return {
        "side": 50,
        "runs": 20,
        "generations": 2000,
        "shock": 1000,
        "cs": [0.3, 0.6, 0.8],
        "fix_Z": 50,
        "fix_p": 0.06,
        "fix_runs": 3000,
        "fix_cs": [0.3, 0.35, 0.4],
        "fix_k0": [1, 2, 3, 4, 5],
        "c_grid": np.linspace(0.0, 1.0, 21),
        # the complete graph costs N updates per change: fewer replicates and a
        # shorter run-in before the shock (its old norm settles within tens of
        # generations); the same 1000 generations after the shock
        "complete": {"runs": 10, "generations": 1200, "shock": 200},
    }


def moore_lattice(side: int) -> nx.Graph:
    """The periodic ``side`` x ``side`` Moore lattice: every node joined to its 8
    nearest neighbours (orthogonal and diagonal), wrapping around (side >= 3)."""
    G = nx.Graph()
    G.add_nodes_from(range(side * side))
    for r in range(side):
        for c in range(side):
            for dr, dc in ((0, 1), (1, -1), (1, 0), (1, 1)):
                G.add_edge(r * side + c, ((r + dr) % side) * side + (c + dc) % side)
    return G


def schedule(graph: dict, cfg: dict) -> tuple[int, int, int]:
    """``(generations, shock, runs)`` of a graph."""
    over = cfg.get(graph.get("schedule", ""), {})
    return (
        over.get("generations", cfg["generations"]),
        over.get("shock", cfg["shock"]),
        over.get("runs", cfg["runs"]),
    )


def graphs(side: int) -> list[dict[str, Any]]:
    """The four graphs: name, degree k, the network (spec or graph) for the engine."""
    n = side * side
    return [
        {
            "name": f"{side} x {side} torus",
            "key": "torus",
            "k": 4,
            "net": {"kind": "grid", "rows": side, "cols": side, "periodic": True},
        },
        {
            "name": f"random 4-regular, N = {n}",
            "key": "rr4",
            "k": 4,
            "net": {"kind": "random_regular", "n": n, "d": 4},
        },
        {
            "name": f"{side} x {side} Moore lattice",
            "key": "moore",
            "k": 8,
            "net": moore_lattice(side),
        },
        {
            "name": f"complete, N = {n}",
            "key": "complete",
            "k": n - 1,
            "net": {"kind": "complete", "n": n},
            "schedule": "complete",
        },
    ]


# ------------------------------------------------------------------------- cache
class Cache:
    """A JSON file of finished simulations, keyed by every parameter that defines them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        self.ran = self.reused = 0

    def get(self, key: str, compute) -> Any:
        if key in self.data:
            self.reused += 1
            return self.data[key]
        value = compute()
        self.data[key] = value
        self.ran += 1
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, sort_keys=True))
        tmp.replace(self.path)
        return value


# --------------------------------------------------------------------- simulation
def simulate_t50(graph: dict, mode: str, c: float, cfg: dict, cache: Cache) -> dict:
    """Simulated metrics of the shock: replicate-mean t50 and the per-replicate spread."""
    G, s, runs = schedule(graph, cfg)
    key = (
        f"t50|v{__version__}|{graph['key']}|N={cfg['side'] ** 2}|{mode}|c={c}|a={A}|b={B}|"
        f"mu={MU}|beta={BETA}|G={G}|shock={s}|runs={runs}|seed={SEED}"
    )

    def run() -> dict:
        params = ModelParams(
            a=A,
            b=B,
            c=c,
            network=graph["net"]
            if isinstance(graph["net"], dict)
            else {"kind": "complete", "n": 3},  # replaced by network= below
            update=mode,
            beta=BETA,
            exploration=MU,
            generations=G,
            shocks=(s,),
        )
        t0 = time.perf_counter()
        out = simulate(params, replicate_seeds(SEED, runs), network=graph["net"])
        m = shock_metrics(out.share_b, params.game, params.shocks, G)[0]
        m["seconds"] = time.perf_counter() - t0
        return m

    return cache.get(key, run)


def simulate_fixation(
    Z: int, c: float, p: float, runs: int, k0s: Sequence[int], cache: Cache
) -> dict:
    """Fixation of B among Z on a complete graph, asynchronous mode, no exploration.

    Every replicate starts from Binomial(Z, p) B-players (the engine's initial
    draw); a replicate fixes when its share of B reaches 1 before 0. Replicates
    are grouped by their initial number of B-players k0: given k0, each is an
    independent run of the chain from k0. The generations are enough for the
    chain's mean absorption time to be passed 30 times over; replicates not
    absorbed by then are counted (none should be).
    """
    game = CoordinationGame(B, A, c)  # the game after the shock: B is the better norm
    ch = BirthDeathChain(game, Z, BETA)
    t_abs = max(ch.absorption(k).absorption_generations for k in range(1, Z))
    G = int(min(max(100, math.ceil(30 * t_abs)), 20000))
    key = (
        f"fix|v{__version__}|Z={Z}|c={c}|a={B}|b={A}|beta={BETA}|p={p}|runs={runs}|G={G}|"
        f"seed={SEED}"
    )

    def run() -> dict:
        params = ModelParams(
            a=B,
            b=A,
            c=c,
            network={"kind": "complete", "n": Z},
            update="asynchronous",
            beta=BETA,
            exploration=0.0,
            initial_b=p,
            generations=G,
        )
        t0 = time.perf_counter()
        share = simulate(params, replicate_seeds(SEED + 1, runs)).share_b
        start = np.rint(share[:, 0] * Z).astype(int)
        hit1 = np.argmax(share >= 1.0, axis=1)
        hit0 = np.argmax(share <= 0.0, axis=1)
        r1 = share.max(axis=1) >= 1.0
        r0 = share.min(axis=1) <= 0.0
        fixed = r1 & (~r0 | (hit1 < hit0))
        lost = r0 & (~r1 | (hit0 < hit1))
        rows = {}
        for k in k0s:
            sel = start == k
            rows[str(k)] = {
                "n": int(sel.sum()),
                "fixed": int((fixed & sel).sum()),
                "lost": int((lost & sel).sum()),
            }
        return {"generations": G, "by_k0": rows, "seconds": time.perf_counter() - t0}

    return cache.get(key, run)


# ------------------------------------------------------------------------- theory
def theory_t50(graph: dict, c: float, cfg: dict) -> dict[str, float | None]:
    """Each applicable theory's own t50 after the shock, in generations (None: never)."""
    G, s, _ = schedule(graph, cfg)
    t_after = float(G - s)
    out: dict[str, float | None] = {}
    # replicator(-mutator): from p(0) = 1/2 (the engine's initial_b) to the shock, then on
    before = analytic.solve(A, B, c, MU, 0.5, t_max=float(s))
    after = analytic.solve(B, A, c, MU, before.final_p, t_max=t_after)
    out["replicator"] = after.crossing[0.5]
    out["pairwise"] = analytic.solve_pairwise(
        A, B, c, BETA, MU, 0.5, t_max=float(G), shocks=(s,)
    ).shocks[0]["t50"]
    k = graph["k"]
    if graph["key"] == "complete":
        out["pair"] = None  # k = N - 1: the pair approximation is the mean field
        ch = BirthDeathChain(CoordinationGame(B, A, c), cfg["side"] ** 2, BETA, MU)
        out["finite"] = ch.passage(0.5, ch.old_norm_start()).generations
    else:
        pa = PairApproximation(CoordinationGame(A, B, c), k, BETA, MU)
        out["pair"] = pa.solve(0.5, t_max=float(G), shocks=(s,)).shocks[0]["t50"]
    return out


def applicable(graph: dict) -> list[str]:
    """The theories reported for a graph."""
    if graph["key"] == "complete":
        return ["replicator", "pairwise", "finite"]
    return ["replicator", "pairwise", "pair"]


# ------------------------------------------------------------------------- tables
def fmt(v: float | None, nd: int = 1) -> str:
    return "never" if v is None else f"{v:.{nd}f}"


def big(v: float) -> str:
    """A time, as a power of ten above 10^6 generations."""
    return f"10^{math.log10(v):.1f}" if v > 1e6 else f"{v:.1f}"


def error(theory: float | None, sim: float | None) -> str:
    """``theory - sim`` in generations and relative to the simulation."""
    if theory is None and sim is None:
        return "both never"
    if theory is None:
        return "never (sim. changes)"
    if sim is None:
        return f"{big(theory)} (sim. never)"
    if theory > 1e6:
        return f"{big(theory)} (sim. {sim})"
    rel = (theory - sim) / sim * 100.0 if sim else math.inf
    return f"{theory:.1f} ({theory - sim:+.1f}, {rel:+.0f}%)"


def t50_table(rows: Sequence[dict]) -> list[str]:
    """Markdown table of simulated t50 beside each theory.

    Each row: ``graph`` (name), ``theories`` (the applicable theory keys),
    ``c``, ``mode``, ``sim`` (shock metrics: ``t50``, ``t50_p10``, ``t50_p90``,
    ``t50_reached``) and ``theory`` (theory key -> t50 or None). A cell holds the
    theory's t50, its error against the simulation in generations and in percent.
    """
    lines = [
        "| graph | c | mode | simulation t50 (10-90% of replicates) | "
        + " | ".join(THEORY_NAMES[t] for t in THEORIES)
        + " |",
        "|---|---|---|---|" + "---|" * len(THEORIES),
    ]
    for r in rows:
        sim = r["sim"]
        spread = (
            ""
            if sim.get("t50_p10") is None or sim.get("t50_p90") is None
            else f" ({sim['t50_p10']:.0f}-{sim['t50_p90']:.0f})"
        )
        cells = [
            error(r["theory"].get(t), sim["t50"]) if t in r["theories"] else "-" for t in THEORIES
        ]
        lines.append(
            f"| {r['graph']} | {r['c']} | {r['mode']} | {fmt(sim['t50'], 0)}{spread} | "
            + " | ".join(cells)
            + " |"
        )
    return lines


def fixation_table(rows: Sequence[dict], confidence: float = CONFIDENCE) -> list[str]:
    """Markdown table of simulated fixation probabilities against the exact chain.

    Each row: ``Z``, ``c``, ``k0``, ``n`` (replicates from k0), ``fixed``
    (those that reached all-B first) and ``exact`` (the chain's probability).
    The interval is the exact (Clopper-Pearson) binomial one at ``confidence``.
    """
    pct = f"{confidence * 100:g}%"
    lines = [
        f"| Z | c | k0 | replicates | simulated | {pct} interval | exact chain | inside |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["n"] == 0:
            lines.append(f"| {r['Z']} | {r['c']} | {r['k0']} | 0 | - | - | {r['exact']:.4g} | - |")
            continue
        ci = binomtest(r["fixed"], r["n"]).proportion_ci(confidence_level=confidence)
        inside = ci.low <= r["exact"] <= ci.high
        lines.append(
            f"| {r['Z']} | {r['c']} | {r['k0']} | {r['n']} | {r['fixed'] / r['n']:.4f} | "
            f"{ci.low:.4f}-{ci.high:.4f} | {r['exact']:.4f} | "
            f"{'yes' if inside else '**no**'} |"
        )
    return lines


# ------------------------------------------------------------------------ figures
def savefig(fig, out: Path, name: str) -> str:
    out.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out / name, dpi=80)
    plt.close(fig)
    return name


def t50_figure(gs: list[dict], rows: list[dict], cfg: dict, out: Path) -> str:
    """t50 against c: theory curves on a grid of c, simulation markers per mode."""
    fig, axes = plt.subplots(1, len(gs), figsize=(4.0 * len(gs), 3.6), sharey=True)
    markers = dict(zip(MODES, "os^D", strict=True))
    styles = {
        "replicator": ("grey", ":"),
        "pairwise": ("black", "--"),
        "pair": ("tab:red", "-"),
        "finite": ("tab:purple", "-"),
    }
    cap = cfg["generations"] - cfg["shock"]
    for ax, g in zip(np.atleast_1d(axes), gs, strict=True):
        for t in applicable(g):
            ys = []
            for c in cfg["c_grid"]:
                v = theory_t50(g, round(float(c), 4), cfg).get(t)
                ys.append(np.nan if v is None else v)
            col, ls = styles[t]
            ax.plot(cfg["c_grid"], ys, color=col, ls=ls, label=THEORY_NAMES[t])
        for m in MODES:
            pts = [
                (r["c"], r["sim"]["t50"])
                for r in rows
                if r["graph"] == g["name"] and r["mode"] == m and r["sim"]["t50"] is not None
            ]
            if pts:
                ax.plot(*zip(*pts, strict=True), markers[m], ls="none", mfc="none", label=m)
        ax.set(
            yscale="log", ylim=(0.8, cap * 1.2), xlabel="need for coordination c", title=g["name"]
        )
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("t50 after the shock (generations)")
    np.atleast_1d(axes)[0].legend(fontsize=7)
    if len(gs) > 1:
        np.atleast_1d(axes)[-1].legend(fontsize=7)
    return savefig(fig, out, "theory_t50.png")


# ------------------------------------------------------------------------- report
def build(cfg: dict, out: Path, cache: Cache) -> list[str]:
    gs = graphs(cfg["side"])
    rows: list[dict] = []
    for g in gs:
        for c in cfg["cs"]:
            th = theory_t50(g, c, cfg)
            for m in MODES:
                sim = simulate_t50(g, m, c, cfg, cache)
                rows.append(
                    {
                        "graph": g["name"],
                        "key": g["key"],
                        "theories": applicable(g),
                        "c": c,
                        "mode": m,
                        "sim": sim,
                        "theory": th,
                    }
                )
                print(f"{g['key']:8s} c={c} {m:12s} sim t50={sim['t50']} theory={th}", flush=True)
    fig_t50 = t50_figure(gs, rows, cfg, out)
    fix_rows = []
    Z = cfg["fix_Z"]
    for c in cfg["fix_cs"]:
        res = simulate_fixation(Z, c, cfg["fix_p"], cfg["fix_runs"], cfg["fix_k0"], cache)
        ch = BirthDeathChain(CoordinationGame(B, A, c), Z, BETA)
        for k in cfg["fix_k0"]:
            r = res["by_k0"][str(k)]
            fix_rows.append(
                {
                    "Z": Z,
                    "c": c,
                    "k0": k,
                    "n": r["n"],
                    "fixed": r["fixed"],
                    "lost": r["lost"],
                    "exact": ch.fixation_probability(k),
                    "generations": res["generations"],
                }
            )
    return discussion(gs, rows, fix_rows, cfg, fig_t50)


def _rel(t: float | None, s: float | None) -> float | None:
    if t is None or s is None or s == 0:
        return None
    return (t - s) / s


def discussion(
    gs: list[dict], rows: list[dict], fix_rows: list[dict], cfg: dict, fig_t50: str
) -> list[str]:
    """The section's text: tables, figure and the statements computed from them."""
    N = cfg["side"] ** 2
    cc = dict(
        zip(("generations", "shock", "runs"), schedule({"schedule": "complete"}, cfg), strict=True)
    )
    lines = [
        "## Theory against simulation",
        "",
        f"A shock at generation {cfg['shock']} of {cfg['generations']} makes the old norm "
        f"A (a = {A}, b = {B}) the worse one; t50 is the number of generations after it "
        "until the replicate-mean share of the new norm first reaches one half "
        f"({cfg['runs']} replicates per cell, exploration {MU}, beta {BETA}, a random start "
        "with half of each norm). On the complete graph, whose every change costs N "
        f"updates, the run is {cc['runs']} replicates with the shock at {cc['shock']} "
        f"of {cc['generations']} "
        "generations (its old norm settles within tens of generations; the same "
        "generations follow the shock). Each theory is run through the same schedule "
        "and its own "
        "t50 after the shock is reported: the replicator(-mutator) dynamic with one time "
        "unit taken as one generation, the pairwise-comparison mean field (the "
        "large-population limit of normsim's Fermi rule), the pair approximation with the "
        "graph's degree (4 for the torus and the random regular graph, 8 for the Moore "
        "lattice), and on the complete graph the finite chain of "
        f"Z = {N}: its expected first passage to a share of one half from the old norm's "
        "stationary distribution. The simulated t50 is a whole number of generations "
        "(the first generation that ends at or above one half), so against a theory's "
        "continuous time it is late by up to one generation. "
        "A cell gives the theory's t50, then its error "
        "(theory - simulation) in generations and percent. 'never' means not within "
        f"the {cfg['generations'] - cfg['shock']} generations after the shock; the "
        "chain's times above 10^6 generations are written as powers of ten.",
        "",
        f"![t50 against c]({fig_t50})",
        "",
    ]
    lines += t50_table(rows)
    lines += ["", *statements(rows, cfg), ""]
    # fixation
    Z = cfg["fix_Z"]
    n_tot = sum(r["n"] for r in fix_rows)
    inside = [
        binomtest(r["fixed"], r["n"]).proportion_ci(CONFIDENCE).low
        <= r["exact"]
        <= binomtest(r["fixed"], r["n"]).proportion_ci(CONFIDENCE).high
        for r in fix_rows
        if r["n"]
    ]
    unabs = sum(r["n"] - r["fixed"] - r["lost"] for r in fix_rows)
    lines += [
        "### Fixation of a small group of the new norm",
        "",
        f"A complete graph of Z = {Z}, the game after the shock (B the better norm, "
        f"a = {B}, b = {A}), asynchronous mode, no exploration, beta {BETA}. "
        f"{cfg['fix_runs']} replicates per c start from Binomial({Z}, {cfg['fix_p']}) "
        "B-players and are grouped by their initial number k0 (given k0, each is an "
        "independent run from k0; the three c share the replicate seeds, hence the same "
        "counts per k0). A replicate fixes when its share of B reaches 1 before "
        f"0 ({fix_rows[0]['generations'] if fix_rows else 0} generations or more per "
        f"replicate; {unabs} of the {n_tot} replicates shown were not absorbed). The "
        f"interval is the exact binomial (Clopper-Pearson) {CONFIDENCE * 100:g}% interval; "
        "the exact value is BirthDeathChain.fixation_probability(k0).",
        "",
    ]
    lines += fixation_table(fix_rows)
    lines += [
        "",
        f"The exact chain lies inside the simulated {CONFIDENCE * 100:g}% interval in "
        f"**{sum(inside)} of {len(inside)}** cells (at {CONFIDENCE * 100:g}% about one "
        f"miss in 100 is expected by chance)."
        " The chain is exact for this mode on this graph: each elementary step is one "
        "random learner who compares current payoffs with one random teacher, which is "
        "the chain's transition.",
        "",
    ]
    return lines


def statements(rows: list[dict], cfg: dict) -> list[str]:
    """Where each theory holds and where it breaks, computed from the table."""

    def sel(key=None, mode=None, c=None):
        return [
            r
            for r in rows
            if (key is None or r["key"] == key)
            and (mode is None or r["mode"] == mode)
            and (c is None or r["c"] == c)
        ]

    def errs(rs, t):
        return [_rel(r["theory"].get(t), r["sim"]["t50"]) for r in rs]

    def span(vals):
        v = [x for x in vals if x is not None]
        if not v:
            return "no finite comparison"
        if len(v) == 1:
            return f"{v[0] * 100:+.0f}%"
        return (
            f"{min(v) * 100:+.0f}% to {max(v) * 100:+.0f}% (mean |error| "
            f"{np.mean(np.abs(v)) * 100:.0f}%)"
        )

    def gens(rs, t):
        """The errors in generations, where both change."""
        v = [
            r["theory"][t] - r["sim"]["t50"]
            for r in rs
            if r["theory"].get(t) is not None and r["sim"]["t50"] is not None
        ]
        return ", ".join(f"{x:+.1f}" for x in v) + " generations" if v else "none finite"

    def changed(rs):
        return [r for r in rs if r["sim"]["t50"] is not None]

    def never(rs, t):
        """'k of the n cells where the simulation changes' with no change in theory t."""
        ch = changed(rs)
        return f"{sum(1 for r in ch if r['theory'].get(t) is None)} of the {len(ch)}"

    def agree_never(rs, t):
        """Cells where neither the simulation nor theory t changes."""
        return sum(
            1
            for r in rs
            if r["sim"]["t50"] is None and (r["theory"].get(t) is None or r["theory"][t] > 1e6)
        )

    cs = ", ".join(map(str, cfg["cs"]))
    out = ["### Where each theory holds and where it breaks", ""]
    ca = sel("complete", "asynchronous")
    out.append(
        f"* **Finite chain and pairwise mean field, complete graph** (c = {cs}). Against "
        f"the asynchronous mode, the one the chain describes exactly, the chain's expected "
        f"passage time is off by {span(errs(ca, 'finite'))} ({gens(ca, 'finite')}) and the "
        f"mean field by {span(errs(ca, 'pairwise'))} ({gens(ca, 'pairwise')})"
        + (
            ", within the up-to-one-generation lateness of the integer t50"
            if all(
                -1.0 <= r["theory"][t] - r["sim"]["t50"] <= 0.0
                for r in ca
                for t in ("finite", "pairwise")
                if r["sim"]["t50"] is not None and r["theory"].get(t) is not None
            )
            else ""
        )
        + "; where the simulation does not change within the "
        f"window, the chain agrees in {agree_never(ca, 'finite')} and the mean field in "
        f"{agree_never(ca, 'pairwise')} of {len(ca) - len(changed(ca))} cells (the chain's "
        "passage from the old norm's stationary distribution is then astronomically long: "
        "a population of thousands does not leave a stable state by chance). "
        "In the other modes the chain is off by: "
        + "; ".join(
            f"{m} {span(errs(sel('complete', m), 'finite'))}" for m in MODES if m != "asynchronous"
        )
        + ". "
        "The synchronous and sequential modes update every agent exactly once a generation "
        "instead of a Poisson number of times, which changes the speed, not the outcome; "
        "the reference mode is another process: its agents explore only when an imitation "
        "is accepted (not the chain's rule) and an agent replaced earlier in the sweep counts "
        "as payoff 0, so neither the chain nor the mean field is its theory. The chain gives "
        "the expected passage of one replicate, the simulation's t50 the crossing of the "
        "replicate mean; the two agree when the replicates cross together, as they do in a "
        f"population of {cfg['side'] ** 2}."
    )
    rr, rra = sel("rr4"), sel("rr4", "asynchronous")
    tor, tora = sel("torus"), sel("torus", "asynchronous")
    moo, mooa = sel("moore"), sel("moore", "asynchronous")
    out.append(
        f"* **Pair approximation, random 4-regular graph.** Against the asynchronous mode it "
        f"is off by {span(errs(rra, 'pair'))} (all four modes: {span(errs(rr, 'pair'))}). "
        "A random regular graph is locally a tree (its short loops are few), and on a tree "
        "the pair approximation's closure (a site's neighbours independent given the site) "
        "is exact, so this is where it is expected to hold best. The pairwise mean field, "
        f"which ignores the graph, predicts no change in {never(rr, 'pairwise')} cells "
        "where the simulation changes: a sparse graph lets the new norm spread from "
        "locally favourable neighbourhoods that a well-mixed population does not have."
    )
    out.append(
        f"* **Pair approximation, lattices with short loops.** On the von Neumann torus "
        f"(k = 4, no triangles but every edge in squares) it is off by {span(errs(tora, 'pair'))} "
        f"against the asynchronous mode (all modes {span(errs(tor, 'pair'))}); on the Moore "
        f"lattice (k = 8, every edge in triangles) by {span(errs(mooa, 'pair'))} (all modes "
        f"{span(errs(moo, 'pair'))}), and it predicts no change in {never(moo, 'pair')} "
        f"Moore cells and {never(tor, 'pair')} torus cells where the simulation changes. On "
        "a lattice with short loops a B-player's neighbours are each other's neighbours: the "
        "new norm nucleates in compact clusters whose members back each other up, and a "
        "cluster grows from its surface. The pair approximation keeps only pair "
        "correlations (a site's neighbours independent given the site), so it cannot see "
        "these clusters; the more triangles, the worse the closure."
    )
    out.append(
        f"* **Replicator, one time unit taken as one generation.** On the complete graph "
        f"(asynchronous) it is off by {span(errs(ca, 'replicator'))}; over all graphs and "
        f"modes it predicts no change in {never(rows, 'replicator')} cells where the "
        f"simulation changes and a change in "
        f"{sum(1 for r in rows if r['sim']['t50'] is None and r['theory'].get('replicator'))}"
        " cells where it does not. Its time unit is not a generation: the pairwise mean "
        "field, the same process's large-population limit per generation, is the replicator "
        f"slowed by beta / (2 R1) at weak selection (here beta = {BETA}), with the payoff "
        "difference passed through a tanh at strong selection, and the replicator-mutator's "
        "mutation term is not normsim's exploration (a random norm, so a switch with "
        "probability mu / 2). Only the shape of its curve compares."
    )
    ratios, medians = [], {}
    for m in MODES:
        if m == "asynchronous":
            continue
        v = [
            r["sim"]["t50"] / a["sim"]["t50"]
            for r in sel(mode=m)
            for a in sel(r["key"], "asynchronous", r["c"])
            if r["sim"]["t50"] and a["sim"]["t50"]
        ]
        if v:
            medians[m] = float(np.median(v))
            ratios.append(f"{m} x{min(v):.2f} to x{max(v):.2f} (median x{medians[m]:.2f})")
    slowest = max(medians, key=medians.get) if medians else None
    out.append(
        "* **Update modes.** Every theory here describes the asynchronous mode (one random "
        "learner at a time, current payoffs). The simulated t50 of the other modes relative "
        "to the asynchronous one, over the cells where both change: "
        + "; ".join(ratios)
        + ". "
        + (
            "The reference mode is the slowest: "
            if slowest == "reference"
            else "The reference mode differs from the rest in its rule: "
        )
        + "its exploration only on accepted imitation and its zero payoff of replaced "
        "teachers are not the rule of any of the theories."
    )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick",
        action="store_true",
        help="small graphs (12 x 12), 3 replicates, one c: a smoke run",
    )
    ap.add_argument(
        "--out",
        type=Path,
        default=ROOT / "analysis" / "report",
        help="directory for THEORY.md and its figures (default analysis/report)",
    )
    ap.add_argument(
        "--results",
        type=Path,
        default=None,
        help="cache directory (default results/theory_vs_simulation, "
        "results/theory_vs_simulation_quick with --quick)",
    )
    args = ap.parse_args(argv)
    cfg = config(args.quick)
    results = args.results or ROOT / "results" / (
        "theory_vs_simulation" + ("_quick" if args.quick else "")
    )
    cache = Cache(results / "cache.json")
    t0 = time.perf_counter()
    body = build(cfg, args.out, cache)
    secs = time.perf_counter() - t0
    head = [
        "# Theory against simulation",
        "",
        f"Generated by `analysis/theory_vs_simulation.py{' --quick' if args.quick else ''}` "
        f"with normsim {__version__} on {os.cpu_count()} cores "
        f"({platform.python_implementation()} {platform.python_version()}) in {secs:.0f} s: "
        f"{cache.ran} simulation cells run, {cache.reused} reused from the cache. "
        "The theories are those of `normsim analytic --model replicator | pairwise | pair | "
        "finite` (normsim/theory/analytic.py, pairapprox.py, finite.py).",
        "",
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "THEORY.md").write_text("\n".join(head + body) + "\n")
    print(f"wrote {args.out / 'THEORY.md'} in {secs:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
