"""The escalation ledger: record each ladder level a timer reached, once, and queue its mail.

Used by the sweep for due tickets, and by the clocks just before a change re-bases a timer
(the levels due under the old policy are recorded under it; after the change they could no
longer be computed). A level is recorded with the instant it fell due, whenever it is recorded.

Which levels: those reached by ``now`` (``sla.reached_levels``) that the timer has not passed
(key not in the ledger, percent above the highest recorded). Which are mailed: none of a timer
that had already stopped when the level was recorded (the work was done; the ledger keeps the
fact for the timeline and the figures), and no warning below 100 % recorded together with a
breach (after downtime, "will soon be late" about something already late only confuses).

A level whose every mail a change took back and that the change's later deadline left not
reached (``untold_levels``) is told once it holds again: at the next change or reload that
finds it reached, or by the sweep when time alone makes it due (``tell_untold``; the clock's
``next_due_at`` counts it, ``count_untold``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Subquery, and_, insert, select, union_all
from sqlalchemy.orm import Session

from engine import environment, outbox
from engine import timers as timer_rows
from engine.delivery import DeliveryPolicy, alert_operator
from engine.letters import Letter
from engine.models import Escalation, MailedTogether, Notification, SlaTimer, Ticket
from engine.outbox import Overdue, ToldBefore, enqueue, escalation_message, notification_rows
from engine.policies import load_policy_book
from engine.recipients import Addressee, Directory
from sla import Level, Policy, TimerFacts, reached_levels, status

logger = logging.getLogger(__name__)


@dataclass
class SweepResult:
    """What a sweep (or a settle before a change) recorded."""

    tickets: int = 0
    escalations: int = 0
    notifications: int = 0
    #: Levels recorded without mail: a stale warning, or a level of a timer already stopped.
    not_mailed: int = 0
    #: Of ``not_mailed``, the warnings recorded with their breach (``STALE_WARNING``)...
    stale_warnings: int = 0
    #: ... and the levels of a timer that had stopped when they were recorded
    #: (``CLOCK_STOPPED``), whatever their percent.
    of_stopped_clocks: int = 0
    recorded: list[tuple[str, str, int, str]] = field(default_factory=list)
    #: Why each level of ``recorded`` that was not mailed was not (same key).
    why_not_mailed: dict[tuple[str, str, int, str], str] = field(default_factory=dict)

    def add(self, other: SweepResult) -> None:
        self.tickets += other.tickets
        self.escalations += other.escalations
        self.notifications += other.notifications
        self.not_mailed += other.not_mailed
        self.stale_warnings += other.stale_warnings
        self.of_stopped_clocks += other.of_stopped_clocks
        self.recorded.extend(other.recorded)
        self.why_not_mailed.update(other.why_not_mailed)


#: Why a level was recorded without mail (``SweepResult.why_not_mailed``), for operators: a
#: warning that fell due with its breach ("will soon be late" of what is late only confuses)...
STALE_WARNING = "stale warning"
#: ... or any level of a clock that had stopped (the work done, late or not, or ended).
CLOCK_STOPPED = "clock already stopped"


def _ledger(session: Session, timer_ids: list[int]) -> dict[int, list[tuple[str, int]]]:
    found: dict[int, list[tuple[str, int]]] = {}
    if timer_ids:
        rows = session.execute(
            select(Escalation.timer_id, Escalation.level, Escalation.percent).where(
                Escalation.timer_id.in_(timer_ids)
            )
        )
        for timer_id, key, percent in rows:
            found.setdefault(timer_id, []).append((key, percent))
    return found


def record_due(
    session: Session,
    items: Iterable[tuple[Ticket, SlaTimer, Policy]],
    *,
    now: datetime,
    result: SweepResult,
    directory: Directory | None = None,
) -> None:
    """Record every level due by ``now`` for each (ticket, timer, policy) and queue its mail.

    Updates each timer's ledger bookkeeping, ``breached`` and ``next_due_at``; the caller
    recomputes the tickets' ``next_check_at``.
    """
    items = list(items)
    to_mail: list[tuple[Ticket, SlaTimer, Level, Policy, Escalation]] = []
    in_ledger = _ledger(session, [timer.id for _, timer, _ in items])
    with session.no_autoflush:
        for ticket, timer, policy in items:
            # The ledger is the truth; the timer's own bookkeeping is a cache of it.
            for key, percent in in_ledger.get(timer.id, ()):
                if key not in timer.levels_recorded:
                    timer.levels_recorded = [*timer.levels_recorded, key]
                timer.reached_percent = max(timer.reached_percent, percent)
            facts = timer_rows.facts(timer, policy)
            fresh = [
                (level, due)
                for level, due in reached_levels(facts, policy.ladder, now)
                if level.key not in timer.levels_recorded and level.percent > timer.reached_percent
            ]
            breach_due = any(level.percent >= 100 for level, _ in fresh)
            for level, due in fresh:
                mailed = timer.stopped_at is None and (level.percent >= 100 or not breach_due)
                escalation = Escalation(
                    ticket_id=ticket.id,
                    timer_id=timer.id,
                    timer_kind=timer.kind,
                    cycle=timer.cycle,
                    level=level.key,
                    label=level.name,
                    percent=level.percent,
                    due_at=due,
                    recorded_at=now,
                    mailed=mailed,
                )
                session.add(escalation)
                result.escalations += 1
                recorded = (ticket.code, timer.kind, timer.cycle, level.name)
                result.recorded.append(recorded)
                if mailed:
                    to_mail.append((ticket, timer, level, policy, escalation))
                    continue
                result.not_mailed += 1
                if timer.stopped_at is not None:
                    result.of_stopped_clocks += 1
                    result.why_not_mailed[recorded] = CLOCK_STOPPED
                else:
                    result.stale_warnings += 1
                    result.why_not_mailed[recorded] = STALE_WARNING
            if fresh:
                timer.levels_recorded = [*timer.levels_recorded, *(lv.key for lv, _ in fresh)]
                timer.reached_percent = max(timer.reached_percent, fresh[-1][0].percent)
            timer.breached = timer.breached or status(facts, policy.ladder, now).breached
            timer.next_due_at = timer_rows.next_due(timer, policy)
    if not to_mail:
        return
    session.flush()  # escalation ids for the outbox rows
    _mail(session, to_mail, now=now, result=result, directory=directory or Directory(session))


#: One clock's level to mail: the ticket, the timer, its level and policy, its ledger row.
_ToMail = tuple[Ticket, SlaTimer, Level, Policy, Escalation]


def readdress(
    session: Session,
    ticket: Ticket,
    *,
    now: datetime,
    cause: str | None = None,
    newly_named: Mapping[int, frozenset[str]] | None = None,
) -> int:
    """After a change to ``ticket`` (or to someone it names): withdraw the waiting staff mail
    whose addressee it no longer names and tell the levels that still hold to whom it names now
    (``outbox.readdress_pending``, then ``tell_anew``) — also the levels whose mail an area
    office the ticket no longer names already received (``outbox.told_elsewhere``: the office
    now responsible is told), and the levels an earlier change left told to nobody
    (``untold_levels``: a reload that gave a new queue address and a longer target at once
    withdrew the warning, which the target then no longer reached; reached again, it is told).
    ``newly_named``: ledger rows already told whose level a catalogue reload made notify other
    roles (``waiting_mail.newly_named``), each with the roles (``CHAIN`` labels) it names now and
    did not before: those roles are told of it now, as whom the level names now is responsible
    for it; nobody told already is told again. Each level's ``mailed`` then says whether a mail
    of it went or may still go (``recount_mailed``); returns how many mails were withdrawn.
    The caller owns the transaction."""
    readdressed = outbox.readdress_pending(session, ticket, now, cause=cause)
    elsewhere = outbox.told_elsewhere(session, ticket)
    untold = untold_levels(session, ticket)
    anew = [*readdressed.escalation_ids, *elsewhere, *untold]
    # A level told anew to whom it names now (its mail withdrawn, or told to nobody) is told to
    # every role it names, the newly named ones among them.
    only = {
        escalation_id: roles
        for escalation_id, roles in (newly_named or {}).items()
        if escalation_id not in anew
    }
    tell_anew(session, ticket, [*anew, *only], now=now, only=only)
    recount_mailed(session, [*readdressed.taken_back, *anew, *only])
    if untold or readdressed.taken_back:
        # A level left told to nobody (now, or before this change and told now) moves the
        # ticket's next check: time alone may make it due again (``timers.next_due``).
        recheck(session, ticket, now=now)
    return readdressed.withdrawn


def tell_anew(
    session: Session,
    ticket: Ticket,
    escalation_ids: Sequence[int],
    *,
    now: datetime,
    only: Mapping[int, frozenset[str]] | None = None,
) -> int:
    """Tell the levels whose waiting mail a change to ``ticket`` withdrew
    (``outbox.readdress_pending``), whose mail went to an area office the ticket no longer
    names (``outbox.told_elsewhere``), or that an earlier change left told to nobody
    (``untold_levels``), to whom the ticket names now; returns how many mails were queued.

    Only a level that still holds: its clock runs in the same cycle, and under the policy and
    deadline the ticket has now, the level is reached by ``now`` — and, for a warning (under
    100 %), the deadline has not passed (no warning alongside a breach, as the sweep has it).
    A location correction to another kecamatan keeps the running clocks, so the kecamatan
    office now responsible gets the breach its predecessor would have; a transfer stops the
    start clock, so the new agency is not told of the old agency's lateness; a category withheld
    from area offices names no area office, so none is told. Who was already told of a level
    (a row of it in the outbox, sent or still to go) is not told again; an address whose row a
    change took back ("not sent: …") and that the level names again (a catalogue edit undone, a
    category no longer withheld from area offices, a ladder that names a stand-in's addressee
    itself) gets that row back. ``only``: for some of ``escalation_ids``, the roles (``CHAIN``
    labels) that alone are told (a reload named them for a level told already; for a stand-in,
    the role it stands in for).

    A stopped clock (by the change itself — a ``verify`` that also corrects the location ends
    the verification clock in the same event — or earlier) still holds for the area offices: a
    location correction says the ticket was always where it is now, so the office now
    responsible gets what its predecessor got or would have got, whichever trigger made the
    correction (``update``, ``verify``, a boundary import) and however many corrections came
    before. Nobody else hears of such a level anew: the work it measured is done, and a new
    agency is not told of another's lateness.
    """
    if not escalation_ids:
        return 0
    book = load_policy_book(session)
    to_mail: list[_ToMail] = []
    offices_only: set[int] = set()
    for escalation in session.scalars(
        select(Escalation).where(Escalation.id.in_(escalation_ids)).order_by(Escalation.id)
    ):
        timer = session.get(SlaTimer, escalation.timer_id)
        if timer is None or timer.cycle != escalation.cycle:
            continue
        if timer.stopped_at is not None:
            # Stopped, by this change or before it: the level holds for the area offices only
            # (docstring). A verify that corrected the location and an ``update`` that corrects
            # it again later must not leave the breach with no office: the second withdrew the
            # first's waiting mail and, when only a clock stopped by the change itself counted,
            # told nobody.
            offices_only.add(escalation.id)
        policy = timer_rows.policy_for(book, ticket, timer)
        if policy is None:
            continue
        reached = {
            level.key: level
            for level, _ in reached_levels(timer_rows.facts(timer, policy), policy.ladder, now)
        }
        level = reached.get(escalation.level)
        if level is None:
            continue
        if level.percent < 100 and any(lv.percent >= 100 for lv in reached.values()):
            # "Will soon be late" of a clock already late, as the sweep never mails a warning
            # with its breach: the breach tells who must act.
            continue
        to_mail.append((ticket, timer, level, policy, escalation))
    if not to_mail:
        return 0
    ids = [item[4].id for item in to_mail]
    told = told_of()
    already: dict[int, set[str]] = {}
    for escalation_id, recipient in session.execute(
        select(told.c.escalation_id, Notification.recipient)
        .join(Notification, Notification.id == told.c.notification_id)
        # A mail taken back told nobody: its addressee, named again, gets it back.
        .where(told.c.escalation_id.in_(ids), ~outbox.withdrawn())
    ):
        already.setdefault(escalation_id, set()).add(recipient.lower())
    result = SweepResult()
    _mail(
        session,
        to_mail,
        now=now,
        result=result,
        directory=Directory(session),
        already=already,
        offices_only=offices_only,
        only=only,
        taken_back=outbox.taken_back(session, ticket, ids),
    )
    return result.notifications


def untold_levels(session: Session, ticket: Ticket) -> list[int]:
    """The ledger rows of ``ticket`` whose every mail a change took back (``outbox.withdrawn``;
    ``mailed`` false since, ``recount_mailed``): ``tell_anew`` tells each to whom the ticket
    names once it holds again."""
    candidates = list(
        session.scalars(
            select(Escalation.id).where(
                Escalation.ticket_id == ticket.id, Escalation.mailed.is_(False)
            )
        )
    )
    return list(session.scalars(untold(candidates))) if candidates else []


def untold_by_timer(session: Session, timer_ids: Sequence[int]) -> dict[int, dict[int, str]]:
    """Per timer of ``timer_ids``, its ledger rows a change left told to nobody (``untold``):
    escalation id → level key."""
    found: dict[int, dict[int, str]] = {}
    if not timer_ids:
        return found
    candidates = select(Escalation.id).where(
        Escalation.timer_id.in_(list(timer_ids)), Escalation.mailed.is_(False)
    )
    for escalation_id, timer_id, key in session.execute(
        select(Escalation.id, Escalation.timer_id, Escalation.level).where(
            Escalation.id.in_(untold(candidates))
        )
    ):
        found.setdefault(timer_id, {})[escalation_id] = key
    return found


def tell_untold(
    session: Session,
    tickets: Sequence[Ticket],
    timers: dict[int, list[SlaTimer]],
    *,
    now: datetime,
    result: SweepResult,
) -> list[Ticket]:
    """The sweep's part for levels a change left told to nobody (``untold_levels``): a later
    deadline left them not reached then, and time alone has made them due since. Each running
    clock's such level that holds at ``now`` is told to whom the ticket names now
    (``tell_anew``: nobody twice; no warning once its deadline has passed) and its ``mailed``
    recounted. Returns the tickets that had such levels: their clocks' next checks must count
    those still untold (``count_untold``). The sweep holds the tickets
    (``escalation.due_tickets_query``): a racing sweep skips them, and finds them told once it
    may read them."""
    running = [t.id for ticket in tickets for t in timers[ticket.id] if t.stopped_at is None]
    pending = untold_by_timer(session, running)
    had: list[Ticket] = []
    for ticket in tickets:
        ids = [escalation_id for t in timers[ticket.id] for escalation_id in pending.get(t.id, {})]
        if ids:
            had.append(ticket)
            result.notifications += tell_anew(session, ticket, ids, now=now)
            recount_mailed(session, ids)
    return had


def count_untold(
    session: Session, tickets: Sequence[Ticket], timers: dict[int, list[SlaTimer]], *, now: datetime
) -> None:
    """Set the next check of each running clock of ``tickets`` (``timers``: by ticket), counting
    its levels a change left told to nobody (``timers.next_due``, ``untold``): the instant time
    alone makes one due again, the sweep tells it (``tell_untold``). The caller stores the
    tickets' ``next_check_at``."""
    if not tickets:
        return
    session.flush()
    book = load_policy_book(session)
    running = [t for ticket in tickets for t in timers[ticket.id] if t.stopped_at is None]
    pending = untold_by_timer(session, [t.id for t in running])
    for ticket in tickets:
        for timer in timers[ticket.id]:
            policy = timer_rows.policy_for(book, ticket, timer)
            if timer.stopped_at is None and policy is not None:
                keys = set(pending.get(timer.id, {}).values())
                timer.next_due_at = timer_rows.next_due(timer, policy, untold=keys, now=now)


def recheck(session: Session, ticket: Ticket, *, now: datetime) -> None:
    """``count_untold`` for one ticket after a change, and its ``next_check_at`` stored."""
    timers = timer_rows.open_timers(session, [ticket.id])
    count_untold(session, [ticket], timers, now=now)
    session.flush()
    timer_rows.set_next_checks(session, [(ticket, timer_rows.earliest_check(timers[ticket.id]))])


def untold(candidates: Sequence[int] | Select[int]) -> Select[int]:
    """Of the ledger rows ``candidates`` (ids, or a query of them) whose ``mailed`` is false,
    those a change took mail of back (``untold_levels``); the others were recorded without mail
    (a stale warning, a clock already stopped)."""
    told = told_of()
    return (
        select(told.c.escalation_id)
        .join(Notification, Notification.id == told.c.notification_id)
        .where(told.c.escalation_id.in_(candidates), outbox.withdrawn())
        .distinct()
    )


def recount_mailed(session: Session, escalation_ids: Sequence[int]) -> None:
    """Set each ledger row's ``mailed`` to whether a mail of it went or may still go: a row of it
    in the outbox (its own, or another clock's that told of it, ``MailedTogether``) that Tanggap
    did not take back. Every reader of the ledger (``tanggap escalations list``, ``sla check``,
    the timelines, the "told before" of a later level's mail) then says what was sent. Only
    rows with mail in the outbox are passed (a change withdrew or told some of it)."""
    ids = list(dict.fromkeys(escalation_ids))
    if not ids:
        return
    told = told_of()
    going = set(
        session.scalars(
            select(told.c.escalation_id)
            .join(Notification, Notification.id == told.c.notification_id)
            .where(told.c.escalation_id.in_(ids), ~outbox.withdrawn())
        )
    )
    for escalation in session.scalars(select(Escalation).where(Escalation.id.in_(ids))):
        escalation.mailed = escalation.id in going


class WaitingEscalations:
    """The ledger of one ticket, read once, to word its waiting escalation mail again
    (``letter``; ``engine.rewording``): its clocks, its ledger rows, which mail told of which
    (``MailedTogether``) and what each clock's lower levels told (``_told_before``)."""

    def __init__(self, session: Session, ticket: Ticket) -> None:
        self.ticket = ticket
        self.book = load_policy_book(session)
        self.timers = {
            timer.id: timer
            for timer in session.scalars(select(SlaTimer).where(SlaTimer.ticket_id == ticket.id))
        }
        self.escalations = {
            escalation.id: escalation
            for escalation in session.scalars(
                select(Escalation).where(Escalation.ticket_id == ticket.id)
            )
        }
        self.together: dict[tuple[int, str], list[int]] = {}
        for escalation_id, carrier_id, recipient in session.execute(
            select(
                MailedTogether.escalation_id, MailedTogether.carrier_id, MailedTogether.recipient
            ).where(MailedTogether.ticket_id == ticket.id)
        ):
            self.together.setdefault((carrier_id, recipient), []).append(escalation_id)
        self.told = _told_before(session, sorted(self.timers)) if self.timers else {}

    def letter(
        self,
        row: Notification,
        *,
        now: datetime,
        base_url: str | None = None,
        ticket_changed: bool = False,
    ) -> Letter | None:
        """The words of the waiting escalation mail ``row`` as the ticket is now: the same level
        of the same clocks — the ledger row it carries (``escalation_id``) and the others it
        told its recipient of (``MailedTogether``), as ``_mail`` grouped them — with the
        ticket's agency, category, area and state now, each clock's deadline now (a change of
        priority or category re-bases it) and its lateness at ``now``. ``None`` (the row keeps
        its words) when a ledger row or its clock is gone, when the clock's policy now lacks the
        level, or when under the deadline now the level is not reached at ``now``."""
        if row.escalation_id is None:
            return None
        ids = [row.escalation_id, *self.together.get((row.escalation_id, row.recipient), [])]
        found: list[tuple[SlaTimer, Escalation, Policy, TimerFacts]] = []
        for escalation_id in ids:
            escalation = self.escalations.get(escalation_id)
            timer = self.timers.get(escalation.timer_id) if escalation is not None else None
            if escalation is None or timer is None:
                return None
            policy = timer_rows.policy_for(self.book, self.ticket, timer)
            if policy is None:
                return None
            found.append((timer, escalation, policy, timer_rows.facts(timer, policy)))
        if ticket_changed:
            # A clock the ticket's own change re-based (a new agency or category: ``sla``
            # carries the time elapsed to a new origin) has no arithmetic for moments before
            # its origin: weighed when the mail was decided it reached no level, and the mail
            # kept the old category and agency — the area office that still gets it was
            # pointed at an agency no longer holding the ticket (a tester's report). Such a
            # mail is worded as the clocks stand at the change. (A catalogue reload re-bases
            # clocks without changing what the ticket is: its waiting mail keeps the words
            # true when the level was decided, the deadline it had then included.)
            origins = [facts.origin for *_clock, facts in found]
            now = max([now, *(origin for origin in origins if origin is not None)])
        clocks: list[tuple[SlaTimer, Level, Policy]] = []
        for timer, escalation, policy, facts in found:
            level = next((lv for lv in policy.ladder.levels if lv.key == escalation.level), None)
            if level is None:
                # The clock's policy now lacks the level (renamed without a key, a new ladder):
                # the ledger has its name, not its words; the row keeps the words it has.
                return None
            reached = reached_levels(facts, policy.ladder, now)
            if level.key not in {lv.key for lv, _ in reached}:
                # Under the ticket's deadline now the level is not reached (a lower priority, a
                # longer target): words naming the new deadline would say "deadline passed" of
                # one still ahead. The mail keeps the words true when the level was decided.
                return None
            # The level's words as the catalogue has them now, its percent as it was reached: a
            # breach recorded at 100 % is not re-told as "approaching" by a ladder moved to 90 %.
            clocks.append((timer, replace(level, percent=escalation.percent), policy))
        clocks.sort(key=lambda clock: clock[0].id)  # timer order, as ``_mail`` names them
        return escalation_message(
            self.ticket,
            [
                Overdue(timer, level, policy, _before(self.told, timer, level))
                for timer, level, policy in clocks
            ],
            now=now,
            base_url=base_url,
        )


def _mail(
    session: Session,
    to_mail: list[_ToMail],
    *,
    now: datetime,
    result: SweepResult,
    directory: Directory,
    already: dict[int, set[str]] | None = None,
    offices_only: set[int] | None = None,
    only: Mapping[int, frozenset[str]] | None = None,
    taken_back: dict[tuple[int, str], Notification] | None = None,
) -> None:
    """Queue the mail of the levels in ``to_mail``: one mail per recipient for each ticket,
    level and instant it fell due, naming every clock of the ticket that reached that level
    then.

    After a transfer the start and accept clocks run side by side and reach each level at the
    same instant; their supervisors must not get two near-identical mails at once. Each clock
    keeps its own ledger row; the mail goes in the outbox row of the first clock the recipient
    is told of (in timer order), and ``MailedTogether`` says which mail told of the others.
    Grouping is per recipient: when the clocks' ladders name different people at that level,
    each person gets one mail naming the clocks that reached them. Levels due at different
    instants are separate mails (each says its own deadline and lateness), even when one
    catch-up sweep records them together, as are different levels. ``already``: per ledger row,
    the addresses (lower-case) that were told of it before and are not told again;
    ``offices_only``: the ledger rows told to area offices alone (``tell_anew``); ``only``: per
    ledger row, the only roles told of it (``tell_anew``);
    ``taken_back``: the rows a change withdrew (``outbox.taken_back``), sent anew to an
    address told again instead of a second row.
    """
    told = _told_before(session, sorted({timer.id for _, timer, *_ in to_mail}))
    groups: dict[tuple[int, str, int, datetime], list[_ToMail]] = {}
    for item in sorted(to_mail, key=lambda item: (item[0].id, item[2].percent, item[1].id)):
        ticket, _, level, _, escalation = item
        groups.setdefault((ticket.id, level.key, level.percent, escalation.due_at), []).append(item)
    letters: list[dict[str, Any]] = []
    shared: list[dict[str, Any]] = []
    for group in groups.values():
        ticket = group[0][0]
        # Per recipient (lower-cased address): who they are and the clocks (places in
        # ``group``) that reach them.
        reached: dict[str, tuple[Addressee, list[int]]] = {}
        lost: dict[str, Addressee] = {}
        for place, (_, timer, level, _, escalation) in enumerate(group):
            addressees, gone = _addressed(directory, ticket, level)
            if offices_only and escalation.id in offices_only:
                addressees = [a for a in addressees if _area_office(a)]
                gone = [a for a in gone if _area_office(a)]
            if only and escalation.id in only:
                roles = only[escalation.id]
                addressees = [a for a in addressees if (a.instead_of or a).kind in roles]
                gone = [a for a in gone if a.kind in roles]
            if already:
                before = already.get(escalation.id, set())
                addressees = [a for a in addressees if a.email.lower() not in before]
            for addressee in addressees:
                reached.setdefault(addressee.email.lower(), (addressee, []))[1].append(place)
            for addressee in gone:
                lost.setdefault(addressee.email.lower(), addressee)
            if addressees:
                told.setdefault(timer.id, []).append(
                    (level.name, level.percent, [a.kind for a in addressees])
                )
        if lost:
            _nobody_left(session, ticket, group, list(lost.values()), now=now)
        # Those told of the same clocks read the same letter: render it once for them.
        readers: dict[tuple[int, ...], list[Addressee]] = {}
        for addressee, reaching in reached.values():
            readers.setdefault(tuple(reaching), []).append(addressee)
        for places, addressees in readers.items():
            items = [group[place] for place in places]
            subject, body, html = escalation_message(
                ticket,
                [
                    Overdue(timer, level, policy, _before(told, timer, level))
                    for _, timer, level, policy, _ in items
                ],
                now=now,
            )
            carrier = items[0][4]
            letters += notification_rows(
                ticket=ticket,
                escalation=carrier,
                addressees=addressees,
                subject=subject,
                body=body,
                html=html,
                now=now,
            )
            shared += [
                {
                    "ticket_id": ticket.id,
                    "escalation_id": item[4].id,
                    "carrier_id": carrier.id,
                    "recipient": a.email,
                }
                for item in items[1:]
                for a in addressees
            ]
    if taken_back:
        fresh = []
        for values in letters:
            row = taken_back.get((values["escalation_id"], values["recipient"].lower()))
            if row is None:
                fresh.append(values)
            else:
                outbox.send_anew(row, values)
                result.notifications += 1
        letters = fresh
        shared = _carried_anew(session, shared)
    result.notifications += enqueue(session, letters)
    if shared:
        session.execute(insert(MailedTogether), shared)


def _carried_anew(session: Session, shared: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``MailedTogether`` rows of ``shared`` not written yet; one a withdrawn mail wrote
    (one per ledger row and address) names the mail that carries the level now."""
    if not shared:
        return shared
    existing = {
        (row.escalation_id, row.recipient.lower()): row
        for row in session.scalars(
            select(MailedTogether).where(
                MailedTogether.escalation_id.in_({entry["escalation_id"] for entry in shared})
            )
        )
    }
    fresh = []
    for entry in shared:
        row = existing.get((entry["escalation_id"], entry["recipient"].lower()))
        if row is None:
            fresh.append(entry)
        else:
            row.carrier_id = entry["carrier_id"]
    return fresh


def _addressed(
    directory: Directory, ticket: Ticket, level: Level
) -> tuple[list[Addressee], list[Addressee]]:
    """Who ``level`` of ``ticket`` is mailed to, and the flagged addresses nobody stands in for.

    A flagged mailbox gets nothing new: the level goes up the chain now, as a bounce would have
    sent it afterwards."""
    addressees, lost = directory.deliverable(ticket, directory.resolve(ticket, level.notify))
    for addressee in addressees:
        if addressee.instead_of is not None:
            logger.info(
                "%s %s: %s to %s", ticket.code, level.name, addressee.note(), addressee.email
            )
    return addressees, lost


def _area_office(addressee: Addressee) -> bool:
    """Whether ``addressee`` is, or stands in for, an area office."""
    return outbox.area_office_kind((addressee.instead_of or addressee).kind)


def _before(told: dict[int, list[ToldBefore]], timer: SlaTimer, level: Level) -> list[ToldBefore]:
    """What ``timer``'s lower levels told, as mailed before ``level`` (this sweep included)."""
    return [entry for entry in told.get(timer.id, []) if entry[1] < level.percent]


def _nobody_left(
    session: Session,
    ticket: Ticket,
    group: list[_ToMail],
    lost: list[Addressee],
    *,
    now: datetime,
) -> None:
    """Every address up the chain is undeliverable: an operator must fix the catalogue (one
    alert for a level, whichever clocks reached it)."""
    dead = ", ".join(f"{a.email} ({a.kind})" for a in lost)
    level, escalation = group[0][2], group[0][4]
    kinds = list(dict.fromkeys(timer.kind for _, timer, *_ in group))
    clocks = f", {' and '.join(kinds)} clocks" if len(kinds) > 1 else ""
    alert_operator(
        session,
        DeliveryPolicy.from_settings(environment.settings()),
        subject=f"[Tanggap] {ticket.code} {level.name}: nobody up the chain can be mailed",
        text=(
            f"Escalation {level.name} ({level.percent}%{clocks}) of {ticket.code} was not "
            f"mailed to {dead}: undeliverable, and every address above it is undeliverable too "
            "or has this level already. Correct the addresses in the catalogue."
        ),
        about=None,
        now=now,
        dedupe_key=f"unreachable:{escalation.id}",
    )


def told_of() -> Subquery:
    """Every outbox row that told of a ledger row: (``escalation_id``, ``notification_id``).

    A row's own mail, and the mail of another clock's row that named it too
    (``MailedTogether``); join ``Notification`` on ``notification_id`` for who, as what, and
    what became of it."""
    own = select(
        Notification.escalation_id.label("escalation_id"),
        Notification.id.label("notification_id"),
    ).where(Notification.escalation_id.is_not(None))
    carried = select(
        MailedTogether.escalation_id.label("escalation_id"),
        Notification.id.label("notification_id"),
    ).join(
        Notification,
        and_(
            Notification.escalation_id == MailedTogether.carrier_id,
            Notification.recipient == MailedTogether.recipient,
        ),
    )
    return union_all(own, carried).subquery("told_of")


def _told_before(session: Session, timer_ids: list[int]) -> dict[int, list[ToldBefore]]:
    """Per timer, the levels that were mailed and the recipient kinds the mail reached (sent,
    or still to go: not a mail a change took back)."""
    told = told_of()
    rows = session.execute(
        select(
            Escalation.timer_id,
            Escalation.id,
            Escalation.label,
            Escalation.percent,
            Notification.recipient_kind,
        )
        .join(told, told.c.escalation_id == Escalation.id)
        .join(Notification, Notification.id == told.c.notification_id)
        .where(
            Escalation.timer_id.in_(timer_ids),
            Escalation.mailed.is_(True),
            # A mail a change took back told nobody.
            ~outbox.withdrawn(),
        )
        .order_by(Escalation.percent, Notification.id)
    )
    grouped: dict[int, dict[int, tuple[str, int, list[str]]]] = {}
    for timer_id, escalation_id, label, percent, kind in rows:
        entry = grouped.setdefault(timer_id, {}).setdefault(escalation_id, (label, percent, []))
        entry[2].append(kind)
    return {
        timer_id: [(label, percent, kinds) for label, percent, kinds in levels.values()]
        for timer_id, levels in grouped.items()
    }
