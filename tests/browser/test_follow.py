"""Following a report from its tracking page, as a neighbour who is not its reporter: "Saya juga"
with an e-mail address, the figure and the words that come back, the confirmation mail in the
outbox; refusals said under the e-mail box; one send per press."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, Request, Route, expect
from sqlalchemy import select

from engine.models.sla import Notification, NotificationKind
from engine.models.ticket import Ticket
from tests.browser.conftest import Live, OpenPage

Shot = Callable[[Page, str], Path]
LINK = re.compile(r"http://127\.0\.0\.1:8000(/confirm/[A-Za-z0-9_-]{32})")


def _supports(page: Page, code: str) -> list[str]:
    """The "me too"s the page sends from now on (their bodies)."""
    sent: list[str] = []

    def seen(request: Request) -> None:
        if request.method == "POST" and request.url.endswith(f"/api/v1/reports/{code}/supporters"):
            sent.append(request.post_data or "")

    page.on("request", seen)
    return sent


def _confirmations(live: Live, code: str) -> list[tuple[str, str | None, str, str]]:
    """(recipient, language, subject, body) of each confirmation mail about ``code``."""
    with live.database.transaction() as session:
        ticket_id = session.scalars(select(Ticket.id).where(Ticket.code == code)).one()
        rows = session.scalars(
            select(Notification)
            .where(
                Notification.ticket_id == ticket_id,
                Notification.kind == NotificationKind.FOLLOW_CONFIRMATION,
            )
            .order_by(Notification.id)
        ).all()
        return [(n.recipient, n.language, n.subject, n.body) for n in rows]


def test_a_neighbour_follows_a_report_by_e_mail_from_its_page(
    open_page: OpenPage, live: Live, axe: Callable[[Page], None], screenshot: Shot
) -> None:
    code = live.submit(description="Trotoar amblas di depan sekolah")["code"]
    live.drive(code, "verify")
    page = open_page(f"/t/{code}#follow", size="phone", lang="id")
    sent = _supports(page, code)
    section = page.locator("#follow")
    expect(section.get_by_role("heading", name="Ikuti laporan ini")).to_be_visible()
    expect(page.locator("#supporters")).to_have_text("0")
    email = page.get_by_label("E-mail Anda (tidak wajib)")
    button = page.get_by_role("button", name="Saya juga")
    expect(button).to_be_enabled()  # the script is what sends it
    # The e-mails' language starts as the page's.
    expect(page.get_by_label("Bahasa e-mailnya")).to_have_value("id")
    axe(page)
    screenshot(page, "follow-form")

    # Enter in the empty box sends nothing (a stray Enter before the address is typed).
    email.press("Enter")
    # A half-typed address: the API's refusal, under the box, in the page's words.
    email.fill("budi@")
    email.press("Enter")
    error = page.locator("#follow-error")
    expect(error).to_have_text(
        'Belum terkirim: Kotak "alamat e-mail" bukan alamat e-mail seperti nama@contoh.id.'
    )
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()
    assert len(sent) == 1
    assert live.public(code)["supporters"] == 0  # a refused "me too" counts nothing

    email.fill("Budi.Santoso@warga.example")
    page.get_by_label("Bahasa e-mailnya").select_option("en")
    # While the first is under way (its answer held back here), Enter again and another
    # submit of the form send nothing more.
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route(f"**/api/v1/reports/{code}/supporters", hold)
    email.press("Enter")
    expect(button).to_be_disabled()
    email.press("Enter")
    page.locator("#follow-form").evaluate("form => form.requestSubmit()")
    expect(page.locator("#follow-status")).to_have_text("Mengirim…")
    assert len(held) == 1 and len(sent) == 2
    held[0].continue_()
    page.unroute(f"**/api/v1/reports/{code}/supporters")
    status = page.locator("#follow-status")
    expect(status).to_contain_text(
        "Terima kasih: dukungan Anda tercatat. Pendukung laporan ini sekarang: 1."
    )
    expect(status).to_contain_text(
        "E-mail konfirmasi sedang dikirim ke Budi.Santoso@warga.example, kecuali alamat ini"
    )
    expect(page.locator("#supporters")).to_have_text("1")
    expect(error).to_be_hidden()
    expect(page.locator("#follow-form")).to_be_hidden()
    expect(status).to_be_focused()  # not lost with the hidden form
    assert len(sent) == 2, sent
    assert json.loads(sent[1]) == {"language": "en", "email": "Budi.Santoso@warga.example"}
    assert live.public(code)["supporters"] == 1
    axe(page)
    screenshot(page, "follow-done")

    # One confirmation mail, to that address, in the language chosen, and nothing else yet.
    ((to, lang, subject, body),) = _confirmations(live, code)
    assert (to, lang) == ("budi.santoso@warga.example", "en")
    assert subject == f"[Tanggap] Confirm e-mails about report {code}"
    assert f"to be told about report {code} (Damaged sidewalk)" in body
    assert "If it was not you, or you do not want them, ignore this e-mail" in body
    link = LINK.search(body)
    assert link is not None, body

    # Its owner confirms from the link.
    confirm = open_page(link[1], size="phone", lang="en")
    confirm.get_by_role("button", name="Yes, send me these e-mails").click()
    expect(confirm.get_by_role("heading", level=1)).to_have_text("Confirmed")


def test_me_too_without_an_address_is_counted_once_and_sends_no_mail(
    open_page: OpenPage, live: Live
) -> None:
    code = live.submit(description="Lampu jalan mati")["code"]
    page = open_page(f"/t/{code}", size="desktop", lang="en")
    expect(page.get_by_label("Language of the e-mails")).to_have_value("en")
    page.get_by_role("button", name="Me too").click()
    status = page.locator("#follow-status")
    expect(status).to_contain_text(
        "Thank you: your support is counted. Supporters of this report now: 1."
    )
    expect(status).to_contain_text("No e-mail address was given, so no e-mail is sent.")
    expect(page.locator("#supporters")).to_have_text("1")

    # Again from the same device the same day: said, and not counted.
    again = open_page(f"/t/{code}", size="desktop", lang="en")
    again.get_by_role("button", name="Me too").click()
    expect(again.locator("#follow-status")).to_contain_text(
        "Your support was already counted before (each person counts once), so the number of "
        "supporters stays at 1."
    )
    expect(again.locator("#supporters")).to_have_text("1")
    assert live.public(code)["supporters"] == 1
    assert _confirmations(live, code) == []


def test_too_many_at_once_is_said_under_the_box_and_the_button_works_again(
    open_page: OpenPage, live: Live
) -> None:
    code = live.submit(description="Sampah menumpuk")["code"]
    page = open_page(f"/t/{code}", size="phone", lang="en")
    problem = {
        "type": "about:blank",
        "title": "Too Many Requests",
        "status": 429,
        "detail": 'too many "me too"s from this address',
        "code": "too_many_requests",
        "params": {},
    }

    def refuse(route: Route) -> None:
        route.fulfill(
            status=429,
            headers={"Retry-After": "30"},
            content_type="application/problem+json",
            body=json.dumps(problem),
        )

    page.route(f"**/api/v1/reports/{code}/supporters", refuse)
    page.get_by_label("Your e-mail (optional)").fill("sari@warga.example")
    page.get_by_role("button", name="Me too").click()
    expect(page.locator("#follow-error")).to_have_text(
        "Not sent: Too many sent in a short time. Wait a moment and try again."
    )
    expect(page.get_by_role("button", name="Me too")).to_be_enabled()
    expect(page.locator("#follow-status")).to_have_text("")
    expect(page.locator("#supporters")).to_have_text("0")


def test_the_address_is_said_back_as_typed_never_read_as_markup_or_words(
    open_page: OpenPage, live: Live
) -> None:
    # "&lt" reads as "<" when parsed as HTML, and "{count}" is a placeholder of the page's words.
    address = "o'neil&lt{count}@warga.example"
    code = live.submit(description="Got mampet")["code"]
    page = open_page(f"/t/{code}", size="phone", lang="en")
    page.get_by_label("Your e-mail (optional)").fill(address)
    page.get_by_role("button", name="Me too").click()
    expect(page.locator("#follow-status p").nth(1)).to_have_text(
        f"A confirmation e-mail is on its way to {address}, unless this address already follows "
        "this report or got one in the last 24 hours. Open the link in it to get the e-mails "
        "about this report; until then nothing else is sent."
    )
    assert [to for to, *_ in _confirmations(live, code)] == [address]


def test_an_address_with_a_unicode_domain_is_said_back_as_typed(
    open_page: OpenPage, live: Live
) -> None:
    # An e-mail box reads "neu@bücher.de" as "neu@xn--bcher-kva.de": the page said that back.
    code = live.submit(description="Got mampet di pojok")["code"]
    page = open_page(f"/t/{code}", size="phone", lang="en")
    page.get_by_label("Your e-mail (optional)").fill("neu@bücher.de")
    page.get_by_role("button", name="Me too").click()
    expect(page.locator("#follow-status p").nth(1)).to_contain_text(
        "A confirmation e-mail is on its way to neu@bücher.de, unless"
    )
    # the mail goes to the form every provider takes
    assert [to for to, *_ in _confirmations(live, code)] == ["neu@xn--bcher-kva.de"]
