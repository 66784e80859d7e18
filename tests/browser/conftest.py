"""Browser tests: the real app served by uvicorn on 127.0.0.1, driven by Debian's Chromium
through Playwright.

- One server per test session over a database of its own (SQLite file, or a schema of its own on
  PostgreSQL when ``TANGGAP_DATABASE_URL`` is set), migrated and loaded with the Jakarta
  catalogue. Browser tests commit for real, so they never share the suite's main database.
- One browser per session; each test gets fresh contexts from ``open_page`` (phone or desktop
  size, a language, an optional geolocation). Every request a page makes is checked: anything
  not for the app's own origin is aborted and fails the test, and so does a script error.
- ``axe(page)`` runs axe-core (vendored, pinned) and fails on serious or critical violations.
- ``screenshot(page, name)`` writes ``NAME-phone.png`` / ``NAME-desktop.png`` under
  ``$TANGGAP_SCREENSHOTS`` or else ``<pytest basetemp>/screenshots``.

Chromium is ``/usr/bin/chromium`` (``apt-get install chromium``; ``.ci/run`` installs it) or
``$TANGGAP_CHROMIUM``.
"""

from __future__ import annotations

import base64
import io
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from PIL import Image
from playwright.sync_api import (
    APIRequestContext,
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Route,
    sync_playwright,
)

from api.app import create_app
from engine import schema
from engine.catalogue import load_catalogue
from engine.db import Database
from engine.keys import create_key
from engine.lifecycle import Role
from engine.settings import Settings
from tests.conftest import separate_database_url

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "catalogue" / "jakarta.yaml"
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
CHROMIUM = Path(os.environ.get("TANGGAP_CHROMIUM", "/usr/bin/chromium"))
_SCHEMA = "tanggap_web"

#: Viewports: a cheap phone and a laptop.
SIZES = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}
MONAS = (-6.1754, 106.8272)


@pytest.fixture(scope="package")
def web_database(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = Database(separate_database_url(database_url, _SCHEMA, tmp_path_factory))
    schema.upgrade(db.engine)
    with db.transaction() as session:
        load_catalogue(session, CATALOGUE.read_text(), source=str(CATALOGUE), now=datetime.now(UTC))
    yield db
    db.dispose()


@dataclass
class Live:
    """The running app: its URL, database, and API keys to drive tickets as staff would."""

    url: str
    database: Database
    settings: Settings
    keys: dict[str, str]
    request: APIRequestContext
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, who: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}

    def submit(self, **fields: Any) -> dict[str, Any]:
        """A report sent through the JSON API, as another citizen would."""
        body = {"category": "damaged_sidewalk", "description": "Trotoar rusak", "lat": MONAS[0]}
        body |= {"lon": MONAS[1], **fields}
        response = self.request.post("/api/v1/reports", data=body)
        assert response.status == 201, response.text()
        created: dict[str, Any] = response.json()
        self.tokens[created["code"]] = created["reporter_token"]
        return created

    def act(self, code: str, trigger: str, who: str = "admin", **fields: Any) -> dict[str, Any]:
        """One staff transition through the JSON API, with the ticket's current version."""
        detail = self.request.get(f"/api/v1/tickets/{code}", headers=self.auth("admin"))
        assert detail.ok, detail.text()
        body = {"trigger": trigger, "expected_version": detail.json()["version"], **fields}
        response = self.request.post(
            f"/api/v1/tickets/{code}/transitions", data=body, headers=self.auth(who)
        )
        assert response.ok, response.text()
        result: dict[str, Any] = response.json()
        return result

    def drive(self, code: str, *triggers: str) -> None:
        """Staff moves the ticket along; the fix comes with a proof photo, as the category asks."""
        notes = {"hold": "menunggu PLN", "resolve": "Lubang sudah ditambal", "reject": "spam"}
        for trigger in triggers:
            extra: dict[str, Any] = {"note": notes[trigger]} if trigger in notes else {}
            if trigger == "resolve":
                extra["photos"] = [base64.b64encode(proof_photo()).decode()]
            self.act(code, trigger, **extra)

    def public(self, code: str) -> dict[str, Any]:
        response = self.request.get(f"/api/v1/reports/{code}")
        assert response.ok, response.text()
        body: dict[str, Any] = response.json()
        return body


# Replaces the page's fetch(): a call whose address holds one of the parts is answered by the
# app at once and read whole, but the page gets it (or a network failure instead) only when the
# test says. Microtasks alone lead from the release to the page's own handling of the answer,
# so a test that then waits for one timer turn sees the page as its script left it.
_HOLD_ANSWERS = """((parts) => {
  const real = window.fetch.bind(window);
  const held = [];
  window.__held = held;
  window.fetch = (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (!parts.some((p) => url.includes(p))) { return real(input, init); }
    const entry = { url: url, ready: false };
    held.push(entry);
    const read = real(input, init).then((r) => r.clone().text().then((body) => {
      entry.ready = true;
      return [r, body];
    }), (e) => { entry.ready = true; throw e; });
    return new Promise((resolve, reject) => {
      entry.release = () => read.then(([r, body]) => {
        r.text = () => Promise.resolve(body);
        r.json = () => Promise.resolve().then(() => JSON.parse(body));
        resolve(r);
      }, reject);
      entry.fail = () => reject(new TypeError("Failed to fetch"));
    });
  };
})(%s);"""


class HeldAnswers:
    """The answers to a page's fetch() calls to addresses holding one of ``parts`` (from its
    next load on), each given to the page only on :meth:`release` (or failed by :meth:`fail`).
    Calls are numbered from 0 in the order the page made them."""

    def __init__(self, page: Page, *parts: str) -> None:
        self.page = page
        page.add_init_script(_HOLD_ANSWERS % json.dumps(list(parts)))

    def wait(self, count: int) -> list[str]:
        """Until the page has made ``count`` such calls and the app has answered them all: their
        addresses."""
        self.page.wait_for_function(
            "n => (window.__held || []).filter((e) => e.ready).length >= n", arg=count
        )
        urls: list[str] = self.page.evaluate("() => window.__held.map((e) => e.url)")
        return urls

    def release(self, index: int) -> None:
        """The page gets answer ``index``; back when its script has done with it."""
        self._settle(index, "release")

    def fail(self, index: int) -> None:
        """Call ``index`` fails as a lost connection does; back when the script has done with it."""
        self._settle(index, "fail")

    def _settle(self, index: int, how: str) -> None:
        self.page.wait_for_function(
            "i => window.__held && window.__held[i] && window.__held[i].ready", arg=index
        )
        self.page.evaluate(
            "([i, how]) => { window.__held[i][how](); return new Promise((r) => setTimeout(r)); }",
            [index, how],
        )


def proof_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 140, 60)).save(out, format="JPEG")
    return out.getvalue()


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


# Package scope, not session: a live sync Playwright keeps its event loop current in the main
# thread, and Prefect (tests/workflows, run later) would then hand back coroutines from its
# sync entry points. Everything browser-shaped stops when tests/browser is done.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        raise pytest.UsageError(
            f"{CHROMIUM} is missing: apt-get install chromium (or set TANGGAP_CHROMIUM)"
        )
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def live(
    web_database: Database, playwright: Playwright, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    settings = Settings(
        database_url=web_database.url,
        media_dir=tmp_path_factory.mktemp("web-media"),
        submit_rate_limit="1000/minute",
        follow_up_rate_limit="1000/minute",
        follow_up_client_rate_limit="1000/minute",
    )
    app = create_app(settings, database=web_database)
    sock = _free_socket()
    host, port = sock.getsockname()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    now = datetime.now(UTC)
    keys: dict[str, str] = {}
    with web_database.transaction() as session:
        for name, role, agency in (("admin", Role.ADMIN, None), ("staff", Role.STAFF, "DBM")):
            keys[name] = create_key(
                session, role=role, name=f"browser {name}", agency=agency, area=None, now=now
            ).secret
    url = f"http://{host}:{port}"
    request = playwright.request.new_context(base_url=url)
    try:
        yield Live(url, web_database, settings, keys, request)
    finally:
        request.dispose()
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
    yield browser
    browser.close()


@dataclass
class Guard:
    """What a page did that it must not: requests off the app's origin, script errors."""

    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


OpenPage = Callable[..., Page]


@pytest.fixture
def open_page(browser: Browser, live: Live) -> Iterator[OpenPage]:
    """``open_page(path, size="phone", lang=None, geolocation=None, timezone=None)`` → a loaded
    page in a fresh context (``timezone``: the device's, e.g. ``America/New_York``). After the
    test: no request went anywhere but the app, and no script failed."""
    origin = urlsplit(live.url)
    contexts: list[BrowserContext] = []
    guard = Guard()

    def only_the_app(route: Route) -> None:
        target = urlsplit(route.request.url)
        if (target.scheme, target.netloc) == (origin.scheme, origin.netloc):
            route.continue_()
        else:
            guard.outside.append(route.request.url)
            route.abort()

    def open_(
        path: str,
        size: str = "phone",
        lang: str | None = None,
        geolocation: tuple[float, float] | None = None,
        timezone: str | None = None,
    ) -> Page:
        options: dict[str, Any] = {"viewport": SIZES[size], "base_url": live.url}
        if timezone:
            options["timezone_id"] = timezone
        if size == "phone":
            options |= {"is_mobile": True, "has_touch": True, "device_scale_factor": 2}
        if geolocation:
            options |= {
                "geolocation": {"latitude": geolocation[0], "longitude": geolocation[1]},
                "permissions": ["geolocation"],
            }
        context = browser.new_context(**options)
        contexts.append(context)
        context.route("**/*", only_the_app)
        if lang:
            context.add_cookies([{"name": "lang", "value": lang, "url": live.url}])
        page = context.new_page()
        page.size = size  # type: ignore[attr-defined]
        page.on("pageerror", lambda exc: guard.errors.append(str(exc)))
        page.goto(path)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not guard.outside, f"pages asked for outside hosts: {guard.outside}"
    assert not guard.errors, f"script errors on the pages: {guard.errors}"


@pytest.fixture
def axe() -> Callable[[Page], None]:
    """Fail on serious or critical axe-core violations of the page as it is now."""
    source = AXE.read_text(encoding="utf-8")

    def check(page: Page) -> None:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            # Evaluated through the DevTools protocol: the page's own CSP stays in force.
            page.evaluate(source + "\n;true")
        results = page.evaluate(
            "() => axe.run(document, {resultTypes: ['violations']})"
            ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))"
        )
        bad = [v for v in results if v["impact"] in ("serious", "critical")]
        assert not bad, f"axe on {page.url}: " + "; ".join(
            f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in bad
        )

    return check


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(
        os.environ.get("TANGGAP_SCREENSHOTS") or tmp_path_factory.getbasetemp() / "screenshots"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def screenshot(screenshots: Path) -> Callable[[Page, str], Path]:
    def take(page: Page, name: str) -> Path:
        path = screenshots / f"{name}-{getattr(page, 'size', 'page')}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
