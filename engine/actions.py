"""Staff and citizen actions on a ticket: one function per trigger of DESIGN §2.

Each function loads the ticket, checks version, state, actor and input — in that order, so a
stale or illegal request is a conflict before it is anything else — changes the ticket, and
writes exactly one event through ``tickets.write_transition``. Nothing is committed here.

**Events say what changed.** Every change of a ticket's category, priority, location, area,
agency, officer or duplicate target is in its event's ``data`` as ``{"field": {"from": …,
"to": …}}`` (``history.replay_history`` rebuilds a ticket from its events alone).

**A second ticket is guarded too.** A transition that reads or changes another ticket (a
duplicate's target) locks both rows in id order (``FOR UPDATE`` on PostgreSQL; SQLite has one
writer), re-reads them, and writes an event on the target (``merge``): its version moves, so a
concurrent transition on it — marking it a duplicate the other way round, rejecting it — is a
conflict instead of a silent contradiction.
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
    Forbidden,
    RuleViolated,
    StaffNotFound,
    StaleVersion,
)
from engine.lifecycle import RULES_BY_TRIGGER, Role, Rule, State, Trigger, fire, parse_trigger
from engine.models import Agency, Category, Priority, Staff, Ticket
from engine.photos import CleanPhoto, MediaStorage
from engine.routing import locate, route
from engine.settings import Settings
from engine.staff import find_staff
from engine.submission import attach_photos, check_location, clean_photos, get_category
from engine.text import LIMITS, clean_text
from engine.tickets import get_ticket, lock_tickets, write_transition

Change = dict[str, Any]


def _change(data: dict[str, Any], field: str, old: Any, new: Any) -> None:
    if old != new:
        data[field] = {"from": old, "to": new}


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
        *,
        related: Sequence[str] = (),
    ) -> None:
        self.session = session
        self.ticket: Ticket = get_ticket(session, code)
        self.related: list[Ticket] = [get_ticket(session, other) for other in related]
        if self.related:
            lock_tickets(session, [self.ticket, *self.related])
        self.rule: Rule = RULES_BY_TRIGGER[trigger]
        self.actor = actor
        self.now = now
        self.settings = settings
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

    def write_with_photos(
        self,
        note: str | None,
        public: bool | None,
        photos: Sequence[CleanPhoto],
        *,
        purpose: str,
        storage: MediaStorage,
    ) -> Ticket:
        """The event, then its photos (checked before anything was written), keyed to it."""
        self.write(note, public, {"photos": len(photos)} if photos else {})
        attach_photos(
            self.session,
            self.ticket,
            photos,
            purpose=purpose,
            event_seq=self.ticket.version,
            storage=storage,
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


def _priority(value: str) -> str:
    wanted = value.strip().lower()
    if wanted not in set(Priority):
        known = ", ".join(p.value for p in Priority)
        raise RuleViolated(f"unknown priority {value!r}; use one of {known}")
    return wanted


class _Corrections:
    """Category, priority and location corrections, all checked before any is applied."""

    def __init__(
        self,
        session: Session,
        ticket: Ticket,
        *,
        category: str | None,
        priority: str | None,
        lat: float | None,
        lon: float | None,
        tolerance_m: float,
    ) -> None:
        self.category: Category | None = None
        if category is not None:
            found = get_category(session, category)
            self.category = found if found.id != ticket.category_id else None
        self.priority = _priority(priority) if priority is not None else None
        if (lat is None) != (lon is None):
            raise RuleViolated("correct the location with both latitude and longitude")
        self.location: tuple[float, float] | None = None
        self.area = None
        if lat is not None and lon is not None and (lat, lon) != (ticket.lat, ticket.lon):
            check_location(lat, lon)
            self.area = locate(session, lat=lat, lon=lon, tolerance_m=tolerance_m)
            self.location = (lat, lon)

    def apply(
        self, session: Session, ticket: Ticket, data: dict[str, Any], *, reroute: bool
    ) -> None:
        if self.category is not None:
            _change(data, "category", ticket.category.code, self.category.code)
            ticket.category = self.category
        if self.priority is not None:
            _change(data, "priority", ticket.priority, self.priority)
            ticket.priority = self.priority
        if self.location is not None and self.area is not None:
            _change(data, "location", [ticket.lat, ticket.lon], list(self.location))
            _change(data, "area", ticket.area.code, self.area.code)
            ticket.lat, ticket.lon = self.location
            ticket.area = self.area
        if reroute and (self.category is not None or self.area is not None):
            agency = route(session, ticket.category, ticket.area)
            if agency.id != ticket.agency_id:
                _change(data, "agency", ticket.agency.code, agency.code)
                ticket.agency = agency


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
    priority: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Confirm the report; correcting its category or location re-routes it, and the SLA
    clocks are re-evaluated for the corrected ticket at once."""
    step = _Step(session, code, Trigger.VERIFY, actor, now, settings, expected_version)
    ticket, text = step.ticket, step.reason(note)
    # Work out every correction before touching the ticket: a bad one must change nothing.
    fixes = _Corrections(
        session,
        ticket,
        category=category,
        priority=priority,
        lat=lat,
        lon=lon,
        tolerance_m=settings.locate_tolerance_m,
    )
    data: dict[str, Any] = {}
    fixes.apply(session, ticket, data, reroute=True)
    return step.write(text, public, data)


def update(
    session: Session,
    code: str,
    *,
    actor: Actor,
    now: datetime,
    settings: Settings,
    note: str | None = None,
    public: bool | None = None,
    category: str | None = None,
    priority: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Change priority, category or location with a reason; the state stays.

    Before assignment a changed category or location re-routes the ticket; once an agency
    has it, moving it is a ``transfer``. The SLA clocks follow the change at once.
    """
    step = _Step(session, code, Trigger.UPDATE, actor, now, settings, expected_version)
    ticket, text = step.ticket, step.reason(note)
    fixes = _Corrections(
        session,
        ticket,
        category=category,
        priority=priority,
        lat=lat,
        lon=lon,
        tolerance_m=settings.locate_tolerance_m,
    )
    data: dict[str, Any] = {}
    fixes.apply(session, ticket, data, reroute=ticket.state in (State.SUBMITTED, State.VERIFIED))
    if not data:
        raise RuleViolated("update changes nothing: give a new priority, category or location")
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
    """Close the ticket as a duplicate of one that stands; that one gets a ``merge`` event."""
    if not duplicate_of:
        # Version and state come first (a stale request is a conflict before anything else).
        _Step(session, code, Trigger.MARK_DUPLICATE, actor, now, settings, expected_version)
        raise RuleViolated("mark_duplicate needs the code of the ticket it duplicates")
    step = _Step(
        session,
        code,
        Trigger.MARK_DUPLICATE,
        actor,
        now,
        settings,
        expected_version,
        related=[duplicate_of],
    )
    ticket, parent = step.ticket, step.related[0]
    text = step.reason(note)
    if parent.id == ticket.id:
        raise RuleViolated("a ticket cannot duplicate itself")
    if parent.state in (State.DUPLICATE, State.REJECTED):
        raise RuleViolated(f"{parent.code} is {parent.state}; point at the ticket that stands")
    ticket.duplicate_of = parent
    step.write(text, public, {"duplicate_of": {"from": None, "to": parent.code}})
    merge = _Step(session, parent.code, Trigger.MERGE, actor, now, settings, None)
    merge.write(None, False, {"duplicate": ticket.code})
    return ticket


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
    data: dict[str, Any] = {}
    _change(data, "agency", ticket.agency.code, target.code)
    _change(data, "officer", _email(ticket.officer), _email(assignee))
    ticket.agency, ticket.officer = target, assignee
    return step.write(text, public, data)


def _email(staff: Staff | None) -> str | None:
    return staff.email if staff is not None else None


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
    """Hand the ticket to another agency (JAKI "Koordinasi"); its clocks follow it there."""
    step = _Step(session, code, Trigger.TRANSFER, actor, now, settings, expected_version)
    ticket, text = step.ticket, step.reason(note)
    if not agency:
        raise RuleViolated("transfer needs the agency to hand the ticket to")
    target = _agency(session, agency)
    if target.id == ticket.agency_id:
        raise RuleViolated(f"ticket {ticket.code} is already with {target.code}")
    assignee = _officer(session, officer, target) if officer else None
    data: dict[str, Any] = {}
    _change(data, "agency", ticket.agency.code, target.code)
    _change(data, "officer", _email(ticket.officer), _email(assignee))
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
    data: dict[str, Any] = {}
    if step.ticket.officer_id is None and actor.staff_id is not None:
        officer = session.get(Staff, actor.staff_id)  # whoever starts the work owns it
        _change(data, "officer", None, _email(officer))
        step.ticket.officer = officer
    return step.write(step.reason(note), public, data)


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
    cleaned = clean_photos(photos, settings)
    ticket.resolved_at = now
    return step.write_with_photos(text, public, cleaned, purpose="proof", storage=storage)


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
    """The fix did not hold: back to the agency for a new resolution cycle.

    A resolved ticket: its reporter (within the dispute window) or staff of its agency. A
    closed one: its reporter within the dispute window — counted from the resolution, so
    closing early never cuts it — or an admin at any time, with a reason.
    """
    step = _Step(session, code, Trigger.REOPEN, actor, now, settings, expected_version)
    ticket = step.ticket
    if ticket.state == State.CLOSED and actor.role not in (Role.CITIZEN, Role.ADMIN):
        raise Forbidden(
            "a closed ticket is reopened by its reporter within the dispute window, or by an admin"
        )
    text = step.reason(note)
    ticket.cycle += 1
    ticket.resolved_at = None
    ticket.closed_at = None
    return step.write(text, public, {"cycle": {"from": ticket.cycle - 1, "to": ticket.cycle}})


def close(
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
    """Close a resolved ticket (staff, or the housekeeping flow after the dispute window).

    The reporter may still reopen it until the dispute window, counted from the resolution,
    has passed.
    """
    step = _Step(session, code, Trigger.CLOSE, actor, now, settings, expected_version)
    step.ticket.closed_at = now
    return step.write(step.reason(note), public)


def comment(
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
    """A note (and photos) from the reporter or staff; the agency working on it reads it."""
    step = _Step(session, code, Trigger.COMMENT, actor, now, settings, expected_version)
    text = step.reason(note)
    cleaned = clean_photos(photos, settings)
    return step.write_with_photos(text, public, cleaned, purpose="comment", storage=storage)


def rate(
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
    """The reporter rates the resolution, 1 (bad) to 5 (good); a later rating replaces it."""
    step = _Step(session, code, Trigger.RATE, actor, now, settings, expected_version)
    if rating is None or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise RuleViolated("rating must be a whole number from 1 to 5")
    data = {"rating": {"from": step.ticket.rating, "to": rating}}
    step.ticket.rating = rating
    return step.write(step.reason(note), public, data)


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
    Trigger.UPDATE: update,
    Trigger.COMMENT: comment,
    Trigger.RATE: rate,
}


def action_fields(trigger: Trigger) -> list[str]:
    """The inputs an action takes beyond who acts and when (for help texts and API schemas)."""
    common = {"session", "code", "actor", "now", "settings", "storage"}
    function: Any = ACTIONS[trigger]
    return [name for name in inspect.signature(function).parameters if name not in common]


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
    if trigger not in ACTIONS:
        raise RuleViolated(f"{trigger.value} is not an action on a ticket")
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
