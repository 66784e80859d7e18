from datetime import time, timedelta

import pytest

from sla import (
    BusinessCalendar,
    Ladder,
    Level,
    Policy,
    Recipient,
    RecipientKind,
    Span,
    Target,
    TimerKind,
    choose_policy,
    weekday_hours,
)

#: Pure code or a database of its own: the PostgreSQL pass leaves it out (tests/conftest.py).
pytestmark = pytest.mark.database_free

OFFICE = BusinessCalendar(week=weekday_hours(Span(time(8), time(16))))
ALWAYS_OPEN = BusinessCalendar(always_open=True)
LADDER = Ladder(
    (
        Level("warn", 75, (Recipient(RecipientKind.ASSIGNED_OFFICER),)),
        Level("breach", 100, (Recipient(RecipientKind.AGENCY_HEAD),)),
        Level("area", 150, (Recipient(RecipientKind.AREA_OFFICE, "kecamatan"),)),
        Level("governor", 200, (Recipient(RecipientKind.GOVERNOR_OFFICE),)),
    )
)


def policy(code: str, categories: tuple[str, ...] = (), priorities: tuple[str, ...] = ()) -> Policy:
    targets = {TimerKind.RESOLVE: timedelta(days=1)}
    return Policy(code, OFFICE, targets, LADDER, frozenset(categories), frozenset(priorities))


FLOOD_URGENT = policy("flood-urgent", ("flood",), ("urgent",))
FLOOD = policy("flood", ("flood",))
URGENT = policy("urgent", priorities=("urgent",))
DEFAULT = policy("default")
POLICIES = [FLOOD_URGENT, FLOOD, URGENT, DEFAULT]


@pytest.mark.parametrize(
    ("category", "priority", "expected"),
    [
        ("flood", "urgent", FLOOD_URGENT),
        ("flood", "low", FLOOD),
        ("pothole", "urgent", URGENT),
        ("pothole", "normal", DEFAULT),
    ],
)
def test_choose_policy_first_match_wins(category: str, priority: str, expected: Policy) -> None:
    assert choose_policy(POLICIES, category, priority) is expected


def test_choose_policy_default_listed_first_shadows_the_rest() -> None:
    assert choose_policy([DEFAULT, FLOOD_URGENT], "flood", "urgent") is DEFAULT


def test_choose_policy_no_match_raises_lookup_error() -> None:
    with pytest.raises(LookupError, match="pothole"):
        choose_policy([FLOOD_URGENT, FLOOD], "pothole", "urgent")


def test_choose_policy_empty_list_raises_lookup_error() -> None:
    with pytest.raises(LookupError):
        choose_policy([], "flood", "urgent")


def test_policy_is_default_only_without_categories_and_priorities() -> None:
    assert DEFAULT.is_default
    assert not FLOOD.is_default
    assert not URGENT.is_default


def test_policy_string_timer_keys_become_timer_kinds() -> None:
    made = Policy("p", ALWAYS_OPEN, {"verify": timedelta(hours=1)}, LADDER)  # type: ignore[dict-item]
    assert made.targets == {TimerKind.VERIFY: Target(business=timedelta(hours=1))}
    assert TimerKind.VERIFY in made.targets


def test_policy_targets_are_read_only() -> None:
    targets = {TimerKind.VERIFY: timedelta(hours=1)}
    made = Policy("p", OFFICE, targets, LADDER)
    targets[TimerKind.ASSIGN] = timedelta(hours=2)
    assert TimerKind.ASSIGN not in made.targets
    with pytest.raises(TypeError):
        made.targets[TimerKind.ASSIGN] = timedelta(hours=2)  # type: ignore[index]


@pytest.mark.parametrize("target", [timedelta(0), timedelta(minutes=-5)])
def test_policy_non_positive_target_raises(target: timedelta) -> None:
    with pytest.raises(ValueError, match="positive"):
        Policy("p", OFFICE, {TimerKind.RESOLVE: target}, LADDER)


def test_policy_unknown_timer_kind_raises() -> None:
    with pytest.raises(ValueError, match="snooze"):
        Policy("p", OFFICE, {"snooze": timedelta(hours=1)}, LADDER)  # type: ignore[dict-item]


def test_policy_empty_code_raises() -> None:
    with pytest.raises(ValueError, match="code"):
        Policy("", OFFICE, {}, LADDER)


def test_timer_kind_values_are_lowercase_names() -> None:
    assert [kind.value for kind in TimerKind] == ["verify", "assign", "start", "resolve", "accept"]


def test_recipient_area_office_without_level_raises() -> None:
    with pytest.raises(ValueError, match="area_level"):
        Recipient(RecipientKind.AREA_OFFICE)


@pytest.mark.parametrize(
    "kind", [kind for kind in RecipientKind if kind is not RecipientKind.AREA_OFFICE]
)
def test_recipient_area_level_on_other_kind_raises(kind: RecipientKind) -> None:
    with pytest.raises(ValueError, match="no area_level"):
        Recipient(kind, "kota")


def test_recipient_string_kind_becomes_enum() -> None:
    assert Recipient("agency_head").kind is RecipientKind.AGENCY_HEAD  # type: ignore[arg-type]


@pytest.mark.parametrize("percent", [0, -25])
def test_level_non_positive_percent_raises(percent: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        Level("warn", percent, ())


@pytest.mark.parametrize("percent", [True, 75.0, "75"])
def test_level_non_int_percent_raises(percent: object) -> None:
    with pytest.raises(ValueError, match="int"):
        Level("warn", percent, ())  # type: ignore[arg-type]


@pytest.mark.parametrize("percents", [(100, 75), (75, 75), (75, 150, 100)])
def test_ladder_unsorted_percents_raise(percents: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="strictly increasing"):
        Ladder(tuple(Level(f"level-{i}", p, ()) for i, p in enumerate(percents)))


def test_ladder_duplicate_names_raise() -> None:
    with pytest.raises(ValueError, match="distinct"):
        Ladder((Level("warn", 75, ()), Level("warn", 100, ())))


def test_ladder_empty_is_allowed() -> None:
    assert Ladder(()).levels == ()
