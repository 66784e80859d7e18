"""api keys, private reports, supporters, subscriptions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

``subscriptions`` is also created by the delivery work's 0006 (same model, same columns); until
both are merged this revision creates it only when it is missing. Once 0006 has it, delete the
subscriptions block here.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", _ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("agency_id", _ID, nullable=True),
        sa.Column("area_id", _ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_api_keys_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_api_keys_area_id_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    if not sa.inspect(op.get_bind()).has_table("subscriptions"):
        _create_subscriptions()
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(
            sa.Column("private", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("supporters", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("categories") as batch:
        batch.add_column(sa.Column("duplicate_radius_m", sa.Float(), nullable=True))


def _create_subscriptions() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("ticket_id", _ID, nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_subscriptions_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("ticket_id", "email", name=op.f("uq_subscriptions_ticket_id_email")),
    )
    with op.batch_alter_table("subscriptions") as batch:
        batch.create_index(batch.f("ix_subscriptions_ticket_id"), ["ticket_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("categories") as batch:
        batch.drop_column("duplicate_radius_m")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("supporters")
        batch.drop_column("private")
    op.drop_table("api_keys")
