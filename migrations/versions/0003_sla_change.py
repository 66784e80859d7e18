"""sla timers re-evaluated on change: dated pauses, rebase, stable level keys

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30

Timers used to keep only the total of their completed pauses; now each pause is dated, so a
pause moves only what comes after it. Existing timers get their pauses back from the ticket's
hold/resume events (the events are the history), origin = start and nothing carried. Ledger rows
keep their level name as both the stable key and the label.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def upgrade() -> None:
    with op.batch_alter_table("sla_timers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("carried_seconds", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("pauses", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("reached_percent", sa.Integer(), nullable=True))
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("label", sa.String(length=60), nullable=True))

    bind = op.get_bind()
    timers = sa.table(
        "sla_timers",
        sa.column("id", sa.Integer),
        sa.column("ticket_id", sa.Integer),
        sa.column("started_at", sa.DateTime(timezone=True)),
        sa.column("stopped_at", sa.DateTime(timezone=True)),
        sa.column("paused_seconds", sa.Float),
        sa.column("paused_since", sa.DateTime(timezone=True)),
        sa.column("origin_at", sa.DateTime(timezone=True)),
        sa.column("carried_seconds", sa.Float),
        sa.column("pauses", sa.JSON),
        sa.column("reached_percent", sa.Integer),
    )
    events = sa.table(
        "ticket_events",
        sa.column("ticket_id", sa.Integer),
        sa.column("seq", sa.Integer),
        sa.column("trigger", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    rows = bind.execute(
        sa.select(
            timers.c.id,
            timers.c.ticket_id,
            timers.c.started_at,
            timers.c.stopped_at,
            timers.c.paused_seconds,
            timers.c.paused_since,
        )
    ).all()
    for timer_id, ticket_id, started, stopped, paused_seconds, paused_since in rows:
        pauses: list[list[str | None]] = []
        if paused_seconds or paused_since is not None:
            history = bind.execute(
                sa.select(events.c.trigger, events.c.created_at)
                .where(events.c.ticket_id == ticket_id, events.c.trigger.in_(["hold", "resume"]))
                .order_by(events.c.seq)
            ).all()
            start, stop = _utc(started), _utc(stopped) if stopped is not None else None
            for trigger, moment in history:
                at = _utc(moment)
                if at < start or (stop is not None and at > stop):
                    continue
                if trigger == "hold" and (not pauses or pauses[-1][1] is not None):
                    pauses.append([at.isoformat(), None])
                elif trigger == "resume" and pauses and pauses[-1][1] is None:
                    pauses[-1][1] = at.isoformat()
        bind.execute(
            timers.update()
            .where(timers.c.id == timer_id)
            .values(origin_at=started, carried_seconds=0.0, pauses=pauses, reached_percent=0)
        )
    esc = sa.table("escalations", sa.column("level", sa.String), sa.column("label", sa.String))
    bind.execute(esc.update().values(label=esc.c.level))

    with op.batch_alter_table("sla_timers", schema=None) as batch_op:
        batch_op.alter_column("origin_at", nullable=False)
        batch_op.alter_column("carried_seconds", nullable=False)
        batch_op.alter_column("pauses", nullable=False)
        batch_op.alter_column("reached_percent", nullable=False)
        batch_op.drop_column("paused_seconds")
        batch_op.drop_column("paused_since")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.alter_column("label", nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_column("label")
    with op.batch_alter_table("sla_timers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("paused_seconds", sa.Float(), nullable=False, server_default="0")
        )
        batch_op.drop_column("reached_percent")
        batch_op.drop_column("pauses")
        batch_op.drop_column("carried_seconds")
        batch_op.drop_column("origin_at")
