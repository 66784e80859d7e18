"""when an address said "me too": each address counts once among a report's supporters

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30

``subscriptions.supported_at``: set the first time the address supported the report; a second
"me too" with it leaves the public count as it is. Existing rows stay empty (not known).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supported_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_column("supported_at")
