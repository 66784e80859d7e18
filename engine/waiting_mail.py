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

A reload that makes a ladder level notify other roles reaches past the waiting mail too: a level
already told (its mail sent, or waiting for a role the level still names) is told to the roles
the level names now and did not name before (``newly_named``): they are responsible for it now.
Nobody told already is told again, and only what the sweep would tell now is: a level of a
running clock, decided under the policy it runs under now (since its last re-basing, as
``outbox._level_left_out`` reads waiting mail), still reached, and no warning past its deadline.
A stopped clock's level is told to nobody new: the work it measured is done.

Only tickets with mail that may still go (``outbox.still_sendable``) are read, those with a
running clock's level an earlier change left told to nobody (``ledger.untold_levels``: a reload
gave a new queue address and a longer target at once, so the withdrawn warning no longer held;
this reload may make it hold again, and then it is told), and those with a level told already
whose recipients the reload changed: the cost is the waiting mail's, not the open tickets'.
The caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from engine import ledger, rewording
from engine.models import Escalation, Notification, SlaTimer, Ticket
from engine.outbox import still_sendable
from engine.policies import PolicyBook, load_policy_book
from engine.recipients import CHAIN

_LABELS = {recipient: label for label, recipient in CHAIN}


def _added_roles(previous: PolicyBook, book: PolicyBook) -> dict[tuple[str, str], frozenset[str]]:
    """Per (policy code, level key) of ``book``: the roles (``CHAIN`` labels) the level notifies
    and did not under ``previous``, where there are any. A level new to the ladder is left out:
    nothing of it was recorded under this policy."""
    added: dict[tuple[str, str], frozenset[str]] = {}
    for policy in book.policies:
        was = previous.get(policy.code)
        if was is None:
            continue
        before = {level.key: level for level in was.ladder.levels}
        for level in policy.ladder.levels:
            old = before.get(level.key)
            if old is None:
                continue
            roles = frozenset(_LABELS[r] for r in level.notify) - {_LABELS[r] for r in old.notify}
            if roles:
                added[(policy.code, level.key)] = roles
    return added


def newly_named(
    session: Session, previous: PolicyBook, book: PolicyBook
) -> dict[int, dict[int, frozenset[str]]]:
    """Per ticket, its ledger rows already told (``mailed``) whose level notifies roles under
    ``book`` it did not under ``previous``, with those roles (``ledger.readdress`` tells them):
    a level of a running clock that fell due under the policy it runs under now (since its
    last re-basing). One decided under an earlier policy went to whom that ladder named
    (``engine.clocks``, "A ladder edit, precisely")."""
    added = _added_roles(previous, book)
    found: dict[int, dict[int, frozenset[str]]] = {}
    if not added:
        return found
    rows = session.execute(
        select(Escalation.ticket_id, Escalation.id, SlaTimer.policy_code, Escalation.level)
        .join(SlaTimer, SlaTimer.id == Escalation.timer_id)
        .where(
            Escalation.mailed.is_(True),
            SlaTimer.stopped_at.is_(None),
            Escalation.due_at >= SlaTimer.origin_at,
            or_(
                *(
                    and_(SlaTimer.policy_code == code, Escalation.level == key)
                    for code, key in added
                )
            ),
        )
    )
    for ticket_id, escalation_id, code, key in rows:
        found.setdefault(ticket_id, {})[escalation_id] = added[(code, key)]
    return found


def readdress_waiting(
    session: Session, *, now: datetime, cause: str, previous: PolicyBook | None = None
) -> int:
    """Re-read every waiting mail against the catalogue as it is now
    (``rewording.reread_waiting``, per ticket that has any); returns how many mails were
    withdrawn or worded anew. ``cause`` words the change for operators ("the catalogue was
    reloaded"): ``tanggap outbox list`` shows it on each. ``previous``: the policies before a
    reload, to tell the roles a ladder level names now of a level told already
    (``newly_named``).

    A sweep may be telling a due ticket's levels right now (it holds the ticket's row,
    ``escalation.due_tickets_query``): the due tickets are locked first, so that what it told is
    read as told once it commits, never told a second time (nor refused as a second row of the
    same level and address, failing the whole reload)."""
    session.scalars(
        select(Ticket)
        .where(Ticket.next_check_at <= now)
        .order_by(Ticket.id)
        .with_for_update(of=Ticket)
        .execution_options(populate_existing=True)
    ).all()
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
    named = newly_named(session, previous, load_policy_book(session)) if previous else {}
    ticket_ids = sorted(
        {ticket_id for ticket_id in session.scalars(waiting.distinct()) if ticket_id is not None}
        | set(session.scalars(untold))
        | set(named)
    )
    changed = 0
    for ticket_id in ticket_ids:
        ticket = session.get(Ticket, ticket_id)
        if ticket is not None:
            # What still goes to the same people says what the catalogue says now: a renamed
            # category, agency or area, a deadline ``recompute_open`` re-based.
            changed += rewording.reread_waiting(
                session,
                ticket,
                now,
                cause=cause,
                newly_named=named.get(ticket_id),
                ticket_changed=False,
            )
    return changed


__all__ = ["newly_named", "readdress_waiting"]
