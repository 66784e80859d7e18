"""One report's whole journey in a real browser, as issue 11's acceptance tells it: a citizen
reports with a photo at phone width; staff move it verify → assign → start → resolve on the
worklist page while the citizen's tracking page shows each step; the citizen disputes the fix on
that page and sees it reopen; the worklist then says why it came back."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import MONAS, Live, OpenPage
from tests.browser.test_citizen import _photo
from tests.browser.test_staff import _proof, sign_in


def _report_from_the_phone(page: Page, tmp_path: Path) -> tuple[str, str]:
    page.get_by_text("Jalan rusak / berlubang", exact=True).click()
    page.get_by_role("button", name="Pakai lokasi saya sekarang").click()
    expect(page.locator("#location-status")).to_contain_text("-6.1754, 106.8272")
    page.get_by_label("Apa yang terjadi?").fill("Aspal ambles sedalam lutut di depan pasar")
    page.get_by_label("Atau pilih foto dari galeri").set_input_files(_photo(tmp_path))
    page.get_by_role("button", name="Kirim laporan").click()
    expect(page.locator("#receipt")).to_be_visible()
    code = page.locator("#receipt-code").inner_text()
    link = page.locator("#receipt-link").input_value()
    return code, link


def test_a_report_from_a_phone_is_fixed_by_staff_then_disputed_and_reopened(
    open_page: OpenPage, live: Live, tmp_path: Path
) -> None:
    citizen = open_page("/", size="phone", geolocation=MONAS)
    code, link = _report_from_the_phone(citizen, tmp_path)
    assert link.startswith(f"{live.url}/t/{code}#token=")
    citizen.goto(link)
    expect(citizen.locator(".state-line .badge.red")).to_have_text("Menunggu")

    staff = open_page("/staff", size="desktop", lang="en")
    sign_in(staff, live.keys["staff"])
    card = staff.locator(f"#ticket-{code}")
    expect(card).to_contain_text("Aspal ambles sedalam lutut di depan pasar")

    def step(button: str, badge: str, open_form: bool = False) -> None:
        card = staff.locator(f"#ticket-{code}")
        if open_form:
            card.locator("summary", has_text=button).click()
            form = card.locator("details[open]")
            if button == "Resolve":
                form.get_by_label("Note for the citizen (required)").fill("Aspal sudah diratakan")
                form.get_by_label("Proof photo").set_input_files(str(_proof(tmp_path)))
            form.get_by_role("button", name=button, exact=True).click()
        else:
            card.get_by_role("button", name=button, exact=True).click()
        expect(staff.locator("#done")).to_contain_text(f"{code}: {button} — done.")
        citizen.reload()
        expect(citizen.locator(".state-line .badge")).to_have_text(badge)

    step("Verify", "Menunggu (terverifikasi)")
    step("Assign", "Disposisi", open_form=True)
    step("Start work", "Proses")
    step("Resolve", "Selesai", open_form=True)
    expect(citizen.locator("body")).to_contain_text("Aspal sudah diratakan")

    # The citizen, still holding the token from the receipt's link, disputes the fix.
    reason = "Setelah hujan semalam lubangnya muncul lagi"
    citizen.get_by_label("Apa yang belum beres?").fill(reason)
    citizen.get_by_role("button", name="Buka lagi laporan ini").click()
    expect(citizen.locator(".state-line .badge.yellow")).to_have_text("Disposisi")
    expect(citizen.locator(".timeline li").last).to_contain_text(reason)
    assert live.public(code)["state"]["code"] == "assigned"

    # Back on the worklist the ticket says why it came back.
    staff.reload()
    reopened = staff.locator(f"#ticket-{code} .reopened")
    expect(reopened).to_contain_text("Reopened because:")
    expect(reopened).to_contain_text(reason)
