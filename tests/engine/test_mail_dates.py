"""A deadline as a mail says it: the city's day and time, with the zone's name."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from engine.mail_dates import long_moment

JAKARTA = ZoneInfo("Asia/Jakarta")


@pytest.mark.parametrize(
    ("lang", "said"),
    [("id", "8 Desember 2026 pukul 05.40 WIB"), ("en", "8 December 2026 at 05:40 WIB")],
)
def test_a_deadline_late_in_the_utc_day_is_the_next_city_day_with_its_time(
    lang: str, said: str
) -> None:
    # Resolved Tue 1 Dec 05:40 WIB (30 Nov 22:40 UTC): seven days later, to the minute.
    assert long_moment(datetime(2026, 12, 7, 22, 40, tzinfo=UTC), lang, JAKARTA) == said
