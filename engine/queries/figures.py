"""Supervisor figures: on-time rate per timer, median time to resolve, backlog, reopen rate.

Grouped by agency, area or category over a period ``[start, end)``: an event at ``end``
belongs to the next period, so adjacent periods add up. A group with fewer than ``min_count``
cases gets its figure withheld (``None``): a unit with three tickets is not ranked on noise.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from engine.clocks import WORK_OF
from engine.errors import RuleViolated
from engine.instants import given_instants
from engine.keys import KeyHolder, descendant_area_ids, not_withheld, visible
from engine.lifecycle import OPEN_STATES, Trigger
from engine.models import Agency, Area, Category, SlaTimer, Ticket, TicketEvent
from sla import TimerKind


class GroupBy(StrEnum):
    AGENCY = "agency"
    AREA = "area"
    CATEGORY = "category"


@dataclass(frozen=True)
class Rate:
    count: int
    #: None: withheld, fewer than the minimum count of cases.
    value: float | None


@dataclass
class GroupFigures:
    group: str
    #: Timer kind → share of timers stopped in the period that met their deadline.
    on_time: dict[str, Rate] = field(default_factory=dict)
    #: Hours from submission to resolution, over tickets resolved in the period.
    median_hours_to_resolve: Rate = Rate(0, None)
    #: Open tickets now.
    backlog: int = 0
    #: Reopens per resolution in the period.
    reopen_rate: Rate = Rate(0, None)


@dataclass(frozen=True)
class Figures:
    group_by: GroupBy
    start: datetime
    end: datetime
    min_count: int
    groups: list[GroupFigures]


def ended_not_by_the_work(kind: str, trigger: str | None) -> bool:
    """Whether a clock of ``kind`` stopped by ``trigger`` (None: by no event, a catalogue
    reload) was ended rather than met or missed (``engine.clocks``, "Met, missed or ended")."""
    return trigger not in {t.value for t in WORK_OF[TimerKind(kind)]}


def clock_is_a_case() -> ColumnElement[bool]:
    """SQL, on stopped ``SlaTimer`` rows: whether a clock counts in an on-time rate — the one
    definition behind the supervisors' figures and the daily digest (``engine.clocks``, "Met,
    missed or ended"): stopped by the work it measures, or breached before it ended (a
    recorded breach stands). A clock a rejection, a duplicate, a transfer or a policy change
    ended in time is no case: an office must not raise its rate by rejecting reports."""
    stopped_by = TicketEvent.__table__.alias("stopped_by")
    by_the_work = (
        select(stopped_by.c.id)
        .where(
            stopped_by.c.ticket_id == SlaTimer.ticket_id,
            stopped_by.c.created_at == SlaTimer.stopped_at,
            or_(
                *(
                    and_(
                        SlaTimer.kind == kind.value,
                        stopped_by.c.trigger.in_(sorted(t.value for t in triggers)),
                    )
                    for kind, triggers in WORK_OF.items()
                )
            ),
        )
        .exists()
    )
    return by_the_work | SlaTimer.breached


def _clocks_held(session: Session, viewer: KeyHolder) -> ColumnElement[bool]:
    """The clocks ``viewer``'s own agency held (within the key's area), wherever their ticket
    is now: an office's on-time rate is its work, also on tickets it transferred away, so a
    supervisor reads the figure for their agency that an admin reads. Territorial offices and
    admins see those tickets anyway."""
    if viewer.is_admin or viewer.agency_id is None:
        return false()
    # Never, for an area office, a ticket now withheld from it (re-categorised as pungli).
    held = (SlaTimer.agency_id == viewer.agency_id) & not_withheld(viewer)
    if viewer.area_id is not None:
        held = held & Ticket.area_id.in_(descendant_area_ids(session, viewer.area_id))
    return held


def _rate(hits: int, count: int, min_count: int) -> Rate:
    return Rate(count, round(hits / count, 4) if count >= min_count and count else None)


def figures(
    session: Session,
    viewer: KeyHolder,
    *,
    group_by: GroupBy,
    start: datetime,
    end: datetime,
    min_count: int,
) -> Figures:
    given_instants(start=start, end=end)
    if end <= start:
        raise RuleViolated("the period must end after it starts", params={"field": "end"})
    column: Any = {
        GroupBy.AGENCY: Agency.code,
        GroupBy.AREA: Area.code,
        GroupBy.CATEGORY: Category.code,
    }[group_by]
    scope = visible(session, viewer)
    clocks_scope = or_(scope, _clocks_held(session, viewer))

    def tickets(*, timers: bool = False) -> Any:
        """The group's column over visible tickets; with ``timers``, one row per timer — on
        the tickets the viewer sees and the clocks its agency held on tickets since handed
        elsewhere — and grouped by agency, the timer's own agency."""
        query = select(column).select_from(Ticket)
        agency_of: Any = Ticket.agency_id
        if timers:
            query = query.join(SlaTimer, SlaTimer.ticket_id == Ticket.id)
            if group_by is GroupBy.AGENCY:
                agency_of = SlaTimer.agency_id
        return (
            query.join(Agency, Agency.id == agency_of)
            .join(Area, Area.id == Ticket.area_id)
            .join(Category, Category.id == Ticket.category_id)
            .where(clocks_scope if timers else scope)
        )

    groups: dict[str, GroupFigures] = {}

    def group(key: str) -> GroupFigures:
        return groups.setdefault(key, GroupFigures(group=key))

    timers: dict[tuple[str, str], list[bool]] = defaultdict(list)
    # A timer is credited to the agency that held it (a transferred ticket's earlier clocks
    # are the sending office's); only clocks that are cases count (``clock_is_a_case``).
    for key, kind, breached in session.execute(
        tickets(timers=True)
        .add_columns(SlaTimer.kind, SlaTimer.breached)
        .where(SlaTimer.stopped_at >= start, SlaTimer.stopped_at < end, clock_is_a_case())
    ):
        timers[(key, kind)].append(not breached)
    for (key, kind), results in sorted(timers.items()):
        group(key).on_time[kind] = _rate(sum(results), len(results), min_count)

    durations: dict[str, list[float]] = defaultdict(list)
    for key, created, resolved in session.execute(
        tickets()
        .add_columns(Ticket.created_at, Ticket.resolved_at)
        .where(Ticket.resolved_at >= start, Ticket.resolved_at < end)
    ):
        durations[key].append((resolved - created).total_seconds() / 3600)
    for key, hours in durations.items():
        median = round(statistics.median(hours), 2) if len(hours) >= min_count else None
        group(key).median_hours_to_resolve = Rate(len(hours), median)

    for (key,) in session.execute(tickets().where(Ticket.state.in_(list(OPEN_STATES)))):
        group(key).backlog += 1

    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key, trigger in session.execute(
        tickets()
        .add_columns(TicketEvent.trigger)
        .join(TicketEvent, TicketEvent.ticket_id == Ticket.id)
        .where(
            TicketEvent.trigger.in_([Trigger.RESOLVE.value, Trigger.REOPEN.value]),
            TicketEvent.created_at >= start,
            TicketEvent.created_at < end,
        )
    ):
        counts[key][trigger] += 1
    for key, by_trigger in counts.items():
        resolved = by_trigger[Trigger.RESOLVE.value]
        group(key).reopen_rate = _rate(by_trigger[Trigger.REOPEN.value], resolved, min_count)

    return Figures(group_by, start, end, min_count, [groups[k] for k in sorted(groups)])
