"""Stored photos by key, and who may fetch one (``GET /media/{key}``).

A photo's address is no secret once it has been shown: staff copy it into a chat, a reply, a
mail. So the address alone opens only what the public sees anyway — a photo that
``engine.visibility`` shows (the report's own, the reporter's, staff's on a public event) on a
report the public may see (``visibility.published``: not one of a non-public category).
Any other photo (staff's on an internal note) opens only for a key that may see one of the
tickets it is attached to, by the ticket detail's rule (``engine.keys.check_sees``). For
everyone else it does not exist: the same answer as an unknown key, so a refusal never tells
that a photo is there.

Photos are stored by content (``engine.photos.storage_key``): the same bytes sent twice share
one key. A key is public when any of its attachments is (those bytes are public already), and
otherwise belongs to every ticket it is attached to.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from engine import visibility
from engine.errors import Forbidden
from engine.keys import KeyHolder, check_sees
from engine.models import Attachment, Ticket, TicketEvent


@dataclass(frozen=True)
class StoredPhoto:
    storage_key: str
    #: ``image/jpeg``, ``image/png`` or ``image/webp``.
    content_type: str
    #: Whether the public sees it (``visibility.shows_attachment_clause``): anyone may fetch it.
    public: bool
    #: The ids of the tickets it is attached to, ascending (one, unless the same bytes were sent
    #: to several).
    ticket_ids: tuple[int, ...]


def find_stored_photo(session: Session, storage_key: str) -> StoredPhoto | None:
    """The photo stored under ``storage_key`` if some ticket uses it, else ``None`` (no path is
    ever taken from a URL: only keys of attachments are served). A key no photo can have (NUL,
    a broken encoding: storage keys are hex digests) is ``None`` unasked — PostgreSQL would
    refuse to even compare it."""
    if not storage_key.isprintable():
        return None
    shown = (
        select(Attachment.id)
        .join(
            TicketEvent,
            and_(
                TicketEvent.ticket_id == Attachment.ticket_id,
                TicketEvent.seq == Attachment.event_seq,
            ),
        )
        .join(Ticket, Ticket.id == Attachment.ticket_id)
        .where(
            Attachment.storage_key == storage_key,
            visibility.shows_attachment_clause(),
            visibility.published_clause(),
        )
        .exists()
    )
    rows = session.execute(
        select(Attachment.ticket_id, Attachment.content_type, shown.label("public"))
        .where(Attachment.storage_key == storage_key)
        .order_by(Attachment.ticket_id)
    ).all()
    if not rows:
        return None
    return StoredPhoto(
        storage_key=storage_key,
        content_type=rows[0].content_type,
        public=bool(rows[0].public),
        ticket_ids=tuple(dict.fromkeys(row.ticket_id for row in rows)),
    )


def may_fetch(session: Session, photo: StoredPhoto, viewer: KeyHolder | None) -> bool:
    """Whether ``viewer`` (``None``: nobody signed in) may fetch ``photo``: anyone a public one;
    an internal one only a key that may see one of its tickets (``check_sees``)."""
    if photo.public:
        return True
    if viewer is None:
        return False
    tickets = session.scalars(
        select(Ticket).where(Ticket.id.in_(photo.ticket_ids)).order_by(Ticket.id)
    )
    for ticket in tickets:
        try:
            check_sees(session, viewer, ticket)
        except Forbidden:
            continue
        return True
    return False
