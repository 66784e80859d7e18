"""``tanggap sla`` and ``tanggap sweep``: read SLA clocks and run the escalation sweep."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from cli.context import console, database, now, reported_errors, settings
from engine.escalation import sweep
from engine.models import Ticket
from engine.tickets import get_ticket
from engine.timeline import sla_timeline

app = typer.Typer(help="SLA clocks and escalations.", no_args_is_help=True)


def local(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(ZoneInfo(settings().timezone)).strftime("%a %d %b %H:%M")


def span(delta: timedelta) -> str:
    sign = "-" if delta < timedelta(0) else ""
    hours, mins = divmod(int(abs(delta).total_seconds() // 60), 60)
    return f"{sign}{hours}h {mins:02d}m"  # business hours: "days" would read as calendar days


def print_sla(session: Session, ticket: Ticket, moment: datetime) -> None:
    views = sla_timeline(session, ticket, now=moment)
    if not views:
        console.print("no SLA clocks (no policy configured)")
        return
    zone = settings().timezone
    table = Table(
        "timer", "policy", "started", "paused", "deadline", "stopped", "elapsed / target",
        "status", "levels reached", title=f"SLA timeline ({zone})",
    )  # fmt: skip
    for view in views:
        pauses = ", ".join(f"{local(a)}–{local(b) if b else 'now'}" for a, b in view.pauses)
        levels = ", ".join(
            f"{lvl.level} {lvl.percent}%{'' if lvl.mailed else ' (not mailed)'}"
            for lvl in view.levels
        )
        table.add_row(
            f"{view.kind} #{view.cycle}",
            view.policy,
            local(view.started_at),
            pauses or "—",
            local(view.deadline),
            local(view.stopped_at),
            f"{span(view.elapsed)} / {span(view.target)}",
            view.status,
            levels or "—",
        )
    console.print(table)


@app.command("check")
def check(code: str) -> None:
    """Print a ticket's SLA timeline: timers, pauses, deadlines and escalation levels."""
    with reported_errors(), database().reading() as session:
        ticket = get_ticket(session, code)
        console.print(f"[bold]{ticket.code}[/bold]  {ticket.state}")
        print_sla(session, ticket, now())


def sweep_command(
    once: Annotated[
        bool, typer.Option("--once/--forever", help="one sweep, or one every --interval")
    ] = True,
    interval: Annotated[int, typer.Option(help="seconds between sweeps with --forever")] = 60,
    batch: Annotated[int, typer.Option(help="tickets per transaction")] = 500,
) -> None:
    """Record due escalation levels and enqueue their e-mails (the sla-sweep flow's work)."""
    while True:
        db = database()
        result = sweep(
            db.transaction,
            now=now(),
            limit=batch,
            reading=db.reading,
            between_batches=db.between_write_batches,
        )
        for code, timer, cycle, level in result.recorded[:200]:
            console.print(f"{code}  {timer} #{cycle}  {level}")
        if len(result.recorded) > 200:
            console.print(f"… and {len(result.recorded) - 200} more")
        console.print(
            f"swept {result.tickets} tickets: {result.escalations} escalations recorded, "
            f"{result.notifications} e-mails queued, {result.not_mailed} stale warnings not mailed"
        )
        if once:
            return
        time.sleep(interval)
