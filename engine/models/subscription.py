"""People who follow a ticket besides its reporter: they get a mail on each public change."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base, BigId, UTCDateTime


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("ticket_id", "email"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    #: Personal data: never in a public response.
    email: Mapped[str] = mapped_column(String(254))
    #: "id" or "en": the language the subscriber asked in.
    language: Mapped[str] = mapped_column(String(5), default="id")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When this address said "me too": it counts once among the report's supporters.
    supported_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The secret in this address's unsubscribe link (``/unsubscribe/{token}``), in every mail
    #: about the ticket. Stored as it is, not hashed: each mail must carry it again, and all it
    #: can do is stop mail to this one address about this one ticket.
    unsubscribe_token: Mapped[str | None] = mapped_column(
        String(64), unique=True, default=lambda: new_unsubscribe_token()
    )


def new_unsubscribe_token() -> str:
    """32 URL-safe characters of 192 random bits."""
    return secrets.token_urlsafe(24)
