"""An operator sends failed mail again: only mail that failed for a reason that has passed.

A ``failed`` or ``dead`` outbox row is one of two things:

- a *delivery* that did not happen for now: a 429, a 5xx, a refused connection, tried until
  ``dead`` (``delivery._retry_or_bury``); or a refusal of our own account, not of the mail
  (SendGrid's 401/403, an invalid ``from``/``reply_to``; an SMTP relay's 530/534/535): once the
  operator fixes the key or the sender, the same mail goes through. These are requeued.
- a *decision* that the mail must not go, which a retry would overrule while its reason still
  holds: Tanggap took it back (``not sent: …``: its addressee no longer handles the ticket,
  the report is no longer public, the category is withheld from area offices, the address
  stopped mail), the address stopped mail about the report since, the address bounced or was
  dropped (``mail_events`` flags it, and an escalation already went up the chain in its
  place), or the provider refused the mail itself (an invalid address, a message it cannot
  take: any other 4xx; an SMTP 5xx; a message the library could not build). Sending these
  again would repeat the refusal, or mail someone Tanggap decided not to mail. They are left,
  and counted by why (``Left``), never named: the CLI prints counts, not addresses.

The provider's words are ``workflows.mail``'s: ``HTTP {status}: {field}: {message}; …`` from
SendGrid, ``{code} {text}`` from an SMTP relay, ``cannot build the message: …``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import status_mail
from engine.db import is_row_id
from engine.delivery import WITHHELD_NOT_SENT
from engine.errors import NotFound, RuleViolated
from engine.models import (
    Notification,
    NotificationKind,
    NotificationStatus,
    Subscription,
    UndeliverableAddress,
)
from engine.outbox import NOT_PUBLIC_CARRIED, NOT_PUBLIC_NOW, still_addressed

Status = NotificationStatus


class Left(StrEnum):
    """Why a failed row is not requeued; the value is the CLI's words."""

    READDRESSED = "after a change, its addressee no longer handles the ticket"
    WITHHELD = "the ticket's category is withheld from area offices"
    NOT_PUBLIC = "the report is no longer public, and the address only said 'me too'"
    NOT_PUBLIC_CARRIED = (
        "the report is no longer public, and the address followed another report found to be "
        "the same problem"
    )
    STOPPED = "the address stopped mail about the report"
    UNDELIVERABLE = "the address bounced or was dropped (flagged undeliverable)"
    REFUSED = "the provider refused the mail itself (e.g. an invalid address)"


#: The ``last_error`` a withdrawal writes, and what it comes to.
_WITHDRAWN: dict[str, Left] = {
    WITHHELD_NOT_SENT: Left.WITHHELD,
    NOT_PUBLIC_NOW: Left.NOT_PUBLIC,
    NOT_PUBLIC_CARRIED: Left.NOT_PUBLIC_CARRIED,
    status_mail.WITHDRAWN: Left.STOPPED,
}
_HTTP = re.compile(r"HTTP (\d{3}): ?(.*)", re.DOTALL)
_SMTP = re.compile(r"(\d{3}) ")
#: SendGrid refusals of our account, not of the mail: a wrong key, a key without the mail.send
#: scope, a sender identity not verified.
_ACCOUNT_HTTP = frozenset({401, 403})
#: Fields of SendGrid's 400 that are our settings (``TANGGAP_MAIL_FROM``, ``…_REPLY_TO``).
_ACCOUNT_FIELDS = ("from", "reply_to")
#: SMTP: authentication required, mechanism too weak, credentials invalid (RFC 4954).
_ACCOUNT_SMTP = frozenset({530, 534, 535})


def _refused(error: str) -> bool:
    """Whether the provider's words refuse the mail itself (not our account, not for now)."""
    if error.startswith("cannot build the message"):
        return True
    http = _HTTP.match(error)
    if http is not None:
        status = int(http.group(1))
        if status == 429 or status >= 500 or status in _ACCOUNT_HTTP:
            return False
        if not 400 <= status < 500:
            return False
        fields = [part.split(":", 1)[0].strip() for part in http.group(2).split("; ")]
        return not all(f.startswith(_ACCOUNT_FIELDS) for f in fields)
    smtp = _SMTP.match(error)
    if smtp is not None:
        code = int(smtp.group(1))
        return code >= 500 and code not in _ACCOUNT_SMTP
    return False


def why_left(session: Session, row: Notification) -> Left | None:
    """Why ``row`` (failed or dead) must not be sent again now; ``None``: requeue it."""
    error = row.last_error or ""
    if error in _WITHDRAWN:
        return _WITHDRAWN[error]
    if error.startswith("not sent:"):
        # readdress_pending ("not sent: after a change to JKT-…, its … is …"); a forwarded
        # follow-up's key already passed to the mail that replaced it.
        return Left.READDRESSED
    address = row.recipient.lower()
    flagged = select(UndeliverableAddress.id).where(UndeliverableAddress.email == address)
    if session.scalar(flagged) is not None:
        return Left.UNDELIVERABLE
    if row.ticket_id is not None and row.kind in (
        NotificationKind.CITIZEN_UPDATE,
        NotificationKind.FOLLOW_CONFIRMATION,
    ):
        active = session.scalar(
            select(Subscription.active).where(
                Subscription.ticket_id == row.ticket_id, Subscription.email == address
            )
        )
        if active is False:
            return Left.STOPPED
    if row.status == Status.FAILED and _refused(error):
        return Left.REFUSED
    if not still_addressed(session, row):
        # The ticket changed since (another agency, officer or area; the report taken off the
        # public record) by a path that did not re-read this row: the mail is not theirs now.
        if row.kind == NotificationKind.CITIZEN_UPDATE:
            carried = session.scalar(
                select(Subscription.id).where(
                    Subscription.ticket_id == row.ticket_id,
                    Subscription.email == address,
                    Subscription.supported_at.is_(None),
                    Subscription.carried_from_id.is_not(None),
                )
            )
            return Left.NOT_PUBLIC if carried is None else Left.NOT_PUBLIC_CARRIED
        return Left.READDRESSED
    return None


def _again(row: Notification, now: datetime) -> None:
    row.status = Status.PENDING
    row.attempts = 0
    row.next_attempt_at = now


def requeue(session: Session, outbox_id: int, *, now: datetime) -> Notification:
    """An operator sends one failed or dead row again (after fixing the provider settings, or
    once the provider is back). Raises ``RuleViolated`` with why when it must not go."""
    row = session.get(Notification, outbox_id) if is_row_id(outbox_id) else None
    if row is None:
        raise NotFound(f"no outbox row {outbox_id}")
    if row.status not in (Status.FAILED, Status.DEAD):
        raise RuleViolated(
            f"outbox row {outbox_id} is {row.status}; only failed or dead rows are requeued"
        )
    left = why_left(session, row)
    if left is not None:
        raise RuleViolated(f"outbox row {outbox_id} is not requeued: {left.value}")
    _again(row, now)
    session.flush()
    return row


@dataclass
class Requeued:
    """What ``requeue_all`` did: how many rows went back, and how many stayed, by why."""

    requeued: int = 0
    left: Counter[Left] = field(default_factory=Counter)


def requeue_all(session: Session, *, now: datetime, ticket_id: int | None = None) -> Requeued:
    """Send every failed or dead row again (about ``ticket_id`` only, if given) whose failure
    has passed (module docstring)."""
    result = Requeued()
    query = select(Notification).where(Notification.status.in_([Status.FAILED, Status.DEAD]))
    if ticket_id is not None:
        query = query.where(Notification.ticket_id == ticket_id)
    rows = session.scalars(query.order_by(Notification.id).with_for_update(skip_locked=True))
    for row in rows:
        left = why_left(session, row)
        if left is None:
            _again(row, now)
            result.requeued += 1
        else:
            result.left[left] += 1
    session.flush()
    return result
