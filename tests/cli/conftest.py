"""The command line, run in-process against the suite's database."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, cast

import pytest
import typer.main
import typer.testing
from sqlalchemy import CursorResult, func, select, update
from typer._click import Command
from typer.testing import CliRunner

from cli import context
from engine.db import Database
from engine.models import Staff


@cache
def _command(app: typer.Typer) -> Command:
    """The click command of ``app``, built once: ``CliRunner.invoke`` otherwise rebuilds the
    whole tree on every call (typer reads every command's signature and evaluates its
    annotations: ~0.1-0.3 s of CPU a call, most of these tests' time). The tree depends only on
    what ``cli.main`` registers at import (the callbacks run as registered, their modules'
    names looked up at call time), and click keeps no state in a command between invocations."""
    return typer.main.get_command(app)


def newest_staff_id(database: Database) -> int:
    """The staff table's highest id (0 while it is empty)."""
    with database.reading() as session:
        return session.scalar(select(func.max(Staff.id))) or 0


def deactivate_staff_after(database: Database, newest: int) -> int:
    """Deactivate every member still active whose id is above ``newest``; how many were. A plain
    UPDATE of the flag (no hand-back of tickets, no mail): deleting them fails on the rows that
    name them (tickets, timeline, keys)."""
    with database.transaction() as session:
        done = session.execute(
            update(Staff).where(Staff.id > newest, Staff.active.is_(True)).values(active=False)
        )
    return cast(CursorResult[Any], done).rowcount


@pytest.fixture(autouse=True)
def _output_piped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each CLI test reads the output a pipe gets, unless it sets ``COLUMNS`` itself: pytest-xdist
    workers run with ``COLUMNS=80``, which the CLI takes for a terminal's width (tables folded to
    it), so a test read other output under ``pytest -n auto`` than under plain ``pytest``."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)


@pytest.fixture(autouse=True)
def _staff_added_leave(request: pytest.FixtureRequest) -> Iterator[None]:
    """No staff member a CLI test adds outlives it: members it committed to the suite's database
    (``staff add``, ``add_staff``), in the test or in its function-scoped fixtures, are
    deactivated after it. The suite's database outlives each test, and a member left active
    there acted on later tests: an active supervisor of DBM was sent the daily digest another
    file's test expected for its own supervisor alone.

    The staff table's highest id is noted before the test. Module- and session-scoped fixtures
    are set up before any function-scoped one (pytest sorts a test's fixtures by scope), so the
    members they add for several tests are older than the note and stay. A test that never
    uses the suite's ``database`` (a fresh SQLite file of its own, a subprocess) is left alone:
    nothing of it can be there, and asking for it would create that database for nothing."""
    if "database" not in request.fixturenames:
        yield
        return
    database: Database = request.getfixturevalue("database")
    newest = newest_staff_id(database)
    yield
    deactivate_staff_after(database, newest)


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
