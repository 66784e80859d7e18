"""``tanggap sweep`` and ``tanggap sla check``: what an operator sees of the SLA clocks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app
from engine.db import Database
from engine.models import SlaTimer, Ticket

CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue" / "jakarta.yaml"


def test_cli_sweep_records_overdue_levels_and_sla_check_shows_them(
    tanggap: CliRunner, report_committed: Callable[..., Ticket], wide: None
) -> None:
    long_ago = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)  # a Tuesday morning in Jakarta
    code = report_committed(now=long_ago, category="broken_street_light").code

    swept = tanggap.invoke(app, ["sweep", "--once"])
    assert swept.exit_code == 0, swept.output
    assert f"{code}  verify #1  breach" in swept.output
    assert f"{code}  resolve #1  governor" in swept.output
    # Each warning fell due with its breach: recorded, not mailed, and said so.
    assert f"{code}  verify #1  warning  (not mailed: stale warning)" in swept.output
    (summary,) = [line for line in swept.output.splitlines() if line.startswith("swept ")]
    assert "not mailed: " in summary and "stale warnings" in summary

    again = tanggap.invoke(app, ["sweep", "--once"])
    assert code not in again.output  # nothing twice

    check = tanggap.invoke(app, ["sla", "check", code])
    assert check.exit_code == 0, check.output
    assert "SLA timeline (Asia/Jakarta)" in check.output
    assert "infrastructure_repairs" in check.output
    assert "overdue" in check.output
    assert "breach 100%" in check.output and "warning 75% (not mailed)" in check.output
    assert "2026-09-01 09:00" in check.output  # started, shown in WIB with the year


def test_cli_sla_check_unknown_ticket_is_one_clear_line(tanggap: CliRunner) -> None:
    result = tanggap.invoke(app, ["sla", "check", "JKT-ZZZZ-ZZZZ"])
    assert result.exit_code == 2
    assert result.output.strip() == "error: no ticket with code JKT-ZZZZ-ZZZZ"


def test_cli_sla_check_says_a_rejection_ended_the_resolve_clock(
    tanggap: CliRunner, report_committed: Callable[..., Ticket], wide: None
) -> None:
    code = report_committed(now=datetime.now(UTC)).code
    admin = "sla-admin@tanggap.example"
    added = tanggap.invoke(app, ["staff", "add", admin, "--name", "Admin", "--role", "admin"])
    assert added.exit_code == 0, added.output
    rejected = tanggap.invoke(
        app, ["ticket", "act", code, "reject", "--as", admin, "--note", "bukan laporan"]
    )
    assert rejected.exit_code == 0, rejected.output

    check = tanggap.invoke(app, ["sla", "check", code])
    assert check.exit_code == 0, check.output
    rows = {line.split()[0]: line for line in check.output.splitlines() if " #1 " in line}
    assert "ended by reject" in rows["resolve"] and "met" not in rows["resolve"]
    assert "met" in rows["verify"]  # rejecting at triage is the verify clock's work


def test_cli_sla_check_says_a_rejection_after_verifying_ended_the_assign_clock(
    tanggap: CliRunner, report_committed: Callable[..., Ticket], wide: None
) -> None:
    """It said "met": the office had assigned nobody."""
    code = report_committed(now=datetime.now(UTC)).code
    admin = "sla-triage@tanggap.example"
    added = tanggap.invoke(app, ["staff", "add", admin, "--name", "Admin", "--role", "admin"])
    assert added.exit_code == 0, added.output
    for action in (["verify"], ["reject", "--note", "bukan laporan"]):
        acted = tanggap.invoke(app, ["ticket", "act", code, *action, "--as", admin])
        assert acted.exit_code == 0, acted.output

    check = tanggap.invoke(app, ["sla", "check", code])
    assert check.exit_code == 0, check.output
    rows = {line.split()[0]: line for line in check.output.splitlines() if " #1 " in line}
    assert "met" in rows["verify"]
    assert "ended by reject" in rows["assign"] and "met" not in rows["assign"]


def test_cli_sweep_names_the_levels_of_a_clock_stopped_before_they_were_recorded(
    tanggap: CliRunner, report_committed: Callable[..., Ticket], wide: None
) -> None:
    """A tester's report: a flood verified (with a category correction) long after its
    30-minute verification deadline; the next sweep recorded its breach and kota_governor
    levels without mail and printed "2 stale warnings not mailed", though neither is a
    warning. Each level says why it was not mailed: its clock had stopped."""
    code = report_committed(now=datetime.now(UTC) - timedelta(hours=2), category="flood").code
    admin = "sla-sweeper@tanggap.example"
    added = tanggap.invoke(app, ["staff", "add", admin, "--name", "Admin", "--role", "admin"])
    assert added.exit_code == 0, added.output
    verified = tanggap.invoke(
        app,
        ["ticket", "act", code, "verify", "--as", admin, "--category", "traffic_jam",
         "--note", "x"],
    )  # fmt: skip
    assert verified.exit_code == 0, verified.output

    swept = tanggap.invoke(app, ["sweep", "--once"])

    assert swept.exit_code == 0, swept.output
    for level in ("warning", "breach", "kota_governor"):
        line = f"{code}  verify #1  {level}  (not mailed: clock already stopped)"
        assert line in swept.output, swept.output
    (summary,) = [line for line in swept.output.splitlines() if line.startswith("swept ")]
    assert "levels of clocks already stopped" in summary


def test_cli_sla_check_and_ticket_show_read_a_stopped_clock_as_it_ran(
    tanggap: CliRunner,
    report_committed: Callable[..., Ticket],
    database: Database,
    tmp_path: Path,
    wide: None,
) -> None:
    """A tester's report: a report verified in time, then the office calendar got the day of
    the verification deadline as a closed date and the catalogue was reloaded; sla check showed
    the stopped clock's deadline recomputed under the new calendar (a working day later),
    though it was judged under the calendar it ran on."""
    code = report_committed(now=datetime.now(UTC)).code  # traffic_jam: the office calendar
    admin = "sla-calendar@tanggap.example"
    added = tanggap.invoke(app, ["staff", "add", admin, "--name", "Admin", "--role", "admin"])
    assert added.exit_code == 0, added.output
    verified = tanggap.invoke(app, ["ticket", "act", code, "verify", "--as", admin])
    assert verified.exit_code == 0, verified.output
    with database.reading() as session:
        stored = session.scalars(
            select(SlaTimer.deadline)
            .join(Ticket, Ticket.id == SlaTimer.ticket_id)
            .where(Ticket.code == code, SlaTimer.kind == "verify")
        ).one()
    due = stored.astimezone(ZoneInfo("Asia/Jakarta"))
    text = CATALOGUE.read_text()
    office = text.index("  - code: office\n")
    closed = text.index("    closed_dates: []\n", office)
    edited = tmp_path / "closed.yaml"
    edited.write_text(
        text[:closed] + f'    closed_dates: ["{due:%Y-%m-%d}"]\n' + text[closed + 21 :]
    )
    loaded = tanggap.invoke(app, ["config", "load", str(edited)])
    try:
        assert loaded.exit_code == 0, loaded.output
        for command in (["sla", "check", code], ["ticket", "show", code]):
            shown = tanggap.invoke(app, command)
            assert shown.exit_code == 0, shown.output
            lines = shown.output.splitlines()
            (row,) = [i for i, line in enumerate(lines) if line.startswith("verify #1")]
            # The deadline is the row's second line, under the start.
            assert f"{due:%Y-%m-%d %H:%M}" in lines[row + 1], shown.output
            assert "met" in lines[row]
    finally:
        restored = tanggap.invoke(app, ["config", "load", str(CATALOGUE)])
        assert restored.exit_code == 0, restored.output
