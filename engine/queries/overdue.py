"""The one definition of an overdue ticket, for every reader: the staff worklist and its CSV,
the operator's ``tanggap ticket list``, the ticket detail, the public projection (``overdue`` on
``/t/{code}`` and in the citizen API) and the supervisor's SLA status ("breached").

An open ticket is **overdue** at ``now`` when one of its running SLA timers is breached:

- its breach is recorded (``SlaTimer.breached``: the sweep recorded the level, or a change —
  a hold, a new priority or category — found the deadline already passed), also when a later
  change moved the deadline ahead again: a breach that happened stays one (README, "Pauses are
  dated"; a priority downgrade never hides it);
- or its deadline has passed and its clock runs (not on hold). A timer on hold is breached
  only when its deadline passed before the hold began; the hold itself records that breach
  (``engine.clocks`` refreshes every timer at the hold), so on hold the flag alone decides.

A stopped timer is no longer the ticket's: a closed or resolved ticket is never overdue.

``is_overdue`` decides it in Python from two facts per ticket — the earliest deadline of its
running timers and whether any running timer has its breach recorded — and ``overdue_clause``
is the same test as SQL on those two columns (``running_clocks``), so a filter and the flag
shown beside each row agree on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Integer, SQLColumnExpression, and_, case, func, or_, select
from sqlalchemy.sql import Subquery

from engine.lifecycle import OPEN_STATES, State
from engine.models import SlaTimer, Ticket

_OPEN = [s.value for s in OPEN_STATES]


def running_clocks() -> Subquery:
    """Per ticket with a running SLA timer: ``due``, the earliest running deadline, and
    ``breach_recorded``, 1 when a running timer has its breach recorded, else 0. Join it on
    ``ticket_id`` (outer: a ticket with no running timer has no row)."""
    return (
        select(
            SlaTimer.ticket_id.label("ticket_id"),
            func.min(SlaTimer.deadline).label("due"),
            func.max(case((SlaTimer.breached, 1), else_=0), type_=Integer).label("breach_recorded"),
        )
        .where(SlaTimer.stopped_at.is_(None))
        .group_by(SlaTimer.ticket_id)
        .subquery()
    )


def timer_breached(timer: SlaTimer, now: datetime) -> bool:
    """Whether one timer is breached at ``now`` (module docstring): the per-timer test behind
    the supervisor's "breached" and ``is_overdue``."""
    if timer.stopped_at is not None:
        return False
    pauses = timer.pauses or []
    paused = bool(pauses) and pauses[-1][1] is None
    return timer.breached or (not paused and timer.deadline < now)


def is_overdue(
    state: str, due: datetime | None, breach_recorded: bool | int | None, now: datetime
) -> bool:
    """Whether a ticket in ``state`` whose running timers have the earliest deadline ``due``
    (None: none runs) and ``breach_recorded`` is overdue at ``now`` (module docstring)."""
    if State(state) not in OPEN_STATES or due is None:
        return False
    if breach_recorded:
        return True
    return state != State.ON_HOLD and due < now


def running_kind(*, breached: bool = False) -> ColumnElement[str]:
    """The kind of the ticket's running SLA timer due first (``breached``: of those whose breach
    is recorded), as a scalar subquery correlated to ``Ticket`` (NULL when none)."""
    query = select(SlaTimer.kind).where(
        SlaTimer.ticket_id == Ticket.id, SlaTimer.stopped_at.is_(None)
    )
    if breached:
        query = query.where(SlaTimer.breached)
    return (
        query.order_by(SlaTimer.deadline, SlaTimer.kind)
        .limit(1)
        .correlate(Ticket)
        .scalar_subquery()
    )


def late_step(
    state: str,
    due: datetime | None,
    due_kind: str | None,
    breached_kind: str | None,
    now: datetime,
) -> str | None:
    """Which step makes a ticket overdue (``is_overdue`` with ``breach_recorded`` as
    ``breached_kind`` given): the SLA timer kind ("verify", "resolve") of its running timer
    whose breach is recorded and is due first, else of the one due first (``due``, of kind
    ``due_kind``) when that deadline passed while its clock runs; None when not overdue. What a
    citizen reads is which step is late, not a resolution date beside "late" that is ahead."""
    if not is_overdue(state, due, breached_kind is not None, now):
        return None
    return breached_kind or due_kind


def overdue_clause(
    state: SQLColumnExpression[str],
    due: SQLColumnExpression[datetime],
    breach_recorded: SQLColumnExpression[int],
    now: datetime,
    *,
    as_of: datetime | None = None,
) -> ColumnElement[bool]:
    """``is_overdue`` as SQL on a ticket's state and its ``running_clocks`` columns.

    With ``as_of`` (an instant before ``now``): whether the ticket was overdue at ``as_of``,
    as far as passing time goes — what a worklist's later pages rank by, so that a deadline
    passing while a person pages moves no ticket (``engine.queries.staff.worklist``). A
    running ticket's deadline passed by ``as_of``, or its breach is recorded and its deadline
    is still ahead at ``now`` (a change moved it after the breach: the sweep records only
    deadlines already past). A breach recorded of a deadline that fell between ``as_of`` and
    ``now`` is the sweep's, after ``as_of``: not overdue then. On hold the flag alone decides,
    as always (the sweep never records on hold; the hold does). Changes after ``as_of`` are
    not undone: the worklist counts the tickets they touched. Without ``as_of``: at ``now``."""
    recorded = func.coalesce(breach_recorded, 0) == 1
    running = state != State.ON_HOLD.value
    if as_of is None or as_of >= now:
        late = or_(recorded, and_(running, due < now))
    else:
        late = or_(
            and_(running, or_(due < as_of, and_(recorded, due >= now))),
            and_(~running, recorded),
        )
    return and_(state.in_(_OPEN), due.is_not(None), late)


def running_due() -> ColumnElement[datetime]:
    """``running_clocks``' ``due`` as a scalar subquery correlated to ``Ticket``."""
    return (
        select(func.min(SlaTimer.deadline))
        .where(SlaTimer.ticket_id == Ticket.id, SlaTimer.stopped_at.is_(None))
        .correlate(Ticket)
        .scalar_subquery()
    )


def running_breach_recorded() -> ColumnElement[int]:
    """``running_clocks``' ``breach_recorded`` as a scalar subquery correlated to ``Ticket``
    (NULL when no timer runs)."""
    return (
        select(func.max(case((SlaTimer.breached, 1), else_=0), type_=Integer))
        .where(SlaTimer.ticket_id == Ticket.id, SlaTimer.stopped_at.is_(None))
        .correlate(Ticket)
        .scalar_subquery()
    )
