"""Two people act on one ticket at the same moment, over HTTP, on the real database: one wins,
the other gets a 409 naming where the ticket now stands — never a 500, never both."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from api.app import create_app
from api.deps import get_now
from engine.db import Database
from engine.keys import create_key
from engine.lifecycle import Role
from engine.models import ApiKey
from engine.settings import Settings
from tests.api.conftest import MONAS


@pytest.fixture
def live(
    database: Database, database_url: str, tmp_path: Path, start_time: datetime
) -> Iterator[tuple[Any, str]]:
    settings = Settings(
        database_url=database_url, media_dir=tmp_path, submit_rate_limit="99/minute"
    )
    app = create_app(settings, database=database)
    app.dependency_overrides[get_now] = lambda: start_time
    with database.transaction() as session:
        made = create_key(
            session, role=Role.ADMIN, name="race-admin", agency=None, area=None, now=start_time
        )
        prefix, secret = made.key.prefix, made.secret
    try:
        yield app, secret
    finally:
        with database.transaction() as session:
            session.execute(delete(ApiKey).where(ApiKey.prefix == prefix))


def test_concurrent_transitions_one_wins_one_conflicts(
    live: tuple[Any, str], committed: list[str]
) -> None:
    app, secret = live
    headers = {"Authorization": f"Bearer {secret}"}
    with TestClient(app) as client:
        body = {"category": "traffic_jam", "description": "macet", "lat": MONAS[0], "lon": MONAS[1]}
        code = client.post("/api/v1/reports", json=body).json()["code"]
        committed.append(code)
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def act(slot: int, trigger: str) -> None:
        with TestClient(app) as client:
            barrier.wait()
            results[slot] = client.post(
                f"/api/v1/tickets/{code}/transitions",
                json={"trigger": trigger, "expected_version": 1, "note": "spam"},
                headers=headers,
            )

    threads = [
        threading.Thread(target=act, args=(0, "verify")),
        threading.Thread(target=act, args=(1, "reject")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 409], [r.text for r in results]
    loser = next(r for r in results if r.status_code == 409).json()
    assert loser["code"] == "stale_version"
    with TestClient(app) as client:
        detail = client.get(f"/api/v1/tickets/{code}", headers=headers).json()
    assert detail["version"] == 2
    assert len(detail["events"]) == 2


def test_two_anonymous_me_toos_from_one_client_at_once_count_once(
    live: tuple[Any, str], committed: list[str]
) -> None:
    """The client's one "me too" is taken only once the engine's checks have passed, and still
    in one step: of two at the same moment, one counts and the other is told so."""
    app, _ = live
    with TestClient(app) as client:
        body = {"category": "traffic_jam", "description": "macet", "lat": MONAS[0], "lon": MONAS[1]}
        code = client.post("/api/v1/reports", json=body).json()["code"]
        committed.append(code)
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def me_too(slot: int) -> None:
        with TestClient(app) as client:
            barrier.wait()
            results[slot] = client.post(f"/api/v1/reports/{code}/supporters")

    threads = [threading.Thread(target=me_too, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in results] == [200, 200], [r.text for r in results]
    assert sorted(r.json()["counted"] for r in results) == [False, True]
    with TestClient(app) as client:
        assert client.get(f"/api/v1/reports/{code}").json()["supporters"] == 1
