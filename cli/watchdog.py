"""``python -m cli.watchdog PARENT_PID -- COMMAND …``: run COMMAND, and stop it and everything it
started when the process PARENT_PID dies, however it dies (SIGKILL included).

``tanggap serve`` starts each part (Prefect server, flows, HTTP app) through this, as the leader of
its own process group. The kernel tells us when the parent dies (``PR_SET_PDEATHSIG``: SIGTERM to
this process); we then pass SIGTERM to the whole group, wait a little and SIGKILL what is left —
a Prefect server's or runner's own children included, which a death signal on the part alone
would not reach. While the parent lives, a SIGTERM is its ``killpg`` and has reached the whole
group already: we only wait for the command and leave with its status.

It only ever signals a process group it leads: started by serve it leads a session of its own;
started otherwise (by hand, from a script) it first makes a group of its own, so that the
caller's group (a shell, its job) is never what it stops. PARENT_PID must be the process that
started it, running: anything else (a pid that is not a number, a parent already gone, another
process) is one line on stderr and exit 2, with the command not started and nothing stopped; so
is a command that cannot be run.

Kept free of imports beyond the standard library: it runs once per part, before the part.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from types import FrameType

PR_SET_PDEATHSIG = 1
#: How long the command may take to stop after its parent died, before SIGKILL.
GRACE_SECONDS = 10.0


def watch_parent() -> None:
    """Ask the kernel for SIGTERM when our parent dies (Linux; elsewhere the poll below)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


USAGE = "usage: python -m cli.watchdog PARENT_PID -- COMMAND …"


class Refused(Exception):
    """A bad argument: said in one line, exit 2, nothing started or stopped."""


def _shown(value: str) -> str:
    return repr(value[:40])  # quoted, control characters escaped


def checked_parent(value: str) -> int:
    """PARENT_PID as a number, which must be this process's parent, still running."""
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise Refused(f"PARENT_PID must be a process id (a whole number), not {_shown(value)}")
    parent = int(value)
    if os.getppid() != parent:
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            raise Refused(f"PARENT_PID {parent} is not running") from None
        except PermissionError:
            pass
        raise Refused(
            f"PARENT_PID {parent} is not the process that started the watchdog "
            f"(that is {os.getppid()})"
        )
    return parent


def own_group() -> None:
    """Lead a process group of our own (unless we do already): ``killpg(0, …)`` below then
    reaches this process and what it started, never the group of whoever started it."""
    if os.getpgrp() != os.getpid():
        os.setpgid(0, 0)


def stop_group(sig: signal.Signals) -> None:
    """``sig`` to the group this process leads (only ever that one)."""
    if os.getpgrp() == os.getpid():
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.killpg(0, sig)


def main(argv: list[str]) -> int:
    try:
        return run(argv)
    except Refused as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2


def run(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        raise Refused(USAGE)
    parent = checked_parent(argv[0])
    own_group()
    watch_parent()
    if os.getppid() != parent:
        # The parent died before the request above took effect: the command is not started
        # (nobody would stop it); nothing else of ours runs.
        raise Refused(f"PARENT_PID {parent} stopped before the command started")
    signalled: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        signalled.append(signum)

    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, on_signal)
    try:
        command = subprocess.Popen(argv[2:])
    except OSError as exc:  # not found, not executable, a directory …
        why = exc.strerror or type(exc).__name__
        raise Refused(f"cannot run {_shown(argv[2])}: {why}") from None
    stop_by = None
    while True:
        status = command.poll()
        if status is not None:
            break
        if stop_by is None and os.getppid() != parent:
            # The parent is gone: nobody else will stop this group.
            stop_group(signal.SIGTERM)
            stop_by = time.monotonic() + GRACE_SECONDS
        if stop_by is not None and time.monotonic() > stop_by:
            break
        time.sleep(0.2)
    if os.getppid() != parent:
        # Whatever the command left in the group (its own children), then ourselves.
        stop_group(signal.SIGKILL)
    return status if status is not None and status >= 0 else 128 - (status or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
