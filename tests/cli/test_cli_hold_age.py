"""``tanggap ticket list`` shows since when a ticket is on hold, the longest hold first among
the holds: its clocks are paused, so "left" says nothing of how long it has been stuck."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app
from engine.actions import perform
from engine.actors import Actor
from engine.db import Database
from engine.models import Staff, Ticket
from engine.photos import MemoryMediaStorage
from engine.settings import Settings
from engine.staff import add_staff


def _hold(database: Database, settings: Settings, code: str, admin: str, at: datetime) -> None:
    with database.transaction() as session:
        actor = Actor.of_staff(session.scalars(select(Staff).where(Staff.email == admin)).one())
        for step, note in (("verify", None), ("assign", None), ("hold", "menunggu PLN")):
            perform(
                session,
                code,
                step,
                actor=actor,
                now=at,
                settings=settings,
                storage=MemoryMediaStorage(),
                note=note,
                agency="DISHUB" if step == "assign" else None,
            )


def test_cli_ticket_list_shows_since_when_on_hold_longest_first(
    tanggap: CliRunner,
    report_committed: Callable[..., Ticket],
    database: Database,
    settings: Settings,
    wide: None,
) -> None:
    now = datetime.now(UTC)
    admin = f"admin-{uuid.uuid4().hex[:8]}@tanggap.example"
    with database.transaction() as session:
        add_staff(session, email=admin, name="Admin", role="admin", agency=None, now=now)
    weeks = report_committed(now=now - timedelta(days=30)).code
    days = report_committed(now=now - timedelta(days=30)).code
    _hold(database, settings, weeks, admin, now - timedelta(days=21, hours=3))
    _hold(database, settings, days, admin, now - timedelta(days=2, hours=5))

    rows = json.loads(
        tanggap.invoke(app, ["ticket", "list", "--state", "on_hold", "--all", "--json"]).stdout
    )
    table = tanggap.invoke(app, ["ticket", "list", "--state", "on_hold", "--all"]).stdout

    held = [r["code"] for r in rows if r["code"] in (weeks, days)]
    assert held == [weeks, days]  # the longest hold first
    since = {r["code"]: datetime.fromisoformat(r["on_hold_since"]) for r in rows}
    assert now - since[weeks] > timedelta(days=21)
    assert "on hold since" in table
    assert re.search(rf"{weeks} .* 20\d\d-\d\d-\d\d \d\d:\d\d \(21d 3h\)", table), table
    assert re.search(rf"{days} .* \(2d 5h\)", table), table
