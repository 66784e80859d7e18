"""Refusals in plain words a person can act on: a bound as written (``0``, not ``0.0``), NaN as
"not a number", an empty box as empty, one code and one wording for a bad e-mail address."""

from __future__ import annotations

import pytest

from tests.api.conftest import MONAS, Api, email_on_every_door


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ("nan", "at_risk_hours must be a number"),
        ("inf", "at_risk_hours must be a number"),
        ("-1", "at_risk_hours must be more than 0"),
        ("0", "at_risk_hours must be more than 0"),
        ("5000", "at_risk_hours must be at most 2,160"),
    ],
)
def test_worklist_at_risk_hours_words(api: Api, value: str, detail: str) -> None:
    response = api.client.get(
        "/api/v1/tickets", params={"at_risk_hours": value}, headers=api.auth("staff")
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == detail
    assert response.json()["params"] == {"field": "at_risk_hours"}


def test_an_empty_description_must_not_be_empty(api: Api) -> None:
    body = {"category": "flood", "description": "", "lat": MONAS[0], "lon": MONAS[1]}
    response = api.client.post("/api/v1/reports", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == "description must not be empty"


_BAD_EMAIL = "email is not an e-mail address like name@example.org"


@pytest.mark.parametrize("address", ["nope", "a@b", "ani@", "ani@@example.org"])
def test_a_bad_email_has_one_code_and_one_wording_on_every_door(api: Api, address: str) -> None:
    answers = email_on_every_door(api, address)
    for response in answers:
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "not_an_email", response.text
        assert response.json()["detail"] == _BAD_EMAIL
        assert response.json()["params"] == {"field": "email"}
