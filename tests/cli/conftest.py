"""The command line, run in-process against the suite's database."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
import typer.main
import typer.testing
from typer._click import Command
from typer.testing import CliRunner

from cli import context
from engine.db import Database


@cache
def _command(app: typer.Typer) -> Command:
    """The click command of ``app``, built once: ``CliRunner.invoke`` otherwise rebuilds the
    whole tree on every call (typer reads every command's signature and evaluates its
    annotations: ~0.1-0.3 s of CPU a call, most of these tests' time). The tree depends only on
    what ``cli.main`` registers at import (the callbacks run as registered, their modules'
    names looked up at call time), and click keeps no state in a command between invocations."""
    return typer.main.get_command(app)


@pytest.fixture
def tanggap(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    monkeypatch.setattr(typer.testing, "_get_command", _command)
    monkeypatch.setenv("TANGGAP_DATABASE_URL", database.url)
    monkeypatch.setenv("TANGGAP_MEDIA_DIR", str(tmp_path / "media"))
    context.reset()
    yield CliRunner()
    context.reset()


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 200-column terminal, for tests that read whole cells (tables fold at 80)."""
    monkeypatch.setattr(context.console, "width", 200)
