"""The staff worklist in a real browser: sign in with a key, move a ticket verify → assign →
start → resolve (with a proof photo) by its buttons while the citizen's tracking page shows each
step; a stale page gets "someone else changed this ticket"; axe-core and screenshots."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import Live, OpenPage

Shot = Callable[[Page, str], Path]


def sign_in(page: Page, key: str, then: str = "/staff") -> None:
    page.goto(f"/staff/sign-in?next={then}")
    page.get_by_label("Api key").or_(page.get_by_label("Kunci API")).fill(key)
    page.get_by_role("button", name="Sign in").or_(page.get_by_role("button", name="Masuk")).click()
    expect(page).to_have_url(re.compile(re.escape(then) + "$"))


def _card(page: Page, code: str) -> object:
    return page.locator(f"#ticket-{code}")


def _proof(tmp_path: Path) -> Path:
    path = tmp_path / "bukti.jpg"
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 60)).save(out, format="JPEG")
    path.write_bytes(out.getvalue())
    return path


def test_staff_moves_a_ticket_to_resolved_and_the_track_page_shows_each_step(
    open_page: OpenPage, live: Live, axe: Callable[[Page], None], screenshot: Shot, tmp_path: Path
) -> None:
    code = live.submit(description="Trotoar amblas di depan halte")["code"]
    staff = open_page("/staff", size="desktop", lang="en")
    sign_in(staff, live.keys["staff"])
    card = staff.locator(f"#ticket-{code}")
    expect(card).to_contain_text("Trotoar amblas di depan halte")
    axe(staff)
    screenshot(staff, "staff-worklist")
    citizen = open_page(f"/t/{code}", size="phone", lang="en")

    def step(button: str, seen_on_track: str, fill: Callable[[], None] | None = None) -> None:
        card = staff.locator(f"#ticket-{code}")
        if fill is None:
            card.get_by_role("button", name=button, exact=True).click()
        else:
            card.locator("summary", has_text=button).click()
            fill()
            card.locator("details[open]").get_by_role("button", name=button, exact=True).click()
        expect(staff.locator("#done")).to_contain_text(f"{code}: {button} — done.")
        citizen.reload()
        expect(citizen.locator(".timeline")).to_contain_text(seen_on_track)

    step("Verify", "Checked by staff")
    step("Assign", "Passed to the office", fill=lambda: None)
    step("Start work", "Work started")

    def resolve_form() -> None:
        form = staff.locator(f"#ticket-{code} details[open]")
        form.get_by_label("Note for the citizen (required)").fill("Trotoar sudah diperbaiki")
        form.get_by_label("Proof photo").set_input_files(str(_proof(tmp_path)))

    step("Resolve", "Resolved", fill=resolve_form)
    expect(citizen.locator("body")).to_contain_text("Trotoar sudah diperbaiki")
    expect(citizen.locator("img[alt]").last).to_be_visible()
    assert live.public(code)["state"]["code"] == "resolved"
    screenshot(citizen, "track-after-staff")


def test_a_stale_worklist_says_someone_else_changed_the_ticket(
    open_page: OpenPage, live: Live, axe: Callable[[Page], None], screenshot: Shot
) -> None:
    code = live.submit(description="Paving lepas")["code"]
    page = open_page("/staff", size="phone", lang="en")
    sign_in(page, live.keys["staff"])
    expect(page.locator(f"#ticket-{code}")).to_be_visible()
    live.act(code, "verify")  # a colleague, through the API, while this page is open
    page.locator(f"#ticket-{code}").get_by_role("button", name="Verify", exact=True).click()
    problem = page.locator("#problem")
    expect(problem).to_contain_text("Someone else changed this ticket")
    expect(problem).to_contain_text("It now reads: Waiting (verified), version 2")
    assert live.public(code)["state"]["code"] == "verified"
    axe(page)
    screenshot(page, "staff-stale")
    # the page now shows the ticket as it is: Assign is offered, with the new version
    expect(page.locator(f"#ticket-{code}")).to_have_attribute("data-version", "2")
    page.locator("form[action='/staff/sign-out'] button").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff sign-in")
    page.goto("/staff")
    expect(page).to_have_url(f"{live.url}/staff/sign-in?next=/staff")


def test_a_second_press_while_the_first_is_on_its_way_sends_nothing(
    open_page: OpenPage, live: Live
) -> None:
    """A double click on an action whose answer is slow to come: one action is sent, and the
    officer reads that it was done. Before, the second press was sent too, found the ticket
    moved on by the first, and its answer (the page the officer then read) said someone else
    had changed the ticket and nothing was saved."""
    code = live.submit(description="Paving lepas dekat halte")["code"]
    page = open_page("/staff", size="desktop", lang="en")
    sign_in(page, live.keys["staff"])
    posts: list[str] = []
    held: list[Route] = []

    def hold_the_first(route: Route) -> None:
        posts.append(route.request.post_data or "")
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route(f"**/staff/tickets/{code}/actions", hold_the_first)
    verify = page.locator(f"#ticket-{code}").get_by_role("button", name="Verify", exact=True)
    verify.scroll_into_view_if_needed()  # (the list holds the other tests' tickets too)
    box = verify.bounding_box()
    assert box is not None
    middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    # (the mouse, not Locator.click: that waits for the page the press asked for)
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/actions")):
        page.mouse.click(*middle)
    assert live.public(code)["state"]["code"] == "submitted"  # (and the held press is in `held`)
    # The first press reaches the app; its answer is kept from the page for now.
    answer = held[0].fetch(max_redirects=0)
    assert live.public(code)["state"]["code"] == "verified"
    page.mouse.click(*middle)
    page.keyboard.press("Enter")  # the button has the focus
    held[0].fulfill(response=answer)
    expect(page.locator("#done")).to_contain_text(f"{code}: Verify — done.")
    expect(page.locator("#problem")).to_have_count(0)
    assert len(posts) == 1, posts
