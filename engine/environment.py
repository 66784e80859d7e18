"""This process's settings and database, built once from the environment.

For the edges that run the engine (the command line, the flows, the API): each reads its
configuration the same way and shares one connection pool per process.
"""

from __future__ import annotations

from engine.db import Database
from engine.once import built_once
from engine.settings import Settings, load_settings


@built_once
def settings() -> Settings:
    """Raises ``ConfigurationError`` naming the ``TANGGAP_*`` variable that is wrong."""
    return load_settings()


@built_once
def database() -> Database:
    return Database(settings().database_url)
