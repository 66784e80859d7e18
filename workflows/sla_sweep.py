"""The ``sla-sweep`` deployment: every minute, record due escalation levels and queue e-mails.

Several workers may run it at once (PostgreSQL's SKIP LOCKED splits the tickets between them);
the deployment's concurrency limit keeps one run at a time anyway, so a slow catch-up is never
piled on by the next minute's run.
"""

from __future__ import annotations

from datetime import datetime

from prefect import flow, get_run_logger, task

from engine.escalation import SweepResult, sweep
from engine.text import counted
from workflows import resources
from workflows.runs import deliver_now, name_run

#: Kept under its old name for the tests that import it.
_transient = resources.transient_database_error


@task(retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=_transient)
def sweep_due(now: datetime, batch_size: int, max_batches: int) -> SweepResult:
    """The engine's sweep loop: claim due tickets batch by batch, one transaction each."""
    db = resources.database()
    return sweep(
        db.transaction,
        now=now,
        limit=batch_size,
        reading=db.reading,
        between_batches=db.between_write_batches,
        max_batches=max_batches,
    )


@flow(name="sla-sweep")
def sla_sweep(batch_size: int = 500, max_batches: int = 2000) -> dict[str, int]:
    """Sweep until nothing is due (or ``max_batches``, so a run always ends)."""
    logger = get_run_logger()
    total = sweep_due(resources.now(), batch_size, max_batches)
    logger.info(
        "swept %s: %s, %s queued, %s recorded without mail (%s, %s of clocks already stopped)",
        counted(total.tickets, "ticket"),
        counted(total.escalations, "escalation"),
        counted(total.notifications, "e-mail"),
        counted(total.not_mailed, "level"),
        counted(total.stale_warnings, "stale warning"),
        counted(total.of_stopped_clocks, "level"),
    )
    if total.notifications:
        deliver_now()
    name_run(
        f"sweep: {counted(total.tickets, 'ticket')}, {counted(total.escalations, 'level')}, "
        f"{counted(total.notifications, 'mail')} queued"
    )
    return {
        "tickets": total.tickets,
        "escalations": total.escalations,
        "notifications": total.notifications,
        "not_mailed": total.not_mailed,
    }
