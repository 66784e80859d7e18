"""What every command needs: settings, the database, the clock, and one way to fail."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import typer
from rich.console import Console

from engine.environment import database, settings
from engine.errors import TanggapError
from engine.photos import LocalMediaStorage

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

__all__ = ["console", "database", "err_console", "now", "reported_errors", "settings", "storage"]


def storage() -> LocalMediaStorage:
    return LocalMediaStorage(settings().media_dir)


def now() -> datetime:
    """The only clock read of the command line; everything below gets ``now`` passed in."""
    return datetime.now(UTC)


@contextmanager
def reported_errors() -> Iterator[None]:
    """Domain errors become one clear message on stderr and a non-zero exit code."""
    try:
        yield
    except TanggapError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}", soft_wrap=True)
        raise typer.Exit(code=2) from None
    except FileNotFoundError as exc:
        err_console.print(f"[red]error:[/red] no such file: {exc.filename}")
        raise typer.Exit(code=2) from None
    finally:
        sys.stdout.flush()
