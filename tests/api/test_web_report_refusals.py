"""Every refusal of the report form posted without its script is the report page, in the page's
language, naming the box, with the form as typed; the API's door keeps its problem documents,
in the project's words (never Starlette's "Too many files. Maximum number of files is 7.")."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

from api.web.report_form import fields_limit
from engine import list_services
from tests.api.conftest import MONAS, Api
from tests.api.test_web_private import _form, _tickets
from tests.conftest import make_photo

TYPED = "Pungli parkir liar di depan Monas"


def _page(api: Api, response: Any) -> str:
    """The report page's refusal, as the person reads it (the form stays below it)."""
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("text/html"), response.text
    said = re.search(r'<p id="form-error" class="error" role="alert">([^<]*)</p>', response.text)
    assert said is not None, response.text[:300]
    return unescape(said[1])


def _typed(response: Any) -> str:
    return unescape(response.text)


def _multipart(api: Api, lang: str, extra: list[tuple[str, Any]]) -> Any:
    api.clock.tick()
    files = [*_form().items(), *extra]
    return api.client.post(f"/?lang={lang}", files=files, headers={"Accept": "text/html"})


def _urlencoded(api: Api, lang: str, body: str) -> Any:
    api.clock.tick()
    return api.client.post(
        f"/?lang={lang}",
        content=body.encode(),
        headers={"Accept": "text/html", "Content-Type": "application/x-www-form-urlencoded"},
    )


def _fields(**changed: str) -> str:
    from urllib.parse import urlencode

    sent = {k: v for k, (_none, v) in _form().items()}
    sent.update(changed)
    return urlencode(sent)


@pytest.mark.parametrize(
    ("lang", "words"),
    [("id", "Paling banyak 5 foto sekaligus."), ("en", "At most 5 photos at once.")],
)
def test_report_form_with_eight_photos_is_the_page_naming_photos(
    api: Api, lang: str, words: str
) -> None:
    before = _tickets(api)
    photos = [("photos", (f"{n}.jpg", make_photo(), "image/jpeg")) for n in range(8)]
    sent = _multipart(api, lang, photos)
    assert _page(api, sent) == words
    assert TYPED in _typed(sent)  # the form as typed
    assert _tickets(api) == before


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("id", "Formulir ini terlalu banyak isiannya (paling banyak {limit})."),
        ("en", "The form has too many boxes (at most {limit})."),
    ],
)
def test_report_form_with_too_many_fields_is_the_page(api: Api, lang: str, words: str) -> None:
    # 40, and one per box of the catalogue's questions (the page shows them all without script)
    with api.transactions.read() as session:
        limit = fields_limit(list_services(session))
    assert limit > 40
    words = words.format(limit=limit)
    before = _tickets(api)
    sent = _multipart(api, lang, [(f"x{n}", (None, "1")) for n in range(limit)])
    assert words in _page(api, sent)
    assert TYPED in _typed(sent)
    assert words in _page(api, _urlencoded(api, lang, _fields() + "&x=1" * limit))
    assert _tickets(api) == before


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("id", 'Kotak "Keterangan" terlalu panjang: lebih dari 1,0 MB.'),
        ("en", 'The "Description" box is too long: more than 1.0 MB.'),
    ],
)
def test_report_form_with_a_box_past_a_megabyte_is_the_page_naming_it(
    api: Api, lang: str, words: str
) -> None:
    before = _tickets(api)
    huge = "x" * (1024 * 1024 + 1)
    text = _page(api, _urlencoded(api, lang, _fields(description=huge)))
    assert words.lower() in text.lower()
    text = _page(api, _multipart(api, lang, [("description", (None, huge))]))
    assert words.lower() in text.lower()
    assert _tickets(api) == before


@pytest.mark.parametrize(
    ("changed", "words"),
    [
        ({"description": "x" * 4001}, "terlalu panjang: 4001 huruf, paling banyak 4000."),
        ({"phone": "1" * 41}, "terlalu panjang: 41 huruf, paling banyak 40."),
    ],
)
def test_report_form_text_too_long_says_how_long(
    api: Api, changed: dict[str, str], words: str
) -> None:
    text = _page(api, _urlencoded(api, "id", _fields(**changed)))
    assert words in text
    assert "Ada isian yang belum benar" not in text


@pytest.mark.parametrize("twice", ["description=x&description=y", "private=1&private=1"])
def test_report_form_with_a_box_sent_twice_says_sent_twice(api: Api, twice: str) -> None:
    name = twice.split("=")[0]
    body = "&".join(p for p in _fields().split("&") if not p.startswith(f"{name}=")) + "&" + twice
    text = _page(api, _urlencoded(api, "id", body))
    assert "terkirim dua kali. Kirim formulirnya sekali lagi." in text
    assert "Ada isian yang belum benar" not in text


def _api_form() -> dict[str, str]:
    return {
        "category": "traffic_jam",
        "description": "Macet",
        "lat": str(MONAS[0]),
        "lon": str(MONAS[1]),
    }


def test_api_refusals_of_a_form_too_big_are_in_the_projects_words(api: Api) -> None:
    photos = [("photos", (f"{n}.jpg", make_photo(), "image/jpeg")) for n in range(8)]
    refused = api.client.post("/api/v1/reports", data=_api_form(), files=photos)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == "at most 5 photos at once"
    assert refused.json()["params"] == {"field": "photos", "limit": 5}

    many = [(f"x{n}", (None, "1")) for n in range(41)]
    refused = api.client.post("/api/v1/reports", data=_api_form(), files=many)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == "the form has more than 40 fields"

    huge = [("description", (None, "x" * (1024 * 1024 + 1)))]
    form = {k: v for k, v in _api_form().items() if k != "description"}
    refused = api.client.post("/api/v1/reports", data=form, files=huge)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == "description is longer than 1024 KB"
    assert refused.json()["params"]["field"] == "description"


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "id",
            "Garis lintang dan garis bujur tampaknya tertukar: tulis garis lintang (-90 sampai 90) "
            "dulu, lalu garis bujur.",
        ),
        (
            "en",
            "The latitude and longitude look swapped: write the latitude (-90 to 90) first, then "
            "the longitude.",
        ),
    ],
)
def test_coordinates_typed_longitude_first_are_said_to_be_swapped(
    api: Api, lang: str, words: str
) -> None:
    """A tester typed "106.8272, -6.1754" (as GeoJSON and many map sites write a point) and
    read only "That location is not a valid point"."""
    before = _tickets(api)
    sent = _urlencoded(api, lang, _fields(coords=f"{MONAS[1]}, {MONAS[0]}"))
    assert _page(api, sent) == words
    assert _tickets(api) == before


def test_a_point_given_longitude_first_is_refused_as_swapped_on_every_door(api: Api) -> None:
    report = {"category": "traffic_jam", "description": "Macet", "lat": MONAS[1], "lon": MONAS[0]}
    json_door = api.client.post("/api/v1/reports", json=report)
    assert json_door.status_code == 422, json_door.text
    assert (json_door.json()["code"], json_door.json()["params"]) == (
        "invalid_location_swapped",
        {"field": "lat"},
    )
    assert json_door.json()["detail"] == (
        "lat must be between -90 and 90; lat and lon look swapped (the latitude comes first)"
    )
    form = {k: str(v) for k, v in report.items()}
    multipart = [(k, (None, v)) for k, v in form.items()]
    assert api.client.post("/api/v1/reports", files=multipart).json()["code"] == (
        "invalid_location_swapped"
    )
    open311 = api.client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": api.keys["staff"],
            "service_code": "traffic_jam",
            "description": "Macet",
            "lat": str(MONAS[1]),
            "long": str(MONAS[0]),
        },
    )
    assert open311.status_code == 400, open311.text
    assert "lat and long look swapped" in open311.json()[0]["description"]
    # A latitude beyond 90 beside a longitude that is no latitude either: not a swap.
    off = api.client.post("/api/v1/reports", json={**report, "lon": 120.0})
    assert off.json()["code"] == "invalid_location"


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("id", 'Kotak "tempat yang ditemukan untuk alamat" terkirim dua kali.'),
        ("en", 'The "place found for the address" box was sent twice.'),
    ],
)
def test_report_form_with_a_place_chosen_twice_names_the_place_box(
    api: Api, lang: str, words: str
) -> None:
    """``-F place=31.71.01.1001 -F place=31.71.01`` said "salah satu isian" was sent twice."""
    body = _fields(coords="", address="Gambir") + "&place=31.71.01.1001&place=31.71.01"
    text = _page(api, _urlencoded(api, lang, body))
    assert text.startswith(words)
