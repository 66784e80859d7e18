"""Places and area outlines for maps, from the city's own boundaries (no outside geocoder).

``GET /api/v1/places?q=gambir`` finds kelurahan, kecamatan and kota by name, each with a point
inside it; ``GET /api/v1/areas/outlines`` gives the simplified outlines of the areas in a map's
view. Both public and cacheable: they change only when the catalogue or the boundaries do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import ReadSessionDep
from api.query import NUMBER, WHOLE
from api.schemas.places import OutlineCollection, OutlineFeature, PlaceRead
from api.strict_json import StrictRoute
from engine.queries.places import area_outlines, outline_level, search_address

router = APIRouter(prefix="/api/v1", tags=["places"], route_class=StrictRoute)

#: Boundaries change rarely (an import); a browser may keep an answer for a few minutes.
CACHE = "public, max-age=300"

Lon = Annotated[float, NUMBER, Query(ge=-180, le=180, allow_inf_nan=False)]
Lat = Annotated[float, NUMBER, Query(ge=-90, le=90, allow_inf_nan=False)]


@router.get("/places", response_model=list[PlaceRead])
def find_places(
    session: ReadSessionDep,
    response: Response,
    limit: Annotated[int, WHOLE, Query(ge=1, le=20)] = 8,
    q: Annotated[
        str,
        Query(
            max_length=300,
            description="a name, e.g. Gambir, or an address: when the whole finds nothing, "
            "what follows each comma, then each comma-separated part from the last "
            "(Jl. Cideng Barat 12, Gambir finds Gambir); blank or left out, no places (a "
            "search box before anything is typed)",
        ),
    ] = "",
) -> list[PlaceRead]:
    """Kelurahan, kecamatan and kota whose official names match the words typed, best first
    (the search the report form makes of an address sent without its script)."""
    found = search_address(session, q, limit=limit, field="q")
    response.headers["Cache-Control"] = CACHE
    return [PlaceRead.of(p) for p in found.places]


@router.get("/areas/outlines", response_model=OutlineCollection)
def read_outlines(
    session: ReadSessionDep,
    response: Response,
    min_lon: Lon,
    min_lat: Lat,
    max_lon: Lon,
    max_lat: Lat,
    zoom: Annotated[
        int, WHOLE, Query(ge=0, le=22, description="the map's zoom: picks the level")
    ] = 14,
) -> OutlineCollection:
    """Simplified outlines (GeoJSON) of the areas meeting the view: kota up to zoom 11,
    kecamatan to 13, kelurahan beyond; at most 80, nearest the view's centre first."""
    found = area_outlines(session, bbox=(min_lon, min_lat, max_lon, max_lat), zoom=zoom)
    response.headers["Cache-Control"] = CACHE
    return OutlineCollection(
        level=outline_level(zoom).value, features=[OutlineFeature.of(o) for o in found]
    )
