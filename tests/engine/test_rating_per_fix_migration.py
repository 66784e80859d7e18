"""Revision 0023: a rating the reporter gave before the ticket's last reopen, and none since, is
the disputed fix's, not the ticket's: set aside on upgrade; a downgrade gives each ticket back
the last rating its reporter gave, as the code before kept it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import select, update

from engine import schema
from engine.actions import perform
from engine.actors import Actor
from engine.catalogue import load_catalogue
from engine.db import Database
from engine.lifecycle import Role
from engine.models import Ticket
from engine.photos import MemoryMediaStorage
from engine.settings import Settings
from engine.staff import add_staff
from engine.submission import Report, submit
from tests.conftest import CATALOGUE, MONAS, MONDAY_9_WIB, separate_database_url

FIX = ["verify", "assign", "start", "resolve"]
#: Each ticket's story (the reporter's rate and reopen among staff's steps), the rating the code
#: before 0023 left on it, and the rating it has after 0023.
STORIES = [
    (["rate:2", "reopen"], 2, None),  # disputed, not fixed again: no rating of a fix
    (["rate:2", "reopen", "start", "resolve"], 2, None),  # fixed again, not rated yet
    (["rate:2", "reopen", "start", "resolve", "rate:5"], 5, 5),
    (["rate:3", "rate:4"], 4, 4),
    ([], None, None),
]


def _ratings(db: Database, codes: list[str]) -> list[int | None]:
    with db.reading() as session:
        rows = session.execute(select(Ticket.code, Ticket.rating))
        stored = {code: rating for code, rating in rows}
    return [stored[code] for code in codes]


def test_migration_0023_sets_aside_a_disputed_fixs_rating_and_gives_it_back(
    database_url: str, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = separate_database_url(database_url, "tanggap_rating_migration", tmp_path_factory)
    db = Database(url)
    storage = MemoryMediaStorage()
    now = MONDAY_9_WIB
    try:
        schema.upgrade(db.engine)
        codes = []
        with db.transaction() as session:
            load_catalogue(session, CATALOGUE.read_text(), source="jakarta", now=now)
            admin = Actor.of_staff(
                add_staff(
                    session, email="admin@tanggap.example", name="Admin", role=Role.ADMIN,
                    agency=None, now=now,
                )
            )  # fmt: skip
            for story, _before, _after in STORIES:
                report = Report(
                    category="traffic_jam", description="Macet", lat=MONAS[0], lon=MONAS[1]
                )
                filed = submit(
                    session, report, actor=Actor.citizen(), now=now, settings=settings,
                    storage=storage,
                )  # fmt: skip
                reporter = Actor.citizen(filed.reporter_token)
                for step in [*FIX, *story]:
                    now += timedelta(minutes=5)
                    action, _, rating = step.partition(":")
                    given = {"rating": int(rating)} if rating else {}
                    if action in ("resolve", "reopen"):
                        given["note"] = "diperbaiki" if action == "resolve" else "belum beres"
                    perform(
                        session, filed.ticket.code, action, now=now, settings=settings,
                        storage=storage, actor=reporter if action in ("rate", "reopen") else admin,
                        **given,
                    )  # fmt: skip
                codes.append(filed.ticket.code)
        assert _ratings(db, codes) == [after for _story, _before, after in STORIES]

        command.downgrade(schema.alembic_config(db.url), "0022")  # a database made before 0023
        assert _ratings(db, codes) == [before for _story, before, _after in STORIES]
        # What the code before 0023 left on those tickets, had it written them.
        with db.transaction() as session:
            for code, (_story, before, _after) in zip(codes, STORIES, strict=True):
                session.execute(update(Ticket).where(Ticket.code == code).values(rating=before))
        schema.upgrade(db.engine)
        assert _ratings(db, codes) == [after for _story, _before, after in STORIES]
    finally:
        db.dispose()
