"""What people read and receive, asserted directly: the checks a planted fault must not pass.

Each test here was written against a mutant the suite used to let live: history checks switched
off, recipients no longer de-duplicated, a timeline that hides a pause, a photo store that
stores nothing, a vocabulary re-declared in one module but not another.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from engine import clocks
from engine.catalogue.spec import PolicySpec
from engine.errors import CorruptHistory
from engine.escalation import sweep_batch
from engine.history import replay_history
from engine.lifecycle import replay
from engine.models import Escalation, Notification
from engine.outbox import TIMER_WORDS
from engine.photos import LocalMediaStorage
from engine.timeline import sla_timeline
from sla import AreaLevel, TimerKind, Weekday

WIB = ZoneInfo("Asia/Jakarta")


@dataclass
class Ev:
    seq: int
    trigger: str
    from_state: str | None
    to_state: str
    data: dict[str, Any]


GOOD = [
    Ev(1, "submit", None, "submitted", {"category": "flood", "agency": "DSDA"}),
    Ev(2, "verify", "submitted", "verified", {}),
    Ev(3, "assign", "verified", "assigned", {"agency": {"from": "DSDA", "to": "DBM"}}),
]


def test_replay_good_history() -> None:
    assert replay(GOOD) == "assigned"
    assert replay_history(GOOD).values["agency"] == "DBM"


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ([GOOD[1]], "must start with submit"),
        ([GOOD[0], Ev(2, "verify", "verified", "verified", {})], "from verified"),
        ([GOOD[0], Ev(2, "verify", "submitted", "assigned", {})], "recorded assigned"),
        ([GOOD[0], Ev(2, "resolve", "submitted", "resolved", {})], "cannot resolve"),
        ([GOOD[0], Ev(2, "explode", "submitted", "submitted", {})], "unknown trigger"),
        # a second submit: the machine has no such event (was an AttributeError)
        ([GOOD[0], Ev(2, "submit", "submitted", "submitted", {})], "cannot submit"),
    ],
)
def test_replay_corrupt_history_is_a_server_fault(broken: list[Ev], message: str) -> None:
    with pytest.raises(CorruptHistory, match=message):
        replay(broken)


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ([GOOD[0], Ev(3, "verify", "submitted", "verified", {})], "has seq 3"),
        (
            [
                *GOOD[:2],
                Ev(3, "assign", "verified", "assigned", {"agency": {"from": "X", "to": "Y"}}),
            ],
            "changes agency from 'X'",
        ),
    ],
)
def test_replay_history_gap_or_contradiction_raises(broken: list[Ev], message: str) -> None:
    with pytest.raises(CorruptHistory, match=message):
        replay_history(broken)


def test_timeline_shows_a_running_pause_as_paused(desk) -> None:
    ticket = desk.ticket_in("on_hold")
    held_at = desk.now
    views = {
        v.kind: v for v in sla_timeline(desk.session, ticket, now=held_at + timedelta(hours=1))
    }
    resolve = views["resolve"]
    assert resolve.status == "paused"
    assert resolve.pauses == ((held_at.astimezone(UTC), None),)
    assert views["verify"].status == "met"


def test_one_address_is_mailed_once_per_level(desk) -> None:
    # Garbage in Kelurahan Gambir goes to the kelurahan itself (PPSU): at the breach its head is
    # both "agency head" and "kelurahan office" — one mail, not two.
    ticket = desk.submit(category="garbage_pile")
    assert ticket.agency.code == "KEL-GAMBIR"
    sweep_batch(desk.session, now=desk.now + timedelta(days=30))
    rows = desk.session.execute(
        select(Escalation.label, Escalation.timer_kind, Notification.recipient)
        .join(Notification, Notification.escalation_id == Escalation.id)
        .where(Escalation.ticket_id == ticket.id, Escalation.label == "breach")
    ).all()
    per_level = sorted((kind, recipient) for _, kind, recipient in rows)
    assert ("resolve", "kel-gambir.head@tanggap.example") in per_level
    assert len(per_level) == len(set(per_level))


def test_local_photo_storage_puts_the_bytes_on_disk(tmp_path: Path) -> None:
    storage = LocalMediaStorage(tmp_path)
    storage.put("ab/abcdef.jpg", b"\xff\xd8 jpeg bytes")
    assert (tmp_path / "ab" / "abcdef.jpg").read_bytes() == b"\xff\xd8 jpeg bytes"
    assert storage.get("ab/abcdef.jpg") == b"\xff\xd8 jpeg bytes"
    assert not list(tmp_path.rglob("*.part"))


# --- one vocabulary --------------------------------------------------------------------------


def test_every_timer_kind_is_known_everywhere() -> None:
    kinds = set(TimerKind)
    assert set(clocks.RUNS_IN) == kinds
    assert set(TIMER_WORDS) == kinds
    assert set(itertools.chain.from_iterable(clocks.STARTS_ON.values())) == kinds
    spec = PolicySpec(code="p", calendar="c", ladder="l", targets={k.value: "1d" for k in kinds})
    assert set(spec.targets) == kinds


def test_weekdays_follow_python_weekday_and_area_levels_deepen() -> None:
    monday = date(2026, 11, 23)
    for offset, day in enumerate(Weekday):
        assert (monday + timedelta(days=offset)).weekday() == list(Weekday).index(day)
    assert [level.depth for level in AreaLevel] == list(range(len(AreaLevel)))


def test_escalation_mail_says_how_late_and_for_whom(desk) -> None:
    ticket = desk.submit()
    start = desk.now
    sweep_batch(desk.session, now=datetime(2026, 12, 1, 9, 0, tzinfo=WIB))
    subject, body = desk.session.execute(
        select(Notification.subject, Notification.body)
        .join(Escalation, Notification.escalation_id == Escalation.id)
        .where(
            Escalation.ticket_id == ticket.id,
            Escalation.timer_kind == "verify",
            Escalation.label == "breach",
        )
    ).first()  # type: ignore[misc]
    assert subject.startswith(f"[Tanggap] {ticket.code} MELEWATI BATAS verifikasi (100%)")
    assert "Kemacetan" in subject or ticket.category.name_id in subject
    assert "Instansi / agency: Dinas Perhubungan" in body
    assert "Terlambat / overdue by:" in body
    assert ticket.description in body
    assert start < datetime(2026, 12, 1, tzinfo=UTC)
