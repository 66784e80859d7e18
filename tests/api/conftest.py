"""The API under test: the real app, its sessions bound to one connection rolled back per test.

Each request still runs in its own transaction (a SAVEPOINT on the test's connection), so a
request that fails rolls back exactly as in production, and nothing outlives the test.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from api.app import create_app
from api.deps import Transactions, get_now
from engine.db import Database
from engine.keys import create_key
from engine.lifecycle import Role
from engine.models import Notification, Ticket
from engine.settings import Settings
from tests.conftest import make_photo

T = TypeVar("T")

MONAS = (-6.1754, 106.8272)  # Kelurahan Gambir, Jakarta Pusat
#: The confirmation link in a follow's confirmation mail, as a path on the test server (with
#: the mail's language: the page opens in it).
CONFIRM_LINK = re.compile(r"http://127\.0\.0\.1:8000(/confirm/[A-Za-z0-9_-]{32}\?lang=(?:id|en))")
ROOT = Path(__file__).resolve().parents[2]

#: name → (role, agency, area): the keys the tests act with.
KEYS: dict[str, tuple[Role, str | None, str | None]] = {
    "staff": (Role.STAFF, "DISHUB", None),
    "supervisor": (Role.SUPERVISOR, "DISHUB", None),
    "admin": (Role.ADMIN, None, None),
    "outsider": (Role.STAFF, "DLH", None),
    "kecamatan": (Role.STAFF, "KEC-GAMBIR", None),
    "governor": (Role.STAFF, "GUB", None),
    # DISHUB staff whose key only covers Kecamatan Menteng: Monas is outside it.
    "menteng_only": (Role.STAFF, "DISHUB", "31.71.06"),
    "gambir_only": (Role.STAFF, "DISHUB", "31.71.01"),
    # An Open311 app's key (a city app, a FixMyStreet front end): files reports, nothing else.
    "client": (Role.CLIENT, None, None),
}


@dataclass
class Clock:
    now: datetime

    def tick(self, minutes: float = 5) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now


@dataclass
class Api:
    client: TestClient
    app: FastAPI
    clock: Clock
    keys: dict[str, str]
    media: Path
    transactions: Transactions
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}

    def submit(self, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "category": "traffic_jam",
            "description": "Macet total di depan Monas sejak pagi",
            "lat": MONAS[0],
            "lon": MONAS[1],
        }
        body.update(overrides)
        self.clock.tick()
        response = self.client.post("/api/v1/reports", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        self.tokens[created["code"]] = created["reporter_token"]
        return created

    def act(self, code: str, trigger: str, who: str = "staff", **fields: Any) -> Any:
        detail = self.client.get(f"/api/v1/tickets/{code}", headers=self.auth("admin"))
        assert detail.status_code == 200, detail.text
        version = detail.json()["version"]
        self.clock.tick()
        body = {"trigger": trigger, "expected_version": version, **fields}
        return self.client.post(
            f"/api/v1/tickets/{code}/transitions", json=body, headers=self.auth(who)
        )

    def notifications(self, code: str, kind: str, shape: Callable[[Notification], T]) -> list[T]:
        """``shape`` of each outbox row of ``kind`` queued about ticket ``code``, oldest first
        (taken inside the read transaction: the rows expire when it ends)."""
        with self.transactions.read() as session:
            rows = session.scalars(
                select(Notification)
                .join(Ticket, Ticket.id == Notification.ticket_id)
                .where(Ticket.code == code, Notification.kind == kind)
                .order_by(Notification.id)
            )
            return [shape(n) for n in rows]

    def mails(self, code: str, kind: str = "citizen_update") -> list[tuple[str, str, str]]:
        """(recipient, language, subject) of each mail queued about ticket ``code``."""
        return self.notifications(code, kind, lambda n: (n.recipient, n.language or "", n.subject))

    def confirmation_links(self, code: str, address: str) -> list[str]:
        """The confirmation link (a path) of each confirmation mail to ``address`` about
        ``code``, oldest first: what its owner has been sent to click."""
        mails = self.notifications(
            code, "follow_confirmation", lambda n: (n.recipient, n.body, n.html_body or "")
        )
        links = []
        for recipient, body, html in mails:
            if recipient == address:
                found = CONFIRM_LINK.search(body)
                assert found is not None, body
                assert f'<a href="http://127.0.0.1:8000{found[1]}">' in html
                links.append(found[1])
        return links

    def confirm(self, code: str, address: str) -> None:
        """The owner of ``address`` confirms following ``code``: the button on the page of the
        link in the newest confirmation mail they got."""
        links = self.confirmation_links(code, address)
        assert links, f"no confirmation mail to {address}"
        confirmed = self.client.post(links[-1])
        assert confirmed.status_code == 200, confirmed.text

    def drive(self, code: str, *steps: str) -> None:
        notes = {"hold": "menunggu PLN", "resolve": "petugas diturunkan", "reject": "spam"}
        for step in steps:
            extra = {"note": notes[step]} if step in notes else {}
            response = self.act(code, step, "admin", **extra)
            assert response.status_code == 200, response.text


@contextmanager
def _bound(connection: Connection, commit: bool) -> Iterator[Session]:
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        with session.begin():
            yield session
            if not commit:
                session.rollback()
    finally:
        session.close()


@pytest.fixture
def api_settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        media_dir=tmp_path / "media",
        submit_rate_limit="1000/minute",
        follow_up_rate_limit="1000/minute",
        follow_up_client_rate_limit="1000/minute",
    )


def each_change_mailed_at_once(settings: Settings) -> Settings:
    """``settings`` with citizen status mail not held (``TANGGAP_CITIZEN_MAIL_HOLD_MINUTES=0``):
    every public change is its own mail, as when the delivery flow sent the one before it.
    For tests about who is told of one change and in what words; what a held mail gathers is
    tested in tests/engine/test_status_mail.py and tests/api/test_status_mail.py."""
    return settings.model_copy(update={"citizen_mail_hold_minutes": 0})


@pytest.fixture
def api(database: Database, api_settings: Settings, start_time: datetime) -> Iterator[Api]:
    with _api_on(database, api_settings, start_time) as api:
        yield api


@pytest.fixture
def official_api(
    official_database: Database, api_settings: Settings, start_time: datetime
) -> Iterator[Api]:
    """The app on the database with the city's official boundaries imported (the shipped
    catalogue, then the Kemendagri file: tests/conftest.py ``official_database``)."""
    with _api_on(official_database, api_settings, start_time) as api:
        yield api


@contextmanager
def _api_on(database: Database, api_settings: Settings, start_time: datetime) -> Iterator[Api]:
    connection = database.engine.connect()
    outer = connection.begin()
    transactions = Transactions(
        write=lambda: _bound(connection, True), read=lambda: _bound(connection, False)
    )
    app = create_app(api_settings, transactions=transactions)
    clock = Clock(start_time)
    app.dependency_overrides[get_now] = lambda: clock.now
    keys: dict[str, str] = {}
    with _bound(connection, True) as session:
        for name, (role, agency, area) in KEYS.items():
            keys[name] = create_key(
                session, role=role, name=name, agency=agency, area=area, now=start_time
            ).secret
    try:
        with TestClient(app) as client:
            yield Api(client, app, clock, keys, api_settings.media_dir, transactions)
    finally:
        outer.rollback()
        connection.close()


def email_on_every_door(api: Api, address: str) -> list[Any]:
    """The answers to ``address`` given as an e-mail on each door of the JSON API that takes
    one: a report as JSON and as multipart, "me too", and the reporter's added subscription."""
    report = {"category": "flood", "description": "Banjir", "lat": MONAS[0], "lon": MONAS[1]}
    code = api.submit()["code"]
    return [
        api.client.post("/api/v1/reports", json={**report, "email": address}),
        api.client.post(
            "/api/v1/reports",
            data={**{k: str(v) for k, v in report.items()}, "email": address},
            files=[("photos", ("a.jpg", make_photo(), "image/jpeg"))],
        ),
        api.client.post(f"/api/v1/reports/{code}/supporters", json={"email": address}),
        api.client.post(
            f"/api/v1/reports/{code}/subscriptions",
            json={"email": address},
            headers={"X-Reporter-Token": api.tokens[code]},
        ),
    ]
