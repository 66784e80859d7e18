"""A citizen's submission is checked in a read transaction and written in a write transaction.

The write holds SQLite's one lock, so it must only write; but what the check read must still
be what is in force when the ticket is written: a catalogue reload committed in between is
seen, and the report is checked again against it.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, func, select

from engine import Actor, Report, check_submission, load_catalogue, write_submission
from engine.db import Database
from engine.errors import RuleViolated
from engine.models import Ticket, TicketEvent
from engine.photos import MemoryMediaStorage
from tests.api.conftest import MONAS, Api
from tests.conftest import CATALOGUE

CATALOGUE_TEXT = CATALOGUE.read_text()

TRAFFIC_JAM = """  - code: traffic_jam
    name_id: Kemacetan
    name_en: Traffic jam
    group: transport
    agency: DISHUB
    default_priority: normal
    photo_on_submit: false"""


def _report() -> Report:
    return Report(
        category="traffic_jam",
        description="Macet total di depan Monas",
        lat=MONAS[0],
        lon=MONAS[1],
        reporter_email="siti@example.id",
    )


def _check(api: Api) -> Any:
    with api.transactions.read() as session:
        return check_submission(
            session,
            _report(),
            private=False,
            actor=Actor.citizen(),
            now=api.clock.now,
            settings=api.app.state.settings,
        )


def _write(api: Api, checked: Any) -> Any:
    with api.transactions.write() as session:
        return write_submission(
            session,
            checked,
            actor=Actor.citizen(),
            now=api.clock.now,
            settings=api.app.state.settings,
            storage=MemoryMediaStorage(),
        )


def _reload(api: Api, old: str, new: str) -> None:
    assert TRAFFIC_JAM in CATALOGUE_TEXT and old in TRAFFIC_JAM
    with api.transactions.write() as session:
        text = CATALOGUE_TEXT.replace(TRAFFIC_JAM, TRAFFIC_JAM.replace(old, new))
        summary = load_catalogue(session, text, now=api.clock.tick())
        assert summary.changed


def _tickets(api: Api) -> int:
    with api.transactions.read() as session:
        return int(session.scalar(select(func.count()).select_from(Ticket)) or 0)


def test_reload_between_check_and_write_routes_by_the_new_catalogue(api: Api) -> None:
    checked = _check(api)
    assert checked.intake.agency_code == "DISHUB"
    _reload(api, "agency: DISHUB", "agency: DLH")

    submitted = _write(api, checked)

    assert submitted.report.agency_code == "DLH"
    view = api.client.get(f"/api/v1/reports/{submitted.report.code}").json()
    assert view["agency"]["code"] == "DLH"
    with api.transactions.read() as session:
        data = session.scalars(
            select(TicketEvent.data).join(Ticket).where(Ticket.code == submitted.report.code)
        ).one()
    assert data["agency"] == "DLH"


def test_rule_added_between_check_and_write_refuses_and_writes_nothing(api: Api) -> None:
    checked = _check(api)
    _reload(api, "photo_on_submit: false", "photo_on_submit: true")
    before = _tickets(api)

    with pytest.raises(RuleViolated, match="needs at least one photo"):
        _write(api, checked)

    assert _tickets(api) == before


def test_write_transaction_reads_only_the_catalogue_revision(api: Api, database: Database) -> None:
    checked = _check(api)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(database.engine, "before_cursor_execute", seen)
    try:
        _write(api, checked)
    finally:
        event.remove(database.engine, "before_cursor_execute", seen)

    reads = [s for s in statements if s.startswith("SELECT")]
    tables = sorted({s.split(" FROM ")[1].split()[0] for s in reads})
    assert tables == ["catalogue_revisions"], reads
    assert any(s.startswith("INSERT INTO tickets") for s in statements)


def test_created_report_reads_as_the_public_view_does(api: Api) -> None:
    created = api.submit()
    view = api.client.get(f"/api/v1/reports/{created['code']}").json()
    assert created["state"] == view["state"]
    assert created["agency"] == view["agency"]
    assert created["expected_resolution_at"] == view["expected_resolution_at"]
