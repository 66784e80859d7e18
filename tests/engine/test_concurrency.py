"""Concurrent writers: a lost race is a conflict, never a lost or half-written update.

Both tests run on whichever database the suite runs on (CI runs SQLite and PostgreSQL).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from engine.actions import perform
from engine.actors import Actor
from engine.db import Database
from engine.errors import Conflict, RuleViolated, StaleVersion
from engine.lifecycle import RULES_BY_TRIGGER, Role, State, Trigger, allowed_triggers, replay
from engine.models import Ticket
from engine.photos import MemoryMediaStorage
from engine.settings import Settings
from engine.tickets import get_ticket, list_events, write_transition

ADMIN = Actor(Role.ADMIN, "racer")
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _new_ticket(db: Database, settings: Settings, report: Callable[..., Ticket], *path: str) -> str:
    with db.transaction() as session:
        ticket = report(session, now=T0)
        for action in path:
            perform(
                session,
                ticket.code,
                action,
                actor=ADMIN,
                now=T0,
                settings=settings,
                storage=MemoryMediaStorage(),
            )
        return ticket.code


def test_concurrency_16_threads_same_version_exactly_one_wins(
    database: Database, settings: Settings, report_committed: Callable[..., Ticket]
) -> None:
    db = Database(database.url, pool_size=17, max_overflow=0)
    code = _new_ticket(db, settings, report_committed)
    barrier = threading.Barrier(16)

    def race(_: int) -> str:
        barrier.wait()
        try:
            with db.transaction() as session:
                perform(
                    session,
                    code,
                    "verify",
                    actor=ADMIN,
                    now=T0 + timedelta(minutes=1),
                    settings=settings,
                    storage=MemoryMediaStorage(),
                    expected_version=1,
                )
            return "won"
        except StaleVersion:
            return "conflict"

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(race, range(16)))
    with db.reading() as session:
        ticket = get_ticket(session, code)
        events = list_events(session, ticket)
    db.dispose()

    assert outcomes.count("won") == 1
    assert outcomes.count("conflict") == 15
    assert [e.trigger for e in events] == ["submit", "verify"]
    assert ticket.version == 2 and ticket.state == "verified"


#: Runs in a separate interpreter: hold/resume tickets, count every success, retry lost races.
WORKER = """
import json, random, sys
from datetime import UTC, datetime, timedelta
from engine.actions import perform
from engine.actors import Actor
from engine.db import Database
from engine.errors import Conflict
from engine.lifecycle import Role
from engine.photos import MemoryMediaStorage
from engine.settings import Settings
from engine.tickets import get_ticket

url, codes, seed, rounds = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3]), int(sys.argv[4])
db, settings, rng = Database(url), Settings(database_url=url), random.Random(seed)
admin, t0 = Actor(Role.ADMIN, f"worker {seed}"), datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
done = dict.fromkeys(codes, 0)
for i in range(rounds):
    code = rng.choice(codes)
    with db.reading() as session:
        ticket = get_ticket(session, code)
        seen_version, seen_state = ticket.version, ticket.state
    action = "hold" if seen_state == "in_progress" else "resume"
    try:
        with db.transaction() as session:
            perform(session, code, action, actor=admin, now=t0 + timedelta(seconds=i),
                    settings=settings, storage=MemoryMediaStorage(),
                    note="waiting for the crew" if action == "hold" else None,
                    expected_version=seen_version)
        done[code] += 1
    except Conflict:
        pass
db.dispose()
print(json.dumps(done))
"""


def test_concurrency_4_processes_lose_no_update(
    database: Database, settings: Settings, report_committed: Callable[..., Ticket]
) -> None:
    path = ("verify", "assign", "start")
    shared = [_new_ticket(database, settings, report_committed, *path) for _ in range(2)]
    private = [_new_ticket(database, settings, report_committed, *path) for _ in range(4)]

    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER,
                database.url,
                ",".join([*shared, private[n]]),
                str(n),
                "60",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    results: list[dict[str, int]] = []
    for worker in workers:
        out, _ = worker.communicate(timeout=300)
        assert worker.returncode == 0
        results.append(json.loads(out))

    with database.reading() as session:
        for code in shared + private:
            ticket = get_ticket(session, code)
            events = list_events(session, ticket)
            successes = sum(result.get(code, 0) for result in results)
            # 4 events to reach in_progress; then exactly one event per counted success.
            assert ticket.version == 4 + successes == len(events)
            assert [e.seq for e in events] == list(range(1, len(events) + 1))
            assert replay(events) == ticket.state
    shared_successes = sum(r[c] for r in results for c in shared)
    assert shared_successes > 0


def _race(db: Database, settings: Settings, moves: list[tuple[str, str, dict[str, object]]]):
    """Fire ``moves`` (code, action, fields) at the same moment, each in its own transaction."""
    barrier = threading.Barrier(len(moves))

    def run(move: tuple[str, str, dict[str, object]]) -> str:
        code, action, fields = move
        barrier.wait()
        try:
            with db.transaction() as session:
                perform(
                    session,
                    code,
                    action,
                    actor=ADMIN,
                    now=T0 + timedelta(minutes=1),
                    settings=settings,
                    storage=MemoryMediaStorage(),
                    **fields,
                )
            return "committed"
        except (Conflict, RuleViolated) as refused:
            return type(refused).__name__

    with ThreadPoolExecutor(len(moves)) as pool:
        return list(pool.map(run, moves))


def _states(db: Database, codes: list[str]) -> dict[str, tuple[str, str | None]]:
    with db.reading() as session:
        found = {}
        for code in codes:
            ticket = get_ticket(session, code)
            found[code] = (ticket.state, ticket.duplicate_of.code if ticket.duplicate_of else None)
        return found


def test_concurrency_duplicates_of_each_other_exactly_one_commits(
    database: Database, settings: Settings, report_committed: Callable[..., Ticket]
) -> None:
    db = Database(database.url, pool_size=4, max_overflow=0)
    for _ in range(4):
        a = _new_ticket(db, settings, report_committed, "verify")
        b = _new_ticket(db, settings, report_committed, "verify")
        outcomes = _race(
            db,
            settings,
            [
                (a, "mark_duplicate", {"duplicate_of": b, "expected_version": 2}),
                (b, "mark_duplicate", {"duplicate_of": a, "expected_version": 2}),
            ],
        )
        assert outcomes.count("committed") == 1, outcomes
        states = _states(db, [a, b])
        assert sorted(state for state, _ in states.values()) == ["duplicate", "verified"]
    db.dispose()


def test_concurrency_chain_and_reject_of_the_target_exactly_one_commits(
    database: Database, settings: Settings, report_committed: Callable[..., Ticket]
) -> None:
    db = Database(database.url, pool_size=4, max_overflow=0)
    for _ in range(3):
        a, b, c = (_new_ticket(db, settings, report_committed, "verify") for _ in range(3))
        # A → B while B → C: A would point at a ticket that does not stand.
        outcomes = _race(
            db,
            settings,
            [
                (a, "mark_duplicate", {"duplicate_of": b, "expected_version": 2}),
                (b, "mark_duplicate", {"duplicate_of": c, "expected_version": 2}),
            ],
        )
        assert outcomes.count("committed") == 1, outcomes
        # A → B (again, fresh tickets) while B is rejected.
        a, b = (_new_ticket(db, settings, report_committed, "verify") for _ in range(2))
        outcomes = _race(
            db,
            settings,
            [
                (a, "mark_duplicate", {"duplicate_of": b, "expected_version": 2}),
                (b, "reject", {"note": "spam", "expected_version": 2}),
            ],
        )
        assert outcomes.count("committed") == 1, outcomes
        states = _states(db, [a, b])
        assert states[a] in {("duplicate", b), ("verified", None)}
        if states[a][0] == "duplicate":
            assert states[b][0] == "verified"  # the original stands
    db.dispose()


def test_a_race_lost_at_the_write_says_where_the_ticket_stood_as_read(
    database: Database, settings: Settings, report_committed: Callable[..., Ticket]
) -> None:
    """The versioned UPDATE matches no row (someone committed in between): the conflict names
    the state and version this writer read, and what its role may fire there."""
    code = _new_ticket(database, settings, report_committed, "verify")
    staff = Actor(Role.STAFF, "officer")
    with pytest.raises(StaleVersion) as lost, database.transaction() as session:
        ticket = get_ticket(session, code)
        # another writer's transition, behind the ORM's back: the row is at version 3 now
        session.execute(
            update(Ticket).where(Ticket.id == ticket.id).values(version=3),
            execution_options={"synchronize_session": False},
        )
        write_transition(
            session,
            ticket,
            trigger=Trigger.ASSIGN,
            to_state=State.ASSIGNED,
            actor=staff,
            note=None,
            public=True,
            data={},
            now=T0 + timedelta(minutes=5),
        )
    assert (lost.value.state, lost.value.version) == ("verified", 2)
    assert lost.value.allowed == [
        t.value for t in allowed_triggers("verified") if Role.STAFF in RULES_BY_TRIGGER[t].roles
    ]
    assert "assign" in lost.value.allowed and "verify" not in lost.value.allowed
