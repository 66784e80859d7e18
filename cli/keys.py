"""``tanggap keys``: api keys for staff, supervisors, admins and Open311 clients."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from cli.choices import choice
from cli.context import (
    console,
    database,
    local,
    now,
    one_line,
    print_rows,
    reported_errors,
    shown_or_undone,
)
from engine.keys import acts_as, create_key, list_keys, revoke_key
from engine.lifecycle import KEY_ROLES, Role

app = typer.Typer(help="API keys (stored hashed; shown once).", no_args_is_help=True)


class KeyRole(StrEnum):
    """The roles a key may carry (``KEY_ROLES``): only these are offered by --help."""

    STAFF = Role.STAFF.value
    SUPERVISOR = Role.SUPERVISOR.value
    ADMIN = Role.ADMIN.value
    CLIENT = Role.CLIENT.value


assert {Role(r.value) for r in KeyRole} == KEY_ROLES, "KeyRole must list KEY_ROLES"


#: A key's fields as the engine names them in a refusal (``engine.keys.create_key``), and the
#: options of ``keys create`` that give them: ``key name has 300 characters`` is ``--name has …``.
CREATE_OPTIONS = {
    "key name": "--name",
    "role": "--role",
    "agency": "--agency",
    "area": "--area",
    "staff": "--staff",
}


@app.command("create")
def create(
    role: Annotated[
        KeyRole,
        typer.Option(
            help="staff, supervisor or admin; client: an Open311 app, which may only file "
            "service requests (no --agency, --area or --staff)",
            parser=choice("role", KeyRole),
        ),
    ],
    name: Annotated[str, typer.Option(help="who or what uses the key")],
    agency: Annotated[str | None, typer.Option(help="agency code the key acts for")] = None,
    area: Annotated[str | None, typer.Option(help="only tickets in this area and beneath")] = None,
    staff: Annotated[
        str | None,
        typer.Option(help="staff e-mail the key belongs to (a supervisor's escalation feed)"),
    ] = None,
) -> None:
    """Create a key and print it once; only its hash is stored."""
    with reported_errors(options=CREATE_OPTIONS), database().transaction() as session:
        made = create_key(
            session,
            role=Role(role.value),
            name=name,
            agency=agency,
            area=area,
            staff=staff,
            now=now(),
        )
        console.print(f"key {made.key.prefix} ({made.key.role}) for {one_line(made.key.name)}")
        console.print("keep it now, it is not shown again:")
        console.print(made.secret)
        # Seen, or not kept: a live key nobody saw is one nobody can use or knows to revoke.
        shown_or_undone("the key was not kept: nobody saw it (run keys create again)")


@app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="JSON for scripts")] = False,
) -> None:
    """List keys (never their secrets)."""
    with reported_errors(), database().reading() as session:
        rows = [
            {
                "prefix": key.prefix,
                "name": key.name,
                # What it acts as now: a person's key follows their role and agency.
                "role": role.value,
                "agency": agency.code if agency else None,
                "area": key.area.code if key.area else None,
                "staff": key.staff.email if key.staff else None,
                "created": local(key.created_at, short=True),
                "revoked": local(key.revoked_at, short=True) if key.revoked_at else None,
            }
            for key in list_keys(session)
            for role, agency in [acts_as(key)]
        ]
    print_rows(
        rows,
        as_json=as_json,
        columns=[
            ("prefix", "prefix"),
            ("name", "name"),
            ("role", "role"),
            ("agency", "agency"),
            ("area", "area"),
            ("staff", "staff"),
            ("created", "created"),
            ("revoked", "revoked"),
        ],
        empty="no api keys yet: tanggap keys create --role staff --agency CODE --name NAME",
    )


@app.command("revoke")
def revoke(
    prefix: Annotated[
        str,
        typer.Argument(help="the key's prefix, from keys list, or the whole key (a leaked one)"),
    ],
) -> None:
    """Revoke a key at once; requests with it are refused from now on. An error never repeats
    a secret given: only a recognisable prefix."""
    with reported_errors(), database().transaction() as session:
        moment = now()
        key = revoke_key(session, prefix, now=moment)
        if key.revoked_at != moment:  # revoked before: nothing changed
            console.print(
                f"key {key.prefix} ({one_line(key.name)}) was already revoked "
                f"({local(key.revoked_at)})"
            )
            return
        console.print(f"key {key.prefix} ({one_line(key.name)}) revoked")
