"""What a flow run needs from the outside: settings, the database, the mail backend, the clock.

A Prefect worker starts a fresh process per flow run, so per-process caching is per run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import OperationalError

from engine.environment import database, settings
from engine.once import built_once
from workflows.mail import MailBackend, build_backend

__all__ = ["database", "mail_backend", "now", "settings", "transient_database_error"]


def now() -> datetime:
    """The one clock read of the workflows: due-ness comes from the clock and the database,
    never from a run's scheduled time (a late or catch-up run must see the present)."""
    return datetime.now(UTC)


@built_once
def mail_backend() -> MailBackend:
    return build_backend(settings())


def transient_database_error(_task: Any, _run: Any, state: Any) -> bool:
    """Prefect retry condition: retry a task only when the database was briefly unavailable or
    busy. Anything else is a bug or bad data, and a retry would only repeat it."""
    try:
        state.result()
    except OperationalError:
        return True
    except Exception:
        return False
    return False
