"""``tanggap deliver``, ``tanggap outbox`` and ``tanggap close-resolved`` without Prefect."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from cli import context
from cli.main import app
from engine.db import Database
from engine.models import Notification, Ticket, UndeliverableAddress


def test_cli_deliver_writes_eml_files_when_no_sendgrid_key_and_says_so(
    tanggap: CliRunner,
    report_committed: Callable[..., Ticket],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TANGGAP_MAIL_DIR", str(tmp_path / "outbox"))
    monkeypatch.delenv("TANGGAP_SENDGRID_API_KEY", raising=False)
    code = report_committed(now=datetime(2026, 9, 1, 2, 0, tzinfo=UTC)).code
    assert tanggap.invoke(app, ["sweep", "--once"]).exit_code == 0

    result = tanggap.invoke(app, ["deliver", "--once"])

    assert result.exit_code == 0, result.output
    assert f"mail goes to: .eml files in {tmp_path / 'outbox'} (no TANGGAP_SENDGRID_API_KEY" in (
        result.output
    )
    letters = [message_from_bytes(p.read_bytes()) for p in (tmp_path / "outbox").glob("*.eml")]
    ours: list[Message] = [m for m in letters if code in str(m["Subject"])]
    assert sorted(
        str(m["To"]) for m in ours if "MELEWATI BATAS verifikasi (100%)" in m["Subject"]
    ) == [
        "dishub.head@tanggap.example",
        "kel-gambir.head@tanggap.example",
    ]
    assert ours[0].is_multipart()  # text and HTML
    assert f"{len(letters)} attempted: {len(letters)} sent" in result.output

    again = tanggap.invoke(app, ["deliver", "--once"])
    assert "0 attempted: nothing due" in again.output


def test_cli_outbox_list_failed_shows_the_providers_words_and_retry_requeues(
    tanggap: CliRunner, database: Database, report_committed: Callable[..., Ticket]
) -> None:
    ticket = report_committed(now=datetime(2026, 9, 1, 2, 0, tzinfo=UTC))
    assert tanggap.invoke(app, ["sweep", "--once"]).exit_code == 0
    with database.transaction() as session:
        row_id = session.scalars(
            select(Notification.id).where(Notification.ticket_id == ticket.id).limit(1)
        ).one()
        session.execute(
            update(Notification)
            .where(Notification.id == row_id)
            .values(status="failed", attempts=1, last_error="HTTP 400: from.email: invalid")
        )

    listed = tanggap.invoke(app, ["outbox", "list", "--failed"])
    assert listed.exit_code == 0, listed.output
    line = next(line for line in listed.output.splitlines() if line.startswith(f"{row_id} "))
    assert "failed" in line and ticket.code in line and "HTTP 400:" in line
    (row,) = [r for r in json.loads(
        tanggap.invoke(app, ["outbox", "list", "--failed", "--json"]).output
    ) if r["id"] == row_id]  # fmt: skip
    assert (row["status"], row["last_error"]) == ("failed", "HTTP 400: from.email: invalid")

    retried = tanggap.invoke(app, ["outbox", "retry", str(row_id)])
    assert retried.exit_code == 0 and "is pending again" in retried.output
    again = tanggap.invoke(app, ["outbox", "retry", str(row_id)])
    assert again.exit_code == 2
    assert again.output.strip() == (
        f"error: outbox row {row_id} is pending; only failed or dead rows are requeued"
    )


#: What a terminal 80 columns wide says (the console of the tests is 80 wide).
EIGHTY = {"COLUMNS": "80"}


def test_cli_outbox_list_says_which_row_stands_in_for_an_undeliverable_address(
    tanggap: CliRunner, database: Database, report_committed: Callable[..., Ticket]
) -> None:
    head = "dishub.head@tanggap.example"
    with database.transaction() as session:
        session.add(
            UndeliverableAddress(
                email=head,
                event="dropped",
                reason="Bounced Address",
                flagged_at=datetime(2026, 8, 1, tzinfo=UTC),
            )
        )
    try:
        ticket = report_committed(now=datetime(2026, 9, 1, 2, 0, tzinfo=UTC))
        assert tanggap.invoke(app, ["sweep", "--once"]).exit_code == 0
        rows = json.loads(
            tanggap.invoke(app, ["outbox", "list", "--ticket", ticket.code, "--json"]).output
        )
        # an 80-column terminal (piped, without COLUMNS, a row is one line however long)
        listed = tanggap.invoke(app, ["outbox", "list", "--ticket", ticket.code], env=EIGHTY)
    finally:  # the database outlives this test: other tests must find the head's mailbox alive
        with database.transaction() as session:
            session.execute(delete(UndeliverableAddress).where(UndeliverableAddress.email == head))

    assert head not in {row["recipient"] for row in rows}
    stand_ins = [row for row in rows if row["note"]]
    assert stand_ins and {row["note"] for row in stand_ins} == {
        f"instead of {head} (agency_head), undeliverable (dropped: Bounced Address)"
    }
    assert listed.exit_code == 0, listed.output
    assert max(len(line) for line in listed.output.splitlines()) <= 80
    assert (
        f"{stand_ins[0]['id']}: instead of {head} (agency_head), undeliverable (dropped: "
        "Bounced Address)"
    ) in " ".join(listed.output.split())


@pytest.mark.parametrize("row_id", ["0", "9223372036854775807", "9223372036854775808", "9" * 21])
def test_cli_outbox_retry_of_a_number_no_row_can_have_is_no_such_row(
    tanggap: CliRunner, row_id: str
) -> None:
    """Beyond 64 bits it was "unexpected OverflowError" on SQLite and "unexpected DataError" on
    PostgreSQL; now the same one line on both, before any query."""
    result = tanggap.invoke(app, ["outbox", "retry", row_id])
    assert (result.exit_code, result.stderr) == (2, f"error: no outbox row {row_id}\n")


def test_cli_outbox_list_says_what_is_missing_not_that_the_outbox_is_empty(
    tanggap: CliRunner, report_committed: Callable[..., Ticket]
) -> None:
    ticket = report_committed(now=datetime(2026, 9, 1, 2, 0, tzinfo=UTC))
    assert tanggap.invoke(app, ["sweep", "--once"]).exit_code == 0  # queues its escalations
    queued = tanggap.invoke(app, ["outbox", "list", "--ticket", ticket.code])
    assert ticket.code in queued.output
    none_failed = tanggap.invoke(app, ["outbox", "list", "--ticket", ticket.code, "--failed"])
    assert none_failed.exit_code == 0
    assert "no failed e-mails" in none_failed.output
    assert "the outbox is empty" not in none_failed.output


def test_cli_deliver_two_databases_into_one_outbox_folder_keeps_every_mail(
    tanggap: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """README's demo.db beside tanggap.db, used from one directory: each numbers its outbox from
    1, and the second database's receipt was written over the first's (both were
    ``00000001.eml``). Now each mail keeps a file of its own, never replaced."""
    root = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("TANGGAP_MAIL_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("TANGGAP_MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.delenv("TANGGAP_SENDGRID_API_KEY", raising=False)
    outbox = tmp_path / "outbox"
    seen: dict[str, bytes] = {}
    for name in ("demo.db", "tanggap.db"):
        monkeypatch.setenv("TANGGAP_DATABASE_URL", f"sqlite:///{tmp_path / name}")
        context.reset()
        for args in (
            ["db", "upgrade"],
            ["config", "load", str(root / "catalogue/jakarta.yaml")],
            ["staff", "add", "budi@dishub.example", "--name", "Budi", "--agency", "DISHUB"],
        ):
            assert tanggap.invoke(app, args).exit_code == 0
        filed = tanggap.invoke(app, [
            "ticket", "submit", "--category", "traffic_jam", "--lat", "-6.1754", "--lon",
            "106.8272", "--description", f"Macet total ({name})", "--email", "sari@warga.example",
            "--as", "budi@dishub.example", "--quiet",
        ])  # fmt: skip
        assert filed.exit_code == 0, filed.output
        sent = tanggap.invoke(app, ["deliver", "--once"])
        assert sent.exit_code == 0 and "1 attempted: 1 sent" in sent.output, sent.output

        files = {p.name: p.read_bytes() for p in outbox.glob("*.eml")}
        assert {n: b for n, b in files.items() if n in seen} == seen  # none replaced
        (new,) = set(files) - set(seen)
        code = filed.output.split()[0]
        assert f"Laporan Anda {code} " in str(message_from_bytes(files[new])["Subject"])
        seen = files
    assert len(seen) == 2
    context.reset()
