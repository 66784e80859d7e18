"""``tanggap escalations list``: the escalation ledger, newest first."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from cli.context import database, local, print_rows, reported_errors, settings
from engine.db import ROW_ID_MAX
from engine.models import Escalation, Ticket
from engine.tickets import get_ticket

app = typer.Typer(help="Escalations recorded by the SLA sweep.", no_args_is_help=True)


@app.command("list")
def list_(
    ticket: Annotated[str | None, typer.Option(help="only this ticket's escalations")] = None,
    limit: Annotated[
        int, typer.Option(help="at most this many, newest first", min=1, max=ROW_ID_MAX)
    ] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for scripts")] = False,
) -> None:
    """List recorded escalation levels: ticket, timer, level, when due, whether mailed."""
    with reported_errors(), database().reading() as session:
        query = select(Escalation, Ticket.code).join(Ticket, Ticket.id == Escalation.ticket_id)
        if ticket:
            query = query.where(Escalation.ticket_id == get_ticket(session, ticket).id)
        query = query.order_by(Escalation.recorded_at.desc(), Escalation.id.desc()).limit(limit)
        rows = [
            {
                "ticket": code,
                "timer": f"{e.timer_kind} #{e.cycle}",
                "level": e.level,
                "percent": e.percent,
                "due_at": e.due_at.isoformat() if as_json else local(e.due_at, short=True),
                "recorded_at": e.recorded_at.isoformat()
                if as_json
                else local(e.recorded_at, short=True),
                "mailed": e.mailed,
            }
            for e, code in session.execute(query)
        ]
    print_rows(
        rows,
        as_json=as_json,
        columns=[("ticket", "ticket"), ("timer", "timer"), ("level", "level"),
                 ("percent", "%"), ("due_at", "due"), ("mailed", "mailed")],
        title=f"escalations (times in {settings().timezone})",
        empty="no escalations recorded",
        render=lambda key, value: ("yes" if value else "no") if key == "mailed" else str(value),
    )  # fmt: skip
