"""Pure SLA computation: business calendars, policies and timers.

Facts and `now` in, deadlines and due escalation levels out. No clock, no database, no I/O.
"""

from sla.calendar import BusinessCalendar, Span, parse_duration, to_utc, weekday_hours
from sla.policy import Ladder, Level, Policy, Recipient, RecipientKind, TimerKind, choose_policy
from sla.timer import (
    TimerFacts,
    TimerStatus,
    deadline,
    elapsed,
    level_due_at,
    remaining,
    status,
    threshold,
)

__all__ = [
    "BusinessCalendar",
    "Ladder",
    "Level",
    "Policy",
    "Recipient",
    "RecipientKind",
    "Span",
    "TimerFacts",
    "TimerKind",
    "TimerStatus",
    "choose_policy",
    "deadline",
    "elapsed",
    "level_due_at",
    "parse_duration",
    "remaining",
    "status",
    "threshold",
    "to_utc",
    "weekday_hours",
]
