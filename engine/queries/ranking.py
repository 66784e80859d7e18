"""The one ranking of every worklist: the staff API's (``GET /api/v1/tickets`` and its CSV, the
staff pages) and the operator's (``tanggap ticket list``), so a ticket stands in the same place
whichever one a person reads.

Three keys, in order:

1. ``rank``: 0 overdue (``engine.queries.overdue``: a recorded breach stays one, on hold too),
   1 running, 2 on hold and not overdue. A hold pauses the clocks, so a held ticket's
   deadline says nothing about its urgency: it goes after every running ticket.
2. ``at``: among the overdue and the running, the earliest running SLA deadline (the most
   overdue leads; a ticket with no running clock last); among the holds, when the hold began,
   the longest hold first (``engine.queries.holds``: what shows a held ticket is stuck).
3. the ticket's id: among equals, in the order they were filed.

``at`` is never NULL (``LATEST`` stands for "none"): NULL sorts first on SQLite and last on
PostgreSQL. The staff API's page cursor holds (rank, at, id) of the last row and the instant
the first page was ranked at (``as_of``): later pages rank at it, so that time passing between
pages moves no ticket (``engine.queries.staff.worklist``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    SQLColumnExpression,
    and_,
    case,
    func,
    literal,
    type_coerce,
)

from engine.instants import LATEST
from engine.lifecycle import State
from engine.models import Ticket, UTCDateTime
from engine.queries.overdue import overdue_clause

OVERDUE, RUNNING, HELD = 0, 1, 2


@dataclass(frozen=True)
class Ranking:
    """The worklist's ranking as SQL for one query; order by ``keys``."""

    late: ColumnElement[bool]
    rank: ColumnElement[int]
    at: ColumnElement[datetime]

    @property
    def keys(self) -> tuple[SQLColumnExpression[Any], ...]:
        return (self.rank, self.at, Ticket.id)

    def at_risk(
        self, due: SQLColumnExpression[datetime], now: datetime, hours: float
    ) -> tuple[ColumnElement[bool], ...]:
        """The conditions of "an SLA deadline within ``hours``, not yet past": a running clock
        (a held ticket's is paused: its deadline moves), not overdue (a recorded breach with a
        later deadline is overdue, not at risk)."""
        return (
            ~self.late,
            due >= now,
            due < now + timedelta(hours=hours),
            Ticket.state != State.ON_HOLD.value,
        )


def rank_key(
    state: str, *, overdue: bool, due: datetime | None, held_since: datetime | None, ticket_id: int
) -> tuple[int, datetime, int]:
    """``ranking``'s keys in Python, for a list already read (the staff page's board)."""
    if overdue:
        return OVERDUE, due or LATEST, ticket_id
    if state == State.ON_HOLD.value:
        return HELD, held_since or LATEST, ticket_id
    return RUNNING, due or LATEST, ticket_id


def ranking(
    due: SQLColumnExpression[datetime],
    breach_recorded: SQLColumnExpression[int],
    held_since: SQLColumnExpression[datetime],
    now: datetime,
    *,
    as_of: datetime | None = None,
) -> Ranking:
    """The ranking (module docstring) of a query over ``Ticket`` whose earliest running deadline
    is ``due``, breach flag ``breach_recorded`` (``running_clocks``) and start of the current
    hold ``held_since`` (``on_hold_since``); with ``as_of``, the overdue are those overdue at
    ``as_of`` (``overdue_clause``: a worklist's later pages rank as its first did)."""
    never = literal(LATEST, UTCDateTime())
    late = overdue_clause(Ticket.state, due, breach_recorded, now, as_of=as_of)
    held = and_(Ticket.state == State.ON_HOLD.value, ~late)
    rank = case((late, OVERDUE), (held, HELD), else_=RUNNING)
    # Typed as the instants it holds, so SQLite hands back (and binds) aware datetimes.
    at = type_coerce(
        case((held, func.coalesce(held_since, never)), else_=func.coalesce(due, never)),
        UTCDateTime(),
    )
    return Ranking(late=late, rank=rank, at=at)
