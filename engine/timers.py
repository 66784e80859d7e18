"""Stored SLA timers read as ``sla`` facts, and the bookkeeping derived from them.

An ``SlaTimer`` row keeps what happened (start, dated pauses, rebase, stop); the ``sla``
package computes from those facts. ``next_due_at`` and the ticket's ``next_check_at`` are
derived values, recomputed whenever the facts change.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import ColumnElement, Table, bindparam, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine.models import SlaTimer, Ticket
from engine.policies import PolicyBook
from sla import Pause, Policy, TimerFacts, level_due_at


def pauses(timer: SlaTimer) -> tuple[Pause, ...]:
    return tuple(
        Pause(datetime.fromisoformat(str(begin)), datetime.fromisoformat(end) if end else None)
        for begin, end in timer.pauses or ()
    )


def facts(timer: SlaTimer, policy: Policy) -> TimerFacts:
    return TimerFacts(
        start=timer.started_at,
        target=timedelta(seconds=timer.target_seconds),
        calendar=policy.calendar,
        pauses=pauses(timer),
        stopped_at=timer.stopped_at,
        origin=timer.origin_at,
        carried=timedelta(seconds=timer.carried_seconds),
    )


def _not_before(moment: datetime, earliest: datetime) -> datetime:
    # Hosts' clocks differ by a little: a hold written by one worker may be "later" than the
    # resume another writes. Time on a timer never runs backwards.
    return max(moment, earliest)


def pause(timer: SlaTimer, now: datetime) -> None:
    if timer.pauses and timer.pauses[-1][1] is None:
        return
    earliest = timer.started_at
    if timer.pauses:
        earliest = max(earliest, datetime.fromisoformat(str(timer.pauses[-1][1])))
    begin = _not_before(now, earliest).astimezone(UTC)
    timer.pauses = [*(timer.pauses or []), [begin.isoformat(), None]]


def unpause(timer: SlaTimer, now: datetime) -> None:
    if timer.pauses and timer.pauses[-1][1] is None:
        begin = datetime.fromisoformat(str(timer.pauses[-1][0]))
        end = _not_before(now, begin).astimezone(UTC)
        timer.pauses = [*timer.pauses[:-1], [timer.pauses[-1][0], end.isoformat()]]


def next_due(
    timer: SlaTimer,
    policy: Policy,
    *,
    untold: Collection[str] = (),
    now: datetime | None = None,
) -> datetime | None:
    """When the lowest level not yet passed falls due; may be past (the sweep catches up).

    A level is passed when its key is in the ledger or its percent is at or below the highest
    percent recorded for this timer (a level added to the ladder below where the timer has
    already been never fires late).

    ``untold``: the keys of this timer's levels whose every mail a change took back, told to
    nobody since (``ledger.untold_by_timer``): a later deadline left them not reached. Each
    counts again from the instant it falls due under the facts now, if that is after ``now``:
    time alone makes it due, and the sweep then tells it (``escalation.sweep_batch``). One
    already reached by ``now`` and still untold was judged by the change itself (a warning past
    its deadline, nobody to tell) and waits for the next change, not for the sweep.
    """
    due: list[datetime] = []
    for level in policy.ladder.levels:
        if level.key in timer.levels_recorded or level.percent <= timer.reached_percent:
            continue
        found = level_due_at(facts(timer, policy), level.percent)
        if found is not None:
            due.append(found)
        break
    if untold and timer.stopped_at is None:
        if now is None:
            raise ValueError("next_due with untold levels needs now")
        for level in policy.ladder.levels:
            if level.key in untold:
                again = level_due_at(facts(timer, policy), level.percent)
                if again is not None and again > now:
                    due.append(again)
    return min(due, default=None)


def policy_for(book: PolicyBook, ticket: Ticket, timer: SlaTimer) -> Policy | None:
    """The policy the timer runs under, or the ticket's current match if that one is gone."""
    return book.get(timer.policy_code) or book.choose(ticket.category.code, ticket.priority)


def open_timers(
    session: Session, ticket_ids: Sequence[int], *, running_only: bool = False
) -> dict[int, list[SlaTimer]]:
    """Timers still running, and stopped ones with a level due but not yet recorded."""
    grouped: dict[int, list[SlaTimer]] = {ticket_id: [] for ticket_id in ticket_ids}
    condition: ColumnElement[bool] = SlaTimer.stopped_at.is_(None)
    if not running_only:
        condition = or_(condition, SlaTimer.next_due_at.is_not(None))
    query = (
        select(SlaTimer).where(SlaTimer.ticket_id.in_(ticket_ids), condition).order_by(SlaTimer.id)
    )
    for timer in session.scalars(query):
        grouped[timer.ticket_id].append(timer)
    return grouped


def earliest_check(timers: Iterable[SlaTimer]) -> datetime | None:
    return min((t.next_due_at for t in timers if t.next_due_at is not None), default=None)


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
