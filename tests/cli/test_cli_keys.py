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
    assert "staff|supervisor|admin|client" in shown.output
    assert "citizen" not in shown.output and "system" not in shown.output
    for role in ("citizen", "system"):
        refused = tanggap.invoke(app, ["keys", "create", "--role", role, "--name", "x"])
        assert refused.exit_code == 2
        assert refused.output.endswith(
            f"unknown role '{role}'; use one of staff, supervisor, admin, client\n"
        ), refused.output


def test_cli_keys_client_key_for_an_open311_app_is_created_listed_and_revoked(
    tanggap: CliRunner, database: Database, name: str
) -> None:
    created = tanggap.invoke(app, ["keys", "create", "--role", "Client", "--name", name])
    assert created.exit_code == 0, created.output
    secret = re.search(r"tgk_\S+", created.output)
    assert secret is not None
    prefix = secret.group().split("_")[1]
    assert created.output.startswith(f"key {prefix} (client) for {name}\n")
    with database.reading() as session:
        holder = authenticate(session, secret.group())
    assert (holder.role, holder.name, holder.agency_id, holder.area_id) == (
        Role.CLIENT,
        name,
        None,
        None,
    )
    listed = json.loads(tanggap.invoke(app, ["keys", "list", "--json"]).output)
    (mine,) = [k for k in listed if k["prefix"] == prefix]
    assert (mine["role"], mine["agency"], mine["area"], mine["staff"], mine["revoked"]) == (
        "client",
        None,
        None,
        None,
        None,
    )
    revoked = tanggap.invoke(app, ["keys", "revoke", prefix])
    assert revoked.exit_code == 0 and revoked.stdout == f"key {prefix} ({name}) revoked\n"
    with database.reading() as session, pytest.raises(Forbidden, match="revoked"):
        authenticate(session, secret.group())
    listed = json.loads(tanggap.invoke(app, ["keys", "list", "--json"]).output)
    assert next(k for k in listed if k["prefix"] == prefix)["revoked"] is not None


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--agency", "DISHUB", "agency"),
        ("--area", "31.71.01", "area"),
        ("--staff", "someone@example.id", "staff member"),
    ],
)
def test_cli_keys_client_key_takes_no_agency_area_or_staff(
    tanggap: CliRunner, database: Database, name: str, option: str, value: str, words: str
) -> None:
    result = tanggap.invoke(
        app, ["keys", "create", "--role", "client", "--name", name, option, value]
    )
    assert result.exit_code == 2, result.output
    assert "a client key is for an Open311 app" in result.output
    assert f"it takes no {words}" in result.output
    with database.reading() as session:
        assert session.query(ApiKey).filter_by(name=name).count() == 0


def test_cli_keys_create_takes_codes_and_role_in_any_case(
    tanggap: CliRunner, database: Database, name: str
) -> None:
    """README: agencies and roles may be typed in any case (as `staff add` takes them)."""
    created = tanggap.invoke(
        app,
        ["keys", "create", "--role", "STAFF", "--name", name, "--agency", "dishub",
         "--area", "31.71"],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    listed = json.loads(tanggap.invoke(app, ["keys", "list", "--json"]).output)
    mine = [(k["role"], k["agency"], k["area"]) for k in listed if k["name"] == name]
    assert mine == [("staff", "DISHUB", "31.71")]


def test_cli_keys_revoke_twice_says_it_was_already_revoked(
    tanggap: CliRunner, database: Database, name: str
) -> None:
    created = tanggap.invoke(
        app, ["keys", "create", "--role", "staff", "--name", name, "--agency", "DISHUB"]
    )
    prefix = re.findall(r"tgk_([0-9a-f]+)_", created.output)[0]
    first = tanggap.invoke(app, ["keys", "revoke", prefix])
    with database.reading() as session:
        revoked_at = session.query(ApiKey).filter_by(prefix=prefix).one().revoked_at
    again = tanggap.invoke(app, ["keys", "revoke", prefix])

    assert first.exit_code == 0 and first.stdout == f"key {prefix} ({name}) revoked\n"
    assert again.exit_code == 0
    assert again.stdout.startswith(f"key {prefix} ({name}) was already revoked (")
    assert "revoked\n" not in again.stdout
    with database.reading() as session:
        assert session.query(ApiKey).filter_by(prefix=prefix).one().revoked_at == revoked_at


def test_cli_keys_revoke_takes_a_leaked_whole_key_and_never_repeats_a_secret(
    tanggap: CliRunner, database: Database, name: str
) -> None:
    created = tanggap.invoke(
        app, ["keys", "create", "--role", "staff", "--name", name, "--agency", "DISHUB"]
    )
    found = re.search(r"tgk_([0-9a-f]{8})_(\S+)", created.output)
    assert found is not None, created.output
    whole, prefix, secret = found[0], found[1], found[2]

    # the right prefix with another secret: refused, naming the prefix and nothing else
    wrong = tanggap.invoke(app, ["keys", "revoke", f"tgk_{prefix}_{secret[::-1]}"])
    assert wrong.exit_code != 0
    assert f"that is not the whole key of api key {prefix}" in wrong.output
    assert secret[:4] not in wrong.output and secret[::-1][:4] not in wrong.output
    with database.reading() as session:
        assert authenticate(session, whole).name == name

    # no recognisable prefix: nothing of what was typed comes back
    for typed in ("tgk-" + whole[4:], f"tgk_{secret}", secret, whole.upper()[4:]):
        # "--": a secret may begin with "-", which the shell would pass on as an option
        refused = tanggap.invoke(app, ["keys", "revoke", "--", typed])
        assert refused.exit_code != 0
        assert "no api key with that prefix" in refused.output, refused.output
        assert secret[:4] not in refused.output and secret[:4].upper() not in refused.output

    # the header that carried it, as a log or a browser's network tab shows it
    wrong_header = tanggap.invoke(app, ["keys", "revoke", f"Bearer tgk_{prefix}_{secret[::-1]}"])
    assert f"that is not the whole key of api key {prefix}" in wrong_header.output
    revoked = tanggap.invoke(app, ["keys", "revoke", f"Authorization: bearer  {whole}"])
    assert revoked.exit_code == 0 and revoked.stdout == f"key {prefix} ({name}) revoked\n"
    assert secret not in revoked.output
    again = tanggap.invoke(app, ["keys", "revoke", f"Bearer {whole}"])
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith(f"key {prefix} ({name}) was already revoked (")
    with database.reading() as session, pytest.raises(Forbidden, match="revoked"):
        authenticate(session, whole)
