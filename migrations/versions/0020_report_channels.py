"""every ticket's channel is one of the Channel vocabulary

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02

``tickets.source`` holds how a report reached the city (``engine.channels.Channel``), checked
on every door since this revision. Before it, the command line stored words of its own: "cli"
for a report filed as a citizen, "staff" for one filed ``--as`` staff, and the engine's default
was "citizen"; the staff ticket page had no words for them. They become "app" (the citizen's
own door, the API's default) and "staff-on-behalf" (recorded by staff, the API's word for a
filing whose caller's way in was not said). A downgrade leaves them as they are: the old code
reads every channel as text.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The words stored before this revision → the channel they meant.
RENAMED = {"cli": "app", "citizen": "app", "staff": "staff-on-behalf"}


def upgrade() -> None:
    tickets = sa.table("tickets", sa.column("source", sa.String))
    for old, new in RENAMED.items():
        op.execute(tickets.update().where(tickets.c.source == old).values(source=new))


def downgrade() -> None:
    pass
