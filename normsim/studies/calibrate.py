"""Calibration to observed data: approximate Bayesian computation by sequential Monte Carlo.

``normsim calibrate SCENARIO.yaml --observed DATA.csv --fit game.c,dynamics.exploration``
finds the values of the fitted parameters under which the scenario reproduces
an observed series of the share of the new norm after a shock.

**Observed data** (CSV; lines starting with ``#`` are comments): a column
``generation`` (generations since the scenario's first shock, integers from 0
to the length of the segment after it), a column ``share`` (the share of the
norm that the shock favours, in [0, 1]) and optionally ``series`` (a label:
several observed series, e.g. several communities; each label's rows are one
series). Every generation may be given or not; the series need not cover the
same generations.

**Distance**: the root mean square, over the observed generations g, of
``h(mean_obs(g)) - h(mean_sim(g))``, where ``mean_obs(g)`` is the mean of the
observed series at g, ``mean_sim(g)`` the mean over the particle's ``runs``
replicates of the simulated share of the new norm ``g`` generations after
the first shock, and ``h(p) = 2 arcsin(sqrt(p))`` the variance-stabilising
transform of a proportion. Its scale: a share's sampling noise is about
``sqrt(p (1 - p) / n)`` and ``h`` divides a small difference by
``sqrt(p (1 - p))``, so every generation's difference is measured against
the noise it can have: a difference of 0.01 near p = 0.5 counts 0.02, near
p = 0.02 (the old norm's reign before the shock, where the exploration rate
shows) 0.07. The distance does not grow with the number of observed
generations. (On plain shares, the 90% intervals of c fitted with
exploration on a 20 x 20 torus were 1.3 to 1.8 times as wide.)

**Algorithm** (Toni et al. 2009; Beaumont et al. 2009; Del Moral et al. 2012
for the adaptive tolerance): independent uniform priors on ``[lo, hi]``.
Population 0 is ``particles`` draws from the prior, all accepted. Population
t's tolerance ``eps_t`` is the ``quantile`` (default 0.5) weighted quantile of
population t-1's distances. Candidates are drawn from population t-1 by weight
and moved by a Gaussian kernel whose covariance is twice the weighted
covariance of population t-1 (Beaumont et al.); moves outside the prior's box
are drawn again (the kernel is truncated to the box). A candidate is simulated
and accepted when its distance is at most ``eps_t``, until ``particles`` are
accepted. Weights are importance weights:
``w_i ∝ prior(θ_i) / Σ_j W_j K(θ_i | θ_j)``, with the truncated kernel
``K(θ | θ_j) = N(θ; θ_j, Σ) / Z_j``, ``Z_j`` the kernel's mass inside the box.
The effective sample size ``1 / Σ w_i²`` is reported for each population.
It stops after ``populations`` populations, or earlier when a population's
acceptance rate would fall below ``min_acceptance`` (the last complete
population is then the posterior).

**Execution**: candidates are simulated in batches; every candidate is a
condition of the runner (its parameter values and its own seed, drawn from
the calibration's random stream), so the store keeps every simulated
particle, local workers or a Dask cluster run them, and an interrupted
calibration resumes: rerun the same command and the random stream, seeded
by the scenario's seed, proposes the same candidates, whose results are read
from the store instead of being simulated again.

Why not pyabc: it is the maintained ABC-SMC library, but it pulls in 60-odd
packages (redis, SQLAlchemy, GitPython, ipykernel, scikit-learn, pandas,
dask) and drives its own samplers and its own database, so the particles
would not be conditions of normsim's runner and store (no resume through the
store, no ``--scheduler``). The algorithm above is some 150 lines of numpy and
scipy, tested against a closed-form posterior.
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from normsim.datafiles import check_special, quote
from normsim.draws import replicate_seeds
from normsim.errors import NormsimError
from normsim.scenario import PointConditions, numeric_paths
from normsim.scenario.design import check_range
from normsim.store import Store, check_owner, check_store_file
from normsim.studies.runner import Batches

if TYPE_CHECKING:  # pragma: no cover
    from normsim.scenario import Condition, LoadedScenario

#: default prior ranges of fields bounded on both sides (others need --prior)
BOUNDED = {
    "game.c": (0.0, 1.0),
    "dynamics.exploration": (0.0, 1.0),
    "population.initial_b": (0.0, 1.0),
    "dynamics.exploration.rate_mutation": (0.0, 1.0),
    "population.network.p": (0.0, 1.0),
}
OBSERVED_COLUMNS = ("generation", "share", "series")
#: largest observed CSV read (bytes); read whole, it takes about 20 bytes of memory a byte
MAX_OBSERVED_BYTES = 64 * 2**20


# ------------------------------------------------------------------ observed data
@dataclass
class Observed:
    """Observed series of the share of the new norm since a shock."""

    path: str
    generations: np.ndarray  # the distinct observed generations, ascending
    mean: np.ndarray  # mean of the series observed at each generation
    series: dict[str, tuple[np.ndarray, np.ndarray]]  # label -> (generations, shares)

    @property
    def last(self) -> int:
        """The last observed generation since the shock, how far a particle's runs must go."""
        return int(self.generations[-1])


def read_observed(path: str | Path) -> Observed:
    """Read and check an observed CSV (see the module docstring); one-line errors."""
    where = str(path)
    if not Path(path).exists() and not Path(path).is_symlink():
        raise NormsimError(f"{where}: observed data file not found")
    check_special(path, "--observed")  # /dev/zero, a FIFO: refused before it is read
    size = Path(path).stat().st_size
    if size > MAX_OBSERVED_BYTES:
        raise NormsimError(
            f"{where}: {size / 2**20:.0f} MiB; an observed series is at most "
            f"{MAX_OBSERVED_BYTES // 2**20} MiB (reading it would need about "
            f"{20 * size / 2**30:.1f} GB of memory)"
        )
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_OBSERVED_BYTES + 1)
        # a byte-order mark, as spreadsheet programs save UTF-8 CSV, is not text
        text = raw.decode("utf-8-sig")
    except OSError as e:
        raise NormsimError(f"{where}: cannot read the observed data: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise NormsimError(
            f"{where}: cannot read the observed data: not UTF-8 text ({e.reason} at byte {e.start})"
        ) from None
    lines = [
        (i + 1, ln)
        for i, ln in enumerate(text.splitlines())
        if ln.strip() and not ln.lstrip().startswith("#")
    ]
    if not lines:
        raise NormsimError(f"{where}: no header and no rows (need columns generation, share)")
    try:
        rows = list(csv.reader([ln for _, ln in lines]))
    except csv.Error as e:
        raise NormsimError(f"{where}: not a CSV file: {e}") from None
    header = [h.strip() for h in rows[0]]
    hline = lines[0][0]
    missing = [c for c in ("generation", "share") if c not in header]
    if missing:
        raise NormsimError(
            f"{where}:{hline}: missing column(s) {', '.join(missing)} "
            "(need generation and share; series is optional)"
        )
    for h in header:
        if h not in OBSERVED_COLUMNS:
            raise NormsimError(
                f"{where}:{hline}: unknown column {quote(h)} (columns: generation, "
                "share and optionally series)"
            )
    if len(set(header)) != len(header):
        raise NormsimError(f"{where}:{hline}: a column is named twice")
    if len(rows) == 1:
        raise NormsimError(f"{where}: no data rows after the header")
    ig, ish = header.index("generation"), header.index("share")
    iser = header.index("series") if "series" in header else None
    data: dict[str, dict[int, float]] = {}
    # strict=False: a quoted field may span lines, leaving fewer rows than lines
    for (line, _), row in zip(lines[1:], rows[1:], strict=False):
        if len(row) != len(header):
            raise NormsimError(f"{where}:{line}: {len(row)} cells, the header has {len(header)}")
        g_text, s_text = row[ig].strip(), row[ish].strip()
        try:
            g = float(g_text)
        except ValueError:
            raise NormsimError(
                f"{where}:{line}: generation: {quote(g_text)} is not a number"
            ) from None
        if not math.isfinite(g) or not g.is_integer() or g < 0:
            raise NormsimError(
                f"{where}:{line}: generation: {quote(g_text)} is not a whole number "
                ">= 0 (generations since the shock)"
            )
        try:
            share = float(s_text)
        except ValueError:
            raise NormsimError(f"{where}:{line}: share: {quote(s_text)} is not a number") from None
        if not (0.0 <= share <= 1.0):
            raise NormsimError(f"{where}:{line}: share: {share:g} is outside [0, 1]")
        label = row[iser].strip() if iser is not None else ""
        ser = data.setdefault(label, {})
        if int(g) in ser:
            raise NormsimError(
                f"{where}:{line}: generation {int(g)} is given twice"
                + (f" in series {quote(label)}" if label else "")
            )
        ser[int(g)] = share
    series = {
        k: (np.array(sorted(v)), np.array([v[g] for g in sorted(v)])) for k, v in data.items()
    }
    gens = np.array(sorted({g for v in data.values() for g in v}))
    mean = np.array([np.mean([v[g] for v in data.values() if g in v]) for g in gens])
    return Observed(where, gens, mean, series)


# ------------------------------------------------------------------ ABC-SMC
@dataclass
class Population:
    """One ABC-SMC population: accepted particles, their weights and distances."""

    theta: np.ndarray  # (N, d)
    weights: np.ndarray  # (N,), sum 1
    distances: np.ndarray  # (N,)
    seeds: np.ndarray  # (N,) the simulations' seeds
    epsilon: float  # tolerance (inf for population 0)
    proposed: int  # candidates simulated for this population

    @property
    def ess(self) -> float:
        """Effective sample size 1 / sum w^2."""
        return float(1.0 / np.sum(self.weights**2))

    @property
    def acceptance(self) -> float:
        """Acceptance rate, accepted particles / candidates simulated (NaN when none were)."""
        return len(self.weights) / self.proposed if self.proposed else float("nan")


@dataclass
class AbcResult:
    """What :func:`abc_smc` found: the populations and every simulated candidate."""

    names: list[str]
    lo: np.ndarray
    hi: np.ndarray
    populations: list[Population]
    candidates: list[dict] = field(default_factory=list)
    stop: str = ""

    @property
    def posterior(self) -> Population:
        """The last population, the weighted sample of the approximate posterior."""
        return self.populations[-1]

    def summary(self) -> dict[str, dict[str, Any]]:
        """Per parameter: posterior mean, sd, median and the 90% credible interval."""
        p = self.posterior
        out = {}
        for k, n in enumerate(self.names):
            x = p.theta[:, k]
            mean = float(np.sum(p.weights * x))
            sd = float(np.sqrt(np.sum(p.weights * (x - mean) ** 2)))
            q05, q50, q95 = weighted_quantile(x, p.weights, [0.05, 0.5, 0.95])
            out[n] = {
                "mean": mean,
                "sd": sd,
                "median": q50,
                "ci90": [q05, q95],
                "prior": [float(self.lo[k]), float(self.hi[k])],
            }
        return out


@overload
def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float: ...
@overload
def weighted_quantile(
    x: np.ndarray, w: np.ndarray, q: Sequence[float] | np.ndarray
) -> np.ndarray: ...
def weighted_quantile(
    x: np.ndarray, w: np.ndarray, q: float | Sequence[float] | np.ndarray
) -> np.ndarray | float:
    """Quantiles of weighted values (the weighted empirical CDF, interpolated at the
    midpoints of the sorted values' weights): one for a number ``q``, an array for a
    sequence.

    >>> float(weighted_quantile(np.array([1.0, 2.0, 3.0]), np.ones(3), 0.5))
    2.0
    """
    order = np.argsort(x, kind="stable")
    xs, ws = np.asarray(x, float)[order], np.asarray(w, float)[order]
    cdf = (np.cumsum(ws) - 0.5 * ws) / ws.sum()
    return np.interp(q, cdf, xs)


def _box_mass(
    centres: np.ndarray, cov: np.ndarray, lo: np.ndarray, hi: np.ndarray, seed: int
) -> np.ndarray:
    """Mass of N(centre, cov) inside the box [lo, hi] for every centre."""
    from scipy.stats import multivariate_normal, norm

    if len(lo) == 1:
        sd = math.sqrt(cov[0, 0])
        c = centres[:, 0]
        return norm.cdf((hi[0] - c) / sd) - norm.cdf((lo[0] - c) / sd)
    rng = np.random.default_rng(seed)
    return np.array(
        [
            multivariate_normal(mean=c, cov=cov, allow_singular=True).cdf(
                hi, lower_limit=lo, rng=rng
            )
            for c in centres
        ]
    )


def abc_smc(
    simulate: Callable[[np.ndarray, np.ndarray, int, int], np.ndarray],
    names: Sequence[str],
    lo: Sequence[float] | np.ndarray,
    hi: Sequence[float] | np.ndarray,
    *,
    particles: int = 200,
    populations: int = 8,
    quantile: float = 0.5,
    min_acceptance: float = 0.02,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
) -> AbcResult:
    """ABC-SMC with uniform priors (see the module docstring).

    Parameters
    ----------
    simulate : callable
        ``simulate(theta, seeds, population, batch) -> distances``: ``theta`` is
        an (n, d) array of candidates, ``seeds`` their simulation seeds.
    names, lo, hi
        The parameters and their prior ranges.
    particles, populations, quantile, min_acceptance, seed
        Population size, the most populations, the tolerance quantile, the
        lowest acceptance rate worth simulating for, the random stream's seed.

    Returns
    -------
    AbcResult

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> def sim(theta, seeds, t, b):   # one observation 0.3 of N(theta, 0.05^2)
    ...     noise = np.array([np.random.default_rng(s).normal(0, 0.05) for s in seeds])
    ...     return np.abs(theta[:, 0] + noise - 0.3)
    >>> res = abc_smc(sim, ["x"], [0.0], [1.0], particles=300, populations=4, seed=1)
    >>> abs(res.summary()["x"]["mean"] - 0.3) < 0.03
    True
    """
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    d = len(lo)
    N = int(particles)
    say = log or (lambda s: None)
    res = AbcResult(list(names), lo, hi, [])

    def run(theta: np.ndarray, seeds: np.ndarray, t: int, b: int, eps: float) -> np.ndarray:
        dist = np.asarray(simulate(theta, seeds, t, b), dtype=float)
        for k in range(len(theta)):
            res.candidates.append(
                {
                    "population": t,
                    "batch": b,
                    "index": k,
                    "theta": theta[k].tolist(),
                    "seed": int(seeds[k]),
                    "distance": float(dist[k]),
                    "epsilon": eps,
                    "accepted": bool(dist[k] <= eps),
                }
            )
        return dist

    rng = np.random.default_rng([seed, 0, 0])
    theta = lo + (hi - lo) * rng.random((N, d))
    seeds = rng.integers(0, 2**63 - 1, N)
    dist = run(theta, seeds, 0, 0, math.inf)
    pop = Population(theta, np.full(N, 1.0 / N), dist, seeds, math.inf, N)
    res.populations.append(pop)
    say(f"population 0: {N} draws from the prior; median distance {np.median(dist):.4f}")
    rate = quantile
    max_total = math.ceil(N / min_acceptance)
    for t in range(1, populations):
        prev = res.populations[-1]
        eps = float(weighted_quantile(prev.distances, prev.weights, quantile))
        cov = 2.0 * np.atleast_2d(np.cov(prev.theta, rowvar=False, aweights=prev.weights))
        cov += np.diag(1e-12 * (hi - lo) ** 2)
        chol = np.linalg.cholesky(cov)
        mass = np.maximum(_box_mass(prev.theta, cov, lo, hi, seed + t), 1e-300)
        acc_theta: list[np.ndarray] = []  # the accepted candidates' rows
        acc_dist: list[np.floating] = []
        acc_seed: list[np.integer] = []
        proposed, b = 0, 0
        while len(acc_theta) < N and proposed < max_total:
            need = N - len(acc_theta)
            size = min(
                max_total - proposed, max(need, math.ceil(1.2 * need / max(rate, min_acceptance)))
            )
            rng = np.random.default_rng([seed, t, b])
            parent = rng.choice(N, size=size, p=prev.weights)
            cand = prev.theta[parent] + rng.standard_normal((size, d)) @ chol.T
            for _ in range(10000):  # truncate the kernel to the prior's box: draw again
                out = np.any((cand < lo) | (cand > hi), axis=1)
                if not out.any():
                    break
                cand[out] = (
                    prev.theta[parent[out]] + rng.standard_normal((int(out.sum()), d)) @ chol.T
                )
            else:  # pragma: no cover - the parent is inside the box: about half its mass is
                cand = np.clip(cand, lo, hi)
            seeds = rng.integers(0, 2**63 - 1, size)
            dist = run(cand, seeds, t, b, eps)
            ok = np.nonzero(dist <= eps)[0][:need]
            acc_theta += list(cand[ok])
            acc_dist += list(dist[ok])
            acc_seed += list(seeds[ok])
            proposed += size
            b += 1
            rate = len(acc_theta) / proposed
        if len(acc_theta) < N:
            res.stop = (
                f"population {t} stopped: {len(acc_theta)} of {N} accepted in "
                f"{proposed} simulations (acceptance below {min_acceptance:g}); "
                f"population {t - 1} is the posterior"
            )
            say(res.stop)
            break
        theta = np.array(acc_theta)
        # importance weights with the truncated kernel, in logs
        diff = theta[:, None, :] - prev.theta[None, :, :]
        z = np.linalg.solve(chol, diff.reshape(-1, d).T).T.reshape(N, N, d)
        log_k = -0.5 * np.sum(z**2, axis=2) - np.log(mass)[None, :]
        log_mix = _logsumexp(log_k + np.log(prev.weights)[None, :], axis=1)
        logw = -log_mix
        w = np.exp(logw - logw.max())
        w /= w.sum()
        pop = Population(theta, w, np.array(acc_dist), np.array(acc_seed), eps, proposed)
        res.populations.append(pop)
        say(
            f"population {t}: epsilon {eps:.4f}, {N} of {proposed} accepted "
            f"({pop.acceptance:.0%}), ESS {pop.ess:.0f}"
        )
    else:
        res.stop = f"{populations} populations"
    return res


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    m = np.max(a, axis=axis, keepdims=True)
    return (m + np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True))).squeeze(axis)


# ------------------------------------------------------------------ normsim wiring
def parse_prior(text: str) -> tuple[str, float, float]:
    """``PATH=LO,HI`` -> (path, lo, hi) (numbers only; the range is checked later)."""
    if "=" not in text:
        raise NormsimError(f"--prior: {text!r} is not PATH=LO,HI (e.g. --prior game.c=0,1)")
    path, rng = text.split("=", 1)
    parts = rng.split(",")
    if len(parts) != 2:
        raise NormsimError(f"--prior {path}: {rng!r} is not LO,HI (two numbers)")
    vals = []
    for p in parts:
        try:
            v = float(p)
        except ValueError:
            raise NormsimError(f"--prior {path}: {p.strip()!r} is not a number") from None
        if not math.isfinite(v):
            raise NormsimError(f"--prior {path}: {p.strip()!r} is not a finite number")
        vals.append(v)
    return path.strip(), vals[0], vals[1]


@dataclass
class Setup:
    """A checked calibration: scenario, observed data, fitted paths and their priors."""

    loaded: LoadedScenario
    observed: Observed
    names: list[str]
    lo: np.ndarray
    hi: np.ndarray
    shock: int
    end: int
    new_norm: int


def prepare(
    loaded: LoadedScenario,
    observed_path: str | Path,
    fit: Sequence[str],
    priors: Sequence[str] = (),
) -> Setup:
    """Check everything before anything runs or is written (one-line NormsimErrors)."""
    sc = loaded.scenario
    if sc.design is not None or sc.sweep:
        raise NormsimError(
            f"{loaded.path}: calibrate takes a scenario without sweep or design "
            "(its one condition is the model to fit)"
        )
    if sc.population.well_mixed:
        raise NormsimError(
            f"{loaded.path}: calibrate needs an agent-based population "
            "(a network), not the well-mixed ODE"
        )
    shocks = sc.schedule.shock_list()
    if not shocks:
        raise NormsimError(
            f"{loaded.path}: schedule.shocks: calibrate needs a shock (the "
            "observed data are the new norm's share since the first shock)"
        )
    names = [f.strip() for f in fit]
    if not names or any(not n for n in names):
        raise NormsimError(
            "--fit: give dotted paths separated by commas, e.g. game.c,dynamics.exploration"
        )
    if len(set(names)) != len(names):
        raise NormsimError("--fit: a path is given twice")
    given: dict[str, tuple[float, float]] = {}
    for text in priors:
        path, low, high = parse_prior(text)
        if path not in names:
            raise NormsimError(f"--prior {path}: not a fitted path (--fit {','.join(names)})")
        if path in given:
            raise NormsimError(f"--prior {path}: given twice")
        given[path] = (low, high)
    lo: list[float] = []
    hi: list[float] = []
    for n in names:
        bounds: tuple[float, float] | None
        if n in given:
            bounds = given[n]
            loc = f"--prior {n}"
        elif n in BOUNDED:
            bounds = BOUNDED[n]
            loc = f"--fit {n} (prior {bounds[0]:g}..{bounds[1]:g})"
        else:
            bounds = None
            loc = f"--fit {n}"
        if bounds is None:  # first say what is wrong with the path itself, if anything
            kinds = numeric_paths(loaded.raw)
            if n not in kinds or kinds[n] == "int":
                check_range(
                    loaded.raw, n, 0.0, 1.0, loc, loaded.base_dir, kinds=kinds, integers=False
                )
            raise NormsimError(
                f"--fit {n}: give its prior with --prior {n}=LO,HI "
                "(it has no bounded default range)"
            )
        a, b = bounds
        check_range(loaded.raw, n, a, b, loc, loaded.base_dir, integers=False)
        lo.append(float(a))
        hi.append(float(b))
    obs = read_observed(observed_path)
    s = shocks[0]
    end = shocks[1] if len(shocks) > 1 else sc.schedule.generations
    if obs.last > end - s:
        raise NormsimError(
            f"{obs.path}: generation {obs.last} is beyond the {end - s} "
            f"generations the scenario runs after its shock at {s}"
        )
    new = sc.model_params().new_norm()
    return Setup(
        loaded, obs, names, np.array(lo), np.array(hi), s, end, 1 if new in (1, None) else 0
    )


def distance(setup: Setup, share_b: np.ndarray) -> float:
    """RMS difference, after ``h(p) = 2 arcsin(sqrt(p))``, between the observed mean
    series and the replicates' mean share of the new norm at the observed generations
    since the shock (see the module docstring)."""
    mean_b = np.atleast_2d(share_b).mean(axis=0)[setup.shock + setup.observed.generations]
    sim = mean_b if setup.new_norm == 1 else 1.0 - mean_b
    return float(np.sqrt(np.mean((_vst(sim) - _vst(setup.observed.mean)) ** 2)))


def _vst(p: np.ndarray) -> np.ndarray:
    """The variance-stabilising transform of a share: 2 arcsin(sqrt(p))."""
    return 2.0 * np.arcsin(np.sqrt(np.clip(p, 0.0, 1.0)))


def _since_shock(setup: Setup, share_b: np.ndarray) -> np.ndarray:
    """Mean share of the new norm at generations 0..last observed since the shock."""
    m = np.atleast_2d(share_b).mean(axis=0)[setup.shock : setup.shock + setup.observed.last + 1]
    return m if setup.new_norm == 1 else 1.0 - m


class SimulationFailed(NormsimError):
    """Some particles' replicates failed (the others are stored)."""


class Simulator(Batches):
    """Runs candidates as runner conditions and reads their distances from the store."""

    def __init__(
        self,
        setup: Setup,
        out_dir: Path,
        workers: int | None,
        scheduler: str | None,
        quiet: bool,
        scheduler_timeout: float | None = None,
    ):
        super().__init__(
            setup.loaded, out_dir, workers, scheduler, quiet, scheduler_timeout, "calibrate"
        )
        self.setup = setup
        self.maker = PointConditions(setup.loaded, setup.names)
        self.hashes: dict[tuple[int, int, int], str] = {}

    def conditions(self, theta: np.ndarray, seeds: np.ndarray) -> list[Condition]:
        """Runner conditions for candidate parameter rows ``theta`` (N, d), one per row, each
        with its simulation seed from ``seeds`` (N,); the fitted values are its params."""
        names = self.setup.names
        return [
            self.maker.make(
                {**{n: float(v) for n, v in zip(names, th, strict=True)}, "seed": int(s)},
                params={n: float(v) for n, v in zip(names, th, strict=True)},
            )
            for th, s in zip(theta, seeds, strict=True)
        ]

    def series(self, conds: list[Condition]) -> list[np.ndarray]:
        """Run these conditions (what is not stored yet); return their share_b arrays."""
        report = self.run(conds)
        if report.failures:
            raise SimulationFailed(
                f"{len(report.failures)} chunk(s) of particle replicates failed (first: "
                f"{report.failures[0]}); the others are stored: run the same command again"
            )
        with Store(self.out_dir) as store:
            return [np.stack([r.share_b for r in store.replicates(c.hash)]) for c in conds]

    def __call__(self, theta: np.ndarray, seeds: np.ndarray, t: int, b: int) -> np.ndarray:
        conds = self.conditions(theta, seeds)
        for k, c in enumerate(conds):
            self.hashes[(t, b, k)] = c.hash
        return np.array([distance(self.setup, s) for s in self.series(conds)])


def calibrate(
    setup: Setup,
    out_dir: Path,
    *,
    particles: int = 200,
    populations: int = 8,
    quantile: float = 0.5,
    min_acceptance: float = 0.02,
    predictive: int = 100,
    workers: int | None = None,
    scheduler: str | None = None,
    quiet: bool = False,
    fmt: str = "csv",
    log: Callable[[str], None] | None = None,
    scheduler_timeout: float | None = None,
) -> dict:
    """Run ABC-SMC for a prepared calibration; write the tables and figures to ``out_dir``.

    ``scheduler_timeout``: seconds to wait for the Dask scheduler when connecting
    (None: :data:`normsim.studies.runner.SCHEDULER_TIMEOUT`).

    Returns the JSON of ``calibration.json`` (``normsim calibrate --json``).
    """
    t0 = time.perf_counter()
    sc = setup.loaded.scenario
    check_store_file(out_dir)  # refused before the first population, not at its first run
    check_owner(out_dir, "calibrate", sc.name)
    sim = Simulator(setup, out_dir, workers, scheduler, quiet, scheduler_timeout)
    done = False
    try:
        res = abc_smc(
            sim,
            setup.names,
            setup.lo,
            setup.hi,
            particles=particles,
            populations=populations,
            quantile=quantile,
            min_acceptance=min_acceptance,
            seed=sc.seed,
            log=log,
        )
        post = res.posterior
        # posterior predictive: particles drawn by weight, simulated afresh with new seeds
        pred = None
        if predictive > 0:
            rng = np.random.default_rng([sc.seed, 1_000_003])
            pick = rng.choice(len(post.weights), size=predictive, p=post.weights)
            seeds = rng.integers(0, 2**63 - 1, predictive)
            conds = sim.conditions(post.theta[pick], seeds)
            pred = np.stack([_since_shock(setup, s) for s in sim.series(conds)])
        done = True
    finally:
        sim.close(stop=not done)
    summary = res.summary()
    last = len(res.populations) - 1
    out = {
        "scenario": sc.name,
        "observed": setup.observed.path,
        "observed_series": len(setup.observed.series),
        "observed_generations": len(setup.observed.generations),
        "shock": setup.shock,
        "fit": setup.names,
        "runs_per_particle": sc.runs,
        "particles": particles,
        "quantile": quantile,
        "min_acceptance": min_acceptance,
        "distance": "RMS over the observed generations of h(observed mean) - h(simulated "
        "mean of the runs) of the new norm's share since the first shock, "
        "h(p) = 2 arcsin(sqrt(p))",
        "populations": [
            {
                "population": t,
                "epsilon": p.epsilon,
                "proposed": p.proposed,
                "accepted": len(p.weights),
                "acceptance": p.acceptance,
                "ess": p.ess,
                "median_distance": float(np.median(p.distances)),
            }
            for t, p in enumerate(res.populations)
        ],
        "stop": res.stop,
        "posterior": summary,
        "simulations": len(res.candidates) + (predictive if pred is not None else 0),
        "seconds": round(time.perf_counter() - t0, 2),
        "simulation_seconds": round(sim.seconds, 2),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    files = _write_tables(res, sim, last, out_dir, fmt)
    files += _figures(setup, res, pred, out_dir)
    out["files"] = [str(f) for f in files]
    (out_dir / "calibration.json").write_text(json.dumps(out, indent=1))
    return out


def _write_tables(res: AbcResult, sim: Simulator, last: int, out_dir: Path, fmt: str) -> list[Path]:
    post = res.posterior
    sel = {}
    for t, p in enumerate(res.populations):
        for k, s in enumerate(p.seeds):
            sel[(t, int(s))] = float(p.weights[k])
    cand_rows = []
    for c in res.candidates:
        key = (c["population"], c["seed"])
        cand_rows.append(
            {
                "population": c["population"],
                "batch": c["batch"],
                "index": c["index"],
                **{n: v for n, v in zip(res.names, c["theta"], strict=True)},
                "seed": c["seed"],
                "distance": c["distance"],
                "epsilon": c["epsilon"],
                "within_epsilon": c["accepted"],
                "in_population": key in sel,
                "weight": sel.get(key, 0.0),
                "condition": sim.hashes.get((c["population"], c["batch"], c["index"])),
            }
        )
    post_rows = [
        {
            "particle": k,
            "weight": float(post.weights[k]),
            **{n: float(post.theta[k, j]) for j, n in enumerate(res.names)},
            "distance": float(post.distances[k]),
            "seed": int(post.seeds[k]),
            "population": last,
        }
        for k in range(len(post.weights))
    ]
    paths = []
    for name, rows in (("posterior", post_rows), ("particles", cand_rows)):
        path = out_dir / f"{name}.{fmt}"
        if fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.Table.from_pylist(rows), path)
        else:
            with open(path, "w", newline="", encoding="utf-8") as fh:
                w = csv.DictWriter(fh, fieldnames=list(rows[0]))
                w.writeheader()
                w.writerows(rows)
        paths.append(path)
    return paths


def _figures(setup: Setup, res: AbcResult, pred: np.ndarray | None, out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    post = res.posterior
    names = res.names
    d = len(names)
    short = [n.split(".")[-1] for n in names]
    fig, axes = plt.subplots(d, d, figsize=(2.6 * d + 0.6, 2.4 * d + 0.4), squeeze=False)
    summ = res.summary()
    for i in range(d):
        for j in range(d):
            ax = axes[i, j]
            if j > i:
                ax.axis("off")
                continue
            if i == j:
                ax.hist(
                    post.theta[:, i],
                    bins=25,
                    weights=post.weights,
                    range=(res.lo[i], res.hi[i]),
                    color="tab:blue",
                    alpha=0.8,
                )
                lo, hi = summ[names[i]]["ci90"]
                ax.axvspan(lo, hi, color="tab:orange", alpha=0.15, label="90% credible")
                ax.axvline(summ[names[i]]["mean"], color="black", lw=1, label="mean")
                ax.set_yticks([])
                if i == 0:
                    ax.legend(fontsize=6)
            else:
                ax.scatter(
                    post.theta[:, j],
                    post.theta[:, i],
                    s=8 + 400 * post.weights,
                    alpha=0.5,
                    color="tab:blue",
                    lw=0,
                )
                ax.set(xlim=(res.lo[j], res.hi[j]), ylim=(res.lo[i], res.hi[i]))
                ax.set_ylabel(short[i], fontsize=8)
            if i == d - 1:
                ax.set_xlabel(short[j], fontsize=8)
            ax.tick_params(labelsize=7)
    fig.suptitle(
        f"{setup.loaded.scenario.name}: ABC-SMC posterior (population "
        f"{len(res.populations) - 1}, {len(post.weights)} particles)",
        fontsize=9,
    )
    fig.tight_layout()
    p1 = out_dir / "posterior_pairs.png"
    fig.savefig(p1, dpi=90)
    plt.close(fig)
    out = [p1]
    if pred is not None:
        fig, ax = plt.subplots(figsize=(6.4, 4))
        g = np.arange(pred.shape[1])
        ax.fill_between(
            g,
            np.percentile(pred, 5, axis=0),
            np.percentile(pred, 95, axis=0),
            color="tab:blue",
            alpha=0.25,
            lw=0,
            label=f"posterior predictive 5-95% ({len(pred)} draws, "
            f"mean of {setup.loaded.scenario.runs} runs each)",
        )
        ax.plot(g, np.median(pred, axis=0), color="tab:blue", lw=1.2, label="its median")
        obs = setup.observed
        for k, (gx, sx) in enumerate(obs.series.values()):
            ax.plot(
                gx, sx, color="grey", lw=0.7, alpha=0.7, label="observed series" if k == 0 else None
            )
        ax.plot(obs.generations, obs.mean, "o", ms=3, color="black", label="observed mean")
        ax.set(
            xlabel=f"generations since the shock (at {setup.shock})",
            ylabel="share of the new norm",
            ylim=(-0.02, 1.02),
            title="Posterior predictive check",
        )
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
        fig.tight_layout()
        p2 = out_dir / "posterior_predictive.png"
        fig.savefig(p2, dpi=90)
        plt.close(fig)
        out.append(p2)
    return out


def table(out: dict) -> str:
    """The calibration's result as text."""
    lines = [
        f"{out['scenario']}: ABC-SMC fit of {', '.join(out['fit'])} to {out['observed']} "
        f"({out['observed_series']} series, {out['observed_generations']} generations); "
        f"{out['simulations']} simulations x {out['runs_per_particle']} runs; "
        f"{out['seconds']:.0f} s"
    ]
    lines.append("population  epsilon  accepted/proposed    ESS  median distance")
    for p in out["populations"]:
        eps = "inf" if not math.isfinite(p["epsilon"]) else f"{p['epsilon']:.4f}"
        lines.append(
            f"{p['population']:>10}  {eps:>7}  {p['accepted']:>8}/{p['proposed']:<8} "
            f"{p['ess']:>6.0f}  {p['median_distance']:.4f}"
        )
    lines.append(f"stopped after {out['stop']}" if "populations" in out["stop"] else out["stop"])
    w = max(len(n) for n in out["fit"])
    lines.append(f"{'parameter'.ljust(w)}  prior           mean      sd    90% credible interval")
    for n, s in out["posterior"].items():
        lines.append(
            f"{n.ljust(w)}  [{s['prior'][0]:g}, {s['prior'][1]:g}]".ljust(w + 17)
            + f"{s['mean']:8.4f} {s['sd']:7.4f}    [{s['ci90'][0]:.4f}, "
            f"{s['ci90'][1]:.4f}]"
        )
    return "\n".join(lines)


def synthetic_observed(
    loaded: LoadedScenario,
    values: dict,
    n_series: int,
    seed: int,
    *,
    every: int = 1,
    last: int | None = None,
) -> list[dict]:
    """Rows (generation, share, series) of ``n_series`` replicates of the scenario with
    ``values`` (path -> value) set: the new norm's share every ``every`` generations
    from the first shock to ``last`` generations after it (default: the next shock or
    the end). For checking a calibration on data with known parameters.
    """
    from normsim.engine import simulate

    cond = PointConditions(loaded, list(values)).make(dict(values))
    spec = cond.spec
    shocks = spec.schedule.shock_list()
    if not shocks:
        raise NormsimError("synthetic_observed: the scenario has no shock")
    s = shocks[0]
    end = shocks[1] if len(shocks) > 1 else spec.schedule.generations
    last = end - s if last is None else min(last, end - s)
    new = cond.model_params().new_norm()
    out = simulate(
        cond.model_params(), replicate_seeds(seed, n_series), base_dir=cond.base_dir
    ).share_b
    share = out if new in (1, None) else 1.0 - out
    rows = []
    for k in range(n_series):
        for g in range(0, last + 1, every):
            rows.append(
                {"generation": g, "share": round(float(share[k, s + g]), 6), "series": f"s{k + 1}"}
            )
    return rows


def write_observed(path: str | Path, rows: list[dict], header: str = "") -> Path:
    """Write observed rows as CSV, with ``header`` lines as ``#`` comments."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        for line in header.splitlines():
            fh.write(f"# {line}\n")
        w = csv.DictWriter(fh, fieldnames=["series", "generation", "share"])
        w.writeheader()
        w.writerows(rows)
    return path
