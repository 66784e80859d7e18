"""A change to a ticket re-reads who its queued staff mails are for, in the change's own
transaction: an escalation queued for Dishub is not sent to Dishub once the ticket is Bina
Marga's, and a citizen's follow-up queued for one officer reaches the officer who has it now.

A tester's report: a flood's breach was swept (mail queued to Dinas SDA's head and queue), the
ticket was re-categorised as pungli before the delivery flow ran, and Dinas SDA still received
the now-confidential complaint, naming a ticket it could no longer open.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from engine.catalogue import load_catalogue
from engine.delivery import claim
from engine.escalation import sweep_batch
from engine.models import Agency, Notification, Ticket, TicketEvent

from .conftest import Desk

WIB = ZoneInfo("Asia/Jakarta")
MENTENG = (-6.19675, 106.82925)  # Kelurahan Menteng, Kecamatan Menteng


def wib(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 23, hour, minute, tzinfo=WIB)


def head(desk: Desk, code: str) -> str:
    return desk.session.scalars(select(Agency.head_email).where(Agency.code == code)).one()


def rows(desk: Desk, ticket: Ticket, kind: str) -> list[tuple[str, str, str | None]]:
    """(recipient, status, last_error) of the ticket's outbox rows of ``kind``, oldest first."""
    found = desk.session.execute(
        select(Notification.recipient, Notification.status, Notification.last_error)
        .where(Notification.ticket_id == ticket.id, Notification.kind == kind)
        .order_by(Notification.id)
    )
    return [tuple(row) for row in found]  # type: ignore[misc]


def with_a_neighbour(desk: Desk) -> Ticket:
    """A report by warga@example.id that a neighbour (tetangga@example.id) said "me too" to
    and follows, confirmed."""
    from engine.models import Subscription

    ticket = desk.submit(reporter_email="warga@example.id")
    desk.session.add(
        Subscription(
            ticket_id=ticket.id,
            email="tetangga@example.id",
            language="id",
            active=True,
            created_at=desk.now,
            confirmed_at=desk.now,
            supported_at=desk.now,
        )
    )
    desk.session.flush()
    return ticket


def breached(desk: Desk) -> Ticket:
    """An urgent jam at Monas (24/7, emergency ladder), assigned to Dishub at about 09:15 and
    never started: at 13:30 its start clock's breach is swept, mailed to Dishub's head and the
    kecamatan office, and not yet delivered."""
    desk.now = wib(9) - timedelta(minutes=5)
    ticket = desk.submit()
    desk.act(ticket, "update", "admin", priority="urgent", note="jalan tertutup total")
    desk.act(ticket, "verify", "admin")
    desk.act(ticket, "assign", "admin")
    sweep_batch(desk.session, now=wib(13, 30))
    queued = {recipient for recipient, status, _ in rows(desk, ticket, "escalation")}
    assert head(desk, "DISHUB") in queued
    return ticket


def test_a_transfer_withdraws_the_former_agencys_queued_escalation(desk: Desk) -> None:
    ticket = breached(desk)
    kecamatan = head(desk, "KEC-GAMBIR")
    desk.now = wib(13, 35)
    desk.act(ticket, "transfer", "admin", agency="DBM", note="jalan ambles, bukan lalu lintas")

    after = {
        recipient: (status, error) for recipient, status, error in rows(desk, ticket, "escalation")
    }
    status, error = after[head(desk, "DISHUB")]
    assert status == "failed"
    assert error == (
        f"not sent: after a change to {ticket.code}, its agency head is {head(desk, 'DBM')}"
    )
    assert after[kecamatan][0] == "pending"  # the same area: its office is still told
    # The start clock stopped with the transfer: Bina Marga is not told of Dishub's lateness.
    assert head(desk, "DBM") not in after
    sent = {mail.recipient for mail in claim(desk.session, now=wib(13, 40), limit=50)}
    assert head(desk, "DISHUB") not in sent and kecamatan in sent


def test_a_change_that_keeps_the_addressee_keeps_the_mail(desk: Desk) -> None:
    ticket = breached(desk)
    before = rows(desk, ticket, "escalation")
    desk.now = wib(13, 35)  # after the sweep that queued the breach
    desk.act(ticket, "update", "admin", priority="high", note="satu lajur sudah dibuka")
    assert rows(desk, ticket, "escalation") == before
    assert {status for _, status, _ in before} == {"pending"}


def test_recategorised_as_pungli_nobody_of_the_former_agency_or_the_area_is_told(
    desk: Desk,
) -> None:
    """The tester's case: not yet verified, so the new category routes it anew."""
    desk.now = wib(9) - timedelta(minutes=5)
    ticket = desk.submit()
    desk.act(ticket, "update", "admin", priority="urgent", note="jalan tertutup total")
    sweep_batch(desk.session, now=wib(13, 30))  # its verify clock is long past
    queued = {recipient for recipient, _, _ in rows(desk, ticket, "escalation")}
    assert {head(desk, "DISHUB"), head(desk, "KEC-GAMBIR")} <= queued

    desk.act(ticket, "update", "admin", category="illegal_levy", note="ternyata pungli")

    assert ticket.agency.code != "DISHUB"
    sent = {mail.recipient for mail in claim(desk.session, now=wib(13, 40), limit=50)}
    gone = {head(desk, "DISHUB"), head(desk, "KEC-GAMBIR"), head(desk, "WALKOT-JP")}
    assert gone <= queued and sent.isdisjoint(gone)
    # The governor's office oversees every complaint, pungli too: still told.
    assert head(desk, "GUB") in sent


def test_a_citizens_comment_queued_for_one_officer_reaches_the_officer_who_has_it_now(
    desk: Desk,
) -> None:
    desk.now = wib(9)
    ticket = desk.submit(reporter_email="warga@example.id")
    desk.act(ticket, "verify", "admin")
    desk.act(ticket, "assign", "admin", officer="staff@tanggap.example")
    desk.act(ticket, "comment", "citizen", note="Sudah tiga jam, belum ada petugas datang")
    assert rows(desk, ticket, "citizen_follow_up") == [("staff@tanggap.example", "pending", None)]

    desk.act(ticket, "reassign", "admin", officer="supervisor@tanggap.example", note="ganti")

    first, second = rows(desk, ticket, "citizen_follow_up")
    assert first == (
        "staff@tanggap.example",
        "failed",
        f"not sent: after a change to {ticket.code}, forwarded to supervisor@tanggap.example",
    )
    assert second == ("supervisor@tanggap.example", "pending", None)
    (mail,) = [
        m for m in claim(desk.session, now=desk.now, limit=50) if m.kind == "citizen_follow_up"
    ]
    assert mail.recipient == "supervisor@tanggap.example"
    assert "Sudah tiga jam, belum ada petugas datang" in mail.text
    assert "Supervisor" in mail.text  # addressed to them by name, not to the former officer


def test_a_location_correction_tells_the_kecamatan_office_now_responsible(desk: Desk) -> None:
    """A tester's report: the breach was queued to Dishub's head and the Gambir kecamatan
    office; staff corrected the location into Menteng before delivery. Gambir's mail was
    withdrawn and Menteng's office, now responsible, was never told (the breach stays in the
    ledger, so no later sweep would tell it). The running clock's level goes to Menteng now."""
    ticket = breached(desk)
    gambir, menteng, dishub = (head(desk, c) for c in ("KEC-GAMBIR", "KEC-MENTENG", "DISHUB"))
    desk.now = wib(13, 35)
    desk.act(
        ticket,
        "update",
        "admin",
        lat=-6.19675,
        lon=106.82925,
        priority="urgent",
        note="lokasi di Menteng",
    )

    after = rows(desk, ticket, "escalation")
    assert [r for r in after if r[0] == gambir] == [
        (
            gambir,
            "failed",
            f"not sent: after a change to {ticket.code}, its kecamatan office is {menteng}",
        )
    ]
    assert [r for r in after if r[0] == menteng] == [(menteng, "pending", None)]
    assert [r for r in after if r[0] == dishub] == [(dishub, "pending", None)]  # not twice
    mails = {m.recipient: m for m in claim(desk.session, now=wib(13, 40), limit=50)}
    assert gambir not in mails
    letter = mails[menteng]
    assert "Menteng" in letter.text and "Gambir" not in letter.text
    assert ticket.code in letter.subject
    # A second change that keeps Menteng tells nobody again.
    desk.act(ticket, "comment", "admin", note="satu lajur sudah dibuka")
    assert len([r for r in rows(desk, ticket, "escalation") if r[0] == menteng]) == 1


def test_a_correction_after_which_the_level_no_longer_holds_tells_nobody_anew(
    desk: Desk,
) -> None:
    """The same correction, with the priority lowered at once: under the policy the ticket has
    now, its start clock is not late, so Menteng is not told of a breach there is not."""
    ticket = breached(desk)
    menteng = head(desk, "KEC-MENTENG")
    desk.now = wib(13, 35)
    desk.act(ticket, "update", "admin", lat=-6.19675, lon=106.82925, priority="normal")
    assert menteng not in {r[0] for r in rows(desk, ticket, "escalation")}


def test_mail_waiting_for_an_officer_who_is_deactivated_goes_to_the_queue(desk: Desk) -> None:
    """A tester's report: an officer was assigned, the reporter commented, then the officer's
    account was deactivated (they left); within a minute the hand-over and the citizen's comment
    were delivered to the departed officer's mailbox. Deactivation re-reads waiting mail as a
    change to the ticket does: the hand-over is not sent, the comment goes to the queue.

    A later report: the ticket still named the deactivated officer and nothing fell back to
    the agency's queue (the hand-over withdrawn, "its officer is nobody", reached nobody).
    Deactivation hands their open tickets back to the queue, as a move does, and tells it."""
    from engine.staff import set_staff_active

    desk.now = wib(9)
    ticket = desk.submit(reporter_email="warga@example.id")
    desk.act(ticket, "verify", "admin")
    desk.act(ticket, "assign", "admin", officer="staff@tanggap.example")
    desk.act(ticket, "comment", "citizen", note="tiang nomor 9")
    assert rows(desk, ticket, "handover")[0][:2] == ("staff@tanggap.example", "pending")
    _dead(desk, ticket, "handover")  # a retry would send it again: not once they have left
    home = ticket.agency.code

    set_staff_active(desk.session, "staff@tanggap.example", active=False, now=desk.tick())

    assert ticket.officer is None and ticket.agency.code == home
    last = desk.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.seq)
    ).all()[-1]
    assert (last.trigger, last.actor_label, last.public) == ("reassign", "system", False)
    assert last.note == (
        f"Staff dinonaktifkan: laporan ini perlu petugas baru dari {home} / "
        f"Staff was deactivated: this ticket needs a new officer of {home}"
    )
    queue = desk.session.scalars(select(Agency.email).where(Agency.id == ticket.agency_id)).one()
    handover = rows(desk, ticket, "handover")
    assert handover == [
        (
            "staff@tanggap.example",
            "failed",
            "not sent: staff@tanggap.example was deactivated, its officer is nobody",
        ),
        (queue, "pending", None),  # the queue is told the work is back with it
    ]
    follow_ups = rows(desk, ticket, "citizen_follow_up")
    assert follow_ups == [
        (
            "staff@tanggap.example",
            "failed",
            f"not sent: staff@tanggap.example was deactivated, forwarded to {queue}",
        ),
        (queue, "pending", None),
    ]
    sent = claim(desk.session, now=desk.now, limit=50)
    assert "staff@tanggap.example" not in {m.recipient for m in sent}
    (comment,) = [m for m in sent if m.kind == "citizen_follow_up"]
    assert comment.recipient == queue and "tiang nomor 9" in comment.text
    (back,) = [m for m in sent if m.kind == "handover"]
    assert back.recipient == queue
    named = ticket.agency.name  # Dinas Perhubungan
    assert f"{ticket.code} masuk ke {named} / now with your agency" in back.subject
    assert (
        f"Report {ticket.code} is back in {named}'s queue: its officer can no longer handle "
        "it; no new officer is named yet." in back.text
    )
    assert (
        f"Staff dinonaktifkan: laporan ini perlu petugas baru dari {home} / "
        f"Staff was deactivated: this ticket needs a new officer of {home}"
    ) in back.text
    assert "Dear Sir or Madam" in back.text and "assigned to you" not in back.subject


def _dead(desk: Desk, ticket: Ticket, kind: str) -> None:
    """Every outbox row of ``kind`` about the ticket failed for now: the provider answered 503
    until the delivery flow gave up (what an operator's retry sends again)."""
    for row in desk.session.scalars(
        select(Notification).where(Notification.ticket_id == ticket.id, Notification.kind == kind)
    ):
        row.status, row.attempts, row.last_error = "dead", 8, "HTTP 503: Service Unavailable"
    desk.session.flush()


def test_a_dead_breach_mail_follows_a_location_correction_and_a_retry_leaves_it(
    desk: Desk,
) -> None:
    """A tester's report: the breach mail died on a SendGrid outage; the location was then
    corrected into Menteng; `outbox retry --all` sent the breach to Gambir's office and Menteng's
    was never told. A dead mail is re-read like a waiting one: Gambir's is not sent (and a retry
    leaves it), Menteng's office is told."""
    from engine.retries import requeue_all

    ticket = breached(desk)
    gambir, menteng, dishub = (head(desk, c) for c in ("KEC-GAMBIR", "KEC-MENTENG", "DISHUB"))
    _dead(desk, ticket, "escalation")
    desk.now = wib(13, 35)
    desk.act(ticket, "update", "admin", lat=-6.19675, lon=106.82925, priority="urgent")

    after = {r[0]: r[1:] for r in rows(desk, ticket, "escalation")}
    assert after[gambir] == (
        "failed",
        f"not sent: after a change to {ticket.code}, its kecamatan office is {menteng}",
    )
    assert after[menteng] == ("pending", None)
    assert after[dishub] == ("dead", "HTTP 503: Service Unavailable")  # still its to get

    again = requeue_all(desk.session, now=desk.tick(), ticket_id=ticket.id)
    assert [(left.value, n) for left, n in again.left.items()] == [
        ("after a change, its addressee no longer handles the ticket", 1)
    ]
    pending = {r[0] for r in rows(desk, ticket, "escalation") if r[1] == "pending"}
    assert gambir not in pending and {menteng, dishub} <= pending


def test_a_retry_leaves_a_dead_mail_whose_addressee_changed_by_another_path(desk: Desk) -> None:
    """The ticket's agency got a new head in the catalogue after the breach mail died (no
    change to the ticket re-read the row): a retry must not send the former head the mail."""
    from engine.retries import requeue_all

    ticket = breached(desk)
    former = head(desk, "DISHUB")
    _dead(desk, ticket, "escalation")
    agency = desk.session.scalars(select(Agency).where(Agency.code == "DISHUB")).one()
    agency.head_email = "kepala.baru@dishub.example"
    desk.session.flush()

    again = requeue_all(desk.session, now=desk.tick(), ticket_id=ticket.id)

    assert again.left[next(iter(again.left))] == 1
    assert [left.value for left in again.left] == [
        "after a change, its addressee no longer handles the ticket"
    ]
    statuses = {r[0]: r[1] for r in rows(desk, ticket, "escalation")}
    assert statuses[former] == "dead"
    assert {s for r, s in statuses.items() if r != former} == {"pending"}


def test_a_dead_status_mail_to_a_me_too_address_stays_unsent_once_taken_off_the_record(
    desk: Desk,
) -> None:
    """A tester's report: a status mail to a neighbour who said "me too" died on an outage;
    a supervisor took the report off the public record; `outbox retry --all` then sent the
    neighbour the mail (with a note naming an officer). Taking it down marks that mail not
    sent, and the retry leaves it; the reporter's own mail still goes."""
    from engine.outbox import NOT_PUBLIC_NOW
    from engine.retries import requeue_all

    desk.now = wib(9)
    desk.settings = desk.settings.model_copy(update={"citizen_mail_hold_minutes": 0})
    ticket = with_a_neighbour(desk)
    desk.act(ticket, "verify", "admin")
    assert {r[0] for r in rows(desk, ticket, "citizen_update")} >= {"tetangga@example.id"}
    _dead(desk, ticket, "citizen_update")

    desk.act(ticket, "unpublish", "supervisor", note="foto memuat wajah")

    after = [r for r in rows(desk, ticket, "citizen_update") if r[0] == "tetangga@example.id"]
    assert after == [("tetangga@example.id", "failed", NOT_PUBLIC_NOW)]
    requeue_all(desk.session, now=desk.tick(), ticket_id=ticket.id)
    neighbour = {
        s for r, s, _ in rows(desk, ticket, "citizen_update") if r == "tetangga@example.id"
    }
    assert neighbour == {"failed"}
    reporter = {s for r, s, _ in rows(desk, ticket, "citizen_update") if r == "warga@example.id"}
    assert "pending" in reporter


def test_a_stand_ins_copy_of_a_follow_up_is_readdressed_without_a_fault(desk: Desk) -> None:
    """A citizen's comment whose officer's mailbox bounced went to a stand-in up the chain; its
    copy's key names the stand-in (``follow-up:<ticket>:<seq>>address``). A reassignment while
    that copy waited read the event seq out of the whole key and failed the transition."""
    desk.now = wib(9)
    ticket = desk.submit(reporter_email="warga@example.id")
    desk.act(ticket, "verify", "admin")
    desk.act(ticket, "assign", "admin", officer="staff@tanggap.example")
    desk.act(ticket, "comment", "citizen", note="tiang nomor 9")
    (original,) = desk.session.scalars(
        select(Notification).where(
            Notification.ticket_id == ticket.id, Notification.kind == "citizen_follow_up"
        )
    )
    original.status, original.last_error = "failed", "bounce"
    key = original.dedupe_key
    assert key is not None
    desk.session.add(
        Notification(
            ticket_id=ticket.id,
            recipient="pengganti@tanggap.example",
            recipient_kind="assigned_officer",
            kind="citizen_follow_up",
            subject=original.subject,
            body=original.body,
            status="pending",
            attempts=0,
            next_attempt_at=desk.now,
            created_at=desk.now,
            dedupe_key=f"{key}>pengganti@tanggap.example",
        )
    )
    desk.session.flush()

    desk.act(ticket, "reassign", "admin", officer="supervisor@tanggap.example", note="ganti")

    copy = [
        r for r in rows(desk, ticket, "citizen_follow_up") if r[0] == "pengganti@tanggap.example"
    ]
    assert copy == [
        (
            "pengganti@tanggap.example",
            "failed",
            f"not sent: after a change to {ticket.code}, forwarded to supervisor@tanggap.example",
        )
    ]


def test_a_status_mail_retrying_for_a_me_too_address_is_withheld_once_off_the_record(
    desk: Desk,
) -> None:
    """Between the held mail (never tried) and the dead one (given up) lies a mail the provider
    turned away once and that waits for its next try: taking the report off the record stops
    it too."""
    from engine.outbox import NOT_PUBLIC_NOW

    desk.now = wib(9)
    desk.settings = desk.settings.model_copy(update={"citizen_mail_hold_minutes": 0})
    ticket = with_a_neighbour(desk)
    desk.act(ticket, "verify", "admin")
    for row in desk.session.scalars(
        select(Notification).where(
            Notification.ticket_id == ticket.id, Notification.kind == "citizen_update"
        )
    ):
        row.attempts, row.last_error = 2, "HTTP 503: Service Unavailable"  # pending, retrying
    desk.session.flush()

    desk.act(ticket, "unpublish", "supervisor", note="foto memuat wajah")

    neighbour = [r for r in rows(desk, ticket, "citizen_update") if r[0] == "tetangga@example.id"]
    assert neighbour == [("tetangga@example.id", "failed", NOT_PUBLIC_NOW)]
    reporter = {s for r, s, _ in rows(desk, ticket, "citizen_update") if r == "warga@example.id"}
    assert "pending" in reporter


# --- a catalogue reload re-reads the mail that waits -----------------------------------------

CATALOGUE_TEXT = (Path(__file__).resolve().parents[2] / "catalogue" / "jakarta.yaml").read_text()
TRAFFIC_JAM = """  - code: traffic_jam
    name_id: Kemacetan
    name_en: Traffic jam
    group: transport
    agency: DISHUB
    default_priority: normal
"""


def _reload(desk: Desk, old: str, new: str) -> dict[str, int]:
    assert old in CATALOGUE_TEXT
    return load_catalogue(
        desk.session, CATALOGUE_TEXT.replace(old, new, 1), now=desk.now, source="edited.yaml"
    ).as_dict()


def test_a_new_agency_head_in_the_catalogue_gets_the_breach_the_old_head_would_have(
    desk: Desk,
) -> None:
    """A tester's report: a breach waited for Dishub's head; the catalogue was reloaded with a
    new head; delivery then mailed the old head, and the new one was never told."""
    ticket = breached(desk)
    old = head(desk, "DISHUB")
    desk.now = wib(13, 35)

    summary = _reload(desk, f"head_email: {old}", "head_email: kadishub.baru@tanggap.example")

    after = {r: (s, e) for r, s, e in rows(desk, ticket, "escalation")}
    assert after[old] == (
        "failed",
        "not sent: the catalogue was reloaded, its agency head is kadishub.baru@tanggap.example",
    )
    assert after["kadishub.baru@tanggap.example"][0] == "pending"
    assert summary["waiting mail.updated"] == 1
    sent = {mail.recipient: mail for mail in claim(desk.session, now=wib(13, 40), limit=50)}
    assert old not in sent
    assert ticket.code in sent["kadishub.baru@tanggap.example"].subject


def test_a_reload_that_keeps_every_address_rewords_the_waiting_mail_in_place(desk: Desk) -> None:
    """A category renamed in the catalogue: the breach waiting for Dishub's head names it as the
    catalogue does now, in the same row (same recipient, status, no second mail)."""
    ticket = breached(desk)
    before = rows(desk, ticket, "escalation")
    desk.now = wib(13, 35)

    summary = _reload(desk, "name_en: Traffic jam", "name_en: Traffic congestion")

    assert rows(desk, ticket, "escalation") == before
    # The two breach mails and the hand-over waiting for the queue, each worded anew.
    assert summary["waiting mail.updated"] == 3
    texts = desk.session.scalars(
        select(Notification.body).where(
            Notification.ticket_id == ticket.id, Notification.kind == "escalation"
        )
    ).all()
    assert texts and all("Traffic congestion" in t and "Traffic jam" not in t for t in texts)


def test_a_category_made_non_public_by_a_reload_withholds_status_mail_from_me_too_addresses(
    desk: Desk,
) -> None:
    """A tester's report: the catalogue was reloaded with traffic_jam ``public: false``; a
    status mail waiting for a neighbour who said "me too" still went out. As when a report is
    re-categorised as pungli: the neighbour's mail is not sent, the reporter's is."""
    from engine.outbox import NOT_PUBLIC_NOW

    desk.now = wib(9)
    ticket = with_a_neighbour(desk)
    desk.act(ticket, "verify", "admin")
    assert {r[0] for r in rows(desk, ticket, "citizen_update")} >= {"tetangga@example.id"}
    desk.now = desk.tick()

    _reload(desk, TRAFFIC_JAM, TRAFFIC_JAM + "    public: false\n")

    neighbour = [r for r in rows(desk, ticket, "citizen_update") if r[0] == "tetangga@example.id"]
    assert neighbour and all(r[1:] == ("failed", NOT_PUBLIC_NOW) for r in neighbour)
    sent = {m.recipient for m in claim(desk.session, now=desk.tick(30), limit=50)}
    assert "tetangga@example.id" not in sent
    assert "warga@example.id" in sent


def test_an_officer_moved_to_another_agency_leaves_its_tickets_and_its_mail_behind(
    desk: Desk,
) -> None:
    """A tester's report: the officer holding a ticket was moved to another agency (``staff add
    --update --agency``); the ticket still named him, he could no longer work it, and within a
    minute the hand-over and the citizen's comment were delivered to his mailbox. The move hands
    the ticket to nobody in particular at once, on its timeline; the mail waiting for him is
    re-read as after a change to the ticket."""
    from engine.staff import add_staff

    desk.now = wib(9)
    ticket = desk.submit(reporter_email="warga@example.id")
    desk.act(ticket, "verify", "admin")
    desk.act(ticket, "assign", "admin", officer="staff@tanggap.example")
    desk.act(ticket, "comment", "citizen", note="tiang nomor 9")
    home = ticket.agency.code

    add_staff(desk.session, email="staff@tanggap.example", name="Staff", role="staff",
              agency="DBM", now=desk.tick(), update=True)  # fmt: skip

    assert ticket.officer is None and ticket.agency.code == home
    last = desk.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.seq)
    ).all()[-1]
    assert (last.trigger, last.actor_label, last.public) == ("reassign", "system", False)
    assert last.note == (
        f"Staff pindah ke DBM: laporan ini perlu petugas baru dari {home} / "
        f"Staff moved to DBM: this ticket needs a new officer of {home}"
    )
    queue = desk.session.scalars(select(Agency.email).where(Agency.id == ticket.agency_id)).one()
    assert rows(desk, ticket, "handover") == [
        (
            "staff@tanggap.example",
            "failed",
            "not sent: staff@tanggap.example moved to DBM, its officer is nobody",
        ),
        (queue, "pending", None),  # the queue is told the work is back with it
    ]
    assert rows(desk, ticket, "citizen_follow_up") == [
        (
            "staff@tanggap.example",
            "failed",
            f"not sent: staff@tanggap.example moved to DBM, forwarded to {queue}",
        ),
        (queue, "pending", None),
    ]
    sent = claim(desk.session, now=desk.now, limit=50)
    assert "staff@tanggap.example" not in {m.recipient for m in sent}
    (comment,) = [m for m in sent if m.kind == "citizen_follow_up"]
    assert comment.recipient == queue and "tiang nomor 9" in comment.text


def test_a_change_of_role_alone_leaves_the_officers_tickets_with_him(desk: Desk) -> None:
    from engine.staff import add_staff

    ticket = desk.submit()
    desk.act(ticket, "verify", "admin")
    desk.act(ticket, "assign", "admin", officer="supervisor@tanggap.example")
    version = ticket.version
    home = ticket.agency.code

    add_staff(desk.session, email="supervisor@tanggap.example", name="Supervisor",
              role="staff", agency=home, now=desk.tick(), update=True)  # fmt: skip

    assert ticket.officer is not None and ticket.officer.email == "supervisor@tanggap.example"
    assert ticket.version == version
    assert rows(desk, ticket, "handover")[0][:2] == ("supervisor@tanggap.example", "pending")


def test_a_location_correction_after_the_breach_went_out_tells_the_office_now_responsible(
    desk: Desk,
) -> None:
    """A helper's finding: the same correction into Menteng, but the breach had already been
    delivered to Gambir's kecamatan office. Nothing was waiting to withdraw, so Menteng's office,
    now responsible, never heard of it. It is told now; Gambir's delivered mail is left as it is
    and nobody else is told twice."""
    from engine.delivery import DeliveryPolicy, Outcome, SendResult, record

    ticket = breached(desk)
    gambir, menteng, dishub = (head(desk, c) for c in ("KEC-GAMBIR", "KEC-MENTENG", "DISHUB"))
    for mail in claim(desk.session, now=wib(13, 31), limit=50):
        record(desk.session, mail.id, SendResult(Outcome.SENT), now=wib(13, 31),
               policy=DeliveryPolicy())  # fmt: skip
    desk.now = wib(13, 35)

    desk.act(ticket, "update", "admin", lat=-6.19675, lon=106.82925, priority="urgent",
             note="lokasi di Menteng")  # fmt: skip

    after = rows(desk, ticket, "escalation")
    assert [r for r in after if r[0] == gambir] == [(gambir, "sent", None)]
    assert [r for r in after if r[0] == dishub] == [(dishub, "sent", None)]  # not twice
    assert [r for r in after if r[0] == menteng] == [(menteng, "pending", None)]
    (letter,) = [
        m for m in claim(desk.session, now=wib(13, 40), limit=50) if m.recipient == menteng
    ]
    assert "Menteng" in letter.text and "Gambir" not in letter.text
    # Another change tells nobody again.
    desk.act(ticket, "comment", "admin", note="satu lajur sudah dibuka")
    assert len([r for r in rows(desk, ticket, "escalation") if r[0] == menteng]) == 1


def unverified_breach(desk: Desk) -> Ticket:
    """An urgent jam reported at Monas (Kecamatan Gambir) and never verified: at 13:30 its
    verification clock's breach is swept, mailed to Dishub's head, the Gambir kecamatan office,
    the Jakarta Pusat mayor's office and the governor's, and not yet delivered."""
    desk.now = wib(9) - timedelta(minutes=5)
    ticket = desk.submit()
    desk.act(ticket, "update", "admin", priority="urgent", note="jalan tertutup total")
    sweep_batch(desk.session, now=wib(13, 30))
    queued = {recipient for recipient, _, _ in rows(desk, ticket, "escalation")}
    assert {head(desk, "DISHUB"), head(desk, "KEC-GAMBIR")} <= queued
    return ticket


def _ledger(desk: Desk, ticket: Ticket) -> set[tuple[str, str, bool]]:
    from engine.models import Escalation

    return {
        (e.timer_kind, e.level, e.mailed)
        for e in desk.session.scalars(select(Escalation).where(Escalation.ticket_id == ticket.id))
    }


def test_a_verify_that_corrects_the_location_moves_the_waiting_breach_to_the_office_now_responsible(
    desk: Desk,
) -> None:
    """A tester's report: a verify with a new location (into another kecamatan) withdrew the
    verification breach waiting for the former kecamatan office ("its kecamatan office is
    kec-…") and told nobody instead, though the ledger says mailed: the verify ended the clock
    in the same event, and a stopped clock's level was never told anew. An ``update`` with the
    same correction told the new office; every trigger that corrects the location does now."""
    ticket = unverified_breach(desk)
    gambir, menteng, dishub = (head(desk, c) for c in ("KEC-GAMBIR", "KEC-MENTENG", "DISHUB"))
    desk.now = wib(13, 35)

    desk.act(ticket, "verify", "admin", lat=MENTENG[0], lon=MENTENG[1], priority="urgent",
             note="lokasi di Menteng")  # fmt: skip

    assert ticket.area.name == "Kelurahan Menteng" and ticket.state == "verified"
    after = rows(desk, ticket, "escalation")
    assert [r for r in after if r[0] == gambir] == [
        (gambir, "failed", f"not sent: after a change to {ticket.code}, its kecamatan office is "
                           f"{menteng}")
    ]  # fmt: skip
    assert [r for r in after if r[0] == dishub] == [(dishub, "pending", None)]  # not twice
    assert [r for r in after if r[0] == menteng] == [(menteng, "pending", None)]
    assert ("verify", "breach", True) in _ledger(desk, ticket)
    mails = {m.recipient: m for m in claim(desk.session, now=wib(13, 40), limit=50)}
    assert gambir not in mails
    letter = mails[menteng]
    assert letter.subject.endswith(": Kemacetan, Kelurahan Menteng")
    assert "Wilayah / area: Kelurahan Menteng" in letter.text
    assert "Gambir" not in letter.subject + letter.text + (letter.html or "")
    assert f"/staff/tickets/{ticket.code}" in letter.text
    # Another change tells nobody again.
    desk.act(ticket, "comment", "admin", note="satu lajur sudah dibuka")
    assert len([r for r in rows(desk, ticket, "escalation") if r[0] == menteng]) == 1


def test_a_verify_that_corrects_the_location_after_the_breach_went_out_tells_the_office_now_responsible(  # noqa: E501
    desk: Desk,
) -> None:
    """The same correction made by ``verify`` after the breach was delivered to Gambir's office:
    Menteng's office, responsible all along, is told; nobody else is told twice."""
    from engine.delivery import DeliveryPolicy, Outcome, SendResult, record

    ticket = unverified_breach(desk)
    gambir, menteng, dishub = (head(desk, c) for c in ("KEC-GAMBIR", "KEC-MENTENG", "DISHUB"))
    for mail in claim(desk.session, now=wib(13, 31), limit=50):
        record(desk.session, mail.id, SendResult(Outcome.SENT), now=wib(13, 31),
               policy=DeliveryPolicy())  # fmt: skip
    desk.now = wib(13, 35)

    desk.act(ticket, "verify", "admin", lat=MENTENG[0], lon=MENTENG[1], priority="urgent")

    after = rows(desk, ticket, "escalation")
    assert [r for r in after if r[0] == gambir] == [(gambir, "sent", None)]
    assert [r for r in after if r[0] == dishub] == [(dishub, "sent", None)]
    assert [r for r in after if r[0] == menteng] == [(menteng, "pending", None)]
    (letter,) = [
        m for m in claim(desk.session, now=wib(13, 40), limit=50) if m.recipient == menteng
    ]
    assert "Wilayah / area: Kelurahan Menteng" in letter.text and "Gambir" not in letter.text


KEBAYORAN = (-6.2615, 106.8106)  # Kecamatan Kebayoran Baru, Jakarta Selatan


@pytest.mark.parametrize("delivered", [False, True])
def test_a_second_correction_after_the_verify_stopped_the_clock_still_tells_the_office_now_responsible(  # noqa: E501
    desk: Desk, delivered: bool
) -> None:
    """A tester's report: a verify moved the report to Kebayoran Baru (its office got the
    verification breach, the clock ended with the verify); an ``update`` later moved it to
    Menteng. Kebayoran's waiting mail was withdrawn ("its kecamatan office is kec-menteng…")
    and Menteng's office was never told: only a clock stopped by the change itself counted. The
    office now responsible is told, whether its predecessor's mail waited or went."""
    from engine.delivery import DeliveryPolicy, Outcome, SendResult, record

    ticket = unverified_breach(desk)
    kebayoran, menteng, dishub, gambir = (
        head(desk, c) for c in ("KEC-KEBAYORAN-BARU", "KEC-MENTENG", "DISHUB", "KEC-GAMBIR")
    )
    desk.now = wib(13, 35)
    desk.act(ticket, "verify", "admin", lat=KEBAYORAN[0], lon=KEBAYORAN[1], priority="urgent")
    assert [r for r in rows(desk, ticket, "escalation") if r[0] == kebayoran] == [
        (kebayoran, "pending", None)
    ]
    if delivered:
        soon = desk.now + timedelta(minutes=1)
        for mail in claim(desk.session, now=soon, limit=50):
            record(desk.session, mail.id, SendResult(Outcome.SENT), now=soon,
                   policy=DeliveryPolicy())  # fmt: skip
    desk.now = wib(15)

    desk.act(ticket, "update", "admin", lat=MENTENG[0], lon=MENTENG[1], note="lokasi lagi")

    after = rows(desk, ticket, "escalation")
    assert [r for r in after if r[0] == kebayoran] == [
        (kebayoran, "sent", None)
        if delivered
        else (
            kebayoran,
            "failed",
            f"not sent: after a change to {ticket.code}, its kecamatan office is {menteng}",
        )
    ]
    assert [r for r in after if r[0] == menteng] == [(menteng, "pending", None)]
    assert len([r for r in after if r[0] == dishub]) == 1  # the agency is not told twice
    assert len([r for r in after if r[0] == gambir]) == 1
    (letter,) = [m for m in claim(desk.session, now=wib(15, 5), limit=50) if m.recipient == menteng]
    assert "Wilayah / area: Kelurahan Menteng" in letter.text
    assert "Kebayoran" not in letter.subject + letter.text
    # Another change tells nobody again.
    desk.act(ticket, "comment", "admin", note="sudah dicek")
    assert len([r for r in rows(desk, ticket, "escalation") if r[0] == menteng]) == 1


def test_a_verify_that_reroutes_to_another_agency_tells_the_new_agency_nothing_of_the_old_lateness(
    desk: Desk,
) -> None:
    """The clock a verify ends stays ended for everyone but the area offices: a category
    correction at verification that routes the report to Bina Marga withdraws the breach
    waiting for Dishub's head and tells Bina Marga's head nothing (the kecamatan keeps its
    mail: the location did not change)."""
    ticket = unverified_breach(desk)
    gambir, dishub, dbm = (head(desk, c) for c in ("KEC-GAMBIR", "DISHUB", "DBM"))
    desk.now = wib(13, 35)

    desk.act(ticket, "verify", "admin", category="broken_road", priority="urgent")

    assert ticket.agency.code == "DBM"
    after = {r[0]: r[1] for r in rows(desk, ticket, "escalation")}
    assert after[dishub] == "failed" and after[gambir] == "pending"
    assert dbm not in after


def test_a_catalogue_edit_undone_gives_the_old_head_back_the_breach(desk: Desk) -> None:
    """A tester's report: a reload named a new head (the breach went to them), a second reload
    put the old head back; the new head's mail was withdrawn, the old head's stayed "not sent",
    and nobody got the breach. The old head's row goes back to pending, worded anew."""
    ticket = breached(desk)
    old = head(desk, "DISHUB")
    desk.now = wib(13, 35)
    _reload(desk, f"head_email: {old}", "head_email: kadishub.baru@tanggap.example")
    desk.now = wib(13, 37)

    load_catalogue(desk.session, CATALOGUE_TEXT, now=desk.now, source="jakarta.yaml")

    after = {r: (s, e) for r, s, e in rows(desk, ticket, "escalation")}
    assert after[old] == ("pending", None)
    assert after["kadishub.baru@tanggap.example"] == (
        "failed",
        f"not sent: the catalogue was reloaded, its agency head is {old}",
    )
    sent = [m for m in claim(desk.session, now=wib(13, 40), limit=50) if m.recipient == old]
    assert len(sent) == 1 and ticket.code in sent[0].subject


def test_a_category_made_public_again_gives_a_me_too_address_its_newest_status_mail(
    desk: Desk,
) -> None:
    """A tester's report: a reload made traffic_jam non-public (the neighbour's waiting status
    mail was withheld), a second reload made it public again, and the neighbour never heard of
    the report again while `outbox retry` still said "no longer public"."""
    from engine.outbox import NOT_PUBLIC_NOW

    desk.now = wib(9)
    desk.settings = desk.settings.model_copy(update={"citizen_mail_hold_minutes": 30})
    ticket = with_a_neighbour(desk)
    desk.act(ticket, "verify", "admin")
    desk.now = desk.tick()
    _reload(desk, TRAFFIC_JAM, TRAFFIC_JAM + "    public: false\n")
    neighbour = [r for r in rows(desk, ticket, "citizen_update") if r[0] == "tetangga@example.id"]
    assert neighbour and all(r[1:] == ("failed", NOT_PUBLIC_NOW) for r in neighbour)
    desk.now = desk.tick()

    load_catalogue(desk.session, CATALOGUE_TEXT, now=desk.now, source="jakarta.yaml")

    again = [r for r in rows(desk, ticket, "citizen_update") if r[0] == "tetangga@example.id"]
    assert [r[1] for r in again].count("pending") == 1
    sent = [m for m in claim(desk.session, now=desk.tick(60), limit=50)
            if m.recipient == "tetangga@example.id"]  # fmt: skip
    assert len(sent) == 1 and ticket.code in sent[0].subject


def test_a_report_put_back_on_the_record_tells_a_me_too_address_once(desk: Desk) -> None:
    """Unpublished while a status mail waited for a neighbour (withheld), then republished: the
    neighbour gets one mail about where the report stands, not one per change missed."""
    desk.now = wib(9)
    desk.settings = desk.settings.model_copy(update={"citizen_mail_hold_minutes": 30})
    ticket = with_a_neighbour(desk)
    desk.act(ticket, "verify", "admin")
    desk.act(ticket, "unpublish", "supervisor", note="foto memuat wajah")
    desk.act(ticket, "assign", "admin")
    desk.act(ticket, "republish", "supervisor", note="foto sudah diganti")

    sent = [m for m in claim(desk.session, now=desk.tick(60), limit=50)
            if m.recipient == "tetangga@example.id"]  # fmt: skip
    assert len(sent) == 1, [m.subject for m in sent]


def test_a_warning_still_waiting_when_the_work_is_done_in_time_is_not_sent(desk: Desk) -> None:
    """Found beside a tester's hand-over report: Dishub's queue was to be told "verification
    deadline near (50 %)" of a ticket already verified. A breach still goes: it was missed."""
    desk.now = wib(9)
    ticket = desk.submit()
    desk.act(ticket, "update", "admin", priority="urgent", note="jalan tertutup total")
    sweep_batch(desk.session, now=wib(9, 36))  # half the urgent 1-hour verification target
    (warning,) = rows(desk, ticket, "escalation")
    assert warning[:2] == ("dishub.queue@tanggap.example", "pending")

    desk.now = wib(9, 40)
    desk.act(ticket, "verify", "admin")

    assert rows(desk, ticket, "escalation") == [
        (
            "dishub.queue@tanggap.example",
            "failed",
            f"not sent: after a change to {ticket.code}, the work was done before its deadline",
        )
    ]
    assert not [m for m in claim(desk.session, now=wib(9, 45), limit=50) if m.kind == "escalation"]


def test_a_breach_still_waiting_when_the_work_is_done_late_is_sent(desk: Desk) -> None:
    ticket = breached(desk)  # the start clock's breach, queued at 13:30
    desk.now = wib(13, 35)
    desk.act(ticket, "start", "admin")
    assert {status for _, status, _ in rows(desk, ticket, "escalation")} == {"pending"}


def test_a_warning_still_waiting_when_the_work_is_done_after_the_deadline_is_sent(
    desk: Desk,
) -> None:
    """A tester's report: the verification warning waited for the queue, the deadline passed,
    and the late verify withdrew the warning as "the work was done before its deadline" while
    the clock read breached; the breach, recorded after the verify, was not mailed either, so
    the queue never heard of the verification at all. A warning whose clock stopped after its
    deadline was not met: it goes."""
    from engine.models import Escalation

    desk.now = wib(9)
    ticket = desk.submit()  # 09:05, Dishub
    desk.act(ticket, "update", "admin", priority="urgent", note="jalan tertutup total")
    sweep_batch(desk.session, now=wib(9, 36))  # half the urgent 1-hour verification target
    assert rows(desk, ticket, "escalation") == [("dishub.queue@tanggap.example", "pending", None)]

    desk.now = wib(10, 15)
    desk.act(ticket, "verify", "admin")  # 10:20: the deadline (about 10:05) has passed

    assert rows(desk, ticket, "escalation") == [("dishub.queue@tanggap.example", "pending", None)]
    (mail,) = [m for m in claim(desk.session, now=wib(10, 21), limit=50) if m.kind == "escalation"]
    assert mail.recipient == "dishub.queue@tanggap.example"
    assert "Tingkat eskalasi / escalation level: peringatan / warning (50% dari target" in mail.text
    sweep_batch(desk.session, now=wib(10, 25))
    ledger = desk.session.execute(
        select(Escalation.level, Escalation.mailed)
        .where(Escalation.ticket_id == ticket.id, Escalation.timer_kind == "verify")
        .order_by(Escalation.percent)
    ).all()
    assert [tuple(row) for row in ledger] == [("warning", True), ("breach", False)]


def test_a_late_verify_that_moves_the_report_to_another_agency_says_so_not_that_it_was_in_time(
    desk: Desk,
) -> None:
    """The tester's own steps: a flood's warning waited for Dinas SDA's queue; after the
    deadline the verify corrected the category to traffic_jam (Dishub). The queue is not told
    (the report is Dishub's now), and the outbox says why: not "the work was done before its
    deadline", which it was not."""
    ticket = _flood_warned(desk)  # submitted 09:00, verification deadline 09:30
    desk.now = wib(9, 35)
    desk.act(ticket, "verify", "admin", category="traffic_jam")  # 09:40

    assert rows(desk, ticket, "escalation") == [
        (
            "dsda.queue@tanggap.example",
            "failed",
            f"not sent: after a change to {ticket.code}, "
            "its agency queue is dishub.queue@tanggap.example",
        )
    ]


def test_a_warning_of_a_clock_a_rejection_ended_in_time_says_it_was_ended(desk: Desk) -> None:
    """The assignment warning waited for the queue; the report was then rejected, before the
    assignment deadline: the warning is not sent, and the outbox does not claim the work was
    done."""
    desk.now = wib(9)
    ticket = desk.submit()
    desk.act(ticket, "update", "admin", priority="urgent", note="jalan tertutup total")
    desk.act(ticket, "verify", "admin")  # 09:15: the urgent 2-hour assignment clock starts
    sweep_batch(desk.session, now=wib(10, 16))  # half of it
    assert rows(desk, ticket, "escalation") == [("dishub.queue@tanggap.example", "pending", None)]

    desk.now = wib(10, 20)
    desk.act(ticket, "reject", "admin", note="bukan wewenang kami")

    assert rows(desk, ticket, "escalation") == [
        (
            "dishub.queue@tanggap.example",
            "failed",
            f"not sent: after a change to {ticket.code}, "
            "its clock was ended before its deadline (reject)",
        )
    ]


# --- a reload that changes whom a ladder level notifies --------------------------------------

WARNING_LEVEL = (
    "{name: warning, name_id: peringatan, name_en: warning, percent: 50, "
    "notify: [assigned_officer, agency_queue]}\n      - {name: breach"
)


def _flood_warned(desk: Desk) -> Ticket:
    """A flood at Monas (emergency policy: 24/7, verify 30 min, Dinas SDA), submitted at 09:00;
    at 09:20 the sweep queues the verification warning (50 %) to Dinas SDA's queue."""
    desk.now = wib(9) - timedelta(minutes=5)
    ticket = desk.submit(category="flood")
    sweep_batch(desk.session, now=wib(9, 20))
    assert rows(desk, ticket, "escalation") == [("dsda.queue@tanggap.example", "pending", None)]
    return ticket


def _ledger(desk: Desk, ticket: Ticket) -> list[tuple[str, str, bool]]:
    from engine.models import Escalation

    found = desk.session.execute(
        select(Escalation.timer_kind, Escalation.level, Escalation.mailed)
        .where(Escalation.ticket_id == ticket.id)
        .order_by(Escalation.timer_kind, Escalation.percent)
    )
    return [tuple(row) for row in found]  # type: ignore[misc]


def test_a_ladder_level_that_now_notifies_someone_else_withdraws_the_waiting_mail_and_tells_them(
    desk: Desk,
) -> None:
    """A tester's report: the emergency ladder's warning was changed from [assigned_officer,
    agency_queue] to [agency_head] and the catalogue reloaded while the warning waited for Dinas
    SDA's queue. The load said nothing of the waiting mail, the queue was still mailed, and the
    head, whom the level names now, was never told."""
    ticket = _flood_warned(desk)
    desk.now = wib(9, 22)

    summary = _reload(
        desk,
        WARNING_LEVEL,
        WARNING_LEVEL.replace("[assigned_officer, agency_queue]", "[agency_head]"),
    )

    assert rows(desk, ticket, "escalation") == [
        (
            "dsda.queue@tanggap.example",
            "failed",
            "not sent: the catalogue was reloaded, "
            "the warning level no longer notifies the agency queue",
        ),
        ("dsda.head@tanggap.example", "pending", None),
    ]
    assert summary["waiting mail.updated"] >= 1
    assert ("verify", "warning", True) in _ledger(desk, ticket)
    sent = {m.recipient: m for m in claim(desk.session, now=wib(9, 23), limit=50)}
    assert "dsda.queue@tanggap.example" not in sent
    letter = sent["dsda.head@tanggap.example"]
    assert ticket.code in letter.subject
    assert (
        "Tingkat eskalasi / escalation level: peringatan / warning (50% dari target" in letter.text
    )
    # A second reload of the same catalogue tells nobody again.
    desk.now = wib(9, 24)
    _reload(
        desk,
        WARNING_LEVEL,
        WARNING_LEVEL.replace("[assigned_officer, agency_queue]", "[agency_head]"),
    )
    assert len(rows(desk, ticket, "escalation")) == 2


HEAD_ONLY = WARNING_LEVEL.replace("[assigned_officer, agency_queue]", "[agency_head]")


def test_a_ladder_edit_undone_gives_the_queue_back_its_warning(desk: Desk) -> None:
    ticket = _flood_warned(desk)
    desk.now = wib(9, 22)
    _reload(desk, WARNING_LEVEL, HEAD_ONLY)
    desk.now = wib(9, 23)

    load_catalogue(desk.session, CATALOGUE_TEXT, now=desk.now, source="jakarta.yaml")

    assert rows(desk, ticket, "escalation") == [
        ("dsda.queue@tanggap.example", "pending", None),
        (
            "dsda.head@tanggap.example",
            "failed",
            "not sent: the catalogue was reloaded, "
            "the warning level no longer notifies the agency head",
        ),
    ]
    sent = [m for m in claim(desk.session, now=wib(9, 24), limit=50) if m.kind == "escalation"]
    assert [m.recipient for m in sent] == ["dsda.queue@tanggap.example"]
    assert "peringatan / warning (50% dari target" in sent[0].text


def test_a_stand_ins_copy_goes_to_them_as_their_own_once_the_level_names_them(desk: Desk) -> None:
    """Dinas SDA's queue bounced, so the warning went to the head in its place, saying so; the
    ladder then named the head itself: the head's mail no longer says it stands in for the
    queue, and the head gets one mail, not two."""
    from datetime import UTC

    from engine.models import UndeliverableAddress

    desk.session.add(
        UndeliverableAddress(
            email="dsda.queue@tanggap.example",
            event="bounce",
            reason="550 mailbox unavailable",
            flagged_at=datetime(2026, 11, 20, tzinfo=UTC),
        )
    )
    desk.now = wib(9) - timedelta(minutes=5)
    ticket = desk.submit(category="flood")
    sweep_batch(desk.session, now=wib(9, 20))
    (copy,) = desk.session.scalars(
        select(Notification).where(
            Notification.ticket_id == ticket.id, Notification.kind == "escalation"
        )
    ).all()
    assert copy.recipient == "dsda.head@tanggap.example" and "dsda.queue" in (copy.note or "")
    desk.now = wib(9, 22)

    _reload(desk, WARNING_LEVEL, HEAD_ONLY)

    assert rows(desk, ticket, "escalation") == [("dsda.head@tanggap.example", "pending", None)]
    (mail,) = [m for m in claim(desk.session, now=wib(9, 23), limit=50) if m.kind == "escalation"]
    assert mail.recipient == "dsda.head@tanggap.example"
    assert "dsda.queue" not in mail.text
    assert "peringatan / warning (50% dari target" in mail.text


# --- a reload that moves the queue and the target at once ------------------------------------

EMERGENCY_TARGETS = "targets: {verify: 30m, assign: 1h, start: 2h, resolve: 24h, accept: 1h}"
DSDA_QUEUE = "email: dsda.queue@tanggap.example"


def _catalogue(verify: str, queue: str = DSDA_QUEUE) -> str:
    assert CATALOGUE_TEXT.count(EMERGENCY_TARGETS) == 1 and CATALOGUE_TEXT.count(DSDA_QUEUE) == 1
    return CATALOGUE_TEXT.replace(
        EMERGENCY_TARGETS, EMERGENCY_TARGETS.replace("verify: 30m", f"verify: {verify}")
    ).replace(DSDA_QUEUE, queue)


def _load(desk: Desk, text: str, at: datetime) -> None:
    desk.now = at
    load_catalogue(desk.session, text, now=at, source="edited.yaml")


def _two_minute_flood(desk: Desk) -> Ticket:
    """The tester's setup: the emergency policy verifies in 2 minutes; a flood submitted at
    09:00 has its warning (50 %) queued to Dinas SDA's queue by the sweep at 09:01:30."""
    _load(desk, _catalogue("2m"), wib(8, 50))
    desk.now = wib(9) - timedelta(minutes=5)
    ticket = desk.submit(category="flood")
    sweep_batch(desk.session, now=wib(9, 1) + timedelta(seconds=30))
    assert rows(desk, ticket, "escalation") == [("dsda.queue@tanggap.example", "pending", None)]
    return ticket


NEW_QUEUE = "email: dsda.newqueue@tanggap.example"


def test_a_warning_withdrawn_by_a_reload_is_never_said_to_have_been_sent(desk: Desk) -> None:
    """A tester's report: one reload gave Dinas SDA a new queue address and the verification a
    60-minute target; the warning to the old queue was withdrawn and, under the longer target
    not due, told to nobody. A reload back to 2 minutes, a sweep: the ledger said the warning
    was mailed, and the breach told the agency head "told before: warning: agency queue". The
    warning went to nobody: the ledger says so, and the breach does not claim it."""
    from engine.models import Escalation

    ticket = _two_minute_flood(desk)
    _load(desk, _catalogue("60m", NEW_QUEUE), wib(9, 1) + timedelta(seconds=40))
    assert rows(desk, ticket, "escalation") == [
        (
            "dsda.queue@tanggap.example",
            "failed",
            "not sent: the catalogue was reloaded, "
            "its agency queue is dsda.newqueue@tanggap.example",
        )
    ]
    assert _ledger(desk, ticket) == [("verify", "warning", False)]

    # Back to 2 minutes at 09:02:30: the clock is past its deadline, so the warning ("the
    # deadline is near") is not told now; the breach is.
    _load(desk, _catalogue("2m", NEW_QUEUE), wib(9, 2) + timedelta(seconds=30))
    sweep_batch(desk.session, now=wib(9, 2) + timedelta(seconds=40))

    assert _ledger(desk, ticket) == [("verify", "warning", False), ("verify", "breach", True)]
    sent = {m.recipient: m for m in claim(desk.session, now=wib(9, 4), limit=50)}
    assert "dsda.newqueue@tanggap.example" not in sent
    breach = sent["dsda.head@tanggap.example"]
    assert "lewat batas waktu / deadline passed (100% dari target" in breach.text
    assert "told before" not in breach.text and "antrean instansi" not in breach.text
    mailed = desk.session.scalars(
        select(Escalation.mailed).where(
            Escalation.ticket_id == ticket.id, Escalation.level == "warning"
        )
    ).one()
    assert mailed is False


def test_a_warning_withdrawn_by_a_reload_is_told_to_the_new_queue_once_it_holds_again(
    desk: Desk,
) -> None:
    """The same reload, undone before the deadline: the warning holds again and goes to the queue
    the catalogue names now; the breach then says truly that the queue was told."""
    ticket = _two_minute_flood(desk)
    _load(desk, _catalogue("60m", NEW_QUEUE), wib(9, 1) + timedelta(seconds=40))
    assert _ledger(desk, ticket) == [("verify", "warning", False)]

    _load(desk, _catalogue("2m", NEW_QUEUE), wib(9, 1) + timedelta(seconds=50))

    assert rows(desk, ticket, "escalation")[1:] == [
        ("dsda.newqueue@tanggap.example", "pending", None)
    ]
    assert _ledger(desk, ticket) == [("verify", "warning", True)]
    sweep_batch(desk.session, now=wib(9, 2) + timedelta(seconds=40))
    sent = {m.recipient: m for m in claim(desk.session, now=wib(9, 4), limit=50)}
    warning = sent["dsda.newqueue@tanggap.example"]
    assert "peringatan / warning (50% dari target" in warning.text
    breach = sent["dsda.head@tanggap.example"]
    assert "peringatan / warning (50%): antrean instansi / agency queue" in breach.text
