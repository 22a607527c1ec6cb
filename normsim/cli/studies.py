"""The studies over a scenario: ``normsim sensitivity`` (of a design's results),
``calibrate`` (ABC-SMC fit to observed data) and ``tipping`` (the value that tips the norm)."""

from __future__ import annotations

import argparse
import math
import sys
from typing import TYPE_CHECKING

from normsim.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PLOTS,
    EXIT_USAGE,
    integer,
    load_scenario,
    number,
    print_json,
    scenario_args,
    scheduler_options,
    scheduler_timeout,
    workers_option,
)
from normsim.errors import NormsimError

if TYPE_CHECKING:
    from normsim.cli.common import Subparsers
    from normsim.scenario import LoadedScenario


def add_sensitivity(sub: Subparsers) -> None:
    """The ``sensitivity`` command and its options."""
    from normsim.studies.sensitivity import OUTPUTS

    se = sub.add_parser(
        "sensitivity",
        help="global sensitivity indices of a design's results",
        description=(
            "Sobol' first-order and total indices with bootstrap confidence "
            "intervals (second order when the design has them), Morris mu* and "
            "sigma, or RBD-FAST first-order indices (Latin hypercube) of one "
            "output of a design's stored results (the mean over each point's "
            "replicates), the share of its variance that is replicate noise, "
            "and figures (indices, output against each parameter) beside the "
            "store. Outputs: " + "; ".join(f"{k}: {v}" for k, v in OUTPUTS.items())
        ),
    )
    se.add_argument(
        "results",
        metavar="RESULTS_DIR",
        help="the results directory of a scenario with a design (or its "
        "results.sqlite file); the figures are written into it",
    )
    se.add_argument(
        "--output", choices=list(OUTPUTS), default="t50", help="the output to analyse (default t50)"
    )
    se.add_argument("--json", action="store_true", help="print one JSON object")
    se.add_argument("--no-plots", action="store_true", help="write no figures")
    se.set_defaults(func=cmd_sensitivity)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """``normsim sensitivity DIR``: the sensitivity indices of a design's stored results
    (a table, or ``--json``) and their figures beside the store."""
    from pathlib import Path

    from normsim.studies.sensitivity import analyse, figures, strip_private, table

    res = analyse(args.results, args.output)
    out = Path(args.results)
    out = out if out.is_dir() else out.parent
    paths = [] if args.no_plots else figures(res, out)
    if args.json:
        print_json({**strip_private(res), "figures": [str(p) for p in paths]})
    else:
        print(table(res))
        for p in paths:
            print(f"plot: {p}")
    return EXIT_OK


def add_calibrate(sub: Subparsers) -> None:
    """The ``calibrate`` command and its options."""
    ca = sub.add_parser(
        "calibrate",
        help="fit parameters to observed data (ABC-SMC)",
        description=(
            "Approximate Bayesian computation by sequential Monte Carlo: find "
            "the values of the --fit parameters under which the scenario "
            "reproduces the observed share of the new norm since its first "
            "shock (CSV: generation, share, optionally series). Distance: RMS "
            "over the observed generations of the difference of 2 arcsin(sqrt("
            "share)) between the observed mean and the mean of a particle's "
            "runs. Every particle is a condition "
            "of the runner (stored in DIR/results.sqlite; rerun the same "
            "command to resume). Writes posterior.csv, particles.csv, "
            "calibration.json, posterior_pairs.png, posterior_predictive.png."
        ),
    )
    scenario_args(ca)
    ca.add_argument("--observed", required=True, metavar="DATA.csv", help="the observed series")
    ca.add_argument(
        "--fit",
        required=True,
        metavar="PATH,PATH",
        help="dotted paths to fit, e.g. game.c,dynamics.exploration",
    )
    ca.add_argument(
        "--prior",
        action="append",
        metavar="PATH=LO,HI",
        help="uniform prior of a fitted path (default: its whole range where it "
        "is bounded, e.g. [0, 1] for game.c); repeatable",
    )
    ca.add_argument("--particles", default="200", help="particles per population (default 200)")
    ca.add_argument("--populations", default="8", help="at most this many populations (default 8)")
    ca.add_argument(
        "--quantile",
        default="0.5",
        help="tolerance: this quantile of the last population's distances (default 0.5)",
    )
    ca.add_argument(
        "--min-acceptance",
        default="0.02",
        help="stop when a population's acceptance rate would fall below this (default 0.02)",
    )
    ca.add_argument(
        "--predictive",
        default="100",
        help="posterior-predictive simulations for the band (default 100; 0: none)",
    )
    workers_option(ca)
    scheduler_options(ca, "run on an existing Dask cluster")
    ca.add_argument(
        "--format",
        choices=["csv", "parquet"],
        default="csv",
        help="posterior and particle tables (default csv)",
    )
    ca.add_argument(
        "--json", action="store_true", help="print the result as one JSON object (no progress)"
    )
    ca.set_defaults(func=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``normsim calibrate SCENARIO --observed DATA.csv --fit PATHS``: ABC-SMC fit of the
    ``--fit`` parameters to an observed series; posterior tables, figures and a summary."""
    from pathlib import Path

    from normsim.studies.calibrate import SimulationFailed, calibrate, prepare, table

    if args.workers is not None and args.scheduler:
        print(
            "normsim calibrate: error: --workers and --scheduler cannot be combined",
            file=sys.stderr,
        )
        return EXIT_USAGE
    workers = None if args.workers is None else int(number("--workers", args.workers, low=1))
    timeout = scheduler_timeout(args)
    particles = integer("--particles", args.particles, 10)
    populations = integer("--populations", args.populations, 1)
    predictive = integer("--predictive", args.predictive, 0)
    quantile = number("--quantile", args.quantile, low=0.0, high=1.0, low_open=True)
    if quantile >= 1:
        raise NormsimError(f"--quantile: {args.quantile} must be below 1")
    min_acc = number("--min-acceptance", args.min_acceptance, low=0.0, high=1.0, low_open=True)
    if args.format == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise NormsimError(
                "--format parquet needs pyarrow: install it with "
                "'.venv/bin/pip install pyarrow' (or use --format csv)"
            ) from None
    loaded = load_scenario(args)
    _check_calibration_memory(loaded, particles, populations, quantile, predictive)
    setup = prepare(loaded, args.observed, args.fit.split(","), args.prior or [])
    out_dir = Path(args.out) if args.out else loaded.output_dir()
    log = (
        None
        if args.json
        else (lambda m: print(f"normsim calibrate: {m}", file=sys.stderr, flush=True))
    )
    try:
        out = calibrate(
            setup,
            out_dir,
            particles=particles,
            populations=populations,
            quantile=quantile,
            min_acceptance=min_acc,
            predictive=predictive,
            workers=workers,
            scheduler=args.scheduler,
            quiet=args.json,
            fmt=args.format,
            log=log,
            scheduler_timeout=timeout,
        )
    except SimulationFailed as e:
        print(f"normsim: {e}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print_json(out)
    else:
        print(table(out))
        print(f"results: {out_dir / 'results.sqlite'} (every simulated particle)")
        for f in out["files"]:
            print(f"{'plot' if f.endswith('.png') else 'table'}: {f}")
        print(f"summary: {out_dir / 'calibration.json'}")
    return EXIT_OK


def _check_calibration_memory(
    loaded: LoadedScenario, particles: int, populations: int, quantile: float, predictive: int
) -> None:
    """Refuse a calibration whose particles (or posterior-predictive simulations) would not
    fit in memory, before the fit runs (:func:`normsim.scenario.limits.check_memory`)."""
    from normsim.scenario.limits import PARTICLE_BYTES, check_memory

    sc = loaded.scenario
    series = sc.runs * (sc.schedule.generations + 1) * 8.0 * 4
    batch = particles * min(1.2 / quantile, 50.0)  # the candidates of one population
    check_memory(
        f"{particles:,} particles ({batch:,.0f} candidates a population, "
        f"{populations} population(s))",
        batch * (PARTICLE_BYTES + series) + particles * populations * 2e3,
        "--particles",
    )
    check_memory(
        f"{predictive:,} posterior-predictive simulations",
        predictive * (PARTICLE_BYTES + series),
        "--predictive",
    )


def add_tipping(sub: Subparsers) -> None:
    """The ``tipping`` command and its options."""
    ti = sub.add_parser(
        "tipping",
        help="find the committed fraction (or other value) that tips the norm",
        description=(
            "For every condition of the scenario (its sweep), find by bisection "
            "the smallest value of --vary in [--lo, --hi] (with --direction "
            "down: the largest) at which the new norm takes over within the "
            "horizon: the replicate-mean share of the new "
            "norm over the last 10% of the generations after the last shock is at "
            "least 0.5, among "
            "the uncommitted agents when there are committed agents, among "
            "everyone otherwise. Reports a bracket (largest value that did not "
            "tip, smallest that did) with the share and the probability of "
            "change (fraction of replicates ending at or above 0.5) at each "
            "side and every value tested; writes tipping.png and tipping.json "
            "beside DIR/results.sqlite. Every tested value is a stored condition: "
            "rerun the same command to resume. A varied path that the scenario "
            "sweeps is taken out of the sweep. A scenario without committed "
            "agents that varies population.committed.fraction gets committed "
            "agents {norm: new, placement: random}. Exit 3 if some replicates "
            "failed, 4 if the plot could not be written."
        ),
    )
    scenario_args(ti)
    ti.add_argument(
        "--vary",
        required=True,
        metavar="PATH",
        help="the numeric path to search, e.g. population.committed.fraction, "
        "dynamics.conformity, game.c",
    )
    ti.add_argument("--lo", default="0", help="lower end of the search (default 0)")
    ti.add_argument("--hi", default="0.5", help="upper end of the search (default 0.5)")
    ti.add_argument(
        "--tol",
        default="0.01",
        help="stop when the bracket is at most this wide (default 0.01; a "
        "committed fraction also stops at one agent apart)",
    )
    ti.add_argument(
        "--direction",
        choices=["up", "down"],
        default="up",
        help="up (default): larger values make change more likely (a committed "
        "fraction): find the smallest value that tips; down: larger values "
        "make it less likely (game.c, dynamics.conformity): find the largest "
        "value that tips",
    )
    workers_option(ti)
    scheduler_options(ti, "run on an existing Dask cluster, e.g. tcp://host:8786")
    ti.add_argument(
        "--json", action="store_true", help="print the result as one JSON object (no progress)"
    )
    ti.set_defaults(func=cmd_tipping)


def cmd_tipping(args: argparse.Namespace) -> int:
    """``normsim tipping``: search each condition's tipping point
    (:mod:`normsim.studies.tipping`)."""
    from pathlib import Path

    from normsim.studies import tipping

    if args.workers is not None and args.scheduler:
        print(
            "normsim tipping: error: --workers and --scheduler cannot be combined "
            "(the cluster's workers do the work)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    workers = None if args.workers is None else int(number("--workers", args.workers, low=1))
    timeout = scheduler_timeout(args)
    lo = number("--lo", args.lo)
    hi = number("--hi", args.hi)
    tol = (
        math.inf
        if args.tol.strip().lower() in ("inf", "+inf", "infinity")
        else number("--tol", args.tol, low=0.0, low_open=True)
    )  # inf: the two ends only
    loaded = load_scenario(args)
    setup = tipping.prepare(loaded, args.vary, lo, hi, tol, args.direction)
    out_dir = Path(args.out) if args.out else loaded.output_dir()
    log = None if args.json else tipping.log_stderr
    if setup.dropped_sweep and log is not None:
        log(
            f"the scenario sweeps {args.vary}: the search chooses its values instead of the sweep's"
        )
    if setup.added_committed and log is not None:
        log(
            "the scenario has no committed agents: adding population.committed "
            "{norm: new, placement: random} with the fraction searched"
        )
    try:
        res = tipping.search(
            setup,
            out_dir,
            workers=workers,
            scheduler=args.scheduler,
            quiet=args.json,
            log=log,
            scheduler_timeout=timeout,
        )
    except tipping.SearchFailed as e:
        print(f"normsim: {e}", file=sys.stderr)
        return EXIT_FAILED
    files, plot_error = [str(tipping.write_json(res, out_dir))], False
    try:
        files.insert(0, str(tipping.figure(res, out_dir)))
    except Exception as e:  # noqa: BLE001 - a plot never loses the result
        import matplotlib.pyplot as plt

        plt.close("all")
        plot_error = True
        what = (
            f"cannot write {e.filename}: {e.strerror or e}"
            if isinstance(e, OSError) and e.filename
            else f"{type(e).__name__}: {e}"
        )
        print(
            f"normsim: warning: tipping plot not written ({what}); the results are stored",
            file=sys.stderr,
        )
    res["files"] = files
    if args.json:
        print_json(res)
    else:
        print(tipping.table(res))
        print(
            f"ran {res['ran']} replicate(s), {res['already_stored']} already stored; "
            f"{res['seconds']:.1f} s"
        )
        print(f"results: {out_dir / 'results.sqlite'}")
        for f in files:
            print(f"{'plot' if f.endswith('.png') else 'result'}: {f}")
    return EXIT_PLOTS if plot_error else EXIT_OK
