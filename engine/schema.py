"""Schema management through Alembic, so every database gets exactly the migrated schema."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import OperationalError

import migrations
from engine.db import reading_only, shown_url
from engine.errors import DatabaseNotReady
from engine.once import built_once

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported where it is used: every command checks the revision, and importing
# Alembic costs half a second of each command's start.
_VERSIONS = Path(migrations.__file__).parent / "versions"


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by rebuilding it (copy, DROP, RENAME); with foreign keys on,
            # dropping a table that rows of another table reference fails. The pragma is a
            # no-op inside a transaction, so it goes straight to the driver before the first
            # BEGIN; the references are checked before the commit instead.
            _pragma(connection, "PRAGMA foreign_keys=OFF")
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"migration left dangling references: {broken[:5]}")
            connection.commit()
        finally:
            if sqlite:
                connection.rollback()
                _pragma(connection, "PRAGMA foreign_keys=ON")


def _pragma(connection: Connection, statement: str) -> None:
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(statement)


def revision(url: str, message: str) -> None:
    """Autogenerate a migration from the models (developers only)."""
    from alembic import command

    command.revision(alembic_config(url), message=message, autogenerate=True)


@built_once
def known_revisions() -> frozenset[str]:
    """Every revision of the migrations shipped with this code."""
    found = (
        re.search(r'^revision[^=]*= "([^"]+)"', path.read_text(encoding="utf-8"), re.M)
        for path in _VERSIONS.glob("*.py")
    )
    return frozenset(match.group(1) for match in found if match)


@built_once
def head_revision() -> str:
    """The newest migration shipped with this code (the chain is linear: the one revision no
    other revision names as its parent)."""
    revisions, parents = set(), set()
    for path in _VERSIONS.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = re.search(r'^revision[^=]*= "([^"]+)"', source, re.M)
        parent = re.search(r'^down_revision[^=]*= "([^"]+)"', source, re.M)
        if found:
            revisions.add(found.group(1))
        if parent:
            parents.add(parent.group(1))
    heads = revisions - parents
    assert len(heads) == 1, f"migrations have {len(heads)} heads"
    return heads.pop()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated). Reads only: every command
    asks this first, and must not wait for the service's writers (SQLite's write lock)."""
    with reading_only(engine).connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def tables(engine: Engine) -> list[str]:
    """The tables and views of the database's default schema (``public`` on PostgreSQL; not
    SQLite's own), Alembic's ``alembic_version`` left out."""
    with reading_only(engine).connect() as connection:
        found = inspect(connection)
        names = set(found.get_table_names()) | set(found.get_view_names())
    return sorted(names - {"alembic_version"})


def _unknown_revision(engine: Engine, current: str) -> DatabaseNotReady:
    return DatabaseNotReady(
        f"the database at {where(engine)} is at revision {current[:40]!r}, which is none of "
        "this version of Tanggap's: it belongs to a newer Tanggap or to another application; "
        "point TANGGAP_DATABASE_URL at Tanggap's database"
    )


def check_upgradable(engine: Engine, *, into_existing: bool = False) -> list[str]:
    """Before ``upgrade``: refuse a database that is not Tanggap's, rather than mix Tanggap's
    tables into it. A database at a revision Tanggap does not know (another application's
    Alembic, a newer Tanggap) is refused; so is one that has tables but no revision (another
    application's, or an unrelated schema), unless ``into_existing`` says to add Tanggap's
    tables beside them. Returns the tables already there when Tanggap has no schema in it yet
    (empty for a new database)."""
    current = current_revision(engine)
    if current is not None:
        if current not in known_revisions():
            raise _unknown_revision(engine, current)
        return []
    present = tables(engine)
    if present and not into_existing:
        shown = ", ".join(present[:3]) + (
            f" and {len(present) - 3} more" if len(present) > 3 else ""
        )
        raise DatabaseNotReady(
            f"the database at {where(engine)} already holds {len(present)} "
            f"table{'s' if len(present) > 1 else ''} ({shown}) and no Tanggap schema: point "
            "TANGGAP_DATABASE_URL at a new or empty database, or add --into-existing to create "
            "Tanggap's tables beside them"
        )
    return present


def where(engine: Engine) -> str:
    """The database's URL for people: no password (``db.shown_url``)."""
    return shown_url(engine.url)


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
    if current not in known_revisions():
        raise _unknown_revision(engine, current)
    if current != head_revision():
        raise DatabaseNotReady(
            f"the database at {where(engine)} is at revision {current}, this version needs "
            f"{head_revision()}: run `tanggap db upgrade`"
        )
