"""SLA configuration (calendars, ladders, policies), running timers, the escalation ledger and the
notification outbox."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base, BigId, UTCDateTime


class _ConfigRow:
    """A catalogue entry kept as the validated spec it was loaded from (``definition``)."""

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SlaCalendar(_ConfigRow, Base):
    __tablename__ = "sla_calendars"


class SlaLadder(_ConfigRow, Base):
    __tablename__ = "sla_ladders"


class SlaPolicy(_ConfigRow, Base):
    """Policies are tried in ``position`` order; the first matching category × priority wins."""

    __tablename__ = "sla_policies"

    position: Mapped[int] = mapped_column(Integer)


class SlaTimer(Base):
    """One SLA clock of one ticket: enough facts to recompute it and to draw its timeline.

    ``cycle`` counts the starts of this kind of timer on this ticket (a reopen starts resolve
    cycle 2, a second transfer accept cycle 2); with ``kind`` it keys the escalation ledger.
    """

    __tablename__ = "sla_timers"
    __table_args__ = (UniqueConstraint("ticket_id", "kind", "cycle"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    cycle: Mapped[int] = mapped_column(Integer)
    policy_code: Mapped[str] = mapped_column(String(60))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    target_seconds: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The last rebase (a change of policy, target or calendar); equals started_at until then.
    origin_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Business seconds consumed before origin_at, on the calendars in force back then.
    carried_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    #: Every pause, dated: [[begin ISO, end ISO or null], …]; only the last may be open.
    pauses: Mapped[list[list[str | None]]] = mapped_column(JSON, default=list)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Business seconds consumed when it stopped, on the calendar it ran on (revision 0022):
    #: it reads as it ran whatever the calendar says later. None while it runs, and for a clock
    #: stopped before 0022 (read under the calendar in force).
    elapsed_seconds: Mapped[float | None] = mapped_column(Float)
    #: As of the last change; while paused it is where the deadline stood when the pause began.
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the next unrecorded ladder level falls due, or a level a change left told to nobody
    #: falls due again (``timers.next_due``); may lie in the past (a level that fell due before
    #: a pause or a stop and is not recorded yet). None: nothing more can fall due.
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Keys of the ladder levels already in the ledger for this timer.
    levels_recorded: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The highest percent recorded for this timer: a level at or below it (one added to the
    #: ladder later, or re-keyed) counts as passed, so no catalogue edit re-sends anything.
    reached_percent: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def running(self) -> bool:
        return self.stopped_at is None


class Escalation(Base):
    """The ledger: a ladder level reached, recorded once per (ticket, timer, cycle, level)."""

    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("ticket_id", "timer_kind", "cycle", "level"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    timer_id: Mapped[int] = mapped_column(ForeignKey("sla_timers.id"), index=True)
    timer_kind: Mapped[str] = mapped_column(String(20))
    cycle: Mapped[int] = mapped_column(Integer)
    #: The level's stable key (``Level.key``); ``label`` is its name when it was recorded.
    level: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(60))
    percent: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Whether a mail of it went or may still go: False for a warning recorded after its breach
    #: was already due (caught up, not mailed), a level of a clock already stopped, and a level
    #: whose every mail a change took back since (``ledger.recount_mailed``).
    mailed: Mapped[bool] = mapped_column(Boolean)


class MailedTogether(Base):
    """An escalation told in the outbox row of another one: several clocks of one ticket reached
    the same level in one sweep, and ``recipient`` got one mail naming them all — the row of
    (``carrier_id``, ``recipient``). The ledger keeps a row per clock; this says which mail
    told of it (``engine.ledger.told_of``), so the timeline shows who was told of each clock.
    """

    __tablename__ = "escalations_mailed_together"
    __table_args__ = (UniqueConstraint("escalation_id", "recipient"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id"))
    #: The escalation whose outbox row to ``recipient`` carried the mail.
    carrier_id: Mapped[int] = mapped_column(ForeignKey("escalations.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(254))


class NotificationKind(StrEnum):
    ESCALATION = "escalation"
    CITIZEN_UPDATE = "citizen_update"
    #: A reporter's comment or dispute, forwarded to whoever works on the ticket.
    CITIZEN_FOLLOW_UP = "citizen_follow_up"
    #: Work handed to an officer or an agency's queue (assign, reassign, transfer, re-route).
    HANDOVER = "handover"
    #: The one mail asking an address given after the submission to confirm it wants updates.
    FOLLOW_CONFIRMATION = "follow_confirmation"
    #: The reporter's private link, mailed when staff filed the report for them (staff never
    #: get the token: ``engine.receipts``).
    REPORTER_RECEIPT = "reporter_receipt"
    DAILY_DIGEST = "daily_digest"
    OPERATOR_ALERT = "operator_alert"


class NotificationStatus(StrEnum):
    """pending → sending (committed before the provider is called) → sent / failed / dead.

    ``uncertain``: the provider may or may not have taken the mail (a crash or a timeout after
    the request left); it is resent only when no provider event for it arrived within a grace
    period. A transient failure puts the row back to ``pending`` with a later
    ``next_attempt_at``.
    """

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"
    UNCERTAIN = "uncertain"


class Notification(Base):
    """The outbox: an e-mail to send, written in the transaction that decided it."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("escalation_id", "recipient"),
        Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: None for mail about no single ticket (digests, operator alerts).
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"))
    recipient: Mapped[str] = mapped_column(String(254))
    recipient_kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(
        String(30), default=NotificationKind.ESCALATION, server_default="escalation"
    )
    language: Mapped[str] = mapped_column(String(5), default="id", server_default="id")
    html_body: Mapped[str | None] = mapped_column(Text)
    #: When the latest attempt was claimed (its status set to ``sending``).
    sending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    #: The latest provider event (processed, delivered, deferred, bounce, dropped).
    last_event: Mapped[str | None] = mapped_column(String(20))
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Makes a mail once-only where no ledger row does (a digest per supervisor and day).
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    #: For operators: why this row went where it went (it stands in for an undeliverable
    #: address up the chain).
    note: Mapped[str | None] = mapped_column(Text)
    #: A citizen mail's one-click unsubscribe address (RFC 8058), sent as ``List-Unsubscribe``.
    unsubscribe_url: Mapped[str | None] = mapped_column(String(500))
    #: The base URL the mail's links were rendered with (``Settings.public_base_url`` of the
    #: process that queued it). A later change re-words the mail with the same links
    #: (``engine.rewording``), whichever process makes the change and wherever its own setting
    #: points. NULL for rows queued before revision 0019 (and mail about no ticket).
    links_base_url: Mapped[str | None] = mapped_column(String(500))
