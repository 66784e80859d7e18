"""A number or an id typed wrong (``tanggap outbox retry abc``, ``--batch 0``) is refused in one
line naming the parameter, in the engine's words for numbers, exit 2 — never typer's or
pydantic's own ("Input should be a valid integer, unable to parse string as an integer")."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.cli.test_cli_bad_options import VALID, _base_type, commands


def refused(runner: CliRunner, args: list[str]) -> str:
    """The one line on stderr of a command refused with exit 2."""
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["outbox", "retry", "abc"], "outbox retry: outbox id must be a whole number"),
        (["outbox", "retry", "1.5"], "outbox retry: outbox id must be a whole number"),
        (["outbox", "retry", "-5"], "error: no outbox row -5"),
        (["outbox", "retry", "0"], "error: no outbox row 0"),
        # The database's ceiling on a row count is nobody's limit: not worth 19 digits.
        (["outbox", "list", "--limit", "ten"],
         "outbox list: --limit must be a whole number of at least 1"),
        (["escalations", "list", "--limit", "0"],
         "escalations list: --limit must be a whole number of at least 1"),
        (["ticket", "list", "--limit", "x"],
         "ticket list: --limit must be a whole number of at least 1"),
        (["ticket", "list", "--limit", "99999999999999999999"],
         "ticket list: --limit is too large"),
        (["sweep", "--once", "--batch", "0"], "sweep: --batch must be a whole number between 1 "
         "and 10,000"),
        (["sweep", "--once", "--batch", "many"], "sweep: --batch must be a whole number between "
         "1 and 10,000"),
        (["sweep", "--forever", "--interval", "1m"], "sweep: --interval must be a whole number "
         "between 1 and 86,400"),
        (["deliver", "--once", "--batch", "1.5"], "deliver: --batch must be a whole number "
         "between 1 and 1,000"),
        (["close-resolved", "--once", "--batch", "10001"], "close-resolved: --batch must be a "
         "whole number between 1 and 10,000"),
        (["ticket", "act", "JKT-AAAA-AAAA", "rate", "--as", "x@y.id", "--rating", "five"],
         "ticket act: --rating must be a whole number between 1 and 5"),
        (["ticket", "act", "JKT-AAAA-AAAA", "verify", "--as", "x@y.id", "--version", "v2"],
         "ticket act: --version must be a whole number of at least 1"),
        (["ticket", "list", "--at-risk", "soon"],
         "ticket list: --at-risk must be a number"),
        (["ticket", "submit", "--category", "flood", "--description", "banjir", "--lat", "x",
          "--lon", "106.8"], "ticket submit: --lat must be a number between -90 and 90"),
        (["serve", "--port", "http"], "serve: --port must be a whole number between 0 and "
         "65,535"),
        (["serve", "--prefect-port", "70000"], "serve: --prefect-port must be a whole number "
         "between 0 and 65,535"),
        (["areas", "locate", "abc", "106.8"], "areas locate: lat must be a number"),
    ],
)  # fmt: skip
def test_cli_number_typed_wrong_one_line_naming_it(
    tanggap: CliRunner, args: list[str], line: str
) -> None:
    shown = refused(tanggap, args)

    assert shown.endswith(line), shown
    assert shown.startswith("error: ")
    for theirs in ("Input should", "valid integer", "Invalid value", "No such option"):
        assert theirs not in shown


def _numbers() -> list[tuple[str, Any, Any]]:
    """Every parameter of every command that takes a number (an id, a count, a coordinate),
    with its command."""
    return [
        (path, command, param)
        for path, command in commands()
        for param in command.params
        if _base_type(param.type_descriptor.annotation) in (int, float)
    ]


def test_cli_every_number_parameter_refuses_words_in_our_words(tanggap: CliRunner) -> None:
    """Read from the app itself: a number option or argument added later is walked too."""
    numbers = _numbers()
    assert {path for path, _c, _p in numbers} >= {"outbox retry", "outbox list", "sweep", "serve"}
    for path, command, param in numbers:
        words = path.split(" ")
        base = VALID.get(path, words)
        if param.param_type_name == "argument":
            arguments = [p for p in command.params if p.param_type_name == "argument"]
            at = len(words) + arguments.index(param)
            args = [*base[:at], "abc", *base[at + 1 :]]
            name = param.name.replace("_", " ")
        else:
            args = [*base, param.opts[0], "abc"]
            name = param.opts[0]
        args = [a.replace("{code}", "JKT-AAAA-AAAA").replace("{staff}", "x@y.id") for a in args]
        args = [a.replace("{catalogue}", "x.yaml").replace("{uid}", "u") for a in args]
        whole = _base_type(param.type_descriptor.annotation) is int
        kind = "a whole number" if whole else "a number"
        shown = refused(tanggap, args)
        assert f"{path}: {name} must be {kind}" in shown, (args, shown)
        assert "Input should" not in shown
