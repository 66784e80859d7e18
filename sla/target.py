"""SLA targets as a catalogue writes them: working days, or business hours and minutes.

Two units, because officials read them differently (DESIGN §3, "Units"):

- ``"4h"``, ``"90m"``, ``"1h30m"``: business time — minutes of working time on the policy's
  calendar. 4 h from Friday 15:00 on a 07:30–16:30 Friday is Monday 10:30.
- ``"3d"``: working days — the same local time on the 3rd working day after the start; filed
  on a day with no working time, the close of the 3rd working day from the next opening
  (``BusinessCalendar.working_days_end``). Thu 13:34 + 1d is Fri 13:34, whatever Thursday's
  afternoon and Friday's morning measure. ``"1d4h"`` adds 4 business hours after that.

A timer stores its target as business time (``Target.duration``): the business time between
its start and that deadline, so ladder percentages are shares of it (Thu 13:34 + 1d on the
Jakarta office calendar is 420 business minutes; the 75 % warning falls at Fri 10:19).

Bounds: at most ``MAX_DAYS`` working days (1000d, about four years of a five-day week) and
``MAX_BUSINESS`` business time (10000h). No real target comes near, and every deadline and ladder
level computed from one stays far inside ``datetime``'s range. A catalogue also holds a target
to about three years of its calendar's week (``engine.catalogue.spec``).

A number without a unit (``"90"``) is read as minutes for definitions stored by earlier
versions; the catalogue refuses it, and no message offers it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sla.calendar import BusinessCalendar

__all__ = ["MAX_BUSINESS", "MAX_DAYS", "Target", "parse_target"]

_ZERO = timedelta(0)
#: The most working days a target may count.
MAX_DAYS = 1000
#: The most business time a target may add (after its working days, if any).
MAX_BUSINESS = timedelta(hours=10_000)
_FORMS = '"30m", "4h", "1h30m", "3d" or "1d4h"'


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
        if self.days > MAX_DAYS:
            raise ValueError(f"a target counts at most {MAX_DAYS} working days ({MAX_DAYS}d)")
        if self.business > MAX_BUSINESS:
            hours = MAX_BUSINESS // timedelta(hours=1)
            raise ValueError(f"a target adds at most {hours} hours of business time ({hours}h)")

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
    """Parse "30m", "4h", "1h30m", "3d" or "1d4h"; ``ValueError`` if invalid or out of bounds.

    A bare number ("90") is read as minutes, as earlier versions stored it; ``parse_target``'s
    messages never offer that form (the catalogue refuses it: 90 what?)."""
    compact = "".join(str(text).split()).lower()
    shown = str(text)[:40]
    if _MINUTES.fullmatch(compact):
        return _bounded(shown, 0, 0, int(compact))
    parts = _PARTS.fullmatch(compact)
    if not compact or parts is None:
        raise ValueError(
            f"invalid duration {shown}: give days, hours and minutes, each with its unit, "
            f"in that order: {_FORMS}"
        )
    days, hours, minutes = (int(parts[unit] or 0) for unit in "dhm")
    return _bounded(shown, days, hours, minutes)


def _bounded(shown: str, days: int, hours: int, minutes: int) -> Target:
    """The target, once its numbers are known to be in bounds (before ``timedelta`` sees them:
    ``999999999999h`` overflows it)."""
    if hours * 60 + minutes > MAX_BUSINESS // timedelta(minutes=1) or days > MAX_DAYS:
        limit = MAX_BUSINESS // timedelta(hours=1)
        raise ValueError(
            f"{shown} is too long: a target counts at most {MAX_DAYS} working days "
            f"({MAX_DAYS}d) and {limit} hours of business time ({limit}h)"
        )
    try:
        return Target(days=days, business=timedelta(hours=hours, minutes=minutes))
    except ValueError as exc:
        raise ValueError(f"invalid duration {shown}: {exc}") from None
