"""Category questions over HTTP: Open311 service definitions (JSON and XML agree, read with a
real XML parser), answers as ``attribute[code]`` and in the citizen JSON/multipart body, refused
before anything is written, shown to staff."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import func, select

from engine.models import Category, Ticket
from tests.api.conftest import MONAS, Api
from tests.api.test_open311 import fetch, post
from tests.conftest import make_photo

FLOOD_ID = {
    "service_code": "flood",
    "attributes": [
        {
            "variable": True,
            "code": "water_depth",
            "datatype": "number",
            "required": False,
            "datatype_description": "sentimeter, kira-kira",
            "order": 1,
            "description": "Kedalaman air",
            "values": [],
        },
        {
            "variable": True,
            "code": "water_trend",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": "",
            "order": 2,
            "description": "Air sedang …",
            "values": [
                {"key": "rising", "name": "Naik"},
                {"key": "steady", "name": "Tetap"},
                {"key": "receding", "name": "Surut"},
            ],
        },
        {
            "variable": True,
            "code": "since",
            "datatype": "datetime",
            "required": False,
            "datatype_description": "",
            "order": 3,
            "description": "Sejak kapan tergenang?",
            "values": [],
        },
    ],
}


def tickets(api: Api) -> int:
    with api.transactions.read() as session:
        return session.scalar(select(func.count()).select_from(Ticket)) or 0


def answers(api: Api, code: str) -> list[tuple[str, Any, str]]:
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin"))
    assert detail.status_code == 200, detail.text
    return [(a["code"], a["value"], a["text_en"]) for a in detail.json()["answers"]]


def test_services_list_has_metadata_where_a_category_asks_questions(api: Api) -> None:
    services = {s["service_code"]: s["metadata"] for s in fetch(api, "services")}
    assert services["flood"] is True and services["broken_road"] is True
    assert services["traffic_jam"] is False


def test_service_definition_is_the_georeport_shape_in_json_and_xml(api: Api) -> None:
    assert fetch(api, "services/flood") == FLOOD_ID  # fetch checks XML == JSON too

    xml = ET.fromstring(api.client.get("/open311/v2/services/flood.xml").content)
    assert xml.tag == "service_definition"
    assert xml.findtext("service_code") == "flood"
    trend = xml.findall("attributes/attribute")[1]
    assert [child.tag for child in trend] == [
        "variable", "code", "datatype", "required", "datatype_description", "order",
        "description", "values",
    ]  # fmt: skip
    assert trend.findtext("variable") == "true" and trend.findtext("required") == "false"
    assert [(v.findtext("key"), v.findtext("name")) for v in trend.findall("values/value")] == [
        ("rising", "Naik"),
        ("steady", "Tetap"),
        ("receding", "Surut"),
    ]


def test_service_definition_in_english_by_locale_or_accept_language(api: Api) -> None:
    by_param = fetch(api, "services/broken_road", locale="en")
    by_header = api.client.get(
        "/open311/v2/services/broken_road.json", headers={"Accept-Language": "en-US,en;q=0.8"}
    ).json()
    assert by_param == by_header
    photo, hole, hazards = by_param["attributes"]
    assert photo["description"].startswith("A report of this kind needs at least one photo")
    assert hole["description"] == "How big is the hole?"
    assert hazards["datatype"] == "multivaluelist"
    assert hazards["values"][2] == {"key": "near_school", "name": "Near a school"}


def test_open311_post_with_attributes_stores_answers_shown_to_staff(api: Api) -> None:
    response = post(
        api,
        service_code="flood",
        **{
            "attribute[water_depth]": "40",
            "attribute[water_trend]": "rising",
            "attribute[since]": "2026-11-23T06:00:00+07:00",
        },
    )
    assert response.status_code == 201, response.text
    code = response.json()[0]["service_request_id"]
    assert answers(api, code) == [
        ("water_depth", 40.0, "40"),
        ("water_trend", "rising", "Rising"),
        ("since", "2026-11-22T23:00:00+00:00", "2026-11-22T23:00:00+00:00"),
    ]


def test_open311_multivaluelist_as_repeated_attribute(api: Api) -> None:
    api.clock.tick()
    response = api.client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": api.keys["staff"],
            "service_code": "broken_road",
            "lat": str(MONAS[0]),
            "long": str(MONAS[1]),
            "description": "Lubang besar",
            "attribute[hole_size]": "large",
            "attribute[hazards][]": ["near_school", "water_filled"],
        },
        files=[("media[]", ("a.jpg", make_photo(), "image/jpeg"))],
    )
    assert response.status_code == 201, response.text
    code = response.json()[0]["service_request_id"]
    assert answers(api, code) == [
        ("hole_size", "large", "Large (> 100 cm)"),
        ("hazards", ["near_school", "water_filled"], "Near a school, Filled with water"),
    ]


def test_open311_bad_answers_are_the_spec_error_and_write_nothing(api: Api) -> None:
    before = tickets(api)
    cases = {
        "attribute[water_depth]": ("deep", "answer to 'water_depth' must be a number"),
        "attribute[water_trend]": ("flying", "must be one of rising, steady, receding"),
        "attribute[colour]": ("red", "no question 'colour' for this category"),
    }
    for key, (value, words) in cases.items():
        for fmt in ("json", "xml"):
            response = post(api, fmt, service_code="flood", **{key: value})
            assert response.status_code == 400, response.text
            if fmt == "json":
                (error,) = response.json()
                description = error["description"]
            else:
                description = ET.fromstring(response.content).findtext("error/description")
            assert words in (description or "")
    assert tickets(api) == before


def test_required_question_unanswered_is_refused_on_every_door(api: Api) -> None:
    with api.transactions.write() as session:
        flood = session.scalars(select(Category).where(Category.code == "flood")).one()
        flood.questions = [{**(flood.questions or [])[0], "required": True}]
    before = tickets(api)

    body = {"category": "flood", "description": "Banjir", "lat": MONAS[0], "lon": MONAS[1]}
    citizen = api.client.post("/api/v1/reports", json=body)
    assert citizen.status_code == 422
    assert "answer to 'water_depth' is required" in citizen.json()["detail"]
    assert post(api, service_code="flood").status_code == 400
    assert fetch(api, "services/flood")["attributes"][0]["required"] is True
    assert tickets(api) == before

    created = api.submit(**body, answers={"water_depth": 25})
    assert answers(api, created["code"]) == [("water_depth", 25.0, "25")]


def test_citizen_answers_in_json_and_multipart(api: Api) -> None:
    as_json = api.submit(category="flood", answers={"water_depth": 12.5, "water_trend": "steady"})
    assert answers(api, as_json["code"]) == [
        ("water_depth", 12.5, "12.5"),
        ("water_trend", "steady", "Steady"),
    ]
    api.clock.tick()
    multipart = api.client.post(
        "/api/v1/reports",
        data={
            "category": "broken_road",
            "description": "Jalan berlubang",
            "lat": str(MONAS[0]),
            "lon": str(MONAS[1]),
            "answers[hole_size]": "medium",
            "answers[hazards][]": ["motorbikes_fall", "near_school"],
        },
        files=[("photos", ("a.jpg", make_photo(), "image/jpeg"))],
    )
    assert multipart.status_code == 201, multipart.text
    assert answers(api, multipart.json()["code"]) == [
        ("hole_size", "medium", "Medium (30–100 cm)"),
        ("hazards", ["motorbikes_fall", "near_school"], "Motorbikes fall, Near a school"),
    ]
    wrong = api.client.post("/api/v1/reports", json={**_flood(), "answers": {"water_depth": "x"}})
    assert wrong.status_code == 422
    assert "answer to 'water_depth' must be a number" in wrong.json()["detail"]


def _flood() -> dict[str, Any]:
    return {"category": "flood", "description": "Banjir", "lat": MONAS[0], "lon": MONAS[1]}


#: Makes httpx send a multipart body (``data`` alone goes urlencoded).
_PHOTO = [("photos", ("a.jpg", make_photo(), "image/jpeg"))]


@pytest.mark.parametrize(
    ("key", "detail", "field"),
    [
        ("answers[]", "answers[] is not an answer: send each as answers[question_code]", "answers"),
        (
            "answers[water_depth][x]",
            "answers[water_depth][x] is not an answer: send each as answers[question_code]",
            "answers",
        ),
        ("description[]", "description[] is not a field of this request", "description"),
    ],
)
def test_multipart_brackets_naming_no_answer_are_refused_naming_the_field(
    api: Api, key: str, detail: str, field: str
) -> None:
    form = {k: str(v) for k, v in _flood().items()}
    refused = api.client.post("/api/v1/reports", data={**form, key: "40"}, files=_PHOTO)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == detail
    assert refused.json()["params"] == {"field": field}
    assert refused.json()["errors"][0]["loc"] == ["body", field]


def test_multipart_answers_as_a_value_and_a_mapping_is_refused_naming_answers(api: Api) -> None:
    form = {**{k: str(v) for k, v in _flood().items()}, "answers": "40", "answers[x]": "1"}
    refused = api.client.post("/api/v1/reports", data=form, files=_PHOTO)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == "answers is given both as a value and as answers[…]"
    assert refused.json()["params"] == {"field": "answers"}


@pytest.mark.parametrize("key", ["attribute[]", "attribute[water_depth][x]"])
def test_open311_brackets_naming_no_attribute_are_refused(api: Api, key: str) -> None:
    before = tickets(api)
    response = post(api, service_code="flood", **{key: "40"})
    assert response.status_code == 400, response.text
    (error,) = response.json()
    assert error["description"] == f"'{key}' is not an attribute: send each as attribute[code]"
    assert tickets(api) == before


_NOT_A_NUMBER = "answer to 'water_depth' must be a number between 0 and 1,000"


@pytest.mark.parametrize("depth", ["40", ["40"], "4_0", "\u0664\u0660", " 40 ", True])
def test_json_number_answer_must_be_a_json_number(api: Api, depth: Any) -> None:
    before = tickets(api)
    response = api.client.post(
        "/api/v1/reports", json={**_flood(), "answers": {"water_depth": depth}}
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == _NOT_A_NUMBER
    assert response.json()["params"]["field"] == "answers"
    assert tickets(api) == before


@pytest.mark.parametrize("depth", ["4_0", "\u0664\u0660", "\uff14\uff10"])
def test_form_number_answer_is_plain_ascii(api: Api, depth: str) -> None:
    form = {**{k: str(v) for k, v in _flood().items()}, "answers[water_depth]": depth}
    response = api.client.post("/api/v1/reports", data=form, files=_PHOTO)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == _NOT_A_NUMBER
    open311 = post(api, service_code="flood", **{"attribute[water_depth]": depth})
    assert open311.status_code == 400
    assert open311.json()[0]["description"] == _NOT_A_NUMBER


def test_form_number_answer_as_plain_text_is_taken(api: Api) -> None:
    form = {**{k: str(v) for k, v in _flood().items()}, "answers[water_depth]": " 40 "}
    response = api.client.post("/api/v1/reports", data=form, files=_PHOTO)
    assert response.status_code == 201, response.text
    assert answers(api, response.json()["code"]) == [("water_depth", 40.0, "40")]


@pytest.mark.parametrize(
    ("field", "value"), [("lat", "-6_1"), ("lat", "-\u0666"), ("lon", "1_06.8")]
)
def test_form_coordinates_are_plain_ascii_numbers(api: Api, field: str, value: str) -> None:
    form = {**{k: str(v) for k, v in _flood().items()}, field: value}
    response = api.client.post("/api/v1/reports", data=form, files=_PHOTO)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == f"{field} must be a number"
    assert response.json()["params"] == {"field": field}
    long_name = {"lat": "lat", "lon": "long"}[field]
    open311 = post(api, **{long_name: value})
    assert open311.status_code == 400, open311.text
    assert open311.json()[0]["description"].startswith(f"{long_name} must be a number")


@pytest.mark.parametrize("door", ["json", "open311"])
def test_a_time_answer_in_the_future_is_refused(api: Api, door: str) -> None:
    before = tickets(api)
    since = "2999-11-30T00:00:00+07:00"
    if door == "json":
        response = api.client.post(
            "/api/v1/reports", json={**_flood(), "answers": {"since": since}}
        )
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
    else:
        response = post(api, service_code="flood", **{"attribute[since]": since})
        assert response.status_code == 400, response.text
        detail = response.json()[0]["description"]
    assert detail == "answer to 'since' lies in the future: give when it happened"
    assert tickets(api) == before
