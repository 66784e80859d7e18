"""A ticket rebuilt from its events alone: state, and every field a transition changes.

Each event's ``data`` holds what it changed as ``{"field": {"from": …, "to": …}}``; submit
holds the starting values. ``replay_history`` applies them in order and checks each ``from``
against what the events before said, so a gap in the history is found, not papered over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.errors import CorruptHistory
from engine.lifecycle import State, replay

#: Fields a transition may change, as they are named in event data (``unpublished``: taken off
#: the public record, ``unpublish`` / ``republish``; ``public_description``: the description
#: the public reads, None for the reporter's own words, ``redact``).
TRACKED = (
    "category",
    "priority",
    "agency",
    "area",
    "location",
    "officer",
    "duplicate_of",
    "unpublished",
    "public_description",
)


class EventRecord(Protocol):
    @property
    def seq(self) -> int: ...
    @property
    def trigger(self) -> str: ...
    @property
    def from_state(self) -> str | None: ...
    @property
    def to_state(self) -> str: ...
    @property
    def data(self) -> dict[str, Any]: ...


@dataclass
class Snapshot:
    state: State | None = None
    version: int = 0
    values: dict[str, Any] = field(default_factory=dict)


def replay_history(events: Iterable[EventRecord]) -> Snapshot:
    """Rebuild state, version and tracked fields; ``CorruptHistory`` if the events disagree."""
    items = list(events)
    snapshot = Snapshot(state=replay(items), version=len(items))
    values = snapshot.values
    for number, event in enumerate(items, start=1):
        if event.seq != number:
            raise CorruptHistory(f"event {number} has seq {event.seq}")
        data = event.data or {}
        if event.trigger == "submit":
            values.update({name: data.get(name) for name in TRACKED})
            values["officer"] = values["duplicate_of"] = None
            values["unpublished"] = False  # every report starts on the public record
            values["public_description"] = None  # and the public reads the reporter's words
            continue
        for name in TRACKED:
            change = data.get(name)
            if not isinstance(change, dict):
                continue
            if change.get("from") != values.get(name):
                raise CorruptHistory(
                    f"event {number} changes {name} from {change.get('from')!r}, "
                    f"but it was {values.get(name)!r}"
                )
            values[name] = change.get("to")
    return snapshot
