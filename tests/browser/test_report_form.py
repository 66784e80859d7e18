"""The report form sends only when its button is pressed, and takes an optional e-mail address
for the status mail about the report."""

from __future__ import annotations

from playwright.sync_api import Page, Request, expect

from tests.browser.conftest import OpenPage


def _posts(page: Page) -> list[str]:
    """The reports the page sends from now on (POST /api/v1/reports)."""
    sent: list[str] = []

    def seen(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/api/v1/reports"):
            sent.append(request.url)

    page.on("request", seen)
    return sent


def test_enter_in_the_coordinates_box_places_the_pin_and_sends_nothing(
    open_page: OpenPage,
) -> None:
    page = open_page("/", size="phone", lang="id")
    sent = _posts(page)
    page.locator("input[name=category][value=traffic_jam]").check()
    page.locator("#description").fill("Macet di")
    coords = page.locator("#coords")
    coords.fill("-6.1754, 106.8272")
    coords.press("Enter")
    expect(page.locator("#location-status")).to_have_text("Lokasi dipilih: -6.1754, 106.8272")
    page.wait_for_timeout(500)
    assert sent == []
    expect(page.locator("#receipt")).to_be_hidden()
    expect(page.locator("#report-form")).to_be_visible()

    # Coordinates that do not read as a place say so on Enter, and send nothing either.
    coords.fill("Monas")
    coords.press("Enter")
    expect(page.locator("#location-status")).to_have_text(
        "Tulis koordinat seperti ini: -6.1754, 106.8272"
    )
    coords.fill("-6.1754 106.8272")
    coords.press("Enter")
    expect(page.locator("#location-status")).to_have_text("Lokasi dipilih: -6.1754, 106.8272")

    # Every other one-line box and choice of the form: Enter sends nothing.
    boxes = page.locator(
        "#report-form input:not([type=file]):not([type=hidden]):not([type=radio]), "
        "#report-form input[name=category]:checked"
    )
    assert boxes.count() >= 2
    for i in range(boxes.count()):
        boxes.nth(i).press("Enter")
    page.wait_for_timeout(500)
    assert sent == []
    expect(page.locator("#receipt")).to_be_hidden()

    # Only the button sends.
    page.get_by_role("button", name="Kirim laporan").click()
    expect(page.locator("#receipt")).to_be_visible()
    assert len(sent) == 1
