"""The engine's rule for contesting a rejection (``reinstate``): the reporter's appeal within the
dispute window counted from the rejection, a supervisor's or admin's un-reject at any time; the
report back to submitted as a new cycle; and which follow-ups reach the agency's mailbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.errors import Forbidden, RuleViolated, WindowClosed
from engine.models import Notification, SlaTimer
from engine.tickets import list_events
from tests.engine.test_rules import persisted


def _rejection(desk, ticket):  # type: ignore[no-untyped-def]
    (event,) = [e for e in list_events(desk.session, ticket) if e.trigger == "reject"]
    return event.created_at


def _follow_up_mails(desk, ticket) -> list[str]:  # type: ignore[no-untyped-def]
    return list(
        desk.session.scalars(
            select(Notification.body)
            .where(Notification.ticket_id == ticket.id, Notification.kind == "citizen_follow_up")
            .order_by(Notification.id)
        )
    )


def test_reinstate_by_reporter_at_the_windows_last_instant_starts_a_new_cycle(desk) -> None:
    ticket = desk.ticket_in("rejected")
    window = timedelta(days=desk.settings.dispute_window_days)
    desk.now = _rejection(desk, ticket) + window - timedelta(minutes=5)  # act() adds five

    desk.act(ticket, "reinstate", "citizen", note="ini wewenang Dishub")

    assert (ticket.state, ticket.cycle, ticket.last_trigger) == ("submitted", 2, "reinstate")
    event = list_events(desk.session, ticket)[-1]
    assert (event.from_state, event.actor_role, event.note, event.public, event.data) == (
        "rejected",
        "citizen",
        "ini wewenang Dishub",
        False,
        {"cycle": {"from": 1, "to": 2}},
    )
    timers = desk.session.scalars(select(SlaTimer).where(SlaTimer.ticket_id == ticket.id)).all()
    running = {(t.kind, t.cycle): t.started_at for t in timers if t.stopped_at is None}
    assert running == {("verify", 2): desk.now, ("resolve", 2): desk.now}
    assert ticket.next_check_at is not None and ticket.next_check_at > desk.now


def test_reinstate_by_reporter_after_the_window_conflict_nothing_written(desk) -> None:
    ticket = desk.ticket_in("rejected")
    desk.now = _rejection(desk, ticket) + timedelta(days=desk.settings.dispute_window_days)
    before = persisted(desk.session, ticket)

    with pytest.raises(WindowClosed, match="7-day window to appeal this rejection") as raised:
        desk.act(ticket, "reinstate", "citizen")

    assert (raised.value.state, raised.value.allowed) == ("rejected", [])
    assert persisted(desk.session, ticket) == before


@pytest.mark.parametrize("note", [None, "", "  \n"])
def test_reinstate_without_reason_rule_violated_nothing_written(desk, note: str | None) -> None:
    ticket = desk.ticket_in("rejected")
    before = persisted(desk.session, ticket)

    with pytest.raises(RuleViolated, match="reinstate needs a reason"):
        desk.act(ticket, "reinstate", "citizen", note=note)

    assert persisted(desk.session, ticket) == before


def test_reinstate_by_supervisor_long_after_the_window_staff_forbidden(desk) -> None:
    ticket = desk.ticket_in("rejected")
    desk.now += timedelta(days=60)

    with pytest.raises(Forbidden, match="staff may not reinstate"):
        desk.act(ticket, "reinstate", "staff", note="salah tolak")
    desk.act(ticket, "reinstate", "supervisor", note="salah tolak")

    assert ticket.state == "submitted"
    assert _follow_up_mails(desk, ticket) == []  # staff's own action mails no staff


def test_reporter_appeal_is_forwarded_to_the_agency_with_their_words(desk) -> None:
    ticket = desk.ticket_in("rejected")

    desk.act(ticket, "reinstate", "citizen", note="lampu mati sudah seminggu, bukan spam")

    (body,) = _follow_up_mails(desk, ticket)
    assert "The reporter appeals the rejection of report" in body
    assert "the citizen's reason for the appeal:\nlampu mati sudah seminggu, bukan spam\n" in body


def test_rating_changed_again_mails_the_agency_only_when_its_words_change(desk) -> None:
    ticket = desk.ticket_in("resolved")

    desk.act(ticket, "rate", "citizen", rating=2, note="lubangnya ditutup asal-asalan")
    for rating in (1, 3, 2, 1):  # the same words, another score: figures, not mail
        desk.act(ticket, "rate", "citizen", rating=rating, note="lubangnya ditutup asal-asalan")
    desk.act(ticket, "rate", "citizen", rating=4)  # no words: no mail
    desk.act(ticket, "rate", "citizen", rating=4, note="lubangnya ditutup asal-asalan")
    desk.act(ticket, "rate", "citizen", rating=5, note="sudah diperbaiki ulang, terima kasih")

    mails = _follow_up_mails(desk, ticket)
    assert len(mails) == 2
    assert "2 out of 5" in mails[0] and "lubangnya ditutup asal-asalan" in mails[0]
    assert "5 out of 5" in mails[1] and "sudah diperbaiki ulang, terima kasih" in mails[1]
    assert ticket.rating == 5
