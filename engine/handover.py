"""Mail to whoever receives work: the officer a ticket is assigned or re-assigned to, or the
queue of the agency it is handed to (a transfer, or a correction of its category that routes it
elsewhere).

Escalations tell people when a deadline is near or gone; this tells them when the work
arrives, so the first they hear of a ticket is not its warning. One mail per event
(``dedupe_key`` ``handover:<ticket>:<seq>``), queued in the event's transaction by
``tickets.write_transition``; nobody is mailed about their own act (an officer taking a ticket
for themselves). Indonesian with English beside it, as the other staff mails; the reporter's
name and contact are never in it; the staff note of the hand-over (a transfer's reason) is,
since only staff receive it. A flagged address is skipped up the chain as an escalation's is.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine import environment, letters
from engine.letters import Letter
from engine.lifecycle import Trigger
from engine.mail_dates import staff_moment
from engine.models import NotificationKind, Ticket, TicketEvent
from engine.outbox import (
    OFFICER,
    QUEUE,
    TIMER_WORDS,
    enqueue,
    joined,
    pending_row,
    staff_bodies,
    staff_link,
    state_then,
)
from engine.recipients import Directory
from engine.settings import Settings
from engine.timers import open_timers
from sla import RecipientKind, TimerKind

#: Triggers that hand work over when the event's data says the officer or agency changed.
_HANDING = frozenset(
    {Trigger.ASSIGN, Trigger.REASSIGN, Trigger.TRANSFER, Trigger.UPDATE, Trigger.VERIFY}
)


def handover_key(ticket: Ticket, event: TicketEvent) -> str:
    return f"handover:{ticket.id}:{event.seq}"


def on_handover(
    session: Session,
    ticket: Ticket,
    event: TicketEvent,
    now: datetime,
    *,
    settings: Settings | None = None,
) -> int:
    """Queue the mail telling the receiver of ``event``'s hand-over; returns 0 or 1.

    The receiver is the officer the event names (when active and not the actor), else, when the
    ticket changed agency or was assigned (or handed back) to nobody in particular, the queue
    of the agency that has it now. Events that hand nothing over queue nothing.
    """
    if event.trigger not in _HANDING:
        return 0
    data = event.data or {}
    officer_to = _changed_to(data, "officer")
    agency_to = _changed_to(data, "agency")
    # Assigned to the agency as a whole, or handed back to it (``staff.hand_back``: its officer
    # moved or was deactivated): its queue shares the work out.
    assigned_to_nobody = officer_to is None and (
        event.trigger == Trigger.ASSIGN.value
        or (event.trigger == Trigger.REASSIGN.value and isinstance(data.get("officer"), dict))
    )
    if officer_to is None and agency_to is None and not assigned_to_nobody:
        return 0
    directory = Directory(session)
    wanted = []
    if officer_to is not None:
        wanted = directory.resolve(ticket, (OFFICER,))
        if ticket.officer_id is not None and ticket.officer_id == event.actor_staff_id:
            return 0  # they took it themselves
    if not wanted:
        wanted = directory.resolve(ticket, (QUEUE,))
    addressees, _lost = directory.deliverable(ticket, wanted)
    if not addressees:
        return 0  # an escalation of this ticket alerts the operator about dead addresses
    settings = settings or environment.settings()
    addressee = addressees[0]
    letter = handover_letter(session, ticket, event, addressee.kind, settings)
    row = pending_row(
        kind=NotificationKind.HANDOVER,
        ticket_id=ticket.id,
        recipient=addressee.email,
        recipient_kind=addressee.kind,
        subject=letter.subject,
        now=now,
        dedupe_key=handover_key(ticket, event),
        links_base_url=settings.public_base_url,
        **staff_bodies(addressee, letter.body, letter.html),
    )
    return enqueue(session, [row])


def handover_letter(
    session: Session, ticket: Ticket, event: TicketEvent, recipient_kind: str, settings: Settings
) -> Letter:
    """The words of ``event``'s hand-over mail to its ``recipient_kind`` (the officer, or the
    agency's queue), from ``ticket`` as it is now: its agency, category, area, priority, state
    (beside the one the hand-over left, when they differ: ``outbox.state_then``) and the
    running clock due first. Used when the mail is queued and again when a later change
    to the ticket re-words it while it waits (``engine.rewording``)."""
    named = ticket.officer if recipient_kind == RecipientKind.ASSIGNED_OFFICER else None
    due_id, due_en = _next_deadline(session, ticket, ZoneInfo(settings.timezone))
    return letters.render(
        "handover",
        code=ticket.code,
        name=named.name if named is not None else None,
        to_officer=named is not None,
        transferred=event.trigger == Trigger.TRANSFER.value,
        rerouted=event.trigger in (Trigger.UPDATE.value, Trigger.VERIFY.value),
        # Handed back to the agency by the system: its officer moved or was deactivated.
        returned=event.trigger == Trigger.REASSIGN.value
        and _changed_to(event.data or {}, "officer") is None,
        **letters.ticket_facts(ticket),
        **state_then(ticket, event),
        priority_id=letters.priority_words(ticket.priority, "id"),
        priority_en=letters.priority_words(ticket.priority, "en"),
        by=event.actor_label,
        note=event.note,
        description=ticket.description,
        due_id=due_id,
        due_en=due_en,
        link=staff_link(ticket.code, settings.public_base_url),
    )


def handover_seq(key: str) -> int | None:
    """The event seq a ``handover_key`` names (``handover:12:7`` → 7); ``None`` for another key."""
    kind, _, rest = key.partition(":")
    seq = rest.rpartition(":")[2]
    return int(seq) if kind == "handover" and seq.isdigit() else None


def _changed_to(data: dict[str, object], field: str) -> object | None:
    change = data.get(field)
    return change.get("to") if isinstance(change, dict) else None


def _next_deadline(session: Session, ticket: Ticket, zone: ZoneInfo) -> tuple[str, str]:
    """The running clock due first, as the receiver reads it ("mulai penanganan: 2 Desember
    2026 pukul 09.00 WIB"); empty when no clock runs."""
    running = open_timers(session, [ticket.id], running_only=True)[ticket.id]
    if not running:
        return "", ""
    first = min(t.deadline for t in running)
    kinds = [TIMER_WORDS[TimerKind(t.kind)] for t in running if t.deadline == first]
    words_id = joined([k[0] for k in kinds], "dan")
    words_en = joined([k[1] for k in kinds], "and")
    return (
        f"{words_id}: {staff_moment(first, zone, 'id')}",
        f"{words_en}: {staff_moment(first, zone, 'en')}",
    )
