"""reports taken off the public record

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01

``tickets.unpublished_at``: when a supervisor or admin took the report off the public record
(the ``unpublish`` trigger: it names someone, shows a face or a number plate); NULL while it is
on it. Such a report is, to the public, one that does not exist, as a report of a non-public
category (``engine.visibility.published_clause``). Every existing report stays published.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("unpublished_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("unpublished_at")
