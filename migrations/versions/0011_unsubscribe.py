"""an unsubscribe link in every citizen mail

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30

``subscriptions.unsubscribe_token``: the secret of an address's one-click unsubscribe link
(``/unsubscribe/{token}``), unique; existing rows get one each here. A reporter who left an
e-mail but has no subscription row (a report filed by staff, Open311 or the command line
before this revision) gets one when their next mail is queued.
``notifications.unsubscribe_url``: the link, sent as the ``List-Unsubscribe`` header.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unsubscribe_token", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    subscriptions = sa.table(
        "subscriptions", sa.column("id", sa.BigInteger), sa.column("unsubscribe_token", sa.String)
    )
    ids = connection.execute(sa.select(subscriptions.c.id)).scalars().all()
    for row_id in ids:
        connection.execute(
            subscriptions.update()
            .where(subscriptions.c.id == row_id)
            .values(unsubscribe_token=secrets.token_urlsafe(24))
        )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_subscriptions_unsubscribe_token"), ["unsubscribe_token"]
        )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unsubscribe_url", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("unsubscribe_url")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_subscriptions_unsubscribe_token"), type_="unique")
        batch_op.drop_column("unsubscribe_token")
