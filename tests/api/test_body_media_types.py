"""Every route whose body is JSON answers a body of another media type the same way: 415
``unsupported_media_type``, one problem document, nothing done. ``POST /api/v1/reports`` did;
``POST /api/v1/reports/{code}/supporters`` with ``text/plain`` answered 422 "the request body
must be an object" (FastAPI read it as no object), and ``application/merge-patch+json`` was
taken as JSON there but not on the routes that also take photos."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api

#: Bodies that are not sent as JSON: (Content-Type or None for no header, body).
NOT_JSON = [
    ("text/plain", b"hi"),
    ("text/plain", b'{"email": "warga@contoh.example"}'),
    ("application/x-www-form-urlencoded", b"email=warga%40contoh.example"),
    ("application/merge-patch+json", b'{"email": "warga@contoh.example"}'),
    (None, b'{"email": "warga@contoh.example"}'),
]


def _json_operations(api: Api) -> list[tuple[str, str]]:
    """(method, path) of each operation the API declares a JSON body for."""
    return [
        (method.upper(), path)
        for path, operations in api.app.openapi()["paths"].items()
        for method, operation in operations.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    ]


def _problem(response: Any) -> dict[str, Any]:
    body = response.json()
    return {k: body.get(k) for k in ("type", "title", "status", "code")}


@pytest.mark.parametrize(("content_type", "body"), NOT_JSON)
def test_every_json_route_answers_a_body_of_another_type_with_415(
    api: Api, content_type: str | None, body: bytes
) -> None:
    operations = _json_operations(api)
    assert {("POST", "/api/v1/reports"), ("POST", "/api/v1/reports/{code}/supporters"),
            ("POST", "/api/v1/admin/keys"), ("POST", "/api/v1/tickets/{code}/transitions"),
            } <= set(operations) and len(operations) >= 10  # fmt: skip
    code = api.submit()["code"]
    before = api.client.get(f"/api/v1/reports/{code}").json()
    headers = {**api.auth("admin"), "X-Reporter-Token": api.tokens[code]}
    if content_type is not None:
        headers["Content-Type"] = content_type
    answers = {}
    for method, path in operations:
        response = api.client.request(method, path.format(code=code), content=body, headers=headers)
        answers[(method, path)] = (response.status_code, _problem(response))
        assert response.json()["detail"].startswith("send application/json"), path
    assert answers == {
        operation: (
            415,
            {
                "type": "https://tanggap.dev/problems/unsupported_media_type",
                "title": "Unsupported media type",
                "status": 415,
                "code": "unsupported_media_type",
            },
        )
        for operation in operations
    }
    assert api.client.get(f"/api/v1/reports/{code}").json() == before  # nothing done


def test_the_supporters_route_says_which_type_to_send(api: Api) -> None:
    """The tester's request, word for word."""
    code = api.submit()["code"]
    response = api.client.post(
        f"/api/v1/reports/{code}/supporters",
        content=b"hi",
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 415
    assert response.json()["detail"] == "send application/json"


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
def test_json_and_an_empty_body_are_still_taken(api: Api, content_type: str) -> None:
    code = api.submit()["code"]
    sent = api.client.post(
        f"/api/v1/reports/{code}/supporters",
        content=b'{"email": "warga@contoh.example"}',
        headers={"Content-Type": content_type},
    )
    assert sent.status_code == 200, sent.text
    # "me too" without a body (nothing to add): no type needed for no body
    assert api.client.post(f"/api/v1/reports/{code}/supporters").status_code == 200
    # a route whose body is required still says so, not 415
    missing = api.client.post(
        f"/api/v1/reports/{code}/rating", headers={"X-Reporter-Token": api.tokens[code]}
    )
    assert (missing.status_code, missing.json()["detail"]) == (
        422,
        "the request body is required",
    )


#: Bodies wrong in each way a JSON route refuses: (Content-Type, body, what the answer says).
WRONG_BODIES = [
    ("text/plain", b"hi", "send application/json"),
    ("application/json", b'{"trigger": ', "the request body is not valid JSON"),
    ("application/json", b'{"trigger": "verify", "trigger": "x"}', "trigger is given more"),
    ("application/json", b"[" * 40 + b"]" * 40, "the request body nests lists and objects"),
]


@pytest.mark.parametrize(("content_type", "body", "says"), WRONG_BODIES)
def test_the_key_is_checked_before_the_body(
    api: Api, content_type: str, body: bytes, says: str
) -> None:
    """A caller without a key, or with one of the wrong role, is told about its key whatever its
    body: FastAPI read a broken body first, so a client key was answered "send
    application/json" where the same request in JSON was a 403."""
    code = api.submit()["code"]
    path = f"/api/v1/tickets/{code}/transitions"
    headers = {"Content-Type": content_type}
    anonymous = api.client.post(path, content=body, headers=headers)
    assert anonymous.status_code == 401, anonymous.text
    client = api.client.post(path, content=body, headers={**headers, **api.auth("client")})
    assert client.status_code == 403, client.text
    unknown = api.client.post(
        path, params={"bogus": "1"}, content=body, headers={**headers, **api.auth("admin")}
    )
    assert unknown.json()["code"] == "unknown_parameter", unknown.text
    # With the key and nothing else wrong, the body is what is refused, in its own words.
    admitted = api.client.post(path, content=body, headers={**headers, **api.auth("admin")})
    assert admitted.status_code in (415, 422), admitted.text
    assert admitted.json()["detail"].startswith(says), admitted.text
    admin = api.auth("admin")
    assert api.client.get(f"/api/v1/tickets/{code}", headers=admin).json()["version"] == 1


def test_a_route_whose_body_is_optional_does_not_run_without_the_body_it_refused(
    api: Api,
) -> None:
    """``POST …/supporters`` takes no body as a plain "me too": a body it refused must not be
    read as none and count a supporter."""
    code = api.submit()["code"]
    for content_type, body, _ in WRONG_BODIES:
        response = api.client.post(
            f"/api/v1/reports/{code}/supporters",
            content=body,
            headers={"Content-Type": content_type},
        )
        assert response.status_code in (415, 422), response.text
    assert api.client.get(f"/api/v1/reports/{code}").json()["supporters"] == 0


def test_a_missing_reporter_token_is_named_before_the_body(api: Api) -> None:
    code = api.submit()["code"]
    response = api.client.post(
        f"/api/v1/reports/{code}/dispute", content=b"hi", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["params"]["field"] != "body", response.text


#: Bodies a reporter's route refuses, in each way (none of them says what the token lacks).
REPORTER_BODIES = [
    *WRONG_BODIES,
    ("application/json", b"{}", "reason is required"),  # valid JSON, a field missing
]

#: Each reporter route that takes a body, and the method it takes it by.
REPORTER_ROUTES = ["dispute", "appeal", "comments", "rating", "subscriptions"]


@pytest.mark.parametrize("route", REPORTER_ROUTES)
@pytest.mark.parametrize(("content_type", "body", "says"), REPORTER_BODIES)
def test_the_reporter_token_and_the_code_are_checked_before_the_body(
    api: Api, route: str, content_type: str, body: bytes, says: str
) -> None:
    """A tester's report: a wrong reporter token with a broken body was told "the request
    body is not valid JSON" (422), and an unknown code the same, where the same request with a
    good body was a 403 or a 404. What the token and the code say comes first."""
    code = api.submit()["code"]
    headers = {"Content-Type": content_type}
    wrong = api.client.post(
        f"/api/v1/reports/{code}/{route}",
        content=body,
        headers={**headers, "X-Reporter-Token": "not-the-token"},
    )
    assert (wrong.status_code, wrong.json()["detail"]) == (
        403,
        "the reporter token does not match this report",
    ), wrong.text
    unknown = api.client.post(
        f"/api/v1/reports/JKT-0000-0000/{route}",
        content=body,
        headers={**headers, "X-Reporter-Token": api.tokens[code]},
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "ticket_not_found"), unknown.text
    # The right token on the right code: the body is what is refused.
    right = api.client.post(
        f"/api/v1/reports/{code}/{route}",
        content=body,
        headers={**headers, "X-Reporter-Token": api.tokens[code]},
    )
    assert right.status_code in (415, 422), right.text
    assert api.client.get(f"/api/v1/reports/{code}").json()["timeline"][-1]["action"] == "submit"


@pytest.mark.parametrize(("content_type", "body", "says"), WRONG_BODIES)
def test_a_key_that_does_not_see_the_ticket_is_told_so_before_the_body(
    api: Api, content_type: str, body: bytes, says: str
) -> None:
    """A tester's report: a DISHUB key on another agency's ticket, with a broken body, was told
    about the body (422/415); with a good one it was a 403 'belongs to another agency'. So was
    an unknown code (422, not 404)."""
    code = api.submit()["code"]  # a traffic jam at Monas: DISHUB's, in Kecamatan Gambir
    headers = {"Content-Type": content_type}
    path = f"/api/v1/tickets/{code}/transitions"
    for who, words in [
        ("outsider", f"ticket {code} belongs to another agency"),
        ("menteng_only", f"ticket {code} lies outside this key's area"),
    ]:
        refused = api.client.post(path, content=body, headers={**headers, **api.auth(who)})
        assert (refused.status_code, refused.json()["detail"]) == (403, words), refused.text
    unknown = api.client.post(
        "/api/v1/tickets/JKT-0000-0000/transitions",
        content=body,
        headers={**headers, **api.auth("staff")},
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "ticket_not_found"), unknown.text
    admitted = api.client.post(path, content=body, headers={**headers, **api.auth("staff")})
    assert admitted.status_code in (415, 422), admitted.text
    assert admitted.json()["detail"].startswith(says), admitted.text


def test_a_me_too_on_an_unknown_code_is_a_404_whatever_its_body(api: Api) -> None:
    for content_type, body, _ in WRONG_BODIES:
        response = api.client.post(
            "/api/v1/reports/JKT-0000-0000/supporters",
            content=body,
            headers={"Content-Type": content_type},
        )
        assert (response.status_code, response.json()["code"]) == (404, "ticket_not_found")
