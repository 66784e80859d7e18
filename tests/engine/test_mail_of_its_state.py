"""A status mail says only what is true of the state it reports, however late it leaves.

A tester's report: with mail sent at once (hold 0) and the delivery flow not yet run, staff
verified, assigned, started and resolved a report; the mails "Waiting (verified)", "Assigned"
and "In progress" each told the reporter "you can dispute this resolution until …". Waiting
mail is worded anew at every change (``engine.rewording``) and kept its own state, but took the
ticket's dispute window as it was now. The same for the report to follow instead, which a
verification mail re-worded after the report was marked a duplicate named.

Each mail offers the dispute only when it names the resolution (or the close), the appeal only
when it names the rejection, the report to follow only when it names the duplicate; and a
window only while the ticket still stands on that verdict."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine.actors import Actor
from engine.delivery import DeliveryPolicy, Outcome, Outgoing, SendResult, claim, record
from engine.models import Notification, Ticket
from engine.submission import Report, submit

from .conftest import CATEGORY, MONAS, Desk

DISPUTE = {
    "en": "you can dispute this resolution until",
    "id": "Anda dapat menyanggah penyelesaian ini hingga",
}
APPEAL = {
    "en": "you can appeal the rejection until",
    "id": "Anda dapat mengajukan banding atas penolakan ini hingga",
}
#: What each step of the path is called in a mail's subject, by language.
SUBJECTS = {
    "en": ["Waiting (verified)", "Assigned", "In progress", "On hold", "In progress", "Resolved"],
    "id": ["Menunggu (terverifikasi)", "Disposisi", "Proses", "Ditunda", "Proses", "Selesai"],
}
PATH = ["verify", "assign", "start", "hold", "resume", "resolve"]


def hold(desk: Desk, minutes: int) -> None:
    desk.settings = desk.settings.model_copy(update={"citizen_mail_hold_minutes": minutes})


def report(desk: Desk, lang: str, door: str) -> Ticket:
    """A report with the reporter's e-mail, in ``lang``, filed by the citizen or by staff."""
    actor = Actor.citizen() if door == "citizen" else Actor.of_staff(desk.staff["staff"])
    result = submit(
        desk.session,
        Report(
            category=CATEGORY,
            description="Macet total di depan Monas sejak pagi",
            lat=MONAS[0],
            lon=MONAS[1],
            reporter_email="sari@warga.example",
            language=lang,
        ),
        actor=actor,
        now=desk.tick(),
        settings=desk.settings,
        storage=desk.storage,
    )
    desk.tokens[result.ticket.code] = result.reporter_token
    return result.ticket


def deliver(desk: Desk, *, outcome: Outcome = Outcome.SENT) -> list[Outgoing]:
    """One pass of the delivery flow at the desk's time: the status mails handed over."""
    desk.session.flush()
    out = claim(desk.session, now=desk.now, limit=100)
    for mail in out:
        record(desk.session, mail.id, SendResult(outcome), now=desk.now, policy=DeliveryPolicy())
    desk.session.flush()
    return [mail for mail in out if mail.kind == "citizen_update"]


def both(mail: Outgoing) -> str:
    return mail.text + (mail.html or "")


def subject_state(mail: Outgoing) -> str:
    return mail.subject.split(": ", 1)[1]


@pytest.mark.parametrize("door", ["citizen", "staff"])
@pytest.mark.parametrize("lang", ["en", "id"])
def test_mail_waiting_when_the_report_is_resolved_offers_the_dispute_only_in_the_resolved_mail(
    desk: Desk, lang: str, door: str
) -> None:
    hold(desk, 0)
    ticket = report(desk, lang, door)
    for action in PATH:
        desk.act(ticket, action, "admin")

    mails = deliver(desk)

    assert [subject_state(m) for m in mails] == SUBJECTS[lang]
    *earlier, resolved = mails
    for mail in earlier:
        assert DISPUTE[lang] not in both(mail), mail.subject
        assert "dispute" not in both(mail) and "menyanggah" not in both(mail), mail.subject
    # resolved at 09:35 WIB on 23 November: the window runs 7 days to the minute
    until = {
        "en": "you can dispute this resolution until 30 November 2026 at 09:35 WIB "
        "(7 days from its resolution).",
        "id": "Anda dapat menyanggah penyelesaian ini hingga 30 November 2026 pukul 09.35 WIB "
        "(7 hari sejak diselesaikan).",
    }[lang]
    assert until in resolved.text
    assert until in (resolved.html or "")


def test_a_mail_waiting_for_its_next_try_keeps_saying_only_what_its_state_offers(
    desk: Desk,
) -> None:
    """Held, then refused once by the provider (503): the verification mail waits for its next
    try while the report is assigned, started and resolved; it leaves without a dispute."""
    hold(desk, 5)
    ticket = report(desk, "en", "citizen")
    desk.act(ticket, "verify", "admin")
    desk.tick(5)
    (tried,) = deliver(desk, outcome=Outcome.RETRY)
    assert subject_state(tried) == "Waiting (verified)"
    for action in ("assign", "start", "resolve"):
        desk.act(ticket, action, "admin")

    desk.tick(60)
    by_state = {subject_state(m): m for m in deliver(desk)}

    assert set(by_state) == {"Waiting (verified)", "Resolved"}
    assert DISPUTE["en"] not in both(by_state["Waiting (verified)"])
    assert DISPUTE["en"] in by_state["Resolved"].text


def test_the_resolution_mail_still_waiting_at_the_close_keeps_its_dispute_and_loses_it_at_a_reopen(
    desk: Desk,
) -> None:
    hold(desk, 0)
    closed = report(desk, "en", "citizen")
    for action in PATH:
        desk.act(closed, action, "admin")
    desk.act(closed, "close", "admin")
    reopened = report(desk, "en", "citizen")
    for action in PATH:
        desk.act(reopened, action, "admin")
    desk.act(reopened, "reopen", "citizen", note="masih macet")

    mails = deliver(desk)

    of_closed = {subject_state(m): m for m in mails if closed.code in m.subject}
    # closed early by staff: the reporter may still dispute within the window
    assert DISPUTE["en"] in of_closed["Resolved"].text
    assert DISPUTE["en"] in of_closed["Closed"].text
    assert DISPUTE["en"] not in of_closed["In progress"].text
    of_reopened = {subject_state(m): m for m in mails if reopened.code in m.subject}
    # the reporter disputed it already: the resolution the mail names no longer stands
    assert DISPUTE["en"] not in both(of_reopened["Resolved"])
    assert DISPUTE["en"] not in both(of_reopened["Assigned"])


@pytest.mark.parametrize("lang", ["en", "id"])
def test_a_verification_mail_waiting_when_the_report_is_rejected_offers_no_appeal(
    desk: Desk, lang: str
) -> None:
    hold(desk, 0)
    ticket = report(desk, lang, "citizen")
    desk.act(ticket, "verify", "admin")
    desk.act(ticket, "reject", "admin", note="bukan wewenang kami")

    verified, rejected = deliver(desk)

    assert subject_state(verified) == SUBJECTS[lang][0]
    assert APPEAL[lang] not in both(verified)
    assert APPEAL[lang] in rejected.text and APPEAL[lang] in (rejected.html or "")


@pytest.mark.parametrize("lang", ["en", "id"])
def test_a_verification_mail_waiting_when_the_report_is_marked_a_duplicate_names_no_other_report(
    desk: Desk, lang: str
) -> None:
    hold(desk, 0)
    standing = desk.submit()
    ticket = report(desk, lang, "citizen")
    desk.act(ticket, "verify", "admin")
    desk.act(ticket, "mark_duplicate", "admin", duplicate_of=standing.code)

    verified, duplicate = deliver(desk)

    assert subject_state(verified) == SUBJECTS[lang][0]
    assert standing.code not in both(verified)
    same = {"en": "This report is the same as report", "id": "Laporan ini sama dengan laporan"}
    assert same[lang] not in verified.text
    assert f"{same[lang]} {standing.code}" in duplicate.text
    assert f"/t/{standing.code}" in (duplicate.html or "")


def rows(desk: Desk, ticket: Ticket) -> list[Any]:
    desk.session.flush()
    return list(
        desk.session.scalars(
            select(Notification)
            .where(Notification.ticket_id == ticket.id, Notification.kind == "citizen_update")
            .order_by(Notification.id)
        )
    )


def test_a_held_mail_the_resolution_joins_tells_every_change_and_offers_the_dispute_once(
    desk: Desk,
) -> None:
    """Held (5 minutes), the burst and its resolution are one mail naming the resolution: the
    dispute it offers is true of the state it names."""
    hold(desk, 5)
    ticket = report(desk, "en", "citizen")
    for action in ("verify", "assign", "start", "resolve"):
        desk.now -= timedelta(minutes=4)  # a minute apart
        desk.act(ticket, action, "admin")

    (mail,) = deliver(desk)

    assert len(rows(desk, ticket)) == 1
    assert subject_state(mail) == "Resolved"
    assert mail.text.count(DISPUTE["en"]) == 1


@pytest.mark.parametrize("door", ["citizen", "staff"])
@pytest.mark.parametrize("lang", ["en", "id"])
def test_the_rejection_mail_says_how_and_until_when_the_reporter_may_appeal(
    desk: Desk, lang: str, door: str
) -> None:
    ticket = report(desk, lang, door)  # 09:05 WIB
    desk.act(ticket, "reject", "admin", note="bukan wewenang kami")  # 09:10 WIB

    (mail,) = deliver(desk)

    where = {
        ("en", "citizen"): "on the report's page with the link you kept",
        ("en", "staff"): "on the report's page with the private link in the receipt we mailed "
        "you when our staff recorded your report",
        ("id", "citizen"): "di halaman laporan melalui tautan yang Anda simpan",
        ("id", "staff"): "di halaman laporan melalui tautan pribadi di surel tanda terima yang "
        "kami kirim saat petugas mencatat laporan Anda",
    }[(lang, door)]
    said = {
        "en": "If this report should not have been rejected, you can appeal the rejection until "
        "30 November 2026 at 09:10 WIB (7 days from the rejection), with your reason, "
        f"{where}. It is then checked again.",
        "id": "Jika laporan ini seharusnya tidak ditolak, Anda dapat mengajukan banding atas "
        "penolakan ini hingga 30 November 2026 pukul 09.10 WIB (7 hari sejak ditolak), dengan "
        f"alasan Anda, {where}. Laporan lalu diperiksa ulang.",
    }[lang]
    assert subject_state(mail) == {"en": "Rejected", "id": "Ditolak"}[lang]
    assert "bukan wewenang kami" in mail.text
    assert said in mail.text
    assert said in (mail.html or "")


def test_a_rejection_mail_waiting_when_the_report_is_appealed_and_rejected_again_offers_no_appeal(
    desk: Desk,
) -> None:
    """The first rejection was appealed already: its mail, worded anew after the second
    rejection, still names "Rejected" but offers nothing; the second counts from itself."""
    hold(desk, 0)
    ticket = report(desk, "en", "citizen")
    desk.act(ticket, "reject", "admin", note="spam")  # 09:10 WIB
    desk.act(ticket, "reinstate", "citizen", note="bukan spam, lampu mati seminggu")
    desk.act(ticket, "reject", "admin", note="sudah diperbaiki PLN")  # 09:20 WIB

    first, appealed, second = deliver(desk)

    assert [subject_state(m) for m in (first, appealed, second)] == [
        "Rejected",
        "Waiting",
        "Rejected",
    ]
    assert APPEAL["en"] not in both(first) and APPEAL["en"] not in both(appealed)
    assert f"{APPEAL['en']} 30 November 2026 at 09:20 WIB" in second.text
