"""Who is acting, and whether they may act on a given ticket."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from engine import visibility
from engine.codes import not_found
from engine.errors import Forbidden, TicketNotFound
from engine.lifecycle import Role, Rule, Scope, Trigger
from engine.models import Agency, AgencyKind, Staff, Ticket
from engine.routing import ancestry


@dataclass(frozen=True)
class Actor:
    role: Role
    label: str
    staff_id: int | None = None
    agency_id: int | None = None
    #: A citizen proves they reported the ticket with the token they got on submission.
    reporter_token: str | None = None

    @classmethod
    def of_staff(cls, staff: Staff) -> Actor:
        if not staff.active:
            raise Forbidden(f"staff account {staff.email} is deactivated")
        return cls(Role(staff.role), staff.name, staff_id=staff.id, agency_id=staff.agency_id)

    @classmethod
    def citizen(cls, reporter_token: str | None = None) -> Actor:
        return cls(Role.CITIZEN, "citizen", reporter_token=reporter_token)

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(Role.SYSTEM, label)


#: A role as a sentence names the people in it: "staff may not rate; only citizens may".
_PEOPLE = {
    Role.CITIZEN: "citizens",
    Role.STAFF: "staff",
    Role.SUPERVISOR: "supervisors",
    Role.ADMIN: "admins",
    Role.SYSTEM: "the system",
    Role.CLIENT: "Open311 clients",
}


def _in_words(names: list[str]) -> str:
    """["staff", "supervisors", "admins"] → "staff, supervisors and admins"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def hash_token(token: str) -> str:
    # "replace": a token typed in a broken encoding is simply a token that matches nothing.
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def check_may_act(
    session: Session,
    actor: Actor,
    rule: Rule,
    ticket: Ticket,
    *,
    now: datetime,
    dispute_window: timedelta,
) -> None:
    """Raise ``Forbidden`` unless ``actor`` may fire ``rule`` on ``ticket``."""
    if actor.role not in rule.roles:
        allowed = _in_words([_PEOPLE[r] for r in Role if r in rule.roles])
        raise Forbidden(f"{_PEOPLE[actor.role]} may not {rule.trigger.value}; only {allowed} may")
    if actor.role in (Role.ADMIN, Role.SYSTEM) or rule.scope is Scope.ANY:
        return
    if actor.role is Role.CITIZEN:
        check_reporter(actor, ticket)
        check_reporter_in_time(rule, ticket, now=now, dispute_window=dispute_window)
        return
    if actor.agency_id is None:
        raise Forbidden(f"{actor.label} belongs to no agency")
    if actor.agency_id == ticket.agency_id:
        return
    agency = session.get(Agency, actor.agency_id)
    if withheld_from(agency, ticket):
        raise TicketNotFound(not_found(ticket.code))
    # Area offices and the governor's office triage everything beneath them; their
    # supervisors also oversee field work there (the territorial chain of command).
    oversees = rule.scope is Scope.TRIAGE or actor.role is Role.SUPERVISOR
    if oversees and _territory_holds(session, agency, ticket):
        return
    raise Forbidden(
        f"{actor.label} ({agency.code if agency else '?'}) may not {rule.trigger.value} "
        f"ticket {ticket.code}: it belongs to another agency"
    )


def check_reporter_in_time(
    rule: Rule, ticket: Ticket, *, now: datetime, dispute_window: timedelta
) -> None:
    """``Forbidden`` when the reporter's time to fire ``rule`` has passed (their token aside,
    which ``check_reporter`` checks): a dispute after the window."""
    # The dispute window runs from the resolution, whether or not the ticket was closed
    # since: closing early never cuts it.
    resolved = ticket.resolved_at
    if rule.trigger is Trigger.REOPEN and resolved and now > resolved + dispute_window:
        days = dispute_window.days
        raise Forbidden(f"the {days}-day window to dispute this resolution has passed")


def check_reach(session: Session, actor: Actor, ticket: Ticket) -> None:
    """``Forbidden`` unless the ticket lies within what a staff ``actor``'s agency sees: its own
    tickets, an area office's area, the governor's office everything (``keys.visible``).

    Checked before the version and the state: someone who may not see a ticket learns
    nothing of it from a refusal, however the request is worded."""
    if actor.role in (Role.ADMIN, Role.SYSTEM, Role.CITIZEN):
        return
    if actor.role is Role.CLIENT:
        raise Forbidden("an Open311 client files reports for citizens; it sees no tickets")
    if actor.agency_id is not None and actor.agency_id == ticket.agency_id:
        return
    agency = session.get(Agency, actor.agency_id) if actor.agency_id is not None else None
    if withheld_from(agency, ticket):
        raise TicketNotFound(not_found(ticket.code))
    if _territory_holds(session, agency, ticket):
        return
    raise Forbidden(f"ticket {ticket.code} belongs to another agency")


def withheld_from(agency: Agency | None, ticket: Ticket) -> bool:
    """Whether ``ticket`` is withheld from ``agency``: an area office (kelurahan, kecamatan,
    kota) other than the one holding it, and the ticket's category, as it is now, one that
    may concern an area office's own staff (``Category.withheld_from_area_offices``, pungli).

    Such a ticket is to that office as a ticket that does not exist (``TicketNotFound``, never
    a refusal that says it is there): the office it may be about must not learn of it."""
    return (
        agency is not None
        and agency.kind == AgencyKind.AREA_OFFICE
        and agency.id != ticket.agency_id
        and ticket.category.withheld_from_area_offices
    )


def check_not_withheld(
    session: Session, actor: Actor, ticket: Ticket, *, typed: str | None = None
) -> None:
    """``TicketNotFound`` (worded for ``typed``, the code as the request gave it) when a staff
    ``actor``'s agency is an area office the ticket is withheld from; whatever the trigger's
    scope (a comment or a merge reaches any other ticket, never this one)."""
    if actor.role not in (Role.STAFF, Role.SUPERVISOR) or actor.agency_id is None:
        return
    if withheld_from(session.get(Agency, actor.agency_id), ticket):
        raise TicketNotFound(not_found(typed if typed is not None else ticket.code))


def _territory_holds(session: Session, agency: Agency | None, ticket: Ticket) -> bool:
    """Whether ``agency`` is a territorial office over the ticket: the governor's office
    everywhere, an area office in its area and beneath it (never over a ticket withheld from
    it, ``withheld_from``)."""
    if agency is None:
        return False
    if agency.kind == AgencyKind.GOVERNOR_OFFICE:
        return True
    if withheld_from(agency, ticket):
        return False
    return agency.kind == AgencyKind.AREA_OFFICE and agency.area_id in {
        area.id for area in ancestry(session, ticket.area)
    }


def check_reporter(actor: Actor, ticket: Ticket, *, typed: str | None = None) -> None:
    """``Forbidden`` unless ``actor`` holds this ticket's reporter token; for a report the
    public may not see (``visibility.published``) the refusal is ``TicketNotFound`` with the
    words of an unknown code (``typed``, what was asked for), so a wrong token never tells
    that it exists."""
    held = actor.reporter_token
    stored = ticket.reporter_token_hash
    if held and stored and hmac.compare_digest(hash_token(held), stored):
        return
    if not visibility.published(ticket):
        raise TicketNotFound(not_found(typed if typed is not None else ticket.code))
    if not held or not stored:
        raise Forbidden("only the reporter, with the report's reporter token, may do this")
    raise Forbidden("the reporter token does not match this report")
