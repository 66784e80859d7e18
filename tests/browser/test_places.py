"""Finding the place without an outside geocoder: typing a kelurahan's name on the report page
offers it, puts the pin inside it, and the citizen refines it by tapping; every map draws the
area outlines around what it shows, from the app's own boundaries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import HeldAnswers, Live, OpenPage

Shot = Callable[[Page, str], Path]

GAMBIR = "Kelurahan Gambir, Kecamatan Gambir, Jakarta Pusat"


def test_typing_gambir_offers_the_kelurahan_and_puts_the_pin_inside_it(
    open_page: OpenPage, live: Live, axe: Callable[[Page], None], screenshot: Shot
) -> None:
    (place, *_) = live.request.get("/api/v1/places?q=Gambir").json()
    page = open_page("/", size="phone")
    page.get_by_label("Alamat, kelurahan atau patokan").fill("Jl. Medan Merdeka Barat, Gambir")
    offer = page.get_by_role("button", name=GAMBIR)
    expect(offer).to_be_visible()
    expect(page.locator("#place-results")).to_contain_text("Ditemukan 2")
    axe(page)
    offer.click()
    expect(page.get_by_label("Koordinat (lintang, bujur)")).to_have_value(
        f"{place['lat']}, {place['lon']}"
    )
    expect(page.locator("#location-status")).to_contain_text(f"Penanda ditaruh di {GAMBIR}")
    # The map shows where that is: the kelurahan outlines and names around the pin.
    expect(page.locator("#report-map .leaflet-areas-pane path").first).to_be_attached()
    expect(page.locator("#report-map .area-name", has_text="Kelurahan Gambir")).to_be_visible()
    screenshot(page, "report-place")

    # A tap on the map refines the pin; the typed address is kept as written.
    box = page.locator("#report-map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.3)
    expect(page.get_by_label("Koordinat (lintang, bujur)")).not_to_have_value(
        f"{place['lat']}, {place['lon']}"
    )
    expect(page.get_by_label("Alamat, kelurahan atau patokan")).to_have_value(
        "Jl. Medan Merdeka Barat, Gambir"
    )


def test_a_name_that_is_no_area_says_so(open_page: OpenPage) -> None:
    page = open_page("/", size="desktop", lang="en")
    page.get_by_label("Address, kelurahan or landmark").fill("Bandung")
    expect(page.locator("#place-results")).to_contain_text("No kelurahan, kecamatan or city")
    expect(page.get_by_label("Coordinates (latitude, longitude)")).to_have_value("")


def test_the_track_map_outlines_the_report_s_kelurahan(open_page: OpenPage, live: Live) -> None:
    code = live.submit(description="Trotoar retak")["code"]
    page = open_page(f"/t/{code}", size="phone")
    expect(page.locator("#track-map .leaflet-areas-pane path").first).to_be_attached()
    expect(page.locator("#track-map .area-name", has_text="Kelurahan Gambir")).to_be_visible()


def test_an_older_search_that_fails_leaves_the_newer_one_s_places(open_page: OpenPage) -> None:
    """The citizen types on while the first search is under way; it then fails (a lost
    connection) after the newer one answered: the places found for what they typed last stay
    offered. Before, the old failure emptied them."""
    page = open_page("/", size="desktop", lang="en")
    held = HeldAnswers(page, "/api/v1/places")
    page.reload()
    address = page.get_by_label("Address, kelurahan or landmark")
    address.fill("Gamb")
    address.press("Enter")
    address.fill("Gambir")
    address.press("Enter")
    first, last = held.wait(2)
    assert "q=Gamb&" in first and "q=Gambir&" in last
    held.release(1)
    offer = page.get_by_role("button", name=GAMBIR)
    expect(offer).to_be_visible()
    held.fail(0)
    expect(offer).to_be_visible()
    expect(page.locator("#place-results")).to_contain_text("Found 2")


def test_an_older_outline_request_that_fails_leaves_the_newer_outlines_drawn(
    open_page: OpenPage, live: Live
) -> None:
    """The map is zoomed while the outlines of the first view are still asked for; that first
    request then fails (a lost connection) before the newer answer comes: the newer view's
    outlines are drawn. Before, the old failure made the map drop the newer answer, and it
    showed no outlines until moved again."""
    code = live.submit(description="Trotoar retak dekat stasiun")["code"]
    page = open_page(f"/t/{code}", size="desktop", lang="en")
    held = HeldAnswers(page, "/api/v1/areas/outlines")
    page.reload()
    held.wait(1)
    page.locator("#track-map .leaflet-control-zoom-in").click()
    first, zoomed = held.wait(2)
    assert first != zoomed
    held.fail(0)
    held.release(1)
    expect(page.locator("#track-map .leaflet-areas-pane path").first).to_be_attached()
    expect(page.locator("#track-map .area-name", has_text="Kelurahan Gambir")).to_be_visible()
