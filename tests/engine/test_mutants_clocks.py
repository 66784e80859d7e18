"""SLA clocks after a change, read off the deadline staff see and the reload's report.

Written against mutants that survived the suite (issue 6 §7): the business time consumed
before a change measured on the *new* policy's calendar instead of the one in force while it
elapsed, and the count of re-evaluated timers a catalogue reload reports.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from engine.catalogue import load_catalogue
from engine.escalation import sweep_batch
from engine.models import Escalation, Notification, SlaTimer, Ticket

WIB = ZoneInfo("Asia/Jakarta")
CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue" / "jakarta.yaml"
DEFAULT_TARGETS = "targets: {verify: 1d, assign: 1d, start: 2d, resolve: 5d, accept: 1d}"


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=WIB)


def timer(desk, ticket: Ticket, kind: str) -> SlaTimer:
    return desk.session.scalars(
        select(SlaTimer).where(SlaTimer.ticket_id == ticket.id, SlaTimer.kind == kind)
    ).one()


def test_change_keeps_the_office_time_consumed_across_the_lunch_break(desk) -> None:
    # Filed Monday 11:30 as a traffic jam (default policy, office calendar: lunch 12:00-13:00),
    # corrected to a flood at 13:30 (emergency policy, 24/7). Consumed so far on the office
    # calendar: 11:30-12:00 and 13:00-13:30 = 60 minutes (the 24/7 calendar would say 120).
    # The 24 h resolve target then has 23 h left from 13:30: Tuesday 12:30.
    desk.now = wib(23, 11, 25)
    ticket = desk.submit()
    desk.now = wib(23, 13, 25)
    desk.act(ticket, "update", category="flood", note="air naik, bukan macet")
    resolve = timer(desk, ticket, "resolve")
    assert resolve.policy_code == "emergency"
    assert resolve.carried_seconds == timedelta(minutes=60).total_seconds()
    assert resolve.deadline == wib(24, 12, 30).astimezone(UTC)
    assert resolve.next_due_at == wib(24, 0, 30).astimezone(UTC)  # 50 %: 12 h in, 11 h left


def test_catalogue_reload_reports_how_many_running_timers_it_changed(desk) -> None:
    desk.now = wib(23, 8, 55)
    first, second = desk.submit(), desk.submit()
    flood = desk.submit(category="flood")  # emergency policy: untouched by this edit
    text = CATALOGUE.read_text()
    assert text.count(DEFAULT_TARGETS) == 1
    summary = load_catalogue(
        desk.session,
        text.replace(DEFAULT_TARGETS, "targets: {assign: 1d, start: 2d, resolve: 5d, accept: 1d}"),
        now=wib(23, 10),
        source="no-verify.yaml",
    )
    # Two verify timers stopped; the resolve timers and the flood's clocks are as they were.
    assert summary.updated["open timers"] == 2
    for ticket in (first, second):
        assert timer(desk, ticket, "verify").stopped_at == wib(23, 10).astimezone(UTC)
        assert timer(desk, ticket, "resolve").stopped_at is None
    assert timer(desk, flood, "verify").stopped_at is None


def test_ladder_edit_moves_the_next_level_of_a_running_timer(desk) -> None:
    # Flood filed 09:05 (verify 30 min, 24/7): the warning at 50 % falls due 09:20. The
    # operator raises the emergency warning to 60 %: it is due at 09:23 (18 min in).
    desk.now = wib(23, 9)
    ticket = desk.submit(category="flood")
    verify = timer(desk, ticket, "verify")
    assert verify.next_due_at == wib(23, 9, 20).astimezone(UTC)
    old = "name_en: warning, percent: 50, notify: [assigned_officer, agency_queue]}"
    text = CATALOGUE.read_text()
    assert text.count(old) == 1
    load_catalogue(
        desk.session, text.replace(old, old.replace("50", "60")), now=wib(23, 9, 10), source="x"
    )
    assert verify.next_due_at == wib(23, 9, 23).astimezone(UTC)
    assert ticket.next_check_at == wib(23, 9, 23).astimezone(UTC)


def test_change_to_a_policy_with_the_same_calendar_and_target_still_moves_the_clock(desk) -> None:
    # A traffic jam corrected to illegal_levy (pungli) before verification: the integrity
    # policy has the same office calendar and the same 1-day verify target as the default, but
    # its ladder never tells area offices (they may be the ones complained about). Filed
    # Monday 09:00, the verify deadline is Tuesday 09:00; the breach goes to Inspektorat's
    # head alone.
    desk.now = wib(23, 8, 55)
    ticket = desk.submit()
    desk.now = wib(23, 9, 5)
    desk.act(ticket, "update", category="illegal_levy", note="ternyata pungli parkir")
    assert ticket.agency.code == "INSPEKTORAT"
    verify = timer(desk, ticket, "verify")
    assert verify.policy_code == "integrity"
    assert verify.deadline == wib(24, 9).astimezone(UTC)
    sweep_batch(desk.session, now=wib(24, 10))
    breach = desk.session.scalars(
        select(Notification.recipient)
        .join(Escalation, Notification.escalation_id == Escalation.id)
        .where(
            Escalation.ticket_id == ticket.id,
            Escalation.timer_kind == "verify",
            Escalation.label == "breach",
        )
    ).all()
    assert breach == ["inspektorat.head@tanggap.example"]


def test_change_reaches_running_clocks_behind_a_stopped_one_with_a_level_due(desk) -> None:
    # Filed Monday 09:00; the verify warning (75 % of 450 office minutes) falls due 15:37:30.
    # Verified late at 15:45, before any sweep: the stopped verify clock still has that level
    # to record. Corrected to a flood at 15:50: the running resolve clock must follow.
    desk.now = wib(23, 8, 55)
    ticket = desk.submit()
    desk.now = wib(23, 15, 40)
    desk.act(ticket, "verify")
    verify = timer(desk, ticket, "verify")
    assert verify.next_due_at == datetime(2026, 11, 23, 15, 37, 30, tzinfo=WIB).astimezone(UTC)
    desk.now = wib(23, 15, 45)
    desk.act(ticket, "update", category="flood", note="air naik")
    assert timer(desk, ticket, "resolve").policy_code == "emergency"


def test_receiving_agency_acting_stops_the_acceptance_clock(desk) -> None:
    ticket = desk.ticket_in("assigned")
    desk.act(ticket, "transfer", agency="DBM")
    accept = timer(desk, ticket, "accept")
    assert accept.stopped_at is None
    desk.act(ticket, "update", "dbm", priority="high", note="jalan amblas")
    assert ticket.state == "assigned"
    assert accept.stopped_at == desk.now.astimezone(UTC)


def test_level_added_below_the_high_water_mark_never_falls_due(desk) -> None:
    # Flood filed 09:05: warning and breach recorded at 09:40. A level added at 75 % lies
    # below what the clock has passed: the next level due is still kota_governor at 09:50.
    desk.now = wib(23, 9)
    ticket = desk.submit(category="flood")
    sweep_batch(desk.session, now=wib(23, 9, 40))
    verify = timer(desk, ticket, "verify")
    assert verify.next_due_at == wib(23, 9, 50).astimezone(UTC)
    breach = (
        "      - {name: breach, name_id: lewat batas waktu, name_en: deadline passed, "
        "percent: 100, notify: [agency_head, {area_office: kecamatan}]}"
    )
    text = CATALOGUE.read_text()
    assert text.count(breach) == 1
    added = "      - {name: tengah, percent: 75, notify: [agency_head]}\n" + breach
    load_catalogue(desk.session, text.replace(breach, added), now=wib(23, 9, 41), source="x")
    assert verify.next_due_at == wib(23, 9, 50).astimezone(UTC)
    assert sweep_batch(desk.session, now=wib(23, 9, 45)).escalations == 0
