"""``normsim naming``: simulate the naming game (docs/model/naming.md) with the compiled
engine, print a summary table (or JSON) and write the series to a CSV or JSON file."""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from normsim.cli.common import EXIT_OK, _clean, _json_default, integer, number, print_json
from normsim.errors import NormsimError

if TYPE_CHECKING:
    from normsim.cli.common import Subparsers
    from normsim.engine.naming import NamingSeries
    from normsim.naming import NamingParams


def add_naming(sub: Subparsers) -> None:
    """Add ``normsim naming`` to the parser."""
    sp = sub.add_parser(
        "naming",
        help="simulate the naming game (minimal, or binary with committed agents)",
        description=(
            "Simulate the naming game with the compiled engine: the minimal game "
            "(Baronchelli et al. 2006) or the binary game with agents committed to A "
            "(Xie et al. 2011). A generation is N interactions. Prints one row per "
            "replicate (consensus time, final state) and writes every generation's series "
            "with --out."
        ),
    )
    sp.add_argument(
        "--variant", metavar="VARIANT", help="the game: minimal or binary (default binary)"
    )
    sp.add_argument("--n", metavar="N", help="a well-mixed population of N agents (default 1000)")
    sp.add_argument(
        "--network",
        metavar="SPEC",
        help=(
            "a network instead of a well-mixed population, as a scenario's network mapping "
            "in YAML, e.g. '{kind: grid, rows: 50, cols: 50}'"
        ),
    )
    sp.add_argument(
        "--committed",
        metavar="P",
        help="binary game: the fraction of agents committed to A, in [0, 1) (default 0)",
    )
    sp.add_argument(
        "--committed-count", metavar="K", help="binary game: the number committed, instead of P"
    )
    sp.add_argument(
        "--generations", metavar="G", help="generations of N interactions (default 100)"
    )
    sp.add_argument(
        "--seeds", metavar="S1,S2,...", help="replicate seeds (default: --replicates from --seed)"
    )
    sp.add_argument(
        "--replicates", metavar="R", help="number of replicates from --seed (default 1)"
    )
    sp.add_argument("--seed", metavar="S", help="root seed of the replicates' seeds (default 1)")
    sp.add_argument(
        "--out",
        metavar="FILE",
        help="write the series: .csv (one row per replicate and generation) or .json",
    )
    sp.add_argument("--json", action="store_true", help="print the results as JSON")
    sp.set_defaults(func=cmd_naming)


def _params(args: argparse.Namespace) -> NamingParams:
    from normsim.naming import VARIANTS, NamingParams, well_mixed

    if args.network is not None:
        if args.n is not None:
            raise NormsimError("give --n (well mixed) or --network, not both")
        from normsim.scenario.yamlsafe import load_value

        text = args.network.strip()
        network = load_value(text if text.startswith("{") else "{" + text + "}")
        if not isinstance(network, dict) or "kind" not in network:
            raise NormsimError(
                "--network: give a mapping with a kind, e.g. --network '{kind: grid, rows: 4, "
                "cols: 4}'"
            )
    else:
        network = well_mixed(integer("--n", args.n if args.n is not None else "1000", low=2))
    committed = 0.0
    if args.committed is not None:
        committed = number("--committed", args.committed, low=0.0, high=1.0)
        if committed >= 1.0:
            raise NormsimError("--committed: 1 is outside [0, 1) (someone must be uncommitted)")
    count = None
    if args.committed_count is not None:
        if args.committed is not None:
            raise NormsimError("give --committed or --committed-count, not both")
        count = integer("--committed-count", args.committed_count, low=0)
    generations = integer(
        "--generations", args.generations if args.generations is not None else "100", low=1
    )
    variant = args.variant if args.variant is not None else "binary"
    if variant not in VARIANTS:
        raise NormsimError(f"--variant: {variant!r} is not one of {', '.join(VARIANTS)}")
    return NamingParams(
        variant=variant,
        network=network,
        committed=committed,
        committed_count=count,
        generations=generations,
    )


def _seeds(args: argparse.Namespace) -> list[int]:
    from normsim.draws import replicate_seeds

    if args.seeds is not None:
        if args.replicates is not None or args.seed is not None:
            raise NormsimError("give --seeds or --replicates/--seed, not both")
        return [integer("--seeds", t.strip(), low=0) for t in args.seeds.split(",")]
    r = integer("--replicates", args.replicates if args.replicates is not None else "1", low=1)
    root = integer("--seed", args.seed if args.seed is not None else "1", low=0)
    return replicate_seeds(root, r)


def _out_path(args: argparse.Namespace) -> Path | None:
    if args.out is None:
        return None
    path = Path(args.out)
    if path.suffix not in (".csv", ".json"):
        raise NormsimError(f"--out: {args.out!r} must end in .csv or .json")
    if not path.parent.is_dir():
        raise NormsimError(f"--out: the folder {str(path.parent)!r} does not exist")
    if path.is_dir():
        raise NormsimError(f"--out: {args.out!r} is a folder")
    return path


def results(params: NamingParams, s: NamingSeries) -> dict:
    """The run as a plain dict: the model, and each replicate's consensus time and series."""
    series = s.series()
    return {
        "model": "naming",
        "variant": params.variant,
        "network": dict(params.network),
        "agents": s.n_agents,
        "committed_count": s.committed_count,
        "committed_fraction": s.committed_count / s.n_agents,
        "generations": params.generations,
        "interactions_per_generation": s.n_agents,
        "replicates": [
            {
                "seed": seed,
                "agents": int(s.sizes[r]),
                "consensus_time": int(s.consensus_time[r]),
                "series": {k: v[r].tolist() for k, v in series.items()},
            }
            for r, seed in enumerate(s.seeds)
        ],
    }


def _write(path: Path, res: dict) -> None:
    """Write ``res`` to ``path`` through a temporary file (nothing half written)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", newline="") as f:
            if path.suffix == ".json":
                json.dump(_clean(res), f, default=_json_default)
            else:
                keys = list(res["replicates"][0]["series"])
                w = csv.writer(f)
                w.writerow(["seed", "generation", *keys])
                for rep in res["replicates"]:
                    cols = [rep["series"][k] for k in keys]
                    for g in range(len(cols[0])):
                        w.writerow([rep["seed"], g, *(_cell(c[g]) for c in cols)])
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _cell(v: float) -> str:
    return "" if isinstance(v, float) and math.isnan(v) else repr(v)


def cmd_naming(args: argparse.Namespace) -> int:
    """Run ``normsim naming`` with the parsed options."""
    from normsim.engine.naming import simulate_naming

    params = _params(args)
    seeds = _seeds(args)
    path = _out_path(args)
    s = simulate_naming(params, seeds)
    res = results(params, s)
    if path is not None:
        _write(path, res)
    if args.json:
        print_json(res)
        return EXIT_OK
    kind = "well mixed" if params.is_well_mixed else params.network["kind"]
    committed = f", {s.committed_count} committed to A" if params.binary else ""
    print(
        f"Naming game ({params.variant}), {s.n_agents} agents ({kind}){committed}, "
        f"{params.generations} generations of N interactions"
    )
    head = f"{'seed':>20} {'consensus':>9} {'names':>5} {'top share':>9} {'inventory':>9}"
    head += f" {'success':>7}"
    if params.binary:
        head += f" {'n_A':>6} {'n_B':>6} {'n_AB':>6}"
    print(head)
    for r, seed in enumerate(s.seeds):
        ct = int(s.consensus_time[r])
        row = (
            f"{seed:>20} {ct if ct >= 0 else 'none':>9} {int(s.distinct_names[r, -1]):>5} "
            f"{s.top_share[r, -1]:>9.4f} {s.mean_inventory[r, -1]:>9.3f} "
            f"{s.success_rate[r, -1]:>7.3f}"
        )
        if s.n_a is not None and s.n_b is not None and s.n_ab is not None:
            row += f" {s.n_a[r, -1]:>6.3f} {s.n_b[r, -1]:>6.3f} {s.n_ab[r, -1]:>6.3f}"
        print(row)
    print("(consensus: first generation after which everybody holds one single same name)")
    if path is not None:
        print(f"series written to {path}")
    return EXIT_OK
