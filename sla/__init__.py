"""Pure SLA computation: business calendars, policies and timers.

Facts and `now` in, deadlines and due escalation levels out. No clock, no database, no I/O.
"""

from sla.calendar import BusinessCalendar, Span, to_utc, weekday_hours
from sla.policy import (
    AreaLevel,
    Ladder,
    Level,
    Policy,
    Recipient,
    RecipientKind,
    TimerKind,
    Weekday,
    as_words,
    choose_policy,
)
from sla.target import MAX_BUSINESS, MAX_DAYS, Target, parse_target
from sla.timer import (
    Pause,
    TimerFacts,
    TimerStatus,
    deadline,
    elapsed,
    level_due_at,
    reached_levels,
    remaining,
    status,
    threshold,
)

__all__ = [
    "MAX_BUSINESS",
    "MAX_DAYS",
    "AreaLevel",
    "BusinessCalendar",
    "Ladder",
    "Level",
    "Pause",
    "Policy",
    "Recipient",
    "RecipientKind",
    "Span",
    "Target",
    "TimerFacts",
    "TimerKind",
    "TimerStatus",
    "Weekday",
    "as_words",
    "choose_policy",
    "deadline",
    "elapsed",
    "level_due_at",
    "parse_target",
    "reached_levels",
    "remaining",
    "status",
    "threshold",
    "to_utc",
    "weekday_hours",
]
