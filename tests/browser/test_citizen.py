"""The citizen pages in a real browser: report with a photo at phone width, follow it, dispute a
fix and see it reopen, comment and rate — in both languages, checked by axe-core."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, Request, expect

from tests.browser.conftest import MONAS, Live, OpenPage

Shot = Callable[[Page, str], Path]


def _photo(tmp_path: Path) -> Path:
    """A camera-sized photo (2400×1800), so the page's shrinking before upload is exercised."""
    path = tmp_path / "lubang.jpg"
    image = Image.new("RGB", (2400, 1800), (90, 90, 90))
    for x in range(0, 2400, 40):
        for y in range(0, 1800, 300):
            image.putpixel((x, y), (250, 250, 0))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    path.write_bytes(out.getvalue())
    return path


def test_report_with_photo_at_phone_width_lands_on_its_tracking_page(
    open_page: OpenPage, live: Live, axe: Callable[[Page], None], screenshot: Shot, tmp_path: Path
) -> None:
    page = open_page("/", size="phone", geolocation=MONAS)
    expect(page.get_by_role("heading", level=1)).to_have_text("Laporkan masalah")
    axe(page)
    screenshot(page, "report")

    page.get_by_text("Jalan rusak / berlubang", exact=True).click()
    page.get_by_role("button", name="Pakai lokasi saya sekarang").click()
    expect(page.locator("#location-status")).to_contain_text("-6.1754, 106.8272")
    page.get_by_label("Alamat, kelurahan atau patokan").fill("Jl. Medan Merdeka Barat")
    page.get_by_label("Apa yang terjadi?").fill("Lubang besar di lajur kiri, motor hampir jatuh")
    page.get_by_label("Atau pilih foto dari galeri").set_input_files(_photo(tmp_path))
    page.get_by_role("button", name="Kirim laporan").click()

    receipt = page.locator("#receipt")
    expect(receipt).to_be_visible()
    code = page.locator("#receipt-code").inner_text()
    assert re.fullmatch(r"JKT-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    link = page.locator("#receipt-link").input_value()
    assert link.startswith(f"{live.url}/t/{code}#token=")
    screenshot(page, "report-sent")

    # What the API stored is what was typed, and the photo arrived shrunk (≤ 1600 px).
    stored = live.public(code)
    assert stored["description"] == "Lubang besar di lajur kiri, motor hampir jatuh"
    assert stored["address"] == "Jl. Medan Merdeka Barat"
    assert stored["category"]["code"] == "broken_road"
    assert (stored["lat"], stored["lon"]) == MONAS
    (photo,) = stored["photos"]
    assert max(photo["width"], photo["height"]) == 1600

    page.get_by_role("link", name="Buka laporan saya").click()
    expect(page).to_have_url(re.compile(rf"/t/{code}#token="))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Laporan {code}")
    expect(page.locator(".state-line .badge.red")).to_have_text("Menunggu")
    expect(page.locator(".description")).to_have_text(stored["description"])
    expect(page.get_by_role("img", name="Foto laporan 1")).to_be_visible()
    # The token from the link's fragment was accepted: the reporter's actions are offered.
    expect(page.get_by_role("heading", name="Tambah komentar")).to_be_visible()


def test_report_page_offers_what_is_already_reported_nearby_and_me_too_follows_it(
    open_page: OpenPage, live: Live
) -> None:
    existing = live.submit(category="flood", description="Banjir selutut di depan halte")
    page = open_page("/", size="phone", lang="en")
    page.get_by_text("Flood / waterlogging", exact=True).click()
    page.get_by_label("Coordinates (latitude, longitude)").fill("-6.1755, 106.8273")
    page.get_by_label("Coordinates (latitude, longitude)").press("Tab")
    nearby = page.locator("#nearby")
    expect(nearby).to_contain_text("Someone already reported this nearby")
    expect(nearby).to_contain_text(existing["code"])
    expect(nearby).to_contain_text("Banjir selutut di depan halte")
    before = live.public(existing["code"])["supporters"]
    nearby.get_by_role("button", name="Me too").first.click()
    expect(page).to_have_url(re.compile(rf"/t/{existing['code']}$"))
    assert live.public(existing["code"])["supporters"] == before + 1


def test_dispute_a_resolved_report_reopens_it(
    open_page: OpenPage, live: Live, axe: Callable[[Page], None], screenshot: Shot
) -> None:
    created = live.submit(description="Lubang di depan sekolah")
    code, token = created["code"], created["reporter_token"]
    live.drive(code, "verify", "assign", "start", "resolve")

    page = open_page(f"/t/{code}#token={token}", size="phone")
    expect(page.locator(".state-line .badge.green")).to_have_text("Selesai")
    expect(page.locator(".timeline")).to_contain_text("Lubang sudah ditambal")
    expect(page.get_by_role("img", name="Foto dari petugas 1")).to_be_visible()
    expect(page.get_by_role("heading", name="Masalahnya belum beres?")).to_be_visible()
    axe(page)
    screenshot(page, "track-resolved")

    page.get_by_role("button", name="Buka lagi laporan ini").click()
    expect(page.locator("#action-error")).to_have_text("Tulis dulu apa yang belum beres.")
    page.get_by_label("Apa yang belum beres?").fill("Lubangnya muncul lagi setelah hujan")
    page.get_by_role("button", name="Buka lagi laporan ini").click()
    expect(page.locator(".state-line .badge.yellow")).to_have_text("Disposisi")
    expect(page.locator(".timeline li").last).to_contain_text("Dibuka lagi")
    expect(page.locator(".timeline li").last).to_contain_text("Lubangnya muncul lagi setelah hujan")
    assert live.public(code)["state"]["code"] == "assigned"


def test_appeal_a_rejected_report_puts_it_back_to_be_checked(
    open_page: OpenPage, live: Live, axe: Callable[[Page], None]
) -> None:
    created = live.submit(description="Lampu jalan mati, bukan spam")
    code, token = created["code"], created["reporter_token"]
    live.drive(code, "reject")

    page = open_page(f"/t/{code}#token={token}", size="phone")
    expect(page.locator(".state-line .badge.grey")).to_have_text("Ditolak")
    expect(page.get_by_role("heading", name="Laporan ditolak keliru?")).to_be_visible()
    expect(page.locator("#appeal-form")).to_contain_text("mengajukan banding sampai")
    expect(page.locator("#dispute-form")).to_have_count(0)
    axe(page)

    page.get_by_role("button", name="Ajukan banding").click()
    expect(page.locator("#action-error")).to_have_text(
        "Tulis dulu mengapa laporan ini seharusnya tidak ditolak."
    )
    page.get_by_label("Mengapa laporan ini seharusnya tidak ditolak?").fill(
        "Lampunya memang mati sejak Senin"
    )
    page.get_by_role("button", name="Ajukan banding").click()
    expect(page.locator(".state-line .badge.red")).to_have_text("Menunggu")
    expect(page.locator(".timeline li").last).to_contain_text("Diperiksa ulang")
    expect(page.locator(".timeline li").last).to_contain_text("Lampunya memang mati sejak Senin")
    expect(page.locator("#appeal-form")).to_have_count(0)
    assert live.public(code)["state"]["code"] == "submitted"


def test_comment_and_rate_with_the_pasted_token_in_english(
    open_page: OpenPage, live: Live, axe: Callable[[Page], None], screenshot: Shot
) -> None:
    created = live.submit(description="Pothole near the school")
    code, token = created["code"], created["reporter_token"]
    live.drive(code, "verify", "assign", "start", "resolve")

    page = open_page(f"/t/{code}", size="desktop", lang="en")
    expect(page.locator(".state-line .badge")).to_have_text("Resolved")
    page.get_by_label("Secret code").fill("not-the-token")
    page.get_by_role("button", name="Use this code").click()
    expect(page.locator("#action-error")).to_have_text(
        "The secret code does not match this report."
    )
    page.get_by_label("Secret code").fill(token)
    page.locator("#token-form").get_by_label("Remember this report on this device").check()
    page.get_by_role("button", name="Use this code").click()
    expect(page.get_by_role("heading", name="Add a comment")).to_be_visible()
    axe(page)
    screenshot(page, "track")

    page.get_by_label("Comment for the staff").fill("Thank you, <b>quick</b> work")
    page.get_by_role("button", name="Send comment").click()
    expect(page.locator("#action-status")).to_have_text("Comment sent to the staff.")
    # A citizen's comment goes to the agency; the public history does not list it (it changes
    # nothing the public sees), and the reporter (holding the token) reads their own entry and
    # words, as text.
    mine = page.locator(".timeline li").last
    expect(mine).to_contain_text("Comment · by a citizen")
    expect(mine.locator(".own-words")).to_have_text(
        "You wrote (only you see this): Thank you, <b>quick</b> work"
    )
    expect(mine.locator(".own-words b")).to_have_count(0)
    # Never on the public page: not in its HTML, not for a visitor without the token.
    assert "quick" not in live.request.get(f"/t/{code}").text()
    visitor = open_page(f"/t/{code}", size="phone", lang="en")
    expect(visitor.locator(".timeline li").last).to_contain_text("Resolved")
    expect(visitor.locator(".timeline")).not_to_contain_text("Comment")
    expect(visitor.locator("main")).not_to_contain_text("quick")
    staff_view = live.request.get(f"/api/v1/tickets/{code}", headers=live.auth("admin"))
    assert "Thank you, <b>quick</b> work" in staff_view.text()

    page.get_by_label("5 – very good").check()
    page.get_by_role("button", name="Send rating").click()
    expect(page.locator("#action-status")).to_have_text("Thank you for your rating.")
    private = live.request.get(
        f"/api/v1/reports/{code}/private", headers={"X-Reporter-Token": token}
    )
    assert private.json()["rating"] == 5
    assert [n["note"] for n in private.json()["own_notes"]] == ["Thank you, <b>quick</b> work"]
    # The page came back after the rating, and the remembered code shows the reporter's words.
    expect(page.locator(".own-words")).to_have_count(1)
    page.get_by_role("button", name="Forget on this device").click()
    assert page.evaluate(f"() => localStorage.getItem('tanggap.token.{code}')") is None
    expect(page.locator(".own-words")).to_have_count(0)
    expect(page.locator(".timeline")).not_to_contain_text("Comment")


# Holds the body of the private view's answer until the test calls window.__release(): the
# headers have come, the words not yet (a slow connection).
_SLOW_PRIVATE_BODY = """(() => {
  const real = window.fetch;
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  window.__release = release;
  window.fetch = (...args) => real(...args).then((r) => {
    if (!String(args[0]).endsWith("/private")) { return r; }
    const json = r.json.bind(r);
    r.json = () => held.then(json);
    window.__answered = true;
    return r;
  });
})();"""


def test_forget_is_offered_only_with_the_reporters_words_shown(
    open_page: OpenPage, live: Live
) -> None:
    """A remembered code: until the private view is read whole, the page offers neither the
    reporter's actions nor Forget. Before, Forget came with the headers, and a Forget pressed in
    between was undone when the words arrived (the reporter's comment back on a page they had
    just made forget them; CI 2026-12-02)."""
    created = live.submit(description="Lampu jalan mati")
    code, token = created["code"], created["reporter_token"]
    said = live.request.post(
        f"/api/v1/reports/{code}/comments",
        data={"text": "Sudah tiga malam gelap"},
        headers={"X-Reporter-Token": token},
    )
    assert said.ok, said.text()
    page = open_page("/", size="desktop", lang="en")
    page.evaluate(f"() => localStorage.setItem('tanggap.token.{code}', '{token}')")
    page.add_init_script(_SLOW_PRIVATE_BODY)
    page.goto(f"/t/{code}")
    page.wait_for_function("() => window.__answered === true")
    forget = page.get_by_role("button", name="Forget on this device")
    expect(forget).to_be_hidden()
    expect(page.locator("#actions")).to_be_hidden()
    expect(page.locator(".own-words")).to_have_count(0)
    page.evaluate("() => window.__release()")
    expect(page.locator(".own-words")).to_have_text(
        "You wrote (only you see this): Sudah tiga malam gelap"
    )
    expect(forget).to_be_visible()
    forget.click()
    expect(page.locator(".own-words")).to_have_count(0)
    assert page.evaluate(f"() => localStorage.getItem('tanggap.token.{code}')") is None
    page.reload()
    expect(page.get_by_label("Secret code")).to_be_visible()
    expect(page.locator(".own-words")).to_have_count(0)


def test_a_sent_comment_cannot_be_sent_again_while_the_page_comes_back(
    open_page: OpenPage, live: Live
) -> None:
    """Once the comment is taken, the page comes back to show it: until it has, the button stays
    pressed, so a second press sends no second comment. Before, the button woke up as soon as
    the answer came and a second press sent the same words again."""
    created = live.submit(description="Got mampet di gang")
    code, token = created["code"], created["reporter_token"]
    page = open_page(f"/t/{code}#token={token}", size="desktop", lang="en")
    sent: list[str] = []

    def seen(request: Request) -> None:
        if request.method == "POST" and request.url.endswith(f"/api/v1/reports/{code}/comments"):
            sent.append(request.url)

    page.on("request", seen)
    # The page does not come back this time (204: the browser stays on the page as it is), so
    # what it offers between the answer and the page coming back can be read and pressed.
    page.route(f"**/t/{code}", lambda route: route.fulfill(status=204))
    page.get_by_label("Comment for the staff").fill("Airnya sudah sampai jalan")
    send = page.get_by_role("button", name="Send comment")
    with page.expect_request(lambda r: r.url == f"{live.url}/t/{code}"):
        send.click()
    expect(page.locator("#action-status")).to_have_text("Comment sent to the staff.")
    expect(send).to_be_disabled()
    send.click(force=True)
    page.unroute(f"**/t/{code}")
    page.reload()
    expect(page.locator(".own-words")).to_have_text(
        "You wrote (only you see this): Airnya sudah sampai jalan"
    )
    expect(page.locator("#action-status")).to_have_text("Comment sent to the staff.")
    assert len(sent) == 1, sent
    private = live.request.get(
        f"/api/v1/reports/{code}/private", headers={"X-Reporter-Token": token}
    )
    assert [n["note"] for n in private.json()["own_notes"]] == ["Airnya sudah sampai jalan"]


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("lang", ["id", "en"])
def test_pages_in_both_languages_pass_axe(
    open_page: OpenPage,
    live: Live,
    axe: Callable[[Page], None],
    screenshot: Shot,
    size: str,
    lang: str,
) -> None:
    code = live.submit(description="Trotoar retak")["code"]
    for path, name in (
        ("/", "report"),
        (f"/t/{code}", "track-public"),
        ("/t/JKT-0000-0000", "not-found"),
    ):
        page = open_page(path, size=size, lang=lang)
        assert page.locator("html").get_attribute("lang") == lang
        axe(page)
        if lang == "id":
            screenshot(page, name)
        page.context.close()


def test_language_link_switches_and_is_remembered(open_page: OpenPage) -> None:
    page = open_page("/", size="phone")
    expect(page.get_by_role("heading", level=1)).to_have_text("Laporkan masalah")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report a problem")
    page.get_by_role("link", name="Track a report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Track a report")
    page.get_by_label("Report code").fill("jkt-zzzz-zzzz")
    page.get_by_role("button", name="Track").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report not found")
    expect(page.locator("main")).to_contain_text("JKT-ZZZZ-ZZZZ")


def test_a_refused_photo_is_named_as_the_person_chose_it_with_numbers_in_their_language(
    open_page: OpenPage, tmp_path: Path
) -> None:
    fake = tmp_path / "fake.jpg"
    fake.write_text("this is not a photo\n")
    big = tmp_path / "besar sekali.jpg"
    big.write_bytes(b"\0" * (20 * 1024 * 1024))
    page = open_page("/", size="phone", geolocation=MONAS)
    page.get_by_text("Jalan rusak / berlubang", exact=True).click()
    page.get_by_role("button", name="Pakai lokasi saya sekarang").click()
    expect(page.locator("#location-status")).to_contain_text("-6.1754, 106.8272")
    page.get_by_label("Apa yang terjadi?").fill("Lubang besar di lajur kiri")
    error = page.locator("#form-error")
    gallery = page.get_by_label("Atau pilih foto dari galeri")

    gallery.set_input_files(str(fake))
    page.get_by_role("button", name="Kirim laporan").click()
    expect(error).to_contain_text("fake.jpg bukan foto JPEG, PNG, atau WebP.")
    expect(error).not_to_contain_text("photo-1")

    gallery.set_input_files(str(big))
    page.get_by_role("button", name="Kirim laporan").click()
    expect(error).to_contain_text("besar sekali.jpg")
    expect(error).to_contain_text("8,0 MB")
    expect(error).not_to_contain_text("photo-1")
    expect(error).not_to_contain_text("8.0")


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_unsubscribe_link_asks_then_the_button_stops_the_mail(
    open_page: OpenPage, live: Live, axe: Callable[[Page], None], screenshot: Shot, lang: str
) -> None:
    from sqlalchemy import select

    from engine.models import Subscription, Ticket

    code = live.submit(description="Trotoar retak", email="sari@warga.example")["code"]
    with live.database.reading() as session:
        token = session.scalar(
            select(Subscription.unsubscribe_token)
            .join(Ticket, Ticket.id == Subscription.ticket_id)
            .where(Ticket.code == code)
        )
    page = open_page(f"/unsubscribe/{token}", size="phone", lang=lang)
    words = {
        "id": (f"Berhenti menerima surel tentang laporan {code}?", "Hentikan surel ini"),
        "en": (f"Stop e-mails about report {code}?", "Stop these e-mails"),
    }[lang]
    expect(page.get_by_role("heading", level=1)).to_have_text(words[0])
    axe(page)
    if lang == "id":
        screenshot(page, "unsubscribe")
    page.get_by_role("button", name=words[1]).click()
    done = "Surel dihentikan" if lang == "id" else "No more e-mails"
    expect(page.get_by_role("heading", level=1)).to_have_text(done)
    axe(page)
    with live.database.reading() as session:
        active = session.scalar(
            select(Subscription.active).where(Subscription.unsubscribe_token == token)
        )
    assert active is False
    page.goto(f"{live.url}/unsubscribe/not-a-link")
    unknown = "Tautan tidak berlaku" if lang == "id" else "Link not valid"
    expect(page.get_by_role("heading", level=1)).to_have_text(unknown)
    axe(page)
