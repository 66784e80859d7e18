"""Revision 0019 keeps the base URL a queued mail's links were rendered with
(``notifications.links_base_url``), so re-wording it never moves its links; a row queued
before keeps the links its unsubscribe address names (``outbox.links_base``)."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect

from engine import outbox, schema
from engine.db import Database
from engine.models import Notification
from engine.settings import Settings
from tests.conftest import separate_database_url


def _columns(db: Database, table: str) -> set[str]:
    with db.engine.connect() as conn:
        return {column["name"] for column in inspect(conn).get_columns(table)}


def test_migration_0019_adds_the_column_and_takes_it_away(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = separate_database_url(database_url, "tanggap_links_migration", tmp_path_factory)
    db = Database(url)
    try:
        schema.upgrade(db.engine)
        command.downgrade(schema.alembic_config(db.url), "0018")  # a database made before 0019
        assert "links_base_url" not in _columns(db, "notifications")
        schema.upgrade(db.engine)
        assert "links_base_url" in _columns(db, "notifications")
    finally:
        db.dispose()


def test_a_row_keeps_the_base_url_it_was_queued_with_else_the_one_its_unsubscribe_link_names(
    settings: Settings,
) -> None:
    here = settings.model_copy(update={"public_base_url": "http://127.0.0.1:8000"})
    stored = Notification(links_base_url="https://lapor.jakarta.go.id")
    assert outbox.links_base(stored, here) == "https://lapor.jakarta.go.id"
    before_0019 = Notification(unsubscribe_url="http://127.0.0.1:8300/unsubscribe/abc")
    assert outbox.links_base(before_0019, here) == "http://127.0.0.1:8300"
    assert outbox.links_base(Notification(), here) == "http://127.0.0.1:8000"
