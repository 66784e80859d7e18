"""What the catalogue's schema refuses, said in the project's words.

pydantic words a refusal for the programmer ("Input should be less than or equal to 1000",
"Field required", "Input should be a valid dictionary or instance of AgencySpec", "give a
number" for ``1e400``, which YAML reads as text). The author of a catalogue file reads each
refusal after its file, line and key path (``big.yaml:1131: policies[9].targets.resolve:``),
and needs what to write instead: the kind of value, its bounds as the schema declares them,
and what was written, as YAML writes it (``null``, ``true``, ``.inf``; never Python's ``None``,
``True``, ``inf``). ``in_words`` says every error pydantic raises for a catalogue so;
``parse_catalogue`` passes them all through ``errors_in_words``.
"""

from __future__ import annotations

import math
import re
import types
import typing
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from engine.errors import shown
from engine.questions import MAX_BOUND, QuestionSpec
from engine.routing import shown_bound

__all__ = ["errors_in_words", "in_words", "written"]

Loc = tuple[str | int, ...]

#: Bounds a loaded catalogue keeps that its schema does not declare (a stored question is read
#: as stored, whatever they become): by model and key.
_BOUNDS_BEYOND_SCHEMA: dict[tuple[type[BaseModel], str], tuple[float, float]] = {
    (QuestionSpec, "min"): (-MAX_BOUND, MAX_BOUND),
    (QuestionSpec, "max"): (-MAX_BOUND, MAX_BOUND),
}

#: pydantic's error types for a number that is not one, or not within its bounds.
_NUMBER_ERRORS = frozenset(
    {
        "int_type",
        "int_parsing",
        "int_parsing_size",
        "int_from_float",
        "float_type",
        "float_parsing",
        "finite_number",
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "multiple_of",
    }
)

#: A key of a mapping that is not one of its keys: pydantic adds this to the key's path.
_KEY = "[key]"


def written(value: object) -> str:
    """``value`` as the file wrote it, to quote back: ``null``, ``true``, ``.inf``, ``1001``,
    ``'abc'`` (text, quoted, cut at 40 characters), ``a list``, ``a mapping``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, int):
        digits = str(value)
        return digits if len(digits) <= 40 else f"{digits[:39]}…"
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def _unwrap(kind: Any) -> tuple[Any, list[Any]]:
    """``kind`` without ``Annotated`` and ``| None``, and the constraints they carried."""
    metadata: list[Any] = []
    while True:
        origin = get_origin(kind)
        if origin is Annotated:
            kind, *extra = get_args(kind)
            for item in extra:
                # A field's own constraints, and its title (``longitude``) to name the value.
                metadata.extend([*item.metadata, item] if isinstance(item, FieldInfo) else [item])
        elif origin in (typing.Union, types.UnionType):
            present = [a for a in get_args(kind) if a is not type(None)]
            if len(present) != 1:
                return kind, metadata
            kind = present[0]
        else:
            return kind, metadata


class _Slot(typing.NamedTuple):
    """What the schema declares for the value at a path: its type and constraints, and the
    model and key that hold it (the key of the nearest model field on the path)."""

    kind: Any
    metadata: list[Any]
    model: type[BaseModel] | None
    key: str | None


def _slot(root: type[BaseModel], loc: Loc) -> _Slot:
    kind: Any = root
    metadata: list[Any] = []
    model: type[BaseModel] | None = None
    name: str | None = None
    for step in loc:
        kind, more = _unwrap(kind)
        origin = get_origin(kind)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            field = kind.model_fields.get(step) if isinstance(step, str) else None
            if field is None:
                return _Slot(None, [], kind, name)
            model, name = kind, str(step)
            kind, metadata = field.annotation, list(field.metadata)
        elif origin in (list, tuple) and isinstance(step, int):
            args = get_args(kind)
            fixed = origin is tuple and not (len(args) == 2 and args[1] is Ellipsis)
            kind = (args[step] if step < len(args) else None) if fixed else args[0]
            metadata = []
        elif origin is dict:
            kind, metadata = get_args(kind)[1], []
        else:
            return _Slot(None, [], model, name)
    kind, more = _unwrap(kind)
    return _Slot(kind, metadata + more, model, name)


def _bounds(slot: _Slot) -> str:
    """The bounds the schema sets a number, in words: ``between 1 and 1,000``, ``above 0 and
    at most 5,000``; empty when it sets none."""
    low: Any = None  # annotated_types' bounds: any comparable; the schema's are numbers
    high: Any = None
    low_open = high_open = False
    for item in slot.metadata:
        if isinstance(item, annotated_types.Gt):
            low, low_open = item.gt, True
        elif isinstance(item, annotated_types.Ge):
            low = item.ge
        elif isinstance(item, annotated_types.Lt):
            high, high_open = item.lt, True
        elif isinstance(item, annotated_types.Le):
            high = item.le
    if low is None and high is None and slot.model is not None and slot.key is not None:
        low, high = _BOUNDS_BEYOND_SCHEMA.get((slot.model, slot.key), (None, None))
    if low is not None and high is not None and not low_open and not high_open:
        return f" between {shown_bound(float(low))} and {shown_bound(float(high))}"
    parts = []
    if low is not None:
        parts.append(f"{'above' if low_open else 'of at least'} {shown_bound(float(low))}")
    if high is not None:
        parts.append(f"{'below' if high_open else 'at most'} {shown_bound(float(high))}")
    return (" " + " and ".join(parts)) if parts else ""


def _number(slot: _Slot, value: object) -> str:
    titles = [m.title for m in slot.metadata if isinstance(m, FieldInfo) and m.title]
    what = f"a {titles[0]}" if titles else "a whole number" if slot.kind is int else "a number"
    said = f"give {what}{_bounds(slot)}, not {written(value)}"
    if isinstance(value, str) and _reads_as_number(value):
        # YAML reads 1e400 (no point) as text: the author meant a number.
        said += " (YAML reads it as text: write plain digits such as 1000 or 1.5)"
    return said


def _reads_as_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _listed(expected: str) -> str:
    """pydantic's list of choices (``'low', 'normal' or 'high'``) as a list: ``low, normal,
    high``."""
    return ", ".join(re.findall(r"'([^']*)'", expected)) or expected


def _keys_of(model: type[BaseModel] | None) -> str:
    """``code, name, kind, …``: the keys ``model`` takes, required ones first."""
    if model is None:
        return "its own keys"
    fields = model.model_fields
    required = [name for name, field in fields.items() if field.is_required()]
    optional = [name for name, field in fields.items() if not field.is_required()]
    return ", ".join(required + optional)


def _mapping(slot: _Slot) -> str:
    if isinstance(slot.kind, type) and issubclass(slot.kind, BaseModel):
        required = [n for n, f in slot.kind.model_fields.items() if f.is_required()]
        if required:
            return f"a mapping with {', '.join(required)}"
        return f"a mapping of {', '.join(slot.kind.model_fields)}"
    return "a mapping (key: value)"


def _sequence(slot: _Slot) -> str:
    args = get_args(slot.kind)
    if get_origin(slot.kind) is tuple and args and args[-1] is not Ellipsis:
        if slot.key == "polygon":
            return "a point as [longitude, latitude]"
        return f"a list of {len(args)}"
    return "a list"


def in_words(root: type[BaseModel], error: ErrorDetails) -> tuple[Loc, str]:
    """The path (``loc``, without pydantic's additions) and the project's words for one error
    pydantic found validating a catalogue against ``root``."""
    loc: Loc = tuple(error["loc"])
    kind, value, context = error["type"], error.get("input"), error.get("ctx") or {}
    if loc and loc[-1] == _KEY:  # a key of a mapping that is no key of it (a day, a timer)
        loc = loc[:-1]
        choices = _listed(str(context.get("expected", "")))
        return loc, f"{written(value)} is no key here; use {choices}"
    slot = _slot(root, loc)
    if kind in ("value_error", "assertion_error"):  # the schema's own checks: our words
        message = str(error["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        return loc, message
    if kind in _NUMBER_ERRORS:
        return loc, _number(slot, value)
    if kind == "missing":
        if loc and isinstance(loc[-1], int):  # a place of a fixed list: [longitude, latitude]
            return loc, f"missing: give {_sequence(_slot(root, loc[:-1]))}"
        return loc, "missing: this key is required"
    if kind == "extra_forbidden":
        parent = _slot(root, loc[:-1])
        model = parent.kind if isinstance(parent.kind, type) else None
        return loc, f"unknown key; here the keys are {_keys_of(model)}"
    if kind in ("bool_type", "bool_parsing"):
        return loc, f"give true or false, not {written(value)}"
    if kind in ("string_type", "string_unicode"):
        return loc, f"give text, not {written(value)}"
    if kind == "string_too_short":
        least = int(context.get("min_length", 1))
        if least <= 1:
            return loc, "is empty: give text"
        return loc, f"give text of at least {least} characters, not {written(value)}"
    if kind == "string_too_long":
        length = len(value) if isinstance(value, str) else "too many"
        return loc, f"has {length} characters; the limit is {context.get('max_length')}"
    if kind in ("enum", "literal_error"):
        return loc, f"give one of {_listed(str(context.get('expected', '')))}, not {written(value)}"
    if kind in ("list_type", "tuple_type", "set_type", "iterable_type"):
        return loc, f"give {_sequence(slot)}, not {written(value)}"
    if kind in ("dict_type", "model_type", "model_attributes_type", "dataclass_type"):
        return loc, f"give {_mapping(slot)}, not {written(value)}"
    if kind == "too_short":
        fewest, has = context.get("min_length"), context.get("actual_length")
        return loc, f"give at least {fewest} {'entry' if fewest == 1 else 'entries'}; it has {has}"
    if kind == "too_long":
        most, has = context.get("max_length"), context.get("actual_length")
        return loc, f"give at most {most} entries; it has {has}"
    if kind in ("date_type", "date_parsing", "date_from_datetime_parsing"):
        return loc, f"give a date like 2024-12-25, not {written(value)}"
    return loc, f"{written(value)} does not fit here ({kind.replace('_', ' ')})"


def errors_in_words(root: type[BaseModel], errors: Sequence[ErrorDetails]) -> list[tuple[Loc, str]]:
    """``in_words`` for each error, less those about the value of a key already refused as no
    key of its mapping (the key is the mistake, not what it holds)."""
    said = [in_words(root, error) for error in errors]
    keys = [tuple(error["loc"][-1:]) == (_KEY,) for error in errors]
    bad_keys = {loc for (loc, _message), key in zip(said, keys, strict=True) if key}
    return [
        (loc, message)
        for (loc, message), key in zip(said, keys, strict=True)
        if key or loc not in bad_keys
    ]
