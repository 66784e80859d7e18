"""A local stand-in for SendGrid's v3 ``mail/send`` and its signed Event Webhook.

A real HTTP server on 127.0.0.1 (port chosen by the OS) that the real ``sendgrid`` client talks
to. It checks the payload's shape as SendGrid does, answers 202 with an ``X-Message-Id``, and
on request injects what production throws at us: 429 with Retry-After, 500/503, 400, slow
answers that outlive the client's timeout, a connection dropped before or after the mail was
taken, or a request held open until the test kills the sender. For every mail it takes, it can
post a signed ``processed`` event to a webhook URL, as SendGrid does.

Used by the tests (fixture ``fake_sendgrid``) and by ``bench/delivery.py``.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import random
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
UNAUTHORIZED = "The provided authorization grant is invalid, expired, or revoked"
INVALID = "Does not contain a valid address."
SIGNATURE = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP = "X-Twilio-Email-Event-Webhook-Timestamp"


class Fault(StrEnum):
    NONE = "none"
    TOO_MANY = "429"  # with Retry-After
    SERVER_ERROR = "500"
    UNAVAILABLE = "503"
    BAD_REQUEST = "400"
    SLOW = "slow"  # takes the mail, answers 202 after the client gave up
    DROP_BEFORE = "drop_before"  # closes the connection without answering: nothing taken
    DROP_AFTER = "drop_after"  # takes the mail, closes without answering
    HOLD_BEFORE = "hold_before"  # holds the request unanswered, mail not taken, until released
    HOLD_AFTER = "hold_after"  # takes the mail, then holds the answer until released


#: Faults after which SendGrid has the mail.
TAKEN = {Fault.NONE, Fault.SLOW, Fault.DROP_AFTER, Fault.HOLD_AFTER}


@dataclass
class Accepted:
    outbox_id: str | None
    to: list[str]
    subject: str | None
    text: str | None
    html: str | None
    message_id: str
    payload: dict[str, Any]
    #: When the server took it (Unix time).
    taken_at: float = 0.0


def shape_errors(payload: Any) -> list[dict[str, str]]:
    """What SendGrid's v3 mail/send rejects with a 400, as its error list."""
    errors: list[dict[str, str]] = []

    def err(field_: str, message: str) -> None:
        errors.append({"field": field_, "message": message})

    if not isinstance(payload, dict):
        return [{"field": "", "message": "Bad Request"}]
    people = payload.get("personalizations")
    if not isinstance(people, list) or not people:
        err("personalizations", "The personalizations field is required.")
    else:
        for i, person in enumerate(people):
            to = person.get("to") if isinstance(person, dict) else None
            if not isinstance(to, list) or not to:
                err(f"personalizations.{i}.to", "The to array is required.")
                continue
            for j, who in enumerate(to):
                address = who.get("email") if isinstance(who, dict) else None
                if not isinstance(address, str) or not ADDRESS.fullmatch(address):
                    err(f"personalizations.{i}.to.{j}.email", INVALID)
    sender = payload.get("from")
    if not isinstance(sender, dict) or "@" not in str(sender.get("email", "")):
        err("from.email", "The from email does not contain a valid address.")
    template = payload.get("template_id")
    if not template:
        subject = payload.get("subject")
        if not isinstance(subject, str) or not subject:
            err("subject", "The subject is required.")
        content = payload.get("content")
        if not isinstance(content, list) or not content:
            err("content", "Unless a valid template_id is provided, content is required.")
        else:
            types = [c.get("type") for c in content if isinstance(c, dict)]
            if types and types[0] != "text/plain" and "text/plain" in types:
                err("content", "text/plain must come first")
            for c in content:
                if not isinstance(c, dict) or not c.get("value"):
                    err("content", "content value must be a non-empty string")
    for key, value in (payload.get("custom_args") or {}).items():
        if not isinstance(value, str):
            err(f"custom_args.{key}", "custom_args values must be strings")
    return errors


@dataclass
class FakeSendGrid:
    api_key: str = "SG.fake-key"
    #: Decides the fault for the n-th request (0-based); default: none.
    plan: Callable[[int, dict[str, Any]], Fault] = field(default=lambda _n, _p: Fault.NONE)
    retry_after: int = 2
    slow_seconds: float = 1.0
    #: Where to post signed ``processed`` events for mails taken (None: no events).
    webhook_url: str | None = None
    #: Post events only for mails taken under these faults (None: for every mail taken).
    events_for: set[Fault] | None = None
    #: Post events in batches from a background thread, as SendGrid does, instead of before
    #: answering; ``flush_events`` waits until all are posted.
    batch_events: bool = False

    def __post_init__(self) -> None:
        self.accepted: list[Accepted] = []
        self.requests = 0
        self.faults: list[Fault] = []
        self.event_seconds: list[float] = []
        self._queued: list[dict[str, Any]] = []
        self._queue_lock = threading.Condition()
        self._posting = 0
        self._poster = threading.Thread(target=self._post_batches, daemon=True)
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.holding = threading.Event()
        self._ids = itertools.count(1)
        self._event_ids = itertools.count(1)
        self.signing_key = ec.generate_private_key(ec.SECP256R1())
        der = self.signing_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        #: As SendGrid shows it in Mail Settings: base64 DER on one line.
        self.public_key = base64.b64encode(der).decode()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- life ---
    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeSendGrid:
        self.thread.start()
        self._poster.start()
        return self

    def stop(self) -> None:
        self.flush_events()
        self._stopped = True
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeSendGrid:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # --- what tests read ---
    def delivered_ids(self) -> list[str | None]:
        with self.lock:
            return [mail.outbox_id for mail in self.accepted]

    def mails_to(self, address: str) -> list[Accepted]:
        with self.lock:
            return [m for m in self.accepted if address in m.to]

    # --- the Event Webhook ---
    def sign(self, body: str, timestamp: str) -> str:
        signature = self.signing_key.sign((timestamp + body).encode(), ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(signature).decode()

    def event(self, mail: Accepted, kind: str, **extra: Any) -> dict[str, Any]:
        event = {
            "email": mail.to[0],
            "timestamp": int(time.time()),
            "event": kind,
            "sg_event_id": f"ev-{next(self._event_ids)}",
            "sg_message_id": f"{mail.message_id}.filter0001",
            **{k: v for k, v in (mail.payload.get("custom_args") or {}).items()},
            **extra,
        }
        return event

    def post_events(self, events: list[dict[str, Any]], *, url: str | None = None) -> int:
        """POST events signed as SendGrid signs them; returns the HTTP status."""
        target = url or self.webhook_url
        assert target, "no webhook url"
        body = json.dumps(events)
        stamp = str(int(time.time()))
        request = urllib.request.Request(
            target,
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                SIGNATURE: self.sign(body, stamp),
                TIMESTAMP: stamp,
            },
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    # --- the server ---
    def _take(self, payload: dict[str, Any], fault: Fault) -> Accepted:
        person = payload["personalizations"][0]
        content = {c.get("type"): c.get("value") for c in payload.get("content") or []}
        mail = Accepted(
            outbox_id=(payload.get("custom_args") or {}).get("tanggap_outbox_id"),
            to=[who["email"] for who in person["to"]],
            subject=payload.get("subject"),
            text=content.get("text/plain"),
            html=content.get("text/html"),
            message_id=f"fake{next(self._ids):08d}",
            payload=payload,
            taken_at=time.time(),
        )
        with self.lock:
            self.accepted.append(mail)
        if self.webhook_url and (self.events_for is None or fault in self.events_for):
            event = self.event(mail, "processed")
            if self.batch_events:
                with self._queue_lock:
                    self._queued.append(event)
            else:
                started = time.perf_counter()
                self.post_events([event])
                self.event_seconds.append(time.perf_counter() - started)
        return mail

    def _post_batches(self) -> None:
        while not getattr(self, "_stopped", False):
            with self._queue_lock:
                batch, self._queued = self._queued, []
                self._posting = len(batch)
            if batch:
                status = self.post_events(batch)
                assert status == 204, f"webhook answered {status}"
            with self._queue_lock:
                self._posting = 0
                self._queue_lock.notify_all()
            time.sleep(0.05)

    def flush_events(self, timeout: float = 30) -> None:
        """Wait until every queued event has been posted (the grace period, in a test)."""
        deadline = time.monotonic() + timeout
        with self._queue_lock:
            while (self._queued or self._posting) and time.monotonic() < deadline:
                self._queue_lock.wait(0.05)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: without this, Nagle's algorithm and
            # delayed ACKs add ~20 ms to every answer.
            disable_nagle_algorithm = True

            def log_message(self, *_args: Any) -> None:
                pass

            def answer(self, status: int, body: Any = None, headers: dict[str, str] = {}) -> None:  # noqa: B006
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                if data:
                    self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(data)

            def drop(self) -> None:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)

            def do_POST(self) -> None:
                if self.path != "/v3/mail/send":
                    self.answer(404, {"errors": [{"message": "not found"}]})
                    return
                with fake.lock:
                    n = fake.requests
                    fake.requests += 1
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                    self.answer(401, {"errors": [{"message": UNAUTHORIZED, "field": None}]})
                    return
                try:
                    payload = json.loads(raw)
                except ValueError:
                    self.answer(400, {"errors": [{"message": "Bad Request", "field": None}]})
                    return
                errors = shape_errors(payload)
                if errors:
                    self.answer(400, {"errors": errors})
                    return
                fault = fake.plan(n, payload)
                with fake.lock:
                    fake.faults.append(fault)
                if fault is Fault.DROP_BEFORE:
                    self.drop()
                    return
                if fault is Fault.TOO_MANY:
                    self.answer(429, {"errors": [{"message": "too many requests"}]},
                                {"Retry-After": str(fake.retry_after)})  # fmt: skip
                    return
                if fault in (Fault.SERVER_ERROR, Fault.UNAVAILABLE):
                    self.answer(int(fault.value), {"errors": [{"message": "internal error"}]})
                    return
                if fault is Fault.BAD_REQUEST:
                    error = {"field": "personalizations.0.to.0.email", "message": INVALID}
                    self.answer(400, {"errors": [error]})
                    return
                if fault is Fault.HOLD_BEFORE:
                    fake.holding.set()
                    fake.release.wait()
                    self.drop()
                    return
                mail = fake._take(payload, fault)
                if fault is Fault.DROP_AFTER:
                    self.drop()
                    return
                if fault is Fault.HOLD_AFTER:
                    fake.holding.set()
                    fake.release.wait()
                    self.drop()
                    return
                if fault is Fault.SLOW:
                    time.sleep(fake.slow_seconds)
                with contextlib.suppress(OSError):  # the client may have given up waiting
                    self.answer(202, None, {"X-Message-Id": mail.message_id})

        return Handler


def random_faults(rate: float, seed: int, faults: list[Fault]) -> Callable[[int, Any], Fault]:
    """A plan injecting ``rate`` of requests with one of ``faults``, reproducibly."""
    rng = random.Random(seed)
    lock = threading.Lock()

    def plan(_n: int, _payload: Any) -> Fault:
        with lock:
            return rng.choice(faults) if rng.random() < rate else Fault.NONE

    return plan
