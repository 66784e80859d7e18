"""A category's questions on the report form: with the page's script only the chosen
category's show, are sent as the API's ``answers`` and a refusal is said under its question;
without it every category's questions show, each under its name, and the form carries them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from engine.models.ticket import Ticket
from tests.browser.conftest import SIZES, Live, OpenPage


def _answers(live: Live, code: str) -> Any:
    with live.database.transaction() as session:
        return session.scalar(select(Ticket.answers).where(Ticket.code == code))


def _fill(page: Page, category: str = "flood") -> None:
    page.locator(f"input[name=category][value={category}]").check()
    page.locator("#coords").fill("-6.1754, 106.8272")
    page.locator("#coords").press("Tab")
    page.locator("#description").fill("Banjir setinggi lutut")


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_chosen_category_questions_show_and_their_answers_are_stored(
    open_page: OpenPage, live: Live, axe: Callable[[Page], None], lang: str
) -> None:
    page = open_page("/", size="phone", lang=lang)
    questions = page.locator("#questions")
    expect(questions).to_be_hidden()  # nothing chosen: nothing asked
    _fill(page)
    expect(questions).to_be_visible()
    expect(page.locator("#questions-flood")).to_be_visible()
    expect(page.locator("#questions-broken_road")).to_be_hidden()
    depth = page.get_by_label("Kedalaman air" if lang == "id" else "Water depth")
    trend = page.get_by_label("Air sedang …" if lang == "id" else "The water is …")
    axe(page)

    depth.fill("setinggi lutut")
    trend.select_option("rising")
    page.locator("#send").click()
    said = page.locator("#q-flood-water_depth-error")
    expect(said).to_have_text(
        "Isi angka dari 0 sampai 1.000." if lang == "id" else "Give a number from 0 to 1,000."
    )
    expect(depth).to_be_focused()
    expect(depth).to_have_attribute("aria-invalid", "true")
    axe(page)

    depth.fill("40")
    page.locator("#send").click()
    expect(page.locator("#receipt")).to_be_visible()
    code = page.locator("#receipt-code").inner_text()
    assert _answers(live, code) == {"water_depth": 40.0, "water_trend": "rising"}

    # another category's boxes are disabled, never sent: a pothole asks its own
    page = open_page("/", size="phone", lang=lang)
    _fill(page, "traffic_jam")
    expect(page.locator("#questions")).to_be_hidden()
    page.locator("#send").click()
    expect(page.locator("#receipt")).to_be_visible()
    assert _answers(live, page.locator("#receipt-code").inner_text()) is None


@pytest.fixture
def no_script(browser: Browser, live: Live) -> Iterator[Page]:
    """A page whose scripts do not run (turned off, blocked, failed to load)."""
    context = browser.new_context(
        viewport=SIZES["phone"], base_url=live.url, java_script_enabled=False
    )
    context.add_cookies([{"name": "lang", "value": "en", "url": live.url}])
    page = context.new_page()
    yield page
    context.close()


def test_without_script_every_category_questions_show_and_the_form_carries_them(
    no_script: Page, live: Live
) -> None:
    page = no_script
    page.goto("/")
    expect(page.locator("#questions-flood")).to_be_visible()
    expect(page.locator("#questions-broken_road")).to_be_visible()
    expect(page.locator("#questions-flood legend")).to_have_text(
        "If you chose: Flood / waterlogging"
    )
    _fill(page)
    page.get_by_label("Water depth").fill("1200")
    page.locator("#send").click()
    expect(page.locator("#q-flood-water_depth-error")).to_have_text(
        "Give a number from 0 to 1,000."
    )
    expect(page.get_by_label("Water depth")).to_have_value("1200")

    page.get_by_label("Water depth").fill("35")
    page.get_by_label("The water is …").select_option("receding")
    page.locator("#send").click()
    expect(page.locator("#receipt")).to_be_visible()
    code = page.locator("#receipt-code").inner_text()
    assert _answers(live, code) == {"water_depth": 35.0, "water_trend": "receding"}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_category_questions_pass_axe_when_the_script_failed_to_load(
    open_page: OpenPage, axe: Callable[[Page], None], lang: str
) -> None:
    page = open_page("/", size="phone", lang=lang)
    page.route("**/static/js/report.js", lambda route: route.abort())
    page.reload()
    expect(page.locator("#questions-flood")).to_be_visible()
    expect(page.locator("#questions-broken_road")).to_be_visible()
    axe(page)
    # a refusal under its question (the form posted by the browser itself) passes too
    _fill(page)
    page.locator("#q-broken_road-hole_size").select_option("large")
    page.locator("#send").click()
    said = page.locator("#q-broken_road-hole_size-error")
    expect(said).to_be_visible()
    expect(page.locator("#q-broken_road-hole_size")).to_have_attribute("aria-invalid", "true")
    axe(page)
