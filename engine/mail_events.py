"""What the mail provider reports back (SendGrid Event Webhook), per outbox row.

Any event about a row proves the provider took it, which settles an ``uncertain`` row as sent.
A bounce or drop flags the address undeliverable, tells an operator and — for an escalation or
a reporter's forwarded follow-up — sends the same mail to the next recipient up the chain, so
neither dies in a dead mailbox.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.db import is_row_id
from engine.delivery import DeliveryPolicy, Status, alert_operator
from engine.letters import forwarded
from engine.models import (
    Escalation,
    MailedTogether,
    MailEvent,
    Notification,
    NotificationKind,
    Ticket,
    UndeliverableAddress,
)
from engine.recipients import Addressee, Dead, Directory

logger = logging.getLogger(__name__)

#: Events we keep; opens, clicks and unsubscribes are none of the outbox's business.
RECORDED = frozenset({"processed", "delivered", "deferred", "bounce", "dropped"})
UNDELIVERABLE = frozenset({"bounce", "dropped"})


@dataclass
class EventsResult:
    recorded: int = 0
    duplicates: int = 0
    ignored: int = 0
    confirmed: int = 0
    flagged: int = 0
    rerouted: int = 0


def _outbox_id(event: Mapping[str, Any], arg: str) -> int | None:
    """The outbox row an event is about; None when the value cannot be a row's id (not ASCII
    digits, or beyond the 64-bit range), so it is ignored alike on every database."""
    value = event.get(arg)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and is_row_id(value):
        return value
    return None


def _occurred(event: Mapping[str, Any], now: datetime) -> datetime:
    stamp = event.get("timestamp")
    if isinstance(stamp, int | float) and not isinstance(stamp, bool):
        try:
            return datetime.fromtimestamp(stamp, UTC)
        except (OverflowError, OSError, ValueError):  # NaN, or beyond the year 9999
            return now
    return now


def record_events(
    session: Session,
    events: Iterable[Mapping[str, Any]],
    *,
    now: datetime,
    policy: DeliveryPolicy,
    outbox_id_arg: str = "tanggap_outbox_id",
) -> EventsResult:
    """Record a webhook delivery (a list of events); SendGrid may post an event twice."""
    result = EventsResult()
    for event in events:
        kind = event.get("event")
        outbox_id = _outbox_id(event, outbox_id_arg)
        if kind not in RECORDED or outbox_id is None:
            result.ignored += 1
            continue
        # Locked: the sender, the recovery and this may touch the row at the same moment.
        row = session.get(Notification, outbox_id, with_for_update=True)
        if row is None:
            result.ignored += 1
            continue
        event_id = event.get("sg_event_id")
        event_id = str(event_id)[:100] if event_id else None
        if event_id is not None and session.scalar(
            select(MailEvent.id).where(MailEvent.provider_event_id == event_id)
        ):
            result.duplicates += 1
            continue
        occurred = _occurred(event, now)
        reason = event.get("reason") or event.get("response")
        # A row bounced once went up the chain then; a second bounce or drop of it must not
        # send it to yet another stand-in.
        failed_before = kind in UNDELIVERABLE and session.scalar(
            select(MailEvent.id).where(
                MailEvent.notification_id == row.id, MailEvent.event.in_(UNDELIVERABLE)
            )
        )
        session.add(
            MailEvent(
                notification_id=row.id,
                ticket_id=row.ticket_id,
                event=kind,
                provider_event_id=event_id,
                reason=str(reason)[:2000] if reason else None,
                occurred_at=occurred,
                received_at=now,
            )
        )
        result.recorded += 1
        if row.last_event_at is None or occurred >= row.last_event_at:
            row.last_event, row.last_event_at = kind, occurred
        # The provider had it: an uncertain row, or one already queued again after the grace
        # period, must not go out a second time. A row being sent is left to its sender.
        if row.status in (Status.UNCERTAIN, Status.PENDING) and row.attempts > 0:
            row.status, row.sent_at = Status.SENT, occurred
            result.confirmed += 1
        if kind in UNDELIVERABLE:
            result.flagged += _flag(session, row, kind, str(reason or ""), now=now, policy=policy)
            if row.kind in _REROUTED and not failed_before and reroute(session, row, now=now):
                result.rerouted += 1
        session.flush()
    return result


def _flag(
    session: Session,
    row: Notification,
    kind: str,
    reason: str,
    *,
    now: datetime,
    policy: DeliveryPolicy,
) -> int:
    email = row.recipient.lower()
    if session.scalar(select(UndeliverableAddress.id).where(UndeliverableAddress.email == email)):
        return 0
    session.add(UndeliverableAddress(email=email, event=kind, reason=reason, flagged_at=now))
    alert_operator(
        session,
        policy,
        subject=f"[Tanggap] undeliverable address {row.recipient} ({kind})",
        text=(
            f"Mail to {row.recipient} ({row.recipient_kind}) was {kind}: {reason}\n"
            f"Subject: {row.subject}\n"
            "Escalations skip this address and go to the next recipient up the chain until "
            "the address is corrected in the catalogue."
        ),
        about=row,
        now=now,
    )
    return 1


def undeliverable(session: Session) -> set[str]:
    return set(session.scalars(select(UndeliverableAddress.email)))


#: Mail that goes up the chain when its recipient's mailbox is dead.
_REROUTED = frozenset({NotificationKind.ESCALATION, NotificationKind.CITIZEN_FOLLOW_UP})


def _follow_up_key(row: Notification) -> str | None:
    """A forwarded follow-up's key names its event's: ``follow-up:{ticket}:{seq}>{stand-in}``."""
    if row.kind != NotificationKind.CITIZEN_FOLLOW_UP or not row.dedupe_key:
        return None
    return row.dedupe_key.partition(">")[0]


def _share(session: Session, row: Notification, recipient: str) -> None:
    """``row`` told of other clocks' levels too (``MailedTogether``): so does its copy to
    ``recipient`` (unless ``recipient`` was already told of that level)."""
    if row.escalation_id is None:
        return
    shared = session.scalars(
        select(MailedTogether).where(
            MailedTogether.carrier_id == row.escalation_id,
            MailedTogether.recipient == row.recipient,
        )
    ).all()
    if not shared:
        return
    already = set(
        session.scalars(
            select(MailedTogether.escalation_id).where(
                MailedTogether.escalation_id.in_([s.escalation_id for s in shared]),
                MailedTogether.recipient == recipient,
            )
        )
    )
    session.add_all(
        MailedTogether(
            ticket_id=s.ticket_id,
            escalation_id=s.escalation_id,
            carrier_id=s.carrier_id,
            recipient=recipient,
        )
        for s in shared
        if s.escalation_id not in already
    )


def reroute(session: Session, row: Notification, *, now: datetime) -> Notification | None:
    """Send the escalation or follow-up ``row`` carried to the nearest recipient above its
    recipient who has a working mailbox and has not had it yet."""
    if row.ticket_id is None:
        return None
    ticket = session.get(Ticket, row.ticket_id)
    key = _follow_up_key(row)
    if key is not None:
        about = f"follow-up {key}"
        siblings = select(Notification.recipient).where(
            or_(
                Notification.dedupe_key == key,
                Notification.dedupe_key.startswith(f"{key}>", autoescape=True),
            )
        )
    else:
        escalation = session.get(Escalation, row.escalation_id) if row.escalation_id else None
        if escalation is None:
            return None
        about = f"escalation {escalation.id}"
        siblings = select(Notification.recipient).where(Notification.escalation_id == escalation.id)
    if ticket is None:
        return None
    told = {email.lower() for email in session.scalars(siblings)}
    directory = Directory(session)
    stand_in = directory.stand_in(ticket, row.recipient_kind, told | {row.recipient.lower()})
    if stand_in is not None:
        dead = directory.flagged.get(row.recipient.lower()) or Dead(row.recipient, "bounce", None)
        stand_in = replace(
            stand_in, instead_of=Addressee(row.recipient, row.recipient_kind), dead=dead
        )
        body, html = forwarded(row.body, row.html_body, dead=row.recipient)
        forwarded_row = Notification(
            ticket_id=row.ticket_id,
            escalation_id=row.escalation_id,
            recipient=stand_in.email,
            recipient_kind=stand_in.kind,
            kind=row.kind,
            language=row.language,
            subject=row.subject,
            body=body,
            html_body=html,
            note=stand_in.note(),
            links_base_url=row.links_base_url,
            status=Status.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            dedupe_key=f"{key}>{stand_in.email.lower()}"[:120] if key is not None else None,
        )
        session.add(forwarded_row)
        _share(session, row, stand_in.email)
        session.flush()
        logger.info(
            "%s: %s undeliverable, sent to %s (%s)",
            about,
            row.recipient,
            stand_in.email,
            stand_in.kind,
        )
        return forwarded_row
    logger.warning("%s: nobody left up the chain after %s", about, row.recipient)
    return None
