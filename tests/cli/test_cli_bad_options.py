"""Every command, every option, a bad value: exit 2, one line on stderr, no traceback, nothing
written (issue 7 §2). The commands and options are read from the app itself, so a new option is
walked without anyone remembering to add it here."""

from __future__ import annotations

import enum
import types
import typing
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import typer.main
from sqlalchemy import func, select
from typer.testing import CliRunner

from cli.main import app
from engine.db import Database
from engine.lifecycle import Role
from engine.models import Base, Ticket
from engine.staff import add_staff
from tests.conftest import MONDAY_9_WIB

#: Control characters (a terminal escape, BEL) and rich markup: no text option accepts it.
BAD_TEXT = "bad\x1b[31m\x07[/]"
#: What the databases refuse even to look up: a NUL (PostgreSQL), a byte that was not UTF-8
#: (a lone surrogate, as Python decodes such a shell argument).
UNSTORABLE = ["a\x00b", "x\udcffy"]
#: Not text at all, and what XML 1.0 (the Open311 feed) cannot carry: a Unicode noncharacter.
NONCHARACTER = "x\uffffy"

#: A valid call of every command that takes required input; ``{code}`` and ``{staff}`` are
#: filled in. Each walked call changes exactly one parameter of these to a bad value.
VALID: dict[str, list[str]] = {
    "config load": ["config", "load", "{catalogue}"],
    "staff add": ["staff", "add", "new-{uid}@tanggap.example", "--name", "Baru", "--agency", "DBM"],
    "staff deactivate": ["staff", "deactivate", "{staff}"],
    "staff activate": ["staff", "activate", "{staff}"],
    "ticket submit": [
        "ticket", "submit", "--category", "traffic_jam", "--description", "macet",
        "--lat", "-6.1754", "--lon", "106.8272",
    ],
    "ticket act": ["ticket", "act", "{code}", "verify", "--as", "{staff}"],
    "ticket show": ["ticket", "show", "{code}"],
    "sla check": ["sla", "check", "{code}"],
    "areas locate": ["areas", "locate", "-6.1754", "106.8272"],
}  # fmt: skip
#: Commands that only read, or write only by design with no options to get wrong.
NO_PARAMETERS = {"lifecycle", "demo"}


def commands() -> Iterator[tuple[str, Any]]:
    def walk(command: Any, path: list[str]) -> Iterator[tuple[str, Any]]:
        subcommands = getattr(command, "commands", None)
        if subcommands is None:
            yield " ".join(path), command
            return
        for name, sub in sorted(subcommands.items()):
            yield from walk(sub, [*path, name])

    yield from walk(typer.main.get_command(app), [])


def _base_type(annotation: Any) -> Any:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType) and args:
        return _base_type(args[0])
    if origin is list and args:
        return _base_type(args[0])
    return annotation


def bad_values(param: Any, tmp_path: Path) -> list[str]:
    """Values this parameter must refuse."""
    kind = _base_type(param.type_descriptor.annotation)
    if getattr(param, "is_flag", False):
        return []  # a flag has no value; "--flag=x" is walked separately
    if kind in (int, float):
        # past a signed 64-bit integer: no row id, limit or count either database can take
        values = ["abc", "1e400x", "9223372036854775808", "999999999999999999999"]
        if param.min is not None:
            values.append(str(param.min - 1))
        if param.max is not None:
            values.append(str(param.max + 1))
        return values
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return ["bogus"]
    if kind is Path:
        return [str(tmp_path / "missing.file"), str(tmp_path)]
    return [BAD_TEXT, *UNSTORABLE, NONCHARACTER]


def cases(tmp_path: Path) -> list[tuple[str, list[str]]]:
    walked: list[tuple[str, list[str]]] = []
    for path, command in commands():
        if path in NO_PARAMETERS:
            assert not [p for p in command.params if p.name != "help"], path
            continue
        base = VALID.get(path, path.split(" "))
        walked.append((path, [*path.split(" "), "--no-such-option"]))
        arguments = [p for p in command.params if p.param_type_name == "argument"]
        for param in command.params:
            if param.param_type_name == "argument":
                position = len(path.split(" ")) + arguments.index(param)
                for value in bad_values(param, tmp_path):
                    walked.append((path, [*base[:position], value, *base[position + 1 :]]))
                continue
            option = param.opts[0]
            if param.is_flag:
                walked.append((path, [*base, f"{option}=maybe"]))
                continue
            for value in bad_values(param, tmp_path):
                walked.append((path, [*base, option, value]))
    return walked


def _counts(database: Database) -> dict[str, int]:
    with database.reading() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


@pytest.fixture
def world(
    database: Database, report_committed: Callable[..., Ticket], tmp_path: Path
) -> dict[str, str]:
    staff = f"walker-{uuid.uuid4().hex[:8]}@tanggap.example"
    with database.transaction() as session:
        add_staff(session, email=staff, name="Walker", role=Role.STAFF, agency="DISHUB",
                  now=MONDAY_9_WIB)  # fmt: skip
    code = report_committed(now=datetime.now(MONDAY_9_WIB.tzinfo)).code
    return {
        "code": code,
        "staff": staff,
        "uid": uuid.uuid4().hex[:8],
        "catalogue": str(Path(__file__).resolve().parents[2] / "catalogue" / "jakarta.yaml"),
    }


def test_cli_every_command_every_option_bad_value_one_line_exit_2_nothing_written(
    tanggap: CliRunner, database: Database, world: dict[str, str], tmp_path: Path
) -> None:
    walked = cases(tmp_path)
    media = Path(tmp_path / "media")
    before = _counts(database)
    failures, shown = [], []
    for path, argv in walked:
        argv = [arg.format(**world) for arg in argv]
        result = tanggap.invoke(app, argv)
        stderr = result.stderr
        ok = (
            result.exit_code == 2
            and stderr.count("\n") == 1
            and stderr.startswith("error: ")
            and "Traceback" not in result.output
            and (result.exception is None or isinstance(result.exception, SystemExit))
        )
        if not ok:
            failures.append((path, argv, result.exit_code, result.output[-300:]))
        shown.append(f"{result.exit_code} {argv!r}: {stderr.strip()}")
    print("\n".join(shown))  # what an operator reads, for whoever runs this with -s
    assert failures == []
    assert _counts(database) == before  # nothing written by any of them
    assert not list(media.rglob("*.*"))
    # The walk reaches every command with parameters and every option of each.
    walked_paths = {path for path, _argv in walked}
    assert walked_paths == {path for path, _c in commands()} - NO_PARAMETERS
    assert len(walked) > 80


def test_cli_bad_values_derived_for_every_kind_of_parameter(tmp_path: Path) -> None:
    walked = cases(tmp_path)
    joined = [" ".join(argv) for _path, argv in walked]
    assert "sweep --batch 0" in joined and "sweep --batch 10001" in joined
    assert "ticket list --state bogus" in joined
    assert "outbox retry 9223372036854775808" in joined
    assert "outbox list --limit 999999999999999999999" in joined
    submit = "ticket submit --category traffic_jam --description macet --lat -6.1754 --lon 106.8272"
    assert f"{submit} --photo {tmp_path}" in joined
    assert "config load " + str(tmp_path) in joined
