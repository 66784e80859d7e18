"""redacted reports

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01

``tickets.public_description``: the description the public reads once a supervisor or admin
redacted it (the ``redact`` trigger: it named a neighbour, gave a phone number); NULL while the
public reads the reporter's own words. ``tickets.description`` stays as sent, for staff.
``tickets.media_url_hidden_at``: when one hid the address of the sending system's own photo
(Open311 ``media_url``). ``attachments.hidden_at``: when one hid the photo from the public (a
face, a number plate); NULL while it is shown as before. Every existing report and photo stays
as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("public_description", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("media_url_hidden_at", sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        batch.drop_column("hidden_at")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("media_url_hidden_at")
        batch.drop_column("public_description")
