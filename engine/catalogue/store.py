"""Writing a validated catalogue: upsert by code, idempotent, all in the caller's transaction.

Entries that disappear from the file are deactivated, not deleted: tickets keep pointing at
them and history must still read. Routing overrides are plain configuration and are replaced.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from shapely.geometry import Polygon
from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session, undefer

from engine import clocks, waiting_mail
from engine.catalogue.offices import AreaFacts, apply_office_rules, sync_area_offices
from engine.catalogue.spec import CatalogueSpec, parse_catalogue
from engine.catalogue.summary import LoadSummary
from engine.lifecycle import OPEN_STATES
from engine.models import (
    Agency,
    Area,
    CatalogueRevision,
    Category,
    Notification,
    NotificationKind,
    Origin,
    RoutingRule,
    SlaCalendar,
    SlaLadder,
    SlaPolicy,
    Ticket,
)
from engine.models.base import Base
from engine.policies import load_policy_book
from engine.text import counted

M = TypeVar("M", bound=Base)


def _upsert(
    session: Session,
    model: type[M],
    existing: dict[str, M],
    code: str,
    values: dict[str, Any],
    summary: LoadSummary,
    kind: str,
) -> M:
    row = existing.get(code)
    if row is None:
        row = model(code=code, **values)
        session.add(row)
        existing[code] = row
        summary.count(summary.created, kind)
        return row
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    if changed:
        summary.count(summary.updated, kind)
    return row


def _deactivate_missing(
    rows: dict[str, Any], keep: set[str], summary: LoadSummary, kind: str
) -> None:
    for code, row in rows.items():
        # Rows of an official boundary import or of the area office rule are not the file's
        # to remove.
        if getattr(row, "origin", Origin.CATALOGUE) != Origin.CATALOGUE:
            continue
        if code not in keep and row.active:
            row.active = False
            summary.count(summary.deactivated, kind)


def _by_code(session: Session, model: type[M]) -> dict[str, M]:
    return {row.code: row for row in session.scalars(select(model))}  # type: ignore[attr-defined]


def apply_catalogue(session: Session, spec: CatalogueSpec) -> LoadSummary:
    summary = LoadSummary()

    areas = {row.code: row for row in session.scalars(select(Area).options(undefer(Area.geometry)))}
    for a in spec.areas:
        if a.code in areas and areas[a.code].origin == Origin.BOUNDARIES:
            continue  # an official boundary import owns this area now; the sketch gives way
        min_lon, min_lat, max_lon, max_lat = Polygon(a.polygon).bounds
        values = {
            "name": a.name,
            "level": a.level.value,
            "depth": a.level.depth,
            "parent": areas[a.parent] if a.parent else None,
            "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in a.polygon]]},
            "min_lon": min_lon,
            "min_lat": min_lat,
            "max_lon": max_lon,
            "max_lat": max_lat,
            "active": True,
            "origin": Origin.CATALOGUE.value,
        }
        _upsert(session, Area, areas, a.code, values, summary, "area")
    _deactivate_missing(areas, {a.code for a in spec.areas}, summary, "area")
    session.flush()

    agencies = _by_code(session, Agency)
    for g in spec.agencies:
        values = {
            "name": g.name,
            "kind": g.kind.value,
            "area": areas[g.area],
            "email": g.email,
            "head_email": g.head_email,
            "active": True,
            "origin": Origin.CATALOGUE.value,
        }
        _upsert(session, Agency, agencies, g.code, values, summary, "agency")
    _deactivate_missing(agencies, {g.code for g in spec.agencies}, summary, "agency")
    session.flush()
    apply_office_rules(session, [rule.pattern() for rule in spec.area_offices], summary)
    sync_area_offices(session, summary)
    agencies = _by_code(session, Agency)

    categories = _by_code(session, Category)
    for c in spec.categories:
        values = {
            "name_id": c.name_id,
            "name_en": c.name_en,
            "group": c.group,
            "description": c.description,
            "agency": agencies[c.agency],
            "default_priority": c.default_priority.value,
            "photo_on_submit": c.photo_on_submit,
            "photo_on_resolve": c.photo_on_resolve,
            "duplicate_radius_m": c.duplicate_radius_m,
            "withheld_from_area_offices": c.withheld_from_area_offices,
            "public": c.public,
            "questions": [q.model_dump(mode="json") for q in c.questions] or None,
            "active": True,
        }
        _upsert(session, Category, categories, c.code, values, summary, "category")
    _deactivate_missing(categories, {c.code for c in spec.categories}, summary, "category")
    session.flush()

    _apply_routing(session, spec, areas, agencies, categories, summary)
    _apply_sla(session, spec, summary)
    session.flush()
    return summary


SLA_KINDS = ("calendar", "ladder", "policy")


def _apply_sla(session: Session, spec: CatalogueSpec, summary: LoadSummary) -> None:
    sections: list[tuple[type[Any], str, list[Any]]] = [
        (SlaCalendar, "calendar", spec.calendars),
        (SlaLadder, "ladder", spec.ladders),
        (SlaPolicy, "policy", spec.policies),
    ]
    for model, kind, items in sections:
        rows = _by_code(session, model)
        for position, item in enumerate(items):
            values: dict[str, Any] = {"definition": item.model_dump(mode="json"), "active": True}
            if model is SlaPolicy:
                values["position"] = position
            _upsert(session, model, rows, item.code, values, summary, kind)
        _deactivate_missing(rows, {item.code for item in items}, summary, kind)
    session.flush()


def _apply_routing(
    session: Session,
    spec: CatalogueSpec,
    areas: dict[str, Area],
    agencies: dict[str, Agency],
    categories: dict[str, Category],
    summary: LoadSummary,
) -> None:
    wanted = {
        (categories[r.category].id, areas[r.area].id): agencies[r.agency].id for r in spec.routing
    }
    for rule in session.scalars(select(RoutingRule)):
        agency_id = wanted.pop((rule.category_id, rule.area_id), None)
        if agency_id is None:
            session.delete(rule)
            summary.count(summary.deactivated, "routing")
        elif rule.agency_id != agency_id:
            rule.agency_id = agency_id
            summary.count(summary.updated, "routing")
    for (category_id, area_id), agency_id in wanted.items():
        session.add(RoutingRule(category_id=category_id, area_id=area_id, agency_id=agency_id))
        summary.count(summary.created, "routing")


def imported_areas(session: Session) -> dict[str, AreaFacts]:
    """Active areas of an official boundary import, which the catalogue may refer to."""
    rows = session.execute(
        select(Area.code, Area.name, Area.level).where(
            Area.active, Area.origin == Origin.BOUNDARIES
        )
    )
    return {code: AreaFacts(code, name, level) for code, name, level in rows}


#: How many ticket codes a line of ``retired_holding`` names before "and N more".
_CODES_SHOWN = 5


def retired_holding(session: Session) -> list[str]:
    """One line per agency that is no longer in the catalogue yet still holds open tickets,
    and per retired category still on open tickets, with their codes: a load that drops an
    agency (or a category) leaves that work where it was — its clocks run on under the policy
    the catalogue names now, its mail goes to the old agency's addresses — until staff transfer
    it (or correct its category)."""
    open_states = [s.value for s in OPEN_STATES]
    agencies = session.execute(
        select(Agency.code, Ticket.code)
        .join(Ticket, Ticket.agency_id == Agency.id)
        .where(Agency.active.is_(False), Ticket.state.in_(open_states))
        .order_by(Agency.code, Ticket.code)
    ).all()
    categories = session.execute(
        select(Category.code, Ticket.code)
        .join(Ticket, Ticket.category_id == Category.id)
        .where(Category.active.is_(False), Ticket.state.in_(open_states))
        .order_by(Category.code, Ticket.code)
    ).all()
    return [
        *_held_lines(agencies, "agency {} is no longer in the catalogue and still holds {}: {}; "
                     "move them to an agency in force (transfer; while not yet assigned, "
                     "assign naming the agency)"),
        *_held_lines(categories, "category {} is no longer in the catalogue and is still the "
                     "category of {}: {}; correct their category"),
    ]  # fmt: skip


def _held_lines(rows: Sequence[Row[str, str]], words: str) -> list[str]:
    held: dict[str, list[str]] = {}
    for code, ticket in rows:
        held.setdefault(code, []).append(ticket)
    lines = []
    for code, tickets in held.items():
        shown = ", ".join(tickets[:_CODES_SHOWN])
        if len(tickets) > _CODES_SHOWN:
            shown += f" and {len(tickets) - _CODES_SHOWN} more"
        lines.append(words.format(code, counted(len(tickets), "open ticket"), shown))
    return lines


def load_catalogue(
    session: Session, text: str, *, now: datetime, source: str = "catalogue"
) -> LoadSummary:
    """Validate the whole file, then apply it; a bad file raises before anything is written."""
    spec = parse_catalogue(text, source=source, known_areas=imported_areas(session))
    previous = load_policy_book(session)  # running clocks measured what elapsed under these
    summary = apply_catalogue(session, spec)
    summary.retired_holding = retired_holding(session)
    if not summary.changed:
        return summary
    revision = CatalogueRevision(
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        source=source,
        summary=summary.as_dict(),
        loaded_at=now,
    )
    session.add(revision)
    session.flush()  # the clocks read the policies of the newest revision
    touched = summary.created | summary.updated | summary.deactivated
    # Mail this load queues (levels due under the new targets, roles a level names now) is
    # counted for the operator: a reload that mails people says so.
    before = session.scalar(select(func.max(Notification.id))) or 0
    if any(kind in touched for kind in SLA_KINDS):
        # New targets or calendars apply to the clocks already running, not just to new ones.
        summary.updated["open timers"] = clocks.recompute_open(session, now=now, previous=previous)
    # New heads, queues, public flags: mail still waiting goes to whom the catalogue names now.
    # A ladder level that names other roles now tells them of what it told already.
    reread = waiting_mail.readdress_waiting(
        session, now=now, cause="the catalogue was reloaded", previous=previous
    )
    if reread:
        summary.updated["waiting mail"] = reread
    queued = session.scalar(
        select(func.count()).where(
            Notification.id > before,
            Notification.kind == NotificationKind.ESCALATION.value,
            Notification.created_at == now,
        )
    )
    if queued:
        summary.created["escalation mail"] = int(queued)
    revision.summary = summary.as_dict()
    session.flush()
    return summary
