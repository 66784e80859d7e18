"""SLA configuration rows → the pure ``sla`` objects (calendars, ladders, policies).

The catalogue stores each calendar, ladder and policy as the validated spec it was loaded from;
this module is the one translation from those specs to ``sla`` values, used both to validate
a catalogue file and to run the clocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import CatalogueRevision, SlaCalendar, SlaLadder, SlaPolicy
from sla import (
    BusinessCalendar,
    Ladder,
    Level,
    Policy,
    Recipient,
    RecipientKind,
    Span,
    TimerKind,
    choose_policy,
    parse_duration,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


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
        week=tuple(tuple(_span(s) for s in hours.get(day, [])) for day in WEEKDAYS),
        holiday_country=holidays["country"] if holidays else None,
        holiday_categories=tuple(holidays["categories"]) if holidays else ("public",),
        closed_dates=frozenset(date.fromisoformat(str(d)) for d in spec.get("closed_dates", [])),
        open_dates=frozenset(date.fromisoformat(str(d)) for d in spec.get("open_dates", [])),
    )


def _recipient(entry: str | Mapping[str, str]) -> Recipient:
    if isinstance(entry, str):
        return Recipient(RecipientKind(entry))
    return Recipient(RecipientKind.AREA_OFFICE, area_level=entry["area_office"])


def build_ladder(spec: Mapping[str, Any]) -> Ladder:
    return Ladder(
        tuple(
            Level(
                name=level["name"],
                percent=int(level["percent"]),
                notify=tuple(_recipient(entry) for entry in level["notify"]),
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
            TimerKind(kind): parse_duration(str(text), calendar)
            for kind, text in spec["targets"].items()
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


#: Books by the hash of the catalogue file they came from. A load replaces the whole SLA
#: configuration, so the latest revision's hash names the configuration in force exactly; a
#: reload anywhere (another process, another host) changes the hash and so the key.
_BOOKS: dict[str, PolicyBook] = {}
_BOOKS_MAX = 16


def load_policy_book(session: Session) -> PolicyBook:
    """The policies in force; built once per catalogue revision and process (~6 ms each)."""
    latest = session.scalar(
        select(CatalogueRevision.sha256).order_by(CatalogueRevision.id.desc()).limit(1)
    )
    if latest is not None and latest in _BOOKS:
        return _BOOKS[latest]
    book = _build_policy_book(session)
    if latest is not None:
        if len(_BOOKS) >= _BOOKS_MAX:
            _BOOKS.pop(next(iter(_BOOKS)))
        _BOOKS[latest] = book
    return book


def _build_policy_book(session: Session) -> PolicyBook:
    calendars = {
        row.code: build_calendar(row.definition)
        for row in session.scalars(select(SlaCalendar).where(SlaCalendar.active))
    }
    ladders = {
        row.code: build_ladder(row.definition)
        for row in session.scalars(select(SlaLadder).where(SlaLadder.active))
    }
    rows = session.scalars(select(SlaPolicy).where(SlaPolicy.active).order_by(SlaPolicy.position))
    return PolicyBook(tuple(build_policy(row.definition, calendars, ladders) for row in rows))
