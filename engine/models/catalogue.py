"""The service catalogue: areas, agencies, categories and routing overrides."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import uuid4

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.models.base import Base, BigId, UTCDateTime
from sla import AreaLevel

__all__ = [
    "Agency",
    "AgencyKind",
    "Area",
    "AreaLevel",
    "CatalogueRevision",
    "Category",
    "Priority",
    "RoutingRule",
    "area_title",
]


class AgencyKind(StrEnum):
    DINAS = "dinas"
    BADAN = "badan"
    SATPOL = "satpol"
    INSPECTORATE = "inspectorate"
    AREA_OFFICE = "area_office"
    GOVERNOR_OFFICE = "governor_office"


class Origin(StrEnum):
    """Where a catalogue row came from, so that each source only deactivates its own rows."""

    #: The catalogue file (``tanggap config load``).
    CATALOGUE = "catalogue"
    #: An official boundary file (``tanggap areas import``); it owns the areas it lists.
    BOUNDARIES = "boundaries"
    #: Made by the catalogue's ``area_offices`` rule for an area with no office of its own.
    OFFICE_RULE = "office_rule"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


#: The word that names a level in an area's title ("Kelurahan Gambir"), by level.
_LEVEL_WORDS: dict[str, str] = {AreaLevel.KELURAHAN: "Kelurahan", AreaLevel.KECAMATAN: "Kecamatan"}
#: First words that already title a name of that level, lower case: its own word, and "desa"
#: (a village, at the kelurahan's level outside the cities).
_TITLED: dict[str, tuple[str, ...]] = {
    AreaLevel.KELURAHAN: ("kelurahan", "desa"),
    AreaLevel.KECAMATAN: ("kecamatan",),
}


def area_title(name: str, level: str) -> str:
    """How an area is named to a person (pages, API answers, Open311, mail, CLI): the one place
    an area's title is made from its stored name and level.

    A kelurahan or kecamatan gets its level's word unless its name already begins with it: an
    official boundary file names them bare ("Gambir", both a kelurahan and a kecamatan), the
    catalogue titled ("Kelurahan Gambir"); both read "Kelurahan Gambir", never doubled. A kota,
    kabupaten or province reads as stored: the official file and the catalogue both title them
    ("Kota Administrasi Jakarta Pusat", "Provinsi DKI Jakarta"). The stored name stays as the
    source gives it: the area office rule builds offices' names and addresses from it
    ("Kantor Kelurahan Gambir", ``kel-gambir@…``).
    """
    titled = _TITLED.get(level)
    words = name.split(maxsplit=1)
    if titled is None or not words or words[0].lower() in titled:
        return name
    return f"{_LEVEL_WORDS[level]} {name}"


class Area(Base):
    """An administrative area.

    ``name`` is the name as its source gives it (bare in an official boundary file); a person
    reads ``title`` (``area_title``). ``geometry`` is a GeoJSON geometry (Polygon or
    MultiPolygon, [lon, lat], WGS84); it is deferred because only the spatial index
    (``engine.routing``) reads it. The bbox columns let a reader filter without parsing
    geometry.
    """

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))
    depth: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    min_lon: Mapped[float] = mapped_column(Float, index=True)
    max_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    origin: Mapped[str] = mapped_column(String(20), default=Origin.CATALOGUE.value)

    parent: Mapped[Area | None] = relationship(remote_side=[id])

    @property
    def title(self) -> str:
        """The area as a person reads it: "Kelurahan Gambir" (``area_title``)."""
        return area_title(self.name, self.level)


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    email: Mapped[str] = mapped_column(String(254))
    head_email: Mapped[str] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    origin: Mapped[str] = mapped_column(String(20), default=Origin.CATALOGUE.value)

    area: Mapped[Area] = relationship()


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name_id: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    group: Mapped[str] = mapped_column(String(60))
    description: Mapped[str | None] = mapped_column(Text)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    default_priority: Mapped[str] = mapped_column(String(10))
    photo_on_submit: Mapped[bool] = mapped_column(Boolean, default=False)
    photo_on_resolve: Mapped[bool] = mapped_column(Boolean, default=False)
    #: How close an open report must be to be offered as a possible duplicate (None: default).
    duplicate_radius_m: Mapped[float | None] = mapped_column(Float)
    #: Complaints that may concern an area office's own staff (pungli): no area office sees,
    #: acts on or is told of them (``engine.scope``).
    withheld_from_area_offices: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    #: Whether the public sees its reports (list, map, detail, Open311, duplicates). A report of
    #: a non-public category (pungli: it may name an official) is seen by its reporter, with the
    #: token, and by staff only; to anyone else it does not exist (``engine.visibility``).
    public: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: Questions asked on submission (``engine.questions.QuestionSpec`` as JSON), or None.
    questions: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    agency: Mapped[Agency] = relationship()


class RoutingRule(Base):
    """This category reported in this area (or beneath it) goes to this agency."""

    __tablename__ = "routing_rules"
    __table_args__ = (UniqueConstraint("category_id", "area_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))


class AreaOfficeRule(Base):
    """How to make the office agency of every area of one level that has none of its own.

    The patterns are ``str.format`` templates over the area (see ``engine.areas``).
    """

    __tablename__ = "area_office_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    level: Mapped[str] = mapped_column(String(20), unique=True)
    code: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    head_email: Mapped[str] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CatalogueRevision(Base):
    """One row per load or boundary import that changed something: what it did, and when.

    ``token`` is random per row: the spatial index of each process is keyed on the newest
    (id, token), which a rolled-back transaction can never leave behind for a later row with
    the same id (SQLite reuses ids after a rollback).
    """

    __tablename__ = "catalogue_revisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    summary: Mapped[dict[str, int]] = mapped_column(JSON)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    token: Mapped[str | None] = mapped_column(String(32), default=lambda: uuid4().hex)
