"""A per-client limit on anonymous submissions, with the ``limits`` library.

Counters live where ``TANGGAP_RATE_LIMIT_STORAGE`` says: in process memory for one process,
or Redis/Memcached when several API processes serve the same city.
"""

from __future__ import annotations

import time

from fastapi import Request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from api.errors import TooManyRequests
from engine import Settings


class SubmissionLimiter:
    def __init__(self, settings: Settings) -> None:
        self.limit = parse(settings.submit_rate_limit)
        self.limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage))

    def hit(self, request: Request) -> None:
        client = request.client.host if request.client else "unknown"
        if not self.limiter.hit(self.limit, "submit", client):
            reset = self.limiter.get_window_stats(self.limit, "submit", client).reset_time
            raise TooManyRequests(
                f"too many reports from this address; the limit is {self.limit}",
                {"Retry-After": str(max(1, int(reset - time.time())))},
            )


def limit_submissions(request: Request) -> None:
    """Dependency: count this anonymous submission against the client's allowance."""
    limiter: SubmissionLimiter = request.app.state.limiter
    limiter.hit(request)
