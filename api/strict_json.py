"""JSON bodies that name a key twice are refused, never read as the last value.

``json.loads`` (and pydantic's parser) keep the last of two equal keys, so
``{"description": "x", "description": "y"}`` would be accepted as "y" while a proxy, a log or a
reviewer in between may have read "x". Every JSON body the API reads goes through ``loads``: the
routers' ``StrictRoute`` for FastAPI's own body parsing, and ``check`` before
``api.uploads`` validates a report. The refusal is a 422 naming the key, like a repeated form
field or query parameter.

A body nested deeper than ``MAX_DEPTH`` objects and lists is refused as well (``TooDeep``, 422):
no request of this API needs more than a few levels, and ~1,000 levels (2 KB of ``[``) would
otherwise exhaust Python's recursion limit in the parser, a 500 that anyone could cause.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import Any
from urllib.parse import unquote_plus

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from api.forms import (
    FORM_MEDIA_TYPES,
    Utf8FormRequest,
    form_fault,
    form_fields,
    page_form_fault,
    read_form_first,
)
from api.handlers import ThreadedRoute, on_thread_pool
from engine.catalogue.spec import CATALOGUE_LIMIT
from engine.errors import printable
from engine.photos import too_large


class RepeatedKey(HTTPException):
    """Raised where FastAPI passes HTTP exceptions through (its body parsing re-raises them);
    ``api.errors`` answers it as a problem document naming the key by its path
    (``answers.water_depth``: a key inside an object is named with the objects around it)."""

    def __init__(self, key: str) -> None:
        self.key = printable(key)
        super().__init__(422, f"{self.key} is given more than once; send it once")


#: The deepest a JSON body may nest objects and lists (a report's ``answers`` is 3 levels).
MAX_DEPTH = 32


class TooDeep(HTTPException):
    """A JSON body that nests objects and lists more than ``MAX_DEPTH`` levels deep; answered
    by ``api.errors`` as a 422 about the request body (no field: it is the body's shape)."""

    def __init__(self) -> None:
        super().__init__(
            422, f"the request body nests lists and objects more than {MAX_DEPTH} levels deep"
        )


def _depth(value: Any) -> int:
    """How many levels of objects and lists ``value`` nests (0 for a plain value); counted level
    by level, without recursion, and no further than ``MAX_DEPTH + 1``."""
    deepest, level = 0, [value]
    while deepest <= MAX_DEPTH:
        containers = [item for item in level if isinstance(item, dict | list)]
        if not containers:
            break
        deepest += 1
        level = [x for c in containers for x in (c.values() if isinstance(c, dict) else c)]
    return deepest


class _Repeats(dict[str, Any]):
    """An object that gave ``repeated`` more than once: kept until the whole body is read, so
    the refusal can say where the object lies (the hook sees inner objects first)."""

    repeated = ""


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    repeated: str | None = None
    for key, value in pairs:
        if key in found and repeated is None:
            repeated = key
        found[key] = value
    if repeated is None:
        return found
    marked = _Repeats(found)
    marked.repeated = repeated
    return marked


def _repeat_path(value: Any) -> list[str] | None:
    """The path of the first key given twice, outermost object first (``["answers", "depth"]``;
    a list's item as ``[0]``)."""
    if isinstance(value, _Repeats):
        return [value.repeated]
    inner: Any = value.items() if isinstance(value, dict) else ()
    if isinstance(value, list):
        inner = ((f"[{n}]", item) for n, item in enumerate(value))
    for name, item in inner:
        if isinstance(item, dict | list) and (path := _repeat_path(item)) is not None:
            return [name, *path]
    return None


def _dotted(path: list[str]) -> str:
    return "".join(p if p.startswith("[") or n == 0 else f".{p}" for n, p in enumerate(path))


def loads(body: bytes | str) -> Any:
    """``json.loads`` that raises ``RepeatedKey`` for a key an object gives twice, naming the
    key by its path from the body's top, and ``TooDeep`` for a body nested deeper than
    ``MAX_DEPTH``; ``ValueError`` for text that is not JSON."""
    try:
        found = json.loads(body, object_pairs_hook=_no_repeats)
    except RecursionError:
        raise TooDeep() from None
    if _depth(found) > MAX_DEPTH:
        raise TooDeep()
    if isinstance(found, dict | list) and (path := _repeat_path(found)) is not None:
        raise RepeatedKey(_dotted(path))
    return found


def check(body: bytes) -> None:
    """``RepeatedKey`` if the body repeats a key; malformed JSON is left to the validator,
    whose error names where it broke."""
    try:
        loads(body)
    except ValueError:  # JSONDecodeError, or bytes that are not UTF-8
        return


class _StrictRequest(Utf8FormRequest):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads(await self.body())
        return self._json


#: The one media type of a JSON body (parameters such as ``charset`` aside), as
#: ``api.uploads.read_body`` takes it.
JSON_MEDIA_TYPE = "application/json"


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def check_json_body(request: Request) -> None:
    """``UnsupportedMediaType`` (415) for a body that is not sent as ``application/json`` on a
    route whose body is a JSON object: FastAPI would read ``text/plain`` as no object (a 422
    "the request body must be an object") and ``application/merge-patch+json`` as JSON, where
    the routes that also take photos (``read_body``) answer both with a 415. No body and no
    type at all is left to the route: it says whether its body is required."""
    content_type = _media_type(request)
    if content_type == JSON_MEDIA_TYPE or (not content_type and not await request.body()):
        return
    from api.errors import UnsupportedMediaType  # api.errors imports this module

    raise UnsupportedMediaType(f"send {JSON_MEDIA_TYPE}")


#: The media type of a YAML body (the admin's catalogue upload), and the other names a YAML
#: file is sent under; JSON is YAML too, so a catalogue in JSON is sent as one of these.
YAML_MEDIA_TYPE = "application/yaml"
YAML_MEDIA_TYPES = frozenset(
    {YAML_MEDIA_TYPE, "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain"}
)


#: The largest YAML body taken (the Jakarta catalogue is ~0.1 MB).
YAML_LIMIT = CATALOGUE_LIMIT


async def yaml_body(request: Request) -> str:
    """Dependency: the request's body as YAML text. Declared after the route's key, so a
    caller without the right key is refused for that (401/403) whatever it sent; FastAPI reads
    no body for the route, which would take a YAML file sent as ``application/json`` for
    broken JSON (422) before looking at the key.

    Errors: ``UnsupportedMediaType`` (415) for a body sent as anything but YAML text in UTF-8
    (``image/png`` was read as text); ``PayloadTooLarge`` (413) above ``YAML_LIMIT`` bytes; a
    422 naming ``body`` when there is none."""
    from api.errors import PayloadTooLarge, UnsupportedMediaType  # api.errors imports this

    header = request.headers.get("content-type", "")
    content_type = _media_type(request)
    charset = next(
        (
            value.strip().strip('"').lower()
            for name, _, value in (p.partition("=") for p in header.split(";")[1:])
            if name.strip().lower() == "charset"
        ),
        "utf-8",
    )
    refused = UnsupportedMediaType(f"send {YAML_MEDIA_TYPE} in UTF-8")
    if (content_type and content_type not in YAML_MEDIA_TYPES) or charset not in (
        "utf-8",
        "utf8",
        "us-ascii",
    ):
        raise refused
    body = await request.body()
    if not body:
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
        )
    if len(body) > YAML_LIMIT:
        raise PayloadTooLarge(too_large("the catalogue", limit=YAML_LIMIT, size=len(body)))
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise refused from None


#: A JSON route's body fault while FastAPI checks the route's key and parameters.
_BODY_FAULT: ContextVar[Exception | None] = ContextVar("body_fault", default=None)


async def _read_json_first(request: _StrictRequest) -> Exception | None:
    """What is wrong with a JSON route's body, checked and parsed before FastAPI reads it:
    ``check_json_body``'s 415, broken JSON (FastAPI's own 422 ``json_invalid``), a repeated key,
    too deep; ``None`` when nothing is (the parsed body is cached for FastAPI)."""
    from api.errors import UnsupportedMediaType  # api.errors imports this module

    try:
        await check_json_body(request)
        if _media_type(request) == JSON_MEDIA_TYPE and await request.body():
            await request.json()  # parsed once, by ``loads``; FastAPI reads it from the cache
    except json.JSONDecodeError as e:
        return RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", e.pos),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": e.msg},
                }
            ],
            body=e.doc,
        )
    except (UnsupportedMediaType, RepeatedKey, TooDeep) as e:
        return e
    except ValueError:  # bytes that are not UTF-8: FastAPI answers them (400) as before
        return None
    return None


async def _after_the_checks(
    handler: Callable[[Request], Coroutine[Any, Any, Response]],
    request: _StrictRequest,
    fault: Exception,
) -> Response:
    """Answer a request whose body is at fault only once the route's key and parameters have
    been checked: FastAPI would answer a broken body before its dependencies, so a caller
    without the right key (401/403) or with an unknown parameter was told about its body.

    FastAPI is handed no body; the route's handler itself never runs (``refuse_faulty_body``
    raises ``fault`` in its place), and the "body required" FastAPI then finds is ``fault``,
    said after any other parameter's error."""
    request._body = b""  # Starlette's cached body: FastAPI reads none
    token = _BODY_FAULT.set(fault)
    try:
        return await handler(request)
    except RequestValidationError as e:
        others = [error for error in e.errors() if error.get("loc", ("body",))[0] != "body"]
        if others:
            raise RequestValidationError(others) from None
        raise fault from None
    finally:
        _BODY_FAULT.reset(token)


def refuse_faulty_body(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """``endpoint`` (a coroutine function) that raises the request's body fault instead of
    running, when ``_after_the_checks`` set one: a route whose body is optional would otherwise
    run without it."""

    @functools.wraps(endpoint)
    async def guarded(*args: Any, **kwargs: Any) -> Any:
        fault = _BODY_FAULT.get()
        if fault is not None:
            raise fault
        return await endpoint(*args, **kwargs)

    return guarded


def given_only(query: bytes) -> bytes:
    """``query`` without its blank parameters: ``?limit=``, ``?since=%20`` and a stray ``?=``
    are not sent, on every route (Open311's rule, "an empty parameter means absent", which a
    form's empty field or a client's template sends), not a 422 on some and absent on others."""
    kept = []
    for part in query.split(b"&"):
        _name, equals, value = part.partition(b"=")
        if equals and unquote_plus(value.decode("latin-1")).strip():
            kept.append(part)
        elif not equals and part:
            kept.append(part)  # a name alone (``?overdue``): the route says what it makes of it
    return b"&".join(kept)


class StrictRoute(ThreadedRoute):
    """An ``APIRoute`` whose JSON body is parsed by ``loads``, sent as ``application/json``
    only (``check_json_body``), and whose multipart form is read as UTF-8 (``api.forms``); a
    sync handler runs as ``api.handlers.ThreadedRoute`` says."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        threaded = on_thread_pool(endpoint)
        if inspect.iscoroutinefunction(threaded):
            threaded = refuse_faulty_body(threaded)
        super().__init__(path, threaded, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        field = self.body_field
        body_type = getattr(field.field_info, "media_type", None) if field is not None else None
        takes_json = body_type == JSON_MEDIA_TYPE
        takes_form = body_type in FORM_MEDIA_TYPES
        # A page with ``page_form_fault`` shows a refused form in its own words; any other
        # route's form is refused before it runs: a field it does not take, a single-valued one
        # given twice (FastAPI would drop the one and read the last of the other), bytes that
        # were not UTF-8.
        says_faults = any(d.call is page_form_fault for d in self.dependant.dependencies)
        fields = form_fields(self.dependant) if takes_form else None

        async def strict(request: Request) -> Response:
            scope = request.scope
            if scope.get("query_string"):
                scope = {**scope, "query_string": given_only(scope["query_string"])}
            strict_request = _StrictRequest(scope, request.receive)
            if takes_json:
                fault = await _read_json_first(strict_request)
                if fault is not None:
                    return await _after_the_checks(handler, strict_request, fault)
            if fields is not None:
                strict_request.form_fields = fields
                await read_form_first(strict_request)
                if not says_faults:
                    fault = await form_fault(strict_request, fields)
                    if fault is not None:
                        raise fault
            return await handler(strict_request)

        return strict
