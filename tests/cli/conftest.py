"""The command line, run in-process against the suite's database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import context
from engine.db import Database


@pytest.fixture
def tanggap(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    monkeypatch.setenv("TANGGAP_DATABASE_URL", database.url)
    monkeypatch.setenv("TANGGAP_MEDIA_DIR", str(tmp_path / "media"))
    context.reset()
    yield CliRunner()
    context.reset()


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 200-column terminal, for tests that read whole cells (tables fold at 80)."""
    monkeypatch.setattr(context.console, "width", 200)
