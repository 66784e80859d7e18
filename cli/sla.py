"""``tanggap sla`` and ``tanggap sweep``: read SLA clocks and run the escalation sweep."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.text import Text
from sqlalchemy.orm import Session

from cli.context import (
    UsageError,
    console,
    database,
    local,
    now,
    print_line,
    reported_errors,
    settings,
    show_table,
    table,
)
from engine.escalation import SweepResult, sweep
from engine.models import Ticket
from engine.text import counted
from engine.tickets import get_ticket
from engine.timeline import sla_timeline

app = typer.Typer(help="SLA clocks and escalations.", no_args_is_help=True)


def span(delta: timedelta) -> str:
    """``3h 05m``, ``-1h 20m`` past a deadline, in whole minutes (business hours: "days" would
    read as calendar days). Under a minute either side is ``0h 00m``, never ``-0h 00m``: a
    ticket late by seconds says so in its ``sla`` column."""
    hours, mins = divmod(int(abs(delta).total_seconds() // 60), 60)
    sign = "-" if delta < timedelta(0) and (hours or mins) else ""
    return f"{sign}{hours}h {mins:02d}m"


def print_sla(session: Session, ticket: Ticket, moment: datetime) -> None:
    views = sla_timeline(session, ticket, now=moment)
    if not views:
        console.print("no SLA clocks (no policy configured)")
        return
    zone = settings().timezone
    grid = table(
        "timer / policy", "started / deadline", "elapsed / target", "status", "levels reached",
        title=f"SLA timeline ({zone})",
    )  # fmt: skip
    grid.columns[3].no_wrap = True
    for view in views:
        # Each date on a line of its own, whole: the column is as wide as one date, and a
        # date is never split (2026-11-30 above 20:35) at 80 columns.
        # A clock a transfer or a rejection ended is neither met nor missed: say which.
        status = [f"ended by {view.ended_by}" if view.status == "ended" else view.status]
        for start, end in view.pauses:
            status += [
                "paused",
                local(start, short=True),
                f"– {local(end, short=True) if end else 'now'}",
            ]
        if view.stopped_at is not None:
            status += ["stopped", local(view.stopped_at, short=True)]
        levels = ", ".join(
            f"{lvl.level} {lvl.percent}%{'' if lvl.mailed else ' (not mailed)'}"
            for lvl in view.levels
        )
        grid.add_row(
            f"{view.kind} #{view.cycle}\n{view.policy}",
            f"{local(view.started_at, short=True)}\n{local(view.deadline, short=True)}",
            f"{span(view.elapsed)}\nof {span(view.target)}",
            "\n".join(status),
            levels or "—",
        )
    show_table(grid)


@app.command("check")
def check(code: Annotated[str, typer.Argument(help="ticket code, e.g. JKT-7K3M-9QXD")]) -> None:
    """Print a ticket's SLA timeline: timers, pauses, deadlines and escalation levels."""
    with reported_errors(), database().reading() as session:
        ticket = get_ticket(session, code)
        print_line(Text(ticket.code, style="bold").append(f"  {ticket.state}", style=""))
        print_sla(session, ticket, now())


def not_mailed_words(result: SweepResult) -> str:
    """What of a sweep was recorded without mail, and why: ``, not mailed: 1 stale warning,
    2 levels of clocks already stopped`` (empty when everything recorded was mailed)."""
    parts = []
    if result.stale_warnings:
        parts.append(counted(result.stale_warnings, "stale warning"))
    if result.of_stopped_clocks:
        stopped = "a clock" if result.of_stopped_clocks == 1 else "clocks"
        parts.append(f"{counted(result.of_stopped_clocks, 'level')} of {stopped} already stopped")
    return f", not mailed: {', '.join(parts)}" if parts else ""


def sweep_command(
    once: Annotated[bool, typer.Option("--once", help="one sweep (the default)")] = False,
    forever: Annotated[
        bool, typer.Option("--forever", help="one sweep every --interval, until stopped")
    ] = False,
    interval: Annotated[
        int, typer.Option(help="seconds between sweeps with --forever", min=1, max=86400)
    ] = 60,
    batch: Annotated[int, typer.Option(help="tickets per transaction", min=1, max=10000)] = 500,
) -> None:
    """Record due escalation levels and enqueue their e-mails (the sla-sweep flow's work)."""
    if once and forever:
        raise UsageError("choose one of --once and --forever")
    while True:
        with reported_errors():
            db = database()
            result = sweep(
                db.transaction,
                now=now(),
                limit=batch,
                reading=db.reading,
                between_batches=db.between_write_batches,
            )
        for recorded in result.recorded[:200]:
            code, timer, cycle, level = recorded
            why = result.why_not_mailed.get(recorded)
            console.print(
                f"{code}  {timer} #{cycle}  {level}" + (f"  (not mailed: {why})" if why else "")
            )
        if len(result.recorded) > 200:
            console.print(f"… and {len(result.recorded) - 200} more")
        console.print(
            f"swept {counted(result.tickets, 'ticket')}: "
            f"{counted(result.escalations, 'escalation')} recorded, "
            f"{counted(result.notifications, 'e-mail')} queued" + not_mailed_words(result)
        )
        if not forever:
            return
        time.sleep(interval)
