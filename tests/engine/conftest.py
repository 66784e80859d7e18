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
