"""Revision 0021 records where a carried follower came from (``subscriptions.carried_from_id``);
a database made before it upgrades, and downgrades, keeping every subscription."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect

from engine import schema
from engine.db import Database
from tests.conftest import separate_database_url


def _columns(db: Database) -> set[str]:
    with db.engine.connect() as conn:
        return {column["name"] for column in inspect(conn).get_columns("subscriptions")}


def _references(db: Database) -> set[tuple[str, ...]]:
    with db.engine.connect() as conn:
        return {
            (*tuple(fk["constrained_columns"]), fk["referred_table"])
            for fk in inspect(conn).get_foreign_keys("subscriptions")
        }


def test_migration_0021_adds_the_column_and_takes_it_away(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = separate_database_url(database_url, "tanggap_carried_migration", tmp_path_factory)
    db = Database(url)
    try:
        schema.upgrade(db.engine)
        assert ("carried_from_id", "tickets") in _references(db)
        command.downgrade(schema.alembic_config(db.url), "0020")  # a database made before 0021
        assert "carried_from_id" not in _columns(db)
        assert ("ticket_id", "tickets") in _references(db)
        schema.upgrade(db.engine)
        assert "carried_from_id" in _columns(db)
        assert ("carried_from_id", "tickets") in _references(db)
    finally:
        db.dispose()
