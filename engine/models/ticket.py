"""Tickets, their immutable event log, and attached photos."""

from __future__ import annotations

from datetime import datetime
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
    event,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.models.base import Base, BigId, UTCDateTime
from engine.models.catalogue import Agency, Area, Category
from engine.models.staff import Staff


class Ticket(Base):
    __tablename__ = "tickets"
    #: Indexes of the read paths whose cost must not grow with the city's backlog: the
    #: duplicate search (one category in a band of latitude, ``queries.public.nearby_open``),
    #: the public list and map feed, newest change first and keyset-paged on (updated_at, id),
    #: their bounding box and Open311's lat/long/radius (a band of latitude), and Open311's
    #: date windows (``queries.public.list_public``).
    __table_args__ = (
        Index("ix_tickets_category_lat", "category_id", "lat"),
        Index("ix_tickets_lat", "lat"),
        Index("ix_tickets_updated_at_id", "updated_at", "id"),
        Index("ix_tickets_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    #: Equals the number of events; every UPDATE checks it (optimistic concurrency).
    version: Mapped[int] = mapped_column(Integer)
    #: The trigger of the latest event (an assignment after a transfer reads "Koordinasi").
    last_trigger: Mapped[str] = mapped_column(String(30))
    #: Resolution cycle: 1 at submission, +1 on each reopen.
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    held_from: Mapped[str | None] = mapped_column(String(20))

    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    priority: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)

    source: Mapped[str] = mapped_column(String(20))
    # Personal data: never in a public response.
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_email: Mapped[str | None] = mapped_column(String(254))
    reporter_phone: Mapped[str | None] = mapped_column(String(40))
    reporter_token_hash: Mapped[str | None] = mapped_column(String(64))
    #: The language the citizen reported in ("id" or "en"): their status mails use it.
    reporter_language: Mapped[str] = mapped_column(String(5), default="id", server_default="id")

    #: Answers to the category's questions (``engine.questions``), by question code; None: none.
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    rating: Mapped[int | None] = mapped_column(Integer)
    #: Earliest instant any unrecorded ladder level of any running SLA timer falls due; the
    #: sweep reads only tickets with next_check_at <= now, through this column's index.
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The reporter asked to stay anonymous to staff too (only admins see who it was).
    private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Citizens who said "me too" instead of filing the same report again.
    supporters: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: When a supervisor or admin took the report off the public record (``unpublish``);
    #: None while it is on it (``visibility.published``).
    unpublished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What the public reads as the report's description when a supervisor or admin redacted
    #: it (``redact``: a neighbour's name and phone number taken out); None: ``description``
    #: as sent. ``description`` itself stays the reporter's words, for staff and the audit
    #: trail (the agency may need the plate number the public must not read).
    public_description: Mapped[str | None] = mapped_column(Text)
    #: When a supervisor or admin hid from the public the address of the sending system's own
    #: photo (Open311 ``media_url``, kept in the submission's event; ``redact``). None: shown.
    media_url_hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    category: Mapped[Category] = relationship()
    area: Mapped[Area] = relationship()
    agency: Mapped[Agency] = relationship()
    officer: Mapped[Staff | None] = relationship()
    duplicate_of: Mapped[Ticket | None] = relationship(remote_side=[id])

    # The version is assigned by ``tickets.write_transition`` (one step per event); the mapper
    # only guards with it: every UPDATE says WHERE version = <the version read>.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}  # noqa: RUF012


class TicketEvent(Base):
    """One transition, as it happened. Rows are never updated or deleted by the domain."""

    __tablename__ = "ticket_events"
    #: The updates feed (Open311 ``servicerequestupdates``) reads a window of time, oldest first.
    __table_args__ = (
        UniqueConstraint("ticket_id", "seq"),
        Index("ix_ticket_events_created_at_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    #: 1 for submission; equals the ticket's version after this event.
    seq: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor_role: Mapped[str] = mapped_column(String(20))
    actor_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    actor_label: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


@event.listens_for(TicketEvent, "before_update")
def _events_are_immutable(_mapper: Any, _connection: Any, target: TicketEvent) -> None:
    raise RuntimeError(f"ticket event {target.id} is immutable")


class Attachment(Base):
    """A photo, stored by the media storage under ``storage_key`` with metadata stripped."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    event_seq: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(20))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When a supervisor or admin hid the photo from the public (``redact``: a face, a number
    #: plate); None: shown as ``visibility.shows_attachment_clause`` says. Staff still see it.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
