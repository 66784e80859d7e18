"""The engine's test desk: a staff roster and one-liners to submit and drive tickets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from engine.actions import perform
from engine.actors import Actor
from engine.lifecycle import Role
from engine.models import Staff, Ticket
from engine.photos import MemoryMediaStorage
from engine.settings import Settings
from engine.staff import add_staff
from engine.submission import Report, Submission, submit

MONAS = (-6.1754, 106.8272)  # Kelurahan Gambir, Jakarta Pusat
#: traffic_jam goes to Dinas Perhubungan and needs no photo either way.
CATEGORY = "traffic_jam"
HOME_AGENCY = "DISHUB"

#: Who acts in the tests, by name: (role, agency code).
ROSTER: dict[str, tuple[Role, str | None]] = {
    "staff": (Role.STAFF, HOME_AGENCY),
    "supervisor": (Role.SUPERVISOR, HOME_AGENCY),
    "admin": (Role.ADMIN, None),
    "outsider": (Role.STAFF, "DLH"),
    "kelurahan": (Role.STAFF, "KEL-GAMBIR"),
    "governor": (Role.STAFF, "GUB"),
    "dbm": (Role.STAFF, "DBM"),
}

#: How to reach each state from submitted (as the home agency's staff).
PATHS: dict[str, list[str]] = {
    "submitted": [],
    "verified": ["verify"],
    "assigned": ["verify", "assign"],
    "in_progress": ["verify", "assign", "start"],
    "on_hold": ["verify", "assign", "start", "hold"],
    "resolved": ["verify", "assign", "start", "resolve"],
    "closed": ["verify", "assign", "start", "resolve", "close"],
    "rejected": ["reject"],
    "duplicate": ["mark_duplicate"],
}

#: Valid input for every action, so only the table decides whether it may happen.
INPUT: dict[str, dict[str, Any]] = {
    "reject": {"note": "spam"},
    "transfer": {"agency": "DBM", "note": "road damage, not traffic"},
    "hold": {"note": "waiting for PLN"},
    "resolve": {"note": "traffic officers deployed"},
    "reopen": {"note": "still jammed"},
    "reinstate": {"note": "this is ours, not spam"},
    "update": {"note": "more serious than reported", "priority": "high"},
    "comment": {"note": "sudah dua hari belum ada petugas"},
    "rate": {"rating": 4},
    "unpublish": {"note": "berisi data pribadi"},
    "republish": {"note": "ditarik keliru"},
    "redact": {"note": "berisi nomor HP tetangga", "description": "Macet total di depan Monas"},
}


@dataclass
class Desk:
    session: Session
    settings: Settings
    now: datetime
    staff: dict[str, Staff] = field(default_factory=dict)
    storage: MemoryMediaStorage = field(default_factory=MemoryMediaStorage)
    tokens: dict[str, str] = field(default_factory=dict)

    def actor(self, who: str, ticket: Ticket | None = None) -> Actor:
        if who == "citizen":
            return Actor.citizen(self.tokens.get(ticket.code) if ticket else None)
        if who == "system":
            return Actor.system()
        if who == "client":  # an Open311 app's key (``KeyHolder.actor``)
            return Actor(Role.CLIENT, "Aplikasi Lapor")
        return Actor.of_staff(self.staff[who])

    def tick(self, minutes: int = 5) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now

    def submit(self, **overrides: Any) -> Ticket:
        values: dict[str, Any] = {
            "category": CATEGORY,
            "description": "Macet total di depan Monas sejak pagi",
            "lat": MONAS[0],
            "lon": MONAS[1],
        }
        values.update(overrides)
        result: Submission = submit(
            self.session,
            Report(**values),
            actor=Actor.citizen(),
            now=self.tick(),
            settings=self.settings,
            storage=self.storage,
        )
        self.tokens[result.ticket.code] = result.reporter_token
        return result.ticket

    def act(self, ticket: Ticket, action: str, who: str = "staff", **fields: Any) -> Ticket:
        values = dict(INPUT.get(action, {}))
        if action == "mark_duplicate" and "duplicate_of" not in fields:
            values["duplicate_of"] = self.submit().code
        values.update(fields)
        return perform(
            self.session,
            ticket.code,
            action,
            actor=self.actor(who, ticket),
            now=self.tick(),
            settings=self.settings,
            storage=self.storage,
            **values,
        )

    def clone_tickets(self, template: Ticket, count: int, **kwargs: Any) -> list[str]:
        return clone_tickets(self.session, template, count, **kwargs)

    def ticket_in(self, state: str, **overrides: Any) -> Ticket:
        ticket = self.submit(**overrides)
        for action in PATHS[state]:
            self.act(ticket, action, "admin")
        assert ticket.state == state
        return ticket


@pytest.fixture
def desk(session: Session, settings: Settings, start_time: datetime) -> Desk:
    desk = Desk(session=session, settings=settings, now=start_time)
    for name, (role, agency) in ROSTER.items():
        desk.staff[name] = add_staff(
            session,
            email=f"{name}@tanggap.example",
            name=name.title(),
            role=role,
            agency=agency,
            now=start_time,
        )
    return desk


def clone_tickets(
    session: Session,
    template: Ticket,
    count: int,
    *,
    next_check_at: datetime,
    started_at: datetime,
    prefix: str = "CLN",
) -> list[str]:
    """Copies of ``template``, each with its submit event and a running resolve timer.

    Goes around the use cases on purpose (200,000 tickets through ``submit`` would take many
    minutes) and generates the rows inside the database with a recursive CTE, which SQLite and
    PostgreSQL both run in a second or two.
    """
    from sqlalchemy import JSON, Integer, String, cast, literal, select
    from sqlalchemy import insert as sql_insert

    from engine.models import SlaTimer, TicketEvent, UTCDateTime

    tickets, timers, events = Ticket.__table__, SlaTimer.__table__, TicketEvent.__table__
    one = literal(1, Integer())
    seq = select(one.label("n")).cte("seq", recursive=True)
    seq = seq.union_all(select((seq.c.n + 1).label("n")).where(seq.c.n < count))
    copied = [c for c in tickets.columns if c.name not in ("id", "code", "next_check_at")]
    code = literal(f"{prefix}-").concat(cast(seq.c.n, String())).label("code")
    source = (
        select(*copied, code, literal(next_check_at, UTCDateTime()).label("next_check_at"))
        .select_from(tickets.join(seq, literal(True)))
        .where(tickets.c.id == template.id)
    )
    names = [c.name for c in copied] + ["code", "next_check_at"]
    session.execute(sql_insert(tickets).from_select(names, source))

    timer = session.scalars(
        select(SlaTimer).where(SlaTimer.ticket_id == template.id, SlaTimer.kind == "resolve")
    ).one()
    clones = select(tickets.c.id).where(tickets.c.code.like(f"{prefix}-%"))
    values = {
        "kind": literal("resolve"),
        "cycle": one,
        "policy_code": literal(timer.policy_code),
        "agency_id": literal(timer.agency_id),
        "target_seconds": literal(timer.target_seconds),
        "started_at": literal(started_at, UTCDateTime()),
        "origin_at": literal(started_at, UTCDateTime()),
        "carried_seconds": literal(0.0),
        "pauses": literal([], JSON()),
        "reached_percent": literal(0),
        "deadline": literal(timer.deadline, UTCDateTime()),
        "next_due_at": literal(next_check_at, UTCDateTime()),
        "breached": literal(False),
        "levels_recorded": literal([], JSON()),
    }
    session.execute(
        sql_insert(timers).from_select(["ticket_id", *values], clones.add_columns(*values.values()))
    )
    event_values = {
        "seq": one,
        "trigger": literal("submit"),
        "to_state": literal(template.state),
        "actor_role": literal("citizen"),
        "actor_label": literal("citizen"),
        "public": literal(True),
        "data": literal({}, JSON()),
        "created_at": literal(started_at, UTCDateTime()),
    }
    session.execute(
        sql_insert(events).from_select(
            ["ticket_id", *event_values], clones.add_columns(*event_values.values())
        )
    )
    return [f"{prefix}-{n}" for n in range(1, count + 1)]


@pytest.fixture
def clone() -> Any:
    """``clone_tickets`` for tests that work outside the rolled-back ``session``."""
    return clone_tickets
