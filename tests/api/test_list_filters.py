"""List filters read codes as the rest of the API does: any case, an unknown one refused naming
its parameter (never an empty list that reads as "no reports"), a blank value absent."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api


def _codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["code"] for item in response.json()["items"]]


@pytest.mark.parametrize("spelt", ["FLOOD", "Flood", " flood "])
def test_public_list_category_in_any_case(api: Api, spelt: str) -> None:
    flood = api.submit(category="flood")["code"]
    api.submit()
    assert _codes(api.client.get("/api/v1/reports", params={"category": spelt})) == [flood]
    geo = api.client.get("/api/v1/reports.geojson", params={"category": spelt}).json()
    assert [f["id"] for f in geo["features"]] == [flood]


@pytest.mark.parametrize(
    ("path", "who"),
    [("/api/v1/reports", None), ("/api/v1/reports.geojson", None), ("/api/v1/tickets", "staff")],
)
def test_unknown_category_filter_is_refused_naming_category(
    api: Api, path: str, who: str | None
) -> None:
    headers = api.auth(who) if who else {}
    refused = api.client.get(path, params={"category": "nope"}, headers=headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "unknown_category"
    assert refused.json()["detail"].startswith("unknown report category 'nope'; valid: ")
    assert refused.json()["params"] == {"field": "category"}


def test_worklist_agency_area_and_category_in_any_case(api: Api) -> None:
    jam = api.submit()["code"]
    api.submit(category="flood")
    headers = api.auth("admin")
    for params in (
        {"agency": "dishub"},
        {"category": "Traffic-Jam"},
        {"area": "31.71.01", "category": "TRAFFIC_JAM"},
    ):
        assert _codes(api.client.get("/api/v1/tickets", params=params, headers=headers)) == [jam]


@pytest.mark.parametrize("path", ["/api/v1/tickets", "/api/v1/tickets.csv"])
def test_the_worklist_takes_several_agencies_categories_and_areas(api: Api, path: str) -> None:
    """A tester's report: the public list took ``?category=a&category=b``, the worklist
    answered "category is given more than once"; so did ``agency`` and ``area``. Each takes
    several now, any of them matching, as the README says of list filters."""
    jam = api.submit()["code"]  # DISHUB, Kelurahan Gambir
    flood = api.submit(category="flood")["code"]  # DSDA, Kelurahan Gambir
    headers = api.auth("admin")

    def listed(query: str) -> list[str]:
        response = api.client.get(f"{path}?{query}", headers=headers)
        assert response.status_code == 200, response.text
        if path.endswith(".csv"):
            return sorted(line.split(",")[0] for line in response.text.splitlines()[1:])
        return sorted(_codes(response))

    both = sorted([jam, flood])
    assert listed("category=traffic_jam&category=flood") == both
    assert listed("category=traffic_jam") == [jam]
    assert listed("agency=DISHUB&agency=DSDA") == both
    assert listed("agency=DSDA") == [flood]
    assert listed("area=31.71.06&area=31.71.01") == both  # Menteng (none), Gambir (both)
    assert listed("area=31.71.06") == []
    assert listed("agency=DISHUB&category=flood") == []  # filters still all apply
    unknown = api.client.get(f"{path}?category=flood&category=unicorns", headers=headers)
    assert unknown.status_code == 422 and "unicorns" in unknown.text, unknown.text


@pytest.mark.parametrize(
    ("path", "who"),
    [("/api/v1/reports", None), ("/api/v1/tickets", "staff"), ("/api/v1/tickets.csv", "staff")],
)
def test_a_blank_state_or_category_is_absent(api: Api, path: str, who: str | None) -> None:
    code = api.submit()["code"]
    headers = api.auth(who) if who else {}
    for params in ({"state": ""}, {"state": ["", "submitted"]}, {"category": ""}):
        response = api.client.get(path, params=params, headers=headers)
        assert response.status_code == 200, (params, response.text)
        assert code in response.text


def test_state_in_any_case(api: Api) -> None:
    code = api.submit()["code"]
    assert _codes(api.client.get("/api/v1/reports", params={"state": "Submitted"})) == [code]
