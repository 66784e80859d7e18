"""Calendar algebra and timer invariants, checked by hypothesis on awkward calendars.

Instants favour local span boundaries (openings, closings, lunch, midnight), where an off-by-one
in the "a deadline at closing time is that closing time" rule would show.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla import (
    BusinessCalendar,
    Ladder,
    Level,
    Pause,
    Span,
    TimerFacts,
    deadline,
    status,
    weekday_hours,
)

#: Pure code or a database of its own: the PostgreSQL pass leaves it out (tests/conftest.py).
pytestmark = pytest.mark.database_free

JAKARTA = ZoneInfo("Asia/Jakarta")
FIRST_DAY = date(2025, 1, 1)
DAYS = (date(2028, 12, 31) - FIRST_DAY).days
MAX_MINUTES = 40 * 8 * 60  # about 40 working days of an 8-hour office

CALENDARS = [
    BusinessCalendar(
        week=weekday_hours(Span(time(8), time(16))), holiday_categories=("public", "government")
    ),
    BusinessCalendar(
        week=weekday_hours(Span(time(8), time(12)), Span(time(13), time(16))),
        holiday_categories=("public", "government"),
        closed_dates=frozenset({date(2026, 11, 10), date(2027, 6, 30)}),
        open_dates=frozenset({date(2026, 11, 7), date(2027, 3, 13)}),
    ),
    # Night shift touching across midnight, in WITA while the instants are drawn in WIB.
    BusinessCalendar(
        timezone="Asia/Makassar",
        week=((Span(time(0), time(2)), Span(time(20), time(0))),) * 7,
    ),
    BusinessCalendar(always_open=True),
]
BOUNDARIES = [time(h) for h in (0, 2, 7, 8, 12, 13, 16, 20, 23)]
LADDER = Ladder((Level("warn", 75), Level("breach", 100), Level("area", 150), Level("gov", 200)))

calendars = st.sampled_from(CALENDARS)
instants = st.builds(
    lambda day, wall: datetime.combine(FIRST_DAY + timedelta(days=day), wall, JAKARTA).astimezone(
        UTC
    ),
    st.integers(0, DAYS),
    st.one_of(st.sampled_from(BOUNDARIES), st.times()),
)
durations = st.one_of(
    st.integers(0, MAX_MINUTES).map(lambda minutes: timedelta(minutes=minutes)),
    st.integers(0, 40 * 8).map(lambda h: timedelta(hours=h)),
)

examples = settings(max_examples=200, deadline=None)


@examples
@given(calendars, instants, durations, durations)
def test_add_composes(calendar: BusinessCalendar, t: datetime, a: timedelta, b: timedelta) -> None:
    assert calendar.add(calendar.add(t, a), b) == calendar.add(t, a + b)


@examples
@given(calendars, instants, durations)
def test_between_inverts_add(calendar: BusinessCalendar, t: datetime, d: timedelta) -> None:
    assert calendar.between(t, calendar.add(t, d)) == d


@examples
@given(calendars, instants, durations)
def test_add_never_before_start_and_returns_utc(
    calendar: BusinessCalendar, t: datetime, d: timedelta
) -> None:
    result = calendar.add(t, d)
    assert result >= t
    assert result.tzinfo is UTC


@examples
@given(calendars, instants, durations)
def test_add_positive_duration_ends_in_or_at_end_of_working_time(
    calendar: BusinessCalendar, t: datetime, d: timedelta
) -> None:
    result = calendar.add(t, d)
    if d:
        # The instant just before the result was working time: no deadline lands mid-closure.
        assert calendar.is_open(result - timedelta(microseconds=1))


@examples
@given(calendars, st.lists(instants, min_size=3, max_size=3).map(sorted))
def test_between_is_additive(calendar: BusinessCalendar, moments: list[datetime]) -> None:
    a, b, c = moments
    assert calendar.between(a, c) == calendar.between(a, b) + calendar.between(b, c)


@examples
@given(calendars, instants, durations, durations, durations)
def test_deadline_longer_completed_pause_never_earlier(
    calendar: BusinessCalendar,
    start: datetime,
    target: timedelta,
    pause: timedelta,
    more: timedelta,
) -> None:
    begin = start + pause
    shorter = TimerFacts(
        start=start, target=target, calendar=calendar, pauses=(Pause(begin, begin + more),)
    )
    longer = TimerFacts(
        start=start, target=target, calendar=calendar, pauses=(Pause(begin, begin + 2 * more),)
    )
    assert deadline(shorter, start) <= deadline(longer, start)


@examples
@given(calendars, instants, durations, durations, durations)
def test_pause_moves_the_deadline_by_exactly_the_paused_business_time_or_not_at_all(
    calendar: BusinessCalendar,
    start: datetime,
    target: timedelta,
    offset: timedelta,
    length: timedelta,
) -> None:
    plain = TimerFacts(start=start, target=target, calendar=calendar)
    begin, end = start + offset, start + offset + length
    paused = TimerFacts(start=start, target=target, calendar=calendar, pauses=(Pause(begin, end),))
    before = deadline(plain, start)
    after = deadline(paused, end)
    if before <= begin:
        assert after == before  # a pause after the deadline passed moves nothing
    else:
        moved = calendar.between(before, after)
        assert moved == calendar.between(begin, end)


@examples
@given(calendars, instants, durations, durations, durations)
def test_deadline_ongoing_pause_never_moves_earlier(
    calendar: BusinessCalendar, start: datetime, target: timedelta, wait: timedelta, more: timedelta
) -> None:
    facts = TimerFacts(start=start, target=target, calendar=calendar, pauses=(Pause(start + wait),))
    now = start + wait
    assert deadline(facts, now) <= deadline(facts, now + more)


@examples
@given(calendars, instants, durations, durations)
def test_status_running_timer_is_consistent(
    calendar: BusinessCalendar, start: datetime, target: timedelta, wait: timedelta
) -> None:
    facts = TimerFacts(start=start, target=target + timedelta(minutes=1), calendar=calendar)
    now = start + wait
    result = status(facts, LADDER, now)
    assert result.elapsed + result.remaining == facts.target
    assert calendar.between(now, result.deadline) == max(result.remaining, timedelta(0))
    if result.next_due_at is not None:
        assert result.next_due_at > now
        later = status(facts, LADDER, result.next_due_at)
        assert len(later.due_levels) == len(result.due_levels) + 1


# --- working days ("N hari kerja") ------------------------------------------------------------

working_days = st.integers(1, 10)


def _shortest_day(calendar: BusinessCalendar) -> timedelta:
    """The least working time of any day of the week (closed days left out)."""
    if calendar.always_open:
        return timedelta(days=1)
    lengths = [sum((s.length for s in day), timedelta(0)) for day in calendar.week if day]
    return min(lengths)


@examples
@given(calendars, st.lists(instants, min_size=2, max_size=2).map(sorted), working_days)
def test_working_days_end_never_earlier_for_a_later_start(
    calendar: BusinessCalendar, starts: list[datetime], days: int
) -> None:
    """A report filed later is never due earlier (Sat 07:31 + 1 was Mon 07:31 while Sat 06:00
    + 1 was Mon 16:00)."""
    early, late = starts
    assert calendar.working_days_end(early, days) <= calendar.working_days_end(late, days)


@examples
@given(calendars, instants, working_days)
def test_working_days_end_gives_at_least_most_of_n_working_days(
    calendar: BusinessCalendar, start: datetime, days: int
) -> None:
    """N working days hold at least N - 1 whole days and half the shortest: a report filed on
    a closed day got minutes (Sat 07:31 + 1 = Mon 07:31, one minute of working time)."""
    end = calendar.working_days_end(start, days)
    shortest = _shortest_day(calendar)
    assert end > start
    assert calendar.between(start, end) >= (days - 1) * shortest + shortest / 2
    assert calendar.is_open(end) or calendar.is_open(end - timedelta(microseconds=1))
