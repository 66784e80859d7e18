"""Reading tickets and their history; the one place a transition is written."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine import clocks, handover, outbox, rewording, visibility
from engine.actors import Actor
from engine.codes import normalize_code, not_found
from engine.errors import StaleVersion, TicketNotFound
from engine.lifecycle import RULES_BY_TRIGGER, Role, State, Trigger, allowed_triggers
from engine.models import Ticket, TicketEvent
from engine.settings import Settings


def find_ticket(session: Session, code: str) -> Ticket | None:
    return session.scalars(select(Ticket).where(Ticket.code == normalize_code(code))).first()


def get_ticket(session: Session, code: str) -> Ticket:
    ticket = find_ticket(session, code)
    if ticket is None:
        raise TicketNotFound(not_found(code))
    return ticket


def lock_tickets(session: Session, tickets: list[Ticket]) -> None:
    """Lock ``tickets`` in id order (no deadlock between two transactions locking the same
    pair) and re-read them: what a check then sees is what was last committed.

    PostgreSQL takes row locks; SQLite ignores ``FOR UPDATE`` and needs none: a write
    transaction there holds the database's single write lock from BEGIN IMMEDIATE.
    """
    ids = sorted({ticket.id for ticket in tickets})
    session.execute(
        select(Ticket)
        .where(Ticket.id.in_(ids))
        .order_by(Ticket.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()


def list_events(session: Session, ticket: Ticket) -> list[TicketEvent]:
    return list(
        session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.seq)
        )
    )


def rejected_at(session: Session, ticket: Ticket) -> datetime | None:
    """When ``ticket`` was last rejected (its latest ``reject`` event), or ``None``: where the
    reporter's window to appeal the rejection is counted from. A rejected ticket takes no event
    until it is reinstated, so while it is rejected this is the rejection it stands on."""
    found: datetime | None = session.scalar(
        select(TicketEvent.created_at)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.trigger == Trigger.REJECT.value)
        .order_by(TicketEvent.seq.desc())
        .limit(1)
    )
    return found


def count_events(session: Session, ticket: Ticket) -> int:
    query = select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    return session.scalar(query) or 0


def new_event(
    ticket: Ticket,
    *,
    seq: int,
    trigger: Trigger,
    from_state: State | None,
    actor: Actor,
    note: str | None,
    public: bool,
    data: dict[str, Any],
    now: datetime,
) -> TicketEvent:
    return TicketEvent(
        ticket_id=ticket.id,
        seq=seq,
        trigger=trigger.value,
        from_state=from_state.value if from_state else None,
        to_state=ticket.state,
        actor_role=actor.role.value,
        actor_staff_id=actor.staff_id,
        actor_label=actor.label,
        note=note,
        # A citizen's own words (comment, dispute reason, rating note) are never public: the
        # public view holds no personal data by construction (README: ``own_notes``).
        public=public and actor.role is not Role.CITIZEN,
        data=data,
        created_at=now,
    )


def write_transition(
    session: Session,
    ticket: Ticket,
    *,
    trigger: Trigger,
    to_state: State,
    actor: Actor,
    note: str | None,
    public: bool,
    data: dict[str, Any],
    now: datetime,
    settings: Settings | None = None,
    cause: str | None = None,
) -> TicketEvent:
    """Move ``ticket`` to ``to_state`` and append its event, as one versioned UPDATE + INSERT.
    ``cause`` words the change for operators where it withdraws waiting mail
    (``ledger.readdress``; default: "after a change to <code>").

    The UPDATE carries ``WHERE version = <read version>``: if anyone committed a transition
    since we read the ticket, it matches no row and we raise ``StaleVersion`` instead of
    overwriting their work. The (ticket, seq) unique key on events is a second line of defence.

    The version is set here and nowhere else (the mapper does not generate it), so it moves by
    exactly one per event, however many flushes the change takes.
    """
    from_state = State(ticket.state)
    seq = ticket.version + 1
    ticket.version = seq
    ticket.state = to_state.value
    if not RULES_BY_TRIGGER[trigger].stays:
        # How the state reads ("Koordinasi" after a transfer) follows the last move of state:
        # a later note, rating or merge leaves the label as it was.
        ticket.last_trigger = trigger.value
    event = new_event(
        ticket,
        seq=seq,
        trigger=trigger,
        from_state=from_state,
        actor=actor,
        note=note,
        public=public,
        data=data,
        now=now,
    )
    if visibility.moves_public_time(event):
        # The public "updated" time (Open311 updated_datetime, the public list's order) moves
        # only when something the public reads changed: a client that re-fetches on it finds
        # something new, and an internal note, a rating or a merge tells nobody it happened.
        ticket.updated_at = now
    session.add(event)
    # A failed flush rolls the session back and expires the ticket: keep what the error says,
    # and where the ticket stood as read, with what the actor's role may fire there.
    stale = StaleVersion(
        f"ticket {ticket.code} was changed by someone else; reload, try again",
        state=from_state.value,
        version=seq - 1,
        allowed=[
            t.value for t in allowed_triggers(from_state) if actor.role in RULES_BY_TRIGGER[t].roles
        ],
    )
    try:
        session.flush()
    except StaleDataError as exc:
        raise stale from exc
    except IntegrityError as exc:
        if "ticket_events" not in str(exc.orig):
            raise
        raise stale from exc
    clocks.on_transition(
        session, ticket, trigger=trigger, now=now, by_system=actor.role is Role.SYSTEM
    )
    rewording.reread_waiting(session, ticket, now, cause=cause, settings=settings)
    outbox.on_public_transition(session, ticket, event, now, settings=settings)
    outbox.on_citizen_follow_up(session, ticket, event, now)
    handover.on_handover(session, ticket, event, now)
    return event
