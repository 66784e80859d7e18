"""The public projection of tickets: what anyone may read about a report.

Built by selecting public columns only — the reporter's name, e-mail, phone and token hash are
never read here, so no caller can leak them by forgetting to filter. Used by the citizen API,
the map feed and Open311.

A report the public may not see (``visibility.published``: a non-public category, or taken off
the public record) is left out in the query itself: never listed, mapped or offered as a
duplicate, and by code it is ``TicketNotFound`` with the words of an unknown code. Only its
reporter's view and staff's detail ask for it (``get_public(..., include_unpublished=True)``).
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, bindparam, case, or_, select
from sqlalchemy.orm import Session, aliased

from engine import visibility
from engine.catalogue.lookup import filter_code
from engine.codes import normalize_code, not_found
from engine.db import core_execute
from engine.errors import RuleViolated, TicketNotFound
from engine.instants import given_instant, given_instants
from engine.lifecycle import OPEN_STATES, RULES_BY_TRIGGER, Role, State, Trigger
from engine.models import (
    Agency,
    Area,
    Attachment,
    Category,
    SlaTimer,
    Ticket,
    TicketEvent,
    area_title,
)
from engine.once import built_once
from engine.presentation import StatePresentation, present
from engine.queries.overdue import late_step, running_due, running_kind
from engine.routing import check_location

#: Metres per degree of latitude (and of longitude at the equator), close enough for a radius.
_M_PER_DEG = 111_320.0


@dataclass(frozen=True)
class PublicEvent:
    seq: int
    trigger: str
    state: StatePresentation
    actor_role: str
    note: str | None
    at: datetime


@dataclass(frozen=True)
class Sending:
    """One time a photo was sent: with the event ``seq`` of the ticket's timeline, ``at``."""

    seq: int
    at: datetime


@dataclass(frozen=True)
class PublicPhoto:
    """One stored photo of a ticket (one file: ``storage_key`` is its content's hash), as it was
    first sent; ``sent`` names every time it was sent (``photos_once``)."""

    storage_key: str
    content_type: str
    width: int
    height: int
    #: ``report`` (sent with the report), ``comment`` or ``proof`` (sent with the resolution).
    purpose: str
    #: Who added it, by role only (citizen, staff, supervisor, admin, system, client): never a
    #: name.
    added_by: str = ""
    added_at: datetime | None = None
    #: Every event it was sent with, oldest first: the same proof sent with a second
    #: resolution (or the same bytes sent twice) is one photo, sent twice.
    sent: tuple[Sending, ...] = ()

    @property
    def after_fix(self) -> bool:
        """Proof of the fix and the office's own photos; the reporter's are "before"."""
        if self.purpose == "proof":
            return True
        if self.purpose == "report":
            return False
        return self.added_by not in ("", Role.CITIZEN)


@dataclass(frozen=True)
class PublicTicket:
    id: int
    code: str
    state: StatePresentation
    category_code: str
    category_id_name: str
    category_en_name: str
    agency_code: str
    agency_name: str
    area_code: str
    #: The area's title, as every page and mail names it (``area_title``: "Kelurahan Gambir").
    area_name: str
    description: str
    lat: float
    lon: float
    address: str | None
    supporters: int
    created_at: datetime
    updated_at: datetime
    #: The resolution SLA deadline while the work is under way (``expected``); None while the
    #: report is on hold (its clocks are paused and the date moves by the length of the hold,
    #: so no date is the truth then) and once it is finished (nothing is expected any more).
    expected_at: datetime | None
    #: ``engine.queries.overdue``: a step of the work is late (``overdue_step`` names it).
    overdue: bool
    duplicate_of: str | None = None
    #: Which step is late (an SLA timer kind: "verify", "assign", "accept", "start",
    #: "resolve"), None when none is: a late verification is not a late resolution.
    overdue_step: str | None = None
    #: On hold: the SLA clocks are paused (``expected_at`` is None).
    clock_paused: bool = False
    timeline: tuple[PublicEvent, ...] = ()
    photos: tuple[PublicPhoto, ...] = ()
    #: Distance from the point asked about, in metres (nearby searches only).
    distance_m: float | None = None


@dataclass(frozen=True)
class PublicFilter:
    """What a public list asks for; every field optional. ``bbox`` is (min_lon, min_lat, max_lon,
    max_lat); ``near`` is (lat, lon, radius in metres)."""

    bbox: tuple[float, float, float, float] | None = None
    near: tuple[float, float, float] | None = None
    states: Sequence[str] = ()
    open_only: bool | None = None
    categories: Sequence[str] = ()
    codes: Sequence[str] = ()
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    exclude_id: int | None = None
    #: An unknown category code is refused (the API); else it matches nothing (Open311, whose
    #: ``service_code`` list is a set of services any of which may be gone).
    unknown_codes_refused: bool = True

    def __post_init__(self) -> None:
        given_instants(
            updated_after=self.updated_after,
            updated_before=self.updated_before,
            created_after=self.created_after,
            created_before=self.created_before,
        )


@dataclass(frozen=True)
class Page:
    items: list[PublicTicket]
    next_cursor: str | None
    extra: dict[str, Any] = field(default_factory=dict)


_Duplicate = aliased(Ticket)
_DuplicateCategory = aliased(Category)


def _resolve_deadline() -> Any:
    return (
        select(SlaTimer.deadline)
        .where(SlaTimer.ticket_id == Ticket.id, SlaTimer.kind == "resolve")
        .order_by(SlaTimer.cycle.desc())
        .limit(1)
        .scalar_subquery()
    )


@built_once
def _base(published_only: bool = True, duplicate_published_only: bool = True) -> Any:
    """The projection's SELECT, built once: statements are immutable, building one is not free.

    ``published_only`` (every public reader): reports the public may see only
    (``visibility.published``). Else (the reporter's and staff's views) every report, as it is.
    ``duplicate_published_only`` (every public reader, and the reporter's view: a reporter may
    read their own report, not others' that the public may not see): a ``duplicate_of`` that
    names a report the public may not see is left blank — its code would tell that it exists,
    a pungli report's included. Only staff (both false) read it as it is."""
    duplicate: ColumnElement[str] = _Duplicate.code.expression
    if published_only or duplicate_published_only:
        shown = visibility.published_clause(_Duplicate, _DuplicateCategory)
        duplicate = case((shown, _Duplicate.code), else_=None)
    query = (
        select(
            Ticket.id,
            Ticket.code,
            Ticket.state,
            Ticket.last_trigger,
            Category.code,
            Category.name_id,
            Category.name_en,
            Agency.code,
            Agency.name,
            Area.code,
            Area.name,
            Area.level,
            visibility.public_description(),
            Ticket.lat,
            Ticket.lon,
            Ticket.address,
            Ticket.supporters,
            Ticket.created_at,
            Ticket.updated_at,
            _resolve_deadline(),
            duplicate,
            running_due(),
            running_kind(),
            running_kind(breached=True),
        )
        .join(Category, Category.id == Ticket.category_id)
        .join(Agency, Agency.id == Ticket.agency_id)
        .join(Area, Area.id == Ticket.area_id)
        .outerjoin(_Duplicate, _Duplicate.id == Ticket.duplicate_of_id)
    )
    if published_only or duplicate_published_only:
        query = query.outerjoin(_DuplicateCategory, _DuplicateCategory.id == _Duplicate.category_id)
    if published_only:
        query = query.where(visibility.published_clause(Ticket, Category))
    return query


def expected(state: str, deadline: datetime | None) -> datetime | None:
    """The date a report is expected done by, as every reader is told it (JSON, GeoJSON,
    Open311 ``expected_datetime``, the tracking page): its resolution deadline while the work
    is under way. None on hold (its clocks are paused: the date moves by the length of the
    hold) and once the report is finished (resolved, closed, rejected, a duplicate): nothing
    is expected of it any more, and the deadline of a cycle that ended is no promise."""
    if state not in OPEN_STATES or state == State.ON_HOLD:
        return None
    return deadline


def _row_to_public(row: Any, now: datetime, near: tuple[float, float] | None) -> PublicTicket:
    (tid, code, state, last_trigger, cat, cat_id, cat_en, ag, ag_name, ar, ar_name) = row[:11]
    ar_level = row[11]
    (description, lat, lon, address, supporters, created, updated, deadline, dup) = row[12:21]
    due, due_kind, breached_kind = row[21:24]
    step = late_step(state, due, due_kind, breached_kind, now)
    paused = state == State.ON_HOLD
    return PublicTicket(
        id=tid,
        code=code,
        state=present(state, last_trigger),
        category_code=cat,
        category_id_name=cat_id,
        category_en_name=cat_en,
        agency_code=ag,
        agency_name=ag_name,
        area_code=ar,
        area_name=area_title(ar_name, ar_level),
        description=description,
        lat=lat,
        lon=lon,
        address=address,
        supporters=supporters,
        created_at=created,
        updated_at=updated,
        expected_at=expected(state, deadline),
        overdue=step is not None,
        duplicate_of=dup,
        overdue_step=step,
        clock_paused=paused,
        distance_m=distance_m(near, (lat, lon)) if near else None,
    )


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(h)))


def _squared_m(lat: float, lon: float) -> ColumnElement[float]:
    """Squared distance in m² on a local flat projection: plain arithmetic on both databases,
    within a few centimetres of the great circle at these distances."""
    dy = (Ticket.lat - lat) * _M_PER_DEG
    dx = (Ticket.lon - lon) * (_M_PER_DEG * math.cos(math.radians(lat)))
    return dx * dx + dy * dy


def _within(lat: float, lon: float, radius_m: float) -> ColumnElement[bool]:
    half = radius_m / _M_PER_DEG
    return and_(
        Ticket.lat.between(lat - half, lat + half),
        _squared_m(lat, lon) <= radius_m * radius_m,
    )


def _where(query: Any, f: PublicFilter) -> Any:
    if f.bbox is not None:
        min_lon, min_lat, max_lon, max_lat = f.bbox
        query = query.where(
            Ticket.lon.between(min_lon, max_lon), Ticket.lat.between(min_lat, max_lat)
        )
    if f.near is not None:
        query = query.where(_within(*f.near))
    if f.states:
        query = query.where(Ticket.state.in_(list(f.states)))
    if f.open_only is not None:
        opened = Ticket.state.in_([s.value for s in OPEN_STATES])
        query = query.where(opened if f.open_only else ~opened)
    if f.categories:
        query = query.where(Category.code.in_(list(f.categories)))
    if f.codes:
        query = query.where(Ticket.code.in_([normalize_code(c) for c in f.codes]))
    if f.updated_after is not None:
        query = query.where(Ticket.updated_at >= f.updated_after)
    if f.updated_before is not None:
        query = query.where(Ticket.updated_at <= f.updated_before)
    if f.created_after is not None:
        query = query.where(Ticket.created_at >= f.created_after)
    if f.created_before is not None:
        query = query.where(Ticket.created_at <= f.created_before)
    if f.exclude_id is not None:
        query = query.where(Ticket.id != f.exclude_id)
    return query


def encode_cursor(
    at: datetime, ticket_id: int, rank: int | None = None, as_of: datetime | None = None
) -> str:
    """A page cursor after (``at``, ``ticket_id``); a ranked listing (the staff worklist: the
    overdue first) also holds the last row's ``rank`` (``engine.queries.ranking``: 0, 1 or 2)
    and the instant its first page was ranked at (``as_of``)."""
    tail = "" if rank is None else f"|{rank}"
    if rank is not None and as_of is not None:
        tail += f"|{as_of.isoformat()}"
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{ticket_id}{tail}".encode()).decode()


#: A ticket id as every database stores it (a signed 64-bit key, counted from 1).
_MAX_ID = 2**63 - 1


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (instant, ticket id) a page cursor holds; ``RuleViolated`` naming ``cursor`` for
    anything ``encode_cursor`` did not write (an id no key can hold, an instant outside the
    engine's window): never left for the database to refuse."""
    _, moment, number, _ = _decode(cursor, ranked=False)
    return moment, number


def decode_ranked_cursor(cursor: str) -> tuple[int, datetime, int, datetime | None]:
    """The (rank, instant, ticket id, first page's instant) of a ranked listing's cursor
    (``decode_cursor``); the last is None in a cursor handed out before it was kept."""
    return _decode(cursor, ranked=True)


def _decode(cursor: str, *, ranked: bool) -> tuple[int, datetime, int, datetime | None]:
    try:
        at, _, rest = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        ticket_id, _, rest = rest.partition("|")
        rank, bar, ranked_at = rest.partition("|")
        moment = given_instant("cursor", datetime.fromisoformat(at))
        if moment is None or not re.fullmatch(r"[0-9]{1,19}", ticket_id):
            raise ValueError
        if (rank not in ("0", "1", "2")) if ranked else rest != "":
            raise ValueError
        as_of = given_instant("cursor", datetime.fromisoformat(ranked_at)) if bar else None
        if bar and as_of is None:
            raise ValueError
        number = int(ticket_id)
        if not 1 <= number <= _MAX_ID:
            raise ValueError
    except (ValueError, UnicodeDecodeError, RuleViolated) as exc:
        raise RuleViolated(
            "cursor is not one this service handed out: pass next_cursor from the page before",
            key="invalid_cursor",
            params={"field": "cursor"},
        ) from exc
    return int(rank or 0), moment, number, as_of


def list_public(
    session: Session,
    f: PublicFilter,
    *,
    now: datetime,
    limit: int,
    cursor: str | None = None,
    offset: int | None = None,
) -> Page:
    """Newest change first, keyset-paged on (updated_at, id) — or by offset for Open311 pages."""
    if f.categories:
        strict = f.unknown_codes_refused
        codes = (
            filter_code(session, Category, c, field="category", strict=strict) for c in f.categories
        )
        f = replace(f, categories=tuple(codes))
    query = _where(_base(), f).order_by(Ticket.updated_at.desc(), Ticket.id.desc())
    if cursor:
        at, ticket_id = decode_cursor(cursor)
        query = query.where(
            or_(Ticket.updated_at < at, and_(Ticket.updated_at == at, Ticket.id < ticket_id))
        )
    if offset:
        query = query.offset(offset)
    rows = session.execute(query.limit(limit + 1)).all()
    near = (f.near[0], f.near[1]) if f.near else None
    items = with_photos(session, [_row_to_public(row, now, near) for row in rows[:limit]])
    last = items[-1] if len(rows) > limit else None
    return Page(items, encode_cursor(last.updated_at, last.id) if last else None)


def is_published(session: Session, code: str) -> bool:
    """Whether the ticket ``code`` names exists and the public may see it
    (``visibility.published``): where staff pages may link to its public page."""
    found = session.scalar(
        select(Ticket.id).where(Ticket.code == normalize_code(code), visibility.published_clause())
    )
    return found is not None


def was_redacted(session: Session, ticket_id: int) -> bool:
    """Whether a supervisor or admin ever edited what the public reads of the ticket
    (``redact``): its reporter is told so, never why nor what."""
    edits = select(TicketEvent.id).where(
        TicketEvent.ticket_id == ticket_id, visibility.edits_record_clause()
    )
    return bool(session.scalar(select(edits.exists())))


def get_public(
    session: Session,
    code: str,
    *,
    now: datetime,
    reporter: bool = False,
    include_unpublished: bool = False,
) -> PublicTicket:
    """One report as the public sees it: state, timeline of its public events
    (``visibility.is_public``: an internal note, a rating or a merge is not there at all),
    photos, SLA. ``reporter``: the token holder's view, whose timeline also holds their own
    comments, dispute and rating (their words stay out: ``own_notes`` carries them).

    A report the public may not see is ``TicketNotFound``, as an unknown code, unless
    ``reporter`` or ``include_unpublished`` (staff's detail; the caller checked who asks)."""
    published_only = not (reporter or include_unpublished)
    query = _base(published_only, not include_unpublished).where(
        Ticket.code == normalize_code(code)
    )
    row = session.execute(query).first()
    if row is None:
        raise TicketNotFound(not_found(code))
    ticket = _row_to_public(row, now, None)
    shown = visibility.public_clause()
    if reporter:
        # Only the token holder acts as a citizen on a ticket: these events are theirs.
        shown = or_(shown, TicketEvent.actor_role == Role.CITIZEN.value)
    events = session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, shown)
        .order_by(TicketEvent.seq)
    ).all()
    timeline, moved_by = [], None
    for ev in events:
        if not RULES_BY_TRIGGER[Trigger(ev.trigger)].stays:
            moved_by = ev.trigger  # a note after a transfer still reads "Koordinasi"
        state = present(ev.to_state, moved_by)
        note = visibility.public_note(ev)
        timeline.append(PublicEvent(ev.seq, ev.trigger, state, ev.actor_role, note, ev.created_at))
    (shown_with_photos,) = with_photos(session, [replace(ticket, timeline=tuple(timeline))])
    return shown_with_photos


def photo_query(ticket_id: int) -> Any:
    """Every attachment of a ticket's photos, oldest first, with ``PublicPhoto``'s fields (joined
    to the event that added it, so a caller can filter or label by
    ``visibility.shows_attachment_clause``); ``photos_once`` makes them photos."""
    return _photos().where(Attachment.ticket_id == ticket_id)


def _photos(*leading: Any) -> Any:
    """Attachments, oldest first: the columns ``leading``, then ``PublicPhoto``'s fields and
    the ``event_seq`` they came with."""
    return (
        select(
            *leading,
            Attachment.storage_key,
            Attachment.content_type,
            Attachment.width,
            Attachment.height,
            Attachment.purpose,
            TicketEvent.actor_role,
            Attachment.created_at,
            Attachment.event_seq,
        )
        .join(
            TicketEvent,
            and_(
                TicketEvent.ticket_id == Attachment.ticket_id,
                TicketEvent.seq == Attachment.event_seq,
            ),
        )
        .order_by(Attachment.id)
    )


def with_photos(session: Session, tickets: list[PublicTicket]) -> list[PublicTicket]:
    """``tickets`` (one report, a list page, the reports near a new one) each with the photos
    the public sees, oldest first, each with who added it (by role): one statement for all,
    none for an empty list. A staff photo on an internal note stays internal, like the note —
    neither it nor its address is listed; the report's photos and the reporter's own are the
    report's evidence and always shown. A list must not say "no photos" of a report that has
    some: a citizen deciding whether a report nearby is the same problem looks at them first."""
    if not tickets:
        return tickets
    rows: dict[int, list[Any]] = {}
    for row in core_execute(session, _shown_photos(), {"ids": [t.id for t in tickets]}):
        rows.setdefault(row.ticket_id, []).append(row)
    found = {
        ticket_id: [photo for photo, _ in photos_once(sent)] for ticket_id, sent in rows.items()
    }
    # A ticket without photos is returned as it is: copying a frozen dataclass of 24 fields
    # (``replace``) for each, ten or fifty a page, cost more than reading the photos.
    return [
        t if t.id not in found and not t.photos else replace(t, photos=tuple(found.get(t.id, ())))
        for t in tickets
    ]


def photos_once(rows: Sequence[Any]) -> list[tuple[PublicPhoto, list[Any]]]:
    """Attachment rows of one ticket (``_photos``' columns, oldest first) as its photos, one a
    stored file (by ``storage_key``, the hash of its content), each with its rows: the same
    proof sent with two resolutions, or the same bytes sent twice, is listed once, as first
    sent, with every event it came with (``PublicPhoto.sent``)."""
    by_file: dict[str, list[Any]] = {}
    for row in rows:
        by_file.setdefault(row.storage_key, []).append(row)
    photos = []
    for key, sent in by_file.items():
        first = sent[0]
        sendings = dict.fromkeys(Sending(row.event_seq, row.created_at) for row in sent)
        photo = PublicPhoto(
            storage_key=key,
            content_type=first.content_type,
            width=first.width,
            height=first.height,
            purpose=first.purpose,
            added_by=first.actor_role,
            added_at=first.created_at,
            sent=tuple(sendings),
        )
        photos.append((photo, sent))
    return photos


@built_once
def _shown_photos() -> Any:
    """``with_photos``'s statement, built once (building it and its cache key anew cost about
    half as much again as running it): the photos the public sees of the tickets ``ids``."""
    return _photos(Attachment.ticket_id).where(
        Attachment.ticket_id.in_(bindparam("ids", expanding=True)),
        visibility.shows_attachment_clause(),
    )


_Near = aliased(Ticket)
_NearCategory = aliased(Category)


@built_once
def _nearby() -> Any:
    """Open reports of a category nearest a point, projected, as one statement built once
    (only the values change): the nearest ids in a subquery, then the projection of those
    only, so the per-row SLA subquery runs for at most ``limit`` rows. Distances are squared
    metres on a local flat projection, as ``_squared_m``."""
    dy = (_Near.lat - bindparam("lat", type_=Float)) * _M_PER_DEG
    dx = (_Near.lon - bindparam("lon", type_=Float)) * bindparam("m_per_lon", type_=Float)
    squared = dx * dx + dy * dy
    nearest = (
        select(_Near.id)
        .join(_NearCategory, _NearCategory.id == _Near.category_id)
        .where(
            _Near.lat.between(bindparam("lat_min", type_=Float), bindparam("lat_max", type_=Float)),
            squared <= bindparam("r2", type_=Float),
            _NearCategory.code == bindparam("category"),
            visibility.published_clause(_Near, _NearCategory),
            # Each open state as its own bound value, not ``in_``: an IN list is re-rendered
            # into the SQL text at every execution ("expanding"), for a list that never changes.
            or_(*(_Near.state == bindparam(f"open_{s.value}", s.value) for s in OPEN_STATES)),
            _Near.created_at >= bindparam("since", type_=Ticket.created_at.type),
            _Near.id != bindparam("exclude_id"),
        )
        .order_by(squared, _Near.id)
        .limit(bindparam("limit"))
    )
    return _base().where(Ticket.id.in_(nearest))


def nearby_open(
    session: Session,
    *,
    category: str,
    lat: float,
    lon: float,
    radius_m: float,
    days: int,
    now: datetime,
    exclude_id: int | None = None,
    limit: int = 10,
) -> list[PublicTicket]:
    """Open reports of ``category`` within ``radius_m`` from the last ``days`` days, nearest
    first: what a citizen may follow instead of filing the same report again. None for a
    non-public category: its reports are nobody else's to see; nor any report taken off the
    public record."""
    check_location(lat, lon)
    half = radius_m / _M_PER_DEG
    rows = core_execute(
        session,
        _nearby(),
        {
            "lat": lat,
            "lon": lon,
            "m_per_lon": _M_PER_DEG * math.cos(math.radians(lat)),
            "lat_min": lat - half,
            "lat_max": lat + half,
            "r2": radius_m * radius_m,
            "category": category,
            "since": now - timedelta(days=days),
            "exclude_id": -1 if exclude_id is None else exclude_id,
            "limit": limit,
        },
    )
    found = [_row_to_public(row, now, (lat, lon)) for row in rows]
    found = [t for t in found if t.distance_m is not None and t.distance_m <= radius_m]
    return with_photos(session, sorted(found, key=lambda t: (t.distance_m, t.code))[:limit])
