"""API keys for staff, supervisors and admins: stored hashed, scoped, revocable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.models.base import Base, BigId, UTCDateTime
from engine.models.catalogue import Agency, Area
from engine.models.staff import Staff


class ApiKey(Base):
    """A bearer key. Only its SHA-256 is stored; ``prefix`` lets people tell keys apart."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    #: Scope: the key acts for this agency and/or sees only tickets in this area (and beneath).
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    #: The person the key belongs to: escalations mailed to their address are theirs to see.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agency: Mapped[Agency | None] = relationship()
    area: Mapped[Area | None] = relationship()
    staff: Mapped[Staff | None] = relationship()
