"""The SLA timeline as staff read it: each clock's status, pauses, deadline and levels.

Written against mutants that survived the suite (issue 6 §7). Hand-computed on the emergency
policy's always-open calendar: a flood report filed Monday 23 Nov 2026 09:05 WIB has verify
30 min (due 09:35), assign 1 h, start 2 h, resolve 24 h (due Tuesday 09:05), ladder warning
50 %, breach 100 %, kota_governor 150 %.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from engine.escalation import sweep_batch
from engine.models import Ticket
from engine.timeline import LevelReached, TimerView, sla_timeline

WIB = ZoneInfo("Asia/Jakarta")


def wib(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=WIB)


def at(desk, moment: datetime) -> None:
    """The next action happens at ``moment`` (the desk ticks five minutes before acting)."""
    desk.now = moment - timedelta(minutes=5)


def views(desk, ticket: Ticket, now: datetime) -> dict[str, TimerView]:
    found = sla_timeline(desk.session, ticket, now=now)
    assert len({v.kind for v in found}) == len(found)
    return {v.kind: v for v in found}


def test_timeline_pause_then_resume_moves_only_what_comes_after(desk) -> None:
    ticket = desk.submit(category="flood")
    for moment, action in [
        (wib(23, 9, 10), "verify"),
        (wib(23, 9, 15), "assign"),
        (wib(23, 9, 20), "start"),
        (wib(23, 9, 25), "hold"),
    ]:
        at(desk, moment)
        desk.act(ticket, action, "admin")

    held = views(desk, ticket, wib(23, 10, 0))
    assert [(k, v.status) for k, v in held.items()] == [
        ("verify", "met"),
        ("resolve", "paused"),
        ("assign", "met"),
        ("start", "met"),
    ]
    resolve = held["resolve"]
    assert resolve.pauses == ((wib(23, 9, 25).astimezone(UTC), None),)
    assert resolve.started_at == wib(23, 9, 5)
    assert resolve.stopped_at is None
    assert resolve.policy == "emergency"
    assert resolve.cycle == 1
    assert resolve.agency_id == ticket.agency_id
    assert resolve.target == timedelta(hours=24)
    assert resolve.elapsed == timedelta(minutes=20)
    assert resolve.remaining == timedelta(hours=23, minutes=40)
    # While on hold the deadline is where it would be if the hold ended now.
    assert resolve.deadline == wib(24, 9, 40)
    assert resolve.breached is False
    assert resolve.next_due_at is None  # frozen: nothing falls due while on hold
    assert resolve.levels == ()

    verify = held["verify"]
    assert (verify.started_at, verify.stopped_at) == (wib(23, 9, 5), wib(23, 9, 10))
    assert verify.pauses == ()
    assert verify.elapsed == timedelta(minutes=5)
    assert verify.remaining == timedelta(minutes=25)
    assert verify.deadline == wib(23, 9, 35)
    assert verify.target == timedelta(minutes=30)
    assert held["start"].elapsed == timedelta(minutes=5)

    at(desk, wib(23, 10, 30))
    desk.act(ticket, "resume", "admin")
    resumed = views(desk, ticket, wib(23, 11, 0))["resolve"]
    assert resumed.status == "running"
    assert resumed.pauses == ((wib(23, 9, 25).astimezone(UTC), wib(23, 10, 30).astimezone(UTC)),)
    assert resumed.elapsed == timedelta(minutes=50)
    assert resumed.remaining == timedelta(hours=23, minutes=10)
    assert resumed.deadline == wib(24, 10, 10)  # 65 minutes on hold
    assert resumed.next_due_at == wib(23, 22, 10)  # warning at 12 h, moved by the hold


def test_timeline_overdue_then_breached_with_the_levels_reached(desk) -> None:
    ticket = desk.submit(category="flood")
    sweep_batch(desk.session, now=wib(23, 9, 40))

    overdue = views(desk, ticket, wib(23, 9, 40))
    verify = overdue["verify"]
    assert verify.status == "overdue"
    assert verify.breached is True
    assert verify.elapsed == timedelta(minutes=35)
    assert verify.remaining == timedelta(minutes=-5)
    assert verify.deadline == wib(23, 9, 35)
    assert verify.next_due_at == wib(23, 9, 50)  # kota_governor at 150 %
    assert verify.levels == (
        LevelReached("warning", 50, wib(23, 9, 20), wib(23, 9, 40), False),
        LevelReached("breach", 100, wib(23, 9, 35), wib(23, 9, 40), True),
    )
    assert overdue["resolve"].status == "running"
    assert overdue["resolve"].levels == ()
    assert overdue["resolve"].next_due_at == wib(23, 21, 5)

    at(desk, wib(23, 9, 45))
    desk.act(ticket, "verify", "admin")
    late = views(desk, ticket, wib(23, 12, 0))
    assert late["verify"].status == "breached"
    assert late["verify"].stopped_at == wib(23, 9, 45)
    assert late["verify"].elapsed == timedelta(minutes=40)
    assert late["assign"].status == "overdue"
    assert late["assign"].deadline == wib(23, 10, 45)
    assert late["assign"].breached is True


def test_timeline_verify_at_the_deadline_is_met(desk) -> None:
    ticket = desk.submit(category="flood")
    at(desk, wib(23, 9, 35))
    desk.act(ticket, "verify", "admin")
    verify = views(desk, ticket, wib(23, 12, 0))["verify"]
    assert verify.status == "met"
    assert verify.breached is False
    assert verify.remaining == timedelta(0)


def test_timeline_second_hold_after_a_resume_is_a_second_pause(desk) -> None:
    ticket = desk.submit(category="flood")
    for moment, action in [
        (wib(23, 9, 10), "verify"),
        (wib(23, 9, 15), "assign"),
        (wib(23, 9, 20), "start"),
        (wib(23, 9, 25), "hold"),
        (wib(23, 9, 40), "resume"),
        (wib(23, 10, 0), "hold"),
    ]:
        at(desk, moment)
        desk.act(ticket, action, "admin")
    resolve = views(desk, ticket, wib(23, 11, 0))["resolve"]
    assert resolve.status == "paused"
    assert resolve.pauses == (
        (wib(23, 9, 25).astimezone(UTC), wib(23, 9, 40).astimezone(UTC)),
        (wib(23, 10, 0).astimezone(UTC), None),
    )
    assert resolve.elapsed == timedelta(minutes=40)  # 09:05-09:25 and 09:40-10:00
    # Both holds move the deadline: 15 minutes, and 60 so far of the second (read at 11:00).
    assert resolve.deadline == wib(24, 10, 20)


def test_timeline_stopped_clock_keeps_the_calendar_it_ran_on(desk) -> None:
    # Filed Monday 11:30 as a traffic jam (office calendar, lunch 12:00-13:00), verified 13:30:
    # 60 office minutes. Corrected to a flood (24/7 policy) afterwards, the stopped verify
    # clock still reads 60 minutes, not the 120 a 24/7 calendar would count.
    at(desk, wib(23, 11, 30))
    ticket = desk.submit()
    at(desk, wib(23, 13, 30))
    desk.act(ticket, "verify", "admin")
    at(desk, wib(23, 13, 40))
    desk.act(ticket, "update", "admin", category="flood", note="ternyata banjir")
    verify = views(desk, ticket, wib(23, 14, 0))["verify"]
    assert verify.policy == "default"
    assert verify.stopped_at == wib(23, 13, 30)
    assert verify.elapsed == timedelta(minutes=60)
    assert verify.status == "met"
