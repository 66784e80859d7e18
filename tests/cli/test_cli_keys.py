"""``tanggap keys``: a key is shown once, works, is listed without its secret, and revoked."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import delete
from typer.testing import CliRunner

from cli.main import app
from engine.db import Database
from engine.errors import Forbidden
from engine.keys import authenticate
from engine.lifecycle import Role
from engine.models import ApiKey


@pytest.fixture
def name(database: Database) -> Iterator[str]:
    label = f"dishub-desk-{uuid.uuid4().hex[:6]}"
    yield label
    with database.transaction() as session:
        session.execute(delete(ApiKey).where(ApiKey.name == label))


def test_cli_keys_create_list_revoke(tanggap: CliRunner, database: Database, name: str) -> None:
    created = tanggap.invoke(
        app, ["keys", "create", "--role", "staff", "--name", name, "--agency", "DISHUB"]
    )
    assert created.exit_code == 0, created.output
    secret = re.search(r"tgk_\S+", created.output)
    assert secret is not None
    with database.reading() as session:
        holder = authenticate(session, secret.group())
    assert holder.role is Role.STAFF and holder.name == name
    prefix = secret.group().split("_")[1]
    listed = tanggap.invoke(app, ["keys", "list", "--json"])
    mine = [k for k in json.loads(listed.output) if k["prefix"] == prefix]
    assert mine == [
        {
            "prefix": prefix,
            "name": name,
            "role": "staff",
            "agency": "DISHUB",
            "area": None,
            "staff": None,
            "created": mine[0]["created"],
            "revoked": None,
        }
    ]
    assert secret.group() not in listed.output
    table = tanggap.invoke(app, ["keys", "list"])
    assert prefix in table.output and secret.group() not in table.output
    revoked = tanggap.invoke(app, ["keys", "revoke", prefix])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    with database.reading() as session, pytest.raises(Forbidden, match="revoked"):
        authenticate(session, secret.group())


def test_cli_keys_create_refuses_staff_without_agency(tanggap: CliRunner, name: str) -> None:
    result = tanggap.invoke(app, ["keys", "create", "--role", "staff", "--name", name])
    assert result.exit_code == 2
    assert "acts for an agency" in result.output


def test_cli_keys_create_offers_only_the_roles_a_key_may_carry(tanggap: CliRunner) -> None:
    shown = tanggap.invoke(app, ["keys", "create", "--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "staff|supervisor|admin" in shown.output
    assert "citizen" not in shown.output and "system" not in shown.output
    for role in ("citizen", "system"):
        refused = tanggap.invoke(app, ["keys", "create", "--role", role, "--name", "x"])
        assert refused.exit_code == 2
        assert "'staff', 'supervisor', 'admin'" in refused.output
