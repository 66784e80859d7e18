"""Reporting privately, with a phone number, and remembering a report on this device only when
the reporter chooses to — in a real browser, with the page's script and without it.

On a shared computer (a warnet, a family phone) a remembered reporter token opens the report,
e.g. a pungli complaint, for whoever comes next: nothing is kept unless the reporter ticks
"Remember this report on this device"."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Route, expect
from sqlalchemy import select

from engine.models.ticket import Ticket
from tests.browser.conftest import SIZES, Live, OpenPage

PHONE = "+62 812 5555 0101"


def _stored(page: Page) -> dict[str, str]:
    """The reporter tokens this device remembers (localStorage ``tanggap.token.*``)."""
    found: dict[str, str] = page.evaluate(
        "() => Object.fromEntries(Object.keys(localStorage)"
        ".filter(k => k.startsWith('tanggap.token.')).map(k => [k, localStorage.getItem(k)]))"
    )
    return found


def _row(live: Live, code: str) -> tuple[bool, str | None, str | None]:
    with live.database.transaction() as session:
        t = session.scalars(select(Ticket).where(Ticket.code == code)).one()
        return t.private, t.reporter_phone, t.reporter_name


def _fill(page: Page, *, name: str, phone: str, private: bool) -> None:
    page.locator("input[name=category][value=damaged_sidewalk]").check()
    page.locator("#coords").fill("-6.1754, 106.8272")
    page.locator("#coords").press("Tab")
    page.locator("#description").fill("Petugas parkir minta uang lebih")
    page.locator("#reporter-name").fill(name)
    page.locator("#reporter-phone").fill(phone)
    if private:
        page.locator("#private").check()


def test_a_private_report_with_a_phone_is_stored_so_and_staff_do_not_see_who(
    open_page: OpenPage, live: Live
) -> None:
    page = open_page("/", size="phone", lang="id")
    expect(page.get_by_text("Petugas Pemprov tidak akan melihat nama")).to_be_visible()
    _fill(page, name="Siti Rahayu", phone=PHONE, private=False)
    page.get_by_label("Laporkan secara rahasia").check()
    page.get_by_role("button", name="Kirim laporan").click()

    receipt = page.locator("#receipt")
    expect(receipt).to_be_visible()
    expect(page.locator("#receipt-private")).to_have_text(
        "Anda mengirim laporan ini secara rahasia: petugas Pemprov tidak melihat nama, e-mail, "
        "atau nomor telepon Anda."
    )
    code = page.locator("#receipt-code").inner_text()
    assert PHONE not in receipt.inner_text()
    assert _row(live, code) == (True, PHONE, "Siti Rahayu")
    staff = live.request.get(f"/api/v1/tickets/{code}", headers=live.auth("staff"))
    assert staff.ok, staff.text()
    assert staff.json()["reporter"] is None
    assert "Siti Rahayu" not in staff.text() and "5555" not in staff.text()
    # Nothing kept on this device: the choice was not made.
    expect(page.get_by_label("Ingat laporan ini di perangkat ini")).not_to_be_checked()
    assert _stored(page) == {}


def test_a_phone_the_engine_refuses_is_said_under_its_box(open_page: OpenPage) -> None:
    page = open_page("/", size="phone", lang="en")
    _fill(page, name="", phone="12", private=True)
    page.get_by_role("button", name="Send report").click()
    refusal = page.locator("#phone-error")
    expect(refusal).to_have_text(
        'The "phone number" box is not a phone number (5 to 17 digits, e.g. +62 812 3456 7890).'
    )
    expect(page.locator("#reporter-phone")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#receipt")).to_be_hidden()


def test_remembering_is_chosen_on_the_receipt_and_forgotten_on_the_tracking_page(
    open_page: OpenPage, live: Live
) -> None:
    page = open_page("/", size="phone", lang="en")
    _fill(page, name="", phone="", private=False)
    page.get_by_role("button", name="Send report").click()
    expect(page.locator("#receipt")).to_be_visible()
    expect(page.locator("#receipt-private")).to_be_hidden()
    code = page.locator("#receipt-code").inner_text()
    token = page.locator("#receipt-link").input_value().split("#token=")[1]
    box = page.get_by_label("Remember this report on this device")
    expect(box).not_to_be_checked()
    expect(page.locator("#remember-hint")).to_contain_text("a warnet, a family phone")
    assert _stored(page) == {}

    box.check()
    expect(page.locator("#remember-status")).to_have_text("Remembered on this device.")
    assert _stored(page) == {f"tanggap.token.{code}": token}
    box.uncheck()
    assert _stored(page) == {}
    box.check()

    # Later, the bare tracking address on this device opens the reporter's actions.
    page.goto(f"/t/{code}")
    expect(page.get_by_role("heading", name="Add a comment")).to_be_visible()
    forget = page.get_by_role("button", name="Forget on this device")
    expect(forget).to_be_visible()
    expect(page.locator("#remember-choice")).to_be_hidden()
    forget.click()
    assert _stored(page) == {}
    expect(page.get_by_role("heading", name="Add a comment")).to_be_hidden()
    page.goto(f"/t/{code}")
    expect(page.get_by_label("Secret code")).to_be_visible()
    expect(page.get_by_role("heading", name="Add a comment")).to_be_hidden()


def test_the_secret_link_works_without_remembering_and_remembering_is_offered(
    open_page: OpenPage, live: Live
) -> None:
    created = live.submit(description="Trotoar amblas")
    code, token = created["code"], created["reporter_token"]
    page = open_page(f"/t/{code}#token={token}", size="phone", lang="id")
    expect(page.get_by_role("heading", name="Tambah komentar")).to_be_visible()
    assert _stored(page) == {}
    expect(page.get_by_role("button", name="Lupakan di perangkat ini")).to_be_hidden()
    page.locator("#actions").get_by_label("Ingat laporan ini di perangkat ini").check()
    assert _stored(page) == {f"tanggap.token.{code}": token}
    page.get_by_role("button", name="Lupakan di perangkat ini").click()
    assert _stored(page) == {}


def test_a_pasted_code_is_remembered_only_when_chosen(open_page: OpenPage, live: Live) -> None:
    created = live.submit(description="Trotoar pecah")
    code, token = created["code"], created["reporter_token"]
    page = open_page(f"/t/{code}", size="desktop", lang="en")
    page.get_by_label("Secret code").fill(token)
    page.get_by_role("button", name="Use this code").click()
    expect(page.get_by_role("heading", name="Add a comment")).to_be_visible()
    assert _stored(page) == {}

    other = open_page(f"/t/{code}", size="desktop", lang="en")
    other.get_by_label("Secret code").fill(token)
    other.locator("#token-form").get_by_label("Remember this report on this device").check()
    other.get_by_role("button", name="Use this code").click()
    expect(other.get_by_role("button", name="Forget on this device")).to_be_visible()
    assert _stored(other) == {f"tanggap.token.{code}": token}


def test_a_non_public_report_opens_from_its_link_and_is_not_remembered(
    open_page: OpenPage, live: Live
) -> None:
    created = live.submit(category="illegal_levy", description="Petugas minta uang")
    code, token = created["code"], created["reporter_token"]
    page = open_page(f"/t/{code}#token={token}", size="phone", lang="en")
    expect(page.locator("#not-public")).to_be_visible()
    # Opened by the token just posted, handed to the page for that load only: nothing kept,
    # and the token is not in the page.
    expect(page.get_by_role("heading", name="Add a comment")).to_be_visible()
    assert _stored(page) == {}
    assert page.evaluate("() => sessionStorage.length") == 0
    assert token not in page.content()
    page.get_by_label("Comment for the staff").fill("Saya simpan kuitansinya")
    page.get_by_role("button", name="Send comment").click()
    expect(page.locator(".own-words")).to_contain_text("Saya simpan kuitansinya")
    expect(page.get_by_role("heading", name="Add a comment")).to_be_visible()
    assert _stored(page) == {}
    assert page.evaluate("() => sessionStorage.length") == 0


@pytest.fixture
def no_script(browser: Browser, live: Live) -> Iterator[Page]:
    """A page whose scripts do not run (turned off, blocked, failed to load)."""
    context = browser.new_context(
        viewport=SIZES["phone"], base_url=live.url, java_script_enabled=False
    )
    context.add_cookies([{"name": "lang", "value": "id", "url": live.url}])
    page = context.new_page()
    yield page
    context.close()


def test_without_script_the_form_itself_carries_private_and_the_phone(
    no_script: Page, live: Live
) -> None:
    page = no_script
    page.goto("/")
    _fill(page, name="Budi", phone="0812-5555-0102", private=True)
    page.locator("#send").click()
    expect(page.locator("#receipt")).to_be_visible()
    expect(page.locator("#receipt-private")).to_contain_text(
        "Anda mengirim laporan ini secara rahasia"
    )
    code = page.locator("#receipt-code").inner_text()
    assert re.fullmatch(r"JKT-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    link = page.locator("#receipt-link").input_value()
    assert link.startswith(f"/t/{code}#token=") or f"/t/{code}#token=" in link
    assert _row(live, code) == (True, "0812-5555-0102", "Budi")
    # The remembering needs the script: it is not offered, and nothing is kept.
    expect(page.locator("#remember-choice")).to_be_hidden()

    page.goto("/")
    _fill(page, name="Budi", phone="12", private=True)
    page.locator("#send").click()
    expect(page.locator("#form-error")).to_have_text(
        'Kotak "nomor telepon" bukan nomor telepon (5 sampai 17 angka, misalnya +62 812 3456 7890).'
    )
    expect(page.locator("#reporter-phone")).to_have_value("12")
    expect(page.locator("#private")).to_be_checked()


UNREACHABLE = (
    "The report could not be opened just now (the service did not answer). Try again in a moment."
)


def _fail_once(page: Page, code: str) -> list[str]:
    """The reporter's view of ``code`` answers 503 once (a database restarting), then as usual."""
    failed: list[str] = []

    def once(route: Route) -> None:
        if failed:
            route.continue_()
            return
        failed.append(route.request.url)
        route.fulfill(
            status=503,
            content_type="application/problem+json",
            body='{"code": "unavailable", "detail": "the database is not answering"}',
        )

    page.route(f"**/api/v1/reports/{code}/private", once)
    return failed


def test_a_remembered_code_that_meets_a_failure_is_kept_and_the_page_says_try_again(
    open_page: OpenPage, live: Live
) -> None:
    created = live.submit(description="Trotoar retak")
    code, token = created["code"], created["reporter_token"]
    page = open_page(f"/t/{code}", size="desktop", lang="en")
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [f"tanggap.token.{code}", token])
    failed = _fail_once(page, code)
    page.reload()
    expect(page.locator("#action-error")).to_have_text(UNREACHABLE)
    assert failed
    assert _stored(page) == {f"tanggap.token.{code}": token}
    page.reload()  # the service is back: the remembered code opens the report
    expect(page.get_by_role("heading", name="Add a comment")).to_be_visible()
    expect(page.locator("#action-error")).to_be_hidden()


def test_a_pasted_code_that_meets_a_failure_is_not_called_wrong(
    open_page: OpenPage, live: Live
) -> None:
    created = live.submit(description="Trotoar retak lagi")
    code, token = created["code"], created["reporter_token"]
    page = open_page(f"/t/{code}", size="desktop", lang="en")
    failed = _fail_once(page, code)
    page.get_by_label("Secret code").fill(token)
    page.get_by_role("button", name="Use this code").click()
    expect(page.locator("#action-error")).to_have_text(UNREACHABLE)
    assert failed
    page.get_by_role("button", name="Use this code").click()
    expect(page.get_by_role("heading", name="Add a comment")).to_be_visible()
    # a code that is wrong for this report is still said to be wrong
    other = open_page(f"/t/{code}", size="desktop", lang="en")
    other.get_by_label("Secret code").fill("not-the-code")
    other.get_by_role("button", name="Use this code").click()
    expect(other.locator("#action-error")).to_have_text(
        "The secret code does not match this report."
    )


def test_a_remembered_code_that_is_wrong_is_forgotten(open_page: OpenPage, live: Live) -> None:
    code = live.submit(description="Trotoar retak sekali")["code"]
    page = open_page(f"/t/{code}", size="desktop", lang="en")
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [f"tanggap.token.{code}", "old"])
    with page.expect_response(f"**/api/v1/reports/{code}/private"):
        page.reload()
    expect(page.get_by_label("Secret code")).to_be_visible()
    page.wait_for_function(f"() => localStorage.getItem('tanggap.token.{code}') === null")
    assert _stored(page) == {}
