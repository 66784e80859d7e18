"""``tanggap staff``: accounts of agency officers, supervisors and administrators."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cli.choices import choice
from cli.context import console, database, fail, now, print_rows, reported_errors, settings
from engine.errors import StaffExists, StaffNotFound
from engine.lifecycle import RULES_BY_TRIGGER, STAFF_ROLES, Role, State, Trigger
from engine.models import Agency, ApiKey, Staff, Ticket
from engine.staff import (
    add_staff,
    find_staff,
    has_active_staff,
    held_tickets,
    officer_tickets,
    set_staff_active,
    set_staff_timezone,
)
from engine.text import counted

app = typer.Typer(help="Staff accounts.", no_args_is_help=True)


class StaffRole(StrEnum):
    """The roles a staff account may have (``Role`` also names citizens and the system)."""

    STAFF = Role.STAFF.value
    SUPERVISOR = Role.SUPERVISOR.value
    ADMIN = Role.ADMIN.value


assert {Role(r) for r in StaffRole} == STAFF_ROLES


#: A member's fields as the engine names them in a refusal (``engine.staff.add_staff``), and
#: what ``staff add`` takes for each: ``staff_name has 300 characters`` is ``--name has …``.
ADD_OPTIONS = {
    "staff_email": "email",
    "staff_name": "--name",
    "staff_timezone": "--timezone",
    "staff_agency": "--agency",
    "role": "--role",
    "agency": "--agency",
}


@app.command("add")
def add(
    email: Annotated[str, typer.Argument(help="their e-mail address (their login)")],
    name: Annotated[
        str | None, typer.Option(help="full name (needed for a new member; --update: kept)")
    ] = None,
    role: Annotated[
        StaffRole | None,
        typer.Option(
            help="staff, supervisor or admin (default: staff; --update: kept)",
            parser=choice("role", StaffRole),
            show_default=False,
        ),
    ] = None,
    agency: Annotated[
        str | None,
        typer.Option(help='agency code, e.g. DBM ("": none, an admin only; --update: kept)'),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            help="their daily digest comes at 07:00 in this zone: an IANA name "
            "(Asia/Makassar) or WIB/WITA/WIT; default: the service's zone"
        ),
    ] = None,
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="change an existing member: only the options given (--name, --role, --agency, "
            "--timezone); the others keep their values",
        ),
    ] = False,
) -> None:
    """Add a staff member (with --update: change the name, role, agency or time zone given)."""
    with reported_errors(options=ADD_OPTIONS), database().transaction() as session:
        before = find_staff(session, email) if update else None
        left = before.agency if before is not None else None
        was = (before.role, before.agency_id) if before is not None else None
        held = held_tickets(session, before, left) if before and left else []
        try:
            member = add_staff(
                session,
                email=email,
                name=name,
                role=role.value if role is not None else None,
                agency=agency,
                now=now(),
                timezone=timezone,
                update=update,
                create=not update,
            )
        except StaffExists as exc:
            fail(exc.message.replace("update them explicitly", "add --update"))
        except StaffNotFound as exc:
            fail(exc.message.replace("add them without updating", "run it without --update"))
        where = member.agency.code if member.agency else "no agency"
        zone = f", time zone {member.timezone}" if member.timezone else ""
        console.print(f"{member.email}: {member.role} of {where}{zone}")
        if not member.active:
            console.print(
                f"{member.email} stays deactivated (their api keys are refused): "
                "tanggap staff activate EMAIL brings them back"
            )
        if was is not None and was != (member.role, member.agency_id):
            moved = left is not None and left.id != member.agency_id
            _say_moved(session, member, left if moved else None, held)


def _say_moved(session: Session, member: Staff, left: Agency | None, held: list[Ticket]) -> None:
    """What a move or a change of role did beyond the account: the tickets of the agency they
    left (``left``; None: none) that have no officer now, and the api keys that follow them."""
    if held and left is not None:
        _say_released(session, left, held)
    keys = session.scalar(
        select(func.count())
        .select_from(ApiKey)
        .where(ApiKey.staff_id == member.id, ApiKey.revoked_at.is_(None))
    )
    if keys:
        where = f"for {member.agency.code} " if member.agency else ""
        # A deactivated member's keys are refused (said above): they will act so once the
        # member is brought back, not now.
        acts = (
            f"{'acts' if keys == 1 else 'act'} {where}now"
            if member.active
            else f"will act {where}once they are activated again"
        )
        console.print(
            f"{counted(keys, 'api key')} of theirs {acts}, with its own role or theirs "
            f"({member.role}), whichever is lower"
        )


def _act(trigger: Trigger, options: str) -> str:
    """The ``ticket act`` line that fires ``trigger``, ``--note WHY`` in it when the lifecycle
    asks a reason of it (a transfer does)."""
    why = " --note WHY" if RULES_BY_TRIGGER[trigger].reason_required else ""
    return f"tanggap ticket act CODE {trigger.value} {options}{why} --as YOUR_EMAIL"


def _say_released(session: Session, agency: Agency, held: list[Ticket]) -> None:
    """The tickets of ``agency`` handed back to its queue (``staff.hand_back``): what they need
    next, and how. A new officer of the agency, when it has one to name; an agency the
    catalogue no longer has cannot take one, and one with no active member left has nobody to
    name: its tickets are to be moved to an agency in force, as the catalogue load's warning
    says of what a retired agency holds (``catalogue.store.retired_holding``). A ticket handed
    back always has been assigned (only assign, transfer and start name an officer): to move it
    is to transfer it, once resumed if it is on hold."""
    one = len(held) == 1
    codes = ", ".join(t.code for t in held)
    paused = sum(t.state == State.ON_HOLD for t in held)
    lost = (
        f"{counted(len(held), 'open ticket')} of {agency.code} {'has' if one else 'have'} no "
        "officer now"
    )
    resumed = (
        ""
        if not paused
        else "; it is on hold: resume it first"
        if one
        else "; one is on hold: resume it first"
        if paused == 1
        else f"; {paused} are on hold: resume them first"
    )
    move = (
        f"move {'it' if one else 'them'} to an agency in force "
        f"({_act(Trigger.TRANSFER, '--agency AGENCY')}{resumed})"
    )
    reassign = _act(Trigger.REASSIGN, "--officer EMAIL")
    if not agency.active:
        said = f"{lost}, and {agency.code} is no longer in the catalogue: {codes}; {move}"
    elif not has_active_staff(session, agency):
        said = (
            f"{lost}, and {agency.code} has no active staff left to name: {codes}; add one "
            f"(tanggap staff add EMAIL --name NAME --agency {agency.code}) and reassign "
            f"{'it' if one else 'them'} ({reassign}), or {move}"
        )
    else:
        said = f"{lost} and {'needs' if one else 'need'} a new one: {codes} ({reassign})"
    console.print(said)


@app.command("timezone")
def timezone_(
    email: Annotated[str, typer.Argument(help="their e-mail address")],
    zone: Annotated[
        str,
        typer.Argument(help="IANA name (Asia/Makassar), WIB/WITA/WIT, or 'default'"),
    ],
) -> None:
    """Set the time zone of a member's daily digest (it comes at 07:00 there)."""
    zone_named = {"staff_timezone": "zone"}  # the engine's field, this command's argument
    with reported_errors(options=zone_named), database().transaction() as session:
        member = set_staff_timezone(session, email, zone)
        config = settings()
        shown = member.timezone or f"the service's zone ({config.timezone})"
        console.print(f"{member.email}: daily digest at {config.digest_hour:02d}:00 in {shown}")


def _set_active(email: str, active: bool) -> None:
    with reported_errors(), database().transaction() as session:
        before = find_staff(session, email)
        was_active = before.active if before is not None else None
        # What deactivation hands back to each agency's queue (``set_staff_active``).
        held: dict[Agency, list[Ticket]] = {}
        for ticket in officer_tickets(session, before) if before and not active else []:
            held.setdefault(ticket.agency, []).append(ticket)
        member = set_staff_active(session, email, active=active, now=now())
        state = "active" if active else "deactivated"
        if was_active == active:  # nothing changed: say so rather than claim it was done
            console.print(f"{member.email} was already {state}")
            return
        console.print(f"{member.email} is {state}")
        keys = session.scalar(
            select(func.count())
            .select_from(ApiKey)
            .where(ApiKey.staff_id == member.id, ApiKey.revoked_at.is_(None))
        )
        if keys:
            one = keys == 1
            then = (
                f"{'stops' if one else 'stop'} working until they are activated again"
                if not active
                else f"{'works' if one else 'work'} again"
            )
            console.print(f"{counted(keys, 'api key')} of theirs {then}")
        for agency, tickets in held.items():
            _say_released(session, agency, tickets)


@app.command("deactivate")
def deactivate(email: Annotated[str, typer.Argument(help="their e-mail address")]) -> None:
    """Stop a staff member from acting (their name stays on what they did)."""
    _set_active(email, False)


@app.command("activate")
def activate(email: Annotated[str, typer.Argument(help="their e-mail address")]) -> None:
    """Let a deactivated staff member act again."""
    _set_active(email, True)


@app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="JSON for scripts")] = False,
) -> None:
    """List staff accounts."""
    with reported_errors(), database().reading() as session:
        rows = [
            {
                "email": member.email,
                "name": member.name,
                "role": member.role,
                "agency": member.agency.code if member.agency else None,
                "active": member.active,
                "timezone": member.timezone,
            }
            for member in session.scalars(select(Staff).order_by(Staff.email))
        ]
    print_rows(
        rows,
        as_json=as_json,
        columns=[("email", "e-mail"), ("name", "name"), ("role", "role"),
                 ("agency", "agency"), ("active", "active"), ("timezone", "zone")],
        empty="no staff accounts yet: tanggap staff add EMAIL --name NAME --agency CODE",
        render=lambda key, value: "yes" if value is True else "no" if value is False else
        ("—" if value is None else str(value)),
    )  # fmt: skip
