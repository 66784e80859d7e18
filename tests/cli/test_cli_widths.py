"""Output at any ``COLUMNS``: run as a process, since the consoles read it when they are made."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.db import Database
from engine.models import Ticket
from engine.staff import add_staff

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)


def _run(database: Database, columns: str, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TANGGAP_DATABASE_URL": database.url, "COLUMNS": columns}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


@pytest.mark.parametrize("columns", ["0", "000", "7"])
def test_cli_a_zero_or_tiny_width_still_prints_every_table_and_error(
    database: Database, report_committed: Callable[..., Ticket], columns: str
) -> None:
    """A tester's report: with COLUMNS=0 ``ticket list``, ``catalogue show categories`` and
    ``staff list`` printed nothing at all, exit 0 (rich took 0 for the width), and an error
    printed nothing either. 0 is ignored as any width that is no width (the default 80); a
    width too small gets one record per block, every word whole."""
    code = report_committed(now=NOW).code
    member = f"b{uuid.uuid4().hex[:6]}@x.id"  # short: never folded
    with database.transaction() as session:
        add_staff(session, email=member, name="Budi", role="staff", agency="DBM", now=NOW)

    listed = _run(database, columns, "ticket", "list", "--limit", "1000")
    categories = _run(database, columns, "catalogue", "show", "categories")
    staff = _run(database, columns, "staff", "list")
    missing = _run(database, columns, "ticket", "show", "JKT-XXXX-XXXX")

    assert listed.returncode == categories.returncode == staff.returncode == 0
    assert code in listed.stdout, listed
    assert "broken_road" in categories.stdout and "DBM" in categories.stdout, categories
    assert member in staff.stdout, staff
    assert (missing.returncode, missing.stderr) == (2, "error: no ticket with code JKT-XXXX-XXXX\n")
    if int(columns) == 0:  # laid out as with no usable COLUMNS: 80 wide, a table a table
        assert staff.stdout == _run(database, "80", "staff", "list").stdout
    else:  # one record per block: a line per column, its header first
        assert "\ncode     broken_road\n" in categories.stdout, categories.stdout
        assert f"\ne-mail {member}\n" in staff.stdout, staff.stdout
