"""The SendGrid Event Webhook endpoint: only SendGrid's signed posts count, each event once."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from fake_sendgrid import SIGNATURE, TIMESTAMP, Accepted, FakeSendGrid
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from api.routes.mail_events import router
from engine.db import Database
from engine.models import MailEvent, Notification, Ticket
from engine.settings import Settings

LONG_AGO = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)
URL = "/webhooks/sendgrid/events"


@pytest.fixture
def client(flow_database: Database, mail_settings: Settings) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(router)
    app.state.settings = mail_settings
    app.state.transactions = SimpleNamespace(write=flow_database.transaction)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def uncertain_row(
    flow_database: Database, report_committed: Callable[..., Ticket]
) -> Callable[..., int]:
    ticket = report_committed(now=LONG_AGO)

    def make(status: str = "uncertain") -> int:
        with flow_database.transaction() as session:
            return session.execute(
                insert(Notification).returning(Notification.id),
                {
                    "ticket_id": ticket.id,
                    "recipient": "kepala@dinas.example",
                    "recipient_kind": "agency_head",
                    "subject": "s",
                    "body": "b",
                    "status": status,
                    "attempts": 1,
                    "next_attempt_at": LONG_AGO,
                    "created_at": LONG_AGO,
                    "sending_since": LONG_AGO,
                },
            ).scalar_one()

    return make


def signed(fake: FakeSendGrid, events: list[dict[str, object]]) -> tuple[str, dict[str, str]]:
    body = json.dumps(events)
    stamp = "1764500000"
    return body, {SIGNATURE: fake.sign(body, stamp), TIMESTAMP: stamp}


def processed(fake: FakeSendGrid, outbox_id: int, event_id: str = "ev-1") -> dict[str, object]:
    mail = Accepted(str(outbox_id), ["kepala@dinas.example"], "s", "b", None, "m1", {})
    return fake.event(mail, "processed", sg_event_id=event_id, tanggap_outbox_id=str(outbox_id))


def test_webhook_signed_event_settles_an_uncertain_row_once(
    client: TestClient,
    fake_sendgrid: FakeSendGrid,
    uncertain_row: Callable[[], int],
    flow_database: Database,
) -> None:
    row_id = uncertain_row()
    body, headers = signed(fake_sendgrid, [processed(fake_sendgrid, row_id)])
    assert client.post(URL, content=body, headers=headers).status_code == 204
    assert client.post(URL, content=body, headers=headers).status_code == 204  # SendGrid retry
    with flow_database.reading() as session:
        row = session.get(Notification, row_id)
        events = session.scalars(select(MailEvent).where(MailEvent.notification_id == row_id))
        kinds = [event.event for event in events]
    assert row is not None and (row.status, row.last_event) == ("sent", "processed")
    assert kinds == ["processed"]


def test_webhook_late_event_stops_a_resend_already_queued(
    client: TestClient,
    fake_sendgrid: FakeSendGrid,
    uncertain_row: Callable[..., int],
    flow_database: Database,
) -> None:
    """The grace period passed without news and the row was queued again; then SendGrid's
    event arrives after all: the row is sent, and no delivery pass will claim it."""
    row_id = uncertain_row("pending")
    body, headers = signed(fake_sendgrid, [processed(fake_sendgrid, row_id)])
    assert client.post(URL, content=body, headers=headers).status_code == 204
    with flow_database.reading() as session:
        row = session.get(Notification, row_id)
    assert row is not None and row.status == "sent"


@pytest.mark.parametrize(
    ("tamper", "status", "code"),
    [
        (lambda body, headers: (body, {}), 401, "signature_missing"),
        (lambda body, headers: (body, {TIMESTAMP: headers[TIMESTAMP]}), 401, "signature_missing"),
        (
            lambda body, headers: (body.replace("processed", "delivered"), headers),
            403,
            "signature_invalid",
        ),
        (
            lambda body, headers: (body, {**headers, SIGNATURE: "bm90IGEgc2lnbmF0dXJl"}),
            403,
            "signature_invalid",
        ),
        (lambda body, headers: (body, {**headers, SIGNATURE: "%%%"}), 403, "signature_invalid"),
    ],
)
def test_webhook_forged_or_unsigned_post_is_refused_and_changes_nothing(
    tamper: Callable[[str, dict[str, str]], tuple[str, dict[str, str]]],
    status: int,
    code: str,
    client: TestClient,
    fake_sendgrid: FakeSendGrid,
    uncertain_row: Callable[[], int],
    flow_database: Database,
) -> None:
    row_id = uncertain_row()
    body, headers = tamper(*signed(fake_sendgrid, [processed(fake_sendgrid, row_id)]))
    response = client.post(URL, content=body, headers=headers)
    assert (response.status_code, response.json()["code"]) == (status, code)
    with flow_database.reading() as session:
        row = session.get(Notification, row_id)
    assert row is not None and row.status == "uncertain"


def test_webhook_without_a_configured_key_refuses_events(
    flow_database: Database, fake_sendgrid: FakeSendGrid, mail_settings: Settings
) -> None:
    app = FastAPI()
    app.include_router(router)
    app.state.settings = mail_settings.model_copy(update={"sendgrid_webhook_public_key": None})
    app.state.transactions = SimpleNamespace(write=flow_database.transaction)
    body, headers = signed(fake_sendgrid, [])
    with TestClient(app) as client:
        response = client.post(URL, content=body, headers=headers)
    assert response.status_code == 403
    assert response.json()["code"] == "webhook_not_configured"


@pytest.mark.parametrize("outbox_id", ["9223372036854775808", "9" * 30, 2**64, "١٢", "²", -1, 0])
def test_webhook_outbox_id_no_row_can_have_is_ignored_alike_on_every_database(
    client: TestClient,
    fake_sendgrid: FakeSendGrid,
    uncertain_row: Callable[[], int],
    flow_database: Database,
    outbox_id: object,
) -> None:
    """Beyond 64 bits (an OverflowError on SQLite, a DataError on PostgreSQL: a 500 either
    way), or digits that are not ASCII: no row, the event is ignored; and a timestamp no
    date holds is read as "now". The real event after it still settles its row."""
    row_id = uncertain_row()
    odd = processed(fake_sendgrid, row_id, "ev-odd") | {"tanggap_outbox_id": outbox_id}
    late = processed(fake_sendgrid, row_id, "ev-late") | {"timestamp": 10**20}
    body, headers = signed(fake_sendgrid, [odd, late])
    assert client.post(URL, content=body, headers=headers).status_code == 204
    with flow_database.reading() as session:
        row = session.get(Notification, row_id)
        ids = list(session.scalars(select(MailEvent.provider_event_id)))
    assert row is not None and row.status == "sent"
    assert ids == ["ev-late"]
