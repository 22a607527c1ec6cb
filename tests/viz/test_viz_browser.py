"""The browser visualization in a real headless Chromium (Debian's package, driven by playwright).

Under CI (CI set) a missing browser is a failure, not a skip: the test command
installs Chromium with apt-get. Screenshots go to test-artifacts/.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from normsim.viz.measure import CHROMIUM_ARGS, STEP_LOOP, chromium, serve

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def browser():
    exe = chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail(
                "no Chromium found under CI: the test command should have installed it "
                "(bash scripts/setup.sh --test)"
            )
        pytest.skip("Chromium not installed (bash scripts/setup.sh --test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    sc = tmp_path_factory.mktemp("viz") / "viz.yaml"
    sc.write_text(
        "name: viz\ngame: {a: 0.6, b: 0.4, c: 0.6}\n"
        "population: {network: {kind: grid, rows: 50, cols: 50}}\n"
        "schedule: {generations: 400, shocks: [40]}\nseed: 7\n"
    )
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
    pg.on(
        "request",
        lambda r: (
            None
            if r.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:"))
            else pg.outside_requests.append(r.url)
        ),
    )
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
    assert page.outside_requests == []  # every front-end file is served locally


def test_step_advances_counter_and_changes_chart(page):
    counter = page.get_by_text(re.compile(r"^Time: "))
    before = counter.inner_text()
    chart = figures(page).nth(1).get_attribute("src")
    page.evaluate(STEP_LOOP, 3)
    assert counter.inner_text() != before
    # the text panel renders after the figures the step loop waits for
    page.get_by_text(re.compile(r"^Generation 3")).wait_for(timeout=30000)
    assert page.get_by_text(re.compile(r"^Generation 3")).count() == 1
    assert figures(page).nth(1).get_attribute("src") != chart
    shot(page, "viz_stepped")
    assert page.console_errors == []


def slider(pg, label):
    """The slider whose label starts with ``label`` (labels end with the value)."""
    return pg.locator(".v-input", has=pg.locator(".v-slider")).filter(
        has=pg.locator(".v-label", has_text=label)
    )


def test_changing_c_and_reset_takes_effect(page):
    assert page.get_by_text(re.compile(r"c = 0\.6\)")).count() == 1
    c = slider(page, "need for coordination c")
    assert c.locator(".v-label").inner_text() == "need for coordination c: 0.60"
    c.locator("[role=slider]").focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")  # 0.6 -> 0.8 in steps of 0.05
    # the label follows the slider before Reset
    expect(c.locator(".v-label")).to_have_text("need for coordination c: 0.80")
    page.get_by_role("button", name="Reset", exact=True).click()
    page.get_by_text(re.compile(r"c = 0\.8\)")).wait_for(timeout=30000)
    assert page.get_by_text(re.compile(r"^Generation 0")).count() == 1
    shot(page, "viz_reset_c08")
    assert page.console_errors == []


def test_stepping_loop_in_page(page):
    secs = page.evaluate(STEP_LOOP, 10)
    assert secs > 0
    (ARTIFACTS / "viz_rate.txt").write_text(
        f"{10 / secs:.1f} generations per second (stepped and redrawn, 50 x 50 grid)\n"
    )


#: JavaScript for page.evaluate(COUNT_COLOR, [img, [r, g, b]]): pixels of that colour in an image
COUNT_COLOR = """([img, rgb]) => {
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4)
    if (d[i] === rgb[0] && d[i + 1] === rgb[1] && d[i + 2] === rgb[2]) n++;
  return n;
}"""


def test_tab_title_slider_values_and_committed_agents(page):
    from normsim.viz.app import COMMITTED_COLORS

    assert page.title() == "normsim: norm change on a 50 x 50 torus"
    tabs = page.locator(".v-tab").all_inner_texts()
    assert [t.lower() for t in tabs] == ["norms and shares on a 50 x 50 torus"]
    labels = (
        page.locator(".v-input", has=page.locator(".v-slider"))
        .locator(".v-label")
        .all_inner_texts()
    )
    assert len(labels) == 17, labels
    for text in labels:  # every slider shows its value
        assert re.search(r": \d+(\.\d+)?$", text), text
    assert "seed: 7" in labels and "committed fraction: 0.00" in labels

    def committed_pixels():
        img = figures(page).nth(0).element_handle()
        return page.evaluate(COUNT_COLOR, [img, list(COMMITTED_COLORS[1])])

    assert committed_pixels() == 0
    frac = slider(page, "committed fraction")
    frac.locator("[role=slider]").focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")  # 0 -> 0.05 in steps of 0.01
    expect(frac.locator(".v-label")).to_have_text("committed fraction: 0.05")
    page.get_by_role("button", name="Reset", exact=True).click()
    # 125 of the 2,500 agents, holding B (the norm the shock at 40 favours), drawn
    # brown: 8 x 8 pixels each on the 400-pixel lattice
    page.get_by_text(re.compile(r"committed agents: 125 \(5\.0%, random\) holding B")).wait_for(
        timeout=30000
    )
    page.wait_for_function(
        "([img, rgb, want]) => (" + COUNT_COLOR + ")([img, rgb]) === want",
        arg=[figures(page).nth(0).element_handle(), list(COMMITTED_COLORS[1]), 125 * 64],
        timeout=30000,
    )
    page.evaluate(STEP_LOOP, 2)
    assert committed_pixels() == 125 * 64  # committed agents never change
    assert page.get_by_text("Committed agents (holding B) are drawn brown.").count() == 1
    shot(page, "viz_committed")
    # groups: the lattice's halves, each with its c slider, and a black line between
    # them: one pixel column of the 400-pixel lattice, top to bottom
    from normsim.viz.app import BOUNDARY_COLOR

    page.locator(".v-select", has=page.locator(".v-label", has_text="groups")).click()
    page.get_by_role("option", name="halves", exact=True).click()
    expect(slider(page, "c, left half").locator(".v-label")).to_have_text("c, left half: 0.90")
    page.get_by_role("button", name="Reset", exact=True).click()
    page.get_by_text(
        re.compile(r"2 groups \(halves\): left half \(1250 agents\): c = 0\.9")
    ).wait_for(timeout=30000)
    page.wait_for_function(
        "([img, rgb, want]) => (" + COUNT_COLOR + ")([img, rgb]) === want",
        arg=[figures(page).nth(0).element_handle(), list(BOUNDARY_COLOR), 400],
        timeout=30000,
    )
    assert page.get_by_text("Black lines separate the groups.").count() == 1
    shot(page, "viz_groups")
    assert page.console_errors == [], page.console_errors


def test_a_matrix_game_from_the_game_menu(page):
    """The game menu's matrix game shows R, S, T, P fields (and hides a, b, c); the
    entries typed are the game after Reset, and the page steps it."""
    page.locator(".v-select", has=page.locator(".v-label", has_text=re.compile(r"^game$"))).click()
    page.get_by_role("option", name="matrix game: R, S, T, P below", exact=True).click()
    field = page.get_by_label("R: A's payoff against A")
    field.wait_for(timeout=30000)
    assert slider(page, "need for coordination c").count() == 0
    field.fill("5")
    page.get_by_label("S: A's payoff against B").fill("-1")
    page.get_by_role("button", name="Reset", exact=True).click()
    page.get_by_text(re.compile(r"\(R = 5, S = -1, T = 3, P = 2\)")).wait_for(timeout=30000)
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text(re.compile(r"^Generation 1")).wait_for(timeout=30000)
    shot(page, "viz_matrix_game")
    assert page.console_errors == [], page.console_errors
