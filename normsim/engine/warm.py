"""Compile the engine's kernel variants ahead of time: ``python -m normsim.engine.warm``.

The engine compiles one kernel variant per set of compile-time flags (update
mode, fixed or evolving rates, regular graph or not, how the Fermi test is
decided, which mechanisms are in play) the first time a run needs it, in about
10 s each, and keeps it in its cache (:mod:`normsim.engine.cache`). This
command compiles a declared list of variants one after the other (or in
``--jobs`` processes, each compiling its own share: the cache is safe for
concurrent writers), so that later runs, test workers or Dask workers only
load them. Variants already in the cache are loaded, not compiled: a second
run compiles nothing.

Each variant is compiled by running a tiny model (a few agents, one
generation) that takes exactly that kernel.

Examples
--------
``python -m normsim.engine.warm``: the variants of the plain model (every update
mode, fixed and evolving rates, regular and irregular graphs).
``python -m normsim.engine.warm --set all --jobs 2``: every variant, in two processes.
``python -m normsim.engine.warm --set default --jobs 2``: the variants the test suite's
default tier uses.
``python -m normsim.engine.warm --list``: the set's variants, each marked cached or not.
``python -m normsim.engine.warm --cached``: the variants the cache holds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, NamedTuple

MODES = ("synchronous", "sequential", "reference", "asynchronous")
HOWS = ("lut", "ratio", "formula")


class Variant(NamedTuple):
    """One kernel variant, as the flags that select it.

    ``how`` is the Fermi test (``lut`` up to 256 payoff classes, ``ratio`` beyond,
    ``formula`` under selection so strong that the ratio would overflow);
    ``mech`` the kernel's mechanisms: ``plain``; ``mechanisms``, the kernel for
    committed agents and groups (both run-time flags of it); ``conformity`` and
    ``conformity+groups`` (conformity compiles its own kernels, with groups as a
    compile-time flag except in asynchronous updating); ``protocol`` the revision
    protocol (:data:`normsim.protocols.PROTOCOLS`) that stands for its kernel family
    (:attr:`~normsim.protocols.Protocol.kernel`): ``fermi`` for the imitative
    protocols, ``best_response`` for the direct ones, whose other rules compile
    nothing new."""

    mode: str
    evolving: bool
    regular: bool
    how: str = "lut"
    mech: str = "plain"
    protocol: str = "fermi"

    @property
    def name(self) -> str:
        """``mode-rates-graph-test-mechanisms``, and ``-protocol`` for another protocol
        than ``fermi``, as ``--list`` and ``--only`` write it."""
        parts = [
            self.mode,
            "evolving" if self.evolving else "fixed",
            "regular" if self.regular else "irregular",
            self.how,
            self.mech,
        ]
        return "-".join(parts + ([self.protocol] if self.protocol != "fermi" else []))


MECHS = ("plain", "mechanisms", "conformity", "conformity+groups")


def _product(
    modes=MODES,
    evolving=(False, True),
    regular=(True, False),
    hows=("lut",),
    mechs=("plain",),
    protocol="fermi",
) -> list[Variant]:
    return [
        Variant(m, e, r, h, x, protocol)
        for x in mechs
        for h in hows
        for m in modes
        for e in evolving
        for r in regular
    ]


#: the visiting orders of best response
_BR_MODES = ("synchronous", "sequential", "asynchronous")


#: what each declared set is for (``--set``)
SET_DOCS = {
    "plain": "every update mode, fixed and evolving rates, regular and irregular graphs",
    "all": "also every mechanism kernel, the ratio and formula Fermi tests and best response",
    "default": "what the test suite's default tier runs",
    "tests": "what the whole test suite runs (the default and kernels tiers)",
}

#: the declared sets of variants (``default`` and ``tests``, measured, follow below)
SETS: dict[str, list[Variant]] = {
    # the plain model in every update mode
    "plain": _product(),
    # every mechanism kernel of every mode, and the ratio and formula Fermi tests on
    # irregular graphs
    "all": list(
        dict.fromkeys(
            _product(mechs=MECHS)
            + _product(hows=("ratio", "formula"), regular=(False,))
            # best response: what its equivalence tests run
            + _product(modes=_BR_MODES, protocol="best_response")
            + _product(
                modes=_BR_MODES,
                evolving=(False,),
                regular=(True,),
                mechs=("mechanisms", "conformity"),
                protocol="best_response",
            )
            + _product(
                modes=_BR_MODES,
                evolving=(True,),
                regular=(True,),
                mechs=("conformity",),
                protocol="best_response",
            )
        )
    ),
}


#: the variants the test suite's default tier runs, measured (every kernel call of a default
#: run recorded with its flags): the plain kernels of every visiting order with fixed and
#: evolving rates on a regular and an irregular graph, the mechanism kernels of every order
#: with both rate kinds on a regular graph, conformity in every order, the ratio test,
#: best response in its three orders, and one variant of each other kernel family (the
#: structured protocols: imitate the best, Moran death-birth and birth-death)
DEFAULT_TIER = (
    "asynchronous-evolving-irregular-lut-plain",
    "asynchronous-evolving-regular-lut-mechanisms",
    "asynchronous-evolving-regular-lut-plain",
    "asynchronous-fixed-irregular-lut-plain",
    "asynchronous-fixed-irregular-lut-plain-best_response",
    "asynchronous-fixed-irregular-lut-plain-moran_birth_death",
    "asynchronous-fixed-regular-lut-conformity",
    "asynchronous-fixed-regular-lut-mechanisms",
    "asynchronous-fixed-regular-lut-plain",
    "asynchronous-fixed-regular-lut-plain-best_response",
    "reference-evolving-irregular-lut-plain",
    "reference-evolving-regular-lut-mechanisms",
    "reference-evolving-regular-lut-plain",
    "reference-fixed-irregular-lut-mechanisms",
    "reference-fixed-irregular-lut-plain",
    "reference-fixed-irregular-ratio-plain",
    "reference-fixed-regular-lut-conformity",
    "reference-fixed-regular-lut-mechanisms",
    "reference-fixed-regular-lut-plain",
    "sequential-evolving-irregular-lut-plain",
    "sequential-evolving-regular-lut-conformity",
    "sequential-evolving-regular-lut-mechanisms",
    "sequential-evolving-regular-lut-plain",
    "sequential-fixed-irregular-lut-conformity",
    "sequential-fixed-irregular-lut-mechanisms",
    "sequential-fixed-irregular-lut-plain",
    "sequential-fixed-irregular-ratio-mechanisms",
    "sequential-fixed-regular-lut-conformity",
    "sequential-fixed-regular-lut-mechanisms",
    "sequential-fixed-regular-lut-plain",
    "sequential-fixed-regular-lut-plain-best_response",
    "sequential-fixed-regular-lut-plain-imitate_the_best",
    "sequential-fixed-regular-lut-plain-moran_death_birth",
    "sequential-fixed-regular-ratio-plain",
    "synchronous-evolving-irregular-lut-plain",
    "synchronous-evolving-regular-lut-mechanisms",
    "synchronous-evolving-regular-lut-plain",
    "synchronous-fixed-irregular-lut-plain",
    "synchronous-fixed-regular-lut-conformity",
    "synchronous-fixed-regular-lut-mechanisms",
    "synchronous-fixed-regular-lut-plain",
    "synchronous-fixed-regular-lut-plain-best_response",
)


def parse(name: str) -> Variant:
    """The variant a name of ``--list`` stands for."""
    parts = name.split("-")
    protocol = parts[5] if len(parts) > 5 else "fermi"
    return Variant(
        parts[0], parts[1] == "evolving", parts[2] == "regular", parts[3], parts[4], protocol
    )


#: what the kernels tier adds to the default tier's variants, measured as ``DEFAULT_TIER``
KERNELS_TIER = (
    "asynchronous-evolving-irregular-lut-conformity",
    "asynchronous-evolving-irregular-lut-conformity+groups",
    "asynchronous-evolving-irregular-lut-mechanisms",
    "asynchronous-evolving-irregular-lut-plain-moran_birth_death",
    "asynchronous-evolving-irregular-ratio-plain",
    "asynchronous-evolving-regular-lut-conformity",
    "asynchronous-evolving-regular-lut-conformity-best_response",
    "asynchronous-evolving-regular-lut-mechanisms-imitate_the_best",
    "asynchronous-evolving-regular-lut-mechanisms-moran_birth_death",
    "asynchronous-evolving-regular-lut-mechanisms-moran_death_birth",
    "asynchronous-evolving-regular-lut-plain-best_response",
    "asynchronous-evolving-regular-lut-plain-imitate_the_best",
    "asynchronous-evolving-regular-lut-plain-moran_death_birth",
    "asynchronous-fixed-irregular-formula-plain",
    "asynchronous-fixed-irregular-lut-conformity",
    "asynchronous-fixed-irregular-lut-conformity+groups",
    "asynchronous-fixed-irregular-lut-mechanisms",
    "asynchronous-fixed-irregular-lut-plain-imitate_the_best",
    "asynchronous-fixed-irregular-lut-plain-moran_death_birth",
    "asynchronous-fixed-irregular-ratio-plain",
    "asynchronous-fixed-regular-lut-conformity-best_response",
    "asynchronous-fixed-regular-lut-mechanisms-best_response",
    "asynchronous-fixed-regular-lut-mechanisms-imitate_the_best",
    "asynchronous-fixed-regular-lut-mechanisms-moran_birth_death",
    "asynchronous-fixed-regular-lut-mechanisms-moran_death_birth",
    "asynchronous-fixed-regular-lut-plain-imitate_the_best",
    "asynchronous-fixed-regular-lut-plain-moran_death_birth",
    "reference-evolving-irregular-lut-conformity",
    "reference-evolving-irregular-lut-conformity+groups",
    "reference-evolving-irregular-lut-mechanisms",
    "reference-evolving-irregular-ratio-plain",
    "reference-evolving-regular-lut-conformity",
    "reference-fixed-irregular-formula-plain",
    "reference-fixed-irregular-lut-conformity",
    "reference-fixed-irregular-lut-conformity+groups",
    "reference-fixed-regular-ratio-mechanisms",
    "sequential-evolving-irregular-lut-conformity",
    "sequential-evolving-irregular-lut-conformity+groups",
    "sequential-evolving-irregular-lut-mechanisms",
    "sequential-evolving-irregular-ratio-plain",
    "sequential-evolving-regular-lut-conformity-best_response",
    "sequential-evolving-regular-lut-mechanisms-imitate_the_best",
    "sequential-evolving-regular-lut-mechanisms-moran_death_birth",
    "sequential-evolving-regular-lut-plain-best_response",
    "sequential-evolving-regular-lut-plain-imitate_the_best",
    "sequential-evolving-regular-lut-plain-moran_death_birth",
    "sequential-fixed-irregular-lut-conformity+groups",
    "sequential-fixed-irregular-lut-plain-best_response",
    "sequential-fixed-irregular-lut-plain-imitate_the_best",
    "sequential-fixed-irregular-lut-plain-moran_death_birth",
    "sequential-fixed-irregular-ratio-plain",
    "sequential-fixed-regular-lut-conformity-best_response",
    "sequential-fixed-regular-lut-mechanisms-best_response",
    "sequential-fixed-regular-lut-mechanisms-imitate_the_best",
    "sequential-fixed-regular-lut-mechanisms-moran_death_birth",
    "sequential-fixed-regular-ratio-mechanisms",
    "synchronous-evolving-irregular-lut-conformity",
    "synchronous-evolving-irregular-lut-conformity+groups",
    "synchronous-evolving-irregular-lut-mechanisms",
    "synchronous-evolving-irregular-ratio-plain",
    "synchronous-evolving-regular-lut-conformity",
    "synchronous-evolving-regular-lut-conformity-best_response",
    "synchronous-evolving-regular-lut-mechanisms-imitate_the_best",
    "synchronous-evolving-regular-lut-mechanisms-moran_death_birth",
    "synchronous-evolving-regular-lut-plain-best_response",
    "synchronous-evolving-regular-lut-plain-imitate_the_best",
    "synchronous-evolving-regular-lut-plain-moran_death_birth",
    "synchronous-fixed-irregular-formula-plain",
    "synchronous-fixed-irregular-lut-conformity",
    "synchronous-fixed-irregular-lut-conformity+groups",
    "synchronous-fixed-irregular-lut-mechanisms",
    "synchronous-fixed-irregular-lut-plain-best_response",
    "synchronous-fixed-irregular-lut-plain-imitate_the_best",
    "synchronous-fixed-irregular-lut-plain-moran_death_birth",
    "synchronous-fixed-irregular-ratio-plain",
    "synchronous-fixed-regular-lut-conformity-best_response",
    "synchronous-fixed-regular-lut-mechanisms-best_response",
    "synchronous-fixed-regular-lut-mechanisms-imitate_the_best",
    "synchronous-fixed-regular-lut-mechanisms-moran_death_birth",
    "synchronous-fixed-regular-lut-plain-imitate_the_best",
    "synchronous-fixed-regular-lut-plain-moran_death_birth",
    "synchronous-fixed-regular-ratio-plain",
)

SETS["default"] = [parse(n) for n in DEFAULT_TIER]
SETS["tests"] = [parse(n) for n in DEFAULT_TIER + KERNELS_TIER]
# every variant the tests run is in ``all`` too
SETS["all"] = list(dict.fromkeys(SETS["all"] + SETS["tests"]))


def case(v: Variant) -> tuple[Any, list[int]]:
    """A tiny model (its :class:`~normsim.params.ModelParams` and seeds) that runs
    exactly the kernel variant ``v``."""
    from normsim.params import ModelParams

    if v.how == "lut":  # a 4-regular torus, or a small irregular graph: few payoff classes
        net = (
            {"kind": "grid", "rows": 4, "cols": 4, "periodic": True}
            if v.regular
            else {"kind": "barabasi_albert", "n": 12, "m": 1}
        )
    elif v.regular:  # more than 256 payoff classes: a degree of 128 or more
        net = {"kind": "complete", "n": 130}
    else:  # a star of 200 leaves: degrees 1 and 200
        net = {"kind": "star", "n": 200}
    kw: dict[str, Any] = dict(
        network=net,
        generations=1,
        update=v.mode,
        beta=5000.0 if v.how == "formula" else 5.0,
        protocol=v.protocol,
    )
    if v.evolving:
        kw.update(rates=(0.0, 0.1, 0.2), rate_mutation=0.05)
    if v.mech == "mechanisms":
        kw["committed"] = {"count": 1, "norm": "B", "placement": "random"}
    if "conformity" in v.mech:
        kw["conformity"] = 0.3
    if "groups" in v.mech:
        kw["groups"] = {"by": "halves" if v.regular else "blocks", "c": [0.8, 0.2]}
        if not v.regular:
            kw["network"] = {"kind": "sbm", "sizes": [6, 6], "p": [[0.6, 0.1], [0.1, 0.6]]}
        if not v.evolving:
            kw["groups"]["exploration"] = [0.05, 0.1]
    return ModelParams(**kw), [1]


def _misses() -> int:
    """How many compilations the kernels' dispatchers have made in this process.

    A dispatcher that asks for literal flags (``numba.literally``) is first typed with
    plain ones, which the cache never holds: that miss costs nothing and is not counted."""
    from numba.core import types

    from normsim.engine import kernels

    total = 0
    for obj in vars(kernels).values():
        stats = getattr(obj, "stats", None)
        if stats is None or not hasattr(stats, "cache_misses"):
            continue
        for sig, n in stats.cache_misses.items():
            literal_request = obj.__name__.startswith("_run") and not any(
                isinstance(t, types.Literal) for t in sig
            )
            total += 0 if literal_request else n
    return total


def compile_variant(v: Variant) -> tuple[str, int, float]:
    """Run :func:`case` of ``v``: ``(name, kernels compiled, seconds)`` (0 compiled:
    loaded from the cache)."""
    from normsim.engine.core import replicate_adjacency, simulate, tables
    from normsim.engine.kernels import FORMULA, LUT, RATIO

    params, seeds = case(v)
    how = tables(replicate_adjacency(params.network, seeds[0]), params).how
    want = {"lut": LUT, "ratio": RATIO, "formula": FORMULA}[v.how]
    if how != want:  # the tiny model must take the variant it stands for
        raise RuntimeError(f"{v.name}: the tiny model's Fermi test is {how}, not {want}")
    before, t0 = _misses(), time.perf_counter()
    simulate(params, seeds)
    return v.name, _misses() - before, time.perf_counter() - t0


def _variant_of(kernel: str, sig) -> Variant | None:
    """The variant a compiled dispatcher's signature stands for (None: not a variant's:
    the plain typing a literal request starts from). The run-time flags (committed
    agents; groups but with conformity) are not literal and read as 0."""
    from numba.core import types

    from normsim.protocols import PROTOCOLS

    # a kernel family stands for the first protocol of it (fermi, best_response)
    family: dict[int, str] = {}
    for p in PROTOCOLS.values():
        family.setdefault(p.kernel, p.name)

    flags = [t.literal_value if isinstance(t, types.Literal) else 0 for t in sig[8:]]
    if not any(isinstance(t, types.Literal) for t in sig):
        return None
    code, evolving, regular, how, mech_on, _committed, conform, groups, protocol = flags
    mode = "asynchronous" if kernel == "_run_async" else MODES[int(code)]
    mech = (
        "conformity+groups"
        if conform and groups
        else "conformity"
        if conform
        else "mechanisms"
        if mech_on
        else "plain"
    )
    return Variant(mode, bool(evolving), bool(regular), HOWS[int(how)], mech, family[int(protocol)])


def cached() -> list[Variant]:
    """The variants whose kernels the cache holds now (for this numba, normsim, Python
    and kernel source)."""
    import pickle
    from pathlib import Path

    from normsim.engine.cache import cache_root, source_hash

    kernels_py = Path(__file__).with_name("kernels.py")
    folder = cache_root() / f"engine.kernels-{source_hash(kernels_py)[:16]}"
    found: dict[Variant, None] = {}
    for kernel in ("_run", "_run_conform", "_run_async"):
        for index in folder.glob(f"kernels.{kernel}-*.nbi"):
            with open(index, "rb") as fh:
                pickle.load(fh)  # numba's version
                try:
                    _stamp, overloads = pickle.loads(fh.read())
                except Exception:  # an index numba would discard too
                    continue
            for key in overloads:
                v = _variant_of(kernel, key[0])
                if v is not None:
                    found[v] = None
    return sorted(found, key=lambda v: (MODES.index(v.mode), v.name))


def cache_root_text() -> str:
    """Where the cache is, for a report line."""
    from normsim.engine.cache import cache_root

    return f"cache: {cache_root()}"


def warm(variants: Sequence[Variant], jobs: int = 1, *, echo=print) -> int:
    """Compile ``variants`` (those not in the cache); returns how many kernels were compiled."""
    from normsim.engine.cache import cache_root

    t0 = time.perf_counter()
    compiled = 0
    if jobs > 1 and len(variants) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = pool.map(compile_variant, variants)
            for name, n, dt in results:
                compiled += n
                echo(f"  {name}: {'compiled' if n else 'cached'} ({dt:.1f} s)")
    else:
        for v in variants:
            name, n, dt = compile_variant(v)
            compiled += n
            echo(f"  {name}: {'compiled' if n else 'cached'} ({dt:.1f} s)")
    echo(
        f"warm: {len(variants)} variants, {compiled} kernels compiled, in "
        f"{time.perf_counter() - t0:.0f} s (cache: {cache_root()})"
    )
    return compiled


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m normsim.engine.warm``: returns the exit code."""
    ap = argparse.ArgumentParser(
        prog="python -m normsim.engine.warm",
        description="Compile the engine's kernel variants into normsim's cache ahead of "
        "time, so that later runs only load them. Variants already cached "
        "are loaded, not compiled.",
    )
    ap.add_argument(
        "--set",
        choices=sorted(SETS),
        default="plain",
        help="which declared variants: "
        + "; ".join(f"'{k}' ({SET_DOCS[k]})" for k in SETS)
        + " (default: plain)",
    )
    ap.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="only these variants (names as --list prints them)",
    )
    ap.add_argument("--jobs", type=int, default=1, help="processes compiling at once (default 1)")
    ap.add_argument(
        "--list",
        action="store_true",
        help="list the set's variants, each marked cached or not; compile nothing",
    )
    ap.add_argument(
        "--cached", action="store_true", help="list the variants the cache holds; compile nothing"
    )
    args = ap.parse_args(argv)
    if args.jobs < 1:
        print("warm: --jobs must be at least 1", file=sys.stderr)
        return 1
    if args.cached:
        for v in cached():
            print(v.name)
        return 0
    variants = SETS[args.set]
    if args.only:
        names = {v.name: v for v in SETS["all"] + variants}
        unknown = [n for n in args.only if n not in names]
        if unknown:
            print(f"warm: no variant {unknown[0]!r} (see --list --set all)", file=sys.stderr)
            return 1
        variants = [names[n] for n in args.only]
    if args.list:
        have = set(cached())
        for v in variants:
            print(f"{v.name}{'  (cached)' if v in have else ''}")
        print(
            f"{len(variants)} variants, {sum(v in have for v in variants)} cached "
            f"({cache_root_text()})"
        )
        return 0
    warm(variants, min(args.jobs, os.cpu_count() or 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
