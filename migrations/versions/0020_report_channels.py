"""every ticket's channel is one of the Channel vocabulary

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02

``tickets.source`` holds how a report reached the city (``engine.channels.Channel``), checked
on every door since this revision. Before it, the engine stored any text it was given: the
command line stored "cli" for a report filed as a citizen and "staff" for one filed ``--as``
staff, and the engine's default was "citizen"; the staff ticket page had no words for them.

A stored word of the vocabulary in another case or with spaces is written as the vocabulary
spells it. Any other word becomes the channel of a filing that did not say how it came, by who
filed it (the actor of the ticket's first event, ``submit``): "staff-on-behalf" (recorded by
staff) for staff, supervisors and admins, "open311" for an Open311 client, "app" for a citizen.
A downgrade leaves the channels as they are: the code before read every channel as text.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: ``engine.channels.Channel`` on the day of this revision (a migration keeps its own copy).
CHANNELS = ("app", "web", "open311", "email", "whatsapp", "walk-in", "phone", "staff-on-behalf")


def upgrade() -> None:
    tickets = sa.table("tickets", sa.column("id", sa.Integer), sa.column("source", sa.String))
    events = sa.table(
        "ticket_events",
        sa.column("ticket_id", sa.Integer),
        sa.column("seq", sa.Integer),
        sa.column("actor_role", sa.String),
    )
    spelled = sa.func.lower(sa.func.trim(tickets.c.source))
    op.execute(
        tickets.update()
        .where(spelled.in_(CHANNELS), tickets.c.source.not_in(CHANNELS))
        .values(source=spelled)
    )
    filer = (
        sa.select(events.c.actor_role)
        .where(events.c.ticket_id == tickets.c.id, events.c.seq == 1)
        .scalar_subquery()
    )
    op.execute(
        tickets.update()
        .where(tickets.c.source.not_in(CHANNELS))
        .values(
            source=sa.case(
                (filer.in_(("staff", "supervisor", "admin")), "staff-on-behalf"),
                (filer == "client", "open311"),
                else_="app",
            )
        )
    )


def downgrade() -> None:
    pass
