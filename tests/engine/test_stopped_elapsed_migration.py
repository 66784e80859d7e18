"""Revision 0022 keeps the business time a clock had consumed when it stopped
(``sla_timers.elapsed_seconds``); a database made before it upgrades, and downgrades, keeping
every timer."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect

from engine import schema
from engine.db import Database
from tests.conftest import separate_database_url


def _columns(db: Database) -> set[str]:
    with db.engine.connect() as conn:
        return {column["name"] for column in inspect(conn).get_columns("sla_timers")}


def test_migration_0022_adds_the_column_and_takes_it_away(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = separate_database_url(database_url, "tanggap_elapsed_migration", tmp_path_factory)
    db = Database(url)
    try:
        schema.upgrade(db.engine)
        assert "elapsed_seconds" in _columns(db)
        command.downgrade(schema.alembic_config(db.url), "0021")  # a database made before 0022
        assert "elapsed_seconds" not in _columns(db)
        assert "stopped_at" in _columns(db)
        schema.upgrade(db.engine)
        assert "elapsed_seconds" in _columns(db)
    finally:
        db.dispose()
