"""A catalogue reload that changes only a ladder: what fell due under the old ladder is recorded
(and mailed, as the sweep would have) under it first; the new ladder counts from the reload on.

And a clock the act itself ends (a verify with a correction, a transfer) is judged, and keeps
reading, as it ran: its policy, target and agency are not the ones the act brings.

Jakarta catalogue, emergency policy (flood: 24/7, verify 30 min, assign 1 h; ladder warning
50 %, breach 100 %, kota_governor 150 %). The edit renames the warning to ``early_warning`` at
40 % (no ``key:``, so it is a new level). Asserted: the ledger rows and the mails people get.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from engine.catalogue import load_catalogue
from engine.escalation import sweep_batch
from engine.models import Escalation, Notification, SlaTimer, Ticket
from engine.timeline import sla_timeline

WIB = ZoneInfo("Asia/Jakarta")
CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue" / "jakarta.yaml"
WARNING = "{name: warning, name_id: peringatan, name_en: warning, percent: 50, "
EARLY = "{name: early_warning, name_id: peringatan dini, name_en: early warning, percent: 40, "
QUEUE = "dsda.queue@tanggap.example"


def wib(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 11, 23, hour, minute, second, tzinfo=WIB)  # a Monday


def utc(hour: int, minute: int, second: int = 0) -> datetime:
    return wib(hour, minute, second).astimezone(UTC)


def reload_renamed(desk, at: datetime):  # type: ignore[no-untyped-def]
    text = CATALOGUE.read_text()
    assert text.count(WARNING) == 1
    return load_catalogue(desk.session, text.replace(WARNING, EARLY), now=at, source="x.yaml")


def ledger(desk, ticket: Ticket, kind: str) -> list[tuple[str, int, datetime, bool]]:
    rows = desk.session.scalars(
        select(Escalation)
        .where(Escalation.ticket_id == ticket.id, Escalation.timer_kind == kind)
        .order_by(Escalation.percent)
    )
    return [(e.level, e.percent, e.due_at, e.mailed) for e in rows]


def mails(desk, ticket: Ticket, kind: str) -> list[tuple[str, str]]:
    """(level, recipient) of every mail queued about ``ticket``'s ``kind`` clock."""
    return [
        (level, recipient)
        for level, recipient in desk.session.execute(
            select(Escalation.level, Notification.recipient)
            .join(Escalation, Notification.escalation_id == Escalation.id)
            .where(Notification.ticket_id == ticket.id, Escalation.timer_kind == kind)
            .order_by(Notification.id)
        )
    ]


def flood(desk, *, verified_at: datetime | None = None) -> Ticket:
    desk.now = wib(9, 0)
    ticket = desk.submit(category="flood")  # 09:05, DSDA
    if verified_at is not None:
        desk.now = verified_at
        desk.act(ticket, "verify", "admin")  # desk.act ticks 5 minutes first
    return ticket


@pytest.mark.parametrize(
    ("kind", "verified_at", "due", "reload_at"),
    [
        # verify: 09:05 + 30 min, the 50 % warning due 09:20.
        ("verify", None, utc(9, 20), wib(9, 25)),
        # assign: verified 09:10, + 1 h, the 50 % warning due 09:40.
        ("assign", wib(9, 5), utc(9, 40), wib(9, 45)),
    ],
)
def test_level_due_before_a_ladder_edit_is_recorded_and_mailed_under_the_old_ladder(
    desk, kind: str, verified_at: datetime | None, due: datetime, reload_at: datetime
) -> None:
    ticket = flood(desk, verified_at=verified_at)
    summary = reload_renamed(desk, reload_at)  # the warning fell due; no sweep recorded it
    # The warning is recorded at the reload, under the ladder it fell due under, and mailed.
    assert ledger(desk, ticket, kind) == [("warning", 50, due, True)]
    assert mails(desk, ticket, kind) == [("warning", QUEUE)]
    # Every running clock of the edited ladder now counts on the new one (verify and resolve;
    # with assign, the stopped verify clock is no running clock).
    assert summary.updated["open timers"] == 2
    # The next sweep adds nothing: early_warning (40 %) lies below the warning recorded.
    sweep_batch(desk.session, now=reload_at)
    assert [row[0] for row in ledger(desk, ticket, kind)] == ["warning"]
    assert mails(desk, ticket, kind) == [("warning", QUEUE)]
    # The breach still comes, once, at 100 %.
    breach_at = utc(9, 35) if kind == "verify" else utc(10, 10)
    sweep_batch(desk.session, now=breach_at)
    sweep_batch(desk.session, now=breach_at)
    assert ledger(desk, ticket, kind) == [
        ("warning", 50, due, True),
        ("breach", 100, breach_at, True),
    ]
    assert [m[0] for m in mails(desk, ticket, kind)].count("breach") == 2  # head, kecamatan
    assert [m[0] for m in mails(desk, ticket, kind)].count("warning") == 1


def test_new_level_the_clock_had_already_passed_falls_due_at_the_reload_not_before(desk) -> None:
    # At 09:19 the verify clock is 14 of 30 minutes in: the old warning (09:20) is not due,
    # the new early_warning (40 %: 09:17) lies behind. It is the new ladder's from the reload
    # on: due, recorded and mailed at 09:19 — not back-dated to a time the ladder did not have it.
    ticket = flood(desk)
    reload_renamed(desk, wib(9, 19))
    assert ledger(desk, ticket, "verify") == []
    sweep_batch(desk.session, now=wib(9, 19, 30))
    assert ledger(desk, ticket, "verify") == [("early_warning", 40, utc(9, 19), True)]
    assert mails(desk, ticket, "verify") == [("early_warning", QUEUE)]
    sweep_batch(desk.session, now=wib(9, 36))
    assert [row[:2] for row in ledger(desk, ticket, "verify")] == [
        ("early_warning", 40),
        ("breach", 100),
    ]


def test_stopped_clock_with_a_level_still_to_record_keeps_the_ladder_it_ran_under(desk) -> None:
    # Verified late at 09:22 (the 09:20 warning not yet recorded by any sweep): the stopped
    # clock's warning is recorded under the old ladder, without mail (the work was done), and
    # the new ladder, loaded after the clock stopped, adds nothing to it.
    ticket = flood(desk, verified_at=wib(9, 17))
    reload_renamed(desk, wib(9, 25))
    sweep_batch(desk.session, now=wib(9, 26))
    sweep_batch(desk.session, now=wib(10, 30))
    assert ledger(desk, ticket, "verify") == [("warning", 50, utc(9, 20), False)]
    assert mails(desk, ticket, "verify") == []


def test_reload_after_the_sweep_recorded_the_level_sends_nothing_twice(desk) -> None:
    ticket = flood(desk)
    sweep_batch(desk.session, now=wib(9, 21))
    assert mails(desk, ticket, "verify") == [("warning", QUEUE)]
    reload_renamed(desk, wib(9, 25))
    sweep_batch(desk.session, now=wib(9, 26))
    assert ledger(desk, ticket, "verify") == [("warning", 50, utc(9, 20), True)]
    assert mails(desk, ticket, "verify") == [("warning", QUEUE)]


def timer(desk, ticket: Ticket, kind: str) -> SlaTimer:
    return desk.session.scalars(
        select(SlaTimer).where(SlaTimer.ticket_id == ticket.id, SlaTimer.kind == kind)
    ).one()


def test_clock_ended_by_a_corrected_verify_keeps_the_policy_it_was_judged_by(desk) -> None:
    # Filed as a flood 09:05 (emergency, verify 30 min, 24/7: due 09:35), verified late at
    # 09:40 as a traffic jam, still urgent (urgent policy: verify 1 h, 24/7; DISHUB). The
    # verify clock was missed under the emergency policy and keeps reading so: emergency, 35 of
    # 30 minutes, breached, DSDA's clock — not "urgent, 35 min of 1 h, breached". Its levels
    # are recorded unmailed (the triage was done), as for a late verify without a correction;
    # the resolve clock follows the correction.
    desk.now = wib(9, 0)
    ticket = desk.submit(category="flood")  # 09:05
    dsda = ticket.agency_id
    desk.now = wib(9, 35)
    desk.act(ticket, "verify", "admin", category="traffic_jam")  # 09:40
    assert (ticket.state, ticket.agency.code) == ("verified", "DISHUB")
    verify = timer(desk, ticket, "verify")
    assert (verify.policy_code, verify.target_seconds) == ("emergency", 1800)
    assert verify.agency_id == dsda
    assert verify.breached and verify.deadline == utc(9, 35)
    assert timer(desk, ticket, "resolve").policy_code == "urgent"
    view = {v.kind: v for v in sla_timeline(desk.session, ticket, now=wib(10, 0))}["verify"]
    assert (view.policy, view.target.total_seconds(), view.elapsed.total_seconds()) == (
        "emergency",
        1800,
        2100,
    )
    assert (view.status, view.deadline) == ("breached", utc(9, 35))
    sweep_batch(desk.session, now=wib(10, 0))
    assert ledger(desk, ticket, "verify") == [
        ("warning", 50, utc(9, 20), False),
        ("breach", 100, utc(9, 35), False),
    ]
    assert mails(desk, ticket, "verify") == []


def test_start_clock_a_transfer_ends_stays_the_sending_office_s(desk) -> None:
    # Assigned to DISHUB, transferred to DBM after the start clock's deadline passed: the
    # missed start clock is DISHUB's (figures credit a clock to the agency that held it), the
    # new cycle DBM's.
    ticket = desk.ticket_in("assigned")
    dishub = ticket.agency_id
    desk.now += timedelta(days=7)
    desk.act(ticket, "transfer", agency="DBM", note="jalan ambles, bukan lalu lintas")
    first, second = desk.session.scalars(
        select(SlaTimer)
        .where(SlaTimer.ticket_id == ticket.id, SlaTimer.kind == "start")
        .order_by(SlaTimer.cycle)
    ).all()
    assert first.breached and first.stopped_at is not None
    assert (first.agency_id, first.policy_code) == (dishub, "default")
    assert second.agency_id == ticket.agency_id != dishub


def test_reload_while_a_sweep_records_the_level_waits_for_it_and_records_it_once(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # A sweep has claimed the flood (its row lock) and recorded the 09:20 warning but not yet
    # committed when the ladder edit is loaded: the reload waits for it, finds the warning in
    # the ledger and records nothing again (no unique-key failure, no second mail). A database
    # of its own: both transactions commit.
    from engine import schema
    from engine.actors import Actor
    from engine.db import Database
    from engine.photos import MemoryMediaStorage
    from engine.settings import Settings
    from engine.submission import Report, submit
    from tests.conftest import separate_database_url

    url = separate_database_url(database_url, "tanggap_ladder_race", tmp_path_factory)
    db = Database(url)
    try:
        schema.upgrade(db.engine)
        with db.transaction() as session:
            load_catalogue(session, CATALOGUE.read_text(), now=wib(8, 0), source="x.yaml")
            code = submit(
                session,
                Report(category="flood", description="banjir", lat=-6.1754, lon=106.8272),
                actor=Actor.citizen(),
                now=wib(9, 5),
                settings=Settings(database_url=url, media_dir=tmp_path_factory.mktemp("m")),
                storage=MemoryMediaStorage(),
            ).ticket.code
        swept, go_on = threading.Event(), threading.Event()
        failures: list[BaseException] = []

        def sweeper() -> None:
            try:
                with db.transaction() as session:
                    assert sweep_batch(session, now=wib(9, 24)).escalations == 1
                    swept.set()
                    go_on.wait(timeout=30)
            except BaseException as exc:  # pragma: no cover - reported below
                failures.append(exc)
                swept.set()

        thread = threading.Thread(target=sweeper)
        thread.start()
        assert swept.wait(timeout=30)
        text = CATALOGUE.read_text().replace(WARNING, EARLY)
        timer = threading.Timer(0.5, go_on.set)  # commit while the reload waits
        timer.start()
        with db.transaction() as session:
            load_catalogue(session, text, now=wib(9, 25), source="y.yaml")
        thread.join(timeout=30)
        timer.cancel()
        assert not failures
        with db.reading() as session:
            ticket = session.scalars(select(Ticket).where(Ticket.code == code)).one()
            rows = session.execute(
                select(Escalation.level, Escalation.percent, Escalation.mailed).where(
                    Escalation.ticket_id == ticket.id
                )
            ).all()
            sent = session.scalars(
                select(Notification.recipient).where(Notification.escalation_id.is_not(None))
            ).all()
        assert [tuple(row) for row in rows] == [("warning", 50, True)]
        assert sent == [QUEUE]
    finally:
        db.dispose()
        if not database_url.startswith("sqlite"):
            from sqlalchemy import text as sql

            from engine.db import make_engine

            engine = make_engine(database_url)
            with engine.begin() as conn:
                conn.execute(sql("DROP SCHEMA IF EXISTS tanggap_ladder_race CASCADE"))
            engine.dispose()
