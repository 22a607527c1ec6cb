"""Matplotlib figures (PNG) for analytic results and stored simulation results."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure

from normsim.scenario import EvolvingRates, Scenario
from normsim.studies.results import load_series
from normsim.theory import analytic

if TYPE_CHECKING:  # pragma: no cover
    from normsim.store import Store
    from normsim.theory.report import NetworkPrediction


def _subplots(
    *args: int, figsize: tuple[float, float] | None = None, **kw: Any
) -> tuple[Figure, Any]:
    """``pyplot.subplots`` without pyplot: a figure drawn to a PNG never touches pyplot's
    global state or backend, so importing this module leaves a notebook's plots alone.
    The second item is an Axes, or an array of them (as ``Figure.subplots`` gives)."""
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(*args, **kw)


def analytic_figure(
    a: float, b: float, c: float, mu: float, p0: float, t_max: float, path: str | Path
) -> Path:
    """p(t) and dp/dt against p for one parameter set, fixed points marked."""
    sol = analytic.solve(a, b, c, mu, p0, t_max)
    pp, dp = analytic.dpdt_curve(a, b, c, mu)
    fps = analytic.fixed_points(a, b, c, mu)
    kind = "replicator-mutator" if mu > 0 else "replicator"
    fig, (ax1, ax2) = _subplots(1, 2, figsize=(11, 4.2))
    ax1.plot(sol.t, sol.p, color="tab:blue", label=f"share of B, p(0) = {p0:g}")
    for lv, tc in sol.crossing.items():
        if tc is not None:
            ax1.axvline(tc, color="grey", lw=0.8, ls=":")
            ax1.annotate(
                f"p={lv:g} at t={tc:.2f}",
                (tc, lv),
                fontsize=8,
                xytext=(4, -12),
                textcoords="offset points",
            )
    for i, fp in enumerate(fps):
        ax1.axhline(
            fp.p,
            color="tab:green" if fp.stable else "tab:red",
            lw=0.8,
            ls="--",
            label="fixed points (green stable, red unstable)" if i == 0 else None,
        )
    ax1.set(
        xlabel="time",
        ylabel="share of norm B  p",
        ylim=(-0.02, 1.02),
        title=f"{kind}: a={a:g}, b={b:g}, c={c:g}, mu={mu:g}",
    )
    ax1.legend(loc="best", fontsize=8)
    ax2.plot(pp, dp, color="tab:blue", label="dp/dt")
    ax2.axhline(0.0, color="black", lw=0.6)
    for fp in fps:
        ax2.plot(
            [fp.p],
            [0.0],
            "o",
            ms=8,
            mfc="tab:green" if fp.stable else "white",
            mec="tab:green" if fp.stable else "tab:red",
        )
    ax2.plot([], [], "o", mfc="tab:green", mec="tab:green", label="stable fixed point")
    ax2.plot([], [], "o", mfc="white", mec="tab:red", label="unstable fixed point")
    ax2.set(
        xlabel="share of norm B  p",
        ylabel="dp/dt",
        title=f"rate of change (threshold c* = {analytic.threshold_c(a, b):.3f})",
    )
    ax2.legend(loc="best", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


# ------------------------------------------------------------------ stored runs
def _title(params: dict) -> str:
    return ", ".join(f"{k.split('.')[-1]}={v}" for k, v in params.items()) or "single condition"


def _prediction(spec: Scenario) -> NetworkPrediction | None:
    """The best available theory for a network condition (name and share of B), or None."""
    from normsim.theory import network_prediction

    # the well-mixed theory has no committed agents, conformity or game events
    if (
        spec.population.committed is not None
        or spec.dynamics.conformity > 0
        or spec.schedule.events
    ):
        return None
    return network_prediction(spec.model_params())


def shares_figure(
    store: Store,
    out_dir: Path,
    max_panels: int = 12,
    hashes: list[str] | None = None,
    runs: int | None = None,
) -> Path | None:
    """Share of B over generations per condition: mean, 10-90% band, shocks, prediction."""
    conds = [cond for cond in store.conditions(hashes) if cond["n"] > 0][:max_panels]
    if not conds:
        return None
    ncol = min(3, len(conds))
    nrow = math.ceil(len(conds) / ncol)
    fig, axes = _subplots(nrow, ncol, figsize=(5.2 * ncol, 3.6 * nrow), squeeze=False, sharey=True)
    for ax, cond in zip(axes.flat, conds, strict=False):  # the grid may have spare panels
        spec = Scenario.model_validate(cond["resolved"])
        s = load_series(store, cond["hash"], runs=runs)["share_b"]
        G = s.shape[1] - 1
        g = np.arange(G + 1)
        if spec.population.well_mixed:
            ax.plot(g, s[0], color="tab:blue", label="well-mixed ODE: share of B")
        else:
            ax.fill_between(
                g,
                np.percentile(s, 10, axis=0),
                np.percentile(s, 90, axis=0),
                color="tab:blue",
                alpha=0.25,
                lw=0,
                label="10-90% of replicates",
            )
            ax.plot(
                g,
                s.mean(axis=0),
                color="tab:blue",
                lw=1.2,
                label=f"share of B, mean of {s.shape[0]}",
            )
            pred = _prediction(spec)
            if pred is not None:
                ax.plot(g, pred.share_b, color="black", ls="--", lw=0.9, label=pred.name)
        for k, sh in enumerate(spec.schedule.shock_list()):
            ax.axvline(sh, color="tab:red", lw=0.8, ls=":", label="shock" if k == 0 else None)
        ax.set(title=_title(cond["params"]), xlabel="generation", ylim=(-0.02, 1.02))
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("share of agents playing B")
    for ax in list(axes.flat)[len(conds) :]:
        ax.axis("off")
    axes.flat[0].legend(loc="best", fontsize=7)
    fig.suptitle(f"{conds[0]['scenario']}: norm shares (A pays {_a_b(conds[0])} at start)")
    fig.tight_layout()
    return _save(fig, out_dir / "shares.png")


def _a_b(cond: dict) -> str:
    g = cond["resolved"]["game"]
    if g.get("matrix") is not None:  # coordinated on A (R) against on B (P)
        (a, _), (_, b) = g["matrix"]
    else:
        a, b = g["a"], g["b"]
    return "more" if a > b else ("less" if a < b else "the same")


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path


def inertia_figure(summary: dict, out_dir: Path) -> Path | None:
    """t50 after the first shock against the first swept parameter (10-90% spread)."""
    conds = [cond for cond in summary["conditions"] if cond["shocks"] and cond["params"]]
    keys = list(conds[0]["params"]) if conds else []
    if len(conds) < 2 or not _numeric(conds, keys[0]):
        return None
    xkey = keys[0]
    groups: dict = {}
    for cond in conds:
        rest = tuple((k, v) for k, v in cond["params"].items() if k != xkey)
        groups.setdefault(rest, []).append(cond)
    fig, ax = _subplots(figsize=(6.5, 4.2))
    for rest, cs in groups.items():
        cs = sorted(cs, key=lambda cond: cond["params"][xkey])
        x = [cond["params"][xkey] for cond in cs]
        med = [_nan(cond["shocks"][0]["t50_median"]) for cond in cs]
        lo = [_nan(cond["shocks"][0]["t50_p10"]) for cond in cs]
        hi = [_nan(cond["shocks"][0]["t50_p90"]) for cond in cs]
        mean_t50 = [_nan(cond["shocks"][0]["t50"]) for cond in cs]
        label = _title(dict(rest)) if rest else "t50"
        (line,) = ax.plot(x, mean_t50, "o-", label=f"{label} (replicate mean)")
        ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.2, lw=0)
        ax.plot(x, med, "x", color=line.get_color())
    ax.plot([], [], "x", color="grey", label="per-replicate median (band: 10-90%)")
    ax.set(
        xlabel=xkey,
        ylabel="t50: generations until the new norm is at 50%",
        title="Cultural inertia: time to norm change (t50)",
    )
    ax.set_yscale("symlog", linthresh=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, out_dir / "inertia.png")


def inertia_map(summary: dict, out_dir: Path) -> Path | None:
    """Heatmap of t50 over two swept parameters."""
    conds = [cond for cond in summary["conditions"] if cond["shocks"] and len(cond["params"]) == 2]
    if len(conds) < 4:
        return None
    kx, ky = list(conds[0]["params"])
    if not (_numeric(conds, kx) and _numeric(conds, ky)):
        return None
    xs = sorted({cond["params"][kx] for cond in conds})
    ys = sorted({cond["params"][ky] for cond in conds})
    z = np.full((len(ys), len(xs)), np.nan)
    for cond in conds:
        row, col = ys.index(cond["params"][ky]), xs.index(cond["params"][kx])
        z[row, col] = _nan(cond["shocks"][0]["t50"])
    fig, ax = _subplots(figsize=(7, 4.8))
    im = ax.imshow(z, origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(xs)), [f"{v:g}" for v in xs], rotation=60, fontsize=7)
    ax.set_yticks(range(len(ys)), [f"{v:g}" for v in ys], fontsize=7)
    ax.set(
        xlabel=kx,
        ylabel=ky,
        title="Inertia map: t50 after the first shock (white: never within the run)",
    )
    fig.colorbar(im, ax=ax, label="t50 (generations)")
    fig.tight_layout()
    return _save(fig, out_dir / "inertia_map.png")


def rates_figure(
    store: Store, out_dir: Path, hashes: list[str] | None = None, runs: int | None = None
) -> Path | None:
    """Shares of the exploration rates over generations (evolving rates)."""
    conds: list[tuple[dict, EvolvingRates]] = []
    for cond in store.conditions(hashes):
        exploration = Scenario.model_validate(cond["resolved"]).dynamics.exploration
        if cond["n"] and isinstance(exploration, EvolvingRates):
            conds.append((cond, exploration))
    if not conds:
        return None
    conds = conds[:6]
    fig, axes = _subplots(1, len(conds), figsize=(5 * len(conds), 3.8), squeeze=False, sharey=True)
    for ax, (cond, evolving) in zip(axes[0], conds, strict=True):
        s = load_series(store, cond["hash"], runs=runs)
        shares = s["rate_shares"].mean(axis=0)
        g = np.arange(shares.shape[0])
        ax.stackplot(g, shares.T, labels=[f"rate {r:g}" for r in evolving.rates], alpha=0.85)
        ax.plot(
            g,
            s["mean_rate"].mean(axis=0) / max(evolving.rates),
            color="black",
            lw=0.8,
            label="mean rate / largest rate",
        )
        ax.set(title=_title(cond["params"]), xlabel="generation", ylim=(0, 1))
    axes[0, 0].set_ylabel("share of agents holding each rate")
    axes[0, 0].legend(fontsize=7, loc="upper right")
    fig.suptitle("Evolving exploration rates")
    fig.tight_layout()
    return _save(fig, out_dir / "rates.png")


def _numeric(conds: list[dict], key: str) -> bool:
    return all(
        isinstance(cond["params"][key], (int, float)) and not isinstance(cond["params"][key], bool)
        for cond in conds
    )


def _nan(v: float | None) -> float:
    return np.nan if v is None else v


def run_figures(
    store: Store,
    summary: dict,
    out_dir: Path,
    hashes: list[str] | None = None,
    runs: int | None = None,
) -> list[Path]:
    """Every figure that applies to the stored results (all, or the conditions ``hashes``;
    the replicates numbered below ``runs``, or all, as in the summary)."""
    out = [
        shares_figure(store, out_dir, hashes=hashes, runs=runs),
        inertia_figure(summary, out_dir),
        inertia_map(summary, out_dir),
        rates_figure(store, out_dir, hashes=hashes, runs=runs),
    ]
    return [p for p in out if p is not None]
