"""A query parameter a route of our JSON API does not take is refused, naming it and the ones
it takes, never answered as if it had not been sent; Open311 answers its clients' extras."""

from __future__ import annotations

import csv
import io
import re

import pytest

from api.app import create_app
from api.deps import Transactions
from engine.settings import Settings
from engine.staff import add_staff
from tests.api.conftest import Api


def _never() -> None:
    raise AssertionError("the OpenAPI document needs no database")


#: Every operation of our own JSON API (``/api/v1``), read from the schema.
JSON_API = [
    (method.upper(), path)
    for path, methods in create_app(Settings(), transactions=Transactions(_never, _never))
    .openapi()["paths"]
    .items()
    for method in methods
    if path.startswith("/api/")
]

WORKLIST_TAKES = "agency, area, at_risk_hours, category, cursor, limit, officer, overdue, state"


def test_a_typo_in_a_worklist_filter_is_refused_naming_it(api: Api) -> None:
    api.submit()
    for path in ("/api/v1/tickets", "/api/v1/tickets.csv"):
        response = api.client.get(path, params={"overdu": "true"}, headers=api.auth("admin"))
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["code"] == "unknown_parameter"
        assert body["detail"] == (
            f"overdu is not a query parameter of GET {path}; it takes {WORKLIST_TAKES}"
        )
        assert body["params"]["field"] == "overdu"
        assert body["params"]["known"] == WORKLIST_TAKES.split(", ")
    # the words it meant still answer
    meant = api.client.get("/api/v1/tickets?overdue=true", headers=api.auth("admin"))
    assert meant.status_code == 200, meant.text


def test_several_unknown_parameters_are_all_named(api: Api) -> None:
    response = api.client.get("/api/v1/reports?sort=new&page=2&limit=5")
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"] == (
        "sort, page are not query parameters of GET /api/v1/reports; "
        "it takes bbox, category, cursor, limit, since, state"
    )
    assert body["params"]["unknown"] == ["sort", "page"]


@pytest.mark.parametrize(("method", "path"), JSON_API, ids=[f"{m} {p}" for m, p in JSON_API])
def test_every_json_api_route_refuses_a_parameter_it_does_not_take(
    api: Api, method: str, path: str
) -> None:
    code = api.submit()["code"]
    url = re.sub(r"\{[^}]+\}", code, path)
    response = api.client.request(
        method, url, params={"bogus": "1"}, headers=api.auth("admin"), json={}
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "unknown_parameter"
    assert body["detail"].startswith(f"bogus is not a query parameter of {method} {path}; ")
    assert body["params"]["field"] == "bogus"


def test_a_post_with_an_unknown_parameter_writes_nothing(api: Api) -> None:
    """``POST /api/v1/reports?private=true``: the report is not filed in public instead."""
    before = api.client.get("/api/v1/reports").json()["items"]
    response = api.client.post(
        "/api/v1/reports?private=true",
        json={
            "category": "traffic_jam",
            "description": "Macet total di depan Monas sejak pagi",
            "lat": -6.1754,
            "lon": 106.8272,
        },
    )
    assert response.status_code == 422, response.text
    assert response.json()["params"]["field"] == "private"
    assert api.client.get("/api/v1/reports").json()["items"] == before


def test_a_control_character_in_an_unknown_name_is_not_echoed(api: Api) -> None:
    response = api.client.get("/api/v1/reports", params={"x\x1b[31m": "1"})
    assert response.status_code == 422, response.text
    assert "\x1b" not in response.text
    assert response.json()["params"]["field"] == "x?[31m"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_answers_parameters_of_its_clients(api: Api, fmt: str) -> None:
    """GeoReport v2 clients (FixMyStreet among them) send ``jurisdiction_id``, an ``api_key``
    on a GET and extensions of their own: the spec's service answers them."""
    code = api.submit()["code"]
    extras = {"jurisdiction_id": "jakarta.go.id", "api_key": "x", "fms_extra": "1"}
    for path in ("services", "requests", f"requests/{code}", "servicerequestupdates"):
        response = api.client.get(f"/open311/v2/{path}.{fmt}", params=extras)
        assert response.status_code == 200, (path, response.text)


def test_the_worklist_filters_by_officer(api: Api) -> None:
    with api.transactions.write() as session:
        add_staff(
            session,
            email="budi@dishub.example",
            name="Budi Santoso",
            role="staff",
            agency="DISHUB",
            now=api.clock.now,
        )
    theirs = api.submit()["code"]
    other = api.submit()["code"]
    api.drive(other, "verify")
    assert api.act(theirs, "verify", "admin").status_code == 200
    assigned = api.act(theirs, "assign", "admin", officer="budi@dishub.example")
    assert assigned.status_code == 200, assigned.text

    admin = api.auth("admin")
    everyone = api.client.get("/api/v1/tickets", headers=admin).json()["items"]
    assert {t["code"] for t in everyone} >= {theirs, other}
    found = api.client.get(
        "/api/v1/tickets", params={"officer": "Budi@Dishub.example"}, headers=admin
    )
    assert found.status_code == 200, found.text
    assert [(t["code"], t["officer"]) for t in found.json()["items"]] == [(theirs, "Budi Santoso")]
    table = api.client.get(
        "/api/v1/tickets.csv", params={"officer": "budi@dishub.example"}, headers=admin
    )
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [(r["code"], r["officer"]) for r in rows] == [(theirs, "Budi Santoso")]

    nobody = api.client.get(
        "/api/v1/tickets", params={"officer": "nobody@dishub.example"}, headers=admin
    )
    assert nobody.status_code == 404, nobody.text
    assert nobody.json()["detail"] == "no staff member 'nobody@dishub.example'"


def test_a_parameter_with_no_name_is_said_so_and_a_stray_equals_sign_is_nothing(
    api: Api,
) -> None:
    """A tester's report: ``?=`` was refused as `` is not a query parameter …``, naming
    nothing, from a space."""
    assert api.client.get("/api/v1/reports?=").status_code == 200
    assert api.client.get("/api/v1/reports?=&state=").status_code == 200
    refused = api.client.get("/api/v1/reports?=macet")
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith(
        "a value with no parameter name is not a query parameter of GET /api/v1/reports; it takes"
    )


@pytest.mark.parametrize(
    "query",
    ["limit=", "since=", "since=%20", "overdue=", "at_risk_hours=", "state=", "category=", "bbox="],
)
def test_a_blank_parameter_is_absent_on_every_route(api: Api, query: str) -> None:
    """A tester's report: ``?state=`` and ``?category=`` were absent but ``?limit=``,
    ``?since=``, ``?overdue=`` and ``?at_risk_hours=`` were 422s. Blank is absent on every
    route, as Open311's rule says: the same answer as without it."""
    staff = api.auth("staff")
    api.submit()
    for path, headers in [("/api/v1/reports", {}), ("/api/v1/tickets", staff)]:
        name = query.split("=")[0]
        if path.endswith("reports") and name in ("overdue", "at_risk_hours"):
            continue  # not a parameter of the public list
        if path.endswith("tickets") and name == "bbox":
            continue
        blank = api.client.get(f"{path}?{query}", headers=headers)
        without = api.client.get(path, headers=headers)
        assert blank.status_code == 200, (path, blank.text)
        assert blank.json() == without.json(), path
