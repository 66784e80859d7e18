"""One rule for every instant a caller gives the engine (a ``since``, ``start_date`` …).

An instant must be aware (carry a time zone offset); it is converted to UTC here, where a
conversion that leaves the calendar (``0001-01-01T00:00+07:00``) is a caller's mistake, not a
server fault; and it must fall within ``EARLIEST`` .. ``LATEST``, a window wide enough for any
report and narrow enough that arithmetic on it (``since - 30 days``) and every database keeps
working. Errors name the parameter, never echo the value.
"""

from __future__ import annotations

import calendar
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

#: The one form of a date and time a caller gives (W3C-DTF, https://www.w3.org/TR/NOTE-datetime,
#: with minutes at least and an offset), as a refusal spells it out.
W3C_FORM = "YYYY-MM-DDThh:mm[:ss[.s]] with Z or an offset ±hh:mm (e.g. 2026-11-23T09:00:00+07:00)"
#: W3C-DTF's date and time, in ASCII digits, the offset apart: ``2026-11-30T09:00``,
#: ``…T09:00:00``, ``…T09:00:00.5`` then ``Z``, ``+07:00`` or ``-03:30``. Not ISO 8601's other
#: forms that Python's ``fromisoformat`` also reads: no ``20261130T090000Z`` (basic format),
#: ``T09Z`` (hours alone), ``+0700`` or ``+07``, ``2026-W48-2`` (a week date), a space for ``T``.
_W3C = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:T(?P<time>[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)(?P<offset>Z|[+-][0-9]{2}:[0-9]{2})?)?"
)


def w3c_moment(text: str) -> datetime | None:
    """The moment ``text`` names in W3C-DTF: aware for a date and time with its offset, naive
    for one without (or a bare date, ``2026-11-30``: its midnight), which ``given_instant``
    refuses; ``None`` when ``text`` is in no W3C form or names no real day or time
    (``2026-13-01``, ``T25:00``)."""
    found = _W3C.fullmatch(text)
    if found is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if _no_zones(found.group("offset")):
        return None
    return moment


def _no_zones(offset: str | None) -> bool:
    """Whether ``offset`` (``+24:00``, ``+07:60``) is no zone's: W3C's hh run 00 to 23, mm 00
    to 59 (Python's ``fromisoformat`` reads more)."""
    return offset not in (None, "Z") and (int(offset[1:3]) > 23 or int(offset[4:]) > 59)


#: Month names as the refusals say them (English whatever the process's locale).
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def no_such_moment(text: str) -> str | None:
    """Why ``text``, in W3C form, names no real day or time, in words (``February 2026 has 28
    days``, ``hours run from 00 to 23``); ``None`` when it is in no W3C form, or is real."""
    found = _W3C.fullmatch(text)
    if found is None:
        return None
    year, month, day = (int(part) for part in found.group("date").split("-"))
    if year < 1:
        return "there is no year 0000"
    if not 1 <= month <= 12:
        return f"there is no month {month:02d}"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return f"{_MONTHS[month - 1]} {year:04d} has {days} days"
    clock = found.group("time")
    if clock:
        for value, unit, high in zip(
            (int(part[:2]) for part in clock.split(":")),
            ("hours", "minutes", "seconds"),
            (23, 59, 59),
            strict=False,
        ):
            if value > high:
                return f"{unit} run from 00 to {high}"
    if _no_zones(found.group("offset")):
        return "an offset runs from -23:59 to +23:59"
    return None


def not_w3c(name: str, *, or_date: bool = False, given: str | None = None) -> RuleViolated:
    """The refusal of a date and time ``name`` in no W3C form, saying which form it takes;
    ``or_date``: a bare date is taken too (Open311's parameters). ``given``, in W3C form but
    no real day or time (``2026-02-29``), is refused saying why (``no_such_moment``)."""
    reason = no_such_moment(given) if given is not None else None
    if reason is not None:
        return no_such_day(name, reason)
    if or_date:
        message = f"{name} must be a W3C date: a date and time, {W3C_FORM}, or a day, YYYY-MM-DD"
    else:
        message = f"{name} must be a date and time in W3C form, {W3C_FORM}"
    return RuleViolated(message, key="invalid_date", params={"field": name, "form": W3C_FORM})


def no_such_day(name: str, reason: str) -> RuleViolated:
    """The refusal of ``name``, a date and time in W3C form that names no real one."""
    return RuleViolated(
        f"{name} names no real day or time: {reason}",
        key="invalid_date",
        params={"field": name, "form": W3C_FORM},
    )


def plus_lost(text: str) -> bool:
    """Whether ``text`` is a W3C date and time whose ``+hh:mm`` offset arrived as `` hh:mm``:
    a query string's unescaped ``+`` (the commonest slip of API and Open311 clients)."""
    head, space, offset = text.rpartition(" ")
    if not space or not re.fullmatch(r"[0-9]{2}:[0-9]{2}", offset):
        return False
    moment = w3c_moment(f"{head}+{offset}")
    return moment is not None and moment.tzinfo is not None
