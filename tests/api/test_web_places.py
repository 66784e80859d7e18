"""Place search and area outlines: what the report page offers when a citizen types a name, and
what the maps draw without tiles. From the catalogue's boundaries, no outside geocoder."""

from __future__ import annotations

import json
import re

import pytest
from shapely.geometry import Point, shape

from tests.api.conftest import Api


def test_typing_gambir_offers_the_kelurahan_with_its_kecamatan_and_kota(api: Api) -> None:
    response = api.client.get("/api/v1/places", params={"q": "gambir"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    found = response.json()
    assert [p["label"] for p in found] == [
        "Kelurahan Gambir, Kecamatan Gambir, Jakarta Pusat",
        "Kecamatan Gambir, Jakarta Pusat",
    ]
    assert [p["level"] for p in found] == ["kelurahan", "kecamatan"]
    assert found[0]["code"] == "31.71.01.1001"


def test_the_offered_point_lies_inside_the_area_and_a_report_there_lands_in_it(api: Api) -> None:
    (place,) = [p for p in api.client.get("/api/v1/places?q=cideng").json()]
    assert place["label"] == "Kelurahan Cideng, Kecamatan Gambir, Jakarta Pusat"
    created = api.submit(lat=place["lat"], lon=place["lon"])
    report = api.client.get(f"/api/v1/reports/{created['code']}").json()
    assert report["area"] == {"code": "31.71.01.1002", "name": "Kelurahan Cideng"}


def test_place_search_matches_words_in_any_order_case_and_accents_aside(api: Api) -> None:
    labels = [p["label"] for p in api.client.get("/api/v1/places?q=PUSAT jakártá").json()]
    assert labels == ["Jakarta Pusat"]
    labels = [p["label"] for p in api.client.get("/api/v1/places?q=kec gambir").json()]
    assert labels[0] == "Kecamatan Gambir, Jakarta Pusat"
    assert api.client.get("/api/v1/places?q=depok").json() == []
    # Nothing typed yet, blank or left out (a blank parameter is absent on every route)
    for nothing in ("?q=%20", "?q=", ""):
        assert api.client.get(f"/api/v1/places{nothing}").json() == []


def test_outlines_follow_the_zoom_and_stay_small(api: Api) -> None:
    jakarta = {"min_lon": 106.6, "min_lat": -6.4, "max_lon": 107.0, "max_lat": -6.05}
    city = api.client.get("/api/v1/areas/outlines", params={**jakarta, "zoom": 11})
    assert city.status_code == 200
    body = city.json()
    assert body["level"] == "kota"
    assert "Jakarta Pusat" in {f["properties"]["name"] for f in body["features"]}
    assert len(city.content) < 20_000

    near_monas = {"min_lon": 106.82, "min_lat": -6.18, "max_lon": 106.83, "max_lat": -6.17}
    body = api.client.get("/api/v1/areas/outlines", params={**near_monas, "zoom": 16}).json()
    assert body["level"] == "kelurahan"
    names = [f["properties"]["name"] for f in body["features"]]
    assert names[0] == "Kelurahan Gambir"
    gambir = body["features"][0]
    outline = shape(gambir["geometry"])
    label = Point(gambir["properties"]["label_lon"], gambir["properties"]["label_lat"])
    assert outline.contains(label)
    numbers = re.findall(r"-?\d+\.(\d+)", json.dumps(gambir["geometry"]["coordinates"]))
    assert numbers and max(len(decimals) for decimals in numbers) <= 5  # about a metre


def test_outlines_of_an_empty_view_are_empty_and_a_reversed_view_is_refused(api: Api) -> None:
    sea = {"min_lon": 100.0, "min_lat": -1.0, "max_lon": 100.1, "max_lat": -0.9}
    assert api.client.get("/api/v1/areas/outlines", params=sea).json()["features"] == []
    reversed_view = {"min_lon": 107.0, "min_lat": -6.1, "max_lon": 106.0, "max_lat": -6.0}
    refused = api.client.get("/api/v1/areas/outlines", params=reversed_view)
    assert refused.status_code == 422
    assert "min_lon" in refused.text


@pytest.mark.parametrize(
    ("q", "labels"),
    [
        # the whole address names no area: what follows a comma does
        (
            "Jl. Cideng Barat 12, Gambir",
            [
                "Kelurahan Gambir, Kecamatan Gambir, Jakarta Pusat",
                "Kecamatan Gambir, Jakarta Pusat",
            ],
        ),
        # the kelurahan, narrowed by the kecamatan and city after it, not the last part alone
        (
            "Jl. Cideng Barat 12, Kel. Cideng, Kec. Gambir, Jakarta Pusat 10150",
            ["Kelurahan Cideng, Kecamatan Gambir, Jakarta Pusat"],
        ),
        # a postcode or a province at the end names nothing: each part from the last
        ("Cideng, DKI Jakarta 10150", ["Kelurahan Cideng, Kecamatan Gambir, Jakarta Pusat"]),
        ("Jl. Merdeka Barat, 10110", []),
    ],
)
def test_an_address_finds_the_places_it_ends_with(api: Api, q: str, labels: list[str]) -> None:
    """The search the report form makes of an address sent without its script
    (``engine.queries.places.search_address``), answered to the page's script alike."""
    found = api.client.get("/api/v1/places", params={"q": q})
    assert found.status_code == 200, found.text
    assert [p["label"] for p in found.json()] == labels


def test_an_address_as_long_as_the_address_box_takes_is_searched(api: Api) -> None:
    q = "Jl. " + "Panjang " * 35 + ", Cideng"
    assert 280 < len(q) <= 300
    found = api.client.get("/api/v1/places", params={"q": q})
    assert found.status_code == 200, found.text
    assert [p["label"] for p in found.json()] == [
        "Kelurahan Cideng, Kecamatan Gambir, Jakarta Pusat"
    ]


@pytest.mark.parametrize("q", ["kec gambir", "Kec. Gambir", "Kecamatan Gambir"])
def test_a_level_word_typed_prefers_that_level_on_the_official_boundaries_too(
    official_api: Api, q: str
) -> None:
    """The catalogue writes "Kecamatan Gambir", the official boundaries "GAMBIR": "kec" is no
    word of either name, and says which of the two Gambirs is meant."""
    found = official_api.client.get("/api/v1/places", params={"q": q}).json()
    assert [p["label"] for p in found][:2] == [
        "Kecamatan Gambir, Jakarta Pusat",
        "Kelurahan Gambir, Kecamatan Gambir, Jakarta Pusat",
    ]


def test_a_level_word_that_is_part_of_a_name_is_matched_as_one(official_api: Api) -> None:
    found = official_api.client.get("/api/v1/places", params={"q": "Kota Bambu"}).json()
    assert [p["name"] for p in found][:2] == [
        "Kelurahan Kota Bambu Selatan",
        "Kelurahan Kota Bambu Utara",
    ]
