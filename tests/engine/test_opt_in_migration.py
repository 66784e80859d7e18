"""Migration 0015 on a database that already has followers: they were accepted under the old
rules (a follow took effect at once), so they come out confirmed and keep getting mail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from sqlalchemy import select, text

from engine import Actor, Report, load_catalogue, reporter_view, schema, submit
from engine.actions import perform
from engine.db import Database
from engine.lifecycle import Role
from engine.models import Notification
from engine.photos import MemoryMediaStorage
from engine.settings import Settings
from engine.staff import add_staff

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)


def test_migration_0015_keeps_existing_followers_confirmed_and_mailed(
    tmp_path: Path, settings: Settings
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    schema.upgrade(db.engine)
    catalogue = ROOT / "catalogue" / "jakarta.yaml"
    storage = MemoryMediaStorage()
    with db.transaction() as session:
        load_catalogue(session, catalogue.read_text(), source=str(catalogue), now=NOW)
        made = submit(
            session,
            Report(category="traffic_jam", description="macet", lat=-6.1754, lon=106.8272),
            actor=Actor.citizen(),
            now=NOW,
            settings=settings,
            storage=storage,
        )
        code, token, ticket_id = made.ticket.code, made.reporter_token, made.ticket.id
        admin = add_staff(
            session,
            email="admin@jakarta.example",
            name="Admin",
            role=Role.ADMIN,
            agency=None,
            now=NOW,
        )
    command.downgrade(schema.alembic_config(db.url), "0014")  # as a database made before 0015
    with db.engine.begin() as conn:
        for n in range(3):
            conn.execute(
                text(
                    "INSERT INTO subscriptions "
                    "(ticket_id, email, language, active, created_at, unsubscribe_token) "
                    "VALUES (:ticket, :email, 'id', 1, '2026-11-01 00:00:00', :token)"
                ),
                {"ticket": ticket_id, "email": f"warga{n}@example.id", "token": f"t{n}" * 16},
            )

    schema.upgrade(db.engine)

    with db.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT confirmed_at, confirm_token, confirmation_sent_at FROM subscriptions")
        ).all()
    assert [(bool(at), asked, sent) for at, asked, sent in stored] == [(True, None, None)] * 3
    later = NOW + timedelta(hours=1)
    with db.transaction() as session:
        view = reporter_view(session, code, token=token, now=later)
        assert (view.followers, view.pending) == (3, 0)
        perform(
            session,
            code,
            "verify",
            actor=Actor.of_staff(session.merge(admin)),
            now=later,
            settings=settings,
            storage=storage,
        )
        mailed = session.scalars(
            select(Notification.recipient).where(Notification.kind == "citizen_update")
        ).all()
    assert sorted(mailed) == ["warga0@example.id", "warga1@example.id", "warga2@example.id"]
    db.dispose()
