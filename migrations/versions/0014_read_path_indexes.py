"""indexes for the read paths that read every ticket

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01

``ix_tickets_category_lat`` (category, latitude): a submission looks for open reports of its
category nearby (``engine.queries.public.nearby_open``) in a band of latitude around the point.
Without the index both databases read every open ticket for each submission, a cost that grew
with the city's backlog (measured: server CPU per submission 6 ms with 600 reports, 12 ms with
1,800 — bench/README.md).

The same kind of fault on other read paths, measured with 100,000 open tickets on SQLite: the
public list and map feed (newest change first, keyset-paged on updated_at and id) took 254 ms
per page, Open311 ``requests`` (a 90-day window on created_at) 242 ms, the updates feed (a window
of events, oldest first) 219 ms; each read the whole table. ``ix_tickets_updated_at_id``,
``ix_tickets_created_at`` and ``ix_ticket_events_created_at_id`` serve them, and ``ix_tickets_lat``
a bounding box or an Open311 lat/long/radius (PostgreSQL read the whole table for those).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_INDEXES = (
    ("ix_tickets_category_lat", "tickets", ["category_id", "lat"]),
    ("ix_tickets_lat", "tickets", ["lat"]),
    ("ix_tickets_updated_at_id", "tickets", ["updated_at", "id"]),
    ("ix_tickets_created_at", "tickets", ["created_at"]),
    ("ix_ticket_events_created_at_id", "ticket_events", ["created_at", "id"]),
)


def upgrade() -> None:
    for name, table, columns in _INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
