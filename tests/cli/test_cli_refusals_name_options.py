"""What the engine refuses is said naming the option or argument the operator typed
(``--email``, ``--lat``, ``--name``), never the engine's field (``reporter e-mail``,
``staff name``, ``key name``): ``ticket submit``, ``staff add``, ``staff timezone`` and
``keys create`` as ``ticket act`` does (``test_cli_act_options``)."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from cli.fields import as_typed
from cli.main import app
from cli.tickets import SUBMIT_OPTIONS
from engine.db import Database
from engine.models import ApiKey, Staff, Ticket
from engine.submission import Report

SUBMIT = ["ticket", "submit", "--category", "traffic_jam", "--description", "Macet",
          "--lat", "-6.1754", "--lon", "106.8272"]  # fmt: skip
LONG = "x" * 300


def _counts(database: Database) -> tuple[int, int, int]:
    with database.reading() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Ticket, Staff, ApiKey)
        )


def test_cli_every_field_of_a_report_the_command_line_gives_has_its_option() -> None:
    given = {f.name for f in dataclasses.fields(Report)} - {"source", "answers_typed", "media_url"}
    assert given <= set(SUBMIT_OPTIONS), given - set(SUBMIT_OPTIONS)
    assert SUBMIT_OPTIONS["channel"] == "--channel"  # the engine's word for ``source``


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        ([*SUBMIT, "--email", "warga-at-example"],
         "error: --email is not an e-mail address like name@example.org"),
        ([*SUBMIT, "--phone", "12"],
         "error: --phone is not a phone number (5 to 17 digits, e.g. +62 812 3456 7890)"),
        ([*SUBMIT, "--name", LONG], "error: --name has 300 characters; the limit is 200"),
        ([*SUBMIT, "--name", "Budi\nSantoso"],
         "error: --name must be one line: found a line break at character 5"),
        ([*SUBMIT, "--address", LONG * 2], "error: --address has 600 characters; the limit is 300"),
        ([*SUBMIT, "--description", "   "], "error: --description is empty"),
        ([*SUBMIT, "--description", "macet\x1b[31m"],
         "error: --description contains control character U+001B at character 6; only text, "
         "line breaks and tabs allowed"),
        (["staff", "add", "budi-at-example", "--name", "Budi", "--agency", "DBM"],
         "error: email is not an e-mail address like name@example.org"),
        (["staff", "add", "budi@tanggap.example", "--name", LONG, "--agency", "DBM"],
         "error: --name has 300 characters; the limit is 200"),
        (["staff", "add", "budi@tanggap.example", "--name", " ", "--agency", "DBM"],
         "error: --name is empty"),
        (["staff", "add", "budi@tanggap.example", "--name", "Budi", "--agency", "DBM",
          "--timezone", "Mars/Base"],
         "error: --timezone 'Mars/Base' is not a time zone; use an IANA name such as "
         "Asia/Jakarta (WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT)"),
        (["staff", "timezone", "budi@tanggap.example", "Mars/Base"],
         "error: zone 'Mars/Base' is not a time zone; use an IANA name such as "
         "Asia/Jakarta (WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT)"),
        (["keys", "create", "--role", "staff", "--agency", "DBM", "--name", LONG],
         "error: --name has 300 characters; the limit is 200"),
        (["keys", "create", "--role", "staff", "--agency", "DBM", "--name", "kunci\x07"],
         "error: --name contains control character U+0007 at character 6; only one line of "
         "text allowed"),
    ],
)  # fmt: skip
def test_cli_a_refusal_names_the_option_the_operator_typed(
    tanggap: CliRunner, database: Database, argv: list[str], line: str
) -> None:
    before = _counts(database)
    result = tanggap.invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert result.stderr == line + "\n"
    assert _counts(database) == before


def test_cli_a_value_quoted_back_is_never_renamed() -> None:
    """A code typed that happens to spell a field is what was typed, as typed."""
    said = "unknown report category 'reporter_email'; valid: flood"
    assert as_typed(said, SUBMIT_OPTIONS) == said
    assert as_typed("reporter_email is not an e-mail address", SUBMIT_OPTIONS) == (
        "--email is not an e-mail address"
    )


def test_cli_submit_refusal_for_staff_names_the_option(tanggap: CliRunner) -> None:
    officer = f"officer-{uuid.uuid4().hex[:8]}@tanggap.example"
    added = tanggap.invoke(app, ["staff", "add", officer, "--name", "Rina", "--agency", "DBM"])
    assert added.exit_code == 0, added.output
    result = tanggap.invoke(app, [*SUBMIT, "--as", officer, "--email", "x@"])
    assert result.exit_code == 2
    assert result.stderr == "error: --email is not an e-mail address like name@example.org\n"
