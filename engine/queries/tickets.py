"""The operator's ticket listing (``tanggap ticket list``): every ticket of the city, most urgent
first, with how many matched in all, so a listing cut at its limit can say so.

Unlike the staff worklist (``engine.queries.staff``) it is not cut to a key: the operator at the
shell sees every agency and area.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from engine.catalogue.lookup import filter_code
from engine.errors import RuleViolated
from engine.keys import descendant_area_ids
from engine.lifecycle import OPEN_STATES, State
from engine.models import Agency, Area, Category, Staff, Ticket
from engine.queries.holds import on_hold_since
from engine.queries.overdue import is_overdue, running_breach_recorded, running_due
from engine.queries.ranking import ranking
from engine.routing import shown_bound
from engine.staff import get_staff

#: States listed when none is asked for: the tickets someone still has to act on.
DEFAULT_STATES: tuple[State, ...] = tuple(s for s in State if s in OPEN_STATES)


#: The longest "at risk" window a listing takes, in hours (90 days): the API's
#: ``at_risk_hours`` and ``tanggap ticket list --at-risk`` alike, more than 0 up to this.
AT_RISK_HOURS_MAX = 24 * 90


def check_at_risk_hours(name: str, hours: float | None) -> None:
    """The one rule for an "at risk within N hours" filter: more than 0 (nothing falls due
    within no time) and at most ``AT_RISK_HOURS_MAX``; ``RuleViolated`` naming ``name``."""
    if hours is None:
        return
    bounds = f"more than 0 and at most {shown_bound(AT_RISK_HOURS_MAX)}"
    params: dict[str, object] = {"field": name, "max": AT_RISK_HOURS_MAX}
    if math.isnan(hours):
        raise RuleViolated(
            f"{name} is not a number; give a number {bounds}", key="invalid_number", params=params
        )
    if not 0 < hours <= AT_RISK_HOURS_MAX:
        raise RuleViolated(f"{name} must be {bounds}", key="invalid_number", params=params)


@dataclass(frozen=True)
class TicketFilter:
    #: Only these states; empty: the open states (``DEFAULT_STATES``).
    states: Collection[State] = ()
    agency: str | None = None
    #: An area code: tickets in it and in the areas inside it.
    area: str | None = None
    category: str | None = None
    #: An officer's e-mail.
    officer: str | None = None
    #: Only overdue tickets (``engine.queries.overdue``).
    overdue: bool = False
    #: Only tickets whose earliest running deadline falls within this many hours, not yet past.
    at_risk_hours: float | None = None

    def __post_init__(self) -> None:
        check_at_risk_hours("at_risk_hours", self.at_risk_hours)


@dataclass(frozen=True)
class TicketLine:
    code: str
    state: State
    priority: str
    category: str
    agency: str
    area: str
    officer_email: str | None
    #: The earliest deadline among the ticket's running SLA timers (UTC); None: none runs.
    deadline: datetime | None
    created_at: datetime
    #: ``engine.queries.overdue``: a running timer is breached (recorded, or its deadline
    #: passed while the clock runs) — also when a later change moved ``deadline`` ahead.
    overdue: bool = False
    #: When its current hold began (``engine.queries.holds``); None: not on hold.
    on_hold_since: datetime | None = None

    @property
    def paused(self) -> bool:
        """On hold: its clocks do not run, so its deadline is not counted down."""
        return self.state == State.ON_HOLD


@dataclass(frozen=True)
class TicketListing:
    lines: list[TicketLine]
    #: How many tickets match the filter in all (``len(lines)`` when nothing was cut).
    total: int

    @property
    def cut(self) -> bool:
        return self.total > len(self.lines)


def _code_id(session: Session, model: Any, code: str, what: str) -> int:
    stored = filter_code(session, model, code, field=what)
    return int(session.scalars(select(model.id).where(model.code == stored)).one())


def list_tickets(
    session: Session, f: TicketFilter, *, now: datetime, limit: int | None
) -> TicketListing:
    """Tickets matching ``f``, most urgent first, in the ranking of every worklist
    (``engine.queries.ranking``, the staff API's too): the overdue first, then the running by
    earliest SLA deadline (no running clock last), then those on hold (clocks paused), the
    longest hold first; among equals in the order they were filed. ``limit`` None: all of them.

    Raises ``NotFound`` (its subclass for agencies, areas, categories, staff) for a code or
    e-mail in ``f`` that names nothing."""
    deadline = running_due()
    recorded = running_breach_recorded()
    held = on_hold_since()
    ranked = ranking(deadline, recorded, held, now)
    late = ranked.late
    conditions: list[ColumnElement[bool]] = [
        Ticket.state.in_([s.value for s in (f.states or DEFAULT_STATES)])
    ]
    # Retired catalogue entries too (``filter_code``): their open tickets are still someone's
    # to finish, as in the staff worklist.
    if f.agency:
        conditions.append(Ticket.agency_id == _code_id(session, Agency, f.agency, "agency"))
    if f.area:
        area_id = _code_id(session, Area, f.area, "area")
        conditions.append(Ticket.area_id.in_(descendant_area_ids(session, area_id)))
    if f.category:
        conditions.append(Ticket.category_id == _code_id(session, Category, f.category, "category"))
    if f.officer:
        conditions.append(Ticket.officer_id == get_staff(session, f.officer).id)
    if f.overdue:
        conditions.append(late)
    if f.at_risk_hours is not None:
        conditions += ranked.at_risk(deadline, now, f.at_risk_hours)

    total = session.scalar(select(func.count()).select_from(Ticket).where(*conditions)) or 0
    query = (
        select(
            Ticket.code,
            Ticket.state,
            Ticket.priority,
            Category.code,
            Agency.code,
            Area.code,
            Staff.email,
            deadline,
            Ticket.created_at,
            recorded,
            held,
        )
        .join(Category, Category.id == Ticket.category_id)
        .join(Agency, Agency.id == Ticket.agency_id)
        .join(Area, Area.id == Ticket.area_id)
        .outerjoin(Staff, Staff.id == Ticket.officer_id)
        .where(*conditions)
        .order_by(*ranked.keys)
    )
    if limit is not None:
        query = query.limit(limit)
    lines = [
        TicketLine(
            code,
            State(state),
            prio,
            cat,
            agency,
            area,
            officer,
            due,
            created,
            overdue=is_overdue(state, due, breach, now),
            on_hold_since=since,
        )
        for (
            code,
            state,
            prio,
            cat,
            agency,
            area,
            officer,
            due,
            created,
            breach,
            since,
        ) in session.execute(query)
    ]
    return TicketListing(lines, total)
