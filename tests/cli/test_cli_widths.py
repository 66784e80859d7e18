"""Output at any ``COLUMNS``: run as a process, since the consoles read it when they are made."""

from __future__ import annotations

import os
import re
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


def _piped(database: Database, *argv: str) -> subprocess.CompletedProcess[str]:
    """``argv`` written to a pipe, with no ``COLUMNS``: each row one line, nothing folded."""
    env = {name: value for name, value in os.environ.items() if name != "COLUMNS"}
    env["TANGGAP_DATABASE_URL"] = database.url
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *argv],
        env=env, capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip


def _words(output: str) -> set[str]:
    return set(output.split())


def _values(piped: str) -> set[str]:
    """The words of ``piped`` less its tables' headers (a block leaves out an empty column's)."""
    lines = piped.splitlines()
    ruled = {i for i, line in enumerate(lines) if line and not line.strip("─ ")}
    kept = [line for i, line in enumerate(lines) if i not in ruled and i + 1 not in ruled]
    return _words("\n".join(kept))


@pytest.mark.parametrize("columns", ["0", "80", "70", "50", "40", "20", "5"])
def test_cli_every_table_keeps_every_word_time_code_and_email_whole(
    database: Database, report_committed: Callable[..., Ticket], columns: str
) -> None:
    """A tester's report: at COLUMNS=70 ``keys list`` printed ``2026-12-0`` above ``2 22:31``
    and ``budi@dbm.`` above ``example``; at COLUMNS=0 ``areas list``, ``keys list`` and
    ``catalogue show policies`` split "Administras|i" and e-mails, where ``ticket list`` went to
    one record per block. Every table-printing command follows one rule: the table if every
    word of it fits whole, else one record per block; no word is ever split across lines."""
    code = report_committed(now=NOW).code
    member = f"budi-{uuid.uuid4().hex[:6]}@dbm.example"
    with database.transaction() as session:
        add_staff(session, email=member, name="Budi Santoso", role="staff", agency="DBM", now=NOW)
    made = _piped(database, "keys", "create", "--role", "staff", "--staff", member, "--name", "x")
    assert made.returncode == 0, made
    commands = [
        ("keys", "list"),
        ("areas", "list"),
        ("staff", "list"),
        ("ticket", "list", "--limit", "1000"),
        ("ticket", "show", code),
        ("sla", "check", code),
        ("outbox", "list", "--limit", "1000"),
        ("escalations", "list", "--limit", "1000"),
        *(("catalogue", "show", what) for what in ("areas", "agencies", "categories", "policies")),
    ]
    width = int(columns) or 80  # 0 is no width: laid out at the default 80
    for argv in commands:
        piped = _piped(database, *argv)
        shown = _run(database, columns, *argv)
        assert (piped.returncode, shown.returncode, shown.stderr) == (0, 0, ""), (argv, shown)
        # Every word of the one-line rows is a word of what the terminal shows: none split.
        missing = _values(piped.stdout) - _words(shown.stdout)
        assert not missing, (argv, sorted(missing)[:10], shown.stdout)
        if width >= 40:  # room for every label and value: nothing past the terminal's edge
            assert max(map(len, shown.stdout.splitlines())) <= width, (argv, shown.stdout)

    keys = _run(database, columns, "keys", "list").stdout
    assert member in keys.split(), keys
    created = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d", _piped(database, "keys", "list").stdout)
    assert created and all(moment in keys for moment in created), keys
    if width <= 70:  # too narrow for the keys table whole: one record per block
        assert re.search(rf"\nstaff\s+{re.escape(member)}\n", "\n" + keys), keys
        assert re.search(r"\ncreated\s+\d{4}-\d\d-\d\d \d\d:\d\d\n", keys), keys
