"""SLA clocks on tickets: which timers start, pause, resume, stop or re-base on each change.

| timer   | starts on                | runs while  | stops                   | its work        |
|---------|--------------------------|-------------|-------------------------|-----------------|
| verify  | submit; reinstate (new)  | submitted   | on leaving submitted    | verify, reject, |
|         |                          |             |                         | mark_duplicate  |
| assign  | verify                   | verified    | on leaving verified     | assign          |
| start   | assign, transfer, reopen | assigned    | on leaving assigned (*) | start           |
| resolve | submit; reopen, reinstate| open states | resolved / rejected/dup.| resolve         |
| accept  | transfer                 | till acted  | receiving agency acts   | any act (**)    |

(*) A re-assign (another officer of the agency holding the ticket) keeps it running.
(**) Any trigger but a bystander's (hold, resume, comment, rate, merge): ``WORK_OF``.

**Met, missed or ended.** A stopped clock is met or missed only when the trigger that stopped
it is the work it measures (the last column). Stopped by anything else — a rejection or a
duplicate after verification, a transfer (a new cycle for the receiving office), a change of
category to a policy without that timer, a catalogue reload — it is *ended*: neither met nor
missed, and no case in an on-time rate (an office must not raise its rate by rejecting
reports). Its deadline having passed before it ended still reads "breached" and counts as a
miss: a recorded breach stands (and rejecting a late report must not hide it). Triage is the
verify clock's work whatever its verdict, so a rejection or a duplicate from ``submitted`` ends
it as met or missed. Every reader follows this one rule: the SLA timeline (API, dashboard,
``tanggap sla check``) through ``ended_not_by_the_work``, the on-time figures and the daily
digest through ``clock_is_a_case`` (``engine.queries.figures``).

Hold pauses every running timer and resume ends the pause; pauses are dated, so a pause moves
only the instants after it began.

**Change re-evaluates at once** (DESIGN §3, "Change"). After every transition — and after a
catalogue reload (``recompute_open``) — each running timer is checked against the ticket as it
now is: the policy is chosen again by category × priority. If it differs (or its target,
calendar or ladder changed), the levels already due under the old policy are recorded first,
then the timer is re-based: the business time consumed so far is kept, measured on the
calendar that was in force while it elapsed, and the new policy's target, calendar and ladder
count from now. A policy without a target for the timer stops it. Recipients are never stored
on timers: they are resolved from the ticket's current agency, officer and area when a mail is
queued.

**A clock the act ends is judged as it ran.** The clocks a transition stops (its work done,
the state left their span, a transfer's new cycle, an acceptance) are stopped first, under the
policy, target and agency they ran under; only then does the change the act brings (a verify
with a correction, a transfer) re-evaluate the clocks that go on. A late verify corrected to
another category reads "breached" against the target it missed, not against the new policy's,
and its levels still to record are recorded by the sweep without mail, as for any verify.

**A ladder edit, precisely** (a reload at instant R; ``_steps``: only a level's key and
percent decide when it falls due — its words and recipients are read when a mail is queued,
so re-wording a level or changing whom it notifies moves no clock):

1. Every level of the *old* ladder that fell due by R and is not in the ledger is recorded
   under the old ladder at R, dated when it fell due, and mailed as the sweep would have had
   it run just before R (to whom the old level names; no warning alongside a breach).
2. The timer is re-based at R. A level of the new ladder counts as passed when its key is in
   the ledger or its percent is at or below the highest percent recorded (so a warning renamed
   and moved from 50 % to 40 % after the 50 % one was recorded never fires). Any other level
   whose share of the target was consumed before R falls due *at R* (never back-dated to a
   time the ladder did not have it); the rest at their share of the target.
3. A stopped clock with a level still to record gets step 1 (without mail: the work was
   done) and nothing of the new ladder: it consumes no time after R.

Nothing is mailed twice: each level is recorded once (ledger unique on its key) and only a
level recorded in this pass is mailed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine import timers as timer_rows
from engine.ledger import SweepResult, record_due
from engine.lifecycle import OPEN_STATES, State, Trigger
from engine.models import SlaTimer, Ticket
from engine.policies import PolicyBook, load_policy_book
from engine.recipients import Directory
from sla import Policy, TimerKind, deadline, elapsed, status

RUNS_IN: dict[TimerKind, frozenset[State]] = {
    TimerKind.VERIFY: frozenset({State.SUBMITTED}),
    TimerKind.ASSIGN: frozenset({State.VERIFIED}),
    TimerKind.START: frozenset({State.ASSIGNED}),
    TimerKind.RESOLVE: OPEN_STATES,
    TimerKind.ACCEPT: frozenset({State.ASSIGNED}),
}
STARTS_ON: dict[Trigger, tuple[TimerKind, ...]] = {
    Trigger.SUBMIT: (TimerKind.VERIFY, TimerKind.RESOLVE),
    Trigger.VERIFY: (TimerKind.ASSIGN,),
    Trigger.ASSIGN: (TimerKind.START,),
    Trigger.TRANSFER: (TimerKind.START, TimerKind.ACCEPT),
    Trigger.REOPEN: (TimerKind.START, TimerKind.RESOLVE),
    # A rejection contested: the report is back where it was submitted, and counts again from
    # there (the time it spent rejected is nobody's lateness), as a new cycle.
    Trigger.REINSTATE: (TimerKind.VERIFY, TimerKind.RESOLVE),
}
#: Triggers that are no action on the work itself: they neither stop the accept timer nor
#: start anything (a note, a rating, a duplicate merged into this ticket).
_BYSTANDER = frozenset({Trigger.HOLD, Trigger.RESUME, Trigger.COMMENT, Trigger.RATE, Trigger.MERGE})
#: Per timer kind, the triggers that are the work it measures (module docstring, "Met, missed
#: or ended"); a clock stopped by any other trigger, or by no event at all, is ended.
WORK_OF: dict[TimerKind, frozenset[Trigger]] = {
    TimerKind.VERIFY: frozenset({Trigger.VERIFY, Trigger.REJECT, Trigger.MARK_DUPLICATE}),
    TimerKind.ASSIGN: frozenset({Trigger.ASSIGN}),
    TimerKind.START: frozenset({Trigger.START}),
    TimerKind.RESOLVE: frozenset({Trigger.RESOLVE}),
    # Any action of the receiving agency accepts the ticket (a bystander never stops it).
    TimerKind.ACCEPT: frozenset(Trigger) - _BYSTANDER,
}


def _refresh(timer: SlaTimer, policy: Policy, now: datetime) -> None:
    facts = timer_rows.facts(timer, policy)
    timer.deadline = deadline(facts, now)
    timer.breached = timer.breached or status(facts, policy.ladder, now).breached
    timer.next_due_at = timer_rows.next_due(timer, policy)


def _start(
    session: Session,
    ticket: Ticket,
    kind: TimerKind,
    policy: Policy,
    now: datetime,
    *,
    first: bool = False,
) -> SlaTimer | None:
    target = policy.target(kind)
    if target is None:
        return None
    previous = None
    if not first:
        previous = session.scalar(
            select(SlaTimer.cycle)
            .where(SlaTimer.ticket_id == ticket.id, SlaTimer.kind == kind.value)
            .order_by(SlaTimer.cycle.desc())
            .limit(1)
        )
    timer = SlaTimer(
        ticket_id=ticket.id,
        kind=kind.value,
        cycle=(previous or 0) + 1,
        policy_code=policy.code,
        agency_id=ticket.agency_id,
        target_seconds=target.duration(policy.calendar, now).total_seconds(),
        started_at=now,
        origin_at=now,
        carried_seconds=0.0,
        pauses=[],
        breached=False,
        levels_recorded=[],
        reached_percent=0,
    )
    _refresh(timer, policy, now)
    return timer


def stop(timer: SlaTimer, policy: Policy, now: datetime) -> None:
    """Stop counting, noting the business time consumed (``elapsed_seconds``). A level that
    fell due before ``now`` and is not recorded yet stays due (``next_due_at`` in the past): the
    sweep records it, without mail."""
    timer.stopped_at = stopped = max(now, timer.started_at)  # hosts' clocks may differ a little
    # What it consumed, on the calendar it ran on: it keeps reading so (``engine.timeline``).
    timer.elapsed_seconds = elapsed(timer_rows.facts(timer, policy), stopped).total_seconds()
    _refresh(timer, policy, now)


def _rebase(
    ticket: Ticket, timer: SlaTimer, old: Policy | None, new: Policy, now: datetime
) -> None:
    """Keep the business time consumed so far (on the old calendar), then count the new
    policy's target on its calendar from ``now``. The callers refresh the derived values
    (deadline, next level) once, after pauses and stops are applied too."""
    measured_on = old or new
    consumed = elapsed(timer_rows.facts(timer, measured_on), now)
    target = new.target(TimerKind(timer.kind))
    assert target is not None  # callers stop timers the new policy has no target for
    timer.carried_seconds = consumed.total_seconds()
    timer.origin_at = max(now, timer.origin_at)
    timer.policy_code = new.code
    timer.target_seconds = target.duration(new.calendar, timer.started_at).total_seconds()
    timer.agency_id = ticket.agency_id


def _steps(policy: Policy) -> tuple[tuple[str, int], ...]:
    """What of a ladder decides which level falls due when: each level's key and percent.

    Its words and recipients are read when a mail is queued (and waiting mail is re-read after
    a reload), so re-wording a level or changing whom it notifies moves no clock."""
    return tuple((level.key, level.percent) for level in policy.ladder.levels)


def _moved(old: Policy, new: Policy) -> bool:
    """Whether levels fall due differently under ``new``: another policy, calendar or ladder."""
    return old.code != new.code or old.calendar != new.calendar or _steps(old) != _steps(new)


def _needs_rebase(timer: SlaTimer, old: Policy | None, new: Policy) -> bool:
    if old is None or _moved(old, new):
        return True
    target = new.target(TimerKind(timer.kind))
    return target is not None and target != old.target(TimerKind(timer.kind))


def _reevaluate(
    session: Session,
    ticket: Ticket,
    timers: Iterable[SlaTimer],
    *,
    old_book: PolicyBook,
    new_book: PolicyBook,
    now: datetime,
    directory: Directory | None = None,
) -> int:
    """Bring running timers in line with the ticket and the policies in force; returns how
    many were re-based or stopped.

    Under ``old_book`` first: every level of a timer about to change that fell due by ``now``
    and is not recorded yet is recorded (and mailed, as the sweep would have) under the policy
    it fell due under — also when only the ladder changed (a level renamed, moved, added or
    removed; ``_steps``). So is a level still to record of a *stopped* timer whose policy
    ``new_book`` changes; a stopped timer is not re-based (it consumes nothing after the
    change), so after that nothing of the new ladder falls due for it.
    """
    wanted = new_book.choose(ticket.category.code, ticket.priority)
    changed = 0
    settle: list[tuple[Ticket, SlaTimer, Policy]] = []
    plan: list[tuple[SlaTimer, Policy | None]] = []
    for timer in timers:
        if timer.stopped_at is not None:
            was = old_book.get(timer.policy_code)
            if was is not None and timer.next_due_at is not None:
                now_under = timer_rows.policy_for(new_book, ticket, timer)
                if now_under is None or _moved(was, now_under):
                    settle.append((ticket, timer, was))
            continue
        timer.agency_id = ticket.agency_id
        old = old_book.get(timer.policy_code)
        kind = TimerKind(timer.kind)
        if wanted is None or wanted.target(kind) is None or _needs_rebase(timer, old, wanted):
            if old is not None:
                settle.append((ticket, timer, old))
            plan.append((timer, old))
    if settle:
        # What fell due under the old policy is recorded under it, before it is gone.
        record_due(session, settle, now=now, result=SweepResult(), directory=directory)
        for _, timer, _ in settle:
            if timer.stopped_at is not None:
                timer.next_due_at = None  # judged under the policy it ran under: done
    for timer, old in plan:
        kind = TimerKind(timer.kind)
        if wanted is None or wanted.target(kind) is None:
            stop(timer, old or wanted or _any(new_book, old_book), now)
        else:
            _rebase(ticket, timer, old, wanted, now)
        changed += 1
    return changed


def _any(*books: PolicyBook) -> Policy:
    for book in books:
        if book.policies:
            return book.policies[0]
    raise LookupError("no SLA policy at all")  # unreachable: timers exist only under policies


def start_new_ticket(
    session: Session, ticket: Ticket, *, category: str, now: datetime
) -> list[SlaTimer]:
    """The clocks of a ticket being submitted, before it is written.

    A new ticket has no timers to re-evaluate or stop, so this reads nothing but the policy
    book: it sets ``next_check_at`` on the ticket and returns the timers, which the caller adds
    once the ticket has its id (one INSERT each, no UPDATE afterwards).
    """
    book = load_policy_book(session)
    policy = book.choose(category, ticket.priority) if book.policies else None
    started: list[SlaTimer] = []
    if policy is not None:
        for kind in STARTS_ON[Trigger.SUBMIT]:
            timer = _start(session, ticket, kind, policy, now, first=True)
            if timer is not None:
                started.append(timer)
    ticket.next_check_at = timer_rows.earliest_check(started)
    return started


def on_transition(
    session: Session,
    ticket: Ticket,
    *,
    trigger: Trigger,
    now: datetime,
    by_system: bool = False,
) -> list[SlaTimer]:
    """Re-evaluate, pause, resume, stop and start the ticket's timers for what just happened.

    A re-assign (another officer of the same agency) starts nothing: the start clock measures
    the agency's time to begin the work and keeps running, so a hand-over between officers
    cannot buy time. It stops an acceptance clock, as any action of the receiving agency does;
    an act of the system (``by_system``: the hand-back of a moved or deactivated officer's
    tickets, ``staff.hand_back``) is nobody's acceptance.
    """
    book = load_policy_book(session)
    state = State(ticket.state)
    starts = STARTS_ON.get(trigger, ())
    restarting = set(starts)
    timers = timer_rows.open_timers(session, [ticket.id])[ticket.id]

    def ended(timer: SlaTimer) -> bool:
        # The receiving agency acted (accept), a new cycle replaces this one (a transfer
        # restarts the start clock for the new agency), or the state left the timer's span.
        kind = TimerKind(timer.kind)
        acted_on = kind is TimerKind.ACCEPT and trigger not in _BYSTANDER and not by_system
        left = state not in RUNS_IN[kind] and state is not State.ON_HOLD
        return acted_on or left or kind in restarting

    # A clock this act ends is judged as it ran: stopped under the policy, target and agency
    # it had, before the change the act brings (a verify with a correction, a transfer) is
    # applied to the clocks that go on. Its levels still to record are the sweep's, unmailed.
    for timer in timers:
        policy = timer_rows.policy_for(book, ticket, timer)
        if timer.stopped_at is None and policy is not None and ended(timer):
            stop(timer, policy, now)
    if book.policies:
        _reevaluate(session, ticket, timers, old_book=book, new_book=book, now=now)
    for timer in timers:
        if timer.stopped_at is not None:
            continue
        policy = timer_rows.policy_for(book, ticket, timer)
        if policy is None:
            continue
        if trigger is Trigger.HOLD:
            timer_rows.pause(timer, now)
        elif trigger is Trigger.RESUME:
            timer_rows.unpause(timer, now)
        _refresh(timer, policy, now)
    policy = book.choose(ticket.category.code, ticket.priority) if book.policies else None
    if policy is not None:
        for kind in starts:
            started = _start(session, ticket, kind, policy, now)
            if started is not None:
                session.add(started)
                timers.append(started)
    session.flush()
    timer_rows.set_next_checks(session, [(ticket, timer_rows.earliest_check(timers))])
    return [t for t in timers if t.stopped_at is None]


def recompute_open(
    session: Session, *, now: datetime, previous: PolicyBook, batch: int = 1000
) -> int:
    """Re-apply the policies in force to every running timer (after a catalogue reload).

    ``previous`` is the book before the reload: business time already consumed is measured on
    the calendars it had, and levels due under it are recorded before anything changes. A
    ticket with something due is locked first (a sweep recording its levels is waited for), so
    a level is never recorded by both.
    """
    book = load_policy_book(session)
    directory = Directory(session)
    recomputed, last_id = 0, 0
    while True:
        ticket_ids = list(
            session.scalars(
                select(SlaTimer.ticket_id)
                .where(
                    # running, or stopped with a level still to record (``_reevaluate``)
                    or_(SlaTimer.stopped_at.is_(None), SlaTimer.next_due_at.is_not(None)),
                    SlaTimer.ticket_id > last_id,
                )
                .group_by(SlaTimer.ticket_id)
                .order_by(SlaTimer.ticket_id)
                .limit(batch)
            )
        )
        if not ticket_ids:
            return recomputed
        last_id = ticket_ids[-1]
        tickets = {
            t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids)))
        }
        # A sweep may be recording a due ticket's levels right now (it holds the ticket's row,
        # ``escalation.due_tickets_query``): wait for it and read the ticket again, so that the
        # levels due under the old policy are read off the ledger as the sweep left it and not
        # recorded a second time. Only tickets with something due can be in a sweep's hands.
        due = [t.id for t in tickets.values() if t.next_check_at and t.next_check_at <= now]
        if due:
            session.scalars(
                select(Ticket)
                .where(Ticket.id.in_(due))
                .order_by(Ticket.id)
                .with_for_update(of=Ticket)
                .execution_options(populate_existing=True)
            ).all()
        for ticket_id, timers in timer_rows.open_timers(session, ticket_ids).items():
            ticket = tickets[ticket_id]
            recomputed += _reevaluate(
                session,
                ticket,
                timers,
                old_book=previous,
                new_book=book,
                now=now,
                directory=directory,
            )
            for timer in timers:
                policy = timer_rows.policy_for(book, ticket, timer)
                if policy is not None and timer.stopped_at is None:
                    _refresh(timer, policy, now)
            session.flush()
            timer_rows.set_next_checks(session, [(ticket, timer_rows.earliest_check(timers))])


__all__ = [
    "RUNS_IN",
    "STARTS_ON",
    "WORK_OF",
    "on_transition",
    "recompute_open",
    "start_new_ticket",
    "stop",
]
