"""Ctrl-C at any moment of a ``tanggap`` command (two testers' reports): while its commands
load it printed a traceback ("ImportError: numpy._core.multiarray failed to import", or a
``KeyboardInterrupt`` from typer reading the commands), and once the command had ended it
landed in an exit handler, printed a traceback there and exited 0. Now it ends as typer ends a
command it interrupts: exit 130, quietly; or, once the command is done, its own exit code."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.database_free

TANGGAP = shutil.which("tanggap", path=str(Path(sys.executable).parent))


#: From 0.4 s: a Ctrl-C in Python's own start (before ``cli.run`` has its handler, about 0.1 s
#: here) is Python's to answer; no code of ours runs yet.
@pytest.mark.parametrize("after", [0.4, 0.7, 1.0, 1.5, 2.5])
def test_ctrl_c_at_any_moment_is_exit_130_or_the_command_s_own_end_never_a_traceback(
    tmp_path: Path, after: float
) -> None:
    assert TANGGAP is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANGGAP_")}
    env["TANGGAP_DATABASE_URL"] = f"sqlite:///{tmp_path / 'none.db'}"  # none there: exit 2
    command = subprocess.Popen(
        [TANGGAP, "areas", "list", "--level", "kota"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    time.sleep(after)
    command.send_signal(signal.SIGINT)
    out, err = command.communicate(timeout=60)
    said = (out + err).decode()

    assert "Traceback" not in said and "Exception ignored" not in said
    if command.returncode == 130:  # interrupted, before or during the command
        assert said == ""
    else:  # it had ended: its own answer stands
        assert command.returncode == 2, said
        assert said.startswith("error: no database at"), said
