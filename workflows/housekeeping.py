"""The ``close-resolved``, ``daily-digest`` and ``calendar-check`` deployments.

Each flow body orchestrates batches; each task is one engine call in its own transaction,
retried only when the database was briefly unavailable.
"""

from __future__ import annotations

from datetime import datetime

from prefect import flow, get_run_logger, task

from engine.delivery import DeliveryPolicy
from engine.digest import queue_digests
from engine.housekeeping import (
    CalendarWarning,
    alert_calendar_warnings,
    check_calendars,
    close_resolved_batch,
)
from engine.text import counted
from workflows import resources
from workflows.runs import name_run

#: Retry a database task only when the database was briefly unavailable.
transient = resources.transient_database_error


@task(retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=transient)
def close_batch(now: datetime, limit: int) -> list[str]:
    with resources.database().transaction() as session:
        return close_resolved_batch(session, now=now, settings=resources.settings(), limit=limit)


@flow(name="close-resolved")
def close_resolved(batch_size: int = 200, max_batches: int = 500) -> int:
    """Close resolved tickets whose dispute window has passed, as the system actor."""
    now = resources.now()
    closed: list[str] = []
    for _ in range(max_batches):
        batch = close_batch(now, batch_size)
        closed += batch
        if len(batch) < batch_size:
            break
    get_run_logger().info("closed %s after the dispute window", counted(len(closed), "ticket"))
    name_run(f"close-resolved: {len(closed)} closed")
    return len(closed)


@task(retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=transient)
def queue_today(now: datetime) -> list[str]:
    with resources.database().transaction() as session:
        return queue_digests(session, now=now, settings=resources.settings())


@flow(name="daily-digest")
def daily_digest() -> int:
    """Queue the digest of each supervisor for whom it is 07:00 or later in their own zone and
    who has not had today's (the deployment runs hourly)."""
    queued = queue_today(resources.now())
    get_run_logger().info("queued %s", counted(len(queued), "supervisor digest"))
    name_run(f"daily-digest: {counted(len(queued), 'digest')} queued")
    return len(queued)


@task(retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=transient)
def find_calendar_problems(now: datetime) -> list[CalendarWarning]:
    with resources.database().reading() as session:
        return check_calendars(session, today=now.date())


@task(retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=transient)
def tell_operator(now: datetime, warnings: list[CalendarWarning]) -> bool:
    policy = DeliveryPolicy.from_settings(resources.settings())
    with resources.database().transaction() as session:
        return alert_calendar_warnings(session, warnings, now=now, today=now.date(), policy=policy)


@flow(name="calendar-check")
def calendar_check() -> int:
    """Warn operators about estimated holidays, undecreed cuti bersama and empty calendars."""
    logger = get_run_logger()
    now = resources.now()
    warnings = find_calendar_problems(now)
    for warning in warnings:
        logger.warning("calendar %s: %s", warning.calendar, warning.message)
    told = tell_operator(now, warnings)
    name_run(
        f"calendar-check: {counted(len(warnings), 'warning')}"
        + (", operator mailed" if told else "")
    )
    return len(warnings)
