"""What a staff page offers on a ticket: the action buttons (what the state allows and the
key's role may fire, with what each asks for), category names in the page's words, and spans of
time as people say them. Shared by the worklist, the ticket page and the dashboard."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy.orm import Session

from api.web.i18n import Translator
from engine import Trigger, list_services
from engine.lifecycle import RULES_BY_TRIGGER, STAFF_ROLES, USER_TRIGGERS

#: What each button asks for before it fires, beyond the version (see engine/actions.py).
INPUTS: dict[Trigger, tuple[str, ...]] = {
    Trigger.VERIFY: (),
    Trigger.REJECT: ("note",),
    Trigger.MARK_DUPLICATE: ("duplicate_of", "note"),
    Trigger.ASSIGN: ("officer",),
    Trigger.REASSIGN: ("officer",),
    Trigger.TRANSFER: ("agency", "note"),
    Trigger.START: (),
    Trigger.HOLD: ("note",),
    Trigger.RESUME: ("note",),
    Trigger.RESOLVE: ("note", "photos"),
    Trigger.REOPEN: ("note",),
    Trigger.REINSTATE: ("note",),
    Trigger.CLOSE: (),
    Trigger.UPDATE: ("priority", "note"),
    Trigger.COMMENT: ("note",),
    Trigger.UNPUBLISH: ("note",),
    Trigger.REPUBLISH: ("note",),
    Trigger.REDACT: ("note", "description", "hide_photos", "show_photos"),
}
#: Every trigger a staff role may fire (``rate`` is the citizen's alone): the pages offer each
#: one ``engine.keys.may_fire`` allows, as the API's ``allowed_actions`` lists it, and never
#: pick their own subset (the worklist lists open tickets, so it never meets ``reopen``).
OFFERED = tuple(t for t in USER_TRIGGERS if RULES_BY_TRIGGER[t].roles & STAFF_ROLES)
#: Offered on the ticket page only: what the public may read is decided with the whole report
#: and its photos in view, not from a card of the worklist.
TICKET_PAGE_ONLY = frozenset({Trigger.UNPUBLISH, Trigger.REPUBLISH, Trigger.REDACT})


@dataclass(frozen=True)
class Done:
    """The notice a page shows after an act (``/staff?done=CODE&did=verify``): the redirect
    after the act names both; each is declared here so that a repeated one is refused
    (``api.query.one_value_each``) rather than read as its last value."""

    code: str | None = None
    trigger: str | None = None

    def of(self, code: str | None = None) -> str | None:
        """The ticket the notice is about (of ``code`` only, when given), when it names a
        trigger the pages offer."""
        if not self.code or self.trigger not in {t.value for t in OFFERED}:
            return None
        return self.code if code is None or self.code == code else None


def _done(
    done: Annotated[str | None, Query(include_in_schema=False)] = None,
    did: Annotated[str | None, Query(include_in_schema=False)] = None,
) -> Done:
    return Done(done, did)


DoneDep = Annotated[Done, Depends(_done)]
#: No act just done (a page answering a form).
NO_NOTICE = Done()


@dataclass(frozen=True)
class Action:
    trigger: Trigger
    inputs: tuple[str, ...]
    reason_required: bool


#: How much of a dispute's reason a worklist card shows; the ticket page shows it whole.
REASON_CHARS = 140
#: How much of a report's description a worklist card shows (one long report must not flood
#: the list); the ticket page shows it whole.
DESCRIPTION_CHARS = 280


def shorten(text: str, limit: int = REASON_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def duration_words(t: Translator, delta: timedelta) -> str:
    """A span as people say it: "3 h 10 min", "2 d 4 h", "5 min"."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if not minutes and delta:  # "under 1 min late", not "0 min late"
        return t("staff.under_a_minute")
    if days:
        return t("staff.days_hours", d=days, h=hours)
    if hours:
        return t("staff.hours_minutes", h=hours, m=mins)
    return t("staff.minutes", m=mins)


def working_time_words(t: Translator, delta: timedelta) -> str:
    """An SLA target, which counts working time: in hours and minutes, never in days ("37 h
    30 min", not "1 d 13 h": a day of a 7.5-hour office calendar is not 24 hours)."""
    minutes = int(abs(delta).total_seconds() // 60)
    hours, mins = minutes // 60, minutes % 60
    if not minutes and delta:
        return t("staff.under_a_minute")
    if not hours:
        return t("staff.minutes", m=mins)
    if not mins:
        return t("staff.hours", h=f"{hours:,}")
    return t("staff.hours_minutes", h=f"{hours:,}", m=mins)


def time_left(t: Translator, now: datetime) -> Callable[[datetime], str]:
    """``left(due)``: "3 h 10 min left" or "20 min late"."""

    def left(due: datetime) -> str:
        words = duration_words(t, due - now)
        return t("staff.left", time=words) if due >= now else t("staff.late", time=words)

    return left


def offered(allowed: list[Trigger], *, ticket_page: bool = False) -> list[Action]:
    """The buttons for ``allowed`` triggers (what the key may fire: ``engine.keys.may_fire``)
    this page offers (the ticket page: ``TICKET_PAGE_ONLY`` too)."""
    return [
        Action(t, INPUTS[t], RULES_BY_TRIGGER[t].reason_required)
        for t in allowed
        if t in OFFERED and (ticket_page or t not in TICKET_PAGE_ONLY)
    ]


@dataclass(frozen=True)
class Categories:
    """Category names in the page's language and which categories need a proof photo."""

    names: dict[str, tuple[str, str]]
    proof: frozenset[str]

    def namer(self, t: Translator) -> Callable[[str], str]:
        return lambda code: t.pick(*self.names[code]) if code in self.names else code


def categories(session: Session) -> Categories:
    services = list_services(session)
    return Categories(
        {s.code: (s.name_id, s.name_en) for s in services},
        frozenset(s.code for s in services if s.photo_on_resolve),
    )
