"""A reporter's rating is of one fix: a dispute (reopen) sets it aside, the history keeps it,
and the reporter rates the next fix afresh — what their view says, what the next rating records
and which ratings reach the people who made the fix."""

from __future__ import annotations

from sqlalchemy import select

from engine.lifecycle import Trigger
from engine.models import Notification
from engine.reports import reporter_choices, reporter_view
from engine.tickets import list_events


def _view(desk, ticket):  # type: ignore[no-untyped-def]
    return reporter_view(desk.session, ticket.code, token=desk.tokens[ticket.code], now=desk.now)


def _may(desk, ticket) -> tuple[Trigger, ...]:  # type: ignore[no-untyped-def]
    return reporter_choices(desk.session, ticket.code, now=desk.now, settings=desk.settings).actions


def _ratings_in_history(desk, ticket) -> list[tuple[int, dict[str, int | None]]]:  # type: ignore[no-untyped-def]
    return [
        (e.seq, e.data["rating"]) for e in list_events(desk.session, ticket) if e.trigger == "rate"
    ]


def test_a_dispute_sets_the_rating_aside_and_the_next_fix_is_rated_afresh(desk) -> None:
    ticket = desk.ticket_in("resolved")
    desk.act(ticket, "rate", "citizen", rating=2, note="asal-asalan")
    assert _view(desk, ticket).rating == 2

    desk.act(ticket, "reopen", "citizen", note="lubangnya muncul lagi")
    assert _view(desk, ticket).rating is None  # the disputed fix's rating is not the ticket's
    assert Trigger.RATE not in _may(desk, ticket)

    desk.act(ticket, "start")
    desk.act(ticket, "resolve", note="ditambal ulang dengan aspal panas")
    assert _view(desk, ticket).rating is None  # the new fix is not rated yet
    assert Trigger.RATE in _may(desk, ticket)

    desk.act(ticket, "rate", "citizen", rating=5)
    desk.act(ticket, "close", "system")

    assert (ticket.rating, _view(desk, ticket).rating) == (5, 5)
    (first, second) = _ratings_in_history(desk, ticket)
    # Both stay in the history; the second replaced nothing of the first fix's.
    assert first[1] == {"from": None, "to": 2}
    assert second[1] == {"from": None, "to": 5}


def test_a_second_rating_of_the_same_fix_still_replaces_the_first(desk) -> None:
    ticket = desk.ticket_in("resolved")
    desk.act(ticket, "rate", "citizen", rating=2)
    desk.act(ticket, "rate", "citizen", rating=4)

    assert _view(desk, ticket).rating == 4
    assert [r for _, r in _ratings_in_history(desk, ticket)] == [
        {"from": None, "to": 2},
        {"from": 2, "to": 4},
    ]


def test_the_next_fix_rated_in_the_last_ones_words_reaches_whoever_made_it(desk) -> None:
    ticket = desk.ticket_in("resolved")
    desk.act(ticket, "rate", "citizen", rating=2, note="masih ada genangan")
    desk.act(ticket, "reopen", "citizen", note="banjir lagi")
    desk.act(ticket, "start")
    desk.act(ticket, "resolve", note="saluran dikeruk")
    desk.act(ticket, "rate", "citizen", rating=3, note="masih ada genangan")

    rated = [
        body
        for body in desk.session.scalars(
            select(Notification.body)
            .where(Notification.ticket_id == ticket.id, Notification.kind == "citizen_follow_up")
            .order_by(Notification.id)
        )
        if "masih ada genangan" in body
    ]
    assert len(rated) == 2
    assert "2 out of 5" in rated[0] and "3 out of 5" in rated[1]
