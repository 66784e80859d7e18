"""``tanggap outbox retry``: mail whose failure has passed goes again; the rest stays, counted by
why, without an address in sight."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app
from engine.db import Database
from engine.models import Notification, Ticket
from engine.outbox import NOT_PUBLIC_NOW

QUEUED = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)

#: (recipient, status, last_error) of each row, as the engine and the provider leave them.
FAILURES = [
    ("kepala.dishub@tanggap.example", "failed",
     "not sent: after a change to JKT-X, its kepala instansi / agency head is a@b.example"),
    ("antrean.dishub@tanggap.example", "failed",
     "not sent: after a change to JKT-X, its antrean instansi / agency queue is c@d.example"),
    ("tetangga@contoh.example", "failed", NOT_PUBLIC_NOW),
    ("salah@contoh", "failed",
     "HTTP 400: personalizations.0.to.0.email: Does not contain a valid address."),
    # Mail to whom the ticket still names (its agency's head and queue): these go again.
    ("{head}", "dead", "HTTP 503: Service Unavailable"),
    ("{queue}", "dead", "connection failed: [Errno 111] Connection refused"),
]  # fmt: skip


def _queue_failures(database: Database, ticket: Ticket) -> dict[str, int]:
    ids = {}
    with database.transaction() as session:
        agency = session.get(Ticket, ticket.id).agency  # type: ignore[union-attr]
        for pattern, status, error in FAILURES:
            recipient = pattern.format(head=agency.head_email, queue=agency.email)
            row = Notification(
                ticket_id=ticket.id,
                recipient=recipient,
                recipient_kind="agency_queue" if pattern == "{queue}" else "agency_head",
                kind="escalation",
                subject="uji",
                body="uji",
                status=status,
                attempts=8,
                last_error=error,
                next_attempt_at=QUEUED,
                created_at=QUEUED,
            )
            session.add(row)
            session.flush()
            ids[recipient] = row.id
    return ids


def test_cli_outbox_retry_all_sends_transient_failures_again_and_counts_the_rest_by_why(
    tanggap: CliRunner, database: Database, report_committed: Callable[..., Ticket]
) -> None:
    ticket = report_committed(now=QUEUED)
    ids = _queue_failures(database, ticket)

    result = tanggap.invoke(app, ["outbox", "retry", "--all", "--ticket", ticket.code])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "2 e-mails pending again",
        "left 2 e-mails not sent: after a change, its addressee no longer handles the ticket",
        "left 1 e-mail not sent: the provider refused the mail itself (e.g. an invalid address)",
        "left 1 e-mail not sent: the report is no longer public, and the address only said "
        "'me too'",
    ]
    assert "@" not in result.output
    with database.reading() as session:
        status = dict(
            session.execute(
                select(Notification.recipient, Notification.status).where(
                    Notification.id.in_(ids.values())
                )
            ).all()
        )
    head, queue = list(ids)[-2:]
    assert status == {
        "kepala.dishub@tanggap.example": "failed",
        "antrean.dishub@tanggap.example": "failed",
        "tetangga@contoh.example": "failed",
        "salah@contoh": "failed",
        head: "pending",
        queue: "pending",
    }


def test_cli_outbox_retry_of_a_withdrawn_escalation_says_why_and_leaves_it(
    tanggap: CliRunner, database: Database, report_committed: Callable[..., Ticket]
) -> None:
    ticket = report_committed(now=QUEUED)
    row_id = _queue_failures(database, ticket)["kepala.dishub@tanggap.example"]

    result = tanggap.invoke(app, ["outbox", "retry", str(row_id)])

    assert (result.exit_code, result.stderr) == (
        2,
        f"error: outbox row {row_id} is not requeued: after a change, its addressee no longer "
        "handles the ticket\n",
    )
    with database.reading() as session:
        assert session.get(Notification, row_id).status == "failed"  # type: ignore[union-attr]


def test_cli_outbox_retry_needs_an_id_or_all(tanggap: CliRunner) -> None:
    result = tanggap.invoke(app, ["outbox", "retry"])
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "outbox retry: give an outbox id, or --all for every failed or dead e-mail\n"
    )


@pytest.mark.parametrize("args", [["2", "--all"], ["--all", "2"], ["-5", "--all"]], ids=" ".join)
def test_cli_outbox_retry_of_an_id_and_all_says_not_both(
    tanggap: CliRunner, args: list[str]
) -> None:
    result = tanggap.invoke(app, ["outbox", "retry", *args])
    assert result.exit_code == 2
    assert result.stderr.endswith("outbox retry: give an outbox id or --all, not both\n")
