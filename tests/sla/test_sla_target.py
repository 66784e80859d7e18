"""Targets in two units, side by side: business minutes and working days ("N hari kerja").

Every expected instant below is worked out by hand on the Jakarta office calendar (DKI ASN
hours): Mon–Thu 07:30–12:00 and 13:00–16:00, Fri 07:30–11:30 and 13:00–16:30, closed at
weekends. Week of Mon 23 Nov 2026 (no holidays); Thu = 26 Nov, Fri = 27 Nov.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla import BusinessCalendar, Span, Target, TimerFacts, level_due_at, parse_target

#: Pure code or a database of its own: the PostgreSQL pass leaves it out (tests/conftest.py).
pytestmark = pytest.mark.database_free

WIB = ZoneInfo("Asia/Jakarta")
MON_THU = (Span(time(7, 30), time(12)), Span(time(13), time(16)))
FRIDAY = (Span(time(7, 30), time(11, 30)), Span(time(13), time(16, 30)))
OFFICE = BusinessCalendar(week=(MON_THU,) * 4 + (FRIDAY, (), ()), holiday_country=None)
ALWAYS = BusinessCalendar(always_open=True)


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(date(2026, 11, day), time(hour, minute), tzinfo=WIB)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (wib(26, 13, 34), 1, wib(27, 13, 34)),  # same local time on the next working day
        (wib(26, 12, 0), 1, wib(27, 11, 30)),  # Fri 12:00 is in the prayer break
        (wib(26, 23, 0), 1, wib(27, 16, 30)),  # filed at night: close of the Nth working day
        (wib(27, 10, 0), 1, wib(30, 10, 0)),  # Friday + 1 → Monday, over the weekend
        (wib(23, 6, 0), 1, wib(23, 16, 0)),  # before opening: close of the day before Tue
        (wib(23, 9, 0), 5, wib(30, 9, 0)),  # Mon + 5 working days
        # Filed on a closed day: Monday is the first working day, due at its close, whatever
        # the hour on Saturday (the wall clock gave Sat 07:31 + 1 = Mon 07:31: one minute).
        (wib(28, 10, 0), 1, wib(30, 16, 0)),
        (wib(28, 7, 31), 1, wib(30, 16, 0)),
        (wib(28, 6, 0), 1, wib(30, 16, 0)),
        (wib(29, 23, 59), 1, wib(30, 16, 0)),
        (wib(28, 7, 31), 3, datetime.combine(date(2026, 12, 2), time(16), tzinfo=WIB)),
        (wib(27, 20, 0), 1, wib(30, 16, 0)),  # Friday night: the same Monday close
    ],
)
def test_working_days_end_same_local_time_or_last_close(
    start: datetime, days: int, expected: datetime
) -> None:
    assert OFFICE.working_days_end(start, days) == expected


def test_one_working_day_filed_at_the_weekend_is_a_whole_monday() -> None:
    target = parse_target("1d")
    for saturday in (wib(28, 6, 0), wib(28, 7, 31), wib(28, 15, 0)):
        assert target.duration(OFFICE, saturday) == timedelta(hours=7, minutes=30)


def test_one_working_day_is_not_a_fixed_number_of_minutes() -> None:
    # The old reading (1d = Monday's 450 minutes) gave Fri 14:04; officials expect Fri 13:34.
    target = parse_target("1d")
    start = wib(26, 13, 34)
    assert target.deadline(OFFICE, start) == wib(27, 13, 34)
    assert target.duration(OFFICE, start) == timedelta(minutes=146 + 240 + 34)  # 420


def test_ladder_shares_are_of_the_business_time_to_that_deadline() -> None:
    start = wib(26, 13, 34)
    facts = TimerFacts(
        start=start, target=parse_target("1d").duration(OFFICE, start), calendar=OFFICE
    )
    assert level_due_at(facts, 75) == wib(27, 10, 19)  # 315 of 420 minutes
    assert level_due_at(facts, 100) == wib(27, 13, 34)


def test_hours_stay_business_minutes_side_by_side_with_days() -> None:
    start = wib(26, 13, 34)
    hours = parse_target("7h")  # 420 business minutes, like 1d above, yet…
    assert hours.deadline(OFFICE, start) == wib(27, 13, 34)
    friday = wib(27, 15, 0)
    # …from Friday 15:00 they differ: 4 h runs into Monday morning, 1d is Monday 15:00.
    assert parse_target("4h").deadline(OFFICE, friday) == wib(30, 10, 0)
    assert parse_target("1d").deadline(OFFICE, friday) == wib(30, 15, 0)


def test_days_on_an_always_open_calendar_are_whole_days() -> None:
    assert parse_target("2d").deadline(ALWAYS, wib(26, 23, 0)) == wib(28, 23, 0)
    assert parse_target("24h").duration(ALWAYS, wib(26, 23, 0)) == timedelta(hours=24)


def test_days_then_hours() -> None:
    assert parse_target("1d2h").deadline(OFFICE, wib(26, 13, 34)) == wib(27, 15, 34)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", Target(business=timedelta(minutes=30))),
        ("4h", Target(business=timedelta(hours=4))),
        ("1h30m", Target(business=timedelta(minutes=90))),
        (" 1h 30m ", Target(business=timedelta(minutes=90))),
        ("3d", Target(days=3)),
        ("1d2h", Target(days=1, business=timedelta(hours=2))),
        ("2D", Target(days=2)),
        ("90", Target(business=timedelta(minutes=90))),
    ],
)
def test_parse_target_valid_text(text: str, expected: Target) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "  ", "abc", "1.5h", "-5", "30m1h", "h", "1w", "4 hours", "\u00b2", "1h30", "0", "0d"],
)
def test_parse_target_invalid_text_raises(text: str) -> None:
    with pytest.raises(ValueError, match=r"invalid duration|must be positive"):
        parse_target(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("90x", 'invalid duration 90x: give days, hours and minutes, each with its unit, in that '
         'order: "30m", "4h", "1h30m", "3d" or "1d4h"'),
        ("999999999999h", "999999999999h is too long: a target counts at most 1000 working days "
         "(1000d) and 10000 hours of business time (10000h)"),
        ("1001d", "1001d is too long: a target counts at most 1000 working days (1000d) and "
         "10000 hours of business time (10000h)"),
    ],
)  # fmt: skip
def test_parse_target_offers_only_the_forms_it_takes_and_bounds_them(
    text: str, message: str
) -> None:
    with pytest.raises(ValueError) as raised:
        parse_target(text)
    assert str(raised.value) == message


def test_the_longest_targets_parse() -> None:
    assert parse_target("1000d10000h") == Target(days=1000, business=timedelta(hours=10_000))
