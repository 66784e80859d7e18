"""Faults a new user met in the HTTP API: what a 409 says, whose field names an error uses,
what "allowed actions" lists, the wording of refusals, what they echo back, lax input, and how
a staff form is answered."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_photo

from .conftest import MONAS, Api

ORIGIN = "https://testserver"


def _token(api: Api, code: str) -> dict[str, str]:
    return {"X-Reporter-Token": api.tokens[code]}


def _version(api: Api, code: str) -> int:
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin"))
    return int(detail.json()["version"])


# 1. Every 409 names the ticket's state, version and the triggers the caller may fire.


def test_illegal_transition_409_names_state_version_and_allowed(api: Api) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify")
    response = api.act(code, "start")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "invalid_transition"
    assert (body["state"], body["version"]) == ("verified", 2)
    assert body["allowed"] == ["assign", "comment", "mark_duplicate", "reject", "update"]


def test_citizen_conflicts_name_state_version_and_allowed(api: Api) -> None:
    code = api.submit()["code"]
    token = _token(api, code)
    # a dispute before any resolution: not allowed in "submitted"
    early = api.client.post(
        f"/api/v1/reports/{code}/dispute", json={"reason": "belum beres"}, headers=token
    )
    assert early.status_code == 409
    assert (early.json()["state"], early.json()["version"]) == ("submitted", 1)
    assert early.json()["allowed"] == ["comment"]
    stale = api.client.post(
        f"/api/v1/reports/{code}/comments",
        json={"text": "masih macet", "expected_version": 7},
        headers=token,
    )
    assert stale.status_code == 409
    body = stale.json()
    assert (body["code"], body["state"], body["version"]) == ("stale_version", "submitted", 1)
    assert body["allowed"] == ["comment"]


# 2. Errors name the request's fields, in detail and params.field.


@pytest.mark.parametrize(
    ("field", "value", "words", "code"),
    [
        ("phone", "abc", "phone is not a phone number", "not_a_phone"),
        ("name", "Budi\u202eSantoso", "name contains", "direction_override"),
    ],
)
def test_report_errors_name_the_api_fields(
    api: Api, field: str, value: str, words: str, code: str
) -> None:
    body = {"category": "traffic_jam", "description": "Macet", "lat": MONAS[0], "lon": MONAS[1]}
    response = api.client.post("/api/v1/reports", json={**body, field: value})
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == code
    assert problem["params"]["field"] == field
    assert problem["detail"].startswith(words)
    assert "reporter_" not in problem["detail"]


def test_staff_report_on_behalf_names_the_api_fields(api: Api) -> None:
    body = {"category": "traffic_jam", "description": "Macet", "lat": MONAS[0], "lon": MONAS[1]}
    response = api.client.post(
        "/api/v1/tickets", json={**body, "phone": "abc"}, headers=api.auth("staff")
    )
    assert response.status_code == 422
    assert response.json()["params"]["field"] == "phone"
    assert response.json()["detail"].startswith("phone is not a phone number")


def test_an_empty_comment_names_text_and_is_no_reason(api: Api) -> None:
    code = api.submit()["code"]
    response = api.client.post(
        f"/api/v1/reports/{code}/comments", json={"text": "   "}, headers=_token(api, code)
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "note_required"
    assert problem["detail"] == "a comment needs words: text is empty"
    assert problem["params"]["field"] == "text"


def test_a_dispute_reason_error_names_reason(api: Api) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start", "resolve")
    response = api.client.post(
        f"/api/v1/reports/{code}/dispute",
        json={"reason": "masih\u2067rusak"},
        headers=_token(api, code),
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["params"]["field"] == "reason"
    assert problem["detail"].startswith("reason contains")
    assert "note" not in problem["detail"]


def test_pages_word_the_renamed_fields(api: Api) -> None:
    from api.web.i18n import Translator
    from api.web.problems import words
    from engine import Language

    t = Translator(Language.EN)
    assert words(t, "not_a_phone", {"field": "phone"}).startswith('The "phone number" box')
    comment = words(t, "note_required", {"field": "text", "action": "comment"}, {"text": "comment"})
    assert comment == "Write the comment first."


# 3. "allowed_actions" lists only what this key may fire on this ticket now.


def test_allowed_actions_are_what_the_key_may_do(api: Api) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start")
    done = api.act(code, "resolve", "staff", note="sudah")
    assert done.status_code == 200
    assert done.json()["allowed_actions"] == ["close", "comment", "reopen"]  # no "rate"
    api.drive(code, "close")
    closed = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("staff")).json()
    assert closed["allowed_actions"] == []  # a closed ticket: only its reporter or an admin
    admin = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin")).json()
    # an admin moderates any report
    assert admin["allowed_actions"] == ["redact", "reopen", "unpublish"]


def test_allowed_actions_follow_the_keys_agency(api: Api) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify", "assign")
    # the area office sees and triages the ticket, but field work is the agency's
    office = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("kecamatan")).json()
    assert "start" not in office["allowed_actions"]
    assert api.act(code, "start", "kecamatan").status_code == 403
    for action in office["allowed_actions"]:
        assert action in {"comment", "mark_duplicate", "update"}


# 4. Wording.


def test_role_wording_reads_right(api: Api) -> None:
    staff = api.client.get("/api/v1/admin/keys", headers=api.auth("staff"))
    assert staff.status_code == 403
    assert staff.json()["detail"] == "this needs an admin key; yours is a staff key"
    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start", "resolve")
    rated = api.act(code, "rate", "staff", rating=5)
    assert rated.status_code == 403
    assert rated.json()["detail"] == "staff may not rate; only citizens may"


def test_open311_errors_name_the_open311_parameter(api: Api) -> None:
    response = api.client.get(
        "/open311/v2/requests.json", params={"service_request_id": "x" * 2001}
    )
    assert response.status_code == 400
    (error,) = response.json()
    assert error["description"] == "service_request_id is too long: at most 2000 characters"


# 5. Refusals never echo control characters or other unprintable input.


def test_refusals_show_typed_values_safely(api: Api) -> None:
    body = {"description": "Macet", "lat": MONAS[0], "lon": MONAS[1]}
    unknown = api.client.post("/api/v1/reports", json={**body, "category": "traffic\x00jam"})
    assert unknown.status_code == 422
    assert (
        "\x00" not in unknown.text and "\\x00" not in unknown.text and "\\u0000" not in unknown.text
    )
    assert "traffic?jam" in unknown.json()["detail"]
    fields = {"category": "traffic_jam", "description": "Macet", "lat": "-6.1754", "lon": "106.8"}
    files = [("photos", ("evil\x1b[31m.txt", b"hello", "text/plain"))]
    upload = api.client.post("/api/v1/reports", data=fields, files=files)
    assert upload.status_code == 415
    assert "\x1b" not in upload.text and "\\u001b" not in upload.text
    assert upload.json()["detail"] == "evil?[31m.txt is not a JPEG, PNG or WebP image"
    code = api.submit()["code"]
    trigger = api.act(code, "\x1bstart")
    assert trigger.status_code == 422
    assert "\\u001b" not in trigger.text and "\\x1b" not in trigger.text
    long_tag = api.client.get(
        f"/api/v1/reports/{code}", headers={"If-Match": "x"}
    )  # reads ignore If-Match
    assert long_tag.status_code == 200


def test_engine_shown_is_printable_and_short() -> None:
    from engine.errors import shown

    assert shown("traffic\x00jam") == "'traffic?jam'"
    assert shown("a\u202eb") == "'a?b'"
    assert shown("x" * 100) == "'" + "x" * 39 + "…'"


# 6. Lax input is refused.


@pytest.mark.parametrize(
    ("change", "field"),
    [({"lat": True}, "lat"), ({"lon": "106.8"}, "lon"), ({"private": "yes"}, "private")],
)
def test_report_json_types_are_strict(api: Api, change: dict[str, Any], field: str) -> None:
    body = {"category": "traffic_jam", "description": "Macet", "lat": MONAS[0], "lon": MONAS[1]}
    response = api.client.post("/api/v1/reports", json={**body, **change})
    assert response.status_code == 422
    assert response.json()["params"]["field"] == field


def test_rating_as_text_is_refused(api: Api) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start", "resolve")
    token = _token(api, code)
    text = api.client.post(f"/api/v1/reports/{code}/rating", json={"rating": "5"}, headers=token)
    assert text.status_code == 422
    assert text.json()["detail"] == "rating must be a whole number"
    flag = api.client.post(f"/api/v1/reports/{code}/rating", json={"rating": True}, headers=token)
    assert flag.status_code == 422
    mine = api.client.get(f"/api/v1/reports/{code}/private", headers=token).json()
    assert mine["rating"] is None
    version = _version(api, code)
    staff = api.client.post(
        f"/api/v1/tickets/{code}/transitions",
        json={"trigger": "comment", "note": "x", "expected_version": str(version)},
        headers=api.auth("staff"),
    )
    assert staff.status_code == 422
    assert staff.json()["params"]["field"] == "expected_version"


def test_forms_still_send_numbers_as_text(api: Api) -> None:
    fields = {
        "category": "traffic_jam",
        "description": "Macet",
        "lat": "-6.1754",
        "lon": "106.8272",
    }
    files = [("photos", ("a.jpg", make_photo(), "image/jpeg"))]
    response = api.client.post("/api/v1/reports", data=fields, files=files)
    assert response.status_code == 201, response.text


def test_a_repeated_form_field_is_refused(api: Api) -> None:
    files = [
        ("category", (None, "traffic_jam")),
        ("description", (None, "Macet")),
        ("lat", (None, "-6.1754")),
        ("lat", (None, "-6.2")),
        ("lon", (None, "106.8272")),
    ]
    response = api.client.post("/api/v1/reports", files=files)
    assert response.status_code == 422
    assert response.json()["params"]["field"] == "lat"
    assert response.json()["detail"] == "lat is given more than once; send it once"
    listed = api.client.get("/api/v1/reports").json()["items"]
    assert listed == []


def test_open311_repeated_field_is_refused(api: Api) -> None:
    data = [
        ("api_key", api.keys["staff"]),
        ("service_code", "traffic_jam"),
        ("lat", str(MONAS[0])),
        ("lat", "-6.3"),
        ("long", str(MONAS[1])),
        ("description", "Macet"),
    ]
    response = api.client.post(
        "/open311/v2/requests.json",
        content="&".join(f"{k}={v}" for k, v in data),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert response.json()[0]["description"] == "lat is given more than once; send it once"


def test_if_match_and_body_version_must_agree(api: Api) -> None:
    code = api.submit()["code"]
    response = api.client.post(
        f"/api/v1/tickets/{code}/transitions",
        json={"trigger": "verify", "expected_version": 2},
        headers={**api.auth("staff"), "If-Match": '"v1"'},
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("expected_version 2 and If-Match v1 disagree")
    assert _version(api, code) == 1  # nothing happened


# 7. A staff form is answered with the page, the refusal in words.


def test_tampered_staff_form_gets_the_page_not_json(api: Api) -> None:
    web = TestClient(api.app, base_url=ORIGIN, follow_redirects=False)
    web.headers["Origin"] = ORIGIN
    signed = web.post("/staff/sign-in", data={"key": api.keys["staff"], "next": "/staff"})
    assert signed.status_code == 303
    code = api.submit()["code"]
    form = {"trigger": "verify", "expected_version": "abc", "back": "ticket"}
    response = web.post(f"/staff/tickets/{code}/actions?lang=en", data=form)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert 'A box is not filled in right: "page version".' in html.unescape(response.text)
    assert re.search(r"problem\+json|\"detail\"", response.text) is None
    assert _version(api, code) == 1


def test_worklist_buttons_are_what_the_key_may_do(api: Api) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify", "assign")
    buttons = {}
    for who in ("kecamatan", "staff"):
        web = TestClient(api.app, base_url=ORIGIN, follow_redirects=False)
        web.headers["Origin"] = ORIGIN
        signed = web.post("/staff/sign-in", data={"key": api.keys[who], "next": "/staff"})
        assert signed.status_code == 303
        page = web.get("/staff?lang=en").text
        buttons[who] = set(re.findall(r'name="trigger" value="(\w+)"', page))
    assert "start" in buttons["staff"]
    assert "start" not in buttons["kecamatan"] and "hold" not in buttons["kecamatan"]


def test_a_page_request_fastapi_cannot_read_gets_a_page(api: Api) -> None:
    response = api.client.get(
        "/t", params={"code": "X" * 100, "lang": "en"}, headers={"Accept": "text/html"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "This could not be done" in response.text
    assert "/api/v1" not in response.url.path
    nearby = api.client.get(
        "/web/nearby",
        params={"category": "traffic_jam", "lat": str(MONAS[0]), "lon": str(MONAS[1])},
    )
    assert nearby.status_code == 200  # a query's numbers are text, and still read


def test_an_answer_given_as_true_is_no_number(api: Api) -> None:
    body = {"category": "flood", "description": "Banjir", "lat": MONAS[0], "lon": MONAS[1]}
    response = api.client.post("/api/v1/reports", json={**body, "answers": {"water_depth": True}})
    assert response.status_code == 422
    # as every answer's refusal: the field is answers, the question is named
    assert response.json()["params"]["field"] == "answers"
    assert response.json()["params"]["question"] == "water_depth"
    assert response.json()["detail"] == (
        "answer to 'water_depth' must be a number between 0 and 1,000"
    )


def test_a_staff_key_without_agency_names_the_field_not_a_cli_option(api: Api) -> None:
    response = api.client.post(
        "/api/v1/admin/keys", json={"role": "staff", "name": "loket"}, headers=api.auth("admin")
    )
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["params"]["field"]) == ("agency_required", "agency")
    assert body["detail"] == "a staff key acts for an agency: name its agency"


def test_a_wrong_reporter_token_is_a_403_whatever_the_ticket_s_state(api: Api) -> None:
    """The token is checked before the state or the version: on a held ticket (where a dispute
    or a rating is no transition at all) a wrong token used to get a 409 naming the state."""
    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start", "hold")
    wrong = {"X-Reporter-Token": "not-the-token"}
    answers = {
        "dispute": api.client.post(
            f"/api/v1/reports/{code}/dispute", json={"reason": "Masih rusak"}, headers=wrong
        ),
        "rating": api.client.post(
            f"/api/v1/reports/{code}/rating", json={"rating": 1}, headers=wrong
        ),
        "comment": api.client.post(
            f"/api/v1/reports/{code}/comments", json={"text": "Halo"}, headers=wrong
        ),
        "stale": api.client.post(
            f"/api/v1/reports/{code}/comments",
            json={"text": "Halo", "expected_version": 1},
            headers=wrong,
        ),
    }
    for name, answer in answers.items():
        assert answer.status_code == 403, (name, answer.text)
        assert answer.json()["detail"] == "the reporter token does not match this report", name
    # the right token on the same held ticket: the dispute is a conflict naming the state
    right = {"X-Reporter-Token": api.tokens[code]}
    held = api.client.post(
        f"/api/v1/reports/{code}/dispute", json={"reason": "Masih rusak"}, headers=right
    )
    assert held.status_code == 409 and held.json()["state"] == "on_hold"


@pytest.mark.parametrize("tag", ['W/"v1"', ' W/"v1" '])
def test_if_match_weak_or_not_ours_never_matches(api: Api, tag: str) -> None:
    code = api.submit()["code"]
    response = api.client.post(
        f"/api/v1/tickets/{code}/transitions",
        json={"trigger": "verify"},
        headers={**api.auth("staff"), "If-Match": tag},
    )
    assert response.status_code == 422, response.text
    assert response.json()["params"] == {"field": "If-Match"}
    assert response.json()["detail"].startswith("If-Match ")
    assert _version(api, code) == 1  # nothing happened


def test_citizen_refusals_say_the_citizens_action_never_the_trigger(api: Api) -> None:
    """A citizen disputes; the engine reopens. "reopen needs a reason (reason)" and "cannot
    reopen a ticket that is assigned; allowed in assigned: comment" read as someone else's
    words: the refusals say dispute, comment and rate as the citizen does."""
    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start", "resolve")
    token = _token(api, code)
    url = f"/api/v1/reports/{code}"
    for empty in ("  ", "", "\u200b "):  # one refusal however the reason is empty
        blank = api.client.post(f"{url}/dispute", json={"reason": empty}, headers=token)
        assert blank.status_code == 422
        assert blank.json()["code"] == "reason_required"
        assert blank.json()["detail"] == "a dispute needs a reason"
        assert blank.json()["params"] == {"field": "reason", "action": "dispute"}
    first = api.client.post(f"{url}/dispute", json={"reason": "masih rusak"}, headers=token)
    assert first.status_code == 200, first.text
    again = api.client.post(f"{url}/dispute", json={"reason": "masih rusak"}, headers=token)
    assert again.status_code == 409
    assert again.json()["detail"] == (
        "this report cannot be disputed now: it is assigned (a dispute is possible within 7 "
        "days after it is resolved)"
    )
    assert again.json()["allowed"] == ["comment"]
    rated = api.client.post(f"{url}/rating", json={"rating": 4}, headers=token)
    assert rated.status_code == 409
    assert rated.json()["detail"] == (
        "this report cannot be rated now: it is assigned (a rating is possible once it is resolved)"
    )
    api.drive(code, "start", "resolve")
    api.clock.tick(60 * 24 * 8)
    closed = api.client.post(f"/api/v1/tickets/{code}/transitions", json={
        "trigger": "close", "expected_version": api.client.get(
            f"/api/v1/tickets/{code}", headers=api.auth("admin")).json()["version"],
    }, headers=api.auth("admin"))  # fmt: skip
    assert closed.status_code == 200, closed.text
    late = api.client.post(f"{url}/comments", json={"text": "terima kasih"}, headers=token)
    assert late.status_code == 409
    assert late.json()["detail"] == "this report takes no more comments: it is closed"
    assert "reopen" not in late.text and "reopen" not in again.text
    assert sorted(late.json()["allowed"]) == ["rate"]


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ([("If-Match", '"v1"'), ("If-Match", '"v1"')],
         "If-Match is given more than once; send it once"),
        ([("If-Match", "v1")], 'If-Match must be an ETag of this ticket, such as "v3", not \'v1\''),
        # compared strongly: no version's ETag is "v01" (a tester's: it was read as "v1")
        ([("If-Match", '"v01"')],
         'If-Match must be an ETag of this ticket, such as "v3", not \'"v01"\''),
        ([("If-Match", '"v+1"')],
         'If-Match must be an ETag of this ticket, such as "v3", not \'"v+1"\''),
    ],
)  # fmt: skip
def test_if_match_twice_or_unquoted_is_refused_and_nothing_happens(
    api: Api, headers: list[tuple[str, str]], detail: str
) -> None:
    """Two If-Match headers used to be read as the first (a stale second one let the write
    through); an unquoted tag is not an entity-tag."""
    code = api.submit()["code"]
    response = api.client.post(
        f"/api/v1/tickets/{code}/transitions",
        json={"trigger": "verify"},
        headers=[*api.auth("staff").items(), *headers],
    )
    assert response.status_code == 422, response.text
    assert (response.json()["detail"], response.json()["params"]) == (
        detail, {"field": "If-Match"}
    )  # fmt: skip
    assert _version(api, code) == 1


def test_a_credential_header_sent_twice_is_refused_and_nothing_happens(api: Api) -> None:
    """A tester's report: two X-Reporter-Token headers (or two Authorization headers) were read
    as one of them; which one a proxy or a client library meant is a guess."""
    code = api.submit()["code"]
    token = api.tokens[code]
    twice = api.client.post(
        f"/api/v1/reports/{code}/comments",
        json={"text": "masih macet"},
        headers=[("X-Reporter-Token", token), ("X-Reporter-Token", "not-the-token")],
    )
    keys = api.client.post(
        f"/api/v1/tickets/{code}/transitions",
        json={"trigger": "verify", "expected_version": 1},
        headers=[*api.auth("outsider").items(), *api.auth("staff").items()],
    )

    for response, header in ((twice, "X-Reporter-Token"), (keys, "Authorization")):
        assert response.status_code == 422, response.text
        assert (response.json()["detail"], response.json()["params"]) == (
            f"{header} is given more than once; send it once", {"field": header}
        )  # fmt: skip
    assert _version(api, code) == 1
    once = api.client.post(
        f"/api/v1/reports/{code}/comments",
        json={"text": "masih macet"},
        headers={"X-Reporter-Token": token},
    )
    assert once.status_code in (200, 201), once.text
