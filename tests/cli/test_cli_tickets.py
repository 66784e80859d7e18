"""The operator's shell: a report from submission to resolution, and clear one-line errors."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from typer.testing import CliRunner

from cli.main import app
from engine.db import Database
from engine.models import Notification, Ticket

ROOT = Path(__file__).resolve().parents[2]


def run(runner: CliRunner, *args: str, ok: bool = True) -> str:
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code != 0, result.output
    return result.output


def ticket_count(database: Database) -> int:
    with database.reading() as session:
        return session.scalar(select(func.count()).select_from(Ticket)) or 0


def test_cli_ticket_from_submitted_to_resolved_shows_timeline(
    tanggap: CliRunner, database: Database, committed: list[str], wide: None
) -> None:
    officer = f"officer-{uuid.uuid4().hex[:8]}@tanggap.example"
    run(tanggap, "db", "upgrade")
    assert "unchanged" in run(tanggap, "config", "load", str(ROOT / "catalogue/jakarta.yaml"))
    run(tanggap, "staff", "add", officer, "--name", "Budi Santoso", "--agency", "DISHUB")

    out = run(
        tanggap,
        "ticket", "submit",
        "--category", "traffic_jam",
        "--description", "Macet total di Jl. Medan Merdeka Barat",
        "--lat", "-6.1754", "--lon", "106.8272",
        "--email", "warga@example.org",
    )  # fmt: skip
    match = re.search(r"submitted (JKT-[0-9A-Z]{4}-[0-9A-Z]{4})", out)
    assert match, out
    code = match.group(1)
    committed.append(code)
    assert "Dinas Perhubungan" in out and "reporter token" in out

    for action, extra in [
        ("verify", []),
        ("assign", ["--officer", officer]),
        ("start", []),
        ("resolve", ["--note", "Petugas Dishub mengatur lalu lintas"]),
    ]:
        out = run(tanggap, "ticket", "act", code, action, "--as", officer, *extra)
        assert f"{code} is now" in out

    shown = run(tanggap, "ticket", "show", code.lower().replace("-", " "))
    assert "resolved" in shown
    for step in ("submit", "verify", "assign", "start", "resolve"):
        assert step in shown
    assert "Petugas Dishub mengatur lalu lintas" in shown
    assert "warga@example.org" not in shown  # personal data stays out of the timeline


MONAS = ["--lat", "-6.1754", "--lon", "106.8272"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--category", "unicorns", *MONAS], "unknown report category"),
        (["--category", "traffic_jam", "--lat", "-6.9175", "--lon", "107.6191"], "outside every"),
        (["--category", "traffic_jam", *MONAS, "--description", "   "], "description is empty"),
        (["--category", "traffic_jam", *MONAS, "--description", "x" * 5000], "the limit is 4000"),
    ],
)
def test_cli_submit_bad_input_one_line_error_writes_nothing(
    tanggap: CliRunner, database: Database, args: list[str], message: str
) -> None:
    before = ticket_count(database)
    if "--description" not in args:
        args = [*args, "--description", "Jalan berlubang"]
    result = tanggap.invoke(app, ["ticket", "submit", *args])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], result.output
    assert ticket_count(database) == before


def _submitted(tanggap: CliRunner, committed: list[str]) -> str:
    """A jam at Monas submitted through the command line (purged after the test); its code."""
    out = run(
        tanggap, "ticket", "submit", "--category", "traffic_jam", "--description", "macet",
        "--lat", "-6.1754", "--lon", "106.8272",
    )  # fmt: skip
    code = re.search(r"(JKT-\S+):", out).group(1)  # type: ignore[union-attr]
    committed.append(code)
    return code


def test_cli_unknown_action_one_line_error_lists_known(
    tanggap: CliRunner, database: Database, committed: list[str]
) -> None:
    code = _submitted(tanggap, committed)
    result = tanggap.invoke(app, ["ticket", "act", code, "teleport", "--as", "x@y.z"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "unknown action 'teleport'" in result.output and "verify" in result.output


@pytest.mark.parametrize("version", ["2147483648", "1" + "0" * 30])
def test_cli_a_version_no_ticket_can_have_is_refused_as_such(
    tanggap: CliRunner, database: Database, committed: list[str], version: str
) -> None:
    """The engine's rule (the API's too): not echoed back in a conflict as a 31-digit number."""
    code = _submitted(tanggap, committed)
    officer = f"officer-{uuid.uuid4().hex[:8]}@tanggap.example"
    run(tanggap, "staff", "add", officer, "--name", "Budi Santoso", "--agency", "DISHUB")
    result = tanggap.invoke(
        app, ["ticket", "act", code, "verify", "--as", officer, "--version", version]
    )
    assert (result.exit_code, result.stderr) == (
        2,
        "error: --version must be a ticket's version, a whole number from 1 to 2,147,483,647\n",
    ), result.output


def test_cli_show_unknown_ticket_is_clear(tanggap: CliRunner) -> None:
    result = tanggap.invoke(app, ["ticket", "show", "JKT-0000-0000"])
    assert result.exit_code == 2
    assert "no ticket with code JKT-0000-0000" in result.output


@pytest.mark.parametrize(("language", "subject"), [("en", "Report"), ("id", "Laporan")])
def test_cli_submit_language_is_the_language_of_the_reporters_mail(
    tanggap: CliRunner, database: Database, committed: list[str], language: str, subject: str
) -> None:
    officer = f"officer-{uuid.uuid4().hex[:8]}@tanggap.example"
    run(tanggap, "staff", "add", officer, "--name", "Budi Santoso", "--agency", "DISHUB")
    out = run(
        tanggap, "ticket", "submit", "--quiet", "--category", "traffic_jam",
        "--description", "Macet", "--lat", "-6.1754", "--lon", "106.8272",
        "--email", "warga@example.org", "--language", language, "--as", officer,
    )  # fmt: skip
    code = out.split()[0]
    committed.append(code)
    run(tanggap, "ticket", "act", code, "verify", "--as", officer)

    with database.reading() as session:
        mails = session.execute(
            select(Notification.recipient, Notification.language, Notification.subject)
            .join(Ticket, Ticket.id == Notification.ticket_id)
            .where(Ticket.code == code, Notification.kind == "citizen_update")
        ).all()
    assert [tuple(m) for m in mails] == [
        ("warga@example.org", language, f"[Tanggap] {subject} {code}: "
         + ("Waiting (verified)" if language == "en" else "Menunggu (terverifikasi)"))
    ]  # fmt: skip


def test_cli_staff_filing_prints_no_token_and_the_caller_gets_it_by_mail(
    tanggap: CliRunner, database: Database, committed: list[str], wide: None
) -> None:
    """Staff filing with --as never read the caller's token (they could dispute or rate the
    city's own fix with it): the caller who gave an address gets their private link by mail."""
    officer = f"officer-{uuid.uuid4().hex[:8]}@tanggap.example"
    run(tanggap, "staff", "add", officer, "--name", "Budi Santoso", "--agency", "DISHUB")
    report = [
        "ticket", "submit", "--category", "traffic_jam", "--description", "Macet",
        "--lat", "-6.1754", "--lon", "106.8272", "--as", officer,
    ]  # fmt: skip
    quiet = run(tanggap, *report, "--quiet", "--email", "warga@example.org").splitlines()[0]
    assert re.fullmatch(r"JKT-[0-9A-Z]{4}-[0-9A-Z]{4}", quiet), quiet  # the code alone
    committed.append(quiet)
    out = run(tanggap, *report, "--email", "warga@example.org")
    code = re.search(r"submitted (JKT-[0-9A-Z]{4}-[0-9A-Z]{4})", out)
    assert code, out
    committed.append(code[1])
    assert "reporter token" not in out
    assert "the reporter's private link was mailed to the address they gave" in out
    with database.reading() as session:
        bodies = session.scalars(
            select(Notification.body)
            .join(Ticket, Ticket.id == Notification.ticket_id)
            .where(Ticket.code == code[1], Notification.kind == "reporter_receipt")
        ).all()
    assert len(bodies) == 1 and f"/t/{code[1]}?lang=id#token=" in bodies[0]
    assert not re.search(r"#token=(\S+)", out)
    bare = run(tanggap, *report)
    assert "reporter token" not in bare and "no reporter e-mail" in bare
    committed.append(bare.split()[1].rstrip(":"))


def _channel_shown(tanggap: CliRunner, code: str) -> str:
    rows = [line.split() for line in run(tanggap, "ticket", "show", code).splitlines()]
    return next(row[1] for row in rows if row[:1] == ["channel"])


def test_cli_a_filing_records_how_the_report_came_and_staff_doors_are_staff_s(
    tanggap: CliRunner, database: Database, committed: list[str], wide: None
) -> None:
    """The command line files on the channels the API does (``engine.channels``): staff name
    how the caller came, a citizen's report its own door; it stored "staff" and "cli", words
    the staff ticket page has none for."""
    officer = f"officer-{uuid.uuid4().hex[:8]}@tanggap.example"
    run(tanggap, "staff", "add", officer, "--name", "Budi Santoso", "--agency", "DISHUB")
    report = ["ticket", "submit", "--category", "traffic_jam", "--description", "Macet", *MONAS]
    for extra, stored in [
        (["--as", officer, "--channel", " PHONE "], "phone"),
        # Read as every other option's code is (cli/choices.py): spaces, _ and - alike.
        (["--as", officer, "--channel", "walk in"], "walk-in"),
        (["--as", officer, "--channel", "WALK_IN"], "walk-in"),
        (["--as", officer, "--channel", "Staff On Behalf"], "staff-on-behalf"),
        (["--as", officer, "--channel", ""], "staff-on-behalf"),
        (["--as", officer], "staff-on-behalf"),
        (["--channel", "web"], "web"),
        ([], "app"),
    ]:
        code = run(tanggap, *report, *extra, "--quiet").split()[0]
        committed.append(code)
        assert _channel_shown(tanggap, code) == stored, extra
    before = ticket_count(database)
    for extra, said in [
        (["--channel", "walk-in"], "walk-in is a door of the city's staff"),
        (["--channel", "Walk In"], "walk-in is a door of the city's staff"),
        (["--as", officer, "--channel", "app"], "app is the citizen's own door"),
    ]:
        result = tanggap.invoke(app, [*report, *extra])
        assert result.exit_code == 2, result.output
        assert len(result.output.strip().splitlines()) == 1 and said in result.output
    result = tanggap.invoke(app, [*report, "--channel", "counter"])
    assert result.exit_code == 2 and "counter" in result.output
    result = tanggap.invoke(app, [*report, "--channel", "x" * 5000])
    assert result.exit_code == 2 and len(result.output) < 200, result.output
    assert ticket_count(database) == before


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("JKT-NOPE-NOPE", "error: no ticket with code JKT-NOPE-NOPE"),
        (
            "JKT\x1b[0P-WNED",
            "error: no ticket with code JKT?[0P-WNED: a ticket code has only letters, digits "
            "and hyphens, e.g. JKT-7K3M-Q9XD",
        ),
    ],
)
def test_cli_show_unknown_ticket_echoes_what_was_typed(
    tanggap: CliRunner, typed: str, message: str
) -> None:
    result = tanggap.invoke(app, ["ticket", "show", typed])
    assert result.exit_code == 2
    assert result.output.strip() == message


def test_cli_a_supervisor_takes_a_report_off_the_public_record_and_puts_it_back(
    tanggap: CliRunner, database: Database, committed: list[str], wide: None
) -> None:
    officer = f"officer-{uuid.uuid4().hex[:8]}@tanggap.example"
    boss = f"boss-{uuid.uuid4().hex[:8]}@tanggap.example"
    run(tanggap, "staff", "add", officer, "--name", "Budi Santoso", "--agency", "DISHUB")
    run(tanggap, "staff", "add", boss, "--name", "Sri", "--role", "admin")
    out = run(
        tanggap, "ticket", "submit", "--quiet", "--category", "traffic_jam",
        "--description", "Macet, mobil B 1234 XYZ milik Pak Joko", *MONAS,
    )  # fmt: skip
    code = out.split()[0]
    committed.append(code)

    refused = tanggap.invoke(
        app, ["ticket", "act", code, "unpublish", "--as", officer, "--note", "x"]
    )
    assert refused.exit_code == 2
    assert "staff may not unpublish; only supervisors and admins may" in refused.output
    missing = tanggap.invoke(app, ["ticket", "act", code, "unpublish", "--as", boss])
    assert missing.exit_code == 2 and "unpublish needs a reason (--note)" in missing.output

    out = run(tanggap, "ticket", "act", code, "unpublish", "--as", boss, "--note", "data pribadi")
    assert out.strip() == f"{code} taken off the public record (still submitted, version 2)"
    shown = run(tanggap, "ticket", "show", code)
    assert re.search(r"public +no: taken off the public record", shown)
    assert "[internal] data pribadi" in shown
    next_line = next(line for line in shown.splitlines() if line.startswith("next"))
    assert "republish" in next_line and "unpublish" not in next_line

    twice = tanggap.invoke(app, ["ticket", "act", code, "unpublish", "--as", boss, "--note", "x"])
    assert twice.exit_code != 0 and "off the public record already" in twice.output
    out = run(tanggap, "ticket", "act", code, "republish", "--as", boss, "--note", "keliru")
    assert out.strip() == f"{code} is back on the public record (still submitted, version 3)"
    assert not re.search(r"public +no", run(tanggap, "ticket", "show", code))


def test_cli_an_admin_redacts_a_report_and_staff_still_read_it(
    tanggap: CliRunner, database: Database, committed: list[str], wide: None, tmp_path: Path
) -> None:
    officer = f"officer-{uuid.uuid4().hex[:8]}@tanggap.example"
    boss = f"boss-{uuid.uuid4().hex[:8]}@tanggap.example"
    run(tanggap, "staff", "add", officer, "--name", "Budi Santoso", "--agency", "DISHUB")
    run(tanggap, "staff", "add", boss, "--name", "Sri", "--role", "admin")
    photo = tmp_path / "wajah.jpg"
    Image.new("RGB", (64, 48), (120, 40, 40)).save(photo)
    out = run(
        tanggap, "ticket", "submit", "--quiet", "--category", "traffic_jam",
        "--description", "Macet, mobil B 1234 XYZ milik Pak Joko", "--photo", str(photo), *MONAS,
    )  # fmt: skip
    code = out.split()[0]
    committed.append(code)
    media = tmp_path / "media"
    (line,) = [x for x in run(tanggap, "ticket", "show", code).splitlines() if str(media) in x]
    key = line.split(f"{media}/", 1)[1].split()[0]

    redact = ["ticket", "act", code, "redact", "--description", "Macet, mobil parkir"]
    refused = tanggap.invoke(app, [*redact, "--as", officer, "--note", "x"])
    assert refused.exit_code == 2
    assert "staff may not redact; only supervisors and admins may" in refused.output
    missing = tanggap.invoke(app, [*redact, "--as", boss])
    assert missing.exit_code == 2 and "redact needs a reason (--note)" in missing.output
    unknown = tanggap.invoke(
        app, [*redact, "--as", boss, "--note", "data pribadi", "--hide-photo", "nope.jpg"]
    )
    assert unknown.exit_code == 2
    assert f"photo 'nope.jpg' is not one of {code}'s photos" in unknown.output

    out = run(tanggap, *redact, "--as", boss, "--note", "data pribadi", "--hide-photo", key)
    assert out.strip() == (
        f"{code} redacted: the public reads the edited report (still submitted, version 2)"
    )
    shown = run(tanggap, "ticket", "show", code)
    assert re.search(r"report +Macet, mobil B 1234 XYZ milik Pak Joko", shown)
    assert re.search(r"redacted +the public reads: Macet, mobil parkir", shown)
    assert f"{key}  [hidden from the public]" in shown
    assert "[internal] data pribadi" in shown
    again = tanggap.invoke(app, [*redact, "--as", boss, "--note", "x", "--hide-photo", key])
    assert again.exit_code == 2 and "is what the public reads already" in again.output


def test_cli_a_moderator_shows_a_photo_hidden_by_mistake_again(
    tanggap: CliRunner, database: Database, committed: list[str], wide: None, tmp_path: Path
) -> None:
    from engine.queries.media import find_stored_photo
    from engine.queries.public import get_public

    boss = f"boss-{uuid.uuid4().hex[:8]}@tanggap.example"
    run(tanggap, "staff", "add", boss, "--name", "Sri", "--role", "admin")
    photo = tmp_path / "jalan.jpg"
    Image.new("RGB", (64, 48), (40, 120, 40)).save(photo)
    out = run(
        tanggap, "ticket", "submit", "--quiet", "--category", "traffic_jam",
        "--description", "Macet di depan Monas", "--photo", str(photo), *MONAS,
    )  # fmt: skip
    code = out.split()[0]
    committed.append(code)
    media = tmp_path / "media"
    (line,) = [x for x in run(tanggap, "ticket", "show", code).splitlines() if str(media) in x]
    key = line.split(f"{media}/", 1)[1].split()[0]

    def public_photos() -> list[str]:
        with database.reading() as session:
            report = get_public(session, code, now=datetime.now(UTC))
            return [p.storage_key for p in report.photos]

    redact = ["ticket", "act", code, "redact", "--as", boss]
    run(tanggap, *redact, "--note", "wajah", "--hide-photo", key)
    assert public_photos() == []
    not_hidden = tanggap.invoke(app, [*redact, "--note", "x", "--show-photo", "nope.jpg"])
    assert not_hidden.exit_code == 2
    assert f"photo 'nope.jpg' is not one of {code}'s photos" in not_hidden.output

    out = run(tanggap, *redact, "--note", "keliru, bukan wajah", "--show-photo", key)
    assert out.strip() == (
        f"{code} redacted: the public reads the edited report (still submitted, version 3)"
    )
    assert public_photos() == [key]
    with database.reading() as session:
        found = find_stored_photo(session, key)
        assert found is not None and found.public  # GET /media/{key} serves it to anyone
    shown = run(tanggap, "ticket", "show", code)
    assert key in shown and "[hidden from the public]" not in shown
    assert "[internal] wajah  1 photo hidden from the public" in shown  # the timeline
    assert "[internal] keliru, bukan wajah  1 photo shown to the public again" in shown
    again = tanggap.invoke(app, [*redact, "--note", "x", "--show-photo", key])
    assert again.exit_code == 2 and "is not hidden from the public" in again.output


@pytest.mark.parametrize("typed", ["", "  "])
def test_cli_show_an_empty_code_says_it_is_empty(tanggap: CliRunner, typed: str) -> None:
    result = tanggap.invoke(app, ["ticket", "show", typed])
    assert result.exit_code == 2
    assert result.stderr == "error: the ticket code is empty: give one, e.g. JKT-7K3M-Q9XD\n"


def test_cli_submit_answers_the_category_questions(
    tanggap: CliRunner, database: Database, committed: list[str]
) -> None:
    out = run(
        tanggap, "ticket", "submit", "--quiet", "--category", "flood", "--description", "Banjir",
        *MONAS, "--answer", "water_depth=40", "--answer", "water_trend=rising",
    )  # fmt: skip
    code = out.split()[0]
    committed.append(code)
    with database.reading() as session:
        stored = session.scalar(select(Ticket.answers).where(Ticket.code == code))
    assert stored == {"water_depth": 40.0, "water_trend": "rising"}
    # An operator reads them back (a tester's report: ticket show left them out).
    shown = [line for line in run(tanggap, "ticket", "show", code).splitlines()
             if line.startswith("answer ")]  # fmt: skip
    assert len(shown) == 2, shown
    assert all(": " in line for line in shown)
    assert "40" in shown[0]


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (["water_depth=deep"], "answer to 'water_depth' must be a number between 0 and 1,000"),
        (["depth=40"], "no question 'depth' for this category; it asks water_depth, water_trend"),
        (["water_trend=rising", "water_trend=steady"], "answer to 'water_trend' takes one value"),
        (["water_depth"], "'water_depth' is not KEY=VALUE"),
        (["=40"], "'=40' is not KEY=VALUE"),
    ],
)
def test_cli_submit_refuses_a_wrong_answer_in_one_line(
    tanggap: CliRunner, database: Database, answers: list[str], message: str
) -> None:
    before = ticket_count(database)
    given = [part for answer in answers for part in ("--answer", answer)]
    result = tanggap.invoke(
        app,
        ["ticket", "submit", "--category", "flood", "--description", "Banjir", *MONAS, *given],
    )
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output
    assert ticket_count(database) == before
