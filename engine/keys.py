"""API keys: create (shown once), authenticate, revoke, and what a key may see and do.

A key is ``tgk_<prefix>_<secret>``; only the SHA-256 of the whole key is stored, so a copy of
the database does not hand out working keys. ``prefix`` names a key in lists and logs.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, false, select, true
from sqlalchemy.orm import Session

from engine.actions import perform, permitted
from engine.actors import Actor, check_not_withheld, check_reach, hash_token
from engine.catalogue.lookup import find_agency, find_area
from engine.codes import not_found
from engine.errors import (
    CatalogueEntryNotFound,
    Forbidden,
    NotFound,
    RuleViolated,
    StaffNotFound,
    TicketNotFound,
    shown,
)
from engine.lifecycle import KEY_ROLES, STAFF_ROLES, Role, Trigger
from engine.models import Agency, AgencyKind, ApiKey, Area, Category, Staff, Ticket
from engine.photos import MediaStorage
from engine.routing import ancestry
from engine.settings import Settings
from engine.staff import find_staff
from engine.text import clean_text
from engine.tickets import find_ticket, get_ticket

_PREFIX = "tgk"
_RANK = {Role.STAFF: 0, Role.SUPERVISOR: 1, Role.ADMIN: 2}
#: What ``create_key`` draws for a prefix: 8 lowercase hex digits.
_PREFIX_SHAPE = re.compile(r"[0-9a-f]{8}")


class UnknownReference(RuleViolated):
    """A code named in a request body (agency, officer, duplicate target) that does not exist:
    the request is wrong, not its URL."""

    code = "unknown_reference"


#: Which input of an action names what was not found (the action's own ticket is found first).
_BODY_CODES: tuple[tuple[type[NotFound], str], ...] = (
    (TicketNotFound, "duplicate_of"),
    (StaffNotFound, "officer"),
    (CatalogueEntryNotFound, "agency"),
)


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"


#: What a client key is for, in every refusal of one: it files reports and sees nothing.
CLIENT_KEY_ONLY = "a client key only files Open311 service requests"


class ClientKeyRefused(Forbidden):
    """A client key (``Role.CLIENT``) where a staff key is needed: a ticket, a list, a staff
    page sign-in. The same 403 as any key without the right role."""


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    #: The secret, shown once.
    secret: str


@dataclass(frozen=True)
class KeyHolder:
    """Who a request with a valid key acts as, and what it may see."""

    key_id: int
    name: str
    role: Role
    agency_id: int | None
    agency_kind: str | None
    agency_area_id: int | None
    area_id: int | None
    #: The address of the staff member the key belongs to (None: a key for a program).
    staff_email: str | None = None
    #: That staff member's id and name: a person's key acts as the person.
    staff_id: int | None = None
    staff_name: str | None = None

    @property
    def who(self) -> str:
        """How pages and timelines name the holder: the person a key was made for, else the
        key's own name."""
        return self.staff_name if self.staff_name is not None else self.name

    @property
    def actor(self) -> Actor:
        if self.role is Role.CLIENT:
            # The app by its name, for staff's timeline ("Aplikasi X (Open311 client)"); the
            # public timeline shows the role only.
            return Actor(Role.CLIENT, self.name)
        if self.staff_id is not None and self.staff_name is not None:
            # A person's own key acts as that person: the timeline names them, and they are
            # not mailed about their own act (an officer assigning a ticket to themselves).
            return Actor(
                self.role, self.staff_name, staff_id=self.staff_id, agency_id=self.agency_id
            )
        return Actor(self.role, f"{self.name} (api key)", agency_id=self.agency_id)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_staff(self) -> bool:
        """A key of staff, a supervisor or an admin: one that may see tickets at all (a client
        key files reports and sees none)."""
        return self.role in STAFF_ROLES


def check_staff_key(holder: KeyHolder) -> None:
    """``ClientKeyRefused`` unless ``holder`` is a staff, supervisor or admin key."""
    if not holder.is_staff:
        raise ClientKeyRefused(f"{CLIENT_KEY_ONLY}; it sees no tickets")


def create_key(
    session: Session,
    *,
    role: Role,
    name: str,
    agency: str | None,
    area: str | None,
    now: datetime,
    staff: str | None = None,
) -> NewKey:
    """A new key; ``staff`` (an e-mail) names the person it belongs to, whose agency it acts
    for unless ``agency`` is given, and whose role it may not exceed. A client key (an Open311
    app) names only the app: it acts for no agency, area or person."""
    if role not in KEY_ROLES:
        raise RuleViolated(
            f"an api key's role is staff, supervisor, admin or client, not {shown(role)}"
        )
    name = clean_text(name, field="key name", limit=200, multiline=False) or ""
    if not name:
        raise RuleViolated("give the key a name (who or what uses it)")
    if role is Role.CLIENT:
        scope = (
            ("agency", "agency", agency),
            ("area", "area", area),
            ("staff", "staff member", staff),
        )
        for field, words, given in scope:
            if given:
                raise RuleViolated(
                    f"a client key is for an Open311 app, which files reports for citizens "
                    f"and sees no tickets: it takes no {words}",
                    key="client_key_scope",
                    params={"field": field},
                )
    member = find_staff(session, staff) if staff else None
    if staff and member is None:
        raise UnknownReference(f"no staff member {shown(staff.strip())}", params={"field": "staff"})
    if member is not None:
        if not member.active:
            raise RuleViolated(
                f"staff member {member.email} is deactivated", params={"field": "staff"}
            )
        if _RANK[Role(member.role)] < _RANK[role]:
            raise RuleViolated(
                f"role cannot be {role}: {member.email} is {member.role}",
                key="role_above_staff",
                params={"field": "role", "role": role.value, "staff_role": member.role},
            )
        agency = agency or (member.agency.code if member.agency else None)
    if role in (Role.STAFF, Role.SUPERVISOR) and not agency:
        # Named by field, not by a command-line option: the admin API calls this too.
        raise RuleViolated(
            f"a {role} key acts for an agency: name its agency",
            key="agency_required",
            params={"field": "agency"},
        )
    agency_row = area_row = None
    if agency:
        # Codes in any case, with - or _, as everywhere (``dbm`` is DBM).
        agency_row = find_agency(session, agency)
        if agency_row is None:
            raise UnknownReference(
                f"no active agency with code {shown(agency)}", params={"field": "agency"}
            )
    if area:
        area_row = find_area(session, area)
        if area_row is None:
            raise UnknownReference(
                f"no active area with code {shown(area)}", params={"field": "area"}
            )
    office = agency_row is not None and agency_row.kind == AgencyKind.AREA_OFFICE
    if area_row is not None and agency_row is not None and office:
        _check_area_within_office(session, area_row, agency_row)
    if (
        member is not None
        and agency_row is not None
        and member.agency_id
        not in (
            None,
            agency_row.id,
        )
    ):
        raise RuleViolated(
            f"{member.email} is not of agency {agency_row.code}", params={"field": "agency"}
        )
    prefix = secrets.token_hex(4)
    secret = f"{_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        name=name,
        prefix=prefix,
        key_hash=hash_token(secret),
        role=role.value,
        agency=agency_row,
        area=area_row,
        staff=member,
        created_at=now,
    )
    session.add(key)
    session.flush()
    return NewKey(key=key, secret=secret)


def _check_area_within_office(session: Session, area: Area, office: Agency) -> None:
    """An area office's key may be narrowed to part of the office's area (or name an area
    around it, which narrows nothing), never to an area apart from it: such a key would see no
    ticket of its own office. ``RuleViolated`` (``params.field`` "area") otherwise."""
    own = session.get(Area, office.area_id) if office.area_id is not None else None
    if own is None:
        return
    if own.id in {a.id for a in ancestry(session, area)}:
        return  # within the office's area
    if area.id in {a.id for a in ancestry(session, own)}:
        return  # around it
    raise RuleViolated(
        f"{office.code} works in {own.title} ({own.code}); area {area.code} ({area.title}) lies "
        "outside it, and a key narrowed to it would see none of the office's tickets",
        key="area_outside_office",
        params={"field": "area", "agency": office.code, "area": area.code},
    )


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)))


def _well_formed(prefix: str) -> bool:
    # Whatever a person or a client sends (a lone surrogate, NUL …) must never reach the
    # database driver: it is simply no key of ours.
    return _PREFIX_SHAPE.fullmatch(prefix) is not None


#: A key pasted as the HTTP header that carried it: what precedes the key itself.
_AS_HEADER = re.compile(r"^(?:authorization\s*:\s*)?bearer\s+", re.IGNORECASE)


def _key_named(session: Session, given: str) -> ApiKey:
    """The key ``given`` names: its prefix (as ``keys list`` shows it, any case), ``tgk_`` and
    its prefix, or the whole key (a leaked key pasted to revoke it: checked as authentication
    checks it), also as the header that carried it (``Bearer tgk_…``, ``Authorization: Bearer
    tgk_…`` copied from a log). A refusal never quotes a secret: it names the prefix when one
    is recognisable, else nothing of what was given."""
    text = _AS_HEADER.sub("", given.strip())
    pasted = text
    parts = text.split("_", 2)
    whole = len(parts) == 3 and parts[0].lower() == _PREFIX
    if len(parts) >= 2 and parts[0].lower() == _PREFIX:
        text = parts[1]
    prefix = text.lower()
    if not _well_formed(prefix):
        raise ApiKeyNotFound(
            "no api key with that prefix: give the 8-character prefix that keys list shows, "
            "or the whole key"
        )
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    if key is None:
        raise ApiKeyNotFound(f"no api key with prefix '{prefix}'")
    if whole and not hmac.compare_digest(key.key_hash, hash_token(pasted)):
        raise ApiKeyNotFound(
            f"that is not the whole key of api key {prefix}: revoke it by its prefix, {prefix}, "
            "if you mean that key"
        )
    return key


def revoke_key(session: Session, prefix: str, *, now: datetime) -> ApiKey:
    """Revoke the key ``prefix`` names (``_key_named``: its prefix or the whole key)."""
    key = _key_named(session, prefix)
    if key.revoked_at is None:
        key.revoked_at = now
        session.flush()
    return key


def authenticate(session: Session, secret: str) -> KeyHolder:
    """The holder of ``secret``, or ``Forbidden`` (unknown, malformed, revoked, or the key of a
    deactivated staff account)."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != _PREFIX:
        raise Forbidden("that is not a Tanggap api key")
    if not _well_formed(parts[1]):
        raise Forbidden("unknown api key")
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == parts[1])).first()
    if key is None or not hmac.compare_digest(key.key_hash, hash_token(secret)):
        raise Forbidden("unknown api key")
    return holder_of(key)


def holder_of(key: ApiKey) -> KeyHolder:
    """The holder of a key found by its secret or by a sign-in's key id, or ``Forbidden`` when
    it is revoked or belongs to a deactivated staff account (both doors ask here)."""
    if key.revoked_at is not None:
        raise Forbidden(f"api key {key.prefix} was revoked")
    # A key made for a person works while their account does: a departed employee's key stops
    # with ``tanggap staff deactivate`` (and works again if they are activated).
    if key.staff_id is not None and (key.staff is None or not key.staff.active):
        raise Forbidden(f"api key {key.prefix} belongs to a deactivated staff account")
    role, agency = acts_as(key)
    return KeyHolder(
        key_id=key.id,
        name=key.name,
        role=role,
        agency_id=agency.id if agency else None,
        agency_kind=agency.kind if agency else None,
        agency_area_id=agency.area_id if agency else None,
        area_id=key.area_id,
        staff_email=key.staff.email if key.staff else None,
        staff_id=key.staff.id if key.staff else None,
        staff_name=key.staff.name if key.staff else None,
    )


def staff_viewer(staff: Staff, agency: Agency) -> KeyHolder:
    """What ``staff`` sees of ``agency``'s as a key of their own with no area would: the reader
    of a mail that shows read-side figures (the supervisors' daily digest). No key backs it
    (``key_id`` 0), so it opens no door."""
    return KeyHolder(
        key_id=0,
        name=staff.name,
        role=Role(staff.role),
        agency_id=agency.id,
        agency_kind=agency.kind,
        agency_area_id=agency.area_id,
        area_id=None,
        staff_email=staff.email,
        staff_id=staff.id,
        staff_name=staff.name,
    )


def acts_as(key: ApiKey) -> tuple[Role, Agency | None]:
    """The role and agency ``key`` acts with now (every door that takes a key asks here, and
    ``keys list`` shows it).

    A key made for a person follows the person, as they are now: its agency is theirs (an
    admin of no agency: the agency the key was made for), and its role never higher than
    theirs. A move to another agency or a demotion takes effect on their keys at once, with
    nothing stored twice. A key for a program acts as it was made."""
    role, agency = Role(key.role), key.agency
    member = key.staff
    if member is None:
        return role, agency
    theirs = Role(member.role)
    if theirs in _RANK and _RANK[theirs] < _RANK.get(role, 0):
        role = theirs
    return role, member.agency if member.agency is not None else agency


def descendant_area_ids(session: Session, area_id: int) -> set[int]:
    """``area_id`` and every area beneath it."""
    found, frontier = {area_id}, {area_id}
    while frontier:
        frontier = set(session.scalars(select(Area.id).where(Area.parent_id.in_(frontier))))
        frontier -= found
        found |= frontier
    return found


def visible(session: Session, holder: KeyHolder) -> ColumnElement[bool]:
    """A WHERE clause for the tickets ``holder`` may see.

    An agency sees its own tickets; an area office what lies in its area, but for categories
    withheld from area offices (pungli); the governor's office and admins everything. A key's
    area narrows whatever its agency sees.
    """
    clause: ColumnElement[bool] = true()
    if holder.is_admin:
        return clause
    if not holder.is_staff:
        return false()
    if holder.agency_kind == AgencyKind.AREA_OFFICE and holder.agency_area_id is not None:
        clause = Ticket.area_id.in_(
            descendant_area_ids(session, holder.agency_area_id)
        ) & not_withheld(holder)
    elif holder.agency_kind != AgencyKind.GOVERNOR_OFFICE:
        clause = Ticket.agency_id == holder.agency_id
    if holder.area_id is not None:
        clause = clause & Ticket.area_id.in_(descendant_area_ids(session, holder.area_id))
    return clause


def withheld_categories() -> Select[int]:
    """The ids of the categories no area office sees (``Category.withheld_from_area_offices``),
    as a subquery."""
    return select(Category.id).where(Category.withheld_from_area_offices)


def not_withheld(holder: KeyHolder) -> ColumnElement[bool]:
    """A WHERE clause leaving out the tickets withheld from the holder's area office
    (``actors.withheld_from``), by each ticket's category as it is now; all tickets for any
    other holder."""
    if holder.is_admin or holder.agency_kind != AgencyKind.AREA_OFFICE:
        return true()
    return Ticket.category_id.not_in(withheld_categories()) | (Ticket.agency_id == holder.agency_id)


def check_sees(
    session: Session, holder: KeyHolder, ticket: Ticket, *, typed: str | None = None
) -> None:
    """``Forbidden`` unless ``ticket`` is within the key's agency and area; ``TicketNotFound``,
    worded as for an unknown ``typed`` code (default: the ticket's), when it is withheld from
    the key's area office (``actors.withheld_from``): the same answer as no ticket at all."""
    if holder.is_admin:
        return
    check_staff_key(holder)
    check_not_withheld(session, holder.actor, ticket, typed=typed)
    if _outside_area(session, holder, ticket):
        raise Forbidden(f"ticket {ticket.code} lies outside this key's area")
    check_reach(session, holder.actor, ticket)


def check_sees_code(session: Session, holder: KeyHolder, code: str) -> None:
    """``check_sees`` for the ticket ``code`` names (``TicketNotFound`` when there is none):
    the API asks it before it reads a request's body, so a key that may not act on the ticket
    hears that (403, or 404 as for no ticket), not what its body lacks."""
    check_sees(session, holder, get_ticket(session, code), typed=code)


def _check_target_seen(session: Session, holder: KeyHolder, code: object) -> None:
    """A duplicate target the key may not see is answered as one that does not exist: the
    merge would write on another office's ticket, and a refusal naming its state would tell
    what the key may not read. (A territorial office, or an admin, sees both and may merge.)"""
    if not isinstance(code, str) or not code:
        return
    target = find_ticket(session, code)
    if target is None:
        return  # the engine refuses it, naming the code as typed
    try:
        check_sees(session, holder, target, typed=code)
    except (Forbidden, TicketNotFound):
        raise UnknownReference(not_found(code), params={"field": "duplicate_of"}) from None


def _outside_area(session: Session, holder: KeyHolder, ticket: Ticket) -> bool:
    if holder.area_id is None or holder.is_admin:
        return False
    return holder.area_id not in {area.id for area in ancestry(session, ticket.area)}


def may_fire(
    session: Session, holder: KeyHolder, ticket: Ticket, *, now: datetime
) -> list[Trigger]:
    """What the key holder may fire on ``ticket`` now: its state, the key's role, agency and
    area (the ticket detail's and a transition's "allowed actions")."""
    if not holder.is_staff or _outside_area(session, holder, ticket):
        return []
    # A key is never a citizen's: the dispute window, which only limits citizens, plays no part.
    return permitted(session, holder.actor, ticket, now=now, dispute_window=timedelta(0))


def may_fire_each(
    session: Session, holder: KeyHolder, codes: list[str], *, now: datetime
) -> dict[str, list[Trigger]]:
    """``may_fire`` for many tickets at once (a worklist's buttons), by ticket code."""
    if not codes:
        return {}
    tickets = session.scalars(select(Ticket).where(Ticket.code.in_(codes)))
    return {t.code: may_fire(session, holder, t, now=now) for t in tickets}


def act(
    session: Session,
    holder: KeyHolder,
    code: str,
    trigger: str,
    *,
    now: datetime,
    settings: Settings,
    storage: MediaStorage,
    **fields: Any,
) -> Ticket:
    """Fire ``trigger`` on ticket ``code`` as the key holder, within the key's area."""
    ticket = get_ticket(session, code)
    # Scope before anything else: out of it, a wrong version or an illegal trigger is the same
    # 403 as a right one, and tells nothing of the ticket's state or version (a ticket withheld
    # from the key's area office: the same 404 as no ticket).
    check_sees(session, holder, ticket, typed=code)
    _check_target_seen(session, holder, fields.get("duplicate_of"))
    try:
        return perform(
            session,
            ticket.code,
            trigger,
            actor=holder.actor,
            now=now,
            settings=settings,
            storage=storage,
            **fields,
        )
    except NotFound as exc:  # the ticket itself was found above: this is a code in the body
        field = next((f for kind, f in _BODY_CODES if isinstance(exc, kind)), None)
        raise UnknownReference(exc.message, params={"field": field} if field else None) from exc
    # A StaleVersion passes as it is: the engine says where the ticket stands and what this
    # key may fire there.
