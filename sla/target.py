"""SLA targets as a catalogue writes them: working days, or business hours and minutes.

Two units, because officials read them differently (DESIGN §3, "Units"):

- ``"4h"``, ``"90m"``, ``"1h30m"``, ``"90"``: business time — minutes of working time on the
  policy's calendar. 4 h from Friday 15:00 on a 07:30–16:30 Friday is Monday 10:30.
- ``"3d"``: working days — the same local time on the 3rd working day after the start; filed
  on a day with no working time, the close of the 3rd working day from the next opening
  (``BusinessCalendar.working_days_end``). Thu 13:34 + 1d is Fri 13:34, whatever Thursday's
  afternoon and Friday's morning measure. ``"1d4h"`` adds 4 business hours after that.

A timer stores its target as business time (``Target.duration``): the business time between
its start and that deadline, so ladder percentages are shares of it (Thu 13:34 + 1d on the
Jakarta office calendar is 420 business minutes; the 75 % warning falls at Fri 10:19).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sla.calendar import BusinessCalendar

__all__ = ["Target", "parse_target"]

_ZERO = timedelta(0)


@dataclass(frozen=True)
class Target:
    """``days`` working days, then ``business`` time on the calendar."""

    days: int = 0
    business: timedelta = _ZERO

    def __post_init__(self) -> None:
        if self.days < 0 or self.business < _ZERO:
            raise ValueError(f"target must not be negative: {self}")
        if self.days == 0 and self.business == _ZERO:
            raise ValueError("target must be positive")

    def deadline(self, calendar: BusinessCalendar, start: datetime) -> datetime:
        """The nominal deadline of a timer starting at ``start`` that is never paused."""
        end = calendar.working_days_end(start, self.days) if self.days else start
        return calendar.add(end, self.business)

    def duration(self, calendar: BusinessCalendar, start: datetime) -> timedelta:
        """Business time from ``start`` to the nominal deadline."""
        if not self.days:
            return self.business
        return calendar.between(start, self.deadline(calendar, start))

    def __str__(self) -> str:
        minutes = int(self.business.total_seconds() // 60)
        hours, minutes = divmod(minutes, 60)
        parts = [f"{self.days}d" if self.days else "", f"{hours}h" if hours else ""]
        parts.append(f"{minutes}m" if minutes else "")
        return "".join(parts) or "0m"


_MINUTES = re.compile(r"\d+", re.ASCII)
_PARTS = re.compile(r"(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?", re.ASCII)


def parse_target(text: str) -> Target:
    """Parse "30m", "4h", "1h30m", "3d", "1d4h" or "90" (minutes); ``ValueError`` if invalid."""
    compact = "".join(str(text).split()).lower()
    if _MINUTES.fullmatch(compact):
        return Target(business=timedelta(minutes=int(compact)))
    parts = _PARTS.fullmatch(compact)
    if not compact or parts is None:
        raise ValueError(
            f'invalid duration {text!r}: expected whole minutes ("90") or days, hours and '
            f'minutes in that order ("3d", "4h", "1h30m")'
        )
    days, hours, minutes = (int(parts[unit] or 0) for unit in "dhm")
    return Target(days=days, business=timedelta(hours=hours, minutes=minutes))
