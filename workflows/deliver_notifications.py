"""The ``deliver-notifications`` deployment: every minute (and on demand), drain the outbox.

The flow body orchestrates: settle what a crash or an ambiguous answer left behind, then claim
and send batch by batch. The claim and the recovery are database tasks, retried only on
transient database errors. Sending a batch is never retried by Prefect: a retry would resend
rows already sent; a row's own failures are retried through its ``next_attempt_at`` backoff.
"""

from __future__ import annotations

from datetime import datetime

from prefect import flow, get_run_logger, task

from engine.delivery import DeliveryPolicy, Outgoing, RecoveryResult, any_work
from workflows import delivery, resources
from workflows.delivery import DeliveryTally
from workflows.runs import name_run

#: Retry a database task only when the database was briefly unavailable.
transient = resources.transient_database_error


def _policy() -> DeliveryPolicy:
    return DeliveryPolicy.from_settings(resources.settings())


@task(retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=transient)
def anything_to_deliver(now: datetime) -> bool:
    with resources.database().reading() as session:
        return any_work(session, now=now, policy=_policy())


@task(retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=transient)
def recover_stuck(now: datetime) -> RecoveryResult:
    return delivery.recover_stuck(resources.database(), now=now, policy=_policy())


@task(retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=transient)
def claim_batch(now: datetime, limit: int) -> list[Outgoing]:
    return delivery.claim_batch(resources.database(), now=now, limit=limit)


@task
def send_batch(batch: list[Outgoing]) -> DeliveryTally:
    return delivery.send_batch(
        resources.database(),
        resources.mail_backend(),
        batch,
        clock=resources.now,
        policy=_policy(),
    )


@flow(name="deliver-notifications")
def deliver_notifications(batch_size: int = 50, max_batches: int = 200) -> dict[str, int]:
    logger = get_run_logger()
    tally = DeliveryTally()
    if not anything_to_deliver(resources.now()):
        logger.info("nothing to deliver")
        name_run("deliver: nothing due")
        return {}
    tally.recovered = recover_stuck(resources.now())
    for _ in range(max_batches):
        batch = claim_batch(resources.now(), batch_size)
        if not batch:
            break
        tally.add(send_batch(batch))
        if len(batch) < batch_size:
            break
    logger.info("via %s: %s", resources.mail_backend().describe(), tally.summary())
    name_run(f"deliver: {tally.summary()}")
    return dict(tally.statuses) | {
        "orphaned": tally.recovered.orphaned,
        "confirmed": tally.recovered.confirmed,
        "requeued": tally.recovered.requeued,
    }
