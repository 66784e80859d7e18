"""How a target reads back (policy listings show it): the catalogue's own notation.

Written against mutants of ``Target.__str__`` that survived the suite (issue 6 §7).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from sla import Target, parse_target

#: Pure code or a database of its own: the PostgreSQL pass leaves it out (tests/conftest.py).
pytestmark = pytest.mark.database_free


@pytest.mark.parametrize(
    ("target", "text"),
    [
        (Target(days=3), "3d"),
        (Target(business=timedelta(minutes=45)), "45m"),
        (Target(business=timedelta(hours=1)), "1h"),
        (Target(business=timedelta(minutes=90)), "1h30m"),
        (Target(business=timedelta(hours=24)), "24h"),
        (Target(days=1, business=timedelta(hours=4)), "1d4h"),
        (Target(days=2, business=timedelta(hours=1, minutes=5)), "2d1h5m"),
        (Target(business=timedelta(seconds=30)), "0m"),
    ],
)
def test_target_reads_back_in_catalogue_notation(target: Target, text: str) -> None:
    assert str(target) == text


@pytest.mark.parametrize("text", ["3d", "45m", "1h", "1h30m", "1d4h", "2d1h5m"])
def test_target_text_round_trips(text: str) -> None:
    assert str(parse_target(text)) == text
