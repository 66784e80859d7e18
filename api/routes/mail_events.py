"""SendGrid Event Webhook: what happened to each mail we handed over.

``POST /webhooks/sendgrid/events``. The signature is checked with the library's
``EventWebhook`` helper on the raw body (re-serialised JSON would not verify); the headers are
checked first, so a forged or truncated request is a 4xx, never a 500. Events are recorded per
outbox row (``engine.mail_events``); SendGrid retries non-2xx answers, and a repeated event is
recognised by its ``sg_event_id``.

The router reads the app's settings and write transaction from ``app.state.settings`` and
``app.state.transactions.write`` when the app provides them, else from the environment.
"""

from __future__ import annotations

import binascii
import json
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from fastapi import APIRouter, Request, Response
from sendgrid.helpers.eventwebhook import EventWebhook, EventWebhookHeader
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.errors import problem
from api.handlers import ThreadedRoute
from engine import environment
from engine.delivery import DeliveryPolicy
from engine.mail_events import EventsResult, record_events
from engine.settings import Settings

logger = logging.getLogger(__name__)

router = APIRouter(tags=["mail"], route_class=ThreadedRoute)

#: SendGrid posts batches of up to a few thousand events; anything far larger is not SendGrid.
MAX_BODY = 5 * 1024 * 1024


def _settings(request: Request) -> Settings:
    settings = getattr(request.app.state, "settings", None)
    return settings if isinstance(settings, Settings) else environment.settings()


def _transaction(request: Request) -> Callable[[], AbstractContextManager[Session]]:
    transactions = getattr(request.app.state, "transactions", None)
    if transactions is not None:
        write: Callable[[], AbstractContextManager[Session]] = transactions.write
        return write
    return environment.database().transaction


def _verified(key: str, body: bytes, signature: str, timestamp: str) -> bool:
    try:
        verifier = EventWebhook(key.strip())  # a trailing newline in the key breaks the helper
        return bool(verifier.verify_signature(body.decode("utf-8"), signature, timestamp))
    except (ValueError, TypeError, UnsupportedAlgorithm, binascii.Error, UnicodeDecodeError):
        return False


@router.post(
    "/webhooks/sendgrid/events",
    status_code=204,
    response_model=None,
    responses={
        400: {"description": "the body is not a JSON array of events"},
        401: {"description": "the signature or timestamp header is missing"},
        403: {"description": "forged signature, or no verification key configured"},
        413: {"description": "event batch too large"},
    },
)
async def sendgrid_events(request: Request) -> Response:
    settings = _settings(request)
    key = settings.sendgrid_webhook_public_key
    if not key:
        # Unverified events could mark unsent mail as sent: refuse them (SendGrid retries
        # non-2xx answers for a day, time enough to set the key).
        return problem(
            request, 403, "webhook_not_configured", "no webhook verification key configured"
        )
    signature = request.headers.get(EventWebhookHeader.SIGNATURE)
    timestamp = request.headers.get(EventWebhookHeader.TIMESTAMP)
    if not signature or not timestamp:
        return problem(
            request, 401, "signature_missing", "signature and timestamp headers are required"
        )
    body = await request.body()
    if len(body) > MAX_BODY:
        return problem(request, 413, "too_large", "event batch too large")
    if not _verified(key, body, signature, timestamp):
        return problem(request, 403, "signature_invalid", "the signature does not match the body")
    try:
        events: Any = json.loads(body)
    except (ValueError, RecursionError):
        return problem(request, 400, "not_json", "the body is not JSON")
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        return problem(request, 400, "not_events", "expected a JSON array of event objects")
    result = await run_in_threadpool(_store, _transaction(request), settings, events)
    logger.info(
        "mail events: %d recorded, %d repeated, %d ignored, %d confirmed, %d rerouted",
        result.recorded,
        result.duplicates,
        result.ignored,
        result.confirmed,
        result.rerouted,
    )
    return Response(status_code=204)


def _store(
    transaction: Callable[[], AbstractContextManager[Session]],
    settings: Settings,
    events: list[dict[str, Any]],
) -> EventsResult:
    with transaction() as session:
        return record_events(
            session,
            events,
            now=datetime.now(UTC),
            policy=DeliveryPolicy.from_settings(settings),
        )
