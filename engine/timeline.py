"""A ticket's SLA timeline: each timer with its start, pauses, deadline, stop and levels reached."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clocks
from engine.lifecycle import Trigger
from engine.models import Escalation, SlaTimer, Ticket, TicketEvent
from engine.policies import load_policy_book
from sla import deadline, elapsed


@dataclass(frozen=True)
class LevelReached:
    level: str
    percent: int
    due_at: datetime
    recorded_at: datetime
    mailed: bool


@dataclass(frozen=True)
class TimerView:
    kind: str
    cycle: int
    policy: str
    agency_id: int
    started_at: datetime
    pauses: tuple[tuple[datetime, datetime | None], ...]
    target: timedelta
    deadline: datetime
    stopped_at: datetime | None
    elapsed: timedelta
    remaining: timedelta
    breached: bool
    next_due_at: datetime | None
    levels: tuple[LevelReached, ...]

    @property
    def status(self) -> str:
        if self.stopped_at is not None:
            return "breached" if self.breached else "met"
        if self.pauses and self.pauses[-1][1] is None:
            return "paused"
        return "overdue" if self.remaining <= timedelta(0) else "running"


def _pauses(
    events: list[TicketEvent], start: datetime, end: datetime | None
) -> tuple[tuple[datetime, datetime | None], ...]:
    spans: list[tuple[datetime, datetime | None]] = []
    for event in events:
        if event.created_at < start or (end is not None and event.created_at > end):
            continue
        if event.trigger == Trigger.HOLD:
            spans.append((event.created_at, None))
        elif event.trigger == Trigger.RESUME and spans and spans[-1][1] is None:
            spans[-1] = (spans[-1][0], event.created_at)
    return tuple(spans)


def sla_timeline(session: Session, ticket: Ticket, *, now: datetime) -> list[TimerView]:
    book = load_policy_book(session)
    timers = session.scalars(
        select(SlaTimer).where(SlaTimer.ticket_id == ticket.id).order_by(SlaTimer.id)
    )
    events = list(
        session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.trigger.in_(["hold", "resume"]))
            .order_by(TicketEvent.seq)
        )
    )
    ledger: dict[int, list[LevelReached]] = {}
    for row in session.scalars(
        select(Escalation).where(Escalation.ticket_id == ticket.id).order_by(Escalation.percent)
    ):
        ledger.setdefault(row.timer_id, []).append(
            LevelReached(row.level, row.percent, row.due_at, row.recorded_at, row.mailed)
        )
    views = []
    for timer in timers:
        policy = clocks.policy_for(book, ticket, timer)
        target = timedelta(seconds=timer.target_seconds)
        if policy is not None:
            facts = clocks.facts(timer, policy)
            spent, moment = elapsed(facts, now), deadline(facts, now)
        else:
            spent, moment = timedelta(0), timer.deadline
        views.append(
            TimerView(
                kind=timer.kind,
                cycle=timer.cycle,
                policy=timer.policy_code,
                agency_id=timer.agency_id,
                started_at=timer.started_at,
                pauses=_pauses(events, timer.started_at, timer.stopped_at),
                target=target,
                deadline=moment,
                stopped_at=timer.stopped_at,
                elapsed=spent,
                remaining=target - spent,
                breached=timer.breached or spent >= target,
                next_due_at=timer.next_due_at,
                levels=tuple(ledger.get(timer.id, [])),
            )
        )
    return views
