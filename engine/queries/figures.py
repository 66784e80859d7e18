"""Supervisor figures: on-time rate per timer, median time to resolve, backlog, reopen rate.

Grouped by agency, area or category over a period. A group with fewer than ``min_count``
cases gets its figure withheld (``None``): a unit with three tickets is not ranked on noise.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import RuleViolated
from engine.instants import given_instants
from engine.keys import KeyHolder, visible
from engine.lifecycle import OPEN_STATES, Trigger
from engine.models import Agency, Area, Category, SlaTimer, Ticket, TicketEvent


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

    def tickets() -> Any:
        return (
            select(column)
            .select_from(Ticket)
            .join(Agency, Agency.id == Ticket.agency_id)
            .join(Area, Area.id == Ticket.area_id)
            .join(Category, Category.id == Ticket.category_id)
            .where(scope)
        )

    groups: dict[str, GroupFigures] = {}

    def group(key: str) -> GroupFigures:
        return groups.setdefault(key, GroupFigures(group=key))

    timers: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for key, kind, breached in session.execute(
        tickets()
        .add_columns(SlaTimer.kind, SlaTimer.breached)
        .join(SlaTimer, SlaTimer.ticket_id == Ticket.id)
        .where(SlaTimer.stopped_at >= start, SlaTimer.stopped_at <= end)
    ):
        timers[(key, kind)].append(not breached)
    for (key, kind), results in sorted(timers.items()):
        group(key).on_time[kind] = _rate(sum(results), len(results), min_count)

    durations: dict[str, list[float]] = defaultdict(list)
    for key, created, resolved in session.execute(
        tickets()
        .add_columns(Ticket.created_at, Ticket.resolved_at)
        .where(Ticket.resolved_at >= start, Ticket.resolved_at <= end)
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
            TicketEvent.created_at <= end,
        )
    ):
        counts[key][trigger] += 1
    for key, by_trigger in counts.items():
        resolved = by_trigger[Trigger.RESOLVE.value]
        group(key).reopen_rate = _rate(by_trigger[Trigger.REOPEN.value], resolved, min_count)

    return Figures(group_by, start, end, min_count, [groups[k] for k in sorted(groups)])
