"""A retired (deactivated) category's open tickets are still someone's to finish: the
operator's listing and the API worklists take its code as a filter, as for an active one."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import update
from typer.testing import CliRunner

from cli.main import app
from engine.db import Database
from engine.models import Category, Ticket


def test_cli_ticket_list_takes_a_retired_category(
    tanggap: CliRunner,
    report_committed: Callable[..., Ticket],
    database: Database,
) -> None:
    code = report_committed(now=datetime.now(UTC), category="pollution").code
    with database.transaction() as session:
        session.execute(update(Category).where(Category.code == "pollution").values(active=False))
    try:
        listed = tanggap.invoke(app, ["ticket", "list", "--category", "pollution", "--json"])
        unknown = tanggap.invoke(app, ["ticket", "list", "--category", "smog"])
    finally:
        with database.transaction() as session:
            session.execute(
                update(Category).where(Category.code == "pollution").values(active=True)
            )

    assert listed.exit_code == 0, listed.output
    assert [row["code"] for row in json.loads(listed.stdout)] == [code]
    assert unknown.exit_code == 2
    assert unknown.stderr.startswith("error: unknown report category 'smog'")
