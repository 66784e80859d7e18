"""Category questions: what a category asks the reporter besides the description (a flood's
water depth, a hole's size), and the checking of answers before anything is written.

The questions are Open311 GeoReport v2 attributes: a code, a datatype, whether an answer is
required, a description (Indonesian and English here), an order, and for list datatypes the
allowed values. The catalogue file declares them (``questions:`` under a category); they are
stored on the category as JSON in the shape of ``QuestionSpec``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    Strict,
    StrictBool,
    StrictInt,
    field_validator,
    model_serializer,
    model_validator,
)

from engine.errors import RuleViolated, printable
from engine.instants import W3C_FORM, given_instant, is_number, w3c_moment
from engine.routing import refuse_number, shown_bound
from engine.text import as_number_text, clean_text

__all__ = [
    "Answer",
    "AnsweredQuestion",
    "Datatype",
    "QuestionSpec",
    "check_answers",
    "describe_answers",
    "questions_of",
]

#: A code must survive ``attribute[code]=…`` in a form and an XML element's text.
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
#: The attribute code of a service definition's note that the service needs a photo (a
#: GeoReport v2 client files photos as ``media``): no question may take it, or a definition
#: would list two attributes of one code.
PHOTO_ATTRIBUTE = "media"
_WORDS_LIMIT = 300
#: The longest free-text answer: one line for ``string``, a paragraph for ``text``.
ANSWER_LIMITS = {"string": 200, "text": 2000}
#: A multivaluelist answer names each value once; this many at most.
_MAX_VALUES = 50
#: The bounds of a number answer when its question sets no ``min`` / ``max``.
NUMBER_BOUNDS = (-1_000_000.0, 1_000_000.0)
#: A question's own ``min`` and ``max`` lie within ± this (checked when a catalogue is loaded,
#: ``check_question_list``): answers stay numbers a person reads and writes in full.
MAX_BOUND = 1_000_000_000.0

#: What a stored answer is: text, a number, a W3C datetime (text) or a list of value keys.
Answer = str | float | list[str]


class Datatype(StrEnum):
    """Open311 GeoReport v2 attribute datatypes."""

    STRING = "string"
    NUMBER = "number"
    DATETIME = "datetime"
    TEXT = "text"
    SINGLEVALUELIST = "singlevaluelist"
    MULTIVALUELIST = "multivaluelist"

    @property
    def is_list(self) -> bool:
        return self in (Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _words(value: str) -> str:
    try:
        text = clean_text(value, field="text", limit=_WORDS_LIMIT, required=True, multiline=False)
    except RuleViolated as exc:
        raise ValueError(exc.message) from None
    assert text is not None
    return text


class Words(_Spec):
    """The same words in Indonesian and English."""

    id: str
    en: str

    _check = field_validator("id", "en")(_words)

    def __call__(self, language: str) -> str:
        return self.en if language == "en" else self.id


class ValueSpec(_Spec):
    key: str
    name: Words

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not _CODE.match(value):
            raise ValueError(f"{value[:40]!r} is not a valid key (a letter, then letters, _)")
        return value


class QuestionSpec(_Spec):
    code: str
    datatype: Datatype
    required: StrictBool = False
    description: Words
    #: What to type, e.g. "centimetres" (Open311 ``datatype_description``).
    datatype_description: Words | None = None
    order: StrictInt = Field(ge=1, le=1000)
    values: list[ValueSpec] = Field(default_factory=list)
    #: The smallest and largest number a ``number`` answer may be (defaults: ``NUMBER_BOUNDS``).
    #: Each within ±``MAX_BOUND``: a loaded catalogue's rule; stored questions read as stored.
    min: Annotated[float, Strict()] | None = Field(default=None, allow_inf_nan=False)
    max: Annotated[float, Strict()] | None = Field(default=None, allow_inf_nan=False)

    @property
    def bounds(self) -> tuple[float, float]:
        low = NUMBER_BOUNDS[0] if self.min is None else self.min
        high = NUMBER_BOUNDS[1] if self.max is None else self.max
        return low, high

    @model_serializer(mode="wrap")
    def _without_unset_bounds(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Stored as before when no bounds are set: a reloaded catalogue changes nothing.
        data: dict[str, Any] = handler(self)
        for bound in ("min", "max"):
            if data.get(bound) is None:
                data.pop(bound, None)
        return data

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not _CODE.match(value):
            raise ValueError(
                f"{value[:40]!r} is not a valid question code (a letter, then letters, digits, _)"
            )
        if value.lower() == PHOTO_ATTRIBUTE:
            raise ValueError(
                f"{value!r} is not a valid question code: Open311 service definitions use it "
                "for the photo a service needs"
            )
        return value

    @model_validator(mode="after")
    def _values(self) -> QuestionSpec:
        if self.datatype.is_list and not self.values:
            raise ValueError(f"a {self.datatype} question needs values")
        if not self.datatype.is_list and self.values:
            raise ValueError(f"a {self.datatype} question has no values; remove them")
        keys = [v.key for v in self.values]
        if len(set(keys)) != len(keys):
            raise ValueError("value keys must be distinct")
        if self.datatype is not Datatype.NUMBER and (self.min is not None or self.max is not None):
            raise ValueError(f"a {self.datatype} question has no min or max; remove them")
        low, high = self.bounds
        # Out of bounds is the loaded catalogue's problem (check_question_list), said once.
        if low > high and max(abs(low), abs(high)) <= MAX_BOUND:
            raise ValueError(f"min ({shown_bound(low)}) is larger than max ({shown_bound(high)})")
        return self


def check_question_list(questions: Sequence[QuestionSpec]) -> list[tuple[int, str, str]]:
    """Problems of one category's questions as (index, field, message): codes and orders
    must be distinct, and a ``min`` or ``max`` within ±``MAX_BOUND``."""
    problems: list[tuple[int, str, str]] = []
    codes: set[str] = set()
    orders: set[int] = set()
    for i, question in enumerate(questions):
        for bound in ("min", "max"):
            value = getattr(question, bound)
            if value is not None and abs(value) > MAX_BOUND:
                problems.append(
                    (
                        i,
                        bound,
                        f"a question's {bound} must lie between {shown_bound(-MAX_BOUND)} and "
                        f"{shown_bound(MAX_BOUND)}",
                    )
                )
        if question.code.lower() in codes:
            problems.append((i, "code", f"duplicate question code {question.code!r}"))
        if question.order in orders:
            problems.append((i, "order", f"another question has order {question.order}"))
        codes.add(question.code.lower())
        orders.add(question.order)
    return problems


def questions_of(stored: Sequence[Mapping[str, Any]] | None) -> list[QuestionSpec]:
    """A category's stored questions, in their order."""
    specs = [QuestionSpec.model_validate(q) for q in stored or ()]
    return sorted(specs, key=lambda q: q.order)


#: How far past now a datetime answer may lie: the reporter's clock may run a little ahead.
#: Answers tell what was seen ("flooded since when?"), so they never lie in the future.
FUTURE_TOLERANCE = timedelta(hours=1)


def _answer(question: QuestionSpec, raw: object, *, typed: bool, now: datetime) -> Answer | None:
    """``_one``, whose refusals all name the request's field as every answer's refusal does
    (``field`` "answers", ``question`` its code): the shared rules it calls (text, instants)
    name the field they were given, "answer to 'since'", which no form has."""
    try:
        return _one(question, raw, typed=typed, now=now)
    except RuleViolated as exc:
        if exc.params.get("field") == "answers":
            raise
        params = {**exc.params, "field": "answers", "question": question.code}
        raise RuleViolated(exc.message, key=exc.code, params=params) from exc


def _one(question: QuestionSpec, raw: object, *, typed: bool, now: datetime) -> Answer | None:
    name = f"answer to {question.code!r}"
    params: dict[str, object] = {"field": "answers", "question": question.code}

    def refused(message: str) -> RuleViolated:
        return RuleViolated(message, key="invalid_answer", params=params)

    if raw is None:  # JSON's null: no answer, as an answer left out (a required one says so)
        return None
    low, high = question.bounds
    between = f"between {shown_bound(low)} and {shown_bound(high)}"
    keys = [v.key for v in question.values]
    # What a value of the wrong kind (a flag, an object) is told: what the question takes.
    takes = {
        Datatype.SINGLEVALUELIST: f"must be one of {', '.join(keys)}",
        Datatype.MULTIVALUELIST: f"must be among {', '.join(keys)}",
    }.get(question.datatype, "must be text")
    if question.datatype is Datatype.NUMBER:
        params.update(min=low, max=high)
        if typed or not isinstance(raw, str | list | tuple):
            # JSON: a number is a JSON number; "40", ["40"] and true are not
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                raise refused(f"{name} must be a number {between}")
            number = float(raw)
            refuse_number(name, number, low, high, key="invalid_answer", params=params)
            return number + 0.0  # -0 is 0
    elif isinstance(raw, bool):
        raise refused(f"{name} {takes}")
    elif isinstance(raw, int | float):
        raw = repr(raw)  # JSON's number for a text question: its digits are the text
    if not isinstance(raw, str | list | tuple):
        raise refused(f"{name} {takes}")  # an object (JSON's {}) is no answer's value
    values = [raw] if isinstance(raw, str) else list(raw)
    if not all(isinstance(v, str) for v in values):
        raise refused(f"{name} {takes}")
    values = [v.strip() for v in values if v.strip()]
    if not values:
        return None
    if question.datatype is Datatype.MULTIVALUELIST:
        if len(values) > _MAX_VALUES:
            raise refused(f"{name} names more than {_MAX_VALUES} values")
        if any(v not in keys for v in values):
            raise refused(f"{name} must be among {', '.join(keys)}")
        return list(dict.fromkeys(values))
    if len(values) > 1:
        raise refused(f"{name} takes one value")
    (value,) = values
    if question.datatype is Datatype.SINGLEVALUELIST:
        if value not in keys:
            raise refused(f"{name} must be one of {', '.join(keys)}")
        return value
    if question.datatype is Datatype.NUMBER:
        if _GROUPED.fullmatch(value.strip()):
            # 1.000 is a thousand in Indonesian writing (and on the report page's own hint) and
            # one in a program's: read either way, one of them is stored 1,000 times wrong.
            raise refused(
                f"{name} could be read two ways: write a thousand as 1000 and a fraction with a "
                f"point, as 1.5 ({between})"
            )
        try:
            number = float(as_number_text(value)) if len(value) <= 40 else math.nan
        except ValueError:
            raise refused(f"{name} must be a number {between}") from None
        refuse_number(name, number, low, high, key="invalid_answer", params=params)  # ±inf too
        return number + 0.0  # -0 is 0
    if question.datatype is Datatype.DATETIME:
        return _datetime(name, value, now=now, question=question.code)
    multiline = question.datatype is Datatype.TEXT
    return clean_text(
        value, field=name, limit=ANSWER_LIMITS[question.datatype.value], multiline=multiline
    )


#: A number written with a dot between groups of three digits (1.000, 12.500.000).
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:\.[0-9]{3})+")


def _datetime(name: str, value: str, *, now: datetime, question: str) -> str:
    """A date-and-time answer: W3C's form with its offset (``engine.instants.w3c_moment``),
    as every date and time a caller gives; a number is one without an offset, never seconds."""
    moment = w3c_moment(value)
    if moment is None and not is_number(value):
        raise RuleViolated(
            f"{name} must be a date and time in W3C form, {W3C_FORM}",
            key="invalid_answer",
            params={"field": "answers", "form": W3C_FORM, "question": question},
        )
    if moment is None or moment.tzinfo is None:
        raise RuleViolated(
            f"{name} needs a time zone offset, e.g. +07:00",
            key="instant_without_offset",
            params={"field": "answers", "question": question},
        )
    given = given_instant(name, moment)  # within the window: never an overflow
    assert given is not None
    if given > now + FUTURE_TOLERANCE:
        raise RuleViolated(
            f"{name} lies in the future: give when it happened",
            key="answer_in_future",
            params={"field": "answers", "question": question},
        )
    return given.isoformat()


def check_answers(
    questions: Sequence[QuestionSpec],
    answers: Mapping[str, object],
    *,
    now: datetime,
    typed: bool = False,
) -> dict[str, Answer]:
    """The answers as they will be stored; raises ``RuleViolated`` naming the question for an
    unknown code, a missing required answer, a value not in the list, a number that is not (in
    JSON, ``typed``: not a JSON number; in text: not plain decimal) or a time in the future."""
    by_code = {q.code: q for q in questions}
    unknown = sorted(code for code in answers if code not in by_code)
    if unknown:
        asked = ", ".join(by_code) or "nothing"
        raise RuleViolated(
            f"no question {unknown[0][:40]!r} for this category; it asks {asked[:200]}",
            key="unknown_question",
            params={"field": "answers", "question": printable(unknown[0][:40])},
        )
    result: dict[str, Answer] = {}
    for question in questions:
        raw = answers.get(question.code)
        answer = _answer(question, raw, typed=typed, now=now) if raw is not None else None
        if answer is None:
            if question.required:
                raise RuleViolated(
                    f"answer to {question.code!r} is required",
                    key="answer_required",
                    params={"field": "answers", "question": question.code},
                )
            continue
        result[question.code] = answer
    return result


@dataclass(frozen=True)
class AnsweredQuestion:
    """One answer as staff read it: the question and the answer in Indonesian and English."""

    code: str
    question_id: str
    question_en: str
    #: As stored: text, a number, a UTC W3C datetime, or value keys.
    value: Answer
    text_id: str
    text_en: str


def _shown(question: QuestionSpec | None, value: Answer, language: str) -> str:
    if isinstance(value, float):
        return shown_number(value)
    names = {v.key: v.name(language) for v in question.values} if question else {}
    if isinstance(value, list):
        return ", ".join(names.get(v, v) for v in value)
    return names.get(value, value)


def shown_number(value: float) -> str:
    """A number as a person writes it, in full: ``1500000``, ``0.00001``, ``2.5`` (never
    ``1.5e+06``)."""
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def describe_answers(
    questions: Sequence[QuestionSpec], answers: Mapping[str, Answer] | None
) -> list[AnsweredQuestion]:
    """The answers in the questions' order; an answer to a question the catalogue no longer
    asks is still shown, under its code."""
    by_code = {q.code: q for q in questions}
    ordered = [q.code for q in questions if q.code in (answers or {})]
    ordered += sorted(code for code in answers or {} if code not in by_code)
    result = []
    for code in ordered:
        question, value = by_code.get(code), (answers or {})[code]
        result.append(
            AnsweredQuestion(
                code=code,
                question_id=question.description.id if question else code,
                question_en=question.description.en if question else code,
                value=value,
                text_id=_shown(question, value, "id"),
                text_en=_shown(question, value, "en"),
            )
        )
    return result
