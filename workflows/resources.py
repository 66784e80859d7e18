"""What a flow run needs from the outside: settings, the database and the clock.

A Prefect worker starts a fresh process per flow run, so per-process caching is per run.
"""

from __future__ import annotations

from datetime import UTC, datetime

from engine.environment import database, settings

__all__ = ["database", "now", "settings"]


def now() -> datetime:
    """The one clock read of the workflows: due-ness comes from the clock and the database,
    never from a run's scheduled time (a late or catch-up run must see the present)."""
    return datetime.now(UTC)
