"""The FastAPI app: ``create_app()`` for tests and servers, ``app`` for ``uvicorn api.app:app``."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import Depends, FastAPI

from api import errors, web
from api.deps import Transactions
from api.head import HeadAsGet
from api.query import known_only, one_value_each
from api.ratelimit import SubmissionLimiter
from api.routes import admin, areas, dashboard, media, open311, reports, tickets
from api.schemas.public import CommentCreate, ReportCreate
from api.schemas.staff import StaffReportCreate, TransitionCreate
from engine import Database, Settings
from engine.environment import settings as default_settings
from engine.errors import ConfigurationError

_PROBLEM: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {
            "type": "string",
            "description": "stable, for programs: a rule's own code where it has one "
            "(control_character, photo_required, outside_service_area, reason_required …), "
            "else the kind of error (rule_violated, not_found …)",
        },
        "params": {
            "type": "object",
            "additionalProperties": True,
            "description": "the values a client needs to word the problem itself: the field "
            "the API names (field), limits, positions, distances",
        },
        "detail": {"type": "string", "description": "for people"},
        "state": {"type": "string", "description": "409: the ticket's state now"},
        "version": {"type": "integer", "description": "409: the ticket's version now"},
        "allowed": {"type": "array", "items": {"type": "string"}},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}
_ERRORS = {
    "description": "RFC 9457 problem document",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}
_OPEN311_ERRORS = {
    "description": "GeoReport v2 error list",
    "content": {
        "application/json": {
            "schema": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "description"],
                    "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
                },
            }
        },
        "text/xml": {"schema": {"type": "string"}},
    },
}


def _openapi_with(app: FastAPI, *models: Any) -> None:
    """Add models that routes reference by hand (the two bodies of POST /reports)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in models:
            definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(definition.pop("$defs", {}))
            components.setdefault(model.__name__, definition)
        components["Problem"] = _PROBLEM
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)  # FastAPI's default; ours is a problem document
                responses["4XX"] = _OPEN311_ERRORS if path.startswith("/open311/") else _ERRORS
                responses["5XX"] = _ERRORS
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def pooled_database(settings: Settings) -> Database:
    """The API's Engine: a connection for each handler thread, and as many again for a request
    that holds a read and a write session at once (a staff key is read beside the write)."""
    threads = settings.api_threads
    return Database(settings.database_url, pool_size=threads, max_overflow=threads)


def _handler_threads(threads: int) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Sync handlers run on AnyIO's thread pool, 40 threads unless told; ``threads`` is set
    when the server starts (``TANGGAP_API_THREADS``). With one interpreter lock, 40 threads
    of Python work mostly wait for it: 8 serve as many, with a lower p99 (bench/README.md)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield

    return lifespan


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    transactions: Transactions | None = None,
) -> FastAPI:
    settings = settings or default_settings()
    if transactions is None:
        transactions = Transactions.of(database or pooled_database(settings))
    app = FastAPI(
        title="Tanggap",
        summary="Citizen reports to a city government: citizen, staff and Open311 APIs",
        version="0.1.0",
        # Served by api/web/docs.py from the vendored Swagger UI: FastAPI's pages load theirs
        # from a CDN. No ReDoc: one documentation page is enough.
        docs_url=None,
        redoc_url=None,
        lifespan=_handler_threads(settings.api_threads),
    )
    app.state.settings = settings
    app.state.transactions = transactions
    app.state.limiter = SubmissionLimiter(settings)
    errors.install(app)
    # A single-valued query parameter given twice is refused, not read as its last value; on
    # our JSON API, so is one the route does not take (``api.query.known_only``). Not on
    # Open311 (its clients send parameters a service may ignore) nor on /media/ (a photo's
    # address, which a page or a cache may decorate with a parameter of its own).
    for router in (reports.router, tickets.router, admin.router, dashboard.router, areas.router):
        app.include_router(router, dependencies=[Depends(one_value_each), Depends(known_only)])
    for router in (media.router, open311.router):
        app.include_router(router, dependencies=[Depends(one_value_each)])
    web.install(app)  # pages at /, /t/{code} …; static files at /static
    # The SendGrid event webhook lives with the delivery work (workflows helper), when present.
    if importlib.util.find_spec("api.routes.mail_events") is not None:
        mail_events = importlib.import_module("api.routes.mail_events")
        app.include_router(mail_events.router)
    _openapi_with(app, ReportCreate, CommentCreate, TransitionCreate, StaffReportCreate)
    app.add_middleware(HeadAsGet)  # HEAD of every GET route: its status and headers, no body
    return app


def _app_or_exit() -> FastAPI:
    """The app from this process's settings; a wrong setting (a database URL naming a photo) is
    one line naming the variable and exit code 2, as the command line says it, before uvicorn
    starts serving, never a traceback."""
    try:
        return create_app()
    except ConfigurationError as exc:
        sys.stderr.write(f"error: {exc.message}\n")
        raise SystemExit(2) from None


app = _app_or_exit()
