"""The notification outbox: e-mails decided inside a transaction, sent later by a flow.

Rows, not calls: the sweep that records an escalation writes its e-mails in the same
transaction, so an escalation is never recorded without its mail nor mailed without its record.
The delivery flow (``workflows``) picks up ``pending`` rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from engine.models import Escalation, Notification, SlaTimer, Ticket
from engine.recipients import Addressee
from engine.text import LIMITS, shorten
from sla import Level, Policy, TimerKind

#: What each timer measures, in Indonesian and English (one entry per ``TimerKind``).
TIMER_WORDS: dict[TimerKind, tuple[str, str]] = {
    TimerKind.VERIFY: ("verifikasi", "verification"),
    TimerKind.ASSIGN: ("disposisi", "assignment"),
    TimerKind.START: ("mulai penanganan", "start of work"),
    TimerKind.RESOLVE: ("penyelesaian", "resolution"),
    TimerKind.ACCEPT: ("penerimaan koordinasi", "acceptance of the transfer"),
}


def _hours(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


def escalation_message(
    ticket: Ticket, timer: SlaTimer, level: Level, policy: Policy, *, now: datetime
) -> tuple[str, str]:
    """Subject and body, Indonesian first: the staff who read these work in Indonesian.

    Names the ticket's current agency (the one that must act) and how late it is.
    """
    zone = policy.calendar.zone
    deadline = timer.deadline.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
    word_id, word_en = TIMER_WORDS[TimerKind(timer.kind)]
    late = now - timer.deadline
    state = "MELEWATI BATAS" if level.percent >= 100 else "MENDEKATI BATAS"
    subject = (
        f"[Tanggap] {ticket.code} {state} {word_id} ({level.percent}%): "
        f"{ticket.category.name_id}, {ticket.area.name}"
    )
    body = "\n".join(
        [
            f"Laporan {ticket.code} — {ticket.category.name_id} / {ticket.category.name_en}",
            f"Wilayah / area: {ticket.area.name}",
            f"Instansi / agency: {ticket.agency.name}",
            f"Status: {ticket.state}",
            f"Tenggat {word_id} / {word_en} deadline: {deadline}",
            *(
                [f"Terlambat / overdue by: {_hours(late)} (waktu kalender / calendar time)"]
                if late > timedelta(0)
                else []
            ),
            f"Tingkat eskalasi / escalation level: {level.name} ({level.percent}% of target)",
            "",
            ticket.description[:500],
        ]
    )
    return shorten(subject, LIMITS["notification_subject"]), body


def notification_rows(
    *,
    ticket: Ticket,
    escalation: Escalation,
    addressees: list[Addressee],
    subject: str,
    body: str,
    now: datetime,
) -> list[dict[str, Any]]:
    """Outbox rows for one escalation, one per addressee."""
    return [
        {
            "ticket_id": ticket.id,
            "escalation_id": escalation.id,
            "recipient": addressee.email,
            "recipient_kind": addressee.kind,
            "subject": subject,
            "body": body,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for addressee in addressees
    ]


def enqueue(session: Session, rows: list[dict[str, Any]]) -> int:
    """Write outbox rows in one statement; their ids are not needed back (cheaper on
    PostgreSQL, where fetching ids for thousands of rows was half of a sweep's time)."""
    if rows:
        session.execute(insert(Notification), rows)
    return len(rows)
