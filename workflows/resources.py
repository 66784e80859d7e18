"""What a flow run needs from the outside: settings, the database and the clock.

A Prefect worker starts a fresh process per flow run, so per-process caching is per run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from engine.db import Database
from engine.settings import Settings


@cache
def settings() -> Settings:
    return Settings()


@cache
def database() -> Database:
    return Database(settings().database_url)


def now() -> datetime:
    """The one clock read of the workflows: due-ness comes from the clock and the database,
    never from a run's scheduled time (a late or catch-up run must see the present)."""
    return datetime.now(UTC)
