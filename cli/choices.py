"""Options that take a value from one of the engine's vocabularies: states, priorities,
languages, channels, roles, area levels.

typer compares a choice exactly, or at most ignoring case: ``--state ON-HOLD`` was refused
while ``--state On_Hold`` was taken. The engine and the API read a code as
``engine.text.code_key`` does (case, ``-``, ``_`` and spaces do not matter), and so does each
option here (``engine.text.parse_code``). The option keeps its enum, so ``--help`` lists the
values (``--priority <low|normal|high|urgent>``); a value it refuses is one line that lists
them again, exit 2.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import TypeVar

from engine.errors import RuleViolated
from engine.text import parse_code

__all__ = ["choice"]

_Value = TypeVar("_Value", bound=StrEnum)


def choice(what: str, values: Iterable[_Value]) -> Callable[[object], _Value]:
    """The ``parser`` of an option taking one of ``values`` (``what`` names it in a refusal:
    ``unknown state 'onhold'; use one of submitted, verified, …``)."""
    codes = tuple(values)

    def parse(value: object) -> _Value:
        if isinstance(value, StrEnum) and value in codes:
            return value  # a default, or a call from Python (``tanggap demo``)
        try:
            return parse_code(what, str(value), codes)
        except RuleViolated as exc:
            raise ValueError(exc.message) from None  # typer's usage error, naming the option

    return parse
