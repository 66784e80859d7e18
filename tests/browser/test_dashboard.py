"""The supervisor dashboard in a real browser: a ticket made late (submitted through the engine
with an old clock, then swept) is on the map as breached, first in the time-to-breach list, and
its SLA timeline names who was told; axe-core and screenshots at phone and desktop width."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine.actors import Actor
from engine.escalation import sweep_batch
from engine.keys import create_key
from engine.lifecycle import Role
from engine.photos import MemoryMediaStorage
from engine.submission import Report, submit
from tests.browser.conftest import MONAS, Live, OpenPage
from tests.browser.test_staff import sign_in

Shot = Callable[[Page, str], Path]


@pytest.fixture(scope="module")
def breached(live: Live) -> Iterator[tuple[str, str]]:
    """A flood (DSDA, verify within 30 minutes, 24/7) reported two hours ago and swept now, and a
    DSDA supervisor's key."""
    now = datetime.now(UTC)
    with live.database.transaction() as session:
        ticket = submit(
            session,
            Report(
                category="flood",
                description="Banjir 60 cm, mobil mogok",
                lat=MONAS[0],
                lon=MONAS[1],
            ),
            actor=Actor.citizen(),
            now=now - timedelta(hours=2),
            settings=live.settings,
            storage=MemoryMediaStorage(),
        ).ticket
        code = ticket.code
        key = create_key(
            session, role=Role.SUPERVISOR, name="Kepala DSDA", agency="DSDA", area=None, now=now
        ).secret
    with live.database.transaction() as session:
        sweep_batch(session, now=now)
    yield code, key


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_supervisor_sees_the_breached_ticket_on_map_list_and_timeline(
    open_page: OpenPage,
    breached: tuple[str, str],
    axe: Callable[[Page], None],
    screenshot: Shot,
    size: str,
) -> None:
    code, key = breached
    page = open_page("/dashboard", size=size, lang="en")
    sign_in(page, key, then="/dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Supervisor dashboard")
    marker = page.locator(f"path.ticket-marker.code-{code}")
    expect(marker).to_have_count(1)
    expect(marker).to_have_class(re.compile(r"\bsla-breached\b"))
    expect(marker).to_have_attribute("fill", "#b3261e")  # red: waiting (submitted)
    # Without tiles the map still says where: the area outlines and names around the tickets.
    expect(page.locator("#dashboard-map .leaflet-areas-pane path").first).to_be_attached()
    expect(page.locator("#dashboard-map .area-name").first).to_be_visible()
    first = page.locator("#breach-list tbody tr").first
    expect(first).to_have_attribute("data-code", code)
    expect(first).to_contain_text("Breached")
    expect(first).to_contain_text("late")
    expect(page.locator("#escalations")).to_contain_text("dsda.head@tanggap.example")
    expect(page.locator("#backlog-agency-title")).to_be_visible()
    assert_nothing_past_the_right_edge(page)
    axe(page)
    screenshot(page, "dashboard")

    first.get_by_role("link", name=code).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"SLA timeline of {code}")
    verify = page.locator("li.timer[data-kind='verify']")
    expect(verify).to_contain_text("overdue")
    breach = verify.locator("li[data-level='breach']")
    expect(breach).to_contain_text("dsda.head@tanggap.example (agency head, waiting to be sent")
    expect(breach).to_contain_text("kec-gambir.head@tanggap.example (kecamatan office")
    expect(page.locator(".state-line")).to_contain_text("Flood")
    expect(page.locator("svg.timeline line.deadline").first).to_be_attached()
    assert_level_labels_apart(page)
    axe(page)
    screenshot(page, "dashboard-timeline")


def assert_nothing_past_the_right_edge(page: Page) -> None:
    """The page does not scroll sideways: every box ends inside the viewport (tables scroll in
    their own region)."""
    width = page.evaluate("() => document.documentElement.clientWidth")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    for selector in ("#backlog-area-title", "#rates-area-title", "main table.data"):
        for box in [page.locator(selector).nth(i) for i in range(page.locator(selector).count())]:
            right = box.evaluate("e => e.closest('.scroll, figure').getBoundingClientRect().right")
            assert right <= width, f"{selector} ends at {right} px, past {width} px"


def assert_level_labels_apart(page: Page) -> None:
    """Ladder levels that fall close together (warning, breach, kota at 15-minute steps of a
    30-minute target) have labels that do not overlap."""
    boxes = page.locator("svg.timeline text").evaluate_all(
        "ts => ts.filter(t => /%/.test(t.textContent)).map(t => {"
        " const b = t.getBBox(); return [b.x, b.y, b.x + b.width, b.y + b.height]; })"
    )
    assert len(boxes) >= 3
    for n, a in enumerate(boxes):
        for b in boxes[n + 1 :]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, f"level labels overlap: {a} and {b}"


def test_dashboard_speaks_indonesian_by_default(
    open_page: OpenPage, breached: tuple[str, str]
) -> None:
    _code, key = breached
    page = open_page("/dashboard", size="desktop")
    sign_in(page, key, then="/dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dasbor pengawas")
    expect(page.locator("#breach-list")).to_contain_text("Terlambat")
