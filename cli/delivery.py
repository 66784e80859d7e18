"""``tanggap deliver`` and ``tanggap close-resolved``: the flows' work by hand, without Prefect.
(``tanggap outbox list|retry`` is in ``cli/outbox.py``.)"""

from __future__ import annotations

import time
from typing import Annotated

import typer

from cli.context import UsageError, console, database, now, reported_errors, settings
from engine.delivery import DeliveryPolicy
from engine.housekeeping import close_resolved_batch
from engine.text import counted
from workflows.delivery import deliver_pass
from workflows.mail import build_backend


def deliver_command(
    once: Annotated[bool, typer.Option("--once", help="one pass (the default)")] = False,
    forever: Annotated[
        bool, typer.Option("--forever", help="one pass every --interval, until stopped")
    ] = False,
    interval: Annotated[
        int, typer.Option(help="seconds between passes with --forever", min=1, max=86400)
    ] = 60,
    batch: Annotated[int, typer.Option(help="rows claimed per transaction", min=1, max=1000)] = 50,
) -> None:
    """Send due outbox e-mails (the deliver-notifications flow's work)."""
    if once and forever:
        raise UsageError("choose one of --once and --forever")
    backend = build_backend(settings())
    console.print(f"mail goes to: {backend.describe()}")
    policy = DeliveryPolicy.from_settings(settings())
    while True:
        with reported_errors():
            tally = deliver_pass(database(), backend, clock=now, policy=policy, batch_size=batch)
        console.print(tally.summary())
        if not forever:
            return
        time.sleep(interval)


def close_resolved_command(
    once: Annotated[
        bool, typer.Option("--once", help="one pass, as without it (as sweep --once)")
    ] = False,
    batch: Annotated[int, typer.Option(help="tickets per transaction", min=1, max=10000)] = 200,
) -> None:
    """Close resolved tickets whose dispute window has passed (the close-resolved flow's work)."""
    closed: list[str] = []
    while True:
        with reported_errors(), database().transaction() as session:
            codes = close_resolved_batch(session, now=now(), settings=settings(), limit=batch)
        closed += codes
        if len(codes) < batch:
            break
    for code in closed[:200]:
        console.print(code)
    console.print(f"closed {counted(len(closed), 'ticket')} after the dispute window")
