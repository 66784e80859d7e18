"""Every date parameter near the calendar's edges is the caller's mistake, named, never a 500."""

from __future__ import annotations

import pytest

from tests.api.conftest import MONAS, Api

EDGES = [
    "0001-01-01T00:00:00+07:00",  # converting to UTC leaves the calendar
    "9999-12-31T23:59:59-07:00",
    "0001-01-01T00:00:00Z",  # in the calendar, outside any sane window
    "9999-12-31T23:59:59Z",
    "1900-01-01T00:00:00+00:00",
]

#: (path, parameter, who) — every API query that takes an instant.
JSON_API = [
    ("/api/v1/reports", "since", None),
    ("/api/v1/reports.geojson", "since", None),
    ("/api/v1/figures", "start", "admin"),
    ("/api/v1/figures", "end", "admin"),
    ("/api/v1/escalations", "since", "admin"),
    ("/api/v1/dashboard/escalations", "since", "admin"),
]

OPEN311 = [
    ("requests", "start_date"),
    ("requests", "end_date"),
    ("requests", "updated_after"),
    ("requests", "updated_before"),
    ("servicerequestupdates", "start_date"),
    ("servicerequestupdates", "end_date"),
]


@pytest.mark.parametrize("value", EDGES)
@pytest.mark.parametrize(("path", "name", "who"), JSON_API)
def test_api_refuses_an_instant_out_of_range_naming_it(
    api: Api, path: str, name: str, who: str | None, value: str
) -> None:
    headers = api.auth(who) if who else {}
    response = api.client.get(path, params={name: value}, headers=headers)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"] == f"{name} must lie between 1970-01-01 and 9000-01-01"
    assert body["code"] == "instant_out_of_range"


@pytest.mark.parametrize(("path", "name", "who"), JSON_API)
def test_api_wants_an_offset(api: Api, path: str, name: str, who: str | None) -> None:
    headers = api.auth(who) if who else {}
    response = api.client.get(path, params={name: "2026-11-23T09:00:00"}, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(f"{name} needs a time zone offset")


@pytest.mark.parametrize(("path", "name", "who"), JSON_API)
def test_api_says_an_offsets_plus_arrived_as_a_space(
    api: Api, path: str, name: str, who: str | None
) -> None:
    """``?since=2026-11-23T09:00:00+07:00`` typed into a URL: the ``+`` reads as a space."""
    headers = api.auth(who) if who else {}
    response = api.client.get(f"{path}?{name}=2026-11-23T09:00:00+07:00", headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == (
        f"{name} must be a date and time; send the '+' of its offset as %2B: a bare '+' in a "
        "URL reads as a space"
    )


@pytest.mark.parametrize(("resource", "name"), OPEN311)
def test_open311_says_an_offsets_plus_arrived_as_a_space(
    api: Api, resource: str, name: str
) -> None:
    response = api.client.get(f"/open311/v2/{resource}.json?{name}=2026-11-23T09:00:00+07:00")
    assert response.status_code == 400, response.text
    assert response.json() == [
        {
            "code": 400,
            "description": f"{name} must be a W3C date, send the '+' of its offset as %2B: a "
            "bare '+' in a URL reads as a space",
        }
    ]


@pytest.mark.parametrize("value", [*EDGES[:2], "0001-01-01", "9999-12-31"])
@pytest.mark.parametrize(("resource", "name"), OPEN311)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_refuses_an_instant_out_of_range_naming_it(
    api: Api, resource: str, name: str, fmt: str, value: str
) -> None:
    response = api.client.get(f"/open311/v2/{resource}.{fmt}", params={name: value})
    assert response.status_code == 400, response.text
    wording = f"{name} must lie between 1970-01-01 and 9000-01-01"
    if fmt == "json":
        assert response.json() == [{"code": 400, "description": wording}]
    else:
        assert f"<description>{wording}</description>" in response.text


def test_instants_inside_the_window_still_answer(api: Api) -> None:
    api.submit()
    assert api.client.get("/api/v1/reports", params={"since": "1970-01-01T07:00:00+07:00"}).json()[
        "items"
    ]
    assert not api.client.get(
        "/api/v1/reports", params={"since": "8999-12-31T00:00:00-07:00"}
    ).json()["items"]
    found = api.client.get("/open311/v2/requests.json", params={"start_date": "1970-01-02"})
    assert found.status_code == 200 and len(found.json()) == 1


@pytest.mark.parametrize("value", EDGES[:2])
def test_a_date_answer_near_the_calendar_edge_is_refused_naming_the_question(
    api: Api, value: str
) -> None:
    api.clock.tick()
    citizen = api.client.post(
        "/api/v1/reports",
        json={
            "category": "flood",
            "description": "Banjir setinggi lutut",
            "lat": MONAS[0],
            "lon": MONAS[1],
            "answers": {"since": value},
        },
    )
    assert citizen.status_code == 422, citizen.text
    assert "'since' must lie between 1970-01-01 and 9000-01-01" in citizen.json()["detail"]
    open311 = api.client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": api.keys["staff"],
            "service_code": "flood",
            "lat": str(MONAS[0]),
            "long": str(MONAS[1]),
            "description": "Banjir setinggi lutut",
            "attribute[since]": value,
        },
    )
    assert open311.status_code == 400, open311.text
    assert "'since' must lie between 1970-01-01" in open311.json()[0]["description"]
