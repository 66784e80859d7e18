"""A citizen's status mail waits a few minutes, and what happens meanwhile joins it.

Staff often verify, assign and start a report within a few minutes: one mail per change told
its reporter and followers three times in a minute. A status mail is therefore queued
``TANGGAP_CITIZEN_MAIL_HOLD_MINUTES`` ahead (``next_attempt_at = now + hold``), and while it
waits a later public change of the same report *rewrites it* rather than queuing a second one:
each reader gets one mail naming the state now and every public change and public staff note
since the last mail that left for them (FixMyStreet batches its alert mail for the same reason).
The rewritten mail keeps its ``next_attempt_at``: a stream of changes never postpones it.

What a waiting row tells of is in its ``dedupe_key``, ``citizen:{ticket}:{first}-{last}:{who}``
(the ticket's event seqs it covers, and a digest of the address): unique, since ``last`` is the
newest event's seq, and it says which events the mail carries.

Only a row nobody has tried to send is rewritten: ``status = 'pending'`` and ``attempts = 0``
are in the UPDATE itself, so a row the delivery flow claimed (``sending``) or ever tried (a
retry or a requeued uncertain row may already be in the reader's inbox) is left as it is and a
new row, covering only the new change, is queued instead. The delivery claim and the rewrite
are one UPDATE each on one row:

- PostgreSQL: a claim holding the row (``FOR UPDATE``) makes the rewrite wait for its commit;
  the rewrite then re-reads the row, finds it ``sending`` and matches nothing. A rewrite
  holding the row makes the claim skip it (``SKIP LOCKED``) until the new words are committed.
- SQLite: one writer at a time (``BEGIN IMMEDIATE``); the claim reads committed rows only.

Either way the provider gets a row's words as one commit left them, and a change is in
exactly one mail per reader.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, select, update
from sqlalchemy.orm import Session

from engine import letters, mail_dates, visibility
from engine.lifecycle import State
from engine.models import Notification, NotificationKind, NotificationStatus, Ticket, TicketEvent
from engine.settings import Settings

#: States whose mail is due at once, hold or not. A resolution opens the reporter's dispute
#: window, counted from the resolution itself: every minute the mail waits is a minute of the
#: window they do not know about. Closed, rejected and duplicate are a report's last word:
#: nothing usually follows for the hold to gather, so holding them would only delay them. A
#: mail already waiting for the reader joins the news and becomes due at once too.
AT_ONCE = frozenset({State.RESOLVED, State.CLOSED, State.REJECTED, State.DUPLICATE})


def due_at(event: TicketEvent, settings: Settings, now: datetime) -> datetime:
    """When a status mail about ``event`` may leave (``AT_ONCE`` states leave now)."""
    if event.to_state in AT_ONCE:
        return now
    return now + settings.citizen_mail_hold


def who(address: str) -> str:
    """The address's part of a status mail's ``dedupe_key``: a digest, not the address."""
    return hashlib.sha256(address.encode()).hexdigest()[:16]


def dedupe_key(ticket: Ticket, first: int, last: int, address: str) -> str:
    """``citizen:{ticket}:{first}-{last}:{who}``: a status mail telling of events first..last."""
    return f"citizen:{ticket.id}:{first}-{last}:{who(address)}"


def covered(key: str | None) -> tuple[int, int] | None:
    """The first and last event seqs a status mail's ``dedupe_key`` covers
    (``citizen:7:3-5:…`` → (3, 5); a key from before mail was held, ``citizen:7:3:…``, →
    (3, 3)); ``None`` for another key."""
    parts = (key or "").split(":")
    if len(parts) != 4 or parts[0] != "citizen":
        return None
    first, _, last = parts[2].partition("-")
    last = last or first
    return (int(first), int(last)) if first.isdigit() and last.isdigit() else None


@dataclass(frozen=True)
class Waiting:
    """A status mail queued for one reader that nobody has tried to send yet."""

    id: int
    first_seq: int
    next_attempt_at: datetime
    #: The base URL its links were rendered with (``Notification.links_base_url``, or the one
    #: its unsubscribe link names): a change it is rewritten for keeps them.
    links_base_url: str | None = None


def _held(ticket_id: int) -> tuple[ColumnElement[bool], ...]:
    """An untried status mail about the ticket, waiting: the rows a later change may rewrite
    and a stop may take back."""
    return (
        Notification.kind == NotificationKind.CITIZEN_UPDATE,
        Notification.ticket_id == ticket_id,
        Notification.status == NotificationStatus.PENDING,
        Notification.attempts == 0,
    )


def waiting(session: Session, ticket: Ticket, addresses: Iterable[str]) -> dict[str, Waiting]:
    """The untried status mail waiting for each of ``addresses`` about ``ticket`` (the newest,
    should there be several)."""
    found: dict[str, Waiting] = {}
    rows = session.execute(
        select(
            Notification.id,
            Notification.recipient,
            Notification.dedupe_key,
            Notification.next_attempt_at,
            Notification.links_base_url,
            Notification.unsubscribe_url,
        )
        .where(*_held(ticket.id), Notification.recipient.in_(list(addresses)))
        .order_by(Notification.id)
    )
    for row_id, recipient, key, next_attempt_at, base, unsubscribe in rows:
        span = covered(key)
        if span is None:
            continue
        if not base and unsubscribe and "/unsubscribe/" in unsubscribe:  # queued before 0019
            base = unsubscribe.rpartition("/unsubscribe/")[0]
        found[recipient] = Waiting(row_id, span[0], next_attempt_at, base or None)
    return found


def mailed_events(session: Session, ticket: Ticket, first: int, last: int) -> list[TicketEvent]:
    """The events of ``ticket`` from seq ``first`` to ``last`` that a status mail tells of
    (``visibility.in_status_mail``: a change of state or a public staff note), in order."""
    events = session.scalars(
        select(TicketEvent)
        .where(
            TicketEvent.ticket_id == ticket.id,
            TicketEvent.seq >= first,
            TicketEvent.seq <= last,
        )
        .order_by(TicketEvent.seq)
    )
    return [event for event in events if visibility.in_status_mail(event)]


def changes(events: Sequence[TicketEvent], lang: str, zone: tzinfo) -> list[dict[str, Any]]:
    """What a merged mail lists, one entry per event, in ``lang``: when (city time), the state
    it moved to (``None`` for a note alone) and staff's public note."""
    told = []
    for event in events:
        local = event.created_at.astimezone(zone)
        status = (
            letters.state_label(event.to_state, lang, last_trigger=event.trigger)
            if visibility.changes_state(event)
            else None
        )
        when = f"{mail_dates.short_moment(local, lang, zone)} {local.tzname() or ''}"
        told.append(
            {
                "when": when.rstrip(),
                "status": status,
                "note": visibility.public_note(event),
            }
        )
    return told


def rewrite(session: Session, row: Waiting, values: dict[str, Any]) -> bool:
    """Give the waiting ``row`` new words, unless the delivery flow took it meanwhile (then
    ``False``: queue a new row). The condition is in the UPDATE itself (module docstring)."""
    result = session.execute(
        update(Notification)
        .where(
            Notification.id == row.id,
            Notification.status == NotificationStatus.PENDING,
            Notification.attempts == 0,
        )
        .values(**values)
    )
    return cast(CursorResult[Any], result).rowcount == 1


#: Why a waiting status mail was not sent (the row's ``last_error``, for operators).
WITHDRAWN = "not sent: the address stopped mail about this report while the mail waited"


def withdraw(session: Session, ticket_id: int, address: str) -> int:
    """Take back the untried status mail waiting for ``address`` about the ticket: its owner
    stopped the mail while it was held (the hold makes that minutes, not seconds). A mail the
    delivery flow took is past recall. A reporter's receipt (``receipts``: the private link
    of a report staff filed for them) still waiting, untried or between tries, is taken back
    too: stopped mail stops, whichever mail the link came in. Returns how many rows were
    taken back."""
    address = address.lower()
    receipts = mark_not_sent(
        session,
        (
            Notification.kind == NotificationKind.REPORTER_RECEIPT,
            Notification.ticket_id == ticket_id,
            Notification.status == NotificationStatus.PENDING,
            Notification.recipient == address,
        ),
        WITHDRAWN,
    )
    return receipts + take_back(session, ticket_id, Notification.recipient == address, WITHDRAWN)


def take_back(
    session: Session, ticket_id: int, recipients: ColumnElement[bool], reason: str
) -> int:
    """Mark the untried status mail waiting for ``recipients`` about the ticket not sent, with
    ``reason`` (its ``last_error``); returns how many."""
    return mark_not_sent(session, (*_held(ticket_id), recipients), reason)


def mark_not_sent(session: Session, rows: tuple[ColumnElement[bool], ...], reason: str) -> int:
    """Mark the outbox rows matching every clause of ``rows`` ``failed`` with ``reason`` (their
    ``last_error``); returns how many. Asked first: most calls find none, and an UPDATE of the
    outbox reads as mail queued to whoever watches for it (the CLI's note on where links
    point)."""
    if session.scalar(select(Notification.id).where(*rows).limit(1)) is None:
        return 0
    result = session.execute(
        update(Notification)
        .where(*rows)
        .values(status=NotificationStatus.FAILED, last_error=reason)
    )
    return cast(CursorResult[Any], result).rowcount
