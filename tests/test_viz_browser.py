"""The browser visualization in a real headless Chromium (Debian's package, driven by playwright).

Under CI (CI set) a missing browser is a failure, not a skip: the test command
installs Chromium with apt-get. Screenshots go to test-artifacts/.
"""

import os
import re
from pathlib import Path

import pytest

from normsim.viz.measure import CHROMIUM_ARGS, STEP_LOOP, chromium, serve

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def browser():
    exe = chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("no Chromium found under CI: the test command should have installed it "
                        "(bash scripts/setup.sh --test)")
        pytest.skip("Chromium not installed (bash scripts/setup.sh --test installs it)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    sc = tmp_path_factory.mktemp("viz") / "viz.yaml"
    sc.write_text("name: viz\ngame: {a: 0.6, b: 0.4, c: 0.6}\n"
                  "population: {network: {kind: grid, rows: 50, cols: 50}}\n"
                  "schedule: {generations: 400, shocks: [40]}\nseed: 7\n")
    try:
        with serve(sc) as url:
            yield url
    except RuntimeError as e:
        pytest.fail(str(e))


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.console_errors = []
    pg.outside_requests = []
    pg.on("console", lambda m: pg.console_errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
    pg.on("request", lambda r: None if r.url.startswith(
        ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")) else
        pg.outside_requests.append(r.url))
    pg.goto(server)
    pg.get_by_role("button", name="Step", exact=True).wait_for(timeout=90000)
    pg.locator(".v-window-item img").nth(1).wait_for(timeout=60000)
    yield pg
    ctx.close()


def shot(pg, name):
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def figures(pg):
    return pg.locator(".v-window-item img")


def test_page_loads_offline_without_errors_and_renders(page):
    imgs = figures(page)
    assert imgs.count() >= 2
    for k in range(2):
        assert page.evaluate("(el) => el.naturalWidth", imgs.nth(k).element_handle()) > 100
    assert page.get_by_text(re.compile(r"^Generation 0")).count() == 1
    shot(page, "viz_loaded")
    assert page.console_errors == []
    assert page.outside_requests == []        # every front-end file is served locally


def test_step_advances_counter_and_changes_chart(page):
    counter = page.get_by_text(re.compile(r"^Time: "))
    before = counter.inner_text()
    chart = figures(page).nth(1).get_attribute("src")
    page.evaluate(STEP_LOOP, 3)
    assert counter.inner_text() != before
    assert page.get_by_text(re.compile(r"^Generation 3")).count() == 1
    assert figures(page).nth(1).get_attribute("src") != chart
    shot(page, "viz_stepped")
    assert page.console_errors == []


def test_changing_c_and_reset_takes_effect(page):
    assert page.get_by_text(re.compile(r"c = 0\.6\)")).count() == 1
    slider = page.locator(".v-slider").nth(2)     # play interval, render interval, then c
    slider.locator("[role=slider]").focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")         # 0.6 -> 0.8 in steps of 0.05
    page.get_by_role("button", name="Reset", exact=True).click()
    page.get_by_text(re.compile(r"c = 0\.8\)")).wait_for(timeout=30000)
    assert page.get_by_text(re.compile(r"^Generation 0")).count() == 1
    shot(page, "viz_reset_c08")
    assert page.console_errors == []


def test_stepping_loop_in_page(page):
    secs = page.evaluate(STEP_LOOP, 10)
    assert secs > 0
    (ARTIFACTS / "viz_rate.txt").write_text(f"{10 / secs:.1f} generations per second "
                                            "(stepped and redrawn, 50 x 50 grid)\n")
