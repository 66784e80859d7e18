"""the business time a clock had consumed when it stopped

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02

``sla_timers.elapsed_seconds``: the business seconds a clock had consumed when it stopped,
measured on the calendar it ran on (``engine.clocks.stop``). A stopped clock keeps reading as it
ran (README: "A clock is judged, and keeps reading, as it ran"): its deadline and verdict are
stored already; its elapsed time, recomputed under a calendar edited since (a date closed or
opened), said that a clock that ran for five minutes on a day closed later had run for none.
NULL while a clock runs, and for the clocks stopped before this revision, which are read under
the calendar in force (as before).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sla_timers") as batch:
        batch.add_column(sa.Column("elapsed_seconds", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sla_timers") as batch:
        batch.drop_column("elapsed_seconds")
