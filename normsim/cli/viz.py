"""``normsim viz``: serve the browser page of the model (:mod:`normsim.viz.app`)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from normsim.cli.common import EXIT_OK, Terminated, data_root_option, number
from normsim.errors import NormsimError

if TYPE_CHECKING:
    from normsim.cli.common import Subparsers


def add_viz(sub: Subparsers) -> None:
    """The ``viz`` command and its options."""
    vz = sub.add_parser(
        "viz",
        help="open the Mesa browser visualization",
        description=(
            "Serve the browser page of the Mesa model (network coloured by "
            "norm with committed agents marked, live shares chart with the best "
            "available theory, controls for c, exploration, beta, a, b, "
            "network, update mode, shocks, seed, committed fraction, placement "
            "and norm, conformity, a threat, and groups with their own c: the "
            "lattice's halves or the scenario's groups, with boundaries drawn "
            "and a share per group charted) with the scenario's parameters "
            "(its first condition, its groups too) as defaults. Works offline."
        ),
    )
    vz.add_argument("scenario", metavar="SCENARIO.yaml", nargs="?", help="defaults from here")
    vz.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to serve on (default 127.0.0.1; another address makes the "
        "page reachable from the network, with no authentication)",
    )
    vz.add_argument("--port", default="8765", help="port (default 8765)")
    data_root_option(vz)
    vz.set_defaults(func=cmd_viz)


def cmd_viz(args: argparse.Namespace) -> int:
    """``normsim viz``: serve the SolaraViz browser page (blocks until stopped)."""
    import subprocess
    from pathlib import Path

    try:
        import solara  # noqa: F401
        from mesa.visualization import SolaraViz  # noqa: F401
    except ImportError:
        raise NormsimError(
            "normsim viz needs the visualization extras: '.venv/bin/pip install -e \".[viz]\"'"
        ) from None
    port = int(number("--port", args.port, low=1, high=65535))
    if not _port_free(args.host, port):  # before anything claims to be serving
        raise NormsimError(
            f"--port {port}: already in use on {args.host} (another program, or "
            "an earlier normsim viz, is serving there); choose another --port"
        )
    if not _loopback(args.host):
        print(
            f"normsim viz: warning: --host {args.host} makes the page reachable from the "
            f"network, and it has no authentication: anyone who can reach port {port} can "
            "use it and run simulations on this machine",
            file=sys.stderr,
            flush=True,
        )
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False")
    if args.scenario:
        from normsim.viz.params import DATA_ROOTS_ENV, defaults_from_scenario

        roots = args.data_root or ()
        defaults_from_scenario(args.scenario, roots)  # a bad scenario: one line, exit 1
        env["NORMSIM_VIZ_SCENARIO"] = str(Path(args.scenario).resolve())
        env[DATA_ROOTS_ENV] = os.pathsep.join(str(Path(r).resolve()) for r in roots)
    app = Path(__file__).resolve().parents[1] / "viz" / "app.py"
    print(f"normsim viz: serving on http://{args.host}:{port}/ (Ctrl-C to stop)", flush=True)
    cmd = [
        sys.executable,
        "-m",
        "solara",
        "run",
        str(app),
        "--host",
        args.host,
        "--port",
        str(port),
        "--production",
        "--no-open",
    ]
    try:
        return subprocess.call(cmd, env=env)  # the server is killed if this is interrupted
    except KeyboardInterrupt as e:
        if isinstance(e, Terminated):
            raise
        return EXIT_OK


def _addresses(host: str, port: int | None = None) -> list:
    import socket

    try:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise NormsimError(
            f"--host: cannot serve on {host!r}: {getattr(e, 'strerror', None) or e}"
        ) from None


def _port_free(host: str, port: int) -> bool:
    """Whether a server can listen on ``host:port`` now (a bind test, as the server does it)."""
    import errno
    import socket

    family, kind, proto, _, addr = _addresses(host, port)[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            sock.bind(addr)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                return False
            if e.errno == errno.EACCES:
                raise NormsimError(
                    f"--port {port}: not allowed to serve there (ports below "
                    "1024 need privileges); choose another --port"
                ) from None
            raise NormsimError(f"--host {host}: cannot serve there: {e.strerror or e}") from None
    return True


def _loopback(host: str) -> bool:
    """Whether every address ``host`` stands for is a loopback address (this machine only)."""
    import ipaddress

    try:
        return all(
            ipaddress.ip_address(a[4][0].split("%")[0]).is_loopback for a in _addresses(host)
        )
    except ValueError:
        return False
