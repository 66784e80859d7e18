"""double opt-in for followers: an address confirms before it is mailed updates

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01

``subscriptions.confirmed_at``: when the address's owner confirmed from the confirmation mail;
a row without it gets no status mail. Existing rows were accepted under the old rules (a
follow took effect at once) and are set confirmed at their ``created_at``.
``subscriptions.confirm_token``: the secret of the confirmation link (``/confirm/{token}``),
unique, cleared once used. ``subscriptions.confirmation_sent_at``: when the latest
confirmation mail was queued (one a day at most per address and ticket).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("confirm_token", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("confirmation_sent_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_subscriptions_confirm_token"), ["confirm_token"]
        )
    subscriptions = sa.table(
        "subscriptions",
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("confirmed_at", sa.DateTime(timezone=True)),
    )
    op.execute(subscriptions.update().values(confirmed_at=subscriptions.c.created_at))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_subscriptions_confirm_token"), type_="unique")
        batch_op.drop_column("confirmation_sent_at")
        batch_op.drop_column("confirm_token")
        batch_op.drop_column("confirmed_at")
