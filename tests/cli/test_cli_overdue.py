"""``tanggap ticket list --overdue`` and ``tanggap sla check`` agree after a change moved a
breached deadline ahead again (``engine.queries.overdue``).

A flood runs under the 24/7 emergency policy (verify within 30 minutes). Re-filed as a clogged
drain of normal priority it falls to ``field_quick`` (verify within 1 working day): its deadline
moves ahead.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from cli.main import app
from engine.models import Ticket


def _ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _refile_as_drain(tanggap: CliRunner, code: str) -> None:
    admin = f"admin-{uuid.uuid4().hex[:8]}@tanggap.example"
    _ok(tanggap, "staff", "add", admin, "--name", "Admin", "--role", "admin")
    _ok(tanggap, "ticket", "act", code, "update", "--as", admin,
        "--category", "clogged_drainage", "--priority", "normal",
        "--note", "saluran tersumbat, bukan banjir")  # fmt: skip


def _listed(tanggap: CliRunner, *filters: str) -> dict[str, dict[str, object]]:
    rows = json.loads(_ok(tanggap, "ticket", "list", "--all", "--json", *filters))
    return {str(row["code"]): row for row in rows}


def test_cli_breach_recorded_then_deadline_later_is_listed_overdue(
    tanggap: CliRunner, report_committed: Callable[..., Ticket], wide: None
) -> None:
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    code = report_committed(now=an_hour_ago, category="flood").code
    _ok(tanggap, "sweep", "--once")  # records the breach of the 30-minute verify target
    _refile_as_drain(tanggap, code)

    listed = _listed(tanggap, "--overdue")
    table = _ok(tanggap, "ticket", "list", "--overdue", "--all")
    check = _ok(tanggap, "sla", "check", code)

    assert code in listed and listed[code]["overdue"] is True
    assert int(str(listed[code]["seconds_left"])) > 0  # the new deadline is ahead …
    assert re.search(rf"{code} .* overdue *$", table, re.MULTILINE)  # … and still overdue
    assert code not in _listed(tanggap, "--at-risk", "2160")
    assert re.search(r"^verify +#1 .*overdue", check, re.MULTILINE), check


def test_cli_no_breach_recorded_and_deadline_later_is_not_overdue(
    tanggap: CliRunner, report_committed: Callable[..., Ticket], wide: None
) -> None:
    code = report_committed(now=datetime.now(UTC) - timedelta(minutes=10), category="flood").code
    _refile_as_drain(tanggap, code)  # before the 30 minutes passed

    assert code not in _listed(tanggap, "--overdue")
    assert _listed(tanggap)[code]["overdue"] is False
    assert code in _listed(tanggap, "--at-risk", "2160")
    table = _ok(tanggap, "ticket", "list", "--all")
    [line] = [line for line in table.splitlines() if code in line]
    assert "overdue" not in line
