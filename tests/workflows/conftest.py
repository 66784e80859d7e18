"""Prefect for the workflow tests only: a temporary local Prefect server, offline and quiet.

It costs ~10 s, so only tests that run a real flow ask for ``prefect_server``; the rest call
task and flow bodies as plain functions.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from engine.db import Database
from workflows import resources

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def flow_database(database: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    """Point the flows at the suite's database."""
    monkeypatch.setattr(resources, "database", lambda: database)
    return database
