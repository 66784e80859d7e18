"""Input faults closed as a kind, each asserted as the response a client reads: number query
parameters only as plain ASCII decimals, multipart text only as UTF-8, a JSON key given twice
named by its path, a list or object answered to a number question, a lone surrogate in a key."""

from __future__ import annotations

import pytest

from tests.api.conftest import MONAS, Api

ARABIC_TEN = "\u0661\u0660"  # Arabic-Indic 10: int() and float() read it as 10

#: What the engine adds to "broken encoding at N" (``engine.text``).
BROKEN_MARK = ": U+FFFD, the mark a decoder leaves where bytes were not UTF-8)"


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
    assert (
        problem["detail"]
        == f"{field} is not valid text (broken encoding at {position}" + BROKEN_MARK
    )
    assert problem["params"] == {"field": field, "position": position}
    # the same escape in a value: the same refusal, naming the field
    value = _json(api, "/api/v1/reports", "{" + _FLOOD.replace("Banjir", "\\ud800") + "}")
    assert (value["code"], value["params"]) == (
        "broken_text",
        {"field": "description", "position": 1},
    )


def _multipart(parts: list[tuple[bytes, bytes]], charset: str = "") -> tuple[bytes, str]:
    """A multipart body written byte by byte: (name, value) parts, as a client sends them."""
    boundary = b"tanggap-boundary"
    body = b""
    for name, value in parts:
        body += b"--" + boundary + b'\r\nContent-Disposition: form-data; name="' + name + b'"'
        body += b"\r\n\r\n" + value + b"\r\n"
    body += b"--" + boundary + b"--\r\n"
    return body, f"multipart/form-data; boundary={boundary.decode()}{charset}"


_REPORT_PARTS = [
    (b"category", b"flood"),
    (b"description", b"Banjir di depan Monas"),
    (b"lat", str(MONAS[0]).encode()),
    (b"lon", str(MONAS[1]).encode()),
]
LATIN1_CAFE = "café".encode("latin-1")  # b"caf\xe9": not UTF-8


def _with(parts: list[tuple[bytes, bytes]], name: bytes, value: bytes) -> list[tuple[bytes, bytes]]:
    return [p for p in parts if p[0] != name] + [(name, value)]


@pytest.mark.parametrize(
    ("name", "value", "field", "position"),
    [
        (b"description", b"Banjir di " + LATIN1_CAFE, "description", 14),
        (b"address", LATIN1_CAFE + b" Monas", "address", 4),
        (b"name", b"Siti " + LATIN1_CAFE, "name", 9),
        (b"category", b"flood\xff", "category", 6),
        (b"lat", b"-6.17\xb5", "lat", 6),
        (b"answers[water_trend]", b"rising\xe9", "answers[water_trend]", 7),
        (b"caf\xe9", b"x", "a field name", 4),
    ],
)
@pytest.mark.parametrize("charset", ["", "; charset=iso-8859-1"])
def test_report_multipart_text_that_is_not_utf8_is_broken_text_naming_the_field(
    api: Api, name: bytes, value: bytes, field: str, position: int, charset: str
) -> None:
    """Starlette decoded such a part as Latin-1 (or as the charset the request claimed): the
    report was stored with "cafÃ©"-like damage, or with words the sender's system never meant."""
    before = api.client.get("/api/v1/reports").json()
    body, content_type = _multipart(_with(_REPORT_PARTS, name, value), charset)
    response = api.client.post(
        "/api/v1/reports", content=body, headers={"Content-Type": content_type}
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "broken_text"
    assert (
        problem["detail"]
        == f"{field} is not valid text (broken encoding at {position}" + BROKEN_MARK
    )
    assert problem["params"] == {"field": field, "position": position}
    assert api.client.get("/api/v1/reports").json() == before


def test_utf8_multipart_text_is_still_taken_as_sent(api: Api) -> None:
    body, content_type = _multipart(_with(_REPORT_PARTS, b"address", "Jl. Café".encode()))
    response = api.client.post(
        "/api/v1/reports", content=body, headers={"Content-Type": content_type}
    )
    assert response.status_code == 201, response.text
    code = response.json()["code"]
    assert api.client.get(f"/api/v1/reports/{code}").json()["address"] == "Jl. Café"


def test_comment_and_transition_multipart_not_utf8_are_broken_text(api: Api) -> None:
    code = api.submit()["code"]
    before = api.client.get(f"/api/v1/reports/{code}").json()
    body, content_type = _multipart([(b"text", b"masih " + LATIN1_CAFE)])
    headers = {"Content-Type": content_type, "X-Reporter-Token": api.tokens[code]}
    response = api.client.post(f"/api/v1/reports/{code}/comments", content=body, headers=headers)
    assert response.status_code == 422, response.text
    assert (
        response.json()["detail"] == "text is not valid text (broken encoding at 10" + BROKEN_MARK
    )
    body, content_type = _multipart(
        [(b"trigger", b"verify"), (b"expected_version", b"1"), (b"note", LATIN1_CAFE)]
    )
    headers = {"Content-Type": content_type, **api.auth("staff")}
    response = api.client.post(f"/api/v1/tickets/{code}/transitions", content=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["params"] == {"field": "note", "position": 4}
    assert api.client.get(f"/api/v1/reports/{code}").json() == before


@pytest.mark.parametrize(
    ("name", "value", "position"),
    [
        (b"description", b"Macet " + LATIN1_CAFE, 10),
        (b"address_string", LATIN1_CAFE, 4),
        (b"first_name", b"Siti\xff", 5),
        (b"service_code", b"traffic_jam\xe9", 12),
    ],
)
def test_open311_multipart_not_utf8_is_its_400_naming_the_field(
    api: Api, name: bytes, value: bytes, position: int
) -> None:
    detail = f"{name.decode()} is not valid text (broken encoding at {position}" + BROKEN_MARK
    parts = [
        (b"api_key", api.keys["staff"].encode()),
        (b"service_code", b"traffic_jam"),
        (b"lat", str(MONAS[0]).encode()),
        (b"long", str(MONAS[1]).encode()),
        (b"description", b"Macet parah"),
    ]
    before = api.client.get("/open311/v2/requests.json").json()
    body, content_type = _multipart(_with(parts, name, value))
    response = api.client.post(
        "/open311/v2/requests.json", content=body, headers={"Content-Type": content_type}
    )
    assert response.status_code == 400, response.text
    assert response.json() == [{"code": 400, "description": detail}]
    assert api.client.get("/open311/v2/requests.json").json() == before


@pytest.mark.parametrize("given", ["[40, 41]", '["40"]', '{"cm": 40}', "[]"])
@pytest.mark.parametrize("door", ["/api/v1/reports", "/api/v1/tickets"])
def test_a_list_or_object_for_a_number_question_must_be_a_number(
    api: Api, given: str, door: str
) -> None:
    """The schema's union answered first: "water_depth must be text" for a number question."""
    body = "{" + _FLOOD + ', "answers": {"water_trend": "rising", "water_depth": ' + given + "}}"
    problem = _json(api, door, body, "staff" if door.endswith("tickets") else None)
    assert problem["code"] == "invalid_answer", problem
    assert str(problem["detail"]).startswith("answer to 'water_depth' must be a number between ")
    assert problem["params"] == {
        "field": "answers",
        "question": "water_depth",
        "min": 0,
        "max": 1000,
    }


def test_open311_form_encoded_unescaped_bytes_are_read_as_utf8(api: Api) -> None:
    """Unescaped bytes in a form-encoded body were read as Latin-1: UTF-8's "é" was stored as
    "Ã©"; bytes that are not UTF-8 at all were stored as whatever Latin-1 made of them."""
    head = f"api_key={api.keys['staff']}&service_code=traffic_jam&lat={MONAS[0]}&long={MONAS[1]}"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    body = head.encode() + "&description=Macet&address_string=Jl.+Café".encode()
    created = api.client.post("/open311/v2/requests.json", content=body, headers=headers)
    assert created.status_code == 201, created.text
    code = created.json()[0]["service_request_id"]
    assert api.client.get(f"/api/v1/reports/{code}").json()["address"] == "Jl. Café"
    body = head.encode() + b"&description=Macet+" + LATIN1_CAFE
    refused = api.client.post("/open311/v2/requests.json", content=body, headers=headers)
    assert refused.status_code == 400, refused.text
    assert refused.json() == [
        {
            "code": 400,
            "description": "description is not valid text (broken encoding at 10" + BROKEN_MARK,
        }
    ]


@pytest.mark.parametrize("door", ["/api/v1/reports", "/api/v1/tickets"])
def test_a_null_answer_is_no_answer(api: Api, door: str) -> None:
    """A tester's report: ``"water_depth": null`` was refused as "answers[water_depth] must be
    text" (a form's spelling, and the wrong kind). JSON's null is no answer, as one left out."""
    staff = api.auth("staff")
    headers = {"Content-Type": "application/json", **(staff if "tickets" in door else {})}
    body = "{" + _FLOOD + ', "answers": {"water_trend": "rising", "water_depth": null}}'
    created = api.client.post(door, content=body, headers=headers)
    assert created.status_code == 201, created.text
    code = created.json()["code"]
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin")).json()
    assert [a["code"] for a in detail["answers"]] == ["water_trend"], detail
