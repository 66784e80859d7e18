"""How long a ticket has been on hold: the start of its current hold, for every worklist.

A hold pauses the SLA clocks, so a ticket on hold for weeks reads "on time" everywhere; its
hold's age is what shows it is stuck. The start is the latest ``hold`` event of a ticket that
is on hold now (a resume ends a hold; a later hold starts a new one).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, case, func, select

from engine.lifecycle import State, Trigger
from engine.models import Ticket, TicketEvent


def on_hold_since() -> ColumnElement[datetime]:
    """When the ticket's current hold began (UTC), as a scalar subquery correlated to
    ``Ticket``; NULL when it is not on hold."""
    began = (
        select(func.max(TicketEvent.created_at))
        .where(TicketEvent.ticket_id == Ticket.id, TicketEvent.trigger == Trigger.HOLD.value)
        .correlate(Ticket)
        .scalar_subquery()
    )
    return case((Ticket.state == State.ON_HOLD.value, began), else_=None)
