"""Where a report lands: the deepest area under its point, then the agency for category × area.

Coordinates are landmarks named in catalogue/jakarta.yaml, given as (lat, lon).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.errors import OutsideServiceArea, RuleViolated
from engine.models import Agency, Area, Category, Ticket
from engine.routing import locate, route
from engine.tickets import list_events

MONAS = (-6.1754, 106.8272)  # Kelurahan Gambir, Jakarta Pusat
PLUIT = (-6.12, 106.79)  # Kelurahan Pluit, Jakarta Utara
GBK = (-6.2185, 106.8019)  # Kelurahan Gelora, Kecamatan Tanah Abang


def _area(session, code: str) -> Area:
    return session.scalars(select(Area).where(Area.code == code)).one()


def _category(session, code: str) -> Category:
    return session.scalars(select(Category).where(Category.code == code)).one()


@pytest.mark.parametrize(
    ("lat", "lon", "area"),
    [
        pytest.param(*MONAS, "31.71.01.1001", id="monas-kelurahan-gambir"),
        pytest.param(*PLUIT, "31.72.01.1005", id="pluit"),
        pytest.param(-6.10, 106.88, "31.72.02.1001", id="tanjung-priok-port"),
        pytest.param(-5.7453, 106.6145, "31.01.01.1001", id="pulau-pramuka-kepulauan-seribu"),
        pytest.param(*GBK, "31.71.07.1001", id="gbk-kelurahan-gelora"),
        # Inside Kecamatan Gambir but in neither of its defined kelurahan.
        pytest.param(-6.165, 106.825, "31.71.01", id="gambir-outside-kelurahan"),
        # Senen: Jakarta Pusat, but no kecamatan is defined there.
        pytest.param(-6.1766, 106.8452, "31.71", id="senen-kota-only"),
    ],
)
def test_locate_landmark_deepest_area(session, lat: float, lon: float, area: str) -> None:
    assert locate(session, lat=lat, lon=lon).code == area


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        pytest.param(-5.90, 107.00, id="java-sea"),
        pytest.param(-6.9175, 107.6191, id="bandung"),
        pytest.param(0.0, 0.0, id="null-island"),
    ],
)
def test_locate_outside_jakarta_outside_service_area(session, lat: float, lon: float) -> None:
    with pytest.raises(OutsideServiceArea, match="outside every service area"):
        locate(session, lat=lat, lon=lon)


def test_submit_outside_jakarta_rejected_no_ticket(desk) -> None:
    tickets = desk.session.scalar(select(func.count()).select_from(Ticket))

    with pytest.raises(OutsideServiceArea):
        desk.submit(lat=-6.9175, lon=107.6191)

    assert desk.session.scalar(select(func.count()).select_from(Ticket)) == tickets


@pytest.mark.parametrize(
    ("category", "where", "agency"),
    [
        pytest.param("garbage_pile", MONAS, "KEL-GAMBIR", id="garbage-monas-kelurahan-ppsu"),
        pytest.param("garbage_pile", PLUIT, "DLH", id="garbage-pluit-default-dlh"),
        pytest.param("clogged_drainage", PLUIT, "KEL-PLUIT", id="drain-pluit-kelurahan"),
        pytest.param("clogged_drainage", MONAS, "DSDA", id="drain-monas-default-dsda"),
        # The override is on the kecamatan; Gelora lies beneath it.
        pytest.param("illegal_street_vendors", GBK, "KEC-TANAH-ABANG", id="pkl-gelora"),
        pytest.param(
            "illegal_street_vendors", (-6.195, 106.81), "KEC-TANAH-ABANG", id="pkl-tanah-abang"
        ),
        pytest.param("illegal_street_vendors", MONAS, "SATPOLPP", id="pkl-monas-default"),
        pytest.param("traffic_jam", MONAS, "DISHUB", id="traffic-no-override"),
    ],
)
def test_submit_category_and_area_routes_to_agency(
    desk, category: str, where: tuple[float, float], agency: str
) -> None:
    ticket = desk.submit(category=category, lat=where[0], lon=where[1])

    assert ticket.agency.code == agency
    assert list_events(desk.session, ticket)[0].data == {
        "category": category,
        "priority": "normal",
        "agency": agency,
        "area": ticket.area.code,
        "location": list(where),
    }


def test_route_override_on_kelurahan_not_applied_to_its_kecamatan(session) -> None:
    garbage = _category(session, "garbage_pile")

    assert route(session, garbage, _area(session, "31.71.01.1001")).code == "KEL-GAMBIR"
    assert route(session, garbage, _area(session, "31.71.01")).code == "DLH"
    assert route(session, garbage, _area(session, "31.71.01.1002")).code == "DLH"


def test_route_override_agency_deactivated_falls_back_to_default(session) -> None:
    kel = session.scalars(select(Agency).where(Agency.code == "KEL-GAMBIR")).one()
    kel.active = False
    session.flush()

    route_to = route(session, _category(session, "garbage_pile"), _area(session, "31.71.01.1001"))

    assert route_to.code == "DLH"


def test_verify_corrected_category_reroutes(desk) -> None:
    ticket = desk.submit()  # traffic_jam at Monas → DISHUB
    assert ticket.agency.code == "DISHUB"

    desk.act(ticket, "verify", "admin", category="garbage_pile")

    assert ticket.state == "verified"
    assert (ticket.category.code, ticket.agency.code) == ("garbage_pile", "KEL-GAMBIR")
    assert list_events(desk.session, ticket)[-1].data == {
        "category": {"from": "traffic_jam", "to": "garbage_pile"},
        "agency": {"from": "DISHUB", "to": "KEL-GAMBIR"},
    }
    assert ticket.version == 2  # one event, one version step


def test_verify_corrected_location_reroutes(desk) -> None:
    ticket = desk.submit(category="garbage_pile", lat=PLUIT[0], lon=PLUIT[1])
    assert ticket.agency.code == "DLH"

    desk.act(ticket, "verify", "admin", lat=MONAS[0], lon=MONAS[1])

    assert (ticket.lat, ticket.lon) == MONAS
    assert ticket.area.code == "31.71.01.1001"
    assert ticket.agency.code == "KEL-GAMBIR"
    assert list_events(desk.session, ticket)[-1].data == {
        "location": {"from": list(PLUIT), "to": list(MONAS)},
        "area": {"from": "31.72.01.1005", "to": "31.71.01.1001"},
        "agency": {"from": "DLH", "to": "KEL-GAMBIR"},
    }
    assert ticket.version == 2


def test_verify_corrected_location_same_agency_records_location_only(desk) -> None:
    ticket = desk.submit()  # traffic_jam → DISHUB wherever it is

    desk.act(ticket, "verify", "admin", lat=PLUIT[0], lon=PLUIT[1])

    assert ticket.area.code == "31.72.01.1005"
    assert ticket.agency.code == "DISHUB"
    assert list_events(desk.session, ticket)[-1].data == {
        "location": {"from": list(MONAS), "to": list(PLUIT)},
        "area": {"from": "31.71.01.1001", "to": "31.72.01.1005"},
    }
    assert ticket.version == 2


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        pytest.param({"lat": -6.9175, "lon": 107.6191}, OutsideServiceArea, id="bandung"),
        pytest.param({"lat": 200.0, "lon": 106.8}, RuleViolated, id="latitude-200"),
        pytest.param({"lat": -6.12}, RuleViolated, id="latitude-only"),
        pytest.param(
            {"category": "garbage_pile", "lat": -6.9175, "lon": 107.6191},
            OutsideServiceArea,
            id="category-and-bad-location",
        ),
    ],
)
def test_verify_bad_correction_changes_nothing(desk, fields: dict, error: type) -> None:
    ticket = desk.submit()
    before = (ticket.state, ticket.version, ticket.category_id, ticket.area_id, ticket.agency_id)

    with pytest.raises(error):
        desk.act(ticket, "verify", "admin", **fields)

    desk.session.flush()  # what any later query in this transaction would write
    desk.session.refresh(ticket)
    after = (ticket.state, ticket.version, ticket.category_id, ticket.area_id, ticket.agency_id)
    assert after == before
    assert (ticket.lat, ticket.lon) == MONAS
