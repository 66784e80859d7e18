"""Staff accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.catalogue.lookup import get_agency
from engine.errors import RuleViolated, StaffExists, StaffNotFound
from engine.lifecycle import OPEN_STATES, STAFF_ROLES, Role, State, Trigger
from engine.models import Agency, Notification, NotificationKind, Staff, Ticket
from engine.text import LIMITS, clean_email, clean_text, code_key, email_key
from engine.zones import zone_name


def _email_key(email: str) -> str:
    # Addresses are stored in lower case, the domain in ASCII; people type them as printed on
    # a card (``budi@dinas.bücher.id`` finds ``budi@dinas.xn--bcher-kva.id``).
    return email_key(email)


def find_staff(session: Session, email: str) -> Staff | None:
    key = _email_key(email)
    if not key.isprintable():  # NUL or a broken encoding: no address has it, and the
        return None  # database would refuse the query rather than answer it
    return session.scalars(select(Staff).where(Staff.email == key)).first()


def get_staff(session: Session, email: str) -> Staff:
    member = find_staff(session, email)
    if member is None:
        shown = email.strip()[:80]  # repr() escapes control characters
        raise StaffNotFound(f"no staff member {shown!r}")
    return member


def parse_role(value: Role | str) -> Role:
    """A staff role from what a person typed (``Supervisor``, ``ADMIN`` …)."""
    key = code_key(str(value))
    for role in STAFF_ROLES:
        if role.value == key:
            return role
    known = ", ".join(sorted(r.value for r in STAFF_ROLES))
    raise RuleViolated(f"{str(value)[:30]!r} is not a staff role; use one of {known}")


#: Indonesia's three zones by the names people use for them.
#: What clears a member's zone (they then follow the service's).
DEFAULT_ZONE_WORDS = frozenset({"", "default"})


def clean_timezone(value: str | None) -> str | None:
    """An IANA time zone as typed (``Asia/Makassar``, ``asia/makassar``, ``WITA``), in its
    canonical spelling (``engine.zones``, the service's own zone's rule too); ``None``, empty
    or ``default`` mean the service's zone (``None``)."""
    if value is None:
        return None
    text = value.strip()
    if text.lower() in DEFAULT_ZONE_WORDS:
        return None
    zone = zone_name(text)
    if zone is None:
        shown = text[:40].encode("unicode_escape").decode("ascii")  # no control characters
        raise RuleViolated(
            f"staff_timezone {shown!r} is not a time zone; use an IANA name such as "
            "Asia/Jakarta (WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT)"
        )
    return zone


def add_staff(
    session: Session,
    *,
    email: str,
    name: str | None = None,
    role: Role | str | None = None,
    agency: str | None = None,
    now: datetime,
    timezone: str | None = None,
    update: bool = False,
    create: bool = True,
) -> Staff:
    """Create a staff account; with ``update``, change the existing one with the same e-mail
    (else ``StaffExists``: a typo must not silently rename a colleague), keeping whether it is
    active. With ``update`` and not ``create`` (``staff add --update``), an address nobody has
    is ``StaffNotFound``: a typo must not silently create an account either.

    What is not given (``None``) is kept as it was on an update: ``name``, ``role``, ``agency``
    and ``timezone`` (their daily digest's zone) alike, so a rename or a move never changes
    what it does not name (a supervisor renamed stays a supervisor). A new member needs a
    ``name``; their ``role`` is then ``staff``. An ``agency`` given empty means none (an admin
    only); a ``timezone`` of ``default`` (or empty) clears it.

    A member who moves to another agency hands back the tickets of the old one they held
    (``release_tickets``); a supervisor who moves, or is a supervisor no more, has the daily
    digest still waiting for them taken back (``recall_digests``)."""
    address = clean_email(email, field="staff_email", required=True)
    assert address is not None
    full_name = (
        None
        if name is None
        else clean_text(
            name, field="staff_name", limit=LIMITS["staff_name"], required=True, multiline=False
        )
    )
    given_role = None if role is None else parse_role(role)
    zone = clean_timezone(timezone)
    # Malformed input is named first, even when the member exists; then "exists" beats the rest.
    member = find_staff(session, address)
    if member is not None and not update:
        where = member.agency.code if member.agency else "no agency"
        raise StaffExists(
            f"{member.email} is already {member.role} of {where} ({member.name!r}); "
            "update them explicitly to change name, role or agency"
        )
    if member is None and not create:
        raise StaffNotFound(
            f"no staff member {address!r} to update; add them without updating to create "
            "the account"
        )
    if member is None and full_name is None:
        raise RuleViolated(
            "staff_name is missing: a new member needs one",
            key="field_required",
            params={"field": "staff_name"},
        )
    if given_role is not None:
        staff_role = given_role
    else:  # kept on an update; a new member is staff
        staff_role = Role(member.role) if member is not None else Role.STAFF
    if agency is None and member is not None:  # kept: not given
        agency_row = member.agency
    else:
        agency_code = (agency or "").strip() or None
        agency_row = get_agency(session, agency_code) if agency_code else None
    if staff_role is not Role.ADMIN and agency_row is None:
        raise RuleViolated(
            f"staff_agency is missing: a {staff_role} must belong to an agency (only an admin "
            "may have none)",
            key="field_required",
            params={"field": "staff_agency"},
        )
    left = member.agency if member is not None else None
    oversaw = member is not None and member.role == Role.SUPERVISOR.value
    if member is None:
        member = Staff(email=address.lower(), created_at=now, active=True)
        session.add(member)
    # An update keeps a deactivated member deactivated (and their keys refused): only
    # ``set_staff_active`` (``staff activate``) brings someone back, and says so.
    if full_name is not None:
        member.name = full_name
    member.role = staff_role.value
    member.agency = agency_row
    if timezone is not None:
        member.timezone = zone
    session.flush()
    if left is not None and left.id != member.agency_id:
        release_tickets(session, member, left, now=now)
        if oversaw:
            where = member.agency.code if member.agency is not None else "no agency"
            recall_digests(session, member, f"{member.email} moved to {where}")
    elif oversaw and staff_role is not Role.SUPERVISOR:
        recall_digests(session, member, f"{member.email} is no longer a supervisor")
    return member


def recall_digests(session: Session, member: Staff, cause: str) -> int:
    """Take back the daily digests waiting for ``member`` (``outbox.still_sendable``: untried,
    or between tries), because of ``cause`` ("x moved to DISHUB", "x was deactivated", "x is no
    longer a supervisor"): each lists what they oversaw when it was written, which is no longer
    theirs to read. Marked not sent (``failed``, ``last_error`` "not sent: <cause> …"); the next
    day's digest is written for what they oversee then. Returns how many."""
    from engine import outbox  # it imports staff's importers: when needed
    from engine.status_mail import mark_not_sent

    return mark_not_sent(
        session,
        (
            Notification.kind == NotificationKind.DAILY_DIGEST,
            func.lower(Notification.recipient) == member.email.lower(),
            outbox.still_sendable(),
        ),
        f"not sent: {cause}; the digest listed what they oversaw before"[:500],
    )


def held_tickets(session: Session, member: Staff, agency: Agency) -> list[Ticket]:
    """The open tickets of ``agency`` that name ``member`` as their officer, oldest first."""
    return list(
        session.scalars(
            select(Ticket)
            .where(
                Ticket.officer_id == member.id,
                Ticket.agency_id == agency.id,
                Ticket.state.in_(sorted(OPEN_STATES)),
            )
            .order_by(Ticket.id)
        )
    )


def has_active_staff(session: Session, agency: Agency) -> bool:
    """Whether ``agency`` has an active member, who could be named a ticket's officer."""
    found = session.scalar(
        select(Staff.id).where(Staff.agency_id == agency.id, Staff.active.is_(True)).limit(1)
    )
    return found is not None


def officer_tickets(session: Session, member: Staff) -> list[Ticket]:
    """The open tickets, of any agency, that name ``member`` as their officer, oldest first."""
    return list(
        session.scalars(
            select(Ticket)
            .where(Ticket.officer_id == member.id, Ticket.state.in_(sorted(OPEN_STATES)))
            .order_by(Ticket.id)
        )
    )


def release_tickets(session: Session, member: Staff, left: Agency, *, now: datetime) -> int:
    """After ``member`` moved from agency ``left`` (to another, or to none): the open tickets
    of ``left`` they hold are theirs no more; returns how many (``hand_back``, naming the
    move). Their api keys follow them without a write (``keys.acts_as``)."""
    if member.agency is not None:
        where = (f"pindah ke {member.agency.code}", f"moved to {member.agency.code}")
    else:
        where = (f"keluar dari {left.code}", f"left {left.code}")
    return hand_back(session, member, held_tickets(session, member, left), where, now=now)


def hand_back(
    session: Session, member: Staff, held: list[Ticket], what: tuple[str, str], *, now: datetime
) -> int:
    """Hand the open tickets ``held`` that name ``member`` as their officer back to their
    agency's queue, because of ``what`` happened to them, in Indonesian and English (("pindah
    ke DISHUB", "moved to DISHUB"), ("dinonaktifkan", "was deactivated")); returns how many.

    Each ticket is handed to nobody in particular at once (an internal ``reassign`` on its
    timeline, by the system, naming what happened), so it shows with no officer in the agency's
    worklist and ``ticket list``, for a supervisor to name the next one (or for an officer of
    the agency to take by starting it); the agency's queue is told (``handover``: the work is
    theirs to share out). The change re-reads the ticket's waiting mail as any change does
    (``ledger.readdress``), the cause worded for operators ("x moved to DISHUB"): a hand-over
    to them is not sent, a citizen's comment waiting for them goes to the agency's queue."""
    from engine import tickets  # it imports staff's importers: when needed
    from engine.actors import Actor

    what_id, what_en = what
    for ticket in held:
        ticket.officer = None
        agency = ticket.agency.code
        # An agency the catalogue no longer has takes no new officer's work: the ticket is to
        # be moved (the catalogue load's warning says the same of what it left behind).
        needs_id, needs_en = (
            (f"petugas baru dari {agency}", f"a new officer of {agency}")
            if ticket.agency.active
            else (
                f"dipindahkan ke instansi yang berlaku ({agency} tidak ada lagi di katalog)",
                f"moving to an agency in force ({agency} is no longer in the catalogue)",
            )
        )
        tickets.write_transition(
            session,
            ticket,
            trigger=Trigger.REASSIGN,
            to_state=State(ticket.state),
            actor=Actor.system(),
            # staff read it on the timeline and in mail, in both languages as all staff words
            note=(
                f"{member.name} {what_id}: laporan ini perlu {needs_id} / "
                f"{member.name} {what_en}: this ticket needs {needs_en}"
            ),
            public=False,
            data={"officer": {"from": member.email, "to": None}},
            now=now,
            cause=f"{member.email} {what_en}",
        )
    session.flush()
    return len(held)


def set_staff_timezone(session: Session, email: str, timezone: str) -> Staff:
    """Set the zone a member's daily digest follows (``default``: the service's zone)."""
    zone = clean_timezone(timezone)
    member = get_staff(session, email)
    member.timezone = zone
    session.flush()
    return member


def set_staff_active(session: Session, email: str, *, active: bool, now: datetime) -> Staff:
    """Deactivate (or reactivate) an account: a deactivated member may no longer act; their
    name stays on the tickets and events they handled.

    The open tickets naming a member who is deactivated as their officer are handed back to
    their agency's queue at once, as a moved officer's are (``hand_back``, "x was
    deactivated"): nobody may work them under that name any more, and the queue is told.
    Mail waiting for them is re-read, as after a change to the ticket (``ledger.readdress``): a
    hand-over to them is not sent, a citizen's comment or dispute waiting for them goes to the
    agency's queue instead (README: "the assigned officer if active, else the agency's
    queue"); a daily digest waiting for them is taken back (``recall_digests``)."""
    from engine import ledger, outbox  # they import staff's importers: when needed

    member = get_staff(session, email)
    member.active = active
    session.flush()
    if not active:
        held = officer_tickets(session, member)
        hand_back(session, member, held, ("dinonaktifkan", "was deactivated"), now=now)
        waiting = select(Notification.ticket_id).where(
            outbox.still_sendable(),
            func.lower(Notification.recipient) == member.email.lower(),
            Notification.ticket_id.is_not(None),
            Notification.ticket_id.not_in([ticket.id for ticket in held]),
        )
        for ticket in session.scalars(
            select(Ticket).where(Ticket.id.in_(waiting)).order_by(Ticket.id)
        ):
            ledger.readdress(session, ticket, now=now, cause=f"{member.email} was deactivated")
        recall_digests(session, member, f"{member.email} was deactivated")
        session.flush()
    return member
