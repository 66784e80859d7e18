"""Open311 request parameters: an empty parameter means absent; dates are W3C with the time
and offset honoured (no offset: the city's local time)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from engine import Language, RuleViolated
from engine.instants import given_instant


def blank(value: str | None) -> str | None:
    return value if value is not None and value.strip() != "" else None


def w3c_param(name: str, value: str | None, zone: ZoneInfo) -> datetime | None:
    text = blank(value)
    if text is None:
        return None
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), time(0))
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RuleViolated(f"{name} must be a W3C date, e.g. 2026-11-23T09:00:00+07:00") from None
    return given_instant(name, moment if moment.tzinfo else moment.replace(tzinfo=zone))


#: The engine's field → the GeoReport v2 field a caller sent.
OPEN311_FIELDS = {
    "reporter_email": "email",
    "reporter_phone": "phone",
    "reporter_name": "first_name",
    "address": "address_string",
    "category": "service_code",
    "lon": "long",
    "language": "locale",
    "photo": "media",
    "answers": "attribute",
}
#: Names in messages that are the engine's own words (plain words like "photo" stay).
_ENGINE_FIELD = re.compile(r"\b(reporter_email|reporter_phone|reporter_name)\b")


def in_open311_words(exc: RuleViolated) -> RuleViolated:
    """The engine's error naming the Open311 field the caller sent (``email``, not
    ``reporter_email``); other errors unchanged."""
    field = exc.params.get("field")
    params = dict(exc.params)
    if isinstance(field, str) and field in OPEN311_FIELDS:
        params["field"] = OPEN311_FIELDS[field]
    message = _ENGINE_FIELD.sub(lambda m: OPEN311_FIELDS[m.group(1)], exc.message)
    if message == exc.message and params == exc.params:
        return exc
    return RuleViolated(message, key=exc.code, params=params)


def number(name: str, value: str | None, low: float, high: float) -> float | None:
    text = blank(value)
    if text is None:
        return None
    if len(text) > 40:
        raise RuleViolated(f"{name} must be a number between {_shown(low)} and {_shown(high)}")
    try:
        result = float(text)
    except ValueError:
        raise RuleViolated(f"{name} must be a number") from None
    if not low <= result <= high:
        raise RuleViolated(f"{name} must be between {_shown(low)} and {_shown(high)}")
    return result


def _shown(bound: float) -> str:
    """``1,000,000``, ``-90``, ``0.5``: as a person writes a bound, never ``1e+06``."""
    return f"{int(bound):,}" if float(bound).is_integer() else f"{bound:,}"


def integer(name: str, value: str | None, low: int, high: int) -> int | None:
    result = number(name, value, low, high)
    if result is None:
        return None
    if result != int(result):
        raise RuleViolated(f"{name} must be a whole number")
    return int(result)


def csv_list(value: str | None) -> list[str]:
    text = blank(value)
    return [part.strip() for part in text.split(",") if part.strip()] if text else []


def language(locale: str | None, accept_language: str | None) -> Language:
    """The reporter's language: the ``locale`` field (an extension; GeoReport v2 has none),
    else the first of ours in ``Accept-Language``, else Indonesian."""
    given = blank(locale)
    if given is not None:
        primary = given.replace("_", "-").split("-")[0].strip().lower()
        if primary not in set(Language):
            raise RuleViolated("locale must be id or en")
        return Language(primary)
    for part in (accept_language or "").split(","):
        primary = part.split(";")[0].split("-")[0].strip().lower()
        if primary in set(Language):
            return Language(primary)
    return Language.ID
