"""What a submission needs from the catalogue, read once per catalogue revision per process.

The code index of categories, the area tree, agencies and routing rules change only through
a catalogue load or a boundary import, and each of those that changes something writes a
``CatalogueRevision`` with a random token. The snapshot is therefore keyed exactly as
``engine.routing``'s spatial index is (the newest revision's id and token, read once per
transaction): a reload is seen by the next transaction of every process, and a transaction
that writes a revision itself looks again. Between revisions a submission reads none of these
tables.

The values are plain frozen facts, never ORM rows, so threads and sessions can share them.
What a report's input rules depend on is still read live: the category row (its questions,
photo rule, default priority) by primary key, and the chosen agency's ``active`` flag
(``engine.routing.route_ids``), so an admin's fix in SQL takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from engine.caches import StateCache
from engine.catalogue.lookup import find_category
from engine.db import core_execute
from engine.models import Agency, Area, Category, RoutingRule, area_title
from engine.questions import QuestionSpec, questions_of
from engine.text import code_key

__all__ = [
    "AgencyFacts",
    "AreaNode",
    "CatalogueSnapshot",
    "CategoryFacts",
    "catalogue_snapshot",
    "find_category_fast",
]


@dataclass(frozen=True)
class CategoryFacts:
    """A category row's values, read in one transaction and used in another."""

    id: int
    code: str
    name_id: str
    name_en: str
    agency_id: int
    default_priority: str
    photo_on_submit: bool
    duplicate_radius_m: float | None
    questions: tuple[QuestionSpec, ...]
    #: Whether its reports are published (``Category.public``).
    public: bool = True

    @classmethod
    def of(cls, row: Category | Row[Any]) -> CategoryFacts:
        """From a ``Category``, or a row of ``_FACTS``'s columns."""
        return cls(
            id=row.id,
            code=row.code,
            name_id=row.name_id,
            name_en=row.name_en,
            agency_id=row.agency_id,
            default_priority=row.default_priority,
            photo_on_submit=row.photo_on_submit,
            duplicate_radius_m=row.duplicate_radius_m,
            questions=tuple(questions_of(row.questions)),
            public=row.public,
        )


#: The category row's values ``CategoryFacts`` keeps, and whether it is active, by primary key:
#: one statement built once, and columns rather than an ORM object (no identity map, no
#: instance state: only the values are kept).
_FACTS = select(
    Category.id,
    Category.code,
    Category.name_id,
    Category.name_en,
    Category.agency_id,
    Category.default_priority,
    Category.photo_on_submit,
    Category.duplicate_radius_m,
    Category.questions,
    Category.public,
    Category.active,
).where(Category.id == bindparam("id"))


def find_category_fast(session: Session, code: str) -> CategoryFacts | None:
    """The active category a typed code names, by primary key through the snapshot's code
    index; the row itself is read live (its rules, questions and names as they are now)."""
    category_id = catalogue_snapshot(session).category_id(code)
    row = None
    if category_id is not None:
        row = core_execute(session, _FACTS, {"id": category_id}).first()
    if row is None or not row.active or code_key(row.code) != code_key(code):
        found = find_category(session, code)  # renamed or reactivated since the revision
        return CategoryFacts.of(found) if found is not None else None
    return CategoryFacts.of(row)


@dataclass(frozen=True)
class AreaNode:
    id: int
    code: str
    name: str
    parent_id: int | None
    level: str

    @property
    def title(self) -> str:
        """As a person reads it: "Kelurahan Gambir" (``area_title``)."""
        return area_title(self.name, self.level)


@dataclass(frozen=True)
class AgencyFacts:
    id: int
    code: str
    name: str
    active: bool


@dataclass(frozen=True)
class CatalogueSnapshot:
    #: Active categories' ids by ``code_key`` (how a typed code is compared).
    categories: dict[str, int]
    areas: dict[int, AreaNode]
    agencies: dict[int, AgencyFacts]
    #: (category id, area id) → agency id.
    rules: dict[tuple[int, int], int]

    def category_id(self, code: str) -> int | None:
        if not code.isprintable():
            return None
        return self.categories.get(code_key(code))

    def ancestry(self, area_id: int) -> list[AreaNode]:
        """The area and its ancestors, deepest first."""
        chain = [self.areas[area_id]]
        while chain[-1].parent_id is not None and chain[-1].parent_id in self.areas:
            chain.append(self.areas[chain[-1].parent_id])
        return chain

    def route(self, category_id: int, default_agency_id: int, area_id: int) -> AgencyFacts:
        """The deepest routing override with an active agency, else the category's agency."""
        for area in self.ancestry(area_id):
            agency_id = self.rules.get((category_id, area.id))
            if agency_id is not None:
                agency = self.agencies.get(agency_id)
                if agency is not None and agency.active:
                    return agency
        return self.agencies[default_agency_id]


def _build(session: Session) -> CatalogueSnapshot:
    categories = {
        code_key(code): category_id
        for category_id, code in session.execute(
            select(Category.id, Category.code).where(Category.active.is_(True))
        )
    }
    areas = {
        row.id: AreaNode(row.id, row.code, row.name, row.parent_id, row.level)
        for row in session.execute(
            select(Area.id, Area.code, Area.name, Area.parent_id, Area.level)
        )
    }
    agencies = {
        row.id: AgencyFacts(row.id, row.code, row.name, row.active)
        for row in session.execute(select(Agency.id, Agency.code, Agency.name, Agency.active))
    }
    rules = {
        (row.category_id, row.area_id): row.agency_id
        for row in session.execute(
            select(RoutingRule.category_id, RoutingRule.area_id, RoutingRule.agency_id)
        )
    }
    return CatalogueSnapshot(categories, areas, agencies, rules)


_snapshots: StateCache[CatalogueSnapshot] = StateCache()


def catalogue_snapshot(session: Session) -> CatalogueSnapshot:
    """This process's snapshot for the catalogue revision ``session`` sees."""
    from engine.routing import state_key  # routing builds on this module

    return _snapshots.get(state_key(session), lambda: _build(session))
