"""Staff and citizen actions on a ticket: one command dataclass per trigger of DESIGN §2, one
handler signature `(Context, command)`, and `perform` for callers that name the action.

Each handler loads the ticket, checks version, state, actor and input — in that order, so a
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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from engine import following, visibility
from engine.actors import (
    Actor,
    check_may_act,
    check_not_withheld,
    check_reach,
    check_reporter,
    check_reporter_in_time,
)
from engine.catalogue.lookup import get_agency
from engine.codes import not_found
from engine.db import VERSION_MAX
from engine.errors import (
    ConfigurationError,
    Forbidden,
    InvalidTransition,
    PublicationUnchanged,
    RuleViolated,
    StaffNotFound,
    StaleVersion,
    TicketNotFound,
    WindowClosed,
    printable,
    shown,
)
from engine.lifecycle import (
    RULES_BY_TRIGGER,
    Role,
    Rule,
    Scope,
    State,
    Trigger,
    allowed_triggers,
    appeal_open_until,
    fire,
    parse_trigger,
)
from engine.models import (
    Agency,
    AgencyKind,
    Attachment,
    Category,
    Priority,
    Staff,
    Ticket,
    TicketEvent,
)
from engine.photos import CleanPhoto, MediaStorage
from engine.routing import locate, route
from engine.settings import Settings
from engine.staff import find_staff
from engine.submission import attach_photos, check_location, clean_photos, get_category
from engine.text import LIMITS, clean_text
from engine.tickets import get_ticket, lock_tickets, rejected_at, write_transition

Change = dict[str, Any]


def _change(data: dict[str, Any], field: str, old: Any, new: Any) -> None:
    if old != new:
        data[field] = {"from": old, "to": new}


def permitted(
    session: Session,
    actor: Actor,
    ticket: Ticket,
    *,
    now: datetime,
    dispute_window: timedelta,
) -> list[Trigger]:
    """The triggers ``actor`` may fire on ``ticket`` now: what its state allows (``lifecycle``)
    and what the actor's role, agency and — for a citizen — token and dispute window permit
    (``actors.check_may_act``), as the handlers check them. What "allowed actions" lists."""
    if actor.role is Role.CITIZEN:
        try:
            check_reporter(actor, ticket)
        except (Forbidden, TicketNotFound):
            return []
        return reporter_permitted(session, ticket, now=now, dispute_window=dispute_window)
    try:
        check_not_withheld(session, actor, ticket)
    except TicketNotFound:
        return []
    return _permitted(
        session,
        actor,
        ticket,
        lambda rule: check_may_act(
            session, actor, rule, ticket, now=now, dispute_window=dispute_window
        ),
        now=now,
        dispute_window=dispute_window,
    )


def reporter_permitted(
    session: Session, ticket: Ticket, *, now: datetime, dispute_window: timedelta
) -> list[Trigger]:
    """What the reporter of ``ticket`` may fire on it now, once their token is checked
    (``permitted`` checks it first): the tracking page offers the reporter these actions and
    no others, before anyone typed a token (they depend on the ticket and the time only)."""
    reporter = Actor.citizen()

    def may_act(rule: Rule) -> None:
        if reporter.role not in rule.roles:
            raise Forbidden(f"citizens may not {rule.trigger.value}")
        check_reporter_in_time(rule, ticket, now=now, dispute_window=dispute_window)

    return _permitted(session, reporter, ticket, may_act, now=now, dispute_window=dispute_window)


def _permitted(
    session: Session,
    actor: Actor,
    ticket: Ticket,
    may_act: Callable[[Rule], None],
    *,
    now: datetime,
    dispute_window: timedelta,
) -> list[Trigger]:
    """The triggers of the ticket's state ``actor`` may fire: ``may_act`` raises ``Forbidden``
    for a rule the actor may not fire on it, then the handlers' own checks."""
    found: list[Trigger] = []
    for trigger in allowed_triggers(ticket.state):
        rule = RULES_BY_TRIGGER[trigger]
        if trigger not in COMMANDS:
            continue
        try:
            may_act(rule)
        except Forbidden:
            continue
        if trigger is Trigger.REOPEN and not _may_reopen(actor, ticket):
            continue
        if trigger is Trigger.REINSTATE and not _within_appeal_window(
            session, actor, ticket, now=now, window=dispute_window
        ):
            continue
        if not publication_allows(trigger, ticket):
            continue
        found.append(trigger)
    return found


def _may_reopen(actor: Actor, ticket: Ticket) -> bool:
    """A closed ticket is reopened by its reporter or an admin only (``_reopen``)."""
    return ticket.state != State.CLOSED or actor.role in (Role.CITIZEN, Role.ADMIN)


def _within_appeal_window(
    session: Session, actor: Actor, ticket: Ticket, *, now: datetime, window: timedelta
) -> bool:
    """Whether ``actor`` is still in time to contest the ticket's rejection: the reporter
    within the dispute window counted from the rejection (to the minute, its last instant
    included, as a dispute's); a supervisor or an admin at any time."""
    if actor.role is not Role.CITIZEN:
        return True
    rejected = rejected_at(session, ticket)
    return rejected is None or appeal_open_until(rejected, window, now) is not None


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
        if expected_version is not None and not 1 <= expected_version <= VERSION_MAX:
            raise RuleViolated(
                f"expected_version must be a ticket's version, a whole number from 1 to "
                f"{VERSION_MAX:,}",
                key="invalid_request",
                params={"field": "expected_version", "limit": VERSION_MAX},
            )
        self.session = session
        self.ticket: Ticket = get_ticket(session, code)
        ticket = self.ticket
        if not related:
            # Locked and re-read before anything is checked, so concurrent writers of one
            # ticket take turns: each checks the ticket as the one before left it. A caller
            # without an expected version (a citizen's comment, photo, dispute or rating; the
            # sweep) is then never refused for a change it could not have seen — PostgreSQL
            # answered 8 of 10 simultaneous comments "changed by someone else". SQLite
            # serialises writers at BEGIN IMMEDIATE already. (With related tickets all are
            # locked together in id order below, so two merges cannot deadlock.)
            lock_tickets(session, [ticket])
        self.rule: Rule = RULES_BY_TRIGGER[trigger]
        # Who is asking before what the ticket is: a wrong token, or a ticket of another
        # agency, is always a 403, never a conflict that tells its state or version. (A merge
        # reaches the ticket that stands, which the actor must see: below.)
        if actor.role is Role.CITIZEN:
            check_reporter(actor, ticket, typed=code)
        else:
            # Before any scope: a ticket withheld from an area office is, to it, no ticket.
            check_not_withheld(session, actor, ticket, typed=code)
            if self.rule.scope is not Scope.ANY:
                check_reach(session, actor, ticket)
        self.related: list[Ticket] = [get_ticket(session, other) for other in related]
        for other, found in zip(related, self.related, strict=True):
            check_not_withheld(session, actor, found, typed=other)
            if actor.role in (Role.STAFF, Role.SUPERVISOR):
                # A ticket the actor may not see (another agency's; a pungli complaint) is, to
                # them, no ticket, on every door (the API's keys.act said so already): the
                # merge would write on it, and a refusal naming its state would confirm it.
                try:
                    check_reach(session, actor, found)
                except (Forbidden, TicketNotFound):
                    raise TicketNotFound(not_found(other)) from None
        if self.related:
            lock_tickets(session, [self.ticket, *self.related])
        self.actor = actor
        self.now = now
        self.settings = settings
        if expected_version is not None and expected_version != ticket.version:
            raise StaleVersion(
                f"ticket {ticket.code} is at version {ticket.version}, "
                f"not {expected_version}: reload it and try again",
                state=ticket.state,
                version=ticket.version,
                allowed=self.allowed(),
            )
        held = State(ticket.held_from) if ticket.held_from else None
        try:
            self.dest: State = fire(ticket.state, trigger, held_from=held)
        except InvalidTransition:
            raise InvalidTransition(
                trigger.value, ticket.state, self.allowed(), version=ticket.version
            ) from None
        check_may_act(
            session, actor, self.rule, self.ticket, now=now, dispute_window=settings.dispute_window
        )

    def allowed(self) -> list[str]:
        """What this actor may fire on the ticket now (for a conflict's body)."""
        found = permitted(
            self.session,
            self.actor,
            self.ticket,
            now=self.now,
            dispute_window=self.settings.dispute_window,
        )
        return [t.value for t in found]

    def reason(self, note: str | None) -> str | None:
        text = clean_text(note, field="note", limit=LIMITS["note"])
        if self.rule.trigger is Trigger.COMMENT and text is None:
            # a comment's words are the comment itself, not a reason for it
            raise RuleViolated(
                "a comment needs words: note is empty",
                key="note_required",
                params={"field": "note", "action": self.rule.trigger.value},
            )
        if self.rule.reason_required and text is None:
            raise RuleViolated(
                f"{self.rule.trigger.value} needs a reason (note)",
                key="reason_required",
                params={"field": "note", "action": self.rule.trigger.value},
            )
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
            settings=self.settings,
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
        raise StaffNotFound(f"no active staff member {shown(email)}")
    if officer.agency_id != agency.id:
        raise RuleViolated(
            f"{shown(email)} does not work for {agency.code}",
            key="officer_not_in_agency",
            params={"field": "officer", "agency": agency.code},
        )
    return officer


def _priority(value: str) -> str:
    wanted = value.strip().lower()
    if wanted not in set(Priority):
        known = ", ".join(p.value for p in Priority)
        raise RuleViolated(
            f"unknown priority {shown(value)}; use one of {known}",
            key="unknown_priority",
            params={"field": "priority"},
        )
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
            missing, given = ("lon", "lat") if lon is None else ("lat", "lon")
            raise RuleViolated(
                f"{missing} is required with {given}: correct the location with both latitude "
                "and longitude",
                params={"field": missing, "fields": ["lat", "lon"]},
            )
        self.location: tuple[float, float] | None = None
        self.area = None
        if lat is not None and lon is not None and (lat, lon) != (ticket.lat, ticket.lon):
            check_location(lat, lon)
            self.area = locate(session, lat=lat, lon=lon, tolerance_m=tolerance_m)
            self.location = (lat, lon)

    def apply(
        self,
        session: Session,
        ticket: Ticket,
        data: dict[str, Any],
        *,
        reroute: bool,
        now: datetime,
    ) -> None:
        if self.category is not None:
            was_public = ticket.category.public
            _change(data, "category", ticket.category.code, self.category.code)
            ticket.category = self.category
            if not was_public and self.category.public and ticket.unpublished_at is None:
                # Words sent under a confidential category (pungli: they may name an official)
                # were never written for the public. Moved to a public category, the report
                # stays off the public record until a supervisor or admin reads it and puts it
                # back (``republish``), or redacts it first.
                _change(data, "unpublished", False, True)
                ticket.unpublished_at = now
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
        if self.category is not None:
            _check_may_hold(ticket.category, ticket.agency, field="category")


def _check_may_hold(category: Category, agency: Agency, *, field: str) -> None:
    """A complaint withheld from area offices (pungli) is never held by one: the office it
    may be about would hold it. ``field`` names the input that would make it so."""
    if category.withheld_from_area_offices and agency.kind == AgencyKind.AREA_OFFICE:
        raise RuleViolated(
            f"{category.name_en} complaints are withheld from area offices: "
            f"{agency.code} cannot hold one",
            key="withheld_from_area_offices",
            params={"field": field, "agency": agency.code, "category": category.code},
        )


@dataclass(frozen=True, kw_only=True)
class Command:
    """What a person asks of one ticket. One frozen subclass per trigger (DESIGN §2).

    ``code`` is the ticket's public code; ``note`` the reason or message (required where the
    rule says so); ``public`` overrides the rule's default visibility of the note;
    ``expected_version`` makes a stale request a conflict (``StaleVersion``).
    """

    trigger: ClassVar[Trigger]
    code: str
    note: str | None = None
    public: bool | None = None
    expected_version: int | None = None


@dataclass(frozen=True, kw_only=True)
class _Correcting(Command):
    """Category (code), priority and location (WGS84 degrees, both or neither) corrections."""

    category: str | None = None
    priority: str | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, kw_only=True)
class Verify(_Correcting):
    """Confirm the report; corrections re-route it, and its clocks follow at once."""

    trigger = Trigger.VERIFY


@dataclass(frozen=True, kw_only=True)
class Update(_Correcting):
    """Change priority, category or location with a reason; the state stays."""

    trigger = Trigger.UPDATE


@dataclass(frozen=True, kw_only=True)
class Reject(Command):
    trigger = Trigger.REJECT


@dataclass(frozen=True, kw_only=True)
class MarkDuplicate(Command):
    """``duplicate_of``: the code of the ticket that stands."""

    trigger = Trigger.MARK_DUPLICATE
    duplicate_of: str | None = None


@dataclass(frozen=True, kw_only=True)
class Assign(Command):
    """``agency``: a code (default: where the ticket was routed); ``officer``: an e-mail."""

    trigger = Trigger.ASSIGN
    agency: str | None = None
    officer: str | None = None


@dataclass(frozen=True, kw_only=True)
class Reassign(Command):
    """``officer``: the e-mail of another officer of the agency holding the ticket."""

    trigger = Trigger.REASSIGN
    officer: str | None = None


@dataclass(frozen=True, kw_only=True)
class Transfer(Command):
    """``agency``: the code of the agency taking the ticket over (required)."""

    trigger = Trigger.TRANSFER
    agency: str | None = None
    officer: str | None = None


@dataclass(frozen=True, kw_only=True)
class Start(Command):
    trigger = Trigger.START


@dataclass(frozen=True, kw_only=True)
class Hold(Command):
    trigger = Trigger.HOLD


@dataclass(frozen=True, kw_only=True)
class Resume(Command):
    trigger = Trigger.RESUME


@dataclass(frozen=True, kw_only=True)
class Resolve(Command):
    """``photos``: raw image bytes (proof of the fix), cleaned before anything is written."""

    trigger = Trigger.RESOLVE
    photos: Sequence[bytes] = ()


@dataclass(frozen=True, kw_only=True)
class Reopen(Command):
    trigger = Trigger.REOPEN


@dataclass(frozen=True, kw_only=True)
class Reinstate(Command):
    """Contest a rejection (the reporter's appeal, or an un-reject): ``note`` is the reason."""

    trigger = Trigger.REINSTATE


@dataclass(frozen=True, kw_only=True)
class Close(Command):
    trigger = Trigger.CLOSE


@dataclass(frozen=True, kw_only=True)
class Comment(Command):
    """``photos``: raw image bytes, cleaned before anything is written."""

    trigger = Trigger.COMMENT
    photos: Sequence[bytes] = ()


@dataclass(frozen=True, kw_only=True)
class Unpublish(Command):
    """Take the report off the public record; ``note``: why (staff only ever read it)."""

    trigger = Trigger.UNPUBLISH


@dataclass(frozen=True, kw_only=True)
class Republish(Command):
    """Put a report taken off the public record back on it; ``note``: why."""

    trigger = Trigger.REPUBLISH


@dataclass(frozen=True, kw_only=True)
class Redact(Command):
    """Edit what the public reads of a report that stays public; ``note``: why (staff only).

    ``description``: the text the public reads instead of the reporter's words;
    ``hide_photos``: storage keys (the last part of a photo's ``url``) of the report's photos to
    hide from the public, or the address of the sending system's own photo (Open311
    ``media_url``, as staff see it); ``show_photos``: photos hidden earlier, named the same way,
    to show the public again (a moderator who hid the wrong one). At least one of them."""

    trigger = Trigger.REDACT
    description: str | None = None
    hide_photos: Sequence[str] = ()
    show_photos: Sequence[str] = ()


@dataclass(frozen=True, kw_only=True)
class Rate(Command):
    """``rating``: a whole number, 1 (bad) to 5 (good)."""

    trigger = Trigger.RATE
    rating: int | None = None


@dataclass(frozen=True)
class Context:
    """Who acts, when, and with what: the same for every command of one request."""

    session: Session
    actor: Actor
    now: datetime
    settings: Settings
    #: Where photos go; only the commands that take photos (resolve, comment) need it.
    storage: MediaStorage | None = None

    def media(self) -> MediaStorage:
        if self.storage is None:
            raise ConfigurationError("this caller has no media storage: it cannot take photos")
        return self.storage


def _step(ctx: Context, command: Command, *, related: Sequence[str] = ()) -> _Step:
    step = _Step(
        ctx.session,
        command.code,
        command.trigger,
        ctx.actor,
        ctx.now,
        ctx.settings,
        command.expected_version,
        related=related,
    )
    if command.public is False and step.rule.answers_reporter:
        # Before anything is written: the reporter disputes a resolution, or appeals a
        # rejection, on what it says (a proof photo only staff saw proves nothing to them).
        raise RuleViolated(
            f"a {step.rule.trigger.value}'s note is the city's answer to the reporter and is "
            "always public; write what only staff should read as an internal comment",
            key="answer_is_public",
            params={"field": "public", "trigger": step.rule.trigger.value},
        )
    return step


def _corrections(ctx: Context, ticket: Ticket, command: _Correcting) -> _Corrections:
    """Every correction worked out before the ticket is touched: a bad one changes nothing."""
    return _Corrections(
        ctx.session,
        ticket,
        category=command.category,
        priority=command.priority,
        lat=command.lat,
        lon=command.lon,
        tolerance_m=ctx.settings.locate_tolerance_m,
    )


def _verify(ctx: Context, command: Verify) -> Ticket:
    step = _step(ctx, command)
    text = step.reason(command.note)
    fixes = _corrections(ctx, step.ticket, command)
    data: dict[str, Any] = {}
    fixes.apply(ctx.session, step.ticket, data, reroute=True, now=ctx.now)
    return step.write(text, command.public, data)


def _update(ctx: Context, command: Update) -> Ticket:
    """Before assignment a changed category or location re-routes the ticket; once an agency
    has it, moving it is a ``transfer``."""
    step = _step(ctx, command)
    ticket, text = step.ticket, step.reason(command.note)
    fixes = _corrections(ctx, ticket, command)
    data: dict[str, Any] = {}
    reroute = ticket.state in (State.SUBMITTED, State.VERIFIED)
    fixes.apply(ctx.session, ticket, data, reroute=reroute, now=ctx.now)
    if not data:
        raise RuleViolated(
            "update changes nothing: give a new priority, category or location",
            key="nothing_changed",
            # the staff page's update changes the priority; the API takes the others too
            params={"field": "priority", "fields": ["priority", "category", "lat", "lon"]},
        )
    return step.write(text, command.public, data)


def _plain(ctx: Context, command: Command) -> Ticket:
    """Reject, resume: the state moves, the note is the reason where one is required."""
    step = _step(ctx, command)
    return step.write(step.reason(command.note), command.public)


def _mark_duplicate(ctx: Context, command: MarkDuplicate) -> Ticket:
    """Close the ticket as a duplicate of one that stands; that one gets a ``merge`` event.

    The one that stands is another ticket, still open (not resolved or closed: its work is
    over, ``duplicate_of_finished``; not rejected or a duplicate itself), that the actor may
    see; and of the same category when either is kept
    confidential (``_check_same_problem``). Otherwise any category: a citizen often picks a
    near one (a jam reported as a broken traffic light), as FixMyStreet and Open311 systems
    allow, and staff may correct the category first."""
    if not command.duplicate_of:
        _step(ctx, command)  # version and state first: a stale request is a conflict first
        raise RuleViolated(
            "mark_duplicate needs the code of the ticket it duplicates (duplicate_of)",
            key="field_required",
            params={"field": "duplicate_of", "action": command.trigger.value},
        )
    step = _step(ctx, command, related=[command.duplicate_of])
    ticket, parent = step.ticket, step.related[0]
    text = step.reason(command.note)
    if parent.id == ticket.id:
        raise RuleViolated(
            f"duplicate_of names {ticket.code} itself: a ticket cannot duplicate itself",
            key="duplicate_of_itself",
            params={"code": ticket.code, "field": "duplicate_of"},
        )
    if parent.state in (State.DUPLICATE, State.REJECTED):
        raise RuleViolated(
            f"{parent.code} is {parent.state}; point at the ticket that stands",
            key="duplicate_of_closed",
            params={"code": parent.code, "field": "duplicate_of"},
        )
    if parent.state in (State.RESOLVED, State.CLOSED):
        # Its work is over. A report of the problem after that is either the problem still
        # there or back (worked on as this report), or the same fixed problem: then it is
        # resolved itself, so that its reporter may dispute the fix. Marked a duplicate, its
        # reporter and followers would be told only that another report was resolved, a fix
        # they cannot dispute (only that report's reporter may).
        raise RuleViolated(
            f"{parent.code} is {parent.state}; if the problem is still there or back, work on "
            f"this report (or reopen {parent.code}); if it is fixed, resolve this report too",
            key="duplicate_of_finished",
            params={"code": parent.code, "field": "duplicate_of", "state": parent.state},
        )
    _check_same_problem(ticket, parent)
    ticket.duplicate_of = parent
    # Its followers follow the report that stands from now on (before the status mail is
    # queued: that mail tells each of them so).
    following.carry_followers(ctx.session, ticket, parent, now=ctx.now)
    step.write(text, command.public, {"duplicate_of": {"from": None, "to": parent.code}})
    merge = _Step(ctx.session, parent.code, Trigger.MERGE, ctx.actor, ctx.now, ctx.settings, None)
    merge.write(None, False, {"duplicate": ticket.code})
    return ticket


def _confidential(category: Category) -> bool:
    """A category whose reports are kept from the public or from area offices (pungli, poor
    public service: a complaint that may name an official or the office itself)."""
    return not category.public or category.withheld_from_area_offices


def _check_same_problem(ticket: Ticket, parent: Ticket) -> None:
    """A report of a confidential category (``_confidential``) and a report of another category
    are never duplicates of each other, either way round. Marked a duplicate of a public report,
    a pungli complaint's reporter (and the addresses they added) would be carried to that
    unrelated report's mail (``following.carry_followers``), and the public report's ``merge``
    would name the complaint's code to whoever holds it, an area office included. Marked a
    duplicate of a pungli complaint, a public report's followers would hear no more of their
    problem (nobody is carried to a report the public may not see) and its history would name
    the complaint. Staff who find they are the same problem correct the category first."""
    if ticket.category_id == parent.category_id:
        return
    kept = ticket.category if _confidential(ticket.category) else parent.category
    if not _confidential(kept):
        return
    raise RuleViolated(
        f"{ticket.code} ({ticket.category.name_en}) and duplicate_of {parent.code} "
        f"({parent.category.name_en}) are of different categories, and {kept.name_en} "
        "complaints are kept confidential: one is a duplicate of, or has as duplicate, a "
        "report of its own category only; correct the category first if it is the same problem",
        key="duplicate_of_other_category",
        params={"field": "duplicate_of", "code": parent.code, "category": kept.code},
    )


def _assign(ctx: Context, command: Assign) -> Ticket:
    """Dispose the ticket to an agency (default: the one it was routed to), maybe an officer."""
    step = _step(ctx, command)
    ticket, text = step.ticket, step.reason(command.note)
    target = _agency(ctx.session, command.agency) if command.agency else ticket.agency
    return _hand_over(ctx, step, text, command, target)


def _reassign(ctx: Context, command: Reassign) -> Ticket:
    """Hand the ticket to another officer of the agency holding it, in whatever open state
    of its work it is. Another agency takes it by ``transfer`` (with a reason, and the
    clocks that go with it); naming nobody or the same officer would change nothing but end
    a transfer's acceptance clock."""
    step = _step(ctx, command)
    ticket, text = step.ticket, step.reason(command.note)
    if not command.officer:
        raise RuleViolated(
            f"name the officer of {ticket.agency.code} to hand ticket {ticket.code} to",
            key="officer_required",
            params={"field": "officer"},
        )
    officer = _officer(ctx.session, command.officer, ticket.agency)
    if officer.id == ticket.officer_id:
        raise RuleViolated(
            f"ticket {ticket.code} is already with that officer",
            key="already_assigned_to_officer",
            params={"field": "officer"},
        )
    data: dict[str, Any] = {}
    _change(data, "officer", _email(ticket.officer), _email(officer))
    ticket.officer = officer
    return step.write(text, command.public, data)


def _transfer(ctx: Context, command: Transfer) -> Ticket:
    """Hand the ticket to another agency (JAKI "Koordinasi"); its clocks follow it there."""
    step = _step(ctx, command)
    ticket, text = step.ticket, step.reason(command.note)
    if not command.agency:
        raise RuleViolated(
            "transfer needs the agency to hand the ticket to (agency)",
            key="field_required",
            params={"field": "agency", "action": command.trigger.value},
        )
    target = _agency(ctx.session, command.agency)
    if target.id == ticket.agency_id:
        raise RuleViolated(
            f"ticket {ticket.code} is already with {target.code}",
            key="already_with_agency",
            params={"field": "agency", "agency": target.code},
        )
    return _hand_over(ctx, step, text, command, target)


def _hand_over(
    ctx: Context, step: _Step, text: str | None, command: Assign | Transfer, target: Agency
) -> Ticket:
    ticket = step.ticket
    _check_may_hold(ticket.category, target, field="agency")
    assignee = _officer(ctx.session, command.officer, target) if command.officer else None
    data: dict[str, Any] = {}
    _change(data, "agency", ticket.agency.code, target.code)
    _change(data, "officer", _email(ticket.officer), _email(assignee))
    ticket.agency, ticket.officer = target, assignee
    return step.write(text, command.public, data)


def _email(staff: Staff | None) -> str | None:
    return staff.email if staff is not None else None


def _start(ctx: Context, command: Start) -> Ticket:
    step = _step(ctx, command)
    data: dict[str, Any] = {}
    if step.ticket.officer_id is None and ctx.actor.staff_id is not None:
        officer = ctx.session.get(Staff, ctx.actor.staff_id)  # whoever starts the work owns it
        _change(data, "officer", None, _email(officer))
        step.ticket.officer = officer
    return step.write(step.reason(command.note), command.public, data)


def _hold(ctx: Context, command: Hold) -> Ticket:
    """Pause the work (waiting for a utility, a permit, the weather); SLA clocks pause too."""
    step = _step(ctx, command)
    text = step.reason(command.note)
    step.ticket.held_from = step.ticket.state
    return step.write(text, command.public)


def _resume(ctx: Context, command: Resume) -> Ticket:
    step = _step(ctx, command)
    step.ticket.held_from = None
    return step.write(step.reason(command.note), command.public)


def _resolve(ctx: Context, command: Resolve) -> Ticket:
    """Report the fix to the citizen: a public note, and a proof photo where the category asks."""
    step = _step(ctx, command)
    ticket = step.ticket
    text = step.reason(command.note)
    if ticket.category.photo_on_resolve and not command.photos:
        raise RuleViolated(
            f"resolving {ticket.category.name_en.lower()} needs a proof photo",
            key="proof_photo_required",
            params={"field": "photos"},
        )
    cleaned = clean_photos(command.photos, ctx.settings)
    ticket.resolved_at = ctx.now
    return step.write_with_photos(
        text, command.public, cleaned, purpose="proof", storage=ctx.media()
    )


def _reopen(ctx: Context, command: Reopen) -> Ticket:
    """The fix did not hold: back to the agency for a new resolution cycle.

    A resolved ticket: its reporter (within the dispute window) or staff of its agency. A
    closed one: its reporter within the dispute window — counted from the resolution, so
    closing early never cuts it — or an admin at any time, with a reason.
    """
    step = _step(ctx, command)
    ticket = step.ticket
    if not _may_reopen(ctx.actor, ticket):
        raise Forbidden(
            "a closed ticket is reopened by its reporter within the dispute window, or by an admin"
        )
    text = step.reason(command.note)
    _new_cycle(ticket)
    ticket.resolved_at = None
    ticket.closed_at = None
    cycle = {"cycle": {"from": ticket.cycle - 1, "to": ticket.cycle}}
    return step.write(text, command.public, cycle)


def _new_cycle(ticket: Ticket) -> None:
    """A new resolution cycle (a reopen, an appeal): the reporter's rating was of the fix that
    ended the last one, and stays with it in the history (its ``rate`` event); the ticket has
    none until the reporter rates the next fix."""
    ticket.cycle += 1
    ticket.rating = None


def _reinstate(ctx: Context, command: Reinstate) -> Ticket:
    """A rejection contested: back to verification, as a new cycle (its verify and resolve
    clocks start again, ``clocks.STARTS_ON``), and the reason reaches whoever triages it
    (``outbox.on_citizen_follow_up`` for the reporter's appeal).

    The reporter appeals within the dispute window counted from the rejection; after it the
    ticket stands rejected (``WindowClosed``, a conflict: nothing the reporter can change in
    the request makes it possible). A supervisor over the ticket or an admin un-rejects at any
    time. Either way with a reason.
    """
    step = _step(ctx, command)
    ticket = step.ticket
    window = ctx.settings.dispute_window
    if not _within_appeal_window(ctx.session, ctx.actor, ticket, now=ctx.now, window=window):
        days = ctx.settings.dispute_window_days
        raise WindowClosed(
            f"the {days}-day window to appeal this rejection has passed (an appeal is possible "
            f"within {days} days after a report is rejected)",
            state=ticket.state,
            version=ticket.version,
            allowed=step.allowed(),
        )
    text = step.reason(command.note)
    _new_cycle(ticket)
    cycle = {"cycle": {"from": ticket.cycle - 1, "to": ticket.cycle}}
    return step.write(text, command.public, cycle)


def _close(ctx: Context, command: Close) -> Ticket:
    """Close a resolved ticket (staff, or the housekeeping flow after the dispute window).

    The reporter may still reopen it until the dispute window, counted from the resolution,
    has passed.
    """
    step = _step(ctx, command)
    step.ticket.closed_at = ctx.now
    return step.write(step.reason(command.note), command.public)


def _comment(ctx: Context, command: Comment) -> Ticket:
    """A note (and photos) from the reporter or staff; the agency working on it reads it."""
    step = _step(ctx, command)
    text = step.reason(command.note)
    cleaned = clean_photos(command.photos, ctx.settings)
    return step.write_with_photos(
        text, command.public, cleaned, purpose="comment", storage=ctx.media()
    )


def _rate(ctx: Context, command: Rate) -> Ticket:
    """The reporter rates the resolution of this cycle; a later rating of the same resolution
    replaces it. A reopen starts a new cycle without one (``_new_cycle``)."""
    step = _step(ctx, command)
    rating = command.rating
    if rating is None or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise RuleViolated(
            "rating must be a whole number from 1 to 5",
            key="rating_out_of_range",
            params={"field": "rating"},
        )
    data = {"rating": {"from": step.ticket.rating, "to": rating}}
    step.ticket.rating = rating
    return step.write(step.reason(command.note), command.public, data)


#: Whether each moderation trigger takes the report off the public record (or puts it back).
_MODERATION = {Trigger.UNPUBLISH: True, Trigger.REPUBLISH: False}


def publication_allows(trigger: Trigger, ticket: Ticket) -> bool:
    """False for ``unpublish`` of a report already off the public record and ``republish`` of
    one on it (which the state alone allows); true for every other trigger."""
    if trigger not in _MODERATION:
        return True
    return _MODERATION[trigger] != (ticket.unpublished_at is not None)


def _internal_reason(step: _Step, command: Unpublish | Republish | Redact) -> str | None:
    """A moderator's reason (``note``), which stays with staff: ``public`` is refused."""
    text = step.reason(command.note)
    if command.public:
        raise RuleViolated(
            f"the reason to {command.trigger.value} a report stays internal: "
            "leave public out, or false",
            key="note_stays_internal",
            params={"field": "public", "action": command.trigger.value},
        )
    return text


def _moderate(ctx: Context, command: Unpublish | Republish) -> Ticket:
    """Take a report off the public record, or put it back, with a reason; in any state.

    Off it, the report is to the public one that does not exist (``visibility.published``);
    its work, its clocks and its reporter's view go on as before. The reason is an internal
    note: the public never reads why (nor, once it is back, that it was away)."""
    step = _step(ctx, command)
    ticket = step.ticket
    unpublish = _MODERATION[command.trigger]
    if not publication_allows(command.trigger, ticket):
        raise PublicationUnchanged(
            command.trigger.value,
            ticket.state,
            step.allowed(),
            unpublished=ticket.unpublished_at is not None,
            version=ticket.version,
        )
    text = _internal_reason(step, command)
    data = {"unpublished": {"from": not unpublish, "to": unpublish}}
    ticket.unpublished_at = ctx.now if unpublish else None
    return step.write(text, False, data)


def _redact(ctx: Context, command: Redact) -> Ticket:
    """Edit the public record of a report, with an internal reason; in any state.

    The public (every reader: the report, lists, the map, duplicate suggestions, Open311, the
    public page, ``GET /media/{key}``) reads ``description`` instead of the reporter's words and
    no longer sees the photos named in ``hide_photos``; it sees those named in ``show_photos``
    (hidden earlier) again. Staff still read the words as sent (``Ticket.description`` is never
    overwritten: the agency may need the plate number the public must not read) and see every
    photo, marked hidden. The event keeps what the public read before (``public_description``
    from/to: ``None`` is the reporter's own words) and the keys hidden (``hidden_photos``) and
    shown again (``shown_photos``); the public timeline says only that a moderator edited the
    report.

    Every input is checked before anything is written: a reason, never public; a description
    by a submission's rules that differs from the one the public reads; each photo to hide one
    of the report's, shown to the public and not hidden yet; each photo to show one of the
    report's and hidden; no photo in both lists."""
    step = _step(ctx, command)
    ticket = step.ticket
    text = _internal_reason(step, command)
    description = clean_text(
        command.description,
        field="description",
        limit=ctx.settings.max_description_chars,
        required=command.description is not None,
    )
    sent_url = _sent_media_url(ctx.session, ticket)
    keys = list(dict.fromkeys(_photo_key(k, sent_url) for k in command.hide_photos))
    show_keys = list(dict.fromkeys(_photo_key(k, sent_url) for k in command.show_photos))
    if description is None and not keys and not show_keys:
        raise RuleViolated(
            "redact needs the description the public should read, photos to hide "
            "(hide_photos) or photos hidden earlier to show again (show_photos), or some of them",
            key="nothing_to_redact",
            params={"field": "description", "action": command.trigger.value},
        )
    both = next((k for k in show_keys if k in keys), None)
    if both is not None:
        raise RuleViolated(
            f"photo {shown(both, 80)} is both in hide_photos and in show_photos: name it in one",
            key="photo_hidden_and_shown",
            params={"field": "show_photos", "photo": printable(both, 80)},
        )
    data: dict[str, Any] = {}
    if description is not None:
        now_public = ticket.public_description or ticket.description
        if description == now_public:
            raise RuleViolated(
                "description is what the public reads already: edit it, or leave it out",
                key="description_unchanged",
                params={"field": "description"},
            )
        # The reporter's own words again: the public reads them as sent, not as an edit.
        kept = None if description == ticket.description else description
        _change(data, "public_description", ticket.public_description, kept)
    hides_sent = sent_url is not None and sent_url in keys
    if sent_url is not None and hides_sent and ticket.media_url_hidden_at is not None:
        raise _hidden_already(sent_url)
    hidden = _photos_to_hide(ctx.session, ticket, [k for k in keys if k != sent_url])
    shows_sent = sent_url is not None and sent_url in show_keys
    if sent_url is not None and shows_sent and ticket.media_url_hidden_at is None:
        raise _not_hidden(sent_url)
    unhidden = _photos_to_show(ctx.session, ticket, [k for k in show_keys if k != sent_url])
    if keys:
        data["hidden_photos"] = keys
    if show_keys:
        data["shown_photos"] = show_keys
    if description is not None:
        ticket.public_description = data["public_description"]["to"]
    for attachment in hidden:
        attachment.hidden_at = ctx.now
    if hides_sent:
        ticket.media_url_hidden_at = ctx.now
    # Every copy of the photo is shown again (``attach_photos`` hides a copy sent later, by
    # ``hidden_at``: nothing else keeps the hidden state).
    for attachment in unhidden:
        attachment.hidden_at = None
    if shows_sent:
        ticket.media_url_hidden_at = None
    return step.write(text, False, data)


def _photo_key(named: str, sent_url: str | None) -> str:
    """The storage key of a photo named as staff see it: the key itself (``3f/3fa9….jpg``), its
    url or path (``http://…/media/3f/3fa9….jpg``, ``/media/…``, ``media/…`` as ``ticket show``
    prints it), or the sending system's own address (``sent_url``), kept whole."""
    if named == sent_url:
        return named
    key = named.split("?", 1)[0].split("#", 1)[0]
    if "/media/" in key:
        key = key.rsplit("/media/", 1)[1]
    elif key.startswith("media/"):
        key = key.removeprefix("media/")
    return key


def _not_hidden(photo: str) -> RuleViolated:
    """The refusal to show again ``photo`` (a key, or the sender's own address) not hidden."""
    return RuleViolated(
        f"photo {shown(photo, 80)} is not hidden from the public: nothing to show again",
        key="photo_not_hidden",
        params={"field": "show_photos", "photo": printable(photo, 80)},
    )


def _unknown_photo(ticket: Ticket, key: str, field: str) -> RuleViolated:
    """The refusal of ``key``, not one of ``ticket``'s photos, named in ``field``."""
    return RuleViolated(
        f"photo {shown(key, 80)} is not one of {ticket.code}'s photos: name a photo by "
        "its key: the part of its url after /media/ (such as 3f/3fa9….jpg)",
        key="unknown_photo",
        params={"field": field, "photo": printable(key, 80)},
    )


def _photos_to_show(session: Session, ticket: Ticket, keys: Sequence[str]) -> list[Attachment]:
    """The hidden attachments of ``ticket`` stored under ``keys`` (every copy of a key), each
    key checked: one of the report's photos (``unknown_photo``) and hidden from the public
    (``photo_not_hidden``). The first wrong key is named."""
    if not keys:
        return []
    rows = session.scalars(
        select(Attachment)
        .where(Attachment.ticket_id == ticket.id, Attachment.storage_key.in_(list(keys)))
        .order_by(Attachment.id)
    ).all()
    found: dict[str, list[Attachment]] = {}
    for attachment in rows:
        found.setdefault(attachment.storage_key, []).append(attachment)
    chosen: list[Attachment] = []
    for key in keys:
        mine = found.get(key)
        if not mine:
            raise _unknown_photo(ticket, key, "show_photos")
        hidden = [a for a in mine if a.hidden_at is not None]
        if not hidden:
            raise _not_hidden(key)
        chosen.extend(hidden)
    return chosen


def _hidden_already(photo: str) -> RuleViolated:
    """The refusal to hide ``photo`` (a key, or the sender's own address) hidden already."""
    return RuleViolated(
        f"photo {shown(photo, 80)} is hidden from the public already",
        key="photo_already_hidden",
        params={"field": "hide_photos", "photo": printable(photo, 80)},
    )


def _sent_media_url(session: Session, ticket: Ticket) -> str | None:
    """The address of the sending system's own photo (Open311 ``media_url``), kept in the
    submission's event; None if none was sent."""
    data = session.scalar(
        select(TicketEvent.data).where(TicketEvent.ticket_id == ticket.id, TicketEvent.seq == 1)
    )
    url = data.get("media_url") if isinstance(data, dict) else None
    return url if isinstance(url, str) else None


def _photos_to_hide(session: Session, ticket: Ticket, keys: Sequence[str]) -> list[Attachment]:
    """The attachments of ``ticket`` stored under ``keys`` (the same bytes sent twice are one
    photo: every attachment of a key is hidden), each key checked: one of the report's photos
    (``unknown_photo``), shown to the public (``photo_not_public``: staff's on an internal note
    are not) and not hidden yet (``photo_already_hidden``). The first wrong key is named."""
    if not keys:
        return []
    rows = session.execute(
        select(Attachment, visibility.shown_by_event_clause())
        .join(
            TicketEvent,
            and_(
                TicketEvent.ticket_id == Attachment.ticket_id,
                TicketEvent.seq == Attachment.event_seq,
            ),
        )
        .where(Attachment.ticket_id == ticket.id, Attachment.storage_key.in_(list(keys)))
        .order_by(Attachment.id)
    ).all()
    found: dict[str, list[tuple[Attachment, bool]]] = {}
    for attachment, shown_by_event in rows:
        found.setdefault(attachment.storage_key, []).append((attachment, bool(shown_by_event)))
    chosen: list[Attachment] = []
    for key in keys:
        params: dict[str, object] = {"field": "hide_photos", "photo": printable(key, 80)}
        mine = found.get(key)
        if not mine:
            raise _unknown_photo(ticket, key, "hide_photos")
        public = [a for a, by_event in mine if by_event]
        if not public:
            raise RuleViolated(
                f"photo {shown(key, 80)} is not shown to the public (staff's, on an internal "
                "note): nothing to hide",
                key="photo_not_public",
                params=params,
            )
        if all(a.hidden_at is not None for a in public):
            raise _hidden_already(key)
        chosen.extend(a for a in public if a.hidden_at is None)
    return chosen


_Handler = Callable[[Context, Any], Ticket]

#: One handler per command type; every handler has the signature ``(Context, command)``.
HANDLERS: dict[type[Command], _Handler] = {
    Verify: _verify,
    Update: _update,
    Reject: _plain,
    MarkDuplicate: _mark_duplicate,
    Assign: _assign,
    Reassign: _reassign,
    Transfer: _transfer,
    Start: _start,
    Hold: _hold,
    Resume: _resume,
    Resolve: _resolve,
    Reopen: _reopen,
    Reinstate: _reinstate,
    Close: _close,
    Comment: _comment,
    Rate: _rate,
    Unpublish: _moderate,
    Republish: _moderate,
    Redact: _redact,
}

#: The command type of each trigger a person may fire (``submit`` and ``merge`` are not here).
COMMANDS: dict[Trigger, type[Command]] = {command.trigger: command for command in HANDLERS}


def execute(ctx: Context, command: Command) -> Ticket:
    """Run one command. Nothing is committed here (the caller owns the transaction).

    Raises ``TicketNotFound``, ``Forbidden`` (a ticket beyond the actor's reach or token),
    ``StaleVersion``, ``IllegalTransition``, ``Forbidden`` (the rule's roles and scope) and
    ``RuleViolated`` (engine.errors), in that order of checking.
    """
    return HANDLERS[type(command)](ctx, command)


def command_fields(trigger: Trigger) -> list[str]:
    """The inputs a trigger's command takes besides the ticket's code (help texts, schemas)."""
    return [f.name for f in fields(COMMANDS[trigger]) if f.name != "code"]


def perform(
    session: Session,
    code: str,
    action: str,
    *,
    actor: Actor,
    now: datetime,
    settings: Settings,
    storage: MediaStorage,
    **given: Any,
) -> Ticket:
    """Fire the action named ``action`` (for the CLI and the generic API routes).

    ``given`` holds the command's inputs by name; ``None`` and ``()`` mean "not given". A name
    the action does not take is a ``RuleViolated``, so a typo never passes silently.
    """
    trigger = parse_trigger(action)
    command_type = COMMANDS.get(trigger)
    if command_type is None:
        raise RuleViolated(
            f"{trigger.value} is not an action on a ticket", params={"field": "trigger"}
        )
    inputs = {k: v for k, v in given.items() if v is not None and v != ()}
    unexpected = sorted(set(inputs) - set(command_fields(trigger)))
    if unexpected:
        raise RuleViolated(
            f"{trigger.value} does not take: {', '.join(unexpected)}",
            params={"field": unexpected[0], "action": trigger.value},
        )
    command = command_type(code=code, **inputs)
    return execute(Context(session, actor, now, settings, storage), command)
