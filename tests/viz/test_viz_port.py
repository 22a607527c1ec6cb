"""The browser page's port and host: a busy port is one line before serving, and a host
other than the loopback warns that the page has no authentication."""

import os
import select
import signal
import socket
import subprocess
import sys

import pytest

from support.clirun import normsim_process
from support.hostile_helpers import one_line_error


@pytest.mark.slow
def test_busy_port_is_one_line_before_serving():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = normsim_process("viz", "--port", port, timeout=120)
    one_line_error(r, rf"--port {port}: already in use on 127\.0\.0\.1")
    assert "serving" not in r.stdout


@pytest.mark.slow
@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_non_loopback_host_warns_about_no_authentication(host):
    if host == "::" and not socket.has_ipv6:
        pytest.skip("no IPv6")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        try:
            s.bind((host, 0))
        except OSError:
            pytest.skip(f"cannot bind {host} here")
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "normsim", "viz", "--host", host, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        ready, _, _ = select.select([proc.stderr], [], [], 120)
        assert ready, "no warning within 120 s"
        line = proc.stderr.readline()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    assert (
        f"warning: --host {host} makes the page reachable from the network, and it has no "
        f"authentication: anyone who can reach port {port} can use it"
    ) in line


def test_loopback_hosts_do_not_warn():
    from normsim.cli.viz import _loopback

    assert _loopback("127.0.0.1") and _loopback("localhost") and _loopback("::1")
    assert not _loopback("0.0.0.0") and not _loopback("::")
