"""Shared fixtures: one migrated database per test session, one rolled-back transaction per test.

The database is ``TANGGAP_DATABASE_URL`` when set (CI runs the suite again on PostgreSQL), else
an SQLite file in a temporary directory. PostgreSQL's ``public`` schema is dropped and rebuilt
through the migrations at the start of the session, so only point this at a test database.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import make_url, text
from sqlalchemy.orm import Session

from engine import schema
from engine.actors import Actor
from engine.catalogue import load_catalogue
from engine.db import Database, make_engine
from engine.models import Ticket
from engine.photos import MemoryMediaStorage
from engine.settings import Settings
from engine.submission import Report, submit

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "catalogue" / "jakarta.yaml"
#: Monday 2026-11-23, 09:00 WIB: a working morning.
MONDAY_9_WIB = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _reset_postgres(url: str) -> None:
    name = make_url(url).database or ""
    if "test" not in name and os.environ.get("TANGGAP_TEST_RESET") != "1":
        raise pytest.UsageError(
            f"refusing to wipe database {name!r}: its name lacks 'test' (set TANGGAP_TEST_RESET=1)"
        )
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


#: Marker of a test that never touches ``TANGGAP_DATABASE_URL``: pure code (the SLA arithmetic)
#: or a database of its own (a fresh SQLite file in a subprocess's environment, as ``tanggap
#: serve`` and the README walk-through use). It is the same test on either pass, so the
#: PostgreSQL pass (CI runs the suite on SQLite, then again on PostgreSQL) leaves it out:
#: deselected, said in the summary, never skipped. Only put it on a test whose code you have
#: read: a subprocess that inherits the environment touches the configured database.
DATABASE_FREE = "database_free"


#: The browser tests (tests/browser) drive the pages and their scripts in Chromium; what the
#: pages read and write goes through the same app code the API and page tests (tests/api, on
#: both passes) run on PostgreSQL. They are the suite's costliest tests (about 2.5 of a pass's
#: 8 minutes on CI's two cores), so the PostgreSQL pass leaves them out like the database-free
#: ones (deselected and counted); ``TANGGAP_BROWSER_ON_POSTGRES=1`` runs them there too.
BROWSER = "tests/browser/"
BROWSER_ON_POSTGRES = "TANGGAP_BROWSER_ON_POSTGRES"


def _sqlite_pass_only(item: pytest.Item) -> bool:
    if item.get_closest_marker(DATABASE_FREE):
        return True
    return BROWSER in item.path.as_posix() and os.environ.get(BROWSER_ON_POSTGRES) != "1"


#: The files whose tests take longest one by one (subprocesses, real Prefect servers, four
#: processes racing): they run first, each file kept whole. Found last, they kept one xdist
#: worker busy minutes after the other had run out of tests (``--durations=0`` finds them).
LONG_FIRST = (
    "cli/test_cli_serve.py",
    "cli/test_readme.py",
    "workflows/test_escalation_mail_flow.py",
    "engine/test_concurrency.py",
    "workflows/test_delivery.py",
    "engine/test_lifecycle_stateful.py",
    "workflows/test_crash.py",
    "cli/test_cli_output_errors.py",
)


def _long_first(item: pytest.Item) -> int:
    path = item.path.as_posix()
    return next((i for i, name in enumerate(LONG_FIRST) if path.endswith(name)), len(LONG_FIRST))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Stable: every file's own order stays, and every worker sorts the same collection alike.
    items.sort(key=_long_first)
    free = [item for item in items if item.get_closest_marker(DATABASE_FREE)]
    for item in free:
        if "database_url" in getattr(item, "fixturenames", ()):
            raise pytest.UsageError(
                f"{item.nodeid} is marked {DATABASE_FREE} but uses the configured database"
            )
    url = os.environ.get("TANGGAP_DATABASE_URL", "")
    if not url or url.startswith("sqlite"):
        return
    left = [item for item in items if _sqlite_pass_only(item)]
    if not left:
        return
    config.hook.pytest_deselected(items=left)
    items[:] = [item for item in items if not _sqlite_pass_only(item)]
    counts = [
        len(free),
        sum(1 for item in left if not item.get_closest_marker(DATABASE_FREE)),
    ]
    config.stash[_LEFT_OUT] = counts
    if hasattr(config, "workeroutput"):  # an xdist worker: tell the controller, which prints
        config.workeroutput[DATABASE_FREE] = counts


#: (database-free tests, browser tests) the PostgreSQL pass left out.
_LEFT_OUT = pytest.StashKey[list[int]]()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist's controller: each worker deselected the same tests; keep the counts to print."""
    left_out = getattr(node, "workeroutput", {}).get(DATABASE_FREE)
    if left_out:
        node.config.stash[_LEFT_OUT] = list(left_out)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    free, browser = config.stash.get(_LEFT_OUT, [0, 0])
    if free:
        terminalreporter.write_line(
            f"left out on this database: {free} tests marked {DATABASE_FREE} (they never "
            "touch TANGGAP_DATABASE_URL; the SQLite pass runs them)"
        )
    if browser:
        terminalreporter.write_line(
            f"left out on this database: {browser} browser tests (the pages over the app code "
            f"tests/api runs here; the SQLite pass runs them, {BROWSER_ON_POSTGRES}=1 here too)"
        )


def _worker_database(url: str) -> str:
    """Under ``pytest -n N`` (pytest-xdist) each worker gets a PostgreSQL database of its own
    beside the one named, ``<name>_gw0``, ``<name>_gw1``…, created when missing: workers drop and
    rebuild their schema at start, so they must not share one. Without xdist: ``url`` itself."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    given = make_url(url)
    name = f"{given.database}_{worker}"
    engine = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if found.first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return given.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The test database: ``TANGGAP_DATABASE_URL`` (one per xdist worker on PostgreSQL), else a
    new SQLite file in this session's (this worker's) temporary directory."""
    url = os.environ.get("TANGGAP_DATABASE_URL")
    if url:
        return _worker_database(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'tanggap.db'}"


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(database_url=database_url, media_dir=tmp_path_factory.mktemp("media"))


@pytest.fixture(scope="session")
def database(database_url: str) -> Iterator[Database]:
    if not database_url.startswith("sqlite"):
        _reset_postgres(database_url)
    db = Database(database_url)
    schema.upgrade(db.engine)
    with db.transaction() as session:
        load_catalogue(session, CATALOGUE.read_text(), source=str(CATALOGUE), now=MONDAY_9_WIB)
    yield db
    db.dispose()


@contextmanager
def rolled_back(database: Database) -> Iterator[Session]:
    """A session inside a transaction that is rolled back at the end: nothing persists."""
    connection = database.engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test: nothing persists."""
    with rolled_back(database) as session:
        yield session


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` one-bit pixels, with a tiny body: no
    test allocates the pixels it claims."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def make_photo(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), exif: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    if exif:
        info = Image.Exif()
        info[0x010F] = "PhoneMaker"  # Make
        info[0x8825] = {2: (6.0, 10.0, 30.0), 4: (106.0, 49.0, 0.0)}  # GPS IFD
        image.save(out, format=fmt, exif=info)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def photo() -> bytes:
    return make_photo()


@pytest.fixture
def start_time() -> datetime:
    return MONDAY_9_WIB


MONAS = (-6.1754, 106.8272)


@pytest.fixture
def report_committed(
    database: Database, settings: Settings, committed: list[str]
) -> Callable[..., Ticket]:
    """Submit a citizen report for real (purged after the test), in ``session`` or its own."""

    def report(
        session: Session | None = None,
        *,
        now: datetime,
        category: str = "traffic_jam",
        description: str = "macet",
    ) -> Ticket:
        if session is None:
            with database.transaction() as own:
                return report(own, now=now, category=category, description=description)
        ticket = submit(
            session,
            Report(category=category, description=description, lat=MONAS[0], lon=MONAS[1]),
            actor=Actor.citizen(),
            now=now,
            settings=settings,
            storage=MemoryMediaStorage(),
        ).ticket
        committed.append(ticket.code)
        return ticket

    return report


@pytest.fixture
def committed(database: Database) -> Iterator[list[str]]:
    """For tests that must commit (concurrency, CLI): ticket codes listed here are purged after."""
    codes: list[str] = []
    yield codes
    if not codes:
        return
    from sqlalchemy import delete, select, update

    from engine.models import Base, Ticket

    with database.transaction() as session:
        ids = list(session.scalars(select(Ticket.id).where(Ticket.code.in_(codes))))
        session.execute(
            update(Ticket).where(Ticket.duplicate_of_id.in_(ids)).values(duplicate_of_id=None)
        )
        # Children first, found from the schema so that new ticket tables are purged too.
        for table in reversed(Base.metadata.sorted_tables):
            if "ticket_id" in table.c:
                session.execute(delete(table).where(table.c.ticket_id.in_(ids)))
        session.execute(delete(Ticket).where(Ticket.id.in_(ids)))


# --- official boundaries (issue 8) -----------------------------------------------------------

#: Real boundary data of DKI Jakarta (317 areas), kept beside the repository, never in it
#: (CI has ../shared/ there; elsewhere point TANGGAP_BOUNDARIES_FILE at a copy).
OFFICIAL_BOUNDARIES = Path(
    os.environ.get("TANGGAP_BOUNDARIES_FILE")
    or ROOT.parent / "shared" / "real_data" / "dki_jakarta_wilayah_kemendagri.geojson"
)


def need_official_boundaries() -> None:
    """Skip a test that needs the boundary file when it is not here — except in CI, where its
    absence is an error (CI must run every test)."""
    if OFFICIAL_BOUNDARIES.exists():
        return
    message = (
        f"the official boundary file {OFFICIAL_BOUNDARIES} is not beside this checkout: "
        "set TANGGAP_BOUNDARIES_FILE to a copy"
    )
    if os.environ.get("CI"):
        raise pytest.UsageError(message)
    pytest.skip(message)


KEMENDAGRI_MAPPING = ROOT / "catalogue" / "kemendagri-boundaries.yaml"
_OFFICIAL_SCHEMA = "tanggap_official"


def separate_database_url(
    database_url: str, name: str, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A database of its own beside the test database, empty: a new SQLite file, or on
    PostgreSQL a fresh schema ``name`` in the test database (dropped first if left over)."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path_factory.mktemp(name) / f'{name}.db'}"
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {name}"))
    engine.dispose()
    return (
        make_url(database_url)
        .update_query_dict({"options": f"-csearch_path={name}"})
        .render_as_string(hide_password=False)
    )


@pytest.fixture(scope="session")
def official_database(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A second database: the shipped catalogue plus the official boundaries, imported once per
    test session (tests change it only inside rolled-back transactions). On PostgreSQL it is a
    schema of its own in the test database."""
    from engine.areas import import_boundaries
    from engine.boundaries import parse_mapping

    need_official_boundaries()
    db = Database(separate_database_url(database_url, _OFFICIAL_SCHEMA, tmp_path_factory))
    schema.upgrade(db.engine)
    mapping = parse_mapping(KEMENDAGRI_MAPPING.read_text(), source=str(KEMENDAGRI_MAPPING))
    with db.transaction() as session:
        load_catalogue(session, CATALOGUE.read_text(), source=str(CATALOGUE), now=MONDAY_9_WIB)
        import_boundaries(
            session,
            OFFICIAL_BOUNDARIES.read_bytes(),
            mapping,
            source=OFFICIAL_BOUNDARIES.name,
            now=MONDAY_9_WIB,
        )
    yield db
    db.dispose()


@pytest.fixture
def official(official_database: Database) -> Iterator[Session]:
    """A rolled-back session on the database with the official boundaries."""
    with rolled_back(official_database) as session:
        yield session
