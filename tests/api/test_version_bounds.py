"""An expected version no ticket can have (a tester's report: ``1e308`` was taken as a whole
number and echoed back in a 409 as 309 digits; so were ``10**30`` and an If-Match of 38 nines)
is refused as a version, on every door that takes one, before anything is read or written."""

from __future__ import annotations

import pytest

from engine.db import VERSION_MAX
from tests.api.conftest import Api

TOO_LARGE = [b"1e308", b"1" + b"0" * 30, str(VERSION_MAX + 1).encode()]


@pytest.mark.parametrize("number", TOO_LARGE)
@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("comments", b'{"text": "masih macet", "expected_version": %s}'),
        ("dispute", b'{"reason": "belum beres", "expected_version": %s}'),
        ("rating", b'{"rating": 4, "expected_version": %s}'),
    ],
)
def test_a_reporters_version_no_ticket_can_have_is_a_422(
    api: Api, route: str, body: bytes, number: bytes
) -> None:
    code = api.submit()["code"]
    response = api.client.post(
        f"/api/v1/reports/{code}/{route}",
        content=body % number,
        headers={"Content-Type": "application/json", "X-Reporter-Token": api.tokens[code]},
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["params"]["field"] == "expected_version", problem
    assert len(response.content) < 1000 and "0000000000" not in problem["detail"], problem


@pytest.mark.parametrize("number", TOO_LARGE)
def test_a_staff_version_no_ticket_can_have_is_a_422(api: Api, number: bytes) -> None:
    code = api.submit()["code"]
    response = api.client.post(
        f"/api/v1/tickets/{code}/transitions",
        content=b'{"trigger": "verify", "expected_version": %s}' % number,
        headers={"Content-Type": "application/json", **api.auth("staff")},
    )
    assert response.status_code == 422, response.text
    assert response.json()["params"]["field"] == "expected_version", response.text


def test_an_if_match_no_ticket_can_have_is_a_422_naming_it(api: Api) -> None:
    code = api.submit()["code"]
    response = api.client.post(
        f"/api/v1/tickets/{code}/transitions",
        json={"trigger": "verify"},
        headers={"If-Match": '"v' + "9" * 38 + '"', **api.auth("staff")},
    )
    assert response.status_code == 422, response.text
    assert response.json()["params"]["field"] == "If-Match", response.text
    assert response.json()["detail"] == (
        f"If-Match names no version a ticket can have (at most v{VERSION_MAX})"
    )
    # The largest a ticket can have is only stale: a 409 that says where the ticket stands.
    stale = api.client.post(
        f"/api/v1/tickets/{code}/transitions",
        json={"trigger": "verify"},
        headers={"If-Match": f'"v{VERSION_MAX}"', **api.auth("staff")},
    )
    assert (stale.status_code, stale.json()["version"]) == (409, 1), stale.text
