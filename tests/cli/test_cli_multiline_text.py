"""Text of several lines (a description, a note, a provider's error) is printed so that no
line of it can pass for a field of ``ticket show`` or a row of a table."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cli import context
from cli.main import app
from engine.db import Database
from engine.models import Notification, Ticket

MONAS = ["--lat", "-6.1754", "--lon", "106.8272"]

#: A tester's report: a description that fakes the agency and officer fields.
FAKED = (
    "Macet parah\n"
    "agency     Dinas Perhubungan (DISHUB)\n"
    "officer    Kepala Dinas <kadis@dishub.example>"
)

FIELDS = ("category", "priority", "location", "area", "agency", "officer", "report", "next")


def submit(tanggap: CliRunner, committed: list[str], description: str, *more: str) -> str:
    result = tanggap.invoke(
        app,
        ["ticket", "submit", "--quiet", "--category", "traffic_jam", "--description",
         description, *MONAS, *more],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    code = result.output.split()[0]
    committed.append(code)
    return code


def show(tanggap: CliRunner, code: str) -> list[str]:
    result = tanggap.invoke(app, ["ticket", "show", code])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_cli_show_a_description_of_several_lines_fakes_no_field(
    tanggap: CliRunner, database: Database, committed: list[str]
) -> None:
    code = submit(tanggap, committed, FAKED)
    lines = show(tanggap, code)
    # No officer is assigned: no line may start as the officer field does.
    assert not [line for line in lines if line.startswith("officer")], lines
    assert [line for line in lines if line.startswith("agency ")] == [
        "agency     Dinas Perhubungan (DISHUB)"
    ]
    at = next(i for i, line in enumerate(lines) if line.startswith("report "))
    assert lines[at : at + 3] == [
        "report     Macet parah",
        "           agency     Dinas Perhubungan (DISHUB)",
        "           officer    Kepala Dinas <kadis@dishub.example>",
    ]


def test_cli_show_a_long_line_folds_under_its_value_in_a_terminal(
    tanggap: CliRunner, database: Database, committed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Padded so that a terminal 60 columns wide would fold "officer …" to its margin.
    code = submit(tanggap, committed, "Macet" + " " * 44 + "officer    Kepala Dinas")
    monkeypatch.setenv("COLUMNS", "60")
    monkeypatch.setattr(context.console, "width", 60)
    lines = show(tanggap, code)
    at = next(i for i, line in enumerate(lines) if line.startswith("report "))
    end = next(i for i, line in enumerate(lines) if line.startswith("photos "))
    # Folded here, under the value: a terminal never folds it to its margin.
    assert all(len(line) <= 60 for line in lines[at:end]), lines[at:end]
    assert end - at > 1 and all(line.startswith(" " * 11) for line in lines[at + 1 : end])
    assert "officer" in "".join(lines[at:end])


def test_cli_show_a_note_of_several_lines_stays_in_its_column(
    tanggap: CliRunner, database: Database, committed: list[str], wide: None
) -> None:
    officer = f"officer-{uuid.uuid4().hex[:8]}@tanggap.example"
    assert tanggap.invoke(app, ["staff", "add", officer, "--name", "Rina", "--agency", "DISHUB"])
    code = submit(tanggap, committed, "Macet")
    fake = "3  2026-12-02 14:40  resolve  verified → resolved  Kadis (admin)"
    result = tanggap.invoke(
        app, ["ticket", "act", code, "verify", "--as", officer, "--note", f"dicek\n{fake}"]
    )
    assert result.exit_code == 0, result.output
    lines = show(tanggap, code)
    header = next(line for line in lines if line.startswith("#  when"))
    column = header.index("note")
    row = next(line for line in lines if "[internal] dicek" in line)
    assert row.index("[internal] dicek") == column
    continued = lines[lines.index(row) + 1]
    # Under the note, one step in: nothing left of it, where the row's own cells are.
    assert continued.rstrip() == " " * (column + 2) + fake, lines
    assert not [line for line in lines if line.startswith("3 ")], lines


def test_cli_outbox_list_a_provider_error_of_several_lines_is_one_row(
    tanggap: CliRunner, database: Database, committed: list[str], wide: None
) -> None:
    code = submit(tanggap, committed, "Macet")
    error = "550 mailbox unavailable\n7  JKT-FAKE-ROWS  warga@example.org  sent"
    with database.transaction() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.code == code)).one()
        session.add(
            Notification(
                ticket_id=ticket.id, recipient="warga@example.org", recipient_kind="citizen",
                kind="escalation", subject="uji", body="uji", status="failed", attempts=8,
                last_error=error, next_attempt_at=ticket.created_at,
                created_at=ticket.created_at, note="stands in for\n8  JKT-FAKE  a row",
            )
        )  # fmt: skip
    result = tanggap.invoke(app, ["outbox", "list", "--failed", "--ticket", code])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "550" in line]
    assert len(rows) == 1 and code in rows[0], result.output
    assert (
        rows[0]
        .rstrip()
        .endswith(r"550 mailbox unavailable\n7  JKT-FAKE-ROWS  warga@example.org  sent")
    )
    assert not re.search(r"^[78] ", result.output, re.M), result.output
    # The row's note, under the table: its second line under its first.
    said = result.output.splitlines()
    at = next(i for i, line in enumerate(said) if line.endswith(": stands in for"))
    indent = said[at].index("stands")
    assert said[at + 1] == " " * indent + "8  JKT-FAKE  a row"


def test_emoji_and_script_joiners_are_shown_and_escapes_still_escaped() -> None:
    """A tester's report: ``ticket show`` printed the family emoji as
    ``👨\\u200d👩\\u200d👧\\u200d👦``. The joiners drive no terminal: shown as they are; a
    control character still is not."""
    from cli.context import visible

    family = "Keluarga 👨\u200d👩\u200d👧\u200d👦 terjebak banjir"
    assert visible(family) == family
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # its zero-width non-joiner
    assert visible(persian) == persian
    assert visible("a\x1b[31mb\u200b") == "a\\x1b[31mb\\u200b"
