"""The operator's ticket listing (``engine.queries.list_tickets``): open tickets by default,
most urgent first, and how many matched in all when the listing is cut."""

from __future__ import annotations

from sqlalchemy import select

from engine.lifecycle import State
from engine.models import SlaTimer, Ticket
from engine.queries import TicketFilter, list_tickets

from .conftest import Desk


def test_list_tickets_open_most_overdue_first_with_the_total_when_cut(desk: Desk) -> None:
    before = list_tickets(desk.session, TicketFilter(), now=desk.now, limit=None).total
    oldest_first = []
    for _ in range(63):
        oldest_first.append(desk.submit().code)
        desk.tick(7 * 60)  # a report every seven hours, over two and a half weeks
    rejected = desk.ticket_in("rejected").code
    waiting = desk.ticket_in("on_hold").code
    moment = desk.tick(60 * 24 * 30)  # a month later: every running clock is overdue

    everything = list_tickets(desk.session, TicketFilter(), now=moment, limit=None)
    cut = list_tickets(desk.session, TicketFilter(), now=moment, limit=50)

    listed = [line.code for line in everything.lines]
    assert everything.total == before + 63 + 1 == len(listed)  # the on-hold one is open too
    assert rejected not in listed
    mine = [code for code in listed if code in set(oldest_first)]
    # The oracle, from the timer rows themselves: each report's earliest running deadline.
    due = {
        code: min(
            t.deadline
            for t in desk.session.scalars(select(SlaTimer).join(Ticket).where(Ticket.code == code))
            if t.stopped_at is None and t.deadline is not None
        )
        for code in oldest_first
    }
    assert mine == sorted(oldest_first, key=lambda code: (due[code], oldest_first.index(code)))
    assert mine[0] == oldest_first[0]  # the oldest report is the most overdue: it leads
    assert oldest_first[0] in {line.code for line in cut.lines}
    assert listed.index(waiting) > max(listed.index(code) for code in oldest_first)
    deadlines = [line.deadline for line in everything.lines if not line.paused and line.deadline]
    assert deadlines == sorted(deadlines)
    assert (cut.total, len(cut.lines), cut.cut) == (everything.total, 50, True)
    assert [line.code for line in cut.lines] == listed[:50]
    assert not everything.cut


def test_list_tickets_overdue_most_overdue_first_and_final_states_on_request(
    desk: Desk,
) -> None:
    older = desk.submit().code
    desk.tick(60 * 24 * 3)
    newer = desk.submit().code
    rejected = desk.ticket_in("rejected").code
    moment = desk.tick(60 * 24 * 30)

    overdue = list_tickets(desk.session, TicketFilter(overdue=True), now=moment, limit=None)
    codes = [line.code for line in overdue.lines]
    assert codes.index(older) < codes.index(newer)
    assert all(line.deadline and line.deadline < moment for line in overdue.lines)

    every = list_tickets(desk.session, TicketFilter(states=tuple(State)), now=moment, limit=None)
    only = list_tickets(
        desk.session, TicketFilter(states=(State.REJECTED,)), now=moment, limit=None
    )
    assert rejected in {line.code for line in every.lines}
    assert rejected in {line.code for line in only.lines}
    assert {line.state for line in only.lines} == {State.REJECTED}
