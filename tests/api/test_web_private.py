"""The report page's "report privately" and phone boxes (no browser): what the page says about
them in both languages, what its form sends without the page's script (the browser posts it to
``/`` itself) and what is stored, what the receipt says, and what staff then see."""

from __future__ import annotations

import io
import re
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from engine.models import Ticket
from tests.api.conftest import MONAS, Api
from tests.api.test_staff_pages import ORIGIN, sign_in

WORDS = {
    "id": [
        "Laporkan secara rahasia",
        "Petugas Pemprov tidak akan melihat nama, e-mail, atau nomor telepon Anda",
        "Laporannya sendiri tetap seterbuka jenis masalahnya",
        "Nomor telepon (tidak wajib)",
        "Nomor telepon Anda tidak pernah ditampilkan untuk umum.",
        "Ingat laporan ini di perangkat ini",
        "Jangan dicentang di komputer atau ponsel yang juga dipakai orang lain",
    ],
    "en": [
        "Report privately",
        "The city's staff will not see your name, e-mail or phone number",
        "The report itself stays as public as its kind of problem makes it",
        "Phone number (optional)",
        "Your phone number is never shown publicly.",
        "Remember this report on this device",
        "Leave it off on a computer or phone others use too",
    ],
}
PRIVATE_RECEIPT = {
    "id": "Anda mengirim laporan ini secara rahasia",
    "en": "You filed this report privately",
}


def _form(**fields: str) -> dict[str, Any]:
    """What the report form sends when no script runs: its boxes, as multipart."""
    sent = {
        "category": "traffic_jam",
        "coords": f"{MONAS[0]}, {MONAS[1]}",
        "address": "",
        "description": "Pungli parkir liar di depan Monas",
        "name": "Siti Rahayu",
        "email": "siti.rahayu@example.id",
        "phone": "+62 812 5555 0101",
        "private": "1",
    }
    sent.update(fields)
    return {k: (None, v) for k, v in sent.items() if v is not None}


def _post(api: Api, lang: str = "id", **fields: str) -> Any:
    api.clock.tick()
    # An empty file box still sends a part with no file name: it is no photo.
    files = [*_form(**fields).items(), ("photos", ("", b"", "application/octet-stream"))]
    return api.client.post(f"/?lang={lang}", files=files, headers={"Accept": "text/html"})


def _ticket(api: Api, code: str) -> tuple[bool, str | None, str | None, str | None]:
    with api.transactions.read() as session:
        t = session.scalars(select(Ticket).where(Ticket.code == code)).one()
        return t.private, t.reporter_phone, t.reporter_name, t.reporter_email


def _tickets(api: Api) -> int:
    with api.transactions.read() as session:
        return session.scalar(select(func.count()).select_from(Ticket)) or 0


@pytest.mark.parametrize("lang", ["id", "en"])
def test_report_page_says_what_private_and_phone_mean_in_its_language(api: Api, lang: str) -> None:
    html = api.client.get(f"/?lang={lang}").text
    for words in WORDS[lang]:
        assert words.replace("'", "&#39;") in html, words
    # The boxes travel with the form itself, as multipart (its photos too).
    form = re.search(r'<form id="report-form"[^>]*>', html)
    assert form is not None and 'enctype="multipart/form-data"' in form[0]
    assert 'method="post"' in form[0]
    assert '<input type="checkbox" id="private" name="private" value="1"' in html
    assert 'name="phone"' in html and 'type="tel"' in html
    assert html.count('name="photos"') == 2


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_form_posted_without_script_files_a_private_report_with_the_phone(
    api: Api, lang: str
) -> None:
    page = _post(api, lang)
    assert page.status_code == 201, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "private, no-store"
    code_found = re.search(r'<p class="code" id="receipt-code">(JKT-[0-9A-Z-]+)</p>', page.text)
    assert code_found is not None, page.text
    code = code_found[1]
    # The receipt, written by the server: the code, the link to keep (token in the fragment),
    # and that it was filed privately.
    link = re.search(
        rf'id="receipt-link" readonly value="(http://[^"]+/t/{code}#token=[^"]+)"', page.text
    )
    assert link is not None
    assert PRIVATE_RECEIPT[lang] in page.text
    assert '<p id="receipt-private" class="warning">' in page.text
    assert '<form id="report-form" class="report" method="post"' in page.text
    assert re.search(r'<form id="report-form"[^>]* hidden>', page.text)

    assert _ticket(api, code) == (
        True,
        "+62 812 5555 0101",
        "Siti Rahayu",
        "siti.rahayu@example.id",
    )
    # The token in the link opens the reporter's own view.
    token = link[1].split("#token=")[1]
    own = api.client.get(f"/api/v1/reports/{code}/private", headers={"X-Reporter-Token": token})
    assert own.status_code == 200 and own.json()["private"] is True


def test_a_private_report_hides_the_reporter_from_staff_not_from_admins(api: Api) -> None:
    page = _post(api)
    code = re.search(r'id="receipt-code">(JKT-[0-9A-Z-]+)<', page.text)
    assert code is not None
    staff = api.client.get(f"/api/v1/tickets/{code[1]}", headers=api.auth("staff"))
    assert staff.status_code == 200
    assert staff.json()["reporter"] is None
    for secret in ("Siti Rahayu", "siti.rahayu@example.id", "5555"):
        assert secret not in staff.text
    admin = api.client.get(f"/api/v1/tickets/{code[1]}", headers=api.auth("admin"))
    assert admin.json()["reporter"]["phone"] == "+62 812 5555 0101"
    # The staff page of the ticket too: the staff member's has none of it, the admin's has.
    for who, shown in (("staff", False), ("admin", True)):
        web = TestClient(api.app, base_url=ORIGIN, follow_redirects=False)
        web.headers["Origin"] = ORIGIN
        sign_in(web, api, who)
        html = web.get(f"/staff/tickets/{code[1]}").text
        assert "Pungli parkir liar di depan Monas" in html
        for secret in ("Siti Rahayu", "siti.rahayu@example.id", "+62 812 5555 0101"):
            assert (secret in html) is shown, (who, secret)


def test_a_report_not_marked_private_says_nothing_of_it(api: Api) -> None:
    page = _post(api, private=None)  # type: ignore[arg-type]
    assert page.status_code == 201
    assert PRIVATE_RECEIPT["id"] in page.text  # the words are on the page, hidden
    assert '<p id="receipt-private" class="warning" hidden>' in page.text
    code = re.search(r'id="receipt-code">(JKT-[0-9A-Z-]+)<', page.text)
    assert code is not None
    assert _ticket(api, code[1])[:2] == (False, "+62 812 5555 0101")


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("id", 'Kotak "nomor telepon" bukan nomor telepon'),
        ("en", 'The "phone number" box is not a phone number'),
    ],
)
def test_a_phone_the_engine_refuses_is_said_on_the_form_again_and_nothing_is_stored(
    api: Api, lang: str, words: str
) -> None:
    before = _tickets(api)
    page = _post(api, lang, phone="12")
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert f'<p id="form-error" class="error" role="alert">{words}' in unescape(page.text)
    # What was typed is there again, the private box still ticked.
    assert 'value="12"' in page.text
    assert 'name="private" value="1" aria-describedby="private-hint" checked>' in page.text
    assert "Pungli parkir liar di depan Monas</textarea>" in page.text
    assert 'value="traffic_jam" required checked>' in page.text
    assert "Traceback" not in page.text
    assert _tickets(api) == before


@pytest.mark.parametrize(
    "typed", ["abc, def", "-6.1754, timur", "95, 106.8", "-6.17, 200", "nan, 1"]
)
def test_coordinates_that_are_no_point_name_the_coordinates_box(api: Api, typed: str) -> None:
    """The page has one box for the point: a latitude or longitude that is no number, or out of
    range, is that box's fault, never a "latitude" box the page does not have."""
    before = _tickets(api)
    page = _post(api, "en", coords=typed)
    assert page.status_code == 422
    said = unescape(page.text)
    assert '<p id="form-error" class="error" role="alert">' in said
    assert '"coordinates"' in said and "latitude" not in said.split('id="form-error"')[1][:200]
    assert _tickets(api) == before


def test_the_api_answer_says_whether_it_was_filed_privately(api: Api) -> None:
    assert api.submit(private=True, phone="0812 5555 0101")["private"] is True
    assert api.submit()["private"] is False


def test_tracking_page_offers_remembering_and_forgetting_in_words(api: Api) -> None:
    code = api.submit()["code"]
    for lang, words in (
        ("id", ("Ingat laporan ini di perangkat ini", "Lupakan di perangkat ini", "warnet")),
        ("en", ("Remember this report on this device", "Forget on this device", "warnet")),
    ):
        html = api.client.get(f"/t/{code}?lang={lang}").text
        for w in words:
            assert w in html, (lang, w)
        assert '<input type="checkbox" id="token-remember"' in html
        assert '<input type="checkbox" id="remember-token"' in html
    assert "Ingat laporan ini di perangkat ini" in api.client.get("/t/JKT-0000-0000?lang=id").text


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 90, 90)).save(out, format="JPEG")
    return out.getvalue()


def test_without_script_the_form_carries_its_photo_and_a_kind_that_needs_one_asks(
    api: Api,
) -> None:
    """The photo boxes are named, so a browser without the script sends the photo with the
    report; a kind of problem that needs a photo, sent without one, is refused in words."""
    refused = _post(api, "en", category="broken_road")
    assert refused.status_code == 422
    assert "A report of this kind needs at least one photo." in unescape(refused.text)

    api.clock.tick()
    files = [
        *_form(category="broken_road").items(),
        ("photos", ("lubang.jpg", _jpeg(), "image/jpeg")),
    ]
    page = api.client.post("/", files=files, headers={"Accept": "text/html"})
    assert page.status_code == 201, page.text
    code = re.search(r'id="receipt-code">(JKT-[0-9A-Z-]+)<', page.text)
    assert code is not None
    stored = api.client.get(f"/api/v1/reports/{code[1]}").json()
    assert [(p["width"], p["height"]) for p in stored["photos"]] == [(64, 48)]
