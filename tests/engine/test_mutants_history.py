"""History read back from the events: what an auditor is told when it does not add up.

Written against mutants that survived the suite (issue 6 §7): the event number in the message
off by one, a first event that is not a submit (or a submit that claims a previous state)
accepted, the version not counted, the message naming the wrong earlier value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from engine.errors import CorruptHistory
from engine.history import replay_history
from engine.lifecycle import State, Trigger, mermaid, parse_trigger, replay


@dataclass
class Ev:
    seq: int
    trigger: str
    from_state: str | None
    to_state: str
    data: dict[str, Any] = field(default_factory=dict)


SUBMIT = Ev(1, "submit", None, "submitted", {"category": "flood", "agency": "DSDA"})
HISTORY = [
    SUBMIT,
    Ev(2, "verify", "submitted", "verified", {"category": {"from": "flood", "to": "fallen_tree"}}),
    Ev(3, "assign", "verified", "assigned", {"agency": {"from": "DSDA", "to": "DPHK"}}),
    Ev(4, "start", "assigned", "in_progress", {"officer": {"from": None, "to": "a@x.example"}}),
    Ev(5, "hold", "in_progress", "on_hold"),
    Ev(6, "resume", "on_hold", "in_progress"),
]


def test_replay_history_counts_one_version_per_event_and_keeps_the_last_values() -> None:
    snapshot = replay_history(HISTORY)
    assert snapshot.state is State.IN_PROGRESS
    assert snapshot.version == 6
    assert snapshot.values["category"] == "fallen_tree"
    assert snapshot.values["agency"] == "DPHK"
    assert snapshot.values["officer"] == "a@x.example"


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([Ev(1, "verify", None, "verified")], "event 1: a ticket's history must start with submit"),
        (
            [Ev(1, "submit", "submitted", "submitted")],
            "event 1: a ticket's history must start with submit",
        ),
        ([SUBMIT, Ev(2, "verify", "verified", "verified")], "event 2: from verified, but"),
        ([*HISTORY[:4], Ev(5, "resume", "in_progress", "in_progress")], r"^event 5: "),
        ([*HISTORY, Ev(7, "explode", "in_progress", "x")], "event 7: unknown trigger 'explode'"),
        (
            [*HISTORY, Ev(7, "resolve", "in_progress", "closed")],
            "event 7: recorded closed, table gives resolved",
        ),
    ],
)
def test_replay_names_the_event_that_breaks_the_history(events: list[Ev], message: str) -> None:
    with pytest.raises(CorruptHistory, match=message):
        replay(events)


def test_replay_history_names_what_the_field_was() -> None:
    broken = [*HISTORY[:2], Ev(3, "assign", "verified", "assigned", {"agency": {"from": "DBM"}})]
    with pytest.raises(
        CorruptHistory, match=r"^event 3 changes agency from 'DBM', but it was 'DSDA'$"
    ):
        replay_history(broken)


def test_mermaid_diagram_draws_every_arrow_once_with_its_trigger() -> None:
    lines = mermaid().split("\n")
    assert lines[:2] == ["stateDiagram-v2", "    [*] --> submitted: submit"]
    for arrow in [
        "    submitted --> verified: verify",
        "    in_progress --> on_hold: hold",
        "    on_hold --> assigned: resume",
        "    on_hold --> in_progress: resume",
        "    resolved --> closed: close",
        "    closed --> [*]",
    ]:
        assert lines.count(arrow) == 1, arrow
    assert not any(": comment" in line or ": update" in line for line in lines)


@pytest.mark.parametrize("typed", ["Mark-Duplicate", " mark duplicate ", "MARK_DUPLICATE"])
def test_trigger_typed_as_people_type_it(typed: str) -> None:
    assert parse_trigger(typed) is Trigger.MARK_DUPLICATE
