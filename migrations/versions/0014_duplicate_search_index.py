"""an index for the duplicate search

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01

``ix_tickets_category_lat`` (category, latitude): a submission looks for open reports of its
category nearby (``engine.queries.public.nearby_open``) in a band of latitude around the point.
Without the index both databases read every open ticket for each submission, a cost that grew
with the city's backlog (measured: server CPU per submission 6 ms with 600 reports, 12 ms with
1,800 — bench/README.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_tickets_category_lat", "tickets", ["category_id", "lat"])


def downgrade() -> None:
    op.drop_index("ix_tickets_category_lat", table_name="tickets")
