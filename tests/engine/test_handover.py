"""Mail to whoever receives work (engine/handover.py): the officer named by assign or
reassign, the agency queue a transfer or a category correction hands the ticket to."""

from __future__ import annotations

from sqlalchemy import select

from engine.models import Notification, Ticket
from engine.staff import add_staff

from .conftest import Desk


def handovers(desk: Desk, ticket: Ticket) -> list[tuple[str, str, str]]:
    """(recipient, subject, body) of each hand-over mail about ``ticket``, oldest first."""
    rows = desk.session.scalars(
        select(Notification)
        .where(Notification.ticket_id == ticket.id, Notification.kind == "handover")
        .order_by(Notification.id)
    )
    return [(n.recipient, n.subject, n.body) for n in rows]


def test_the_officer_named_by_assign_is_told_with_the_report_and_the_next_deadline(
    desk: Desk,
) -> None:
    ticket = desk.submit(description="Macet total, lampu lalu lintas mati")
    desk.act(ticket, "verify", "supervisor")
    desk.act(ticket, "assign", "supervisor", officer="staff@tanggap.example", note="segera")

    [(to, subject, body)] = handovers(desk, ticket)
    assert to == "staff@tanggap.example"
    assert subject.startswith(f"[Tanggap] {ticket.code} ditugaskan kepada Anda / assigned to you")
    assert "Yth. Staff / Dear Staff," in body
    assert f"Report {ticket.code} was assigned to you by" in body
    assert "Macet total, lampu lalu lintas mati" in body
    assert "Catatan staf / staff note:\nsegera" in body
    assert "next deadline: mulai penanganan: " in body and " WIB / start of work: " in body
    assert f"/staff/tickets/{ticket.code}" in body


def test_a_transfer_without_officer_tells_the_receiving_queue_then_reassign_the_officer(
    desk: Desk,
) -> None:
    add_staff(desk.session, email="sari@dbm.example", name="Sari", role="staff",
              agency="DBM", now=desk.now)  # fmt: skip
    ticket = desk.submit()
    desk.act(ticket, "verify")
    desk.act(ticket, "assign")  # to Dishub, nobody named: its queue hears
    desk.act(ticket, "transfer", note="jalan ambles, urusan Bina Marga")
    desk.act(ticket, "reassign", "dbm", officer="sari@dbm.example")

    mails = handovers(desk, ticket)
    assert [m[0] for m in mails] == [
        "dishub.queue@tanggap.example",
        "dbm.queue@tanggap.example",
        "sari@dbm.example",
    ]
    transferred = mails[1]
    assert "dialihkan ke Dinas Bina Marga / transferred to your agency" in transferred[1]
    assert "no officer is named yet" in transferred[2]
    assert "jalan ambles, urusan Bina Marga" in transferred[2]  # the reason, for staff only
    assert "was assigned to you by" in mails[2][2]


def test_nobody_is_told_of_their_own_act_nor_of_what_hands_nothing_over(desk: Desk) -> None:
    ticket = desk.submit()
    desk.act(ticket, "verify", "staff")
    desk.act(ticket, "assign", "staff", officer="staff@tanggap.example")  # takes it themself
    desk.act(ticket, "start", "staff")
    desk.act(ticket, "hold", "staff")
    desk.act(ticket, "comment", "staff")
    assert handovers(desk, ticket) == []


def test_a_category_correction_that_reroutes_tells_the_new_agencys_queue(desk: Desk) -> None:
    ticket = desk.submit()  # a traffic jam: Dishub's
    desk.act(ticket, "verify", "admin", category="flood")  # it is a flood: DSDA's

    [(to, subject, body)] = handovers(desk, ticket)
    assert to == "dsda.queue@tanggap.example"
    assert "masuk ke" in subject and "now with your agency" in subject
    assert "was corrected by" in body and "so it is now" in body


def test_a_hand_over_still_waiting_when_the_work_is_done_is_not_sent(desk: Desk) -> None:
    """A tester's report: the agency queue got "now with your agency, no officer is named yet"
    about a ticket its own staff had already resolved and closed. A reopen hands it over anew."""
    ticket = desk.submit()
    desk.act(ticket, "verify")
    desk.act(ticket, "assign")  # to Dishub's queue, nobody named
    ((to, _, _),) = handovers(desk, ticket)
    assert to == "dishub.queue@tanggap.example"
    desk.act(ticket, "start", "staff")
    desk.act(ticket, "resolve", "staff", note="sudah lancar")

    row = desk.session.scalars(
        select(Notification).where(
            Notification.ticket_id == ticket.id, Notification.kind == "handover"
        )
    ).one()
    assert row.status == "failed"
    assert row.last_error == f"not sent: after a change to {ticket.code}, the ticket is resolved"


def test_a_hand_over_to_a_ticket_still_being_worked_on_still_goes(desk: Desk) -> None:
    ticket = desk.submit()
    desk.act(ticket, "verify")
    desk.act(ticket, "assign")
    desk.act(ticket, "start", "staff")
    desk.act(ticket, "hold", "staff", note="menunggu alat berat")
    row = desk.session.scalars(
        select(Notification).where(
            Notification.ticket_id == ticket.id, Notification.kind == "handover"
        )
    ).one()
    assert row.status == "pending"
    # worded anew: the state the hand-over left, beside the state now (not one for the other)
    assert (
        "Status saat itu / then: Disposisi / Assigned\nStatus sekarang / now: Ditunda / On hold\n"
    ) in row.body
    assert "<tr><td>Status saat itu / then</td><td>Disposisi / Assigned</td></tr>" in (
        row.html_body or ""
    )


def test_a_hand_over_sent_as_it_is_queued_names_one_state(desk: Desk) -> None:
    ticket = desk.submit()
    desk.act(ticket, "verify")
    desk.act(ticket, "assign")

    [(_, _, body)] = handovers(desk, ticket)
    assert "Status: Disposisi / Assigned\n" in body
    assert "Status sekarang" not in body
