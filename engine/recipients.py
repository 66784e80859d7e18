"""Who is told at an escalation level: people of the agency and up the territorial chain."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import (
    Agency,
    AgencyKind,
    Area,
    AreaLevel,
    Category,
    Staff,
    Ticket,
    UndeliverableAddress,
)
from sla import Recipient, RecipientKind

#: Up the chain of command, nearest first: where an escalation goes when a mailbox is dead.
CHAIN: tuple[tuple[str, Recipient], ...] = (
    ("assigned_officer", Recipient(RecipientKind.ASSIGNED_OFFICER)),
    ("agency_queue", Recipient(RecipientKind.AGENCY_QUEUE)),
    ("agency_head", Recipient(RecipientKind.AGENCY_HEAD)),
    ("area_office:kelurahan", Recipient(RecipientKind.AREA_OFFICE, AreaLevel.KELURAHAN)),
    ("area_office:kecamatan", Recipient(RecipientKind.AREA_OFFICE, AreaLevel.KECAMATAN)),
    ("area_office:kota", Recipient(RecipientKind.AREA_OFFICE, AreaLevel.KOTA)),
    ("governor_office", Recipient(RecipientKind.GOVERNOR_OFFICE)),
)


@dataclass(frozen=True)
class Dead:
    """An address flagged undeliverable, and why."""

    email: str
    event: str
    reason: str | None


@dataclass(frozen=True)
class Addressee:
    email: str
    #: What they are to the ticket, e.g. "agency_head" or "area_office:kecamatan".
    kind: str
    #: The undeliverable addressee this one stands in for (None: the ladder asked for them).
    instead_of: Addressee | None = None
    #: Why ``instead_of`` cannot be mailed.
    dead: Dead | None = None

    def note(self) -> str | None:
        """For operators (``tanggap outbox list``): why this row went to this address."""
        if self.instead_of is None or self.dead is None:
            return None
        why = f": {self.dead.reason}" if self.dead.reason else ""
        return (
            f"instead of {self.instead_of.email} ({self.instead_of.kind}), "
            f"undeliverable ({self.dead.event}{why})"
        )[:500]


class Directory:
    """Addresses of agencies, offices and officers, read once per sweep batch.

    The catalogue is small (tens of areas and agencies) and a batch touches many tickets, so
    reading it whole beats a lookup per ticket.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.areas = {area.id: area for area in session.scalars(select(Area))}
        self.agencies = {agency.id: agency for agency in session.scalars(select(Agency))}
        active = [a for a in self.agencies.values() if a.active]
        self.office_by_area = {a.area_id: a for a in active if a.kind == AgencyKind.AREA_OFFICE}
        governors = sorted(
            (a for a in active if a.kind == AgencyKind.GOVERNOR_OFFICE), key=lambda a: a.id
        )
        self.governor = governors[0] if governors else None
        #: Categories no area office is told of (pungli may be about that very office).
        self.withheld = set(
            session.scalars(select(Category.id).where(Category.withheld_from_area_offices))
        )
        self._officers: dict[int, Staff | None] = {}
        self.flagged = {
            row.email.lower(): Dead(row.email, row.event, row.reason)
            for row in session.scalars(select(UndeliverableAddress))
        }

    def chain(self, area_id: int) -> list[Area]:
        """The area and its ancestors, deepest first."""
        chain: list[Area] = []
        current: int | None = area_id
        while current is not None and current in self.areas:
            chain.append(self.areas[current])
            current = self.areas[current].parent_id
        return chain

    def area_office(self, ticket: Ticket, level: AreaLevel) -> Agency | None:
        """The office of the ticket's area at ``level``.

        Coarse maps may place a ticket no deeper than its kota; then the nearest office above
        the asked level is told, so an escalation never falls into a gap of the map.
        """
        wanted = level.depth
        for area in self.chain(ticket.area_id):
            if area.depth <= wanted and area.id in self.office_by_area:
                return self.office_by_area[area.id]
        return None

    def officer(self, staff_id: int) -> Staff | None:
        if staff_id not in self._officers:
            self._officers[staff_id] = self.session.get(Staff, staff_id)
        return self._officers[staff_id]

    def resolve(self, ticket: Ticket, recipients: tuple[Recipient, ...]) -> list[Addressee]:
        """Addresses for ``recipients``, from the ticket's *current* agency, officer, area and
        category (never from when a timer started: after a transfer the receiving agency is
        told; no area office for a category withheld from them), each address once."""
        found: list[Addressee] = []
        agency = self.agencies[ticket.agency_id]
        for recipient in recipients:
            kind = recipient.kind
            if kind is RecipientKind.ASSIGNED_OFFICER:
                officer = self.officer(ticket.officer_id) if ticket.officer_id else None
                if officer is not None and officer.active:
                    found.append(Addressee(officer.email, kind.value))
            elif kind is RecipientKind.AGENCY_QUEUE:
                found.append(Addressee(agency.email, kind.value))
            elif kind is RecipientKind.AGENCY_HEAD:
                found.append(Addressee(agency.head_email, kind.value))
            elif kind is RecipientKind.AREA_OFFICE and ticket.category_id in self.withheld:
                # Never named, whatever the ladder or a bounce's climb up ``CHAIN`` asks: the
                # catalogue refuses such a ladder, and a category changed since is read here.
                continue
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

    def stand_in(self, ticket: Ticket, after_kind: str, skip: Collection[str]) -> Addressee | None:
        """The nearest recipient above ``after_kind`` in ``CHAIN`` whose mailbox works and who
        is not in ``skip`` (lower-cased addresses, e.g. those who have this level already)."""
        labels = [label for label, _ in CHAIN]
        start = labels.index(after_kind) + 1 if after_kind in labels else 0
        for label, recipient in CHAIN[start:]:
            for addressee in self.resolve(ticket, (recipient,)):
                address = addressee.email.lower()
                if address not in self.flagged and address not in skip:
                    return Addressee(addressee.email, label)
        return None

    def deliverable(
        self, ticket: Ticket, addressees: list[Addressee]
    ) -> tuple[list[Addressee], list[Addressee]]:
        """Each flagged addressee replaced by their stand-in up the chain, as a bounce would
        have done after the fact: (who is mailed, flagged addressees nobody could stand in
        for)."""
        taken = {addressee.email.lower() for addressee in addressees}
        mailed: list[Addressee] = []
        lost: list[Addressee] = []
        for addressee in addressees:
            dead = self.flagged.get(addressee.email.lower())
            if dead is None:
                mailed.append(addressee)
                continue
            stand_in = self.stand_in(ticket, addressee.kind, taken)
            if stand_in is None:
                lost.append(addressee)
                continue
            taken.add(stand_in.email.lower())
            mailed.append(replace(stand_in, instead_of=addressee, dead=dead))
        return mailed, lost
