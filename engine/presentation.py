"""How each state reads to the outside (DESIGN §2): labels, colour, Open311 and CitySDK status.

The one copy of that table, for pages, the API, Open311 and mail alike: each state reads the same
words everywhere, and no two states read alike (closed is "Selesai (ditutup)", resolved — which
the reporter may still dispute — "Selesai"). Labels are the words Jakarta's citizens already
know from Qlue and JAKI; the colour is theirs too. Open311 keeps ``status`` to open/closed and
carries the lifecycle in CitySDK's ``detailed_status``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from engine.lifecycle import State, Trigger


class Colour(StrEnum):
    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"
    GREY = "grey"


class Open311Status(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class DetailedStatus(StrEnum):
    """CitySDK's extended statuses for Open311 ``extended_attributes.detailed_status``."""

    RECEIVED = "RECEIVED"
    IN_PROCESS = "IN_PROCESS"
    PROCESSED = "PROCESSED"
    ARCHIVED = "ARCHIVED"
    REJECTED = "REJECTED"


@dataclass(frozen=True)
class StatePresentation:
    state: State
    label_id: str
    label_en: str
    colour: Colour
    open311_status: Open311Status
    detailed_status: DetailedStatus

    def label(self, lang: str) -> str:
        """The label in ``lang`` (``en``; anything else reads Indonesian)."""
        return self.label_en if lang == "en" else self.label_id


def _row(
    state: State,
    label_id: str,
    label_en: str,
    colour: Colour,
    detailed: DetailedStatus,
) -> StatePresentation:
    status = Open311Status.OPEN if colour in (Colour.RED, Colour.YELLOW) else Open311Status.CLOSED
    return StatePresentation(state, label_id, label_en, colour, status, detailed)


_RED, _YELLOW, _GREEN, _GREY = Colour.RED, Colour.YELLOW, Colour.GREEN, Colour.GREY
_D = DetailedStatus
PRESENTATION: dict[State, StatePresentation] = {
    row.state: row
    for row in (
        _row(State.SUBMITTED, "Menunggu", "Waiting", _RED, _D.RECEIVED),
        _row(State.VERIFIED, "Menunggu (terverifikasi)", "Waiting (verified)", _RED, _D.RECEIVED),
        _row(State.ASSIGNED, "Disposisi", "Assigned", _YELLOW, _D.IN_PROCESS),
        _row(State.IN_PROGRESS, "Proses", "In progress", _YELLOW, _D.IN_PROCESS),
        _row(State.ON_HOLD, "Ditunda", "On hold", _YELLOW, _D.IN_PROCESS),
        _row(State.RESOLVED, "Selesai", "Resolved", _GREEN, _D.PROCESSED),
        _row(State.CLOSED, "Selesai (ditutup)", "Closed", _GREEN, _D.ARCHIVED),
        _row(State.REJECTED, "Ditolak", "Rejected", _GREY, _D.REJECTED),
        _row(State.DUPLICATE, "Duplikat", "Duplicate", _GREY, _D.REJECTED),
    )
}
#: An assignment that came from a transfer reads as JAKI's "Koordinasi".
_COORDINATING = _row(State.ASSIGNED, "Koordinasi", "Coordinating", _YELLOW, _D.IN_PROCESS)


def present(state: State | str, last_trigger: str | None = None) -> StatePresentation:
    """The outside view of ``state`` (``last_trigger`` tells a transfer's assignment apart)."""
    current = State(state)
    if current is State.ASSIGNED and last_trigger == Trigger.TRANSFER:
        return _COORDINATING
    return PRESENTATION[current]


class UpdateStatus(StrEnum):
    """The extended statuses FixMyStreet's Open311 client reads from ``servicerequestupdates``."""

    OPEN = "open"
    INVESTIGATING = "investigating"
    ACTION_SCHEDULED = "action_scheduled"
    IN_PROGRESS = "in_progress"
    INTERNAL_REFERRAL = "internal_referral"
    FIXED = "fixed"
    CLOSED = "closed"
    REOPEN = "reopen"
    DUPLICATE = "duplicate"
    NO_FURTHER_ACTION = "no_further_action"


_BY_TRIGGER = {
    Trigger.SUBMIT: UpdateStatus.OPEN,
    Trigger.VERIFY: UpdateStatus.INVESTIGATING,
    Trigger.ASSIGN: UpdateStatus.ACTION_SCHEDULED,
    Trigger.TRANSFER: UpdateStatus.INTERNAL_REFERRAL,
    Trigger.START: UpdateStatus.IN_PROGRESS,
    Trigger.HOLD: UpdateStatus.ACTION_SCHEDULED,
    Trigger.RESOLVE: UpdateStatus.FIXED,
    Trigger.REOPEN: UpdateStatus.REOPEN,
    Trigger.REINSTATE: UpdateStatus.OPEN,
    Trigger.CLOSE: UpdateStatus.CLOSED,
    Trigger.REJECT: UpdateStatus.NO_FURTHER_ACTION,
    Trigger.MARK_DUPLICATE: UpdateStatus.DUPLICATE,
}
_BY_STATE = {
    State.SUBMITTED: UpdateStatus.OPEN,
    State.VERIFIED: UpdateStatus.INVESTIGATING,
    State.ASSIGNED: UpdateStatus.ACTION_SCHEDULED,
    State.IN_PROGRESS: UpdateStatus.IN_PROGRESS,
    State.ON_HOLD: UpdateStatus.ACTION_SCHEDULED,
    State.RESOLVED: UpdateStatus.FIXED,
    State.CLOSED: UpdateStatus.CLOSED,
    State.REJECTED: UpdateStatus.NO_FURTHER_ACTION,
    State.DUPLICATE: UpdateStatus.DUPLICATE,
}


def update_status(trigger: str, to_state: str) -> UpdateStatus:
    """What an event reads as in the FixMyStreet updates feed; events that keep the state
    (a comment, an update) read as the state they leave the ticket in, and so does a
    ``resume``: it lands where the hold came from (assigned or in progress)."""
    try:
        return _BY_TRIGGER[Trigger(trigger)]
    except (ValueError, KeyError):
        return _BY_STATE[State(to_state)]
