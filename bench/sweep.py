"""Benchmark of the SLA sweep against a large table of open tickets (SQLite and PostgreSQL).

Method
------
Setup (not part of the results): a fresh database (SQLite: a file in a temporary directory;
PostgreSQL: database ``tanggap_bench``, public schema dropped and recreated), ``schema.upgrade``,
the shipped Jakarta catalogue, one officer per agency, then N open tickets written in bulk in
chunks of 10,000, never through the use cases: on SQLite the Core-compiled ``insert(table)``
run with ``executemany`` on the DBAPI cursor (values already in the ORM's stored form), on
PostgreSQL psycopg 3 ``COPY``. Per-row foreign-key checks are off during the load; a reference
check afterwards proves every row points somewhere. Then ANALYZE (PostgreSQL: VACUUM ANALYZE
and a CHECKPOINT, so neither autovacuum nor the load's dirty pages land in the timings).

Every ticket (in_progress, assigned or verified, in a leaf area of the catalogue, routed as the
engine routes it) has one running ``resolve`` timer of policy ``default`` (5 working days of
the office calendar = 5 × 7.5 h) and its submit event. One table serves both scenarios,
through two fixed clocks:

* ``NOW_DUE`` = 2026-11-23 02:00 UTC. The ``--due`` tickets were submitted 12 days earlier (so
  their warning, breach and kecamatan levels really are due) and have ``next_check_at`` 1–720
  minutes before ``NOW_DUE``. Every other ticket has ``next_check_at`` 1–30 days after it.
* ``NOW_IDLE`` = ``NOW_DUE`` minus 1 day, earlier than every ``next_check_at``: nothing is due.

Measurements, in this order, each in transactions as the engine opens them
(``Database.transaction``: ``BEGIN IMMEDIATE`` on SQLite):

1. baseline claim, 0 due: the bare indexed ``SELECT id … LIMIT 500`` at ``NOW_IDLE``;
2. sweep, 0 due: ``sweep(db.transaction, now=NOW_IDLE, limit=500)``;
3. baseline claim, with due: the same SELECT at ``NOW_DUE`` (500 rows);
4. ORM claim: ``due_tickets_query`` as the sweep runs it (whole ``Ticket`` rows,
   ``FOR UPDATE SKIP LOCKED`` on PostgreSQL): what the ORM adds to the bare SELECT;
5. sweep, due: one full sweep at ``NOW_DUE``, timed once because it mutates;
6. sweep again: the idempotence check, which must record nothing;
7. replay: one batch of swept tickets with ``next_check_at`` and ``levels_recorded`` undone,
   swept again: only the ledger's unique key stands between it and double records.

1–4 get one untimed warm-up run and ``--repeat`` timed runs (best and median reported). Ratios
divide medians (a single run: its time) by the baseline claim named in brackets, measured in
the same run. The due sweep also counts the SQL statements it sends, by kind, with the time
each spent in the driver, and the time the sweep deliberately sleeps between batches (SQLite).
Peak RSS is the process's ``ru_maxrss``. Nothing here asserts on time; it prints.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from shapely.geometry import Point
from shapely.geometry import shape as from_geojson
from sqlalchemy import (
    Connection,
    Dialect,
    Engine,
    Table,
    bindparam,
    create_engine,
    event,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from engine.catalogue import load_catalogue
from engine.db import Database, make_engine
from engine.escalation import SweepResult, due_tickets_query, sweep
from engine.models import (
    Agency,
    Area,
    Category,
    Escalation,
    SlaTimer,
    Staff,
    Ticket,
    TicketEvent,
)
from engine.models.base import UTCDateTime
from engine.policies import load_policy_book
from engine.routing import route
from engine.schema import upgrade
from sla import BusinessCalendar, Target, TimerKind

log = logging.getLogger("bench.sweep")

NOW_DUE = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
NOW_IDLE = NOW_DUE - timedelta(days=1)
SETUP_NOW = NOW_DUE - timedelta(days=60)
SEED = 20261123
CHUNK = 10_000
LIMIT = 500
POLICY_CODE = "default"
STATES = (("verified", "verify"), ("assigned", "assign"), ("in_progress", "start"))
CATALOGUE = Path(__file__).resolve().parent.parent / "catalogue" / "jakarta.yaml"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tanggap_bench"
BASELINE_SQL = "SELECT id FROM tickets WHERE next_check_at <= :now ORDER BY next_check_at LIMIT 500"
BASELINE = text(BASELINE_SQL).bindparams(bindparam("now", type_=UTCDateTime()))
TICKETS = cast(Table, Ticket.__table__)
TIMERS = cast(Table, SlaTimer.__table__)
EVENTS = cast(Table, TicketEvent.__table__)
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Setup only; the rows are generated consistent, and the timed engine keeps the defaults.
SQLITE_LOAD_PRAGMAS = (
    "PRAGMA foreign_keys=OFF",
    "PRAGMA synchronous=OFF",
    "PRAGMA cache_size=-262144",
)


# --------------------------------------------------------------------------- data set


@dataclass(frozen=True)
class Pick:
    """A category reported in a leaf area, routed as the engine would route it."""

    category_id: int
    priority: str
    category_name: str
    area_id: int
    area_code: str
    area_name: str
    agency_id: int
    agency_code: str
    officer_id: int
    points: tuple[tuple[float, float], ...]  # (lat, lon) inside the area's geometry


@dataclass
class Fixture:
    picks: list[Pick]
    calendar: BusinessCalendar
    target: Target
    _deadlines: dict[datetime, datetime] = field(default_factory=dict)

    def target_seconds(self, started: datetime) -> float:
        return self.calendar.between(started, self.deadline(started)).total_seconds()

    def deadline(self, started: datetime) -> datetime:
        """The real business-calendar deadline; starts are whole minutes, so this caches well."""
        found = self._deadlines.get(started)
        if found is None:
            found = self._deadlines[started] = self.target.deadline(self.calendar, started)
        return found


def ticket_code(number: int) -> str:
    """``BEN-XXXX-XXXX`` in the engine's code shape (Crockford base32), unique per number."""
    body = ""
    for _ in range(8):
        number, digit = divmod(number, 32)
        body = ALPHABET[digit] + body
    return f"BEN-{body[:4]}-{body[4:]}"


def sample_points(
    geometry: dict[str, Any], rng: random.Random, n: int
) -> list[tuple[float, float]]:
    shape = from_geojson(geometry)
    min_lon, min_lat, max_lon, max_lat = shape.bounds
    points: list[tuple[float, float]] = []
    while len(points) < n:
        lon, lat = rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat)
        if shape.covers(Point(lon, lat)):
            points.append((round(lat, 6), round(lon, 6)))
    return points


def build_fixture(session: Session, rng: random.Random) -> Fixture:
    """Catalogue rows the tickets point at: categories whose policy is ``default``, leaf areas
    (so ``locate`` would place each point there), the routed agency and one officer each."""
    book = load_policy_book(session)
    policy = book.get(POLICY_CODE)
    if policy is None:
        raise SystemExit(f"catalogue has no {POLICY_CODE!r} policy")
    categories = [
        c
        for c in session.scalars(select(Category).where(Category.active).order_by(Category.id))
        if (chosen := book.choose(c.code, c.default_priority)) and chosen.code == POLICY_CODE
    ]
    areas = list(session.scalars(select(Area).where(Area.active).order_by(Area.id)))
    parents = {a.parent_id for a in areas}
    leaves = [a for a in areas if a.id not in parents]
    officers: dict[int, int] = {}
    picks = []
    for area in leaves:
        points = tuple(sample_points(area.geometry, rng, 64))
        for category in categories:
            agency = route(session, category, area)
            if agency.id not in officers:
                officers[agency.id] = add_officer(session, agency)
            picks.append(
                Pick(
                    category_id=category.id,
                    priority=category.default_priority,
                    category_name=category.name_id,
                    area_id=area.id,
                    area_code=area.code,
                    area_name=area.title,
                    agency_id=agency.id,
                    agency_code=agency.code,
                    officer_id=officers[agency.id],
                    points=points,
                )
            )
    target = policy.target(TimerKind.RESOLVE)
    assert target is not None
    return Fixture(picks=picks, calendar=policy.calendar, target=target)


def add_officer(session: Session, agency: Agency) -> int:
    officer = Staff(
        email=f"petugas.{agency.code.lower()}@bench.example",
        name=f"Petugas {agency.code}",
        role="staff",
        agency_id=agency.id,
        active=True,
        created_at=SETUP_NOW,
    )
    session.add(officer)
    session.flush()
    return officer.id


#: Column order of the generated rows; ``check_columns`` compares them with the models.
TICKET_COLUMNS = (
    "id", "code", "state", "version", "last_trigger", "cycle", "held_from", "category_id",
    "priority", "description", "lat", "lon", "address", "area_id", "agency_id", "officer_id",
    "duplicate_of_id", "source", "reporter_name", "reporter_email", "reporter_phone",
    "reporter_token_hash", "reporter_language", "answers", "rating", "next_check_at",
    "created_at", "updated_at", "resolved_at", "closed_at", "private", "supporters",
)  # fmt: skip
TIMER_COLUMNS = (
    "id", "ticket_id", "kind", "cycle", "policy_code", "agency_id", "target_seconds",
    "started_at", "origin_at", "carried_seconds", "pauses", "stopped_at", "deadline",
    "next_due_at", "breached", "levels_recorded", "reached_percent",
)  # fmt: skip
EVENT_COLUMNS = (
    "id", "ticket_id", "seq", "trigger", "from_state", "to_state", "actor_role",
    "actor_staff_id", "actor_label", "note", "public", "data", "created_at",
)  # fmt: skip
TABLES = ((TICKETS, TICKET_COLUMNS), (TIMERS, TIMER_COLUMNS), (EVENTS, EVENT_COLUMNS))
JSON_COLUMNS = frozenset({"levels_recorded", "pauses", "data"})

Row = tuple[Any, ...]
Rows = tuple[list[Row], list[Row], list[Row]]
#: Turns a UTC datetime into what the driver gets (SQLite: the ORM's text form).
Stamp = Callable[[datetime], Any]


def check_columns() -> None:
    for table, names in TABLES:
        if set(names) != {c.name for c in table.columns}:
            raise SystemExit(f"bench columns of {table.name} no longer match the model")


def sqlite_stamp(moment: datetime) -> str:
    """What the ORM stores in SQLite for a UTC datetime: naive UTC text with microseconds."""
    return moment.replace(tzinfo=None).isoformat(" ", "microseconds")


def check_stamp(dialect: Dialect) -> None:
    """Refuse to load if ``sqlite_stamp`` ever differs from UTCDateTime's own bind processing."""
    # dialect_impl: the processor the ORM's compiled statements use (a bare
    # TypeDecorator.bind_processor would hand sqlite3 a naive datetime instead).
    process = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    for moment in (NOW_DUE, NOW_DUE + timedelta(microseconds=123_456)):
        if process(moment) != sqlite_stamp(moment):
            raise SystemExit(f"SQLite datetime text changed: {process(moment)!r}")


def ticket_rows(
    number: int, due: bool, fixture: Fixture, rng: random.Random, stamp: Stamp
) -> tuple[Row, Row, Row]:
    """One open ticket, its running resolve timer and its submit event, in column order."""
    pick = rng.choice(fixture.picks)
    lat, lon = rng.choice(pick.points)
    state, trigger = rng.choice(STATES)
    if due:
        started = NOW_DUE - timedelta(days=12, minutes=rng.randint(0, 120))
        next_check = NOW_DUE - timedelta(minutes=rng.randint(1, 720))
    else:
        started = NOW_DUE - timedelta(minutes=rng.randint(0, 2 * 24 * 60))
        next_check = NOW_DUE + timedelta(seconds=rng.randint(86_400, 30 * 86_400))
    start, check = stamp(started), stamp(next_check)
    officer = None if state == "verified" else pick.officer_id
    description = f"{pick.category_name} di {pick.area_name} (laporan uji beban {number})"
    ticket = (
        number, ticket_code(number), state, 1, trigger, 1, None, pick.category_id,
        pick.priority, description, lat, lon, None, pick.area_id, pick.agency_id, officer,
        None, "bench", None, None, None, None, "id", None, None, check, start, start, None,
        None, False, 0,
    )  # fmt: skip
    timer = (
        number, number, "resolve", 1, POLICY_CODE, pick.agency_id,
        fixture.target_seconds(started), start, start, 0.0, "[]", None,
        stamp(fixture.deadline(started)), check, False, "[]", 0,
    )  # fmt: skip
    event_data = f'{{"agency": "{pick.agency_code}", "area": "{pick.area_code}"}}'
    submitted = (
        number, number, 1, "submit", None, "submitted", "citizen", None, "citizen", None, True,
        event_data, start,
    )  # fmt: skip
    return ticket, timer, submitted


def chunks(
    n: int, due_ids: set[int], fixture: Fixture, rng: random.Random, stamp: Stamp
) -> Iterator[Rows]:
    for first in range(1, n + 1, CHUNK):
        tickets: list[Row] = []
        timers: list[Row] = []
        events: list[Row] = []
        for number in range(first, min(first + CHUNK, n + 1)):
            ticket, timer, submitted = ticket_rows(number, number in due_ids, fixture, rng, stamp)
            tickets.append(ticket)
            timers.append(timer)
            events.append(submitted)
        yield tickets, timers, events


# --------------------------------------------------------------------------- bulk writers


def write_core(connection: Connection, rows: Rows) -> None:
    """PostgreSQL fallback: Core ``insert(table)`` executemany, values processed by SQLAlchemy."""
    for (table, names), batch in zip(TABLES, rows, strict=True):
        params = []
        for row in batch:
            values = dict(zip(names, row, strict=True))
            for name in JSON_COLUMNS.intersection(values):
                values[name] = json.loads(values[name])
            params.append(values)
        connection.execute(insert(table), params)


class SqliteWriter:
    """SQLite: the Core-compiled ``insert(table)``, executemany on the DBAPI cursor.

    Rows arrive already in the driver's form (``sqlite_stamp``, JSON text), which skips
    SQLAlchemy's per-row parameter processing — the bulk of the load time at 1M tickets.
    """

    def __init__(self, dialect: Dialect) -> None:
        check_stamp(dialect)
        self.statements = []
        for table, names in TABLES:
            compiled = insert(table).compile(dialect=dialect, column_keys=list(names))
            if tuple(compiled.positiontup or ()) != names:
                raise SystemExit(f"unexpected parameter order in {compiled.string}")
            self.statements.append(compiled.string)

    def __call__(self, connection: Connection, rows: Rows) -> None:
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        for statement, batch in zip(self.statements, rows, strict=True):
            cursor.executemany(statement, batch)


def write_copy(connection: Connection, rows: Rows) -> None:
    """PostgreSQL: psycopg 3 COPY … FROM STDIN, one per table and chunk."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    for (table, names), batch in zip(TABLES, rows, strict=True):
        with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            for row in batch:
                copy.write_row(row)


# --------------------------------------------------------------------------- setup


@dataclass
class Setup:
    seconds: float = 0.0
    schema_seconds: float = 0.0
    insert_seconds: float = 0.0
    #: The part of insert_seconds spent writing; the rest is generating the rows.
    write_seconds: float = 0.0
    check_seconds: float = 0.0
    analyze_seconds: float = 0.0
    foreign_keys_checked_on_insert: bool = False
    writer: str = ""


def prepare_postgres(url: str) -> None:
    """Create the bench database if missing, then an empty public schema. Never ``test``."""
    parsed = make_url(url)
    name = parsed.database or ""
    if "bench" not in name or name == "test":
        raise SystemExit(f"refusing to wipe database {name!r}: its name must contain 'bench'")
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            found = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not found:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()
    wipe = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with wipe.connect() as connection:
            connection.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    finally:
        wipe.dispose()


def load(url: str, n: int, due: int) -> Setup:
    """Schema, catalogue and N tickets through a setup-only engine (disposed afterwards)."""
    setup = Setup()
    started = time.perf_counter()
    check_columns()
    rng = random.Random(SEED)
    db = Database(url)
    try:
        upgrade(db.engine)
        with db.transaction() as session:
            load_catalogue(session, CATALOGUE.read_text(), now=SETUP_NOW, source=str(CATALOGUE))
        with db.transaction() as session:
            fixture = build_fixture(session, rng)
        setup.schema_seconds = time.perf_counter() - started
        due_ids = set(rng.sample(range(1, n + 1), due))
        setup.insert_seconds = insert_all(db.engine, n, due_ids, fixture, rng, setup)
        checking = time.perf_counter()
        check_references(db.engine)
        setup.check_seconds = time.perf_counter() - checking
        setup.analyze_seconds = analyze(db.engine)
    finally:
        db.dispose()
    setup.seconds = time.perf_counter() - started
    return setup


def insert_all(
    engine: Engine, n: int, due_ids: set[int], fixture: Fixture, rng: random.Random, setup: Setup
) -> float:
    started = time.perf_counter()
    postgres = engine.dialect.name == "postgresql"
    writer: Callable[[Connection, Rows], None]
    if postgres:
        writer, setup.writer = write_copy, "COPY"
    else:
        writer, setup.writer = SqliteWriter(engine.dialect), "executemany"
    with engine.connect() as connection:
        if postgres:
            connection.exec_driver_sql("SET synchronous_commit = off")
            connection.commit()
            setup.foreign_keys_checked_on_insert = not skip_fk_triggers(connection)
        else:  # this setup-only connection is discarded afterwards (the engine is disposed)
            raw = connection.connection.driver_connection
            for pragma in SQLITE_LOAD_PRAGMAS:
                raw.execute(pragma)  # type: ignore[union-attr]
        stamp: Stamp = (lambda moment: moment) if postgres else sqlite_stamp
        batches = chunks(n, due_ids, fixture, rng, stamp)
        for done, rows in enumerate(batches, start=1):
            writing = time.perf_counter()
            try:
                with connection.begin():
                    writer(connection, rows)
            except Exception:
                if writer is not write_copy:
                    raise
                log.exception("COPY failed; falling back to executemany")
                writer, setup.writer = write_core, "executemany (COPY failed)"
                with connection.begin():
                    writer(connection, rows)
            setup.write_seconds += time.perf_counter() - writing
            if done % 10 == 0 or done * CHUNK >= n:
                log.info("  %s / %s tickets inserted", f"{min(done * CHUNK, n):,}", f"{n:,}")
        if postgres:
            for table in ("tickets", "sla_timers", "ticket_events", "staff"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
            connection.commit()
    return time.perf_counter() - started


def skip_fk_triggers(connection: Connection) -> bool:
    """PostgreSQL: no per-row foreign-key triggers during the load (halves COPY time).

    Needs a superuser; ``check_references`` verifies the loaded rows instead.
    """
    try:
        connection.exec_driver_sql("SET session_replication_role = replica")
        connection.commit()
    except DBAPIError:
        connection.rollback()
        return False
    return True


#: (child table, column, parent table) for every reference the bulk rows carry.
REFERENCES = (
    ("tickets", "category_id", "categories"),
    ("tickets", "area_id", "areas"),
    ("tickets", "agency_id", "agencies"),
    ("tickets", "officer_id", "staff"),
    ("sla_timers", "ticket_id", "tickets"),
    ("sla_timers", "agency_id", "agencies"),
    ("ticket_events", "ticket_id", "tickets"),
)


def check_references(engine: Engine) -> int:
    """Rows whose reference points nowhere (the load skips the per-row checks): must be 0."""
    orphans = 0
    with engine.connect() as connection:
        for child, column, parent in REFERENCES:
            orphans += connection.exec_driver_sql(
                f"SELECT count(*) FROM {child} c LEFT JOIN {parent} p ON p.id = c.{column} "
                f"WHERE c.{column} IS NOT NULL AND p.id IS NULL"
            ).scalar_one()
        connection.rollback()
    if orphans:
        raise SystemExit(f"bulk load left {orphans} dangling references")
    return orphans


def analyze(engine: Engine) -> float:
    """PostgreSQL: VACUUM ANALYZE (so autovacuum does not wake up during the timings), CHECKPOINT.

    SQLite: ANALYZE, then a WAL checkpoint.
    """
    started = time.perf_counter()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
            try:  # write the load's dirty pages now, not during the timings (superuser only)
                connection.exec_driver_sql("CHECKPOINT")
            except DBAPIError:
                log.warning("CHECKPOINT not allowed; the timings may overlap one")
    else:
        with engine.connect() as connection:
            raw = connection.connection.driver_connection  # autocommit: pysqlite's BEGIN is off
            raw.execute("ANALYZE")  # type: ignore[union-attr]
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
    return time.perf_counter() - started


# --------------------------------------------------------------------------- measurements


@dataclass
class Line:
    name: str
    times_ms: list[float]
    note: str = ""
    baseline: Line | None = None
    #: How ratios against this line name it.
    tag: str = ""

    @property
    def best(self) -> float:
        return min(self.times_ms)

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def ratio(self) -> str:
        if self.baseline is None:
            return ""
        return f"{self.median / self.baseline.median:,.1f}× [{self.baseline.tag}]"


def repeat(fn: Callable[[], object], times: int) -> tuple[list[float], object]:
    fn()  # warm-up, not counted
    timings, last = [], None
    for _ in range(times):
        started = time.perf_counter()
        last = fn()
        timings.append((time.perf_counter() - started) * 1000)
    return timings, last


def baseline_claim(db: Database, now: datetime) -> int:
    with db.transaction() as session:
        return len(session.execute(BASELINE, {"now": now}).all())


def orm_claim(db: Database, now: datetime) -> int:
    with db.transaction() as session:
        return len(session.scalars(due_tickets_query(now, LIMIT)).all())


@dataclass
class Statements:
    """Statements a sweep sent, by normalized form: how many, and time spent in the driver."""

    count: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.count.values())

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


@contextmanager
def counting(engine: Engine) -> Iterator[Statements]:
    """Count the statements sent to the database and the time each spent in the driver."""
    seen = Statements()
    pending: list[tuple[str, float]] = []

    def before(_c: Any, _cur: Any, statement: str, _p: Any, _ctx: Any, _many: bool) -> None:
        pending.append((statement_kind(statement), time.perf_counter()))

    def after(_c: Any, _cur: Any, _s: str, _p: Any, _ctx: Any, _many: bool) -> None:
        kind, started = pending.pop()
        seen.count[kind] += 1
        seen.seconds[kind] = seen.seconds.get(kind, 0.0) + time.perf_counter() - started

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def statement_kind(statement: str) -> str:
    flat = " ".join(statement.split())
    flat = re.sub(r"^SELECT .*? FROM ", "SELECT … FROM ", flat)
    flat = re.sub(r"%\(\w+\)s", "?", flat)
    flat = re.sub(r"IN \(__\[POSTCOMPILE_\w+\]\)|IN \([^)]*\)", "IN (…)", flat)
    flat = re.sub(r" VALUES \(.*", " VALUES (…)", flat)
    flat = re.sub(r"^UPDATE (\w+) SET (.*?) WHERE.*", r"UPDATE \1 SET \2", flat)
    flat = re.sub(r"::(?:TIMESTAMP WITH TIME ZONE|[A-Z]+)", "", flat)  # psycopg casts
    return flat if len(flat) <= 100 else flat[:97] + "…"


def count(db: Database, sql: str, **params: Any) -> int:
    with db.reading() as session:
        statement = text(sql).bindparams(
            *(bindparam(k, type_=UTCDateTime()) for k in params if k.startswith("now"))
        )
        return int(session.scalar(statement, params) or 0)


def query_plan(db: Database, now: datetime) -> list[str]:
    """EXPLAIN QUERY PLAN (SQLite) / EXPLAIN (PostgreSQL) of ``due_tickets_query`` itself."""
    statement = due_tickets_query(now, LIMIT)
    dialect = db.engine.dialect
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN " if dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    with db.engine.connect() as connection:
        rows = connection.exec_driver_sql(prefix + sql).all()
        connection.rollback()
    if dialect.name == "postgresql":
        return [row[0] for row in rows]
    return [f"{'  ' * depth(row[1], rows)}{row[3]}" for row in rows]


def depth(parent: int, rows: Sequence[Any]) -> int:
    ids = {row[0]: row[1] for row in rows}
    level = 0
    while parent in ids:
        parent, level = ids[parent], level + 1
    return level


@dataclass
class Report:
    label: str
    tickets: int
    due: int
    setup: Setup
    lines: list[Line] = field(default_factory=list)
    first: Timed = field(default_factory=lambda: Timed(0.0, 0.0, 0.0, SweepResult()))
    statements: Statements = field(default_factory=Statements)
    ledger: dict[str, int] = field(default_factory=dict)
    plans: dict[str, list[str]] = field(default_factory=dict)
    rss_after_setup_mb: float = 0.0
    rss_peak_mb: float = 0.0


@dataclass
class Timed:
    wall_ms: float
    cpu_seconds: float
    #: Time the sweep slept on purpose between batches (SQLite writer fairness).
    paused_ms: float
    result: SweepResult


class _PauseMeter:
    """The pacing the edges pass to ``engine.escalation.sweep``, timed."""

    def __init__(self) -> None:
        self.db: Database | None = None
        self.slept = 0.0

    def __call__(self) -> None:
        assert self.db is not None
        began = time.perf_counter()
        self.db.between_write_batches()
        self.slept += time.perf_counter() - began


PACER = _PauseMeter()


def paced_sweep(db: Database, now: datetime) -> SweepResult:
    """The sweep exactly as ``tanggap sweep`` and the sla-sweep flow run it."""
    PACER.db = db
    return sweep(db.transaction, now=now, limit=LIMIT, between_batches=PACER)


def timed_once(fn: Callable[[], SweepResult]) -> Timed:
    """One call: wall time, this process's CPU time, deliberate pauses, result."""
    PACER.slept = 0.0
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    wall_ms, cpu_seconds = (time.perf_counter() - wall) * 1000, time.process_time() - cpu
    return Timed(wall_ms, cpu_seconds, PACER.slept * 1000, result)


def timed_line(name: str, timed: Timed, baseline: Line) -> Line:
    note = sweep_note(timed.result)
    if timed.paused_ms:
        note += f" (incl. {timed.paused_ms:,.0f} ms of pauses)"
    return Line(name, [timed.wall_ms], note, baseline)


def sweep_note(result: SweepResult) -> str:
    return (
        f"tickets={result.tickets:,} escalations={result.escalations:,} "
        f"notifications={result.notifications:,}"
    )


def replay(db: Database) -> SweepResult:
    """Undo the clock bookkeeping of one batch of swept tickets and sweep them again.

    ``next_check_at`` back in the past and ``levels_recorded`` emptied make the sweep try to
    record every level again — as after a crash between ledger insert and timer update, or a
    concurrent sweep. The ledger's unique key must turn every attempt into a no-op.
    """
    with db.transaction() as session:
        ids = list(
            session.scalars(
                select(Escalation.ticket_id).distinct().order_by(Escalation.ticket_id).limit(LIMIT)
            )
        )
        session.execute(
            update(TICKETS).where(TICKETS.c.id.in_(ids)),
            {"next_check_at": NOW_DUE - timedelta(minutes=1)},
        )
        session.execute(
            update(TIMERS).where(TIMERS.c.ticket_id.in_(ids)),
            {"levels_recorded": [], "reached_percent": 0},
        )
    return paced_sweep(db, NOW_DUE)


def measure(db: Database, report: Report, times: int) -> None:
    idle_runs, rows = repeat(lambda: baseline_claim(db, NOW_IDLE), times)
    idle = Line("baseline claim, 0 due", idle_runs, f"rows={rows}", tag="0 due")
    idle_sweeps, result = repeat(lambda: paced_sweep(db, NOW_IDLE), times)
    assert isinstance(result, SweepResult)
    due_runs, rows = repeat(lambda: baseline_claim(db, NOW_DUE), times)
    due = Line(f"baseline claim, {report.due:,} due", due_runs, f"rows={rows}", tag="due")
    claims, rows = repeat(lambda: orm_claim(db, NOW_DUE), times)
    report.plans = {"NOW_IDLE": query_plan(db, NOW_IDLE), "NOW_DUE": query_plan(db, NOW_DUE)}

    with counting(db.engine) as report.statements:
        report.first = timed_once(lambda: paced_sweep(db, NOW_DUE))
    again = timed_once(lambda: paced_sweep(db, NOW_DUE))
    replayed = timed_once(lambda: replay(db))
    report.lines = [
        idle,
        Line("sweep, 0 due", idle_sweeps, sweep_note(result), idle),
        due,
        Line("ORM claim (due_tickets_query)", claims, f"rows={rows}", due),
        timed_line(f"sweep, {report.due:,} due", report.first, due),
        timed_line("sweep again (idempotence)", again, idle),
        timed_line(f"replay {LIMIT} (ledger dedup)", replayed, due),
    ]
    report.ledger = {
        "escalations": count(db, "SELECT count(*) FROM escalations"),
        "not mailed": count(db, "SELECT count(*) FROM escalations WHERE NOT mailed"),
        "notifications": count(db, "SELECT count(*) FROM notifications"),
        "still due": count(
            db, "SELECT count(*) FROM tickets WHERE next_check_at <= :now_due", now_due=NOW_DUE
        ),
        "breached timers": count(db, "SELECT count(*) FROM sla_timers WHERE breached"),
    }


# --------------------------------------------------------------------------- output


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_report(report: Report, out: Any = sys.stdout) -> None:
    def say(line: str = "") -> None:
        print(line, file=out)

    say(f"== {report.label}: {report.tickets:,} open tickets, {report.due:,} due ==")
    print_setup(report, say)
    say()
    say(f"{'measurement':<32} {'runs':>4} {'best ms':>10} {'median ms':>10} {'ratio':>17}  notes")
    say("-" * 120)
    for line in report.lines:
        say(
            f"{line.name:<32} {len(line.times_ms):>4} {line.best:>10,.2f} {line.median:>10,.2f} "
            f"{line.ratio:>17}  {line.note}"
        )
    say("ratio: median / median of the baseline claim it names in brackets")
    say()
    print_due_sweep(report, say)
    for name, plan in unique_plans(report.plans):
        say(f"query plan of due_tickets_query at {name}:")
        for text_line in plan:
            say(f"  {text_line}")
    say()


def print_setup(report: Report, say: Callable[[str], None]) -> None:
    setup = report.setup
    rate = report.tickets / max(setup.insert_seconds, 1e-9)
    say(
        f"setup {setup.seconds:,.1f} s: schema+catalogue {setup.schema_seconds:.1f} s, "
        f"insert {setup.insert_seconds:,.1f} s ({rate:,.0f}"
        f" tickets/s, each with timer and event; {setup.write_seconds:,.1f} s of it in "
        f"{setup.writer}, the rest generating rows), reference check "
        f"{setup.check_seconds:.1f} s, analyze {setup.analyze_seconds:.1f} s"
    )
    if not setup.foreign_keys_checked_on_insert:
        say("  (foreign keys not checked per row during the load; the reference check found 0)")
    say(
        f"peak RSS {report.rss_after_setup_mb:,.0f} MB after setup, "
        f"{report.rss_peak_mb:,.0f} MB after the measurements"
    )


def print_due_sweep(report: Report, say: Callable[[str], None]) -> None:
    timed = report.first
    first, seconds = timed.result, timed.wall_ms / 1000
    working = (timed.wall_ms - timed.paused_ms) / 1000
    if first.tickets:
        say(
            f"due sweep: {first.tickets / seconds:,.0f} tickets/s, "
            f"{seconds * 1000 / first.tickets:.2f} ms per ticket "
            f"({timed.cpu_seconds * 1000 / first.tickets:.2f} ms CPU in this process); "
            f"{first.escalations:,} escalations ({first.not_mailed:,} recorded without mail), "
            f"{first.notifications:,} notifications queued"
        )
    if timed.paused_ms:
        say(
            f"  the sweep paused {timed.paused_ms / 1000:,.1f} s on purpose between batches; "
            f"without the pauses: {working:,.1f} s, {first.tickets / working:,.0f} tickets/s, "
            f"{working * 1000 / first.tickets:.2f} ms per ticket"
        )
    say("ledger at the end: " + ", ".join(f"{k}={v:,}" for k, v in report.ledger.items()))
    statements = report.statements
    per = statements.total / first.tickets if first.tickets else 0.0
    share = statements.total_seconds / seconds * 100 if seconds else 0.0
    say(
        f"statements sent by the due sweep: {statements.total:,} ({per:.2f} per ticket), "
        f"{statements.total_seconds * 1000:,.0f} ms in the driver ({share:.0f} % of the sweep):"
    )
    say(f"  {'count':>8} {'driver ms':>10}  statement")
    for kind, n in statements.count.most_common(12):
        say(f"  {n:>8,} {statements.seconds[kind] * 1000:>10,.0f}  {kind}")


def unique_plans(plans: dict[str, list[str]]) -> list[tuple[str, list[str]]]:
    if plans.get("NOW_IDLE") == plans.get("NOW_DUE"):
        return [("NOW_IDLE and NOW_DUE (same plan)", plans["NOW_DUE"])]
    return list(plans.items())


# --------------------------------------------------------------------------- driver


def run_one(kind: str, args: argparse.Namespace) -> Report:
    with tempfile.TemporaryDirectory(prefix="tanggap-bench-") as directory:
        if kind == "sqlite":
            url = f"sqlite:///{directory}/bench.sqlite"
        else:
            url = args.pg_url
            prepare_postgres(url)
        log.info("%s: setting up %s tickets (%s due)", kind, f"{args.tickets:,}", f"{args.due:,}")
        setup = load(url, args.tickets, args.due)
        report = Report(
            label=label(kind, url),
            tickets=args.tickets,
            due=args.due,
            setup=setup,
            rss_after_setup_mb=peak_rss_mb(),
        )
        log.info("%s: setup took %.1f s; measuring", kind, setup.seconds)
        db = Database(url)
        try:
            measure(db, report, args.repeat)
        finally:
            db.dispose()
        report.rss_peak_mb = peak_rss_mb()
        return report


def label(kind: str, url: str) -> str:
    probe = make_engine(url)
    try:
        with probe.connect() as connection:
            if kind == "sqlite":
                version = connection.exec_driver_sql("select sqlite_version()").scalar()
                return f"SQLite {version}"
            version = connection.exec_driver_sql("show server_version").scalar()
            return f"PostgreSQL {version} ({make_url(url).database})"
    finally:
        probe.dispose()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sweep", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--tickets", type=int, default=1_000_000, help="open tickets to load")
    parser.add_argument("--due", type=int, default=10_000, help="tickets due at NOW_DUE")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="must name a *bench* database")
    parser.add_argument("--repeat", type=int, default=11, help="timed runs of the fast rows")
    args = parser.parse_args(argv)
    if not 0 < args.due <= args.tickets:
        parser.error("--due must be between 1 and --tickets")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = parse_args(argv)
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    started = time.perf_counter()
    for kind in kinds:
        print_report(run_one(kind, args))
        sys.stdout.flush()
    print(
        f"total {time.perf_counter() - started:,.0f} s, peak RSS {peak_rss_mb():,.0f} MB, "
        f"python {sys.version.split()[0]}, fixed now {NOW_DUE.isoformat()}, seed {SEED}, "
        f"code {code_version()}"
    )


def code_version() -> str:
    """The checkout measured (``git describe --always --dirty``), or "unknown"."""
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=CATALOGUE.parent.parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() or "unknown"


if __name__ == "__main__":
    main()
