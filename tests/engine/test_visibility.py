"""``engine.visibility``: the rule in Python (mail, the public time) and in SQL (feeds, the
public timeline) says the same of every kind of event, and feeds filter before their LIMIT."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import visibility
from engine.errors import RuleViolated
from engine.lifecycle import Trigger
from engine.models import TicketEvent
from engine.queries import list_public_updates
from tests.conftest import make_photo
from tests.engine.conftest import Desk


def _every_kind(desk: Desk) -> None:
    """Tickets that between them fire every trigger, with notes public and internal, photos
    public and internal, the reporter's words with and without a photo."""
    a = desk.ticket_in("in_progress")
    desk.act(a, "comment", "admin", note="internal", public=False)
    desk.act(a, "comment", "admin", note="internal, photo", public=False, photos=(make_photo(),))
    desk.act(a, "comment", "admin", note="public", public=True)
    desk.act(a, "comment", "admin", note="public, photo", public=True, photos=(make_photo(),))
    desk.act(a, "comment", "citizen", note="words only")
    desk.act(a, "comment", "citizen", note="with a photo", photos=(make_photo(),))
    desk.act(a, "update", "admin", priority="high", note="internal reason")
    desk.act(a, "update", "admin", priority="low", note="public reason", public=True)
    desk.act(a, "hold", "admin", note="menunggu PLN", public=False)  # a change of state
    desk.act(a, "resume", "admin", note="PLN datang")
    dup = desk.ticket_in("verified")
    desk.act(dup, "mark_duplicate", "admin", duplicate_of=a.code)  # and a merge on a
    desk.act(a, "resolve", "admin", note="selesai")
    desk.act(a, "rate", "citizen", rating=2, note="kurang")
    desk.act(a, "reopen", "citizen", note="masih macet")
    desk.act(a, "transfer", "admin", agency="DBM", note="jalan rusak")
    desk.act(a, "reassign", "admin", officer="dbm@tanggap.example")
    b = desk.ticket_in("closed")
    desk.act(b, "rate", "citizen", rating=5)
    c = desk.submit()
    desk.act(c, "reject", "admin", note="spam")
    desk.act(c, "reinstate", "citizen", note="bukan spam")  # a change of state: public
    spam = desk.submit()
    desk.act(spam, "reject", "admin", note="spam")
    desk.act(spam, "unpublish", "admin", note="berisi data pribadi")
    desk.act(spam, "republish", "admin", note="ditarik keliru")
    desk.act(spam, "redact", "admin", note="nomor HP", description="Iklan")  # public, unsaid


def test_python_and_sql_rules_agree_on_every_trigger(desk: Desk) -> None:
    _every_kind(desk)
    events = desk.session.scalars(select(TicketEvent).order_by(TicketEvent.id)).all()
    assert {e.trigger for e in events} == {t.value for t in Trigger}
    in_sql = set(
        desk.session.scalars(select(TicketEvent.id).where(visibility.public_clause())).all()
    )
    assert {e.id for e in events if visibility.is_public(e)} == in_sql
    changes = set(
        desk.session.scalars(select(TicketEvent.id).where(visibility.changes_state_clause()))
    )
    assert {e.id for e in events if visibility.changes_state(e)} == changes
    hidden = [(e.trigger, e.note) for e in events if e.id not in in_sql]
    assert hidden == [
        ("comment", "internal"),
        ("comment", "internal, photo"),
        ("comment", "words only"),
        ("update", "internal reason"),
        ("merge", None),
        ("rate", "kurang"),
        ("reassign", None),
        ("rate", None),
        ("unpublish", "berisi data pribadi"),
        ("republish", "ditarik keliru"),
    ]


def test_the_feed_limit_counts_public_events_only(desk: Desk) -> None:
    start = desk.now
    a = desk.ticket_in("in_progress")  # 4 public events
    for n in range(6):
        desk.act(a, "comment", "admin", note=f"internal {n}", public=False)
    desk.act(a, "comment", "admin", note="public", public=True)
    end = desk.now + timedelta(minutes=1)

    def page(limit: int) -> list[tuple[str, str | None]]:
        found = list_public_updates(desk.session, start=start, end=end, limit=limit)
        return [(u.trigger, u.note) for u in found]

    assert page(5) == [
        ("submit", None),
        ("verify", None),
        ("assign", None),
        ("start", None),
        ("comment", "public"),
    ]
    assert page(100) == page(5)
    assert page(2) == [("submit", None), ("verify", None)]


@pytest.mark.parametrize(
    ("state", "trigger"), [("in_progress", "resolve"), ("submitted", "reject")]
)
def test_a_resolution_or_rejection_kept_internal_is_refused_writing_nothing(
    desk: Desk, state: str, trigger: str
) -> None:
    """A tester's finding: a resolve with ``public: false`` hid its note and proof photo from
    the reporter, whose dispute window still ran; a reject so kept mailed "Ditolak" and invited
    an appeal without a reason. The city's answer to the reporter is always public."""
    ticket = desk.ticket_in(state)
    version = ticket.version

    def events() -> list[TicketEvent]:
        query = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
        return list(desk.session.scalars(query.order_by(TicketEvent.seq)))

    with pytest.raises(RuleViolated) as refused:
        desk.act(ticket, trigger, "admin", note="selesai", public=False)
    assert refused.value.code == "answer_is_public"
    assert refused.value.params == {"field": "public", "trigger": trigger}
    assert (ticket.state, ticket.version, len(events())) == (state, version, version)
    desk.act(ticket, trigger, "admin", note="selesai", public=True)
    last = events()[-1]
    assert (last.trigger, last.note, visibility.is_public(last)) == (trigger, "selesai", True)
