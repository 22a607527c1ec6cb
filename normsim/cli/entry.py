"""The ``normsim`` command: its parser (each command's options added by its own module),
:func:`main`, and what a stop signal does (the workers stopped, the finished replicates kept,
a cleanup that hangs cut off by a watchdog).

Exit codes: 0 success; 1 invalid input (scenario, option, file); 2 usage
error; 3 some replicates failed (the others are stored); 4 the plots could not
be written (the results are stored and the table or JSON printed); 130, 143,
129 interrupted by Ctrl-C, SIGTERM, SIGHUP (finished replicates are stored).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from normsim import __version__
from normsim.cli import analytic, example, naming, run, studies, viz
from normsim.cli.common import EXIT_INVALID, EXIT_OK, EXIT_USAGE, Parser, Terminated
from normsim.errors import NormsimError

if TYPE_CHECKING:
    from normsim.cli.common import Subparsers

#: what adds each command to the parser, in the order ``normsim --help`` lists them
COMMANDS: tuple[Callable[[Subparsers], None], ...] = (
    analytic.add_analytic,
    run.add_validate,
    run.add_run,
    example.add_example,
    run.add_summary,
    studies.add_sensitivity,
    studies.add_calibrate,
    studies.add_tipping,
    run.add_export,
    naming.add_naming,
    viz.add_viz,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``normsim`` (the documentation's CLI reference is made from it)."""
    p = Parser(
        prog="normsim",
        description=("Simulate and analyse social norm change (De, Nau & Gelfand, AAMAS 2017)."),
    )
    p.add_argument("--version", action="version", version=f"normsim {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for add in COMMANDS:
        add(sub)
    return p


def _on_signal(signum: int, frame) -> None:
    for sig in _STOP_SIGNALS:  # a second signal must not interrupt the cleanup
        signal.signal(sig, signal.SIG_IGN)
    _arm_stop_watchdog(128 + signum)
    raise Terminated(signum)


def _on_interrupt(signum: int, frame) -> None:
    """The command's own process on Ctrl-C: stop as Python does (KeyboardInterrupt), with
    the watchdog armed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # one Ctrl-C stops; the cleanup goes on
    _arm_stop_watchdog(130)
    raise KeyboardInterrupt


#: seconds a stopping command may take to clean up (stop its workers, close its store)
#: before the watchdog ends it
STOP_GRACE = 8.0
_stop = {"armed": False, "reported": False}


def _arm_stop_watchdog(code: int) -> None:
    """After a stop signal, end the process ``STOP_GRACE`` seconds later if it has not ended
    by itself: a process pool's shutdown can wait forever on a queue that a worker left
    locked when it died. The store is consistent whenever it is cut off (SQLite rolls an
    unfinished transaction back); the workers are terminated first, so none is left."""
    if _stop["armed"]:
        return
    _stop["armed"] = True

    def watchdog() -> None:
        time.sleep(STOP_GRACE)
        if not _stop["reported"]:
            sys.stderr.write(
                "normsim: interrupted; worker processes stopped; finished replicates are "
                "stored, run the same command to resume\n"
            )
        _leave_now(code, tidy=False)

    threading.Thread(target=watchdog, name="normsim-stop-watchdog", daemon=True).start()


def _leave_now(code: int, tidy: bool = True) -> None:
    """End a stopped command's own process at once, without the interpreter's shutdown.

    Everything worth keeping is already closed (the store committed, the message out).
    The shutdown itself is what can hang: its garbage collection can run a process
    pool's weakref callback that waits forever for the pool's lock, and by then no
    thread, not even the stop watchdog, runs again. ``tidy`` first releases the pool's
    named semaphores as the shutdown would (else multiprocessing's resource tracker
    warns of them); the watchdog, which ends a cleanup that hangs, skips that."""
    import multiprocessing
    import multiprocessing.util

    for child in multiprocessing.active_children():
        child.terminate()
    finalizers = getattr(multiprocessing.util, "_run_finalizers", None)
    if tidy and finalizers is not None:
        finalizers(0)  # what the shutdown runs first: semaphores unlinked, queues closed
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(code)


_STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``normsim`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    previous = {}
    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread:
        previous = {sig: signal.signal(sig, _on_signal) for sig in _STOP_SIGNALS}
        if argv is None:  # the command's own process (ending with it): Ctrl-C arms the
            signal.signal(signal.SIGINT, _on_interrupt)  # watchdog too
    try:
        code = func(args)
        if argv is None and main_thread:  # the command's process: done, a late Ctrl-C
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # must not become a traceback
        return code
    except NormsimError as e:
        print(f"normsim: error: {e}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt as e:
        if argv is None and main_thread:  # one Ctrl-C stops; the cleanup is not interrupted
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        what = (
            f"stopped by {signal.Signals(e.signum).name}"
            if isinstance(e, Terminated)
            else "interrupted"
        )
        print(
            f"normsim: {what}; worker processes stopped; finished replicates are stored, "
            "run the same command to resume",
            file=sys.stderr,
        )
        _stop["reported"] = True
        code = 128 + e.signum if isinstance(e, Terminated) else 130
        if argv is None and main_thread:
            _leave_now(code)
        return code
    except BrokenPipeError:  # e.g. `normsim validate x.yaml | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
