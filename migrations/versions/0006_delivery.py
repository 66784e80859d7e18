"""outbox delivery, webhook events, subscriptions

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

Outbox delivery state (kind, language, HTML, sending_since, provider id, last event), provider
events per outbox row, undeliverable addresses, ticket subscriptions, the reporter's language.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "undeliverable_addresses",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_undeliverable_addresses")),
        sa.UniqueConstraint("email", name=op.f("uq_undeliverable_addresses_email")),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
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
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subscriptions_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "mail_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "notification_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("provider_event_id", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_mail_events_notification_id_notifications"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_mail_events_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_events")),
        sa.UniqueConstraint("provider_event_id", name=op.f("uq_mail_events_provider_event_id")),
    )
    with op.batch_alter_table("mail_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mail_events_notification_id"), ["notification_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_mail_events_ticket_id"), ["ticket_id"], unique=False)

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=30), server_default="escalation", nullable=False)
        )
        batch_op.add_column(
            sa.Column("language", sa.String(length=5), server_default="id", nullable=False)
        )
        batch_op.add_column(sa.Column("html_body", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("sending_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("provider_message_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("last_event", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=120), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_notifications_dedupe_key"), ["dedupe_key"])
        batch_op.alter_column("ticket_id", existing_type=BIG_ID, nullable=True)

    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reporter_language", sa.String(length=5), server_default="id", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("reporter_language")

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("ticket_id", existing_type=BIG_ID, nullable=False)
        batch_op.drop_constraint(batch_op.f("uq_notifications_dedupe_key"), type_="unique")
        batch_op.drop_column("dedupe_key")
        batch_op.drop_column("last_event_at")
        batch_op.drop_column("last_event")
        batch_op.drop_column("provider_message_id")
        batch_op.drop_column("sending_since")
        batch_op.drop_column("html_body")
        batch_op.drop_column("language")
        batch_op.drop_column("kind")

    with op.batch_alter_table("mail_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_events_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_mail_events_notification_id"))

    op.drop_table("mail_events")
    # 0007 (the API's) may have dropped it already on the way down.
    if sa.inspect(op.get_bind()).has_table("subscriptions"):
        with op.batch_alter_table("subscriptions", schema=None) as batch_op:
            batch_op.drop_index(batch_op.f("ix_subscriptions_ticket_id"))

        op.drop_table("subscriptions")
    op.drop_table("undeliverable_addresses")
