"""Options that take a value from one of the engine's vocabularies (states, priorities,
languages, roles, area levels) read it as the engine and the API read a code
(``engine.text.code_key``): ``--state ON-HOLD`` is ``--state on_hold``. A value none of them
names is one line that lists them, exit 2; ``--help`` lists them too."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from enum import Enum
from typing import Any

import pytest
import typer.main
from typer._click import Context
from typer._click.exceptions import ClickException
from typer.testing import CliRunner

from cli.main import app
from engine.db import Database
from engine.text import code_key
from tests.cli.test_cli_bad_options import _base_type, commands

MONAS = ["--lat", "-6.1754", "--lon", "106.8272"]


def vocabulary_options() -> Iterator[tuple[str, Any, type[Enum]]]:
    """Every option of every command whose value is one of an enum's (walked from the app: a
    new one is checked without anyone adding it here)."""
    for path, command in commands():
        for param in command.params:
            kind = _base_type(param.type_descriptor.annotation)
            if isinstance(kind, type) and issubclass(kind, Enum):
                yield path, param, kind


def spellings(value: str) -> list[str]:
    """``in_progress`` as people type it: IN-PROGRESS, In Progress, in progress, IN_PROGRESS."""
    words = code_key(value).split("_")
    return [
        "-".join(words).upper(),
        " ".join(w.capitalize() for w in words),
        f"  {' '.join(words)} ",
        "_".join(words).upper(),
    ]


def test_cli_the_walk_finds_every_vocabulary_option() -> None:
    found = {(path, param.opts[0]) for path, param, _kind in vocabulary_options()}
    assert {
        ("ticket list", "--state"),
        ("ticket submit", "--priority"),
        ("ticket submit", "--language"),
        ("ticket act", "--priority"),
        ("staff add", "--role"),
        ("keys create", "--role"),
        ("areas list", "--level"),
        ("catalogue show areas", "--level"),
    } <= found


def test_cli_every_vocabulary_option_takes_every_spelling_of_every_value() -> None:
    refused = []
    for path, param, kind in vocabulary_options():
        context = Context(typer.main.get_command(app))
        for member in kind:
            for typed in spellings(member.value):
                try:
                    value = param.process_value(context, [typed] if param.multiple else typed)
                except ClickException as exc:  # what was refused is the finding
                    refused.append(f"{path} {param.opts[0]} {typed!r}: {exc}")
                    continue
                taken = value[0] if param.multiple else value
                if taken != member:
                    refused.append(f"{path} {param.opts[0]} {typed!r} read as {taken!r}")
    assert refused == []


def test_cli_an_unknown_value_is_one_line_listing_every_value(tanggap: CliRunner) -> None:
    for path, param, kind in vocabulary_options():
        result = tanggap.invoke(app, [*path.split(" "), param.opts[0], "onhold"])
        assert result.exit_code == 2, (path, result.output)
        line = result.stderr
        assert line.count("\n") == 1 and line.startswith("error: "), (path, line)
        assert f"Invalid value for '{param.opts[0]}': unknown " in line, line
        listed = line.rsplit("use one of ", 1)[1].strip()
        assert listed == ", ".join(m.value for m in kind), (path, line)


def test_cli_help_lists_the_values_of_each_vocabulary_option(tanggap: CliRunner) -> None:
    for path, param, _kind in vocabulary_options():
        shown = tanggap.invoke(app, [*path.split(" "), "--help"], terminal_width=200).output
        values = "|".join(str(c) for c in param.type_descriptor.choices)
        assert f"{param.opts[0]} <" in shown and values in shown, (path, shown)


def test_cli_ticket_list_takes_a_state_as_the_engine_spells_it(
    tanggap: CliRunner, committed: list[str]
) -> None:
    submitted = tanggap.invoke(
        app,
        ["ticket", "submit", "-q", "--category", "traffic_jam", "--description", "Macet", *MONAS],
    )
    assert submitted.exit_code == 0, submitted.output
    code = submitted.output.split()[0]
    committed.append(code)
    for typed in ["SUBMITTED", " Submitted ", "submitted"]:
        result = tanggap.invoke(app, ["ticket", "list", "--all", "--json", "--state", typed])
        assert result.exit_code == 0, result.output
        assert code in {row["code"] for row in json.loads(result.stdout)}, typed
    for typed in ["ON-HOLD", "On Hold", "on_hold", "IN PROGRESS"]:
        result = tanggap.invoke(app, ["ticket", "list", "--all", "--json", "--state", typed])
        assert result.exit_code == 0, result.output
        assert code not in result.stdout
    result = tanggap.invoke(app, ["ticket", "list", "--state", "ON-HOLD", "--state", "closed"])
    assert result.exit_code == 0, result.output
    if "no tickets match" not in result.output:
        assert "on_hold" in result.output or "closed" in result.output


def test_cli_staff_filing_takes_priority_and_language_in_any_spelling(
    tanggap: CliRunner, database: Database, committed: list[str]
) -> None:
    officer = f"officer-{uuid.uuid4().hex[:8]}@tanggap.example"
    added = tanggap.invoke(
        app, ["staff", "add", officer, "--name", "Rina", "--agency", "DISHUB", "--role", "STAFF"]
    )
    assert added.exit_code == 0 and f"{officer}: staff of DISHUB" in added.output, added.output
    result = tanggap.invoke(
        app,
        ["ticket", "submit", "--category", "traffic_jam", "--description", "Macet", *MONAS,
         "--as", officer, "--priority", "URGENT", "--language", "EN"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "priority urgent" in result.output
    committed.append(result.output.split()[1].rstrip(":"))


def test_cli_areas_listed_by_a_level_in_any_case(tanggap: CliRunner) -> None:
    for command in (["areas", "list"], ["catalogue", "show", "areas"]):
        result = tanggap.invoke(app, [*command, "--level", "KOTA", "--json"])
        assert result.exit_code == 0, result.output
        levels = {row["level"] for row in json.loads(result.stdout)}
        assert levels == {"kota"}, (command, levels)


@pytest.mark.parametrize("role", ["SUPERVISOR", "Supervisor", " supervisor "])
def test_cli_a_staff_role_in_any_case(tanggap: CliRunner, role: str) -> None:
    member = f"lead-{uuid.uuid4().hex[:8]}@tanggap.example"
    result = tanggap.invoke(app, ["staff", "add", member, "--name", "Ani", "--agency", "DBM",
                                  "--role", role])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"{member}: supervisor of DBM" in result.output
