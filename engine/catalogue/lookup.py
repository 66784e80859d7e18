"""Finding catalogue entries by the code a person typed: ``BROKEN-street_light``, ``dbm`` …

Codes are compared by ``engine.text.code_key`` (case, ``-``, ``_`` and spaces do not matter);
the catalogue refuses two codes that would compare equal. An unknown code's error lists the
valid ones, so the next try can be right.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from engine.errors import CatalogueEntryNotFound, RuleViolated, UnknownCategory
from engine.models import Agency, Area, Category
from engine.text import code_key, unknown_code

M = TypeVar("M", Agency, Area, Category)


def _key_of(column: InstrumentedAttribute[str]) -> ColumnElement[str]:
    lowered = func.lower(column)
    return func.replace(func.replace(lowered, "-", "_"), " ", "_")


def _find(session: Session, model: type[M], code: str, *, active: bool = True) -> M | None:
    if not code.isprintable():  # no code has control characters or a broken encoding
        return None
    code_column: Any = model.code
    in_force: Any = model.active
    query = select(model).where(_key_of(code_column) == code_key(code), in_force.is_(active))
    return session.scalars(query).first()


def _unknown(session: Session, model: type[M], what: str, code: str) -> str:
    """Why ``code`` names no entry in force: unknown, or withdrawn (an entry a reload retired:
    a staff member's bookmark, an app's cached list of services), with the valid codes."""
    withdrawn = _find(session, model, code, active=False) is not None
    return unknown_code(what, code, _known(session, model), withdrawn=withdrawn)


def _known(session: Session, model: type[M]) -> list[str]:
    code_column: Any = model.code
    active: Any = model.active
    return list(session.scalars(select(code_column).where(active.is_(True))))


def find_category(session: Session, code: str) -> Category | None:
    return _find(session, Category, code)


def get_category(session: Session, code: str) -> Category:
    category = find_category(session, code)
    if category is None:
        raise UnknownCategory(
            _unknown(session, Category, "report category", code), params={"field": "category"}
        )
    return category


def find_agency(session: Session, code: str) -> Agency | None:
    return _find(session, Agency, code)


def get_agency(session: Session, code: str) -> Agency:
    agency = find_agency(session, code)
    if agency is None:
        raise CatalogueEntryNotFound(_unknown(session, Agency, "agency", code))
    return agency


def find_area(session: Session, code: str) -> Area | None:
    return _find(session, Area, code)


def get_area(session: Session, code: str) -> Area:
    area = find_area(session, code)
    if area is None:
        raise CatalogueEntryNotFound(_unknown(session, Area, "area", code))
    return area


#: What a list filter's unknown code is called in its refusal.
_WHAT: dict[type[Any], str] = {Category: "report category", Agency: "agency", Area: "area"}


def filter_code(
    session: Session, model: type[M], code: str, *, field: str, strict: bool = True
) -> str:
    """The stored code a list filter names, in any spelling (``dbm`` is ``DBM``), retired
    entries too (their tickets are still listed); an unknown one is refused naming ``field``,
    as an unknown state is, never an empty list that looks like "no tickets". Not ``strict``
    (Open311's lists of services): an unknown code is kept, and matches nothing."""
    code_column: Any = model.code
    found = (
        session.scalars(select(code_column).where(_key_of(code_column) == code_key(code))).first()
        if code.isprintable()
        else None
    )
    if found is not None:
        return str(found)
    if not strict:
        return code
    message = unknown_code(_WHAT[model], code, _known(session, model))
    if model is Category:
        raise UnknownCategory(message, params={"field": field})
    raise RuleViolated(message, key="unknown_reference", params={"field": field})
