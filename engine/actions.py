"""Staff and citizen actions on a ticket: one function per trigger of DESIGN §2.

Each function loads the ticket, checks version, state, actor and input — in that order, so a
stale or illegal request is a conflict before it is anything else — changes the ticket, and
writes exactly one event through ``tickets.write_transition``. Nothing is committed here.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.actors import Actor, check_may_act
from engine.catalogue.lookup import get_agency
from engine.errors import (
    RuleViolated,
    StaffNotFound,
    StaleVersion,
)
from engine.lifecycle import RULES_BY_TRIGGER, Rule, State, Trigger, fire, parse_trigger
from engine.models import Agency, Staff, Ticket
from engine.photos import MediaStorage
from engine.routing import locate, route
from engine.settings import Settings
from engine.staff import find_staff
from engine.submission import attach_photos, check_location, clean_photos, get_category
from engine.text import LIMITS, clean_text
from engine.tickets import get_ticket, write_transition


class _Step:
    """One transition in the making: the ticket, its rule and where it goes."""

    def __init__(
        self,
        session: Session,
        code: str,
        trigger: Trigger,
        actor: Actor,
        now: datetime,
        settings: Settings,
        expected_version: int | None,
    ) -> None:
        self.session = session
        self.ticket: Ticket = get_ticket(session, code)
        self.rule: Rule = RULES_BY_TRIGGER[trigger]
        self.actor = actor
        self.now = now
        if expected_version is not None and expected_version != self.ticket.version:
            raise StaleVersion(
                f"ticket {self.ticket.code} is at version {self.ticket.version}, "
                f"not {expected_version}: reload it and try again"
            )
        held = State(self.ticket.held_from) if self.ticket.held_from else None
        self.dest: State = fire(self.ticket.state, trigger, held_from=held)
        check_may_act(
            session, actor, self.rule, self.ticket, now=now, dispute_window=settings.dispute_window
        )

    def reason(self, note: str | None) -> str | None:
        text = clean_text(note, field="note", limit=LIMITS["note"])
        if self.rule.reason_required and text is None:
            raise RuleViolated(f"{self.rule.trigger.value} needs a reason (note)")
        return text

    def write(
        self, note: str | None, public: bool | None, data: dict[str, Any] | None = None
    ) -> Ticket:
        write_transition(
            self.session,
            self.ticket,
            trigger=self.rule.trigger,
            to_state=self.dest,
            actor=self.actor,
            note=note,
            public=self.rule.public_note if public is None else public,
            data=data or {},
            now=self.now,
        )
        return self.ticket


def _agency(session: Session, code: str) -> Agency:
    return get_agency(session, code)  # any spelling of the code; unknown codes list valid ones


def _officer(session: Session, email: str, agency: Agency) -> Staff:
    officer = find_staff(session, email)
    if officer is None or not officer.active:
        raise StaffNotFound(f"no active staff member {email!r}")
    if officer.agency_id != agency.id:
        raise RuleViolated(f"{email} does not work for {agency.code}")
    return officer


def verify(
    session: Session,
    code: str,
    *,
    actor: Actor,
    now: datetime,
    settings: Settings,
    note: str | None = None,
    public: bool | None = None,
    category: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Confirm the report; correcting its category or location re-routes it."""
    step = _Step(session, code, Trigger.VERIFY, actor, now, settings, expected_version)
    ticket, text = step.ticket, step.reason(note)
    # Work out every correction before touching the ticket: a bad one must change nothing.
    new_category = None
    if category is not None and category != ticket.category.code:
        new_category = get_category(session, category)
    if (lat is None) != (lon is None):
        raise RuleViolated("correct the location with both latitude and longitude")
    new_area = None
    if lat is not None and lon is not None and (lat, lon) != (ticket.lat, ticket.lon):
        check_location(lat, lon)
        new_area = locate(session, lat=lat, lon=lon)
    data: dict[str, Any] = {}
    if new_category is not None:
        ticket.category = new_category
        data["category"] = new_category.code
    if new_area is not None and lat is not None and lon is not None:
        ticket.area, ticket.lat, ticket.lon = new_area, lat, lon
        data["location"] = [lat, lon]
    if data:
        agency = route(session, ticket.category, ticket.area)
        if agency.id != ticket.agency_id:
            ticket.agency = agency
            data["agency"] = agency.code
    return step.write(text, public, data)


def reject(
    session: Session,
    code: str,
    *,
    actor: Actor,
    now: datetime,
    settings: Settings,
    note: str | None = None,
    public: bool | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Refuse the report (spam, not the city's business, not enough information)."""
    step = _Step(session, code, Trigger.REJECT, actor, now, settings, expected_version)
    return step.write(step.reason(note), public)


def mark_duplicate(
    session: Session,
    code: str,
    *,
    actor: Actor,
    now: datetime,
    settings: Settings,
    duplicate_of: str | None = None,
    note: str | None = None,
    public: bool | None = None,
    expected_version: int | None = None,
) -> Ticket:
    step = _Step(session, code, Trigger.MARK_DUPLICATE, actor, now, settings, expected_version)
    if not duplicate_of:
        raise RuleViolated("mark_duplicate needs the code of the ticket it duplicates")
    parent = get_ticket(session, duplicate_of)
    if parent.id == step.ticket.id:
        raise RuleViolated("a ticket cannot duplicate itself")
    if parent.state in (State.DUPLICATE, State.REJECTED):
        raise RuleViolated(f"{parent.code} is {parent.state}; point at the ticket that stands")
    step.ticket.duplicate_of = parent
    return step.write(step.reason(note), public, {"duplicate_of": parent.code})


def assign(
    session: Session,
    code: str,
    *,
    actor: Actor,
    now: datetime,
    settings: Settings,
    agency: str | None = None,
    officer: str | None = None,
    note: str | None = None,
    public: bool | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Dispose the ticket to an agency (default: the one it was routed to), maybe an officer."""
    step = _Step(session, code, Trigger.ASSIGN, actor, now, settings, expected_version)
    ticket, text = step.ticket, step.reason(note)
    target = _agency(session, agency) if agency else ticket.agency
    assignee = _officer(session, officer, target) if officer else None
    ticket.agency, ticket.officer = target, assignee
    data = {"agency": target.code} | ({"officer": officer} if officer else {})
    return step.write(text, public, data)


def transfer(
    session: Session,
    code: str,
    *,
    actor: Actor,
    now: datetime,
    settings: Settings,
    agency: str | None = None,
    note: str | None = None,
    officer: str | None = None,
    public: bool | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Hand the ticket to another agency (JAKI "Koordinasi"); its clock starts there."""
    step = _Step(session, code, Trigger.TRANSFER, actor, now, settings, expected_version)
    ticket, text = step.ticket, step.reason(note)
    if not agency:
        raise RuleViolated("transfer needs the agency to hand the ticket to")
    target = _agency(session, agency)
    if target.id == ticket.agency_id:
        raise RuleViolated(f"ticket {ticket.code} is already with {target.code}")
    assignee = _officer(session, officer, target) if officer else None
    data = {"from_agency": ticket.agency.code, "agency": target.code}
    ticket.agency, ticket.officer = target, assignee
    return step.write(text, public, data)


def start(
    session: Session,
    code: str,
    *,
    actor: Actor,
    now: datetime,
    settings: Settings,
    note: str | None = None,
    public: bool | None = None,
    expected_version: int | None = None,
) -> Ticket:
    step = _Step(session, code, Trigger.START, actor, now, settings, expected_version)
    if step.ticket.officer_id is None and actor.staff_id is not None:
        step.ticket.officer = session.get(Staff, actor.staff_id)  # whoever starts the work owns it
    return step.write(step.reason(note), public)


def hold(
    session: Session,
    code: str,
    *,
    actor: Actor,
    now: datetime,
    settings: Settings,
    note: str | None = None,
    public: bool | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Pause the work (waiting for a utility, a permit, the weather); SLA clocks pause too."""
    step = _Step(session, code, Trigger.HOLD, actor, now, settings, expected_version)
    text = step.reason(note)
    step.ticket.held_from = step.ticket.state
    return step.write(text, public)


def resume(
    session: Session,
    code: str,
    *,
    actor: Actor,
    now: datetime,
    settings: Settings,
    note: str | None = None,
    public: bool | None = None,
    expected_version: int | None = None,
) -> Ticket:
    step = _Step(session, code, Trigger.RESUME, actor, now, settings, expected_version)
    step.ticket.held_from = None
    return step.write(step.reason(note), public)


def resolve(
    session: Session,
    code: str,
    *,
    actor: Actor,
    now: datetime,
    settings: Settings,
    storage: MediaStorage,
    note: str | None = None,
    photos: Sequence[bytes] = (),
    public: bool | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Report the fix to the citizen: a public note, and a proof photo where the category asks."""
    step = _Step(session, code, Trigger.RESOLVE, actor, now, settings, expected_version)
    ticket = step.ticket
    text = step.reason(note)
    if ticket.category.photo_on_resolve and not photos:
        raise RuleViolated(f"resolving {ticket.category.name_en.lower()} needs a proof photo")
    attach_photos(
        session,
        ticket,
        clean_photos(photos, settings),
        purpose="proof",
        event_seq=ticket.version + 1,
        storage=storage,
        now=now,
    )
    ticket.resolved_at = now
    return step.write(text, public, {"photos": len(photos)} if photos else {})


def reopen(
    session: Session,
    code: str,
    *,
    actor: Actor,
    now: datetime,
    settings: Settings,
    note: str | None = None,
    public: bool | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """The fix did not hold: back to the agency for a new resolution cycle."""
    step = _Step(session, code, Trigger.REOPEN, actor, now, settings, expected_version)
    ticket = step.ticket
    text = step.reason(note)
    ticket.cycle += 1
    ticket.resolved_at = None
    return step.write(text, public, {"cycle": ticket.cycle})


def close(
    session: Session,
    code: str,
    *,
    actor: Actor,
    now: datetime,
    settings: Settings,
    rating: int | None = None,
    note: str | None = None,
    public: bool | None = None,
    expected_version: int | None = None,
) -> Ticket:
    step = _Step(session, code, Trigger.CLOSE, actor, now, settings, expected_version)
    if rating is not None and not 1 <= rating <= 5:
        raise RuleViolated("rating must be between 1 and 5")
    step.ticket.rating = rating
    step.ticket.closed_at = now
    return step.write(step.reason(note), public, {"rating": rating} if rating else {})


ACTIONS = {
    Trigger.VERIFY: verify,
    Trigger.REJECT: reject,
    Trigger.MARK_DUPLICATE: mark_duplicate,
    Trigger.ASSIGN: assign,
    Trigger.TRANSFER: transfer,
    Trigger.START: start,
    Trigger.HOLD: hold,
    Trigger.RESUME: resume,
    Trigger.RESOLVE: resolve,
    Trigger.REOPEN: reopen,
    Trigger.CLOSE: close,
}


def perform(
    session: Session,
    code: str,
    action: str,
    *,
    actor: Actor,
    now: datetime,
    settings: Settings,
    storage: MediaStorage,
    **fields: Any,
) -> Ticket:
    """Fire the action named ``action`` (for the CLI and generic API routes).

    ``fields`` not meaningful for the action are an error, so a typo never passes silently.
    """
    trigger = parse_trigger(action)
    if trigger is Trigger.SUBMIT:
        raise RuleViolated("submit creates a ticket; it is not an action on one")
    function: Any = ACTIONS[trigger]
    accepted = set(inspect.signature(function).parameters)
    given = {k: v for k, v in fields.items() if v is not None and v != ()}
    unexpected = sorted(set(given) - accepted)
    if unexpected:
        raise RuleViolated(f"{trigger.value} does not take: {', '.join(unexpected)}")
    if "storage" in accepted:
        given["storage"] = storage
    result: Ticket = function(session, code, actor=actor, now=now, settings=settings, **given)
    return result
