"""Revision 0020: whatever a ticket's channel held before every door checked it becomes a
channel: the vocabulary's own words as it spells them, any other word (the command line's
"cli" and "staff", the engine's old default "citizen", anything a caller of the engine gave) by
who filed the ticket."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import select, update

from engine import schema
from engine.actors import Actor
from engine.catalogue import load_catalogue
from engine.db import Database
from engine.lifecycle import Role
from engine.models import Ticket
from engine.photos import MemoryMediaStorage
from engine.settings import Settings
from engine.staff import add_staff
from engine.submission import Report, submit
from tests.conftest import CATALOGUE, MONDAY_9_WIB, separate_database_url

#: (stored before 0020, who filed it) → the channel after it.
BEFORE_AFTER = [
    (("cli", "citizen"), "app"),
    (("citizen", "citizen"), "app"),
    (("staff", "staff"), "staff-on-behalf"),
    (("Staff ", "staff"), "staff-on-behalf"),
    (("kiosk", "client"), "open311"),
    (("kiosk", "citizen"), "app"),
    ((" Phone", "staff"), "phone"),
    (("WEB", "citizen"), "web"),
    (("walk-in", "staff"), "walk-in"),
]


def test_migration_0020_turns_every_stored_word_into_a_channel(
    database_url: str, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = separate_database_url(database_url, "tanggap_channel_migration", tmp_path_factory)
    db = Database(url)
    try:
        schema.upgrade(db.engine)
        with db.transaction() as session:
            load_catalogue(session, CATALOGUE.read_text(), source="jakarta", now=MONDAY_9_WIB)
            clerk = add_staff(
                session, email="loket@dsda.example", name="Loket", role=Role.STAFF,
                agency="DSDA", now=MONDAY_9_WIB,
            )  # fmt: skip
            filers = {
                "citizen": Actor.citizen(),
                "staff": Actor.of_staff(clerk),
                "client": Actor(Role.CLIENT, "a city app"),
            }
            codes = []
            for n, ((_old, who), _new) in enumerate(BEFORE_AFTER):
                report = Report(category="flood", description="Banjir", lat=-6.1754, lon=106.8272)
                codes.append(
                    submit(
                        session, report, actor=filers[who],
                        now=MONDAY_9_WIB + timedelta(minutes=n), settings=settings,
                        storage=MemoryMediaStorage(),
                    ).ticket.code
                )  # fmt: skip
        command.downgrade(schema.alembic_config(db.url), "0019")  # a database made before 0020
        with db.transaction() as session:
            for code, ((old, _who), _new) in zip(codes, BEFORE_AFTER, strict=True):
                session.execute(update(Ticket).where(Ticket.code == code).values(source=old))
        schema.upgrade(db.engine)
        with db.reading() as session:
            stored = {c: s for c, s in session.execute(select(Ticket.code, Ticket.source))}
        assert [stored[code] for code in codes] == [new for _before, new in BEFORE_AFTER]
    finally:
        db.dispose()
