"""A ticket's SLA timeline: each timer with its start, pauses, deadline, stop and levels reached."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import timers as timer_rows
from engine.models import Escalation, SlaTimer, Ticket, TicketEvent
from engine.policies import load_policy_book
from engine.queries.figures import ended_not_by_the_work
from sla import deadline, elapsed, status

#: ``TimerView.ended_by`` of a clock no event stopped (a catalogue reload took its target away).
POLICY_CHANGE = "policy change"


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
    #: The trigger that stopped it without the work it measures being done (a transfer, a
    #: rejection; ``POLICY_CHANGE`` when no event did: ``engine.clocks``, "Met, missed or
    #: ended"); such a clock reads "ended" unless its deadline had passed.
    ended_by: str | None = None

    @property
    def status(self) -> str:
        """running, paused, overdue, met, breached, or ended (stopped before its deadline by
        something other than the work it measures: neither met nor missed)."""
        if self.stopped_at is not None:
            if self.breached:
                return "breached"
            return "ended" if self.ended_by else "met"
        if self.pauses and self.pauses[-1][1] is None:
            return "paused"
        return "overdue" if self.breached else "running"


def sla_timeline(session: Session, ticket: Ticket, *, now: datetime) -> list[TimerView]:
    book = load_policy_book(session)
    timers = session.scalars(
        select(SlaTimer).where(SlaTimer.ticket_id == ticket.id).order_by(SlaTimer.id)
    )
    ledger: dict[int, list[LevelReached]] = {}
    for row in session.scalars(
        select(Escalation).where(Escalation.ticket_id == ticket.id).order_by(Escalation.percent)
    ):
        ledger.setdefault(row.timer_id, []).append(
            LevelReached(row.label, row.percent, row.due_at, row.recorded_at, row.mailed)
        )
    stopping = {
        at: trigger
        for at, trigger in session.execute(
            select(TicketEvent.created_at, TicketEvent.trigger).where(
                TicketEvent.ticket_id == ticket.id
            )
        )
    }
    views = []
    for timer in timers:
        stopper = stopping.get(timer.stopped_at) if timer.stopped_at is not None else None
        policy = timer_rows.policy_for(book, ticket, timer)
        target = timedelta(seconds=timer.target_seconds)
        breached = timer.breached
        if policy is None:
            spent, moment = timedelta(seconds=timer.elapsed_seconds or 0), timer.deadline
        elif timer.stopped_at is not None:
            # Judged, and read, as it ran: its deadline, its verdict and the time it consumed
            # are the ones stored when it stopped, under the calendar and target it had then.
            # Recomputed under today's catalogue, a date closed or opened since would move the
            # deadline of a clock that no longer runs, could turn a met clock into a breached
            # one, and would say a clock that ran on a day closed later ran for nothing. (A
            # clock stopped before revision 0022 has no stored elapsed time: computed.)
            spent = (
                timedelta(seconds=timer.elapsed_seconds)
                if timer.elapsed_seconds is not None
                else elapsed(timer_rows.facts(timer, policy), now)
            )
            moment = timer.deadline
        else:
            facts = timer_rows.facts(timer, policy)
            spent, moment = elapsed(facts, now), deadline(facts, now)
            breached = breached or status(facts, policy.ladder, now).breached
        views.append(
            TimerView(
                kind=timer.kind,
                cycle=timer.cycle,
                policy=timer.policy_code,
                agency_id=timer.agency_id,
                started_at=timer.started_at,
                pauses=tuple((p.begin, p.end) for p in timer_rows.pauses(timer)),
                target=target,
                deadline=moment,
                stopped_at=timer.stopped_at,
                elapsed=spent,
                remaining=target - spent,
                breached=breached,
                next_due_at=timer.next_due_at,
                levels=tuple(ledger.get(timer.id, [])),
                ended_by=(
                    (stopper or POLICY_CHANGE)
                    if timer.stopped_at is not None and ended_not_by_the_work(timer.kind, stopper)
                    else None
                ),
            )
        )
    return views
