"""Matplotlib figures (PNG) for analytic results and stored simulation results."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from normsim import analytic  # noqa: E402


def analytic_figure(a: float, b: float, c: float, mu: float, p0: float, t_max: float,
                    path: str | Path) -> Path:
    """p(t) and dp/dt against p for one parameter set, fixed points marked."""
    sol = analytic.solve(a, b, c, mu, p0, t_max)
    pp, dp = analytic.dpdt_curve(a, b, c, mu)
    fps = analytic.fixed_points(a, b, c, mu)
    kind = "replicator-mutator" if mu > 0 else "replicator"
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax1.plot(sol.t, sol.p, color="tab:blue", label=f"share of B, p(0) = {p0:g}")
    for lv, tc in sol.crossing.items():
        if tc is not None:
            ax1.axvline(tc, color="grey", lw=0.8, ls=":")
            ax1.annotate(f"p={lv:g} at t={tc:.2f}", (tc, lv), fontsize=8,
                         xytext=(4, -12), textcoords="offset points")
    for i, fp in enumerate(fps):
        ax1.axhline(fp.p, color="tab:green" if fp.stable else "tab:red", lw=0.8, ls="--",
                    label="fixed points (green stable, red unstable)" if i == 0 else None)
    ax1.set(xlabel="time", ylabel="share of norm B  p", ylim=(-0.02, 1.02),
            title=f"{kind}: a={a:g}, b={b:g}, c={c:g}, mu={mu:g}")
    ax1.legend(loc="best", fontsize=8)
    ax2.plot(pp, dp, color="tab:blue", label="dp/dt")
    ax2.axhline(0.0, color="black", lw=0.6)
    for fp in fps:
        ax2.plot([fp.p], [0.0], "o", ms=8,
                 mfc="tab:green" if fp.stable else "white",
                 mec="tab:green" if fp.stable else "tab:red")
    ax2.plot([], [], "o", mfc="tab:green", mec="tab:green", label="stable fixed point")
    ax2.plot([], [], "o", mfc="white", mec="tab:red", label="unstable fixed point")
    ax2.set(xlabel="share of norm B  p", ylabel="dp/dt",
            title=f"rate of change (threshold c* = {analytic.threshold_c(a, b):.3f})")
    ax2.legend(loc="best", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
