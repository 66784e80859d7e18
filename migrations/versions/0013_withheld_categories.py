"""categories withheld from area offices

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

``categories.withheld_from_area_offices``: a complaint of such a category (pungli, poor public
service) may concern staff of the very kelurahan, kecamatan or kota office where it happened,
so no area office sees it, acts on it or is told of it (``engine.scope``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("categories") as batch:
        batch.add_column(
            sa.Column(
                "withheld_from_area_offices",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("categories") as batch:
        batch.drop_column("withheld_from_area_offices")
