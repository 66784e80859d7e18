"""The city's official boundaries (../shared/real_data: DKI Jakarta, 317 areas with Kemendagri
codes) imported next to the shipped catalogue: every kelurahan places reports and has an office.

The ``official_database`` fixture imports the file once per test session; each test here works
in a rolled-back transaction on it. Expectations come from the file itself (its ``kode_*``
properties, shapely on its raw polygons) and from the landmarks its README names.
"""

from __future__ import annotations

import json
import math
import os
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely.geometry import Point
from shapely.geometry import shape as from_geojson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.areas import import_boundaries
from engine.boundaries import parse_mapping
from engine.catalogue import load_catalogue
from engine.errors import OutsideServiceArea, RuleViolated
from engine.models import Agency, Area, AreaLevel, CatalogueRevision, Origin, Ticket
from engine.photos import MemoryMediaStorage
from engine.recipients import Directory
from engine.routing import ancestry, area_index, locate, place
from engine.settings import Settings
from engine.submission import Report, submit
from sla import Recipient, RecipientKind

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "catalogue" / "jakarta.yaml"
KEMENDAGRI_MAPPING = ROOT / "catalogue" / "kemendagri-boundaries.yaml"
#: Beside the repository (CI keeps ../shared/ there), never committed into it.
OFFICIAL_BOUNDARIES = Path(
    os.environ.get("TANGGAP_BOUNDARIES_FILE")
    or ROOT.parent / "shared" / "real_data" / "dki_jakarta_wilayah_kemendagri.geojson"
)
if not OFFICIAL_BOUNDARIES.exists() and not os.environ.get("CI"):
    # Outside CI the data may not be beside the checkout (see tests/conftest.py); in CI a
    # missing file fails loudly below.
    pytest.skip(
        f"{OFFICIAL_BOUNDARIES} is not here: set TANGGAP_BOUNDARIES_FILE to a copy",
        allow_module_level=True,
    )
MONDAY_9_WIB = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
DATA = OFFICIAL_BOUNDARIES.read_bytes()
FEATURES: list[dict[str, Any]] = json.loads(DATA)["features"]
MAPPING = parse_mapping(KEMENDAGRI_MAPPING.read_text())
KELURAHAN = [f for f in FEATURES if f["properties"]["tingkat"] == "kelurahan"]

#: From the data's README (shapely ``covers``).
LANDMARKS = {
    "monas": ((-6.1754, 106.8272), "31.71.01.1001"),
    "bundaran-hi": ((-6.1950, 106.8230), "31.71.06.1001"),
    "pluit": ((-6.1180, 106.7900), "31.72.01.1005"),
    "pulau-pramuka": ((-5.7453, 106.6145), "31.01.01.1001"),
    "kota-tua": ((-6.1352, 106.8133), "31.73.03.1008"),
}
#: The Tanjung Priok port point lies 74 m outside kelurahan 31.72.02.1001, in the harbour.
PORT = (-6.1050, 106.8830)
DEPOK = (-6.4025, 106.7942)
#: Open sea between the Thousand Islands: inside the catalogue's generous province outline,
#: 2 km from the nearest island.
OPEN_SEA = (-5.85, 106.65)
JAVA_SEA = (-5.90, 107.00)


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Equirectangular distance: independent of the engine's haversine, equal within 0.1 %."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6_371_008.8 * math.hypot(x, math.radians(lat2 - lat1))


@cache
def kelurahan_shapes() -> dict[str, Any]:
    return {f["properties"]["kode"]: from_geojson(f["geometry"]) for f in KELURAHAN}


def harbour_point(distance_m: float) -> tuple[float, float]:
    """A point ``distance_m`` out from kelurahan Tanjung Priok's shore, towards the port point."""
    shore = kelurahan_shapes()["31.72.02.1001"]
    port = Point(PORT[1], PORT[0])
    edge = shapely.shortest_line(shore, port).coords[0]
    away = metres(edge[0], edge[1], port.x, port.y)
    t = distance_m / away
    return (edge[1] + t * (port.y - edge[1]), edge[0] + t * (port.x - edge[0]))


def area(session: Session, code: str) -> Area:
    return session.scalars(select(Area).where(Area.code == code)).one()


def submit_at(
    session: Session,
    lat: float,
    lon: float,
    category: str = "traffic_jam",
    settings: Settings | None = None,
) -> Ticket:
    return submit(
        session,
        Report(category=category, description="Jalan rusak", lat=lat, lon=lon),
        actor=Actor.citizen(),
        now=MONDAY_9_WIB,
        settings=settings or Settings(),
        storage=MemoryMediaStorage(),
    ).ticket


def reimport(session: Session, data: bytes, **kw: Any) -> Any:
    return import_boundaries(
        session, data, MAPPING, source=OFFICIAL_BOUNDARIES.name, now=MONDAY_9_WIB, **kw
    )


def without(code: str) -> bytes:
    document = json.loads(DATA)
    document["features"] = [f for f in FEATURES if f["properties"]["kode"] != code]
    assert len(document["features"]) == len(FEATURES) - 1
    return json.dumps(document).encode()


# --- the import ------------------------------------------------------------------------------


def test_import_official_file_317_areas_at_their_levels_under_their_parents(official) -> None:
    rows = {
        a.code: a for a in official.scalars(select(Area).where(Area.origin == Origin.BOUNDARIES))
    }
    expected_level = {"kabkota": "kota", "kecamatan": "kecamatan", "kelurahan": "kelurahan"}
    expected_parent = {
        "kabkota": "kode_provinsi",
        "kecamatan": "kode_kabkota",
        "kelurahan": "kode_kecamatan",
    }

    assert len(rows) == 317
    counts = {level: 0 for level in ("kota", "kecamatan", "kelurahan")}
    for feature in FEATURES:
        props = feature["properties"]
        row = rows[props["kode"]]
        counts[row.level] += 1
        assert (row.name, row.level, row.active) == (
            props["nama"],
            expected_level[props["tingkat"]],
            True,
        )
        assert row.parent is not None
        assert row.parent.code == props[expected_parent[props["tingkat"]]]
    assert counts == {"kota": 6, "kecamatan": 44, "kelurahan": 267}
    # The kota hang under the catalogue's province, which the file does not list.
    assert area(official, "31").origin == Origin.CATALOGUE


def test_import_official_file_again_changes_nothing(official) -> None:
    revisions = official.scalar(select(func.count()).select_from(CatalogueRevision))

    summary = reimport(official, DATA)

    assert summary.as_dict() == {}
    assert not summary.changed
    assert official.scalar(select(func.count()).select_from(CatalogueRevision)) == revisions


def test_load_catalogue_after_import_keeps_official_areas_and_offices(official) -> None:
    summary = load_catalogue(official, CATALOGUE.read_text(), now=MONDAY_9_WIB)

    assert summary.as_dict() == {}
    assert area(official, "31.71.01.1001").name == "Gambir"  # the file's name, not the sketch's


def only(*codes: str) -> bytes:
    document = json.loads(DATA)
    document["features"] = [f for f in FEATURES if f["properties"]["kode"] in codes]
    assert len(document["features"]) == len(codes)
    return json.dumps(document).encode()


def active_areas(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Area).where(Area.active)) or 0


def test_import_of_one_kelurahan_refused_nothing_written_city_still_routed(official) -> None:
    """A tester's HIGH finding: a file holding one kelurahan of the official file, imported by
    mistake, deactivated the 316 other areas and their 277 offices; every report elsewhere was
    then refused as outside the service area and Gambir was left with no kecamatan or kota."""
    before = active_areas(official)
    revisions = official.scalar(select(func.count()).select_from(CatalogueRevision))

    with pytest.raises(RuleViolated) as refused:
        reimport(official, only("31.71.01.1001"))

    assert refused.value.code == "boundaries_would_deactivate"
    assert refused.value.params == {"deactivated": 316, "orphaned": 1}
    message = refused.value.message
    assert "\n" not in message
    assert message.startswith(
        f"nothing imported: {OFFICIAL_BOUNDARIES.name} leaves out 316 active areas, which the "
        "import would deactivate"
    )
    assert "31.71 'Kota Administrasi Jakarta Pusat'" in message
    assert "and 311 more" in message and "--deactivate-missing" in message
    assert "(31.71.01.1001 under 31.71.01): add the parents to the file" in message
    assert active_areas(official) == before
    assert official.scalar(select(func.count()).select_from(CatalogueRevision)) == revisions
    gambir = area(official, "31.71.01.1001")
    assert gambir.parent is not None and gambir.parent.code == "31.71.01"
    assert submit_at(official, *LANDMARKS["pluit"][0]).area.code == "31.72.01.1005"


def test_import_of_one_kelurahan_with_deactivate_missing_still_refused_orphan(official) -> None:
    """Asked to deactivate the rest, the import would still leave Gambir active under its
    kecamatan, deactivated: no kecamatan or kota office on its ladder. Refused: the file must
    hold the parents of what it keeps."""
    before = active_areas(official)

    with pytest.raises(RuleViolated) as refused:
        reimport(official, only("31.71.01.1001"), deactivate_missing=True)

    assert refused.value.code == "boundaries_would_orphan"
    assert refused.value.message == (
        f"nothing imported: {OFFICIAL_BOUNDARIES.name} keeps 1 area active under a parent it "
        "leaves out, which --deactivate-missing would deactivate, leaving it with no "
        "kecamatan, kota or province above: 31.71.01.1001 'Kelurahan Gambir' under 31.71.01. "
        "Add 31.71.01 to the file"
    )
    assert active_areas(official) == before


def test_import_of_one_kelurahan_with_its_parents_and_deactivate_missing_deactivates(
    official,
) -> None:
    before = active_areas(official)

    summary = reimport(
        official, only("31.71.01.1001", "31.71.01", "31.71"), deactivate_missing=True
    )

    assert summary.as_dict()["area.deactivated"] == 314
    assert active_areas(official) == before - 314
    gambir = locate(official, lat=-6.1754, lon=106.8272)
    chain = [(a.code, a.active) for a in ancestry(official, gambir)]
    assert chain == [("31.71.01.1001", True), ("31.71.01", True), ("31.71", True), ("31", True)]
    with pytest.raises(OutsideServiceArea):
        submit_at(official, *LANDMARKS["pluit"][0])


def test_import_copy_without_a_kelurahan_deactivates_it_tickets_keep_it(official) -> None:
    code = "31.74.04.1001"
    inside = kelurahan_shapes()[code].representative_point()
    ticket = submit_at(official, inside.y, inside.x)
    assert ticket.area.code == code
    removed = area(official, code)

    summary = reimport(official, without(code), deactivate_missing=True)

    assert summary.as_dict() == {"area.deactivated": 1, "area_office.deactivated": 1}
    assert removed.active is False
    assert ticket.area.code == code
    office = official.scalars(select(Agency).where(Agency.code == f"KEL-{code}")).one()
    assert office.active is False
    moved = locate(official, lat=inside.y, lon=inside.x)
    assert moved.code != code and moved.active

    again = reimport(official, DATA)

    assert again.as_dict() == {"area.updated": 1, "area_office.updated": 1}
    assert (removed.active, office.active) == (True, True)
    assert locate(official, lat=inside.y, lon=inside.x).code == code


# --- routing on real data --------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(LANDMARKS))
def test_locate_landmark_in_its_kelurahan(official, name: str) -> None:
    (lat, lon), code = LANDMARKS[name]

    found = place(official, lat=lat, lon=lon)

    assert (found.code, found.how) == (code, "inside")


def test_locate_representative_point_of_every_kelurahan_267_of_267(official) -> None:
    wrong = []
    for code, shape in kelurahan_shapes().items():
        point = shape.representative_point()
        found = locate(official, lat=point.y, lon=point.x)
        if found.code != code:
            wrong.append((code, found.code))

    assert len(kelurahan_shapes()) == 267
    assert wrong == []


@pytest.mark.parametrize("distance", [50, 74.5])
def test_locate_point_in_harbour_within_tolerance_nearest_kelurahan(
    official, distance: float
) -> None:
    lat, lon = harbour_point(distance)
    assert not any(s.covers(Point(lon, lat)) for s in kelurahan_shapes().values())

    found = place(official, lat=lat, lon=lon)

    assert (found.code, found.how) == ("31.72.02.1001", "nearest")
    assert found.distance_m == pytest.approx(distance, abs=1.5)


def test_submit_harbour_point_beyond_a_smaller_tolerance_setting_refused(official) -> None:
    lat, lon = PORT  # 74 m out

    with pytest.raises(OutsideServiceArea, match=r"nearest area is 0\.1 km away"):
        submit_at(official, lat, lon, settings=Settings(locate_tolerance_m=60))
    assert submit_at(official, lat, lon).area.code == "31.72.02.1001"


@pytest.mark.parametrize(
    ("where", "distance"),
    [
        pytest.param(DEPOK, "4.2 km", id="depok"),
        pytest.param(OPEN_SEA, "2.1 km", id="open-sea-between-islands"),
        pytest.param(JAVA_SEA, "", id="java-sea"),
    ],
)
def test_locate_outside_official_boundaries_refused(official, where, distance: str) -> None:
    with pytest.raises(OutsideServiceArea, match=f"outside every service area.*{distance}"):
        locate(official, lat=where[0], lon=where[1])


def test_locate_overlap_of_two_kelurahan_goes_to_the_one_it_lies_deeper_in(official) -> None:
    shapes = kelurahan_shapes()
    codes = sorted(shapes)
    overlaps = []
    for i, a in enumerate(codes):
        for b in codes[i + 1 :]:
            if shapes[a].intersects(shapes[b]):
                common = shapes[a].intersection(shapes[b])
                if common.area > 0:
                    overlaps.append((common.area, a, b, common.representative_point()))
    overlaps.sort(reverse=True)

    for _, a, b, point in overlaps[:20]:
        depth_a = shapes[a].boundary.distance(point)
        depth_b = shapes[b].boundary.distance(point)
        deeper = a if (depth_a, b) > (depth_b, a) else b

        found = place(official, lat=point.y, lon=point.x)

        assert (found.code, found.how, found.also) == (
            deeper,
            "overlap",
            (({a, b} - {deeper}).pop(),),
        )
    assert len(overlaps) > 100  # the README counts 477 overlapping pairs


def test_locate_gap_between_kelurahan_goes_to_the_nearest(official) -> None:
    union = shapely.union_all(list(kelurahan_shapes().values()))
    holes = [
        shapely.Polygon(ring)
        for part in shapely.get_parts(union)
        for ring in part.interiors
        if shapely.Polygon(ring).area > 0
    ]
    assert holes, "the README promises gaps between neighbours"
    checked = 0
    for hole in holes:
        middle = hole.representative_point()
        for code in sorted(kelurahan_shapes()):
            side = kelurahan_shapes()[code]
            if side.distance(middle) > 0.0001:  # ~11 m
                continue
            # Two thirds of the way from the gap's middle to this side: nearer to it.
            edge = shapely.shortest_line(side, middle).coords[0]
            point = Point(
                middle.x + 0.66 * (edge[0] - middle.x), middle.y + 0.66 * (edge[1] - middle.y)
            )
            if not hole.contains(point):
                continue
            by_distance = sorted(
                (metres(*shapely.shortest_line(s, point).coords[0], point.x, point.y), c)
                for c, s in kelurahan_shapes().items()
                if s.distance(point) < 0.001
            )
            if by_distance[1][0] - by_distance[0][0] < 0.05:
                continue  # too close to call with two distance formulas
            found = place(official, lat=point.y, lon=point.x)
            assert (found.code, found.how) == (by_distance[0][1], "nearest")
            assert found.distance_m == pytest.approx(by_distance[0][0], abs=0.05)
            checked += 1
        if checked >= 20:
            break
    assert checked >= 3


def test_area_index_cached_until_areas_change(official) -> None:
    first = area_index(official)
    assert area_index(official) is first
    assert len(first) == 317

    reimport(official, without("31.74.04.1001"), deactivate_missing=True)

    assert area_index(official) is not first
    assert len(area_index(official)) == 316


# --- offices and routing overrides everywhere ------------------------------------------------


def every_point() -> dict[str, tuple[float, float]]:
    points = {name: where for name, (where, _) in LANDMARKS.items()}
    points["harbour-50m"] = harbour_point(50)
    for code, shape in kelurahan_shapes().items():
        inside = shape.representative_point()
        points[code] = (inside.y, inside.x)
    return points


def test_ticket_at_every_point_has_a_kelurahan_office_to_escalate_to(official) -> None:
    kelurahan_office = (Recipient(RecipientKind.AREA_OFFICE, "kelurahan"),)
    tickets = {name: submit_at(official, *where) for name, where in every_point().items()}
    directory = Directory(official)

    missing = []
    for name, ticket in tickets.items():
        told = directory.resolve(ticket, kelurahan_office)
        office = directory.area_office(ticket, AreaLevel.KELURAHAN)
        if (
            ticket.area.level != "kelurahan"
            or office is None
            or office.area_id != ticket.area_id
            or [a.email for a in told] != [office.head_email]
        ):
            missing.append(name)

    assert len(tickets) == 5 + 1 + 267
    assert missing == []
    port = tickets["harbour-50m"]
    assert [a.email for a in directory.resolve(port, kelurahan_office)] == [
        "kel-tanjung-priok.head@tanggap.example"
    ]
    pulo = tickets["31.75.05.1002"]  # no office in the catalogue: the rule made one
    office = directory.area_office(pulo, AreaLevel.KELURAHAN)
    assert office is not None
    assert (office.code, office.name, office.head_email) == (
        "KEL-31.75.05.1002",
        f"Kantor Kelurahan {pulo.area.name}",
        f"kel-{pulo.area.name.lower().replace(' ', '-')}.head@tanggap.example",
    )


@pytest.mark.parametrize(
    ("category", "where", "agency"),
    [
        pytest.param("garbage_pile", LANDMARKS["monas"][0], "KEL-GAMBIR", id="garbage-gambir"),
        pytest.param("clogged_drainage", LANDMARKS["pluit"][0], "KEL-PLUIT", id="drain-pluit"),
        pytest.param("illegal_street_vendors", (-6.2185, 106.8019), "KEC-TANAH-ABANG", id="pkl"),
        pytest.param("garbage_pile", LANDMARKS["kota-tua"][0], "DLH", id="garbage-default"),
    ],
)
def test_routing_overrides_by_area_code_still_apply_after_import(
    official, category: str, where: tuple[float, float], agency: str
) -> None:
    assert submit_at(official, *where, category=category).agency.code == agency


def test_catalogue_routing_override_may_name_imported_area_and_generated_office(official) -> None:
    kota_tua = LANDMARKS["kota-tua"][0]
    text = CATALOGUE.read_text().replace(
        "routing:\n",
        'routing:\n  - category: garbage_pile\n    area: "31.73.03.1008"\n'
        "    agency: KEL-31.73.03.1008\n",
        1,
    )

    summary = load_catalogue(official, text, now=MONDAY_9_WIB)

    assert summary.as_dict() == {"routing.created": 1}
    assert submit_at(official, *kota_tua, category="garbage_pile").agency.code == (
        "KEL-31.73.03.1008"
    )


def test_sweep_mails_the_generated_kelurahan_and_kecamatan_offices(official) -> None:
    from datetime import timedelta

    from engine.escalation import sweep_batch
    from engine.models import Escalation, Notification

    inside = kelurahan_shapes()["31.75.05.1002"].representative_point()
    ticket = submit_at(official, inside.y, inside.x)  # traffic jam: Dishub
    kelurahan, kecamatan = ticket.area, ticket.area.parent
    assert kecamatan is not None

    sweep_batch(official, now=MONDAY_9_WIB + timedelta(days=14))

    told = set(
        official.execute(
            select(Escalation.level, Notification.recipient)
            .join(Escalation, Notification.escalation_id == Escalation.id)
            .where(Notification.ticket_id == ticket.id)
        ).all()
    )
    slug = kelurahan.name.lower().replace(" ", "-")
    assert ("breach", f"kel-{slug}.head@tanggap.example") in told
    kec_slug = kecamatan.name.lower().replace(" ", "-")
    assert ("kecamatan", f"kec-{kec_slug}.head@tanggap.example") in told
