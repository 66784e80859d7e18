"""One delivery pass over the outbox, without Prefect (``tanggap deliver --once`` and the flow).

Order of commits, which is what makes a crash harmless: the claim (rows → ``sending``) commits
before the provider is called; each row's outcome commits right after its call. A crash between
the provider's answer and that commit leaves one row ``sending``; ``recover`` turns it
``uncertain`` and the Event Webhook decides whether it is resent.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from engine.db import Database
from engine.delivery import (
    DeliveryPolicy,
    Outgoing,
    RecoveryResult,
    any_work,
    claim,
    record,
    recover,
)
from workflows.mail import MailBackend

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass
class DeliveryTally:
    #: New status of each attempted row → count (sent, pending = retry later, failed, …).
    statuses: Counter[str] = field(default_factory=Counter)
    recovered: RecoveryResult = field(default_factory=RecoveryResult)
    batches: int = 0

    @property
    def attempted(self) -> int:
        return sum(self.statuses.values())

    def add(self, other: DeliveryTally) -> None:
        self.statuses.update(other.statuses)
        self.batches += other.batches
        for name in ("orphaned", "confirmed", "requeued", "dead"):
            setattr(
                self.recovered,
                name,
                getattr(self.recovered, name) + getattr(other.recovered, name),
            )

    def summary(self) -> str:
        parts = [f"{count} {status}" for status, count in sorted(self.statuses.items())]
        rec = self.recovered
        if rec.orphaned or rec.confirmed or rec.requeued or rec.dead:
            parts.append(
                f"recovered: {rec.orphaned} orphaned, {rec.confirmed} confirmed by events, "
                f"{rec.requeued} requeued, {rec.dead} dead"
            )
        return f"{self.attempted} attempted: " + (", ".join(parts) or "nothing due")


def recover_stuck(db: Database, *, now: datetime, policy: DeliveryPolicy) -> RecoveryResult:
    with db.transaction() as session:
        return recover(session, now=now, policy=policy)


def claim_batch(db: Database, *, now: datetime, limit: int) -> list[Outgoing]:
    with db.transaction() as session:
        return claim(session, now=now, limit=limit)


def send_batch(
    db: Database,
    backend: MailBackend,
    batch: list[Outgoing],
    *,
    clock: Clock,
    policy: DeliveryPolicy,
) -> DeliveryTally:
    """Send each claimed row and commit its outcome at once (never retried as a whole: that
    would send the rows already sent a second time)."""
    tally = DeliveryTally(batches=1)
    for mail in batch:
        result = backend.send(mail)
        with db.transaction() as session:
            status = record(session, mail.id, result, now=clock(), policy=policy)
        if result.error:
            logger.info(
                "outbox row %s to %s: %s (%s)", mail.id, mail.recipient, status, result.error
            )
        tally.statuses[status] += 1
    return tally


def deliver_pass(
    db: Database,
    backend: MailBackend,
    *,
    clock: Clock,
    policy: DeliveryPolicy,
    batch_size: int = 50,
    max_batches: int = 1000,
) -> DeliveryTally:
    """Recover stuck rows, then send due rows batch by batch until none is due."""
    tally = DeliveryTally()
    with db.reading() as session:
        if not any_work(session, now=clock(), policy=policy):
            return tally  # idle: no write transaction, no lock taken
    tally.recovered = recover_stuck(db, now=clock(), policy=policy)
    for _ in range(max_batches):
        batch = claim_batch(db, now=clock(), limit=batch_size)
        if not batch:
            break
        tally.add(send_batch(db, backend, batch, clock=clock, policy=policy))
        if len(batch) < batch_size:
            break
    return tally
