"""Migration 0011 on a database that already has followers: each gets its own unsubscribe
link, so their next mail can carry one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import text

from engine import Actor, Report, load_catalogue, schema, submit
from engine.db import Database
from engine.photos import MemoryMediaStorage
from engine.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)


def test_migration_0011_gives_every_existing_subscription_its_own_token(
    tmp_path: Path, settings: Settings
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    schema.upgrade(db.engine)
    catalogue = ROOT / "catalogue" / "jakarta.yaml"
    with db.transaction() as session:
        load_catalogue(session, catalogue.read_text(), source=str(catalogue), now=NOW)
        ticket_id = submit(
            session,
            Report(category="traffic_jam", description="macet", lat=-6.1754, lon=106.8272),
            actor=Actor.citizen(),
            now=NOW,
            settings=settings,
            storage=MemoryMediaStorage(),
        ).ticket.id
    command.downgrade(schema.alembic_config(db.url), "0010")  # as a database made before 0011
    with db.engine.begin() as conn:
        for n in range(3):
            conn.execute(
                text(
                    "INSERT INTO subscriptions (ticket_id, email, language, active, created_at) "
                    "VALUES (:ticket, :email, 'id', 1, '2026-11-01 00:00:00')"
                ),
                {"ticket": ticket_id, "email": f"warga{n}@example.id"},
            )

    schema.upgrade(db.engine)

    with db.engine.connect() as conn:
        tokens = conn.execute(text("SELECT unsubscribe_token FROM subscriptions")).scalars().all()
    assert len(tokens) == 3 and len(set(tokens)) == 3
    assert all(isinstance(t, str) and len(t) == 32 for t in tokens)
    db.dispose()
