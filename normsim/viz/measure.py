"""Driving the visualization page from a real browser: serving it and stepping it.

Used by the browser tests and ``benchmarks/bench_viz.py``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

#: Debian's Chromium, headless and quiet on a closed network
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

#: JavaScript for page.evaluate(STEP_LOOP, n) that clicks Step n times, each time waiting
#: until both figures (network and chart) have changed; returns the seconds taken
STEP_LOOP = """async (n) => {
  const step = [...document.querySelectorAll('button')]
      .find(b => b.innerText.trim().toUpperCase() === 'STEP');
  const srcs = () => [...document.querySelectorAll('.v-window-item img')].map(i => i.src);
  const t0 = performance.now();
  for (let k = 0; k < n; k++) {
    const before = srcs();
    step.click();
    await new Promise((resolve, reject) => {
      const done = () => { const now = srcs();
        return now.length >= 2 && now[0] !== before[0] && now[1] !== before[1]; };
      const obs = new MutationObserver(() => { if (done()) { obs.disconnect(); resolve(); } });
      obs.observe(document.body, {subtree: true, attributes: true, childList: true});
      setTimeout(() => { obs.disconnect(); reject(new Error('figures did not change')); }, 20000);
    });
  }
  return (performance.now() - t0) / 1000;
}"""


def chromium() -> str | None:
    """Path of the system Chromium, if installed."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(
    scenario: str | Path | None = None,
    timeout: float = 120,
    python: str | Path | None = None,
    cwd: str | Path | None = None,
) -> Iterator[str]:
    """Run ``normsim viz`` on a free local port; yield its URL; stop it afterwards.

    ``python`` is the interpreter to run it with (default this one; the wheel test
    passes a fresh virtual environment's), ``cwd`` its working directory."""
    port = free_port()
    cmd = [str(python or sys.executable), "-m", "normsim", "viz", "--port", str(port)]
    if scenario:
        cmd.insert(4, str(scenario))
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        cwd=cwd,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + timeout
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                if proc.poll() is not None:
                    assert proc.stdout is not None  # stdout=PIPE
                    raise RuntimeError("normsim viz exited: " + proc.stdout.read()) from None
                if time.time() > deadline:
                    raise RuntimeError("normsim viz did not start") from None
                time.sleep(0.5)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=30)
