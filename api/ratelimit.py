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
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator
from typing import Literal

from fastapi import Request
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from api.errors import TooManyRequests
from engine import Settings

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


class SubmissionLimiter:
    def __init__(self, settings: Settings) -> None:
        self.limit = parse(settings.submit_rate_limit)
        self.refused = type(self.limit)(
            self.limit.amount * REFUSED_FACTOR, self.limit.multiples, self.limit.namespace
        )
        self.limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage))

    @staticmethod
    def client(request: Request) -> str:
        """Whose allowance a request uses: its IPv4 address, or its IPv6 /64 network (an
        IPv4 address written as IPv6, ``::ffff:a.b.c.d``, is that IPv4 address)."""
        host = request.client.host if request.client else "unknown"
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return host  # not an address (a test client's name, a Unix socket): as it is
        if isinstance(address, ipaddress.IPv6Address):
            if address.ipv4_mapped is not None:
                return str(address.ipv4_mapped)
            return str(ipaddress.IPv6Network((address, 64), strict=False))
        return str(address)

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

    def _refuse(self, item: RateLimitItem, bucket: str, client: str, what: str) -> None:
        reset = self.limiter.get_window_stats(item, bucket, client).reset_time
        raise TooManyRequests(
            f"too many {what} from this address; the limit is {item}",
            {"Retry-After": str(max(1, int(reset - time.time())))},
        )

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
        """Undo this request's first "me too" (``first_support``): it failed, so it counted
        nothing and the client's "me too" is still to come."""
        code = getattr(request.state, "first_support", None)
        if code is not None:
            self.limiter.clear(SUPPORT_MEMORY, "support", self.client(request), code)
            request.state.first_support = None

    def count(self, request: Request, *, accepted: bool, what: Sending = "report") -> None:
        item, bucket = (self.limit, _BUCKETS[what]) if accepted else (self.refused, "refused")
        self.limiter.hit(item, bucket, self.client(request))


def _limited(request: Request, what: Sending) -> Iterator[None]:
    limiter: SubmissionLimiter = request.app.state.limiter
    limiter.check(request, what)
    try:
        yield
    except BaseException:
        limiter.count(request, accepted=False, what=what)
        if what == "support":
            limiter.forget_support(request)
        raise
    limiter.count(request, accepted=True, what=what)


def limit_submissions(request: Request) -> Iterator[None]:
    """Dependency: refuse a client over its allowance of reports; count the request once it
    is answered, against the accepted or the refused allowance."""
    yield from _limited(request, "report")


def limit_supports(request: Request) -> Iterator[None]:
    """Dependency: the same for "me too" (supporting and following a report), with an
    allowance of its own: a neighbourhood supporting reports does not use up its reporting,
    and a refusal speaks of supporting, not of reporting."""
    yield from _limited(request, "support")
