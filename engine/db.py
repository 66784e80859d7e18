"""Database engine and sessions for SQLite (embedded default) and PostgreSQL (production).

SQLite needs care to be safe under concurrent writers: Python 3.11's sqlite3 starts a
transaction lazily (on the first write, not the first read), so a read-then-write transaction
can act on a stale read and silently lose an update. We take transaction control away from
pysqlite and begin every write transaction with ``BEGIN IMMEDIATE``, which takes SQLite's one
write lock up front; read-only sessions use a deferred ``BEGIN`` so they never block writers
under WAL.

Within one process, SQLite write transactions also queue on a lock of our own before they
begin. A writer that finds SQLite's lock taken sleeps in SQLite's busy handler (1, 2, 5 … up to
100 ms between tries) and the lock may stand free while every waiter sleeps: with 32 request
threads submitting at once, that was most of the wall time and a p99 of seconds. Our lock
hands over at once; other processes (the flows, the command line) still meet SQLite's.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, Executable, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from engine.errors import ScratchCopyFailed

_READ_ONLY = "tanggap_read_only"
#: On a connection's ``info``: it holds its engine's writer queue (``make_engine``).
_WRITER_HELD = "tanggap_writer_held"
#: Each SQLite pool's writer queue, for tests and diagnostics (``writer_queue``).
_writers: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
#: As long as SQLite's own busy timeout; past it the writer tries SQLite's lock regardless.
_WRITER_WAIT_S = 30.0


#: The largest row id either database stores: a signed 64-bit integer (SQLite's INTEGER, and
#: PostgreSQL's BIGINT). A number outside 1 .. ROW_ID_MAX names no row: it is answered "no such
#: row" before any query, which would otherwise fail differently on each database.
ROW_ID_MAX = 2**63 - 1

#: The largest ticket version: ``tickets.version`` is an INTEGER, 32 bits signed on PostgreSQL.
#: An expected version outside 1 .. VERSION_MAX is no version a ticket can have: refused as
#: such (``engine.actions``), never echoed back in a conflict as a 309-digit number.
VERSION_MAX = 2**31 - 1


def is_row_id(value: int) -> bool:
    """Whether ``value`` can be a row's id (checked before it goes into a query)."""
    return 1 <= value <= ROW_ID_MAX


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


#: Query parameters of a database URL whose values are secrets (libpq's ``password``,
#: ``sslpassword``; any ``…key``/``…secret``/``…token`` a driver may take).
_SECRET_PARAMETER = re.compile(r"pass|secret|token|key", re.IGNORECASE)


def shown_url(url: str | URL) -> str:
    """A database URL as people may read it (messages, logs): the password masked as ``***``,
    wherever it is given — in the userinfo (``user:pw@host``) or as a query parameter
    (``?password=pw``, ``sslpassword``, ``sslkey``…). Raises nothing: a URL SQLAlchemy cannot
    parse is shown as "(unreadable URL)"."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # nothing of a URL that cannot be read is shown
        return "(unreadable URL)"
    masked = {
        name: ("***" if _SECRET_PARAMETER.search(name) else value)
        for name, value in parsed.query.items()
    }
    # SQLAlchemy percent-encodes query values; the mask reads as the userinfo's does.
    return parsed.set(query=masked).render_as_string(hide_password=True).replace("%2A" * 3, "***")


def sqlite_file(url: str) -> Path | None:
    """The file an SQLite URL points at (None: in memory, or not SQLite)."""
    if not is_sqlite(url):
        return None
    name = make_url(url).database
    return Path(name) if name and name != ":memory:" and not name.startswith("file:") else None


def not_a_database(path: Path) -> str | None:
    """Why the file at ``path`` cannot be an SQLite database (a directory, or a file of some
    other kind: a photo, a text file), in words naming it; None when it may be one: missing or
    empty (``tanggap db upgrade`` makes those a database), or SQLite reads it.

    Checked before the engine opens it: SQLite answers a foreign file only at the first query
    ("file is not a database"), and writes its header into an empty one on connect. Asked of
    SQLite itself, read-only, never by opening the file here: closing a descriptor of our own
    would drop the locks this process's SQLite connections hold on it (POSIX locks belong to
    the process), and a write beside them would corrupt the database."""
    try:
        if path.is_dir():
            return f"{path} is a directory, not an SQLite database"
        if not path.exists() or path.stat().st_size == 0:
            return None
    except OSError:
        return None
    try:
        probe = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None  # unreadable: SQLite's own error says so when the engine opens it
    try:
        probe.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            return f"{path} is not an SQLite database"
        return None
    finally:
        probe.close()
    return None


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An Engine for ``url`` with the per-connection settings each backend needs."""
    if not is_sqlite(url):
        kwargs.setdefault("pool_pre_ping", True)
        # An unreachable server should be an answer within seconds, not a hang.
        kwargs.setdefault("connect_args", {"connect_timeout": 10})
        return create_engine(url, **kwargs)

    engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
    writer = threading.Lock()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        if not read_only and not connection.info.get(_WRITER_HELD):
            # SQLite has one write lock, and a writer that finds it taken sleeps in SQLite's
            # busy handler (1-100 ms a try) while it often stands free: this process's writers
            # queue here instead. Taken when the write really begins — at its first statement,
            # in the thread running it — never when a session is merely opened: a request's
            # session is opened by a dependency before its handler has a thread to run on, and
            # holding the queue then let every thread wait on it while its holder waited for a
            # thread (measured: 64 concurrent comments with 4 threads hung 30 s). Released when
            # the connection goes back to the pool, after COMMIT or ROLLBACK, from whichever
            # thread that is. A write begun inside a write (a mistake) waits out
            # _WRITER_WAIT_S, then meets SQLite's own lock and its busy timeout.
            connection.info[_WRITER_HELD] = writer.acquire(timeout=_WRITER_WAIT_S)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None and record.info.pop(_WRITER_HELD, False):
            writer.release()

    _writers[engine.pool] = writer
    return engine


#: The name of a dry run's copy folder begins so, then the pid of the process that made it.
_SCRATCH = "tanggap-scratch-"


def _copy_failed(where: str, reason: str) -> ScratchCopyFailed:
    return ScratchCopyFailed(
        f"the dry run's copy of the database could not be made in {where} ({reason}): it "
        f"needs as much free space as the database; set TMPDIR to a folder with room"
    )


def _remove_stale_copies() -> None:
    """Remove the copies a dry run killed outright (SIGKILL, a power cut) left behind: a whole
    copy of the city's database, reporters' addresses included. A folder whose process is
    gone is stale; one of a running process (a dry run now) is left alone."""
    try:
        folders = list(Path(tempfile.gettempdir()).glob(f"{_SCRATCH}*"))
    except OSError:
        return
    for folder in folders:
        pid = folder.name.removeprefix(_SCRATCH).partition("-")[0]
        if not pid.isdigit() or not folder.is_dir():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (PermissionError, OverflowError, ValueError):
            continue  # another user's live process, or not a pid at all


def reading_only(engine: Engine) -> Engine:
    """``engine`` whose transactions only read: on SQLite they begin with a deferred ``BEGIN``,
    so a look at the database (the schema's revision, its tables) never waits for, nor takes,
    the one write lock."""
    return engine.execution_options(**{_READ_ONLY: True})


def core_execute(
    session: Session,
    statement: Executable,
    params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
) -> Any:  # a CursorResult; Any so that its rows unpack as the callers know them
    """Run a statement built once on ``session``'s connection, in its transaction, as Core:
    what a hot path runs, such as a submission's reads and its INSERTs.

    What the session holds unflushed is flushed first, as autoflush would have done before an
    ORM statement, so the statement sees (and follows) this transaction's pending changes.
    Through ``Session.execute`` the same statement cost about a quarter more CPU here (the
    ORM's execution and loading layers, for rows read as plain tuples anyway)."""
    session.flush()
    return session.connection().execute(statement, params)


class Database:
    """Owns the Engine; hands out sessions whose transaction the caller scopes."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(**{_READ_ONLY: True}), expire_on_commit=False
        )

    @property
    def writer_queue(self) -> threading.Lock | None:
        """SQLite: the lock this process's writers queue on (``make_engine``); not owned by a
        thread — FastAPI may end a request's transaction on another thread than began it.
        PostgreSQL: None (it locks rows)."""
        return _writers.get(self.engine.pool)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One write transaction: commits on success, rolls back on any exception. On SQLite
        it queues for the write lock at its first statement (``make_engine``)."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only transaction (never takes SQLite's write lock)."""
        with self._read_sessions() as session:
            yield session  # closing the session rolls the read transaction back

    @contextmanager
    def scratch_copy(self) -> Iterator[Database]:
        """A database to try a change on and throw away (``tanggap areas import --dry-run``).

        SQLite: a private copy of the file, made with SQLite's online backup (one read
        transaction: under WAL the service's writers go on meanwhile), in a temporary directory
        removed on leaving; it needs as much free space there as the database takes. A dry run
        on the database itself would hold SQLite's one write lock for as long as it runs (a
        whole import: seconds to minutes), and every submission and every flow would wait for
        it, then fail "database is locked". PostgreSQL (and SQLite in memory): this database;
        it locks only the rows a change touches, and the caller rolls the change back.

        The copy's folder is named with this process's id; a folder a dry run killed outright
        left behind is removed by the next one (``_remove_stale_copies``). Raises
        ``ScratchCopyFailed`` naming the folder when the copy cannot be made or fills it."""
        source = sqlite_file(self.url)
        if source is None:
            yield self
            return
        _remove_stale_copies()
        where = tempfile.gettempdir()
        try:
            folder = tempfile.mkdtemp(prefix=f"{_SCRATCH}{os.getpid()}-")
        except OSError as exc:
            raise _copy_failed(where, exc.strerror or str(exc)) from None
        try:
            target = Path(folder) / "scratch.db"
            reading = sqlite3.connect(source, timeout=30)
            try:
                writing = sqlite3.connect(target)
                try:
                    reading.backup(writing)
                finally:
                    writing.close()
            except sqlite3.Error as exc:
                raise _copy_failed(folder, str(exc)) from None
            finally:
                reading.close()
            copy = Database(f"sqlite:///{target}")
            try:
                yield copy
            except OperationalError as exc:
                if "full" in str(exc.orig):  # the copy grew past the room left there
                    raise _copy_failed(folder, str(exc.orig)) from None
                raise
            finally:
                copy.dispose()
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def between_write_batches(self) -> None:
        """Pace a long run of write transactions (a sweep's catch-up).

        SQLite has one write lock, and a writer waiting for it in SQLite's busy handler sleeps
        up to 100 ms between tries: without a gap that long between batches, a long catch-up
        starves the citizens' and staff's writes into "database is locked". PostgreSQL locks
        rows and needs no gap.
        """
        if self.is_sqlite:
            time.sleep(0.1)

    def dispose(self) -> None:
        self.engine.dispose()
