"""``python -m cli.watchdog PARENT_PID -- COMMAND …``: run COMMAND, and stop it and everything it
started when the process PARENT_PID dies, however it dies (SIGKILL included).

``tanggap serve`` starts each part (Prefect server, flows, HTTP app) through this, as the leader of
its own process group. The kernel tells us when the parent dies (``PR_SET_PDEATHSIG``: SIGTERM to
this process); we then pass SIGTERM to the whole group, wait a little and SIGKILL what is left —
a Prefect server's or runner's own children included, which a death signal on the part alone
would not reach. While the parent lives, a SIGTERM is its ``killpg`` and has reached the whole
group already: we only wait for the command and leave with its status.

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


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        sys.stderr.write("usage: python -m cli.watchdog PARENT_PID -- COMMAND …\n")
        return 2
    parent = int(argv[0])
    watch_parent()
    orphaned = os.getppid() != parent  # died before the request above took effect
    signalled: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        signalled.append(signum)

    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, on_signal)
    command = subprocess.Popen(argv[2:])
    stop_by = None
    while True:
        status = command.poll()
        if status is not None:
            break
        if stop_by is None and (orphaned or os.getppid() != parent):
            # The parent is gone: nobody else will stop this group.
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            os.killpg(0, signal.SIGTERM)
            stop_by = time.monotonic() + GRACE_SECONDS
        if stop_by is not None and time.monotonic() > stop_by:
            break
        time.sleep(0.2)
    if os.getppid() != parent or orphaned:
        # Whatever the command left in the group (its own children), then ourselves.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.killpg(0, signal.SIGKILL)
    return status if status is not None and status >= 0 else 128 - (status or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
