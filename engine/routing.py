"""Where a report goes: the deepest area containing its point, then category × area → agency."""

from __future__ import annotations

from shapely.geometry import Point, Polygon
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import OutsideServiceArea
from engine.models import Agency, Area, Category, RoutingRule


def locate(session: Session, *, lat: float, lon: float) -> Area:
    """The deepest active area whose polygon covers the point (bbox index first, then shapely)."""
    candidates = session.scalars(
        select(Area)
        .where(
            Area.active,
            Area.min_lon <= lon,
            Area.max_lon >= lon,
            Area.min_lat <= lat,
            Area.max_lat >= lat,
        )
        .order_by(Area.depth.desc(), Area.code)
    )
    point = Point(lon, lat)
    for area in candidates:
        if Polygon(area.polygon).covers(point):
            return area
    raise OutsideServiceArea(
        f"location {lat:.5f}, {lon:.5f} is outside every service area of this city"
    )


def ancestry(session: Session, area: Area) -> list[Area]:
    """``area`` and its ancestors, deepest first."""
    chain = [area]
    while chain[-1].parent_id is not None:
        parent = session.get(Area, chain[-1].parent_id)
        if parent is None:
            break
        chain.append(parent)
    return chain


def route(session: Session, category: Category, area: Area) -> Agency:
    """The agency handling ``category`` in ``area``: the deepest routing override, else default."""
    chain = ancestry(session, area)
    rules = {
        rule.area_id: rule
        for rule in session.scalars(
            select(RoutingRule).where(
                RoutingRule.category_id == category.id,
                RoutingRule.area_id.in_([a.id for a in chain]),
            )
        )
    }
    for candidate in chain:
        if candidate.id in rules:
            agency = session.get(Agency, rules[candidate.id].agency_id)
            if agency is not None and agency.active:
                return agency
    return category.agency
