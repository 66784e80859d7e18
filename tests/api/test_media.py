"""``GET /media/{key}``: who gets a stored photo's bytes. A photo the public sees (the report's,
the reporter's, staff's on a public note) opens for anyone; staff's photo on an internal note
opens only for a key, or a staff page sign-in, that may see its ticket — for everyone else it
is the same 404 as a key nothing uses. Public responses never carry an internal photo's URL."""

from __future__ import annotations

import base64
import html
import io
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from engine.errors import shown as quoted
from tests.api.conftest import MONAS, Api
from tests.api.test_public_events import _everything_public
from tests.api.test_web_staff_ticket import ORIGIN, sign_in

PRIVATE_HOUSE = "Foto rumah pelapor dan KTP-nya, jangan disebar"
PUBLIC_NOTE = "Tim sudah di lokasi"
UNKNOWN = "/media/00/" + "0" * 64 + ".jpg"


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    """A photo of its own colour: photos are stored by content, so equal bytes share a key."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, format="JPEG")
    return out.getvalue()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def _staff_photos(api: Api, code: str, who: str = "admin") -> list[dict[str, Any]]:
    photos: list[dict[str, Any]] = _ok(
        api.client.get(f"/api/v1/tickets/{code}", headers=api.auth(who))
    )["photos"]
    return photos


def _ticket(api: Api) -> tuple[str, str, str]:
    """A DISHUB ticket at Monas with the reporter's photo, an internal staff comment with a
    photo (the reporter's house) and a public staff comment with another.
    Returns (code, the internal photo's URL, the public comment photo's URL)."""
    api.clock.tick()
    created = api.client.post(
        "/api/v1/reports",
        data={
            "category": "traffic_jam",
            "description": "Macet",
            "lat": str(MONAS[0]),
            "lon": str(MONAS[1]),
        },
        files=[("photos", ("macet.jpg", _jpeg((10, 120, 10)), "image/jpeg"))],
    )
    code = _ok(created)["code"]
    api.tokens[code] = created.json()["reporter_token"]
    api.drive(code, "verify", "assign", "start")
    internal = api.act(
        code,
        "comment",
        "staff",
        note=PRIVATE_HOUSE,
        public=False,
        photos=[_b64(_jpeg((200, 30, 30)))],
    )
    _ok(internal)
    public = api.act(
        code, "comment", "staff", note=PUBLIC_NOTE, public=True, photos=[_b64(_jpeg((0, 0, 200)))]
    )
    _ok(public)
    photos = _staff_photos(api, code)
    (secret,) = [p["url"] for p in photos if not p["public"]]
    (shown,) = [p["url"] for p in photos if p["public"] and p["purpose"] == "comment"]
    return code, secret, shown


def _same_as_unknown(response: httpx.Response, url: str, unknown: httpx.Response) -> None:
    """``response`` is the 404 an unknown key gets, word for word but for the key itself."""
    assert response.status_code == unknown.status_code == 404
    key, unknown_key = url.removeprefix("/media/"), UNKNOWN.removeprefix("/media/")
    assert response.text == unknown.text.replace(quoted(unknown_key), quoted(key))
    assert response.headers.get("content-type") == unknown.headers.get("content-type")
    assert "cache-control" not in response.headers
    assert "cache-control" not in unknown.headers


def test_an_internal_photo_is_a_404_to_anyone_without_a_key_as_an_unknown_key(api: Api) -> None:
    code, secret, _ = _ticket(api)
    unknown = api.client.get(UNKNOWN)
    _same_as_unknown(api.client.get(secret), secret, unknown)
    # what a browser asking for a page gets is no different either
    html = {"Accept": "text/html"}
    _same_as_unknown(
        api.client.get(secret, headers=html), secret, api.client.get(UNKNOWN, headers=html)
    )
    # a reporter's token is not a staff key: the reporter never saw this photo listed
    token = {"X-Reporter-Token": api.tokens[code]}
    _same_as_unknown(api.client.get(secret, headers=token), secret, unknown)


@pytest.mark.parametrize("who", ["staff", "supervisor", "admin", "kecamatan", "governor"])
def test_an_internal_photo_opens_for_a_key_that_sees_the_ticket(api: Api, who: str) -> None:
    _, secret, _ = _ticket(api)
    response = api.client.get(secret, headers=api.auth(who))
    assert response.status_code == 200, response.text
    assert response.content == (api.media / secret.removeprefix("/media/")).read_bytes()
    assert Image.open(io.BytesIO(response.content)).getpixel((20, 15))[0] > 150  # the red one
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"] == "private, no-store"


# client: an Open311 app's key, which sees no ticket at all
@pytest.mark.parametrize("who", ["outsider", "menteng_only", "client"])
def test_an_internal_photo_is_a_404_for_a_key_that_does_not_see_the_ticket(
    api: Api, who: str
) -> None:
    code, secret, _ = _ticket(api)
    # the same key is refused the ticket itself (another agency, or outside its area)
    assert api.client.get(f"/api/v1/tickets/{code}", headers=api.auth(who)).status_code == 403
    unknown = api.client.get(UNKNOWN, headers=api.auth(who))
    _same_as_unknown(api.client.get(secret, headers=api.auth(who)), secret, unknown)


def test_a_bad_key_is_a_401_whatever_the_photo(api: Api) -> None:
    _, secret, shown = _ticket(api)
    bad = {"Authorization": "Bearer tgk_nope_nope"}
    answers = [api.client.get(url, headers=bad) for url in (secret, shown, UNKNOWN)]
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert len({a.json()["detail"] for a in answers}) == 1


def test_public_photos_open_for_anyone_and_may_be_cached(api: Api) -> None:
    code, secret, shown = _ticket(api)
    report = _ok(api.client.get(f"/api/v1/reports/{code}"))
    urls = [p["url"] for p in report["photos"]]
    assert len(urls) == 2 and shown in urls and secret not in urls
    for url in urls:
        response = api.client.get(url)
        assert response.status_code == 200, response.text
        assert response.content == (api.media / url.removeprefix("/media/")).read_bytes()
        assert response.headers["cache-control"] == "public, max-age=300, must-revalidate"
    # a staff key gets them as anyone does
    assert api.client.get(shown, headers=api.auth("outsider")).status_code == 200


def test_the_same_bytes_on_a_public_note_are_public(api: Api) -> None:
    """Photos are stored by content: once the same photo is public anywhere, its bytes are."""
    code, secret, _ = _ticket(api)
    again = _b64((api.media / secret.removeprefix("/media/")).read_bytes())
    _ok(api.act(code, "comment", "staff", note=PUBLIC_NOTE, public=True, photos=[again]))
    response = api.client.get(secret)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300, must-revalidate"


def test_no_public_document_names_an_internal_photo(api: Api) -> None:
    code, secret, shown = _ticket(api)
    key = secret.removeprefix("/media/")
    texts = _everything_public(api, code)
    assert all(key not in text for text in texts)
    assert any(shown.removeprefix("/media/") in text for text in texts)  # the check can see URLs
    private = api.client.get(
        f"/api/v1/reports/{code}/private", headers={"X-Reporter-Token": api.tokens[code]}
    )
    assert key not in private.text


def test_the_reporters_private_view_lists_photos_anyone_may_open(api: Api) -> None:
    code, _, _ = _ticket(api)
    token = {"X-Reporter-Token": api.tokens[code]}
    comment = api.client.post(
        f"/api/v1/reports/{code}/comments",
        json={"text": "ini fotonya lagi", "photos": [_b64(_jpeg((240, 240, 0)))]},
        headers=token,
    )
    _ok(comment)
    mine = _ok(api.client.get(f"/api/v1/reports/{code}/private", headers=token))
    photos = mine["report"]["photos"]
    assert [(p["purpose"], p["added_by"]) for p in photos] == [
        ("report", "citizen"),
        ("comment", "staff"),
        ("comment", "citizen"),
    ]
    for p in photos:  # an <img> sends no token: each must open without one
        assert api.client.get(p["url"]).status_code == 200


def test_staff_detail_lists_every_photo_saying_which_are_internal(api: Api) -> None:
    code, secret, shown = _ticket(api)
    photos = _staff_photos(api, code, "staff")
    assert [(p["purpose"], p["added_by"], p["public"]) for p in photos] == [
        ("report", "citizen", True),
        ("comment", "staff", False),
        ("comment", "staff", True),
    ]
    assert [p["url"] for p in photos][1:] == [secret, shown]


@pytest.fixture
def web(api: Api) -> TestClient:
    client = TestClient(api.app, base_url=ORIGIN, follow_redirects=False)
    client.headers["Origin"] = ORIGIN
    return client


def test_a_signed_in_staff_page_shows_the_internal_photo(web: TestClient, api: Api) -> None:
    code, secret, _ = _ticket(api)
    sign_in(web, api)
    page = web.get(f"/staff/tickets/{code}?lang=en").text
    figure = page[page.index(f'<img src="{secret}"') :].split("</figure>")[0]
    assert "Internal — citizens don't see it" in html.unescape(figure)
    # the <img> sends the sign-in cookie, and nothing else
    response = web.get(secret, headers={"Accept": "image/avif,image/webp,*/*"})
    assert response.status_code == 200, response.text
    assert response.content == (api.media / secret.removeprefix("/media/")).read_bytes()
    assert response.headers["cache-control"] == "private, no-store"
    # the public tracking page shows neither the photo nor its address
    assert secret.removeprefix("/media/") not in web.get(f"/t/{code}").text


def test_a_staff_page_sign_in_of_another_agency_gets_the_unknown_keys_404(
    web: TestClient, api: Api
) -> None:
    _, secret, _ = _ticket(api)
    sign_in(web, api, "outsider")
    _same_as_unknown(web.get(secret), secret, web.get(UNKNOWN))
    # a forged or stale cookie is nobody
    web.cookies.set("tanggap_staff", "forged.cookie.value")
    _same_as_unknown(web.get(secret), secret, web.get(UNKNOWN))
