"""The staff read side: worklists ranked by deadline, and one ticket in full.

Every query is cut to what the viewer's key may see (``engine.keys.visible``). A private
report's reporter is shown to admins only.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from engine import visibility
from engine.catalogue.lookup import filter_code
from engine.errors import Forbidden
from engine.keys import (
    KeyHolder,
    check_sees,
    descendant_area_ids,
    may_fire,
    not_withheld,
    visible,
)
from engine.ledger import told_of
from engine.lifecycle import OPEN_STATES, Role, Trigger
from engine.models import (
    Agency,
    Area,
    Attachment,
    CatalogueRevision,
    Category,
    Escalation,
    Notification,
    Staff,
    Subscription,
    Ticket,
    TicketEvent,
)
from engine.models.subscription import told_clause
from engine.presentation import StatePresentation, present
from engine.queries.holds import on_hold_since
from engine.queries.overdue import is_overdue, running_clocks
from engine.queries.public import (
    PublicPhoto,
    PublicTicket,
    decode_ranked_cursor,
    encode_cursor,
    get_public,
    photo_query,
    photos_once,
)
from engine.queries.ranking import ranking
from engine.queries.tickets import check_at_risk_hours
from engine.questions import AnsweredQuestion, describe_answers, questions_of
from engine.staff import get_staff
from engine.tickets import get_ticket, list_events
from engine.timeline import TimerView, sla_timeline


@dataclass(frozen=True)
class WorkFilter:
    """A worklist's filters. Each of ``agencies``, ``categories`` and ``areas`` (an area and
    the areas inside it) takes several codes, any of them matching; empty: any."""

    agencies: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    #: The assigned officer's e-mail (``tanggap ticket list --officer`` too).
    officer: str | None = None
    overdue: bool = False
    #: Only tickets whose earliest running deadline falls within this many hours (not yet past).
    at_risk_hours: float | None = None

    def __post_init__(self) -> None:
        check_at_risk_hours("at_risk_hours", self.at_risk_hours)


@dataclass(frozen=True)
class WorkItem:
    code: str
    state: StatePresentation
    category: str
    priority: str
    agency: str
    area: str
    officer: str | None
    created_at: datetime
    due_at: datetime | None
    overdue: bool
    version: int
    description: str
    #: When its current hold began (``engine.queries.holds``); None: not on hold.
    on_hold_since: datetime | None = None


@dataclass(frozen=True)
class WorkPage:
    items: list[WorkItem]
    next_cursor: str | None
    #: The instant the list is ranked at: the first page's ``now``, kept by its cursors.
    as_of: datetime
    #: How many tickets of the list (its filter, as the tickets stand now) had an event after
    #: ``as_of`` — filed, moved, held, commented…: those may stand elsewhere in the ranking
    #: than when the list began, on a page already read or not yet. 0 on the first page.
    changed: int = 0


@dataclass(frozen=True)
class Reporter:
    name: str | None
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class StaffEvent:
    seq: int
    trigger: str
    from_state: str | None
    to_state: str
    actor_role: str
    actor: str
    note: str | None
    public: bool
    data: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class StaffPhoto(PublicPhoto):
    #: False: staff's photo on an internal note. The public never sees it nor its address;
    #: ``GET /media/{key}`` serves it only to keys that may see the ticket.
    public: bool = True
    #: A supervisor or admin hid it from the public (``redact``): ``public`` is then false.
    hidden: bool = False


@dataclass(frozen=True)
class TicketDetail:
    public: PublicTicket
    version: int
    priority: str
    channel: str
    private: bool
    #: None when the report is private and the viewer is not an admin, or nobody was named.
    reporter: Reporter | None
    officer: str | None
    subscribers: int
    events: list[StaffEvent]
    timers: list[TimerView]
    #: What the state allows and the viewer's role may fire (a citizen's ``rate`` is not staff's).
    allowed: list[Trigger]
    #: The reporter's answers to the category's questions.
    answers: list[AnsweredQuestion]
    #: Where the sending system keeps its own photo (Open311 ``media_url``); never fetched.
    media_url: str | None = None
    #: A supervisor or admin hid ``media_url`` from the public (``redact``).
    media_url_hidden: bool = False
    #: Every photo of the ticket, oldest first: the public ones (``public.photos``) and staff's
    #: on internal notes.
    photos: tuple[StaffPhoto, ...] = ()
    #: Whether the public sees the report at all (``visibility.published``): false for a
    #: category that is not published (pungli), seen by its reporter and staff only.
    published: bool = True
    #: Whether a supervisor or admin took it off the public record (``unpublish``).
    unpublished: bool = False
    #: The reporter's words as sent; the public reads ``public.description``, which differs
    #: when a supervisor or admin redacted it (``redacted``).
    description: str = ""
    #: Whether a supervisor or admin edited the description the public reads (``redact``).
    redacted: bool = False
    #: The assigned officer's e-mail (``officer`` is their name): whom a re-assignment skips.
    officer_email: str | None = None


def list_staff_photos(session: Session, ticket_id: int) -> list[StaffPhoto]:
    """Every photo of a ticket for staff, oldest first, each saying whether the public sees it
    (``visibility.shows_attachment_clause``) and whether a moderator hid it (``redact``)."""
    rows = session.execute(
        photo_query(ticket_id).add_columns(
            visibility.shows_attachment_clause().label("public"),
            Attachment.hidden_at.is_not(None).label("hidden"),
        )
    ).all()
    # One a stored file (``photos_once``): public when any sending of it is (its bytes are
    # public then, ``engine.queries.media``); a moderator hides a file, every sending of it.
    return [
        StaffPhoto(
            **{f.name: getattr(photo, f.name) for f in fields(PublicPhoto)},
            public=any(bool(row.public) for row in sent),
            hidden=any(bool(row.hidden) for row in sent),
        )
        for photo, sent in photos_once(rows)
    ]


def _code_id(session: Session, model: Any, code: str, what: str) -> int:
    stored = filter_code(session, model, code, field=what)
    return int(session.scalars(select(model.id).where(model.code == stored)).one())


#: Events that never move a ticket in the ranking: no clock starts, stops or moves with them
#: (a staff comment may: a receiving agency's first action ends its acceptance clock).
_STILL = (Trigger.RATE, Trigger.MERGE, Trigger.UNPUBLISH, Trigger.REPUBLISH, Trigger.REDACT)


def _changed_since(session: Session, listed: Select[Any], as_of: datetime) -> int:
    """How many tickets of the list ``listed`` (before its cursor) may stand elsewhere in the
    ranking than at ``as_of`` (``worklist``)."""
    if session.scalar(select(CatalogueRevision.id).where(CatalogueRevision.loaded_at > as_of)):
        moved: ColumnElement[bool] = Ticket.id.is_not(None)  # every open clock may be re-timed
    else:
        since = select(TicketEvent.ticket_id).where(
            TicketEvent.created_at > as_of,
            TicketEvent.trigger.not_in([t.value for t in _STILL]),
            or_(
                TicketEvent.trigger != Trigger.COMMENT.value,
                TicketEvent.actor_role != Role.CITIZEN.value,
            ),
        )
        moved = Ticket.id.in_(since)
    counted = listed.where(moved).with_only_columns(func.count(Ticket.id.distinct()))
    return session.scalar(counted) or 0


def worklist(
    session: Session,
    viewer: KeyHolder,
    f: WorkFilter,
    *,
    now: datetime,
    limit: int,
    cursor: str | None = None,
) -> WorkPage:
    """Tickets the viewer may see, most urgent first, keyset-paged, in the ranking of every
    worklist (``engine.queries.ranking``, ``tanggap ticket list``'s too): the overdue first
    (``engine.queries.overdue``: a recorded breach stays one after a later deadline), then the
    running by earliest SLA deadline (no running clock last), then those on hold (clocks
    paused), the longest hold first; among equals in the order they were filed.

    Later pages keep the first page's ranking as far as time goes: the cursor carries the
    instant the first page was ranked at (``WorkPage.as_of``), and the ranking is judged at it
    (``overdue_clause``), so a deadline passing between two pages moves no ticket: it is
    neither shown twice nor skipped. The filters (``overdue``, ``at_risk_hours``) and each
    item's ``overdue`` are as of ``now``: a ticket that became overdue is on the later pages
    of an overdue list (it ranked among the running at ``as_of``, after every overdue one),
    one that is no longer "at risk" because it is overdue leaves an at-risk list, as a
    resolved one leaves any list.

    What changed since ``as_of`` otherwise cannot be ranked as it stood then, and
    ``WorkPage.changed`` counts the tickets of the list it touched, which a client may find
    twice or not at all in the pages still to come (start again from the first page to see
    them in place): those with an event since (a hold, a new priority, a transfer, a new
    report, staff's comment: a receiving agency's action ends its acceptance clock) but for
    the events that never move a clock (the reporter's comment, a rating, a merge, publishing
    and redacting); every ticket of the list when a catalogue load or a boundary import
    (``CatalogueRevision``) since may have re-timed every open clock. Raises ``RuleViolated``
    (``invalid_cursor``) for a cursor this function did not write."""
    after: tuple[int, datetime, int] | None = None
    as_of = now
    if cursor:
        rank_after, at_after, id_after, kept = decode_ranked_cursor(cursor)
        after = (rank_after, at_after, id_after)
        as_of = min(kept, now) if kept is not None else now
    clocks = running_clocks()
    held = on_hold_since()
    ranked = ranking(clocks.c.due, clocks.c.breach_recorded, held, now, as_of=as_of)
    # The filters are judged now; on the first page that is the ranking's own instant.
    current = ranked if as_of == now else ranking(clocks.c.due, clocks.c.breach_recorded, held, now)
    late = current.late
    query = (
        select(
            Ticket.code,
            Ticket.state,
            Ticket.last_trigger,
            Category.code,
            Ticket.priority,
            Agency.code,
            Area.code,
            Staff.name,
            Ticket.created_at,
            clocks.c.due,
            Ticket.version,
            Ticket.id,
            Ticket.description,
            clocks.c.breach_recorded,
            held,
            ranked.rank,
            ranked.at,
        )
        .join(Category, Category.id == Ticket.category_id)
        .join(Agency, Agency.id == Ticket.agency_id)
        .join(Area, Area.id == Ticket.area_id)
        .outerjoin(Staff, Staff.id == Ticket.officer_id)
        .outerjoin(clocks, clocks.c.ticket_id == Ticket.id)
        .where(visible(session, viewer))
    )
    states = list(f.states) or [s.value for s in OPEN_STATES]
    query = query.where(Ticket.state.in_(states))
    if f.agencies:
        agency_ids = [_code_id(session, Agency, code, "agency") for code in f.agencies]
        query = query.where(Ticket.agency_id.in_(agency_ids))
    if f.categories:
        codes = [filter_code(session, Category, code, field="category") for code in f.categories]
        query = query.where(Category.code.in_(codes))
    if f.areas:
        area_ids = {
            inside
            for code in f.areas
            for inside in descendant_area_ids(session, _code_id(session, Area, code, "area"))
        }
        query = query.where(Ticket.area_id.in_(sorted(area_ids)))
    if f.officer:
        query = query.where(Ticket.officer_id == get_staff(session, f.officer).id)
    if f.overdue:
        query = query.where(late)
    if f.at_risk_hours is not None:
        query = query.where(*current.at_risk(clocks.c.due, now, f.at_risk_hours))
    changed = 0
    if after is not None:
        if as_of < now:
            changed = _changed_since(session, query, as_of)
        rank_after, at_after, id_after = after
        rank, moment = ranked.rank, ranked.at
        query = query.where(
            or_(
                rank > rank_after,
                and_(
                    rank == rank_after,
                    or_(moment > at_after, and_(moment == at_after, Ticket.id > id_after)),
                ),
            )
        )
    rows = session.execute(query.order_by(*ranked.keys).limit(limit + 1)).all()
    items = []
    for row in rows[:limit]:
        (code, state, last, cat, prio, agency, area, officer, created, due_at, version) = row[:11]
        items.append(
            WorkItem(
                code,
                present(state, last),
                cat,
                prio,
                agency,
                area,
                officer,
                created,
                due_at,
                is_overdue(state, due_at, row[13], now),
                version,
                row[12],
                on_hold_since=row[14],
            )
        )
    next_cursor = None
    if len(rows) > limit:
        last_row = rows[limit - 1]
        next_cursor = encode_cursor(last_row[16], last_row[11], last_row[15], as_of)
    return WorkPage(items, next_cursor, as_of, changed)


def ticket_detail(session: Session, viewer: KeyHolder, code: str, *, now: datetime) -> TicketDetail:
    """One ticket for staff: timeline with internal notes, SLA timers and escalations, next
    actions. ``Forbidden`` outside the viewer's agency or area; ``TicketNotFound`` as for no
    such code when it is withheld from the viewer's area office."""
    ticket = get_ticket(session, code)
    check_sees(session, viewer, ticket, typed=code)
    named = ticket.reporter_name or ticket.reporter_email or ticket.reporter_phone
    reporter = None
    if named and (viewer.is_admin or not ticket.private):
        reporter = Reporter(ticket.reporter_name, ticket.reporter_email, ticket.reporter_phone)
    subscribers = session.scalar(
        select(func.count())
        .select_from(Subscription)
        .where(Subscription.ticket_id == ticket.id, told_clause())
    )
    events = [
        StaffEvent(
            e.seq,
            e.trigger,
            e.from_state,
            e.to_state,
            e.actor_role,
            "citizen" if e.actor_role == "citizen" else e.actor_label,
            e.note,
            e.public,
            dict(e.data or {}),
            e.created_at,
        )
        for e in list_events(session, ticket)
    ]
    return TicketDetail(
        public=get_public(session, ticket.code, now=now, include_unpublished=True),
        published=visibility.published(ticket),
        unpublished=ticket.unpublished_at is not None,
        description=ticket.description,
        redacted=ticket.public_description is not None,
        version=ticket.version,
        priority=ticket.priority,
        channel=ticket.source,
        private=ticket.private,
        reporter=reporter,
        officer=ticket.officer.name if ticket.officer else None,
        officer_email=ticket.officer.email if ticket.officer else None,
        subscribers=subscribers or 0,
        events=events,
        timers=sla_timeline(session, ticket, now=now),
        allowed=may_fire(session, viewer, ticket, now=now),
        answers=describe_answers(questions_of(ticket.category.questions), ticket.answers),
        media_url=next((e.data.get("media_url") for e in events if e.trigger == "submit"), None),
        media_url_hidden=ticket.media_url_hidden_at is not None,
        photos=tuple(list_staff_photos(session, ticket.id)),
    )


@dataclass(frozen=True)
class EscalationItem:
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
    recorded_at: datetime
    mailed: bool


#: The leading columns of an escalation row: its ticket (code, state, last trigger, category,
#: agency and area codes) and its timer (kind, cycle). Rows select these from ``Escalation``
#: joined to ``Ticket``, ``Category``, ``Agency`` and ``Area``.
ESCALATED_TICKET = (
    Ticket.code,
    Ticket.state,
    Ticket.last_trigger,
    Category.code,
    Agency.code,
    Area.code,
    Escalation.timer_kind,
    Escalation.cycle,
)


def list_escalations(
    session: Session, viewer: KeyHolder, *, since: datetime, limit: int
) -> list[EscalationItem]:
    """Ladder levels recorded since ``since`` that the outbox addressed to the viewer's staff
    member (an admin sees every level), newest first.

    ``Forbidden`` for a supervisor key that belongs to no staff member: nothing is addressed to
    a key."""
    if viewer.is_admin:
        mine: ColumnElement[bool] = visible(session, viewer)
    elif viewer.staff_email is None:
        raise Forbidden(
            "this key belongs to no staff member, so no escalation is addressed to it; "
            "create the supervisor's key with their staff e-mail"
        )
    else:
        told = told_of()  # a level shared one mail with another clock's: that mail counts
        mine = (
            select(Notification.id)
            .join(told, told.c.notification_id == Notification.id)
            .where(
                told.c.escalation_id == Escalation.id,
                func.lower(Notification.recipient) == viewer.staff_email.lower(),
            )
            .exists()
        )
    rows = session.execute(
        select(
            *ESCALATED_TICKET,
            Escalation.level,
            Escalation.percent,
            Escalation.due_at,
            Escalation.recorded_at,
            Escalation.mailed,
        )
        .join(Ticket, Ticket.id == Escalation.ticket_id)
        .join(Category, Category.id == Ticket.category_id)
        .join(Agency, Agency.id == Ticket.agency_id)
        .join(Area, Area.id == Ticket.area_id)
        # A level mailed to an area office before the ticket became a complaint withheld from
        # it (re-categorised as pungli) is no longer its to read.
        .where(mine, not_withheld(viewer), Escalation.recorded_at >= since)
        .order_by(Escalation.recorded_at.desc(), Escalation.id.desc())
        .limit(limit)
    ).all()
    return [EscalationItem(code, present(state, last), *rest) for code, state, last, *rest in rows]
