"""A change to a ticket re-reads who its queued staff mails are for, in the change's own
transaction: an escalation queued for Dishub is not sent to Dishub once the ticket is Bina
Marga's, and a citizen's follow-up queued for one officer reaches the officer who has it now.

A tester's report: a flood's breach was swept (mail queued to Dinas SDA's head and queue), the
ticket was re-categorised as pungli before the delivery flow ran, and Dinas SDA still received
the now-confidential complaint, naming a ticket it could no longer open.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from engine.delivery import claim
from engine.escalation import sweep_batch
from engine.models import Agency, Notification, Ticket

from .conftest import Desk

WIB = ZoneInfo("Asia/Jakarta")


def wib(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 23, hour, minute, tzinfo=WIB)


def head(desk: Desk, code: str) -> str:
    return desk.session.scalars(select(Agency.head_email).where(Agency.code == code)).one()


def rows(desk: Desk, ticket: Ticket, kind: str) -> list[tuple[str, str, str | None]]:
    """(recipient, status, last_error) of the ticket's outbox rows of ``kind``, oldest first."""
    found = desk.session.execute(
        select(Notification.recipient, Notification.status, Notification.last_error)
        .where(Notification.ticket_id == ticket.id, Notification.kind == kind)
        .order_by(Notification.id)
    )
    return [tuple(row) for row in found]  # type: ignore[misc]


def breached(desk: Desk) -> Ticket:
    """An urgent jam at Monas (24/7, emergency ladder), assigned to Dishub at about 09:15 and
    never started: at 13:30 its start clock's breach is swept, mailed to Dishub's head and the
    kecamatan office, and not yet delivered."""
    desk.now = wib(9) - timedelta(minutes=5)
    ticket = desk.submit()
    desk.act(ticket, "update", "admin", priority="urgent", note="jalan tertutup total")
    desk.act(ticket, "verify", "admin")
    desk.act(ticket, "assign", "admin")
    sweep_batch(desk.session, now=wib(13, 30))
    queued = {recipient for recipient, status, _ in rows(desk, ticket, "escalation")}
    assert head(desk, "DISHUB") in queued
    return ticket


def test_a_transfer_withdraws_the_former_agencys_queued_escalation(desk: Desk) -> None:
    ticket = breached(desk)
    kecamatan = head(desk, "KEC-GAMBIR")
    desk.now = wib(13, 35)
    desk.act(ticket, "transfer", "admin", agency="DBM", note="jalan ambles, bukan lalu lintas")

    after = {
        recipient: (status, error) for recipient, status, error in rows(desk, ticket, "escalation")
    }
    status, error = after[head(desk, "DISHUB")]
    assert status == "failed"
    assert error == (
        f"not sent: after a change to {ticket.code}, its kepala instansi / agency head is "
        f"{head(desk, 'DBM')}"
    )
    assert after[kecamatan][0] == "pending"  # the same area: its office is still told
    sent = {mail.recipient for mail in claim(desk.session, now=wib(13, 40), limit=50)}
    assert head(desk, "DISHUB") not in sent and kecamatan in sent


def test_a_change_that_keeps_the_addressee_keeps_the_mail(desk: Desk) -> None:
    ticket = breached(desk)
    before = rows(desk, ticket, "escalation")
    desk.act(ticket, "update", "admin", priority="high", note="satu lajur sudah dibuka")
    assert rows(desk, ticket, "escalation") == before
    assert {status for _, status, _ in before} == {"pending"}


def test_recategorised_as_pungli_nobody_of_the_former_agency_or_the_area_is_told(
    desk: Desk,
) -> None:
    """The tester's case: not yet verified, so the new category routes it anew."""
    desk.now = wib(9) - timedelta(minutes=5)
    ticket = desk.submit()
    desk.act(ticket, "update", "admin", priority="urgent", note="jalan tertutup total")
    sweep_batch(desk.session, now=wib(13, 30))  # its verify clock is long past
    queued = {recipient for recipient, _, _ in rows(desk, ticket, "escalation")}
    assert {head(desk, "DISHUB"), head(desk, "KEC-GAMBIR")} <= queued

    desk.act(ticket, "update", "admin", category="illegal_levy", note="ternyata pungli")

    assert ticket.agency.code != "DISHUB"
    sent = {mail.recipient for mail in claim(desk.session, now=wib(13, 40), limit=50)}
    gone = {head(desk, "DISHUB"), head(desk, "KEC-GAMBIR"), head(desk, "WALKOT-JP")}
    assert gone <= queued and sent.isdisjoint(gone)
    # The governor's office oversees every complaint, pungli too: still told.
    assert head(desk, "GUB") in sent


def test_a_citizens_comment_queued_for_one_officer_reaches_the_officer_who_has_it_now(
    desk: Desk,
) -> None:
    desk.now = wib(9)
    ticket = desk.submit(reporter_email="warga@example.id")
    desk.act(ticket, "verify", "admin")
    desk.act(ticket, "assign", "admin", officer="staff@tanggap.example")
    desk.act(ticket, "comment", "citizen", note="Sudah tiga jam, belum ada petugas datang")
    assert rows(desk, ticket, "citizen_follow_up") == [("staff@tanggap.example", "pending", None)]

    desk.act(ticket, "reassign", "admin", officer="supervisor@tanggap.example", note="ganti")

    first, second = rows(desk, ticket, "citizen_follow_up")
    assert first[:2] == ("staff@tanggap.example", "failed")
    assert second == ("supervisor@tanggap.example", "pending", None)
    (mail,) = [
        m for m in claim(desk.session, now=desk.now, limit=50) if m.kind == "citizen_follow_up"
    ]
    assert mail.recipient == "supervisor@tanggap.example"
    assert "Sudah tiga jam, belum ada petugas datang" in mail.text
    assert "Supervisor" in mail.text  # addressed to them by name, not to the former officer
