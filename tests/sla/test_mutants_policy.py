"""Catalogue building blocks as the engine and the ledger see them.

Written against mutants of ``sla.policy``, ``sla.target`` and ``sla.calendar`` that survived
the suite (issue 6 §7): a level's ledger key not defaulting to its name, an area level kept as
bare text, negative targets accepted, adjacent working spans refused, open dates not frozen.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla import (
    AreaLevel,
    BusinessCalendar,
    Level,
    Pause,
    Recipient,
    RecipientKind,
    Span,
    Target,
    TimerFacts,
    elapsed,
)
from sla.calendar import weekday_hours

#: Pure code or a database of its own: the PostgreSQL pass leaves it out (tests/conftest.py).
pytestmark = pytest.mark.database_free


def test_level_key_defaults_to_its_name_and_keeps_a_given_one() -> None:
    assert Level("warning", 75).key == "warning"
    assert Level("peringatan", 75, key="warning").key == "warning"
    with pytest.raises(ValueError, match="level name must not be empty"):
        Level("", 75)


def test_area_office_recipient_holds_an_area_level_with_its_depth() -> None:
    recipient = Recipient(RecipientKind.AREA_OFFICE, "kecamatan")  # type: ignore[arg-type]
    assert recipient.area_level is AreaLevel.KECAMATAN
    assert recipient.area_level.depth == 2


@pytest.mark.parametrize(
    "target",
    [
        lambda: Target(days=-1, business=timedelta(hours=1)),
        lambda: Target(days=1, business=timedelta(minutes=-1)),
    ],
)
def test_target_negative_part_is_refused(target) -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        target()


def test_calendar_adjacent_spans_are_one_working_stretch() -> None:
    calendar = BusinessCalendar(
        week=weekday_hours(Span(time(8), time(12)), Span(time(12), time(16)))
    )
    monday_11_utc = datetime(2026, 11, 23, 4, tzinfo=UTC)  # 11:00 WIB
    assert calendar.add(monday_11_utc, timedelta(hours=2)) == datetime(2026, 11, 23, 6, tzinfo=UTC)


def test_calendar_open_dates_given_as_a_list_are_frozen_and_worked() -> None:
    saturday = date(2026, 11, 28)
    calendar = BusinessCalendar(
        week=weekday_hours(Span(time(8), time(16))),
        open_dates=[saturday],  # type: ignore[arg-type]
    )
    assert calendar.open_dates == frozenset({saturday})
    assert hash(calendar) == hash(calendar)
    assert calendar.spans_on(saturday) == (Span(time(8), time(16)),)


def test_calendar_fresh_always_open_days_are_whole_days() -> None:
    calendar = BusinessCalendar(always_open=True)
    monday_9_utc = datetime(2026, 11, 23, 2, tzinfo=UTC)
    assert calendar.spans_on(date(2026, 11, 28)) == (Span(time(0), time(0)),)
    assert calendar.working_days_end(monday_9_utc, 2) == datetime(2026, 11, 25, 2, tzinfo=UTC)


def test_calendar_fresh_cuti_bersama_is_closed_only_with_the_government_category() -> None:
    christmas_eve = date(2026, 12, 24)  # cuti bersama (joint leave), not a public holiday
    hours = weekday_hours(Span(time(8), time(16)))
    with_leave = BusinessCalendar(week=hours, holiday_categories=("public", "government"))
    assert with_leave.spans_on(christmas_eve) == ()
    assert BusinessCalendar(week=hours).spans_on(christmas_eve) == (Span(time(8), time(16)),)


def test_calendar_fresh_working_days_count_in_the_calendars_own_zone() -> None:
    # A calendar built here, so nothing it computes comes from another test's cache.
    # Jakarta office hours (DESIGN §3): Thu 13:34 + 1 working day is Fri 13:34; Thu 12:00 + 1
    # falls in the Friday-prayer break, so it is the close before it, Fri 11:30.
    office = BusinessCalendar(
        week=(
            *[(Span(time(7, 30), time(12)), Span(time(13), time(16)))] * 4,
            (Span(time(7, 30), time(11, 30)), Span(time(13), time(16, 30))),
            (),
            (),
        ),
        holiday_categories=("public", "government"),
    )
    thursday = date(2026, 11, 26)
    assert office.working_days_end(wib_on(thursday, 13, 34), 1) == wib_on(
        date(2026, 11, 27), 13, 34
    )
    assert office.working_days_end(wib_on(thursday, 12, 0), 1) == wib_on(date(2026, 11, 27), 11, 30)


def wib_on(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo("Asia/Jakarta"))


def test_calendar_fresh_working_day_edges() -> None:
    office = BusinessCalendar(
        week=(
            *[(Span(time(7, 30), time(12)), Span(time(13), time(16)))] * 4,
            (Span(time(7, 30), time(11, 30)), Span(time(13), time(16, 30))),
            (),
            (),
        ),
    )
    # Thu 11:30 + 1: Friday 11:30 is exactly a closing time, so it is the deadline.
    thursday, friday, monday = date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 30)
    assert office.working_days_end(wib_on(thursday, 11, 30), 1) == wib_on(friday, 11, 30)
    # Filed Saturday 06:00: Monday 06:00 is before opening and the close before it (Friday)
    # is before the report, so the close of the first working day after it: Monday 16:00.
    saturday = date(2026, 11, 28)
    assert office.working_days_end(wib_on(saturday, 6, 0), 1) == wib_on(monday, 16, 0)


def test_timer_pause_before_a_rebase_is_skipped_and_a_later_one_counts() -> None:
    # 24/7: started 08:00, held 09:00-10:00, rebased at 11:00 with 2 h carried, held from 12:00.
    day = date(2026, 11, 23)
    facts = TimerFacts(
        start=wib_on(day, 8, 0),
        target=timedelta(hours=5),
        calendar=BusinessCalendar(always_open=True),
        pauses=(Pause(wib_on(day, 9, 0), wib_on(day, 10, 0)), Pause(wib_on(day, 12, 0))),
        origin=wib_on(day, 11, 0),
        carried=timedelta(hours=2),
    )
    assert elapsed(facts, wib_on(day, 15, 0)) == timedelta(hours=3)  # 2 carried + 11:00-12:00
