"""Scheduled upkeep: close resolved tickets after the dispute window; check business calendars.

Both are batched and safe to run on several workers at once: closing claims tickets with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL and goes through the engine's ``close`` (one event each,
as the system actor); the calendar check only reads, and its operator mail is once a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import holidays as holiday_data
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import actions
from engine.actors import Actor
from engine.delivery import DeliveryPolicy, alert_operator
from engine.lifecycle import State
from engine.models import Notification, SlaCalendar, SlaPolicy, Ticket
from engine.settings import Settings

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def close_resolved_batch(
    session: Session, *, now: datetime, settings: Settings, limit: int = 200
) -> list[str]:
    """Close up to ``limit`` tickets resolved more than the dispute window ago; their codes."""
    cutoff = now - settings.dispute_window
    codes = list(
        session.scalars(
            select(Ticket.code)
            .where(Ticket.state == State.RESOLVED, Ticket.resolved_at <= cutoff)
            .order_by(Ticket.resolved_at, Ticket.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    context = actions.Context(session, Actor.system("close-resolved"), now, settings)
    for code in codes:
        actions.execute(context, actions.Close(code=code))
    return codes


@dataclass(frozen=True)
class CalendarWarning:
    calendar: str
    message: str


def _year_has(country: str, category: str, year: int) -> bool:
    return bool(holiday_data.country_holidays(country, years=year, categories=(category,)))


def check_calendar(code: str, spec: dict[str, Any], *, today: date) -> list[CalendarWarning]:
    """What an operator must confirm or fix in one calendar for the next 365 days."""
    warnings: list[CalendarWarning] = []
    hours = spec.get("hours") or {}
    if not spec.get("always_open") and not any(hours.get(day) for day in WEEKDAYS):
        warnings.append(CalendarWarning(code, "has no working time at all: no deadline can fall"))
    holidays = spec.get("holidays")
    if not holidays:
        return warnings
    country = holidays.get("country", "ID")
    categories = tuple(holidays.get("categories") or ("public",))
    end = today + timedelta(days=365)
    decided = {date.fromisoformat(str(d)) for d in spec.get("closed_dates", [])}
    decided |= {date.fromisoformat(str(d)) for d in spec.get("open_dates", [])}
    years = list(range(today.year, end.year + 1))
    known = holiday_data.country_holidays(country, years=years, categories=categories)
    for day, name in sorted(known.items()):
        if today <= day <= end and "estimated" in name.lower() and day not in decided:
            warnings.append(
                CalendarWarning(
                    code,
                    f"{day.isoformat()} {name}: an estimate; confirm it (closed_dates) or move "
                    "it (open_dates + closed_dates) once the government decrees it",
                )
            )
    if "government" in categories:
        for year in years:
            if not _year_has(country, "government", year):
                warnings.append(
                    CalendarWarning(
                        code,
                        f"no cuti bersama known for {year}: add the decreed dates to closed_dates",
                    )
                )
    return warnings


def check_calendars(session: Session, *, today: date) -> list[CalendarWarning]:
    """Warnings for every calendar an active policy uses."""
    used = {
        str(row.definition.get("calendar"))
        for row in session.scalars(select(SlaPolicy).where(SlaPolicy.active))
    }
    rows = {row.code: row for row in session.scalars(select(SlaCalendar))}
    warnings: list[CalendarWarning] = []
    for code in sorted(used):
        row = rows.get(code)
        if row is None or not row.active:
            warnings.append(CalendarWarning(code, "is used by a policy but missing or inactive"))
            continue
        warnings += check_calendar(code, row.definition, today=today)
    return warnings


def alert_calendar_warnings(
    session: Session,
    warnings: list[CalendarWarning],
    *,
    now: datetime,
    today: date,
    policy: DeliveryPolicy,
) -> bool:
    """One operator mail per day listing the warnings; False when there was nothing to say or
    today's mail is already queued."""
    if not warnings:
        return False
    key = f"calendar-check:{today.isoformat()}"
    if session.scalar(select(Notification.id).where(Notification.dedupe_key == key)):
        return False
    lines = [f"- {w.calendar}: {w.message}" for w in warnings]
    alert_operator(
        session,
        policy,
        subject=f"[Tanggap] calendar check {today.isoformat()}: {len(warnings)} to confirm",
        text="Business calendars need an operator's attention:\n\n" + "\n".join(lines),
        about=None,
        now=now,
        dedupe_key=key,
    )
    return True
