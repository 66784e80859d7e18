"""non-public categories

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01

``categories.public``: a report of a category with ``public: false`` in the catalogue (pungli,
poor public service: it may name an official) is not published — not listed, mapped, offered as
a duplicate, shown by code nor fed to Open311 (``engine.visibility.public_ticket_clause``). Its
reporter, with the token, and staff see it. Every existing category stays public until the
catalogue is loaded again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("categories") as batch:
        batch.add_column(
            sa.Column("public", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("categories") as batch:
        batch.drop_column("public")
