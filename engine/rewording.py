"""Mail still waiting in the outbox says what the ticket says now.

A mail's words are rendered when it is queued; it may wait a while before it leaves (a citizen's
status mail is held a few minutes, a refused or failed mail waits for its next try or an
operator's retry). A change to the ticket meanwhile — its location and area, category,
priority, agency or state; a re-based deadline — would otherwise go out in the old words: the
agency head reads "Wilayah: Kelurahan Gambir" after staff corrected the location into Menteng.

So after every change, once ``ledger.readdress`` has withdrawn the mail whose addressee the
ticket no longer names, every mail about the ticket that may still go (``outbox.still_sendable``)
and still goes to the same person is rendered again from the ticket as it is now, with the same
template, reader, events and ledger rows it was queued with (DESIGN: a change re-evaluates
everything derived from it, at once):

- an escalation: the same level of the same clocks (``ledger.WaitingEscalations``: the ledger
  row it carries and those it told of too), each clock's deadline now, and its lateness as of
  the moment the mail was decided (so a change that alters nothing a mail says rewrites
  nothing);
- a hand-over: the same event, to the same role (``handover.handover_letter``);
- a citizen's follow-up forwarded to staff: the same event (``outbox.follow_up_letter``);
- a citizen's status mail: the same events to the same reader (``outbox.status_words_now``);
- the mail asking an address to confirm it wants updates: the same link, the category now
  (``following.confirmation_letter``); once the report is marked a duplicate, the report that
  stands, whose news confirming now gives. A confirmation that would give no news at all (the
  report that stands is not public, or the address follows it already or stopped its mail) is
  not sent: ``failed``, saying why (``CONFIRMS_NOTHING``), as nothing is left to confirm.

Re-rendering at the change rather than at send time keeps what the outbox stores the words the
provider is given (operators read them in ``tanggap outbox list``; the delivery claim stays a
plain read), and a change is what makes them stale: to the ticket (``tickets.write_transition``
calls this), or to the catalogue or the boundaries, which can rename a category, an agency or an
area or re-base a deadline (``waiting_mail.readdress_waiting`` calls this). Only words change: the
recipient, ``dedupe_key``, ``escalation_id``, status and next try stay, so no key and no ledger
guarantee moves and no second mail is queued. Nor do the links: a mail is re-worded with the
base URL it was queued with (``Notification.links_base_url``, ``outbox.links_base``), not the
one of the process making the change — an operator's ``tanggap ticket act`` run from another
directory, where no running serve's address is known and the default ``http://127.0.0.1:8000``
applies, must not turn a waiting mail's working ``/t/…`` and ``/unsubscribe/…`` links into
dead ones. A row is rewritten only if it is still in the
status (and at the attempt) it was read in, in the UPDATE itself: a row the delivery flow
claimed meanwhile (``sending``) is past recall, and a sent row is never touched
(``status_mail`` explains why the claim and such an UPDATE cannot interleave on either
database).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from engine import environment, following, handover, ledger, outbox, status_mail
from engine.models import Notification, NotificationKind, Subscription, Ticket, TicketEvent
from engine.settings import Settings

#: The mails about one ticket whose words are the ticket's facts.
REWORDED = (
    NotificationKind.ESCALATION.value,
    NotificationKind.HANDOVER.value,
    NotificationKind.CITIZEN_FOLLOW_UP.value,
    NotificationKind.CITIZEN_UPDATE.value,
    NotificationKind.FOLLOW_CONFIRMATION.value,
)
#: Why a waiting confirmation mail was not sent (its ``last_error``, for operators).
CONFIRMS_NOTHING = (
    "not sent: {code} was marked a duplicate, and confirming would bring this address no news "
    "(the report that stands is not public, or the address follows it already or stopped its mail)"
)
#: The mails that tell of events of the ticket (their keys name the events).
_OF_EVENTS = (
    NotificationKind.HANDOVER.value,
    NotificationKind.CITIZEN_FOLLOW_UP.value,
    NotificationKind.CITIZEN_UPDATE.value,
)


def reread_waiting(
    session: Session,
    ticket: Ticket,
    now: datetime,
    *,
    cause: str | None = None,
    settings: Settings | None = None,
    newly_named: Mapping[int, frozenset[str]] | None = None,
    ticket_changed: bool = True,
) -> int:
    """After a change to ``ticket`` or to what it names: withdraw the waiting mail whose
    addressee it no longer names and tell its levels to whom it names now
    (``ledger.readdress``, ``cause`` worded for operators; ``newly_named``: the levels told
    already that a reload made notify other roles, and those roles), then word what still goes
    to the same people anew (``reword_waiting``); returns how many mails were withdrawn or worded
    anew. ``tickets.write_transition`` calls it for a change to a ticket, ``waiting_mail`` for a
    catalogue reload or boundary import (``ticket_changed`` False: ``reword_waiting``). The
    caller owns the transaction."""
    withdrawn = ledger.readdress(session, ticket, now=now, cause=cause, newly_named=newly_named)
    return withdrawn + reword_waiting(
        session, ticket, now, settings=settings, ticket_changed=ticket_changed
    )


def reword_waiting(
    session: Session,
    ticket: Ticket,
    now: datetime,
    *,
    settings: Settings | None = None,
    ticket_changed: bool = True,
) -> int:
    """Render every mail about ``ticket`` that may still go again from the ticket as it is now;
    returns how many rows got new words (a row whose words are the same is not written).
    ``ticket_changed``: the ticket itself changed (not the catalogue or the boundaries), so an
    escalation its change re-based is worded as its clocks stand now
    (``ledger.WaitingEscalations.letter``). Called by ``reread_waiting`` after
    ``ledger.readdress``; the caller owns the transaction."""
    rows = list(
        session.scalars(
            select(Notification)
            .where(
                Notification.ticket_id == ticket.id,
                outbox.still_sendable(),
                Notification.kind.in_(REWORDED),
            )
            .order_by(Notification.id)
        )
    )
    if not rows:
        return 0
    settings = settings or environment.settings()
    escalations = (
        ledger.WaitingEscalations(session, ticket)
        if any(row.kind == NotificationKind.ESCALATION for row in rows)
        else None
    )
    # The ticket's events, read once, for the rows that tell of events.
    told_of_events = any(row.kind in _OF_EVENTS for row in rows)
    events = (
        list(
            session.scalars(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket.id)
                .order_by(TicketEvent.seq)
            )
        )
        if told_of_events
        else []
    )
    by_seq = {e.seq: e for e in events}

    def event(seq: int | None) -> TicketEvent | None:
        return by_seq.get(seq) if seq is not None else None

    changed = 0
    for row in rows:
        words: dict[str, Any] | None = None
        # Its links stay those it was queued with, not this process's (module docstring).
        linked = outbox.with_links_base(settings, outbox.links_base(row, settings))
        if row.kind == NotificationKind.CITIZEN_UPDATE:
            words = outbox.status_words_now(ticket, row, events, linked, now)
        elif row.kind == NotificationKind.ESCALATION and escalations is not None:
            # Late by as much as when it was decided: only a change to the ticket re-words it.
            letter = escalations.letter(
                row,
                now=row.created_at,
                base_url=linked.public_base_url,
                ticket_changed=ticket_changed,
            )
            if letter is not None:
                words = outbox.reworded_staff_words(row, letter)
        elif row.kind == NotificationKind.HANDOVER:
            given = event(handover.handover_seq(row.dedupe_key or ""))
            if given is not None:
                letter = handover.handover_letter(
                    session, ticket, given, row.recipient_kind, linked
                )
                words = outbox.reworded_staff_words(row, letter)
        elif row.kind == NotificationKind.CITIZEN_FOLLOW_UP and row.dedupe_key:
            given = event(_follow_up_seq(row.dedupe_key))
            if given is not None:
                letter = outbox.follow_up_letter(ticket, given, row.recipient_kind, linked)
                words = outbox.reworded_staff_words(row, letter)
        elif row.kind == NotificationKind.FOLLOW_CONFIRMATION:
            subscription_id = following.confirmation_subscription(row.dedupe_key)
            subscription = (
                session.get(Subscription, subscription_id) if subscription_id is not None else None
            )
            if subscription is not None and subscription.confirm_token is not None:
                letter = following.confirmation_letter(session, ticket, subscription, linked)
                if letter is None:
                    changed += status_mail.mark_not_sent(
                        session,
                        (
                            Notification.id == row.id,
                            Notification.status == row.status,
                            Notification.attempts == row.attempts,
                        ),
                        CONFIRMS_NOTHING.format(code=ticket.code),
                    )
                    continue
                words = {"subject": letter.subject, "body": letter.body, "html_body": letter.html}
        if words is None:
            continue
        if all(getattr(row, name) == value for name, value in words.items()):
            continue
        changed += _rewrite(session, row, words)
    return changed


def _follow_up_seq(key: str) -> int | None:
    try:
        return outbox.follow_up_seq(key)
    except ValueError:
        return None


def _rewrite(session: Session, row: Notification, words: dict[str, Any]) -> int:
    """Give ``row`` new words if it is still as it was read (not claimed, sent or given up
    meanwhile): the condition is in the UPDATE."""
    result = session.execute(
        update(Notification)
        .where(
            Notification.id == row.id,
            Notification.status == row.status,
            Notification.attempts == row.attempts,
        )
        .values(**words)
    )
    return cast(CursorResult[Any], result).rowcount
