"""A date and time a caller gives is W3C's (YYYY-MM-DDThh:mm[:ss[.s]] with Z or ±hh:mm): the
other ISO 8601 forms a parser reads (basic format, hours alone, +0700, week dates) are refused,
saying which form is expected, on Open311, our JSON API and a question's answer alike."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.api.conftest import MONAS, Api
from tests.api.test_instants import JSON_API, OPEN311

#: Not W3C, though Python's ``fromisoformat`` (and pydantic) read most of them.
NOT_W3C = [
    "20261130T090000Z",  # ISO 8601 basic format
    "2026-11-30T09Z",  # hours alone
    "2026-11-30T09:00:00+0700",  # offset without its colon
    "2026-11-30T09:00:00+07",  # offset in hours alone
    "2026-W48-2",  # a week date
    "2026-334",  # an ordinal date
    "2026-11-30 09:00:00+07:00",  # a space for T
    "2026-11-30t09:00:00z",  # lower case
    "\uff12\uff10\uff12\uff16-11-30T09:00:00Z",  # digits that are not ASCII (fullwidth)
]
FORM = "YYYY-MM-DDThh:mm[:ss[.s]] with Z or an offset ±hh:mm (e.g. 2026-11-23T09:00:00+07:00)"

#: W3C's forms, each taken.
W3C = [
    "2026-11-01T09:00Z",
    "2026-11-01T09:00:00+07:00",
    "2026-11-01T09:00:00.5-03:30",
    "2026-11-01T09:00:00.123456789Z",
]


@pytest.mark.parametrize("value", NOT_W3C)
@pytest.mark.parametrize(("resource", "name"), OPEN311)
def test_open311_refuses_a_date_in_no_w3c_form_saying_the_form(
    api: Api, resource: str, name: str, value: str
) -> None:
    response = api.client.get(f"/open311/v2/{resource}.json", params={name: value})
    assert response.status_code == 400, response.text
    assert response.json() == [
        {
            "code": 400,
            "description": f"{name} must be a W3C date: a date and time, {FORM}, or a day, "
            "YYYY-MM-DD",
        }
    ]


@pytest.mark.parametrize("value", [*W3C, "2026-11-01"])
@pytest.mark.parametrize(("resource", "name"), OPEN311)
def test_open311_takes_every_w3c_form(api: Api, resource: str, name: str, value: str) -> None:
    response = api.client.get(f"/open311/v2/{resource}.json", params={name: value})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("value", NOT_W3C)
@pytest.mark.parametrize(("path", "name", "who"), JSON_API)
def test_api_refuses_an_instant_in_no_w3c_form_saying_the_form(
    api: Api, path: str, name: str, who: str | None, value: str
) -> None:
    headers = api.auth(who) if who else {}
    response = api.client.get(path, params={name: value}, headers=headers)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"] == f"{name} must be a date and time in W3C form, {FORM}"
    assert body["code"] == "invalid_date"
    assert body["params"]["field"] == name


@pytest.mark.parametrize("value", W3C)
@pytest.mark.parametrize(("path", "name", "who"), JSON_API)
def test_api_takes_every_w3c_form(
    api: Api, path: str, name: str, who: str | None, value: str
) -> None:
    headers = api.auth(who) if who else {}
    response = api.client.get(path, params={name: value}, headers=headers)
    assert response.status_code == 200, response.text


def test_the_w3c_instant_read_is_the_one_meant(api: Api) -> None:
    """``…T09:00Z`` and ``…T16:00+07:00`` are one instant: a report changed in between is
    listed after the one and not after the other."""
    api.clock.now = api.clock.now.replace(year=2026, month=11, day=30, hour=8, minute=0)
    code = api.submit()["code"]  # 08:05Z
    for since, listed in (("2026-11-30T08:00Z", True), ("2026-11-30T15:10+07:00", False)):
        items = api.client.get("/api/v1/reports", params={"since": since}).json()["items"]
        assert (code in {i["code"] for i in items}) is listed, since


@pytest.mark.parametrize("value", ["2026-11-30T09:00:00+0700", "2026-W48-2", "20261130T0900Z"])
def test_a_date_answer_in_no_w3c_form_is_refused_naming_the_question(api: Api, value: str) -> None:
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
    assert (
        citizen.json()["detail"] == f"answer to 'since' must be a date and time in W3C form, {FORM}"
    )
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
    assert open311.json()[0]["description"] == (
        f"answer to 'since' must be a date and time in W3C form, {FORM}"
    )


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("2026-02-30T00:00:00Z", "February 2026 has 28 days"),
        ("2026-04-31T09:00:00+07:00", "April 2026 has 30 days"),
        ("2026-13-01T00:00Z", "there is no month 13"),
        ("2026-11-30T24:00Z", "hours run from 00 to 23"),
        ("2026-11-30T09:00:00+24:00", "an offset runs from -23:59 to +23:59"),  # a day ahead
    ],
)
def test_a_date_in_w3c_form_that_is_no_real_day_says_why(api: Api, given: str, reason: str) -> None:
    """A tester's report: ``since=2026-02-30T00:00:00Z`` was told the W3C form, which it has;
    the day is what does not exist."""
    response = api.client.get("/api/v1/reports", params={"since": given})
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == f"since names no real day or time: {reason}"


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("2026-02-29", "February 2026 has 28 days"),
        ("2026-11-31T09:00Z", "November 2026 has 30 days"),
    ],
)
def test_an_open311_date_that_is_no_real_day_says_why(
    api: Api, fmt: str, given: str, reason: str
) -> None:
    response = api.client.get(f"/open311/v2/requests.{fmt}", params={"start_date": given})
    assert response.status_code == 400, response.text
    words = f"start_date names no real day or time: {reason}"
    if fmt == "json":
        assert response.json() == [{"code": 400, "description": words}]
    else:
        assert ET.fromstring(response.content).find("error/description").text == words  # type: ignore[union-attr]
