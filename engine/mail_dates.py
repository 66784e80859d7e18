"""Dates as mail says them, in the reader's language: ``01 Des 17:00`` in Indonesian,
``01 Dec 17:00`` in English, or long, ``1 Desember 2026``. Staff mail writes every instant one
way, ``staff_moment``'s.

A small month table of our own rather than the C library's locale (``%b`` reads ``Dec`` on a
server whatever language the letter is in) or a new dependency for twelve words per language.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

MONTHS: dict[str, tuple[str, ...]] = {
    "id": (
        "Januari", "Februari", "Maret", "April", "Mei", "Juni",
        "Juli", "Agustus", "September", "Oktober", "November", "Desember",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip


def _months(lang: str) -> tuple[str, ...]:
    return MONTHS.get(lang, MONTHS["id"])


def short_moment(moment: datetime, lang: str, zone: tzinfo) -> str:
    """Day, short month and time in ``zone``: ``01 Des 17:00`` / ``01 Dec 17:00``."""
    local = moment.astimezone(zone)
    month = _months(lang)[local.month - 1][:3]
    return f"{local.day:02d} {month} {local:%H:%M}"


def long_day(day: date, lang: str) -> str:
    """Day, month and year: ``1 Desember 2026`` / ``1 December 2026``."""
    return f"{day.day} {_months(lang)[day.month - 1]} {day.year}"


def long_moment(moment: datetime, lang: str, zone: tzinfo) -> str:
    """Day, month, year and time in ``zone`` with its name, as a deadline is said:
    ``8 Desember 2026 pukul 05.40 WIB`` / ``8 December 2026 at 05:40 WIB``."""
    local = moment.astimezone(zone)
    day = long_day(local.date(), lang)
    name = local.tzname() or ""
    if lang == "en":
        return f"{day} at {local:%H:%M} {name}".rstrip()
    return f"{day} pukul {local:%H.%M} {name}".rstrip()


def staff_moment(moment: datetime, zone: tzinfo, lang: str | None = None) -> str:
    """How every staff mail (escalation, hand-over, daily digest) writes an instant: as
    ``long_moment`` in the mail's language, ``2 Desember 2026 pukul 17.26 WIB``; a mail written
    in both languages (``lang`` None) gives both, Indonesian first: ``2 Desember 2026 pukul
    17.26 WIB / 2 December 2026 at 17:26 WIB``."""
    if lang is None:
        return f"{long_moment(moment, 'id', zone)} / {long_moment(moment, 'en', zone)}"
    return long_moment(moment, lang, zone)
