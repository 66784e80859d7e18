"""An area office's api key may be narrowed to part of the office's area, never to an area apart
from it: a tester made a Kelurahan Gambir key for Jakarta Selatan, whose worklist was always
empty and which was refused the office's own tickets."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import RuleViolated
from engine.keys import create_key
from engine.lifecycle import Role
from engine.models import ApiKey

NOW = datetime.fromisoformat("2026-12-02T09:00:00+07:00")


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ApiKey)) or 0


@pytest.mark.parametrize(
    ("agency", "area"),
    [
        ("KEL-GAMBIR", "31.71.01.1001"),  # its own area
        ("KEC-GAMBIR", "31.71.01.1001"),  # a kelurahan of the kecamatan office's area
        ("KEL-GAMBIR", "31.71"),  # an area around it: narrows nothing
        ("DISHUB", "31.74"),  # a field agency works city-wide: any area narrows it
    ],
)
def test_a_key_narrowed_within_or_around_its_agency_s_reach_is_made(
    session: Session, agency: str, area: str
) -> None:
    key = create_key(session, role=Role.STAFF, name="loket", agency=agency, area=area, now=NOW)
    assert key.key.area is not None and key.key.area.code == area


@pytest.mark.parametrize(
    ("agency", "area"),
    [("KEL-GAMBIR", "31.74"), ("KEC-GAMBIR", "31.71.06"), ("kel-gambir", "31.71.01.1002")],
)
def test_a_key_of_an_area_office_narrowed_outside_its_area_is_refused_writing_nothing(
    session: Session, agency: str, area: str
) -> None:
    before = _count(session)
    with pytest.raises(RuleViolated) as refused:
        create_key(session, role=Role.SUPERVISOR, name="loket", agency=agency, area=area, now=NOW)
    assert refused.value.code == "area_outside_office"
    assert refused.value.params["field"] == "area"
    assert f"area {area} (" in str(refused.value) and "lies outside it" in str(refused.value)
    assert _count(session) == before
