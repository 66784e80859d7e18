"""Who a ticket can be given to: the active officers of agencies, and the active agencies (for
the staff pages' assign and transfer choices)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import Agency, AgencyKind, Category, Staff


@dataclass(frozen=True)
class Officer:
    email: str
    name: str


@dataclass(frozen=True)
class AgencyEntry:
    code: str
    name: str
    #: A kelurahan, kecamatan or kota office: never given a complaint withheld from area
    #: offices (``actions._check_may_hold``).
    area_office: bool = False


def officers_by_agency(session: Session, agency_codes: set[str]) -> dict[str, list[Officer]]:
    """Active staff of each agency in ``agency_codes``, by name."""
    found: dict[str, list[Officer]] = defaultdict(list)
    if not agency_codes:
        return found
    for code, email, name in session.execute(
        select(Agency.code, Staff.email, Staff.name)
        .join(Agency, Agency.id == Staff.agency_id)
        .where(Agency.code.in_(sorted(agency_codes)), Staff.active)
        .order_by(Staff.name, Staff.email)
    ):
        found[code].append(Officer(email, name))
    return found


def list_agencies(session: Session) -> list[AgencyEntry]:
    """Active agencies, by code."""
    rows = session.execute(
        select(Agency.code, Agency.name, Agency.kind).where(Agency.active).order_by(Agency.code)
    )
    return [AgencyEntry(code, name, kind == AgencyKind.AREA_OFFICE) for code, name, kind in rows]


def withheld_categories(session: Session) -> frozenset[str]:
    """The codes of the categories withheld from area offices (pungli): their tickets are
    never transferred to one."""
    return frozenset(
        session.scalars(select(Category.code).where(Category.withheld_from_area_offices))
    )


def other_officers(officers: list[Officer], current: str | None) -> list[Officer]:
    """Whom a ticket held by the officer ``current`` (an e-mail; None: nobody) can be handed
    to among ``officers``: anyone but them (``actions._reassign`` refuses the officer a ticket
    is with already)."""
    return [o for o in officers if current is None or o.email.lower() != current.lower()]


def other_agencies(
    agencies: list[AgencyEntry], current: str, *, withheld: bool = False
) -> list[AgencyEntry]:
    """Where a ticket held by agency ``current`` (a code) can be transferred among
    ``agencies``: anywhere but there (``actions._transfer`` refuses the agency it is with),
    and, for a complaint ``withheld`` from area offices, no area office (``_check_may_hold``
    refuses it)."""
    return [a for a in agencies if a.code != current and not (withheld and a.area_office)]


def transfer_key(agency: str, withheld: bool) -> str:
    """The name of the list of agencies a ticket held by ``agency`` can be transferred to
    (``other_agencies``): one per holding agency, and another for its withheld complaints."""
    return f"{agency}--withheld" if withheld else agency
