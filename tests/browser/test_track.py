"""The tracking page in a real browser: photos before and after the fix, and the reporter's own
comments shown back to them (with the token only)."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import MONAS, Live, OpenPage

Shot = Callable[[Page, str], Path]


def jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (160, 120), colour).save(out, format="JPEG")
    return out.getvalue()


def b64(colour: tuple[int, int, int]) -> str:
    return base64.b64encode(jpeg(colour)).decode()


def test_photos_before_are_the_reporter_s_and_after_are_the_office_s(
    open_page: OpenPage, live: Live, axe: Callable[[Page], None]
) -> None:
    sent = live.request.post(
        "/api/v1/reports",
        multipart={
            "category": "damaged_sidewalk",
            "description": "Trotoar amblas",
            "lat": str(MONAS[0]),
            "lon": str(MONAS[1]),
            "photos": {"name": "a.jpg", "mimeType": "image/jpeg", "buffer": jpeg((200, 0, 0))},
        },
    )
    assert sent.status == 201, sent.text()
    code, token = sent.json()["code"], sent.json()["reporter_token"]
    # The reporter adds a photo; staff add one to a public note and one to an internal note.
    comment = live.request.post(
        f"/api/v1/reports/{code}/comments",
        data={"text": "Makin lebar", "photos": [b64((0, 0, 200))]},
        headers={"X-Reporter-Token": token},
    )
    assert comment.ok, comment.text()
    live.drive(code, "verify", "assign", "start")
    live.act(code, "comment", note="Sedang dicor", public=True, photos=[b64((0, 200, 0))])
    live.act(code, "comment", note="Foto gudang", public=False, photos=[b64((9, 9, 9))])
    live.drive(code, "resolve")

    photos = live.public(code)["photos"]
    assert [(p["purpose"], p["added_by"], p["after_fix"]) for p in photos] == [
        ("report", "citizen", False),
        ("comment", "citizen", False),
        ("comment", "admin", True),
        ("proof", "admin", True),
    ]
    assert all(set(p) == {"url", "content_type", "width", "height", "purpose", "added_by",
                          "after_fix", "events"} for p in photos)  # fmt: skip
    assert all(len(p["events"]) == 1 for p in photos)  # each sent once

    page = open_page(f"/t/{code}", size="desktop", lang="en")
    before = page.locator("figure.before img")
    after = page.locator("figure.after img")
    expect(page.locator("figure.before figcaption")).to_have_text("Photos from the reporter")
    expect(page.locator("figure.after figcaption")).to_contain_text("after the fix")
    assert [before.nth(i).get_attribute("src") for i in range(before.count())] == [
        photos[0]["url"],
        photos[1]["url"],
    ]
    assert [after.nth(i).get_attribute("src") for i in range(after.count())] == [
        photos[2]["url"],
        photos[3]["url"],
    ]
    expect(page.get_by_role("img", name="Photo from the office 2")).to_be_visible()
    axe(page)


def test_an_empty_comment_asks_for_the_comment_not_a_reason(
    open_page: OpenPage, live: Live
) -> None:
    created = live.submit(description="Lampu jalan mati")
    code, token = created["code"], created["reporter_token"]
    for lang, label, send, words, reason in (
        ("id", "Komentar untuk petugas", "Kirim komentar", "Tulis komentarnya dulu.", "alasan"),
        ("en", "Comment for the staff", "Send comment", "Write the comment first.", "reason"),
    ):
        page = open_page(f"/t/{code}#token={token}", size="phone", lang=lang)
        page.get_by_label(label).fill("\u200b \u200b")
        page.get_by_role("button", name=send).click()
        expect(page.locator("#action-error")).to_contain_text(words)
        expect(page.locator("#action-error")).not_to_contain_text(reason)


MONTHS = {
    "id": "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember",
    "en": "January February March April May June July August September October November December",
}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_reporter_s_new_entry_reads_in_city_time_as_the_others_do(
    open_page: OpenPage, live: Live, lang: str
) -> None:
    created = live.submit(description="Lampu jalan mati")
    code, token = created["code"], created["reporter_token"]
    live.drive(code, "verify")
    # A device on the other side of the world: the page still speaks Jakarta time.
    page = open_page(
        f"/t/{code}#token={token}", size="phone", lang=lang, timezone="America/New_York"
    )
    assert page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone") == (
        "America/New_York"
    )
    page.locator("#comment-text").fill("Masih mati malam ini")
    page.locator("#comment-form button[type=submit]").click()
    mine = page.locator(".timeline li.own-entry")
    expect(mine).to_have_count(1)

    private = live.request.get(
        f"/api/v1/reports/{code}/private", headers={"X-Reporter-Token": token}
    )
    (comment,) = [e for e in private.json()["report"]["timeline"] if e["action"] == "comment"]
    local = datetime.fromisoformat(comment["at"]).astimezone(ZoneInfo("Asia/Jakarta"))
    month = MONTHS[lang].split()[local.month - 1]
    expected = f"{local.day} {month} {local.year}, {local:%H:%M} WIB"
    expect(mine.locator("time")).to_have_text(expected)
    # The same words as every entry the server wrote.
    written = page.locator(".timeline li:not(.own-entry) time").all_inner_texts()
    assert len(written) == 2
    pattern = rf"\d{{1,2}} ({'|'.join(MONTHS[lang].split())}) \d{{4}}, \d\d:\d\d WIB"
    for text in [*written, expected]:
        assert re.fullmatch(pattern, text), text


@pytest.mark.parametrize(
    ("lang", "said", "dispute"),
    [
        ("en", "This is your report. You can dispute the fix or rate how it was solved.",
         "Not fixed?"),
        ("id", "Ini laporan Anda. Anda bisa membantah penyelesaiannya atau memberi nilai "
         "penyelesaiannya.", "Masalahnya belum beres?"),
    ],
)  # fmt: skip
def test_a_closed_report_offers_its_reporter_no_comment(
    open_page: OpenPage, live: Live, lang: str, said: str, dispute: str
) -> None:
    created = live.submit(description="Lubang di depan pasar")
    code, token = created["code"], created["reporter_token"]
    live.drive(code, "verify", "assign", "start", "resolve", "close")

    page = open_page(f"/t/{code}#token={token}", size="phone", lang=lang)
    expect(page.locator("#token-status")).to_have_text(said)
    expect(page.get_by_role("heading", name=dispute)).to_be_visible()
    expect(page.locator("#rating-form")).to_be_visible()
    expect(page.locator("#comment-form")).to_have_count(0)
    expect(page.locator("#appeal-form")).to_have_count(0)
