"""``tanggap sweep`` and ``tanggap sla check``: what an operator sees of the SLA clocks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from typer.testing import CliRunner

from cli.main import app
from engine.models import Ticket


def test_cli_sweep_records_overdue_levels_and_sla_check_shows_them(
    tanggap: CliRunner, report_committed: Callable[..., Ticket], wide: None
) -> None:
    long_ago = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)  # a Tuesday morning in Jakarta
    code = report_committed(now=long_ago, category="broken_street_light").code

    swept = tanggap.invoke(app, ["sweep", "--once"])
    assert swept.exit_code == 0, swept.output
    assert f"{code}  verify #1  breach" in swept.output
    assert f"{code}  resolve #1  governor" in swept.output
    assert "stale warnings not mailed" in swept.output

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
