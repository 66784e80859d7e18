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
