"""Where a report goes: the area under its point (``locate``), then category × area → agency.

Placing a point (``AreaIndex.place``), the most precise level first:

1. **Inside.** The areas of the deepest level (kelurahan) that cover the point, found with an
   STRtree per level and prepared geometries. One area: that one.
2. **Overlap (the tie rule).** Official polygons of neighbours overlap in thin slivers. When
   several areas of one level cover the point, the one whose boundary is farthest from the point
   wins — the point lies deeper inside it, which splits every overlap along its middle — and on
   an exact tie the lowest code. The answer depends only on the point and the polygons.
3. **Near (the tolerance).** No area of that level covers the point, but one lies within
   ``Settings.locate_tolerance_m`` (default 100 m; gaps between neighbours, a pier, a point a
   little out in the harbour): the nearest one, by distance on the sphere (ties: lowest code).
4. Otherwise the next level up (kecamatan, kota, province) is tried the same way; past the top
   the point is outside the city (``OutsideServiceArea``).

The ancestors of the chosen area come from its parent links, never from their own polygons,
so the kelurahan → kecamatan → kota chain is always consistent.

When any area comes from an official boundary import (origin ``boundaries``), only those areas
place points: the catalogue's hand-drawn sketches (a generous outline of the province that
includes the sea, say) keep their role as parents and office areas but no longer catch points.

The index is built once per process and database state and reused: it is keyed on the newest
catalogue revision (its id and random token), which every catalogue load and boundary import
that changes something writes. The key is read once per transaction (a revision written in the
same transaction resets it), so another process's import is seen by the next transaction.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import shapely
from shapely import STRtree
from shapely.geometry import Point
from shapely.geometry import shape as from_geojson
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from engine.caches import StateCache
from engine.db import core_execute
from engine.errors import OutsideServiceArea, RuleViolated
from engine.models import Agency, Area, CatalogueRevision, Category, Origin, RoutingRule

DEFAULT_TOLERANCE_M = 100.0
_EARTH_RADIUS_M = 6_371_008.8
_METRES_PER_DEGREE = math.pi * _EARTH_RADIUS_M / 180


def metres_between(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


_BOUNDS = {"lat": 90.0, "lon": 180.0}


def check_location(
    lat: float,
    lon: float,
    *,
    lat_name: str = "lat",
    lon_name: str = "lon",
    field: str | None = None,
) -> None:
    """The one rule for a point anyone gives (a report, a search, ``tanggap areas locate``):
    both numbers finite and on the globe. Checked before any geometry sees them; the error
    names the coordinate as the caller called it and never echoes a value that is not one.
    ``field``: the request's parameter when it holds more than the point (a ``bbox``).

    A latitude beyond ±90 that would be a longitude, beside a longitude that would be a
    latitude, is refused as ``invalid_location_swapped`` (longitude first, as GeoJSON and many
    map sites write a point: "106.8272, -6.1754" for Monas)."""
    swapped = not -90.0 <= lat <= 90.0 and -180.0 <= lat <= 180.0 and -90.0 <= lon <= 90.0
    if swapped:
        raise RuleViolated(
            f"{lat_name} must be between -90 and 90; {lat_name} and {lon_name} look swapped "
            f"(the latitude comes first)",
            key="invalid_location_swapped",
            params={"field": field or lat_name},
        )
    for value, name, bound in ((lat, lat_name, _BOUNDS["lat"]), (lon, lon_name, _BOUNDS["lon"])):
        params: dict[str, object] | None = {"field": field} if field else None
        refuse_number(name, value, -bound, bound, key="invalid_location", params=params)


def refuse_number(
    name: str,
    value: float,
    low: float,
    high: float,
    *,
    key: str,
    params: dict[str, object] | None = None,
) -> None:
    """``value`` must be a number (not NaN) within ``low`` .. ``high`` (which excludes ±inf);
    the words every number taken from a caller is refused in. ``params``: the error's (default:
    the field ``name``)."""
    between = f"between {shown_bound(low)} and {shown_bound(high)}"
    shown_params: dict[str, object] = params if params is not None else {"field": name}
    if math.isnan(value):
        raise RuleViolated(
            f"{name} is not a number; give a number {between}", key=key, params=shown_params
        )
    if not low <= value <= high:
        raise RuleViolated(f"{name} must be {between}", key=key, params=shown_params)


def shown_bound(bound: float) -> str:
    """``1,000,000``, ``-90``, ``0.5``: as a person writes a bound, never ``1e+06``."""
    return f"{int(bound):,}" if float(bound).is_integer() else f"{bound:,}"


class How(StrEnum):
    """How a point was placed (see the module's docstring)."""

    INSIDE = "inside"
    OVERLAP = "overlap"
    NEAREST = "nearest"


@dataclass(frozen=True)
class Placement:
    """Where a point landed and why."""

    area_id: int
    code: str
    how: How
    #: 0 when inside; else metres to the area's nearest edge.
    distance_m: float
    #: Other areas of the same level that also cover the point (overlap only).
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Level:
    depth: int
    ids: list[int]
    codes: list[str]
    #: The tree's own array of geometries (prepared), indexed like ``ids`` and ``codes``.
    geometries: Any
    tree: STRtree


class AreaIndex:
    """The active areas' geometries, one STRtree per level, geometries prepared."""

    def __init__(self, rows: Sequence[tuple[int, str, int, dict[str, Any]]]) -> None:
        by_depth: dict[int, list[tuple[int, str, Any]]] = {}
        for area_id, code, depth, geometry in rows:
            by_depth.setdefault(depth, []).append((area_id, code, from_geojson(geometry)))
        self.levels: list[_Level] = []
        for depth in sorted(by_depth, reverse=True):
            entries = sorted(by_depth[depth], key=lambda e: e[1])
            tree = STRtree([e[2] for e in entries])
            shapely.prepare(tree.geometries)
            # GEOS builds a prepared polygon's point index on first use; do it here, in one
            # thread, so that request threads sharing this index only ever read it.
            shapely.covers(tree.geometries, shapely.centroid(shapely.envelope(tree.geometries)))
            self.levels.append(
                _Level(
                    depth=depth,
                    ids=[e[0] for e in entries],
                    codes=[e[1] for e in entries],
                    geometries=tree.geometries,
                    tree=tree,
                )
            )

    def __len__(self) -> int:
        return sum(len(level.ids) for level in self.levels)

    def place(
        self, lat: float, lon: float, *, tolerance_m: float = DEFAULT_TOLERANCE_M
    ) -> Placement | None:
        check_location(lat, lon)
        point = Point(lon, lat)
        for level in self.levels:
            boxes = level.tree.query(point)
            hits = boxes[shapely.covers(level.geometries[boxes], point)] if len(boxes) else boxes
            if len(hits) == 1:
                i = int(hits[0])
                return Placement(level.ids[i], level.codes[i], How.INSIDE, 0.0)
            if len(hits) > 1:
                return _overlap(level, hits, point)
            near = _nearest(level, point, lat, lon, tolerance_m)
            if near is not None:
                return near
        return None

    def nearest_m(self, lat: float, lon: float) -> float | None:
        """Metres to the nearest area of any level (for the refusal message)."""
        check_location(lat, lon)
        point = Point(lon, lat)
        found = [
            _metres_to(level.geometries[int(level.tree.nearest(point))], point)
            for level in self.levels
            if len(level.ids)
        ]
        found = [m for m in found if math.isfinite(m)]
        return min(found) if found else None


def _metres_to(geometry: Any, point: Point) -> float:
    line = shapely.shortest_line(geometry, point)
    if line is None or line.is_empty:  # an empty geometry: no edge to measure to
        return math.inf
    on_edge = line.coords[0]
    return metres_between(on_edge[0], on_edge[1], point.x, point.y)


def _overlap(level: _Level, hits: Any, point: Point) -> Placement:
    ranked = sorted(
        (
            -float(shapely.distance(level.geometries[int(i)].boundary, point)),
            level.codes[int(i)],
            int(i),
        )
        for i in hits
    )
    best = ranked[0][2]
    also = tuple(code for _, code, _ in ranked[1:])
    return Placement(level.ids[best], level.codes[best], How.OVERLAP, 0.0, also)


def _nearest(
    level: _Level, point: Point, lat: float, lon: float, tolerance_m: float
) -> Placement | None:
    if tolerance_m <= 0:
        return None
    # A degree of longitude is the shorter one away from the equator: searching with it
    # finds every area within the tolerance (and a few more, measured exactly below).
    reach = tolerance_m / (_METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    hits = level.tree.query(point, predicate="dwithin", distance=reach)
    best: tuple[float, str, int] | None = None
    for i in hits:
        metres = _metres_to(level.geometries[int(i)], point)
        candidate = (metres, level.codes[int(i)], int(i))
        if metres <= tolerance_m and (best is None or candidate < best):
            best = candidate
    if best is None:
        return None
    return Placement(level.ids[best[2]], best[1], How.NEAREST, best[0])


# --- the per-process cache -------------------------------------------------------------------

_indexes: StateCache[AreaIndex] = StateCache()


_KEY = "tanggap.routing.state_key"

#: The newest revision's id and token: one statement, built once. Building it and its cache
#: key anew cost about half as much again as running it, in each of a submission's two
#: transactions.
_NEWEST_REVISION = (
    select(CatalogueRevision.id, CatalogueRevision.token)
    .order_by(CatalogueRevision.id.desc())
    .limit(1)
)

#: Each Engine's URL as text (``str(url)`` renders it afresh each time it is asked).
_urls: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def state_key(session: Session) -> tuple[Any, ...]:
    """The database state the index must match, read once per transaction of ``session``."""
    key: tuple[Any, ...] | None = session.info.get(_KEY)
    if key is None:
        newest = core_execute(session, _NEWEST_REVISION).first()
        engine = session.get_bind().engine
        # The pool, not the Engine: a read-only Engine made with execution_options shares it.
        url = _urls.get(engine)
        if url is None:
            url = _urls[engine] = str(engine.url)
        key = session.info[_KEY] = (url, id(engine.pool), *(newest or ()))
    return key


@event.listens_for(Session, "after_flush")
def _revision_written(session: Session, _context: Any) -> None:
    # This transaction just changed the catalogue or the boundaries: look again.
    if any(isinstance(row, CatalogueRevision) for row in session.new):
        session.info.pop(_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, _transaction: Any) -> None:
    # The next transaction may see another process's import.
    session.info.pop(_KEY, None)


def build_index(session: Session) -> AreaIndex:
    """A fresh index of the areas that place points (see the module's docstring)."""
    official = session.scalar(
        select(Area.id).where(Area.active, Area.origin == Origin.BOUNDARIES).limit(1)
    )
    query = select(Area.id, Area.code, Area.depth, Area.geometry).where(Area.active)
    if official is not None:
        query = query.where(Area.origin == Origin.BOUNDARIES)
    rows = [
        (area_id, code, depth, geometry)
        for area_id, code, depth, geometry in session.execute(query)
    ]
    return AreaIndex(rows)


def area_index(session: Session) -> AreaIndex:
    """This process's index for the database state ``session`` sees (built when it changed)."""
    return _indexes.get(state_key(session), lambda: build_index(session))


def place(
    session: Session, *, lat: float, lon: float, tolerance_m: float = DEFAULT_TOLERANCE_M
) -> Placement:
    """Where the point lands and why; ``OutsideServiceArea`` when nowhere within tolerance."""
    check_location(lat, lon)
    lat, lon = lat + 0.0, lon + 0.0  # -0 is 0: never "location -0.00000, …"
    index = area_index(session)
    found = index.place(lat, lon, tolerance_m=tolerance_m)
    if found is None:
        nearest = index.nearest_m(lat, lon)
        distance = f"; the nearest area is {nearest / 1000:.1f} km away" if nearest else ""
        # Named by its latitude, the first of the pair: a form or an app marks the point's
        # fields from ``params.field`` (``lat``; ``fields`` has both), as for a bad latitude.
        raise OutsideServiceArea(
            f"location {lat:.5f}, {lon:.5f} is outside every service area of this city{distance}",
            params={
                "field": "lat",
                "fields": ["lat", "lon"],
                **({"nearest_km": round(nearest / 1000, 1)} if nearest else {}),
            },
        )
    return found


def locate(
    session: Session, *, lat: float, lon: float, tolerance_m: float = DEFAULT_TOLERANCE_M
) -> Area:
    """The area a report at the point belongs to (see ``place``)."""
    found = place(session, lat=lat, lon=lon, tolerance_m=tolerance_m)
    area = session.get(Area, found.area_id)
    assert area is not None  # the index was built from this database state
    return area


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
    return route_ids(
        session, category_id=category.id, default_agency_id=category.agency_id, area_id=area.id
    )


def route_ids(
    session: Session, *, category_id: int, default_agency_id: int, area_id: int
) -> Agency:
    """``route`` by ids. Worked out on the catalogue snapshot of this revision (no query per
    area level); the agency row comes from the session (its identity map when loaded), so an
    agency deactivated since the revision is still never chosen by an override."""
    from engine.catalogue.snapshot import catalogue_snapshot

    snapshot = catalogue_snapshot(session)
    if area_id in snapshot.areas and default_agency_id in snapshot.agencies:
        found = snapshot.route(category_id, default_agency_id, area_id)
        agency = session.get(Agency, found.id)
        if agency is not None and (agency.id == default_agency_id or agency.active):
            return agency
    # Rows written by this transaction before their revision, or changed in SQL since it.
    return _route_by_queries(session, category_id, default_agency_id, area_id)


def _route_by_queries(
    session: Session, category_id: int, default_agency_id: int, area_id: int
) -> Agency:
    area = session.get(Area, area_id)
    chain = ancestry(session, area) if area is not None else []
    rules = {
        rule.area_id: rule
        for rule in session.scalars(
            select(RoutingRule).where(
                RoutingRule.category_id == category_id,
                RoutingRule.area_id.in_([a.id for a in chain]),
            )
        )
    }
    for candidate in chain:
        if candidate.id in rules:
            agency = session.get(Agency, rules[candidate.id].agency_id)
            if agency is not None and agency.active:
                return agency
    default = session.get(Agency, default_agency_id)
    assert default is not None  # a foreign key of the category
    return default
