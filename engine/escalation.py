"""The SLA sweep: record every due ladder level of every due ticket, once, and enqueue its mail.

The sweep is level-triggered — "due and not yet recorded" — so a second sweep, a concurrent
sweep, a retry or a catch-up after downtime all converge on the same ledger. It reads only
tickets whose indexed ``next_check_at`` has passed, so its cost follows the due tickets, not
the open ones. On PostgreSQL the claim skips rows another sweeper holds (``FOR UPDATE SKIP
LOCKED``), so several workers split the work; SQLite has a single writer anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine import clocks
from engine.models import Escalation, Ticket
from engine.outbox import enqueue, escalation_message
from engine.policies import load_policy_book
from engine.recipients import Directory
from sla import level_due_at, status


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


def _record(session: Session, values: dict[str, object]) -> int | None:
    """Insert a ledger row unless its key exists; the new row's id, or None if it did."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(Escalation)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["ticket_id", "timer_kind", "cycle", "level"])
        .returning(Escalation.id)
    )
    return session.scalar(statement)


def sweep_batch(session: Session, *, now: datetime, limit: int = 500) -> SweepResult:
    """One batch in the caller's transaction; call again while it returns ``limit`` tickets."""
    tickets = list(session.scalars(due_tickets_query(now, limit)))
    result = SweepResult(tickets=len(tickets))
    if not tickets:
        return result
    book = load_policy_book(session)
    directory = Directory(session)
    timers_by_ticket = clocks.running_timers(session, [t.id for t in tickets])
    for ticket in tickets:
        timers = timers_by_ticket[ticket.id]
        for timer in timers:
            policy = clocks.policy_for(book, ticket, timer)
            if policy is None:
                timer.next_due_at = None  # no SLA configured any more: nothing can fall due
                continue
            current = status(clocks.facts(timer, policy), policy.ladder, now)
            fresh = [lvl for lvl in current.due_levels if lvl.name not in timer.levels_recorded]
            breach_due = any(level.percent >= 100 for level in fresh)
            for level in fresh:
                mailed = level.percent >= 100 or not breach_due
                escalation_id = _record(
                    session,
                    {
                        "ticket_id": ticket.id,
                        "timer_id": timer.id,
                        "timer_kind": timer.kind,
                        "cycle": timer.cycle,
                        "level": level.name,
                        "percent": level.percent,
                        "due_at": level_due_at(clocks.facts(timer, policy), level.percent) or now,
                        "recorded_at": now,
                        "mailed": mailed,
                    },
                )
                if escalation_id is None:
                    continue  # another sweep recorded it first
                result.escalations += 1
                result.recorded.append((ticket.code, timer.kind, timer.cycle, level.name))
                if not mailed:
                    result.not_mailed += 1
                    continue
                subject, body = escalation_message(ticket, timer, level, policy)
                result.notifications += enqueue(
                    session,
                    ticket=ticket,
                    escalation=session.get_one(Escalation, escalation_id),
                    addressees=directory.resolve(ticket, timer, level.notify),
                    subject=subject,
                    body=body,
                    now=now,
                )
            timer.levels_recorded = [*timer.levels_recorded, *(lvl.name for lvl in fresh)]
            timer.breached = timer.breached or current.breached
            timer.next_due_at = clocks.next_due(timer, policy)
        session.flush()
        clocks.set_next_check(session, ticket, timers)
    return result


def sweep(
    transaction: Callable[[], AbstractContextManager[Session]],
    *,
    now: datetime,
    limit: int = 500,
) -> SweepResult:
    """Sweep until nothing is due, one transaction per batch."""
    total = SweepResult()
    while True:
        with transaction() as session:
            batch = sweep_batch(session, now=now, limit=limit)
        total.add(batch)
        if batch.tickets < limit:
            return total
