"""A report of a non-public category (pungli) in a real browser: a visitor at its tracking link
meets the page of an unknown code; its reporter, whose link carries the token in the fragment,
reads it, is told it is not public, and comments on it."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import MONAS, Live, OpenPage
from tests.browser.test_track import jpeg

ACCUSATION = "Petugas kelurahan minta uang untuk surat pengantar"


def test_the_reporter_opens_and_comments_on_a_non_public_report(
    open_page: OpenPage, live: Live
) -> None:
    sent = live.request.post(
        "/api/v1/reports",
        multipart={
            "category": "illegal_levy",
            "description": ACCUSATION,
            "lat": str(MONAS[0]),
            "lon": str(MONAS[1]),
            "photos": {"name": "a.jpg", "mimeType": "image/jpeg", "buffer": jpeg((200, 200, 0))},
        },
    )
    assert sent.status == 201, sent.text()
    created = sent.json()
    code, token = created["code"], created["reporter_token"]
    assert created["public"] is False

    visitor = open_page(f"/t/{code}", size="phone", lang="en")
    expect(visitor.locator("h1")).to_have_text("Report not found")
    expect(visitor.locator("body")).not_to_contain_text(ACCUSATION)

    page = open_page(f"/t/{code}#token={token}", size="phone", lang="en")
    expect(page.locator("#not-public")).to_contain_text("This report is not shown to the public")
    expect(page.locator(".description")).to_have_text(ACCUSATION)
    expect(page.locator("#token-status")).to_be_visible()
    # Their photo shows (at an address signed for them: the public one opens nothing).
    photo = page.locator(".photos img")
    expect(photo).to_have_count(1)
    photo.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('.photos img').naturalWidth > 0")
    page.get_by_label("Comment for the staff").fill("Saya simpan kuitansinya")
    page.get_by_role("button", name="Send comment").click()
    # The page comes back by the same form post, the reporter's own words shown to them.
    expect(page.locator(".own-words")).to_contain_text("Saya simpan kuitansinya")
    expect(page.locator("#not-public")).to_be_visible()
    expect(page.locator("#action-status")).to_contain_text("Comment sent")


def test_the_reporter_pastes_the_token_on_the_not_found_page(
    open_page: OpenPage, live: Live
) -> None:
    created = live.submit(category="illegal_levy", description=ACCUSATION)
    code, token = created["code"], created["reporter_token"]
    page = open_page(f"/t/{code}", size="desktop", lang="id")
    expect(page.locator("h1")).to_have_text("Laporan tidak ditemukan")
    page.get_by_label("Kode rahasia").fill("bukan-kode-saya")
    page.get_by_role("button", name="Pakai kode ini").click()
    expect(page.get_by_role("alert")).to_have_text("Kode rahasia tidak cocok dengan laporan ini.")
    expect(page.locator("body")).not_to_contain_text(ACCUSATION)
    # The page came back by a form post: its script (which hands the token over to the report's
    # page) runs after the form shows. A paste before then posts the form without it, and the
    # report opens without the reporter's actions (as with no script at all). The script shows
    # the remember choice: wait for it, as a person does not paste within milliseconds.
    expect(page.get_by_label("Ingat laporan ini di perangkat ini")).to_be_visible()
    page.get_by_label("Kode rahasia").fill(token)
    page.get_by_role("button", name="Pakai kode ini").click()
    expect(page.locator(".description")).to_have_text(ACCUSATION)
    expect(page.locator("#not-public")).to_contain_text("tidak ditampilkan untuk umum")
    # Opened with the token just sent: the reporter's actions are open without pasting it
    # again, and this device keeps nothing (the remember box was not ticked).
    expect(page.locator("#token-status")).to_be_visible()
    assert page.evaluate("() => Object.keys(localStorage)") == []
