"""Business calendars: when a service is at work, and business-time arithmetic over it.

A calendar turns local working hours into absolute working intervals: weekly spans in an IANA
time zone, minus public holidays (the `holidays` package) and local closures, plus extra
working days. Arithmetic walks those intervals day by day, so a 30-business-day target costs
about 45 iterations, not 40,000 minutes.

Intervals are half-open, [opens, closes): an instant at closing time is not working time, yet a
duration that runs out exactly at closing time ends *at* closing time. "2 hours from 14:00" on
a 08:00-16:00 day is 16:00 today, not 08:00 tomorrow; adding more time from 16:00 continues at
the next opening, so `add(add(t, a), b) == add(t, a + b)` holds.

Every result is an aware datetime in UTC, whatever zone the arguments were in.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = ["BusinessCalendar", "Span", "to_utc", "weekday_hours"]

_ZERO = timedelta(0)
_DAY = timedelta(days=1)
_MIDNIGHT = time(0)
# A calendar without a single working minute for this long is misconfigured (every date
# closed, say); fail loudly instead of walking towards year 9999.
_MAX_IDLE_DAYS = 2 * 366
_MAX_CACHED_DAYS = 4096
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def to_utc(value: datetime, name: str = "datetime") -> datetime:
    """Return `value` in UTC; raise ValueError if it is naive (its zone would be a guess)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def _offset(moment: time) -> timedelta:
    return timedelta(
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        microseconds=moment.microsecond,
    )


@dataclass(frozen=True)
class Span:
    """Working hours within one local day, [start, end), in wall-clock time.

    `end == time(0)` means midnight at the end of the day, so `Span(time(0), time(0))` is the
    whole day and `Span(time(16), time(0))` an evening shift.
    """

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("span times are local wall-clock times; the calendar has the zone")
        if self.end != _MIDNIGHT and self.end <= self.start:
            raise ValueError(f"span must end after it starts: {self}")

    def __str__(self) -> str:
        """``07:30–12:00``, as a person writes working hours (``00:00`` ends at midnight)."""
        return f"{self.start:%H:%M}\u2013{self.end:%H:%M}"

    @property
    def opens(self) -> timedelta:
        """Offset of the start from local midnight."""
        return _offset(self.start)

    @property
    def closes(self) -> timedelta:
        """Offset of the end from local midnight (24 h for an end at midnight)."""
        return _DAY if self.end == _MIDNIGHT else _offset(self.end)

    @property
    def length(self) -> timedelta:
        return self.closes - self.opens


def weekday_hours(*spans: Span) -> tuple[tuple[Span, ...], ...]:
    """A `BusinessCalendar.week` with the same spans Monday to Friday, closed at weekends."""
    return (tuple(spans),) * 5 + ((), ())


@functools.lru_cache(maxsize=32)
def _check_holidays(country: str, categories: tuple[str, ...]) -> None:
    try:
        known = holidays.country_holidays(country).supported_categories
    except NotImplementedError as error:  # how `holidays` reports an unknown country
        raise ValueError(f"no holiday data for country {country!r}") from error
    # Said here, not in the library's words ("Category is not supported: x.").
    for category in categories:
        if category not in known:
            raise ValueError(
                f"no holiday category {category!r} for country {country!r}; use {', '.join(known)}"
            )


@functools.lru_cache(maxsize=256)
def _holiday_dates(country: str, categories: tuple[str, ...], year: int) -> frozenset[date]:
    # Building a holiday table costs around a millisecond; a deadline walk asks per day.
    return frozenset(holidays.country_holidays(country, years=year, categories=categories))


@dataclass(frozen=True, kw_only=True)
class BusinessCalendar:
    """Working time of a service: weekly spans, holidays, and local overrides.

    Precedence for a local date: `closed_dates`, then `open_dates`, then holidays, then the
    weekly spans. An open date works the spans of `open_date_week_day` (Monday by default),
    whatever its own weekday: open dates are Saturdays worked in place of a bridge day, or a
    holiday an office decides to work, and both follow a regular day's hours.

    `holiday_categories` follows the `holidays` package; add "government" for Indonesia's
    cuti bersama (joint leave days).
    """

    timezone: str = "Asia/Jakarta"
    week: tuple[tuple[Span, ...], ...] = ()
    always_open: bool = False
    holiday_country: str | None = "ID"
    holiday_categories: tuple[str, ...] = ("public",)
    closed_dates: frozenset[date] = frozenset()
    open_dates: frozenset[date] = frozenset()
    open_date_week_day: int = 0
    #: Working spans of each local date already converted to UTC. Deadline walks ask for the
    #: same days over and over (every timer of a ticket starts on the same day); converting
    #: wall-clock spans and looking up holidays was most of a sweep's time.
    _utc_spans: dict[date, tuple[tuple[datetime, datetime], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        # Config loaders hand over lists and sets; freeze them so calendars stay hashable.
        object.__setattr__(self, "week", tuple(tuple(day) for day in self.week))
        object.__setattr__(self, "holiday_categories", tuple(self.holiday_categories))
        object.__setattr__(self, "closed_dates", frozenset(self.closed_dates))
        object.__setattr__(self, "open_dates", frozenset(self.open_dates))
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {self.timezone!r}") from error
        if self.always_open:
            if self.week and len(self.week) != 7:
                raise ValueError(f"week must have 7 days (Monday first), got {len(self.week)}")
        else:
            self._check_week()
        if self.holiday_country is not None and not self.always_open:
            _check_holidays(self.holiday_country, self.holiday_categories)

    def _check_week(self) -> None:
        if len(self.week) != 7:
            raise ValueError(f"week must have 7 days (Monday first), got {len(self.week)}")
        for weekday, spans in enumerate(self.week):
            for earlier, later in itertools.pairwise(spans):
                if later.opens < earlier.closes:
                    raise ValueError(
                        f"spans of {_DAY_NAMES[weekday]} must be sorted and must not overlap: "
                        f"{earlier} then {later}"
                    )
        if not any(self.week):
            raise ValueError("calendar has no working spans; use always_open for 24/7")
        if not 0 <= self.open_date_week_day <= 6:
            raise ValueError(f"open_date_week_day must be 0-6, got {self.open_date_week_day}")
        if self.open_dates and not self.week[self.open_date_week_day]:
            raise ValueError(
                f"open dates work the spans of weekday {self.open_date_week_day}, which has none"
            )
        if both := self.closed_dates & self.open_dates:
            raise ValueError(f"dates both closed and open: {sorted(both)}")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # ZoneInfo caches instances per key

    @property
    def workday(self) -> timedelta:
        """A standard working day's length: Monday's hours, or the first weekday's with any.

        For display and estimates only: a target of "3d" means three *working days* (see
        ``working_days_end``), not three of these lengths.
        """
        if self.always_open:
            return _DAY
        spans = next(day for day in self.week if day)
        return sum((span.length for span in spans), _ZERO)

    def spans_on(self, day: date) -> tuple[Span, ...]:
        """Working spans of a local date, after holidays and overrides."""
        if self.always_open:
            return (Span(_MIDNIGHT, _MIDNIGHT),)
        if day in self.closed_dates:
            return ()
        if day in self.open_dates:
            return self.week[self.open_date_week_day]
        if self.holiday_country is not None and day in _holiday_dates(
            self.holiday_country, self.holiday_categories, day.year
        ):
            return ()
        return self.week[day.weekday()]

    def _utc_spans_on(self, day: date, zone: ZoneInfo) -> tuple[tuple[datetime, datetime], ...]:
        cached = self._utc_spans.get(day)
        if cached is None:
            if len(self._utc_spans) > _MAX_CACHED_DAYS:
                self._utc_spans.clear()
            midnight = datetime.combine(day, _MIDNIGHT, tzinfo=zone)
            # Wall-clock arithmetic then conversion: right across DST changes.
            cached = tuple(
                ((midnight + span.opens).astimezone(UTC), (midnight + span.closes).astimezone(UTC))
                for span in self.spans_on(day)
            )
            self._utc_spans[day] = cached
        return cached

    def _intervals(self, since: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Yield working intervals in UTC, in order, starting with the first that ends after
        `since`. Endless: callers stop when they have what they need."""
        zone = self.zone
        # Start a day early: at a DST change local midnight can map after `since`.
        day = since.astimezone(zone).date() - _DAY
        last_closes: datetime | None = None
        idle_days = 0
        while True:
            worked = False
            for opens, closes in self._utc_spans_on(day, zone):
                # A wall time inside a spring-forward gap can map past the next span's start;
                # clamp so intervals never overlap and time is never counted twice.
                if last_closes is not None and opens < last_closes:
                    opens = last_closes
                if closes <= opens:
                    continue
                worked = True
                last_closes = closes
                if closes > since:
                    yield opens, closes
            idle_days = 0 if worked else idle_days + 1
            if idle_days > _MAX_IDLE_DAYS:
                raise ValueError(f"calendar has no working time for {idle_days} days up to {day}")
            day += _DAY

    def is_open(self, moment: datetime) -> bool:
        """Whether `moment` is working time (openings count, closings do not)."""
        return self.next_open(moment) == moment

    def next_open(self, moment: datetime) -> datetime:
        """`moment` itself if it is working time, else the start of the next span."""
        moment = to_utc(moment, "moment")
        if self.always_open:
            return moment
        opens, _ = next(self._intervals(moment))
        return max(opens, moment)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant at which `duration` of business time has passed since `start`.

        `add(t, 0) == t` even outside working hours, and a duration that runs out at a
        closing time returns that closing time.
        """
        start = to_utc(start, "start")
        if duration < _ZERO:
            raise ValueError(f"duration must not be negative, got {duration}")
        if self.always_open or duration == _ZERO:
            return start + duration
        left = duration
        for opens, closes in self._intervals(start):
            opens = max(opens, start)
            if left <= closes - opens:
                return opens + left
            left -= closes - opens
        raise AssertionError("unreachable: _intervals never ends")

    def working_days_end(self, start: datetime, days: int) -> datetime:
        """The end of ``days`` working days from ``start`` ("N hari kerja").

        Filed on a working day: the same local wall-clock time on the Nth working day after
        ``start``'s local date; when that instant is not working time, the close of the last
        working span before it (Thu 12:00 + 1 → Fri 11:30 when Friday breaks 11:30–13:00 for
        prayers; a report filed at 23:00 is due at the close of its Nth working day).

        Filed on a day with no working time (a weekend, a holiday, cuti bersama), whose clock
        time says nothing: the count starts at the next opening, that working day is the first
        of the N, and the deadline is the close of the Nth (Sat 07:31 + 1 → Mon 16:00, as Sat
        06:00 + 1 and Sun 23:00 + 1). Reading the wall clock there gave Sat 07:31 + 1 = Mon
        07:31, a target of one minute, and a later report an earlier deadline.

        Never earlier for a later ``start``. ``ValueError`` when ``days`` < 1 or the calendar
        has no working time for two years.
        """
        start = to_utc(start, "start")
        if days < 1:
            raise ValueError(f"days must be at least 1, got {days}")
        zone = self.zone
        local = start.astimezone(zone)
        if not self._utc_spans_on(local.date(), zone):
            first = self.next_open(start).astimezone(zone).date()
            last = self._nth_working_day(first, days - 1, zone)
            return self._utc_spans_on(last, zone)[-1][1]
        day = self._nth_working_day(local.date(), days, zone)
        wall = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=zone)
        candidate = wall.astimezone(UTC)
        close = self._last_close_until(candidate)
        for opens, closes in self._utc_spans_on(day, zone):
            if opens <= candidate < closes:
                close = candidate
        if close is None or close <= start:
            first = self.next_open(start).astimezone(zone).date()
            close = self._utc_spans_on(first, zone)[-1][1]
        return close

    def _nth_working_day(self, day: date, n: int, zone: ZoneInfo) -> date:
        """The ``n``-th local date with working time after ``day`` (``day`` itself for 0)."""
        counted, idle = 0, 0
        while counted < n:
            day += _DAY
            if self._utc_spans_on(day, zone):
                counted, idle = counted + 1, 0
            else:
                idle += 1
                if idle > _MAX_IDLE_DAYS:
                    raise ValueError(f"calendar has no working time for {idle} days up to {day}")
        return day

    def _last_close_until(self, moment: datetime) -> datetime | None:
        """The latest closing time at or before ``moment`` within the last two years."""
        zone = self.zone
        day = moment.astimezone(zone).date() + _DAY
        for _ in range(_MAX_IDLE_DAYS):
            closes = [c for _, c in self._utc_spans_on(day, zone) if c <= moment]
            if closes:
                return max(closes)
            day -= _DAY
        return None

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time in [start, end); zero when `end` is not after `start`."""
        start = to_utc(start, "start")
        end = to_utc(end, "end")
        if end <= start:
            return _ZERO
        if self.always_open:
            return end - start
        total = _ZERO
        for opens, closes in self._intervals(start):
            if opens >= end:
                break
            total += min(closes, end) - max(opens, start)
        return total
