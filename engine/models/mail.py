"""What the mail provider told us: events per outbox row, and addresses that do not receive."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base, BigId, UTCDateTime


class MailEvent(Base):
    """One SendGrid Event Webhook event about one outbox row (``sg_event_id`` deduplicates
    SendGrid's at-least-once posting)."""

    __tablename__ = "mail_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    event: Mapped[str] = mapped_column(String(20))
    provider_event_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    reason: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class UndeliverableAddress(Base):
    """An address that bounced or was dropped: escalations skip it and go up the chain."""

    __tablename__ = "undeliverable_addresses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: Lower-cased.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    event: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime)
