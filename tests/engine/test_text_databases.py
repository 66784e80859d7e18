"""The same generated texts through SQLite and through the suite's database (PostgreSQL in CI's
second run): identical outcomes, every refusal a ``RuleViolated`` naming the field, never a
database error (PostgreSQL's ``StringDataRightTruncation``, a NUL byte, a broken encoding)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import schema
from engine.actions import perform
from engine.actors import Actor
from engine.catalogue import load_catalogue
from engine.db import Database
from engine.errors import RuleViolated
from engine.lifecycle import Role
from engine.models import Staff, Ticket, TicketEvent
from engine.photos import MemoryMediaStorage
from engine.settings import Settings
from engine.staff import add_staff
from engine.submission import Report, submit
from engine.text import LIMITS
from tests.conftest import CATALOGUE, MONAS, MONDAY_9_WIB

#: Characters a person (or a broken client) may send: wide, combining, invisible, controls.
PIECES = [
    "a", "Z", "7", " ", "é", "日", "😀", "e\u0301", "\u200b", "\u3000", "-", "@", ".", "+",
    "\n", "\t", "\r\n", "\x00", "\x1b", "\x85", "\u202e", "\ud800", "[/]", "[bold]",
]  # fmt: skip

TICKET_FIELDS = {
    "description": "description",
    "address": "address",
    "reporter_name": "reporter_name",
    "reporter_email": "reporter_email",
    "reporter_phone": "reporter_phone",
}
TICKET_COLUMNS = [getattr(Ticket, name) for name in TICKET_FIELDS]


def _text(rng: random.Random, length: int, clean: bool) -> str:
    pool = PIECES[:14] if clean else PIECES
    out = ""
    while len(out) < length:
        out += rng.choice(pool)
    return out[:length]


def _value(rng: random.Random, field: str) -> str:
    limit = LIMITS[field]
    length = rng.choice([1, limit - 1, limit, limit + 1, 2 * limit, rng.randint(1, limit)])
    clean = rng.random() < 0.75
    if field.endswith("_email"):
        local = "".join(rng.choice("abcxyz.") for _ in range(rng.randint(1, 64))).strip(".")
        if not clean:
            local += rng.choice(PIECES[14:])
        domain = "d" * max(1, min(63, length - len(local) - 10)) + ".example"
        return f"{local or 'x'}@{domain}"
    if field == "reporter_phone":
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(4, 18)))
        return "+" + digits + " " * max(0, length - len(digits) - 2) + "1"
    return _text(rng, length, clean)


@dataclass(frozen=True)
class Case:
    kind: str  # "report", "staff" or "note"
    values: dict[str, str]


def cases(seed: int, count: int) -> list[Case]:
    rng = random.Random(seed)
    generated = []
    for _ in range(count):
        kind = rng.choice(["report", "report", "report", "staff", "note"])
        if kind == "report":
            # One field per case, so that one refused field never hides another's outcome.
            fields = [rng.choice(sorted(TICKET_FIELDS))]
            values = {f: _value(rng, f) for f in fields}
        elif kind == "staff":
            values = {
                "name": _value(rng, "staff_name"),
                "email": _value(rng, "staff_email"),
            }
        else:
            values = {"note": _value(rng, "note")}
        generated.append(Case(kind, values))
    return generated


Outcome = tuple[Any, ...]


def _run(session: Session, case: Case, settings: Settings, now: datetime, admin: Actor) -> Outcome:
    storage = MemoryMediaStorage()
    if case.kind == "staff":
        member = add_staff(
            session, email=case.values["email"], name=case.values["name"],
            role=Role.STAFF, agency="DISHUB", now=now,
        )  # fmt: skip
        session.flush()
        stored = session.execute(select(Staff.email, Staff.name).where(Staff.id == member.id))
        return ("stored", tuple(stored.one()))
    report = {"description": "Lampu mati"} | (case.values if case.kind == "report" else {})
    ticket = submit(
        session,
        Report(category="traffic_jam", lat=MONAS[0], lon=MONAS[1], **report),
        actor=Actor.citizen(),
        now=now,
        settings=settings,
        storage=storage,
    ).ticket
    if case.kind == "note":
        perform(
            session, ticket.code, "reject", actor=admin, now=now, settings=settings,
            storage=storage, note=case.values["note"],
        )  # fmt: skip
    session.flush()
    row = session.execute(select(*TICKET_COLUMNS).where(Ticket.id == ticket.id)).one()
    notes = session.scalars(
        select(TicketEvent.note)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.seq)  # without it, PostgreSQL may return them in any order
    )
    return ("stored", tuple(row), tuple(notes))


def outcomes(database: Database, settings: Settings, generated: list[Case]) -> list[Outcome]:
    """Run every case in its own savepoint of one transaction that is rolled back at the end."""
    results: list[Outcome] = []
    connection = database.engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        admin = add_staff(
            session, email="admin@text.example", name="Admin", role=Role.ADMIN, agency=None,
            now=MONDAY_9_WIB,
        )  # fmt: skip
        actor = Actor.of_staff(admin)
        for case in generated:
            try:
                with session.begin_nested():
                    results.append(_run(session, case, settings, MONDAY_9_WIB, actor))
            except RuleViolated as exc:
                results.append(("refused", type(exc).__name__, exc.message))
            except Exception as exc:  # what this test exists to catch: report it, don't stop
                results.append(("crash", type(exc).__name__))
    finally:
        session.close()
        outer.rollback()
        connection.close()
    return results


@pytest.fixture(scope="module")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path: Path = tmp_path_factory.mktemp("sqlite-twin") / "tanggap.db"
    db = Database(f"sqlite:///{path}")
    schema.upgrade(db.engine)
    with db.transaction() as session:
        load_catalogue(session, CATALOGUE.read_text(), source=str(CATALOGUE), now=MONDAY_9_WIB)
    yield db
    db.dispose()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_text_inputs_same_outcome_on_sqlite_and_suite_database(
    sqlite_database: Database,
    database: Database,
    settings: Settings,
    seed: int,
) -> None:
    generated = cases(seed, 60)

    on_sqlite = outcomes(sqlite_database, settings, generated)
    on_suite = outcomes(database, settings, generated)

    assert [o for o in on_suite if o[0] == "crash"] == []
    assert [o for o in on_sqlite if o[0] == "crash"] == []
    assert on_suite == on_sqlite
    kinds = {o[0] for o in on_suite}
    assert kinds == {"stored", "refused"}  # the generator reaches both sides of every rule
    for case, outcome in zip(generated, on_suite, strict=True):
        if outcome[0] == "stored" and case.kind == "report":
            # What PostgreSQL would refuse, checked on SQLite too: each stored value fits its
            # column (read from the model, not from the engine's LIMITS).
            for column, value in zip(TICKET_COLUMNS, outcome[1], strict=True):
                length = getattr(column.type, "length", None)
                assert value is None or length is None or len(value) <= length, column
        if outcome[0] != "refused":
            continue
        message = outcome[2]
        named = message.split(" ")[0] in LIMITS or message == "reject needs a reason (note)"
        assert named, message
        for value in case.values.values():
            if len(value.strip()) >= 6:
                assert value.strip() not in message  # never echo what was typed


def test_text_generator_covers_limits_and_controls() -> None:
    generated = cases(1, 40) + cases(2, 40) + cases(3, 40)
    values = [v for case in generated for v in case.values.values()]
    assert any("\x00" in v for v in values) and any("\x1b" in v for v in values)
    over = [
        (f, v) for case in generated for f, v in case.values.items()
        if f in LIMITS and len(v) > LIMITS[f]
    ]  # fmt: skip
    assert over, "no value over its limit"
