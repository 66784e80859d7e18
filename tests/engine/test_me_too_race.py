"""Two "me too"s with one e-mail address at the same moment, each in its own transaction on the
real database: the address counts once, and the second is answered as any repeat is (200,
``counted`` false, the figure unchanged) — never both counted, never an IntegrityError (a 500).

The second transaction reads before the first commits and writes after the first has written;
the first commits only once the second waits on its lock (PostgreSQL: seen in
``pg_stat_activity``). SQLite takes its one write lock at BEGIN (``engine.db``), so there the
second waits whole and the race cannot open; the outcome asked is the same on both.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from engine.db import Database
from engine.models import Subscription, Ticket
from engine.reports import support
from engine.submission import Language
from engine.tickets import get_ticket

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ADDRESS = "tetangga@warga.example"


def _second_is_waiting(database: Database) -> None:
    """Return once another transaction waits on a lock of ours (PostgreSQL); SQLite's waiter
    cannot be seen from here, and has begun waiting well within the pause."""
    if database.is_sqlite:
        time.sleep(0.3)
        return
    deadline = time.monotonic() + 20
    with database.engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            watcher.rollback()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the second transaction never waited on the first")


def _race(database: Database, code: str) -> dict[str, object]:
    """Both "me too"s with ``ADDRESS``; what each was answered (supporters, counted) or raised."""
    first_wrote = threading.Event()
    answers: dict[str, object] = {}

    def first() -> None:
        try:
            with database.transaction() as session:
                said = support(session, code, email=ADDRESS, language=Language.ID, now=T0)
                first_wrote.set()
                _second_is_waiting(database)
            answers["first"] = (said.report.supporters, said.counted)
        except BaseException as exc:  # reported by the assertion below, not lost in a thread
            answers["first"] = exc
        finally:
            first_wrote.set()

    def second() -> None:
        first_wrote.wait(20)
        try:
            with database.transaction() as session:
                said = support(
                    session,
                    code,
                    email=ADDRESS.upper(),  # the same address, as typed by another hand
                    language=Language.EN,
                    now=T0 + timedelta(seconds=1),
                )
            answers["second"] = (said.report.supporters, said.counted)
        except BaseException as exc:
            answers["second"] = exc

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def _stored(database: Database, code: str) -> tuple[int, list[tuple[str, bool]]]:
    with database.reading() as session:
        ticket = get_ticket(session, code)
        rows = session.execute(
            select(Subscription.email, Subscription.supported_at.is_not(None)).where(
                Subscription.ticket_id == ticket.id
            )
        ).all()
        return ticket.supporters, [(email, bool(marked)) for email, marked in rows]


def test_me_too_same_new_address_twice_at_once_counts_once_never_fails(
    database: Database, report_committed: Callable[..., Ticket]
) -> None:
    code = report_committed(now=T0).code

    answers = _race(database, code)

    assert answers == {"first": (1, True), "second": (1, False)}
    assert _stored(database, code) == (1, [(ADDRESS, True)])


def test_me_too_same_subscribed_address_twice_at_once_counts_once(
    database: Database, report_committed: Callable[..., Ticket]
) -> None:
    """The address already follows the report (it has not said "me too" yet): both find its
    row unmarked; only one may mark it."""
    code = report_committed(now=T0).code
    with database.transaction() as session:
        ticket = get_ticket(session, code)
        session.add(Subscription(ticket_id=ticket.id, email=ADDRESS, created_at=T0))

    answers = _race(database, code)

    assert answers == {"first": (1, True), "second": (1, False)}
    assert _stored(database, code) == (1, [(ADDRESS, True)])
