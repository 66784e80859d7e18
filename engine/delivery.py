"""Delivering the outbox: claim rows, record what the provider said, recover after a crash.

A row's life (``NotificationStatus``)::

    pending ──claim──▶ sending ──provider took it──▶ sent
       ▲                  │ ├──429 / 5xx / refused──▶ pending (later) … dead after N tries
       │                  │ └──4xx──▶ failed (the provider's message kept for operators)
       │                  └──timeout / dropped after the request left, or a crash──▶ uncertain
       └──── uncertain with no provider event after the grace period ◀────────────┘

The claim is committed before the provider is called, so a crash never leaves a row that looks
unsent but was sent. SendGrid has no idempotency key: a row whose fate is unknown is resent only
when, after a grace period, no Event Webhook event for it arrived (``mail_events``).

The engine never calls the provider; ``workflows`` does, between ``claim`` and ``record``.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from engine.db import is_row_id
from engine.errors import NotFound
from engine.models import (
    Category,
    MailEvent,
    Notification,
    NotificationKind,
    NotificationStatus,
    Ticket,
)
from engine.settings import Settings

logger = logging.getLogger(__name__)

Status = NotificationStatus


class Outcome(StrEnum):
    """What one attempt at the provider came to."""

    SENT = "sent"  # the provider took the mail
    RETRY = "retry"  # it surely did not (429, 5xx, connection refused): try again later
    UNCERTAIN = "uncertain"  # it may have (timeout or dropped connection after the request left)
    FAILED = "failed"  # it never will (other 4xx): an operator must look


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    provider_id: str | None = None
    error: str | None = None
    #: Seconds the provider asked us to wait (HTTP Retry-After).
    retry_after: float | None = None


@dataclass(frozen=True)
class Outgoing:
    """A claimed row, detached from the session: what an adapter needs to send it."""

    id: int
    recipient: str
    subject: str
    text: str
    html: str | None
    kind: str
    language: str
    ticket_code: str | None
    attempt: int
    #: When the row was queued. With the id and the words, what tells this mail apart from the
    #: mail of another database (whose ids start at 1 too): see ``identity``.
    created_at: datetime
    #: A citizen mail's one-click unsubscribe URL: the ``List-Unsubscribe`` header (RFC 2369)
    #: with ``List-Unsubscribe-Post`` (RFC 8058), which mail clients offer as a button.
    unsubscribe_url: str | None = None

    @property
    def identity(self) -> str:
        """``<queued, UTC>-<row id>-<digest of the row's words>``: sorts in queueing order,
        unique across databases and rebuilds (another database's row 1 was queued at another
        instant, or says other words), the same for every attempt at one row."""
        words = "\x00".join(
            (str(self.id), self.created_at.isoformat(), self.recipient, self.subject, self.text)
            + ((self.html,) if self.html is not None else ())
        )
        digest = hashlib.sha256(words.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        queued = self.created_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        return f"{queued}-{self.id:08d}-{digest}"

    def list_headers(self) -> dict[str, str]:
        """The unsubscribe headers every backend adds (none for staff mail)."""
        if not self.unsubscribe_url:
            return {}
        return {
            "List-Unsubscribe": f"<{self.unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 8
    backoff: timedelta = timedelta(seconds=30)
    backoff_max: timedelta = timedelta(hours=1)
    lease: timedelta = timedelta(minutes=15)
    grace: timedelta = timedelta(minutes=10)
    operator_email: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        return cls(
            max_attempts=settings.delivery_max_attempts,
            backoff=timedelta(seconds=settings.delivery_backoff_seconds),
            backoff_max=timedelta(seconds=settings.delivery_backoff_max_seconds),
            lease=timedelta(seconds=settings.delivery_lease_seconds),
            grace=timedelta(seconds=settings.delivery_uncertain_grace_seconds),
            operator_email=settings.operator_email,
        )

    def delay(self, attempts: int, retry_after: float | None) -> timedelta:
        """Exponential backoff; the provider's Retry-After wins when it asks for longer."""
        backoff: timedelta = min(self.backoff * (2 ** max(attempts - 1, 0)), self.backoff_max)
        if retry_after is not None:
            return max(timedelta(seconds=retry_after), timedelta(seconds=1))
        return backoff


@dataclass
class RecoveryResult:
    #: ``sending`` rows whose sender vanished (past the lease): now uncertain.
    orphaned: int = 0
    #: Uncertain rows a provider event proved sent.
    confirmed: int = 0
    #: Uncertain rows with no event after the grace period: queued again.
    requeued: int = 0
    dead: int = 0


#: Why a mail queued to an area office before its ticket became pungli was not sent.
WITHHELD_NOT_SENT = "not sent: the ticket's category is now withheld from area offices"


def claim(session: Session, *, now: datetime, limit: int) -> list[Outgoing]:
    """Take up to ``limit`` due rows and mark them ``sending``; the caller commits before
    anything is sent. PostgreSQL skips rows another sender holds, so workers split the work."""
    rows = list(
        session.scalars(
            select(Notification)
            .where(Notification.status == Status.PENDING, Notification.next_attempt_at <= now)
            .order_by(Notification.next_attempt_at, Notification.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    ticket_ids = {row.ticket_id for row in rows if row.ticket_id is not None}
    codes: dict[int, str] = {
        ticket_id: code
        for ticket_id, code in session.execute(
            select(Ticket.id, Ticket.code).where(Ticket.id.in_(ticket_ids))
        )
    }
    withheld = set(
        session.scalars(
            select(Ticket.id).where(
                Ticket.id.in_(ticket_ids),
                Ticket.category_id.in_(
                    select(Category.id).where(Category.withheld_from_area_offices)
                ),
            )
        )
    )
    claimed = []
    for row in rows:
        if row.ticket_id in withheld and row.recipient_kind.startswith("area_office"):
            # Queued before the ticket was re-categorised as a complaint that may be about
            # that very office (pungli): it must not learn of it now (``actors.withheld_from``).
            row.status = Status.FAILED
            row.last_error = WITHHELD_NOT_SENT
            continue
        row.status = Status.SENDING
        row.sending_since = now
        row.attempts += 1
        claimed.append(
            Outgoing(
                id=row.id,
                recipient=row.recipient,
                subject=row.subject,
                text=row.body,
                html=row.html_body,
                kind=row.kind,
                language=row.language,
                ticket_code=codes.get(row.ticket_id) if row.ticket_id is not None else None,
                attempt=row.attempts,
                created_at=row.created_at,
                unsubscribe_url=row.unsubscribe_url,
            )
        )
    session.flush()
    return claimed


def record(
    session: Session, outbox_id: int, result: SendResult, *, now: datetime, policy: DeliveryPolicy
) -> str:
    """Store the outcome of one attempt; returns the row's new status."""
    row = (
        session.get(Notification, outbox_id, with_for_update=True) if is_row_id(outbox_id) else None
    )
    if row is None:
        raise NotFound(f"no outbox row {outbox_id}")
    if row.status == Status.SENT:
        return row.status
    if result.outcome is Outcome.SENT:
        # Even when a slow attempt outlived its lease and the row was requeued: it went out.
        row.status = Status.SENT
        row.sent_at = now
        row.provider_message_id = result.provider_id
        row.last_error = None
    elif row.status != Status.SENDING:
        logger.warning(
            "outbox row %s: attempt ended %s after the row became %s; left as it is",
            row.id,
            result.outcome,
            row.status,
        )
    elif result.outcome is Outcome.FAILED:
        row.status = Status.FAILED
        row.last_error = result.error
    elif result.outcome is Outcome.UNCERTAIN:
        row.status = Status.UNCERTAIN
        row.last_error = result.error
    else:
        row.last_error = result.error
        _retry_or_bury(session, row, now=now, policy=policy, retry_after=result.retry_after)
    session.flush()
    return row.status


def _retry_or_bury(
    session: Session,
    row: Notification,
    *,
    now: datetime,
    policy: DeliveryPolicy,
    retry_after: float | None = None,
) -> None:
    if row.attempts >= policy.max_attempts:
        row.status = Status.DEAD
        alert_operator(
            session,
            policy,
            subject=f"[Tanggap] dead letter: mail to {row.recipient} not sent",
            text=(
                f"Outbox row {row.id} ({row.kind}) to {row.recipient} failed {row.attempts} "
                f"times and will not be tried again.\nSubject: {row.subject}\n"
                f"Last error: {row.last_error}\n"
                f"Requeue it with: tanggap outbox retry {row.id}"
            ),
            about=row,
            now=now,
        )
        return
    row.status = Status.PENDING
    row.next_attempt_at = now + policy.delay(row.attempts, retry_after)


def alert_operator(
    session: Session,
    policy: DeliveryPolicy,
    *,
    subject: str,
    text: str,
    about: Notification | None,
    now: datetime,
    dedupe_key: str | None = None,
) -> None:
    """Queue a mail to the operator; always log. An alert about an alert is only logged, so a
    broken operator address cannot feed itself."""
    logger.warning("%s", subject)
    if policy.operator_email is None:
        return
    if about is not None and about.kind == NotificationKind.OPERATOR_ALERT:
        return
    session.add(
        Notification(
            ticket_id=about.ticket_id if about is not None else None,
            recipient=policy.operator_email,
            recipient_kind="operator",
            kind=NotificationKind.OPERATOR_ALERT,
            language="en",
            subject=subject[:300],
            body=text,
            status=Status.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            dedupe_key=dedupe_key,
        )
    )


def recover(
    session: Session, *, now: datetime, policy: DeliveryPolicy, limit: int = 1000
) -> RecoveryResult:
    """Settle rows a crash or an ambiguous answer left behind (call it before claiming).

    A row still ``sending`` past the lease lost its sender: it becomes ``uncertain``. An
    uncertain row past the grace period is ``sent`` if any provider event names it, else it is
    queued again — the only resend of a mail the provider may have had.
    """
    result = RecoveryResult()
    orphans = session.scalars(
        select(Notification)
        .where(
            Notification.status == Status.SENDING, Notification.sending_since <= now - policy.lease
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    for row in orphans:
        row.status = Status.UNCERTAIN
        row.last_error = (row.last_error or "") + " [sender vanished mid-attempt]"
        result.orphaned += 1
    session.flush()

    has_event = exists().where(MailEvent.notification_id == Notification.id)
    settled = session.execute(
        select(Notification, has_event)
        .where(
            Notification.status == Status.UNCERTAIN,
            Notification.sending_since <= now - policy.grace,
        )
        .limit(limit)
        .with_for_update(skip_locked=True, of=Notification)
    ).all()
    for row, confirmed in settled:
        if confirmed:
            row.status = Status.SENT
            row.sent_at = session.scalar(
                select(func.min(MailEvent.occurred_at)).where(MailEvent.notification_id == row.id)
            )
            result.confirmed += 1
            continue
        _retry_or_bury(session, row, now=now, policy=policy)
        if row.status == Status.DEAD:
            result.dead += 1
        else:
            row.next_attempt_at = now  # its backoff was the grace period
            result.requeued += 1
    session.flush()
    return result


def any_work(session: Session, *, now: datetime, policy: DeliveryPolicy) -> bool:
    """Whether a delivery pass would find anything: a read, so an idle pass takes no lock."""
    due = select(Notification.id).where(
        Notification.status == Status.PENDING, Notification.next_attempt_at <= now
    )
    stuck = select(Notification.id).where(
        Notification.status.in_([Status.SENDING, Status.UNCERTAIN]),
        Notification.sending_since <= now - min(policy.lease, policy.grace),
    )
    return session.scalar(due.limit(1)) is not None or session.scalar(stuck.limit(1)) is not None
