"""SLA timers: facts about one timer in, deadlines and due escalation levels out.

A timer consumes business time from `start` until it stops. While paused (a ticket on hold) it
consumes nothing, and its deadline moves by the business time spent paused. Nothing here reads
a clock: the caller passes `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sla.calendar import BusinessCalendar, to_utc
from sla.policy import Ladder, Level

__all__ = [
    "TimerFacts",
    "TimerStatus",
    "deadline",
    "elapsed",
    "level_due_at",
    "remaining",
    "status",
    "threshold",
]

_ZERO = timedelta(0)


@dataclass(frozen=True)
class TimerFacts:
    """What is stored about a timer.

    `paused` is the business time spent in completed pauses; `paused_since` is set while a
    pause is under way, and folds into `paused` when it ends. A timer stopped while paused
    keeps `paused_since`: the pause then lasts until `stopped_at`.
    """

    start: datetime
    target: timedelta
    calendar: BusinessCalendar
    paused: timedelta = _ZERO
    paused_since: datetime | None = None
    stopped_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", to_utc(self.start, "start"))
        if self.target < _ZERO:
            raise ValueError(f"target must not be negative, got {self.target}")
        if self.paused < _ZERO:
            raise ValueError(f"paused must not be negative, got {self.paused}")
        for name in ("paused_since", "stopped_at"):
            moment: datetime | None = getattr(self, name)
            if moment is None:
                continue
            moment = to_utc(moment, name)
            if moment < self.start:
                raise ValueError(f"{name} {moment} is before the timer started at {self.start}")
            object.__setattr__(self, name, moment)

    @property
    def frozen_at(self) -> datetime | None:
        """From when the timer consumes no more business time: the pause or the stop."""
        moments = [m for m in (self.paused_since, self.stopped_at) if m is not None]
        return min(moments, default=None)


@dataclass(frozen=True)
class TimerStatus:
    deadline: datetime
    elapsed: timedelta
    remaining: timedelta  # negative once overdue
    breached: bool
    due_levels: tuple[Level, ...]  # every level reached, including ones a sweep has missed
    next_due_at: datetime | None  # None when stopped, paused or with every level due


def _end(facts: TimerFacts, now: datetime) -> datetime:
    """Where the timer's clock stops counting: `now`, or the stop if that came first."""
    now = to_utc(now, "now")
    return now if facts.stopped_at is None else min(now, facts.stopped_at)


def _paused_so_far(facts: TimerFacts, end: datetime) -> timedelta:
    current = _ZERO
    if facts.paused_since is not None:
        current = facts.calendar.between(facts.paused_since, end)
    return facts.paused + current


def threshold(target: timedelta, percent: int) -> timedelta:
    """`percent` of `target`, rounded down to the microsecond, in exact integer arithmetic.

    Float percentages would make a 100 % level fall due a microsecond off the deadline.
    """
    microseconds = target // timedelta(microseconds=1)
    return timedelta(microseconds=microseconds * percent // 100)


def deadline(facts: TimerFacts, now: datetime) -> datetime:
    """When the target is used up, counting pauses up to `now` (or up to the stop).

    While paused the deadline keeps moving: it is where the deadline would be if the pause
    ended at `now`.
    """
    paused = _paused_so_far(facts, _end(facts, now))
    return facts.calendar.add(facts.start, facts.target + paused)


def elapsed(facts: TimerFacts, now: datetime) -> timedelta:
    """Business time consumed from start to `now` (or the stop), pauses excluded."""
    end = _end(facts, now)
    consumed = facts.calendar.between(facts.start, end) - _paused_so_far(facts, end)
    # A stored `paused` larger than the business time since start (bad data, or a calendar
    # edited after the fact) must not make the clock run backwards.
    return max(consumed, _ZERO)


def remaining(facts: TimerFacts, now: datetime) -> timedelta:
    """Business time left before the deadline; negative once overdue."""
    return facts.target - elapsed(facts, now)


def level_due_at(facts: TimerFacts, percent: int) -> datetime | None:
    """The instant elapsed time reaches `percent` of the target, given completed pauses.

    None while paused or after the stop, unless the level was reached before the clock froze
    (then that past instant): a frozen clock reaches nothing new, and when it resumes is
    unknown.
    """
    due = facts.calendar.add(facts.start, threshold(facts.target, percent) + facts.paused)
    frozen_at = facts.frozen_at
    if frozen_at is not None and due > frozen_at:
        return None
    return due


def status(facts: TimerFacts, ladder: Ladder, now: datetime) -> TimerStatus:
    """Everything a sweep or a timeline needs about a timer at `now`."""
    spent = elapsed(facts, now)
    due_levels = tuple(
        level for level in ladder.levels if spent >= threshold(facts.target, level.percent)
    )
    next_due_at = None
    if facts.frozen_at is None and len(due_levels) < len(ladder.levels):
        # Levels are sorted by percent, so the first one not yet due is the next to fall due.
        next_due_at = level_due_at(facts, ladder.levels[len(due_levels)].percent)
    return TimerStatus(
        deadline=deadline(facts, now),
        elapsed=spent,
        remaining=facts.target - spent,
        breached=spent >= facts.target,
        due_levels=due_levels,
        next_due_at=next_due_at,
    )
