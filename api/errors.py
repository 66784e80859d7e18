"""Every error becomes a body a program can read, mapped here once.

Domain errors (``engine.errors``) become RFC 9457 ``application/problem+json``: 404 not found,
403 forbidden, 409 conflict (with the ticket's state and allowed triggers when known), 422 rule
violated. Open311 routes answer with the GeoReport v2 error array in the format asked for.
Nothing else ever shows a traceback: an unexpected fault is a bare 500 problem, logged here.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from api.forms import FormRefused
from api.strict_json import RepeatedKey, TooDeep
from engine import CatalogueError, Conflict, Forbidden, NotFound, RuleViolated, TanggapError
from engine.errors import echoable
from engine.instants import PLUS_LOST, no_such_day, not_w3c, plus_lost, without_offset
from engine.routing import shown_bound
from engine.text import clean_text

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"


class ApiError(Exception):
    """Errors of the HTTP layer itself (auth header, upload size and type, rate limit)."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        headers: dict[str, str] | None = None,
        *,
        params: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}
        #: What a page needs to say it in its own words (a file's name, a limit).
        self.params: dict[str, object] = dict(params or {})


class NotAuthenticated(ApiError):
    status, code = 401, "not_authenticated"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class TooManyRequests(ApiError):
    status, code = 429, "too_many_requests"


def invalid(where: str, name: str, message: str) -> RequestValidationError:
    """A 422 for one malformed parameter, shaped like FastAPI's own validation errors."""
    return RequestValidationError([{"loc": (where, name), "msg": message, "type": "value_error"}])


#: The engine names a report's fields as it stores them; the report endpoints call them so.
REPORT_FIELDS: Mapping[str, str] = {
    "reporter_name": "name",
    "reporter_email": "email",
    "reporter_phone": "phone",
}


def rename_fields(exc: TanggapError, fields: Mapping[str, str]) -> None:
    """Say ``exc`` with the request's field names: ``params.field`` and the field's name in the
    message (a whole word) become what the caller sent (``{"note": "text"}``)."""
    params = getattr(exc, "params", None)
    if not isinstance(params, dict):
        return
    engine_name = params.get("field")
    if not isinstance(engine_name, str) or engine_name not in fields:
        return
    api_name = fields[engine_name]
    params["field"] = api_name
    pattern = r"(?<![\w.])" + re.escape(engine_name) + r"(?![\w])"
    exc.message = re.sub(pattern, api_name, exc.message)
    exc.args = (exc.message,)


@contextmanager
def request_fields(fields: Mapping[str, str]) -> Iterator[None]:
    """Around one endpoint's engine calls: its errors name the fields as the request does.
    ``fields`` maps the engine's name to the endpoint's (one mapping per endpoint)."""
    try:
        yield
    except TanggapError as exc:
        rename_fields(exc, fields)
        raise


def status_of(exc: TanggapError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, RuleViolated | CatalogueError):
        return 422
    return 500  # a TanggapError outside the tree: a server fault, never blamed on the caller


_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
}


def _is_open311(request: Request) -> bool:
    return request.url.path.startswith("/open311/")


#: Where FastAPI says a parameter came from: the first item of a validation error's ``loc``
#: (every ``RequestValidationError`` of ours begins so too), never the parameter's name. Only
#: the first: a field may be called so (``{"text": "x", "body": "y"}``: ``("body", "body")``).
_SOURCES = {"body", "query", "path", "header", "cookie"}

#: How pydantic names the member of a union that failed (``constrained-str``,
#: ``function-before[check(), float]``, ``list[str]``): not a field either.
#: pydantic's name, in a validation error's location, for a map's key (the error is in the key).
_KEY = "[key]"
#: Request fields that are maps the caller keys, and what their keys are: an error in a key or
#: its value names the map as the field (``answers``, keyed by question code).
KEYED: Mapping[str, str] = {"answers": "question"}
_UNION_TAG = re.compile(r"^(str|float|int|bool|constrained-\w+|function-\w+\[.*|\w+\[.*\])$")

#: Paths of programs, not people: they always answer with problem documents (or Open311's).
_API_PREFIXES = ("/api/", "/open311/", "/media/", "/static/", "/openapi.json")


def wants_page(request: Request) -> bool:
    """A browser asking for a page (``Accept`` names text/html) outside the API paths: it gets
    the friendly HTML page, not a problem document."""
    path = request.url.path
    if path == "/api" or path.startswith(_API_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


#: What ``repr`` writes for a character it cannot show (``\x1b``, ``\u202e``).
_ESCAPES = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})")


def safe(text: str) -> str:
    """A message as a refusal may say it: no character that is not printable, nor ``repr``'s
    escape of one, reaches the caller (each becomes "?"), whoever wrote the message. The net
    under ``engine.errors.shown``, which each message quoting a value uses (U+FFFD, where a
    path's bytes were not UTF-8, is "?" too: ``engine.errors.echoable``)."""
    text = _ESCAPES.sub("?", text)
    return "".join(c if echoable(c) else "?" for c in text)


def problem(
    request: Request,
    status: int,
    code: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    detail = safe(detail)
    if _is_open311(request):
        from api.open311.render import error_response

        return error_response(request, status, detail, headers)
    body = {
        "type": f"https://tanggap.dev/problems/{code}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "code": code,
        "detail": detail,
        **extra,
    }
    return JSONResponse(
        jsonable_encoder(body), status_code=status, media_type=PROBLEM, headers=headers
    )


#: Validation errors about a number's bounds (and NaN, which pydantic reports as one of them).
_BOUNDED = {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "finite_number"}


def _finite(given: object) -> bool:
    """Whether a bound check's input reads as a finite number (``"nan"`` and NaN do not)."""
    if not isinstance(given, str | int | float):
        return True  # not a number's bound (a date's): the bound's own words
    try:
        return math.isfinite(float(given))
    except ValueError:
        return True


def _bound(value: object) -> str:
    """A bound as a person writes it: ``0``, ``2,160``, ``0.5`` (never ``0.0``)."""
    return shown_bound(value) if isinstance(value, int | float) else str(value)


def plain_words(name: str, error: Mapping[str, Any]) -> str:
    """One validation error in plain words, naming the field as the request does."""
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    msg = str(error.get("msg", "is not valid"))
    field = safe(name[:60]) or "the request"
    words = {
        "missing": "is required",
        "string_too_long": f"is too long: at most {ctx.get('max_length')} characters",
        "string_too_short": f"is too short: at least {ctx.get('min_length')} characters",
        "too_long": f"has too many items: at most {ctx.get('max_length')}",
        "too_short": f"has too few items: at least {ctx.get('min_length')}",
        "int_parsing": "must be a whole number",
        "int_type": "must be a whole number",
        "int_from_float": "must be a whole number",
        # past the digits Python reads as a number (4,300): no bound can be said of it
        "int_parsing_size": "has too many digits",
        "float_parsing": "must be a number",
        "float_type": "must be a number",
        "finite_number": "must be a finite number",
        "bool_parsing": "must be true or false",
        "bool_type": "must be true or false",
        "greater_than_equal": f"must be at least {_bound(ctx.get('ge'))}",
        "greater_than": f"must be more than {_bound(ctx.get('gt'))}",
        "less_than_equal": f"must be at most {_bound(ctx.get('le'))}",
        "less_than": f"must be less than {_bound(ctx.get('lt'))}",
        "enum": f"must be one of {ctx.get('expected')}",
        "literal_error": f"must be one of {ctx.get('expected')}",
        "extra_forbidden": "is not a field of this request",
        "json_invalid": "is not valid JSON",
        "model_attributes_type": "must be an object",
        "model_type": "must be an object",
        "dict_type": "must be an object",
        "list_type": "must be a list",
        "string_type": "must be text",
        "datetime_parsing": "must be a date and time, such as 2026-11-30T08:00:00+07:00",
        "datetime_from_date_parsing": "must be a date and time, such as 2026-11-30T08:00:00+07:00",
    }
    given = error.get("input")
    if kind in _BOUNDED and not _finite(given):
        return f"{field} must be a number"  # NaN fails every bound: it is no number at all
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return f"{field} must not be empty"
    if kind.startswith("datetime") and isinstance(given, str) and plus_lost(given):
        return f"{field} must be a date and time; {PLUS_LOST}"
    if kind == "json_invalid" and "number out of range" in msg:
        # valid JSON, past the digits any number here is read with: say so, not "not JSON"
        return f"{field} has a number with too many digits"
    if kind in words:
        return f"{field} {words[kind]}"
    if kind == "value_error":
        text = safe(msg.removeprefix("Value error, "))
        return text if name and text.startswith(name) else f"{field}: {text}"
    return f"{field}: {safe(msg[:1].lower() + msg[1:])}"


def _strings(value: Any, name: str) -> Iterator[tuple[str, str]]:
    """Each text in a decoded JSON body, keys too, with the place it was found: the top-level
    field a value belongs to, "a key in answers" for a key inside a field's object, "a field
    name" for a key of the body itself."""
    if isinstance(value, str):
        yield name, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield (f"a key in {name}" if name else "a field name"), str(key)
            yield from _strings(inner, name or str(key))
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner, name)


def not_text(error: Mapping[str, Any]) -> RuleViolated | None:
    """The engine's refusal of a text that is not text (a lone surrogate, which JSON can spell
    as ``"\\ud800"``) that the JSON parser or the schema met first, naming the field and the
    position as every other text rule does; ``None`` for any other validation error."""
    kind, given = error.get("type"), error.get("input")
    if kind == "json_invalid" and isinstance(given, bytes | str):
        try:
            texts = list(_strings(json.loads(given), ""))
        except (ValueError, RecursionError):
            return None  # not JSON at all
    elif kind == "string_unicode" and isinstance(given, str):
        names = _names(error.get("loc", ()))
        # no field around it: the text is a key of the body itself ({"\ud800": 1})
        texts = [(names[-1] if names else "a field name", given)]
    else:
        return None
    for name, text in texts:
        if any("\ud800" <= ch <= "\udfff" for ch in text):
            try:
                clean_text(text, field=safe(name[:60]) or "text", limit=len(text) + 1)
            except RuleViolated as exc:
                return exc
    return None


def _names(loc: Any) -> list[str]:
    """The field names in a validation error's location: not where it came from (its first
    item, ``_SOURCES``), a list index or pydantic's name for a union's member."""
    parts = list(loc)
    if parts and parts[0] in _SOURCES:
        parts = parts[1:]
    names = [str(p) for p in parts if not isinstance(p, int) and not _UNION_TAG.match(str(p))]
    # A map the caller keys (``answers`` by question code): the key, and pydantic's "[key]"
    # for an error in the key itself, are not field names; the map is the field.
    for n, name in enumerate(names[:-1]):
        if name in KEYED:
            return names[: n + 1]
    if _KEY in names:
        at = names.index(_KEY)
        return names[: max(at - 1, 0)]
    return names


def map_key(loc: Any) -> tuple[str, bool] | None:
    """The key of a map the caller keys (``KEYED``) that a validation error's location names,
    and whether the error is in the key itself (too long, empty) rather than in its value;
    None when it names no such key."""
    names = [str(p) for p in loc if not isinstance(p, int)]
    for n, name in enumerate(names[:-1]):
        if name in KEYED:
            return names[n + 1], names[n + 2 : n + 3] == [_KEY]
    return None


def field_name(loc: Any) -> str | None:
    """The field as the caller named it: the last name in a validation error's location that
    is not where it came from (body, query …), a list index or pydantic's name for a union's
    member — never FastAPI's "query.x" path; None when there is none (the whole body). A field
    called ``body``, ``query``, ``path`` or ``header`` is named as any other."""
    names = _names(loc)
    return names[-1] if names else None


def _number_for_instant(errors: Any) -> RuleViolated | None:
    """A number given for an instant, or a text in no W3C form (``api.query.INSTANT``): the
    engine's very refusal of an instant without an offset, or of a date and time in another
    form, naming the parameter, so they read and are coded alike everywhere."""
    kind = errors[0].get("type") if errors else None
    if kind not in ("instant_without_offset", "invalid_date", "no_such_date"):
        return None
    name = field_name(errors[0].get("loc", ()))
    shown_name = safe(name[:60]) if name else "the instant"
    if kind == "no_such_date":
        return no_such_day(shown_name, str((errors[0].get("ctx") or {}).get("reason", "")))
    return without_offset(shown_name) if kind == "instant_without_offset" else not_w3c(shown_name)


#: The methods any route of the app may take (``allowed_methods``).
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers at the request's path, HEAD wherever GET is
    (``api.head``): a 405's ``Allow`` (RFC 9110 §15.5.6). Starlette's named only the first
    route at the path (``PUT /api/v1/reports`` said ``Allow: POST``, though GET is served)."""
    methods: set[str] = set()
    routes = [r for r in request.app.router.routes if not isinstance(r, Mount)]
    for method in _METHODS:  # asked of each route as the router asks: does it answer this?
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in routes):
            methods.add(method)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def install(app: FastAPI) -> None:
    @app.exception_handler(TanggapError)
    def _domain(request: Request, exc: TanggapError) -> Response:
        status = status_of(exc)
        if status == 500:
            log.error("unmapped domain error %s: %s", exc.code, exc.message)
            return problem(request, 500, "internal_error", "the server failed; try again later")
        params = getattr(exc, "params", None)
        extra: dict[str, Any] = {"params": params} if params else {}
        if isinstance(exc, FormRefused) and wants_page(request):
            # a page's form that could not be read, or that gave a field twice or one it has
            # no box for, on a page that has no place to say it
            from api.web.errors import refused_page

            return refused_page(request, status, exc.code, params)
        if isinstance(exc, Conflict):
            # a 409 always says where the ticket stands: state, version, allowed triggers
            extra.update(state=exc.state, version=exc.version, allowed=exc.allowed)
        if isinstance(exc, CatalogueError):
            # one problem a line in the engine; one detail line here, and each for a program
            lines = exc.message.splitlines()
            extra["errors"] = [
                {"where": safe(p.where), "path": safe(p.path), "msg": safe(p.message)}
                for p in exc.problems
            ] or [{"where": "", "path": "", "msg": safe(line)} for line in lines]
            return problem(request, status, exc.code, "; ".join(lines), **extra)
        return problem(request, status, exc.code, exc.message, **extra)

    @app.exception_handler(ApiError)
    def _api(request: Request, exc: ApiError) -> Response:
        extra = {"params": exc.params} if exc.params else {}
        return problem(request, exc.status, exc.code, exc.message, exc.headers, **extra)

    @app.exception_handler(RepeatedKey)
    def _repeated(request: Request, exc: RepeatedKey) -> Response:
        return problem(request, 422, "invalid_request", str(exc.detail), params={"field": exc.key})

    @app.exception_handler(TooDeep)
    def _too_deep(request: Request, exc: TooDeep) -> Response:
        return problem(request, 422, "invalid_request", str(exc.detail))

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> Response:
        broken = not_text(exc.errors()[0]) if exc.errors() else None
        if broken is not None:
            return _domain(request, broken)
        number = _number_for_instant(exc.errors())
        if number is not None:
            return _domain(request, number)
        errors = [
            {
                # the request's own path: pydantic's names for a union's members are dropped
                "loc": [
                    p if isinstance(p, int) else safe(str(p)[:60])
                    for p in e.get("loc", ())
                    if isinstance(p, int) or not _UNION_TAG.match(str(p))
                ],
                "msg": safe(str(e.get("msg", ""))),
                "type": e.get("type"),
            }
            for e in exc.errors()
        ]
        raw = exc.errors()
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        name = field_name(first["loc"])
        # Said of the whole body (a catalogue's YAML missing, JSON that is no object or no
        # JSON at all): no field name, and "the request body", not "the request", is what is
        # missing or wrong. A field called "body" is that field (its loc is ["body", "body"]).
        whole_body = name is None and list(first["loc"])[:1] == ["body"]
        if whole_body:
            name = "body"
        detail = plain_words(
            "the request body" if whole_body else name or "", raw[0] if raw else {}
        )
        keyed = map_key(first["loc"])
        noun = KEYED.get(name) if keyed is not None and name is not None else None
        extra: dict[str, Any] = {"params": {"field": name}} if name else {}
        if keyed is not None and noun is not None:
            key, in_key = keyed
            # Said of the key: the map names it, never its (maybe long) text.
            said = f"a {noun} code in {name}" if in_key else f"{name}[{key[:40]}]"
            detail = plain_words(said, raw[0] if raw else {})
            if not in_key:
                extra["params"][noun] = safe(key[:40])
        code = "field_required" if first.get("type") == "missing" else "invalid_request"
        if wants_page(request):
            # a browser's form or link to a page: the page's words, not a problem document
            from api.web.errors import refused_page

            repeated = (raw[0].get("ctx") or {}).get("repeated") if raw else None
            if isinstance(repeated, str):  # ``api.query.refuse_repeated``: the address's own
                return refused_page(request, 422, "repeated_parameter", {"name": safe(repeated)})
            return refused_page(request, 422, code, extra.get("params"))
        return problem(request, 422, code, detail, errors=errors, **extra)

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and wants_page(request):
            from api.web.errors import not_found_page

            return not_found_page(request)
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return problem(request, exc.status_code, "http_error", str(exc.detail), headers)

    @app.exception_handler(DataError)
    def _data(request: Request, exc: DataError) -> Response:
        # PostgreSQL refuses NUL in any text value, even one that is only compared (a code in
        # a query string); SQLite stores it. That is the caller's input, not our fault.
        if "NUL" in str(exc.orig):
            return problem(request, 422, "invalid_characters", "text may not contain NUL (0x00)")
        return _unexpected(request, exc)

    @app.exception_handler(Exception)
    def _unexpected(request: Request, exc: Exception) -> Response:
        # Called after the exception has left its except block: pass it, or the log says
        # "NoneType: None" instead of the traceback an operator needs.
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem(request, 500, "internal_error", "the server failed; try again later")
