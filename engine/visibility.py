"""Which ticket events the public sees: the one rule behind every public view of a history.

An event is *public* when it changes what anyone may read about the report:

- **its state** as the public reads it: the submission itself, any change of state, and a
  transfer (the label turns to "Koordinasi" and another agency is responsible);
- **a note for the public**: staff (never a citizen: their words are their own) wrote it and
  marked it public;
- **a photo the public sees**: one added by staff on a public event, or by the reporter (the
  report's evidence is shown, ``queries.public.with_photos``), unless a supervisor or admin
  hid it (``redact``, ``Attachment.hidden_at``: a face, a number plate). Only such a photo is
  served to anyone who has its address (``GET /media/{key}``, ``queries.media``); any other is
  served only to staff who may see its ticket.

- **an edit of the public record**: a supervisor or admin redacted the report (``redact``:
  its description as the public reads it, ``Ticket.public_description``, or photos hidden).
  The public reads that a moderator edited it; the reason, and what it read before, stay with
  staff. No status mail carries it (``in_status_mail``): there is no news of the report.

Everything else — a staff internal note, a rating, a merge recorded on the ticket another was
marked a duplicate of, the reporter's words without a photo, an ``update`` without a public
note — is not in the public timeline (``GET /api/v1/reports/{code}``, ``/t/{code}``), not in
Open311's ``servicerequestupdates`` and mails no citizen. Its existence, not only its words,
stays with staff.

The rule exists twice, side by side here and nowhere else: ``is_public`` for an event in hand
(the outbox decides mail as the event is written) and ``public_clause`` for SQL (feeds filter
before their LIMIT, so a page is never short). ``tests/engine/test_visibility.py`` holds them
to each other for every trigger.

Before any of this, a whole report is left out of every public view when its category is not
public (``Category.public``, the catalogue's ``public: false``: pungli, poor public service,
whose descriptions may name an official): not listed, mapped, shown by code, fed to Open311,
offered as a duplicate, and its photos not served to the public. To the public it does not
exist (the same answer as an unknown code); its reporter, with the token, and staff see it.
The category as it is now decides, as everywhere: re-categorised as pungli, a report leaves the
public view at once. So does a report a supervisor or admin took off the public record
(``unpublish``, ``Ticket.unpublished_at``: a name and phone number in its description, a face
or a number plate in its photo), until one puts it back (``republish``). ``published_clause``
is the rule in SQL, ``published`` in hand: every public reader, the photos, the duplicate
suggestions, "me too" and the status mail to its followers (``outbox``) follow them.

A report's public "updated" time (``updated_at``: the public list's order, GeoJSON, Open311
``updated_datetime`` and ``updated_after``) moves on a public event and on a change to a field
the public reads (category, location, area, agency, priority — the priority sets the
``expected_datetime``), never on anything else: a client that re-fetches on a newer time finds
something new.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, exists, func, or_, select

from engine import lifecycle
from engine.lifecycle import Role, Trigger
from engine.models import Attachment, Category, Subscription, Ticket, TicketEvent

#: Fields an event's ``data`` may record as changed that the public reads about a report
#: (``unpublished``: the report leaves or rejoins the public record, so a client syncing on
#: ``updated_after`` finds it back).
PUBLIC_FIELDS = frozenset({"category", "location", "area", "agency", "priority", "unpublished"})


class EventFacts(lifecycle.EventFacts, Protocol):
    """An event's trigger and states (what a replay reads), and who wrote what for whom."""

    @property
    def actor_role(self) -> str: ...
    @property
    def note(self) -> str | None: ...
    @property
    def public(self) -> bool: ...
    @property
    def data(self) -> Mapping[str, Any] | None: ...


def changes_state(event: EventFacts) -> bool:
    """The state as the public reads it moves (or the report begins)."""
    return (
        event.from_state is None
        or event.from_state != event.to_state
        or event.trigger == Trigger.TRANSFER.value
    )


def public_note(event: EventFacts) -> str | None:
    """The event's note if the public reads it: staff's, marked public; else ``None``."""
    if event.public and event.actor_role != Role.CITIZEN.value:
        return event.note
    return None


def _photos(event: EventFacts) -> int:
    given = (event.data or {}).get("photos", 0)
    return given if isinstance(given, int) and not isinstance(given, bool) else 0


def shows_photos(event: EventFacts) -> bool:
    """Whether the photos of ``event``, if any, are public: staff's on a public event, the
    reporter's always (their report's evidence)."""
    return event.public or event.actor_role == Role.CITIZEN.value


def public_photo(event: EventFacts) -> bool:
    """The event added a photo the public sees."""
    return _photos(event) > 0 and shows_photos(event)


def edits_record(event: EventFacts) -> bool:
    """A supervisor or admin edited what the public reads of the report (``redact``): the
    public sees that it happened, never why (the reason is internal) nor what it read before."""
    return event.trigger == Trigger.REDACT.value


def is_public(event: EventFacts) -> bool:
    """Whether the public sees ``event`` at all (this module's docstring)."""
    return (
        changes_state(event)
        or public_note(event) is not None
        or public_photo(event)
        or edits_record(event)
    )


def in_status_mail(event: EventFacts) -> bool:
    """A public change a citizen's status mail can carry: a state or a note (a mail carries no
    photo, so a photo alone would be a mail that says nothing new)."""
    return changes_state(event) or public_note(event) is not None


def moves_public_time(event: EventFacts) -> bool:
    """Whether ``event`` moves the report's public ``updated_at`` (this module's docstring)."""
    return is_public(event) or not PUBLIC_FIELDS.isdisjoint(event.data or {})


def shows_photos_clause() -> ColumnElement[bool]:
    """SQL twin of ``shows_photos``, on ``TicketEvent`` rows."""
    return or_(TicketEvent.public, TicketEvent.actor_role == Role.CITIZEN.value)


def shown_by_event_clause() -> ColumnElement[bool]:
    """An ``Attachment`` its event shows the public, on rows joined to the ``TicketEvent`` that
    added it: the report's own photos (its evidence) and the photos of an event that
    ``shows_photos`` — whether or not a moderator hid it since."""
    return or_(Attachment.purpose == "report", shows_photos_clause())


def shows_attachment_clause() -> ColumnElement[bool]:
    """An ``Attachment`` the public sees, on rows joined to the ``TicketEvent`` that added it:
    one its event shows (``shown_by_event_clause``) that no moderator hid (``redact``,
    ``Attachment.hidden_at``). What the public photo list, Open311's ``media_url`` and
    ``servicerequestupdates`` and ``GET /media/{key}`` all follow."""
    return and_(Attachment.hidden_at.is_(None), shown_by_event_clause())


def public_photo_clause() -> ColumnElement[bool]:
    """SQL twin of ``public_photo``: an attachment keyed to the event, and its photos public."""
    photo = exists().where(
        Attachment.ticket_id == TicketEvent.ticket_id,
        Attachment.event_seq == TicketEvent.seq,
    )
    return and_(shows_photos_clause(), photo)


def public_note_clause() -> ColumnElement[bool]:
    """SQL twin of ``public_note`` (true where the event has a note the public reads)."""
    return and_(
        TicketEvent.public,
        TicketEvent.actor_role != Role.CITIZEN.value,
        TicketEvent.note.is_not(None),
    )


def changes_state_clause() -> ColumnElement[bool]:
    """SQL twin of ``changes_state``, on ``TicketEvent`` rows."""
    return or_(
        TicketEvent.from_state.is_(None),
        TicketEvent.from_state != TicketEvent.to_state,
        TicketEvent.trigger == Trigger.TRANSFER.value,
    )


def edits_record_clause() -> ColumnElement[bool]:
    """SQL twin of ``edits_record``, on ``TicketEvent`` rows."""
    return TicketEvent.trigger == Trigger.REDACT.value


def public_clause() -> ColumnElement[bool]:
    """SQL twin of ``is_public``, on ``TicketEvent`` rows (use in WHERE, before any LIMIT)."""
    return or_(
        changes_state_clause(), public_note_clause(), public_photo_clause(), edits_record_clause()
    )


def published(ticket: Ticket) -> bool:
    """Whether the public may see ``ticket`` at all: its category, as it is now, is public and
    no one took the report off the public record."""
    return ticket.category.public and ticket.unpublished_at is None


def told_of_changes(
    ticket: Ticket, email: str, *, said_me_too: bool, carried: bool = False
) -> bool:
    """Whether a follower's address of ``ticket`` gets its status mail as the ticket is now
    (once confirmed and active). A report the public may not see (``published``) is told to
    its reporter's own choices only: their address and those they added with the token,
    never an address that only said "me too" (it may name an official, a face, a plate),
    nor one ``carried`` from a report marked its duplicate (``following.carry_followers``:
    it followed that report, a stranger to this one's reporter; this one may have become a
    pungli complaint since). Mail to such an address resumes when the report is shown
    publicly again."""
    own = (ticket.reporter_email or "").lower()
    return published(ticket) or email.lower() == own or not (said_me_too or carried)


def tells(ticket: Ticket, row: Subscription) -> bool:
    """``told_of_changes`` for a subscription ``row`` of ``ticket``."""
    return told_of_changes(
        ticket,
        row.email,
        said_me_too=row.supported_at is not None,
        carried=row.carried_from_id is not None,
    )


def published_clause(
    ticket: type[Ticket] = Ticket, category: type[Category] | None = None
) -> ColumnElement[bool]:
    """SQL twin of ``published``, on ``ticket`` rows (``Ticket`` or an alias of it). A query
    already joined to the ticket's ``Category`` (or an alias) passes it as ``category``."""
    on_record = ticket.unpublished_at.is_(None)
    if category is not None:
        return and_(category.public, on_record)
    # "Not one of the few hidden categories" rather than "one of the public ones": a planner
    # cannot drive a read from tickets through this, so a feed keeps reading its window of
    # events through their index (tests/engine/test_read_path_indexes.py).
    hidden = select(Category.id).where(Category.public.is_(False))
    return and_(ticket.category_id.not_in(hidden), on_record)


def public_description() -> ColumnElement[str]:
    """The description the public reads, on ``Ticket`` rows: a moderator's redaction
    (``Ticket.public_description``, ``redact``) if there is one, else the reporter's words. What
    every public reader selects, the reporter's own view too (their link may be passed on; the
    redaction protects someone else)."""
    return func.coalesce(Ticket.public_description, Ticket.description)
