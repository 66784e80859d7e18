"""where a carried follower came from

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02

``subscriptions.carried_from_id``: the report whose follower this address was when that report
was marked a duplicate of this one (``engine.following.carry_followers``). Their mail about the
report that stands then says why they get it ("because report X, which you made, was found to
be the same problem as this one") instead of "because you follow this report", which they never
asked for by that code. NULL for every row made before, and for every address that followed this
report itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(
            sa.Column(
                "carried_from_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch.create_foreign_key(
            op.f("fk_subscriptions_carried_from_id_tickets"),
            "tickets",
            ["carried_from_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_constraint(op.f("fk_subscriptions_carried_from_id_tickets"), type_="foreignkey")
        batch.drop_column("carried_from_id")
