"""Every date parameter near the calendar's edges is the caller's mistake, named, never a 500."""

from __future__ import annotations

from typing import Any

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


#: Numbers a parser may read as Unix seconds (pydantic does): 20261101 was 1970-08-23T12:05:01Z.
NUMBERS = ["20261101", "2026", "1733011200", "1733011200.5", "-5", "+123", "1e9"]


@pytest.mark.parametrize("value", NUMBERS)
@pytest.mark.parametrize(("path", "name", "who"), JSON_API)
def test_api_refuses_a_number_for_an_instant_as_one_without_offset(
    api: Api, path: str, name: str, who: str | None, value: str
) -> None:
    headers = api.auth(who) if who else {}
    number = api.client.get(path, params={name: value}, headers=headers)
    naive = api.client.get(path, params={name: "2026-11-01"}, headers=headers)
    assert number.status_code == naive.status_code == 422, number.text
    assert number.json()["detail"] == (
        f"{name} needs a time zone offset, e.g. 2026-11-23T09:00:00+07:00"
    )
    assert number.json() == naive.json()  # the same refusal: words, code and field alike


def _takes_an_instant(schema: object, schemas: dict[str, Any], seen: set[str]) -> bool:
    """Whether an OpenAPI schema, its references followed, holds a date-time anywhere."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[-1]
            if name in seen:
                return False
            seen.add(name)
            return _takes_an_instant(schemas[name], schemas, seen)
        return schema.get("format") == "date-time" or any(
            _takes_an_instant(v, schemas, seen) for v in schema.values()
        )
    if isinstance(schema, list):
        return any(_takes_an_instant(v, schemas, seen) for v in schema)
    return False


def test_every_instant_the_api_takes_refuses_a_number(api: Api) -> None:
    """The list above is every date-time the JSON API takes, in a query or a body: a new one
    must join it (and carry ``api.query.INSTANT``)."""
    spec = api.client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    parameters, bodies = set(), set()
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            for parameter in operation.get("parameters", []):
                if _takes_an_instant(parameter.get("schema"), schemas, set()):
                    parameters.add((path, parameter["name"]))
            if _takes_an_instant(operation.get("requestBody"), schemas, set()):
                bodies.add((method, path))
    assert parameters == {(path, name) for path, name, _ in JSON_API}
    assert bodies == set()  # no body takes an instant (a question's answer is text: below)
    for path, name, who in JSON_API:
        headers = api.auth(who) if who else {}
        refused = api.client.get(path, params={name: "20261101"}, headers=headers)
        assert refused.status_code == 422, (path, name, refused.text)
        assert refused.json()["detail"].startswith(f"{name} needs a time zone offset")


@pytest.mark.parametrize("value", [20261101, "20261101", 1733011200, "1733011200"])
def test_a_number_for_a_date_answer_is_never_unix_seconds(api: Api, value: object) -> None:
    """A question's date-and-time answer in a JSON body: a number is refused naming the
    question, never read as seconds since 1970."""
    response = api.client.post(
        "/api/v1/reports",
        json={
            "category": "flood",
            "description": "Banjir setinggi lutut",
            "lat": MONAS[0],
            "lon": MONAS[1],
            "answers": {"since": value},
        },
    )
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail.startswith("answer to 'since' ")
    assert "time zone offset" in detail or "must be a date and time" in detail


@pytest.mark.parametrize("value", ["20261201", "2026", "1733011200"])
@pytest.mark.parametrize(("resource", "name"), OPEN311)
def test_open311_refuses_a_number_for_a_date(
    api: Api, resource: str, name: str, value: str
) -> None:
    response = api.client.get(f"/open311/v2/{resource}.json", params={name: value})
    assert response.status_code == 400, response.text
    (error,) = response.json()
    assert error["description"].startswith(f"{name} ")
    assert "offset" in error["description"] or "W3C date" in error["description"]
