"""A reporter's follow-up reaches someone: their comment (with photos), dispute or rating with
words is mailed, in Indonesian with English beside it (as escalations are), to whoever works
on the ticket — the assigned officer, else the
agency's queue, the next one up the chain when an address is undeliverable — once per event,
and never with the reporter's name or contact."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from engine import environment, outbox
from engine.delivery import DeliveryPolicy
from engine.errors import RuleViolated
from engine.mail_events import record_events
from engine.models import Agency, Notification, Staff, Ticket, TicketEvent, UndeliverableAddress

Desk = Any

QUEUE = "dishub.queue@tanggap.example"
HEAD = "dishub.head@tanggap.example"
OFFICER = "staff@tanggap.example"
REPORTER = {
    "reporter_name": "Sari Wulandari",
    "reporter_email": "sari.w@warga.example",
    "reporter_phone": "+6281234567890",
}


def follow_ups(desk: Desk, ticket: Ticket) -> list[Notification]:
    desk.session.flush()
    return list(
        desk.session.scalars(
            select(Notification)
            .where(Notification.ticket_id == ticket.id, Notification.kind == "citizen_follow_up")
            .order_by(Notification.id)
        )
    )


def worked_by_officer(desk: Desk) -> Ticket:
    """A traffic jam (Dishub) assigned to the officer ``staff@…`` who has started on it."""
    ticket = desk.ticket_in("verified", **REPORTER)
    desk.act(ticket, "assign", "admin", officer=OFFICER)
    desk.act(ticket, "start", "staff")
    return ticket


def flag(desk: Desk, *emails: str) -> None:
    for email in emails:
        desk.session.add(
            UndeliverableAddress(
                email=email,
                event="bounce",
                reason="550 5.1.1 mailbox unavailable",
                flagged_at=datetime(2026, 11, 20, tzinfo=UTC),
            )
        )
    desk.session.flush()


def no_reporter_contact(mail: Notification) -> None:
    everything = " ".join([mail.subject, mail.body, mail.html_body or "", mail.note or ""])
    for word in ("Sari", "Wulandari", "sari.w@", "warga.example", "81234567890"):
        assert word not in everything


def test_comment_with_photos_goes_to_the_assigned_officer_escaped_in_html(
    desk: Desk, photo: bytes
) -> None:
    ticket = worked_by_officer(desk)
    ticket.private = True
    words = 'Masih macet <script>alert("x")</script> & belum ada petugas'

    desk.act(ticket, "comment", "citizen", note=words, photos=[photo, photo])

    (mail,) = follow_ups(desk, ticket)
    assert (mail.recipient, mail.recipient_kind, mail.language) == (
        OFFICER, "assigned_officer", "id"
    )  # fmt: skip
    assert mail.subject == (
        f"[Tanggap] {ticket.code} tanggapan warga / citizen's comment: Kemacetan, Kelurahan Gambir"
    )
    # Indonesian first, then English, as the escalation mail reads; text mail is plain text.
    assert mail.body == (
        "Yth. Staff / Dear Staff,\n\n"
        f"Pelapor laporan {ticket.code} menambahkan tanggapan dengan 2 foto.\n"
        f"The reporter of report {ticket.code} added a comment with 2 photos.\n\n"
        f"Laporan / report: {ticket.code} — Kemacetan / Traffic jam\n"
        "Wilayah / area: Kelurahan Gambir\n"
        "Instansi / agency: Dinas Perhubungan\n"
        "Status: Proses / In progress\n\n"
        f"Tanggapan warga / the citizen's comment:\n{words}\n\n"
        "Foto / photos: 2 foto baru (tidak dilampirkan), lihat di rincian laporan / 2 new "
        "photos (not attached), see the report's details.\n\n"
        "Rincian laporan untuk staf / report details for staff: "
        f"http://127.0.0.1:8000/staff/tickets/{ticket.code}\n\n"
        "Identitas dan kontak pelapor tidak dicantumkan di surel ini; lihat di aplikasi sesuai "
        "peran Anda. Jangan membalas surel ini: tanggapi pelapor melalui Tanggap.\n"
        "The reporter's identity and contact are not in this mail; see them in the app as your "
        "role allows. Do not reply to this mail: answer the reporter through Tanggap.\n"
    )
    assert mail.html_body is not None
    assert "<script>" not in mail.html_body
    assert (
        "Masih macet &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; belum ada petugas"
        in mail.html_body
    )
    assert f'<a href="http://127.0.0.1:8000/staff/tickets/{ticket.code}">' in mail.html_body
    for both in (
        "Rincian laporan untuk staf / report details for staff</a>",
        "<tr><td>Status</td><td>Proses / In progress</td></tr>",
        f"The reporter of report <strong>{ticket.code}</strong> added a comment with 2 photos.",
        "Tanggapan warga / the citizen&#39;s comment:",
    ):
        assert both in mail.html_body
    assert "Disanggah" not in mail.body + mail.html_body
    no_reporter_contact(mail)
    assert mail.dedupe_key == f"follow-up:{ticket.id}:{ticket.version}"


def test_comment_before_assignment_goes_to_the_routed_agency_queue(desk: Desk) -> None:
    ticket = desk.submit(**REPORTER)  # routed to Dishub, nobody has verified it yet

    desk.act(ticket, "comment", "citizen", note="Sudah dua hari belum ada petugas")

    (mail,) = follow_ups(desk, ticket)
    assert (mail.recipient, mail.recipient_kind) == (QUEUE, "agency_queue")
    assert mail.body.startswith(
        "Yth. Bapak/Ibu / Dear Sir or Madam,\n\n"
        f"Pelapor laporan {ticket.code} menambahkan tanggapan.\n"
        f"The reporter of report {ticket.code} added a comment.\n\n"
    )
    assert "Status: Menunggu / Waiting\n" in mail.body
    assert "Tanggapan warga / the citizen's comment:\nSudah dua hari belum ada petugas\n" in (
        mail.body
    )
    assert "foto" not in mail.body.lower().split("tanggapan warga")[0]
    assert "photo" not in mail.body.lower()
    no_reporter_contact(mail)


def test_inactive_officer_leaves_it_to_the_agency_queue(desk: Desk) -> None:
    ticket = worked_by_officer(desk)
    desk.session.get(Staff, desk.staff["staff"].id).active = False

    desk.act(ticket, "comment", "citizen", note="Tolong dicek lagi")

    (mail,) = follow_ups(desk, ticket)
    assert (mail.recipient, mail.recipient_kind) == (QUEUE, "agency_queue")
    assert mail.note is None


def test_undeliverable_officer_goes_to_the_queue_and_it_says_why(desk: Desk) -> None:
    ticket = worked_by_officer(desk)
    flag(desk, OFFICER)

    desk.act(ticket, "comment", "citizen", note="Tolong dicek lagi")

    (mail,) = follow_ups(desk, ticket)
    assert (mail.recipient, mail.recipient_kind) == (QUEUE, "agency_queue")
    assert mail.body.startswith(
        f"Diteruskan kepada Anda: surel ke {OFFICER} tidak dapat diterima.\n"
    )
    assert mail.html_body is not None
    assert f"surel ke {OFFICER} tidak dapat diterima." in mail.html_body
    assert mail.note is not None and mail.note.startswith(
        f"instead of {OFFICER} (assigned_officer), undeliverable (bounce"
    )


def test_undeliverable_officer_and_queue_go_to_the_agency_head(desk: Desk) -> None:
    ticket = worked_by_officer(desk)
    flag(desk, OFFICER, QUEUE)

    desk.act(ticket, "comment", "citizen", note="Tolong dicek lagi")

    (mail,) = follow_ups(desk, ticket)
    assert (mail.recipient, mail.recipient_kind) == (HEAD, "agency_head")


def test_dispute_says_the_fix_did_not_hold(desk: Desk) -> None:
    ticket = worked_by_officer(desk)
    desk.act(ticket, "resolve", "staff", note="Petugas lalu lintas dikerahkan")
    assert follow_ups(desk, ticket) == []

    desk.act(ticket, "reopen", "citizen", note="Besoknya macet lagi, lampu masih mati")

    (mail,) = follow_ups(desk, ticket)
    assert mail.recipient == OFFICER
    assert mail.subject == (
        f"[Tanggap] {ticket.code} DISANGGAH warga / DISPUTED by the citizen: Kemacetan, "
        "Kelurahan Gambir"
    )
    assert (
        "Disanggah: warga menyatakan perbaikan tidak bertahan. Pelapor menyanggah penyelesaian "
        f"laporan {ticket.code}; laporan dibuka kembali dan kembali ke instansi Anda.\n"
        "Disputed: the citizen says the fix did not hold. The reporter disputes the resolution "
        f"of report {ticket.code}; the report is reopened and back with your agency.\n"
    ) in mail.body
    assert (
        "Alasan sanggahan dari warga / the citizen's reason for the dispute:\n"
        "Besoknya macet lagi, lampu masih mati\n"
    ) in mail.body
    assert "Status: Disposisi / Assigned\n" in mail.body  # reopened: back with the agency
    assert mail.html_body is not None
    assert "Disanggah: warga menyatakan perbaikan tidak bertahan." in mail.html_body
    assert "Disputed: the citizen says the fix did not hold." in mail.html_body
    no_reporter_contact(mail)


@pytest.mark.parametrize(
    ("rating", "words_id", "words_en"),
    [(1, "sangat buruk", "very bad"), (3, "cukup", "fair"), (5, "sangat baik", "very good")],
)
def test_a_rating_is_worded_as_the_rating_form_words_it(
    desk: Desk, rating: int, words_id: str, words_en: str
) -> None:
    """The form offers five words (1 very bad … 5 very good); the mail said "good" of both 4
    and 5 and "poor" of both 1 and 2 (found by a tester)."""
    ticket = worked_by_officer(desk)
    desk.act(ticket, "resolve", "staff", note="Lampu diganti")
    desk.act(ticket, "rate", "citizen", rating=rating, note="Catatan")

    (mail,) = follow_ups(desk, ticket)
    assert f"{rating} dari 5 ({words_id})" in mail.body
    assert f"{rating} out of 5 ({words_en})" in mail.body
    assert mail.html_body is not None
    assert f"<strong>{rating} out of 5</strong> ({words_en})" in mail.html_body


def test_a_rating_with_words_reaches_the_officer_and_a_bare_score_does_not(desk: Desk) -> None:
    ticket = worked_by_officer(desk)
    desk.act(ticket, "resolve", "staff", note="Lampu diganti")
    desk.act(ticket, "rate", "citizen", rating=4)
    assert follow_ups(desk, ticket) == []  # a score alone is for the figures

    desk.act(ticket, "rate", "citizen", rating=2, note="Lampu menyala, tapi <b>macet</b> tetap")

    (mail,) = follow_ups(desk, ticket)
    assert mail.recipient == OFFICER
    assert mail.subject == (
        f"[Tanggap] {ticket.code} penilaian warga 2/5 / citizen's rating 2/5: Kemacetan, "
        "Kelurahan Gambir"
    )
    assert f"menilai penyelesaian laporan {ticket.code}: 2 dari 5 (buruk)" in mail.body
    assert f"rated the resolution of report {ticket.code}: 2 out of 5 (bad)" in mail.body
    assert (
        "Catatan penilaian dari warga / the citizen's note with the rating:\n"
        "Lampu menyala, tapi <b>macet</b> tetap\n"
    ) in mail.body
    assert mail.html_body is not None
    assert "<strong>2 dari 5</strong> (buruk)" in mail.html_body
    assert "<strong>2 out of 5</strong> (bad)" in mail.html_body
    assert "tapi &lt;b&gt;macet&lt;/b&gt; tetap" in mail.html_body
    no_reporter_contact(mail)


@pytest.mark.parametrize("who", ["staff", "supervisor", "admin"])
def test_staff_comments_and_disputes_mail_no_staff(desk: Desk, who: str) -> None:
    ticket = worked_by_officer(desk)
    desk.act(ticket, "comment", who, note="Sudah dicek di lapangan")
    desk.act(ticket, "resolve", "staff")
    desk.act(ticket, "reopen", who, note="Belum tuntas")

    assert follow_ups(desk, ticket) == []


def test_control_characters_are_refused_before_anything_is_mailed(desk: Desk) -> None:
    ticket = worked_by_officer(desk)
    with pytest.raises(RuleViolated):
        desk.act(ticket, "comment", "citizen", note="macet\x1b[31m lagi")
    assert follow_ups(desk, ticket) == []


def test_one_mail_per_event_even_when_the_transaction_is_retried(desk: Desk) -> None:
    ticket = worked_by_officer(desk)
    attempt = desk.session.begin_nested()
    desk.act(ticket, "comment", "citizen", note="Percobaan pertama")
    assert len(follow_ups(desk, ticket)) == 1
    attempt.rollback()  # the request's transaction failed after the mail was queued
    desk.session.expire_all()
    assert follow_ups(desk, ticket) == []

    desk.act(ticket, "comment", "citizen", note="Percobaan kedua")
    desk.act(ticket, "comment", "citizen", note="Tanggapan berikutnya")
    first, second = follow_ups(desk, ticket)
    assert "Percobaan kedua" in first.body and "Tanggapan berikutnya" in second.body
    assert "Percobaan pertama" not in first.body + second.body

    # The hook called again for an event already forwarded queues nothing more.
    event = desk.session.scalars(
        select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.seq == ticket.version
        )
    ).one()
    assert outbox.on_citizen_follow_up(desk.session, ticket, event, desk.now) == 0
    assert len(follow_ups(desk, ticket)) == 2


def test_nobody_up_the_chain_tells_the_operator(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = desk.settings.model_copy(update={"operator_email": "ops@jakarta.example"})
    monkeypatch.setattr(environment, "settings", lambda: settings)
    ticket = desk.submit(**REPORTER)  # no officer: the queue, then the heads up the chain
    heads = desk.session.scalars(select(Agency.head_email)).all()
    flag(desk, QUEUE, *sorted({head.lower() for head in heads}))

    desk.act(ticket, "comment", "citizen", note="Halo?")

    assert follow_ups(desk, ticket) == []
    (alert,) = desk.session.scalars(
        select(Notification).where(Notification.kind == "operator_alert")
    ).all()
    assert alert.recipient == "ops@jakarta.example"
    assert alert.subject == f"[Tanggap] {ticket.code}: the reporter's comment reached nobody"
    assert f"{QUEUE} (agency_queue)" in alert.body
    assert "Halo?" not in alert.body


def test_a_bounce_after_sending_forwards_it_up_the_chain_once(desk: Desk) -> None:
    ticket = worked_by_officer(desk)
    desk.act(ticket, "comment", "citizen", note="Lampu masih mati")
    (first,) = follow_ups(desk, ticket)
    first.status = "sent"

    def bounce(row: Notification, event_id: str) -> None:
        record_events(
            desk.session,
            [{"event": "bounce", "tanggap_outbox_id": str(row.id), "sg_event_id": event_id}],
            now=desk.tick(),
            policy=DeliveryPolicy(),
        )

    bounce(first, "ev-officer")
    _, to_queue = follow_ups(desk, ticket)
    assert (to_queue.recipient, to_queue.recipient_kind) == (QUEUE, "agency_queue")
    assert to_queue.subject == first.subject
    assert to_queue.body == (
        f"Diteruskan kepada Anda: surel ke {OFFICER} tidak dapat diterima.\n"
        f"Forwarded to you: mail to {OFFICER} could not be delivered.\n\n{first.body}"
    )
    assert "Lampu masih mati" in to_queue.body

    bounce(first, "ev-officer-again")  # the provider reports it twice: no second stand-in
    bounce(to_queue, "ev-queue")  # the queue's mailbox is dead too: the head, not the officer
    recipients = [row.recipient for row in follow_ups(desk, ticket)]
    assert recipients == [OFFICER, QUEUE, HEAD]


# --- the state the citizen wrote in, beside the state now --------------------------------------
# A tester's report: a comment written while the report waited, forwarded once staff had
# verified, assigned, started and resolved it, read "Status: Selesai / Resolved": the mail is
# worded anew at every change and named only the state now, as if the citizen had written in it.


def test_a_comment_worded_anew_after_later_changes_names_the_state_it_was_written_in(
    desk: Desk,
) -> None:
    ticket = desk.submit(**REPORTER)
    desk.act(ticket, "comment", "citizen", note="Sudah dua hari belum ada petugas")
    for action in ("verify", "assign", "start", "resolve"):
        desk.act(ticket, action, "admin")

    (mail,) = follow_ups(desk, ticket)
    assert (mail.recipient, mail.status) == (QUEUE, "pending")
    assert (
        "Status saat itu / then: Menunggu / Waiting\nStatus sekarang / now: Selesai / Resolved\n"
    ) in mail.body
    assert "Status: " not in mail.body
    html = mail.html_body or ""
    assert "<tr><td>Status saat itu / then</td><td>Menunggu / Waiting</td></tr>" in html
    assert "<tr><td>Status sekarang / now</td><td>Selesai / Resolved</td></tr>" in html


def test_a_rating_worded_anew_after_the_close_names_both_states(desk: Desk) -> None:
    ticket = worked_by_officer(desk)
    desk.act(ticket, "resolve", "staff", note="Lampu diganti")
    desk.act(ticket, "rate", "citizen", rating=2, note="Lampu menyala, macet tetap")
    (queued,) = follow_ups(desk, ticket)
    assert "Status: Selesai / Resolved\n" in queued.body  # nothing changed yet: one line

    desk.act(ticket, "close", "staff")

    (mail,) = follow_ups(desk, ticket)
    assert (
        "Status saat itu / then: Selesai / Resolved\n"
        "Status sekarang / now: Selesai (ditutup) / Closed\n"
    ) in mail.body


def test_a_dispute_names_the_state_it_reopened_the_report_to_until_the_report_moves_on(
    desk: Desk,
) -> None:
    ticket = worked_by_officer(desk)
    desk.act(ticket, "resolve", "staff", note="Lampu diganti")
    desk.act(ticket, "reopen", "citizen", note="Besoknya macet lagi")
    (queued,) = follow_ups(desk, ticket)
    assert "Status: Disposisi / Assigned\n" in queued.body

    desk.act(ticket, "start", "staff")

    (mail,) = follow_ups(desk, ticket)
    assert (
        "Status saat itu / then: Disposisi / Assigned\n"
        "Status sekarang / now: Proses / In progress\n"
    ) in mail.body
