"""Revision 0020: the words the command line stored as a ticket's channel before every door
checked it ("cli", "staff", and the engine's old default "citizen") become channels."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import select, update

from engine import schema
from engine.actors import Actor
from engine.catalogue import load_catalogue
from engine.db import Database
from engine.models import Ticket
from engine.photos import MemoryMediaStorage
from engine.settings import Settings
from engine.submission import Report, submit
from tests.conftest import CATALOGUE, MONDAY_9_WIB, separate_database_url


def test_migration_0020_turns_the_old_words_into_channels_and_keeps_the_rest(
    database_url: str, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = separate_database_url(database_url, "tanggap_channel_migration", tmp_path_factory)
    db = Database(url)
    try:
        schema.upgrade(db.engine)
        before = {"cli": "app", "citizen": "app", "staff": "staff-on-behalf", "phone": "phone"}
        with db.transaction() as session:
            load_catalogue(session, CATALOGUE.read_text(), source="jakarta", now=MONDAY_9_WIB)
            codes = {}
            for n, old in enumerate(before):
                report = Report(category="flood", description="Banjir", lat=-6.1754, lon=106.8272)
                codes[old] = submit(
                    session, report, actor=Actor.citizen(),
                    now=MONDAY_9_WIB + timedelta(minutes=n), settings=settings,
                    storage=MemoryMediaStorage(),
                ).ticket.code  # fmt: skip
        command.downgrade(schema.alembic_config(db.url), "0019")  # a database made before 0020
        with db.transaction() as session:
            for old, code in codes.items():
                session.execute(update(Ticket).where(Ticket.code == code).values(source=old))
        schema.upgrade(db.engine)
        with db.reading() as session:
            stored = dict(((c, s) for c, s in session.execute(select(Ticket.code, Ticket.source))))
        assert {old: stored[code] for old, code in codes.items()} == before
    finally:
        db.dispose()
