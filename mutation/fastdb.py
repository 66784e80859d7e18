"""pytest plugin for mutation runs only: migrate and load the catalogue into SQLite once.

The suite's session fixture ``database`` runs the migrations and loads the Jakarta catalogue
(about 2-4 s on the shared machine). mutmut runs a fresh pytest session for every mutant, so
that set-up would dominate the run. This plugin lets the first unmutated session build the
database as usual, keeps a copy (SQLite's backup API, so the WAL is included), and gives every
later session a copy of it instead of migrating again. Only used through ``[tool.mutmut]``
``pytest_add_cli_args``; ordinary test runs never load it.

A copy is only ever taken while no mutant is active, so a mutant in the code the set-up runs
(``sla.target`` parses the catalogue's targets) cannot leak into the copy every mutant shares.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url

#: Inside ``mutants/`` (mutmut runs pytest there), so each checkout keeps its own copy.
TEMPLATE = Path("tanggap-template.db").resolve()


def _unmutated() -> bool:
    active = os.environ.get("MUTANT_UNDER_TEST", "")
    return "__mutmut_" not in active and active != "fail"


def _copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: pytest.FixtureRequest) -> Generator[None]:
    if fixturedef.argname != "database":
        return (yield)
    url = request.getfixturevalue("database_url")
    if not url.startswith("sqlite"):
        return (yield)
    path = Path(make_url(url).database or "")
    scope = fixturedef.func.__globals__
    if TEMPLATE.exists():
        _copy(TEMPLATE, path)
        saved = scope["schema"], scope["load_catalogue"]
        scope["schema"] = _NoSchema
        scope["load_catalogue"] = _no_catalogue
        try:
            return (yield)
        finally:
            scope["schema"], scope["load_catalogue"] = saved
    result = yield
    if _unmutated():
        partial = TEMPLATE.with_suffix(".part")
        _copy(path, partial)
        partial.replace(TEMPLATE)
    return result


class _NoSchema:
    @staticmethod
    def upgrade(engine: Any) -> None:
        return None


def _no_catalogue(*args: Any, **kwargs: Any) -> None:
    return None
