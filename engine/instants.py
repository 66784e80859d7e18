"""One rule for every instant a caller gives the engine (a ``since``, ``start_date`` …).

An instant must be aware (carry a time zone offset); it is converted to UTC here, where a
conversion that leaves the calendar (``0001-01-01T00:00+07:00``) is a caller's mistake, not a
server fault; and it must fall within ``EARLIEST`` .. ``LATEST``, a window wide enough for any
report and narrow enough that arithmetic on it (``since - 30 days``) and every database keeps
working. Errors name the parameter, never echo the value.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from engine.errors import RuleViolated

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
_WINDOW = {"earliest": f"{EARLIEST:%Y-%m-%d}", "latest": f"{LATEST:%Y-%m-%d}"}


def without_offset(name: str) -> RuleViolated:
    """The refusal of an instant ``name`` without an offset, or of a number given for one."""
    return RuleViolated(
        f"{name} needs a time zone offset, e.g. 2026-11-23T09:00:00+07:00",
        key="instant_without_offset",
        params={"field": name},
    )


#: A number as text: ``20261101``, ``-5``, ``1733011200.5``, ``1e9``.
_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def is_number(value: object) -> bool:
    """Whether ``value``, given where an instant belongs, is a number. Some parsers (pydantic's
    among them) read one as Unix seconds, so ``20261101`` would become 1970-08-23: it is no
    instant here, and is refused as one without an offset is (``without_offset``)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and _NUMBER.fullmatch(value) is not None


def given_instant(name: str, value: datetime | None) -> datetime | None:
    """``value`` in UTC, or ``None`` when not given; ``RuleViolated`` naming ``name`` when it
    has no offset or lies outside the window."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise without_offset(name)
    try:
        moment = value.astimezone(UTC)
    except OverflowError:
        moment = None
    if moment is None or not EARLIEST <= moment <= LATEST:
        raise RuleViolated(
            f"{name} must lie between {_WINDOW['earliest']} and {_WINDOW['latest']}",
            key="instant_out_of_range",
            params={"field": name, **_WINDOW},
        )
    return moment


def given_instants(**named: datetime | None) -> None:
    """Check several instants at once (a query's own guard)."""
    for name, value in named.items():
        given_instant(name, value)


#: What to say when ``plus_lost`` holds.
PLUS_LOST = "send the '+' of its offset as %2B: a bare '+' in a URL reads as a space"


def plus_lost(text: str) -> bool:
    """Whether ``text`` is an ISO datetime whose ``+HH:MM`` offset arrived as `` HH:MM``: a
    query string's unescaped ``+`` (the commonest slip of API and Open311 clients)."""
    head, space, offset = text.rpartition(" ")
    if not space or not re.fullmatch(r"\d{2}:?\d{2}", offset):
        return False
    try:
        datetime.fromisoformat(f"{head}+{offset}")
    except ValueError:
        return False
    return True
