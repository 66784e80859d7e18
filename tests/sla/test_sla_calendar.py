"""Business calendar arithmetic, hand-computed on a Mon-Fri 08:00-16:00 WIB office.

November 2026 has no Indonesian holidays: Fri 6, Mon 9 ... Fri 13 are plain working days.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla import BusinessCalendar, Span, weekday_hours

#: Pure code or a database of its own: the PostgreSQL pass leaves it out (tests/conftest.py).
pytestmark = pytest.mark.database_free

JAKARTA = ZoneInfo("Asia/Jakarta")
OFFICE = BusinessCalendar(week=weekday_hours(Span(time(8), time(16))))
OFFICE_WITH_CUTI_BERSAMA = BusinessCalendar(
    week=weekday_hours(Span(time(8), time(16))), holiday_categories=("public", "government")
)
LUNCH_BREAK = BusinessCalendar(
    week=weekday_hours(Span(time(8), time(12)), Span(time(13), time(16)))
)
ALWAYS_OPEN = BusinessCalendar(always_open=True)


def wib(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=JAKARTA)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def test_add_friday_afternoon_rolls_over_weekend_to_monday() -> None:
    assert OFFICE.add(wib(date(2026, 11, 6), 15), hours(2)) == wib(date(2026, 11, 9), 9)


def test_add_any_input_zone_returns_utc() -> None:
    result = OFFICE.add(wib(date(2026, 11, 6), 15).astimezone(ZoneInfo("Asia/Makassar")), hours(2))
    assert result.tzinfo is UTC
    assert result == datetime(2026, 11, 9, 2, tzinfo=UTC)


def test_add_public_holiday_monday_is_skipped() -> None:
    # Mon 2026-08-17 is Independence Day.
    assert OFFICE.add(wib(date(2026, 8, 14), 15), hours(2)) == wib(date(2026, 8, 18), 9)


def test_add_cuti_bersama_without_government_category_is_worked() -> None:
    # Thu 2026-12-24 is the Christmas joint holiday (category "government").
    assert OFFICE.add(wib(date(2026, 12, 23), 15), hours(2)) == wib(date(2026, 12, 24), 9)


def test_add_cuti_bersama_with_government_category_is_skipped() -> None:
    # Thu 24 joint holiday, Fri 25 Christmas, then the weekend.
    result = OFFICE_WITH_CUTI_BERSAMA.add(wib(date(2026, 12, 23), 15), hours(2))
    assert result == wib(date(2026, 12, 28), 9)


def test_add_across_lunch_break_skips_the_break() -> None:
    assert LUNCH_BREAK.add(wib(date(2026, 11, 10), 11), hours(2)) == wib(date(2026, 11, 10), 14)


def test_add_ending_at_lunch_returns_noon_not_reopening() -> None:
    assert LUNCH_BREAK.add(wib(date(2026, 11, 10), 11), hours(1)) == wib(date(2026, 11, 10), 12)


def test_add_landing_on_closing_time_returns_closing_time() -> None:
    assert OFFICE.add(wib(date(2026, 11, 10), 14), hours(2)) == wib(date(2026, 11, 10), 16)


def test_add_from_closing_time_continues_next_working_day() -> None:
    assert OFFICE.add(wib(date(2026, 11, 10), 16), hours(1)) == wib(date(2026, 11, 11), 9)


def test_add_from_friday_closing_continues_monday() -> None:
    assert OFFICE.add(wib(date(2026, 11, 6), 16), hours(1)) == wib(date(2026, 11, 9), 9)


def test_add_zero_outside_hours_returns_start() -> None:
    saturday_night = wib(date(2026, 11, 7), 3)
    assert OFFICE.add(saturday_night, timedelta(0)) == saturday_night


def test_add_before_opening_starts_counting_at_opening() -> None:
    assert OFFICE.add(wib(date(2026, 11, 10), 6), hours(1)) == wib(date(2026, 11, 10), 9)


def test_add_three_workdays_lands_three_days_later() -> None:
    assert OFFICE.add(wib(date(2026, 11, 9), 10), 3 * OFFICE.workday) == wib(date(2026, 11, 12), 10)


def test_add_negative_duration_raises() -> None:
    with pytest.raises(ValueError, match="negative"):
        OFFICE.add(wib(date(2026, 11, 9), 10), -hours(1))


@pytest.mark.parametrize(
    "call",
    [
        lambda naive: OFFICE.add(naive, hours(1)),
        lambda naive: OFFICE.between(naive, wib(date(2026, 11, 9), 10)),
        lambda naive: OFFICE.between(wib(date(2026, 11, 9), 10), naive),
        OFFICE.is_open,
        OFFICE.next_open,
        ALWAYS_OPEN.next_open,
    ],
)
def test_calendar_naive_datetime_raises(call: Callable[[datetime], object]) -> None:
    naive = datetime(2026, 11, 9, 10)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="timezone-aware"):
        call(naive)


def test_between_over_weekend_counts_friday_and_monday_hours() -> None:
    assert OFFICE.between(wib(date(2026, 11, 6), 15), wib(date(2026, 11, 9), 9)) == hours(2)


def test_between_reversed_bounds_is_zero() -> None:
    assert OFFICE.between(wib(date(2026, 11, 9), 15), wib(date(2026, 11, 9), 9)) == timedelta(0)


def test_between_over_lunch_excludes_the_break() -> None:
    span = LUNCH_BREAK.between(wib(date(2026, 11, 10), 11), wib(date(2026, 11, 10), 14))
    assert span == hours(2)


def test_between_whole_month_counts_every_working_day() -> None:
    # November 2026: 21 weekdays, no holidays.
    month = OFFICE.between(wib(date(2026, 11, 1), 0), wib(date(2026, 12, 1), 0))
    assert month == 21 * hours(8)


def test_between_across_holiday_skips_it() -> None:
    assert OFFICE.between(wib(date(2026, 8, 14), 15), wib(date(2026, 8, 18), 9)) == hours(2)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (wib(date(2026, 11, 10), 8), True),
        (wib(date(2026, 11, 10), 15, 59), True),
        (wib(date(2026, 11, 10), 16), False),
        (wib(date(2026, 11, 10), 7, 59), False),
        (wib(date(2026, 11, 7), 10), False),
        (wib(date(2026, 8, 17), 10), False),
    ],
)
def test_is_open_office_hours_boundaries(moment: datetime, expected: bool) -> None:
    assert OFFICE.is_open(moment) is expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (wib(date(2026, 11, 10), 10), wib(date(2026, 11, 10), 10)),
        (wib(date(2026, 11, 10), 16), wib(date(2026, 11, 11), 8)),
        (wib(date(2026, 11, 7), 10), wib(date(2026, 11, 9), 8)),
        (wib(date(2026, 8, 16), 10), wib(date(2026, 8, 18), 8)),
    ],
)
def test_next_open_closed_moment_returns_next_opening(moment: datetime, expected: datetime) -> None:
    assert OFFICE.next_open(moment) == expected


def test_next_open_lunch_break_returns_afternoon_opening() -> None:
    assert LUNCH_BREAK.next_open(wib(date(2026, 11, 10), 12, 30)) == wib(date(2026, 11, 10), 13)


def test_always_open_add_is_plain_addition_even_on_holidays() -> None:
    start = wib(date(2026, 8, 16), 22)
    assert ALWAYS_OPEN.add(start, hours(50)) == start + hours(50)


def test_always_open_between_is_plain_difference() -> None:
    start, end = wib(date(2026, 8, 15), 3), wib(date(2026, 8, 18), 21, 17)
    assert ALWAYS_OPEN.between(start, end) == end - start
    assert ALWAYS_OPEN.is_open(start)


def test_closed_date_is_skipped() -> None:
    closed = BusinessCalendar(
        week=weekday_hours(Span(time(8), time(16))), closed_dates=frozenset({date(2026, 11, 10)})
    )
    assert closed.add(wib(date(2026, 11, 9), 15), hours(2)) == wib(date(2026, 11, 11), 9)


def test_open_saturday_is_worked_with_monday_hours() -> None:
    # Friday closes at 11:30; the open Saturday works Monday's 08:00-16:00 regardless.
    short_friday = ((Span(time(8), time(16)),),) * 4 + ((Span(time(8), time(11, 30)),), (), ())
    calendar = BusinessCalendar(week=short_friday, open_dates=frozenset({date(2026, 11, 7)}))
    assert calendar.add(wib(date(2026, 11, 6), 11), hours(1)) == wib(date(2026, 11, 7), 8, 30)
    assert calendar.add(wib(date(2026, 11, 7), 15), hours(1)) == wib(date(2026, 11, 7), 16)


def test_open_date_on_holiday_is_worked() -> None:
    calendar = BusinessCalendar(
        week=weekday_hours(Span(time(8), time(16))), open_dates=frozenset({date(2026, 8, 17)})
    )
    assert calendar.add(wib(date(2026, 8, 14), 15), hours(2)) == wib(date(2026, 8, 17), 9)


def test_open_date_week_day_chooses_whose_spans_apply() -> None:
    week = (*weekday_hours(Span(time(8), time(16)))[:5], (Span(time(9), time(12)),), ())
    calendar = BusinessCalendar(
        week=week, open_dates=frozenset({date(2026, 11, 8)}), open_date_week_day=5
    )
    assert calendar.spans_on(date(2026, 11, 8)) == (Span(time(9), time(12)),)


def test_other_zone_counts_local_hours() -> None:
    makassar = ZoneInfo("Asia/Makassar")
    wita = BusinessCalendar(timezone="Asia/Makassar", week=weekday_hours(Span(time(8), time(16))))
    start = datetime(2026, 11, 6, 15, tzinfo=makassar)
    assert wita.add(start, hours(2)) == datetime(2026, 11, 9, 9, tzinfo=makassar)


def test_span_ending_at_midnight_joins_next_day_span() -> None:
    night = (Span(time(0), time(2)), Span(time(20), time(0)))
    calendar = BusinessCalendar(week=(night,) * 7, holiday_country=None)
    assert calendar.add(wib(date(2026, 11, 9), 23), hours(2)) == wib(date(2026, 11, 10), 1)
    assert calendar.is_open(wib(date(2026, 11, 10), 0))


def test_dst_spring_forward_day_has_23_hours() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    calendar = BusinessCalendar(
        timezone="Europe/Berlin", week=((Span(time(0), time(0)),),) * 7, holiday_country=None
    )
    # 2026-03-29 02:00 CET jumps to 03:00 CEST.
    saturday = datetime(2026, 3, 28, tzinfo=berlin)
    assert calendar.between(saturday, datetime(2026, 3, 30, tzinfo=berlin)) == hours(47)
    assert calendar.add(datetime(2026, 3, 29, 1, tzinfo=berlin), hours(2)) == datetime(
        2026, 3, 29, 4, tzinfo=berlin
    )


def test_dst_span_cut_by_spring_forward_counts_no_time_twice() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    week = ((Span(time(1), time(2, 30)), Span(time(3), time(5))),) * 7
    calendar = BusinessCalendar(timezone="Europe/Berlin", week=week, holiday_country=None)
    # 02:30 does not exist on 2026-03-29: the first span really ends at the jump to 03:00.
    day = calendar.between(
        datetime(2026, 3, 29, tzinfo=berlin), datetime(2026, 3, 29, 6, tzinfo=berlin)
    )
    assert day == hours(3)
    week_before = calendar.between(
        datetime(2026, 3, 22, tzinfo=berlin), datetime(2026, 3, 22, 6, tzinfo=berlin)
    )
    assert week_before == hours(3.5)


def test_dst_office_hours_follow_local_wall_clock() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    calendar = BusinessCalendar(
        timezone="Europe/Berlin", week=weekday_hours(Span(time(9), time(17))), holiday_country=None
    )
    friday = datetime(2026, 3, 27, 16, tzinfo=berlin)
    assert calendar.add(friday, hours(2)) == datetime(2026, 3, 30, 10, tzinfo=berlin)


@pytest.mark.parametrize(
    ("calendar", "expected"),
    [
        (OFFICE, hours(8)),
        (LUNCH_BREAK, hours(7)),
        (ALWAYS_OPEN, hours(24)),
        (
            BusinessCalendar(week=((), *weekday_hours(Span(time(7), time(13)))[:6])),
            hours(6),
        ),
    ],
)
def test_workday_is_first_working_day_length(
    calendar: BusinessCalendar, expected: timedelta
) -> None:
    assert calendar.workday == expected


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"week": weekday_hours(Span(time(8), time(16)))[:6]}, "7 days"),
        ({"week": ((Span(time(8), time(12)), Span(time(11), time(16))),) * 7}, "overlap"),
        ({"week": ((Span(time(13), time(16)), Span(time(8), time(12))),) * 7}, "sorted"),
        ({"week": ((),) * 7}, "no working spans"),
        ({"timezone": "Asia/Nowhere"}, "time zone"),
        ({"holiday_country": "XX"}, "holiday data"),
        ({"holiday_categories": ("bogus",)}, "no holiday category 'bogus' for country 'ID'; use "),
        (
            {
                "closed_dates": frozenset({date(2026, 11, 7)}),
                "open_dates": frozenset({date(2026, 11, 7)}),
            },
            "both closed and open",
        ),
        ({"open_dates": frozenset({date(2026, 11, 7)}), "open_date_week_day": 6}, "has none"),
        ({"open_date_week_day": 7}, "0-6"),
    ],
)
def test_calendar_invalid_configuration_raises(options: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"week": weekday_hours(Span(time(8), time(16)))} | options
    with pytest.raises(ValueError, match=message):
        BusinessCalendar(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("start", "end"), [(time(16), time(8)), (time(8), time(8)), (time(8, 30), time(8, 29))]
)
def test_span_end_not_after_start_raises(start: time, end: time) -> None:
    with pytest.raises(ValueError, match="end after it starts"):
        Span(start, end)


def test_span_aware_time_raises() -> None:
    with pytest.raises(ValueError, match="wall-clock"):
        Span(time(8, tzinfo=UTC), time(16))


def test_calendar_lists_and_sets_are_frozen_and_hashable() -> None:
    calendar = BusinessCalendar(
        week=[[Span(time(8), time(16))]] * 5 + [[], []],  # type: ignore[arg-type]
        closed_dates={date(2026, 11, 10)},  # type: ignore[arg-type]
    )
    assert calendar == BusinessCalendar(
        week=weekday_hours(Span(time(8), time(16))), closed_dates=frozenset({date(2026, 11, 10)})
    )
    assert hash(calendar)


def test_calendar_closed_for_years_raises_instead_of_looping() -> None:
    mondays = frozenset(date(2026, 11, 9) + timedelta(weeks=n) for n in range(53 * 3))
    monday_only = ((Span(time(8), time(16)),),) + ((),) * 6
    calendar = BusinessCalendar(week=monday_only, closed_dates=mondays)
    with pytest.raises(ValueError, match="no working time"):
        calendar.add(wib(date(2026, 11, 9), 9), hours(1))
    assert calendar.add(wib(date(2026, 11, 9), 9), timedelta(0)) == wib(date(2026, 11, 9), 9)
