"""Input faults closed as a kind, each asserted as the response a client reads: number query
parameters only as plain ASCII decimals, multipart text only as UTF-8, a JSON key given twice
named by its path, a list or object answered to a number question, a lone surrogate in a key."""

from __future__ import annotations

import pytest

from tests.api.conftest import MONAS, Api

ARABIC_TEN = "\u0661\u0660"  # ١٠: int() and float() read it as 10


@pytest.mark.parametrize(
    ("path", "query", "who", "field", "detail"),
    [
        ("/api/v1/reports", "limit=1_0", None, "limit", "limit must be a whole number"),
        ("/api/v1/reports", f"limit={ARABIC_TEN}", None, "limit", "limit must be a whole number"),
        ("/api/v1/reports.geojson", "limit=2_0", None, "limit", "limit must be a whole number"),
        ("/api/v1/reports", "bbox=106.8,-6.2,106_9,-6.1", None, "bbox",
         "bbox is min_lon,min_lat,max_lon,max_lat"),
        ("/api/v1/reports", f"bbox=106.8,-6.2,106.9,-6.{ARABIC_TEN}", None, "bbox",
         "bbox is min_lon,min_lat,max_lon,max_lat"),
        ("/api/v1/tickets", "limit=1_0", "staff", "limit", "limit must be a whole number"),
        ("/api/v1/tickets", "at_risk_hours=1_0", "staff", "at_risk_hours",
         "at_risk_hours must be a number"),
        ("/api/v1/tickets", f"at_risk_hours={ARABIC_TEN}", "staff", "at_risk_hours",
         "at_risk_hours must be a number"),
        ("/api/v1/dashboard/tickets", "limit=1_0", "supervisor", "limit",
         "limit must be a whole number"),
        ("/api/v1/places", "q=Gambir&limit=1_0", None, "limit", "limit must be a whole number"),
        ("/api/v1/areas/outlines",
         "min_lon=106_8&min_lat=-6.2&max_lon=106.9&max_lat=-6.1", None, "min_lon",
         "min_lon must be a number"),
        ("/api/v1/areas/outlines",
         f"min_lon=106.8&min_lat=-6.2&max_lon=106.9&max_lat=-6.1&zoom={ARABIC_TEN}", None,
         "zoom", "zoom must be a whole number"),
    ],
)  # fmt: skip
def test_a_number_query_parameter_that_is_not_plain_ascii_is_refused_naming_it(
    api: Api, path: str, query: str, who: str | None, field: str, detail: str
) -> None:
    """``int()`` and ``float()`` read ``1_0`` as 10 and Arabic-Indic digits as theirs: the
    caller was answered for a number they did not type (``min_lon=106_8`` is 1068)."""
    headers = api.auth(who) if who else {}
    response = api.client.get(f"{path}?{query}", headers=headers)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert (problem["code"], problem["detail"]) == ("invalid_request", detail)
    assert problem["params"] == {"field": field}


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("page=1_0", "page must be a number between 1 and 1,000,000"),
        (f"page_size={ARABIC_TEN}", "page_size must be a number between 1 and 1,000"),
        ("lat=-6_1&long=106.8", "lat must be a number between -90 and 90"),
        (
            f"lat=-6.1&long=106.8&radius={ARABIC_TEN}0",
            "radius must be a number between 1 and 100,000",
        ),
    ],
)
def test_an_open311_number_parameter_that_is_not_plain_ascii_is_its_400(
    api: Api, query: str, detail: str
) -> None:
    response = api.client.get(f"/open311/v2/requests.json?{query}")
    assert response.status_code == 400, response.text
    assert response.json() == [{"code": 400, "description": detail}]


def _json(api: Api, path: str, body: str, who: str | None = None) -> dict[str, object]:
    headers = {"Content-Type": "application/json", **(api.auth(who) if who else {})}
    response = api.client.post(path, content=body, headers=headers)
    assert response.status_code == 422, response.text
    problem: dict[str, object] = response.json()
    return problem


_FLOOD = (
    '"category": "flood", "description": "Banjir di depan Monas", "lat": -6.1754, "lon": 106.8272'
)


@pytest.mark.parametrize(
    ("path", "body", "who", "field", "position"),
    [
        ("/api/v1/reports", '{' + _FLOOD + ', "\\ud800": 1}', None, "a field name", 1),
        ("/api/v1/reports", '{' + _FLOOD + ', "answers": {"ab\\udc00": 1}}', None,
         "a key in answers", 3),
        ("/api/v1/tickets", '{' + _FLOOD + ', "x\\ud800": 1}', "staff", "a field name", 2),
        ("/api/v1/tickets/{code}/transitions",
         '{"trigger": "verify", "expected_version": 1, "\\ud800": 1}', "staff", "a field name", 1),
        ("/api/v1/reports/{code}/supporters", '{"\\udc00": "a@warga.example"}', None,
         "a field name", 1),
    ],
)  # fmt: skip
def test_a_lone_surrogate_in_a_json_key_is_broken_text_naming_the_place(
    api: Api, path: str, body: str, who: str | None, field: str, position: int
) -> None:
    """It read "the request is not valid JSON", though the same escape in a value is refused
    as broken text: a JSON parser reads it, it is only not text."""
    code = api.submit()["code"]
    problem = _json(api, path.format(code=code), body, who)
    assert problem["code"] == "broken_text"
    assert problem["detail"] == f"{field} is not valid text (broken encoding at {position})"
    assert problem["params"] == {"field": field, "position": position}
    # the same escape in a value: the same refusal, naming the field
    value = _json(api, "/api/v1/reports", "{" + _FLOOD.replace("Banjir", "\\ud800") + "}")
    assert (value["code"], value["params"]) == (
        "broken_text",
        {"field": "description", "position": 1},
    )
