"""``tanggap outbox list``: the e-mails decided and their delivery, without reading SQL by hand."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from cli.context import (
    UsageError,
    console,
    database,
    hanging,
    local,
    now,
    print_rows,
    reported_errors,
    settings,
)
from engine.db import ROW_ID_MAX
from engine.models import Notification, Ticket
from engine.retries import requeue, requeue_all
from engine.text import counted
from engine.tickets import get_ticket

app = typer.Typer(help="The e-mail outbox.", no_args_is_help=True)

#: Statuses that need an operator's eye: gave up (dead) or failed for now.
FAILED = ("failed", "dead")


@app.command("list")
def list_(
    pending: Annotated[bool, typer.Option("--pending", help="only e-mails not sent yet")] = False,
    failed: Annotated[bool, typer.Option("--failed", help="only failed or dead e-mails")] = False,
    ticket: Annotated[str | None, typer.Option(help="only e-mails about this ticket")] = None,
    limit: Annotated[
        int, typer.Option(help="at most this many, newest first", min=1, max=ROW_ID_MAX)
    ] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for scripts")] = False,
) -> None:
    """List outbox e-mails, newest first: id, ticket, recipient, status, attempts, when queued
    (--failed: the provider's error too); --json adds the kind, subject and the rest."""
    if pending and failed:
        raise UsageError("choose one of --pending and --failed")
    with reported_errors(), database().reading() as session:
        # Digests and operator alerts are about no single ticket: an outer join keeps them.
        query = select(Notification, Ticket.code).outerjoin(
            Ticket, Ticket.id == Notification.ticket_id
        )
        if pending:
            query = query.where(Notification.status == "pending")
        if failed:
            query = query.where(Notification.status.in_(FAILED))
        if ticket:
            query = query.where(Notification.ticket_id == get_ticket(session, ticket).id)
        query = query.order_by(Notification.created_at.desc(), Notification.id.desc())
        rows = [
            {
                "id": n.id,
                "ticket": code,
                "recipient": n.recipient,
                # What the mail is (an escalation, a status mail, a digest …) and whom it is
                # for (the officer, the agency's queue, a supervisor, the citizen …).
                "kind": n.kind,
                "recipient_kind": n.recipient_kind,
                "subject": n.subject,
                "status": n.status,
                "attempts": n.attempts,
                "created_at": n.created_at.isoformat()
                if as_json
                else local(n.created_at, short=True),
                "sent_at": (n.sent_at.isoformat() if n.sent_at else None)
                if as_json
                else local(n.sent_at, short=True),
                "last_error": n.last_error,
                "last_event": n.last_event,
                "note": n.note,
            }
            for n, code in session.execute(query.limit(limit))
        ]
    # Failed rows carry the provider's own words: an operator needs them to fix the cause.
    why = [("last_error", "error")] if failed else []
    print_rows(
        rows,
        as_json=as_json,
        columns=[("id", "id"), ("ticket", "ticket"), ("recipient", "to"),
                 ("status", "status"), ("attempts", "tries"), ("created_at", "queued"),
                 *why],
        title=f"outbox (times in {settings().timezone})",
        # An empty answer says what was asked: "no failed e-mails" beside 20 sent ones is true.
        empty=(
            "no failed e-mails"
            if failed
            else "no pending e-mails"
            if pending
            else f"no e-mails about {ticket}"
            if ticket
            else "the outbox is empty"
        ),
    )  # fmt: skip
    if not as_json:
        # A row standing in for an undeliverable address says so, in full, under the table.
        for row in rows:
            if row["note"]:
                said = f"{row['id']}: "
                console.print(said + hanging(row["note"], len(said)))


# A negative id is an id that names no row (the engine says so), not an unknown option; options
# after the id are read as options (`retry 2 --all` is "not both", not an extra argument).
@app.command(
    "retry", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": True}
)
def retry(
    outbox_id: Annotated[
        int | None, typer.Argument(help="the row's id, from tanggap outbox list")
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="every failed or dead e-mail whose failure has passed")
    ] = False,
    ticket: Annotated[
        str | None, typer.Option(help="with --all: only e-mails about this ticket")
    ] = None,
) -> None:
    """Send failed or dead e-mail again (once the provider is back, or after fixing its settings).

    Only mail whose failure has passed goes again: a mail Tanggap took back (its addressee no
    longer handles the ticket, the report is no longer public …), to an address that stopped
    mail or bounced, or that the provider refused for itself (an invalid address) stays, and
    says why."""
    if outbox_id is not None and every:
        raise UsageError("give an outbox id or --all, not both")
    if outbox_id is None and not every:
        raise UsageError("give an outbox id, or --all for every failed or dead e-mail")
    if ticket is not None and not every:
        raise UsageError("--ticket goes with --all")
    with reported_errors(), database().transaction() as session:
        if outbox_id is not None:
            row = requeue(session, outbox_id, now=now())
            console.print(f"outbox row {row.id} to {row.recipient} is pending again", markup=False)
            return
        about = get_ticket(session, ticket).id if ticket is not None else None
        result = requeue_all(session, now=now(), ticket_id=about)
    console.print(f"{counted(result.requeued, 'e-mail')} pending again", markup=False)
    # One line per reason, counts only: the addresses are in ``tanggap outbox list --failed``.
    for why, n in sorted(result.left.items(), key=lambda item: (-item[1], item[0].value)):
        console.print(f"left {counted(n, 'e-mail')} not sent: {why.value}", markup=False)
