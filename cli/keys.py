"""``tanggap keys``: api keys for staff, supervisors, admins and Open311 clients."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cli.context import console, database, now, reported_errors
from engine.keys import create_key, list_keys, revoke_key
from engine.lifecycle import Role

app = typer.Typer(help="API keys (stored hashed; shown once).", no_args_is_help=True)


@app.command("create")
def create(
    role: Annotated[Role, typer.Option(help="staff, supervisor or admin")],
    name: Annotated[str, typer.Option(help="who or what uses the key")],
    agency: Annotated[str | None, typer.Option(help="agency code the key acts for")] = None,
    area: Annotated[str | None, typer.Option(help="only tickets in this area and beneath")] = None,
) -> None:
    """Create a key and print it once; only its hash is stored."""
    with reported_errors(), database().transaction() as session:
        made = create_key(session, role=role, name=name, agency=agency, area=area, now=now())
        console.print(f"key {made.key.prefix} ({made.key.role}) for {escape(made.key.name)}")
        console.print("keep it now, it is not shown again:")
        console.print(made.secret, soft_wrap=True)


@app.command("list")
def list_() -> None:
    """List keys (never their secrets)."""
    table = Table("prefix", "name", "role", "agency", "area", "created", "revoked")
    with database().reading() as session:
        for key in list_keys(session):
            table.add_row(
                key.prefix,
                escape(key.name),
                key.role,
                key.agency.code if key.agency else "-",
                key.area.code if key.area else "-",
                key.created_at.strftime("%Y-%m-%d %H:%M"),
                key.revoked_at.strftime("%Y-%m-%d %H:%M") if key.revoked_at else "-",
            )
    console.print(table)


@app.command("revoke")
def revoke(prefix: Annotated[str, typer.Argument(help="the key's prefix, from keys list")]) -> None:
    """Revoke a key at once; requests with it are refused from now on."""
    with reported_errors(), database().transaction() as session:
        key = revoke_key(session, prefix, now=now())
        console.print(f"key {key.prefix} ({escape(key.name)}) revoked")
