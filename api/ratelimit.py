"""A per-client limit on anonymous submissions, with the ``limits`` library.

Only accepted submissions count against the allowance (``TANGGAP_SUBMIT_RATE_LIMIT``): a
citizen who gets a 4xx for a missing field and fixes it has not reported anything yet, and
must not be locked out for it. Refused requests have an allowance of their own, five times
as large, so a client that only sends bad requests is still stopped.

Counters live where ``TANGGAP_RATE_LIMIT_STORAGE`` says: in process memory for one process,
or Redis/Memcached when several API processes serve the same city.

A client is its IPv4 address, or its IPv6 /64 network: one device or home is handed a whole /64
(RFC 6177, and mobile carriers give each phone one), and picks addresses in it at will, so a
limit on single IPv6 addresses would hold nobody.

**Follow-ups.** Each of a reporter's follow-ups (a comment, a rating, a dispute, an appeal) is
forwarded to the agency by mail, so a reporter token could fill an agency's mailbox. They have
an allowance per report (``TANGGAP_FOLLOW_UP_RATE_LIMIT``: the token is the report's, and moving
to another address does not renew it) and one per client
(``TANGGAP_FOLLOW_UP_CLIENT_RATE_LIMIT``: one network holding the tokens of many reports), both
used only by follow-ups that were accepted; a refused one counts against the refused requests.
"""

from __future__ import annotations

import functools
import ipaddress
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Literal, ParamSpec, TypeVar
from urllib.parse import urlsplit

from fastapi import Request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.concurrency import run_in_threadpool

from api.errors import TooManyRequests
from engine import Settings
from engine.codes import normalize_code

#: How many refused requests a client may send per accepted one in the same window.
REFUSED_FACTOR = 5
#: An anonymous "me too" counts once per client and report in this window.
SUPPORT_MEMORY = parse("1/day")

#: What a client sends under an allowance: a report, or a "me too" on someone's report.
Sending = Literal["report", "support"]
_BUCKETS: dict[Sending, str] = {"report": "submit", "support": "support_limit"}
_WORDS: dict[Sending, str] = {
    "report": "reports",
    "support": '"me too"s (supporting or following a report)',
}
#: A reporter's follow-ups in their words (each is mailed to the agency).
FOLLOW_UP_WORDS = "follow-ups (comments, ratings, disputes and appeals)"

_P = ParamSpec("_P")
_T = TypeVar("_T")


#: How often expired entries of the in-process counters are pruned (``_MemoryCounters``).
PRUNE_EVERY_S = 1.0


class _MemoryCounters(MemoryStorage):
    """``limits``' in-process storage (``memory://``), whose expired entries are pruned at
    most once a second instead of 10 ms after a hit. The library starts a new thread for each
    pruning, 10 ms after any hit that finds the last one ended: with a request every 10 ms or
    more apart, a thread per request, which cost more CPU than the request's own asking. The
    pruning only frees memory: the moving window compares each entry's time itself, so what
    is allowed and refused does not depend on when it runs."""

    # The library's own hook (``MemoryStorage.__schedule_expiry``, name-mangled): the same
    # thread, started later. Should a release rename it, the library's runs instead.
    def _MemoryStorage__schedule_expiry(self) -> None:
        if not self.timer.is_alive():
            prune = self._MemoryStorage__expire_events  # type: ignore[attr-defined]
            self.timer = threading.Timer(PRUNE_EVERY_S, prune)
            self.timer.daemon = True  # never holds up a process's exit for up to a second
            self.timer.start()


@functools.lru_cache(maxsize=4096)
def _client_of(host: str) -> str:
    """``SubmissionLimiter.client`` of a peer address (asked twice a request: parsed once)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # not an address (a test client's name, a Unix socket): as it is
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class SubmissionLimiter:
    def __init__(self, settings: Settings) -> None:
        self.limit = parse(settings.submit_rate_limit)
        self.refused = type(self.limit)(
            self.limit.amount * REFUSED_FACTOR, self.limit.multiples, self.limit.namespace
        )
        storage = (
            _MemoryCounters(settings.rate_limit_storage)
            if urlsplit(settings.rate_limit_storage).scheme == "memory"
            else storage_from_string(settings.rate_limit_storage)
        )
        self.limiter = MovingWindowRateLimiter(storage)
        self.follow_up = parse(settings.follow_up_rate_limit)
        self.follow_up_client = parse(settings.follow_up_client_rate_limit)
        #: Counters in this process's memory are asked in microseconds, never waiting: the
        #: dependencies ask them on the event loop. A shared store (Redis, Memcached) is a
        #: network round trip: asked on the thread pool, never blocking the loop.
        self.in_memory = isinstance(storage, MemoryStorage)

    async def ask(self, call: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """``call(*args, **kwargs)``, a question to the counters from the event loop
        (``in_memory``: at once; else on the thread pool)."""
        if self.in_memory:
            return call(*args, **kwargs)
        return await run_in_threadpool(call, *args, **kwargs)

    @staticmethod
    def client(request: Request) -> str:
        """Whose allowance a request uses: its IPv4 address, or its IPv6 /64 network (an
        IPv4 address written as IPv6, ``::ffff:a.b.c.d``, is that IPv4 address)."""
        return _client_of(request.client.host if request.client else "unknown")

    def check(self, request: Request, what: Sending = "report") -> None:
        """429 when the client has used up either allowance for ``what``; counts nothing.
        The refusal says what was sent too often: reports, or "me too"s."""
        client = self.client(request)
        for item, bucket, words in (
            (self.limit, _BUCKETS[what], _WORDS[what]),
            (self.refused, "refused", "refused requests"),
        ):
            if not self.limiter.test(item, bucket, client):
                self._refuse(item, bucket, client, words)

    def _refuse(
        self,
        item: RateLimitItem,
        bucket: str,
        key: str,
        what: str,
        where: str = "from this address",
        *,
        say_when: bool = False,
    ) -> None:
        """429 naming what was sent too often, where from and the limit (``say_when``: and in
        how long to try again, as Retry-After says to a program)."""
        reset = self.limiter.get_window_stats(item, bucket, key).reset_time
        wait = max(1, int(reset - time.time()))
        when = f": try again in {_wait_words(wait)}" if say_when else ""
        raise TooManyRequests(
            f"too many {what} {where}; the limit is {item}{when}",
            {"Retry-After": str(wait)},
            params={"retry_after": wait},
        )

    def check_follow_up(self, request: Request, code: str) -> None:
        """429 when report ``code`` or the client has used up its follow-ups, or the client its
        refused requests; counts nothing. The refusal says which, and when to try again."""
        report, client = normalize_code(code), self.client(request)
        for item, bucket, key, where in (
            (self.follow_up, "follow_up", report, "on this report"),
            (self.follow_up_client, "follow_up_client", client, "from this address"),
        ):
            if not self.limiter.test(item, bucket, key):
                self._refuse(item, bucket, key, FOLLOW_UP_WORDS, where, say_when=True)
        if not self.limiter.test(self.refused, "refused", client):
            self._refuse(self.refused, "refused", client, "refused requests", say_when=True)

    def count_follow_up(self, request: Request, code: str, *, accepted: bool) -> None:
        """An accepted follow-up uses the report's and the client's allowance; a refused one
        only the client's refused requests."""
        client = self.client(request)
        if not accepted:
            self.limiter.hit(self.refused, "refused", client)
            return
        self.limiter.hit(self.follow_up, "follow_up", normalize_code(code))
        self.limiter.hit(self.follow_up_client, "follow_up_client", client)

    def first_support(self, request: Request, code: str) -> bool:
        """Whether this is the client's first "me too" on report ``code`` within a day; the
        call itself counts (one atomic step: of two at once, one is first). Several people
        behind one address (a household, a carrier's NAT) then count once a day without
        e-mail: the public figure errs low, never high. Ask only once the "me too" has passed
        every rule (``engine.reports.support`` does); should the request fail after all, its
        ``limit_supports`` forgets it (``forget_support``)."""
        first = self.limiter.hit(SUPPORT_MEMORY, "support", self.client(request), code)
        if first:
            request.state.first_support = code
        return first

    def forget_support(self, request: Request) -> None:
        """Undo this request's first "me too" (``first_support``) and what ``ClientSupports``
        noted or took over: it failed, so it counted nothing and the client's "me too" is still
        to come."""
        client = self.client(request)
        code = getattr(request.state, "first_support", None)
        if code is not None:
            self.limiter.clear(SUPPORT_MEMORY, "support", client, code)
            request.state.first_support = None
        noted = getattr(request.state, "anonymous_support", None)
        if noted is not None:
            self.limiter.clear(SUPPORT_MEMORY, "support_anonymous", client, noted)
            request.state.anonymous_support = None
        claimed = getattr(request.state, "claimed_support", None)
        if claimed is not None:
            self.limiter.hit(SUPPORT_MEMORY, "support_anonymous", client, claimed)
            request.state.claimed_support = None

    def supports(self, request: Request) -> ClientSupports:
        """This request's client's "me too"s, as ``engine.reports.support`` asks of them."""
        return ClientSupports(self, request)

    def count(self, request: Request, *, accepted: bool, what: Sending = "report") -> None:
        item, bucket = (self.limit, _BUCKETS[what]) if accepted else (self.refused, "refused")
        self.limiter.hit(item, bucket, self.client(request))


class ClientSupports:
    """``engine.reports.SupportMemory`` for one request: the client's "me too" of the day
    (``first_support``) and whether it was anonymous, so that an address the same client gives
    later takes that count over instead of adding one (one person, counted once)."""

    def __init__(self, limiter: SubmissionLimiter, request: Request) -> None:
        self.limiter, self.request = limiter, request

    def first(self, code: str, *, anonymous: bool) -> bool:
        first = self.limiter.first_support(self.request, code)
        if first and anonymous:
            client = self.limiter.client(self.request)
            self.limiter.limiter.hit(SUPPORT_MEMORY, "support_anonymous", client, code)
            self.request.state.anonymous_support = code
        return first

    def claim_anonymous(self, code: str) -> bool:
        client = self.limiter.client(self.request)
        if self.limiter.limiter.test(SUPPORT_MEMORY, "support_anonymous", client, code):
            return False  # none remembered (a hit would still be allowed)
        self.limiter.limiter.clear(SUPPORT_MEMORY, "support_anonymous", client, code)
        self.request.state.claimed_support = code
        return True


# The dependencies are coroutines: as plain generators FastAPI would run each of their two
# halves on the thread pool, two hand-offs per request beside the handler's one (each wakes a
# worker thread and then the event loop); ``SubmissionLimiter.ask`` decides where they run.


@asynccontextmanager
async def _limited(request: Request, what: Sending) -> AsyncIterator[None]:
    limiter: SubmissionLimiter = request.app.state.limiter
    await limiter.ask(limiter.check, request, what)
    try:
        yield
    except BaseException:
        await limiter.ask(limiter.count, request, accepted=False, what=what)
        if what == "support":
            await limiter.ask(limiter.forget_support, request)
        raise
    await limiter.ask(limiter.count, request, accepted=True, what=what)


def _wait_words(seconds: int) -> str:
    """How long to wait, as a person reads it: "40 seconds", "12 minutes", "2 hours"."""
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    if seconds < 2 * 3600:
        return f"{-(-seconds // 60)} minutes"
    return f"{-(-seconds // 3600)} hours"


async def limit_follow_ups(request: Request, code: str) -> AsyncIterator[None]:
    """Dependency: refuse a reporter's follow-up (comment, rating, dispute, appeal) once report
    ``code`` or the client has used up its allowance, before anything is read or written; count
    it once it is answered: an accepted one against both allowances, one refused for any other
    reason (a wrong token, a closed report, a missing reason) against the refused requests
    only, so fixing a mistake never costs the reporter a follow-up."""
    limiter: SubmissionLimiter = request.app.state.limiter
    await limiter.ask(limiter.check_follow_up, request, code)
    try:
        yield
    except BaseException:
        await limiter.ask(limiter.count_follow_up, request, code, accepted=False)
        raise
    await limiter.ask(limiter.count_follow_up, request, code, accepted=True)


async def limit_submissions(request: Request) -> AsyncIterator[None]:
    """Dependency: refuse a client over its allowance of reports; count the request once it
    is answered, against the accepted or the refused allowance."""
    async with _limited(request, "report"):
        yield


async def limit_supports(request: Request) -> AsyncIterator[None]:
    """Dependency: the same for "me too" (supporting and following a report), with an
    allowance of its own: a neighbourhood supporting reports does not use up its reporting,
    and a refusal speaks of supporting, not of reporting."""
    async with _limited(request, "support"):
        yield
