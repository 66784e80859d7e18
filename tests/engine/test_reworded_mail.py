"""Mail waiting in the outbox says what the ticket says when it leaves, not what it said when
the mail was queued (engine/rewording.py).

A tester's report: an SLA breach was queued to Dinas Perhubungan's head and the Gambir
kecamatan office; staff corrected the ticket's location into Kelurahan Menteng before the
delivery flow ran. Gambir's mail was withdrawn and Menteng's office told, but the agency head's
mail — still his to get — went out reading "Wilayah: Kelurahan Gambir". The same for a
category correction and a change of priority (a re-based deadline), in escalations, hand-overs
and citizens' status mail. Mail already sent is never touched, and nobody gets a second mail.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from engine import environment
from engine.delivery import DeliveryPolicy, Outcome, Outgoing, SendResult, claim, record
from engine.escalation import sweep_batch
from engine.mail_dates import staff_moment
from engine.models import Agency, Notification, SlaTimer, Ticket

from .conftest import Desk

WIB = ZoneInfo("Asia/Jakarta")
MENTENG = (-6.19675, 106.82925)  # Kelurahan Menteng, Kecamatan Menteng
#: A correction that keeps the priority (the desk's "update" raises it to high otherwise).
KEEP = {"priority": "urgent"}
#: The address citizens use, as ``tanggap serve`` behind a proxy links to it.
PUBLIC = "https://lapor.jakarta.go.id"


def wib(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 23, hour, minute, tzinfo=WIB)


def head(desk: Desk, code: str) -> str:
    return desk.session.scalars(select(Agency.head_email).where(Agency.code == code)).one()


def queue(desk: Desk, code: str) -> str:
    return desk.session.scalars(select(Agency.email).where(Agency.code == code)).one()


def received(desk: Desk, at: datetime) -> dict[tuple[str, str], Outgoing]:
    """What the delivery flow hands the provider at ``at``, by (kind, recipient); each mail
    once (a second mail to the same person of the same kind fails the test)."""
    desk.session.flush()
    out = claim(desk.session, now=at, limit=100)
    found: dict[tuple[str, str], Outgoing] = {}
    for mail in out:
        assert (mail.kind, mail.recipient) not in found, f"two mails to {mail.recipient}"
        found[(mail.kind, mail.recipient)] = mail
    return found


def breached(desk: Desk) -> Ticket:
    """An urgent jam at Monas (Kelurahan Gambir), reported by a citizen with an e-mail, assigned
    to Dishub's queue at about 09:15 and never started: at 13:30 its start clock's breach is
    queued to Dishub's head and the Gambir kecamatan office; the hand-over to Dishub's queue and
    the reporter's status mail wait too (nothing has been delivered yet)."""
    desk.now = wib(9) - timedelta(minutes=5)
    ticket = desk.submit(reporter_email="warga@example.id")
    desk.act(ticket, "update", "admin", priority="urgent", note="jalan tertutup total")
    desk.act(ticket, "verify", "admin")
    desk.act(ticket, "assign", "admin")
    sweep_batch(desk.session, now=wib(13, 30))
    desk.session.flush()
    assert "Kelurahan Gambir" in ticket.area.name
    return ticket


def test_a_location_correction_rewords_the_mail_still_going_to_the_same_people(
    desk: Desk,
) -> None:
    ticket = breached(desk)
    dishub, gambir, menteng = (head(desk, c) for c in ("DISHUB", "KEC-GAMBIR", "KEC-MENTENG"))
    desk.now = wib(13, 31)
    desk.act(ticket, "comment", "citizen", note="Sudah empat jam, belum ada petugas")
    desk.now = wib(13, 35)
    desk.act(
        ticket, "update", "admin", lat=MENTENG[0], lon=MENTENG[1], **KEEP, note="lokasi di Menteng"
    )
    assert ticket.area.name == "Kelurahan Menteng"

    mails = received(desk, wib(13, 40))
    assert ("escalation", gambir) not in mails
    assert ("escalation", menteng) in mails
    breach = mails[("escalation", dishub)]
    assert breach.subject.endswith(": Kemacetan, Kelurahan Menteng")
    assert "Wilayah / area: Kelurahan Menteng" in breach.text
    assert "Gambir" not in breach.subject + breach.text + (breach.html or "")
    assert "Kelurahan Menteng" in (breach.html or "")
    handover = mails[("handover", queue(desk, "DISHUB"))]
    assert handover.subject.endswith(": Kemacetan, Kelurahan Menteng")
    assert "Wilayah / area: Kelurahan Menteng" in handover.text
    assert "Gambir" not in handover.subject + handover.text + (handover.html or "")
    comment = mails[("citizen_follow_up", queue(desk, "DISHUB"))]
    assert "Sudah empat jam, belum ada petugas" in comment.text
    assert "Kelurahan Menteng" in comment.text
    assert "Gambir" not in comment.subject + comment.text + (comment.html or "")


def test_a_category_correction_rewords_the_breach_to_the_agency_head(desk: Desk) -> None:
    ticket = breached(desk)
    dishub = head(desk, "DISHUB")
    desk.now = wib(13, 35)
    desk.act(ticket, "update", "admin", category="broken_traffic_light", **KEEP, note="lampu mati")
    assert ticket.agency.code == "DISHUB"  # the same agency: nobody is readdressed

    mails = received(desk, wib(13, 45))
    breach = mails[("escalation", dishub)]
    assert breach.subject.endswith(": Lampu lalu lintas (APILL) rusak, Kelurahan Gambir")
    assert (
        f"Laporan {ticket.code} — Lampu lalu lintas (APILL) rusak / Broken traffic light"
        in breach.text
    )
    assert "Kemacetan" not in breach.subject + breach.text + (breach.html or "")


def test_a_category_correction_rewords_the_reporters_waiting_status_mail(desk: Desk) -> None:
    """The reporter's mail about the assignment is held (or waits for its next try) when staff
    correct the category without a public note (nothing new to tell, so no rewrite joins it)."""
    desk.now = wib(9)
    ticket = desk.submit(reporter_email="warga@example.id")
    desk.act(ticket, "verify", "admin")
    desk.act(ticket, "assign", "admin")
    (row,) = desk.session.scalars(
        select(Notification).where(
            Notification.ticket_id == ticket.id, Notification.kind == "citizen_update"
        )
    )
    assert "(Kemacetan)" in row.body
    row.attempts, row.last_error = 1, "HTTP 503: Service Unavailable"  # waits for its next try
    desk.session.flush()

    desk.act(
        ticket, "update", "admin", category="broken_traffic_light", note="lampu mati", public=False
    )

    mails = received(desk, desk.now + timedelta(hours=1))
    status = mails[("citizen_update", "warga@example.id")]
    assert f"Laporan {ticket.code} (Lampu lalu lintas (APILL) rusak) kini berstatus" in status.text
    assert "Kemacetan" not in status.subject + status.text + (status.html or "")
    assert "Lampu lalu lintas (APILL) rusak" in (status.html or "")
    assert status.unsubscribe_url is not None  # the same reader's mail, with its link


def test_a_priority_change_rewords_the_deadline_in_waiting_mail(desk: Desk) -> None:
    """A jam of normal priority assigned to an officer; the hand-over waits (the provider
    turned it away once), and the priority is raised to urgent: the officer reads the urgent
    priority and the start clock's deadline under the urgent policy."""
    desk.now = wib(9)
    ticket = desk.submit()
    desk.act(ticket, "verify", "admin")
    desk.act(ticket, "assign", "admin", officer="staff@tanggap.example")
    (row,) = desk.session.scalars(
        select(Notification).where(
            Notification.ticket_id == ticket.id, Notification.kind == "handover"
        )
    )
    row.attempts, row.last_error = 1, "HTTP 503: Service Unavailable"  # waits for its next try
    assert "Prioritas / priority: biasa / normal" in row.body
    desk.session.flush()
    (start,) = desk.session.scalars(
        select(SlaTimer).where(SlaTimer.ticket_id == ticket.id, SlaTimer.kind == "start")
    )
    before = start.deadline

    desk.act(ticket, "update", "admin", priority="urgent", note="jalan tertutup total")

    desk.session.refresh(start)
    assert start.deadline < before  # re-based: the urgent policy's target is shorter
    mails = received(desk, desk.now)
    handover = mails[("handover", "staff@tanggap.example")]
    assert "Prioritas / priority: mendesak / urgent" in handover.text
    assert "normal" not in handover.text
    moment = start.deadline.astimezone(WIB)
    assert f"{moment:%H.%M} WIB" in handover.text
    assert f"{before.astimezone(WIB):%H.%M} WIB" not in handover.text


def test_a_breach_waiting_for_its_next_try_keeps_its_words_when_a_lower_priority_moves_the_deadline_ahead(  # noqa: E501
    desk: Desk,
) -> None:
    """The breach mail failed once (retrying), then the priority was lowered so that the start
    clock's deadline is still ahead. Worded anew, the mail would say "deadline passed" beside a
    deadline to come; it keeps the words that were true when the breach was decided (the urgent
    deadline and the lateness then), and stays the operator's to retry."""
    ticket = breached(desk)
    dishub = head(desk, "DISHUB")
    for row in desk.session.scalars(
        select(Notification).where(
            Notification.ticket_id == ticket.id, Notification.kind == "escalation"
        )
    ):
        row.status, row.attempts, row.last_error = "failed", 1, "HTTP 401: Unauthorized"
    desk.session.flush()
    (start,) = desk.session.scalars(
        select(SlaTimer).where(SlaTimer.ticket_id == ticket.id, SlaTimer.kind == "start")
    )
    urgent = staff_moment(start.deadline, WIB)
    (row,) = desk.session.scalars(
        select(Notification).where(
            Notification.ticket_id == ticket.id,
            Notification.kind == "escalation",
            Notification.recipient == dishub,
        )
    )
    words = (row.subject, row.body, row.html_body)
    desk.now = wib(13, 35)

    desk.act(ticket, "update", "admin", priority="high", note="satu lajur dibuka")

    desk.session.refresh(start)
    assert start.deadline > desk.now  # the breach is not reached under the new deadline
    desk.session.refresh(row)
    assert row.status == "failed" and row.attempts == 1  # still an operator's to retry
    assert (row.subject, row.body, row.html_body) == words
    assert f"deadline: {urgent}" in row.body


def test_mail_already_sent_is_never_reworded_and_nobody_gets_a_second_one(desk: Desk) -> None:
    ticket = breached(desk)
    dishub = head(desk, "DISHUB")
    first = received(desk, wib(13, 31))
    for mail in first.values():
        record(desk.session, mail.id, SendResult(Outcome.SENT), now=wib(13, 31),
               policy=DeliveryPolicy())  # fmt: skip
    sent = desk.session.get(Notification, first[("escalation", dishub)].id)
    assert sent is not None
    words = (sent.subject, sent.body, sent.html_body)
    assert "Wilayah / area: Kelurahan Gambir" in sent.body

    desk.now = wib(13, 35)
    desk.act(
        ticket, "update", "admin", lat=MENTENG[0], lon=MENTENG[1], **KEEP, note="lokasi di Menteng"
    )
    desk.act(ticket, "update", "admin", category="broken_traffic_light", **KEEP, note="lampu mati")

    desk.session.expire_all()
    sent = desk.session.get(Notification, first[("escalation", dishub)].id)
    assert sent is not None
    assert (sent.status, sent.subject, sent.body, sent.html_body) == ("sent", *words)
    again = received(desk, wib(13, 50))
    assert ("escalation", dishub) not in again  # told once, in the words it was sent in
    told = desk.session.scalars(
        select(Notification.recipient).where(
            Notification.ticket_id == ticket.id, Notification.kind == "escalation"
        )
    ).all()
    assert told.count(dishub) == 1


def test_a_category_correction_rewords_a_waiting_confirmation_mail_keeping_its_link(
    desk: Desk,
) -> None:
    """The reporter added a neighbour's address; the mail asking its owner to confirm waits
    when staff correct the category: it names the category now, with the same link."""
    from engine.reports import subscribe
    from engine.submission import Language

    desk.now = wib(9)
    ticket = desk.submit(reporter_email="warga@example.id")
    subscribe(desk.session, ticket.code, token=desk.tokens[ticket.code],
              email="tetangga@example.id", language=Language("id"), now=desk.tick())  # fmt: skip
    (row,) = desk.session.scalars(
        select(Notification).where(
            Notification.ticket_id == ticket.id, Notification.kind == "follow_confirmation"
        )
    )
    link = row.body.split("konfirmasi di sini: ")[1].split()[0]
    assert "(Kemacetan)" in row.body

    desk.act(
        ticket, "update", "admin", category="broken_traffic_light", note="lampu mati", public=False
    )

    mail = received(desk, desk.now)[("follow_confirmation", "tetangga@example.id")]
    assert f"tentang laporan {ticket.code} (Lampu lalu lintas (APILL) rusak)" in mail.text
    assert f"konfirmasi di sini: {link}" in mail.text and "Kemacetan" not in mail.text


def test_a_stand_ins_copy_keeps_saying_whose_mail_it_was_after_a_category_correction(
    desk: Desk,
) -> None:
    """Dishub's head's mailbox bounced, so the breach went up the chain to a stand-in, opening
    with whose mail it was; re-worded after the correction it still opens so."""
    from engine.models import UndeliverableAddress

    dishub = head(desk, "DISHUB")
    desk.session.add(
        UndeliverableAddress(email=dishub, event="bounce", reason="mailbox full", flagged_at=wib(8))
    )
    desk.session.flush()
    ticket = breached(desk)
    (copy,) = desk.session.scalars(
        select(Notification).where(
            Notification.ticket_id == ticket.id,
            Notification.kind == "escalation",
            Notification.note.is_not(None),
        )
    )
    stand_in = copy.recipient
    opening = f"Diteruskan kepada Anda: surel ke {dishub} tidak dapat diterima."
    assert copy.body.startswith(opening)
    desk.now = wib(13, 35)
    desk.act(ticket, "update", "admin", category="broken_traffic_light", **KEEP, note="lampu")

    mail = received(desk, wib(13, 45))[("escalation", stand_in)]
    assert mail.text.startswith(opening)
    assert "Lampu lalu lintas (APILL) rusak / Broken traffic light" in mail.text
    assert "Kemacetan" not in mail.subject + mail.text + (mail.html or "")
    assert dishub in (mail.html or "")


def test_a_status_mail_waiting_for_its_next_try_keeps_its_own_news_when_a_later_one_is_queued(
    desk: Desk,
) -> None:
    """The reporter's mail about the verification waits for its next try when the report is
    assigned (a mail of its own): re-worded, the first still says "verified", not the state the
    second mail tells of; both name the category now."""
    desk.now = wib(9)
    ticket = desk.submit(reporter_email="warga@example.id")
    desk.act(ticket, "verify", "admin")
    (row,) = desk.session.scalars(
        select(Notification).where(
            Notification.ticket_id == ticket.id, Notification.kind == "citizen_update"
        )
    )
    row.attempts, row.last_error = 1, "HTTP 503: Service Unavailable"
    desk.session.flush()
    desk.act(ticket, "assign", "admin")
    desk.act(ticket, "update", "admin", category="broken_traffic_light", note="x", public=False)

    desk.session.expire_all()
    first, second = desk.session.scalars(
        select(Notification)
        .where(Notification.ticket_id == ticket.id, Notification.kind == "citizen_update")
        .order_by(Notification.id)
    )
    light = "(Lampu lalu lintas (APILL) rusak)"
    assert f"{light} kini berstatus: Menunggu (terverifikasi)." in first.body
    assert f"{light} kini berstatus: Disposisi." in second.body


def test_a_mail_the_delivery_flow_took_before_the_change_keeps_its_words(desk: Desk) -> None:
    """Claimed (``sending``) before the correction: past recall, as the provider may have it."""
    ticket = breached(desk)
    dishub = head(desk, "DISHUB")
    taken = received(desk, wib(13, 31))[("escalation", dishub)]
    desk.now = wib(13, 35)
    desk.act(ticket, "update", "admin", lat=MENTENG[0], lon=MENTENG[1], **KEEP, note="Menteng")

    desk.session.expire_all()
    row = desk.session.get(Notification, taken.id)
    assert row is not None
    assert (row.status, row.subject, row.body) == ("sending", taken.subject, taken.text)
    assert "Kelurahan Gambir" in row.body


def test_a_change_made_where_links_point_elsewhere_keeps_each_waiting_mails_links(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tester's report: mail queued by ``tanggap serve`` (its links to the address citizens
    use) was re-worded by an operator's command run from another directory, whose base URL was
    the default ``http://127.0.0.1:8000``: the waiting mail's ``/t/…``, ``/unsubscribe/…`` and
    staff links then pointed where nothing listens. A re-worded mail keeps its own links."""
    served = desk.settings.model_copy(update={"public_base_url": PUBLIC})
    monkeypatch.setattr(environment, "settings", lambda: served)  # serve's processes
    desk.settings = served
    ticket = breached(desk)
    dishub = head(desk, "DISHUB")

    defaulted = served.model_copy(update={"public_base_url": "http://127.0.0.1:8000"})
    monkeypatch.setattr(environment, "settings", lambda: defaulted)  # a command run elsewhere
    desk.settings = defaulted
    desk.now = wib(13, 35)
    desk.act(
        ticket, "update", "admin", lat=MENTENG[0], lon=MENTENG[1], **KEEP, note="lokasi di Menteng"
    )

    mails = received(desk, wib(13, 40))
    breach = mails[("escalation", dishub)]
    handover = mails[("handover", queue(desk, "DISHUB"))]
    status = mails[("citizen_update", "warga@example.id")]
    for mail in (breach, handover):
        assert "Kelurahan Menteng" in mail.text  # re-worded ...
        assert f"{PUBLIC}/staff/tickets/{ticket.code}" in mail.text  # ... with its own links
        assert f"{PUBLIC}/staff/tickets/{ticket.code}" in (mail.html or "")
    assert f"{PUBLIC}/t/{ticket.code}" in status.text
    assert f"{PUBLIC}/unsubscribe/" in status.text
    assert (status.unsubscribe_url or "").startswith(f"{PUBLIC}/unsubscribe/")
    for mail in (breach, handover, status):
        assert ":8000" not in mail.text + (mail.html or "")
    # New mail is queued with the links of the process that queues it (the CLI says so).
    menteng = mails[("escalation", head(desk, "KEC-MENTENG"))]
    assert f"http://127.0.0.1:8000/staff/tickets/{ticket.code}" in menteng.text


def test_a_carried_followers_waiting_mail_keeps_saying_why_it_reaches_them(desk: Desk) -> None:
    """A reporter whose report was marked a duplicate follows the report that stands; their
    status mail of it, reworded after a category correction, still says why it reaches them."""
    desk.now = wib(9)
    standing = desk.submit(reporter_email="first@example.id")
    duplicate = desk.submit(reporter_email="sari@example.id")
    desk.act(duplicate, "mark_duplicate", "admin", duplicate_of=standing.code)
    desk.act(standing, "verify", "admin")
    row = desk.session.scalars(
        select(Notification).where(
            Notification.ticket_id == standing.id,
            Notification.kind == "citizen_update",
            Notification.recipient == "sari@example.id",
        )
    ).one()
    why = f"karena laporan Anda {duplicate.code} dinyatakan sama dengan laporan ini."
    assert why in row.body
    row.attempts, row.last_error = 1, "HTTP 503: Service Unavailable"  # waits for its next try
    desk.session.flush()

    desk.act(
        standing, "update", "admin", category="broken_traffic_light", note="lampu", public=False
    )

    desk.session.flush()
    (status,) = [
        mail
        for mail in claim(desk.session, now=desk.now + timedelta(hours=1), limit=100)
        if mail.recipient == "sari@example.id" and mail.ticket_code == standing.code
    ]
    assert "Lampu lalu lintas (APILL) rusak" in status.text
    assert why in status.text and why in (status.html or "")
    assert "karena mengikuti laporan ini" not in status.text


def test_a_category_correction_to_another_agency_rewords_the_area_offices_breach(
    desk: Desk,
) -> None:
    """A tester's report: a category correction moved a ticket from Dishub to Bina Marga while
    its breach to the area office waited. Dishub's head's mail was withdrawn and Bina Marga's
    head told; the area office's — still its to get — went out naming the old category and
    Dinas Perhubungan, an agency no longer holding the ticket."""
    desk.now = wib(9) - timedelta(minutes=5)
    ticket = desk.submit()  # a jam at Monas, never verified: Dishub's, Kelurahan Gambir
    late = datetime(2026, 11, 25, 9, tzinfo=WIB)
    sweep_batch(desk.session, now=late)
    desk.session.flush()
    waiting = set(
        desk.session.scalars(
            select(Notification.recipient).where(
                Notification.ticket_id == ticket.id, Notification.kind == "escalation"
            )
        )
    )
    offices = waiting - {head(desk, "DISHUB"), queue(desk, "DISHUB")}
    assert offices, waiting  # the area office is told of the breach too
    desk.now = late + timedelta(minutes=5)
    desk.act(ticket, "update", "admin", category="broken_street_light", note="PJU mati")
    assert ticket.agency.code == "DBM"

    mails = received(desk, late + timedelta(minutes=10))
    # The kelurahan office's breach (100 %) and the kecamatan's level (150 %): both still
    # reached as the ticket is now (Bina Marga's verification target, the time carried over).
    for office in (head(desk, "KEL-GAMBIR"), head(desk, "KEC-GAMBIR")):
        assert office in offices, offices
        breach = mails[("escalation", office)]
        words = breach.subject + breach.text + (breach.html or "")
        assert "Kemacetan" not in words and "Dinas Perhubungan" not in words, breach.text
        assert "Penerangan jalan umum (PJU) mati" in breach.subject, breach.subject
        assert "Instansi / agency: Dinas Bina Marga" in breach.text, breach.text
        # What it says was told before is what went, or goes, to the people named now: Dishub's
        # queue's warning was taken back with the ticket; Bina Marga's head is told the breach.
        told = breach.text.partition("told before:")[2].partition("\n\n")[0]
        assert "antrean instansi" not in told, breach.text
