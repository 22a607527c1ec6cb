"""A wheel and an sdist build, and the wheel works without the repository.

The wheel (built from the sdist, so the sdist is complete too) is installed with its
browser extra into a fresh virtual environment outside the repository; there
``normsim example`` lists the packaged scenarios, ``normsim example quickstart`` runs
one, and ``normsim viz`` serves the browser page. pip installs the dependencies from
its usual index (its cache makes a second run faster).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import urllib.request
import zipfile
from pathlib import Path

import pytest

import normsim
from normsim import examples

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _run(cmd, **kw):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, **kw)


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    proc = _run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", out, ROOT],
        cwd=ROOT,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    wheels = list(out.glob("normsim-*.whl"))
    sdists = list(out.glob("normsim-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1
    return wheels[0], sdists[0]


@pytest.fixture(scope="module")
def venv(dist, tmp_path_factory):
    wheel, _ = dist
    where = tmp_path_factory.mktemp("fresh")
    assert ROOT not in where.parents
    env_dir = where / "venv"
    proc = _run([sys.executable, "-m", "venv", env_dir], timeout=300)
    assert proc.returncode == 0, proc.stderr
    py = env_dir / "bin" / "python"
    proc = _run(
        [
            py,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-compile",
            "--disable-pip-version-check",
            f"{wheel}[viz]",
        ],
        cwd=where,
        timeout=1500,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    work = where / "work"
    work.mkdir()
    return env_dir, work


def test_wheel_and_sdist_carry_the_package_and_its_data(dist):
    wheel, sdist = dist
    assert wheel.name == f"normsim-{normsim.__version__}-py3-none-any.whl"
    names = set(zipfile.ZipFile(wheel).namelist())
    for ex in examples.names():
        assert f"normsim/examples/{ex}.yaml" in names
    assert "normsim/viz/app.py" in names
    meta = zipfile.ZipFile(wheel).read(f"normsim-{normsim.__version__}.dist-info/METADATA").decode()
    assert re.search(r"^Provides-Extra: viz$", meta, re.M)
    assert "Requires-Dist: mesa" in meta
    members = tarfile.open(sdist).getnames()
    top = f"normsim-{normsim.__version__}"
    for path in [
        "pyproject.toml",
        "README.md",
        "CITATION.cff",
        "CHANGELOG.md",
        "normsim/examples/quickstart.yaml",
        "normsim/viz/app.py",
    ]:
        assert f"{top}/{path}" in members, path


def test_installed_wheel_runs_a_packaged_example(venv):
    env_dir, work = venv
    bin_ = env_dir / "bin"
    where = _run([bin_ / "python", "-c", "import normsim; print(normsim.__file__)"], cwd=work)
    assert Path(where.stdout.strip()).is_relative_to(env_dir), where.stdout  # not the clone
    listing = _run([bin_ / "normsim", "example", "--list"], cwd=work, timeout=300)
    assert listing.returncode == 0, listing.stderr
    assert "quickstart" in listing.stdout and "fig6_norm_change" in listing.stdout
    proc = _run([bin_ / "normsim", "example", "quickstart"], cwd=work, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "quickstart: 3 condition(s); ran 60 replicate(s)" in proc.stdout
    for f in ("results.sqlite", "shares.png", "inertia.png"):
        assert (work / "results" / "quickstart" / f).is_file(), f
    out = _run(
        [bin_ / "normsim", "example", "quickstart", "--out", "elsewhere", "--runs", "2"],
        cwd=work,
        timeout=900,
    )
    assert out.returncode == 0 and (work / "elsewhere" / "results.sqlite").is_file()


def test_installed_wheel_serves_the_browser_page(venv):
    env_dir, work = venv
    from normsim.viz.measure import CHROMIUM_ARGS, chromium, serve

    with serve(python=env_dir / "bin" / "python", cwd=work, timeout=300) as url:
        html = urllib.request.urlopen(url, timeout=30).read().decode()
        assert "solara" in html.lower()
        exe = chromium()
        if exe is None:
            if os.environ.get("CI"):
                pytest.fail("no Chromium under CI (bash scripts/setup.sh --test installs it)")
            return  # the page is served; the browser check needs Chromium
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            outside, errors = [], []
            local = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")
            page.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)
            page.get_by_role("button", name="Step", exact=True).wait_for(timeout=120000)
            imgs = page.locator(".v-window-item img")
            imgs.nth(1).wait_for(timeout=60000)
            page.get_by_role("button", name="Step", exact=True).click()
            page.get_by_text(re.compile(r"^Generation 1")).wait_for(timeout=60000)
            assert page.evaluate("(el) => el.naturalWidth", imgs.nth(0).element_handle()) > 100
            browser.close()
        assert outside == [] and errors == []
