"""Who is told at an escalation level: people of the agency and up the territorial chain."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import Agency, AgencyKind, AreaLevel, SlaTimer, Staff, Ticket
from engine.routing import ancestry
from sla import Recipient, RecipientKind


@dataclass(frozen=True)
class Addressee:
    email: str
    #: What they are to the ticket, e.g. "agency_head" or "area_office:kecamatan".
    kind: str


class Directory:
    """Looks up addresses; built once per sweep batch so offices are read once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        offices = session.scalars(
            select(Agency).where(Agency.active, Agency.kind == AgencyKind.AREA_OFFICE.value)
        )
        self.office_by_area = {office.area_id: office for office in offices}
        self.governor = session.scalars(
            select(Agency)
            .where(Agency.active, Agency.kind == AgencyKind.GOVERNOR_OFFICE.value)
            .order_by(Agency.id)
        ).first()

    def area_office(self, ticket: Ticket, level: str) -> Agency | None:
        """The office of the ticket's area at ``level``.

        Coarse maps may place a ticket no deeper than its kota; then the nearest office above
        the asked level is told, so an escalation never falls into a gap of the map.
        """
        wanted = AreaLevel(level).depth
        chain = ancestry(self.session, ticket.area)  # deepest first
        for area in chain:
            if area.depth <= wanted and area.id in self.office_by_area:
                return self.office_by_area[area.id]
        return None

    def resolve(
        self, ticket: Ticket, timer: SlaTimer, recipients: tuple[Recipient, ...]
    ) -> list[Addressee]:
        found: list[Addressee] = []
        agency = self.session.get(Agency, timer.agency_id) or ticket.agency
        for recipient in recipients:
            kind = recipient.kind
            if kind is RecipientKind.ASSIGNED_OFFICER:
                officer = self.session.get(Staff, ticket.officer_id) if ticket.officer_id else None
                if officer is not None and officer.active:
                    found.append(Addressee(officer.email, kind.value))
            elif kind is RecipientKind.AGENCY_QUEUE:
                found.append(Addressee(agency.email, kind.value))
            elif kind is RecipientKind.AGENCY_HEAD:
                found.append(Addressee(agency.head_email, kind.value))
            elif kind is RecipientKind.AREA_OFFICE and recipient.area_level:
                office = self.area_office(ticket, recipient.area_level)
                if office is not None:
                    label = f"{kind.value}:{recipient.area_level}"
                    found.append(Addressee(office.head_email, label))
            elif kind is RecipientKind.GOVERNOR_OFFICE and self.governor is not None:
                found.append(Addressee(self.governor.head_email, kind.value))
        unique: dict[str, Addressee] = {}
        for addressee in found:
            unique.setdefault(addressee.email.lower(), addressee)
        return list(unique.values())
