"""Time zones as people type them: one rule for the service's zone (``TANGGAP_TIMEZONE``) and
a staff member's own (``staff add --timezone``), so what one accepts the other does too."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from engine.once import built_once

#: Indonesia's three zones by the names people use for them.
ZONE_ABBREVIATIONS = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}


@built_once
def _zones_by_key() -> dict[str, str]:
    return {zone.lower(): zone for zone in available_timezones()}


def zone_name(text: str) -> str | None:
    """The canonical IANA name of ``text`` (``Asia/Makassar``, ``asia/makassar``, ``WITA``;
    surrounding spaces ignored), or ``None`` when it names no zone this server can load."""
    typed = text.strip()
    zone = ZONE_ABBREVIATIONS.get(typed.upper()) or _zones_by_key().get(typed.lower())
    if zone is None:
        return None
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):  # listed but not loadable: a broken tzdata
        return None
    return zone


def checked_zone(value: str) -> str:
    """``zone_name(value)``, or ``ValueError`` saying what was typed: for pydantic validators
    (``TANGGAP_TIMEZONE``, a catalogue calendar's ``timezone``), which name the field."""
    zone = zone_name(value)
    if zone is None:
        raise ValueError(f"unknown time zone {value[:40]!r} (e.g. Asia/Jakarta or WIB)")
    return zone


__all__ = ["ZONE_ABBREVIATIONS", "checked_zone", "zone_name"]
