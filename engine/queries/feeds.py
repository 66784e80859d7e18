"""Feeds for other systems (Open311 and FixMyStreet): services, changes and list extras.

Like ``public``, these read public columns only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from engine import visibility
from engine.instants import given_instants
from engine.models import Attachment, Category, Ticket, TicketEvent
from engine.questions import QuestionSpec, questions_of


@dataclass(frozen=True)
class PublicUpdate:
    """One event of one ticket, as a public feed of changes shows it."""

    id: int
    code: str
    trigger: str
    to_state: str
    note: str | None
    at: datetime
    photo_key: str | None


def list_public_updates(
    session: Session, *, start: datetime, end: datetime, limit: int, offset: int = 0
) -> list[PublicUpdate]:
    """The public events (``visibility.is_public``) in [start, end], oldest first, at most
    ``limit`` after skipping ``offset`` (a page): each with its public note and its first
    public photo. Events the public does not see, and every event of a report it may not see
    (``visibility.published``), are left out in the query itself, so ``limit`` and ``offset``
    count public events only."""
    given_instants(start_date=start, end_date=end)
    rows = session.execute(
        select(TicketEvent, Ticket.code)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(
            TicketEvent.created_at >= start,
            TicketEvent.created_at <= end,
            visibility.public_clause(),
            visibility.published_clause(),
        )
        .order_by(TicketEvent.created_at, TicketEvent.id)
        .limit(limit)
        .offset(offset)
    ).all()
    shown = {(ev.ticket_id, ev.seq) for ev, _ in rows if visibility.shows_photos(ev)}
    photos: dict[tuple[int, int], str] = {}
    if shown:
        for ticket_id, seq, key in session.execute(
            select(Attachment.ticket_id, Attachment.event_seq, Attachment.storage_key)
            .where(
                Attachment.ticket_id.in_({ticket_id for ticket_id, _ in shown}),
                Attachment.hidden_at.is_(None),  # a moderator hid it (``redact``)
            )
            .order_by(Attachment.id.desc())
        ):
            if (ticket_id, seq) in shown:
                photos[(ticket_id, seq)] = key
    return [
        PublicUpdate(
            id=ev.id,
            code=code,
            trigger=ev.trigger,
            to_state=ev.to_state,
            note=visibility.public_note(ev),
            at=ev.created_at,
            photo_key=photos.get((ev.ticket_id, ev.seq)),
        )
        for ev, code in rows
    ]


@dataclass(frozen=True)
class Service:
    code: str
    name_id: str
    name_en: str
    group: str
    description: str | None
    #: What the category asks on submission, in order (Open311 service definition attributes).
    questions: list[QuestionSpec]
    #: The catalogue's ``photo`` flags: a report needs a photo / the fix needs a proof photo.
    photo_on_submit: bool = False
    photo_on_resolve: bool = False


def list_services(session: Session) -> list[Service]:
    rows = session.execute(
        select(
            Category.code,
            Category.name_id,
            Category.name_en,
            Category.group,
            Category.description,
            Category.questions,
            Category.photo_on_submit,
            Category.photo_on_resolve,
        )
        .where(Category.active)
        .order_by(Category.group, Category.code)
    ).all()
    return [
        Service(code, name_id, name_en, group, description, questions_of(questions), on_submit, fix)
        for code, name_id, name_en, group, description, questions, on_submit, fix in rows
    ]


def latest_notes_and_photos(
    session: Session, ticket_ids: Sequence[int]
) -> dict[int, tuple[str | None, str | None, str | None]]:
    """Per ticket: its status note, its first public photo's storage key and the
    ``media_url`` another system sent with it (Open311 lists).

    The status note describes the current status (Open311 ``status_notes``): the latest public
    note written since the last change of state as the public reads it
    (``visibility.changes_state``) — the note of the event that brought the ticket there, or
    a later public note — else none. A reopened ticket never shows its old resolution note."""
    notes: dict[int, str | None] = {}
    photos: dict[int, str] = {}
    if not ticket_ids:
        return {}
    last_change = (
        select(TicketEvent.ticket_id, func.max(TicketEvent.seq).label("seq"))
        .where(TicketEvent.ticket_id.in_(ticket_ids), visibility.changes_state_clause())
        .group_by(TicketEvent.ticket_id)
        .subquery()
    )
    for ticket_id, note in session.execute(
        select(TicketEvent.ticket_id, TicketEvent.note)
        .join(last_change, last_change.c.ticket_id == TicketEvent.ticket_id)
        .where(TicketEvent.seq >= last_change.c.seq, visibility.public_note_clause())
        .order_by(TicketEvent.seq)
    ):
        notes[ticket_id] = note
    # Only a photo the public sees: a staff photo on an internal note stays internal.
    for ticket_id, key in session.execute(
        select(Attachment.ticket_id, Attachment.storage_key)
        .join(
            TicketEvent,
            and_(
                TicketEvent.ticket_id == Attachment.ticket_id,
                TicketEvent.seq == Attachment.event_seq,
            ),
        )
        .where(Attachment.ticket_id.in_(ticket_ids), visibility.shows_attachment_clause())
        .order_by(Attachment.id.desc())
    ):
        photos[ticket_id] = key
    urls: dict[int, str] = {}
    for ticket_id, data in session.execute(
        select(TicketEvent.ticket_id, TicketEvent.data)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(
            TicketEvent.ticket_id.in_(ticket_ids),
            TicketEvent.seq == 1,
            Ticket.media_url_hidden_at.is_(None),  # a moderator hid it (``redact``)
        )
    ):
        if isinstance(data, dict) and isinstance(data.get("media_url"), str):
            urls[ticket_id] = data["media_url"]
    return {i: (notes.get(i), photos.get(i), urls.get(i)) for i in ticket_ids}
