"""SLA configuration rows → the pure ``sla`` objects (calendars, ladders, policies).

The catalogue stores each calendar, ladder and policy as the validated spec it was loaded from;
this module is the one translation from those specs to ``sla`` values, used both to validate
a catalogue file and to run the clocks.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from functools import cached_property
from typing import Any

from sqlalchemy import Integer, String, Text, cast, literal, select, union_all
from sqlalchemy.orm import Session

from engine.db import core_execute
from engine.models import SlaCalendar, SlaLadder, SlaPolicy
from engine.once import built_once
from sla import (
    AreaLevel,
    BusinessCalendar,
    Ladder,
    Level,
    Policy,
    Recipient,
    RecipientKind,
    Span,
    TimerKind,
    Weekday,
    as_words,
    choose_policy,
    parse_target,
)


def _span(text: str) -> Span:
    opens, closes = text.split("-")
    return Span(time.fromisoformat(opens), time.fromisoformat(closes))


def build_calendar(spec: Mapping[str, Any]) -> BusinessCalendar:
    """A calendar from its catalogue spec; ``ValueError`` says what is wrong."""
    hours = spec.get("hours") or {}
    holidays = spec.get("holidays")
    return BusinessCalendar(
        timezone=spec.get("timezone", "Asia/Jakarta"),
        always_open=bool(spec.get("always_open", False)),
        week=tuple(tuple(_span(s) for s in hours.get(day.value, [])) for day in Weekday),
        holiday_country=holidays["country"] if holidays else None,
        holiday_categories=tuple(holidays["categories"]) if holidays else ("public",),
        closed_dates=frozenset(date.fromisoformat(str(d)) for d in spec.get("closed_dates", [])),
        open_dates=frozenset(date.fromisoformat(str(d)) for d in spec.get("open_dates", [])),
    )


def _recipient(entry: str | Mapping[str, str]) -> Recipient:
    if isinstance(entry, str):
        return Recipient(RecipientKind(entry))
    return Recipient(RecipientKind.AREA_OFFICE, area_level=AreaLevel(entry["area_office"]))


def build_ladder(spec: Mapping[str, Any]) -> Ladder:
    return Ladder(
        tuple(
            Level(
                name=level["name"],
                percent=int(level["percent"]),
                notify=tuple(_recipient(entry) for entry in level["notify"]),
                key=level.get("key") or level["name"],
                name_id=level.get("name_id") or "",
                name_en=level.get("name_en") or "",
            )
            for level in spec["levels"]
        )
    )


def build_policy(
    spec: Mapping[str, Any],
    calendars: Mapping[str, BusinessCalendar],
    ladders: Mapping[str, Ladder],
) -> Policy:
    calendar = calendars[spec["calendar"]]
    return Policy(
        code=spec["code"],
        calendar=calendar,
        targets={
            TimerKind(kind): parse_target(str(text)) for kind, text in spec["targets"].items()
        },
        ladder=ladders[spec["ladder"]],
        categories=frozenset(spec.get("categories") or ()),
        priorities=frozenset(spec.get("priorities") or ()),
    )


@dataclass(frozen=True)
class PolicyBook:
    """The policies in force, in match order."""

    policies: Sequence[Policy]

    def choose(self, category: str, priority: str) -> Policy | None:
        """The first matching policy; None when the city configured no SLA at all."""
        if not self.policies:
            return None
        return choose_policy(self.policies, category, priority)

    def get(self, code: str) -> Policy | None:
        return next((p for p in self.policies if p.code == code), None)

    def level_words(self, level: str, language: str) -> str:
        """A ladder level named by its key or its name (as the escalation ledger stores them)
        in a reader's words (``sla.Level.words``): from the first ladder in force that has it,
        else the name itself as words."""
        found = self._levels.get(level)
        return found.words(language) if found is not None else as_words(level)

    @cached_property
    def _levels(self) -> dict[str, Level]:
        found: dict[str, Level] = {}
        for policy in self.policies:
            for level in policy.ladder.levels:
                found.setdefault(level.key, level)
                found.setdefault(level.name, level)
        return found


#: Books by a digest of the SLA rows in force. Any change to them — a catalogue load, a
#: migration, an admin's fix in SQL, on any host — changes the digest and so the key. Reading
#: the rows is one statement returning the stored JSON as text, hashed as it comes: far less
#: than decoding it and building calendars and policies (~6 ms), done only for a new digest.
_BOOKS: dict[str, PolicyBook] = {}
_BOOKS_MAX = 16
_books_lock = threading.Lock()


@built_once
def _rows_in_force() -> Any:
    def part(kind: str, model: Any) -> Any:
        return select(
            literal(kind, String).label("kind"),
            model.code,
            model.position if kind == "policy" else literal(0, Integer).label("position"),
            model.id,
            cast(model.definition, Text).label("definition"),
        ).where(model.active)

    return union_all(
        part("calendar", SlaCalendar), part("ladder", SlaLadder), part("policy", SlaPolicy)
    )


def load_policy_book(session: Session) -> PolicyBook:
    """The policies in force, as the database holds them now."""
    rows = sorted(
        (kind, position, row_id, code, definition or "")
        for kind, code, position, row_id, definition in core_execute(session, _rows_in_force())
    )
    digest = hashlib.sha256(repr(rows).encode()).hexdigest()
    book = _BOOKS.get(digest)
    if book is None:
        specs: dict[str, Any] = {"calendar": {}, "ladder": {}, "policy": []}
        for kind, _, _, code, definition in rows:
            spec = json.loads(definition)
            if kind == "policy":
                specs[kind].append(spec)
            else:
                specs[kind][code] = spec
        book = build_policy_book(specs["calendar"], specs["ladder"], specs["policy"])
        with _books_lock:
            if len(_BOOKS) >= _BOOKS_MAX:
                _BOOKS.pop(next(iter(_BOOKS)))
            _BOOKS[digest] = book
    return book


def build_policy_book(
    calendars: Mapping[str, Mapping[str, Any]],
    ladders: Mapping[str, Mapping[str, Any]],
    policies: Sequence[Mapping[str, Any]],
) -> PolicyBook:
    """A book from catalogue specs (what the database stores, or a file about to be loaded)."""
    built_calendars = {code: build_calendar(spec) for code, spec in calendars.items()}
    built_ladders = {code: build_ladder(spec) for code, spec in ladders.items()}
    return PolicyBook(
        tuple(build_policy(spec, built_calendars, built_ladders) for spec in policies)
    )
