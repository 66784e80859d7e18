"""a reporter's rating is of one fix: a reopen sets it aside

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03

``tickets.rating`` is the reporter's rating of the ticket's current fix, none until they rate
it: a reopen (or an appeal), which starts a new resolution cycle, sets the last fix's rating
aside (``engine.actions._new_cycle``); it stays in the history, on its ``rate`` event. Before
this revision the rating of the first fix stayed on a ticket reopened and fixed again, read as
the rating of the new fix. Such a rating — given before the ticket's last reopen or appeal,
none since — is set aside here as well.

A downgrade gives each ticket without a rating the last one its reporter ever gave, as the code
before kept it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: ``engine.lifecycle.NEW_CYCLE`` on the day of this revision (a migration keeps its own copy).
NEW_CYCLE = ("reopen", "reinstate")

_tickets = sa.table("tickets", sa.column("id", sa.Integer), sa.column("rating", sa.Integer))
_events = sa.table(
    "ticket_events",
    sa.column("ticket_id", sa.Integer),
    sa.column("seq", sa.Integer),
    sa.column("trigger", sa.String),
    sa.column("actor_role", sa.String),
    sa.column("data", sa.JSON),
)


def _last(*triggers: str) -> sa.ScalarSelect[int]:
    """The seq of the ticket's last event of ``triggers`` (0: none)."""
    return (
        sa.select(sa.func.coalesce(sa.func.max(_events.c.seq), 0))
        .where(_events.c.ticket_id == _tickets.c.id, _events.c.trigger.in_(triggers))
        .scalar_subquery()
    )


def upgrade() -> None:
    op.execute(
        _tickets.update()
        .where(_tickets.c.rating.is_not(None), _last(*NEW_CYCLE) > _last("rate"))
        .values(rating=None)
    )


def downgrade() -> None:
    given = (
        sa.select(_events.c.data[("rating", "to")].as_integer())
        .where(
            _events.c.ticket_id == _tickets.c.id,
            _events.c.trigger == "rate",
            _events.c.actor_role == "citizen",
        )
        .order_by(_events.c.seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    op.execute(_tickets.update().where(_tickets.c.rating.is_(None)).values(rating=given))
