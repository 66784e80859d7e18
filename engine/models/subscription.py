"""People who follow a ticket besides its reporter: they get a mail on each public change.

Double opt-in: an address given after the submission (a "me too", the reporter's
``subscribe``) starts unconfirmed. It gets one confirmation mail carrying
``/confirm/{confirm_token}`` and nothing else until its owner confirms there
(``engine.following``). The reporter's own address, given in the submission itself, is
confirmed at once.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, ColumnElement, ForeignKey, String, UniqueConstraint, and_
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
        String(64), unique=True, default=lambda: new_link_token()
    )
    #: When the address's owner confirmed (the POST of ``/confirm/{token}``); None while pending.
    #: Only a confirmed, active row is told about changes.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The secret in the confirmation link, set while the row waits for confirmation and cleared
    #: once used. Apart from ``unsubscribe_token``: that one is in every status mail, and
    #: whoever holds a forwarded status mail must not be able to confirm another round.
    confirm_token: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    #: When the latest confirmation mail was queued: a repeated subscribe within a day sends
    #: none (nobody can make the city mail an address over and over).
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The report this address followed (or made) when it was marked a duplicate of this one
    #: (``following.carry_followers``): their mail says that is why they get it. None for an
    #: address that followed this report itself.
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)


#: The characters of a link's token (URL-safe base64): anything else is no link of ours.
TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def new_link_token() -> str:
    """The secret of a mail link (unsubscribe, confirm): 32 URL-safe characters (``TOKEN_CHARS``)
    of 192 random bits."""
    return secrets.token_urlsafe(24)


def told_clause() -> ColumnElement[bool]:
    """A ``Subscription`` row told of its ticket's changes: active and confirmed (a pending
    address is told nothing but its confirmation mail; ``engine.following``)."""
    return and_(Subscription.active, Subscription.confirmed_at.is_not(None))
