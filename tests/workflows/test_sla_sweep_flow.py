"""The sla-sweep flow: its deployment definition, its task, and a real run under Prefect."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import yaml
from prefect import Flow
from prefect.cli.deploy._models import PrefectYamlModel
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from engine.db import Database
from engine.models import Escalation, Ticket
from workflows import sla_sweep as sweep_module
from workflows.sla_sweep import _transient, sla_sweep, sweep_due

ROOT = Path(__file__).resolve().parents[2]
LONG_AGO = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)


def ledger_size(database: Database, codes: list[str]) -> int:
    with database.reading() as session:
        ids = select(Ticket.id).where(Ticket.code.in_(codes))
        query = select(func.count()).select_from(Escalation).where(Escalation.ticket_id.in_(ids))
        return session.scalar(query) or 0


def test_prefect_yaml_deploys_sla_sweep_every_minute_one_at_a_time() -> None:
    config = PrefectYamlModel.model_validate(yaml.safe_load((ROOT / "prefect.yaml").read_text()))
    (deployment,) = [d for d in config.deployments if d.name == "sla-sweep"]
    assert deployment.schedules is not None
    assert yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"][0]["schedules"] == [
        {"interval": 60}
    ]
    limit = deployment.concurrency_limit
    assert limit is not None and not isinstance(limit, int)
    assert (limit.limit, limit.collision_strategy) == (1, "CANCEL_NEW")
    path, name = (deployment.entrypoint or "").split(":")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    target = getattr(module, name)
    assert isinstance(target, Flow) and target.name == "sla-sweep"


def test_sweep_due_records_due_levels(
    flow_database: Database, report_committed: Callable[..., Ticket], committed: list[str]
) -> None:
    for _ in range(3):
        report_committed(now=LONG_AGO)
    result = sweep_due.fn(datetime(2026, 11, 28, 3, 0, tzinfo=UTC), 500, 10)
    assert result.tickets == 3
    assert ledger_size(flow_database, committed) == result.escalations > 0


def test_sweep_retry_condition_only_for_database_trouble() -> None:
    class State:
        def __init__(self, error: Exception | None) -> None:
            self.error = error

        def result(self) -> None:
            if self.error:
                raise self.error

    busy = OperationalError("UPDATE", {}, Exception("database is locked"))
    assert _transient(None, None, State(busy)) is True
    assert _transient(None, None, State(ValueError("bug"))) is False
    assert _transient(None, None, State(None)) is False


def test_sla_sweep_flow_runs_under_prefect_and_catches_up_once(
    prefect_server: None,
    flow_database: Database,
    report_committed: Callable[..., Ticket],
    committed: list[str],
    monkeypatch,
) -> None:
    for _ in range(5):
        report_committed(now=LONG_AGO)
    monkeypatch.setattr(
        sweep_module.resources, "now", lambda: datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
    )
    first = sla_sweep(batch_size=2)  # three batches: 2 + 2 + 1
    second = sla_sweep(batch_size=2)
    assert first["tickets"] == 5 and first["escalations"] == ledger_size(flow_database, committed)
    assert first["notifications"] > 0
    assert second == {"tickets": 0, "escalations": 0, "notifications": 0, "not_mailed": 0}
