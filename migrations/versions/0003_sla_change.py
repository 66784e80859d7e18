"""sla timers re-evaluated on change: dated pauses, stable level ids

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30

Reserved for the correctness work (issue 6); fill in upgrade() when that work needs schema
changes. The chain of revisions is linear (0003 → 0007) so work done in parallel never makes
Alembic grow two heads.
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
