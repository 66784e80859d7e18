"""People who follow a ticket besides its reporter: they get a mail on each public change."""

from __future__ import annotations

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
