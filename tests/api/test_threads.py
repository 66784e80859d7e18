"""``TANGGAP_API_THREADS``: how many threads run the API's handlers, and the connections kept
for them (bench/README.md: 40 threads of Python work served fewer submissions than 8)."""

from __future__ import annotations

from pathlib import Path

import anyio.to_thread
from fastapi.testclient import TestClient

from api.app import create_app, pooled_database
from engine import Database, Settings


def test_handlers_run_on_the_configured_number_of_threads(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=database_url, media_dir=tmp_path, api_threads=3)
    app = create_app(settings, database=database)

    @app.get("/_threads")
    async def threads() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    with TestClient(app) as client:
        assert client.get("/_threads").json() == 3


def test_the_default_is_eight_threads(database: Database, tmp_path: Path) -> None:
    settings = Settings(database_url=database.url, media_dir=tmp_path)
    app = create_app(settings, database=database)

    @app.get("/_threads")
    async def threads() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    with TestClient(app) as client:
        assert client.get("/_threads").json() == 8


def test_the_pool_keeps_a_read_and_a_write_connection_per_thread(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'pool.db'}", media_dir=tmp_path, api_threads=5
    )
    database = pooled_database(settings)
    try:
        pool = database.engine.pool
        assert pool.size() == 5  # type: ignore[attr-defined]
        assert pool._max_overflow == 5  # type: ignore[attr-defined]
    finally:
        database.dispose()
