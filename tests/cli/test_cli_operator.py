"""What an operator types and reads (issue 7): text printed literally, one-line answers to
setup mistakes, who may do what, and the views an operator needs."""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from typer.testing import CliRunner

from cli import context
from cli.main import app
from engine.db import Database
from engine.errors import Forbidden
from engine.keys import authenticate
from engine.models import Staff, Ticket
from engine.text import counted

ROOT = Path(__file__).resolve().parents[2]
MONAS = ["--lat", "-6.1754", "--lon", "106.8272"]


def ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def refused(runner: CliRunner, *args: str) -> str:
    """The one line an operator reads on stderr when a command is refused with exit 2."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def tickets(database: Database) -> int:
    with database.reading() as session:
        return session.scalar(select(func.count()).select_from(Ticket)) or 0


@pytest.fixture
def officer(tanggap: CliRunner) -> str:
    email = f"budi-{uuid.uuid4().hex[:8]}@dbm.example"
    ok(tanggap, "staff", "add", email, "--name", "Budi [bold]Santoso[/bold]", "--agency", "dbm")
    return email


@pytest.fixture
def submit(tanggap: CliRunner, committed: list[str]) -> Callable[..., tuple[str, str]]:
    def run(*extra: str, category: str = "broken_street_light") -> tuple[str, str]:
        out = ok(
            tanggap, "ticket", "submit", "--quiet", "--category", category, *MONAS,
            "--description", "Lampu [/] mati", *extra,
        )  # fmt: skip
        code, token = out.split()
        committed.append(code)
        return code, token

    return run


def photo_file(tmp_path: Path, name: str = "bukti.jpg") -> str:
    path = tmp_path / name
    Image.new("RGB", (64, 48), (90, 90, 90)).save(path)
    return str(path)


# --- §1 text is data, never markup --------------------------------------------------------


def test_cli_markup_in_citizen_and_staff_text_printed_literally(
    tanggap: CliRunner, submit, officer: str, wide: None
) -> None:
    code, _token = submit("--address", "Jl. [link=https://evil.example]Sudirman[/link]")
    ok(tanggap, "ticket", "act", code, "verify", "--as", officer, "--note", "cek [red]PLN[/red]")

    shown = ok(tanggap, "ticket", "show", code)
    listed = ok(tanggap, "staff", "list")

    assert "Lampu [/] mati" in shown  # used to be a MarkupError traceback, for good
    assert "Jl. [link=https://evil.example]Sudirman[/link]" in shown
    assert "[internal] cek [red]PLN[/red]" in shown
    assert "Budi [bold]Santoso[/bold]" in shown and "Budi [bold]Santoso[/bold]" in listed
    assert "\x1b" not in shown  # no styling reaches a pipe


def test_cli_missing_choice_lists_the_choices_on_one_line(tanggap: CliRunner) -> None:
    """click lays the choices out on lines; they read "\\n staff,\\n supervisor" escaped."""
    line = refused(tanggap, "keys", "create", "--name", "Petugas")
    assert line.endswith(
        " keys create: Missing option '--role'. Choose from: staff, supervisor, admin, client"
    ), line


def test_cli_markup_in_error_message_printed_literally(tanggap: CliRunner) -> None:
    line = refused(tanggap, "ticket", "submit", "--category", "[/]", *MONAS, "--description", "x")

    assert line.startswith("error: unknown report category '[/]'; valid: ")
    assert "broken_street_light" in line


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--description", "Lampu\x1b[2Jmati", "--description contains control character U+001B"),
        ("--description", "\u200b\u200b \u3000", "--description is empty"),
        ("--name", "Siti\x07", "--name contains control character U+0007"),
        ("--address", "x" * 301, "--address has 301 characters; the limit is 300"),
        ("--name", "n" * 201, "--name has 201 characters; the limit is 200"),
        ("--phone", "1" * 41, "--phone has 41 characters; the limit is 40"),
        ("--email", "e" * 243 + "@example.org", "--email has 255 characters"),
        ("--email", "not-an-email", "--email is not an e-mail address"),
    ],
)
def test_cli_submit_unclean_or_too_long_text_refused_nothing_written(
    tanggap: CliRunner, database: Database, option: str, value: str, message: str
) -> None:
    before = tickets(database)
    args = ["ticket", "submit", "--category", "traffic_jam", *MONAS, "--description", "macet"]

    line = refused(tanggap, *args, option, value)

    assert line.startswith(f"error: {message}")
    assert value[:20] not in line or len(value) < 6  # personal data is never echoed
    assert tickets(database) == before


# --- §2 setup mistakes: one line, nothing left behind --------------------------------------


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tanggap: CliRunner) -> Iterator[Callable]:
    def set_env(**values: str) -> None:
        for key, value in values.items():
            monkeypatch.setenv(f"TANGGAP_{key}", value)
        context.reset()

    yield set_env
    context.reset()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DISPUTE_WINDOW_DAYS", "abc", "TANGGAP_DISPUTE_WINDOW_DAYS: Input should be a valid int"),
        ("DISPUTE_WINDOW_DAYS", "-3", "TANGGAP_DISPUTE_WINDOW_DAYS: Input should be greater"),
        ("DATABASE_URL", "mysql://root@localhost/x", "TANGGAP_DATABASE_URL: unsupported database"),
        ("DATABASE_URL", "not a url", "TANGGAP_DATABASE_URL: not a database URL"),
        ("TIMEZONE", "Mars/Olympus", "TANGGAP_TIMEZONE: unknown time zone 'Mars/Olympus'"),
        ("CODE_PREFIX", "jkt-1", "TANGGAP_CODE_PREFIX: String should match pattern"),
        ("MAX_PHOTO_BYTES", "0", "TANGGAP_MAX_PHOTO_BYTES: Input should be greater"),
    ],
)
@pytest.mark.parametrize("command", [["ticket", "list"], ["db", "upgrade"], ["staff", "list"]])
def test_cli_bad_setting_one_line_naming_the_variable(
    tanggap: CliRunner, environment, variable: str, value: str, message: str, command: list[str]
) -> None:
    environment(**{variable: value})

    line = refused(tanggap, *command)

    assert line.startswith(f"error: {message}")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql+psycopg://tanggap:s3cret-pw@127.0.0.1:1/tanggap",
            "postgresql+psycopg://tanggap:***@127.0.0.1:1/tanggap:",
        ),
        (  # libpq also takes the password as a query parameter
            "postgresql+psycopg://tanggap@127.0.0.1:1/tanggap?password=s3cret-pw",
            "postgresql+psycopg://tanggap@127.0.0.1:1/tanggap?password=***:",
        ),
        (
            "postgresql+psycopg://tanggap@127.0.0.1:1/t?sslpassword=s3cret-pw&connect_timeout=5",
            "postgresql+psycopg://tanggap@127.0.0.1:1/t?connect_timeout=5&sslpassword=***:",
        ),
    ],
)
def test_cli_database_url_password_never_shown(
    tanggap: CliRunner, environment, url: str, shown: str
) -> None:
    environment(DATABASE_URL=url)

    line = refused(tanggap, "ticket", "list")

    assert line.startswith(f"error: cannot reach the database at {shown} ")
    assert "s3cret-pw" not in line


def test_cli_before_db_upgrade_says_how_and_leaves_no_file(
    tanggap: CliRunner, environment, tmp_path: Path
) -> None:
    missing = tmp_path / "elsewhere" / "tanggap.db"
    missing.parent.mkdir()
    environment(DATABASE_URL=f"sqlite:///{missing}")

    for command in (
        ["ticket", "list"],
        ["staff", "add", "a@b.example", "--name", "A"],
        ["sweep", "--once"],
        ["config", "load", str(ROOT / "catalogue/jakarta.yaml")],
    ):
        line = refused(tanggap, *command)
        assert line == (
            f"error: no database at {missing} (TANGGAP_DATABASE_URL): run `tanggap db upgrade` "
            "to create it, or set TANGGAP_DATABASE_URL"
        )  # fmt: skip
    assert list(missing.parent.iterdir()) == []  # no empty tanggap.db left behind


def test_cli_not_migrated_database_says_run_db_upgrade(
    tanggap: CliRunner, environment, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    environment(DATABASE_URL=f"sqlite:///{empty}")

    line = refused(tanggap, "ticket", "list")

    assert (
        line == f"error: the database at sqlite:///{empty} is not set up: run `tanggap db upgrade`"
    )
    assert empty.stat().st_size == 0  # a read-only command wrote nothing into it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]  # nor beside it


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("photo.jpg", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8, "is not an SQLite database"),
        ("notes.txt", b"catatan rapat\n", "is not an SQLite database"),
        ("folder", None, "is a directory, not an SQLite database"),
    ],
)
@pytest.mark.parametrize(
    "command", [["ticket", "list"], ["db", "upgrade"], ["sweep", "--once"], ["serve"]]
)
def test_cli_database_url_naming_a_file_that_is_no_database_is_one_line_and_exit_2(
    tanggap: CliRunner,
    environment,
    tmp_path: Path,
    name: str,
    content: bytes | None,
    said: str,
    command: list[str],
) -> None:
    path = tmp_path / name
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    environment(DATABASE_URL=f"sqlite:///{path}", HOME=str(tmp_path / "home"))

    line = refused(tanggap, *command)

    assert line == f"error: TANGGAP_DATABASE_URL: {path} {said}"
    if content is not None:
        assert path.read_bytes() == content  # untouched: no SQLite header written into it
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no -wal, -shm, serve home


def test_http_app_refuses_a_database_url_naming_a_file_that_is_no_database(
    tmp_path: Path,
) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 not a database")
    env = {**os.environ, "TANGGAP_DATABASE_URL": f"sqlite:///{photo}"}

    started = subprocess.run(
        [sys.executable, "-c", "import api.app"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )

    assert started.returncode == 2
    assert started.stderr == f"error: TANGGAP_DATABASE_URL: {photo} is not an SQLite database\n"


def test_cli_db_upgrade_new_database_says_what_it_created(
    tanggap: CliRunner, environment, tmp_path: Path
) -> None:
    path = tmp_path / "new.db"
    environment(DATABASE_URL=f"sqlite:///{path}")

    first = ok(tanggap, "db", "upgrade")
    second = ok(tanggap, "db", "upgrade")

    assert re.match(rf"created the database at sqlite:///{path}: \d+ tables, revision \d+", first)
    assert second.startswith(f"the database at sqlite:///{path} is up to date (revision ")
    assert "No such" not in ok(tanggap, "ticket", "list")  # usable at once


def test_cli_db_upgrade_refuses_a_database_holding_other_tables_unless_told(
    tanggap: CliRunner, environment, tmp_path: Path
) -> None:
    """A tester's report: `db upgrade` of an SQLite file (or PostgreSQL database) holding
    another application's tables said "created the database … 22 tables" and mixed Tanggap's
    tables in without a word. It is refused, nothing written, unless --into-existing."""
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as shop:
        shop.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        shop.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
    environment(DATABASE_URL=f"sqlite:///{path}")

    line = refused(tanggap, "db", "upgrade")

    assert line == (
        f"error: the database at sqlite:///{path} already holds 2 tables (customers, orders) and "
        "no Tanggap schema: point TANGGAP_DATABASE_URL at a new or empty database, or add "
        "--into-existing to create Tanggap's tables beside them"
    )
    with sqlite3.connect(path) as shop:
        names = [r[0] for r in shop.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert sorted(names) == ["customers", "orders"]

    made = ok(tanggap, "db", "upgrade", "--into-existing")

    assert re.match(
        rf"created Tanggap's \d+ tables in the database at sqlite:///{path}, beside the 2 "
        r"tables already there: revision \d+\n",
        made,
    )
    assert "is up to date" in ok(tanggap, "db", "upgrade")
    assert "No such" not in ok(tanggap, "ticket", "list")


def test_cli_a_database_at_a_revision_that_is_not_tanggaps_is_refused_by_every_command(
    tanggap: CliRunner, environment, tmp_path: Path
) -> None:
    """Another application's Alembic revision made `db upgrade` fail with "unexpected
    CommandError", and every other command advise `run tanggap db upgrade`."""
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        other.execute("INSERT INTO alembic_version VALUES ('ae1027a6acf')")
    environment(DATABASE_URL=f"sqlite:///{path}")

    for command in (["db", "upgrade"], ["db", "upgrade", "--into-existing"], ["ticket", "list"]):
        assert refused(tanggap, *command) == (
            f"error: the database at sqlite:///{path} is at revision 'ae1027a6acf', which is "
            "none of this version of Tanggap's: it belongs to a newer Tanggap or to another "
            "application; point TANGGAP_DATABASE_URL at Tanggap's database"
        )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("DIRECTORY", "is a directory"),
        ("version: 1\n".encode("utf-16"), "is UTF-16 text; save it as UTF-8"),
        (bytes(range(256)) * 4, "is not a text file"),
        ("nama: Jalan Café\n".encode("latin-1"), "is not UTF-8 text (line 1); save it as UTF-8"),
        ("MISSING", "does not exist"),
    ],
)
def test_cli_config_load_not_a_catalogue_file_one_line(
    tanggap: CliRunner, tmp_path: Path, content: bytes | str, message: str
) -> None:
    path = tmp_path / "catalogue.yaml"
    if content == "DIRECTORY":
        path.mkdir()
    elif content != "MISSING":
        assert isinstance(content, bytes)
        path.write_bytes(content)

    line = refused(tanggap, "config", "load", str(path))

    # A tester's report: a binary file was "Invalid value for 'catalogue.yaml'", the file named
    # as if it were the parameter. The argument is named, then the file (as click names it).
    assert line.endswith(
        f" config load: Invalid value for 'file': file {str(path)!r} {message}."
        if content in ("DIRECTORY", "MISSING")
        else f" config load: Invalid value for 'file': {path} {message}"
    )


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_cli_photo_missing_or_directory_one_line_nothing_written(
    tanggap: CliRunner, database: Database, tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "nope.jpg" if kind == "missing" else tmp_path
    before = tickets(database)

    line = refused(
        tanggap, "ticket", "submit", "--category", "broken_road", *MONAS,
        "--description", "jalan berlubang", "--photo", str(path),
    )  # fmt: skip

    assert "Invalid value for '--photo'" in line
    assert ("does not exist" if kind == "missing" else "is a directory") in line
    assert tickets(database) == before


@pytest.mark.parametrize("batch", ["0", "-1"])
def test_cli_sweep_batch_below_one_refused(tanggap: CliRunner, batch: str) -> None:
    line = refused(tanggap, "sweep", "--once", "--batch", batch)

    assert line.endswith(" sweep: --batch must be a whole number between 1 and 10,000")


def test_cli_ticket_list_unknown_state_refused(tanggap: CliRunner) -> None:
    line = refused(tanggap, "ticket", "list", "--state", "bogus")

    assert line.endswith(
        "'--state': unknown state 'bogus'; use one of submitted, verified, assigned, "
        "in_progress, on_hold, resolved, closed, rejected, duplicate"
    ), line


def test_cli_ticket_list_unknown_area_suggests_only_close_codes(tanggap: CliRunner) -> None:
    nothing_close = refused(tanggap, "ticket", "list", "--area", "💥")
    close = refused(tanggap, "ticket", "list", "--area", "31.71.01.100")

    assert nothing_close == "error: unknown area '💥'; no area code is close to it"
    assert close.startswith("error: unknown area '31.71.01.100'; did you mean: ")
    suggested = close.split("did you mean: ")[1].split(", ")
    assert "31.71.01.1001" in suggested and len(suggested) <= 8


def test_cli_codes_in_any_case(tanggap: CliRunner, committed: list[str]) -> None:
    """Category, priority, language, state and agency codes typed in capitals or lower case."""
    out = ok(tanggap, "ticket", "submit", "--category", "TRAFFIC-JAM", *MONAS,
             "--description", "macet", "--language", "EN", "--quiet")  # fmt: skip
    code = out.split()[0]
    committed.append(code)
    listed = ok(tanggap, "ticket", "list", "--agency", "dishub", "--state", "SUBMITTED",
                "--category", "Traffic_Jam", "--json", "--limit", "1000")  # fmt: skip
    assert code in listed


def test_cli_counts_agree_with_their_noun() -> None:
    assert [counted(n, "open ticket") for n in (0, 1, 2)] == [
        "0 open tickets", "1 open ticket", "2 open tickets",
    ]  # fmt: skip


# --- §3 who may do what --------------------------------------------------------------------


def test_cli_citizen_priority_refused_staff_on_behalf_sets_it(
    tanggap: CliRunner, database: Database, officer: str, committed: list[str]
) -> None:
    before = tickets(database)
    args = ["ticket", "submit", "--category", "traffic_jam", *MONAS, "--description", "macet"]

    line = refused(tanggap, *args, "--priority", "urgent")
    out = ok(tanggap, *args, "--priority", "URGENT", "--as", officer.upper())

    assert line == "error: only staff set a report's priority; leave it out"
    committed.append(re.search(r"submitted (\S+):", out).group(1))  # type: ignore[union-attr]
    assert "priority urgent" in out
    assert tickets(database) == before + 1


def test_cli_two_identities_in_one_call_refused(tanggap: CliRunner, submit, officer: str) -> None:
    code, token = submit()

    line = refused(tanggap, "ticket", "act", code, "verify", "--as", officer, "--token", token)

    assert "say who acts once: --as STAFF_EMAIL or --token TOKEN, not both" in line


@pytest.mark.parametrize("token", ["wrong-token", "x\udcffy", "a\x00b"])
def test_cli_wrong_reporter_token_refused_one_line(
    tanggap: CliRunner, submit, officer: str, tmp_path: Path, token: str
) -> None:
    code, _token = submit()
    for action in ("verify", "assign", "start"):
        ok(tanggap, "ticket", "act", code, action, "--as", officer)
    ok(tanggap, "ticket", "act", code, "resolve", "--as", officer, "--note", "diganti",
       "--photo", photo_file(tmp_path))  # fmt: skip

    line = refused(tanggap, "ticket", "act", code, "reopen", "--token", token, "--note", "x")

    assert line == "error: the reporter token does not match this report"


def test_cli_codes_any_spelling_accepted(tanggap: CliRunner, submit, officer: str) -> None:
    code, _token = submit(category="BROKEN-STREET-LIGHT")
    ok(tanggap, "ticket", "act", code.lower(), "Verify", "--as", officer)
    ok(tanggap, "ticket", "act", code, "ASSIGN", "--as", officer, "--agency", "dbm")

    other, _ = submit()
    out = ok(tanggap, "ticket", "act", other, "mark-duplicate", "--as", officer,
             "--duplicate-of", code)  # fmt: skip

    assert f"{other} is now duplicate" in out


def test_cli_staff_deactivate_then_activate(tanggap: CliRunner, submit, officer: str) -> None:
    code, _token = submit()
    ok(tanggap, "ticket", "act", code, "verify", "--as", officer)
    ok(tanggap, "ticket", "act", code, "assign", "--as", officer, "--officer", officer)

    out = ok(tanggap, "staff", "deactivate", officer)
    again = ok(tanggap, "staff", "deactivate", officer)
    line = refused(tanggap, "ticket", "act", code, "start", "--as", officer)
    ok(tanggap, "staff", "activate", officer)
    active_again = ok(tanggap, "staff", "activate", officer)
    started = ok(tanggap, "ticket", "act", code, "start", "--as", officer)

    assert f"{officer} is deactivated" in out
    # The officer was DBM's only active member: nobody is left to reassign it to.
    assert (
        f"1 open ticket of DBM has no officer now, and DBM has no active staff left to name: "
        f"{code}; add one" in out
    )
    assert again == f"{officer} was already deactivated\n"
    assert active_again == f"{officer} was already active\n"
    assert line == f"error: staff account {officer} is deactivated"
    assert f"{code} is now in_progress" in started


def test_cli_a_deactivated_officers_api_key_stops_and_comes_back_with_them(
    tanggap: CliRunner, database: Database, officer: str
) -> None:
    made = ok(tanggap, "keys", "create", "--role", "staff", "--agency", "DBM",
              "--staff", officer, "--name", "Budi's key")  # fmt: skip
    found = re.search(r"tgk_\S+", made)
    assert found is not None
    secret = found.group()

    out = ok(tanggap, "staff", "deactivate", officer)
    with database.reading() as session, pytest.raises(Forbidden) as refused_key:
        authenticate(session, secret)
    back = ok(tanggap, "staff", "activate", officer)
    with database.reading() as session:
        holder = authenticate(session, secret)

    assert "1 api key of theirs stops working until they are activated again" in out
    assert refused_key.value.message.endswith("belongs to a deactivated staff account")
    assert "1 api key of theirs works again" in back
    assert holder.staff_email == officer
    prefix = secret.split("_")[1]
    ok(tanggap, "keys", "revoke", prefix)


# --- §4 what an operator needs to see ------------------------------------------------------


def test_cli_version(tanggap: CliRunner) -> None:
    assert re.fullmatch(r"tanggap \d+\.\d+\.\d+\S*\n", ok(tanggap, "--version"))


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("categories", "broken_street_light"),
        ("agencies", "DBM"),
        ("areas", "Kelurahan Gambir"),
        ("policies", "infrastructure_repairs"),
    ],
)
def test_cli_catalogue_show_lists_codes_table_and_json(
    tanggap: CliRunner, section: str, expected: str, wide: None
) -> None:
    table = ok(tanggap, "catalogue", "show", section)
    rows = json.loads(ok(tanggap, "catalogue", "show", section, "--json"))

    assert expected in table
    assert expected in json.dumps(rows, ensure_ascii=False)
    assert all("code" in row for row in rows)


def test_cli_catalogue_show_categories_says_which_are_not_public(
    tanggap: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(context.console, "width", 250)  # every column, unfolded
    rows = json.loads(ok(tanggap, "catalogue", "show", "categories", "--json"))
    hidden = {row["code"] for row in rows if row["public"] is False}
    assert hidden == {"illegal_levy", "poor_public_service"}
    table = ok(tanggap, "catalogue", "show", "categories")
    header = next(line for line in table.splitlines() if line.lstrip().startswith("code "))
    assert header.split()[-1] == "public"
    public = {line.split()[0]: line.split()[-1] for line in table.splitlines() if "_" in line}
    assert (public["illegal_levy"], public["poor_public_service"]) == ("no", "no")
    assert public["broken_street_light"] == "yes"
    assert "public no: only its reporter and staff see a report of it" in table


def test_cli_ticket_show_photos_and_public_internal_notes(
    tanggap: CliRunner, submit, officer: str, tmp_path: Path, wide: None
) -> None:
    code, token = submit()
    act = ["ticket", "act", code]
    ok(tanggap, *act, "verify", "--as", officer, "--note", "dicek petugas")
    ok(tanggap, *act, "assign", "--as", officer, "--officer", officer)
    ok(tanggap, *act, "start", "--as", officer)
    ok(tanggap, *act, "resolve", "--as", officer, "--note", "Lampu diganti",
       "--photo", photo_file(tmp_path))  # fmt: skip
    ok(tanggap, *act, "reopen", "--token", token, "--note", "masih mati")

    shown = ok(tanggap, "ticket", "show", code)

    assert "[internal] dicek petugas" in shown  # verify notes are internal by default
    assert "[public] Lampu diganti" in shown
    assert "[citizen] masih mati" in shown  # the reporter's own words: never public
    [photo_line] = [line for line in shown.splitlines() if line.startswith("photos")]
    stored = re.search(r"(\S+\.jpg)$", photo_line).group(1)  # type: ignore[union-attr]
    assert "proof  #5  image/jpeg 64×48" in photo_line
    assert Image.open(io.BytesIO(Path(stored).read_bytes())).size == (64, 48)


def test_cli_ticket_show_a_fix_disputed_and_made_again_with_the_same_proof(
    tanggap: CliRunner, submit, officer: str, tmp_path: Path, wide: None
) -> None:
    code, token = submit()
    act = ["ticket", "act", code]
    proof = photo_file(tmp_path)
    for step in ("verify", "assign", "start"):
        ok(tanggap, *act, step, "--as", officer, *(["--officer", officer] * (step == "assign")))
    ok(tanggap, *act, "resolve", "--as", officer, "--note", "Lampu diganti", "--photo", proof)
    ok(tanggap, *act, "rate", "--token", token, "--rating", "2")
    ok(tanggap, *act, "reopen", "--token", token, "--note", "mati lagi")

    disputed = ok(tanggap, "ticket", "show", code)
    # The disputed fix's rating is in the history, not the ticket's.
    assert not [line for line in disputed.splitlines() if line.startswith("rating")]
    assert "rated 2 of 5" in disputed

    ok(tanggap, *act, "start", "--as", officer)
    ok(tanggap, *act, "resolve", "--as", officer, "--note", "Kabel diganti", "--photo", proof)
    ok(tanggap, *act, "rate", "--token", token, "--rating", "5")
    shown = ok(tanggap, "ticket", "show", code).splitlines()

    assert [line for line in shown if line.startswith("rating")] == ["rating     5 of 5"]
    rated = [line for line in shown if "rated " in line]
    assert ["rated 2 of 5" in rated[0], "rated 5 of 5" in rated[1]] == [True, True]
    # The same file proved both fixes: one photo, sent with both resolutions (#5 and #9).
    (photo_line,) = [line for line in shown if line.startswith("photos")]
    assert "proof  #5, #9  image/jpeg 64×48" in photo_line


def test_cli_ticket_list_filters_columns_and_json(
    tanggap: CliRunner, submit, officer: str, wide: None
) -> None:
    light, _ = submit()  # DBM, broken_street_light
    jam, _ = submit(category="traffic_jam")  # DISHUB
    ok(tanggap, "ticket", "act", light, "verify", "--as", officer)
    ok(tanggap, "ticket", "act", light, "assign", "--as", officer, "--officer", officer)

    def codes(*filters: str) -> set[str]:
        rows = json.loads(ok(tanggap, "ticket", "list", "--limit", "500", "--json", *filters))
        return {row["code"] for row in rows}

    assert light in codes("--agency", "DBM") and jam not in codes("--agency", "DBM")
    assert jam in codes("--category", "traffic-jam") and light not in codes(
        "--category", "traffic_jam"
    )
    assert codes("--officer", officer) == {light}
    assert {light, jam} <= codes("--area", "31.71")  # Jakarta Pusat and the areas inside it
    assert light in codes("--state", "ASSIGNED") and jam not in codes("--state", "assigned")
    assert {light, jam} <= codes("--at-risk", str(24 * 30))  # deadlines within 30 days
    assert not {light, jam} & codes("--overdue")  # submitted just now
    assert {light, jam} <= codes("--at-risk", "2160")  # the longest window, as the API's
    # the API's rule from the same engine constant: more than 0 hours, at most 2,160
    for hours in ("0", "-1", "2160.5", "8760"):
        assert refused(tanggap, "ticket", "list", "--at-risk", hours).endswith(
            "ticket list: --at-risk must be more than 0 and at most 2,160"
        )

    [row] = [r for r in json.loads(ok(tanggap, "ticket", "list", "--json")) if r["code"] == light]
    assert (row["priority"], row["agency"], row["officer"]) == ("normal", "DBM", officer)
    assert datetime.fromisoformat(row["deadline"]) > datetime.now(UTC)
    assert row["seconds_left"] > 0

    table = ok(tanggap, "ticket", "list", "--agency", "DBM", "--limit", "1")
    assert re.search(rf"{light} +assigned +normal +broken_street_light +DBM +20\d\d-", table)


def test_cli_ticket_list_overdue_shows_negative_time_left(
    tanggap: CliRunner, report_committed: Callable[..., Ticket], wide: None
) -> None:
    code = report_committed(now=datetime(2026, 9, 1, 2, 0, tzinfo=UTC)).code

    rows = json.loads(ok(tanggap, "ticket", "list", "--overdue", "--limit", "500", "--json"))
    table = ok(tanggap, "ticket", "list", "--overdue", "--limit", "500")

    assert code in {row["code"] for row in rows}
    assert re.search(rf"{code} .* 2026-09-0\d \d\d:\d\d +-\d+d \d+h", table)


@pytest.mark.parametrize(
    ("after_deadline", "left", "sla"),
    [
        (timedelta(seconds=-30), "0h 00m", ""),
        (timedelta(seconds=30), "0h 00m", "overdue"),  # was "-0h 00m"
        (timedelta(seconds=90), "-0h 01m", "overdue"),
        (timedelta(hours=2, minutes=5), "-2h 05m", "overdue"),
    ],
)
def test_cli_ticket_list_time_left_never_reads_minus_zero(
    tanggap: CliRunner,
    report_committed: Callable[..., Ticket],
    monkeypatch: pytest.MonkeyPatch,
    after_deadline: timedelta,
    left: str,
    sla: str,
) -> None:
    """A tester's report: a ticket overdue by less than a minute showed ``left -0h 00m``, in
    the table and in the one-record-per-block layout of a narrow terminal."""
    code = report_committed(now=datetime(2026, 9, 1, 2, 0, tzinfo=UTC)).code
    rows = json.loads(ok(tanggap, "ticket", "list", "--all", "--json"))
    (deadline,) = [datetime.fromisoformat(r["deadline"]) for r in rows if r["code"] == code]
    monkeypatch.setattr("cli.tickets.now", lambda: deadline + after_deadline)

    table = ok(tanggap, "ticket", "list", "--all")
    (row,) = [line for line in table.splitlines() if line.startswith(f"{code} ")]
    assert re.search(rf" {re.escape(left)} +{sla}", row), row
    _terminal(monkeypatch, 40)
    blocks = ok(tanggap, "ticket", "list", "--all").split("\n\n")
    (block,) = [b for b in blocks if f"code          {code}" in b]
    assert f"\nleft          {left}\n" in block, block
    assert ("\nsla           overdue\n" in block) is bool(sla), block
    assert "-0h 00m" not in table + "".join(blocks)


def test_cli_outbox_and_escalations_lists_after_a_sweep(
    tanggap: CliRunner, report_committed: Callable[..., Ticket]
) -> None:
    code = report_committed(
        now=datetime(2026, 9, 1, 2, 0, tzinfo=UTC), category="broken_street_light"
    ).code
    ok(tanggap, "sweep", "--once")

    mails = json.loads(ok(tanggap, "outbox", "list", "--ticket", code, "--json"))
    pending = json.loads(ok(tanggap, "outbox", "list", "--pending", "--limit", "1000", "--json"))
    failed = json.loads(ok(tanggap, "outbox", "list", "--failed", "--json"))
    ledger = json.loads(ok(tanggap, "escalations", "list", "--ticket", code, "--json"))
    table = ok(tanggap, "outbox", "list", "--ticket", code)

    assert mails and {m["ticket"] for m in mails} == {code}
    assert {m["id"] for m in mails} <= {m["id"] for m in pending}
    assert all(m["status"] in ("failed", "dead") for m in failed)
    assert "dbm.head@tanggap.example" in {m["recipient"] for m in mails}
    assert {(e["timer"], e["level"]) for e in ledger} >= {("verify #1", "breach")}
    assert code in table and "pending" in table


def _listings(tanggap: CliRunner, code: str, env: dict[str, str] | None = None) -> list[str]:
    def shown(*args: str) -> str:
        done = tanggap.invoke(app, list(args), env=env)
        assert done.exit_code == 0, done.output
        return done.output

    return [
        shown("ticket", "list", "--limit", "20"),
        shown("ticket", "show", code),
        shown("sla", "check", code),
        shown("outbox", "list", "--limit", "20"),
        shown("escalations", "list", "--limit", "20"),
        shown("staff", "list"),
        *(shown("catalogue", "show", s) for s in ("areas", "agencies", "categories", "policies")),
    ]


def test_cli_listings_fit_80_columns_in_an_80_column_terminal(
    tanggap: CliRunner, report_committed: Callable[..., Ticket], officer: str
) -> None:
    code = report_committed(now=datetime(2026, 9, 1, 2, 0, tzinfo=UTC)).code
    ok(tanggap, "sweep", "--once")
    outputs = _listings(tanggap, code, env={"COLUMNS": "80"})
    for output in outputs:
        tables = [
            line for line in output.splitlines() if not line.startswith(("report ", "location "))
        ]
        assert max(len(line) for line in tables) <= 80, output
    assert code in outputs[0]  # ticket codes are never folded


def test_cli_listings_piped_keep_each_row_on_one_line(
    tanggap: CliRunner,
    report_committed: Callable[..., Ticket],
    officer: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A tester's report: ``tanggap ticket list | head`` (and ``| grep``) read "flo/od",
    "DSD/A": piped, a table folded to 80 columns. Piped, a row is one line, as ``ps`` has it."""
    monkeypatch.delenv("COLUMNS", raising=False)
    code = report_committed(
        now=datetime(2026, 9, 1, 2, 0, tzinfo=UTC), category="digital_service_issue"
    ).code
    ok(tanggap, "sweep", "--once")
    listing, *_ = _listings(tanggap, code)
    (row,) = [line for line in listing.splitlines() if code in line]
    assert "digital_service_issue" in row and "DISKOMINFOTIK" in row, listing
    header = next(line for line in listing.splitlines() if line.startswith("code "))
    assert "on hold since" in header and "next deadline" in header
    categories = ok(tanggap, "catalogue", "show", "categories")
    (animals,) = [line for line in categories.splitlines() if line.startswith("animal_rescue")]
    assert "Animal rescue (snakes, wasp nests)" in animals and "GULKARMAT" in animals


def test_cli_staff_list_json(tanggap: CliRunner, officer: str, database: Database) -> None:
    rows = json.loads(ok(tanggap, "staff", "list", "--json"))

    with database.reading() as session:
        count = session.scalar(select(func.count()).select_from(Staff))
    assert len(rows) == count
    assert {"email": officer, "name": "Budi [bold]Santoso[/bold]", "role": "staff",
            "agency": "DBM", "active": True, "timezone": None} in rows  # fmt: skip


def test_cli_staff_timezone_set_shown_and_refused(
    tanggap: CliRunner, officer: str, database: Database
) -> None:
    email = f"wayan-{uuid.uuid4().hex[:8]}@dishub.example"
    out = ok(tanggap, "staff", "add", email, "--name", "Wayan", "--role", "supervisor",
             "--agency", "DISHUB", "--timezone", "WITA")  # fmt: skip
    assert out == f"{email}: supervisor of DISHUB, time zone Asia/Makassar\n"
    rows = json.loads(ok(tanggap, "staff", "list", "--json"))
    assert {row["email"]: row["timezone"] for row in rows}[email] == "Asia/Makassar"
    assert "Asia/Makassar" in ok(tanggap, "staff", "list")

    # Updating without --timezone keeps the zone; `staff timezone` changes or clears it.
    ok(tanggap, "staff", "add", email, "--name", "Wayan S.", "--agency", "DISHUB", "--update")
    out = ok(tanggap, "staff", "timezone", email, "asia/jayapura")
    assert out == f"{email}: daily digest at 07:00 in Asia/Jayapura\n"
    out = ok(tanggap, "staff", "timezone", email, "default")
    assert out == f"{email}: daily digest at 07:00 in the service's zone (Asia/Jakarta)\n"

    line = refused(tanggap, "staff", "timezone", email, "Asia/Bandung")
    assert line.startswith("error: zone 'Asia/Bandung' is not a time zone; use ")
    line = refused(tanggap, "staff", "add", officer, "--name", "B", "--agency", "DBM",
                   "--timezone", "WIB+1")  # fmt: skip
    assert line.startswith("error: --timezone 'WIB+1' is not a time zone; use ")
    with database.reading() as session:
        zones = {e: z for e, z in session.execute(select(Staff.email, Staff.timezone))}
    assert zones[email] is None and zones[officer] is None


def test_cli_readme_first_command_demo_on_fresh_database(
    tanggap: CliRunner, environment, tmp_path: Path
) -> None:
    environment(DATABASE_URL=f"sqlite:///{tmp_path / 'demo.db'}", MEDIA_DIR=str(tmp_path / "m"))
    ok(tanggap, "db", "upgrade")
    ok(tanggap, "config", "load", str(ROOT / "catalogue" / "jakarta.yaml"))

    out = ok(tanggap, "demo")

    assert re.search(r"JKT-\S+ is now resolved \(version 5\)", out)
    assert "next       close, comment, rate, redact, reopen, unpublish" in out


def test_cli_demo_twice_uses_its_officer_and_never_undoes_an_operators_change(
    tanggap: CliRunner, environment, tmp_path: Path
) -> None:
    """A tester's report: with the demo officer deactivated the demo filed a real report and
    then failed half-way; with the officer moved to DBM it silently moved them back."""
    environment(DATABASE_URL=f"sqlite:///{tmp_path / 'demo.db'}", MEDIA_DIR=str(tmp_path / "m"))
    ok(tanggap, "db", "upgrade")
    ok(tanggap, "config", "load", str(ROOT / "catalogue" / "jakarta.yaml"))
    officer = "demo.officer@tanggap.example"
    ok(tanggap, "demo")
    assert re.search(r"JKT-\S+ is now resolved", ok(tanggap, "demo"))  # the same officer again
    database = Database(f"sqlite:///{tmp_path / 'demo.db'}")
    filed = tickets(database)

    ok(tanggap, "staff", "deactivate", officer)
    line = refused(tanggap, "demo")
    assert line == (
        f"error: the demo officer {officer} is deactivated (tanggap staff activate {officer} "
        "brings them back); try the demo on a scratch database"
    )
    ok(tanggap, "staff", "activate", officer)
    ok(tanggap, "staff", "add", officer, "--update", "--name", "Demo", "--agency", "DBM")
    line = refused(tanggap, "demo")
    assert line == (
        f"error: the demo officer {officer} works for DBM now, not DISHUB, and the demo does "
        "not move them; try the demo on a scratch database"
    )
    assert tickets(database) == filed  # nothing filed by a demo that could not finish
    (row,) = [line.split() for line in ok(tanggap, "staff", "list").splitlines() if officer in line]
    assert row[-3:-1] == ["DBM", "yes"]  # still where the operator put them, still active
    database.dispose()


def test_cli_stored_control_characters_shown_escaped_never_sent_to_the_terminal(
    tanggap: CliRunner, database: Database, report_committed: Callable[..., Ticket], wide: None
) -> None:
    # Rows written before the engine refused control characters still print safely.
    from sqlalchemy import update

    code = report_committed(now=datetime.now(UTC)).code
    with database.transaction() as session:
        session.execute(
            update(Ticket)
            .where(Ticket.code == code)
            .values(description="Lampu\x1b[2J\x1b]0;owned\x07 mati", address="Jl.\x1b[31m A")
        )

    shown = ok(tanggap, "ticket", "show", code)

    assert "\x1b" not in shown and "\x07" not in shown
    assert "Lampu\\x1b[2J\\x1b]0;owned\\x07 mati" in shown
    assert "Jl.\\x1b[31m A" in shown


def test_cli_fault_of_ours_one_line_without_the_values(
    tanggap: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A database error's text carries the statement's values: the reporter's data, the token's
    # hash. An operator sees the kind of fault only; TANGGAP_DEBUG=1 shows a developer the rest.
    from sqlalchemy.exc import DataError

    from cli import tickets as ticket_commands

    def broken_submit(*_args: object, **_kwargs: object) -> None:
        raise DataError("INSERT INTO tickets … 'siti@example.org', 'ab12cd34hash'", {}, Exception())

    monkeypatch.setattr(ticket_commands, "submit", broken_submit)
    args = ["ticket", "submit", "--category", "traffic_jam", *MONAS, "--description", "macet",
            "--email", "siti@example.org"]  # fmt: skip

    result = tanggap.invoke(app, args)

    assert result.exit_code == 1
    assert result.stderr == "error: unexpected DataError; run with TANGGAP_DEBUG=1 for details\n"
    assert "siti" not in result.output and "hash" not in result.output


def test_cli_catalogue_show_areas_of_one_level(tanggap: CliRunner) -> None:
    rows = json.loads(ok(tanggap, "catalogue", "show", "areas", "--level", "Kecamatan", "--json"))
    assert rows and {row["level"] for row in rows} == {"kecamatan"}
    assert "31.71.01" in {row["code"] for row in rows}  # Kecamatan Gambir
    assert "--level" in refused(tanggap, "catalogue", "show", "areas", "--level", "desa")


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("TANGGAP_MAIL_BACKEND", "pigeon", "TANGGAP_MAIL_BACKEND: Input should be"),
        ("TANGGAP_SENDGRID_TEMPLATE_IDS", "{bad", "TANGGAP_SENDGRID_TEMPLATE_IDS: not valid JSON"),
    ],
)
def test_cli_mail_setting_wrong_one_line_naming_it(
    tanggap: CliRunner, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, words: str
) -> None:
    monkeypatch.setenv(variable, value)
    context.reset()
    assert words in refused(tanggap, "deliver", "--once")


def test_cli_staff_add_refuses_an_existing_address_unless_update(
    tanggap: CliRunner, database: Database, officer: str
) -> None:
    line = refused(tanggap, "staff", "add", officer.upper(), "--name", "Someone Else")
    assert line == (
        f"error: {officer} is already staff of DBM ('Budi [bold]Santoso[/bold]'); "
        "add --update to change name, role or agency"
    )
    with database.reading() as session:
        member = session.scalars(select(Staff).where(Staff.email == officer)).one()
        assert member.name == "Budi [bold]Santoso[/bold]"

    out = ok(tanggap, "staff", "add", officer, "--name", "Budi S.", "--agency", "DISHUB",
             "--update")  # fmt: skip
    assert out.strip() == f"{officer}: staff of DISHUB"
    with database.reading() as session:
        member = session.scalars(select(Staff).where(Staff.email == officer)).one()
        assert (member.name, member.agency.code) == ("Budi S.", "DISHUB")


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["staff", "add", "notanemail", "--name", "B", "--agency", "DBM"],
         "error: email is not an e-mail address like name@example.org"),
        (["staff", "add", "b@dbm.example", "--name", "B\x1b[2J", "--agency", "DBM"],
         "error: --name contains control character U+001B at character 2; only one line of "
         "text allowed"),
    ],
)  # fmt: skip
def test_cli_field_named_as_typed_not_as_a_key(
    tanggap: CliRunner, args: list[str], line: str
) -> None:
    """The engine's field keys (staff_email, staff_name) are said as the argument or option
    typed at the shell; the value typed is never echoed (it may be someone's personal data in
    a shared terminal log)."""
    assert refused(tanggap, *args) == line


def test_cli_note_visibility_defaults_in_help_match_what_the_timeline_records(
    tanggap: CliRunner, submit, officer: str, wide: None
) -> None:
    """hold's note is public and resume's internal by default: the help says so, per action."""
    code, _token = submit()
    for action in ("verify", "assign", "start"):
        ok(tanggap, "ticket", "act", code, action, "--as", officer)
    ok(tanggap, "ticket", "act", code, "hold", "--as", officer, "--note", "menunggu PLN")
    ok(tanggap, "ticket", "act", code, "resume", "--as", officer, "--note", "PLN datang")
    shown = ok(tanggap, "ticket", "show", code)
    assert "[public] menunggu PLN" in shown and "[internal] PLN datang" in shown

    helped = " ".join(ok(tanggap, "ticket", "act", "--help").split())
    found = re.search(r"by default public on ([a-z_, ]+); internal on ([a-z_, ]+)", helped)
    assert found is not None, helped
    public, internal = (set(found.group(n).split(", ")) for n in (1, 2))
    assert "hold" in public and "resolve" in public and "resume" in internal
    assert not public & internal


def _terminal(monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    """A terminal ``width`` columns wide (``COLUMNS`` says a table folds to it, as a terminal's
    own width does)."""
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setattr(context.console, "width", width)


def test_cli_sla_check_at_80_columns_never_splits_a_date(
    tanggap: CliRunner, submit, officer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _terminal(monkeypatch, 80)
    code, _token = submit()
    ok(tanggap, "ticket", "act", code, "verify", "--as", officer)
    ok(tanggap, "ticket", "act", code, "assign", "--as", officer)
    ok(tanggap, "ticket", "act", code, "start", "--as", officer)
    ok(tanggap, "ticket", "act", code, "hold", "--as", officer, "--note", "menunggu PLN")

    out = ok(tanggap, "sla", "check", code)

    assert max(len(line) for line in out.splitlines()) <= 80
    assert not re.search(r"\d{4}-\d\d-\d\d *\n.*\d\d:\d\d", out)  # date above its time
    assert not re.search(r"\d{4}-\d *\n", out)
    dates = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d", out)
    assert len(dates) >= 4 * 2 + 3  # started + deadline of each timer, stops, the pause
    assert re.search(r"stopped *\n *\d{4}-\d\d-\d\d \d\d:\d\d", out)
    assert re.search(r"paused", out)


@pytest.mark.parametrize("width", [40, 60, 80])
def test_cli_a_narrow_terminal_never_cuts_a_code_or_a_time_nor_drops_a_column(
    tanggap: CliRunner, submit, officer: str, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    """A tester's report: at COLUMNS=40 `ticket list` cut codes to JKT-H5JC and deadlines to
    "2026-12-02 1" and dropped columns, `outbox list` dropped columns, and at 60 `sla check`
    cropped its times, all in silence. Too narrow for the table whole, a listing is one record
    per block; either way every code and every time is whole, every column there."""
    code, _token = submit("--email", "warga@example.org")  # status mail: an outbox row
    ok(tanggap, "ticket", "act", code, "verify", "--as", officer)
    ok(tanggap, "ticket", "act", code, "assign", "--as", officer, "--officer", officer)
    ok(tanggap, "ticket", "act", code, "start", "--as", officer)
    ok(tanggap, "ticket", "act", code, "hold", "--as", officer, "--note", "menunggu PLN")
    listings = [
        ("ticket", "list", "--officer", officer),
        ("sla", "check", code),
        ("outbox", "list", "--ticket", code),
    ]
    piped = {argv: ok(tanggap, *argv) for argv in listings}  # one line a row
    _terminal(monkeypatch, width)

    for argv in listings:
        out = ok(tanggap, *argv)

        assert max(len(line) for line in out.splitlines()) <= width, out
        assert set(re.findall(r"JKT-\w{4}-\w{4}", out)) == {code}, out
        moments = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d", piped[argv])
        assert moments and all(moment in out for moment in moments), out
        assert re.findall(r"\d\d:\d\d", out) == re.findall(r"\d\d:\d\d", piped[argv]), out
        # Nothing of any row is left out (a long word may fold across lines): every column.
        rows = piped[argv].split("─\n", 1)[1]
        flat = "".join(out.split())
        assert all(word in flat for word in rows.split()), (rows, out)


@pytest.mark.parametrize(
    ("argv", "both"),
    [
        (["ticket", "act", "{code}", "comment", "--as", "{officer}", "--note", "uji",
          "--public", "--internal"], "--public and --internal"),
        (["ticket", "act", "{code}", "comment", "--as", "{officer}", "--note", "uji",
          "--internal", "--public"], "--public and --internal"),
        (["sweep", "--once", "--forever"], "--once and --forever"),
        (["deliver", "--forever", "--once"], "--once and --forever"),
        (["outbox", "list", "--pending", "--failed"], "--pending and --failed"),
    ],
)  # fmt: skip
def test_cli_contradictory_flags_refused_naming_both_nothing_written(
    tanggap: CliRunner, submit, officer: str, database: Database, argv: list[str], both: str
) -> None:
    """The last flag used to win: --public --internal kept the note internal, silently."""
    code, _token = submit()
    with database.reading() as session:
        before = session.scalar(select(Ticket.version).where(Ticket.code == code))
    line = refused(tanggap, *[a.format(code=code, officer=officer) for a in argv])
    assert both in line
    with database.reading() as session:
        assert session.scalar(select(Ticket.version).where(Ticket.code == code)) == before


def test_cli_act_that_keeps_the_state_says_so_not_is_now(
    tanggap: CliRunner, submit, officer: str
) -> None:
    code, _token = submit()
    moved = ok(tanggap, "ticket", "act", code, "verify", "--as", officer)
    assert moved.strip() == f"{code} is now verified (version 2)"
    said = ok(tanggap, "ticket", "act", code, "comment", "--as", officer, "--note", "uji")
    assert said.strip() == f"comment added to {code} (still verified, version 3)"
    updated = ok(
        tanggap, "ticket", "act", code, "update", "--as", officer, "--priority", "high",
        "--note", "lubang melebar",
    )  # fmt: skip
    assert updated.strip() == f"{code} updated (still verified, version 4)"


def test_cli_ticket_list_open_most_overdue_first_and_says_when_cut(
    tanggap: CliRunner, report_committed: Callable[..., Ticket], wide: None
) -> None:
    start = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)
    oldest_first = [report_committed(now=start + timedelta(hours=7 * n)).code for n in range(64)]
    desk = f"dishub-{uuid.uuid4().hex[:8]}@dishub.example"
    ok(tanggap, "staff", "add", desk, "--name", "Meja Dishub", "--agency", "DISHUB")
    rejected = oldest_first.pop(0)  # the oldest report, rejected as spam: not open any more
    ok(tanggap, "ticket", "act", rejected, "reject", "--as", desk, "--note", "spam")

    every = json.loads(ok(tanggap, "ticket", "list", "--all", "--json"))
    shown = tanggap.invoke(app, ["ticket", "list"])
    cut = tanggap.invoke(app, ["ticket", "list", "--json"])

    codes = [row["code"] for row in every]
    assert set(oldest_first) <= set(codes) and rejected not in codes
    assert {row["state"] for row in every} <= {"submitted", "verified", "assigned",
                                               "in_progress", "on_hold"}  # fmt: skip
    running = [datetime.fromisoformat(r["deadline"]) for r in every if r["state"] != "on_hold"]
    assert running == sorted(running)  # the most overdue first
    mine = [code for code in codes if code in set(oldest_first)]
    assert mine[0] == oldest_first[0]  # the oldest open report is the most overdue: it leads
    assert shown.exit_code == 0
    lines = shown.stdout.splitlines()
    assert lines[-1] == f"showing 50 of {len(every)} open tickets; --limit N or --all"
    assert sum(code in shown.stdout for code in codes) == 50
    assert oldest_first[0] in shown.stdout  # the most overdue is never the one left out
    assert len(json.loads(cut.stdout)) == 50  # stdout stays one JSON array; the note on stderr
    assert cut.stderr == f"showing 50 of {len(every)} open tickets; --limit N or --all\n"

    finals = json.loads(ok(tanggap, "ticket", "list", "--all-states", "--all", "--json"))
    only = json.loads(ok(tanggap, "ticket", "list", "--state", "rejected", "--json"))
    assert rejected in {row["code"] for row in finals}
    assert rejected in {row["code"] for row in only}
    assert {row["state"] for row in only} == {"rejected"}
    whole = ok(tanggap, "ticket", "list", "--limit", str(len(every)))
    assert "showing" not in whole  # nothing left out: nothing to say


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("text.jpg", b"just some text, not a photo", "is not a JPEG, PNG or WebP image"),
        ("broken.jpg", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4, "is not a readable image"),
    ],
)
def test_cli_photo_that_is_no_image_is_named_nothing_written(
    tanggap: CliRunner, database: Database, tmp_path: Path, name: str, data: bytes, words: str
) -> None:
    """The CLI said "the uploaded file is not a readable image" naming no file; the API names
    it ("text.jpg is not a JPEG, PNG or WebP image")."""
    path = tmp_path / name
    path.write_bytes(data)
    before = tickets(database)

    line = refused(
        tanggap, "ticket", "submit", "--category", "broken_road", *MONAS,
        "--description", "jalan berlubang", "--photo", str(path),
    )  # fmt: skip

    assert line.endswith(f"Invalid value for '--photo': {path} {words}"), line
    assert "uploaded file" not in line
    assert tickets(database) == before


def test_cli_reporter_appeals_a_rejection_with_the_token(
    tanggap: CliRunner, submit, officer: str, wide: None
) -> None:
    code, token = submit()
    ok(tanggap, "ticket", "act", code, "reject", "--as", officer, "--note", "bukan wewenang")

    line = refused(tanggap, "ticket", "act", code, "reinstate", "--token", token)
    out = ok(tanggap, "ticket", "act", code, "reinstate", "--token", token,
             "--note", "ini wewenang Dishub")  # fmt: skip

    assert line == "error: reinstate needs a reason (--note)"
    assert f"{code} is now submitted" in out
    shown = ok(tanggap, "ticket", "show", code)
    assert "[citizen] ini wewenang Dishub" in shown


def test_cli_config_load_warns_of_open_work_left_with_a_retired_category(
    tanggap: CliRunner, report_committed: Callable[..., Ticket], tmp_path: Path
) -> None:
    shipped = (ROOT / "catalogue" / "jakarta.yaml").read_text()
    block = shipped[shipped.index("  - code: pollution\n") :]
    block = block[: block.index("\n  - code: ", 1) + 1]
    reduced = tmp_path / "reduced.yaml"
    reduced.write_text(shipped.replace(block, ""))
    code = report_committed(now=datetime(2026, 9, 1, 2, 0, tzinfo=UTC), category="pollution").code
    try:
        done = tanggap.invoke(app, ["config", "load", str(reduced)])
        assert done.exit_code == 0, done.output
        assert "category.deactivated" in done.stdout
        assert done.stderr == (
            "warning: category pollution is no longer in the catalogue and is still the category "
            f"of 1 open ticket: {code}; correct their category\n"
        )
    finally:
        ok(tanggap, "config", "load", str(ROOT / "catalogue" / "jakarta.yaml"))
