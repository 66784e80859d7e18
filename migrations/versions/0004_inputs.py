"""input rules and operator views

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30

Reserved for the operator CLI work (issue 7); fill in upgrade() when that work needs schema
changes. The chain of revisions is linear (0003 → 0007) so work done in parallel never makes
Alembic grow two heads.
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
