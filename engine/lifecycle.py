"""The ticket lifecycle (DESIGN §2) as data, held by one shared ``transitions`` Machine.

The table ``RULES`` is the single definition of who may fire which trigger from which state.
``transitions`` decides state legality and the destination; the use cases in ``tickets.py``
check roles, scope and required input around it. No machine object ever lives on an ORM row:
``fire`` borrows the shared machine for one call (add_model, trigger, remove_model).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from transitions import Machine, MachineError

from engine.errors import CorruptHistory, InvalidTransition, UnknownTrigger, shown


class State(StrEnum):
    SUBMITTED = "submitted"
    VERIFIED = "verified"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


OPEN_STATES = frozenset(
    {State.SUBMITTED, State.VERIFIED, State.ASSIGNED, State.IN_PROGRESS, State.ON_HOLD}
)
FINAL_STATES = frozenset({State.CLOSED, State.REJECTED, State.DUPLICATE})


class Trigger(StrEnum):
    SUBMIT = "submit"
    VERIFY = "verify"
    REJECT = "reject"
    MARK_DUPLICATE = "mark_duplicate"
    ASSIGN = "assign"
    #: Name another officer of the agency holding the ticket; the state stays.
    REASSIGN = "reassign"
    TRANSFER = "transfer"
    START = "start"
    HOLD = "hold"
    RESUME = "resume"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    #: A rejection contested: back to verification (the reporter's appeal, or a supervisor's
    #: or admin's un-reject), a new cycle.
    REINSTATE = "reinstate"
    CLOSE = "close"
    #: Staff change priority, category or location (with a reason); the state stays.
    UPDATE = "update"
    #: A note from the reporter or staff; the state stays. A citizen's reaches the agency.
    COMMENT = "comment"
    #: The reporter rates the resolution 1–5 (never staff).
    RATE = "rate"
    #: Written on a ticket when another is marked its duplicate (never fired by a user).
    MERGE = "merge"
    #: A supervisor or admin takes the report off the public record (with a reason: it names
    #: someone, shows a face or a number plate); the state stays, in any state.
    UNPUBLISH = "unpublish"
    #: ... and puts it back on the public record (with a reason); the state stays.
    REPUBLISH = "republish"
    #: A supervisor or admin edits what the public reads of a report that stays public (with a
    #: reason): its description, and photos hidden one by one; the state stays.
    REDACT = "redact"


#: The triggers that start a new resolution cycle (``Ticket.cycle``): the fix before it, and the
#: reporter's rating of that fix, belong to the cycle before.
NEW_CYCLE = frozenset({Trigger.REOPEN, Trigger.REINSTATE})


class Role(StrEnum):
    CITIZEN = "citizen"
    STAFF = "staff"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    #: The housekeeping flows.
    SYSTEM = "system"
    #: An Open311 client (a city app, a FixMyStreet front end) filing reports for citizens
    #: with its own api key: it may submit and nothing else, and sees no ticket.
    CLIENT = "client"


class Scope(StrEnum):
    """Which staff may act on a ticket, beyond role."""

    ANY = "any"
    #: Triage work: the routed agency, an area office above the ticket, the governor's office.
    TRIAGE = "triage"
    #: Field work: only the agency the ticket is assigned to (and supervisors above it).
    AGENCY = "agency"


STAFF_ROLES = frozenset({Role.STAFF, Role.SUPERVISOR, Role.ADMIN})
#: The roles an api key may carry: staff's, and an Open311 client's (a citizen has a reporter
#: token, the system no key).
KEY_ROLES = STAFF_ROLES | {Role.CLIENT}
#: Who decides what the public may read about a report: not the staff of the agency it is about
#: (README, "Taking a report off the public record").
MODERATORS = frozenset({Role.SUPERVISOR, Role.ADMIN})


@dataclass(frozen=True)
class Rule:
    trigger: Trigger
    sources: tuple[State, ...]
    #: None: back to the state the ticket was held from (resume), or, with ``stays``, the
    #: state it is in.
    dest: State | None
    roles: frozenset[Role]
    scope: Scope
    reason_required: bool = False
    #: Whether the note is shown to the citizen unless the caller says otherwise.
    public_note: bool = True
    #: The note is the city's answer to the reporter, which their next step rests on (a
    #: resolution's note and proof photo, disputed within the window; a rejection's reason,
    #: appealed): it is always public, and asking to keep it internal is refused.
    answers_reporter: bool = False
    #: The ticket keeps its state (an internal transition: update, comment, rate, merge).
    stays: bool = False
    #: Written by the engine as a consequence of another transition, never fired by a user.
    internal: bool = False


RULES: tuple[Rule, ...] = (
    Rule(Trigger.SUBMIT, (), State.SUBMITTED, STAFF_ROLES | {Role.CITIZEN, Role.CLIENT}, Scope.ANY),
    Rule(
        Trigger.VERIFY,
        (State.SUBMITTED,),
        State.VERIFIED,
        STAFF_ROLES,
        Scope.TRIAGE,
        public_note=False,
    ),
    Rule(
        Trigger.REJECT,
        (State.SUBMITTED, State.VERIFIED),
        State.REJECTED,
        STAFF_ROLES,
        Scope.TRIAGE,
        reason_required=True,
        answers_reporter=True,
    ),
    Rule(
        Trigger.MARK_DUPLICATE,
        (State.SUBMITTED, State.VERIFIED, State.ASSIGNED),
        State.DUPLICATE,
        STAFF_ROLES,
        Scope.TRIAGE,
    ),
    Rule(
        Trigger.ASSIGN,
        (State.VERIFIED,),
        State.ASSIGNED,
        STAFF_ROLES,
        Scope.TRIAGE,
        public_note=False,
    ),
    # The agency holding the ticket hands it to another of its officers (after a transfer,
    # the receiving agency names its own; an officer who left is replaced): its own business,
    # so field-work scope; no clock starts (``engine.clocks``).
    Rule(
        Trigger.REASSIGN,
        (State.ASSIGNED, State.IN_PROGRESS, State.ON_HOLD),
        None,
        STAFF_ROLES,
        Scope.AGENCY,
        public_note=False,
        stays=True,
    ),
    Rule(
        Trigger.TRANSFER,
        (State.ASSIGNED, State.IN_PROGRESS),
        State.ASSIGNED,
        STAFF_ROLES,
        Scope.AGENCY,
        reason_required=True,
        public_note=False,
    ),
    Rule(Trigger.START, (State.ASSIGNED,), State.IN_PROGRESS, STAFF_ROLES, Scope.AGENCY),
    Rule(
        Trigger.HOLD,
        (State.ASSIGNED, State.IN_PROGRESS),
        State.ON_HOLD,
        STAFF_ROLES,
        Scope.AGENCY,
        reason_required=True,
    ),
    Rule(Trigger.RESUME, (State.ON_HOLD,), None, STAFF_ROLES, Scope.AGENCY, public_note=False),
    Rule(
        Trigger.RESOLVE,
        (State.IN_PROGRESS,),
        State.RESOLVED,
        STAFF_ROLES,
        Scope.AGENCY,
        reason_required=True,
        answers_reporter=True,
    ),
    # From closed only the reporter (within the dispute window, counted from the resolution)
    # or an admin may reopen: ``actions.reopen`` checks that beyond this table.
    Rule(
        Trigger.REOPEN,
        (State.RESOLVED, State.CLOSED),
        State.ASSIGNED,
        STAFF_ROLES | {Role.CITIZEN},
        Scope.AGENCY,
        reason_required=True,
    ),
    # A rejection is a triage verdict (spam, not ours, insufficient): contesting it asks for the
    # triage again, so the report goes back to submitted, to be verified by whoever triages it,
    # never straight to verified on the reporter's own word. The reporter appeals within the
    # dispute window counted from the rejection (``actions._reinstate``); a supervisor over the
    # ticket or an admin may un-reject at any time. Staff who rejected it may not undo it alone.
    Rule(
        Trigger.REINSTATE,
        (State.REJECTED,),
        State.SUBMITTED,
        frozenset({Role.CITIZEN, Role.SUPERVISOR, Role.ADMIN}),
        Scope.TRIAGE,
        reason_required=True,
    ),
    Rule(
        Trigger.CLOSE,
        (State.RESOLVED,),
        State.CLOSED,
        STAFF_ROLES | {Role.SYSTEM},
        Scope.AGENCY,
    ),
    Rule(
        Trigger.UPDATE,
        tuple(sorted(OPEN_STATES)),
        None,
        STAFF_ROLES,
        Scope.TRIAGE,
        reason_required=True,
        public_note=False,
        stays=True,
    ),
    Rule(
        Trigger.COMMENT,
        (*sorted(OPEN_STATES), State.RESOLVED),
        None,
        STAFF_ROLES | {Role.CITIZEN},
        Scope.TRIAGE,
        reason_required=True,
        public_note=False,
        stays=True,
    ),
    Rule(
        Trigger.RATE,
        (State.RESOLVED, State.CLOSED),
        None,
        frozenset({Role.CITIZEN}),
        Scope.AGENCY,
        public_note=False,
        stays=True,
    ),
    Rule(
        Trigger.MERGE,
        (*sorted(OPEN_STATES), State.RESOLVED, State.CLOSED),
        None,
        STAFF_ROLES,
        Scope.ANY,
        public_note=False,
        stays=True,
        internal=True,
    ),
    # Taking a report off the public record and putting it back: in every state, final ones
    # too (a rejected spam report is the very one to hide). Whether a report is on the public
    # record is ``Ticket.unpublished_at``, checked by ``actions._moderate``: the table has no
    # state for it, the report's work goes on as it was. The reason stays internal. Redacting
    # (``actions._redact``) edits the public text and hides photos instead, by the same rule.
    *(
        Rule(
            trigger,
            tuple(sorted(State)),
            None,
            MODERATORS,
            Scope.TRIAGE,
            reason_required=True,
            public_note=False,
            stays=True,
        )
        for trigger in (Trigger.UNPUBLISH, Trigger.REPUBLISH, Trigger.REDACT)
    ),
)

RULES_BY_TRIGGER: dict[Trigger, Rule] = {rule.trigger: rule for rule in RULES}

#: States ``resume`` can return to: whatever ``hold`` may start from.
_HOLDABLE = RULES_BY_TRIGGER[Trigger.HOLD].sources


class _Subject:
    """What the shared machine moves for one call: a state and where a hold came from."""

    def __init__(self, held_from: State | None) -> None:
        self.state: str = ""
        self.held_from = held_from

    # Conditions of the two resume transitions: back to where the hold came from.
    def held_from_assigned(self) -> bool:
        return self.held_from == State.ASSIGNED

    def held_from_in_progress(self) -> bool:
        return self.held_from == State.IN_PROGRESS


def _machine_transitions() -> list[dict[str, object]]:
    table: list[dict[str, object]] = []
    for rule in RULES:
        if not rule.sources:
            continue  # submit creates the ticket: there is no source state to leave
        if rule.stays:
            table.append(
                {
                    "trigger": rule.trigger.value,
                    "source": [s.value for s in rule.sources],
                    "dest": None,  # an internal transition: the state does not change
                }
            )
        elif rule.dest is None:
            for back in _HOLDABLE:
                table.append(
                    {
                        "trigger": rule.trigger.value,
                        "source": [s.value for s in rule.sources],
                        "dest": back.value,
                        "conditions": f"held_from_{back.value}",
                    }
                )
        else:
            table.append(
                {
                    "trigger": rule.trigger.value,
                    "source": [s.value for s in rule.sources],
                    "dest": rule.dest.value,
                }
            )
    return table


_MACHINE = Machine(
    model=None,
    states=[s.value for s in State],
    transitions=_machine_transitions(),
    initial=State.SUBMITTED.value,
    auto_transitions=False,
)
_MACHINE_LOCK = threading.Lock()


#: What users may fire by name (``merge`` is written by the engine only).
USER_TRIGGERS = tuple(
    t for t in Trigger if t is not Trigger.SUBMIT and not RULES_BY_TRIGGER[t].internal
)
#: Triggers whose note the citizen sees unless the actor says otherwise (``public``).
PUBLIC_NOTE_TRIGGERS = tuple(t for t in USER_TRIGGERS if RULES_BY_TRIGGER[t].public_note)


def parse_trigger(name: str) -> Trigger:
    """A trigger as people type it: MARK-DUPLICATE, Mark_Duplicate, "mark duplicate"."""
    key = "_".join(str(name).strip().casefold().replace("-", " ").split())
    try:
        return Trigger(key)
    except ValueError:
        known = ", ".join(t.value for t in USER_TRIGGERS)
        raise UnknownTrigger(f"unknown action {shown(name)}; known actions: {known}") from None


def allowed_triggers(state: State | str) -> list[Trigger]:
    """Triggers users may fire in ``state`` (for error bodies and "allowed actions")."""
    return sorted(
        Trigger(t)
        for t in _MACHINE.get_triggers(str(state))
        if not RULES_BY_TRIGGER[Trigger(t)].internal
    )


def fire(state: State | str, trigger: Trigger, *, held_from: State | None = None) -> State:
    """The state ``trigger`` leads to from ``state``, or ``InvalidTransition`` (also for
    ``submit``, which starts a ticket and leads nowhere from a state)."""
    if trigger.value not in _MACHINE.events:
        raise InvalidTransition(
            trigger.value, str(state), (t.value for t in allowed_triggers(state))
        )
    subject = _Subject(held_from)
    with _MACHINE_LOCK:
        _MACHINE.add_model(subject, initial=str(state))
        try:
            fire_trigger: Callable[[str], bool] = getattr(subject, "trigger")  # noqa: B009
            moved = fire_trigger(trigger.value)
        except MachineError:
            moved = False
        finally:
            _MACHINE.remove_model(subject)
    if not moved:
        raise InvalidTransition(
            trigger.value, str(state), (t.value for t in allowed_triggers(state))
        )
    return State(subject.state)


class EventFacts(Protocol):
    @property
    def trigger(self) -> str: ...
    @property
    def from_state(self) -> str | None: ...
    @property
    def to_state(self) -> str: ...


def replay(events: Iterable[EventFacts]) -> State | None:
    """Rebuild a ticket's state from its events, checking each against the table.

    ``CorruptHistory`` when the events contradict the table or each other.
    """
    state: State | None = None
    held_from: State | None = None
    for number, ev in enumerate(events, start=1):
        try:
            trigger = Trigger(ev.trigger)
        except ValueError:
            raise CorruptHistory(f"event {number}: unknown trigger {ev.trigger!r}") from None
        if state is None:
            if trigger is not Trigger.SUBMIT or ev.from_state is not None:
                raise CorruptHistory(f"event {number}: a ticket's history must start with submit")
            state = State.SUBMITTED
        else:
            if ev.from_state != state:
                raise CorruptHistory(
                    f"event {number}: from {ev.from_state}, but ticket was {state}"
                )
            if trigger is Trigger.HOLD:
                held_from = state
            try:
                state = fire(state, trigger, held_from=held_from)
            except InvalidTransition as illegal:
                raise CorruptHistory(f"event {number}: {illegal.message}") from None
        if state != ev.to_state:
            raise CorruptHistory(f"event {number}: recorded {ev.to_state}, table gives {state}")
    return state


def mermaid() -> str:
    """The lifecycle as a Mermaid state diagram (for the README)."""
    lines = ["stateDiagram-v2", f"    [*] --> {State.SUBMITTED.value}: submit"]
    for rule in RULES:
        if rule.stays:
            continue  # update, comment, rate, merge: no arrow to draw
        for source in rule.sources:
            dests: Sequence[State] = _HOLDABLE if rule.dest is None else (rule.dest,)
            lines.extend(f"    {source.value} --> {d.value}: {rule.trigger.value}" for d in dests)
    lines.extend(f"    {s.value} --> [*]" for s in sorted(FINAL_STATES))
    return "\n".join(lines)


def appeal_open_until(rejected: datetime, window: timedelta, now: datetime) -> datetime | None:
    """The last instant the reporter may appeal a rejection made at ``rejected`` (the dispute
    window counted from it, that instant included), or ``None`` once it has passed: one rule
    for the action, the rejection mail and the tracking page."""
    end = rejected + window
    return end if now <= end else None
