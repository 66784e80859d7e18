"""category questions (Open311 attributes), a ticket's answers, the staff member of an api key

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("categories") as batch:
        batch.add_column(sa.Column("questions", sa.JSON(), nullable=True))
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("answers", sa.JSON(), nullable=True))
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("staff_id", _ID, nullable=True))
        batch.create_foreign_key(op.f("fk_api_keys_staff_id_staff"), "staff", ["staff_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_constraint(op.f("fk_api_keys_staff_id_staff"), type_="foreignkey")
        batch.drop_column("staff_id")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("answers")
    with op.batch_alter_table("categories") as batch:
        batch.drop_column("questions")
