"""``python -m cli.watchdog PARENT_PID -- COMMAND …``, serve's helper, run by hand (a tester's
report): a PARENT_PID that is no number and a command that does not exist were tracebacks, and a
parent that was not running made it ``killpg(0, …)`` the group of whoever started it, which
killed the tester's shell job. A bad argument is one line, exit 2, nothing started or stopped;
the only group it ever stops is its own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

#: Pure code: the PostgreSQL pass leaves it out (tests/conftest.py).
pytestmark = pytest.mark.database_free

ROOT = Path(__file__).resolve().parents[2]
WATCHDOG = f"{sys.executable} -m cli.watchdog"


def _dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid


def _in_a_group_of_its_own(script: str) -> subprocess.CompletedProcess[str]:
    """``script`` run by ``sh`` leading a session (and group) of its own, as a shell's job:
    what the watchdog does to that group shows in whether the script gets to its end."""
    return subprocess.run(
        ["sh", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
        start_new_session=True,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("parent", "command", "line"),
    [
        ("abc", "true", "error: PARENT_PID must be a process id (a whole number), not 'abc'"),
        ("-1", "true", "error: PARENT_PID must be a process id (a whole number), not '-1'"),
        ("$$", "nonexistent-cmd",
         "error: cannot run 'nonexistent-cmd': No such file or directory"),
        ("{dead}", "echo hi", "error: PARENT_PID {dead} is not running"),
        ("1", "echo hi", "error: PARENT_PID 1 is not the process that started the watchdog "
         "(that is $$)"),
    ],
)  # fmt: skip
def test_watchdog_refuses_a_bad_argument_in_one_line_and_stops_nobody(
    parent: str, command: str, line: str
) -> None:
    dead = str(_dead_pid())
    parent, line = parent.replace("{dead}", dead), line.replace("{dead}", dead)
    # `sleep` beside it is in the shell's group: it must still be there afterwards.
    done = _in_a_group_of_its_own(
        f'sleep 30 & {WATCHDOG} {parent} -- {command}; echo "rc=$?"; '
        f"kill -0 $! && echo 'sleep still running'; echo \"shell=$$\"; kill $!"
    )

    shell = done.stdout.rsplit("shell=", 1)[-1].strip()
    assert done.stdout.splitlines()[:2] == ["rc=2", "sleep still running"], done
    assert done.stderr == line.replace("$$", shell) + "\n"
    assert "hi" not in done.stdout  # the command was not started


def test_watchdog_whose_parent_dies_stops_its_own_group_not_its_callers(tmp_path: Path) -> None:
    """Started from a script (not leading a group), the watchdog stopped the script's whole
    group when its parent died; it stops the command it started, and the script lives on."""
    pidfile = tmp_path / "command.pid"
    done = _in_a_group_of_its_own(
        f"sh -c '{WATCHDOG} $$ -- sh -c \"echo \\$\\$ > {pidfile}; exec sleep 60\"; :' & "
        f"middle=$!; "
        f"while [ ! -s {pidfile} ]; do sleep 0.1; done; "
        f"kill -9 $middle; sleep 2; echo survived"
    )

    assert done.stdout == "survived\n", done
    command = int(pidfile.read_text())
    for _ in range(50):  # the watchdog's SIGTERM to its group reached the command
        try:
            os.kill(command, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the command outlived its watchdog's parent")
