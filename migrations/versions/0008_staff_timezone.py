"""a supervisor's own time zone for the daily digest; why an outbox row went where it went

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

``staff.timezone``: an IANA zone (Asia/Jakarta, Asia/Makassar, Asia/Jayapura …); empty means the
service's zone (``TANGGAP_TIMEZONE``), so existing accounts keep getting the digest as before.
``notifications.note``: for operators, e.g. that a row stands in for an undeliverable address.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("note")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("timezone")
