"""Staff and catalogue addresses follow the one e-mail rule: an internationalised domain is
kept, found and mailed in its ASCII form."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from engine.catalogue.offices import AreaFacts, OfficePattern, render
from engine.settings import Settings
from engine.staff import add_staff, find_staff

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def test_a_staff_member_with_an_internationalised_domain_is_found_as_typed(
    session: Session,
) -> None:
    member = add_staff(
        session, email="Budi@Dinas.Bücher.ID", name="Budi", role="staff", agency="DISHUB", now=NOW
    )
    assert member.email == "budi@dinas.xn--bcher-kva.id"
    for typed in ("budi@dinas.bücher.id", " BUDI@DINAS.XN--BCHER-KVA.ID ", "budi@Dinas.BÜCHER.id"):
        assert find_staff(session, typed) is member, typed


def test_an_area_office_pattern_with_an_internationalised_domain_renders_ascii() -> None:
    pattern = OfficePattern(
        "kelurahan", "KEL-{SLUG}", "Kelurahan {name}", "kel-{slug}@jakarta.香港",
        "lurah-{slug}@jakarta.香港",
    )  # fmt: skip
    office = render(pattern, AreaFacts("31.71.01.1001", "Kebon Kacang", "kelurahan"))
    assert (office.email, office.head_email) == (
        "kel-kebon-kacang@jakarta.xn--j6w193g",
        "lurah-kebon-kacang@jakarta.xn--j6w193g",
    )


def test_an_operator_address_needing_smtputf8_is_refused_saying_why() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(operator_email="operátor@kota.example")
    assert "operator_email" in str(refused.value)
    assert "cannot be delivered: the part before the @ may only have ASCII letters" in str(
        refused.value
    )
    assert Settings(operator_email="ops@kota.香港").operator_email == "ops@kota.xn--j6w193g"
