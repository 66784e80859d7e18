"""Links in mail queued by a command run beside ``tanggap serve`` point where serve listens:
every process of one installation (one ``TANGGAP_HOME``) agrees on the base URL
(``engine.installation``: the variable, then a running serve, then the default)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cli import context, serve
from cli.main import app
from engine.db import Database
from engine.installation import record_serve, running_serve_base_url
from engine.models import Notification, Ticket
from engine.settings import load_settings

MONAS = ["--lat", "-6.1754", "--lon", "106.8272"]
SERVED = "http://127.0.0.1:18301"
DEFAULT = "http://127.0.0.1:8000"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "home"
    where.mkdir()
    monkeypatch.setenv("TANGGAP_HOME", str(where))
    monkeypatch.delenv("TANGGAP_PUBLIC_BASE_URL", raising=False)
    context.reset()
    return where


@pytest.fixture
def running_serve(home: Path) -> Iterator[Callable[[], None]]:
    """The state a ``tanggap serve --port 18301`` of ``home`` keeps while it runs: its lock
    held, its base URL recorded (by serve's own functions). Calling it stops that serve."""
    lock = serve.take_lock(home)
    record_serve(home, public_base_url=SERVED, listening=SERVED)
    yield lock.close
    lock.close()


def ok(runner: CliRunner, *args: str) -> tuple[str, str]:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def test_base_url_precedence_variable_then_running_serve_then_default(
    home: Path, running_serve: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    served = load_settings()
    assert (served.public_base_url, served.public_base_url_source) == (SERVED, "serve")

    monkeypatch.setenv("TANGGAP_PUBLIC_BASE_URL", "https://lapor.example.go.id/")
    chosen = load_settings()
    assert (chosen.public_base_url, chosen.public_base_url_source) == (
        "https://lapor.example.go.id",
        "variable",
    )

    monkeypatch.delenv("TANGGAP_PUBLIC_BASE_URL")
    running_serve()  # serve stopped (or was killed): its record is no longer believed
    assert running_serve_base_url(home) is None
    stopped = load_settings()
    assert (stopped.public_base_url, stopped.public_base_url_source) == (DEFAULT, "default")


def test_base_url_of_another_data_directory_serve_is_not_taken(
    home: Path, running_serve: Callable[[], None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setenv("TANGGAP_HOME", str(other))

    assert load_settings().public_base_url == DEFAULT


def test_cli_act_beside_a_running_serve_queues_mail_linking_to_serve_else_says_the_default(
    tanggap: CliRunner,
    database: Database,
    committed: list[str],
    home: Path,
    running_serve: Callable[[], None],
) -> None:
    officer = f"budi-{uuid.uuid4().hex[:8]}@dbm.example"
    ok(tanggap, "staff", "add", officer, "--name", "Budi", "--agency", "dbm")
    out, _ = ok(
        tanggap, "ticket", "submit", "--quiet", "--category", "broken_street_light", *MONAS,
        "--description", "Lampu mati", "--email", "siti@example.id", "--language", "en",
    )  # fmt: skip
    code = out.split()[0]
    committed.append(code)

    _, said = ok(tanggap, "ticket", "act", code, "verify", "--as", officer)

    verified = citizen_mail(database, code, "siti@example.id")
    assert f"{SERVED}/t/{code}" in verified
    assert f"{SERVED}/unsubscribe/" in verified
    assert ":8000" not in verified
    assert "note:" not in said  # serve says where links point; nothing to add here

    running_serve()  # serve stopped: the default applies to new mail, and the command says so
    context.reset()
    colleague = f"rina-{uuid.uuid4().hex[:8]}@dbm.example"
    ok(tanggap, "staff", "add", colleague, "--name", "Rina", "--agency", "dbm")
    _, said = ok(tanggap, "ticket", "act", code, "assign", "--as", officer, "--officer", colleague)

    # The citizen's held mail, joined by the assignment, keeps the links it was queued with.
    assigned = citizen_mail(database, code, "siti@example.id")
    assert "is now: Assigned" in assigned
    assert f"{SERVED}/t/{code}" in assigned
    assert f"{SERVED}/unsubscribe/" in assigned
    assert ":8000" not in assigned
    # The hand-over to the colleague is new mail, queued under the default.
    assert f"{DEFAULT}/staff/tickets/{code}" in citizen_mail(database, code, colleague)
    assert said == (
        f"note: links in the mail queued point to {DEFAULT} (the default: no tanggap serve is "
        f"running on {home}); set TANGGAP_PUBLIC_BASE_URL to the address people open\n"
    )


def test_cli_act_from_another_directory_keeps_the_links_of_mail_serve_queued(
    tanggap: CliRunner,
    database: Database,
    committed: list[str],
    home: Path,
    running_serve: Callable[[], None],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A tester's report: serve (links to :18301 here) queued a held citizen status mail; an
    operator then ran ``tanggap ticket act CODE resume`` from another directory (no serve
    known there: the default :8000) and the waiting mail was re-worded with ``/t/…`` and
    ``/unsubscribe/…`` links to :8000, where nothing listens. The mail keeps its own links."""
    officer = f"budi-{uuid.uuid4().hex[:8]}@dbm.example"
    ok(tanggap, "staff", "add", officer, "--name", "Budi", "--agency", "dbm")
    out, _ = ok(
        tanggap, "ticket", "submit", "--quiet", "--category", "broken_street_light", *MONAS,
        "--description", "Lampu mati", "--email", "siti@example.id", "--language", "en",
    )  # fmt: skip
    code = out.split()[0]
    committed.append(code)
    ok(tanggap, "ticket", "act", code, "verify", "--as", officer)
    ok(tanggap, "ticket", "act", code, "assign", "--as", officer, "--officer", officer)
    ok(tanggap, "ticket", "act", code, "start", "--as", officer)
    ok(tanggap, "ticket", "act", code, "hold", "--as", officer, "--note", "menunggu suku cadang")
    held = citizen_mail(database, code, "siti@example.id")
    assert f"{SERVED}/unsubscribe/" in held

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("TANGGAP_HOME", str(elsewhere / ".tanggap"))  # as from cd /tmp
    context.reset()
    _, said = ok(tanggap, "ticket", "act", code, "resume", "--as", officer)

    resumed = citizen_mail(database, code, "siti@example.id")
    assert resumed != held and "In progress" in resumed
    assert f"{SERVED}/t/{code}" in resumed
    assert f"{SERVED}/unsubscribe/" in resumed
    assert ":8000" not in resumed
    with database.reading() as session:
        rows = session.scalars(
            select(Notification)
            .join(Ticket, Ticket.id == Notification.ticket_id)
            .where(Ticket.code == code, Notification.recipient == "siti@example.id")
        ).all()
    assert len(rows) == 1  # one mail, joined: nothing new queued
    assert rows[0].unsubscribe_url is not None
    assert rows[0].unsubscribe_url.startswith(f"{SERVED}/unsubscribe/")
    assert ":8000" not in (rows[0].html_body or "")
    assert "note:" not in said  # no mail queued under the default


def citizen_mail(database: Database, code: str, to: str) -> str:
    """The body of the newest mail queued to ``to`` about ticket ``code``."""
    with database.reading() as session:
        body = session.scalars(
            select(Notification.body)
            .join(Ticket, Ticket.id == Notification.ticket_id)
            .where(Ticket.code == code, Notification.recipient == to)
            .order_by(Notification.id.desc())
            .limit(1)
        ).one()
    return body
