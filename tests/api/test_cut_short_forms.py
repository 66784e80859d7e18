"""A multipart body cut short before its closing boundary (``--XX`` without the final ``--``:
a connection lost half-way, a client that stopped writing) is refused as a form that cannot be
read — ``unreadable_form``, as a body without a boundary is — on every door that takes one:
the report and photo routes of the API, Open311's POST with media, and the pages' forms. It
was read as a whole form that lacked its later fields ("category is required" for a form that
gave one), and a page's form answered a body without a boundary with FastAPI's bare 400
"There was an error parsing the body"."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .conftest import Api
from .test_web_staff_ticket import _text, sign_in, web

__all__ = ["web"]  # the fixture, imported for these tests

CUT = b'--XX\r\nContent-Disposition: form-data; name="category"\r\n\r\ntraffic_jam\r\n--XX'
WHOLE = CUT + b"--\r\n"
CUT_SHORT = "the form cannot be read: it ends before its closing boundary (the body was cut short)"
NO_BOUNDARY = "the form cannot be read: Missing boundary in multipart."
#: (Content-Type, body, what a program reads)
BROKEN = [
    ("multipart/form-data; boundary=XX", CUT, CUT_SHORT),
    ("multipart/form-data; boundary=XX", CUT[:-4], CUT_SHORT),  # cut inside the part
    ("multipart/form-data; boundary=XX", b"", CUT_SHORT),  # no part, no end
    ("multipart/form-data", WHOLE, NO_BOUNDARY),
]


def _reports(api: Api) -> int:
    return len(
        api.client.get("/api/v1/tickets?limit=500", headers=api.auth("admin")).json()["items"]
    )


@pytest.mark.parametrize(("content_type", "body", "detail"), BROKEN)
def test_every_api_and_open311_door_refuses_a_form_it_cannot_read(
    api: Api, content_type: str, body: bytes, detail: str
) -> None:
    code = api.submit()["code"]
    before = (_reports(api), api.client.get(f"/api/v1/reports/{code}").json())
    doors = [
        ("/api/v1/reports", {}),
        (f"/api/v1/reports/{code}/comments", {"X-Reporter-Token": api.tokens[code]}),
        (f"/api/v1/tickets/{code}/transitions", api.auth("admin")),
        ("/api/v1/tickets", api.auth("admin")),
    ]
    for path, headers in doors:
        response = api.client.post(
            path, content=body, headers={**headers, "Content-Type": content_type}
        )
        assert response.status_code == 422, path
        assert (response.json()["code"], response.json()["detail"]) == ("unreadable_form", detail)
    open311 = api.client.post(
        "/open311/v2/requests.json", content=body, headers={"Content-Type": content_type}
    )
    assert (open311.status_code, open311.json()) == (400, [{"code": 400, "description": detail}])
    assert (_reports(api), api.client.get(f"/api/v1/reports/{code}").json()) == before


def test_the_same_form_whole_is_read(api: Api) -> None:
    """The closing ``--`` is all that was missing: with it, the form is read (and the report
    refused for what it lacks, not for being unreadable)."""
    response = api.client.post(
        "/api/v1/reports",
        content=WHOLE,
        headers={"Content-Type": "multipart/form-data; boundary=XX"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "field_required"
    assert response.json()["detail"] != "category is required"


@pytest.mark.parametrize(("content_type", "body", "_detail"), BROKEN)
def test_every_page_form_says_a_form_it_cannot_read_in_its_own_words(
    api: Api, web: TestClient, content_type: str, body: bytes, _detail: str
) -> None:
    code = api.submit()["code"]
    state = api.client.get(f"/api/v1/reports/{code}").json()["state"]
    count = _reports(api)
    headers = {"Content-Type": content_type, "Accept": "text/html"}
    # signed out: the sign-in form is not signed in by it
    sign_in_page = web.post("/staff/sign-in?lang=en", content=body, headers=headers)
    assert sign_in_page.status_code == 422
    assert "The form could not be read. Send it from this page again." in _text(sign_in_page.text)
    assert web.get("/staff", follow_redirects=False).status_code != 200
    for path in ("/?lang=en", f"/t/{code}?lang=en"):
        page = web.post(path, content=body, headers=headers)
        assert page.status_code == 422, path
        assert "The form could not be read. Send it from this page again." in _text(page.text)
    sign_in(web, api, "admin")
    page = web.post(f"/staff/tickets/{code}/actions?lang=id", content=body, headers=headers)
    assert page.status_code == 422
    assert "Formulir tidak dapat dibaca. Kirim lagi dari halaman ini." in _text(page.text)
    assert api.client.get(f"/api/v1/reports/{code}").json()["state"] == state
    assert _reports(api) == count
