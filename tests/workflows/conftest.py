"""Prefect for the workflow tests only: a temporary local Prefect server, offline and quiet.

It costs ~10 s, so only tests that run a real flow ask for ``prefect_server``; the rest call
task and flow bodies as plain functions.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from engine.db import Database
from workflows import resources

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def flow_database(database: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    """Point the flows at the suite's database."""
    monkeypatch.setattr(resources, "database", lambda: database)
    return database


# --- mail: a local SendGrid and our Event Webhook endpoint -----------------------------------

import socket  # noqa: E402
import threading  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import uvicorn  # noqa: E402
from fake_sendgrid import FakeSendGrid  # noqa: E402
from fastapi import FastAPI  # noqa: E402

from api.routes.mail_events import router as mail_events_router  # noqa: E402
from engine.settings import Settings  # noqa: E402


@pytest.fixture
def fake_sendgrid(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSendGrid]:
    # urllib honours http_proxy even for 127.0.0.1; the client must reach the local server.
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with FakeSendGrid() as fake:
        yield fake


@pytest.fixture
def mail_settings(settings: Settings, fake_sendgrid: FakeSendGrid, tmp_path: Path) -> Settings:
    return settings.model_copy(
        update={
            "sendgrid_api_key": SecretStr(fake_sendgrid.api_key),
            "sendgrid_base_url": fake_sendgrid.url,
            "sendgrid_timeout_seconds": 2.0,
            "sendgrid_webhook_public_key": fake_sendgrid.public_key,
            "mail_from": "tanggap@jakarta.example",
            "operator_email": "ops@jakarta.example",
            "mail_dir": tmp_path / "eml",
        }
    )


@pytest.fixture
def webhook(
    flow_database: Database, mail_settings: Settings, fake_sendgrid: FakeSendGrid
) -> Iterator[str]:
    """Our Event Webhook endpoint served for real on a random port; the fake posts to it."""
    app = FastAPI()
    app.include_router(mail_events_router)
    app.state.settings = mail_settings
    app.state.transactions = SimpleNamespace(write=flow_database.transaction)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.02)
    url = f"http://127.0.0.1:{port}/webhooks/sendgrid/events"
    fake_sendgrid.webhook_url = url
    yield url
    server.should_exit = True
    thread.join(10)
    sock.close()
