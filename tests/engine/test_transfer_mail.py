"""After a transfer the receiving agency's start and accept clocks run side by side: one
escalation mail per person and level naming both clocks, a ledger row per clock.

An urgent traffic jam runs under the Jakarta ``urgent`` policy (24/7, start 4 h, accept 4 h,
the emergency ladder: 50 % warns the officer and the agency queue, 100 % tells the agency head
and the kecamatan office, 150 % the walikota's office and the governor's). Transferred to Dinas
Bina Marga at 10:00 and left alone, both clocks reach each level at the same instant.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.delivery import DeliveryPolicy
from engine.digest import digest_letter, scope_of
from engine.escalation import sweep_batch
from engine.keys import KeyHolder, authenticate, create_key
from engine.lifecycle import Role
from engine.mail_events import record_events
from engine.models import Escalation, Notification, Ticket
from engine.queries.oversight import sla_story
from engine.queries.staff import list_escalations
from engine.staff import add_staff

from .conftest import Desk

WIB = ZoneInfo("Asia/Jakarta")
DBM_QUEUE = "dbm.queue@tanggap.example"
DBM_HEAD = "dbm.head@tanggap.example"
KECAMATAN = "kec-gambir.head@tanggap.example"


def wib(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 23, hour, minute, tzinfo=WIB)


def transferred(desk: Desk) -> Ticket:
    """An urgent jam at Monas, assigned to DISHUB, transferred to DBM at 10:00 WIB."""
    desk.now = wib(9) - timedelta(minutes=5)
    ticket = desk.submit()
    desk.act(ticket, "update", "admin", priority="urgent", note="jalan tertutup total")
    desk.act(ticket, "verify", "admin")
    desk.act(ticket, "assign", "admin")
    desk.now = wib(10) - timedelta(minutes=5)
    desk.act(ticket, "transfer", "admin", agency="DBM", note="jalan ambles, bukan lalu lintas")
    assert ticket.agency.code == "DBM" and ticket.officer_id is None
    return ticket


def outbox(desk: Desk, ticket: Ticket) -> list[Notification]:
    return list(
        desk.session.scalars(
            select(Notification)
            .where(Notification.ticket_id == ticket.id, Notification.kind == "escalation")
            .order_by(Notification.id)
        )
    )


def per_level(desk: Desk, ticket: Ticket) -> Counter[tuple[int, str]]:
    """How many escalation mails each (level percent, recipient) got."""
    rows = desk.session.execute(
        select(Escalation.percent, Notification.recipient)
        .join(Escalation, Escalation.id == Notification.escalation_id)
        .where(Notification.ticket_id == ticket.id)
    )
    return Counter((percent, recipient) for percent, recipient in rows)


def ledger(desk: Desk, ticket: Ticket) -> list[tuple[str, int, str, bool]]:
    rows = desk.session.scalars(
        select(Escalation)
        .where(Escalation.ticket_id == ticket.id, Escalation.timer_kind.in_(["start", "accept"]))
        .order_by(Escalation.percent, Escalation.timer_kind, Escalation.cycle)
    )
    return [(e.timer_kind, e.cycle, e.level, e.mailed) for e in rows]


def test_transfer_breach_one_mail_per_recipient_naming_start_and_accept(desk: Desk) -> None:
    ticket = transferred(desk)

    warned = sweep_batch(desk.session, now=wib(12, 1))  # 50 % of 4 h fell due at 12:00
    breached = sweep_batch(desk.session, now=wib(14, 1))  # the deadline passed at 14:00

    # Each clock keeps its own ledger row per level: figures and the timeline rely on them.
    assert ledger(desk, ticket) == [
        ("accept", 1, "warning", True),
        ("start", 2, "warning", True),
        ("accept", 1, "breach", True),
        ("start", 2, "breach", True),
    ]
    assert (warned.escalations, warned.notifications) == (2, 1)
    assert (breached.escalations, breached.notifications) == (2, 2)
    # One mail per person and level, not one per clock.
    assert per_level(desk, ticket) == Counter(
        {(50, DBM_QUEUE): 1, (100, DBM_HEAD): 1, (100, KECAMATAN): 1}
    )
    breach = [mail for mail in outbox(desk, ticket) if mail.recipient == DBM_HEAD]
    assert len(breach) == 1
    mail = breach[0]
    assert mail.subject.startswith(
        f"[Tanggap] {ticket.code} MELEWATI BATAS mulai penanganan dan penerimaan koordinasi "
        "(100%) — lewat batas waktu / deadline passed"
    )
    body = mail.body
    assert (
        "Target terlewati / targets missed: mulai penanganan dan penerimaan koordinasi / "
        "start of work and acceptance of the transfer\n"
    ) in body
    assert (
        "Tenggat mulai penanganan dan penerimaan koordinasi / start of work and acceptance of "
        "the transfer deadline: 23 November 2026 pukul 14.00 WIB / 23 November 2026 at 14:00 WIB\n"
    ) in body
    assert "Terlambat / overdue by: 0 jam 01 menit / 0 h 01 min" in body
    assert body.count("Terlambat") == 1  # one deadline, said once
    # The warning both clocks gave was one mail, and reads once among those told before.
    assert "- peringatan / warning (50%): antrean instansi / agency queue\n" in body
    assert body.count("peringatan / warning (50%)") == 1
    assert "Instansi / agency: Dinas Bina Marga" in body
    assert "mulai penanganan dan penerimaan koordinasi" in (mail.html_body or "")
    assert "start of work and acceptance of the transfer" in (mail.html_body or "")
    warning = next(mail for mail in outbox(desk, ticket) if mail.recipient == DBM_QUEUE)
    assert "MENDEKATI BATAS mulai penanganan dan penerimaan koordinasi (50%)" in warning.subject
    assert (
        "Target mendekati batas / targets nearly due: mulai penanganan dan penerimaan "
        "koordinasi / start of work and acceptance of the transfer\n"
    ) in warning.body


def _key(session: Session, role: Role, agency: str | None, when: datetime) -> KeyHolder:
    secret = create_key(
        session, role=role, name=f"{role} {agency}", agency=agency, area=None, now=when
    ).secret
    return authenticate(session, secret)


def test_transfer_timeline_names_who_was_told_of_each_clock(desk: Desk) -> None:
    ticket = transferred(desk)
    sweep_batch(desk.session, now=wib(14, 1))

    story = sla_story(
        desk.session, _key(desk.session, Role.ADMIN, None, wib(14, 2)), ticket.code, now=wib(14, 2)
    )
    told = {
        (story_timer.timer.kind, level.level): sorted(n.recipient for n in level.notices)
        for story_timer in story.timers
        if story_timer.timer.kind in ("start", "accept")
        for level in story_timer.levels
    }
    # One mail, yet each clock's level says who was told of it.
    assert told[("start", "breach")] == told[("accept", "breach")] == [DBM_HEAD, KECAMATAN]
    assert told[("start", "warning")] == told[("accept", "warning")] == []  # caught up, unmailed


def test_transfer_levels_addressed_to_the_head_list_each_clock(desk: Desk) -> None:
    ticket = transferred(desk)
    add_staff(
        desk.session,
        email=DBM_HEAD,
        name="Kepala DBM",
        role=Role.SUPERVISOR,
        agency="DBM",
        now=wib(10),
    )
    key = create_key(
        desk.session,
        role=Role.SUPERVISOR,
        name="kepala",
        agency="DBM",
        area=None,
        now=wib(10),
        staff=DBM_HEAD,
    )
    viewer = authenticate(desk.session, key.secret)
    sweep_batch(desk.session, now=wib(14, 1))

    # GET /api/v1/escalations lists ledger levels whose mail reached the viewer: both clocks'.
    levels = list_escalations(desk.session, viewer, since=wib(14), limit=10)
    assert sorted((item.timer, item.level) for item in levels if item.code == ticket.code) == [
        ("accept", "breach"),
        ("start", "breach"),
    ]


def test_transfer_sweep_again_or_retried_sends_nothing_more(desk: Desk) -> None:
    ticket = transferred(desk)
    sweep_batch(desk.session, now=wib(14, 1))
    before = [(m.id, m.recipient) for m in outbox(desk, ticket)]

    # A retried or concurrent sweep finds the ticket due again (or its bookkeeping lost).
    desk.session.execute(
        update(Ticket).where(Ticket.id == ticket.id).values(next_check_at=wib(14, 1))
    )
    again = sweep_batch(desk.session, now=wib(14, 1))

    assert (again.escalations, again.notifications) == (0, 0)
    assert [(m.id, m.recipient) for m in outbox(desk, ticket)] == before


def test_transfer_bounced_shared_mail_goes_up_the_chain_for_both_clocks(desk: Desk) -> None:
    ticket = transferred(desk)
    sweep_batch(desk.session, now=wib(14, 1))
    (to_head,) = [mail for mail in outbox(desk, ticket) if mail.recipient == DBM_HEAD]
    to_head.status = "sent"

    record_events(
        desk.session,
        [{"event": "bounce", "tanggap_outbox_id": str(to_head.id), "sg_event_id": "ev-head"}],
        now=wib(14, 5),
        policy=DeliveryPolicy(),
    )

    # The head's mailbox is dead: the next one up the chain (the kelurahan office) gets the
    # one mail, naming both clocks, once.
    (stand_in,) = [
        mail for mail in outbox(desk, ticket) if mail.recipient not in (DBM_HEAD, KECAMATAN)
    ]
    assert (stand_in.recipient, stand_in.recipient_kind) == (
        "kel-gambir.head@tanggap.example",
        "area_office:kelurahan",
    )
    assert "mulai penanganan dan penerimaan koordinasi" in stand_in.subject
    assert f"surel ke {DBM_HEAD} tidak dapat diterima" in stand_in.body
    story = sla_story(
        desk.session, _key(desk.session, Role.ADMIN, None, wib(14, 6)), ticket.code, now=wib(14, 6)
    )
    told = {
        story_timer.timer.kind: sorted(n.recipient for n in level.notices)
        for story_timer in story.timers
        if story_timer.timer.kind in ("start", "accept")
        for level in story_timer.levels
        if level.level == "breach"
    }
    assert told["start"] == told["accept"] == sorted([DBM_HEAD, KECAMATAN, stand_in.recipient])


def test_transfer_digest_lists_the_ticket_once_naming_both_clocks(desk: Desk) -> None:
    ticket = transferred(desk)
    sweep_batch(desk.session, now=wib(14, 1))
    head = add_staff(
        desk.session,
        email="kepala@gub.example",
        name="Kepala",
        role=Role.SUPERVISOR,
        agency="GUB",  # the governor's office: every ticket
        now=wib(10),
    )
    scope = scope_of(desk.session, head)
    assert scope is not None

    letter = digest_letter(
        desk.session, head, scope, now=wib(14, 2), settings=desk.settings, lang="id"
    )
    english = digest_letter(
        desk.session, head, scope, now=wib(14, 2), settings=desk.settings, lang="en"
    )

    assert letter.body.count(ticket.code) == english.body.count(ticket.code) == 2  # line, link
    assert (
        f"- {ticket.code} Kemacetan — Dinas Bina Marga, mulai penanganan dan penerimaan "
        "koordinasi, tenggat"
    ) in letter.body
    assert "start of work and acceptance of the transfer" in english.body
