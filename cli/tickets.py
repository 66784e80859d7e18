"""``tanggap ticket``: submit, show, act on and list tickets from the shell."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from cli.context import console, database, now, reported_errors, settings, storage
from cli.sla import local, print_sla
from engine.actions import perform
from engine.actors import Actor
from engine.lifecycle import allowed_triggers, parse_trigger
from engine.models import Ticket
from engine.staff import get_staff
from engine.submission import Report, submit
from engine.tickets import get_ticket, list_events

app = typer.Typer(help="Submit, inspect and advance tickets.", no_args_is_help=True)

Photos = Annotated[list[Path] | None, typer.Option("--photo", help="image file (repeatable)")]


def _read(photos: list[Path] | None) -> tuple[bytes, ...]:
    return tuple(path.read_bytes() for path in photos or ())


@app.command("submit")
def submit_cmd(
    category: Annotated[str, typer.Option(help="category code, e.g. broken_road")],
    description: Annotated[str, typer.Option(help="what is wrong")],
    lat: Annotated[float, typer.Option(help="latitude, e.g. -6.1754")],
    lon: Annotated[float, typer.Option(help="longitude, e.g. 106.8272")],
    address: Annotated[str | None, typer.Option()] = None,
    priority: Annotated[str | None, typer.Option(help="low, normal, high, urgent")] = None,
    name: Annotated[str | None, typer.Option(help="reporter name (kept private)")] = None,
    email: Annotated[str | None, typer.Option(help="reporter e-mail (kept private)")] = None,
    phone: Annotated[str | None, typer.Option(help="reporter phone (kept private)")] = None,
    photo: Photos = None,
    as_: Annotated[
        str | None, typer.Option("--as", help="staff e-mail submitting on a citizen's behalf")
    ] = None,
) -> str:
    """Submit a report as a citizen (or as staff on a citizen's behalf)."""
    report = Report(
        category=category,
        description=description,
        lat=lat,
        lon=lon,
        address=address,
        priority=priority,
        reporter_name=name,
        reporter_email=email,
        reporter_phone=phone,
        photos=_read(photo),
        source="staff" if as_ else "cli",
    )
    with reported_errors(), database().transaction() as session:
        actor = Actor.of_staff(get_staff(session, as_)) if as_ else Actor.citizen()
        result = submit(
            session, report, actor=actor, now=now(), settings=settings(), storage=storage()
        )
        ticket = result.ticket
        console.print(f"submitted {ticket.code}: {ticket.category.name_en} → {ticket.agency.name}")
        console.print(f"area: {ticket.area.name}")
        console.print(f"reporter token (keep it to dispute the fix): {result.reporter_token}")
        return ticket.code


@app.command("act")
def act(
    code: str,
    action: Annotated[str, typer.Argument(help="verify, assign, start, resolve, … ")],
    as_: Annotated[str | None, typer.Option("--as", help="acting staff e-mail")] = None,
    token: Annotated[str | None, typer.Option(help="reporter token: act as the citizen")] = None,
    note: Annotated[str | None, typer.Option(help="reason or note")] = None,
    public: Annotated[
        bool | None, typer.Option("--public/--internal", help="show the note to the citizen?")
    ] = None,
    agency: Annotated[str | None, typer.Option(help="agency code (assign, transfer)")] = None,
    officer: Annotated[str | None, typer.Option(help="officer e-mail (assign, transfer)")] = None,
    duplicate_of: Annotated[str | None, typer.Option(help="code of the original ticket")] = None,
    category: Annotated[str | None, typer.Option(help="corrected category (verify)")] = None,
    rating: Annotated[int | None, typer.Option(help="1–5 (close)")] = None,
    version: Annotated[int | None, typer.Option(help="expected version (conflict check)")] = None,
    photo: Photos = None,
) -> None:
    """Fire an action on a ticket, as a staff member (--as) or as its reporter (--token)."""
    with reported_errors(), database().transaction() as session:
        parse_trigger(action)  # an unknown action is the first thing to tell
        if as_:
            actor = Actor.of_staff(get_staff(session, as_))
        elif token:
            actor = Actor.citizen(token)
        else:
            raise typer.BadParameter("say who acts: --as STAFF_EMAIL or --token REPORTER_TOKEN")
        ticket = perform(
            session,
            code,
            action,
            actor=actor,
            now=now(),
            settings=settings(),
            storage=storage(),
            note=note,
            public=public,
            agency=agency,
            officer=officer,
            duplicate_of=duplicate_of,
            category=category,
            rating=rating,
            expected_version=version,
            photos=_read(photo),
        )
        console.print(f"{ticket.code} is now {ticket.state} (version {ticket.version})")


@app.command("show")
def show(code: str) -> None:
    """Show a ticket and its timeline."""
    with reported_errors(), database().reading() as session:
        ticket = get_ticket(session, code)
        console.print(f"[bold]{ticket.code}[/bold]  {ticket.state}  (version {ticket.version})")
        console.print(f"category   {ticket.category.name_en} / {ticket.category.name_id}")
        console.print(f"priority   {ticket.priority}")
        console.print(f"location   {ticket.lat:.5f}, {ticket.lon:.5f}  {ticket.address or ''}")
        console.print(f"area       {ticket.area.name}")
        console.print(f"agency     {ticket.agency.name} ({ticket.agency.code})")
        if ticket.officer:
            console.print(f"officer    {ticket.officer.name} <{ticket.officer.email}>")
        if ticket.duplicate_of:
            console.print(f"duplicate  of {ticket.duplicate_of.code}")
        console.print(f"report     {ticket.description}")
        allowed = ", ".join(t.value for t in allowed_triggers(ticket.state)) or "none"
        console.print(f"next       {allowed}")
        timeline = Table(
            "#",
            f"when ({settings().timezone})",
            "action",
            "from → to",
            "by",
            "note",
            title="timeline",
        )
        for ev in list_events(session, ticket):
            note = (ev.note or "") + ("" if ev.public or not ev.note else " [internal]")
            timeline.add_row(
                str(ev.seq),
                local(ev.created_at),
                ev.trigger,
                f"{ev.from_state or '—'} → {ev.to_state}",
                f"{ev.actor_label} ({ev.actor_role})",
                note,
            )
        console.print(timeline)
        print_sla(session, ticket, now())


@app.command("list")
def list_(
    state: Annotated[str | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option()] = 50,
) -> None:
    """List the most recent tickets."""
    query = select(Ticket).order_by(Ticket.created_at.desc()).limit(limit)
    if state:
        query = query.where(Ticket.state == state)
    table = Table("code", "state", "category", "agency", "created (UTC)")
    with database().reading() as session:
        for t in session.scalars(query):
            created = t.created_at.strftime("%Y-%m-%d %H:%M")
            table.add_row(t.code, t.state, t.category.code, t.agency.code, created)
    console.print(table)
