"""``tanggap staff``: accounts of agency officers, supervisors and administrators."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from cli.context import console, database, now, reported_errors
from engine.lifecycle import Role
from engine.models import Staff
from engine.staff import add_staff

app = typer.Typer(help="Staff accounts.", no_args_is_help=True)


@app.command("add")
def add(
    email: str,
    name: Annotated[str, typer.Option(help="full name")],
    role: Annotated[Role, typer.Option(help="staff, supervisor or admin")] = Role.STAFF,
    agency: Annotated[str | None, typer.Option(help="agency code, e.g. DBM")] = None,
) -> None:
    """Add a staff member (or update their name, role and agency)."""
    with reported_errors(), database().transaction() as session:
        member = add_staff(session, email=email, name=name, role=role, agency=agency, now=now())
        console.print(f"{member.email}: {member.role} of {agency or 'no agency'}")


@app.command("list")
def list_() -> None:
    """List staff accounts."""
    table = Table("email", "name", "role", "agency", "active")
    with database().reading() as session:
        for member in session.scalars(select(Staff).order_by(Staff.email)):
            agency = member.agency.code if member.agency else "-"
            table.add_row(member.email, member.name, member.role, agency, str(member.active))
    console.print(table)
