"""Global sensitivity analysis of a design's stored results (``normsim sensitivity``).

The design (:mod:`normsim.scenario.design`) records, for every sweep combination, the
condition of every SALib design row. For the chosen output this module
computes one value per replicate (:data:`OUTPUTS`), averages the replicates of
each condition, and hands the condition means, in design order, to SALib:

* ``sobol``: first-order and total Sobol' indices (Saltelli 2010 estimators,
  ``SALib.analyze.sobol``) with bootstrap confidence intervals, and second-order
  indices when the design has their points;
* ``morris``: mu* (the mean absolute elementary effect, with a bootstrap
  interval), mu and sigma (``SALib.analyze.morris``);
* ``lhs``: first-order indices by RBD-FAST (``SALib.analyze.rbd_fast``).

The analysis is of the *mean* output over a condition's replicates; what is
left of the replicate noise in those means is estimated from the spread of
the replicates within each condition and reported as ``noise_share``: the
mean over conditions of ``var_within / runs``, divided by the variance of the
condition means over the design (at most 1: at 1 the points differ by no more
than replicate noise would make them; the conditions share replicate seeds,
so part of the noise is common to all points and this share is an upper
bound). It is part of the variance SALib
apportions (it inflates total indices and shrinks first-order ones by about
that share), so a warning is printed when it exceeds :data:`NOISE_WARNING`.
Bootstrap resamples are seeded from the design's seed: the same results give
the same intervals.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from normsim.errors import NormsimError
from normsim.scenario import Scenario
from normsim.scenario.design import RBD_HARMONICS, problem, read_record
from normsim.scenario.design import require_salib as req
from normsim.store import Replicate, Store

#: the outputs, one value per replicate; times after the scenario's first shock
OUTPUTS = {
    "t50": "generations from the first shock until the new norm's share first reaches 0.5 "
    "(a replicate that never does counts as the segment's length + 1)",
    "t90": "generations from the first shock until the new norm's share first reaches 0.9 "
    "(never: the segment's length + 1)",
    "pre_share": "share of the norm the first shock favours, over the last 10% of the "
    "generations before it",
    "final_share": "share of the norm the first shock favours, over the last 10% of the "
    "generations between it and the next shock (or the end)",
    "final_share_b": "share of B over the last 10% of the run",
    "mean_payoff": "mean payoff over the last 10% of the run",
    "mean_rate": "mean exploration rate over the last third of the run (evolving rates)",
}
NEED_SHOCK = {"t50", "t90", "pre_share", "final_share"}
#: warn when replicate noise is more than this share of the variance analysed
NOISE_WARNING = 0.10
RESAMPLES = 1000
CONF_LEVEL = 0.95


def _tail(lo: int, hi: int) -> slice:
    """The last 10% (at least one) of generations lo+1..hi (as metrics.py's window)."""
    w = max(1, math.ceil(0.1 * (hi - lo)))
    return slice(hi - w + 1, hi + 1)


def _first_at_least(x: np.ndarray, level: float, censored: int) -> np.ndarray:
    """Per row, 1 + the index of the first value >= level (``censored`` if none)."""
    hit = x >= level
    first = np.argmax(hit, axis=1) + 1
    return np.where(hit.any(axis=1), first, censored).astype(float)


def replicate_outputs(
    spec: Scenario,
    share_b: np.ndarray,
    mean_payoff: np.ndarray,
    mean_rate: np.ndarray | None,
    output: str,
) -> tuple[np.ndarray, int]:
    """One value of ``output`` per replicate (rows of ``share_b``) and how many are censored.

    ``spec`` is the condition's resolved :class:`~normsim.scenario.Scenario`.
    """
    share_b = np.atleast_2d(share_b)
    G = share_b.shape[1] - 1
    shocks = list(spec.schedule.shock_list())
    if output in NEED_SHOCK:
        if not shocks:
            raise NormsimError(
                f"--output {output}: needs a shock in the schedule "
                "(this design's scenario has none)"
            )
        s = shocks[0]
        end = shocks[1] if len(shocks) > 1 else G
        new = spec.model_params().new_norm()
        share_new = share_b if new in (1, None) else 1.0 - share_b
        if output in ("t50", "t90"):
            level = 0.5 if output == "t50" else 0.9
            never = end - s + 1
            t = _first_at_least(share_new[:, s + 1 : end + 1], level, never)
            return t, int((t == never).sum())
        if output == "pre_share":
            return share_new[:, _tail(0, s)].mean(axis=1), 0
        return share_new[:, _tail(s, end)].mean(axis=1), 0
    if output == "final_share_b":
        return share_b[:, _tail(0, G)].mean(axis=1), 0
    if output == "mean_payoff":
        return np.atleast_2d(mean_payoff)[:, _tail(0, G)].mean(axis=1), 0
    if output == "mean_rate":
        if mean_rate is None:
            raise NormsimError(
                "--output mean_rate: needs evolving exploration rates (dynamics.exploration.rates)"
            )
        start = G - G // 3 + 1 if G >= 3 else 1
        return np.atleast_2d(mean_rate)[:, start:].mean(axis=1), 0
    raise NormsimError(f"--output: {output!r} is not one of {', '.join(OUTPUTS)}")


def condition_outputs(
    store: Store, record: dict, output: str
) -> dict[str, tuple[float, float, int, int]]:
    """For every condition of the design: (mean, within-condition variance, replicates,
    censored replicates) of ``output``. Reads one condition at a time."""
    hashes = list(dict.fromkeys(h for g in record["groups"] for h in g["rows"]))
    resolved = {c["hash"]: c["resolved"] for c in store.conditions(hashes)}
    out = {}
    missing = 0
    for h in hashes:
        reps = list(store.replicates(h))
        if not reps or h not in resolved:
            missing += 1
            continue
        spec = Scenario.model_validate(resolved[h])
        y, cens = replicate_outputs(
            spec,
            np.stack([r.share_b for r in reps]),
            np.stack([r.mean_payoff for r in reps]),
            _mean_rates(reps),
            output,
        )
        var = float(np.var(y, ddof=1)) if len(y) > 1 else float("nan")
        out[h] = (float(y.mean()), var, len(y), cens)
    if missing:
        raise NormsimError(
            f"{missing} of the design's {len(hashes)} points have no stored "
            "replicates: run the scenario to the end first (normsim run resumes)"
        )
    return out


def _mean_rates(reps: list[Replicate]) -> np.ndarray | None:
    """The replicates' mean exploration rates, stacked (None without evolving rates)."""
    if reps[0].mean_rate is None:
        return None
    rates = []
    for r in reps:
        assert r.mean_rate is not None  # evolving rates: every replicate stores them
        rates.append(r.mean_rate)
    return np.stack(rates)


def analyse_matrix(
    method: str,
    prob: dict,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    second_order: bool = False,
    levels: int = 4,
    seed: int = 1,
    resamples: int = RESAMPLES,
    conf_level: float = CONF_LEVEL,
) -> dict:
    """SALib's analysis of outputs ``Y`` at the design rows ``X`` (any function's).

    Returns ``{"parameters": {name: {index: value, ...}}, "second_order": {"a,b": {...}}}``
    with ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (sobol), ``mu_star``,
    ``mu_star_conf``, ``mu``, ``sigma`` (morris) or ``S1``, ``S1_conf`` (lhs);
    ``*_conf`` is the half-width of the ``conf_level`` bootstrap interval.

    Examples
    --------
    >>> from normsim.scenario.design import problem, sample_matrix
    >>> p = problem(["x1", "x2"], [(0, 1), (0, 1)])
    >>> X = sample_matrix("sobol", p, 256, seed=3, second_order=False)
    >>> res = analyse_matrix("sobol", p, X, X[:, 0] + 0.1 * X[:, 1])
    >>> round(res["parameters"]["x1"]["S1"], 1)
    1.0
    """
    from SALib.analyze import morris, rbd_fast, sobol

    names = prob["names"]
    Y = np.asarray(Y, dtype=float)
    seed = max(1, int(seed))  # SALib's sobol ignores a seed of 0 (unseeded resamples)
    constant = False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if method == "sobol":
            S = sobol.analyze(
                prob,
                Y,
                calc_second_order=second_order,
                num_resamples=resamples,
                conf_level=conf_level,
                seed=seed,
            )
            keys: tuple[str, ...] = ("S1", "S1_conf", "ST", "ST_conf")
        elif method == "morris":
            S = morris.analyze(
                prob,
                np.asarray(X),
                Y,
                num_resamples=resamples,
                conf_level=conf_level,
                num_levels=levels,
                seed=seed,
            )
            keys = ("mu_star", "mu_star_conf", "mu", "sigma")
        elif method == "lhs":
            S = rbd_fast.analyze(
                prob,
                np.asarray(X),
                Y,
                M=_harmonics(len(Y)),
                num_resamples=resamples,
                conf_level=conf_level,
                seed=seed,
            )
            keys = ("S1", "S1_conf")
        else:
            raise NormsimError(f"method {method!r} is not one of sobol, morris, lhs")
        constant = any("constant" in str(w.message).lower() for w in caught)
    out: dict[str, Any] = {
        "parameters": {n: {k: float(S[k][i]) for k in keys} for i, n in enumerate(names)},
        "second_order": {},
    }
    if method == "sobol" and second_order:
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                out["second_order"][f"{names[i]},{names[j]}"] = {
                    "S2": float(S["S2"][i, j]),
                    "S2_conf": float(S["S2_conf"][i, j]),
                }
    if constant or np.ptp(Y) == 0:
        out["constant"] = True
    return out


def _harmonics(n: int) -> int:
    return min(RBD_HARMONICS, max(1, (n // 2 - 1) // 2))


def analyse(
    results: str | Path,
    output: str = "t50",
    *,
    resamples: int = RESAMPLES,
    conf_level: float = CONF_LEVEL,
) -> dict:
    """The sensitivity analysis of a results directory's design (the JSON of
    ``normsim sensitivity --json``): per sweep combination, the indices, the
    output's mean and spread, its replicate-noise share, censoring, warnings."""
    if output not in OUTPUTS:
        raise NormsimError(f"--output: {output!r} is not one of {', '.join(OUTPUTS)}")
    with Store(results, create=False) as store:
        record = read_record(store)
        if record is None:
            raise NormsimError(
                f"{results}: its results come from no design (run a scenario "
                "with a 'design' block into it first)"
            )
        per = condition_outputs(store, record, output)
    _require_salib()
    prob = problem(record["names"], record["bounds"], record["integer"])
    X = np.asarray(record["X"], dtype=float)
    res = {
        "scenario": record["scenario"],
        "output": output,
        "description": OUTPUTS[output],
        "method": record["method"],
        "samples": record["samples"],
        "seed": record["seed"],
        "second_order": record["second_order"],
        "parameters": record["names"],
        "bounds": {n: b for n, b in zip(record["names"], record["bounds"], strict=True)},
        "points": len(X),
        "conf_level": conf_level,
        "groups": [],
    }
    for g in record["groups"]:
        vals = [per[h] for h in g["rows"]]
        Y = np.array([v[0] for v in vals])
        within = np.array([v[1] for v in vals])
        runs = np.array([v[2] for v in vals])
        cens = sum(per[h][3] for h in dict.fromkeys(g["rows"]))
        reps = sum(per[h][2] for h in dict.fromkeys(g["rows"]))
        idx = analyse_matrix(
            record["method"],
            prob,
            X,
            Y,
            second_order=record["second_order"],
            levels=record["levels"] or 4,
            seed=record["seed"] + 1,
            resamples=resamples,
            conf_level=conf_level,
        )
        var_means = float(np.var(Y, ddof=1)) if len(Y) > 1 else 0.0
        noise = None
        if np.all(runs > 1):
            noise_var = float(np.mean(within / runs))
            if var_means > 0:
                noise = min(1.0, noise_var / var_means)
            elif noise_var > 0:
                noise = 1.0
        warn = []
        if idx.pop("constant", False):
            warn.append(
                f"{output} is the same at every design point: there is nothing "
                "to apportion (all indices are 0)"
            )
        if noise is None and np.any(runs < 2):
            warn.append(
                "one replicate per point: the replicate noise cannot be estimated (raise runs)"
            )
        elif noise is not None and noise > NOISE_WARNING:
            warn.append(
                f"replicate noise is {noise:.0%} of the variance of the condition "
                f"means (runs: {int(runs.min())}); the indices describe the mean "
                "output only up to that share: raise runs"
            )
        if cens:
            warn.append(
                f"{cens} of {reps} replicates never reached the level: their "
                f"{output} counts as the segment's length + 1"
            )
        res["groups"].append(
            {
                "params": g["params"],
                "indices": idx["parameters"],
                "second_order_indices": idx["second_order"],
                "output_mean": float(Y.mean()),
                "output_sd": float(np.std(Y, ddof=1)) if len(Y) > 1 else 0.0,
                "noise_share": noise,
                "censored": cens,
                "replicates": reps,
                "distinct_points": len(set(g["rows"])),
                "warnings": warn,
                "_Y": Y,
            }
        )
    # the values the design ran (integers rounded down), for the scatter plots
    res["_X"] = (
        np.array(
            [
                [
                    min(math.floor(x), hi) if isint else x
                    for x, isint, (_, hi) in zip(
                        row, record["integer"], record["bounds"], strict=True
                    )
                ]
                for row in X
            ]
        )
        if len(X)
        else X
    )
    return res


def _require_salib() -> None:
    req()


def strip_private(res: dict) -> dict:
    """The JSON-able part of :func:`analyse`'s result."""
    out = {k: v for k, v in res.items() if not k.startswith("_")}
    out["groups"] = [{k: v for k, v in g.items() if not k.startswith("_")} for g in res["groups"]]
    return out


# ------------------------------------------------------------------ figures
def figures(res: dict, out_dir: Path) -> list[Path]:
    """Indices with confidence bars (Sobol', RBD-FAST) or the Morris mu*-sigma plane,
    and the output against each parameter (condition means), one row per sweep group."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = res["parameters"]
    short = [
        n.split(".")[-1] if sum(m.split(".")[-1] == n.split(".")[-1] for m in names) == 1 else n
        for n in names
    ]
    groups = res["groups"][:6]
    method, output = res["method"], res["output"]
    paths = []
    so = method == "sobol" and res["second_order"]
    ncol = 2 if so else 1
    fig, axes = plt.subplots(
        len(groups),
        ncol,
        figsize=(6.2 + 4.4 * (ncol - 1), 3.8 * len(groups)),
        squeeze=False,
        gridspec_kw={"width_ratios": [1.5, 1][:ncol]},
    )
    for gi, g in enumerate(groups):
        ax = axes[gi, 0]
        ind = g["indices"]
        title = _group_title(g["params"])
        if method == "morris":
            ms = [ind[n]["mu_star"] for n in names]
            sg = [ind[n]["sigma"] for n in names]
            ax.errorbar(
                ms,
                sg,
                xerr=[ind[n]["mu_star_conf"] for n in names],
                fmt="o",
                color="tab:blue",
                capsize=3,
            )
            for x, y, lab in zip(ms, sg, short, strict=True):
                ax.annotate(lab, (x, y), xytext=(4, 4), textcoords="offset points", fontsize=8)
            lim = max(max(ms), max(sg), 1e-12) * 1.15
            ax.plot([0, lim], [0, lim], color="grey", ls=":", lw=0.8, label="sigma = mu*")
            ax.set(
                xlim=(0, lim),
                ylim=(0, lim),
                xlabel=f"mu* (mean |elementary effect| on {output})",
                ylabel="sigma (spread of the effects)",
                title=f"Morris screening{title}",
            )
            ax.legend(fontsize=7)
        else:
            x = np.arange(len(names))
            w = 0.38 if method == "sobol" else 0.6
            s1 = [ind[n]["S1"] for n in names]
            s1c = [ind[n]["S1_conf"] for n in names]
            ax.bar(
                x - (w / 2 if method == "sobol" else 0),
                s1,
                w,
                yerr=s1c,
                capsize=3,
                label="first order S1",
                color="tab:blue",
            )
            if method == "sobol":
                ax.bar(
                    x + w / 2,
                    [ind[n]["ST"] for n in names],
                    w,
                    yerr=[ind[n]["ST_conf"] for n in names],
                    capsize=3,
                    label="total ST",
                    color="tab:orange",
                )
            ax.axhline(0, color="black", lw=0.6)
            ax.set_xticks(x, short, fontsize=8)
            kind = "Sobol' indices" if method == "sobol" else "first-order indices (RBD-FAST)"
            ax.set(ylabel=f"share of the variance of {output}", title=f"{kind}{title}")
            ax.legend(fontsize=7)
        ax.grid(alpha=0.3, axis="y")
        if g["noise_share"] is not None:
            ax.set_title(
                f"{ax.get_title()}\nreplicate noise: {g['noise_share']:.1%} of the "
                "variance of the condition means",
                fontsize=9,
            )
        if so:
            ax2 = axes[gi, 1]
            m = np.full((len(names), len(names)), np.nan)
            for key, v in g["second_order_indices"].items():
                a, b = key.split(",")
                m[names.index(a), names.index(b)] = v["S2"]
            im = ax2.imshow(
                m, cmap="viridis", vmin=min(0.0, np.nanmin(m)) if np.isfinite(m).any() else 0
            )
            for i in range(len(names)):
                for j in range(len(names)):
                    if np.isfinite(m[i, j]):
                        ax2.text(
                            j,
                            i,
                            f"{m[i, j]:.2f}",
                            ha="center",
                            va="center",
                            fontsize=7,
                            color="white",
                        )
            ax2.set_xticks(range(len(names)), short, fontsize=7, rotation=30)
            ax2.set_yticks(range(len(names)), short, fontsize=7)
            ax2.set_title(f"second-order indices S2{title}", fontsize=9)
            fig.colorbar(im, ax=ax2, fraction=0.046)
    fig.suptitle(
        f"{res['scenario']}: sensitivity of {output} ({method}, {res['points']} design points)",
        fontsize=10,
    )
    fig.tight_layout()
    p = out_dir / f"sensitivity_{output}.png"
    fig.savefig(p, dpi=90)
    plt.close(fig)
    paths.append(p)

    D = len(names)
    fig, axes = plt.subplots(
        len(groups), D, figsize=(2.9 * D, 2.6 * len(groups)), squeeze=False, sharey="row"
    )
    X = res["_X"]
    for gi, g in enumerate(groups):
        Y = g["_Y"]
        for j in range(D):
            ax = axes[gi, j]
            ax.scatter(X[:, j], Y, s=5, alpha=0.45, color="tab:blue", lw=0)
            ax.set_xlabel(short[j], fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
        axes[gi, 0].set_ylabel(f"{output} (mean of runs){_group_title(g['params'])}", fontsize=8)
    fig.suptitle(
        f"{res['scenario']}: {output} at each design point against each parameter", fontsize=10
    )
    fig.tight_layout()
    p = out_dir / f"scatter_{output}.png"
    fig.savefig(p, dpi=90)
    plt.close(fig)
    paths.append(p)
    return paths


def default_output(spec: Scenario) -> str:
    """``t50`` when the scenario has a shock, else ``final_share_b``."""
    return "t50" if spec.schedule.shock_list() else "final_share_b"


def _group_title(params: dict) -> str:
    return (
        " (" + ", ".join(f"{k.split('.')[-1]}={v}" for k, v in params.items()) + ")"
        if params
        else ""
    )


def table(res: dict) -> str:
    """The analysis as a text table."""
    lines = [
        f"{res['scenario']}: {res['method']} design, {res['points']} points "
        f"({res['samples']} samples, seed {res['seed']}); output {res['output']}: "
        f"{res['description']}"
    ]
    pct = f"{res['conf_level']:.0%}"
    for g in res["groups"]:
        if g["params"]:
            lines.append("")
            lines.append("sweep: " + ", ".join(f"{k}={v}" for k, v in g["params"].items()))
        if res["method"] == "sobol":
            head = ["parameter", "S1", f"+-{pct}", "ST", f"+-{pct}"]
            keys: tuple[str, ...] = ("S1", "S1_conf", "ST", "ST_conf")
        elif res["method"] == "morris":
            head = ["parameter", "mu*", f"+-{pct}", "mu", "sigma"]
            keys = ("mu_star", "mu_star_conf", "mu", "sigma")
        else:
            head = ["parameter", "S1 (RBD-FAST)", f"+-{pct}"]
            keys = ("S1", "S1_conf")
        rows = [[n] + [_fmt(g["indices"][n][k]) for k in keys] for n in res["parameters"]]
        for pair, v in g["second_order_indices"].items():
            rows.append([f"S2 {pair}", _fmt(v["S2"]), _fmt(v["S2_conf"])] + [""] * (len(head) - 3))
        widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
        lines.append(
            "  ".join(
                h.ljust(w) if i == 0 else h.rjust(w)
                for i, (h, w) in enumerate(zip(head, widths, strict=True))
            )
        )
        for r in rows:
            lines.append(
                "  ".join(
                    x.ljust(w) if i == 0 else x.rjust(w)
                    for i, (x, w) in enumerate(zip(r, widths, strict=True))
                ).rstrip()
            )
        noise = "n/a" if g["noise_share"] is None else f"{g['noise_share']:.1%}"
        lines.append(
            f"{res['output']} over the design: mean {g['output_mean']:.4g}, sd "
            f"{g['output_sd']:.4g}; replicate noise share {noise}; "
            f"{g['distinct_points']} distinct points, {g['replicates']} replicates"
        )
        for w in g["warnings"]:
            lines.append(f"warning: {w}")
    return "\n".join(lines)


def _fmt(v: float | None) -> str:
    return "nan" if v is None or not np.isfinite(v) else f"{v:.3f}"
