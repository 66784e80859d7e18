"""prefect.yaml (workers) and ``tanggap serve`` (one runner) deploy the same flows alike."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml
from prefect import Flow
from prefect.cli.deploy._models import PrefectYamlModel

from workflows.serving import OVERLAP, SCHEDULES, deployments

ROOT = Path(__file__).resolve().parents[2]


def test_prefect_yaml_has_one_deployment_per_flow_as_serve_runs_them() -> None:
    raw = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    config = PrefectYamlModel.model_validate(raw)
    assert [d.name for d in config.deployments] == list(SCHEDULES)
    for entry, deployment in zip(raw["deployments"], config.deployments, strict=True):
        flow, schedule, parameters = SCHEDULES[deployment.name]
        path, name = (deployment.entrypoint or "").split(":")
        target = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)
        assert isinstance(target, Flow) and target is flow and flow.name == deployment.name
        (yaml_schedule,) = entry["schedules"]
        if schedule.interval is not None:
            assert yaml_schedule == {"interval": schedule.interval.total_seconds()}
        else:
            assert yaml_schedule == {"cron": schedule.cron, "timezone": schedule.timezone}
        assert (entry.get("parameters") or {}) == parameters
        limit = OVERLAP.get(deployment.name, 1)
        assert entry["concurrency_limit"] == {"limit": limit, "collision_strategy": "CANCEL_NEW"}
        assert entry["work_pool"] == {"name": "tanggap"}


def test_serve_deployments_import_by_module_path_from_anywhere() -> None:
    for deployment in deployments():
        module, _, name = (deployment.entrypoint or "").rpartition(".")
        assert getattr(importlib.import_module(module), name).name == deployment.name
        assert deployment.concurrency_limit == OVERLAP.get(deployment.name, 1)
