"""What a supervisor watches: tickets by SLA status, each ticket's SLA story with who was told
when, and the escalations addressed to the supervisor's own agency.

SLA status of an open ticket, worst running timer first:

- ``breached``: a running timer's deadline has passed (a paused timer: its deadline passed
  before the pause began — a pause never hides a breach), or its breach is recorded, also when
  a later change (a lower priority, another category) moved its deadline ahead again. This is
  ``engine.queries.overdue``'s definition, so "breached" here is "overdue" in the staff
  worklist, its CSV, ``tanggap ticket list`` and the public projection;
- ``at_risk``: a ladder level below the breach has fallen due — the policy's own warning
  (75 % of the target in the Jakarta ladders), whether or not the sweep has recorded it yet;
- ``on_time``: timers run and nothing has fallen due;
- ``none``: no timer runs (no SLA for it, or every timer has stopped).

"At risk" follows the policy's ladder rather than a fixed number of hours, so a 4-hour verify
target and a 3-day repair target both turn amber when their own warning falls due.

This is the one definition of a ticket's SLA status: the dashboard, the staff worklist and the
daily digest (``engine.digest``) all call ``ticket_status`` with the same ``now``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from engine.keys import KeyHolder, check_sees, visible
from engine.ledger import told_of
from engine.lifecycle import OPEN_STATES, Trigger
from engine.models import (
    Agency,
    Area,
    Category,
    Escalation,
    Notification,
    NotificationKind,
    SlaTimer,
    Staff,
    Ticket,
    TicketEvent,
    area_title,
)
from engine.outbox import withdrawn
from engine.presentation import StatePresentation, present
from engine.queries.holds import on_hold_since
from engine.queries.overdue import timer_breached
from engine.queries.ranking import rank_key
from engine.queries.staff import ESCALATED_TICKET
from engine.tickets import get_ticket
from engine.timeline import TimerView, sla_timeline


class SlaStatus(StrEnum):
    ON_TIME = "on_time"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    NONE = "none"


#: Worst first: a ticket takes the status of its worst running timer.
_SEVERITY = {SlaStatus.BREACHED: 3, SlaStatus.AT_RISK: 2, SlaStatus.ON_TIME: 1, SlaStatus.NONE: 0}


def timer_status(timer: SlaTimer, now: datetime) -> SlaStatus:
    """The status of one timer (see the module docstring); ``none`` once it has stopped."""
    if timer.stopped_at is not None:
        return SlaStatus.NONE
    # The one test of the staff worklist's, the CLI's and the public "overdue" too.
    if timer_breached(timer, now):
        return SlaStatus.BREACHED
    warned = timer.reached_percent > 0
    if warned or (timer.next_due_at is not None and timer.next_due_at <= now):
        return SlaStatus.AT_RISK
    return SlaStatus.ON_TIME


def worst(statuses: list[SlaStatus]) -> SlaStatus:
    return max(statuses, key=_SEVERITY.__getitem__, default=SlaStatus.NONE)


def ticket_status(timers: Iterable[SlaTimer], now: datetime) -> tuple[SlaStatus, SlaTimer | None]:
    """A ticket's SLA status at ``now`` from its timers — the status of its worst running timer
    — and the timer that decides it (the earliest deadline among the worst); ``none`` and None
    when no timer runs."""
    rated = [(timer_status(t, now), t) for t in timers]
    rated = [(status, t) for status, t in rated if status is not SlaStatus.NONE]
    if not rated:
        return SlaStatus.NONE, None
    status = worst([s for s, _ in rated])
    deciding = min((t for s, t in rated if s is status), key=lambda t: (t.deadline, t.id))
    return status, deciding


def may_need_attention(now: datetime) -> ColumnElement[bool]:
    """SQL, for narrowing a search before ``timer_status`` decides: every running timer that
    ``timer_status`` calls breached or at risk at ``now`` matches (its breach is recorded or its
    deadline has passed; a warning is recorded or its next level has fallen due)."""
    return and_(
        SlaTimer.stopped_at.is_(None),
        or_(
            SlaTimer.breached,
            SlaTimer.reached_percent > 0,
            SlaTimer.deadline <= now,
            SlaTimer.next_due_at <= now,
        ),
    )


def running_timers(session: Session, ticket_ids: list[int]) -> dict[int, list[SlaTimer]]:
    """The running timers of each ticket in ``ticket_ids``."""
    timers: dict[int, list[SlaTimer]] = defaultdict(list)
    for chunk in (ticket_ids[i : i + 500] for i in range(0, len(ticket_ids), 500)):
        for timer in session.scalars(
            select(SlaTimer).where(SlaTimer.ticket_id.in_(chunk), SlaTimer.stopped_at.is_(None))
        ):
            timers[timer.ticket_id].append(timer)
    return timers


@dataclass(frozen=True)
class BoardTicket:
    """An open ticket on the supervisor's map and worklist."""

    code: str
    state: StatePresentation
    category: str
    priority: str
    agency: str
    area: str
    #: The area's title (``area_title``: "Kelurahan Gambir").
    area_name: str
    officer: str | None
    lat: float
    lon: float
    #: The earliest deadline of a running timer; None when no timer runs.
    due_at: datetime | None
    sla: SlaStatus
    version: int
    description: str
    #: The agency's name (``agency`` is its code).
    agency_name: str = ""
    #: When its current hold began (``engine.queries.holds``); None: not on hold.
    on_hold_since: datetime | None = None
    #: The assigned officer's e-mail (``officer`` is their name): whom a re-assignment skips.
    officer_email: str | None = None


@dataclass(frozen=True)
class BacklogGroup:
    """Open tickets of one agency or area, counted by SLA status."""

    group: str
    name: str
    counts: dict[SlaStatus, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def board(
    session: Session, viewer: KeyHolder, *, now: datetime, limit: int | None
) -> list[BoardTicket]:
    """Open tickets the viewer may see, most urgent first, in the ranking of every worklist
    (``engine.queries.ranking``): the breached first, then the running by earliest deadline (no
    running timer last), then those on hold, the longest hold first. ``limit`` None: all of
    them (what a count such as ``backlog`` needs: the first ``limit`` are the most urgent, not
    a sample)."""
    rows = session.execute(
        select(
            Ticket.id,
            Ticket.code,
            Ticket.state,
            Ticket.last_trigger,
            Category.code,
            Ticket.priority,
            Agency.code,
            Area.code,
            Area.name,
            Area.level,
            Staff.name,
            Ticket.lat,
            Ticket.lon,
            Ticket.version,
            Ticket.description,
            Ticket.created_at,
            Agency.name,
            on_hold_since(),
            Staff.email,
        )
        .join(Category, Category.id == Ticket.category_id)
        .join(Agency, Agency.id == Ticket.agency_id)
        .join(Area, Area.id == Ticket.area_id)
        .outerjoin(Staff, Staff.id == Ticket.officer_id)
        .where(visible(session, viewer), Ticket.state.in_([s.value for s in OPEN_STATES]))
    ).all()
    timers = running_timers(session, [row[0] for row in rows])
    items: list[tuple[Any, ...]] = []
    for row in rows:
        running = timers.get(row[0], [])
        due = min((t.deadline for t in running), default=None)
        status, _ = ticket_status(running, now)
        item = BoardTicket(
            code=row[1],
            state=present(row[2], row[3]),
            category=row[4],
            priority=row[5],
            agency=row[6],
            area=row[7],
            area_name=area_title(row[8], row[9]),
            officer=row[10],
            lat=row[11],
            lon=row[12],
            due_at=due,
            sla=status,
            version=row[13],
            description=row[14],
            agency_name=row[16],
            on_hold_since=row[17],
            officer_email=row[18],
        )
        key = rank_key(
            row[2],
            overdue=status is SlaStatus.BREACHED,
            due=due,
            held_since=row[17],
            ticket_id=row[0],
        )
        items.append((key, item))
    items.sort(key=lambda entry: entry[0])
    return [entry[1] for entry in (items if limit is None else items[:limit])]


def backlog(tickets: list[BoardTicket], *, by: str) -> list[BacklogGroup]:
    """``tickets`` counted per agency (``by="agency"``) or area (``by="area"``) and SLA status,
    largest backlog first."""
    counts: dict[tuple[str, str], dict[SlaStatus, int]] = defaultdict(
        lambda: dict.fromkeys(SlaStatus, 0)
    )
    for t in tickets:
        key = (t.agency, t.agency_name) if by == "agency" else (t.area, t.area_name)
        counts[key][t.sla] += 1
    groups = [BacklogGroup(code, name, dict(c)) for (code, name), c in counts.items()]
    return sorted(groups, key=lambda g: (-g.total, g.group))


@dataclass(frozen=True)
class Notice:
    """One e-mail queued for a ladder level: who, as what, and what became of it."""

    recipient: str
    recipient_kind: str
    status: str
    queued_at: datetime
    sent_at: datetime | None
    #: The mail provider's latest word on it (delivered, bounce …), when it said anything.
    last_event: str | None
    #: Tanggap took it back after a change ("not sent: …", ``outbox.withdrawn``): nobody was
    #: told by it.
    withdrawn: bool = False


@dataclass(frozen=True)
class LevelStory:
    level: str
    percent: int
    due_at: datetime
    recorded_at: datetime
    #: False: recorded after a later level was already due, or after the timer stopped; or
    #: every mail of it was taken back after a change (``taken_back``).
    mailed: bool
    notices: tuple[Notice, ...]

    @property
    def told(self) -> tuple[Notice, ...]:
        """The mail of it that went, or may still go."""
        return tuple(n for n in self.notices if not n.withdrawn)

    @property
    def taken_back(self) -> tuple[Notice, ...]:
        """The mail of it Tanggap took back after a change: its addressees were not told."""
        return tuple(n for n in self.notices if n.withdrawn)


@dataclass(frozen=True)
class TimerStory:
    timer: TimerView
    status: SlaStatus
    levels: tuple[LevelStory, ...]


@dataclass(frozen=True)
class SlaStory:
    """One ticket's SLA timeline for a supervisor: every timer, its pauses and the ladder levels
    reached, each with the people told and when."""

    code: str
    state: StatePresentation
    agency: str
    area: str
    category: str
    version: int
    sla: SlaStatus
    timers: list[TimerStory]
    #: The category's name in Indonesian and in English, for pages.
    category_name: tuple[str, str] = ("", "")


def sla_story(session: Session, viewer: KeyHolder, code: str, *, now: datetime) -> SlaStory:
    """``Forbidden`` outside the viewer's agency or area, ``TicketNotFound`` for no such code."""
    ticket = get_ticket(session, code)
    check_sees(session, viewer, ticket, typed=code)
    notices: dict[int, list[Notice]] = defaultdict(list)
    # Each level with every mail that told of it: its own, and one it shared with another
    # clock of the ticket that reached the same level at the same instant.
    told = told_of()
    for found in session.execute(
        select(
            told.c.escalation_id,
            Notification.recipient,
            Notification.recipient_kind,
            Notification.status,
            Notification.created_at,
            Notification.sent_at,
            Notification.last_event,
            withdrawn(),
        )
        .join(Notification, Notification.id == told.c.notification_id)
        .where(Notification.ticket_id == ticket.id)
        .order_by(Notification.id)
    ):
        escalation_id, recipient, kind, status, queued, sent, event, taken = found
        notices[escalation_id or 0].append(
            Notice(recipient, kind, status, queued, sent, event, bool(taken))
        )
    levels: dict[tuple[str, int], list[LevelStory]] = defaultdict(list)
    for row in session.scalars(
        select(Escalation)
        .where(Escalation.ticket_id == ticket.id)
        .order_by(Escalation.percent, Escalation.id)
    ):
        levels[(row.timer_kind, row.cycle)].append(
            LevelStory(
                level=row.label,
                percent=row.percent,
                due_at=row.due_at,
                recorded_at=row.recorded_at,
                mailed=row.mailed,
                notices=tuple(notices.get(row.id, ())),
            )
        )
    rows = {
        (t.kind, t.cycle): t
        for t in session.scalars(select(SlaTimer).where(SlaTimer.ticket_id == ticket.id))
    }
    stories = [
        TimerStory(
            timer=view,
            status=timer_status(rows[(view.kind, view.cycle)], now),
            levels=tuple(levels.get((view.kind, view.cycle), ())),
        )
        for view in sla_timeline(session, ticket, now=now)
    ]
    return SlaStory(
        code=ticket.code,
        state=present(ticket.state, ticket.last_trigger),
        agency=ticket.agency.code,
        area=ticket.area.code,
        category=ticket.category.code,
        version=ticket.version,
        sla=worst([s.status for s in stories]),
        timers=stories,
        category_name=(ticket.category.name_id, ticket.category.name_en),
    )


@dataclass(frozen=True)
class AddressedEscalation:
    """A ladder level mailed to the viewer (their own address, or their agency's queue or head)."""

    code: str
    state: StatePresentation
    category: str
    agency: str
    area: str
    timer: str
    cycle: int
    level: str
    percent: int
    due_at: datetime
    recipient: str
    recipient_kind: str
    status: str
    queued_at: datetime
    sent_at: datetime | None


def escalations_addressed(
    session: Session, viewer: KeyHolder, *, since: datetime, limit: int
) -> list[AddressedEscalation]:
    """Escalation mail queued since ``since`` and addressed to the viewer, newest first, on
    tickets the viewer may see: to its agency's queue and head addresses, and to the key's own
    staff member when it belongs to one. An admin's key gets every escalation mail."""
    query = (
        select(
            *ESCALATED_TICKET,
            Escalation.label,
            Escalation.percent,
            Escalation.due_at,
            Notification.recipient,
            Notification.recipient_kind,
            Notification.status,
            Notification.created_at,
            Notification.sent_at,
        )
        .select_from(Notification)
        .join(Escalation, Escalation.id == Notification.escalation_id)
        .join(Ticket, Ticket.id == Escalation.ticket_id)
        .join(Category, Category.id == Ticket.category_id)
        .join(Agency, Agency.id == Ticket.agency_id)
        .join(Area, Area.id == Ticket.area_id)
        .where(
            visible(session, viewer),
            Notification.kind == NotificationKind.ESCALATION.value,
            Notification.created_at >= since,
        )
    )
    if not viewer.is_admin:
        # The key's agency's queue and head, and the key's own person when it belongs to one
        # (a supervisor named on a ladder — a kecamatan head — is mailed at their own address).
        addresses: set[str] = set()
        if viewer.agency_id is not None:
            own = session.get(Agency, viewer.agency_id)
            if own is not None:
                addresses |= {a.lower() for a in (own.email, own.head_email) if a}
        if viewer.staff_email is not None:
            addresses.add(viewer.staff_email.lower())
        query = query.where(func.lower(Notification.recipient).in_(addresses))
    rows = session.execute(
        query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    ).all()
    return [
        AddressedEscalation(code, present(state, last), *rest) for code, state, last, *rest in rows
    ]


def dispute_reasons(session: Session, codes: list[str]) -> dict[str, str]:
    """Per ticket code: the reason given at its latest reopen (a citizen's dispute or staff's),
    for tickets in ``codes`` that were ever reopened."""
    reasons: dict[str, str] = {}
    for chunk in (codes[i : i + 500] for i in range(0, len(codes), 500)):
        for code, note in session.execute(
            select(Ticket.code, TicketEvent.note)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(Ticket.code.in_(chunk), TicketEvent.trigger == Trigger.REOPEN.value)
            .order_by(TicketEvent.ticket_id, TicketEvent.seq)
        ):
            if note:
                reasons[code] = note
    return reasons
