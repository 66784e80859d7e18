"""Outbox delivery through the real ``sendgrid`` client against a local SendGrid.

What a person would notice: who got a mail, how many times, and what an operator reads on the
row when it did not go out.
"""

from __future__ import annotations

import email
import email.policy
import errno
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fake_sendgrid import FakeSendGrid, Fault, random_faults
from sqlalchemy import insert, select

from engine.db import Database
from engine.delivery import DeliveryPolicy, Outcome, Outgoing, SendResult, record
from engine.models import MailEvent, Notification, NotificationStatus, Ticket
from engine.settings import Settings
from workflows.delivery import deliver_pass
from workflows.mail import EmlFolderBackend, SendGridBackend

T0 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
LONG_AGO = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)


@dataclass
class SimClock:
    moment: datetime = T0

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, delta: timedelta) -> None:
        self.moment += delta


@pytest.fixture
def outbox(
    flow_database: Database, report_committed: Callable[..., Ticket]
) -> Callable[..., list[int]]:
    """Queue ``n`` mails about one committed ticket (purged with it after the test)."""
    ticket = report_committed(now=LONG_AGO)

    def queue(n: int, recipient: Callable[[int], str] = lambda i: f"officer{i}@dinas.example"):
        rows = [
            {
                "ticket_id": ticket.id,
                "recipient": recipient(i),
                "recipient_kind": "agency_queue",
                "kind": "escalation",
                "subject": f"[Tanggap] {ticket.code} mail {i}",
                "body": f"Laporan {ticket.code}: mail {i}",
                "html_body": f"<p>Laporan {ticket.code}: mail {i}</p>",
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": T0,
                "created_at": T0,
            }
            for i in range(n)
        ]
        with flow_database.transaction() as session:
            session.execute(insert(Notification), rows)
            return list(
                session.scalars(
                    select(Notification.id)
                    .where(Notification.ticket_id == ticket.id)
                    .order_by(Notification.id)
                )
            )

    return queue


def rows(db: Database, ids: list[int]) -> dict[int, Notification]:
    with db.reading() as session:
        found = session.scalars(select(Notification).where(Notification.id.in_(ids)))
        return {row.id: row for row in found}


POLICY = DeliveryPolicy(
    max_attempts=15,
    backoff=timedelta(seconds=5),
    backoff_max=timedelta(minutes=1),
    lease=timedelta(minutes=2),
    grace=timedelta(minutes=1),
)


def drain(
    db: Database,
    backend: SendGridBackend,
    clock: SimClock,
    *,
    rounds: int = 40,
    batch: int = 100,
    fake: FakeSendGrid | None = None,
) -> None:
    for _ in range(rounds):
        deliver_pass(db, backend, clock=clock, policy=POLICY, batch_size=batch)
        if fake is not None:
            fake.flush_events()  # what the grace period is for: the events have arrived
        clock.advance(timedelta(minutes=3))


def test_delivery_with_30_percent_transient_faults_sends_each_row_exactly_once(
    flow_database: Database,
    mail_settings: Settings,
    fake_sendgrid: FakeSendGrid,
    webhook: str,
    outbox: Callable[..., list[int]],
) -> None:
    ids = outbox(2000)
    transient = [Fault.TOO_MANY, Fault.SERVER_ERROR, Fault.UNAVAILABLE, Fault.DROP_BEFORE]
    ambiguous = [Fault.DROP_AFTER, Fault.SLOW]  # the provider took these; only events say so
    # Slow answers cost the client its whole timeout: keep them rarer so the test stays quick.
    fake_sendgrid.plan = random_faults(
        0.30, seed=9, faults=transient * 4 + [Fault.DROP_AFTER] * 3 + [Fault.SLOW]
    )
    fake_sendgrid.slow_seconds = 0.25
    # Like SendGrid, an event for every mail taken, posted in batches a moment later.
    fake_sendgrid.batch_events = True
    backend = SendGridBackend(mail_settings.model_copy(update={"sendgrid_timeout_seconds": 0.1}))

    drain(flow_database, backend, SimClock(), fake=fake_sendgrid)

    faults = Counter(fake_sendgrid.faults)
    injected = sum(n for fault, n in faults.items() if fault is not Fault.NONE)
    assert 0.25 < injected / len(fake_sendgrid.faults) < 0.35
    assert all(faults[f] > 20 for f in transient + ambiguous)  # each kind of trouble, often
    delivered = Counter(fake_sendgrid.delivered_ids())
    assert sorted(delivered) == sorted(str(i) for i in ids)  # nobody forgotten
    assert max(delivered.values()) == 1  # nobody mailed twice
    final = rows(flow_database, ids)
    assert Counter(row.status for row in final.values()) == {"sent": 2000}
    with flow_database.reading() as session:
        confirmed = session.scalar(
            select(MailEvent.id).where(MailEvent.notification_id.in_(ids)).limit(1)
        )
    assert confirmed is not None  # dropped-after-accept rows were settled by their events


def test_delivery_400_ends_failed_with_providers_words(
    flow_database: Database,
    mail_settings: Settings,
    fake_sendgrid: FakeSendGrid,
    outbox: Callable[..., list[int]],
) -> None:
    ids = outbox(3, recipient=lambda i: "kepala@dinas" if i == 1 else f"ok{i}@x.example")
    clock = SimClock()
    deliver_pass(flow_database, SendGridBackend(mail_settings), clock=clock, policy=POLICY)
    drain(flow_database, SendGridBackend(mail_settings), clock, rounds=3)

    final = rows(flow_database, ids)
    bad = final[ids[1]]
    assert bad.status == NotificationStatus.FAILED and bad.attempts == 1
    assert bad.last_error == (
        "HTTP 400: personalizations.0.to.0.email: Does not contain a valid address."
    )
    assert [final[i].status for i in (ids[0], ids[2])] == ["sent", "sent"]
    assert sorted(m.to[0] for m in fake_sendgrid.accepted) == ["ok0@x.example", "ok2@x.example"]
    sent = final[ids[0]]
    assert sent.provider_message_id and sent.provider_message_id.startswith("fake")


def test_delivery_429_waits_as_long_as_retry_after_asks(
    flow_database: Database,
    mail_settings: Settings,
    fake_sendgrid: FakeSendGrid,
    outbox: Callable[..., list[int]],
) -> None:
    (row_id,) = outbox(1)
    fake_sendgrid.plan = lambda n, _payload: Fault.TOO_MANY if n == 0 else Fault.NONE
    fake_sendgrid.retry_after = 120
    clock = SimClock()
    backend = SendGridBackend(mail_settings)

    deliver_pass(flow_database, backend, clock=clock, policy=POLICY)
    row = rows(flow_database, [row_id])[row_id]
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == T0 + timedelta(seconds=120)
    assert row.last_error == "HTTP 429: too many requests"

    clock.advance(timedelta(seconds=119))
    deliver_pass(flow_database, backend, clock=clock, policy=POLICY)
    assert fake_sendgrid.requests == 1  # not before the provider said
    clock.advance(timedelta(seconds=1))
    deliver_pass(flow_database, backend, clock=clock, policy=POLICY)
    assert rows(flow_database, [row_id])[row_id].status == "sent"
    assert fake_sendgrid.delivered_ids() == [str(row_id)]


def test_delivery_dead_letters_after_max_attempts_and_tells_the_operator(
    flow_database: Database,
    mail_settings: Settings,
    fake_sendgrid: FakeSendGrid,
    outbox: Callable[..., list[int]],
) -> None:
    (row_id,) = outbox(1)
    fake_sendgrid.plan = lambda _n, payload: (
        Fault.UNAVAILABLE
        if payload["personalizations"][0]["to"][0]["email"] != "ops@jakarta.example"
        else Fault.NONE
    )
    policy = DeliveryPolicy(
        max_attempts=3, backoff=timedelta(seconds=10), operator_email="ops@jakarta.example"
    )
    clock = SimClock()
    for _ in range(5):
        deliver_pass(flow_database, SendGridBackend(mail_settings), clock=clock, policy=policy)
        clock.advance(timedelta(minutes=5))

    row = rows(flow_database, [row_id])[row_id]
    assert (row.status, row.attempts) == ("dead", 3)
    assert row.last_error == "HTTP 503: internal error"
    (alert,) = fake_sendgrid.mails_to("ops@jakarta.example")
    assert alert.subject == "[Tanggap] dead letter: mail to officer0@dinas.example not sent"
    assert alert.text is not None and "failed 3 times" in alert.text
    assert fake_sendgrid.requests == 4  # three tries and the alert


def test_delivery_uncertain_row_is_resent_only_without_a_provider_event(
    flow_database: Database,
    mail_settings: Settings,
    fake_sendgrid: FakeSendGrid,
    webhook: str,
    outbox: Callable[..., list[int]],
) -> None:
    """Both rows end with a dropped connection. SendGrid took the first (and its event said so)
    and never had the second: only the second is sent again, once the grace period passed."""
    taken, lost = outbox(2)
    first_try = {str(taken): Fault.DROP_AFTER, str(lost): Fault.DROP_BEFORE}
    seen: set[str] = set()

    def plan(_n: int, payload: dict[str, str]) -> Fault:
        outbox_id = payload["custom_args"]["tanggap_outbox_id"]  # type: ignore[index]
        fault = first_try[outbox_id] if outbox_id not in seen else Fault.NONE
        seen.add(outbox_id)
        return fault

    fake_sendgrid.plan = plan
    clock = SimClock()
    backend = SendGridBackend(mail_settings)
    deliver_pass(flow_database, backend, clock=clock, policy=POLICY)
    assert {r.status for r in rows(flow_database, [taken, lost]).values()} == {"uncertain"}

    clock.advance(POLICY.grace - timedelta(seconds=1))
    deliver_pass(flow_database, backend, clock=clock, policy=POLICY)
    assert fake_sendgrid.requests == 2  # still within the grace period: nothing resent

    clock.advance(timedelta(seconds=1))
    deliver_pass(flow_database, backend, clock=clock, policy=POLICY)
    final = rows(flow_database, [taken, lost])
    assert (final[taken].status, final[lost].status) == ("sent", "sent")
    assert final[taken].last_event == "processed"
    assert Counter(fake_sendgrid.delivered_ids()) == {str(taken): 1, str(lost): 1}


def test_record_sent_after_requeue_is_not_sent_again(
    flow_database: Database, outbox: Callable[..., list[int]]
) -> None:
    """A very slow attempt outlived its lease and the row was requeued; then the provider's 202
    arrives: the row is sent, and the queued retry will not claim it."""
    (row_id,) = outbox(1)
    with flow_database.transaction() as session:
        row = session.get(Notification, row_id)
        assert row is not None
        row.status = "pending"
        record(session, row_id, SendResult(Outcome.SENT, provider_id="x"), now=T0, policy=POLICY)
    assert rows(flow_database, [row_id])[row_id].status == "sent"


def test_eml_backend_writes_one_file_per_row_even_when_sent_twice(
    mail_settings: Settings,
) -> None:
    backend = EmlFolderBackend(mail_settings)
    mail = Outgoing(
        id=42,
        recipient="kepala@dishub.example",
        subject="[Tanggap] JKT-1 terlambat",
        text="Laporan JKT-1 <b>",
        html="<p>Laporan JKT-1 &lt;b&gt;</p>",
        kind="escalation",
        language="id",
        ticket_code="JKT-1",
        attempt=1,
        created_at=T0,
    )
    assert backend.send(mail).outcome is Outcome.SENT
    assert backend.send(mail).outcome is Outcome.SENT
    files = sorted(mail_settings.mail_dir.iterdir())
    assert [f.name for f in files] == [f"{mail.identity}.eml"]
    assert files[0].name.startswith(f"{T0:%Y%m%dT%H%M%S%f}Z-00000042-")
    text = files[0].read_text()
    assert "To: kepala@dishub.example" in text and "Subject: [Tanggap] JKT-1 terlambat" in text
    assert "X-Tanggap-Outbox-Id: 42" in text
    assert "List-Unsubscribe" not in text  # staff mail


def _letter(row_id: int, created_at: datetime, subject: str) -> Outgoing:
    return Outgoing(
        id=row_id,
        recipient="kepala@dishub.example",
        subject=subject,
        text=f"Isi surel: {subject}",
        html=None,
        kind="escalation",
        language="id",
        ticket_code="JKT-1",
        attempt=1,
        created_at=created_at,
    )


def _read_folder(folder: Path) -> list[tuple[str, str]]:
    """(file name, subject) of every .eml file, in the order of the names."""
    return [
        (path.name, str(email.message_from_bytes(path.read_bytes())["Subject"]))
        for path in sorted(folder.glob("*.eml"))
    ]


def test_eml_backend_mail_of_another_database_with_the_same_row_id_never_replaces_a_file(
    mail_settings: Settings,
) -> None:
    """demo.db and tanggap.db (or a rebuilt database) used from one folder each number their
    rows from 1: the second row 1 is a mail of its own, written beside the first, in queueing
    order, and the first file's bytes stay as they were."""
    backend = EmlFolderBackend(mail_settings)
    demo = _letter(1, T0, "[Tanggap] demo.db row 1")
    assert backend.send(demo).outcome is Outcome.SENT
    (first,) = mail_settings.mail_dir.glob("*.eml")
    written = first.read_bytes()

    rebuilt = _letter(1, T0 + timedelta(minutes=5), "[Tanggap] tanggap.db row 1")
    same_instant = _letter(1, T0, "[Tanggap] another database, row 1 at the same instant")
    earlier = _letter(2, T0 - timedelta(days=1), "[Tanggap] row 2 of a third, queued before")
    for mail in (rebuilt, same_instant, earlier):
        result = backend.send(mail)
        assert (result.outcome, result.provider_id) == (Outcome.SENT, f"{mail.identity}.eml")

    subjects = [subject for _, subject in _read_folder(mail_settings.mail_dir)]
    assert subjects[0] == "[Tanggap] row 2 of a third, queued before"
    assert set(subjects[1:3]) == {
        "[Tanggap] demo.db row 1",
        "[Tanggap] another database, row 1 at the same instant",
    }
    assert subjects[3:] == ["[Tanggap] tanggap.db row 1"]
    # Mail clients take one Message-ID for one mail: each database's row 1 has its own.
    message_ids = [
        email.message_from_bytes(p.read_bytes())["Message-ID"]
        for p in mail_settings.mail_dir.glob("*.eml")
    ]
    assert len(set(message_ids)) == 4
    assert first.read_bytes() == written
    assert not [p.name for p in mail_settings.mail_dir.iterdir() if not p.name.endswith(".eml")]


def _no_hard_links(source: object, target: object) -> None:
    raise PermissionError(errno.EPERM, "Operation not permitted")


@pytest.mark.parametrize("hard_links", [True, False], ids=["linked", "no-hard-links"])
def test_eml_backend_never_replaces_a_file_already_under_the_mails_name(
    mail_settings: Settings, monkeypatch: pytest.MonkeyPatch, hard_links: bool
) -> None:
    """A file system without hard links (some network or FAT mounts) gets the file created
    exclusively instead: still written whole when new, still never replacing one."""
    if not hard_links:
        monkeypatch.setattr("workflows.mail.os.link", _no_hard_links)
    fresh = _letter(4, T0, "[Tanggap] JKT-2 terlambat")
    assert EmlFolderBackend(mail_settings).send(fresh).outcome is Outcome.SENT
    assert _read_folder(mail_settings.mail_dir) == [
        (f"{fresh.identity}.eml", "[Tanggap] JKT-2 terlambat")
    ]
    mail = _letter(3, T0, "[Tanggap] JKT-1 terlambat")
    taken = mail_settings.mail_dir / f"{mail.identity}.eml"
    taken.write_bytes(b"Subject: written before\n\nkept\n")

    assert EmlFolderBackend(mail_settings).send(mail).outcome is Outcome.SENT

    assert taken.read_bytes() == b"Subject: written before\n\nkept\n"
    assert sorted(p.name for p in mail_settings.mail_dir.iterdir()) == sorted(
        [taken.name, f"{fresh.identity}.eml"]
    )


@pytest.mark.parametrize(
    "subject",
    [
        "[Tanggap] JKT-2026-000123 MELEWATI BATAS verifikasi (100%) — lewat batas waktu / "
        "deadline passed: Banjir / genangan, Kelurahan Gambir",
        "[Tanggap] JKT-2026-000123 MENDEKATI BATAS mulai penanganan dan penerimaan koordinasi "
        "(75%) — peringatan / warning: Jalan rusak / Damaged road, Kelurahan Gambir",
        "[Tanggap] JKT-2026-000123 MELEWATI BATAS penyelesaian (150%) — kota dan gubernur / "
        "city and governor: Sampah, Kelurahan Kebon Kelapa",
        "[Tanggap] Ringkasan harian 2026-11-24 — 3 lewat batas, 2 hampir lewat",
        "[Tanggap] Daily digest 2026-11-24 — 3 overdue, 2 at risk",
        "[Tanggap] Laporan JKT-2026-000123: Selesai — terima kasih " + "é" * 220,
    ],
)
def test_eml_backend_subject_reads_back_as_written_with_one_space_around_a_dash(
    mail_settings: Settings, subject: str
) -> None:
    mail = Outgoing(
        id=8,
        recipient="kepala@dishub.example",
        subject=subject,
        text="Laporan",
        html=None,
        kind="escalation",
        language="id",
        ticket_code="JKT-2026-000123",
        attempt=1,
        created_at=T0,
    )
    assert EmlFolderBackend(mail_settings).send(mail).outcome is Outcome.SENT
    raw = (mail_settings.mail_dir / f"{mail.identity}.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == subject
    assert "  " not in message["Subject"]


def test_eml_backend_writes_the_unsubscribe_headers_of_a_citizen_mail(
    mail_settings: Settings,
) -> None:
    link = "http://127.0.0.1:8000/unsubscribe/" + "u" * 32
    mail = Outgoing(
        id=7,
        recipient="sari@warga.example",
        subject="[Tanggap] Laporan JKT-1: Proses",
        text=f"Berhenti menerima surel tentang laporan ini: {link}",
        html=None,
        kind="citizen_update",
        language="id",
        ticket_code="JKT-1",
        attempt=1,
        unsubscribe_url=link,
        created_at=T0,
    )
    assert EmlFolderBackend(mail_settings).send(mail).outcome is Outcome.SENT
    raw = (mail_settings.mail_dir / f"{mail.identity}.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["List-Unsubscribe"].strip() == f"<{link}>"  # folded: too long for one line
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_citizen_mail_goes_out_with_one_click_unsubscribe_headers_staff_mail_without(
    flow_database: Database,
    mail_settings: Settings,
    fake_sendgrid: FakeSendGrid,
    report_committed: Callable[..., Ticket],
) -> None:
    ticket = report_committed(now=LONG_AGO)
    link = "https://lapor.jakarta.example/unsubscribe/" + "t" * 32
    common = {
        "ticket_id": ticket.id,
        "subject": f"[Tanggap] Laporan {ticket.code}",
        "body": "isi",
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": T0,
        "created_at": T0,
    }
    with flow_database.transaction() as session:
        session.execute(
            insert(Notification),
            [
                {
                    **common,
                    "recipient": "sari@warga.example",
                    "recipient_kind": "reporter",
                    "kind": "citizen_update",
                    "unsubscribe_url": link,
                },
                {
                    **common,
                    "recipient": "kepala@dinas.example",
                    "recipient_kind": "agency_head",
                    "kind": "escalation",
                    "unsubscribe_url": None,
                },
            ],
        )
    deliver_pass(flow_database, SendGridBackend(mail_settings), clock=SimClock(), policy=POLICY)

    (citizen,) = fake_sendgrid.mails_to("sari@warga.example")
    assert citizen.payload["headers"] == {
        "List-Unsubscribe": f"<{link}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    (staff,) = fake_sendgrid.mails_to("kepala@dinas.example")
    assert "headers" not in staff.payload  # staff cannot opt out of escalations
