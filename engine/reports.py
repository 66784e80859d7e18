"""What a citizen does with a report besides the lifecycle: submit it (and see what is already
reported nearby), say "me too", follow it by e-mail, read it with the reporter token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import status_mail, visibility
from engine.actions import reporter_permitted
from engine.actors import Actor, check_reporter
from engine.codes import not_found
from engine.errors import RuleViolated, TicketNotFound
from engine.following import ask_to_confirm
from engine.lifecycle import OPEN_STATES, Role, State, Trigger, appeal_open_until
from engine.models import Subscription, Ticket, TicketEvent
from engine.models.subscription import new_link_token
from engine.photos import MediaStorage
from engine.presentation import present
from engine.queries.overdue import late_step
from engine.queries.public import PublicTicket, expected, get_public, nearby_open, was_redacted
from engine.settings import Settings
from engine.submission import Intake, Language, Report, check_report, submit_checked
from engine.text import clean_email
from engine.tickets import get_ticket, lock_tickets, rejected_at
from sla import TimerKind


@dataclass(frozen=True)
class Submitted:
    report: PublicTicket
    #: Shown to the reporter once; only its hash is stored.
    reporter_token: str
    #: Open reports of the same category nearby the citizen may follow instead.
    possible_duplicates: list[PublicTicket]
    #: Whether the public sees the report (``Category.public``); if not, only its reporter,
    #: with the token, and staff do.
    public: bool = True
    #: Whether who reported it is hidden from staff too (only admins see it): the reporter is
    #: told so on the receipt.
    private: bool = False
    #: Whether the reporter token was mailed to the reporter (staff filed the report for them
    #: and they gave an address: ``engine.receipts``); a staff filing never shows the token.
    receipt_mailed: bool = False


@dataclass(frozen=True)
class Supported:
    """A "me too" answered: the report as the public sees it, and whether this one counted."""

    report: PublicTicket
    #: False when this supporter was already counted (``support``): the figure did not move.
    counted: bool


@dataclass(frozen=True)
class ReporterView:
    """A report as its reporter sees it with the token: the public view plus their own data."""

    report: PublicTicket
    name: str | None
    email: str | None
    phone: str | None
    private: bool
    rating: int | None
    resolved_at: datetime | None
    #: Whether the reporter's own address gets updates. Other followers' addresses are theirs:
    #: the reporter sees only how many there are.
    subscribed: bool
    #: Addresses told about changes (active and confirmed), the reporter's own included.
    followers: int
    #: Addresses asked to confirm that have not yet: they get nothing until they do.
    pending: int = 0
    #: The reporter's own words on the timeline (comments, dispute reasons), by event ``seq``:
    #: the public timeline hides a citizen's note; its author sees it again with the token.
    own_notes: tuple[tuple[int, str], ...] = ()
    #: Whether the public sees the report (``visibility.published``).
    public: bool = True
    #: Whether staff took it off the public record (``unpublish``): the reporter is told so,
    #: never why (the reason is staff's note).
    unpublished: bool = False
    #: Whether a supervisor or admin edited what the public reads (``redact``: the description,
    #: a photo hidden). The reporter's view shows what the public reads, not their own words
    #: or the hidden photo: their link may be passed on, and the edit protects someone else.
    redacted: bool = False


@dataclass(frozen=True)
class ReporterChoices:
    """What the reporter of a report may do with it now, with its token: the actions the
    engine takes from them (``actions.reporter_permitted``), no others."""

    #: Among ``comment`` (with photos), ``reopen`` (a dispute), ``rate`` and ``reinstate``
    #: (an appeal); none for a report whose story is over (a duplicate, a rejection not
    #: appealed in time).
    actions: tuple[Trigger, ...]
    #: Until when the reporter may appeal its rejection, while they may.
    appeal_until: datetime | None = None


@dataclass(frozen=True)
class CheckedSubmission:
    """A report that passed every rule, and what is already reported near it (all reads)."""

    intake: Intake
    private: bool
    possible_duplicates: list[PublicTicket]


def check_submission(
    session: Session,
    report: Report,
    *,
    private: bool,
    actor: Actor,
    now: datetime,
    settings: Settings,
) -> CheckedSubmission:
    """Every input rule, the catalogue's answer and the duplicate search; writes nothing, so
    the API runs it in a read transaction before the write one (see ``write_submission``).

    The duplicates are searched before the new ticket exists, so it is never among them; a
    report another citizen files in the milliseconds between is as much a race as it was
    when the search ran after the write.
    """
    intake = check_report(session, report, actor=actor, now=now, settings=settings)
    if not intake.category.public:
        # Reports of a non-public category are nobody else's to see, so none is offered.
        return CheckedSubmission(intake, private, [])
    duplicates = nearby_open(
        session,
        category=intake.category.code,
        lat=report.lat,
        lon=report.lon,
        radius_m=intake.category.duplicate_radius_m or settings.duplicate_radius_m,
        days=settings.duplicate_days,
        now=now,
    )
    return CheckedSubmission(intake, private, duplicates)


def write_submission(
    session: Session,
    checked: CheckedSubmission,
    *,
    actor: Actor,
    now: datetime,
    settings: Settings,
    storage: MediaStorage,
) -> Submitted:
    """Write a checked submission in the caller's write transaction: the ticket, its timers,
    event 1, photos and the reporter's subscription. Nothing is read back for the answer."""
    result = submit_checked(
        session,
        checked.intake,
        actor=actor,
        now=now,
        settings=settings,
        storage=storage,
        private=checked.private,
    )
    ticket, intake = result.ticket, result.intake
    return Submitted(
        _created(ticket, intake, now),
        result.reporter_token,
        checked.possible_duplicates,
        public=intake.category.public,
        private=ticket.private,
        receipt_mailed=result.receipt_mailed,
    )


def _created(ticket: Ticket, intake: Intake, now: datetime) -> PublicTicket:
    """The public projection of a ticket just written, from what was written (the same
    fields ``list_public`` selects: no personal data)."""
    deadline = next((t.deadline for t in intake.timers if t.kind == TimerKind.RESOLVE), None)
    first = min(intake.timers, key=lambda t: (t.deadline, t.kind), default=None)
    breached = min(
        (t for t in intake.timers if t.breached), key=lambda t: (t.deadline, t.kind), default=None
    )
    step = late_step(
        ticket.state,
        first.deadline if first else None,
        first.kind if first else None,
        breached.kind if breached else None,
        now,
    )
    return PublicTicket(
        id=ticket.id,
        code=ticket.code,
        state=present(ticket.state, ticket.last_trigger),
        category_code=intake.category.code,
        category_id_name=intake.category.name_id,
        category_en_name=intake.category.name_en,
        agency_code=intake.agency_code,
        agency_name=intake.agency_name,
        area_code=intake.area.code,
        area_name=intake.area.title,
        description=ticket.description,
        lat=ticket.lat,
        lon=ticket.lon,
        address=ticket.address,
        supporters=ticket.supporters,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        expected_at=expected(ticket.state, deadline),
        overdue=step is not None,
        overdue_step=step,
    )


def submit_report(
    session: Session,
    report: Report,
    *,
    private: bool,
    actor: Actor,
    now: datetime,
    settings: Settings,
    storage: MediaStorage,
) -> Submitted:
    """Submit, subscribe the reporter's e-mail (in ``report.language``, as the reporter's own
    status mails are), and list what was already reported nearby — in one transaction."""
    checked = check_submission(
        session, report, private=private, actor=actor, now=now, settings=settings
    )
    return write_submission(
        session, checked, actor=actor, now=now, settings=settings, storage=storage
    )


def _find_subscription(session: Session, ticket: Ticket, address: str) -> Subscription | None:
    return session.scalars(
        select(Subscription).where(
            Subscription.ticket_id == ticket.id, Subscription.email == address
        )
    ).first()


def _subscribe(
    session: Session,
    ticket: Ticket,
    email: str,
    language: Language | None,
    now: datetime,
    settings: Settings | None,
) -> Subscription:
    """The address's subscription to ``ticket``; written (flushed).

    An address already following (active and confirmed) is left as it is. Any other (new, or
    unsubscribed since) waits for its owner's confirmation, in ``language``, and is asked once
    by mail (``following.ask_to_confirm``: at most one mail a day). ``language`` None (the
    caller named none) is Indonesian for a new address and, for one the ticket has a row
    for, the language it was given in: a repeat that names none must not switch a waiting
    address's mail to the default. The reporter's own
    address on a report that has no row for it yet (filed before revision 0011 by staff,
    Open311 or the command line) is confirmed at once, as at submission.

    Two transactions may both find no row for a new address (two "me too" taps at once): the
    unique (ticket, email) constraint stops the second insert, in a savepoint so that only the
    insert is undone, and the row the first one wrote is used as if it had been found.
    """
    address = (clean_email(email, field="email", required=True) or "").lower()
    row = _find_subscription(session, ticket, address)
    if row is None:
        own = address == (ticket.reporter_email or "").lower()
        row = Subscription(
            ticket_id=ticket.id,
            email=address,
            created_at=now,
            language=(language or Language.ID).value,
            active=True,
            confirmed_at=now if own else None,
            confirm_token=None if own else new_link_token(),
        )
        try:
            with session.begin_nested():  # flushes what is pending before the savepoint
                session.add(row)
                session.flush()
        except IntegrityError:
            found = _find_subscription(session, ticket, address)
            if found is None:  # not the race: some other constraint
                raise
            row = found
    if row.active and row.confirmed_at is not None:
        return row  # it follows already: a stranger's repeat must not change its mail
    if not row.active:
        # Unsubscribed since: its owner said stop, so only its owner turns mail back on.
        row.active, row.confirmed_at = True, None
    if language is not None:
        row.language = language.value
    session.flush()
    ask_to_confirm(session, ticket, row, now=now, settings=settings)
    return row


class SupportMemory(Protocol):
    """What the caller remembers of one client's "me too"s (the API: by network address, for a
    day); the engine keeps nothing that tells people apart."""

    def first(self, code: str, *, anonymous: bool) -> bool:
        """Whether this is the client's first "me too" on report ``code`` today; the asking
        counts, and an ``anonymous`` one (no address) is remembered as such."""
        ...

    def claim_anonymous(self, code: str) -> bool:
        """Whether the client's anonymous "me too" on ``code`` counted today and no address has
        taken it over yet; an address takes it over by asking."""
        ...


def support(
    session: Session,
    code: str,
    *,
    email: str | None,
    language: Language | None,
    now: datetime,
    client: SupportMemory | None = None,
    settings: Settings | None = None,
) -> Supported:
    """ "Me too": one more supporter on an open report, and their e-mail subscribed to it
    (pending its owner's confirmation: ``_subscribe``).

    The public figure counts people, as well as we can tell them apart, and errs low, never
    high: an e-mail address counts once, ever (its subscription remembers when it supported);
    the reporter's own address counts like any other (answering it differently would tell
    anyone who knows an address whether it filed the report). Without an address, the client
    (``client``, the API's memory of its network address) counts once per report a day
    (``client`` None: every one counts). One person's "me too" without an address and then
    with one, from the same client the same day, is one supporter: the address takes over the
    anonymous count (``SupportMemory.claim_anonymous``) instead of adding its own; a second
    address from that client counts, as a second person. (An address first and then none is
    already one: the client's "me too" of the day is used.) What is left uncounted twice is
    beyond telling without identifying people: the same person on two days, or on two
    networks, without an address. A repeat is answered with the report as it stands and
    ``counted`` False.

    ``client`` is asked once, after every rule has passed (the address, the code, the report's
    state), so a refused "me too" never uses up the client's one.
    """
    if email is not None:
        clean_email(email, field="email", required=True)  # before anything is read or counted
    ticket = get_ticket(session, code)
    # Locked and re-read first: "me too"s of one report take turns, so each answers the figure
    # as the one before left it (PostgreSQL answered a repeat "stays 0" while the first was
    # still counting it). SQLite serialises writers at BEGIN IMMEDIATE already.
    lock_tickets(session, [ticket])
    if not visibility.published(ticket):
        # Not the public's to see, so not theirs to support or follow: an unknown code.
        raise TicketNotFound(not_found(code))
    if State(ticket.state) not in OPEN_STATES:
        standing = ticket.duplicate_of
        if standing is not None and visibility.published(standing):
            # The problem stands as another report: its followers were moved there, and so
            # may this one's supporter be (a report the public may not see is never named).
            raise RuleViolated(
                f"{ticket.code} is a duplicate of {standing.code}: support {standing.code}, "
                "the report that stands",
                key="support_duplicate",
                params={"state": ticket.state, "code": ticket.code, "duplicate_of": standing.code},
            )
        raise RuleViolated(
            f"{ticket.code} is {ticket.state}: support open reports only",
            key="support_closed",
            params={"state": ticket.state, "code": ticket.code},
        )
    counted = client.first(ticket.code, anonymous=not email) if client is not None else True
    if email:
        row = _subscribe(session, ticket, email, language, now, settings)
        # Marked only where not yet marked, in one UPDATE: of two concurrent "me too"s with one
        # address, the second waits for the first's row lock, then finds it marked: one counts.
        marked = session.execute(
            update(Subscription)
            .where(Subscription.id == row.id, Subscription.supported_at.is_(None))
            .values(supported_at=now)
            .execution_options(synchronize_session=False)
        )
        new_address = cast("CursorResult[Any]", marked).rowcount == 1
        # The same client's anonymous "me too" of today was this person's, as far as anyone
        # can tell: the address is marked (its repeats count nothing) and the figure stays.
        counted = new_address and not (client is not None and client.claim_anonymous(ticket.code))
        session.expire(row, ["supported_at"])
    if counted:
        # One UPDATE, not read-modify-write: concurrent supporters all count.
        session.execute(
            update(Ticket)
            .where(Ticket.id == ticket.id)
            .values(supporters=Ticket.supporters + 1)
            .execution_options(synchronize_session=False)
        )
    session.flush()
    session.expire(ticket, ["supporters"])
    return Supported(get_public(session, ticket.code, now=now), counted)


def _reporter_ticket(session: Session, code: str, token: str) -> Ticket:
    """The ticket ``code`` names, when ``token`` is its reporter token (``check_reporter``: a
    report the public may not see answers a wrong token as an unknown code)."""
    ticket = get_ticket(session, code)
    check_reporter(Actor.citizen(token), ticket, typed=code)
    return ticket


def check_reporter_of(session: Session, code: str, *, token: str) -> None:
    """Whether ``token`` is the reporter token of ticket ``code``, as every reporter action
    checks it: ``TicketNotFound`` for an unknown code (or a wrong token on a report the
    public may not see), ``Forbidden`` for a wrong token. The API asks it before it reads a
    request's body, so a caller without the right token hears that, not what its body lacks."""
    _reporter_ticket(session, code, token)


def check_supportable(session: Session, code: str) -> None:
    """``TicketNotFound`` unless ``code`` names a report the public sees, the first thing a
    "me too" (``support``) checks of its ticket; the API asks it before it reads the body."""
    if not visibility.published(get_ticket(session, code)):
        raise TicketNotFound(not_found(code))


def reporter_view(session: Session, code: str, *, token: str, now: datetime) -> ReporterView:
    ticket = _reporter_ticket(session, code, token)
    rows = session.execute(
        select(Subscription.email, Subscription.confirmed_at).where(
            Subscription.ticket_id == ticket.id, Subscription.active
        )
    ).all()
    emails = {email for email, confirmed_at in rows if confirmed_at is not None}
    own = (ticket.reporter_email or "").lower()
    return ReporterView(
        report=get_public(session, ticket.code, now=now, reporter=True),
        name=ticket.reporter_name,
        email=ticket.reporter_email,
        phone=ticket.reporter_phone,
        private=ticket.private,
        rating=ticket.rating,
        resolved_at=ticket.resolved_at,
        subscribed=own in emails,
        followers=len(emails),
        pending=len(rows) - len(emails),
        public=visibility.published(ticket),
        unpublished=ticket.unpublished_at is not None,
        redacted=was_redacted(session, ticket.id),
        own_notes=tuple(
            (seq, note or "")
            for seq, note in session.execute(
                select(TicketEvent.seq, TicketEvent.note)
                .where(
                    TicketEvent.ticket_id == ticket.id,
                    # Only the token holder acts as a citizen on a ticket: these are theirs.
                    TicketEvent.actor_role == Role.CITIZEN.value,
                    TicketEvent.note.is_not(None),
                )
                .order_by(TicketEvent.seq)
            )
        ),
    )


def reporter_choices(
    session: Session, code: str, *, now: datetime, settings: Settings
) -> ReporterChoices:
    """What the reporter of report ``code`` may do with it now (``ReporterChoices``). It
    depends on the report and the time, not on who asks: the tracking page shows it to anyone,
    and offers it to whoever gives the token."""
    ticket = get_ticket(session, code)
    window = settings.dispute_window
    actions = reporter_permitted(session, ticket, now=now, dispute_window=window)
    rejected = rejected_at(session, ticket) if Trigger.REINSTATE in actions else None
    return ReporterChoices(
        actions=tuple(actions),
        appeal_until=appeal_open_until(rejected, window, now) if rejected else None,
    )


def subscribe(
    session: Session,
    code: str,
    *,
    token: str,
    email: str,
    language: Language | None,
    now: datetime,
    settings: Settings | None = None,
) -> ReporterView:
    """The reporter adds an address: it follows once its owner confirms from the mail it gets
    (``_subscribe``); until then the view counts it as ``pending``."""
    ticket = _reporter_ticket(session, code, token)
    _subscribe(session, ticket, email, language, now, settings)
    session.flush()
    return reporter_view(session, code, token=token, now=now)


def unsubscribe(
    session: Session, code: str, *, token: str, email: str, now: datetime
) -> ReporterView:
    """The reporter stops mail to an address of theirs: their own, or one they added. An
    address that said "me too", or was carried from a report marked a duplicate of this one,
    is its owner's, stopped only by its owner (the link in every mail): the token changes
    nothing there, and answers as for an address that does not follow, so it never tells
    whether a neighbour follows the report."""
    ticket = _reporter_ticket(session, code, token)
    address = (clean_email(email, field="email", required=True) or "").lower()
    stopped = session.execute(
        update(Subscription)
        .where(
            Subscription.ticket_id == ticket.id,
            Subscription.email == address,
            Subscription.supported_at.is_(None),
            # Nor one carried from a report marked a duplicate of this one: it followed that
            # one, and is its owner's to stop (``following.carry_followers``).
            Subscription.carried_from_id.is_(None),
        )
        .values(active=False)
    )
    if cast("CursorResult[Any]", stopped).rowcount:
        # Only the reporter's own addresses: a neighbour's held mail is not theirs to stop.
        status_mail.withdraw(session, ticket.id, address)
    session.flush()
    return reporter_view(session, code, token=token, now=now)
