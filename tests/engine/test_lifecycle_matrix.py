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
    "transfer",
    "start",
    "hold",
    "resume",
    "resolve",
    "reopen",
    "close",
]
LEGAL = {
    ("submitted", "verify"): "verified",
    ("submitted", "reject"): "rejected",
    ("verified", "reject"): "rejected",
    ("submitted", "mark_duplicate"): "duplicate",
    ("verified", "mark_duplicate"): "duplicate",
    ("assigned", "mark_duplicate"): "duplicate",
    ("verified", "assign"): "assigned",
    ("assigned", "transfer"): "assigned",
    ("in_progress", "transfer"): "assigned",
    ("assigned", "start"): "in_progress",
    ("assigned", "hold"): "on_hold",
    ("in_progress", "hold"): "on_hold",
    ("on_hold", "resume"): "in_progress",  # the matrix holds tickets from in_progress
    ("in_progress", "resolve"): "resolved",
    ("resolved", "reopen"): "assigned",
    ("resolved", "close"): "closed",
}
STAFF_TRIGGERS = set(TRIGGERS)
PERMITTED = {
    "staff": STAFF_TRIGGERS,
    "supervisor": STAFF_TRIGGERS,
    "admin": STAFF_TRIGGERS,
    "citizen": {"reopen"},
    "system": {"close"},
    "outsider": set(),
}


@pytest.mark.parametrize("who", sorted(PERMITTED))
@pytest.mark.parametrize("trigger", TRIGGERS)
@pytest.mark.parametrize("state", STATES)
def test_lifecycle_every_state_trigger_role(desk, state: str, trigger: str, who: str) -> None:
    ticket = desk.ticket_in(state)
    events_before, version_before = count_events(desk.session, ticket), ticket.version
    dest = LEGAL.get((state, trigger))

    if dest is not None and trigger in PERMITTED[who]:
        desk.act(ticket, trigger, who)
        assert ticket.state == dest
        assert count_events(desk.session, ticket) == events_before + 1
        assert ticket.version == version_before + 1
        return

    expected = Conflict if dest is None else Forbidden
    with pytest.raises(expected):
        desk.act(ticket, trigger, who)
    desk.session.expire_all()
    assert ticket.state == state
    assert ticket.version == version_before
    assert count_events(desk.session, ticket) == events_before


def test_lifecycle_matrix_covers_every_trigger_and_state() -> None:
    from engine.lifecycle import State, Trigger

    assert set(STATES) == {s.value for s in State}
    assert set(TRIGGERS) == {t.value for t in Trigger} - {"submit"}
    assert issubclass(Conflict, TanggapError)
