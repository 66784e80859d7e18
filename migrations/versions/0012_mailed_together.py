"""one escalation mail for several clocks of a ticket at one level

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

``escalations_mailed_together``: an escalation told in another escalation's outbox row. After a
transfer the start and accept clocks reach each level at the same instant; the sweep writes a
ledger row per clock but one mail per recipient naming both, and records here which mail told
of the clock whose row carries no mail of its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "escalations_mailed_together",
        sa.Column("id", _ID, nullable=False),
        sa.Column("ticket_id", _ID, nullable=False),
        sa.Column("escalation_id", _ID, nullable=False),
        sa.Column("carrier_id", _ID, nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_escalations_mailed_together_ticket_id_tickets"),
        ),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_escalations_mailed_together_escalation_id_escalations"),
        ),
        sa.ForeignKeyConstraint(
            ["carrier_id"],
            ["escalations.id"],
            name=op.f("fk_escalations_mailed_together_carrier_id_escalations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations_mailed_together")),
        sa.UniqueConstraint(
            "escalation_id",
            "recipient",
            name=op.f("uq_escalations_mailed_together_escalation_id_recipient"),
        ),
    )
    with op.batch_alter_table("escalations_mailed_together", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escalations_mailed_together_carrier_id"), ["carrier_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_escalations_mailed_together_ticket_id"), ["ticket_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("escalations_mailed_together", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalations_mailed_together_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_escalations_mailed_together_carrier_id"))
    op.drop_table("escalations_mailed_together")
