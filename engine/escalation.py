"""The SLA sweep: record every due ladder level of every due ticket, once, and enqueue its mail.

The sweep is level-triggered — "due and not yet recorded" — so a second sweep, a concurrent
sweep, a retry or a catch-up after downtime all converge on the same ledger. It reads only
tickets whose indexed ``next_check_at`` has passed, so its cost follows the due tickets, not
the open ones. On PostgreSQL the claim skips rows another sweeper holds (``FOR UPDATE SKIP
LOCKED``), so several workers split the work; SQLite has a single writer anyway. The ledger's
unique key (ticket, timer, cycle, level key) is the last line of defence against a double
record. What is recorded and what is mailed: see ``engine.ledger``. A level already recorded
whose mail a change took back and that was then not reached (a later deadline) is told by the
sweep once time makes it due again (``ledger.tell_untold``), under the same claim.

``sweep`` is the one loop, used by ``tanggap sweep`` and by the ``sla-sweep`` flow alike; the
edge passes in how to pace batches (SQLite needs a gap so that other writers get the lock).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from engine import timers as timer_rows
from engine.ledger import SweepResult, count_untold, record_due, tell_untold
from engine.models import SlaTimer, Ticket
from engine.policies import load_policy_book
from sla import Policy

__all__ = ["SweepResult", "any_due", "due_tickets_query", "sweep", "sweep_batch"]


def due_tickets_query(now: datetime, limit: int) -> Select[Ticket]:
    """The claim: the only read a sweep makes when nothing is due."""
    return (
        select(Ticket)
        .where(Ticket.next_check_at <= now)
        .order_by(Ticket.next_check_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Ticket)
    )


def any_due(session: Session, now: datetime) -> bool:
    """Whether a sweep would find work: a read, so an idle sweep takes no write lock."""
    query = select(Ticket.id).where(Ticket.next_check_at <= now).limit(1)
    return session.scalar(query) is not None


def sweep_batch(session: Session, *, now: datetime, limit: int = 500) -> SweepResult:
    """One batch in the caller's transaction; call again while it returns ``limit`` tickets."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    tickets = list(session.scalars(due_tickets_query(now, limit)))
    result = SweepResult(tickets=len(tickets))
    if not tickets:
        return result
    book = load_policy_book(session)
    timers_by_ticket = timer_rows.open_timers(session, [t.id for t in tickets])
    items: list[tuple[Ticket, SlaTimer, Policy]] = []
    for ticket in tickets:
        for timer in timers_by_ticket[ticket.id]:
            policy = timer_rows.policy_for(book, ticket, timer)
            if policy is None:
                timer.next_due_at = None  # no SLA configured any more: nothing falls due
            elif timer.next_due_at is not None:
                items.append((ticket, timer, policy))
    # A level a change left told to nobody, due again by now (``ledger.tell_untold``), first:
    # a higher level recorded below then says it was told.
    untold = tell_untold(session, tickets, timers_by_ticket, now=now, result=result)
    record_due(session, items, now=now, result=result)
    session.flush()
    count_untold(session, untold, timers_by_ticket, now=now)
    timer_rows.set_next_checks(
        session, [(t, timer_rows.earliest_check(timers_by_ticket[t.id])) for t in tickets]
    )
    return result


def sweep(
    transaction: Callable[[], AbstractContextManager[Session]],
    *,
    now: datetime,
    limit: int = 500,
    reading: Callable[[], AbstractContextManager[Session]] | None = None,
    between_batches: Callable[[], None] | None = None,
    max_batches: int | None = None,
) -> SweepResult:
    """Sweep until nothing is due, one transaction per batch of ``limit`` tickets.

    ``reading`` (a read-only transaction) lets an idle sweep only read, so the every-minute
    sweep never blocks a writer when there is nothing to do. ``between_batches`` runs after a
    full batch, before the next (on SQLite the edge sleeps ~0.1 s there: a writer waiting in
    SQLite's busy handler sleeps up to 100 ms between tries, and a long catch-up without gaps
    starves the citizens' and staff's writes). ``max_batches`` bounds one run.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    total = SweepResult()
    if reading is not None:
        with reading() as session:
            if not any_due(session, now):
                return total
    batches = 0
    while True:
        with transaction() as session:
            batch = sweep_batch(session, now=now, limit=limit)
        total.add(batch)
        batches += 1
        if batch.tickets < limit or (max_batches is not None and batches >= max_batches):
            return total
        if between_batches is not None:
            between_batches()
