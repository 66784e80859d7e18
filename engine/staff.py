"""Staff accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import CatalogueEntryNotFound, RuleViolated, StaffNotFound
from engine.lifecycle import STAFF_ROLES, Role
from engine.models import Agency, Staff


def find_staff(session: Session, email: str) -> Staff | None:
    return session.scalars(select(Staff).where(Staff.email == email.strip().lower())).first()


def get_staff(session: Session, email: str) -> Staff:
    member = find_staff(session, email)
    if member is None:
        raise StaffNotFound(f"no staff member {email!r}")
    return member


def add_staff(
    session: Session, *, email: str, name: str, role: Role, agency: str | None, now: datetime
) -> Staff:
    """Create a staff account, or update an existing one with the same e-mail."""
    if role not in STAFF_ROLES:
        raise RuleViolated(f"{role} is not a staff role")
    if role is not Role.ADMIN and not agency:
        raise RuleViolated(f"a {role} must belong to an agency")
    agency_row = None
    if agency:
        agency_row = session.scalars(select(Agency).where(Agency.code == agency)).first()
        if agency_row is None:
            raise CatalogueEntryNotFound(f"no agency with code {agency!r}")
    member = find_staff(session, email)
    if member is None:
        member = Staff(email=email.strip().lower(), created_at=now)
        session.add(member)
    member.name = name
    member.role = role.value
    member.agency = agency_row
    member.active = True
    session.flush()
    return member
