"""``ticket act``: what it refuses names the options as typed, and its help says which
actions take each option, as the engine's rules do."""

from __future__ import annotations

import uuid

import pytest
from typer.testing import CliRunner

from cli.main import app
from cli.tickets import ACT_OPTIONS
from engine.actions import command_fields
from engine.db import Database
from engine.lifecycle import USER_TRIGGERS

MONAS = ["--lat", "-6.1754", "--lon", "106.8272"]


@pytest.fixture
def code_and_officer(
    tanggap: CliRunner, database: Database, committed: list[str]
) -> tuple[str, str]:
    officer = f"officer-{uuid.uuid4().hex[:8]}@tanggap.example"
    added = tanggap.invoke(app, ["staff", "add", officer, "--name", "Rina", "--agency", "DISHUB"])
    assert added.exit_code == 0, added.output
    result = tanggap.invoke(
        app,
        ["ticket", "submit", "--quiet", "--category", "traffic_jam", "--description", "Macet",
         *MONAS],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    code = result.output.split()[0]
    committed.append(code)
    return code, officer


def test_cli_every_input_of_an_action_has_its_option() -> None:
    fields = {name for trigger in USER_TRIGGERS for name in command_fields(trigger)}
    assert fields <= set(ACT_OPTIONS), fields - set(ACT_OPTIONS)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["verify", "--rating", "5", "--duplicate-of", "X", "--hide-photo", "x"],
         "verify does not take --duplicate-of, --hide-photo, --rating"),
        (["verify", "--officer", "x@y.z"], "verify does not take --officer"),
        (["update", "--note", "geser", "--lat", "-6.1"],
         "--lon is required with --lat: correct the location with both latitude and longitude"),
        (["update", "--note", "geser", "--lon", "106.8"], "--lat is required with --lon"),
        (["update", "--lat", "-6.1", "--lon", "106.8"], "update needs a reason (--note)"),
        (["mark_duplicate", "--note", "sama"],
         "mark duplicate needs the code of the ticket it duplicates (--duplicate-of)"),
        (["comment", "--note", " "], "a comment needs words: --note is empty"),
    ],
)  # fmt: skip
def test_cli_act_refusals_name_the_options_as_typed(
    tanggap: CliRunner, code_and_officer: tuple[str, str], args: list[str], message: str
) -> None:
    code, officer = code_and_officer
    result = tanggap.invoke(app, ["ticket", "act", code, *args, "--as", officer])
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and message in result.output, result.output
    for field in ("duplicate_of", "hide_photos", "rating,", " lat ", " lon ", "(note)"):
        assert field not in result.output


def test_cli_act_a_ticket_named_its_own_duplicate_names_the_option(
    tanggap: CliRunner, code_and_officer: tuple[str, str]
) -> None:
    code, officer = code_and_officer
    result = tanggap.invoke(
        app,
        ["ticket", "act", code, "mark-duplicate", "--duplicate-of", code, "--note", "x",
         "--as", officer],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert f"error: --duplicate-of names {code} itself" in result.output


@pytest.mark.parametrize("args", [[], ["ticket"], ["keys"]], ids=["tanggap", "ticket", "keys"])
def test_cli_a_group_without_a_command_is_a_usage_error_with_its_help(
    tanggap: CliRunner, args: list[str]
) -> None:
    result = tanggap.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Usage:" in result.output and "Commands" in result.output


def test_cli_help_shows_ranges_in_words(tanggap: CliRunner) -> None:
    shown = " ".join(
        tanggap.invoke(app, ["ticket", "list", "--help"], env={"COLUMNS": "200"}).output.split()
    )
    assert "[default: 50; at least 1]" in shown
    assert "9223372036854775807" not in shown and "<=x" not in shown
    sweep = " ".join(
        tanggap.invoke(app, ["sweep", "--help"], env={"COLUMNS": "200"}).output.split()
    )
    assert "[default: 500; between 1 and 10,000]" in sweep


def test_cli_close_resolved_once_is_not_a_flag_defaulting_on(tanggap: CliRunner) -> None:
    shown = tanggap.invoke(app, ["close-resolved", "--help"], env={"COLUMNS": "200"}).output
    line = next(line for line in shown.splitlines() if "--once" in line)
    assert "default" not in line, line


@pytest.mark.parametrize(
    ("option", "field"),
    [("--officer", "officer"), ("--agency", "agency"), ("--duplicate-of", "duplicate_of"),
     ("--category", "category"), ("--priority", "priority"), ("--lat", "lat"), ("--lon", "lon"),
     ("--rating", "rating")],
)  # fmt: skip
def test_cli_act_help_names_every_action_that_takes_the_option(
    tanggap: CliRunner, option: str, field: str
) -> None:
    """A tester's report: --officer said "(assign, transfer)"; reassign takes it too."""
    shown = tanggap.invoke(app, ["ticket", "act", "--help"], env={"COLUMNS": "400"})
    assert shown.exit_code == 0, shown.output
    rows = shown.output.splitlines()
    (at,) = [n for n, row in enumerate(rows) if row.strip().startswith(option + " ")]
    line = " ".join(rows[at : at + 2])  # a long metavar puts the help on the next line
    takers = [t.value for t in USER_TRIGGERS if field in command_fields(t)]
    assert "(" + ", ".join(takers) + ")" in line, line
