"""Feeds for other systems (Open311 and FixMyStreet): services, changes and list extras.

Like ``public``, these read public columns only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.instants import given_instants
from engine.lifecycle import Role
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
    session: Session, *, start: datetime, end: datetime, limit: int
) -> list[PublicUpdate]:
    """Events in [start, end], oldest first, with the public note and the event's first photo."""
    given_instants(start_date=start, end_date=end)
    rows = session.execute(
        select(
            TicketEvent.id,
            Ticket.code,
            TicketEvent.trigger,
            TicketEvent.to_state,
            TicketEvent.note,
            TicketEvent.public,
            TicketEvent.created_at,
            TicketEvent.ticket_id,
            TicketEvent.seq,
            TicketEvent.actor_role,
        )
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(TicketEvent.created_at >= start, TicketEvent.created_at <= end)
        .order_by(TicketEvent.created_at, TicketEvent.id)
        .limit(limit)
    ).all()
    photos: dict[tuple[int, int], str] = {}
    if rows:
        for ticket_id, seq, key in session.execute(
            select(Attachment.ticket_id, Attachment.event_seq, Attachment.storage_key)
            .where(Attachment.ticket_id.in_({r[7] for r in rows}))
            .order_by(Attachment.id.desc())
        ):
            photos[(ticket_id, seq)] = key
    return [
        PublicUpdate(
            id=row[0],
            code=row[1],
            trigger=row[2],
            to_state=row[3],
            note=row[4] if row[5] and row[9] != Role.CITIZEN.value else None,
            at=row[6],
            photo_key=photos.get((row[7], row[8])),
        )
        for row in rows
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
    """Per ticket: its latest public note, its first photo's storage key and the ``media_url``
    another system sent with it (Open311 lists)."""
    notes: dict[int, str | None] = {}
    photos: dict[int, str] = {}
    if not ticket_ids:
        return {}
    for ticket_id, note in session.execute(
        select(TicketEvent.ticket_id, TicketEvent.note)
        .where(
            TicketEvent.ticket_id.in_(ticket_ids),
            TicketEvent.public,
            TicketEvent.actor_role != Role.CITIZEN.value,
            TicketEvent.note.is_not(None),
        )
        .order_by(TicketEvent.seq)
    ):
        notes[ticket_id] = note
    for ticket_id, key in session.execute(
        select(Attachment.ticket_id, Attachment.storage_key)
        .where(Attachment.ticket_id.in_(ticket_ids))
        .order_by(Attachment.id.desc())
    ):
        photos[ticket_id] = key
    urls: dict[int, str] = {}
    for ticket_id, data in session.execute(
        select(TicketEvent.ticket_id, TicketEvent.data).where(
            TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.seq == 1
        )
    ):
        if isinstance(data, dict) and isinstance(data.get("media_url"), str):
            urls[ticket_id] = data["media_url"]
    return {i: (notes.get(i), photos.get(i), urls.get(i)) for i in ticket_ids}
