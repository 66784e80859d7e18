"""SLA policies: which calendar, targets and escalation ladder apply to a ticket.

A policy is chosen by the ticket's category and priority; the first policy that matches wins,
so specific policies go first and a default (matching anything) goes last.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from types import MappingProxyType

from sla.calendar import BusinessCalendar
from sla.target import Target

__all__ = [
    "AreaLevel",
    "Ladder",
    "Level",
    "Policy",
    "Recipient",
    "RecipientKind",
    "TimerKind",
    "Weekday",
    "as_words",
    "choose_policy",
]


class TimerKind(StrEnum):
    VERIFY = "verify"  # while submitted
    ASSIGN = "assign"  # while verified
    START = "start"  # while assigned
    RESOLVE = "resolve"  # from submission to resolved; a reopen starts a new cycle
    ACCEPT = "accept"  # after a transfer, until the receiving agency accepts


#: Timers in the order the work happens (a transfer's "accept" comes before work starts): how
#: the staff page, the dashboard and the daily digest list them.
WORK_ORDER = (
    TimerKind.VERIFY,
    TimerKind.ASSIGN,
    TimerKind.ACCEPT,
    TimerKind.START,
    TimerKind.RESOLVE,
)


class Weekday(StrEnum):
    """Weekdays as the catalogue names them, Monday first (``list(Weekday).index`` is
    ``date.weekday()``)."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


class AreaLevel(StrEnum):
    """Levels of the territorial hierarchy, from the top (DKI Jakarta: provinsi → kota/kab. →
    kecamatan → kelurahan). The catalogue, the area import and the ladders all use these."""

    PROVINCE = "province"
    KOTA = "kota"
    KECAMATAN = "kecamatan"
    KELURAHAN = "kelurahan"

    @property
    def depth(self) -> int:
        return list(AreaLevel).index(self)


class RecipientKind(StrEnum):
    ASSIGNED_OFFICER = "assigned_officer"
    AGENCY_QUEUE = "agency_queue"
    AGENCY_HEAD = "agency_head"
    AREA_OFFICE = "area_office"
    GOVERNOR_OFFICE = "governor_office"


@dataclass(frozen=True)
class Recipient:
    """Who an escalation level notifies, resolved against the ticket's agency and area.

    An area office needs the level of the area hierarchy ("kelurahan", "kecamatan", "kota")
    that should hear of it; no other kind takes one.
    """

    kind: RecipientKind
    area_level: AreaLevel | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", RecipientKind(self.kind))
        if self.kind is RecipientKind.AREA_OFFICE:
            if not self.area_level:
                raise ValueError("an area_office recipient needs an area_level, e.g. 'kecamatan'")
            object.__setattr__(self, "area_level", AreaLevel(self.area_level))
        elif self.area_level is not None:
            raise ValueError(f"{self.kind} recipients take no area_level, got {self.area_level!r}")


@dataclass(frozen=True)
class Level:
    """An escalation step at `percent` of a timer's target (100 = the deadline).

    `key` is the level's stable identity in the escalation ledger (default: its name). Renaming
    a level (`name`) or moving its percent keeps the key, so nothing recorded is sent again.
    """

    name: str
    percent: int
    notify: tuple[Recipient, ...] = ()
    key: str = ""
    #: How mail and pages word the level, in Indonesian and in English; empty: the name as
    #: words (``words``). Presentation only: not part of the level's identity or equality.
    name_id: str = field(default="", compare=False)
    name_en: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "notify", tuple(self.notify))
        if not self.name:
            raise ValueError("level name must not be empty")
        if not self.key:
            object.__setattr__(self, "key", self.name)
        # bool is an int; a percent of True is a config slip, not 1 %.
        if isinstance(self.percent, bool) or not isinstance(self.percent, int):
            raise ValueError(f"level percent must be an int, got {self.percent!r}")
        if self.percent <= 0:
            raise ValueError(f"level percent must be positive, got {self.percent}")

    def words(self, language: str) -> str:
        """The level as a reader sees it: ``name_id`` for ``"id"``, ``name_en`` for ``"en"``,
        else (or when that one is empty) the name as words ("kota_governor" → "Kota governor")."""
        given = {"id": self.name_id, "en": self.name_en}.get(language, "")
        return given or as_words(self.name)


def as_words(name: str) -> str:
    """A level's name (a catalogue identifier such as ``kota_governor``) as readable words:
    underscores and hyphens become spaces, the first letter a capital. Never empty for a
    non-empty name."""
    words = " ".join(name.replace("_", " ").replace("-", " ").split())
    return words[:1].upper() + words[1:] if words else name


@dataclass(frozen=True)
class Ladder:
    """Escalation levels in strictly increasing percent order, with distinct keys.

    Keys identify levels in the escalation ledger (ticket, timer, cycle, level), hence distinct.
    """

    levels: tuple[Level, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", tuple(self.levels))
        for lower, higher in itertools.pairwise(self.levels):
            if higher.percent <= lower.percent:
                raise ValueError(
                    f"ladder levels must be sorted by strictly increasing percent: "
                    f"{lower.name} at {lower.percent} % then {higher.name} at {higher.percent} %"
                )
        keys = [level.key for level in self.levels]
        if len(set(keys)) != len(keys):
            raise ValueError(f"ladder level keys must be distinct: {keys}")


@dataclass(frozen=True)
class Policy:
    """Targets and escalation for tickets of some categories and priorities.

    An empty `categories` or `priorities` matches any value; a policy with both empty is a
    default. Timers without a target are not run under this policy. A target given as a
    `timedelta` is business time.
    """

    code: str
    calendar: BusinessCalendar
    targets: Mapping[TimerKind, Target | timedelta]
    ladder: Ladder = field(default_factory=Ladder)
    categories: frozenset[str] = frozenset()
    priorities: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.code:
            raise ValueError("policy code must not be empty")
        targets: dict[TimerKind, Target] = {}
        for kind, target in self.targets.items():
            if isinstance(target, timedelta):
                if target <= timedelta(0):
                    raise ValueError(
                        f"policy {self.code}: {kind} target must be positive, got {target}"
                    )
                target = Target(business=target)
            targets[TimerKind(kind)] = target
        object.__setattr__(self, "targets", MappingProxyType(targets))
        object.__setattr__(self, "categories", frozenset(self.categories))
        object.__setattr__(self, "priorities", frozenset(self.priorities))

    def target(self, kind: TimerKind) -> Target | None:
        found = self.targets.get(kind)
        assert found is None or isinstance(found, Target)  # normalised in __post_init__
        return found

    @property
    def is_default(self) -> bool:
        return not self.categories and not self.priorities

    def matches(self, category: str, priority: str) -> bool:
        return (not self.categories or category in self.categories) and (
            not self.priorities or priority in self.priorities
        )


def choose_policy(policies: Sequence[Policy], category: str, priority: str) -> Policy:
    """The first policy matching `category` and `priority`; LookupError if none does."""
    for policy in policies:
        if policy.matches(category, priority):
            return policy
    raise LookupError(
        f"no SLA policy matches category {category!r} and priority {priority!r}; "
        f"add a default policy (no categories, no priorities) last"
    )
