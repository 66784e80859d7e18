"""Writers of one ticket take turns (the ticket's row is locked and re-read first), so a caller
that sends no expected version — a citizen's comment, a "me too" — is never refused or
answered for a change it could not have seen.

Found on PostgreSQL by a tester: of 10 comments sent at once by a report's citizen, 8 were
answered 409 "changed by someone else; reload, try again" (the citizen has no version to
reload), and a repeated "me too" racing the first was answered "already recorded … stays 0".
SQLite serialises writers at BEGIN IMMEDIATE; both databases must answer alike (CI runs this
file on both).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from engine.actions import Comment, Context, execute
from engine.actors import Actor
from engine.db import Database
from engine.errors import StaleVersion
from engine.photos import MemoryMediaStorage
from engine.reports import support
from engine.settings import Settings
from engine.submission import Report, submit
from engine.tickets import get_ticket, list_events

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
MONAS = (-6.1754, 106.8272)
R = TypeVar("R")


def _at_once(n: int, call: Callable[[int], R]) -> list[R]:
    gate = threading.Barrier(n)

    def run(i: int) -> R:
        gate.wait()
        return call(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def _filed(db: Database, settings: Settings, committed: list[str]) -> tuple[str, str]:
    with db.transaction() as session:
        filed = submit(
            session,
            Report(category="traffic_jam", description="macet", lat=MONAS[0], lon=MONAS[1]),
            actor=Actor.citizen(),
            now=T0,
            settings=settings,
            storage=MemoryMediaStorage(),
        )
        committed.append(filed.ticket.code)
        return filed.ticket.code, filed.reporter_token


class _OneClient:
    """``SupportMemory`` of one network address (as the API's): its first anonymous "me too"
    of a report counts, its repeats do not."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: set[str] = set()

    def first(self, code: str, *, anonymous: bool) -> bool:
        with self._lock:
            new = code not in self._seen
            self._seen.add(code)
            return new

    def claim_anonymous(self, code: str) -> bool:
        return False


def _comment(db: Database, settings: Settings, token: str, comment: Comment) -> None:
    """The report's citizen sends ``comment`` in a transaction of its own."""
    with db.transaction() as session:
        at = T0 + timedelta(minutes=1)
        context = Context(session, Actor.citizen(token), at, settings, MemoryMediaStorage())
        execute(context, comment)


def test_ten_comments_sent_at_once_by_the_citizen_are_all_kept(
    database: Database, settings: Settings, committed: list[str]
) -> None:
    db = Database(database.url, pool_size=11, max_overflow=0)
    code, token = _filed(db, settings, committed)

    def comment(i: int) -> str:
        try:
            _comment(db, settings, token, Comment(code=code, note=f"komentar {i}"))
            return "kept"
        except StaleVersion as refused:
            return f"refused: {refused}"

    outcomes = _at_once(10, comment)
    with db.reading() as session:
        ticket = get_ticket(session, code)
        events = list_events(session, ticket)
    db.dispose()

    assert outcomes == ["kept"] * 10
    notes = sorted(e.note or "" for e in events if e.trigger == "comment")
    assert notes == sorted(f"komentar {i}" for i in range(10))
    assert [e.seq for e in events] == list(range(1, 12))
    assert ticket.version == 11


def test_a_stale_version_names_the_version_the_ticket_is_at_now(
    database: Database, settings: Settings, committed: list[str]
) -> None:
    """Six comments at once, each saying it read version 1: one is kept, and every refusal
    names the version a retry must send — the one the winner left, not the one it read."""
    db = Database(database.url, pool_size=7, max_overflow=0)
    code, token = _filed(db, settings, committed)

    def comment(i: int) -> int | None:
        try:
            sent = Comment(code=code, note=f"komentar {i}", expected_version=1)
            _comment(db, settings, token, sent)
            return None
        except StaleVersion as refused:
            return refused.version

    outcomes = _at_once(6, comment)
    db.dispose()
    assert outcomes.count(None) == 1
    assert sorted(v for v in outcomes if v is not None) == [2] * 5


def test_a_repeated_me_too_racing_the_first_answers_the_figure_the_first_left(
    database: Database, settings: Settings, committed: list[str]
) -> None:
    db = Database(database.url, pool_size=13, max_overflow=0)
    code, _ = _filed(db, settings, committed)
    client = _OneClient()

    def me_too(_: int) -> tuple[int, bool]:
        with db.transaction() as session:
            done = support(
                session, code, email=None, language=None, now=T0, client=client,
                settings=settings,
            )  # fmt: skip
            return done.report.supporters, done.counted

    outcomes = _at_once(12, me_too)
    db.dispose()
    assert sorted(outcomes) == [(1, False)] * 11 + [(1, True)]
