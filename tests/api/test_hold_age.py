"""A ticket on hold shows since when: its clocks are paused, so without it a hold of weeks reads
"on time" everywhere (the staff worklist, its CSV, the supervisor dashboard)."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from .conftest import Api
from .test_staff_pages import ORIGIN, sign_in


def test_a_hold_shows_since_when_in_worklist_csv_and_dashboard(api: Api) -> None:
    held = api.submit()["code"]
    running = api.submit()["code"]
    api.drive(held, "verify", "assign", "start", "hold")
    began = api.clock.now
    api.clock.tick(60 * 24 * 20)  # twenty days later

    items = api.client.get("/api/v1/tickets", headers=api.auth("staff")).json()["items"]
    by_code = {i["code"]: i for i in items}
    assert datetime.fromisoformat(by_code[held]["on_hold_since"]) == began
    assert by_code[running]["on_hold_since"] is None

    table = api.client.get("/api/v1/tickets.csv", headers=api.auth("staff")).text
    rows = {r["code"]: r for r in csv.DictReader(io.StringIO(table))}
    local = began.astimezone().replace(microsecond=0)
    assert datetime.fromisoformat(rows[held]["on_hold_since"]) == local
    assert rows[held]["on_hold_since"].endswith("+07:00")
    assert rows[running]["on_hold_since"] == ""

    board = api.client.get("/api/v1/dashboard/tickets", headers=api.auth("supervisor")).json()
    shown = {t["code"]: t for t in board}
    assert datetime.fromisoformat(shown[held]["on_hold_since"]) == began
    assert shown[running]["on_hold_since"] is None

    web = TestClient(api.app, base_url=ORIGIN, follow_redirects=False)
    web.headers["Origin"] = ORIGIN
    sign_in(web, api, "supervisor")
    page = web.get("/dashboard?lang=en")
    assert page.status_code == 200, page.text
    row = re.search(rf'<tr data-code="{held}".*?</tr>', page.text, re.DOTALL)
    assert row is not None
    assert (
        f"{began.astimezone(ZoneInfo('Asia/Jakarta')):%d %B %Y, %H:%M}" == "23 November 2026, 09:30"
    )
    assert "on hold since 23 November 2026, 09:30 WIB" in re.sub(r"<[^>]+>", " ", row.group(0))

    api.drive(held, "resume")  # a resumed ticket is no longer on hold
    api.clock.tick(5)
    items = api.client.get("/api/v1/tickets", headers=api.auth("staff")).json()["items"]
    assert {i["code"]: i for i in items}[held]["on_hold_since"] is None
    assert began < api.clock.now - timedelta(days=19)
