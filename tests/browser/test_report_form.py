"""The report form sends only when its button is pressed, and takes an optional e-mail address
for the status mail about the report."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, Request, expect
from sqlalchemy import select

from engine.models.sla import Notification, NotificationKind
from engine.models.ticket import Ticket
from tests.browser.conftest import HeldAnswers, Live, OpenPage


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


def test_the_reporter_s_e_mail_gets_the_status_mail_and_is_never_shown(
    open_page: OpenPage, live: Live
) -> None:
    page = open_page("/", size="phone", lang="id")
    expect(page.locator("#contact-hint")).to_contain_text("tidak pernah ditampilkan untuk umum")
    page.locator("input[name=category][value=traffic_jam]").check()
    page.locator("#coords").fill("-6.1754, 106.8272")
    page.locator("#coords").press("Tab")
    page.get_by_label("Apa yang terjadi?").fill("Macet total di bundaran")
    page.get_by_label("Nama (tidak wajib)").fill("Siti Rahma")
    email = page.get_by_label("E-mail (tidak wajib)")

    # An address the API refuses is said under its box, in the page's words; nothing is sent.
    email.fill("siti@")
    page.get_by_role("button", name="Kirim laporan").click()
    refusal = page.locator("#email-error")
    expect(refusal).to_have_text(
        'Kotak "alamat e-mail" bukan alamat e-mail seperti nama@contoh.id.'
    )
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()
    expect(page.locator("#receipt")).to_be_hidden()

    email.fill("siti.rahma@example.id")
    page.get_by_role("button", name="Kirim laporan").click()
    receipt = page.locator("#receipt")
    expect(receipt).to_be_visible()
    expect(refusal).to_be_hidden()
    code = page.locator("#receipt-code").inner_text()
    assert "siti.rahma@example.id" not in receipt.inner_text()
    assert "Siti Rahma" not in receipt.inner_text()

    with live.database.transaction() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.code == code)).one()
        assert (ticket.reporter_email, ticket.reporter_name) == (
            "siti.rahma@example.id",
            "Siti Rahma",
        )

    # The first change of state is mailed to the reporter, in the report's language.
    live.drive(code, "verify")
    with live.database.transaction() as session:
        ticket_id = session.scalars(select(Ticket.id).where(Ticket.code == code)).one()
        mails = session.scalars(
            select(Notification).where(
                Notification.ticket_id == ticket_id,
                Notification.kind == NotificationKind.CITIZEN_UPDATE,
            )
        ).all()
        assert [(m.recipient, m.language) for m in mails] == [("siti.rahma@example.id", "id")]
        assert code in mails[0].subject + mails[0].body

    # Nobody else reads the address or the name: not the tracking page, not the public API.
    track = open_page(f"/t/{code}", size="phone", lang="id")
    expect(track.get_by_role("heading", level=1)).to_have_text(f"Laporan {code}")
    for shown in (track.content(), live.request.get(f"/api/v1/reports/{code}").text()):
        assert "siti.rahma@example.id" not in shown
        assert "Siti Rahma" not in shown


def _yellow_dots(page: Page) -> int:
    """The reports already made nearby, as the map shows them (yellow dots)."""
    return page.locator("#report-map path[fill='#b8860b']").count()


def test_what_is_reported_nearby_is_for_the_category_chosen_last(
    open_page: OpenPage, live: Live
) -> None:
    """The citizen picks a category and a place, then another category before the first list
    came: the list (and the map's yellow dots) are the last category's. Before, the first
    answer, come last, put the other category's reports (and their "me too") back."""
    lat, lon = -6.1769, 106.8253
    live.submit(
        category="garbage_pile", description="Sampah menumpuk di pojok taman", lat=lat, lon=lon
    )
    live.submit(category="clogged_drainage", description="Got mampet depan taman", lat=lat, lon=lon)
    page = open_page("/", size="desktop", lang="en")
    held = HeldAnswers(page, "/web/nearby")
    page.reload()
    page.locator("input[name=category][value=garbage_pile]").check()
    coords = page.get_by_label("Coordinates (latitude, longitude)")
    coords.fill(f"{lat}, {lon}")
    coords.press("Tab")
    page.locator("input[name=category][value=clogged_drainage]").check()
    first, last = held.wait(2)
    assert "category=garbage_pile" in first and "category=clogged_drainage" in last
    held.release(1)
    nearby = page.locator("#nearby")
    expect(nearby).to_contain_text("Got mampet depan taman")
    held.release(0)  # the answer about the garbage comes last
    expect(nearby).to_contain_text("Got mampet depan taman")
    expect(nearby).not_to_contain_text("Sampah menumpuk di pojok taman")
    assert _yellow_dots(page) == nearby.locator(".card").count() == 1
    # Coordinates that are no place: no place chosen, nothing nearby said.
    coords.fill("Monas")
    coords.press("Tab")
    expect(page.locator("#location-status")).to_have_text(
        "Write coordinates like this: -6.1754, 106.8272"
    )
    expect(nearby).to_be_hidden()
    assert _yellow_dots(page) == 0


# The device's position comes when the test says (window.__position.found / .failed).
_SLOW_POSITION = """navigator.geolocation.getCurrentPosition = (found, failed) => {
  window.__position = { found: found, failed: failed };
};"""


def test_a_position_found_after_the_citizen_chose_the_place_changes_nothing(
    open_page: OpenPage,
) -> None:
    """The citizen presses "Use where I am now", then types the place while the phone is still
    looking: the pin stays where they put it, and the page says so. Before, the position found
    late (or the phone's "not available") replaced the place they had chosen."""
    page = open_page("/", size="desktop", lang="en")
    page.add_init_script(_SLOW_POSITION)
    page.reload()
    locate = page.get_by_role("button", name="Use where I am now")
    coords = page.get_by_label("Coordinates (latitude, longitude)")
    status = page.locator("#location-status")
    locate.click()
    expect(status).to_have_text("Finding where you are…")
    coords.fill("-6.1754, 106.8272")
    coords.press("Tab")
    expect(status).to_have_text("Place chosen: -6.1754, 106.8272")
    page.evaluate("() => window.__position.found({coords: {latitude: -6.2, longitude: 106.85}})")
    expect(coords).to_have_value("-6.1754, 106.8272")
    expect(status).to_have_text("Place chosen: -6.1754, 106.8272")

    # Asked again, the phone then says it cannot tell: the place chosen meanwhile stays said.
    locate.click()
    expect(status).to_have_text("Finding where you are…")
    coords.fill("-6.1755, 106.8273")
    coords.press("Tab")
    page.evaluate("() => window.__position.failed({code: 3, message: 'timeout'})")
    expect(status).to_have_text("Place chosen: -6.1755, 106.8273")

    # Left to it, the phone's position is the place.
    locate.click()
    page.evaluate("() => window.__position.found({coords: {latitude: -6.2, longitude: 106.85}})")
    expect(coords).to_have_value("-6.2, 106.85")
    expect(status).to_have_text("Found you: -6.2, 106.85")


# The photo's shrinking before upload waits for the test (window.__shrink()).
_SLOW_SHRINK = """(() => {
  const real = window.createImageBitmap.bind(window);
  window.createImageBitmap = (...args) => new Promise((resolve, reject) => {
    window.__shrink = () => real(...args).then(resolve, reject);
  });
})();"""


def test_the_report_sent_is_the_form_as_it_was_when_send_was_pressed(
    open_page: OpenPage, live: Live, tmp_path: Path
) -> None:
    """While the photo is being made smaller (seconds on a cheap phone), the citizen picks
    another category and place: the report sent is the one they pressed "Send" on, checked as
    it was then. Before, the category, the place, the answers and the contact boxes were read
    only when the photo was ready, the description at the press."""
    photo = tmp_path / "sampah.jpg"
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (120, 90, 60)).save(out, format="JPEG")
    photo.write_bytes(out.getvalue())
    page = open_page("/", size="desktop", lang="en")
    page.add_init_script(_SLOW_SHRINK)
    page.reload()
    page.locator("input[name=category][value=garbage_pile]").check()
    coords = page.get_by_label("Coordinates (latitude, longitude)")
    coords.fill("-6.1754, 106.8272")
    coords.press("Tab")
    page.locator("#description").fill("Sampah menumpuk di trotoar")
    page.locator("#photo-gallery").set_input_files(str(photo))
    page.get_by_role("button", name="Send report").click()
    page.wait_for_function("() => typeof window.__shrink === 'function'")
    page.locator("input[name=category][value=clogged_drainage]").check()
    coords.fill("-6.1800, 106.8300")
    coords.press("Tab")
    page.evaluate("() => window.__shrink()")
    expect(page.locator("#receipt")).to_be_visible()
    report = live.public(page.locator("#receipt-code").inner_text())
    assert (report["category"]["code"], report["lat"], report["lon"]) == (
        "garbage_pile",
        -6.1754,
        106.8272,
    )
    assert report["description"] == "Sampah menumpuk di trotoar"
