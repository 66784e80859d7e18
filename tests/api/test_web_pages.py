"""The citizen pages as HTML (no browser): what they show, in which language, and what they
never show — citizen text stays text, the reporter stays anonymous."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from api.web.pages import zone_names
from engine import Settings
from tests.api.conftest import MONAS, Api

PERSON = {"name": "Siti Rahayu", "email": "siti.rahayu@example.id", "phone": "+62 812 5555 0101"}
SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(2)>'


def test_tracking_link_opens_the_tracking_page_in_indonesian(api: Api) -> None:
    code = api.submit(description="Macet total di depan Monas sejak pagi")["code"]
    page = api.client.get(f"/t/{code.lower()}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="id">' in html
    assert f"Laporan {code}" in html
    assert '<span class="badge red">Menunggu</span>' in html
    assert "Macet total di depan Monas sejak pagi" in html
    assert "Laporan diterima · oleh warga" in html
    # The resolution target, in local words (filed Monday 23 Nov 2026 09:05 WIB).
    assert "Target selesai" in html and "November 2026" in html and "WIB" in html


def test_root_is_the_report_page_and_the_api_docs_stay_linked(api: Api) -> None:
    html = api.client.get("/").text
    assert "<h1>Laporkan masalah</h1>" in html
    assert '<input type="radio" name="category" value="traffic_jam" required>' in html
    assert '<a href="/docs">' in html
    assert api.client.get("/docs").status_code == 200


def test_language_switch_sets_a_cookie_that_later_pages_follow(api: Api) -> None:
    first = api.client.get("/?lang=en")
    assert "<h1>Report a problem</h1>" in first.text
    assert first.cookies.get("lang") == "en"
    assert "<h1>Track a report</h1>" in api.client.get("/t").text
    assert "<h1>Lacak laporan</h1>" in api.client.get("/t?lang=id").text


def test_unknown_code_is_a_friendly_404_in_the_chosen_language(api: Api) -> None:
    page = api.client.get("/t/JKT-NOPE-NOPE?lang=en")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Report not found</h1>" in page.text
    assert "There is no report with code JKT-NOPE-NOPE." in page.text
    hostile = api.client.get("/t/%3Cb%20onmouseover=alert(1)%3E")
    assert hostile.status_code == 404
    assert "<b onmouseover" not in hostile.text
    assert "&lt;b onmouseover=alert(1)&gt;" in hostile.text


def test_pages_show_citizen_text_as_text_and_never_the_reporter(api: Api) -> None:
    code = api.submit(description=f"Banjir {SCRIPT} di sini", address=ATTRIBUTE, **PERSON)["code"]
    pages = {
        "track": api.client.get(f"/t/{code}").text,
        "track-en": api.client.get(f"/t/{code}?lang=en").text,
        "nearby": api.client.get(
            "/web/nearby", params={"category": "traffic_jam", "lat": MONAS[0], "lon": MONAS[1]}
        ).text,
    }
    assert code in pages["nearby"]
    for name, html in pages.items():
        assert SCRIPT not in html, name
        assert "<img src=x" not in html, name
        assert "Banjir &lt;script&gt;alert(1)&lt;/script&gt; di sini" in html, name
        for value in PERSON.values():
            assert value not in html, (name, value)
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in pages["track"]


def test_pages_allow_only_their_own_origin(api: Api) -> None:
    policy = api.client.get("/").headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "connect-src 'self'" in policy


def test_nearby_lists_open_reports_of_that_category_only(api: Api) -> None:
    jam = api.submit()["code"]
    flood = api.submit(category="flood", description="Banjir")["code"]
    params = {"category": "traffic_jam", "lat": MONAS[0], "lon": MONAS[1], "lang": "en"}
    html = api.client.get("/web/nearby", params=params).text
    assert jam in html and flood not in html
    assert "Someone already reported this nearby" in html
    far = api.client.get("/web/nearby", params={**params, "lat": MONAS[0] + 0.05}).text
    assert far.strip() == ""


def test_a_tile_url_setting_reaches_the_map_and_the_policy(api: Api) -> None:
    tiles = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    api.app.state.settings = api.app.state.settings.model_copy(update={"map_tile_url": tiles})
    page = api.client.get("/")
    assert f'data-tiles="{tiles}"' in page.text
    assert (
        "img-src 'self' data: blob: https://*.tile.example.org"
        in page.headers["content-security-policy"]
    )


def test_a_tile_url_without_its_placeholders_is_refused() -> None:
    with pytest.raises(ValidationError, match="a tile URL like"):
        Settings(map_tile_url="https://tiles.example.org/tile.png")


def test_the_tracking_page_carries_the_city_zone_and_its_names_for_its_script(api: Api) -> None:
    code = api.submit()["code"]
    html = api.client.get(f"/t/{code}").text
    assert (
        """<ol class="timeline" data-timezone="Asia/Jakarta" data-zone-names='{"420": "WIB"}'>"""
        in html
    )


def test_zone_names_follow_a_zone_that_changes_its_clock() -> None:
    since = datetime(2025, 12, 1, tzinfo=UTC)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert zone_names("America/New_York", since, now) == {-300: "EST", -240: "EDT"}
    assert zone_names("Asia/Makassar", since, now) == {480: "WITA"}
    # A report of long ago: ten years back are enough for the reporter's own entries.
    assert zone_names("Asia/Jakarta", datetime(1990, 1, 1, tzinfo=UTC), now) == {420: "WIB"}


def test_no_citizen_form_would_put_what_is_typed_into_an_address(api: Api) -> None:
    """A form without a method is sent as GET by a browser whose script did not run (blocked,
    failed to load, a text browser): the report form then put the description, name and
    e-mail into the page's address, the reporter's code form the secret code, and logs and
    histories keep addresses. Only the find-by-code forms ask by GET, for a code alone."""
    import re

    code = api.submit(email="ani@warga.example")["code"]
    api.drive(code, "verify", "assign", "start", "resolve")
    pages = {"/": api.client.get("/"), f"/t/{code}": api.client.get(f"/t/{code}")}
    forms = 0
    for path, page in pages.items():
        assert page.status_code == 200, path
        for form in re.findall(r"<form\b[^>]*>.*?</form>", page.text, flags=re.S):
            forms += 1
            tag = form[: form.index(">") + 1]
            if 'method="get"' in tag:
                fields = set(re.findall(r'<(?:input|textarea|select)\b[^>]*name="([^"]+)"', form))
                assert fields == {"code"}, (path, tag, fields)
            else:
                assert 'method="post"' in tag, (path, tag)
    assert forms >= 5  # the report form; the token, comment, dispute and rating forms
