"""One value per query parameter, unless the parameter is a list; no parameter the route
does not take.

Starlette keeps every value of a repeated parameter and FastAPI quietly takes the last one for a
single-valued parameter, so ``?bbox=…&bbox=…`` or ``?limit=10&limit=5000`` would be answered for
a value the caller may not have meant. A repeated single-valued parameter is refused (422, or
Open311's 400) naming it; list parameters (``state``, ``category`` of the public list) take
every value as before.

A query parameter the route does not take (``?officer=…`` where there is no such filter, a
typo such as ``?overdu=true``) would be quietly ignored, and the answer would look like one to
the question asked: on our own JSON API (``/api/v1``) it is refused (422) naming it and the
parameters the route takes (``known_only``). Open311 is left alone: GeoReport v2 clients send
parameters of their own or of the spec that a service may ignore (``jurisdiction_id``,
``api_key`` on a GET, extensions), and the spec asks a service to answer them.
"""

from __future__ import annotations

import weakref
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from api.errors import invalid
from api.forms import is_sequence
from engine.errors import RuleViolated, printable
from engine.instants import is_number, no_such_moment, plus_lost, w3c_moment
from engine.text import as_number_text, clean_text, code_key

#: Open311's lists, which the spec sends as one comma-separated value.
_COMMA_LISTS = frozenset({"service_request_id", "service_code"})
#: Per route (by id, with a weak reference that proves the id is still that route's: routes
#: are unhashable, and tests build many apps): the query parameters that take one value.
_single: dict[int, tuple[weakref.ref[APIRoute], frozenset[str]]] = {}
#: Likewise, every query parameter a route takes.
_taken: dict[int, tuple[weakref.ref[APIRoute], frozenset[str]]] = {}


def _single_valued(dependant: Dependant) -> set[str]:
    names = {
        field.alias
        for field in dependant.query_params
        if not is_sequence(field.field_info.annotation)
    }
    for sub in dependant.dependencies:
        names |= _single_valued(sub)
    return names


#: Headers that carry who is asking: sent twice, which one counts is a guess (a proxy may add
#: one, a client library another), so the request is refused rather than read either way.
_ONE_CREDENTIAL = ("Authorization", "X-Reporter-Token")


async def one_value_each(request: Request) -> None:
    """Dependency: refuse a single-valued query parameter given more than once, and a
    credential header (``_ONE_CREDENTIAL``) sent more than once."""
    for header in _ONE_CREDENTIAL:
        if len(request.headers.getlist(header)) > 1:
            raise invalid("header", header, f"{header} is given more than once; send it once")
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or len(request.query_params) == len(
        request.query_params.multi_items()
    ):
        return
    known = _single.get(id(route))
    if known is not None and known[0]() is route:
        single = known[1]
    else:
        single = frozenset(_single_valued(route.dependant))
        _single[id(route)] = (weakref.ref(route), single)
    for name in sorted(single):
        refuse_repeated(request, name)


def refuse_repeated(request: Request, name: str) -> None:
    """A 422 (Open311: 400) naming query parameter ``name`` when it is given more than once.
    The error carries the name (``ctx.repeated``) so that a page says it in its own words."""
    if len(request.query_params.getlist(name)) > 1:
        how = "give several as one comma-separated value" if name in _COMMA_LISTS else ""
        message = f"{name} is given more than once; {how or 'send it once'}"
        raise RequestValidationError(
            [
                {
                    "loc": ("query", name),
                    "msg": message,
                    "type": "value_error",
                    "ctx": {"repeated": name},
                }
            ]
        )


def _query_names(dependant: Dependant) -> set[str]:
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _taken_by(route: APIRoute) -> frozenset[str]:
    known = _taken.get(id(route))
    if known is not None and known[0]() is route:
        return known[1]
    names = frozenset(_query_names(route.dependant))
    _taken[id(route)] = (weakref.ref(route), names)
    return names


async def known_only(request: Request) -> None:
    """Dependency: refuse a query parameter the route does not take (422), naming it and the
    ones it takes, rather than answer as if it had not been sent."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    taken = _taken_by(route)
    # Blank parameters (a stray "?=" too) never reach here: ``strict_json.given_only``.
    unknown = [name for name in dict.fromkeys(request.query_params.keys()) if name not in taken]
    if not unknown:
        return
    names = [printable(name, 40) if name else "a value with no parameter name" for name in unknown]
    known = sorted(taken)
    takes = f"it takes {', '.join(known)}" if known else "it takes none"
    what = "is not a query parameter" if len(names) == 1 else "are not query parameters"
    raise RuleViolated(
        f"{', '.join(names[:5])} {what} of {request.method} {route.path_format}; {takes}",
        key="unknown_parameter",
        params={"field": names[0], "unknown": names[:5], "known": known},
    )


def _given(values: Any) -> Any:
    """A list parameter's values without the blank ones: ``?state=`` is no state, as an empty
    ``bbox`` or ``cursor`` is no box or cursor."""
    if not isinstance(values, list):
        return values
    return [v for v in values if not isinstance(v, str) or v.strip()]


#: A list filter's blank values count as absent (``?category=``).
GIVEN = BeforeValidator(_given)
#: A list of states: blank values absent, each compared as codes are (``In Progress``).
STATES = BeforeValidator(lambda values: [code_key(v) for v in _given(values)])


def _plain(kind: str, words: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        if isinstance(value, str):
            try:  # Python alone reads "1_0" as 10 and Arabic-Indic digits as 10
                as_number_text(value)
            except ValueError:
                raise PydanticCustomError(kind, words) from None
        return value

    return BeforeValidator(check)


#: A number query parameter: plain ASCII decimal, as the engine reads a number in a form.
WHOLE = _plain("int_parsing", "Input should be a whole number")
NUMBER = _plain("float_parsing", "Input should be a number")


def _instant(value: Any) -> Any:
    if is_number(value):
        # pydantic would read it as Unix seconds: the engine's refusal of an instant without
        # an offset, naming the parameter (``api.errors``)
        raise PydanticCustomError("instant_without_offset", "Input needs a time zone offset")
    if not isinstance(value, str) or plus_lost(value):
        return value  # pydantic refuses it; api.errors says to send the '+' as %2B
    moment = w3c_moment(value)
    reason = no_such_moment(value) if moment is None else None
    if reason is not None:  # 2026-02-30T00:00:00Z: the engine's words of why (``api.errors``)
        raise PydanticCustomError("no_such_date", "{reason}", {"reason": reason})
    if moment is None:
        # pydantic reads more than W3C's form (a space for T, +0700, t and z): the engine's
        # refusal saying the form (``api.errors``)
        raise PydanticCustomError("invalid_date", "Input should be a W3C date and time")
    return moment  # naive (no offset, or a bare date): given_instant refuses it, naming it


#: An instant parameter or field (``since``, ``start`` …): a date and time in W3C form
#: (``engine.instants.W3C_FORM``), its offset required by ``given_instant``; a number
#: (``20261101``) is refused as an instant without an offset is, never read as Unix seconds.
#: Every ``datetime`` the API takes carries it (tests/api/test_instants.py checks the OpenAPI
#: description).
INSTANT = BeforeValidator(_instant)


def one_line(name: str, value: str | None) -> str | None:
    """``value`` of query parameter ``name`` as given, when it is one line of text by the
    engine's text rules (``engine.text``): a control character, a line break, a direction
    override, a noncharacter or broken bytes is ``RuleViolated`` naming ``name`` (422, or
    Open311's 400), never a search for it."""
    if value:
        clean_text(value, field=name, limit=len(value), multiline=False)
    return value
