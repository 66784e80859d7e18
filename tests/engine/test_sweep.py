"""The SLA sweep: level-triggered, recorded once, mailed to the right people, cheap when idle."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select, text, update

from engine.db import Database
from engine.escalation import due_tickets_query, sweep, sweep_batch
from engine.models import Agency, Escalation, Notification, SlaTimer, Ticket

WIB = ZoneInfo("Asia/Jakarta")


def wib(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WIB)


def head_of(desk, code: str) -> str:
    agency = desk.session.scalars(select(Agency).where(Agency.code == code)).one()
    return agency.head_email


def ledger(desk, ticket: Ticket) -> list[tuple[str, int, str, bool]]:
    rows = desk.session.scalars(
        select(Escalation).where(Escalation.ticket_id == ticket.id).order_by(Escalation.id)
    )
    return [(e.timer_kind, e.cycle, e.level, e.mailed) for e in rows]


def mail(desk, ticket: Ticket) -> Counter[tuple[str, str]]:
    rows = desk.session.execute(
        select(Escalation.level, Notification.recipient)
        .join(Escalation, Notification.escalation_id == Escalation.id)
        .where(Notification.ticket_id == ticket.id, Escalation.timer_kind == "verify")
    )
    return Counter((level, recipient) for level, recipient in rows)


def test_sweep_after_downtime_records_every_level_once_and_mails_the_chain(desk) -> None:
    desk.now = wib(11, 23, 9)
    ticket = desk.submit()  # traffic jam at Monas: Dishub, Kelurahan Gambir
    now = wib(12, 7, 10)  # two weeks of nobody looking

    first = sweep_batch(desk.session, now=now)

    assert first.tickets == 1
    assert ledger(desk, ticket) == [
        ("verify", 1, "warning", False),  # its breach is due too: recorded, not mailed
        ("verify", 1, "breach", True),
        ("verify", 1, "kecamatan", True),
        ("verify", 1, "kota", True),
        ("verify", 1, "governor", True),
        ("resolve", 1, "warning", False),
        ("resolve", 1, "breach", True),
        ("resolve", 1, "kecamatan", True),
        ("resolve", 1, "kota", True),
    ]
    assert first.not_mailed == 2
    assert mail(desk, ticket) == Counter(
        {
            ("breach", head_of(desk, "DISHUB")): 1,
            ("breach", head_of(desk, "KEL-GAMBIR")): 1,
            ("kecamatan", head_of(desk, "KEC-GAMBIR")): 1,
            ("kota", head_of(desk, "WALKOT-JP")): 1,
            ("governor", head_of(desk, "GUB")): 1,
        }
    )
    # Only the resolve timer's governor level (300 %) is still ahead.
    resolve = desk.session.scalars(
        select(SlaTimer).where(SlaTimer.ticket_id == ticket.id, SlaTimer.kind == "resolve")
    ).one()
    assert ticket.next_check_at == resolve.next_due_at > now

    # A second sweep finds nothing due; even forced to look again it records nothing new.
    assert sweep_batch(desk.session, now=now).tickets == 0
    desk.session.execute(update(Ticket).where(Ticket.id == ticket.id).values(next_check_at=now))
    resolve.levels_recorded = []  # as if a crashed sweeper had lost its bookkeeping
    again = sweep_batch(desk.session, now=now)
    assert again.tickets == 1 and again.escalations == 0 and again.notifications == 0
    assert len(ledger(desk, ticket)) == 9


def test_sweep_warning_alone_is_mailed_to_the_agency_queue(desk) -> None:
    desk.now = wib(11, 23, 8, 55)
    ticket = desk.submit()  # at 09:00; verify warning at 75 % of 7.5 h = 15:37:30
    assert sweep_batch(desk.session, now=wib(11, 23, 15, 37)).tickets == 0
    result = sweep_batch(desk.session, now=wib(11, 23, 15, 38))
    assert ledger(desk, ticket) == [("verify", 1, "warning", True)]
    queue = desk.session.scalars(select(Agency.email).where(Agency.code == "DISHUB")).one()
    assert mail(desk, ticket) == Counter({("warning", queue): 1})
    assert result.notifications == 1


def test_sweep_warning_reaches_the_assigned_officer(desk) -> None:
    desk.now = wib(11, 23, 8)
    ticket = desk.ticket_in("verified")
    desk.act(ticket, "assign", officer="staff@tanggap.example")  # Monday 08:10
    # start: 2 working days = 15 h; its warning (75 %, 11 h 15 min) falls due Tuesday 11:55.
    result = sweep_batch(desk.session, now=wib(11, 24, 12, 30))
    assert result.recorded == [(ticket.code, "start", 1, "warning")]
    recipients = set(
        desk.session.scalars(
            select(Notification.recipient).where(Notification.ticket_id == ticket.id)
        )
    )
    queue = desk.session.scalars(select(Agency.email).where(Agency.code == "DISHUB")).one()
    assert recipients == {"staff@tanggap.example", queue}


def test_sweep_reopen_starts_a_cycle_that_escalates_again(desk) -> None:
    desk.now = wib(11, 23, 8)
    ticket = desk.ticket_in("in_progress")
    sweep_batch(desk.session, now=wib(12, 7, 9))
    assert ("resolve", 1, "breach", True) in ledger(desk, ticket)
    desk.now = wib(12, 7, 9)
    desk.act(ticket, "resolve")
    desk.act(ticket, "reopen", "citizen")
    sweep_batch(desk.session, now=wib(12, 21, 9))
    entries = ledger(desk, ticket)
    assert ("resolve", 2, "breach", True) in entries
    assert entries.count(("resolve", 1, "breach", True)) == 1


def test_sweep_area_office_falls_back_to_the_nearest_office_above(desk) -> None:
    # Kota Tua lies in Jakarta Barat, where the map has no kecamatan around it: the kelurahan
    # level of the ladder reaches the walikota's office instead of nobody.
    desk.now = wib(11, 23, 9)
    ticket = desk.submit(lat=-6.1352, lon=106.8133)
    assert ticket.area.level == "kota"
    sweep_batch(desk.session, now=wib(11, 25, 9))
    breach = {
        r
        for level, r in desk.session.execute(
            select(Escalation.level, Notification.recipient)
            .join(Escalation, Notification.escalation_id == Escalation.id)
            .where(Notification.ticket_id == ticket.id, Escalation.timer_kind == "verify")
        )
        if level == "breach"
    }
    assert breach == {head_of(desk, "DISHUB"), head_of(desk, "WALKOT-JB")}


def test_sweep_with_nothing_due_reads_only_the_index(desk, database: Database) -> None:
    desk.now = wib(11, 23, 9)
    template = desk.submit()
    future = wib(12, 20, 9)
    desk.clone_tickets(template, 200_000, next_check_at=future, started_at=desk.now)
    desk.session.execute(
        update(Ticket).where(Ticket.id == template.id).values(next_check_at=future)
    )
    desk.session.execute(text("ANALYZE"))

    statements: list[str] = []
    connection = desk.session.connection()

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        result = sweep_batch(desk.session, now=wib(12, 1, 9))
    finally:
        event.remove(connection, "before_cursor_execute", count)

    assert result.tickets == 0
    assert len(statements) == 1 and "next_check_at" in statements[0]

    claim = due_tickets_query(wib(12, 1, 9), 500)
    compiled = claim.compile(connection, compile_kwargs={"literal_binds": False})
    params = compiled.params
    if database.is_sqlite:
        plan = connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled}", tuple(params.values())
        ).all()
        detail = " ".join(str(row[-1]) for row in plan)
        assert "USING INDEX ix_tickets_next_check_at" in detail, detail
        assert "SCAN tickets" not in detail
    else:
        plan_rows = connection.exec_driver_sql(
            f"EXPLAIN (ANALYZE, FORMAT TEXT) {compiled}", params
        ).all()
        plan = "\n".join(row[0] for row in plan_rows)
        assert "Index Scan using ix_tickets_next_check_at" in plan, plan
        assert "Seq Scan" not in plan
        assert "actual time" in plan and "rows=0" in plan.split("ix_tickets_next_check_at")[1]


def test_sweep_four_threads_over_2000_due_tickets_record_each_key_once(
    database: Database, committed: list[str], clone, report_committed
) -> None:
    start, now = wib(11, 23, 9), wib(12, 7, 9)
    with database.transaction() as session:
        template = report_committed(session, now=start)
        committed.extend(clone(session, template, 1999, next_check_at=start, started_at=start))

    barrier = threading.Barrier(4)
    outcomes: list[int] = []

    def sweeper() -> None:
        barrier.wait()
        outcomes.append(sweep(database.transaction, now=now, limit=50).escalations)

    threads = [threading.Thread(target=sweeper) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)

    with database.reading() as session:
        ids = select(Ticket.id).where(Ticket.code.in_(committed))
        keys = session.execute(
            select(
                Escalation.ticket_id, Escalation.timer_kind, Escalation.cycle, Escalation.level
            ).where(Escalation.ticket_id.in_(ids))
        ).all()
        letters = session.execute(
            select(Notification.escalation_id, Notification.recipient).where(
                Notification.ticket_id.in_(ids)
            )
        ).all()
        still_due = session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.id.in_(ids), Ticket.next_check_at <= now)
        )
    # The template has verify (5 levels) and resolve (4 due) timers; clones carry resolve only.
    assert len(keys) == len(set(keys)) == 9 + 1999 * 4
    assert sum(outcomes) == len(keys)
    assert len(letters) == len(set(letters))
    assert still_due == 0


def test_sweep_idle_reads_without_taking_the_write_lock(database: Database) -> None:
    def no_write_transaction():  # type: ignore[no-untyped-def]
        raise AssertionError("an idle sweep opened a write transaction")

    result = sweep(no_write_transaction, now=wib(1, 1, 0), reading=database.reading)
    assert (result.tickets, result.escalations) == (0, 0)


def test_a_report_filed_on_saturday_morning_is_due_at_mondays_close_not_minutes_after_opening(
    desk,
) -> None:
    """A tester's report: "1 hari kerja" from Sat 07:31 was Mon 07:31, one minute of working
    time, so the whole ladder (agency head, kecamatan, kota, governor's office) was mailed
    within three minutes of Monday's opening, while a report filed at 06:00 was due at 16:00."""
    desk.now = wib(12, 5, 7, 26)  # Saturday; submit ticks 5 minutes: filed 07:31
    ticket = desk.submit(category="other", description="Lampu taman mati sejak kemarin")
    verify = desk.session.scalars(
        select(SlaTimer).where(SlaTimer.ticket_id == ticket.id, SlaTimer.kind == "verify")
    ).one()
    assert verify.deadline == wib(12, 7, 16, 0)  # Monday's close (office calendar)

    opening = sweep_batch(desk.session, now=wib(12, 7, 7, 34))
    assert opening.tickets == 0 and ledger(desk, ticket) == []

    sweep_batch(desk.session, now=wib(12, 7, 16, 1))
    assert ("verify", 1, "breach", True) in ledger(desk, ticket)
