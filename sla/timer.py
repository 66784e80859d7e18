"""SLA timers: facts about one timer in, deadlines and due escalation levels out.

A timer consumes business time from its start until it stops. While paused (a ticket on hold)
it consumes nothing. Pauses are **dated**: a pause moves only the instants after it began, so a
level that fell due before a pause, or a deadline that had already passed, stays where it was.

When a ticket changes (category, priority, agency, a catalogue reload) the timer is *rebased*:
the business time consumed so far is kept as ``carried`` — measured on the calendar in force
while it elapsed — and from ``origin`` on, the new calendar and target count. Nothing here reads
a clock: the caller passes ``now``.

Instants and their order (DESIGN §3: "an action at or before the deadline meets it"):

- a level falls due at the instant its share of the target has been consumed (``level_due_at``);
- a running timer has reached a level once ``now`` is at or past that instant;
- a timer that froze (paused or stopped) reached it only if it fell due *strictly before* the
  freeze: a verify at exactly 16:00:00 meets a 16:00 deadline.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sla.calendar import BusinessCalendar, to_utc
from sla.policy import Ladder, Level

__all__ = [
    "Pause",
    "TimerFacts",
    "TimerStatus",
    "deadline",
    "elapsed",
    "level_due_at",
    "reached_levels",
    "remaining",
    "status",
    "threshold",
]

_ZERO = timedelta(0)


@dataclass(frozen=True)
class Pause:
    """A span during which the timer consumed no business time; ``end`` None: still paused."""

    begin: datetime
    end: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "begin", to_utc(self.begin, "pause begin"))
        if self.end is not None:
            end = to_utc(self.end, "pause end")
            if end < self.begin:
                raise ValueError(f"pause ends at {end} before it begins at {self.begin}")
            object.__setattr__(self, "end", end)


@dataclass(frozen=True)
class TimerFacts:
    """What is stored about a timer.

    ``pauses`` are in order and do not overlap; only the last may be open (``end`` None). A
    timer stopped while paused keeps its open pause: the pause then lasts until ``stopped_at``.
    ``origin`` (default: ``start``) is the instant of the last rebase; ``carried`` is the
    business time consumed before it, on the calendars in force back then. Pauses before
    ``origin`` are already accounted for in ``carried``.
    """

    start: datetime
    target: timedelta
    calendar: BusinessCalendar
    pauses: tuple[Pause, ...] = ()
    stopped_at: datetime | None = None
    origin: datetime | None = None
    carried: timedelta = _ZERO
    _origin: datetime = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        start = to_utc(self.start, "start")
        object.__setattr__(self, "start", start)
        if self.target < _ZERO:
            raise ValueError(f"target must not be negative, got {self.target}")
        if self.carried < _ZERO:
            raise ValueError(f"carried must not be negative, got {self.carried}")
        origin = start if self.origin is None else to_utc(self.origin, "origin")
        if origin < start:
            raise ValueError(f"origin {origin} is before the timer started at {start}")
        object.__setattr__(self, "_origin", origin)
        pauses = tuple(self.pauses)
        object.__setattr__(self, "pauses", pauses)
        for pause in pauses:
            if pause.begin < start:
                raise ValueError(f"pause at {pause.begin} is before the timer started at {start}")
        for earlier, later in itertools.pairwise(pauses):
            if earlier.end is None or later.begin < earlier.end:
                raise ValueError("pauses must be in order, closed and not overlap (but the last)")
        if self.stopped_at is not None:
            stopped = to_utc(self.stopped_at, "stopped_at")
            if stopped < start:
                raise ValueError(f"stopped_at {stopped} is before the timer started at {start}")
            object.__setattr__(self, "stopped_at", stopped)

    @property
    def frozen_at(self) -> datetime | None:
        """From when the timer consumes no more business time: an open pause or the stop."""
        moments = [self.stopped_at] if self.stopped_at is not None else []
        if self.pauses and self.pauses[-1].end is None:
            moments.append(self.pauses[-1].begin)
        return min(moments, default=None)

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].end is None

    def _counting(self, until: datetime | None) -> Iterator[tuple[datetime, datetime | None]]:
        """The spans after ``origin`` in which the timer counts, up to ``until`` (None: open)."""
        cursor = self._origin
        for pause in self.pauses:
            end = pause.end
            if end is not None and end <= cursor:
                continue
            begin = max(pause.begin, cursor)
            if until is not None and begin >= until:
                break
            yield cursor, begin
            if end is None:
                return
            cursor = end
        if until is None or cursor < until:
            yield cursor, until


@dataclass(frozen=True)
class TimerStatus:
    deadline: datetime
    elapsed: timedelta
    remaining: timedelta  # negative once overdue
    breached: bool
    due_levels: tuple[Level, ...]  # every level reached, including ones a sweep has missed
    next_due_at: datetime | None  # None when frozen or with every level due


def _end(facts: TimerFacts, now: datetime) -> datetime:
    """Where the timer's clock stops counting: ``now``, or the stop if that came first."""
    now = to_utc(now, "now")
    return now if facts.stopped_at is None else min(now, facts.stopped_at)


def threshold(target: timedelta, percent: int) -> timedelta:
    """``percent`` of ``target``, rounded down to the microsecond, in exact integer arithmetic.

    Float percentages would make a 100 % level fall due a microsecond off the deadline.
    """
    microseconds = target // timedelta(microseconds=1)
    return timedelta(microseconds=microseconds * percent // 100)


def elapsed(facts: TimerFacts, now: datetime) -> timedelta:
    """Business time consumed from start to ``now`` (or the stop), pauses excluded."""
    end = _end(facts, now)
    if end <= facts._origin:
        # Viewed at or before the last rebase: only what was carried is known.
        return facts.carried
    total = facts.carried
    for begin, finish in facts._counting(end):
        total += facts.calendar.between(begin, finish if finish is not None else end)
    return total


def remaining(facts: TimerFacts, now: datetime) -> timedelta:
    """Business time left before the deadline; negative once overdue."""
    return facts.target - elapsed(facts, now)


def _reach(facts: TimerFacts, amount: timedelta) -> tuple[datetime, bool] | None:
    """The instant ``amount`` of business time has been consumed, walking the pauses.

    Returns (instant, exact_at_freeze): ``exact_at_freeze`` is True when the instant is the
    very moment the timer froze (a pause began or it stopped) — reached only "at", not before.
    None when the timer froze before consuming ``amount``.
    """
    left = amount - facts.carried
    if left <= _ZERO:
        return facts._origin, False
    calendar = facts.calendar
    for begin, finish in facts._counting(facts.stopped_at):
        if finish is None:
            return calendar.add(begin, left), False
        available = calendar.between(begin, finish)
        if left <= available:
            instant = calendar.add(begin, left)
            froze_here = facts.frozen_at is not None and finish >= facts.frozen_at
            return instant, froze_here and left == available
        left -= available
    return None


def level_due_at(facts: TimerFacts, percent: int) -> datetime | None:
    """The instant the timer consumes ``percent`` of its target.

    None if the timer froze (paused or stopped) before getting there; when it resumes is
    unknown. A level that fell due before a pause or a stop keeps its past instant.
    """
    found = _reach(facts, threshold(facts.target, percent))
    if found is None or found[1]:
        return None
    return found[0]


def _projected(facts: TimerFacts, now: datetime) -> TimerFacts:
    """The facts as if an open pause ended at ``now`` (or at the stop) and the stop never came:
    where the deadline stands for people reading it now."""
    end = _end(facts, now)
    pauses = facts.pauses
    if pauses and pauses[-1].end is None:
        last = pauses[-1]
        pauses = (*pauses[:-1], Pause(last.begin, max(last.begin, end)))
    return replace(facts, pauses=pauses, stopped_at=None)


def deadline(facts: TimerFacts, now: datetime) -> datetime:
    """When the target is used up, counting pauses up to ``now`` (or up to the stop).

    A pause that began after the deadline had passed does not move it. While paused, the
    deadline keeps moving: it is where the deadline would be if the pause ended at ``now``.
    """
    found = _reach(_projected(facts, now), facts.target)
    assert found is not None  # an unfrozen timer always gets there
    return found[0]


def reached_levels(
    facts: TimerFacts, ladder: Ladder, now: datetime
) -> tuple[tuple[Level, datetime], ...]:
    """Every level reached by ``now``, with the instant it fell due, in ladder order."""
    now = to_utc(now, "now")
    reached: list[tuple[Level, datetime]] = []
    for level in ladder.levels:
        due = level_due_at(facts, level.percent)
        if due is None or due > now:
            break  # levels rise in percent, so later ones fall due later still
        reached.append((level, due))
    return tuple(reached)


def status(facts: TimerFacts, ladder: Ladder, now: datetime) -> TimerStatus:
    """Everything a sweep or a timeline needs about a timer at ``now``."""
    now = to_utc(now, "now")
    spent = elapsed(facts, now)
    due_levels = tuple(level for level, _ in reached_levels(facts, ladder, now))
    next_due_at = None
    if facts.frozen_at is None and len(due_levels) < len(ladder.levels):
        next_due_at = level_due_at(facts, ladder.levels[len(due_levels)].percent)
    moment = deadline(facts, now)
    if facts.stopped_at is not None and facts.stopped_at <= now:
        breached = facts.stopped_at > moment  # acting at the deadline meets it
    else:
        breached = now >= moment
    return TimerStatus(
        deadline=moment,
        elapsed=spent,
        remaining=facts.target - spent,
        breached=breached,
        due_levels=due_levels,
        next_due_at=next_due_at,
    )
