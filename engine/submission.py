"""Submitting a report: validate, locate, route, store photos, create the ticket and event 1."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Insert, Table, bindparam, insert, inspect, select
from sqlalchemy.orm import Session

from engine import clocks
from engine.actors import Actor, check_may_act, hash_token
from engine.catalogue.lookup import get_category
from engine.catalogue.snapshot import (
    AgencyFacts,
    AreaNode,
    CategoryFacts,
    catalogue_snapshot,
    find_category_fast,
)
from engine.channels import check_channel
from engine.codes import new_code
from engine.db import core_execute
from engine.errors import Forbidden, RuleViolated
from engine.lifecycle import RULES_BY_TRIGGER, Role, State, Trigger
from engine.models import (
    Agency,
    Area,
    Attachment,
    Category,
    Priority,
    SlaTimer,
    Subscription,
    Ticket,
    TicketEvent,
)
from engine.models.subscription import new_link_token
from engine.once import built_once
from engine.photos import CleanPhoto, MediaStorage, PhotoFile, clean_photo, storage_key
from engine.questions import check_answers
from engine.receipts import mail_receipt, staff_filed
from engine.routing import check_location, place, route_ids, state_key
from engine.settings import Settings
from engine.text import LIMITS, clean_email, clean_phone, clean_text, clean_url, code_key
from engine.tickets import new_event

__all__ = [
    "Intake",
    "Language",
    "Report",
    "Submission",
    "attach_photos",
    "check_location",
    "check_report",
    "clean_photos",
    "get_category",
    "submit",
    "submit_checked",
]


class Language(StrEnum):
    """The languages a citizen is written to in (their mails, their labels)."""

    ID = "id"
    EN = "en"


@dataclass(frozen=True)
class Report:
    category: str
    description: str
    lat: float
    lon: float
    address: str | None = None
    priority: str | None = None
    reporter_name: str | None = None
    reporter_email: str | None = None
    reporter_phone: str | None = None
    photos: Sequence[bytes] = field(default_factory=tuple)
    #: How the report reached the city: a ``Channel`` value (``engine.channels``), checked
    #: against who files it (``check_channel``): staff name a caller's way in, a citizen or an
    #: app their own door. Not given: "app" for a citizen's report, "staff-on-behalf" (recorded
    #: by staff) for staff's.
    source: str | None = None
    #: The reporter's language: their status mails are written in it.
    language: Language = Language.ID
    #: Answers to the category's questions by question code (a list for a multivaluelist):
    #: text as a form sends it, or JSON's own values when ``answers_typed``.
    answers: Mapping[str, object] = field(default_factory=dict)
    #: The answers came as JSON: a number answer must be a JSON number (not text, a list or a
    #: flag). Otherwise (forms, Open311, the CLI) every answer is text.
    answers_typed: bool = False
    #: Where another system keeps its own photo of the problem (Open311 ``media_url``): kept
    #: with the submission and shown as a link, never fetched.
    media_url: str | None = None


@dataclass(frozen=True)
class Submission:
    ticket: Ticket
    #: Shown to the reporter once; only its hash is stored.
    reporter_token: str
    #: What the ticket was checked against (the category, area and agency it got).
    intake: Intake
    #: Whether the token went to the reporter by mail (``engine.receipts``): staff filing for a
    #: caller who gave an address. Staff filings never show the token to whoever filed them.
    receipt_mailed: bool = False


@dataclass(frozen=True)
class _CleanReport:
    description: str
    address: str | None
    reporter_name: str | None
    reporter_email: str | None
    reporter_phone: str | None


def clean_report(report: Report, *, description_limit: int) -> _CleanReport:
    """Every text of the report through the one set of text rules, before anything is read."""
    description = clean_text(
        report.description, field="description", limit=description_limit, required=True
    )
    assert description is not None
    return _CleanReport(
        description=description,
        address=clean_text(
            report.address, field="address", limit=LIMITS["address"], multiline=False
        ),
        reporter_name=clean_text(
            report.reporter_name,
            field="reporter_name",
            limit=LIMITS["reporter_name"],
            multiline=False,
        ),
        reporter_email=clean_email(report.reporter_email, field="reporter_email"),
        reporter_phone=clean_phone(report.reporter_phone, field="reporter_phone"),
    )


def choose_priority(report: Report, category: Category | CategoryFacts, actor: Actor) -> str:
    """Priority is staff's judgement: a citizen's report gets the category's default priority."""
    if report.priority is None or not report.priority.strip():
        return category.default_priority
    if actor.role in (Role.CITIZEN, Role.SYSTEM, Role.CLIENT):
        raise Forbidden("only staff set a report's priority; leave it out")
    key = code_key(report.priority)
    if key not in set(Priority):
        known = ", ".join(p.value for p in Priority)
        raise RuleViolated(
            f"unknown priority {report.priority.strip()[:20]!r}; use one of {known}",
            key="unknown_priority",
            params={"field": "priority"},
        )
    return key


def attach_photos(
    session: Session,
    ticket: Ticket,
    photos: Sequence[CleanPhoto],
    *,
    purpose: str,
    event_seq: int,
    storage: MediaStorage,
    now: datetime,
) -> list[Attachment]:
    attachments = []
    # A photo a moderator hid on this ticket (``redact``) stays hidden when the same file is
    # sent again: the copy shares the hidden one's address (the key is the content's hash).
    hidden = (
        set(
            session.scalars(
                select(Attachment.storage_key).where(
                    Attachment.ticket_id == ticket.id, Attachment.hidden_at.is_not(None)
                )
            )
        )
        if ticket.id is not None and photos
        else set()
    )
    for photo in photos:
        key = storage_key(photo)
        storage.put(key, photo.data)
        attachment = Attachment(
            hidden_at=now if key in hidden else None,
            ticket_id=ticket.id,
            event_seq=event_seq,
            purpose=purpose,
            content_type=photo.content_type,
            size=len(photo.data),
            width=photo.width,
            height=photo.height,
            sha256=photo.sha256,
            storage_key=key,
            created_at=now,
        )
        session.add(attachment)
        attachments.append(attachment)
    return attachments


def clean_photos(photos: Sequence[bytes], settings: Settings) -> list[CleanPhoto]:
    """Check every photo before anything is written: one bad file must change nothing."""
    limit = settings.max_photo_bytes
    if len(photos) == 1 and not isinstance(photos[0], PhotoFile):
        return [clean_photo(photos[0], max_bytes=limit)]
    # The refusal says which one: the name it came with (``PhotoFile``: a file's name, as the
    # API's own checks of size and type say it), else its place ("photo 2").
    return [
        clean_photo(
            raw, max_bytes=limit, name=raw.name if isinstance(raw, PhotoFile) else f"photo {n}"
        )
        for n, raw in enumerate(photos, 1)
    ]


#: Whether a code is taken: one statement built once (only the code changes).
_CODE_TAKEN = select(Ticket.id).where(Ticket.code == bindparam("code"))


def _unused_code(session: Session, prefix: str) -> str:
    for _ in range(5):
        code = new_code(prefix)
        if core_execute(session, _CODE_TAKEN, {"code": code}).first() is None:
            return code
    raise RuntimeError("could not draw an unused ticket code")  # 10^12 space: never in practice


@dataclass(frozen=True)
class Intake:
    """A report that passed every input rule, with what the catalogue says about it.

    Made by ``check_report`` from reads only, so it can be made before the write transaction
    (which on SQLite holds the database's one write lock) and written by ``submit_checked``.
    """

    report: Report
    #: The catalogue revision the reads saw (``engine.routing.state_key``).
    state_key: tuple[Any, ...]
    category: CategoryFacts
    area: AreaNode
    agency_id: int
    agency_code: str
    agency_name: str
    priority: str
    answers: dict[str, Any]
    photos: list[CleanPhoto]
    #: The ticket to insert (no code yet) and its first timers, not in any session.
    ticket: Ticket
    timers: list[SlaTimer]
    #: Shown to the reporter once; only its hash is stored.
    reporter_token: str
    #: ``Report.media_url`` checked (kept in the submit event's data: no column of its own).
    media_url: str | None = None


def _area_node(session: Session, area_id: int) -> AreaNode:
    row = session.get(Area, area_id)
    assert row is not None  # placed by an index built from this database state
    return AreaNode(row.id, row.code, row.name, row.parent_id, row.level)


def check_report(
    session: Session, report: Report, *, actor: Actor, now: datetime, settings: Settings
) -> Intake:
    """Every input rule of a submission, and every read it needs; writes nothing."""
    rule = RULES_BY_TRIGGER[Trigger.SUBMIT]
    text = clean_report(report, description_limit=settings.max_description_chars)
    source = check_channel(report.source, actor).value
    category = find_category_fast(session, report.category)
    if category is None:
        get_category(session, report.category)  # raises, naming the valid codes
        raise RuleViolated(f"unknown report category {report.category[:60]!r}")  # unreachable
    check_location(report.lat, report.lon)
    priority = choose_priority(report, category, actor)
    answers = check_answers(category.questions, report.answers, typed=report.answers_typed, now=now)
    media_url = clean_url(report.media_url, field="media_url")
    if category.photo_on_submit and not report.photos:
        raise RuleViolated(
            f"a report of {category.name_en.lower()} needs at least one photo",
            key="photo_required",
            params={"field": "photos"},
        )
    photos = clean_photos(report.photos, settings)
    placed = place(session, lat=report.lat, lon=report.lon, tolerance_m=settings.locate_tolerance_m)
    snapshot = catalogue_snapshot(session)
    area = snapshot.areas.get(placed.area_id) or _area_node(session, placed.area_id)
    agency: AgencyFacts | Agency
    if area.id in snapshot.areas and category.agency_id in snapshot.agencies:
        agency = snapshot.route(category.id, category.agency_id, area.id)
    else:  # rows this transaction wrote before their revision (a load in progress)
        agency = route_ids(
            session,
            category_id=category.id,
            default_agency_id=category.agency_id,
            area_id=area.id,
        )
    if agency.id != category.agency_id:
        # An override: its agency must still be active now (an admin may have closed it in
        # SQL since the revision); the rows decide.
        agency = route_ids(
            session,
            category_id=category.id,
            default_agency_id=category.agency_id,
            area_id=area.id,
        )
    token = secrets.token_urlsafe(24)
    ticket = Ticket(
        # Drawn and checked unused here, outside the write lock; two submissions drawing the
        # same one of 10^12 codes in the same instant would meet the unique index (and fail,
        # writing nothing) rather than share it.
        code=_unused_code(session, settings.code_prefix),
        state=State.SUBMITTED.value,
        version=1,
        supporters=0,
        private=False,
        last_trigger=Trigger.SUBMIT.value,
        cycle=1,
        category_id=category.id,
        priority=priority,
        description=text.description,
        lat=report.lat,
        lon=report.lon,
        address=text.address,
        area_id=area.id,
        agency_id=agency.id,
        source=source,
        reporter_name=text.reporter_name,
        reporter_email=text.reporter_email,
        reporter_phone=text.reporter_phone,
        reporter_language=Language(report.language).value,
        answers=answers or None,
        reporter_token_hash=hash_token(token),
        created_at=now,
        updated_at=now,
    )
    check_may_act(session, actor, rule, ticket, now=now, dispute_window=settings.dispute_window)
    timers = clocks.start_new_ticket(session, ticket, category=category.code, now=now)
    return Intake(
        report=report,
        state_key=state_key(session),
        category=category,
        area=area,
        agency_id=agency.id,
        agency_code=agency.code,
        agency_name=agency.name,
        priority=priority,
        answers=answers,
        photos=photos,
        ticket=ticket,
        timers=timers,
        reporter_token=token,
        media_url=media_url,
    )


def submit(
    session: Session,
    report: Report,
    *,
    actor: Actor,
    now: datetime,
    settings: Settings,
    storage: MediaStorage,
) -> Submission:
    """Check and write a report in one transaction (the command line, staff, Open311); the
    ticket comes back as a row of ``session``."""
    intake = check_report(session, report, actor=actor, now=now, settings=settings)
    written = submit_checked(
        session, intake, actor=actor, now=now, settings=settings, storage=storage
    )
    ticket = session.get(Ticket, written.ticket.id)
    assert ticket is not None  # just inserted by this transaction
    return replace(written, ticket=ticket)


def _values(row: Any) -> dict[str, Any]:
    """The column values set on a new ORM object (the table's defaults fill the rest)."""
    state = inspect(row)
    return {
        prop.columns[0].key: state.dict[prop.key]
        for prop in state.mapper.column_attrs
        if prop.key in state.dict
    }


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


@built_once
def _insert(model: type[Any]) -> Insert:
    """The INSERT of ``model``'s rows, built once (a ticket's returns its id)."""
    table = _table(model)
    return insert(table).returning(table.c.id) if model is Ticket else insert(table)


def submit_checked(
    session: Session,
    intake: Intake,
    *,
    actor: Actor,
    now: datetime,
    settings: Settings,
    storage: MediaStorage,
    private: bool = False,
) -> Submission:
    """Write a checked report (once) in the caller's write transaction.

    When the intake was made in an earlier transaction and a catalogue load or boundary import
    committed since (a newer revision), everything is checked again here, in this transaction:
    a report is never routed, timed or accepted by a catalogue that is no longer in force.

    The ticket, its timers and event 1 are three INSERT statements (no unit of work: this runs
    under SQLite's write lock). The returned ``ticket`` holds the values written and its id but
    is in no session; ``submit`` returns the row itself.
    """
    if state_key(session) != intake.state_key:
        intake = check_report(session, intake.report, actor=actor, now=now, settings=settings)
    ticket = intake.ticket
    ticket.private = private
    ticket.id = core_execute(session, _insert(Ticket), _values(ticket)).scalar_one()
    for timer in intake.timers:
        timer.ticket_id = ticket.id
    if intake.timers:
        core_execute(session, _insert(SlaTimer), [_values(t) for t in intake.timers])
    event = new_event(
        ticket,
        seq=1,
        trigger=Trigger.SUBMIT,
        from_state=None,
        actor=actor,
        note=None,
        public=True,
        data={
            "category": intake.category.code,
            "priority": intake.priority,
            "agency": intake.agency_code,
            "area": intake.area.code,
            "location": [ticket.lat, ticket.lon],
            **({"answers": intake.answers} if intake.answers else {}),
            **({"media_url": intake.media_url} if intake.media_url else {}),
        },
        now=now,
    )
    core_execute(session, _insert(TicketEvent), _values(event))
    unsubscribe = new_link_token()
    if ticket.reporter_email:
        # The reporter follows their report in the language they reported in, by every door
        # (their status mails carry this row's unsubscribe link). A new ticket has none yet.
        session.execute(
            _insert(Subscription),
            {
                "ticket_id": ticket.id,
                "email": ticket.reporter_email.lower(),
                "created_at": now,
                "language": ticket.reporter_language,
                "active": True,
                # Given in the report itself, by its reporter: no confirmation asked.
                "confirmed_at": now,
                "unsubscribe_token": unsubscribe,
            },
        )
    if intake.photos:
        attach_photos(
            session,
            ticket,
            intake.photos,
            purpose="report",
            event_seq=1,
            storage=storage,
            now=now,
        )
        session.flush()
    mailed = staff_filed(actor.role) and mail_receipt(
        session,
        ticket,
        token=intake.reporter_token,
        category_id=intake.category.name_id,
        category_en=intake.category.name_en,
        public=intake.category.public,
        unsubscribe_token=unsubscribe,
        now=now,
        settings=settings,
    )
    return Submission(
        ticket=ticket, reporter_token=intake.reporter_token, intake=intake, receipt_mailed=mailed
    )
