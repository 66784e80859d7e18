"""Timers on a Mon-Fri 08:00-16:00 WIB office, week of Mon 2026-11-09 (no holidays).

The standard timer starts Mon 09:00 with an 8-hour target and a 75/100/150/200 ladder:
thresholds 6 h, 8 h, 12 h, 16 h fall due Mon 15:00, Tue 09:00, Tue 13:00, Wed 09:00.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla import (
    BusinessCalendar,
    Ladder,
    Level,
    Pause,
    Span,
    TimerFacts,
    deadline,
    elapsed,
    level_due_at,
    remaining,
    status,
    threshold,
    weekday_hours,
)

#: Pure code or a database of its own: the PostgreSQL pass leaves it out (tests/conftest.py).
pytestmark = pytest.mark.database_free

JAKARTA = ZoneInfo("Asia/Jakarta")
OFFICE = BusinessCalendar(week=weekday_hours(Span(time(8), time(16))))
LADDER = Ladder(
    (Level("warn", 75), Level("breach", 100), Level("area", 150), Level("governor", 200))
)
WARN, BREACH, AREA, GOVERNOR = LADDER.levels


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in November 2026, Jakarta time."""
    return datetime.combine(date(2026, 11, day), time(hour, minute), tzinfo=JAKARTA)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


MONDAY_9 = wib(9, 9)
TIMER = TimerFacts(start=MONDAY_9, target=hours(8), calendar=OFFICE)


def test_status_before_first_level_nothing_due() -> None:
    now = wib(9, 14, 59)
    result = status(TIMER, LADDER, now)
    assert result.elapsed == timedelta(hours=5, minutes=59)
    assert result.remaining == timedelta(hours=2, minutes=1)
    assert result.deadline == wib(10, 9)
    assert not result.breached
    assert result.due_levels == ()
    assert result.next_due_at == wib(9, 15)


def test_status_at_level_instant_level_is_due() -> None:
    result = status(TIMER, LADDER, wib(9, 15))
    assert result.due_levels == (WARN,)
    assert result.next_due_at == wib(10, 9)


def test_status_at_deadline_is_breached() -> None:
    result = status(TIMER, LADDER, wib(10, 9))
    assert result.breached
    assert result.remaining == timedelta(0)
    assert result.due_levels == (WARN, BREACH)
    assert result.next_due_at == wib(10, 13)


def test_status_after_downtime_lists_every_missed_level() -> None:
    result = status(TIMER, LADDER, wib(12, 10))
    assert result.elapsed == hours(7 + 8 + 8 + 2)
    assert result.remaining == -hours(17)
    assert result.due_levels == (WARN, BREACH, AREA, GOVERNOR)
    assert result.next_due_at is None


def test_elapsed_outside_hours_does_not_grow() -> None:
    assert elapsed(TIMER, wib(9, 20)) == hours(7)
    assert elapsed(TIMER, wib(10, 7, 59)) == hours(7)
    assert remaining(TIMER, wib(10, 7, 59)) == hours(1)


def test_elapsed_before_start_is_zero() -> None:
    assert elapsed(TIMER, wib(9, 8)) == timedelta(0)
    assert remaining(TIMER, wib(9, 8)) == hours(8)


def test_level_due_at_each_threshold() -> None:
    due = [level_due_at(TIMER, level.percent) for level in LADDER.levels]
    assert due == [wib(9, 15), wib(10, 9), wib(10, 13), wib(11, 9)]


def test_deadline_completed_pause_across_midnight_moves_by_business_hours() -> None:
    # Paused Tue 15:00 -> Wed 09:00: 1 h on Tuesday, 1 h on Wednesday.
    assert OFFICE.between(wib(10, 15), wib(11, 9)) == hours(2)
    pause = Pause(wib(10, 15), wib(11, 9))
    facts = TimerFacts(start=MONDAY_9, target=hours(16), calendar=OFFICE, pauses=(pause,))
    assert deadline(facts, wib(11, 10)) == wib(11, 11)


def test_deadline_current_pause_across_midnight_moves_by_business_hours() -> None:
    facts = TimerFacts(
        start=MONDAY_9, target=hours(16), calendar=OFFICE, pauses=(Pause(wib(10, 15)),)
    )
    now = wib(11, 9)
    assert deadline(facts, now) == wib(11, 11)
    assert elapsed(facts, now) == hours(14)
    assert remaining(facts, now) == hours(2)


def test_deadline_pause_over_weekend_moves_by_business_hours() -> None:
    thursday = wib(12, 9)
    unpaused = TimerFacts(start=thursday, target=hours(16), calendar=OFFICE)
    assert deadline(unpaused, thursday) == wib(16, 9)
    assert OFFICE.between(wib(13, 15), wib(16, 9)) == hours(2)
    pause = Pause(wib(13, 15), wib(16, 9))
    paused = TimerFacts(start=thursday, target=hours(16), calendar=OFFICE, pauses=(pause,))
    assert deadline(paused, thursday) == wib(16, 11)


def test_status_paused_timer_has_no_next_due_at() -> None:
    facts = TimerFacts(
        start=MONDAY_9, target=hours(8), calendar=OFFICE, pauses=(Pause(wib(9, 14)),)
    )
    result = status(facts, LADDER, wib(10, 10))
    assert result.elapsed == hours(5)
    # Deadline Tue 09:00 plus the pause so far: Mon 14-16 and Tue 08-10.
    assert result.deadline == wib(10, 13)
    assert result.due_levels == ()
    assert result.next_due_at is None


def test_level_due_at_while_paused_is_none_unless_reached_before_pause() -> None:
    facts = TimerFacts(
        start=MONDAY_9, target=hours(8), calendar=OFFICE, pauses=(Pause(wib(9, 14)),)
    )
    assert level_due_at(facts, 75) is None
    assert level_due_at(facts, 50) == wib(9, 13)


def test_level_due_at_pause_starting_on_the_due_instant_is_reached_only_after() -> None:
    # Holding at the very instant is "at or before": not reached while the hold lasts …
    paused = TimerFacts(
        start=MONDAY_9, target=hours(8), calendar=OFFICE, pauses=(Pause(wib(9, 15)),)
    )
    assert level_due_at(paused, 75) is None
    assert status(paused, LADDER, wib(10, 12)).due_levels == ()
    # … and once resumed it is due, keeping its instant.
    resumed = TimerFacts(
        start=MONDAY_9,
        target=hours(8),
        calendar=OFFICE,
        pauses=(Pause(wib(9, 15), wib(10, 10)),),
    )
    assert level_due_at(resumed, 75) == wib(9, 15)
    assert status(resumed, LADDER, wib(10, 11)).due_levels == (WARN,)


def test_elapsed_queried_before_a_later_pause_is_not_moved_by_it() -> None:
    # Facts from Wednesday replayed at Monday 10:00 for a timeline: paused later on.
    pause = Pause(wib(10, 9), wib(10, 12))
    facts = TimerFacts(start=MONDAY_9, target=hours(8), calendar=OFFICE, pauses=(pause,))
    assert elapsed(facts, wib(9, 10)) == hours(1)
    assert level_due_at(facts, 25) == wib(9, 11)


def test_status_stopped_timer_viewed_before_stop_has_no_next_due_at() -> None:
    facts = TimerFacts(start=MONDAY_9, target=hours(8), calendar=OFFICE, stopped_at=wib(10, 15))
    result = status(facts, LADDER, wib(9, 10))
    assert result.due_levels == ()
    assert result.next_due_at is None


def test_level_due_at_after_resume_shifts_by_completed_pause() -> None:
    pause = Pause(wib(9, 10), wib(9, 12))
    facts = TimerFacts(start=MONDAY_9, target=hours(8), calendar=OFFICE, pauses=(pause,))
    assert level_due_at(facts, 75) == wib(10, 9)


def test_pause_after_the_deadline_passed_moves_nothing_already_due() -> None:
    # Breach due Tue 09:00; held Tue 10:00 → Wed 10:00. Deadline and levels stay put.
    pause = Pause(wib(10, 10), wib(11, 10))
    facts = TimerFacts(start=MONDAY_9, target=hours(8), calendar=OFFICE, pauses=(pause,))
    assert deadline(facts, wib(11, 11)) == wib(10, 9)
    assert level_due_at(facts, 75) == wib(9, 15)
    assert level_due_at(facts, 100) == wib(10, 9)
    # 12 h: Mon 9–16 (7 h), Tue 8–10 (2 h), held until Wed 10:00, then Wed 10–13 (3 h).
    assert level_due_at(facts, 150) == wib(11, 13)


def test_status_stopped_timer_freezes() -> None:
    facts = TimerFacts(start=MONDAY_9, target=hours(8), calendar=OFFICE, stopped_at=wib(9, 12))
    result = status(facts, LADDER, wib(12, 10))
    assert result.elapsed == hours(3)
    assert result.remaining == hours(5)
    assert not result.breached
    assert result.due_levels == ()
    assert result.next_due_at is None
    assert result.deadline == wib(10, 9)
    assert level_due_at(facts, 25) == wib(9, 11)
    assert level_due_at(facts, 75) is None


def test_status_stopped_after_breach_stays_breached() -> None:
    facts = TimerFacts(start=MONDAY_9, target=hours(8), calendar=OFFICE, stopped_at=wib(10, 10))
    result = status(facts, LADDER, wib(12, 10))
    assert result.breached
    assert result.due_levels == (WARN, BREACH)
    assert result.next_due_at is None


def test_status_stopped_while_paused_counts_pause_until_stop() -> None:
    facts = TimerFacts(
        start=MONDAY_9,
        target=hours(8),
        calendar=OFFICE,
        pauses=(Pause(wib(9, 11)),),
        stopped_at=wib(9, 15),
    )
    result = status(facts, LADDER, wib(11, 10))
    assert result.elapsed == hours(2)
    assert result.deadline == wib(10, 13)
    assert result.next_due_at is None


def test_status_always_open_timer_runs_overnight() -> None:
    facts = TimerFacts(
        start=wib(7, 22), target=hours(4), calendar=BusinessCalendar(always_open=True)
    )
    result = status(facts, LADDER, wib(8, 1))
    assert result.deadline == wib(8, 2)
    assert result.due_levels == (WARN,)
    assert result.next_due_at == wib(8, 2)


def test_status_empty_ladder_nothing_due() -> None:
    result = status(TIMER, Ladder(()), wib(12, 10))
    assert result.breached
    assert result.due_levels == ()
    assert result.next_due_at is None


@pytest.mark.parametrize(
    ("target", "percent", "expected"),
    [
        (hours(8), 75, hours(6)),
        (hours(8), 150, hours(12)),
        (hours(7), 75, timedelta(hours=5, minutes=15)),
        (timedelta(microseconds=999), 33, timedelta(microseconds=329)),
        (timedelta(days=3, microseconds=1), 100, timedelta(days=3, microseconds=1)),
    ],
)
def test_threshold_integer_microseconds(
    target: timedelta, percent: int, expected: timedelta
) -> None:
    assert threshold(target, percent) == expected


def test_level_due_at_hundred_percent_equals_deadline_for_odd_target() -> None:
    target = timedelta(hours=7, minutes=13, seconds=17, microseconds=3)
    facts = TimerFacts(start=MONDAY_9, target=target, calendar=OFFICE)
    assert level_due_at(facts, 100) == deadline(facts, MONDAY_9)


def test_timer_facts_naive_start_raises() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        TimerFacts(start=datetime(2026, 11, 9, 9), target=hours(8), calendar=OFFICE)  # noqa: DTZ001


@pytest.mark.parametrize(
    ("field", "value"),
    [("pauses", (Pause(wib(9, 8)),)), ("stopped_at", wib(9, 8)), ("origin", wib(9, 8))],
)
def test_timer_facts_moment_before_start_raises(field: str, value: object) -> None:
    with pytest.raises(ValueError, match="before the timer started"):
        TimerFacts(start=MONDAY_9, target=hours(8), calendar=OFFICE, **{field: value})  # type: ignore[arg-type]


def test_timer_facts_overlapping_pauses_raise() -> None:
    pauses = (Pause(wib(9, 10)), Pause(wib(9, 11), wib(9, 12)))
    with pytest.raises(ValueError, match="pauses must be in order"):
        TimerFacts(start=MONDAY_9, target=hours(8), calendar=OFFICE, pauses=pauses)


@pytest.mark.parametrize(("field", "value"), [("target", -hours(1)), ("carried", -hours(1))])
def test_timer_facts_negative_duration_raises(field: str, value: timedelta) -> None:
    arguments = {"start": MONDAY_9, "target": hours(8), "calendar": OFFICE, field: value}
    with pytest.raises(ValueError, match="negative"):
        TimerFacts(**arguments)  # type: ignore[arg-type]


def test_status_naive_now_raises() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        status(TIMER, LADDER, datetime(2026, 11, 9, 9))  # noqa: DTZ001
