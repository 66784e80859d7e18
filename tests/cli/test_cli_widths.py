"""Output at any ``COLUMNS``: run as a process, since the consoles read it when they are made."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.context import UNIT
from cli.main import app
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
        # "\n" before the output: the member's block is the first when its e-mail sorts first.
        assert "\ncode     broken_road\n" in "\n" + categories.stdout, categories.stdout
        assert f"\ne-mail {member}\n" in "\n" + staff.stdout, staff.stdout


def _piped(database: Database, *argv: str) -> subprocess.CompletedProcess[str]:
    """``argv`` written to a pipe, with no ``COLUMNS``: no terminal, each row one line."""
    env = {name: value for name, value in os.environ.items() if name != "COLUMNS"}
    env["TANGGAP_DATABASE_URL"] = database.url
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *argv],
        env=env, capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip


#: A moment as the CLI shows it, in a listing or in ``ticket show``: never cut.
MOMENT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d|\w{3} \d\d \w{3} \d{4} \d\d:\d\d")

#: A span (``0h 28m`` left, elapsed): it moves with the clock between two runs of a command.
SPAN_WORD = re.compile(r"\(?-?\d+[dhm]\)?,?")


def _values(piped: str) -> set[str]:
    """The words of ``piped`` less its tables' headers (a block leaves out an empty column's)
    and the spans that move with the clock."""
    lines = piped.splitlines()
    ruled = {i for i, line in enumerate(lines) if line and not line.strip("─ ")}
    kept = " ".join(line for i, line in enumerate(lines) if i not in ruled and i + 1 not in ruled)
    return {word for word in kept.split() if not SPAN_WORD.fullmatch(word)}


@pytest.fixture
def tables(
    database: Database, report_committed: Callable[..., Ticket], tanggap: CliRunner
) -> tuple[str, str]:
    """A ticket with an officer whose e-mail is longer than a narrow terminal, a key of theirs,
    its ticket on hold (a time under ``on hold since``), escalations and their mail; the
    ticket's code and the officer's e-mail."""
    code = report_committed(now=NOW, category="digital_service_issue").code
    officer = f"siti.rahmawati-{uuid.uuid4().hex[:6]}@dinas-komunikasi-informatika.example"
    steps = [
        ["staff", "add", officer, "--name", "Siti Rahmawati", "--agency", "DISKOMINFOTIK"],
        ["keys", "create", "--role", "staff", "--staff", officer, "--name", "Siti's dashboard"],
        ["ticket", "act", code, "verify", "--as", officer],
        ["ticket", "act", code, "assign", "--as", officer, "--officer", officer],
        ["ticket", "act", code, "start", "--as", officer],
        ["ticket", "act", code, "hold", "--as", officer, "--note", "menunggu vendor aplikasi"],
        ["sweep", "--once"],  # the report is months old: escalations, and their mail
    ]
    for argv in steps:
        done = tanggap.invoke(app, argv)
        assert done.exit_code == 0, (argv, done.output)
    return code, officer


#: Every command that prints a table (``show_table``, through ``print_rows`` or not), with the
#: key of its first column in ``--json`` (None: no ``--json``).
TABLES: list[tuple[tuple[str, ...], str | None]] = [
    (("keys", "list"), "prefix"),
    (("staff", "list"), "email"),
    (("areas", "list"), "code"),
    (("areas", "list", "--level", "kecamatan"), "code"),
    (("ticket", "list", "--officer", "{officer}"), "code"),
    (("ticket", "show", "{code}"), None),
    (("sla", "check", "{code}"), None),
    (("outbox", "list", "--ticket", "{code}"), "id"),
    (("escalations", "list", "--ticket", "{code}"), "ticket"),
    (("catalogue", "show", "areas"), "code"),
    (("catalogue", "show", "agencies"), "code"),
    (("catalogue", "show", "categories"), "code"),
    (("catalogue", "show", "policies"), "code"),
]


@pytest.mark.parametrize(("command", "first"), TABLES, ids=[" ".join(c) for c, _f in TABLES])
def test_cli_every_table_keeps_codes_times_prefixes_emails_and_words_whole(
    database: Database, tables: tuple[str, str], command: tuple[str, ...], first: str | None
) -> None:
    """A tester's report: ``ticket list`` went to one record per block where its codes and
    times would not fit whole, but ``keys list`` printed ``budi.santoso@dinas-b`` above
    ``ina-marga.example`` and ``2026-12-0`` above ``3 00:34``, ``areas list`` ``Administras``
    above ``i``, ``catalogue show policies`` cut category codes, at 30 to 80 columns. Every
    table follows the ticket list's rule: each code, time, key prefix, e-mail address and word
    whole in what the operator reads, else one record per block; piped, one line a row."""
    code, officer = tables
    argv = [part.format(code=code, officer=officer) for part in command]
    piped = _piped(database, *argv)
    assert (piped.returncode, piped.stderr) == (0, ""), piped
    values = _values(piped.stdout)
    assert code in values or command[0] in ("keys", "staff", "areas", "catalogue"), piped.stdout
    moments = MOMENT.findall(piped.stdout)

    for width in (30, 40, 60, 80):
        shown = _run(database, str(width), *argv)
        assert (shown.returncode, shown.stderr) == (0, ""), (width, shown)
        words = set(shown.stdout.split())
        missing = sorted(values - words)
        assert not missing, (width, missing[:10], shown.stdout)
        assert all(moment in shown.stdout for moment in moments), (width, shown.stdout)
        # Past the terminal's edge only a word longer than any line, alone under its header
        # (in the tables: ``ticket show``'s fields above its timeline fold at 20 at least).
        tabled = shown.stdout[shown.stdout.find("\ntimeline ") + 1 :]
        over = [line for line in tabled.splitlines() if len(line) > width]
        assert all(line == "  " + line.strip() and " " not in line.strip() for line in over), (
            width,
            over,
        )
        # Above it (a tester's report: ``ticket show``'s first line, code, state and version,
        # went past 30 columns, and so did ``submitted  Tue 01 Sep 2026 09:00``): a field's
        # value folds under itself, or under its label when it has too little room beside it;
        # only a unit longer than the line (the officer's e-mail) is left whole, alone.
        head = shown.stdout[: shown.stdout.find("\ntimeline ") + 1]
        over = [line for line in head.splitlines() if len(line) > width]
        assert all(UNIT.fullmatch(line.strip()) for line in over), (width, over)

    # Piped, no terminal: one line a row, each starting with its first column's value.
    lines = piped.stdout.splitlines()
    if first is not None:
        rows = json.loads(_piped(database, *argv, "--json").stdout)
        rule = next(i for i, line in enumerate(lines) if line and not line.strip("─ "))
        listed = lines[rule + 1 : rule + 1 + len(rows)]
        assert [line.split(" ")[0] for line in listed] == [str(row[first]) for row in rows]
        after = lines[rule + 1 + len(rows) : rule + 2 + len(rows)]
        assert not [line for line in after if line.startswith(" ")], after
    elif command[0] == "ticket":  # its timeline: a line an event, numbered from 1
        rule = next(i for i, line in enumerate(lines) if line.startswith("──"))
        events = [line.split(" ")[0] for line in lines[rule + 1 :] if line.strip()]
        assert events[: events.index("SLA")] == [str(n) for n in range(1, events.index("SLA") + 1)]
    if command[:2] == ("keys", "list"):
        prefixes = [key["prefix"] for key in json.loads(_piped(database, *argv, "--json").stdout)]
        for width in (30, 80):
            assert set(prefixes) <= set(_run(database, str(width), *argv).stdout.split())
    if command[:2] in (("keys", "list"), ("staff", "list"), ("ticket", "show")):
        assert {officer, f"<{officer}>"} & values, piped.stdout  # one word: checked above


def test_cli_ticket_show_folds_a_photos_words_and_keeps_its_path_whole(
    database: Database, tmp_path: Path, committed: list[str]
) -> None:
    """A tester's report: ``ticket show``'s photos line (``report #1  image/jpeg 640×480, 5425
    bytes  media/…/x.jpg``) was never folded, 141 columns at COLUMNS=40. Its words fold as any
    field's; the file's path, copied whole (it may hold spaces), goes on a line of its own."""
    from PIL import Image

    photo = tmp_path / "bukti.jpg"
    Image.new("RGB", (640, 480), "gray").save(photo)
    media = tmp_path / "media dir"  # a space: the path is still one line, whole
    env = {**os.environ, "TANGGAP_DATABASE_URL": database.url, "TANGGAP_MEDIA_DIR": str(media)}
    env.pop("COLUMNS", None)
    submitted = subprocess.run(
        [sys.executable, "-m", "cli.main", "ticket", "submit", "--category", "traffic_jam",
         "--description", "Macet", "--lat", "-6.1754", "--lon", "106.8272", "--photo", str(photo)],
        env=env, capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert submitted.returncode == 0, submitted
    code = re.search(r"(JKT-\S+):", submitted.stdout).group(1)  # type: ignore[union-attr]
    committed.append(code)
    piped = subprocess.run(
        [sys.executable, "-m", "cli.main", "ticket", "show", code],
        env=env, capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    (line,) = [line for line in piped.stdout.splitlines() if line.startswith("photos")]
    path = line.split("bytes  ", 1)[1]
    assert path.startswith(str(media)) and path.endswith(".jpg"), line
    assert line.startswith("photos     report #1  image/jpeg 640×480, "), line
    for width in (30, 40, 80):
        shown = subprocess.run(
            [sys.executable, "-m", "cli.main", "ticket", "show", code],
            env={**env, "COLUMNS": str(width)}, capture_output=True, text=True, timeout=120,
            cwd=ROOT,
        )  # fmt: skip
        lines = shown.stdout.splitlines()
        assert any(line.strip() == path for line in lines), (width, shown.stdout)
        head = lines[: next(i for i, line in enumerate(lines) if line.startswith("timeline "))]
        over = [line for line in head if len(line) > width and line.strip() != path]
        assert not over, (width, over)
