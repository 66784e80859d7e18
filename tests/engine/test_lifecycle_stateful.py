"""Random trigger sequences by random actors: the event log always explains the ticket.

After every step, whether the action succeeded or was refused, the ticket's state must equal
the replay of its events through the lifecycle table, and its version the number of events.
Each step runs in a savepoint, as each request runs in its own transaction.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from engine.errors import TanggapError
from engine.lifecycle import Trigger, replay
from engine.tickets import list_events

ACTIONS = [t.value for t in Trigger if t is not Trigger.SUBMIT]
ACTORS = ["staff", "supervisor", "admin", "citizen", "system", "outsider", "kelurahan"]


def test_lifecycle_random_sequences_state_equals_replay(desk: Any) -> None:
    class TicketMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.ticket = desk.submit()
            self.accepted = 0

        @rule(action=st.sampled_from(ACTIONS), who=st.sampled_from(ACTORS), stale=st.booleans())
        def act(self, action: str, who: str, stale: bool) -> None:
            fields: dict[str, Any] = {}
            if stale:
                fields["expected_version"] = self.ticket.version - 1
            savepoint = desk.session.begin_nested()
            try:
                desk.act(self.ticket, action, who, **fields)
            except TanggapError:
                savepoint.rollback()
            else:
                savepoint.commit()
                self.accepted += 1

        @invariant()
        def history_explains_ticket(self) -> None:
            desk.session.expire_all()
            events = list_events(desk.session, self.ticket)
            assert replay(events) == self.ticket.state
            assert self.ticket.version == len(events) == self.accepted + 1
            assert [e.seq for e in events] == list(range(1, len(events) + 1))

    run_state_machine_as_test(
        TicketMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
