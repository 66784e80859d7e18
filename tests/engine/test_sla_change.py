"""Change re-evaluates what derives from it (issue: "faults peers shipped").

Each scenario is a bug report of a peer system replayed on Tanggap; the expected instants were
worked out by hand on the Jakarta catalogue's calendars (DKI ASN office hours: Mon–Thu
07:30–12:00 and 13:00–16:00, Fri 07:30–11:30 and 13:00–16:30; emergencies 24/7). What is
asserted is what people get: who is mailed, with which words, and what the ledger and the
timeline say.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from engine.catalogue import load_catalogue
from engine.errors import Conflict, Forbidden, RuleViolated, StaleVersion
from engine.escalation import sweep_batch
from engine.history import replay_history
from engine.models import Escalation, Notification, SlaPolicy, SlaTimer, Ticket
from engine.policies import load_policy_book
from engine.tickets import list_events
from engine.timeline import sla_timeline

WIB = ZoneInfo("Asia/Jakarta")
CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue" / "jakarta.yaml"


def wib(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=WIB)


def at(desk, moment: datetime) -> None:
    desk.now = moment - timedelta(minutes=5)  # desk.act()/submit() tick 5 minutes first


def timer(desk, ticket: Ticket, kind: str, cycle: int = 1) -> SlaTimer:
    return desk.session.scalars(
        select(SlaTimer).where(
            SlaTimer.ticket_id == ticket.id, SlaTimer.kind == kind, SlaTimer.cycle == cycle
        )
    ).one()


def mails(desk, ticket: Ticket, kind: str | None = None) -> list[tuple[str, str, str, str]]:
    """(level label, recipient, subject, body) of every queued mail about ``ticket``."""
    query = (
        select(Escalation.label, Notification.recipient, Notification.subject, Notification.body)
        .join(Escalation, Notification.escalation_id == Escalation.id)
        .where(Notification.ticket_id == ticket.id)
        .order_by(Notification.id)
    )
    if kind is not None:
        query = query.where(Escalation.timer_kind == kind)
    return [tuple(row) for row in desk.session.execute(query)]  # type: ignore[misc]


def ledger(desk, ticket: Ticket, kind: str) -> list[tuple[str, int, datetime, bool]]:
    rows = desk.session.scalars(
        select(Escalation)
        .where(Escalation.ticket_id == ticket.id, Escalation.timer_kind == kind)
        .order_by(Escalation.percent)
    )
    return [(e.label, e.percent, e.due_at, e.mailed) for e in rows]


# --- 1. timers follow the ticket ----------------------------------------------------------


def test_transfer_breach_goes_to_the_receiving_agency_and_nobody_at_the_old_one(desk) -> None:
    at(desk, wib(11, 23, 9))
    ticket = desk.submit()  # traffic_jam at Monas → DISHUB
    at(desk, wib(11, 23, 9, 10))
    desk.act(ticket, "verify")
    at(desk, wib(11, 23, 9, 20))
    desk.act(ticket, "assign")
    at(desk, wib(11, 23, 9, 30))
    desk.act(ticket, "transfer", agency="DBM", note="jalan ambles, bukan lalu lintas")
    at(desk, wib(11, 23, 10))
    desk.act(ticket, "start", "dbm")

    sweep_batch(desk.session, now=wib(12, 1, 9))

    breach = [m for m in mails(desk, ticket, "resolve") if m[0] == "breach"]
    assert sorted(m[1] for m in breach) == [
        "dbm.head@tanggap.example",
        "kel-gambir.head@tanggap.example",
    ]
    assert not [m for m in mails(desk, ticket) if "dishub" in m[1]]
    subject, body = breach[0][2], breach[0][3]
    assert "MELEWATI BATAS penyelesaian" in subject
    assert "Instansi / agency: Dinas Bina Marga" in body
    assert "Dinas Perhubungan" not in body
    # Due Mon 30 Nov 09:00 (5 working days); the warning came due with it and is not mailed.
    assert ledger(desk, ticket, "resolve") == [
        ("warning", 75, wib(11, 26, 15, 37, 30).astimezone(UTC), False),
        ("breach", 100, wib(11, 30, 9).astimezone(UTC), True),
    ]


def test_category_corrected_at_verify_moves_the_resolve_clock_to_the_new_policy(desk) -> None:
    at(desk, wib(11, 27, 15))  # Friday 15:00
    ticket = desk.submit()  # traffic_jam: default policy, office days, DISHUB
    at(desk, wib(11, 27, 15, 10))
    desk.act(ticket, "verify", category="flood")

    resolve = timer(desk, ticket, "resolve")
    assert (resolve.policy_code, ticket.agency.code) == ("emergency", "DSDA")
    # 10 office minutes consumed (Fri 15:00–15:10) are kept; 24 h on the 24/7 calendar.
    assert resolve.deadline == wib(11, 28, 15).astimezone(UTC)
    assert resolve.next_due_at == wib(11, 28, 3).astimezone(UTC)  # the 50 % warning

    # An unrelated reload changes none of it, and fires nothing.
    text = CATALOGUE.read_text().replace("name_en: Flood / waterlogging", "name_en: Flooding")
    load_catalogue(desk.session, text, now=wib(11, 27, 15, 20), source="renamed.yaml")
    desk.session.refresh(resolve)
    assert resolve.deadline == wib(11, 28, 15).astimezone(UTC)
    assert ledger(desk, ticket, "resolve") == []

    sweep_batch(desk.session, now=wib(11, 28, 3))
    assert ledger(desk, ticket, "resolve") == [
        ("warning", 50, wib(11, 28, 3).astimezone(UTC), True)
    ]
    assert [m[1] for m in mails(desk, ticket, "resolve")] == ["dsda.queue@tanggap.example"]
    sweep_batch(desk.session, now=wib(11, 28, 15, 1))
    assert [lv[:2] for lv in ledger(desk, ticket, "resolve")] == [("warning", 50), ("breach", 100)]


def test_priority_update_by_staff_reevaluates_every_running_timer(desk) -> None:
    at(desk, wib(11, 23, 9))
    ticket = desk.submit()
    at(desk, wib(11, 23, 10))
    desk.act(ticket, "update", priority="urgent", note="jalan tertutup total")
    resolve, verify = timer(desk, ticket, "resolve"), timer(desk, ticket, "verify")
    assert (resolve.policy_code, verify.policy_code) == ("urgent", "urgent")
    # One office hour kept, then 48 h / 1 h around the clock.
    assert resolve.deadline == wib(11, 25, 9).astimezone(UTC)
    assert verify.deadline == wib(11, 23, 10).astimezone(UTC)  # 1 h used up exactly now
    event = list_events(desk.session, ticket)[-1]
    assert (event.trigger, event.data) == (
        "update",
        {"priority": {"from": "normal", "to": "urgent"}},
    )


def test_removed_target_stops_the_running_timer(desk) -> None:
    at(desk, wib(11, 23, 9))
    ticket = desk.submit()
    old = "targets: {verify: 1d, assign: 1d, start: 2d, resolve: 5d, accept: 1d}"
    text = CATALOGUE.read_text()
    assert old in text
    load_catalogue(
        desk.session,
        text.replace(old, "targets: {assign: 1d, start: 2d, resolve: 5d, accept: 1d}"),
        now=wib(11, 23, 10),
        source="no-verify.yaml",
    )
    verify = timer(desk, ticket, "verify")
    assert verify.stopped_at == wib(11, 23, 10).astimezone(UTC)
    assert verify.next_due_at is None
    assert ticket.next_check_at == timer(desk, ticket, "resolve").next_due_at


def test_policy_book_follows_the_database_not_the_last_file(desk) -> None:
    book = load_policy_book(desk.session)
    assert str(book.get("default").targets["resolve"]) == "5d"  # type: ignore[union-attr]
    row = desk.session.scalars(select(SlaPolicy).where(SlaPolicy.code == "default")).one()
    row.definition = {**row.definition, "targets": {**row.definition["targets"], "resolve": "7d"}}
    desk.session.flush()  # an admin's fix, a migration: no catalogue load
    book = load_policy_book(desk.session)
    assert str(book.get("default").targets["resolve"]) == "7d"  # type: ignore[union-attr]


# --- 2. catalogue edits never re-send -------------------------------------------------------

TERRITORIAL = """\
      - {name: warning, name_id: peringatan, name_en: warning, percent: 75, notify: [assigned_officer, agency_queue]}
      - {name: breach, name_id: lewat batas waktu, name_en: deadline passed, percent: 100, notify: [agency_head, {area_office: kelurahan}]}
      - {name: kecamatan, name_id: kecamatan, name_en: 'district (kecamatan)', percent: 150, notify: [{area_office: kecamatan}]}"""  # noqa: E501
EDITS = {
    "rename": TERRITORIAL.replace("name: warning", "name: peringatan").replace(
        "name: breach", "name: terlambat"
    ),
    "rename with keys": TERRITORIAL.replace(
        "{name: warning", "{key: warning, name: peringatan"
    ).replace("{name: breach", "{key: breach, name: terlambat"),
    "change percentages": TERRITORIAL.replace("percent: 75", "percent: 80").replace(
        "percent: 100", "percent: 90"
    ),
    "add levels": TERRITORIAL.replace(
        "      - {name: warning",
        "      - {name: early, percent: 50, notify: [agency_queue]}\n      - {name: warning",
    ).replace(
        "      - {name: kecamatan",
        "      - {name: late, percent: 120, notify: [agency_head]}\n      - {name: kecamatan",
    ),
    "re-word levels": TERRITORIAL.replace("name_id: peringatan", "name_id: peringatan awal")
    .replace("name_en: deadline passed", "name_en: overdue")
    .replace("name_en: 'district (kecamatan)'", "name_en: district"),
    "re-word recipients": TERRITORIAL.replace(
        "notify: [agency_head, {area_office: kelurahan}]",
        "notify: [agency_queue, agency_head, {area_office: kelurahan}]",
    ),
}


def _resolve_breached(desk) -> Ticket:
    at(desk, wib(11, 2, 9))
    ticket = desk.submit()
    for action in ("verify", "assign", "start"):
        desk.act(ticket, action)
    sweep_batch(desk.session, now=wib(11, 9, 10))  # resolve breach due Mon 9 Nov 09:00
    assert [lv[0] for lv in ledger(desk, ticket, "resolve")] == ["warning", "breach"]
    return ticket


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_catalogue_edit_resends_nothing_recorded(desk, edit: str) -> None:
    ticket = _resolve_breached(desk)
    sent = mails(desk, ticket)
    text = CATALOGUE.read_text()
    assert TERRITORIAL in text
    load_catalogue(desk.session, text.replace(TERRITORIAL, EDITS[edit]), now=wib(11, 9, 11))
    sweep_batch(desk.session, now=wib(11, 9, 12))
    if edit == "re-word levels":
        # Nobody told again, nothing new: the waiting mails (never sent) are the same rows to
        # the same people, worded as the catalogue words the levels now (engine.rewording).
        after = mails(desk, ticket)
        assert [m[:2] for m in after] == [m[:2] for m in sent]
        breach = [m for m in after if m[0] == "breach"]
        assert breach and all("lewat batas waktu / overdue" in m[2] for m in breach)
        assert all("deadline passed" not in m[2] + m[3] for m in breach)
    elif edit == "re-word recipients":
        # The breach names Dishub's queue now: the queue, responsible for it now, is told of the
        # breach once; whoever was told already is not told again (nor at the sweeps below).
        after = mails(desk, ticket)
        assert after[: len(sent)] == sent
        ((label, recipient, subject, _),) = after[len(sent) :]
        assert (label, recipient) == ("breach", "dishub.queue@tanggap.example")
        assert "MELEWATI BATAS penyelesaian (100%)" in subject
        sent = after
    else:
        assert mails(desk, ticket) == sent
    # Later levels still come, once: 150 % of 37.5 h is Wed 11 Nov 13:45.
    sweep_batch(desk.session, now=wib(11, 11, 13, 44))
    assert [m for m in mails(desk, ticket, "resolve") if m[0] == "kecamatan"] == []
    sweep_batch(desk.session, now=wib(11, 11, 13, 50))
    kecamatan = [m for m in mails(desk, ticket, "resolve") if m[0] == "kecamatan"]
    assert [m[1] for m in kecamatan] == ["kec-gambir.head@tanggap.example"]
    sweep_batch(desk.session, now=wib(11, 11, 13, 51))
    assert [m for m in mails(desk, ticket, "resolve") if m[0] == "kecamatan"] == kecamatan
    queue = [m for m in mails(desk, ticket) if m[:2] == ("breach", "dishub.queue@tanggap.example")]
    assert len(queue) == (1 if edit == "re-word recipients" else 0)


def test_a_reload_that_queues_escalation_mail_says_how_much(desk) -> None:
    """A tester's report: a reload that made a level notify another role queued mail to it
    (and one with shorter targets, 32 mails), and printed only "ladder.updated …": the operator
    had no hint that people were just mailed."""
    ticket = _resolve_breached(desk)
    sent = mails(desk, ticket)
    text = CATALOGUE.read_text()
    summary = load_catalogue(
        desk.session,
        text.replace(TERRITORIAL, EDITS["re-word recipients"]),
        now=wib(11, 9, 11),
    )
    queued = mails(desk, ticket)[len(sent) :]
    assert [m[:2] for m in queued] == [("breach", "dishub.queue@tanggap.example")]
    assert summary.as_dict()["escalation mail.created"] == 1
    # A load that mails nobody says nothing of mail.
    again = load_catalogue(
        desk.session, text.replace(TERRITORIAL, EDITS["re-word levels"]), now=wib(11, 9, 12)
    )
    assert again.changed and "escalation mail.created" not in again.as_dict()


def test_catalogue_calendar_change_keeps_elapsed_and_resends_nothing(desk) -> None:
    ticket = _resolve_breached(desk)
    sent = mails(desk, ticket)
    text = CATALOGUE.read_text()
    old = 'mon: ["07:30-12:00", "13:00-16:00"]'
    assert old in text
    load_catalogue(
        desk.session,
        text.replace(old, 'mon: ["07:00-12:00", "13:00-17:00"]'),
        now=wib(11, 9, 11),
    )
    sweep_batch(desk.session, now=wib(11, 9, 12))
    # Nobody told again, nothing new. The new calendar moves the deadline to 11:00, the time of
    # the reload: the breach is not reached under it yet, so the waiting mails keep the words
    # that were true when it was decided (engine.ledger.WaitingEscalations.letter).
    assert mails(desk, ticket) == sent


# --- 3. a second ticket is guarded --------------------------------------------------------


def test_duplicate_the_other_way_round_is_refused(desk) -> None:
    a, b = desk.ticket_in("verified"), desk.ticket_in("verified")
    desk.act(a, "mark_duplicate", duplicate_of=b.code)
    with pytest.raises(
        RuleViolated, match=f"{a.code} is duplicate; point at the ticket that stands"
    ):
        desk.act(b, "mark_duplicate", duplicate_of=a.code)
    assert (a.state, b.state) == ("duplicate", "verified")


def test_duplicate_target_version_moves_so_a_stale_write_on_it_conflicts(desk) -> None:
    a, b = desk.ticket_in("verified"), desk.ticket_in("verified")
    seen = b.version  # what another staff member's page shows
    desk.act(a, "mark_duplicate", duplicate_of=b.code)
    with pytest.raises(StaleVersion):
        desk.act(b, "reject", expected_version=seen)


# --- 4. closing never cuts the dispute window -------------------------------------------------


def test_reporter_reopens_a_closed_ticket_within_the_window(desk) -> None:
    ticket = desk.ticket_in("in_progress")
    at(desk, wib(11, 23, 10))
    desk.act(ticket, "resolve")
    at(desk, wib(11, 23, 10, 5))
    desk.act(ticket, "close")
    at(desk, wib(11, 24, 8))
    desk.act(ticket, "reopen", "citizen", note="lampunya mati lagi")
    assert (ticket.state, ticket.cycle, ticket.closed_at) == ("assigned", 2, None)
    assert timer(desk, ticket, "resolve", 2).stopped_at is None


def test_closed_ticket_reopen_rules(desk) -> None:
    ticket = desk.ticket_in("closed")
    with pytest.raises(Forbidden, match="reporter within the dispute window, or by an admin"):
        desk.act(ticket, "reopen", "staff")
    desk.now = ticket.resolved_at + timedelta(days=desk.settings.dispute_window_days)
    with pytest.raises(Forbidden, match="window to dispute"):
        desk.act(ticket, "reopen", "citizen")
    desk.act(ticket, "reopen", "admin", note="ditutup keliru")
    event = list_events(desk.session, ticket)[-1]
    assert (ticket.state, event.actor_role, event.note) == ("assigned", "admin", "ditutup keliru")


# --- 5. pauses and stops never hide what was due ---------------------------------------------


def test_level_due_just_before_a_hold_is_recorded_and_mailed_by_the_next_sweep(desk) -> None:
    at(desk, wib(11, 23, 9))
    ticket = desk.ticket_in("in_progress")  # submit 09:00; resolve breach Mon 30 Nov 09:00
    sweep_batch(desk.session, now=wib(11, 30, 8, 59))
    at(desk, wib(11, 30, 9, 0, 30))
    desk.act(ticket, "hold", note="menunggu PLN")
    sweep_batch(desk.session, now=wib(11, 30, 9, 1))
    assert ("breach", 100, wib(11, 30, 9).astimezone(UTC), True) in ledger(desk, ticket, "resolve")
    assert {m[1] for m in mails(desk, ticket, "resolve") if m[0] == "breach"} == {
        "dishub.head@tanggap.example",
        "kel-gambir.head@tanggap.example",
    }


def test_pause_after_the_deadline_rewrites_no_history(desk) -> None:
    at(desk, wib(10, 5, 9))  # Monday 5 Oct 2026
    ticket = desk.ticket_in("in_progress")
    at(desk, wib(10, 12, 10))
    desk.act(ticket, "hold", note="menunggu izin")
    at(desk, wib(10, 13, 10))
    desk.act(ticket, "resume")
    sweep_batch(desk.session, now=wib(10, 13, 10, 1))
    resolve = timer(desk, ticket, "resolve")
    assert resolve.deadline == wib(10, 12, 9).astimezone(UTC)
    assert ledger(desk, ticket, "resolve")[:2] == [
        ("warning", 75, wib(10, 8, 15, 37, 30).astimezone(UTC), False),
        ("breach", 100, wib(10, 12, 9).astimezone(UTC), True),
    ]
    (view,) = [
        v for v in sla_timeline(desk.session, ticket, now=wib(10, 13, 11)) if v.kind == "resolve"
    ]
    assert view.pauses == ((wib(10, 12, 10).astimezone(UTC), wib(10, 13, 10).astimezone(UTC)),)
    assert view.status == "overdue"


def test_level_due_just_before_the_work_stopped_is_recorded_without_mail(desk) -> None:
    at(desk, wib(11, 23, 9))
    ticket = desk.ticket_in("in_progress")
    sweep_batch(desk.session, now=wib(11, 30, 8, 59))
    at(desk, wib(11, 30, 9, 0, 30))
    desk.act(ticket, "resolve")
    assert ticket.next_check_at == wib(11, 30, 9).astimezone(UTC)
    sweep_batch(desk.session, now=wib(11, 30, 9, 1))
    assert ("breach", 100, wib(11, 30, 9).astimezone(UTC), False) in ledger(desk, ticket, "resolve")
    assert [m for m in mails(desk, ticket, "resolve") if m[0] == "breach"] == []
    assert ticket.next_check_at is None


def test_action_exactly_at_the_deadline_meets_it(desk) -> None:
    at(desk, wib(11, 23, 7, 30))
    ticket = desk.submit()  # verify: 1 working day → Mon 16:00 (all of Monday)
    assert timer(desk, ticket, "verify").deadline == wib(11, 23, 16).astimezone(UTC)
    at(desk, wib(11, 23, 16))
    desk.act(ticket, "verify")
    verify = timer(desk, ticket, "verify")
    assert (verify.stopped_at, verify.breached) == (wib(11, 23, 16).astimezone(UTC), False)
    sweep_batch(desk.session, now=wib(11, 23, 16, 1))
    assert [lv[0] for lv in ledger(desk, ticket, "verify")] == ["warning"]  # no breach


# --- 6. one version step per event; events say what changed ---------------------------------


def _check(desk, ticket: Ticket) -> None:
    events = list_events(desk.session, ticket)
    assert ticket.version == len(events) == events[-1].seq
    snapshot = replay_history(events)
    assert snapshot.state == ticket.state
    assert snapshot.values == {
        "category": ticket.category.code,
        "priority": ticket.priority,
        "agency": ticket.agency.code,
        "area": ticket.area.code,
        "location": [ticket.lat, ticket.lon],
        "officer": ticket.officer.email if ticket.officer else None,
        "duplicate_of": ticket.duplicate_of.code if ticket.duplicate_of else None,
        "unpublished": ticket.unpublished_at is not None,
        "public_description": ticket.public_description,
    }


def test_every_trigger_with_every_input_steps_version_once_and_replays(desk, photo) -> None:
    ticket = desk.submit(category="garbage_pile")
    _check(desk, ticket)
    steps = [
        (
            "verify",
            "admin",
            {"category": "traffic_jam", "lat": -6.12, "lon": 106.79, "priority": "high"},
        ),
        (
            "update",
            "admin",
            {
                "category": "broken_road",
                "lat": -6.1754,
                "lon": 106.8272,
                "priority": "normal",
                "note": "salah kategori",
            },
        ),
        ("comment", "citizen", {"note": "tolong segera", "photos": (photo,)}),
        ("assign", "admin", {"agency": "DISHUB", "officer": "staff@tanggap.example"}),
        ("transfer", "admin", {"agency": "DBM", "officer": "dbm@tanggap.example", "note": "jalan"}),
        ("start", "dbm", {"note": "OTW", "public": True}),
        ("hold", "dbm", {"note": "hujan"}),
        ("resume", "dbm", {"note": "reda"}),
        ("update", "dbm", {"priority": "high", "note": "lubang melebar"}),
        ("unpublish", "admin", {"note": "berisi data pribadi"}),
        ("redact", "admin", {"note": "nomor HP", "description": "Lubang di jalan"}),
        ("resolve", "dbm", {"note": "sudah ditambal", "photos": (photo,)}),
        ("rate", "citizen", {"rating": 2, "note": "kurang rapi"}),
        ("close", "admin", {"note": "selesai"}),
        ("reopen", "admin", {"note": "ditutup keliru"}),
        ("republish", "admin", {"note": "ditarik keliru"}),
        ("redact", "admin", {"note": "nama warga", "description": "Lubang besar di jalan"}),
    ]
    for action, who, fields in steps:
        desk.act(ticket, action, who, **fields)
        _check(desk, ticket)
    other = desk.ticket_in("verified")
    desk.act(other, "mark_duplicate", "admin", duplicate_of=ticket.code, note="sama")  # DBM's
    _check(desk, other)
    _check(desk, ticket)


def test_stale_write_is_a_conflict_on_every_database(desk) -> None:
    ticket = desk.submit()
    # Someone else's transition committed after the caller read the ticket at version 1 (on
    # SQLite the single writer never lets that happen between read and write; this puts it
    # there). An action locks and re-reads the ticket first, so it sees version 2: the caller
    # who read version 1 gets a conflict naming the version to reload. (The versioned UPDATE
    # behind it: tests/engine/test_concurrency.py, a race lost at the write.)
    desk.session.execute(
        update(Ticket).where(Ticket.id == ticket.id).values(version=Ticket.version + 1),
        execution_options={"synchronize_session": False},
    )
    with pytest.raises(StaleVersion, match="is at version 2, not 1") as lost:
        desk.act(ticket, "verify", expected_version=1)
    assert (lost.value.version, lost.value.state) == (2, "submitted")


# --- re-assign: the agency holding a ticket names its own officer -------------------------


def _transferred_to_dbm(desk) -> Ticket:
    at(desk, wib(11, 23, 9))
    ticket = desk.submit()  # traffic_jam at Monas → DISHUB
    at(desk, wib(11, 23, 9, 10))
    desk.act(ticket, "verify")
    at(desk, wib(11, 23, 9, 20))
    desk.act(ticket, "assign", officer="staff@tanggap.example")
    at(desk, wib(11, 23, 9, 30))
    desk.act(ticket, "transfer", agency="DBM", note="jalan ambles, bukan lalu lintas")
    return ticket


def test_reassign_after_transfer_names_the_receiving_officer_and_keeps_the_start_clock(
    desk,
) -> None:
    from engine.staff import add_staff

    ticket = _transferred_to_dbm(desk)
    assert ticket.officer is None  # the transfer named nobody at DBM
    start = timer(desk, ticket, "start", cycle=2)
    deadline, warning_at = start.deadline, start.next_due_at
    add_staff(desk.session, email="sari@dbm.example", name="Sari", role="staff",
              agency="DBM", now=desk.now)  # fmt: skip

    at(desk, wib(11, 23, 11))
    desk.act(ticket, "reassign", "dbm", officer="sari@dbm.example", note="Sari ke lokasi")

    assert (ticket.state, ticket.agency.code, ticket.officer.email) == (
        "assigned",
        "DBM",
        "sari@dbm.example",
    )
    event = list_events(desk.session, ticket)[-1]
    assert (event.trigger, event.from_state, event.to_state, event.public, event.data) == (
        "reassign",
        "assigned",
        "assigned",
        False,
        {"officer": {"from": None, "to": "sari@dbm.example"}},
    )
    # The start clock measures DBM's time to begin: a hand-over between officers buys none.
    start = timer(desk, ticket, "start", cycle=2)
    assert start.stopped_at is None
    assert (start.deadline, start.next_due_at) == (deadline, warning_at)
    starts = select(SlaTimer).where(SlaTimer.ticket_id == ticket.id, SlaTimer.kind == "start")
    assert len(desk.session.scalars(starts).all()) == 2  # no third start clock
    # DBM acted on the transfer: its acceptance clock is over.
    assert timer(desk, ticket, "accept").stopped_at == wib(11, 23, 11).astimezone(UTC)

    # The start clock's warning goes to the officer DBM named, and to DBM's queue.
    assert warning_at is not None
    sweep_batch(desk.session, now=warning_at + timedelta(minutes=1))
    warned = sorted(m[1] for m in mails(desk, ticket, "start") if m[0] == "warning")
    assert warned == ["dbm.queue@tanggap.example", "sari@dbm.example"]


def test_reassign_during_the_work_keeps_the_state_and_every_clock(desk) -> None:
    from engine.staff import add_staff

    ticket = _transferred_to_dbm(desk)
    at(desk, wib(11, 23, 10))
    desk.act(ticket, "start", "dbm")  # whoever starts owns it
    desk.act(ticket, "hold", "dbm", note="menunggu alat berat")
    resolve = timer(desk, ticket, "resolve")
    before = (resolve.id, resolve.started_at, resolve.carried_seconds, resolve.pauses)
    add_staff(desk.session, email="sari@dbm.example", name="Sari", role="staff",
              agency="DBM", now=desk.now)  # fmt: skip

    desk.act(ticket, "reassign", "dbm", officer="sari@dbm.example")

    assert (ticket.state, ticket.officer.email) == ("on_hold", "sari@dbm.example")
    resolve = timer(desk, ticket, "resolve")  # still paused by the hold, not restarted
    after = (resolve.id, resolve.started_at, resolve.carried_seconds, resolve.pauses)
    assert (after, resolve.stopped_at) == (before, None)
    assert resolve.pauses[-1][1] is None
    desk.act(ticket, "resume", "dbm")
    assert ticket.state == "in_progress"  # back to where it was held from


@pytest.mark.parametrize(
    ("officer", "key", "words"),
    [
        (None, "officer_required", "name the officer of DBM to hand ticket"),
        ("dbm@tanggap.example", "already_assigned_to_officer", "already with that officer"),
        ("outsider@tanggap.example", "officer_not_in_agency", "does not work for DBM"),
    ],
)
def test_reassign_that_would_change_nothing_or_leave_the_agency_is_refused_nothing_written(
    desk, officer: str | None, key: str, words: str
) -> None:
    ticket = _transferred_to_dbm(desk)
    desk.act(ticket, "reassign", "dbm", officer="dbm@tanggap.example")
    accept_stopped = timer(desk, ticket, "accept").stopped_at
    version = ticket.version

    with pytest.raises(RuleViolated, match=words) as raised:
        desk.act(ticket, "reassign", "admin", **({"officer": officer} if officer else {}))

    assert raised.value.code == key
    desk.session.expire_all()
    assert (ticket.version, ticket.agency.code, ticket.officer.email) == (
        version,
        "DBM",
        "dbm@tanggap.example",
    )
    assert timer(desk, ticket, "accept").stopped_at == accept_stopped


def test_reassign_is_for_the_agency_holding_the_ticket_not_the_one_that_gave_it_away(
    desk,
) -> None:
    ticket = _transferred_to_dbm(desk)
    version = ticket.version
    with pytest.raises(Forbidden):
        desk.act(ticket, "reassign", "staff", officer="dbm@tanggap.example")  # DISHUB staff
    # Naming an agency's officer is the agency's business: an area office triages (it may
    # assign a verified ticket) but does not pick DBM's people.
    with pytest.raises(Forbidden):
        desk.act(ticket, "reassign", "kelurahan", officer="dbm@tanggap.example")
    # A first assignment is triage, as before: assign from verified only.
    with pytest.raises(Conflict):
        desk.act(ticket, "assign", "dbm", officer="dbm@tanggap.example")
    desk.session.expire_all()
    assert (ticket.version, ticket.officer_id) == (version, None)
