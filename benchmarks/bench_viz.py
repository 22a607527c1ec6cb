"""Browser visualization speed: generations per second stepped and redrawn in Chromium.

    .venv/bin/python benchmarks/bench_viz.py [--steps 40]

Serves the page (50 x 50 torus, reference mode), steps it in a loop inside the
page (click Step, wait until both the lattice and the chart images changed)
and prints one JSON line. The baseline in the same run is the server-side
cost alone: a model step plus both figures rendered in Python, without the
browser; ``browser_overhead`` is the ratio of the two.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from normsim.viz.measure import CHROMIUM_ARGS, STEP_LOOP, chromium, serve


def server_side_rate(steps: int) -> float:
    from normsim.viz.app import VizModel, chart_png, info_markdown, network_png

    m = VizModel(c=0.6, side=50, shock_at=40, seed=7)
    t0 = time.perf_counter()
    for _ in range(steps):
        m.step()
        network_png(m)
        chart_png(m)
        info_markdown(m)
    return steps / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=40)
    args = ap.parse_args()
    exe = chromium()
    if exe is None:
        raise SystemExit("no Chromium: bash scripts/setup.sh --test installs it")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as d:
        sc = Path(d) / "viz.yaml"
        sc.write_text(
            "name: viz\ngame: {a: 0.6, b: 0.4, c: 0.6}\n"
            "population: {network: {kind: grid, rows: 50, cols: 50}}\n"
            "schedule: {generations: 1000, shocks: [40]}\nseed: 7\n"
        )
        with serve(sc) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.get_by_role("button", name="Step", exact=True).wait_for(timeout=90000)
            page.locator(".v-window-item img").nth(1).wait_for(timeout=60000)
            page.evaluate(STEP_LOOP, 3)  # warm up
            secs = page.evaluate(STEP_LOOP, args.steps)
            browser.close()
    rate = args.steps / secs
    base = server_side_rate(args.steps)
    print(
        json.dumps(
            {
                "case": "viz 50x50 torus, reference",
                "steps": args.steps,
                "seconds": round(secs, 2),
                "generations_per_s": round(rate, 1),
                "server_side_generations_per_s": round(base, 1),
                "browser_overhead": round(base / rate, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
