"""Open311 request parameters: an empty parameter means absent; dates are W3C datetimes.

A date and time must carry its offset (``2026-11-30T09:00:00+07:00`` or ``…Z``): without one it
could be any of several instants, so it is refused (400) naming the parameter, as every instant
the API takes. A bare date (``2026-11-30``, also a W3C date) is that whole day in the city's
time zone: from its first instant for ``start_date`` / ``updated_after``, to its last for
``end_date`` / ``updated_before``."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from engine import Language, RuleViolated
from engine.instants import (
    EARLIEST,
    LATEST,
    PLUS_LOST,
    given_instant,
    is_number,
    not_w3c,
    plus_lost,
    w3c_moment,
    without_offset,
)
from engine.routing import check_location, refuse_number, shown_bound
from engine.text import LIMITS, as_number_text, clean_text

#: Parameters that close a period: a bare date there means up to the end of that day.
_PERIOD_ENDS = frozenset({"end_date", "updated_before"})
_BARE_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


_WHOLE = re.compile(r"[+-]?[0-9]+")


def blank(value: str | None) -> str | None:
    return value if value is not None and value.strip() != "" else None


def w3c_param(name: str, value: str | None, zone: ZoneInfo) -> datetime | None:
    """A date parameter: a W3C date and time with its offset (``engine.instants.w3c_moment``:
    ``2026-11-23T09:00:00+07:00``, ``…T09:00Z``), or a bare W3C date, a day in city time. Any
    other form is refused (400) naming the parameter and the form it takes, also the ISO 8601
    forms Python reads and W3C does not (``20261130T090000Z``, ``+0700``, ``2026-W48-2``)."""
    text = blank(value)
    if text is None:
        return None
    if _BARE_DATE.fullmatch(text):
        try:
            # the city's wall-clock day: its first instant, or its last for a period's end
            start = datetime.combine(date.fromisoformat(text), time(0))
        except ValueError:  # 2026-13-01, 2026-02-29: said why
            raise not_w3c(name, or_date=True, given=text) from None
        try:
            end = start + timedelta(days=1, microseconds=-1) if name in _PERIOD_ENDS else start
            moment = end.replace(tzinfo=zone)
        except OverflowError:  # 9999-12-31 + 1 day
            moment = datetime.max.replace(tzinfo=zone)
        # The window's bounds are dates (1970-01-01 … 9000-01-01) and a bare date is a
        # city day: a day the words allow is taken, cut to the window where its first
        # hours (east of UTC) or last ones lie outside it.
        if EARLIEST.date() <= start.date() <= LATEST.date():
            moment = min(max(moment, EARLIEST), LATEST)
        return given_instant(name, moment)
    if plus_lost(text):
        raise RuleViolated(
            f"{name} must be a W3C date, {PLUS_LOST}", key="invalid_date", params={"field": name}
        )
    found = w3c_moment(text)
    if found is None:
        if is_number(text):  # 20261101: no date, refused as one without an offset is
            raise without_offset(name)
        raise not_w3c(name, or_date=True, given=text)
    return given_instant(name, found)  # no offset: refused, naming the parameter


#: The engine's field → the GeoReport v2 field a caller sent (``reporter_name`` is joined from
#: ``first_name`` and ``last_name``, each checked on its own first: ``reporter_name``).
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
#: How an Open311 client sends a photo: GeoReport v2 has only ``media_url``, which this service
#: never fetches (no outside calls, no server-side request forgery); ``media[]`` is ours.
PHOTO_HOW = "send it as a media[] file in multipart/form-data; media_url is not fetched"
#: A service that needs a photo says so, in its description and in its definition.
PHOTO_NEEDED = {
    Language.ID: "Laporan jenis ini wajib menyertakan minimal satu foto: kirim sebagai berkas "
    "media[] dalam multipart/form-data; media_url tidak diambil.",
    Language.EN: f"A report of this kind needs at least one photo: {PHOTO_HOW}.",
}
#: Names in messages that are the engine's own words (plain words like "photo" stay).
_ENGINE_FIELD = re.compile(r"\b(reporter_email|reporter_phone|reporter_name)\b")


def in_open311_words(exc: RuleViolated) -> RuleViolated:
    """The engine's error naming the Open311 field the caller sent (``email``, not
    ``reporter_email``; ``address_string``, not ``address``); other errors unchanged."""
    field = exc.params.get("field")
    params = dict(exc.params)
    message = _ENGINE_FIELD.sub(lambda m: OPEN311_FIELDS[m.group(1)], exc.message)
    if exc.code == "photo_required":  # media_url is all GeoReport v2 knows: say what works
        message = f"{message}: {PHOTO_HOW}"
    fields = exc.params.get("fields")
    if isinstance(fields, list):  # a point: ["lat", "lon"]
        params["fields"] = [OPEN311_FIELDS.get(f, f) for f in fields]
    if isinstance(field, str) and field in OPEN311_FIELDS:
        params["field"] = OPEN311_FIELDS[field]
        if message.startswith(f"{field} "):  # "address has 400 characters …"
            message = OPEN311_FIELDS[field] + message.removeprefix(field)
    if message == exc.message and params == exc.params:
        return exc
    return RuleViolated(message, key=exc.code, params=params)


def reporter_name(first: str | None, last: str | None) -> str | None:
    """``first_name`` and ``last_name`` as the one name the engine keeps: each through the
    engine's text rules under its own name, then their length together, naming both."""
    parts = [
        clean_text(value, field=name, limit=LIMITS["reporter_name"], multiline=False)
        for name, value in (("first_name", first), ("last_name", last))
    ]
    name = " ".join(p for p in parts if p) or None
    limit = LIMITS["reporter_name"]
    if name is not None and len(name) > limit and all(parts):
        raise RuleViolated(
            f"first_name and last_name together have {len(name)} characters; the limit is {limit}",
            key="text_too_long",
            params={"field": "first_name", "length": len(name), "limit": limit},
        )
    return name


def number(name: str, value: str | None, low: float, high: float) -> float | None:
    """A number parameter within ``low`` .. ``high``; ``lat`` and ``long`` in the words of the
    engine's one location rule (``engine.routing.check_location``)."""
    text = blank(value)
    if text is None:
        return None
    between = f"between {shown_bound(low)} and {shown_bound(high)}"
    key = "invalid_location" if name in ("lat", "long") else "invalid_number"
    if len(text) > 40:
        raise RuleViolated(f"{name} must be a number {between}", key=key, params={"field": name})
    try:
        result = float(as_number_text(text))
    except ValueError:
        raise RuleViolated(
            f"{name} must be a number {between}", key=key, params={"field": name}
        ) from None
    refuse_number(name, result, low, high, key=key)
    return result


def point(lat_text: str | None, long_text: str | None) -> tuple[float | None, float | None]:
    """``lat`` and ``long`` (either may be absent), each as ``number`` reads it; a latitude
    beyond ±90 beside a longitude that would be one is refused as the engine refuses a point
    given longitude first (``invalid_location_swapped``)."""
    try:
        lat = number("lat", lat_text, -90, 90)
    except RuleViolated as refused:
        lon = number("long", long_text, -180, 180)
        try:
            wide = number("lat", lat_text, -180, 180)
        except RuleViolated:
            raise refused from None
        if wide is not None and lon is not None:
            check_location(wide, lon, lat_name="lat", lon_name="long")
        raise
    return lat, number("long", long_text, -180, 180)


def integer(name: str, value: str | None, low: int, high: int) -> int | None:
    """A whole-number parameter within ``low`` .. ``high``, written as one (``25``, never
    ``1e3`` or ``25.0``: a client that sends those sends something else than it means)."""
    result = number(name, value, low, high)
    if result is None:
        return None
    if result != int(result) or not _WHOLE.fullmatch((value or "").strip()):
        raise RuleViolated(
            f"{name} must be a whole number", key="invalid_number", params={"field": name}
        )
    return int(result)


def flag(name: str, value: str | None) -> bool:
    """A true/false parameter (``extensions``): ``true`` or ``false`` in any case; empty or
    absent is false; anything else is refused naming ``name``, never read as false."""
    text = (blank(value) or "false").strip().lower()
    if text not in ("true", "false"):
        raise RuleViolated(
            f"{name} must be true or false", key="invalid_request", params={"field": name}
        )
    return text == "true"


def csv_list(name: str, value: str | None) -> list[str]:
    """A comma-separated list parameter's items; an empty parameter is absent (``[]``), but
    one that is only commas and spaces (``,,,``) lists nothing: refused naming ``name``, never
    read as no filter at all."""
    text = blank(value)
    if text is None:
        return []
    items = [part.strip() for part in text.split(",") if part.strip()]
    if not items:
        raise RuleViolated(
            f"{name} lists nothing: give one or more values separated by commas",
            key="invalid_request",
            params={"field": name},
        )
    return items


#: The longest language tag taken (RFC 5646 §4.4.1: at least 35 characters must be kept).
LOCALE_LIMIT = 35
#: A language tag (``en``, ``en-US``, ``zh-Hant-TW``) or a POSIX locale (``en_GB``,
#: ``fr_FR.UTF-8``, ``sr_RS@latin``): its primary language first, then printable ASCII only.
_LOCALE = re.compile(r"([A-Za-z]{1,8})(?:[-_.@][A-Za-z0-9._@-]*)?")
#: Tags for our languages under another name: ``in`` is Indonesian's withdrawn ISO 639 code,
#: which Java (and so Android, before Java 17) still gives for it (``in_ID``).
_ALIASES = {"in": Language.ID}


def language(locale: str | None, accept_language: str | None) -> Language:
    """The reporter's language, and the one answers are worded in: the optional ``locale``
    parameter, else the first of ours in ``Accept-Language``, else Indonesian.

    A locale is read by its primary language (``en-US``, ``en_GB`` → en; ``id-ID``, ``in_ID``
    → id); one that is none of ours is as if none were given, never refused: the answer comes
    in a language this service has (an app set to French must still file its citizen's
    report). Only a value that is no language tag at all (control characters, spaces, over
    35 characters) is refused, naming ``locale``."""
    given = blank(locale)
    if given is not None:
        given = given.strip()
        if len(given) > LOCALE_LIMIT:
            raise RuleViolated(
                f"locale is too long: at most {LOCALE_LIMIT} characters",
                key="invalid_request",
                params={"field": "locale"},
            )
        found = _LOCALE.fullmatch(given)
        if found is None:
            raise RuleViolated(
                "locale must be a language tag such as id, en or en-US",
                key="invalid_request",
                params={"field": "locale"},
            )
        ours = _ours(found.group(1))
        if ours is not None:
            return ours
    return _preferred(accept_language or "") or Language.ID


def _ours(primary: str) -> Language | None:
    primary = primary.strip().lower()
    if primary in _ALIASES:
        return _ALIASES[primary]
    return Language(primary) if primary in set(Language) else None


def _preferred(accept_language: str) -> Language | None:
    """Ours the client prefers most in ``Accept-Language`` (RFC 9110 §12.5.4): the highest
    weight, the first named of equal weight; ``q=0`` means "not this one", and a weight that
    is no number between 0 and 1 counts as 0 (the whole header is a hint: never refused)."""
    best: tuple[float, Language] | None = None
    for part in accept_language.split(","):
        tag, *params = part.split(";")
        ours = _ours(tag.split("-")[0])
        if ours is None:
            continue
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = 0.0
                if not 0.0 <= weight <= 1.0:
                    weight = 0.0
        if weight > 0 and (best is None or weight > best[0]):
            best = (weight, ours)
    return best[1] if best else None
