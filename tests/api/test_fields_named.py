"""A refusal about one request field names it in ``params.field``, as the request names it, so
a client can put the message beside the right box; ``loc`` is the request's own path."""

from __future__ import annotations

from typing import Any

import pytest

from engine.staff import add_staff
from tests.api.conftest import MONAS, Api
from tests.conftest import make_photo


def _form() -> dict[str, str]:
    return {
        "category": "traffic_jam",
        "description": "Macet",
        "lat": str(MONAS[0]),
        "lon": str(MONAS[1]),
    }


def _refused(response: Any, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def test_more_photos_than_allowed_name_photos(api: Api) -> None:
    files = [("photos", (f"{n}.jpg", make_photo(), "image/jpeg")) for n in range(6)]
    body = _refused(api.client.post("/api/v1/reports", data=_form(), files=files))
    assert body["detail"] == "at most 5 photos at once"
    assert body["params"] == {"field": "photos", "limit": 5}


def test_a_file_under_an_unknown_field_names_that_field(api: Api) -> None:
    files = [("picture", ("a.jpg", make_photo(), "image/jpeg"))]
    body = _refused(api.client.post("/api/v1/reports", data=_form(), files=files))
    assert body["detail"] == "unexpected file field 'picture'; send photos as 'photos'"
    assert body["params"] == {"field": "picture"}


def test_a_file_that_is_no_image_names_photos_and_the_file(api: Api) -> None:
    files = [("photos", ("notes.txt", b"just some text here", "image/jpeg"))]
    body = _refused(api.client.post("/api/v1/reports", data=_form(), files=files), 415)
    assert body["detail"] == "notes.txt is not a JPEG, PNG or WebP image"
    assert body["params"] == {"field": "photos", "name": "notes.txt"}


def test_a_transition_without_its_version_names_expected_version(api: Api) -> None:
    code = api.submit()["code"]
    response = api.client.post(
        f"/api/v1/tickets/{code}/transitions", json={"trigger": "verify"}, headers=api.auth("staff")
    )
    body = _refused(response)
    assert body["detail"] == "say which version you read: expected_version or If-Match"
    assert body["params"] == {"field": "expected_version"}


@pytest.mark.parametrize(
    ("trigger", "fields", "detail", "field"),
    [
        ("verify", {"rating": 5}, "verify does not take: rating", "rating"),
        (
            "update",
            {"priority": "asap", "note": "lebih cepat"},
            "unknown priority 'asap'; use one of",
            "priority",
        ),
        (
            "assign",
            {"officer": "nobody@dishub.example"},
            "no active staff member 'nobody@dishub.example'",
            "officer",
        ),
        ("mark_duplicate", {"duplicate_of": "JKT-0000-0000"}, "JKT-0000-0000", "duplicate_of"),
        # half a point: it named neither
        (
            "update",
            {"lat": -6.18, "note": "pindah"},
            "lon is required with lat: correct the location with both latitude and longitude",
            "lon",
        ),
        ("update", {"lon": 106.83, "note": "pindah"}, "lat is required with lon", "lat"),
    ],
)
def test_a_transition_input_refused_names_it(
    api: Api, trigger: str, fields: dict[str, Any], detail: str, field: str
) -> None:
    code = api.submit()["code"]
    if trigger == "assign":
        api.drive(code, "verify")
    body = _refused(api.act(code, trigger, "supervisor", **fields))
    assert detail in body["detail"]
    assert body["params"]["field"] == field


def test_figures_ending_before_they_start_name_end(api: Api) -> None:
    params = {"start": "2026-11-30T00:00:00+07:00", "end": "2026-11-01T00:00:00+07:00"}
    response = api.client.get("/api/v1/figures", params=params, headers=api.auth("supervisor"))
    body = _refused(response)
    assert body["detail"] == "the period must end after it starts"
    assert body["params"] == {"field": "end"}


def test_worklist_unknown_agency_names_agency(api: Api) -> None:
    response = api.client.get(
        "/api/v1/tickets", params={"agency": "NOPE"}, headers=api.auth("admin")
    )
    body = _refused(response)
    assert body["detail"].startswith("unknown agency 'NOPE'; ")
    assert body["params"] == {"field": "agency"}


@pytest.mark.parametrize(
    ("bbox", "detail"),
    [
        ("106.8,-95,106.9,-6.1", "bbox min_lat must be between -90 and 90"),
        ("106.8,-6.2,nan,-6.1", "bbox max_lon is not a number; give a number between -180 and 180"),
    ],
)
def test_a_bbox_corner_off_the_globe_names_bbox(api: Api, bbox: str, detail: str) -> None:
    body = _refused(api.client.get("/api/v1/reports", params={"bbox": bbox}))
    assert body["detail"] == detail
    assert body["params"] == {"field": "bbox"}


@pytest.mark.parametrize("field", ["agency", "area"])
def test_admin_key_for_an_unknown_code_is_a_422_naming_it(api: Api, field: str) -> None:
    body = {"name": "Rina", "role": "staff", "agency": "DISHUB", field: "NOPE"}
    response = api.client.post("/api/v1/admin/keys", json=body, headers=api.auth("admin"))
    refused = _refused(response)
    assert refused["code"] == "unknown_reference"
    assert refused["detail"] == f"no active {field} with code 'NOPE'"
    assert refused["params"] == {"field": field}


def test_loc_is_the_requests_own_path(api: Api) -> None:
    body = {**_form(), "category": "flood", "lat": MONAS[0], "lon": MONAS[1]}
    response = api.client.post(
        "/api/v1/reports", json={**body, "answers": {"water_depth": "x" * 2001}}
    )
    refused = _refused(response)
    locs = [e["loc"] for e in refused["errors"]]
    # where it came from first, as on every route (FastAPI's own body parsing says so too)
    assert locs and all(loc == ["body", "answers", "water_depth"] for loc in locs), locs


@pytest.mark.parametrize("key", ["photos", "photo", "media[]"])
def test_a_photo_field_sent_as_text_is_told_to_be_a_file_naming_it(api: Api, key: str) -> None:
    # curl -F photos=notafile: a multipart text field where files are expected
    text = [(key, (None, "notafile"))]
    body = _refused(api.client.post("/api/v1/reports", data=_form(), files=text))
    assert body["detail"] == f"{key} must be files (JPEG, PNG or WebP image uploads), not text"
    assert "not a field" not in body["detail"]
    assert body["params"] == {"field": key.removesuffix("[]")}
    assert body["errors"][0]["loc"] == ["body", key.removesuffix("[]")]
    assert api.client.get("/api/v1/reports", headers=api.auth("admin")).json()["items"] == []

    code = api.submit()["code"]
    comment = api.client.post(
        f"/api/v1/reports/{code}/comments",
        data={"text": "fotonya"},
        files=text,
        headers={"X-Reporter-Token": api.tokens[code]},
    )
    said = _refused(comment)
    assert said["detail"] == f"{key} must be files (JPEG, PNG or WebP image uploads), not text"


def test_open311_media_sent_as_text_is_told_to_be_a_file(api: Api) -> None:
    form = {
        "api_key": api.keys["staff"],
        "service_code": "traffic_jam",
        "lat": str(MONAS[0]),
        "long": str(MONAS[1]),
        "description": "Macet parah",
        "media": "notafile",
    }
    response = api.client.post("/open311/v2/requests.json", data=form)
    assert response.status_code in (400, 422), response.text
    (error,) = response.json()
    assert error["description"] == "media must be files (JPEG, PNG or WebP image uploads), not text"


def test_a_report_outside_the_city_names_its_point(api: Api) -> None:
    body = {**_form(), "lat": 1.3521, "lon": 103.8198}  # Singapore
    refused = _refused(api.client.post("/api/v1/reports", json=body))
    assert refused["code"] == "outside_service_area"
    assert refused["detail"].startswith("location 1.35210, 103.81980 is outside every service")
    assert (refused["params"]["field"], refused["params"]["fields"]) == ("lat", ["lat", "lon"])
    posted = api.client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": api.keys["staff"],
            "service_code": "traffic_jam",
            "lat": "1.3521",
            "long": "103.8198",
            "description": "Macet",
        },
    )
    assert posted.status_code == 400, posted.text
    assert "outside every service area" in posted.json()[0]["description"]


def test_a_ticket_marked_a_duplicate_of_itself_names_duplicate_of(api: Api) -> None:
    code = api.submit()["code"]
    refused = _refused(api.act(code, "mark_duplicate", "admin", duplicate_of=code.lower()))
    assert refused["code"] == "duplicate_of_itself"
    assert refused["detail"] == (
        f"duplicate_of names {code} itself: a ticket cannot duplicate itself"
    )
    assert refused["params"] == {"code": code, "field": "duplicate_of"}


def _outsider(api: Api) -> str:
    """A staff member of another agency than DISHUB, which traffic jams are routed to."""
    with api.transactions.write() as session:
        add_staff(
            session, email="andi@dbm.example", name="Andi", role="staff", agency="DBM",
            now=api.clock.now,
        )  # fmt: skip
    return "andi@dbm.example"


@pytest.mark.parametrize(
    ("steps", "trigger", "fields", "code", "detail", "params"),
    [
        (
            (),
            "mark_duplicate",
            {"note": "sama"},
            "field_required",
            "mark_duplicate needs the code of the ticket it duplicates (duplicate_of)",
            {"field": "duplicate_of", "action": "mark_duplicate"},
        ),
        (
            ("verify",),
            "assign",
            {"officer": "OUTSIDER"},
            "officer_not_in_agency",
            "'andi@dbm.example' does not work for DISHUB",
            {"field": "officer", "agency": "DISHUB"},
        ),
        (
            ("verify", "assign"),
            "transfer",
            {"agency": "dishub", "note": "salah dinas"},
            "already_with_agency",
            "is already with DISHUB",
            {"field": "agency", "agency": "DISHUB"},
        ),
        (
            ("verify", "assign"),
            "transfer",
            {"note": "salah dinas"},
            "field_required",
            "transfer needs the agency to hand the ticket to (agency)",
            {"field": "agency", "action": "transfer"},
        ),
        (
            ("verify",),
            "update",
            {"priority": "normal", "note": "sama saja"},
            "nothing_changed",
            "update changes nothing: give a new priority, category or location",
            {"field": "priority", "fields": ["priority", "category", "lat", "lon"]},
        ),
    ],
)
def test_a_refused_action_names_the_field_it_is_about(
    api: Api,
    steps: tuple[str, ...],
    trigger: str,
    fields: dict[str, Any],
    code: str,
    detail: str,
    params: dict[str, Any],
) -> None:
    ticket = api.submit()["code"]
    api.drive(ticket, *steps)
    if fields.get("officer") == "OUTSIDER":
        fields = {**fields, "officer": _outsider(api)}
    refused = _refused(api.act(ticket, trigger, "admin", **fields))
    assert refused["code"] == code
    assert detail in refused["detail"]
    assert refused["params"] == params


def test_an_admin_key_for_a_staff_member_names_role(api: Api) -> None:
    with api.transactions.write() as session:
        add_staff(
            session,
            email="agus@dbm.example",
            name="Agus",
            role="staff",
            agency="DBM",
            now=api.clock.now,
        )
    refused = _refused(
        api.client.post(
            "/api/v1/admin/keys",
            json={"role": "admin", "name": "Agus", "staff": "agus@dbm.example"},
            headers=api.auth("admin"),
        )
    )
    assert refused["detail"] == "role cannot be admin: agus@dbm.example is staff"
    assert refused["params"]["field"] == "role"


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        # A whole number in exponent form was "unable to parse input string as an integer,
        # exceeded maximum size"; 1.5 was already "must be a whole number".
        # …and one past any version a ticket can have is said so, not echoed back in a 409.
        ({"trigger": "verify", "expected_version": 1e20}, 422,
         "expected_version must be at most 2,147,483,647"),
        ({"trigger": "verify", "expected_version": -1e20}, 422,
         "expected_version must be at least 1"),
        ({"trigger": "verify", "expected_version": 1.5}, 422,
         "expected_version must be a whole number"),
    ],
)  # fmt: skip
def test_a_huge_whole_number_in_json_is_refused_in_words(
    api: Api, body: dict[str, Any], status: int, detail: str
) -> None:
    code = api.submit()["code"]
    response = api.client.post(
        f"/api/v1/tickets/{code}/transitions", json=body, headers=api.auth("admin")
    )
    assert response.status_code == status, response.text
    assert detail in response.json()["detail"]
    assert "unable to parse" not in response.json()["detail"]


@pytest.mark.parametrize(("rating", "detail"), [(1e20, "at most 5"), (-1e20, "at least 1")])
def test_a_huge_rating_says_its_range(api: Api, rating: float, detail: str) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start", "resolve")
    response = api.client.post(
        f"/api/v1/reports/{code}/rating",
        json={"rating": rating},
        headers={"X-Reporter-Token": api.tokens[code]},
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == f"rating must be {detail}"


@pytest.mark.parametrize(
    "path", ["/api/v1/tickets", "/api/v1/reports", "/api/v1/dashboard/tickets", "/api/v1/places"]
)
def test_a_query_number_of_thousands_of_digits_is_refused_in_words(api: Api, path: str) -> None:
    search = {"q": "gambir"} if path == "/api/v1/places" else {}
    response = api.client.get(
        path, params={"limit": "9" * 5000, **search}, headers=api.auth("admin")
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == "limit has too many digits"
    assert response.json()["params"] == {"field": "limit"}


def test_a_json_number_of_thousands_of_digits_is_said_so_not_called_invalid_json(api: Api) -> None:
    code = api.submit()["code"]
    response = api.client.post(
        f"/api/v1/tickets/{code}/transitions",
        content='{"trigger": "verify", "expected_version": ' + "9" * 5000 + "}",
        headers={**api.auth("admin"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == "the request body has a number with too many digits"


#: A key named like the place a parameter comes from (FastAPI's ``loc`` begins with it).
PLACE_NAMES = ["body", "query", "path", "header", "cookie"]


def _json_doors(api: Api) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    """Every route of ours that reads a JSON body, with a body it takes and who may send it:
    the report doors read it themselves (``api.uploads``), the others through FastAPI."""
    code = api.submit()["code"]
    reporter = {"X-Reporter-Token": api.tokens[code]}
    admin = api.auth("admin")
    report = {"category": "traffic_jam", "description": "Macet", "lat": MONAS[0], "lon": MONAS[1]}
    return [
        ("/api/v1/reports", report, {}),
        (f"/api/v1/reports/{code}/dispute", {"reason": "belum"}, reporter),
        (f"/api/v1/reports/{code}/appeal", {"reason": "bukan spam"}, reporter),
        (f"/api/v1/reports/{code}/comments", {"text": "x"}, reporter),
        (f"/api/v1/reports/{code}/rating", {"rating": 3}, reporter),
        (f"/api/v1/reports/{code}/supporters", {"email": "budi@warga.example"}, {}),
        (f"/api/v1/reports/{code}/subscriptions", {"email": "ani@warga.example"}, reporter),
        ("/api/v1/tickets", report, admin),
        (
            f"/api/v1/tickets/{code}/transitions",
            {"trigger": "verify", "expected_version": 1},
            admin,
        ),
        ("/api/v1/admin/keys", {"name": "Rina", "role": "staff", "agency": "DISHUB"}, admin),
    ]


@pytest.mark.parametrize("key", PLACE_NAMES)
def test_a_stray_key_named_like_a_place_is_named_as_the_key_on_every_json_door(
    api: Api, key: str
) -> None:
    """A tester's report: ``{"text": "x", "body": "y"}`` to a report's comments was refused
    naming "the request body" (and ``query``, ``path``, ``header``: "the request"), as if the
    whole body or another part of the request were wrong."""
    for path, body, headers in _json_doors(api):
        refused = _refused(api.client.post(path, json={**body, key: "y"}, headers=headers))
        assert refused["detail"] == f"{key} is not a field of this request", path
        assert refused["params"] == {"field": key}, path
        assert refused["errors"][0]["loc"] == ["body", key], path


@pytest.mark.parametrize("key", PLACE_NAMES)
def test_a_form_field_named_like_a_place_given_twice_is_named(api: Api, key: str) -> None:
    code = api.submit()["code"]
    form = [("text", "fotonya"), (key, "a"), (key, "b")]
    for path, headers in [
        ("/api/v1/reports", {}),
        (f"/api/v1/reports/{code}/comments", {"X-Reporter-Token": api.tokens[code]}),
    ]:
        sent = api.client.post(
            path, files=[(name, (None, value)) for name, value in form], headers=headers
        )
        refused = _refused(sent)
        assert refused["detail"] == f"{key} is given more than once; send it once", path
        assert refused["params"] == {"field": key}, path


@pytest.mark.parametrize("sent", [b"[1]", b'"x"', b"7"])
def test_a_json_body_that_is_no_object_is_named_the_request_body(api: Api, sent: bytes) -> None:
    code = api.submit()["code"]
    headers = {"X-Reporter-Token": api.tokens[code], "Content-Type": "application/json"}
    for path in (f"/api/v1/reports/{code}/comments", f"/api/v1/reports/{code}/rating"):
        refused = _refused(api.client.post(path, content=sent, headers=headers))
        assert refused["detail"] == "the request body must be an object", path
        assert refused["params"] == {"field": "body"}, path


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_a_body_nested_too_deep_is_refused_alike_on_every_json_door(api: Api, opening: str) -> None:
    """A tester's report: 2 KB of ``[`` (995 levels) was a 500 on the report doors and the
    transitions (Python's recursion limit in the parser) and a 400 "There was an error parsing
    the body" on the others. Every JSON door now refuses it as one 422, and writes nothing."""
    closing = "]" if opening == "[" else "}"
    for depth in (33, 995, 5000):
        text = opening * depth + "1" + closing * depth
        for path, _body, headers in _json_doors(api):
            response = api.client.post(
                path, content=text, headers={**headers, "Content-Type": "application/json"}
            )
            refused = _refused(response)
            assert refused["code"] == "invalid_request", (path, depth)
            assert refused["detail"] == (
                "the request body nests lists and objects more than 32 levels deep"
            ), (path, depth)


def test_a_body_at_the_depth_allowed_is_read(api: Api) -> None:
    """32 levels (the body, ``answers`` and 30 lists) are read, and refused for what they say,
    not for their depth."""
    nested: Any = 1
    for _ in range(30):
        nested = [nested]
    response = api.client.post(
        "/api/v1/reports",
        json={
            "category": "traffic_jam",
            "description": "Macet",
            "lat": MONAS[0],
            "lon": MONAS[1],
            "answers": {"since": nested},
        },
    )
    refused = _refused(response)
    assert "nests" not in refused["detail"]
    assert refused["params"]["field"] == "answers"


def _with_answers(answers: dict[str, Any]) -> dict[str, Any]:
    return {"category": "traffic_jam", "description": "Macet", "lat": MONAS[0], "lon": MONAS[1],
            "answers": answers}  # fmt: skip


def test_an_over_long_answers_key_names_answers_not_its_key(api: Api) -> None:
    """A tester's report: an over-long question code in ``answers`` was refused with
    ``params.field`` "[key]", pydantic's word, and the detail "[key] is too long"."""
    body = _refused(api.client.post("/api/v1/reports", json=_with_answers({"x" * 300: "1"})))
    assert body["params"] == {"field": "answers"}
    assert body["detail"] == "a question code in answers is too long: at most 40 characters"
    assert "x" * 61 not in body["detail"]


def test_an_answer_refused_by_its_form_names_answers_and_its_question(api: Api) -> None:
    body = _refused(api.client.post("/api/v1/reports", json=_with_answers({"depth": "x" * 3000})))
    assert body["params"] == {"field": "answers", "question": "depth"}
    assert body["detail"] == "answers[depth] is too long: at most 2000 characters"
