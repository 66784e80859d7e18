"""The SLA sweep: record every due ladder level of every due ticket, once, and enqueue its mail.

The sweep is level-triggered — "due and not yet recorded" — so a second sweep, a concurrent
sweep, a retry or a catch-up after downtime all converge on the same ledger. It reads only
tickets whose indexed ``next_check_at`` has passed, so its cost follows the due tickets, not
the open ones. On PostgreSQL the claim skips rows another sweeper holds (``FOR UPDATE SKIP
LOCKED``), so several workers split the work; SQLite has a single writer anyway. The ledger's
unique key (ticket, timer, cycle, level) is the last line of defence against a double record.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from engine import clocks
from engine.models import Escalation, SlaTimer, Ticket
from engine.outbox import enqueue, escalation_message, notification_rows
from engine.policies import load_policy_book
from engine.recipients import Directory
from sla import Level, Policy, level_due_at, status


@dataclass
class SweepResult:
    tickets: int = 0
    escalations: int = 0
    notifications: int = 0
    #: Warnings recorded without mail because their breach was already due (catch-up).
    not_mailed: int = 0
    recorded: list[tuple[str, str, int, str]] = field(default_factory=list)

    def add(self, other: SweepResult) -> None:
        self.tickets += other.tickets
        self.escalations += other.escalations
        self.notifications += other.notifications
        self.not_mailed += other.not_mailed
        self.recorded.extend(other.recorded)


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


LedgerKey = tuple[int, str, int, str]


def _ledger_keys(session: Session, ticket_ids: list[int]) -> set[LedgerKey]:
    rows = session.execute(
        select(
            Escalation.ticket_id, Escalation.timer_kind, Escalation.cycle, Escalation.level
        ).where(Escalation.ticket_id.in_(ticket_ids))
    )
    return {(ticket_id, kind, cycle, level) for ticket_id, kind, cycle, level in rows}


def sweep_batch(session: Session, *, now: datetime, limit: int = 500) -> SweepResult:
    """One batch in the caller's transaction; call again while it returns ``limit`` tickets."""
    tickets = list(session.scalars(due_tickets_query(now, limit)))
    result = SweepResult(tickets=len(tickets))
    if not tickets:
        return result
    book = load_policy_book(session)
    ticket_ids = [t.id for t in tickets]
    timers_by_ticket = clocks.running_timers(session, ticket_ids)
    recorded = _ledger_keys(session, ticket_ids)
    to_mail: list[tuple[Ticket, SlaTimer, Level, Policy, Escalation]] = []

    with session.no_autoflush:
        for ticket in tickets:
            for timer in timers_by_ticket[ticket.id]:
                policy = clocks.policy_for(book, ticket, timer)
                if policy is None:
                    timer.next_due_at = None  # no SLA configured any more: nothing falls due
                    continue
                facts = clocks.facts(timer, policy)
                current = status(facts, policy.ladder, now)
                fresh = [
                    level
                    for level in current.due_levels
                    if (ticket.id, timer.kind, timer.cycle, level.name) not in recorded
                ]
                # After downtime a warning may come due together with its breach: record it,
                # but a "will soon be late" mail about something already late only confuses.
                breach_due = any(level.percent >= 100 for level in fresh)
                for level in fresh:
                    mailed = level.percent >= 100 or not breach_due
                    escalation = Escalation(
                        ticket_id=ticket.id,
                        timer_id=timer.id,
                        timer_kind=timer.kind,
                        cycle=timer.cycle,
                        level=level.name,
                        percent=level.percent,
                        due_at=level_due_at(facts, level.percent) or now,
                        recorded_at=now,
                        mailed=mailed,
                    )
                    session.add(escalation)
                    result.escalations += 1
                    result.recorded.append((ticket.code, timer.kind, timer.cycle, level.name))
                    if mailed:
                        to_mail.append((ticket, timer, level, policy, escalation))
                    else:
                        result.not_mailed += 1
                timer.levels_recorded = [level.name for level in current.due_levels]
                timer.breached = timer.breached or current.breached
                timer.next_due_at = clocks.next_due(timer, policy)
        session.flush()  # escalation ids for the outbox rows

        directory = Directory(session)
        letters: list[dict[str, Any]] = []
        for ticket, timer, level, policy, escalation in to_mail:
            subject, body = escalation_message(ticket, timer, level, policy)
            letters += notification_rows(
                ticket=ticket,
                escalation=escalation,
                addressees=directory.resolve(ticket, timer, level.notify),
                subject=subject,
                body=body,
                now=now,
            )
        result.notifications += enqueue(session, letters)
    clocks.set_next_checks(
        session, [(t, clocks.earliest_check(timers_by_ticket[t.id])) for t in tickets]
    )
    return result


def sweep(
    transaction: Callable[[], AbstractContextManager[Session]],
    *,
    now: datetime,
    limit: int = 500,
    reading: Callable[[], AbstractContextManager[Session]] | None = None,
) -> SweepResult:
    """Sweep until nothing is due, one transaction per batch.

    With ``reading`` (a read-only transaction), an idle sweep only reads: on SQLite the every-
    minute sweep then never blocks a writer when there is nothing to do.

    On SQLite the sweep holds the only write lock while it works, and a writer waiting in
    SQLite's busy handler sleeps up to 100 ms between tries: without a gap that long between
    batches, a long catch-up would starve the citizens' and staff's writes.
    """
    total = SweepResult()
    if reading is not None:
        with reading() as session:
            if not any_due(session, now):
                return total
    while True:
        with transaction() as session:
            batch = sweep_batch(session, now=now, limit=limit)
            pause = 0.1 if session.get_bind().dialect.name == "sqlite" else 0.0
        total.add(batch)
        if batch.tickets < limit:
            return total
        time.sleep(pause)
