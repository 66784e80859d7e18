"""The operator command line ``tanggap``: the one place that composes engine, api and workflows."""

from __future__ import annotations

import os
import signal
from types import FrameType

#: The exit code of a command Ctrl-C ended (typer's, and the shell's: 128 + SIGINT).
_INTERRUPTED = 130


def _abort_while_loading(_signum: int, _frame: FrameType | None) -> None:
    """Ctrl-C before the command runs: nothing is open or written yet, so leave at once, as
    typer leaves a command it interrupts (exit 130, the shell's code for SIGINT). Raised as
    ``KeyboardInterrupt`` instead, it surfaced inside whatever was being imported (numpy turns
    it into "ImportError: numpy._core.multiarray failed to import") or built, with a traceback."""
    os._exit(_INTERRUPTED)


def run() -> None:
    """The ``tanggap`` command (``pyproject.toml``): a Ctrl-C at any moment ends it as typer
    ends a command it interrupts — exit 130, quietly — never with a traceback.

    - While the commands load (about two seconds: SQLAlchemy, shapely, the engine's models,
      typer reading every command's signature), ``_abort_while_loading``.
    - While the command runs, Python's ``KeyboardInterrupt``: transactions roll back, and
      typer exits 130.
    - Once the command has ended, Ctrl-C is ignored: the command's own exit code stands (it
      used to land in an exit handler, print a traceback there and exit 0)."""
    running = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, _abort_while_loading)
    try:
        import typer.main

        from cli.main import app

        command = typer.main.get_command(app)
    except KeyboardInterrupt:  # raised, not signalled: the same end
        raise SystemExit(_INTERRUPTED) from None
    signal.signal(signal.SIGINT, running)
    try:
        command()
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
