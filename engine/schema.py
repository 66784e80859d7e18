"""Schema management through Alembic, so every database gets exactly the migrated schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

import migrations
from engine.errors import DatabaseNotReady


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()


def revision(url: str, message: str) -> None:
    """Autogenerate a migration from the models (developers only)."""
    command.revision(alembic_config(url), message=message, autogenerate=True)


def head_revision() -> str:
    """The newest migration shipped with this code."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def where(engine: Engine) -> str:
    """The database's URL for people: no password."""
    return engine.url.render_as_string(hide_password=True)


def check_ready(engine: Engine) -> None:
    """Raise ``DatabaseNotReady`` unless the database answers and is at the newest revision."""
    try:
        current = current_revision(engine)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "no answer"
        raise DatabaseNotReady(f"cannot reach the database at {where(engine)}: {reason}") from None
    if current is None:
        raise DatabaseNotReady(
            f"the database at {where(engine)} is not set up: run `tanggap db upgrade`"
        )
    if current != head_revision():
        raise DatabaseNotReady(
            f"the database at {where(engine)} is at revision {current}, this version needs "
            f"{head_revision()}: run `tanggap db upgrade`"
        )
