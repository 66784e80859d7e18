"""SLA clocks follow the lifecycle: start, pause, resume, stop, new cycles, transfers, reloads.

Times are WIB (UTC+7). The default policy runs on the office calendar: Mon–Thu 07:30–12:00 and
13:00–16:00, Fri 07:30–11:30 and 13:00–16:30 (7.5 working hours every day), so "1d" — the same
local time on the next working day — is 7.5 h of business time for these tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from engine.catalogue import load_catalogue
from engine.models import SlaTimer, Ticket
from engine.policies import load_policy_book

WIB = ZoneInfo("Asia/Jakarta")
CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue" / "jakarta.yaml"


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in the week of Monday 2026-11-23, WIB."""
    return datetime(2026, 11, day, hour, minute, tzinfo=WIB)


def timers(desk, ticket: Ticket) -> dict[str, SlaTimer]:
    rows = desk.session.scalars(
        select(SlaTimer).where(SlaTimer.ticket_id == ticket.id).order_by(SlaTimer.id)
    )
    return {f"{t.kind}#{t.cycle}": t for t in rows}


def at(desk, moment: datetime) -> None:
    desk.now = moment - timedelta(minutes=5)  # desk.tick() adds 5 minutes before each action


def test_clocks_submit_starts_verify_and_resolve_with_office_deadlines(desk) -> None:
    at(desk, wib(23, 9))
    ticket = desk.submit()
    clocks = timers(desk, ticket)
    assert set(clocks) == {"verify#1", "resolve#1"}
    # Mon 09:00 + 7.5 h: 3 h to noon, 3 h after lunch, 1.5 h on Tuesday from 07:30.
    assert clocks["verify#1"].deadline == wib(24, 9)
    # 5 working days = 37.5 h: Mon 6 h, Tue–Thu 7.5 h each (28.5 h), Friday 07:30–11:30 and
    # 13:00–16:30 (7.5 h → 36 h), then 1.5 h on the next Monday from 07:30.
    assert clocks["resolve#1"].deadline == wib(30, 9)
    # The first level due is the verify warning at 75 % = 5 h 37.5 min of business time.
    assert ticket.next_check_at == wib(23, 15, 37) + timedelta(seconds=30)


def test_clocks_verify_stops_verify_timer_and_starts_assign(desk) -> None:
    at(desk, wib(23, 9))
    ticket = desk.submit()
    at(desk, wib(23, 10))
    desk.act(ticket, "verify")
    clocks = timers(desk, ticket)
    assert clocks["verify#1"].stopped_at == wib(23, 10)
    assert clocks["verify#1"].breached is False
    assert clocks["assign#1"].stopped_at is None
    assert clocks["assign#1"].deadline == wib(24, 10)


def test_clocks_late_verify_is_marked_breached(desk) -> None:
    at(desk, wib(23, 9))
    ticket = desk.submit()
    at(desk, wib(24, 11))
    desk.act(ticket, "verify")
    assert timers(desk, ticket)["verify#1"].breached is True


def test_clocks_hold_resume_moves_deadline_by_paused_business_time(desk) -> None:
    at(desk, wib(23, 8))
    ticket = desk.ticket_in("in_progress")  # actions at 08:00, 08:05, 08:10, 08:15
    resolve = timers(desk, ticket)["resolve#1"]
    before = resolve.deadline
    at(desk, wib(23, 10))
    desk.act(ticket, "hold")
    assert resolve.pauses == [[wib(23, 10).astimezone(UTC).isoformat(), None]]
    assert ticket.next_check_at is None  # a paused clock cannot fall due
    at(desk, wib(24, 10))
    desk.act(ticket, "resume")
    # Paused Mon 10:00–12:00, 13:00–16:00 and Tue 07:30–10:00: 7.5 business hours.
    assert resolve.pauses == [
        [wib(23, 10).astimezone(UTC).isoformat(), wib(24, 10).astimezone(UTC).isoformat()]
    ]
    policy = load_policy_book(desk.session).get(resolve.policy_code)
    assert policy is not None
    assert resolve.deadline == policy.calendar.add(before, timedelta(hours=7.5))
    assert resolve.deadline > before
    assert ticket.next_check_at is not None


def test_clocks_hold_across_weekend_pauses_no_weekend_time(desk) -> None:
    at(desk, wib(27, 15))  # Friday 15:00
    ticket = desk.ticket_in("in_progress")
    resolve = timers(desk, ticket)["resolve#1"]
    before = resolve.deadline
    at(desk, wib(27, 16))
    desk.act(ticket, "hold")
    at(desk, wib(30, 8))  # Monday 08:00
    desk.act(ticket, "resume")
    # Friday 16:00–16:30 and Monday 07:30–08:00: one business hour, nothing for the weekend.
    policy = load_policy_book(desk.session).get(resolve.policy_code)
    assert policy is not None
    assert resolve.deadline == policy.calendar.add(before, timedelta(hours=1))


def test_clocks_resolve_stops_and_reopen_starts_new_cycle(desk) -> None:
    at(desk, wib(23, 8))
    ticket = desk.ticket_in("resolved")
    clocks = timers(desk, ticket)
    assert clocks["resolve#1"].stopped_at is not None
    assert ticket.next_check_at is None
    desk.act(ticket, "reopen", "citizen")
    clocks = timers(desk, ticket)
    assert clocks["resolve#2"].stopped_at is None
    assert clocks["start#2"].stopped_at is None
    assert ticket.cycle == 2


def test_clocks_transfer_starts_accept_for_receiving_agency(desk) -> None:
    at(desk, wib(23, 8))
    ticket = desk.ticket_in("assigned")
    first_agency = ticket.agency_id
    desk.act(ticket, "transfer", agency="DBM", note="jalan rusak, bukan lalu lintas")
    clocks = timers(desk, ticket)
    # Every timer now belongs to the receiving agency: the one that must act.
    assert clocks["start#1"].stopped_at is not None
    assert clocks["resolve#1"].agency_id == ticket.agency_id != first_agency
    assert clocks["accept#1"].agency_id == ticket.agency_id
    assert clocks["start#2"].agency_id == ticket.agency_id
    # The receiving agency acts: its accept clock stops, the start clock runs on.
    desk.act(ticket, "hold", "dbm", note="menunggu alat berat")
    desk.act(ticket, "resume", "dbm")
    assert timers(desk, ticket)["accept#1"].stopped_at is None  # hold/resume is not acceptance
    desk.act(ticket, "start", "dbm")
    clocks = timers(desk, ticket)
    assert clocks["accept#1"].stopped_at is not None
    assert clocks["start#2"].stopped_at is not None


def test_clocks_an_officer_moved_away_accepts_nothing_for_the_receiving_agency(desk) -> None:
    """A ticket transferred to Bina Marga naming its officer, who is moved to another agency
    before Bina Marga acts: the system hands the ticket back to nobody in particular, and that
    is not Bina Marga accepting it (its acceptance clock runs on)."""
    from engine.staff import add_staff

    at(desk, wib(23, 8))
    ticket = desk.ticket_in("assigned")
    desk.act(ticket, "transfer", agency="DBM", officer="dbm@tanggap.example", note="jalan rusak")
    add_staff(desk.session, email="dbm@tanggap.example", name="Dbm", role="staff",
              agency="DLH", now=desk.tick(), update=True)  # fmt: skip
    clocks = timers(desk, ticket)
    assert ticket.officer is None
    assert clocks["accept#1"].stopped_at is None and clocks["start#2"].stopped_at is None


def test_clocks_final_states_stop_every_timer(desk) -> None:
    for state in ("rejected", "duplicate", "closed"):
        ticket = desk.ticket_in(state)
        assert all(t.stopped_at is not None for t in timers(desk, ticket).values()), state
        assert ticket.next_check_at is None


def test_clocks_emergency_runs_around_the_clock(desk) -> None:
    at(desk, wib(28, 23))  # Saturday 23:00: an office would be closed
    ticket = desk.submit(category="flood", description="Banjir 50 cm di Jl. Gambir")
    clocks = timers(desk, ticket)
    assert clocks["verify#1"].policy_code == "emergency"
    assert clocks["verify#1"].deadline == wib(28, 23, 30)
    assert clocks["resolve#1"].deadline == wib(29, 23)


def test_clocks_version_counts_events_not_clock_updates(desk) -> None:
    ticket = desk.ticket_in("on_hold")
    assert ticket.version == 5  # submit, verify, assign, start, hold


def test_clocks_catalogue_reload_recomputes_open_deadlines(desk) -> None:
    at(desk, wib(23, 9))
    ticket = desk.ticket_in("in_progress")
    resolve = timers(desk, ticket)["resolve#1"]
    assert resolve.target_seconds == 37.5 * 3600
    text = CATALOGUE.read_text()
    old = "targets: {verify: 1d, assign: 1d, start: 2d, resolve: 5d, accept: 1d}"
    assert old in text
    changed = text.replace(old, old.replace("resolve: 5d", "resolve: 10d"))
    summary = load_catalogue(desk.session, changed, now=desk.tick(), source="changed.yaml")
    assert summary.updated.get("policy") == 1
    assert summary.updated.get("open timers", 0) >= 1
    desk.session.refresh(resolve)
    assert resolve.target_seconds == 75 * 3600
    policy = load_policy_book(desk.session).get("default")
    assert policy is not None
    assert resolve.deadline == policy.calendar.add(resolve.started_at, timedelta(hours=75))
