"""An operator's retry sends again only mail whose failure has passed.

A tester's report: after a transfer withdrew the former agency head's escalation ("not sent:
after a change to JKT-…"), ``tanggap outbox retry`` put it back to pending and Dinas
Perhubungan's head received a breach of a ticket that was Bina Marga's; a mail SendGrid had
refused for its invalid address was requeued and refused again.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from engine.delivery import claim
from engine.errors import RuleViolated
from engine.models import Notification, Subscription, Ticket, UndeliverableAddress
from engine.outbox import NOT_PUBLIC_CARRIED, NOT_PUBLIC_NOW
from engine.retries import Left, requeue, requeue_all

from .conftest import Desk
from .test_readdress import breached, head, wib


def _rows(desk: Desk, ticket: Ticket) -> dict[str, Notification]:
    found = desk.session.scalars(
        select(Notification).where(
            Notification.ticket_id == ticket.id, Notification.kind == "escalation"
        )
    )
    return {row.recipient: row for row in found}


def _fail(desk: Desk, row: Notification, status: str, error: str) -> None:
    desk.session.execute(
        update(Notification)
        .where(Notification.id == row.id)
        .values(status=status, last_error=error, attempts=8)
    )
    desk.session.expire(row)


def test_retry_all_leaves_a_transferred_escalation_and_sends_a_dead_one_again(
    desk: Desk,
) -> None:
    ticket = breached(desk)
    dishub, kecamatan = head(desk, "DISHUB"), head(desk, "KEC-GAMBIR")
    desk.now = wib(13, 35)
    desk.act(ticket, "transfer", "admin", agency="DBM", note="jalan ambles")
    rows = _rows(desk, ticket)
    assert rows[dishub].status == "failed"  # readdress_pending withdrew it
    withdrawn = desk.session.scalars(
        select(Notification.id).where(
            Notification.ticket_id == ticket.id,
            Notification.status == "failed",
            Notification.last_error.startswith(f"not sent: after a change to {ticket.code}, "),
        )
    ).all()
    _fail(desk, rows[kecamatan], "dead", "HTTP 503: try later")

    done = requeue_all(desk.session, now=wib(14), ticket_id=ticket.id)

    assert (done.requeued, dict(done.left)) == (1, {Left.READDRESSED: len(withdrawn)})
    sent = {mail.recipient for mail in claim(desk.session, now=wib(14), limit=50)}
    assert kecamatan in sent and dishub not in sent
    assert rows[dishub].status == "failed"
    with pytest.raises(RuleViolated) as refused:
        requeue(desk.session, rows[dishub].id, now=wib(14))
    assert str(refused.value) == (
        f"outbox row {rows[dishub].id} is not requeued: after a change, its addressee no longer "
        "handles the ticket"
    )


@pytest.mark.parametrize(
    ("status", "error", "left"),
    [
        ("failed", "HTTP 400: personalizations.0.to.0.email: Does not contain a valid address.",
         Left.REFUSED),
        ("failed", "HTTP 400: Bad Request", Left.REFUSED),
        ("failed", "HTTP 413: payload too large", Left.REFUSED),
        ("failed", "cannot build the message: ValueError('bad address')", Left.REFUSED),
        ("failed", "550 5.1.1 <x@y>: Recipient address rejected", Left.REFUSED),
        ("failed", NOT_PUBLIC_NOW, Left.NOT_PUBLIC),
        ("failed", NOT_PUBLIC_CARRIED, Left.NOT_PUBLIC_CARRIED),
        ("failed", "not sent: the ticket's category is now withheld from area offices",
         Left.WITHHELD),
        ("failed", "not sent: the address stopped mail about this report while the mail waited",
         Left.STOPPED),
        # Transient, or a refusal of our own account the operator fixes (key, sender): sent.
        ("dead", "HTTP 503: Service Unavailable", None),
        ("dead", "HTTP 429: too many requests", None),
        ("dead", "connection failed: [Errno 111] Connection refused", None),
        ("failed", "HTTP 401: The provided authorization grant is invalid", None),
        ("failed", "HTTP 403: The from address does not match a verified Sender Identity", None),
        ("failed", "HTTP 400: from.email: invalid", None),
        ("failed", "535 5.7.8 Authentication credentials invalid", None),
    ],
)  # fmt: skip
def test_retry_of_one_row_sends_only_a_failure_that_has_passed(
    desk: Desk, status: str, error: str, left: Left | None
) -> None:
    ticket = breached(desk)
    row = _rows(desk, ticket)[head(desk, "DISHUB")]
    _fail(desk, row, status, error)

    if left is None:
        assert requeue(desk.session, row.id, now=wib(14)).status == "pending"
        assert head(desk, "DISHUB") in {
            m.recipient for m in claim(desk.session, now=wib(14), limit=50)
        }
        return
    with pytest.raises(RuleViolated) as refused:
        requeue(desk.session, row.id, now=wib(14))
    assert str(refused.value) == f"outbox row {row.id} is not requeued: {left.value}"
    desk.session.refresh(row)
    assert (row.status, row.last_error) == (status, error)


def test_retry_leaves_a_dead_mail_to_an_address_flagged_undeliverable_since(desk: Desk) -> None:
    ticket = breached(desk)
    row = _rows(desk, ticket)[head(desk, "DISHUB")]
    _fail(desk, row, "dead", "HTTP 503: busy")
    desk.session.add(
        UndeliverableAddress(
            email=row.recipient.lower(), event="bounce", reason="550 no such user",
            flagged_at=wib(13),
        )
    )  # fmt: skip
    desk.session.flush()

    done = requeue_all(desk.session, now=wib(14), ticket_id=ticket.id)

    assert done.left[Left.UNDELIVERABLE] == 1
    assert row.status == "dead"


def test_retry_leaves_a_status_mail_to_an_address_that_stopped_mail(desk: Desk) -> None:
    ticket = desk.submit(reporter_email="warga@contoh.example")
    desk.session.flush()
    desk.act(ticket, "verify", "admin")
    desk.now += timedelta(minutes=30)
    citizen = desk.session.scalars(
        select(Notification).where(
            Notification.ticket_id == ticket.id, Notification.kind == "citizen_update"
        )
    ).first()
    assert citizen is not None and citizen.recipient == "warga@contoh.example"
    _fail(desk, citizen, "dead", "HTTP 502: bad gateway")
    desk.session.execute(
        update(Subscription).where(Subscription.ticket_id == ticket.id).values(active=False)
    )

    with pytest.raises(RuleViolated, match="the address stopped mail about the report"):
        requeue(desk.session, citizen.id, now=desk.now)
