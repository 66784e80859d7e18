"""What a citizen receives when staff change a report in a burst: the status mail waits
``TANGGAP_CITIZEN_MAIL_HOLD_MINUTES`` and whatever happens meanwhile joins it (one mail, every
change and public note in it), a mail the delivery flow took is never rewritten, and hold 0
mails each change on its own as before."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import status_mail
from engine.actions import perform
from engine.actors import Actor
from engine.db import Database
from engine.delivery import DeliveryPolicy, Outcome, Outgoing, SendResult, claim, record
from engine.following import stop_mail
from engine.lifecycle import Role
from engine.models import Notification, Subscription, Ticket
from engine.photos import MemoryMediaStorage
from engine.reports import unsubscribe
from engine.settings import Settings

Desk = Any


def hold(desk: Desk, minutes: int) -> Desk:
    """``desk`` acting with status mail held ``minutes`` (passed explicitly, whatever the
    default)."""
    desk.settings = desk.settings.model_copy(update={"citizen_mail_hold_minutes": minutes})
    return desk


def act(desk: Desk, ticket: Ticket, action: str, minutes: int = 1, **fields: Any) -> None:
    """Staff act ``minutes`` after the previous step (the desk's own step is 5 minutes)."""
    desk.now -= timedelta(minutes=5 - minutes)
    desk.act(ticket, action, "admin", **fields)


def deliver(desk: Desk, *, sent: bool = True) -> list[Outgoing]:
    """One pass of the delivery flow at the desk's time: what leaves for the provider (and, with
    ``sent``, the provider took it)."""
    desk.session.flush()
    out = claim(desk.session, now=desk.now, limit=100)
    for mail in out:
        if sent:
            record(desk.session, mail.id, SendResult(Outcome.SENT), now=desk.now,
                   policy=DeliveryPolicy())  # fmt: skip
    return [mail for mail in out if mail.kind == "citizen_update"]


def rows(desk: Desk, ticket: Ticket) -> list[Notification]:
    desk.session.flush()
    return list(
        desk.session.scalars(
            select(Notification)
            .where(Notification.ticket_id == ticket.id, Notification.kind == "citizen_update")
            .order_by(Notification.id)
            .execution_options(populate_existing=True)
        )
    )


def follow(desk: Desk, ticket: Ticket, address: str, language: str) -> None:
    desk.session.add(
        Subscription(
            ticket_id=ticket.id,
            email=address,
            language=language,
            active=True,
            created_at=desk.now,
            confirmed_at=desk.now,  # its owner confirmed (engine.following)
        )
    )


def test_status_mail_burst_within_the_hold_is_one_mail_naming_the_end_state_and_each_note(
    desk: Desk,
) -> None:
    hold(desk, 5)
    ticket = desk.submit(reporter_email="sari@warga.example", reporter_name="Sari")
    verified_at = desk.now + timedelta(minutes=1)
    act(desk, ticket, "verify")
    act(desk, ticket, "comment", note="Petugas <b>Dishub</b> sedang menuju lokasi", public=True)
    act(desk, ticket, "comment", note="RAHASIA: internal", public=False)
    act(desk, ticket, "assign", note="Diserahkan ke regu lalu lintas", public=True)
    act(desk, ticket, "start")
    assert deliver(desk) == []  # 4 minutes in: the hold has not passed

    desk.now = verified_at + timedelta(minutes=5)
    (mail,) = deliver(desk)

    assert mail.recipient == "sari@warga.example"
    assert mail.subject == f"[Tanggap] Laporan {ticket.code}: Proses"
    text = mail.text
    assert text.startswith("Yth. Sari,\n\nLaporan " + ticket.code)
    assert "kini berstatus: Proses." in text
    assert "Perkembangan terbaru:\n- 23 Nov 09:06 WIB: Menunggu (terverifikasi)\n" in text
    assert "- 23 Nov 09:07 WIB: Catatan petugas:\n    Petugas <b>Dishub</b> sedang menuju" in text
    assert (
        "- 23 Nov 09:09 WIB: Disposisi\n  Catatan petugas:\n    Diserahkan ke regu lalu lintas\n"
    ) in text
    assert "- 23 Nov 09:10 WIB: Proses\n" in text
    assert "RAHASIA" not in text + (mail.html or "")  # an internal note never reaches them
    html = mail.html or ""
    assert "Petugas &lt;b&gt;Dishub&lt;/b&gt; sedang menuju lokasi" in html
    assert "<b>Dishub" not in html
    assert "<li>23 Nov 09:10 WIB: Proses</li>" in html
    assert deliver(desk) == []  # and nothing else follows


def test_status_mail_waiting_keeps_its_time_and_key_names_the_events_it_tells(
    desk: Desk,
) -> None:
    hold(desk, 5)
    ticket = desk.submit(reporter_email="sari@warga.example")
    act(desk, ticket, "verify")
    (first,) = rows(desk, ticket)
    due, key = first.next_attempt_at, first.dedupe_key
    assert due == desk.now + timedelta(minutes=5)
    assert key is not None and key.startswith(f"citizen:{ticket.id}:2-2:")

    act(desk, ticket, "assign")
    act(desk, ticket, "start")

    (row,) = rows(desk, ticket)
    assert row.id == first.id
    assert row.next_attempt_at == due  # a stream of changes never postpones it
    assert row.dedupe_key == key.replace(":2-2:", ":2-4:")


def test_status_mail_changes_after_the_hold_are_separate_mails(desk: Desk) -> None:
    hold(desk, 5)
    ticket = desk.submit(reporter_email="sari@warga.example")
    act(desk, ticket, "verify")
    desk.tick(5)
    (first,) = deliver(desk)
    act(desk, ticket, "assign", note="Regu lalu lintas dikirim", public=True)
    desk.tick(5)

    (second,) = deliver(desk)

    assert first.subject.endswith(": Menunggu (terverifikasi)")
    assert "Regu lalu lintas" not in first.text
    assert second.subject.endswith(": Disposisi")
    # One change: read as before, the note under the state, no list of changes.
    assert "Catatan petugas:\nRegu lalu lintas dikirim" in second.text
    assert "Perkembangan terbaru" not in second.text
    assert "Menunggu" not in second.text


@pytest.mark.parametrize("outcome", ["sending", "retry"])
def test_status_mail_the_delivery_took_is_not_rewritten(desk: Desk, outcome: str) -> None:
    hold(desk, 5)
    ticket = desk.submit(reporter_email="sari@warga.example")
    act(desk, ticket, "verify")
    desk.tick(5)
    (taken,) = deliver(desk, sent=False)  # claimed: on its way to the provider
    if outcome == "retry":  # the provider said 503: pending again, but tried once
        record(desk.session, taken.id, SendResult(Outcome.RETRY), now=desk.now,
               policy=DeliveryPolicy(backoff=timedelta(minutes=30)))  # fmt: skip

    act(desk, ticket, "assign", note="Regu lalu lintas dikirim", public=True)

    old, new = rows(desk, ticket)
    assert (old.id, old.subject, old.body, old.html_body) == (
        taken.id,
        taken.subject,
        taken.text,
        taken.html,
    )
    assert old.dedupe_key is not None and ":2-2:" in old.dedupe_key
    assert new.subject.endswith(": Disposisi")
    assert "Regu lalu lintas dikirim" in new.body
    assert "Menunggu" not in new.body  # the mail on its way told of that already
    assert new.dedupe_key is not None and ":3-3:" in new.dedupe_key
    assert new.next_attempt_at == desk.now + timedelta(minutes=5)


def test_status_mail_hold_0_mails_each_change_at_once_as_before(desk: Desk) -> None:
    hold(desk, 0)
    ticket = desk.submit(reporter_email="sari@warga.example")
    for action in ("verify", "assign", "start"):
        act(desk, ticket, action)
        (mail,) = deliver(desk)  # due the moment it is queued
        assert "Perkembangan terbaru" not in mail.text

    subjects = [row.subject.split(": ", 1)[1] for row in rows(desk, ticket)]
    assert subjects == ["Menunggu (terverifikasi)", "Disposisi", "Proses"]


def test_status_mail_burst_reporter_and_follower_each_get_one_in_their_language(
    desk: Desk,
) -> None:
    hold(desk, 5)
    ticket = desk.submit(reporter_email="sari@warga.example", reporter_name="Sari")
    ticket.reporter_language = "en"
    follow(desk, ticket, "budi@warga.example", "id")
    act(desk, ticket, "verify")
    act(desk, ticket, "assign", note="Regu lalu lintas dikirim", public=True)
    act(desk, ticket, "start")
    desk.tick(5)

    reporter, follower = deliver(desk)

    assert (reporter.recipient, reporter.language) == ("sari@warga.example", "en")
    assert reporter.subject == f"[Tanggap] Report {ticket.code}: In progress"
    assert reporter.text.startswith("Dear Sari,")
    assert "What happened:\n- 23 Nov 09:06 WIB: Waiting (verified)\n" in reporter.text
    assert "- 23 Nov 09:07 WIB: Assigned\n  Note from the staff:\n    Regu lalu" in reporter.text
    assert "- 23 Nov 09:08 WIB: In progress\n" in reporter.text
    assert (follower.recipient, follower.language) == ("budi@warga.example", "id")
    assert follower.subject == f"[Tanggap] Laporan {ticket.code}: Proses"
    assert follower.text.startswith("Yth. Bapak/Ibu,")
    assert "- 23 Nov 09:07 WIB: Disposisi\n  Catatan petugas:\n    Regu lalu" in follower.text
    assert "Sari" not in follower.text + (follower.html or "")
    assert reporter.unsubscribe_url != follower.unsubscribe_url


def test_status_mail_a_follower_from_the_middle_is_told_from_their_first_mail_on(
    desk: Desk,
) -> None:
    hold(desk, 5)
    ticket = desk.submit(reporter_email="sari@warga.example")
    act(desk, ticket, "verify")
    follow(desk, ticket, "budi@warga.example", "id")
    act(desk, ticket, "assign")
    act(desk, ticket, "start")
    desk.tick(5)

    reporter, follower = deliver(desk)

    assert "Menunggu (terverifikasi)" in reporter.text
    assert "Menunggu" not in follower.text  # they followed after it
    assert "- 23 Nov 09:07 WIB: Disposisi\n- 23 Nov 09:08 WIB: Proses\n" in follower.text


def test_status_mail_resolution_is_due_at_once_and_carries_what_waited(desk: Desk) -> None:
    hold(desk, 5)
    ticket = desk.submit(reporter_email="sari@warga.example")
    act(desk, ticket, "verify")
    act(desk, ticket, "assign")
    act(desk, ticket, "start")
    act(desk, ticket, "resolve", note="Lalu lintas kembali lancar")

    (mail,) = deliver(desk)  # at the resolution's own minute, not five later

    assert mail.subject.endswith(": Selesai")
    assert "- 23 Nov 09:06 WIB: Menunggu (terverifikasi)" in mail.text
    assert "- 23 Nov 09:09 WIB: Selesai\n  Catatan petugas:\n    Lalu lintas kembali" in mail.text
    # The dispute window runs from the resolution (09:09 WIB): the mail says so at once.
    assert "hingga 30 November 2026 pukul 09.09 WIB (7 hari sejak diselesaikan)" in mail.text


@pytest.mark.parametrize("action", ["resolve", "reject"])
def test_status_mail_a_reports_last_word_alone_is_not_held(desk: Desk, action: str) -> None:
    hold(desk, 30)
    ticket = desk.ticket_in("verified", reporter_email="sari@warga.example")
    desk.tick(60)
    deliver(desk)
    if action == "resolve":
        for step in ("assign", "start"):
            act(desk, ticket, step)
        desk.tick(60)
        deliver(desk)

    act(desk, ticket, action)

    (mail,) = deliver(desk)
    assert mail.subject.endswith(": Selesai" if action == "resolve" else ": Ditolak")
    assert "Perkembangan terbaru" not in mail.text


@pytest.mark.parametrize("how", ["link", "reporter_api"])
def test_status_mail_stopped_while_it_waits_never_leaves(desk: Desk, how: str) -> None:
    hold(desk, 5)
    ticket = desk.submit(reporter_email="sari@warga.example")
    follow(desk, ticket, "budi@warga.example", "id")
    act(desk, ticket, "verify")
    desk.tick(5)
    deliver(desk)  # both were told of the verification
    act(desk, ticket, "assign")  # this mail waits five minutes

    if how == "link":  # the link at the foot of the mail they got, or its one-click POST
        budi = desk.session.scalars(
            select(Subscription).where(Subscription.email == "budi@warga.example")
        ).one()
        stop_mail(desk.session, budi.unsubscribe_token or "")
    else:  # the reporter takes the address off with their token
        unsubscribe(desk.session, ticket.code, token=desk.tokens[ticket.code],
                    email="Budi@Warga.example", now=desk.now)  # fmt: skip
    desk.tick(5)

    assert [mail.recipient for mail in deliver(desk)] == ["sari@warga.example"]
    stopped = rows(desk, ticket)[-1]
    assert (stopped.recipient, stopped.status) == ("budi@warga.example", "failed")
    assert stopped.last_error == status_mail.WITHDRAWN


# --- the delivery flow's claim racing a rewrite (committed data, real transactions) --------

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ADMIN = Actor(Role.ADMIN, "racer")


def _verified(db: Database, settings: Settings, report: Callable[..., Ticket]) -> str:
    """A committed report by sari@warga.example, verified at T0: its mail waits until T0 + 5."""
    with db.transaction() as session:
        ticket = report(session, now=T0)
        ticket.reporter_email = "sari@warga.example"
        _perform(session, ticket.code, "verify", settings, T0)
        return ticket.code


def _perform(
    session: Session, code: str, action: str, settings: Settings, now: datetime, **fields: Any
) -> None:
    perform(session, code, action, actor=ADMIN, now=now, settings=settings,
            storage=MemoryMediaStorage(), **fields)  # fmt: skip


def _mails(db: Database, code: str) -> list[tuple[int, str, str, str]]:
    """(id, status, subject, body) of each status mail about ``code``, oldest first."""
    with db.reading() as session:
        return [
            (n.id, n.status, n.subject, n.body)
            for n in session.scalars(
                select(Notification)
                .join(Ticket, Ticket.id == Notification.ticket_id)
                .where(Ticket.code == code, Notification.kind == "citizen_update")
                .order_by(Notification.id)
            )
        ]


def _told_once(mails: list[tuple[int, str, str, str]]) -> None:
    """Each change is in exactly one mail: the verification, and the assignment's note."""
    bodies = [body for *_, body in mails]
    assert sum("Menunggu (terverifikasi)" in body for body in bodies) == 1, bodies
    assert sum("Regu lalu lintas dikirim" in body for body in bodies) == 1, bodies


def test_status_mail_claim_racing_a_rewrite_sends_what_was_committed_once(
    database: Database, settings: Settings, report_committed: Callable[..., Ticket]
) -> None:
    """Threads on the suite's database (SQLite or PostgreSQL): staff assign at T0 + 4 min
    while the delivery flow claims at T0 + 5 min, when the verification's mail falls due."""
    held = settings.model_copy(update={"citizen_mail_hold_minutes": 5})
    db = Database(database.url, pool_size=3, max_overflow=0)
    orders = set()
    try:
        for round_ in range(8):
            code = _verified(db, held, report_committed)
            barrier = threading.Barrier(2)

            def assign(code: str = code, barrier: threading.Barrier = barrier) -> None:
                barrier.wait()
                with db.transaction() as session:
                    _perform(session, code, "assign", held, T0 + timedelta(minutes=4),
                             note="Regu lalu lintas dikirim", public=True)  # fmt: skip

            def deliver(
                barrier: threading.Barrier = barrier, lag: float = round_ * 0.01
            ) -> list[Outgoing]:
                barrier.wait()
                time.sleep(lag)  # the claim lands earlier or later in the transition each round
                with db.transaction() as session:
                    return claim(session, now=T0 + timedelta(minutes=5), limit=1000)

            with ThreadPoolExecutor(2) as pool:
                assigned, delivered = pool.submit(assign), pool.submit(deliver)
                assigned.result()
                taken = delivered.result()
            mails = _mails(db, code)
            ours = [mail for mail in taken if mail.id in {m[0] for m in mails}]
            if not ours:  # PostgreSQL: the claim skipped the row the rewrite held locked
                ((_, status, _, _),) = mails
                assert status == "pending"
                with db.transaction() as session:  # the next pass: the committed words
                    ours = [m for m in claim(session, now=T0 + timedelta(minutes=5), limit=1000)
                            if m.id == mails[0][0]]  # fmt: skip
                orders.add("skipped while rewritten, then claimed")
                mails = _mails(db, code)
            (sent,) = ours
            row = next(m for m in mails if m[0] == sent.id)
            # What left for the provider is the row as one commit left it, never rewritten after.
            assert (row[1], row[2], row[3]) == ("sending", sent.subject, sent.text)
            _told_once(mails)
            if len(mails) == 1:  # the assignment came first: one mail telling of both
                assert sent.subject.endswith(": Disposisi")
                orders.add("rewritten, then claimed")
            else:  # the claim came first: the assignment waits in a mail of its own
                assert [m[1] for m in mails] == ["sending", "pending"]
                assert sent.subject.endswith(": Menunggu (terverifikasi)")
                orders.add("claimed, then a new mail")
    finally:
        db.dispose()
    assert orders  # which orders occurred is up to the scheduler; each was checked


@pytest.mark.parametrize("first", ["claim", "rewrite"])
def test_status_mail_claim_between_the_read_and_the_update_is_not_overwritten(
    database: Database,
    settings: Settings,
    report_committed: Callable[..., Ticket],
    monkeypatch: pytest.MonkeyPatch,
    first: str,
) -> None:
    """The two orders forced, each at the worst moment: the delivery flow claims (and commits)
    after the transition found the mail waiting but before its UPDATE, or while the UPDATE
    holds the row. SQLite has one writer at a time, so the claim waits for the whole
    transition there; PostgreSQL lets them meet, and the UPDATE's own condition decides."""
    if database.is_sqlite:
        pytest.skip("SQLite: a claim cannot come inside another write transaction")
    held = settings.model_copy(update={"citizen_mail_hold_minutes": 5})
    code = _verified(database, held, report_committed)
    real_rewrite = status_mail.rewrite
    seen: list[list[Outgoing]] = []

    def claim_now() -> list[Outgoing]:
        with database.transaction() as other:
            return claim(other, now=T0 + timedelta(minutes=5), limit=100)

    def rewrite_racing(session: Session, row: status_mail.Waiting, values: dict[str, Any]) -> bool:
        if first == "claim":
            seen.append(claim_now())
            return real_rewrite(session, row, values)
        done = real_rewrite(session, row, values)
        seen.append(claim_now())  # the row is locked by this UPDATE: skipped, not waited for
        return done

    monkeypatch.setattr(status_mail, "rewrite", rewrite_racing)
    with database.transaction() as session:
        _perform(session, code, "assign", held, T0 + timedelta(minutes=4),
                 note="Regu lalu lintas dikirim", public=True)  # fmt: skip

    mails = _mails(database, code)
    _told_once(mails)
    ids = {m[0] for m in mails}
    taken = [mail for mail in seen[0] if mail.id in ids]
    if first == "claim":
        (sent,) = taken
        assert [(m[1], m[2].split(": ")[1]) for m in mails] == [
            ("sending", "Menunggu (terverifikasi)"),
            ("pending", "Disposisi"),
        ]
        assert mails[0][3] == sent.text  # what left is what the row still says
    else:
        assert taken == []
        ((_, status, subject, body),) = mails
        assert (status, subject.split(": ")[1]) == ("pending", "Disposisi")
        (later,) = [mail for mail in claim_now() if mail.id in ids]
        assert later.text == body  # the next pass sends the words the transition committed
