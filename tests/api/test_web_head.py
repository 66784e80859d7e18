"""HEAD is answered on every address that answers GET: the same status and headers (the GET's
``Content-Length`` too) and no body, the handler run once; a path without GET refuses HEAD as
it refuses GET (uptime monitors and link checkers ask with HEAD)."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image

from api.web import citizen
from tests.api.conftest import MONAS, Api

#: Headers that may differ between two answers given a moment apart.
MOMENTARY = {"date"}


def _same_but_bodiless(api: Api, path: str, **options: Any) -> httpx.Response:
    got = api.client.get(path, **options)
    head = api.client.head(path, **options)
    assert head.status_code == got.status_code, (path, head.status_code, got.status_code)
    assert head.content == b""
    assert {k: v for k, v in head.headers.items() if k not in MOMENTARY} == {
        k: v for k, v in got.headers.items() if k not in MOMENTARY
    }
    if "content-length" in got.headers:
        assert int(head.headers["content-length"]) == len(got.content)
    return got


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


def test_pages_answer_head_as_get_without_the_body(api: Api) -> None:
    code = api.submit()["code"]
    for path in ("/", f"/t/{code}", "/t", "/static/js/report.js", "/docs", "/openapi.json"):
        got = _same_but_bodiless(api, path)
        assert got.status_code == 200 and got.content, path
    assert "Laporkan masalah" in _same_but_bodiless(api, "/").text


def test_api_open311_and_photos_answer_head_as_get(api: Api) -> None:
    api.clock.tick()
    created = api.client.post(
        "/api/v1/reports",
        data={"category": "traffic_jam", "description": "Macet", "lat": MONAS[0], "lon": MONAS[1]},
        files=[("photos", ("macet.jpg", _photo(), "image/jpeg"))],
    )
    assert created.status_code == 201, created.text
    code = created.json()["code"]
    report = _same_but_bodiless(api, f"/api/v1/reports/{code}")
    assert report.json()["code"] == code
    (photo,) = report.json()["photos"]
    media = _same_but_bodiless(api, photo["url"])
    assert media.headers["content-type"] == "image/jpeg" and media.content.startswith(b"\xff\xd8")
    requests = _same_but_bodiless(api, "/open311/v2/requests.json")
    assert requests.status_code == 200 and requests.json()
    _same_but_bodiless(api, "/open311/v2/services.xml")
    staff = _same_but_bodiless(api, f"/api/v1/tickets/{code}", headers=api.auth("admin"))
    assert staff.status_code == 200
    assert _same_but_bodiless(api, f"/api/v1/tickets/{code}").status_code == 401


def test_not_found_answers_head_with_its_status(api: Api) -> None:
    for path in (
        "/t/JKT-0000-0000",
        "/api/v1/reports/JKT-0000-0000",
        "/no-such-page",
        "/media/00/" + "0" * 64 + ".jpg",
        "/open311/v2/requests/JKT-0000-0000.json",
    ):
        assert _same_but_bodiless(api, path).status_code == 404, path


def test_head_runs_the_page_once(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    code = api.submit()["code"]
    calls: list[str] = []
    read = citizen.get_public

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[1])
        return read(*args, **kwargs)

    monkeypatch.setattr(citizen, "get_public", counted)
    head = api.client.head(f"/t/{code}")
    assert (head.status_code, head.content, calls) == (200, b"", [code])


def test_head_on_a_route_without_get_is_refused_and_writes_nothing(api: Api) -> None:
    code = api.submit()["code"]
    for path in (f"/api/v1/reports/{code}/comments", f"/api/v1/reports/{code}/supporters"):
        head = api.client.head(path)
        got = api.client.get(path)
        assert (head.status_code, got.status_code) == (405, 405), path
        assert head.headers["allow"] == got.headers["allow"] == "POST"
        assert head.content == b""
    assert api.client.get(f"/api/v1/reports/{code}").json()["supporters"] == 0


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/api/v1/reports", "GET, HEAD, POST"),
        ("DELETE", "/open311/v2/requests.xml", "GET, HEAD, POST"),
        ("POST", "/api/v1/reports/JKT-0000-0000", "GET, HEAD"),
        ("PATCH", "/api/v1/tickets", "GET, HEAD, POST"),
    ],
)
def test_a_405_allows_every_method_served_at_the_path(
    api: Api, method: str, path: str, allow: str
) -> None:
    """A tester's report: ``PUT /api/v1/reports`` said ``Allow: POST`` though GET and HEAD
    are served there (Starlette named the first route's methods only); RFC 9110 §15.5.6
    wants every method the resource supports."""
    response = api.client.request(method, path)
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == allow
