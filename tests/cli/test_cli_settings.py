"""A wrong TANGGAP_ setting stops every command at once: one line naming the variable, exit 2,
no traceback, the value (maybe a password) never repeated."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from engine.settings import Settings

SECRET = "s3cretPassw0rd"


@pytest.mark.parametrize(
    ("variable", "value", "argv", "message"),
    [
        ("TANGGAP_RATE_LIMIT_STORAGE", "bogus", ["lifecycle"],
         "TANGGAP_RATE_LIMIT_STORAGE: not a rate-limit storage like memory:// or "
         "redis://HOST:6379 (unknown scheme)"),
        ("TANGGAP_RATE_LIMIT_STORAGE", f"redis://:{SECRET}@localhost:99999", ["ticket", "list"],
         "TANGGAP_RATE_LIMIT_STORAGE: not a rate-limit storage like memory:// or "
         "redis://HOST:6379 (it does not parse)"),
        ("TANGGAP_SMTP_PORT", "99999", ["deliver", "--once"],
         "TANGGAP_SMTP_PORT: Input should be less than or equal to 65535"),
        ("TANGGAP_SENDGRID_TIMEOUT_SECONDS", "-1", ["outbox", "list"],
         "TANGGAP_SENDGRID_TIMEOUT_SECONDS: Input should be greater than 0"),
        ("TANGGAP_OPERATOR_EMAIL", "notanemail", ["staff", "list"],
         "TANGGAP_OPERATOR_EMAIL: not an e-mail address like name@example.org"),
        ("TANGGAP_DELIVERY_MAX_ATTEMPTS", "0", ["keys", "list"],
         "TANGGAP_DELIVERY_MAX_ATTEMPTS: Input should be greater than or equal to 1"),
        ("TANGGAP_DEBUG", "maybe", ["catalogue", "show", "areas"],
         "TANGGAP_DEBUG: Input should be a valid boolean, unable to interpret input"),
        ("TANGGAP_SESSION_SECRET", SECRET, ["db", "upgrade"],
         "TANGGAP_SESSION_SECRET: too short: use at least 32 random characters, e.g. the output "
         "of python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"),
    ],
)  # fmt: skip
def test_cli_bad_setting_refuses_every_command_naming_the_variable(
    tanggap: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.setenv(variable, value)

    result = tanggap.invoke(app, argv)

    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: {message}\n"
    assert result.stdout == ""
    assert SECRET not in result.output


def test_serve_with_a_bad_rate_limit_storage_starts_nothing(tmp_path: Path) -> None:
    """It used to start, then the app died with limits' ConfigurationError in api.log."""
    env = os.environ | {
        "TANGGAP_HOME": str(tmp_path / "home"),
        "TANGGAP_DATABASE_URL": f"sqlite:///{tmp_path / 'tanggap.db'}",
        "TANGGAP_RATE_LIMIT_STORAGE": "bogus",
    }
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "serve", "--port", "0", "--prefect-port", "0"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == (
        "error: TANGGAP_RATE_LIMIT_STORAGE: not a rate-limit storage like memory:// or "
        "redis://HOST:6379 (unknown scheme)\n"
    )
    assert done.stdout == ""
    assert not (tmp_path / "home").exists()


def test_a_misspelt_variable_is_named_with_the_one_meant_and_the_command_still_runs(
    tanggap: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A typo used to be ignored in silence: the default database was used instead."""
    monkeypatch.setenv("TANGGAP_DATABSE_URL", f"postgresql://u:{SECRET}@db/tanggap")
    monkeypatch.setenv("TANGGAP_NOT_A_THING", "1")
    monkeypatch.setenv("tanggap_debug", "false")  # settings are read in any case: not unknown
    monkeypatch.setenv("TANGGAP_HOME", "/tmp")  # serve's data directory: read, not a setting

    result = tanggap.invoke(app, ["lifecycle"])

    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "warning: TANGGAP_DATABSE_URL is not a Tanggap setting and is ignored; "
        "did you mean TANGGAP_DATABASE_URL?\n"
        "warning: TANGGAP_NOT_A_THING is not a Tanggap setting and is ignored\n"
    )
    assert SECRET not in result.output


@pytest.mark.parametrize("variable", ["TANGGAP_MEDIA_DIR", "TANGGAP_MAIL_DIR"])
def test_cli_a_folder_nothing_can_be_made_in_refuses_every_command_naming_it(
    tanggap: CliRunner, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    """/proc/nope passed (os.access says yes to root) and the first photo failed without
    naming the variable; now every command stops at once."""
    monkeypatch.setenv(variable, "/proc/nope")

    result = tanggap.invoke(app, ["ticket", "list"])

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {variable}: ")
    assert "'/proc'" in result.stderr and result.stderr.count("\n") == 1
    assert result.stdout == ""


def _every_setting() -> list[str]:
    return [*sorted(f"TANGGAP_{name.upper()}" for name in Settings.model_fields), "TANGGAP_HOME"]


@pytest.mark.parametrize("value", ["", "   "])
@pytest.mark.parametrize("variable", _every_setting())
def test_cli_a_blank_setting_is_refused_naming_it_whichever_it_is(
    tanggap: CliRunner, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    """A tester's report: TANGGAP_OPERATOR_EMAIL="" was taken as unset, TANGGAP_SENDGRID_API_KEY=""
    refused, TANGGAP_HOME="" silently the default and TANGGAP_HOME="   " a folder named by three
    spaces. One rule for every setting: blank is refused, naming the variable (unset: the
    default)."""
    monkeypatch.setenv(variable, value)

    result = tanggap.invoke(app, ["staff", "list"])

    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: {variable}: is empty: unset it, or give a value\n"
    assert result.stdout == ""


def test_serve_with_a_blank_home_makes_no_folder_and_starts_nothing(tmp_path: Path) -> None:
    """`TANGGAP_HOME="   " tanggap serve` made a folder named "   " holding serve.lock."""
    env = os.environ | {
        "TANGGAP_HOME": "   ",
        "TANGGAP_DATABASE_URL": f"sqlite:///{tmp_path / 'tanggap.db'}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "serve", "--port", "0", "--prefect-port", "0"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == "error: TANGGAP_HOME: is empty: unset it, or give a value\n"
    assert done.stdout == ""
    assert list(tmp_path.iterdir()) == []
