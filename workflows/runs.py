"""Flow runs named for what they did: Prefect names a run before it starts ("premium-antelope");
an operator scanning the run list wants "deliver: 12 sent, 1 retry later" instead."""

from __future__ import annotations

from prefect import get_client
from prefect.deployments import run_deployment
from prefect.runtime import deployment, flow_run


def name_run(summary: str) -> None:
    """Rename the current flow run (no-op outside one)."""
    run_id = flow_run.id
    if run_id is None:
        return
    with get_client(sync_client=True) as client:
        client.update_flow_run(run_id, name=summary[:120])


def deliver_now() -> bool:
    """Start a ``deliver-notifications`` run at once, when this run belongs to a deployment
    (the sweep just queued mail: waiting for the next minute would double the latency a
    supervisor feels). If a delivery is already running, the deployment's concurrency limit
    cancels this one and the running delivery or the next minute's picks the mail up."""
    if deployment.id is None:
        return False
    run_deployment("deliver-notifications/deliver-notifications", timeout=0, as_subflow=False)
    return True
