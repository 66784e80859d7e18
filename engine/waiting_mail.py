"""Mail still waiting after a catalogue reload or a boundary import goes where, and to whom,
the catalogue says now.

A change to one ticket re-reads its waiting mail in the change's own transaction
(``tickets.write_transition`` → ``ledger.readdress``). A catalogue reload or a boundary import
changes what many tickets name without touching them: an agency's new head or queue address, a
category made non-public (pungli) or withheld from area offices, an area renamed so that its
office's generated address changes (``kel-kebon-baru@…`` → ``kel-kebon-baru-raya@…``), a ladder
level that notifies other roles (the warning goes to the agency head now, not the queue).
Recipients are never stored as a ticket's fact (DESIGN §4), so each waiting mail is re-read the
same way: a staff mail whose addressee the ticket no longer names, or whose level no longer
notifies that role, is not sent and its level is told to whom it names now (the new head gets
the breach the old one would have); a status mail to an
address that only said "me too" is not sent once the report is no longer public. What still
goes to the same people is worded anew (``rewording``): a category or agency renamed, a
deadline a new target re-based.

Only tickets with mail that may still go (``outbox.still_sendable``) are read, and those with a
running clock's level an earlier change left told to nobody (``ledger.untold_levels``: a reload
gave a new queue address and a longer target at once, so the withdrawn warning no longer held;
this reload may make it hold again, and then it is told): the cost is the waiting mail's, not
the open tickets'. The caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import ledger, rewording
from engine.models import Escalation, Notification, SlaTimer, Ticket
from engine.outbox import still_sendable


def readdress_waiting(session: Session, *, now: datetime, cause: str) -> int:
    """Re-read every waiting mail against the catalogue as it is now
    (``rewording.reread_waiting``, per ticket that has any); returns how many mails were
    withdrawn or worded anew. ``cause`` words the change for operators ("the catalogue was
    reloaded"): ``tanggap outbox list`` shows it on each."""
    waiting = select(Notification.ticket_id).where(
        Notification.ticket_id.is_not(None),
        # The mail a change to the catalogue can misaddress or leave in old words.
        Notification.kind.in_(rewording.REWORDED),
        still_sendable(),
    )
    # A running clock's level an earlier change left told to nobody: this one may make it
    # hold again (a target shortened back, an address named again).
    running = (
        select(Escalation.id)
        .join(SlaTimer, SlaTimer.id == Escalation.timer_id)
        .where(Escalation.mailed.is_(False), SlaTimer.stopped_at.is_(None))
    )
    untold = select(Escalation.ticket_id).where(Escalation.id.in_(ledger.untold(running)))
    ticket_ids = sorted(
        {ticket_id for ticket_id in session.scalars(waiting.distinct()) if ticket_id is not None}
        | set(session.scalars(untold))
    )
    changed = 0
    for ticket_id in ticket_ids:
        ticket = session.get(Ticket, ticket_id)
        if ticket is not None:
            # What still goes to the same people says what the catalogue says now: a renamed
            # category, agency or area, a deadline ``recompute_open`` re-based.
            changed += rewording.reread_waiting(session, ticket, now, cause=cause)
    return changed


__all__ = ["readdress_waiting"]
