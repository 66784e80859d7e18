"""What a supervisor watches: SLA status per ticket, the SLA story with who was told when, and
escalation mail addressed to their agency.

A flood goes to DSDA under the 24/7 emergency policy: verify within 30 minutes, the ladder warns
the queue at 50 % (15 min), tells the head and the kecamatan office at 100 % (30 min).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from engine.errors import Forbidden, TicketNotFound
from engine.escalation import sweep_batch
from engine.keys import KeyHolder, authenticate, create_key
from engine.lifecycle import Role
from engine.queries.oversight import (
    SlaStatus,
    backlog,
    board,
    escalations_addressed,
    sla_story,
)
from engine.staff import add_staff

from .conftest import Desk


def _key(session: Session, role: Role, agency: str | None, when: object) -> KeyHolder:
    secret = create_key(
        session, role=role, name=f"{role} {agency}", agency=agency, area=None, now=when
    ).secret
    return authenticate(session, secret)


def _status(session: Session, viewer: KeyHolder, code: str, desk: Desk) -> SlaStatus:
    found = {t.code: t for t in board(session, viewer, now=desk.now, limit=100)}
    return found[code].sla


def test_board_flood_turns_at_risk_at_its_warning_and_breached_at_its_deadline(desk: Desk) -> None:
    s = desk.session
    flood = desk.submit(category="flood", description="Banjir 40 cm")
    submitted = desk.now
    dsda = _key(s, Role.SUPERVISOR, "DSDA", submitted)
    desk.now = submitted + timedelta(minutes=14)
    assert _status(s, dsda, flood.code, desk) is SlaStatus.ON_TIME
    desk.now = submitted + timedelta(minutes=16)  # the 50 % warning fell due, unswept
    assert _status(s, dsda, flood.code, desk) is SlaStatus.AT_RISK
    desk.now = submitted + timedelta(minutes=31)
    assert _status(s, dsda, flood.code, desk) is SlaStatus.BREACHED


def test_board_sorts_by_time_to_breach_and_keeps_to_the_viewers_agency(desk: Desk) -> None:
    s = desk.session
    jam = desk.submit()  # DISHUB, office calendar: verify by tomorrow
    flood = desk.submit(category="flood")  # DSDA: verify within 30 minutes
    later_flood = desk.submit(category="flood")
    gone = desk.ticket_in("rejected", category="flood")
    admin = _key(s, Role.ADMIN, None, desk.now)
    codes = [t.code for t in board(s, admin, now=desk.now, limit=100)]
    mine = [c for c in codes if c in {jam.code, flood.code, later_flood.code, gone.code}]
    assert mine == [flood.code, later_flood.code, jam.code]
    dsda = _key(s, Role.SUPERVISOR, "DSDA", desk.now)
    dsda_codes = {t.code for t in board(s, dsda, now=desk.now, limit=100)}
    assert flood.code in dsda_codes and jam.code not in dsda_codes
    item = next(t for t in board(s, dsda, now=desk.now, limit=100) if t.code == flood.code)
    assert (round(item.lat, 4), round(item.lon, 4)) == (-6.1754, 106.8272)
    assert item.state.label_id == "Menunggu" and item.agency == "DSDA"


def test_board_hold_after_the_deadline_stays_breached_and_before_it_stays_on_time(
    desk: Desk,
) -> None:
    s = desk.session
    admin = _key(s, Role.ADMIN, None, desk.now)
    early = desk.ticket_in("in_progress", category="flood")
    desk.act(early, "hold", "admin")  # held minutes after submission: 24 h to resolve
    late = desk.ticket_in("in_progress", category="flood")
    desk.now += timedelta(hours=25)  # late's 24 h resolve target has passed
    desk.act(late, "hold", "admin")
    desk.now += timedelta(days=2)
    assert _status(s, admin, early.code, desk) is not SlaStatus.BREACHED
    assert _status(s, admin, late.code, desk) is SlaStatus.BREACHED


def test_backlog_counts_open_tickets_per_agency_by_sla_status(desk: Desk) -> None:
    s = desk.session
    desk.submit(category="flood")
    desk.now += timedelta(minutes=40)
    desk.submit(category="flood")
    desk.submit()
    admin = _key(s, Role.ADMIN, None, desk.now)
    groups = {g.group: g for g in backlog(board(s, admin, now=desk.now, limit=1000), by="agency")}
    assert groups["DSDA"].counts[SlaStatus.BREACHED] >= 1
    assert groups["DSDA"].counts[SlaStatus.ON_TIME] >= 1
    assert groups["DISHUB"].total >= 1
    by_area = backlog(board(s, admin, now=desk.now, limit=1000), by="area")
    assert any(g.group == "31.71.01.1001" and g.name == "Kelurahan Gambir" for g in by_area)


def test_sla_story_names_who_was_told_at_each_level_and_when(desk: Desk) -> None:
    s = desk.session
    flood = desk.submit(category="flood")
    dsda = _key(s, Role.SUPERVISOR, "DSDA", desk.now)
    submitted = desk.now
    swept_at = submitted + timedelta(minutes=40)
    sweep_batch(s, now=swept_at)
    story = sla_story(s, dsda, flood.code.lower(), now=swept_at)
    assert story.code == flood.code and story.sla is SlaStatus.BREACHED
    verify = next(t for t in story.timers if t.timer.kind == "verify")
    assert verify.status is SlaStatus.BREACHED
    assert verify.timer.deadline == submitted + timedelta(minutes=30)
    told = {
        (level.level, n.recipient, n.recipient_kind)
        for level in verify.levels
        for n in level.notices
    }
    # The warning was caught up after the breach was due: recorded, not mailed.
    warning = next(level for level in verify.levels if level.percent == 50)
    assert warning.mailed is False and warning.notices == ()
    assert ("breach", "dsda.head@tanggap.example", "agency_head") in told
    assert ("breach", "kec-gambir.head@tanggap.example", "area_office:kecamatan") in told
    breach = next(level for level in verify.levels if level.percent == 100)
    assert breach.due_at == submitted + timedelta(minutes=30)
    assert breach.recorded_at == swept_at
    assert all(n.queued_at == swept_at and n.status == "pending" for n in breach.notices)


def test_sla_story_shows_the_pause_and_refuses_other_agencies(desk: Desk) -> None:
    s = desk.session
    flood = desk.ticket_in("in_progress", category="flood")
    desk.act(flood, "hold", "admin")
    held_at = desk.now
    dsda = _key(s, Role.SUPERVISOR, "DSDA", desk.now)
    story = sla_story(s, dsda, flood.code, now=desk.now + timedelta(hours=1))
    resolve = next(t for t in story.timers if t.timer.kind == "resolve")
    assert resolve.timer.pauses == ((held_at, None),)
    assert resolve.timer.status == "paused"
    dishub = _key(s, Role.SUPERVISOR, "DISHUB", desk.now)
    with pytest.raises(Forbidden):
        sla_story(s, dishub, flood.code, now=desk.now)
    with pytest.raises(TicketNotFound):
        sla_story(s, dsda, "JKT-0000-0000", now=desk.now)


def test_escalations_addressed_go_to_the_agency_whose_addresses_were_mailed(desk: Desk) -> None:
    s = desk.session
    flood = desk.submit(category="flood")
    swept_at = desk.now + timedelta(minutes=40)
    sweep_batch(s, now=swept_at)
    since = swept_at - timedelta(days=1)
    dsda = _key(s, Role.SUPERVISOR, "DSDA", desk.now)
    mine = escalations_addressed(s, dsda, since=since, limit=100)
    ours = [e for e in mine if e.code == flood.code]
    assert [(e.level, e.recipient, e.timer) for e in ours] == [
        ("breach", "dsda.head@tanggap.example", "verify")
    ]
    kecamatan = _key(s, Role.SUPERVISOR, "KEC-GAMBIR", desk.now)
    theirs = escalations_addressed(s, kecamatan, since=since, limit=100)
    assert [(e.code, e.recipient) for e in theirs if e.code == flood.code] == [
        (flood.code, "kec-gambir.head@tanggap.example")
    ]
    dishub = _key(s, Role.SUPERVISOR, "DISHUB", desk.now)
    assert [e for e in escalations_addressed(s, dishub, since=since, limit=100)] == []
    assert escalations_addressed(s, dsda, since=swept_at + timedelta(seconds=1), limit=100) == []


def test_a_personal_key_sees_the_mail_to_its_agency_and_to_its_own_person(desk: Desk) -> None:
    """The dashboard's panel is about the key's agency: a supervisor's own key (the README's
    advice) saw only mail to that person's address, which a ladder rarely names, so a head of
    agency saw nothing (fresh tester). "My escalations" (``list_escalations``) stays personal."""
    s = desk.session
    flood = desk.submit(category="flood")
    sweep_batch(s, now=desk.now + timedelta(minutes=40))
    since = desk.now - timedelta(days=1)
    for email, name, agency in (
        ("dsda.head@tanggap.example", "Kepala DSDA", "DSDA"),
        ("ani@dsda.example", "Ani", "DSDA"),
        ("budi@dishub.example", "Budi", "DISHUB"),
    ):
        add_staff(
            s,
            email=email,
            name=name,
            role=Role.SUPERVISOR,
            agency=agency,
            now=desk.now,
            update=True,
        )
    for email, expected in (
        ("dsda.head@tanggap.example", [(flood.code, "dsda.head@tanggap.example")]),
        ("ani@dsda.example", [(flood.code, "dsda.head@tanggap.example")]),  # her agency's mail
        ("budi@dishub.example", []),  # another agency: nothing of DSDA's
    ):
        secret = create_key(
            s, role=Role.SUPERVISOR, name=email, agency=None, area=None, now=desk.now, staff=email
        ).secret
        seen = escalations_addressed(s, authenticate(s, secret), since=since, limit=100)
        assert [(e.code, e.recipient) for e in seen if e.code == flood.code] == expected
