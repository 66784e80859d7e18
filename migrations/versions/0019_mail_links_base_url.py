"""the base URL of a queued mail's links

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01

``notifications.links_base_url``: the base URL (``TANGGAP_PUBLIC_BASE_URL``, a running
``tanggap serve``'s address, or the default) the mail's links were rendered with when it was
queued. A later change to the ticket re-words waiting mail (``engine.rewording``) with the same
links, so a command run where its own setting differs (another directory, the default) no longer
turns a mail's working ``/t/…`` and ``/unsubscribe/…`` links into dead ones. NULL for the rows
queued before: their links are recovered from the row where it says them (a status mail's
``unsubscribe_url``), else taken from the process that re-words them, as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("links_base_url", sa.String(500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("links_base_url")
