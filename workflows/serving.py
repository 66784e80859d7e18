"""The flows' deployments as ``tanggap serve`` runs them: same names and schedules as
``prefect.yaml`` (a test keeps the two in step), served by one Prefect runner, no work pool.

Run as ``python -m workflows.serving`` with ``PREFECT_API_URL`` pointing at a Prefect server.
Schedules are left as they were on shutdown (``pause_on_shutdown=False``): stopping the
service must not silently switch escalations off for the next start.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from prefect import Flow, get_client
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.runner import Runner
from prefect.schedules import Cron, Interval, Schedule
from prefect.types.entrypoint import EntrypointType

from workflows.deliver_notifications import deliver_notifications
from workflows.housekeeping import calendar_check, close_resolved, daily_digest
from workflows.sla_sweep import sla_sweep

logger = logging.getLogger(__name__)

ZONE = "Asia/Jakarta"
#: Started once at start-up, so an operator sees work at once rather than at the next minute.
STARTED_AT_ONCE = ("sla-sweep", "deliver-notifications")


#: How many runs of a deployment may overlap; a further one is cancelled, not queued. Two
#: deliveries: the one the sweep starts when it queued mail must not be cancelled by the
#: minute's scheduled one (they split rows with SKIP LOCKED). One of everything else.
OVERLAP = {"deliver-notifications": 2}

#: name → (flow, schedule, parameters); the same as prefect.yaml.
SCHEDULES: dict[str, tuple[Flow[..., Any], Schedule, dict[str, Any]]] = {
    "sla-sweep": (sla_sweep, Interval(60), {"batch_size": 500}),
    "deliver-notifications": (deliver_notifications, Interval(60), {"batch_size": 50}),
    "close-resolved": (close_resolved, Interval(3600), {}),
    "daily-digest": (daily_digest, Cron("0 * * * *", timezone=ZONE), {}),
    "calendar-check": (calendar_check, Cron("30 6 * * *", timezone=ZONE), {}),
}


def deployments() -> list[RunnerDeployment]:
    """One deployment per flow, at most ``OVERLAP`` runs at a time (a late run is cancelled)."""
    served = []
    for name, (flow, schedule, parameters) in SCHEDULES.items():
        deployment = flow.to_deployment(
            name,
            schedule=schedule,
            parameters=parameters,
            concurrency_limit=ConcurrencyLimitConfig(
                limit=OVERLAP.get(name, 1), collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
            ),
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
        assert isinstance(deployment, RunnerDeployment)  # sync context: not a coroutine
        served.append(deployment)
    return served


async def serve(served: list[RunnerDeployment]) -> None:
    runner = Runner(name="tanggap", pause_on_shutdown=False, limit=4)
    ids = {}
    for deployment in served:
        ids[deployment.name] = await runner.aadd_deployment(deployment)
    async with get_client() as client:
        for name in STARTED_AT_ONCE:
            await client.create_flow_run_from_deployment(ids[name])
    await runner.start()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    served = deployments()  # built outside the event loop: to_deployment is sync there
    asyncio.run(serve(served))


if __name__ == "__main__":
    main()
