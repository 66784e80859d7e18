"""Category questions (Open311 attributes): declared in the catalogue and checked whole when it
loads; answers checked before anything is written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.catalogue import parse_catalogue
from engine.errors import CatalogueError, RuleViolated
from engine.questions import check_answers, describe_answers, questions_of
from tests.engine.test_catalogue import SPEC, edit, line_of

FLOOD = next(c for c in SPEC.categories if c.code == "flood")
ROAD = next(c for c in SPEC.categories if c.code == "broken_road")
FLOOD_AT = next(i for i, c in enumerate(SPEC.categories) if c.code == "flood")

DEPTH = """      - code: water_depth
        datatype: number
        order: 1
        description: {id: "Kedalaman air", en: "Water depth"}
"""


def test_shipped_catalogue_asks_flood_depth_and_road_hole_size() -> None:
    assert [(q.code, q.datatype.value, q.required) for q in FLOOD.questions] == [
        ("water_depth", "number", False),
        ("water_trend", "singlevaluelist", False),
        ("since", "datetime", False),
    ]
    assert [v.key for v in ROAD.questions[0].values] == ["small", "medium", "large"]
    assert ROAD.questions[1].datatype.value == "multivaluelist"


BAD_QUESTIONS = {
    # name: (replacement of DEPTH, text on the line named, words of the message)
    "list_without_values": (
        DEPTH.replace("number", "singlevaluelist"),
        "- code: water_depth",
        "a singlevaluelist question needs values",
    ),
    "unknown_datatype": (
        DEPTH.replace("number", "integer"),
        "datatype: integer",
        "datatype: give one of string, number, datetime, text, singlevaluelist, multivaluelist, "
        "not 'integer'",
    ),
    "bad_code": (
        DEPTH.replace("water_depth", "water depth"),
        "code: water depth",
        "valid question",
    ),
    "photo_attribute_code": (
        DEPTH.replace("water_depth", "Media"),
        "code: Media",
        "'Media' is not a valid question code: Open311 service definitions use it",
    ),
    "duplicate_code": (
        DEPTH.replace("order: 1", "order: 9") + DEPTH.replace("order: 1", "order: 8"),
        None,
        "duplicate question code 'water_depth'",
    ),
    "duplicate_order": (
        DEPTH.replace("water_depth", "depth_two").replace("order: 1", "order: 2"),
        None,
        "another question has order 2",
    ),
    "control_character": (
        DEPTH.replace('"Kedalaman air"', '"Kedalaman\\u001b[31m"'),
        None,
        "control character U+001B",
    ),
    "noncharacter": (
        DEPTH.replace('"Kedalaman air"', '"Kedalaman\\uffff"'),
        None,
        "U+FFFF at character 10, a Unicode noncharacter",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_QUESTIONS))
def test_catalogue_with_a_bad_question_is_refused_naming_key_and_line(case: str) -> None:
    new, line_text, words = BAD_QUESTIONS[case]
    text = edit(DEPTH, new)

    with pytest.raises(CatalogueError) as raised:
        parse_catalogue(text, source="jakarta.yaml")

    message = raised.value.message
    assert f"categories[{FLOOD_AT}].questions[" in message
    assert words in message
    if line_text:
        assert f"jakarta.yaml:{line_of(text, line_text)}: " in message


SHIPPED_BOUNDS = "        max: 1000\n"


@pytest.mark.parametrize(
    ("bounds", "words"),
    [
        ("        max: -5\n", "min (0) is larger than max (-5)"),
        ("        max: .inf\n", "give a number between -1,000,000,000 and 1,000,000,000, not .inf"),
        ("        max: .nan\n", "give a number between -1,000,000,000 and 1,000,000,000, not .nan"),
    ],
)
def test_catalogue_with_bad_number_bounds_is_refused(bounds: str, words: str) -> None:
    text = edit(SHIPPED_BOUNDS, bounds)

    with pytest.raises(CatalogueError) as raised:
        parse_catalogue(text, source="jakarta.yaml")
    assert f"categories[{FLOOD_AT}].questions[0]" in raised.value.message
    assert words in raised.value.message


def test_bounds_on_a_list_question_are_refused() -> None:
    # the shipped depth question, made a list: its min and max no longer mean anything
    listed = DEPTH.replace("number", "singlevaluelist")
    text = edit(DEPTH, listed + "        values: [{key: a, name: {id: A, en: A}}]\n")
    with pytest.raises(CatalogueError, match="a singlevaluelist question has no min or max"):
        parse_catalogue(text)


def test_values_on_a_number_question_are_refused() -> None:
    text = edit(
        DEPTH,
        DEPTH + "        values: [{key: a, name: {id: A, en: A}}]\n",
    )
    with pytest.raises(CatalogueError, match="a number question has no values"):
        parse_catalogue(text)


#: When the answers are checked: a datetime answer may not lie (much) after it.
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
QUESTIONS = questions_of([q.model_dump(mode="json") for q in [*FLOOD.questions, *ROAD.questions]])


@pytest.mark.parametrize(
    ("answers", "stored"),
    [
        ({}, {}),
        ({"water_depth": " 40 "}, {"water_depth": 40.0}),
        ({"water_trend": "rising"}, {"water_trend": "rising"}),
        ({"since": "2026-11-30T06:00:00+07:00"}, {"since": "2026-11-29T23:00:00+00:00"}),
        ({"hazards": ["near_school", "motorbikes_fall", "near_school"]},
         {"hazards": ["near_school", "motorbikes_fall"]}),
        ({"hazards": "water_filled"}, {"hazards": ["water_filled"]}),
        ({"water_depth": "", "hole_size": "large"}, {"hole_size": "large"}),
    ],
)  # fmt: skip
def test_check_answers_stores_normalised_values(
    answers: dict[str, str | list[str]], stored: dict[str, object]
) -> None:
    assert check_answers(QUESTIONS, answers, now=NOW) == stored


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"water_depth": "deep"}, "answer to 'water_depth' must be a number"),
        (
            {"water_depth": "nan"},
            "answer to 'water_depth' is not a number; give a number between 0 and 1,000",
        ),
        ({"water_depth": ["1", "2"]}, "answer to 'water_depth' takes one value"),
        ({"water_trend": "flying"}, "must be one of rising, steady, receding"),
        (
            {"hazards": ["near_school", "lava"]},
            "must be among motorbikes_fall, water_filled, near_school",
        ),
        ({"since": "yesterday"}, "answer to 'since' must be a date and time"),
        ({"since": "2026-11-30T06:00:00"}, "needs a time zone offset"),
        ({"since": "0001-01-01T00:00:00+07:00"}, "'since' must lie between 1970-01-01 and"),
        ({"since": "9999-12-31T23:59:59-07:00"}, "'since' must lie between 1970-01-01 and"),
        ({"colour": "red"}, "no question 'colour' for this category"),
    ],
)
def test_check_answers_refuses_naming_the_question(
    answers: dict[str, str | list[str]], message: str
) -> None:
    with pytest.raises(RuleViolated, match=message.replace("(", r"\(")):
        check_answers(QUESTIONS, answers, now=NOW)


#: A text and a string question beside the catalogue's (the Jakarta catalogue asks none).
WORDED = questions_of(
    [
        {"code": "landmark", "datatype": "string", "order": 1,
         "description": {"id": "Patokan", "en": "Landmark"}},
        {"code": "story", "datatype": "text", "order": 2,
         "description": {"id": "Cerita", "en": "Story"}},
    ]
)  # fmt: skip


@pytest.mark.parametrize(
    ("asked", "answers"),
    [
        (QUESTIONS, {"water_depth": "deep"}),
        (QUESTIONS, {"water_depth": "5000"}),
        (QUESTIONS, {"water_trend": "flying"}),
        (QUESTIONS, {"since": "yesterday"}),
        (QUESTIONS, {"since": "2026-11-30T06:00:00"}),
        (QUESTIONS, {"since": "9999-12-01T10:00:00Z"}),  # a tester's: named "answer to 'since'"
        (QUESTIONS, {"since": "0001-01-01T00:00:00+07:00"}),
        (QUESTIONS, {"since": "2026-12-30T06:00:00+07:00"}),
        (WORDED, {"landmark": "depan\x07masjid"}),
        (WORDED, {"landmark": "x" * 5000}),
        (WORDED, {"story": "banjir\u202etinggi"}),
    ],
)
def test_every_refusal_of_an_answer_names_the_answers_field_and_its_question(
    asked: list[object], answers: dict[str, str]
) -> None:
    """A page words an answer's refusal from ``params``: the field it marks ("answers") and
    the question under it. A shared rule (text, instants) named a field no form has."""
    with pytest.raises(RuleViolated) as refused:
        check_answers(asked, answers, now=NOW)  # type: ignore[arg-type]
    (question,) = answers
    assert refused.value.params["field"] == "answers", refused.value.params
    assert refused.value.params["question"] == question
    assert f"answer to {question!r}" in refused.value.message


def test_required_question_must_be_answered() -> None:
    (depth,) = questions_of([FLOOD.questions[0].model_dump(mode="json") | {"required": True}])
    with pytest.raises(RuleViolated, match="answer to 'water_depth' is required"):
        check_answers([depth], {"water_depth": "  "}, now=NOW)


def test_describe_answers_names_list_values_in_both_languages() -> None:
    stored = check_answers(QUESTIONS, {"hazards": ["near_school"], "water_depth": "40"}, now=NOW)
    described = describe_answers(QUESTIONS, {**stored, "gone": "an old answer"})
    assert [(a.code, a.question_en, a.text_id, a.text_en) for a in described] == [
        ("water_depth", "Water depth", "40", "40"),
        ("hazards", "Hazards you can see", "Dekat sekolah", "Near a school"),
        ("gone", "gone", "an old answer", "an old answer"),
    ]


@pytest.mark.parametrize(
    ("depth", "message"),
    [
        ("-1e308", "answer to 'water_depth' must be between 0 and 1,000"),
        ("-1", "answer to 'water_depth' must be between 0 and 1,000"),
        ("1001", "answer to 'water_depth' must be between 0 and 1,000"),
        ("inf", "answer to 'water_depth' must be between 0 and 1,000"),
        ("-Infinity", "answer to 'water_depth' must be between 0 and 1,000"),
        ("1e309", "answer to 'water_depth' must be between 0 and 1,000"),
        ("NaN", "answer to 'water_depth' is not a number; give a number between 0 and 1,000"),
        ("1" * 41, "answer to 'water_depth' is not a number; give a number between 0 and 1,000"),
    ],
)
def test_number_answer_finite_within_the_question_bounds(depth: str, message: str) -> None:
    with pytest.raises(RuleViolated) as refused:
        check_answers(QUESTIONS, {"water_depth": depth}, now=NOW)
    assert refused.value.message == message
    assert refused.value.code == "invalid_answer"
    assert refused.value.params["field"] == "answers"
    assert check_answers(QUESTIONS, {"water_depth": "0"}, now=NOW) == {"water_depth": 0.0}
    assert check_answers(QUESTIONS, {"water_depth": "1000"}, now=NOW) == {"water_depth": 1000.0}


def test_number_question_without_bounds_takes_the_default_bounds() -> None:
    (depth,) = questions_of([{**FLOOD.questions[0].model_dump(mode="json"), "min": None}])
    plain = questions_of(
        [{k: v for k, v in depth.model_dump(mode="json").items() if k not in ("min", "max")}]
    )
    assert "min" not in plain[0].model_dump(mode="json")  # stored as before bounds existed
    with pytest.raises(RuleViolated) as refused:
        check_answers(plain, {"water_depth": "-1e308"}, now=NOW)
    assert refused.value.message == (
        "answer to 'water_depth' must be between -1,000,000 and 1,000,000"
    )
    assert check_answers(plain, {"water_depth": "-5"}, now=NOW) == {"water_depth": -5.0}


@pytest.mark.parametrize("depth", ["4_0", "\u0664\u0660", "\uff14\uff10", "1_000"])
def test_number_answer_text_is_plain_ascii(depth: str) -> None:
    with pytest.raises(RuleViolated) as refused:
        check_answers(QUESTIONS, {"water_depth": depth}, now=NOW)
    assert refused.value.message == "answer to 'water_depth' must be a number between 0 and 1,000"


@pytest.mark.parametrize("depth", ["40", " 40 ", ["40"], True, False, {"cm": 40}])
def test_number_answer_in_json_is_a_json_number(depth: object) -> None:
    with pytest.raises(RuleViolated) as refused:
        check_answers(QUESTIONS, {"water_depth": depth}, now=NOW, typed=True)  # type: ignore[dict-item]
    assert refused.value.message == "answer to 'water_depth' must be a number between 0 and 1,000"
    assert refused.value.params["field"] == "answers"


def test_json_numbers_and_text_answers_as_sent() -> None:
    answers = {"water_depth": 40, "water_trend": "rising", "hazards": ["near_school"]}
    assert check_answers(QUESTIONS, answers, now=NOW, typed=True) == {
        "water_depth": 40.0,
        "water_trend": "rising",
        "hazards": ["near_school"],
    }
    # A value of the wrong kind is told what the question takes (a tester's report: a single
    # choice said "must be text").
    for wrong in (True, {"a": 1}, [1]):
        with pytest.raises(RuleViolated) as refused:
            check_answers(QUESTIONS, {"water_trend": wrong}, now=NOW, typed=True)  # type: ignore[dict-item]
        assert refused.value.message.startswith("answer to 'water_trend' must be one of rising")
    with pytest.raises(RuleViolated) as refused:
        check_answers(QUESTIONS, {"hazards": True}, now=NOW, typed=True)
    assert (
        refused.value.message
        == "answer to 'hazards' must be among motorbikes_fall, water_filled, near_school"
    )


def test_a_json_null_answer_is_no_answer_and_minus_zero_is_zero() -> None:
    """A tester's report: ``"water_depth": null`` was refused as "answers[water_depth] must be
    text", and ``-0.0`` was stored as -0.0."""
    answers = {"water_depth": None, "water_trend": None, "hazards": None}
    assert check_answers(QUESTIONS, answers, now=NOW, typed=True) == {}  # type: ignore[arg-type]
    assert check_answers(QUESTIONS, {"water_depth": -0.0}, now=NOW, typed=True) == {
        "water_depth": 0.0
    }
    (stored,) = check_answers(QUESTIONS, {"water_depth": -0.0}, now=NOW, typed=True).values()
    assert str(stored) == "0.0"


@pytest.mark.parametrize(
    ("since", "taken"),
    [
        ("2026-11-30T15:59:00+07:00", True),  # a minute ago
        ("2026-11-30T08:59:00+00:00", True),  # a clock a little ahead
        ("2026-11-30T09:01:00+00:00", False),
        ("2999-11-30T00:00:00+07:00", False),
    ],
)
def test_datetime_answer_never_lies_in_the_future(since: str, taken: bool) -> None:
    if taken:
        assert check_answers(QUESTIONS, {"since": since}, now=NOW)["since"]
        return
    with pytest.raises(RuleViolated) as refused:
        check_answers(QUESTIONS, {"since": since}, now=NOW)
    assert refused.value.message == "answer to 'since' lies in the future: give when it happened"
    assert refused.value.code == "answer_in_future"


@pytest.mark.parametrize("given", [{"key": "rising"}, [1, 2], [{"a": 1}]])
def test_an_object_or_non_text_list_for_a_list_question_is_told_its_values(given: object) -> None:
    """An object's keys were read as the answer's values ({"key": "rising"} as ["key"])."""
    with pytest.raises(RuleViolated) as refused:
        check_answers(QUESTIONS, {"water_trend": given}, now=NOW, typed=True)
    assert (
        refused.value.message == "answer to 'water_trend' must be one of rising, steady, receding"
    )
    assert refused.value.params == {"field": "answers", "question": "water_trend"}


@pytest.mark.parametrize("depth", ["1.000", "1.500", "12.500.000", "-1.000"])
def test_number_answer_with_a_thousands_dot_is_refused_not_read_as_a_fraction(depth: str) -> None:
    # A tester's report: the page's Indonesian hint reads "0 sampai 1.000"; a citizen who wrote
    # a thousand that way had 1 cm stored.
    with pytest.raises(RuleViolated) as refused:
        check_answers(QUESTIONS, {"water_depth": depth}, now=NOW)
    assert refused.value.message.startswith(
        "answer to 'water_depth' could be read two ways: write a thousand as 1000"
    )
    assert refused.value.params["field"] == "answers"


@pytest.mark.parametrize(("depth", "stored"), [("1.5", 1.5), ("1000", 1000.0), ("-0", 0.0)])
def test_number_answer_plain_forms_are_read(depth: str, stored: float) -> None:
    answers = check_answers(QUESTIONS, {"water_depth": depth}, now=NOW)
    assert answers == {"water_depth": stored}
    assert str(answers["water_depth"]) == str(stored)  # -0 is stored as 0.0, not -0.0
