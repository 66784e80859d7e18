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
from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.db import Database
from engine.models import Notification, Subscription, Ticket
from engine.photos import MemoryMediaStorage
from engine.reports import subscribe, support
from engine.settings import Settings
from engine.submission import Language, Report, submit
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


Call = Callable[[Session, str, Language, datetime], object]


def _me_too(code: str) -> Call:
    """A "me too" on ``code``, answered as (supporters, counted)."""

    def call(session: Session, email: str, language: Language, now: datetime) -> object:
        said = support(session, code, email=email, language=language, now=now)
        return (said.report.supporters, said.counted)

    return call


def _race(database: Database, call: Call) -> dict[str, object]:
    """``call`` twice with ``ADDRESS``, each in its own transaction: what each was answered,
    or raised."""
    first_wrote = threading.Event()
    answers: dict[str, object] = {}

    def first() -> None:
        try:
            with database.transaction() as session:
                said = call(session, ADDRESS, Language.ID, T0)
                first_wrote.set()
                _second_is_waiting(database)
            answers["first"] = said
        except BaseException as exc:  # reported by the assertion below, not lost in a thread
            answers["first"] = exc
        finally:
            first_wrote.set()

    def second() -> None:
        first_wrote.wait(20)
        try:
            with database.transaction() as session:
                # the same address, as typed by another hand
                said = call(session, ADDRESS.upper(), Language.EN, T0 + timedelta(seconds=1))
            answers["second"] = said
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


def _asked(database: Database, code: str) -> list[str]:
    """Who was sent a confirmation mail about ``code``."""
    with database.reading() as session:
        ticket = get_ticket(session, code)
        return list(
            session.scalars(
                select(Notification.recipient).where(
                    Notification.ticket_id == ticket.id,
                    Notification.kind == "follow_confirmation",
                )
            )
        )


def test_me_too_same_new_address_twice_at_once_counts_once_never_fails(
    database: Database, report_committed: Callable[..., Ticket]
) -> None:
    code = report_committed(now=T0).code

    answers = _race(database, _me_too(code))

    assert answers == {"first": (1, True), "second": (1, False)}
    assert _stored(database, code) == (1, [(ADDRESS, True)])
    assert _asked(database, code) == [ADDRESS]  # one confirmation mail, not one each


def test_me_too_same_subscribed_address_twice_at_once_counts_once(
    database: Database, report_committed: Callable[..., Ticket]
) -> None:
    """The address already follows the report (it has not said "me too" yet): both find its
    row unmarked; only one may mark it."""
    code = report_committed(now=T0).code
    with database.transaction() as session:
        ticket = get_ticket(session, code)
        session.add(
            Subscription(ticket_id=ticket.id, email=ADDRESS, created_at=T0, confirmed_at=T0)
        )

    answers = _race(database, _me_too(code))

    assert answers == {"first": (1, True), "second": (1, False)}
    assert _stored(database, code) == (1, [(ADDRESS, True)])
    assert _asked(database, code) == []  # it follows already: nobody asks it again


def test_reporter_subscribing_one_new_address_twice_at_once_keeps_one_subscription(
    database: Database, settings: Settings, committed: list[str]
) -> None:
    """The reporter's own "follow by e-mail" shares the write: two at once, both answered."""
    with database.transaction() as session:
        made = submit(
            session,
            Report(category="traffic_jam", description="macet", lat=-6.1754, lon=106.8272),
            actor=Actor.citizen(),
            now=T0,
            settings=settings,
            storage=MemoryMediaStorage(),
        )
        code, token = made.ticket.code, made.reporter_token
        committed.append(code)

    def follow(session: Session, email: str, language: Language, now: datetime) -> object:
        view = subscribe(session, code, token=token, email=email, language=language, now=now)
        return (view.followers, view.pending, view.report.supporters)

    answers = _race(database, follow)

    # Followed once its owner confirms: pending in both answers, one mail asking.
    assert answers == {"first": (0, 1, 0), "second": (0, 1, 0)}
    assert _stored(database, code) == (0, [(ADDRESS, False)])
    assert _asked(database, code) == [ADDRESS]
