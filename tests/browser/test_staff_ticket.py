"""What a new user found, in a real browser: staff read the citizen's comment and dispute reason
on the staff ticket page; errors read in the page's language and plain words; the report form
marks the photo required as the category is chosen; unknown addresses get the friendly page;
/docs loads nothing from outside the app."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, Response, expect

from tests.browser.conftest import Live, OpenPage
from tests.browser.test_staff import sign_in

Shot = Callable[[Page, str], Path]


def test_staff_read_the_citizens_comment_and_dispute_on_the_ticket_page(
    open_page: OpenPage, live: Live, axe: Callable[[Page], None], screenshot: Shot
) -> None:
    code = live.submit(description="Trotoar berlubang dekat halte")["code"]
    live.drive(code, "verify", "assign", "start", "resolve")
    citizen = open_page(f"/t/{code}#token={live.tokens[code]}", size="phone", lang="id")
    citizen.get_by_label("Komentar untuk petugas").fill("Masih ada lubang")
    citizen.get_by_role("button", name="Kirim komentar").click()
    expect(citizen.locator("#action-status")).to_have_text("Komentar terkirim ke petugas.")
    citizen.get_by_label("Apa yang belum beres? (wajib)").fill("Lubangnya masih ada")
    citizen.get_by_role("button", name="Buka lagi laporan ini").click()
    expect(citizen.locator("#action-status")).to_have_text("Laporan dibuka lagi.")

    staff = open_page("/staff", size="desktop", lang="id")
    sign_in(staff, live.keys["staff"])
    card = staff.locator(f"#ticket-{code}")
    expect(card).to_contain_text("Dibuka lagi karena:")
    expect(card).to_contain_text("Lubangnya masih ada")
    expect(card).not_to_contain_text("damaged_sidewalk")  # the category's name, not its code
    card.get_by_role("link", name=code).click()
    expect(staff).to_have_url(f"{live.url}/staff/tickets/{code}")
    history = staff.locator(".staff-timeline")
    expect(history).to_contain_text("Masih ada lubang")
    expect(history).to_contain_text("Lubangnya masih ada")
    expect(history).to_contain_text("Warga membantah penyelesaian")
    kinds = staff.locator("table.timers-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.kind)"
    )
    order = ["verify", "assign", "accept", "start", "resolve"]
    cycles = staff.locator("table.timers-table tbody th").all_inner_texts()
    first_cycle = [k for k, c in zip(kinds, cycles, strict=True) if "#" not in c]
    assert first_cycle == sorted(first_cycle, key=order.index), kinds
    axe(staff)
    screenshot(staff, "staff-ticket")


def test_citizen_errors_read_in_the_page_language(
    open_page: OpenPage, live: Live, axe: Callable[[Page], None]
) -> None:
    code = live.submit()["code"]
    live.drive(code, "verify", "assign", "start", "resolve")
    page = open_page(f"/t/{code}#token={live.tokens[code]}", size="phone", lang="id")
    error = page.locator("#action-error")
    page.get_by_label("Komentar untuk petugas").fill("   ")
    page.get_by_role("button", name="Kirim komentar").click()
    expect(error).to_have_text('Belum terkirim: Kotak "komentar" belum diisi.')
    page.get_by_label("Komentar untuk petugas").fill("ada\x07bunyi")
    page.get_by_role("button", name="Kirim komentar").click()
    expect(error).to_contain_text('Kotak "komentar" berisi karakter tersembunyi (U+0007)')
    expect(error).not_to_contain_text("note")
    page.get_by_role("button", name="Kirim nilai").click()
    expect(error).to_have_text("Pilih dulu nilainya, dari 1 sampai 5.")
    axe(page)


def test_the_report_form_marks_the_photo_required_and_words_a_far_place(
    open_page: OpenPage, live: Live
) -> None:
    page = open_page("/", size="phone", lang="id")
    note = page.locator("#photo-required")
    expect(note).to_be_hidden()
    page.get_by_label("Jalan rusak / berlubang").check()
    expect(note).to_be_visible()
    expect(note).to_contain_text("wajib disertai foto")
    page.locator("input[name=category][value=traffic_jam]").check()
    expect(note).to_be_hidden()
    page.locator("#coords").fill("-6.45, 106.80")
    page.locator("#coords").press("Tab")
    page.locator("#description").fill("Macet parah")
    page.locator("#send").click()
    error = page.locator("#form-error")
    expect(error).to_contain_text("di luar wilayah layanan kota ini")
    expect(error).not_to_contain_text("outside every service area")


def test_unknown_addresses_get_the_friendly_page_and_docs_stay_on_the_app(
    open_page: OpenPage, axe: Callable[[Page], None], screenshot: Shot
) -> None:
    page = open_page("/nonexistent", size="phone", lang="id")
    expect(page.get_by_role("heading", level=1)).to_have_text("Halaman tidak ditemukan")
    page.goto("/t/%3Cscript%3Ealert(1)%3C/script%3E")
    expect(page.get_by_role("heading", level=1)).to_have_text("Halaman tidak ditemukan")
    axe(page)
    missing: list[str] = []
    docs = open_page("/", size="desktop")
    docs.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)

    def loaded(response: Response) -> bool:
        return response.url.endswith("/openapi.json")

    with docs.expect_response(loaded):
        docs.goto("/docs")
    expect(docs.locator(".opblock").first).to_be_visible()
    assert docs.locator(".opblock").count() > 10
    expect(
        docs.locator(".opblock-summary-path").filter(has_text="/api/v1/reports").first
    ).to_be_visible()
    assert missing == [], missing
    screenshot(docs, "docs")


def test_a_note_from_a_stale_tab_is_not_lost(open_page: OpenPage, live: Live) -> None:
    code = live.submit(description="Saluran air tersumbat")["code"]
    first = open_page("/staff", size="desktop", lang="id")
    sign_in(first, live.keys["staff"], then=f"/staff/tickets/{code}")
    second = open_page("/staff", size="desktop", lang="id")
    sign_in(second, live.keys["staff"], then=f"/staff/tickets/{code}")
    first.get_by_role("button", name="Verifikasi").click()
    expect(first).to_have_url(f"{live.url}/staff/tickets/{code}?done={code}&did=verify")

    second.locator("summary", has_text="Tambah catatan").click()
    typed = "Sudah telepon lurah, tim datang Kamis"
    second.get_by_label("Catatan (wajib)").fill(typed)
    second.get_by_role("button", name="Tambah catatan").click()
    problem = second.locator("#problem")
    expect(problem).to_contain_text("Tiket ini sudah diubah orang lain")
    expect(problem).to_contain_text("Halaman ini sekarang menampilkan keadaan terbarunya")
    expect(problem).not_to_contain_text("Daftar di bawah")
    expect(second.locator("#kept")).to_have_value(typed)
    # the note is back in its form, which now carries the new version: sending it again works
    expect(second.get_by_label("Catatan (wajib)")).to_have_value(typed)
    second.get_by_role("button", name="Tambah catatan").click()
    expect(second.locator(".staff-timeline")).to_contain_text(typed)


def test_staff_see_an_internal_photo_on_the_ticket_page_and_nobody_else_opens_it(
    open_page: OpenPage, live: Live
) -> None:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (180, 20, 20)).save(out, format="JPEG")
    code = live.submit(description="Trotoar rusak di depan rumah warga")["code"]
    live.drive(code, "verify")
    live.act(
        code,
        "comment",
        note="Foto rumah pelapor, jangan disebar",
        public=False,
        photos=[base64.b64encode(out.getvalue()).decode()],
    )
    detail = live.request.get(f"/api/v1/tickets/{code}", headers=live.auth())
    (url,) = [p["url"] for p in detail.json()["photos"] if not p["public"]]

    staff = open_page("/staff", size="desktop", lang="en")
    sign_in(staff, live.keys["staff"], then=f"/staff/tickets/{code}")
    photo = staff.locator(f'.photos img[src="{url}"]')
    expect(photo).to_have_count(1)
    photo.scroll_into_view_if_needed()  # loading="lazy"
    # the browser loaded it with the sign-in cookie alone: an <img> sends no other credential
    staff.wait_for_function(
        "src => { const i = document.querySelector(`.photos img[src='${src}']`);"
        " return i && i.complete && i.naturalWidth === 320; }",
        arg=url,
    )
    expect(staff.locator(f'.photos figure:has(img[src="{url}"])')).to_contain_text(
        "Internal — citizens don't see it"
    )

    visitor = open_page(f"/t/{code}", size="phone", lang="en")
    assert url not in visitor.content()
    response = visitor.goto(url)
    assert response is not None and response.status == 404
