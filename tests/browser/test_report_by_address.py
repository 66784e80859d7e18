"""A report by its address alone, in a browser whose scripts do not run (turned off, an old
phone) or whose report script failed to load: no map to tap, no coordinates typed. Several
places come back as radio buttons with everything typed kept (photos must be chosen again,
and the page says so); the one chosen takes the report and the receipt says where."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from engine.models.ticket import Ticket
from tests.browser.conftest import SIZES, Live, OpenPage
from tests.conftest import make_photo

GAMBIR = "Kelurahan Gambir, Kecamatan Gambir, Jakarta Pusat"
KEC_GAMBIR = "Kecamatan Gambir, Jakarta Pusat"
ADDRESS = "Jl. Cideng Barat 12, Gambir"


@pytest.fixture
def no_script(browser: Browser, live: Live) -> Iterator[Page]:
    """A page whose scripts do not run."""
    context = browser.new_context(
        viewport=SIZES["phone"], base_url=live.url, java_script_enabled=False
    )
    context.add_cookies([{"name": "lang", "value": "en", "url": live.url}])
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "lubang.jpg"
    path.write_bytes(make_photo())
    return path


def _count(live: Live) -> int:
    with live.database.transaction() as session:
        return session.scalar(select(func.count()).select_from(Ticket)) or 0


def _fill(page: Page, photo: Path) -> None:
    page.locator("input[name=category][value=traffic_jam]").check()
    page.get_by_label("Address, kelurahan or landmark").fill(ADDRESS)
    page.locator("#description").fill("Macet total di depan sekolah")
    page.locator("#reporter-name").fill("Siti Rahayu")
    page.locator("#photo-gallery").set_input_files(photo)


def test_without_script_an_address_offers_its_places_and_the_chosen_one_takes_the_report(
    no_script: Page, live: Live, photo: Path
) -> None:
    page = no_script
    page.goto("/")
    expect(page.locator("#address-no-script")).to_contain_text(
        "Without the map, the address is enough"
    )
    before = _count(live)
    _fill(page, photo)
    page.locator("#send").click()

    expect(page.locator("#form-error")).to_have_text(
        'Choose where the problem is among the places found for the "address" box (step 2), '
        "then send again. A kelurahan takes your report to the right office."
    )
    expect(page.get_by_role("radio", name=GAMBIR, exact=True)).not_to_be_checked()
    expect(page.get_by_role("radio", name=KEC_GAMBIR, exact=True)).to_be_visible()
    expect(page.locator("#place-results legend")).to_have_text(
        "Places found for “Gambir”. Choose the one where the problem is (a kelurahan if you "
        "can), then send again:"
    )
    # Everything typed is there; the photo must be chosen again, and the page says so.
    expect(page.get_by_label("Address, kelurahan or landmark")).to_have_value(ADDRESS)
    expect(page.locator("#description")).to_have_value("Macet total di depan sekolah")
    expect(page.locator("#reporter-name")).to_have_value("Siti Rahayu")
    expect(page.locator("input[name=category][value=traffic_jam]")).to_be_checked()
    expect(page.locator("#photos-again")).to_have_text(
        "The photos you chose were not kept when the form came back: choose them again before "
        "you send."
    )
    assert _count(live) == before

    page.get_by_role("radio", name=GAMBIR, exact=True).check()
    page.locator("#photo-gallery").set_input_files(photo)
    page.locator("#send").click()
    expect(page.locator("#receipt")).to_be_visible()
    expect(page.locator("#receipt-placed")).to_contain_text(
        f"Your report was put in {GAMBIR}: the place found from the address you wrote"
    )
    code = page.locator("#receipt-code").inner_text()
    report = live.request.get(f"/api/v1/reports/{code}").json()
    assert report["area"]["name"] == "Kelurahan Gambir"
    assert report["address"] == ADDRESS
    assert len(report["photos"]) == 1
    assert _count(live) == before + 1


def test_the_places_offered_pass_axe_and_the_script_if_it_runs_puts_the_pin_there(
    open_page: OpenPage, live: Live, axe: Callable[[Page], None], photo: Path
) -> None:
    """The report script failed to load: the browser posts the form itself. The page that comes
    back passes axe; once the script runs, the place chosen there puts the pin."""
    page = open_page("/", size="phone", lang="en")
    page.route("**/static/js/report.js", lambda route: route.abort())
    page.reload()
    _fill(page, photo)
    page.locator("#send").click()
    expect(page.get_by_role("radio", name=GAMBIR, exact=True)).to_be_visible()
    axe(page)

    (gambir, *_) = live.request.get("/api/v1/places", params={"q": "Gambir"}).json()
    page.unroute("**/static/js/report.js")
    page.get_by_role("radio", name=GAMBIR, exact=True).check()
    page.evaluate(
        "() => new Promise((done) => { const s = document.createElement('script');"
        " s.src = '/static/js/report.js'; s.onload = done; document.body.appendChild(s); })"
    )
    expect(page.get_by_label("Coordinates (latitude, longitude)")).to_have_value(
        f"{gambir['lat']}, {gambir['lon']}"
    )
    expect(page.locator("#location-status")).to_contain_text(f"Pin put in {GAMBIR}")
