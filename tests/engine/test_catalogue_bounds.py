"""Every number and yes-or-no the catalogue takes is of its type and in bounds at load, refused
in one line naming the key path and line: a target, a ladder percent, a calendar's hours and
dates, a question's bounds, the file's version. Nothing accepted overflows a deadline later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.catalogue import parse_catalogue
from engine.errors import CatalogueError
from engine.questions import QuestionSpec, describe_answers

SHIPPED = (Path(__file__).resolve().parents[2] / "catalogue" / "jakarta.yaml").read_text()
SPEC = parse_catalogue(SHIPPED)
LAST_POLICY = len(SPEC.policies) - 1
FLOOD = next(i for i, c in enumerate(SPEC.categories) if c.code == "flood")
TARGETS = "resolve: 5d, accept: 1d"
OFFICE_MON = 'mon: ["07:30-12:00", "13:00-16:00"]'


def refusal(old: str, new: str) -> str:
    """The one line loading the shipped file with ``old`` replaced by ``new`` gives, with its
    line number replaced by ``{line}``."""
    assert SHIPPED.count(old) == 1, old
    text = SHIPPED.replace(old, new)
    with pytest.raises(CatalogueError) as raised:
        parse_catalogue(text, source="jakarta.yaml")
    message = raised.value.message
    assert "\n" not in message, message
    changed = next(r for r, was in zip(new.splitlines(), old.splitlines(), strict=True) if r != was)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if changed in row)
    return message.replace(f"jakarta.yaml:{line}: ", "jakarta.yaml:{line}: ")


P = f"jakarta.yaml:{{line}}: policies[{LAST_POLICY}].targets.resolve: "
TOO_LONG = " is too long: a target counts at most 1000 working days (1000d) and 10000 hours of business time (10000h)"  # noqa: E501


@pytest.mark.parametrize(
    ("resolve", "message"),
    [
        ("3000000d", P + "3000000d" + TOO_LONG),
        ("999999999999h", P + "999999999999h" + TOO_LONG),
        ("1001d", P + "1001d" + TOO_LONG),
        ("10001h", P + "10001h" + TOO_LONG),
        # In bounds of the syntax, but years of the office calendar's working week.
        ("1000d", P + "1000d takes about 3.8 years of calendar office's working week; "
         "a target may take at most 3 years"),
        ("9000h", P + "9000h takes about 4.6 years of calendar office's working week; "
         "a target may take at most 3 years"),
        ("90", P + "90 has no unit: write 90m for minutes, 90h for business hours or 90d for "
         "working days"),
        ("'90'", P + "90 has no unit: write 90m for minutes, 90h for business hours or 90d for "
         "working days"),
        ("5 days", P + "invalid duration 5 days: give days, hours and minutes, each with its "
         'unit, in that order: "30m", "4h", "1h30m", "3d" or "1d4h"'),
        ("true", P + "give a duration such as 30m, 4h, 1h30m, 3d or 1d4h, not true"),
    ],
)  # fmt: skip
def test_a_target_out_of_bounds_or_without_unit_is_refused_at_load(
    resolve: str, message: str
) -> None:
    assert refusal(TARGETS, f"resolve: {resolve}, accept: 1d") == message


def test_the_longest_target_accepted_keeps_every_ladder_level_inside_datetime() -> None:
    """The bounds' point: what loads, computes. 3000000d used to load and overflow later."""
    spec = parse_catalogue(SHIPPED.replace(TARGETS, "resolve: 700d, accept: 1d"))
    from engine.policies import build_policy_book

    book = build_policy_book(
        {c.code: c.model_dump(mode="json") for c in spec.calendars},
        {lad.code: lad.model_dump(mode="json") for lad in spec.ladders},
        [p.model_dump(mode="json") for p in spec.policies],
    )
    policy = book.policies[LAST_POLICY]
    start = datetime(2099, 12, 31, 3, tzinfo=UTC)
    due = policy.targets["resolve"].deadline(policy.calendar, start)  # type: ignore[union-attr]
    assert due - start < timedelta(days=3 * 366)


C = "jakarta.yaml:{line}: calendars[0]."


@pytest.mark.parametrize(
    ("mon", "message"),
    [
        ('["07:30-12:00", "11:00-16:00"]', C + "hours.mon: 07:30-12:00 and 11:00-16:00 overlap "
         "or are out of order: list a day's spans in order, each starting at or after the end "
         "of the one before"),
        ('["13:00-16:00", "07:30-12:00"]', C + "hours.mon: 13:00-16:00 and 07:30-12:00 overlap "
         "or are out of order: list a day's spans in order, each starting at or after the end "
         "of the one before"),
        ('["07:30-12:00", "13:00-25:00"]', C + "hours.mon[1]: 13:00-25:00: 25:00 is no time of "
         "day (00:00 to 23:59; end at midnight with 00:00)"),
        ('["07:30-12:00", "13:00-16:60"]', C + "hours.mon[1]: 13:00-16:60: 16:60 is no time of "
         "day (00:00 to 23:59; end at midnight with 00:00)"),
        ('["16:00-07:30"]', C + "hours.mon[0]: 16:00-07:30 ends before it starts (00:00 ends "
         "at midnight)"),
        ('["7:30-12:00"]', C + "hours.mon[0]: '7:30-12:00' is not a span like 08:00-16:00"),
        ("[730]", C + "hours.mon[0]: 730 is not a span like 08:00-16:00"),
    ],
)  # fmt: skip
def test_calendar_hours_are_refused_by_day_in_readable_times(mon: str, message: str) -> None:
    assert refusal(OFFICE_MON, f"mon: {mon}") == message


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        ("[9999-12-31]", "9999-12-31 is not between 2000-01-01 and 2099-12-31"),
        ("[20240101]", "20240101 is not a date like 2024-12-25"),
        ("['2024-02-30']", "2024-02-30 is not a date"),
    ],
)
def test_calendar_dates_are_dates_of_this_century(dates: str, message: str) -> None:
    old = "closed_dates: []\n    open_dates: []\n  # Field"
    new = f"closed_dates: {dates}\n    open_dates: []\n  # Field"
    assert refusal(old, new) == C + "closed_dates[0]: " + message


def test_a_question_bound_past_a_billion_is_refused_in_plain_digits() -> None:
    assert refusal("max: 1000", "max: " + "1" + "0" * 40) == (
        f"jakarta.yaml:{{line}}: categories[{FLOOD}].questions[0].max: a question's max must "
        "lie between -1,000,000,000 and 1,000,000,000"
    )
    assert refusal("min: 0 ", "min: -1000000001 ") == (
        f"jakarta.yaml:{{line}}: categories[{FLOOD}].questions[0].min: a question's min must "
        "lie between -1,000,000,000 and 1,000,000,000"
    )


def test_a_number_answer_is_shown_in_full_digits() -> None:
    question = QuestionSpec.model_validate(SPEC.categories[FLOOD].questions[0].model_dump())
    shown = describe_answers([question], {"water_depth": 1_500_000.0, "other": "x"})
    assert shown[0].text_en == "1500000"
    assert describe_answers([question], {"water_depth": 0.00001})[0].text_id == "0.00001"
    assert describe_answers([question], {"water_depth": 2.5})[0].text_id == "2.5"


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        ("agency: DISHUB\n    default_priority: normal\n    photo_on_submit: false",
         "agency: DISHUB\n    default_priority: normal\n    photo_on_submit: 1",
         "categories[0].photo_on_submit",
         "give true or false, not 1"),
        ("version: 1", "version: true", "version",
         "true is no catalogue version this Tanggap reads; write 1"),
        ("version: 1", 'version: "1"', "version",
         "'1' is no catalogue version this Tanggap reads; write 1"),
        ("version: 1", "version: 2", "version",
         "2 is no catalogue version this Tanggap reads; write 1"),
        ("percent: 300", "percent: true", "ladders[0].levels[4].percent",
         "give a whole number above 0 and at most 1,000, not true"),
        ("percent: 300", "percent: 1001", "ladders[0].levels[4].percent",
         "give a whole number above 0 and at most 1,000, not 1001"),
        ("percent: 300", "percent: 300.0", "ladders[0].levels[4].percent",
         "give a whole number above 0 and at most 1,000, not 300.0"),
        ("always_open: true", "always_open: 1", "calendars[2].always_open",
         "give true or false, not 1"),
        ("order: 1\n        description: {id: \"Kedalaman",
         "order: true\n        description: {id: \"Kedalaman",
         f"categories[{FLOOD}].questions[0].order",
         "give a whole number between 1 and 1,000, not true"),
        ("max: 1000", "max: '1000'", f"categories[{FLOOD}].questions[0].max",
         "give a number between -1,000,000,000 and 1,000,000,000, not '1000' (YAML reads it as "
         "text: write plain digits such as 1000 or 1.5)"),
        ("max: 1000", "max: true", f"categories[{FLOOD}].questions[0].max",
         "give a number between -1,000,000,000 and 1,000,000,000, not true"),
    ],
)  # fmt: skip
def test_a_yes_or_no_is_a_boolean_and_a_number_a_number(
    old: str, new: str, path: str, message: str
) -> None:
    assert refusal(old, new) == f"jakarta.yaml:{{line}}: {path}: {message}"
