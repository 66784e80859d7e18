"""SLA clocks on tickets: which timers start, pause, resume and stop on each transition.

| timer   | starts on                    | runs while              | stops                      |
|---------|------------------------------|-------------------------|----------------------------|
| verify  | submit                       | submitted               | on leaving submitted       |
| assign  | verify                       | verified                | on leaving verified        |
| start   | assign, transfer, reopen     | assigned                | on leaving assigned        |
| resolve | submit; reopen (new cycle)   | any open state          | resolved / rejected / dup. |
| accept  | transfer                     | until the next action   | the receiving agency acts  |

Hold pauses every running timer (they consume no business time on hold) and resume restarts
them, so a deadline moves by exactly the paused business time. A policy without a target for a
timer simply does not start it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine.lifecycle import OPEN_STATES, State, Trigger
from engine.models import SlaTimer, Ticket
from engine.policies import PolicyBook, load_policy_book
from sla import Policy, TimerFacts, TimerKind, level_due_at
from sla import deadline as sla_deadline

RUNS_IN: dict[TimerKind, frozenset[State]] = {
    TimerKind.VERIFY: frozenset({State.SUBMITTED}),
    TimerKind.ASSIGN: frozenset({State.VERIFIED}),
    TimerKind.START: frozenset({State.ASSIGNED}),
    TimerKind.RESOLVE: OPEN_STATES,
    TimerKind.ACCEPT: frozenset({State.ASSIGNED}),
}
STARTS_ON: dict[Trigger, tuple[TimerKind, ...]] = {
    Trigger.SUBMIT: (TimerKind.VERIFY, TimerKind.RESOLVE),
    Trigger.VERIFY: (TimerKind.ASSIGN,),
    Trigger.ASSIGN: (TimerKind.START,),
    Trigger.TRANSFER: (TimerKind.START, TimerKind.ACCEPT),
    Trigger.REOPEN: (TimerKind.START, TimerKind.RESOLVE),
}


def facts(timer: SlaTimer, policy: Policy) -> TimerFacts:
    return TimerFacts(
        start=timer.started_at,
        target=timedelta(seconds=timer.target_seconds),
        calendar=policy.calendar,
        paused=timedelta(seconds=timer.paused_seconds),
        paused_since=timer.paused_since,
        stopped_at=timer.stopped_at,
    )


def next_due(timer: SlaTimer, policy: Policy) -> datetime | None:
    """Earliest instant an unrecorded level falls due (may be past: the sweep catches up)."""
    if timer.stopped_at is not None or timer.paused_since is not None:
        return None
    # Levels rise in percent, so the lowest unrecorded one falls due first.
    for level in policy.ladder.levels:
        if level.name not in timer.levels_recorded:
            return level_due_at(facts(timer, policy), level.percent)
    return None


def running_timers(session: Session, ticket_ids: Sequence[int]) -> dict[int, list[SlaTimer]]:
    grouped: dict[int, list[SlaTimer]] = {ticket_id: [] for ticket_id in ticket_ids}
    query = (
        select(SlaTimer)
        .where(SlaTimer.ticket_id.in_(ticket_ids), SlaTimer.stopped_at.is_(None))
        .order_by(SlaTimer.id)
    )
    for timer in session.scalars(query):
        grouped[timer.ticket_id].append(timer)
    return grouped


def earliest_check(timers: Iterable[SlaTimer]) -> datetime | None:
    return min((t.next_due_at for t in timers if t.next_due_at is not None), default=None)


def set_next_check(session: Session, ticket: Ticket, timers: Iterable[SlaTimer]) -> None:
    """Store the ticket's next_check_at without touching its version."""
    set_next_checks(session, [(ticket, earliest_check(timers))])


def set_next_checks(session: Session, values: Sequence[tuple[Ticket, datetime | None]]) -> None:
    """Store next_check_at for many tickets in one statement, around the ORM's versioning.

    The version counts events; a clock update is not an event, so it must not bump it.
    """
    table = cast(Table, Ticket.__table__)
    changed = [
        {"b_id": ticket.id, "b_next": value}
        for ticket, value in values
        if value != ticket.next_check_at
    ]
    if changed:
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(next_check_at=bindparam("b_next", type_=table.c.next_check_at.type))
        )
        session.connection().execute(statement, changed)
    for ticket, value in values:
        set_committed_value(ticket, "next_check_at", value)


def policy_for(book: PolicyBook, ticket: Ticket, timer: SlaTimer | None = None) -> Policy | None:
    """The timer's own policy while it is still configured, else the ticket's current match."""
    if timer is not None:
        policy = book.get(timer.policy_code)
        if policy is not None:
            return policy
    return book.choose(ticket.category.code, ticket.priority)


def _start(
    session: Session, ticket: Ticket, kind: TimerKind, policy: Policy, now: datetime
) -> SlaTimer | None:
    target = policy.targets.get(kind)
    if target is None:
        return None
    previous = session.scalar(
        select(SlaTimer.cycle)
        .where(SlaTimer.ticket_id == ticket.id, SlaTimer.kind == kind.value)
        .order_by(SlaTimer.cycle.desc())
        .limit(1)
    )
    timer = SlaTimer(
        ticket_id=ticket.id,
        kind=kind.value,
        cycle=(previous or 0) + 1,
        policy_code=policy.code,
        agency_id=ticket.agency_id,
        target_seconds=target.total_seconds(),
        started_at=now,
        paused_seconds=0.0,
        deadline=policy.calendar.add(now, target),
        breached=False,
        levels_recorded=[],
    )
    timer.next_due_at = next_due(timer, policy)
    session.add(timer)
    return timer


def stop(timer: SlaTimer, policy: Policy, now: datetime) -> None:
    timer.stopped_at = now
    timer_facts = facts(timer, policy)
    timer.deadline = sla_deadline(timer_facts, now)
    timer.breached = timer.breached or now >= timer.deadline
    timer.next_due_at = None


def on_transition(
    session: Session, ticket: Ticket, *, trigger: Trigger, now: datetime
) -> list[SlaTimer]:
    """Start, pause, resume and stop the ticket's timers for the transition it just made."""
    book = load_policy_book(session)
    if not book.policies:
        return []
    state = State(ticket.state)
    restarting = set(STARTS_ON.get(trigger, ()))
    timers = running_timers(session, [ticket.id])[ticket.id]
    for timer in timers:
        policy = policy_for(book, ticket, timer)
        if policy is None:
            continue
        kind = TimerKind(timer.kind)
        if trigger is Trigger.HOLD:
            timer.paused_since = now
        elif trigger is Trigger.RESUME and timer.paused_since is not None:
            paused = policy.calendar.between(timer.paused_since, now)
            timer.paused_seconds += paused.total_seconds()
            timer.paused_since = None
            timer.deadline = sla_deadline(facts(timer, policy), now)
        # The receiving agency acted (accept), a new cycle replaces this one (a transfer
        # restarts the start clock for the new agency), or the state left the timer's span.
        acted_on = kind is TimerKind.ACCEPT and trigger not in (Trigger.HOLD, Trigger.RESUME)
        left = state not in RUNS_IN[kind] and state is not State.ON_HOLD
        if acted_on or left or kind in restarting:
            stop(timer, policy, now)
        else:
            timer.next_due_at = next_due(timer, policy)
    running = [t for t in timers if t.stopped_at is None]
    policy = policy_for(book, ticket)
    if policy is not None:
        for kind in STARTS_ON.get(trigger, ()):
            started = _start(session, ticket, kind, policy, now)
            if started is not None:
                running.append(started)
    session.flush()
    set_next_check(session, ticket, running)
    return running


def recompute_open(session: Session, *, now: datetime, batch: int = 1000) -> int:
    """Re-apply the policies in force to every running timer (after a catalogue reload).

    A ticket may now match another policy, a target may have changed or gone, a calendar may
    have new hours; business time already spent paused stays as it was measured.
    """
    book = load_policy_book(session)
    recomputed, last_id = 0, 0
    while True:
        ticket_ids = list(
            session.scalars(
                select(SlaTimer.ticket_id)
                .where(SlaTimer.stopped_at.is_(None), SlaTimer.ticket_id > last_id)
                .group_by(SlaTimer.ticket_id)
                .order_by(SlaTimer.ticket_id)
                .limit(batch)
            )
        )
        if not ticket_ids:
            return recomputed
        last_id = ticket_ids[-1]
        tickets = {
            t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids)))
        }
        for ticket_id, timers in running_timers(session, ticket_ids).items():
            ticket = tickets[ticket_id]
            policy = book.choose(ticket.category.code, ticket.priority)
            for timer in timers:
                target = policy.targets.get(TimerKind(timer.kind)) if policy else None
                if policy is None or target is None:
                    timer.stopped_at, timer.next_due_at = now, None
                    continue
                timer.policy_code = policy.code
                timer.target_seconds = target.total_seconds()
                timer.deadline = sla_deadline(facts(timer, policy), now)
                timer.next_due_at = next_due(timer, policy)
                recomputed += 1
            session.flush()
            set_next_check(session, ticket, [t for t in timers if t.stopped_at is None])
