"""Every (state, trigger) pair for every kind of actor: one event and the right state, or nothing.

The expectations are written out here from DESIGN §2 independently of ``engine.lifecycle``,
so a wrong entry in the engine's table fails a test instead of agreeing with itself.
"""

from __future__ import annotations

import pytest

from engine.errors import Conflict, Forbidden, TanggapError
from engine.tickets import count_events

STATES = [
    "submitted",
    "verified",
    "assigned",
    "in_progress",
    "on_hold",
    "resolved",
    "closed",
    "rejected",
    "duplicate",
]
TRIGGERS = [
    "verify",
    "reject",
    "mark_duplicate",
    "assign",
    "reassign",
    "transfer",
    "start",
    "hold",
    "resume",
    "resolve",
    "reopen",
    "reinstate",
    "close",
    "update",
    "comment",
    "rate",
    "unpublish",
    "republish",
    "redact",
]
OPEN = ["submitted", "verified", "assigned", "in_progress", "on_hold"]
LEGAL = {
    ("submitted", "verify"): "verified",
    ("submitted", "reject"): "rejected",
    ("verified", "reject"): "rejected",
    ("submitted", "mark_duplicate"): "duplicate",
    ("verified", "mark_duplicate"): "duplicate",
    ("assigned", "mark_duplicate"): "duplicate",
    ("verified", "assign"): "assigned",
    **{(state, "reassign"): state for state in ["assigned", "in_progress", "on_hold"]},
    ("assigned", "transfer"): "assigned",
    ("in_progress", "transfer"): "assigned",
    ("assigned", "start"): "in_progress",
    ("assigned", "hold"): "on_hold",
    ("in_progress", "hold"): "on_hold",
    ("on_hold", "resume"): "in_progress",  # the matrix holds tickets from in_progress
    ("in_progress", "resolve"): "resolved",
    ("resolved", "reopen"): "assigned",
    ("closed", "reopen"): "assigned",
    # A rejection contested goes back to verification (not to verified: the appeal is no
    # verification).
    ("rejected", "reinstate"): "submitted",
    ("resolved", "close"): "closed",
    **{(state, "update"): state for state in OPEN},
    **{(state, "comment"): state for state in [*OPEN, "resolved"]},
    ("resolved", "rate"): "resolved",
    ("closed", "rate"): "closed",
    # Taking a report off the public record and back: any state, final ones too.
    **{(state, "unpublish"): state for state in STATES},
    **{(state, "republish"): state for state in STATES},
    # Editing what the public reads (the description, photos hidden): any state too.
    **{(state, "redact"): state for state in STATES},
}
#: Who decides what the public reads: supervisors and admins, not the agency's own staff.
MODERATION = {"unpublish", "republish", "redact"}
STAFF_TRIGGERS = set(TRIGGERS) - {"rate"}
PERMITTED = {
    # Staff who rejected a report may not undo it alone: a supervisor or an admin un-rejects.
    "staff": STAFF_TRIGGERS - {"reinstate"} - MODERATION,
    "supervisor": STAFF_TRIGGERS,
    "admin": STAFF_TRIGGERS,
    "citizen": {"reopen", "reinstate", "comment", "rate"},
    "system": {"close"},
    "outsider": set(),
    # An Open311 app files reports for citizens (submit) and may fire nothing on a ticket.
    "client": set(),
}
#: Beyond role: a closed ticket is reopened only by its reporter or an admin (DESIGN §2).
EXCEPTIONS = {("closed", "reopen", "staff"), ("closed", "reopen", "supervisor")}


def permitted(state: str, trigger: str, who: str) -> bool:
    return trigger in PERMITTED[who] and (state, trigger, who) not in EXCEPTIONS


LEGAL_CASES = [
    (state, trigger, who) for (state, trigger) in sorted(LEGAL) for who in sorted(PERMITTED)
]
ILLEGAL_PAIRS = [
    (state, trigger) for state in STATES for trigger in TRIGGERS if (state, trigger) not in LEGAL
]


@pytest.mark.parametrize(("state", "trigger", "who"), LEGAL_CASES)
def test_lifecycle_legal_pair_each_actor_moves_or_is_forbidden(
    desk, state: str, trigger: str, who: str
) -> None:
    ticket = desk.ticket_in(state)
    if trigger == "republish":
        desk.act(ticket, "unpublish", "admin")  # only a report off the public record goes back
    events_before, version_before = count_events(desk.session, ticket), ticket.version

    # A re-assign names an officer the ticket does not have yet.
    fields = {"officer": "staff@tanggap.example"} if trigger == "reassign" else {}
    if permitted(state, trigger, who):
        desk.act(ticket, trigger, who, **fields)
        assert ticket.state == LEGAL[(state, trigger)]
        assert count_events(desk.session, ticket) == events_before + 1
        assert ticket.version == version_before + 1
        return

    with pytest.raises(Forbidden):
        desk.act(ticket, trigger, who, **fields)
    desk.session.expire_all()
    assert ticket.state == state
    assert ticket.version == version_before
    assert count_events(desk.session, ticket) == events_before


@pytest.mark.parametrize(("state", "trigger"), ILLEGAL_PAIRS)
def test_lifecycle_illegal_pair_is_a_conflict_for_anyone(desk, state: str, trigger: str) -> None:
    # The state is checked before the actor: one actor stands for all of them here (an
    # admin, who would be permitted everything the table allows).
    ticket = desk.ticket_in(state)
    events_before, version_before = count_events(desk.session, ticket), ticket.version
    with pytest.raises(Conflict) as raised:
        desk.act(ticket, trigger, "citizen" if trigger == "rate" else "admin")
    assert f"ticket that is {state}" in raised.value.message
    desk.session.expire_all()
    assert (ticket.state, ticket.version) == (state, version_before)
    assert count_events(desk.session, ticket) == events_before


def test_lifecycle_matrix_covers_every_trigger_and_state() -> None:
    from engine.lifecycle import State, Trigger

    assert set(STATES) == {s.value for s in State}
    assert set(TRIGGERS) == {t.value for t in Trigger} - {"submit", "merge"}
    assert issubclass(Conflict, TanggapError)
