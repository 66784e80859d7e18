"""What citizens, supervisors and operators are mailed by the engine: status updates in the
reader's language, closing after the dispute window, the daily digest, calendar warnings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine.digest import queue_digests
from engine.errors import RuleViolated, TicketNotFound
from engine.housekeeping import check_calendar, close_resolved_batch
from engine.models import (
    Notification,
    Staff,
    Subscription,
    Ticket,
    TicketEvent,
    UndeliverableAddress,
)
from engine.reports import support
from engine.staff import add_staff, set_staff_timezone
from engine.submission import Language

Desk = Any


def mails(desk: Desk, ticket: Ticket | None, kind: str = "citizen_update") -> list[Notification]:
    desk.session.flush()
    query = select(Notification).where(Notification.kind == kind).order_by(Notification.id)
    if ticket is not None:
        query = query.where(Notification.ticket_id == ticket.id)
    return list(desk.session.scalars(query))


def test_citizen_mail_reporter_in_english_subscriber_in_indonesian(desk: Desk) -> None:
    ticket = desk.submit(reporter_email="Sari@Warga.example", reporter_name="Sari")
    ticket.reporter_language = "en"
    desk.session.add(
        Subscription(
            ticket_id=ticket.id,
            email="budi@warga.example",
            language="id",
            active=True,
            created_at=desk.now,
            confirmed_at=desk.now,  # its owner confirmed (engine.following)
        )
    )
    assert mails(desk, ticket) == []  # the submission itself: the reporter got the code on screen

    desk.act(ticket, "verify")

    reporter, subscriber = mails(desk, ticket)
    assert (reporter.recipient, reporter.language) == ("sari@warga.example", "en")
    assert reporter.subject == f"[Tanggap] Report {ticket.code}: Waiting (verified)"
    assert reporter.body.startswith("Dear Sari,\n\nReport " + ticket.code + " (Traffic jam)")
    assert f"http://127.0.0.1:8000/t/{ticket.code}" in reporter.body
    assert "because you made this report" in reporter.body
    assert (subscriber.recipient, subscriber.language) == ("budi@warga.example", "id")
    assert subscriber.subject == f"[Tanggap] Laporan {ticket.code}: Menunggu (terverifikasi)"
    # A follower is not the reporter: neither the reporter's name nor "Pelapor" for them.
    assert subscriber.body.startswith("Yth. Bapak/Ibu,\n\nLaporan " + ticket.code)
    assert "<p>Yth. Bapak/Ibu,</p>" in (subscriber.html_body or "")
    assert "Pelapor" not in subscriber.body + (subscriber.html_body or "")
    assert "Sari" not in subscriber.body + (subscriber.html_body or "")
    assert "karena mengikuti laporan ini" in subscriber.body


def _follower(
    desk: Desk,
    ticket: Ticket,
    address: str,
    *,
    confirmed: bool,
    active: bool,
    language: str = "en",
) -> None:
    desk.session.add(
        Subscription(
            ticket_id=ticket.id,
            email=address,
            language=language,
            active=active,
            created_at=desk.now,
            confirmed_at=desk.now if confirmed else None,
            confirm_token=None if confirmed else f"tok-{address}",
        )
    )


def test_citizen_mail_goes_to_confirmed_active_followers_only(desk: Desk) -> None:
    ticket = desk.submit(reporter_email="sari@warga.example")
    for address, confirmed, active in (
        ("asked@warga.example", False, True),  # asked to confirm, has not: told nothing
        ("stopped@warga.example", True, False),
        ("budi@warga.example", True, True),
    ):
        _follower(desk, ticket, address, confirmed=confirmed, active=active)

    desk.act(ticket, "verify")

    assert [m.recipient for m in mails(desk, ticket)] == [
        "sari@warga.example",
        "budi@warga.example",
    ]


@pytest.mark.parametrize(
    ("lang", "follower", "reporter"),
    [
        ("id", "Yth. Bapak/Ibu,", "Yth. Pelapor,"),
        ("en", "Hello,", "Dear reporter,"),
    ],
)
def test_citizen_mail_greets_a_follower_neutrally_and_the_reporter_as_reporter(
    desk: Desk, lang: str, follower: str, reporter: str
) -> None:
    ticket = desk.submit(reporter_email="anon@warga.example")
    ticket.reporter_language = lang
    desk.session.add(
        Subscription(
            ticket_id=ticket.id,
            email="tetangga@warga.example",
            language=lang,
            active=True,
            created_at=desk.now,
            confirmed_at=desk.now,  # its owner confirmed (engine.following)
        )
    )

    desk.act(ticket, "verify")

    own, theirs = mails(desk, ticket)
    assert (own.recipient_kind, theirs.recipient_kind) == ("reporter", "subscriber")
    assert own.body.split("\n")[0] == reporter
    assert f"<p>{reporter}</p>" in (own.html_body or "")
    assert theirs.body.split("\n")[0] == follower
    assert f"<p>{follower}</p>" in (theirs.html_body or "")
    for word in ("Pelapor", "reporter,"):
        assert word not in theirs.body + (theirs.html_body or "")


def test_citizen_mail_resolution_note_is_escaped_in_html_and_offers_the_dispute(
    desk: Desk,
) -> None:
    ticket = desk.ticket_in("in_progress", reporter_email="sari@warga.example")
    desk.act(ticket, "resolve", note='Lampu diganti <img src=x onerror="alert(1)">')

    last = mails(desk, ticket)[-1]
    assert last.subject == f"[Tanggap] Laporan {ticket.code}: Selesai"
    assert 'Lampu diganti <img src=x onerror="alert(1)">' in last.body
    # the end of the window, in the city's time (resolved Monday 23 November 09:25 WIB, a
    # 7-day window): the time too, since a dispute at 10:00 on the 30th is refused
    assert (
        "Anda dapat menyanggah penyelesaian ini hingga 30 November 2026 pukul 09.25 WIB "
        "(7 hari sejak diselesaikan)."
    ) in last.body
    assert last.html_body is not None
    assert "Lampu diganti &lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in last.html_body
    assert "<img" not in last.html_body


def test_citizen_mail_internal_note_is_not_sent_and_dead_address_is_skipped(desk: Desk) -> None:
    ticket = desk.ticket_in("assigned", reporter_email="sari@warga.example")
    desk.act(ticket, "start", note="rahasia internal", public=False)
    last = mails(desk, ticket)[-1]
    assert last.subject.endswith(": Proses")
    assert "rahasia" not in last.body + (last.html_body or "")

    desk.session.add(
        UndeliverableAddress(email="sari@warga.example", event="bounce", flagged_at=desk.now)
    )
    before = len(mails(desk, ticket))
    desk.act(ticket, "hold")
    assert len(mails(desk, ticket)) == before


def test_close_resolved_waits_for_the_dispute_window_then_closes_as_system(desk: Desk) -> None:
    ticket = desk.ticket_in("resolved", reporter_email="sari@warga.example")
    resolved_at = ticket.resolved_at
    window = desk.settings.dispute_window

    early = close_resolved_batch(
        desk.session, now=resolved_at + window - timedelta(seconds=1), settings=desk.settings
    )
    assert ticket.code not in early and ticket.state == "resolved"

    closed = close_resolved_batch(desk.session, now=resolved_at + window, settings=desk.settings)
    assert ticket.code in closed and ticket.state == "closed"
    event = desk.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.seq)
    ).all()[-1]
    assert (event.trigger, event.actor_role, event.actor_label) == (
        "close", "system", "close-resolved"
    )  # fmt: skip
    last = mails(desk, ticket)[-1]
    assert last.subject == f"[Tanggap] Laporan {ticket.code}: Selesai (ditutup)"
    assert "menyanggah" not in last.body  # the window is over: nothing is offered


def test_a_ticket_closed_early_still_offers_the_dispute_until_the_window_ends(
    desk: Desk,
) -> None:
    """Staff may close at once; the reporter may still dispute within the window (counted
    from the resolution), and the closing mail says until when, in the reader's language."""
    ticket = desk.ticket_in("resolved", reporter_email="sari@warga.example")
    ticket.reporter_language = "en"
    desk.act(ticket, "close")

    last = mails(desk, ticket)[-1]
    assert last.subject == f"[Tanggap] Report {ticket.code}: Closed"
    assert (
        "you can dispute this resolution until 30 November 2026 at 09:25 WIB "
        "(7 days from its resolution)."
    ) in last.body
    assert last.html_body is not None and "until 30 November 2026 at 09:25 WIB" in last.html_body


def test_a_duplicates_mail_points_at_the_report_to_follow(desk: Desk) -> None:
    parent = desk.submit()
    ticket = desk.submit(reporter_email="sari@warga.example")
    desk.act(ticket, "mark_duplicate", duplicate_of=parent.code)

    last = mails(desk, ticket)[-1]
    assert last.subject == f"[Tanggap] Laporan {ticket.code}: Duplikat"
    link = f"http://127.0.0.1:8000/t/{parent.code}?lang=id"
    assert (
        f"Laporan ini sama dengan laporan {parent.code} yang sedang ditangani; "
        f"mulai sekarang Anda menerima kabar perkembangannya lewat e-mail: {link}"
    ) in last.body
    assert last.html_body is not None and f'<a href="{link}">{parent.code}</a>' in last.html_body
    assert "menyanggah" not in last.body


def test_a_duplicates_followers_are_told_of_the_report_that_stands_from_then_on(
    desk: Desk,
) -> None:
    """DESIGN §2: on mark_duplicate the followers move to the report that stands. Before, the
    duplicate's reporter was told to "follow that one" and heard nothing more unless they did:
    not when it was verified, not when it was fixed."""
    parent = desk.submit(reporter_email="first@warga.example")
    _follower(desk, parent, "budi@warga.example", confirmed=True, active=False)  # said stop
    ticket = desk.submit(reporter_email="Sari@Warga.example")
    ticket.reporter_language = "en"
    _follower(desk, ticket, "budi@warga.example", confirmed=True, active=True)
    _follower(desk, ticket, "asked@warga.example", confirmed=False, active=True)
    _follower(desk, ticket, "stopped@warga.example", confirmed=True, active=False)
    _follower(desk, ticket, "dewi@warga.example", confirmed=True, active=True, language="id")

    desk.act(ticket, "mark_duplicate", duplicate_of=parent.code)

    link = f"http://127.0.0.1:8000/t/{parent.code}"
    said = {m.recipient: m.body for m in mails(desk, ticket)}
    assert set(said) == {"sari@warga.example", "budi@warga.example", "dewi@warga.example"}
    carried = f"which is being handled; you will get its updates by e-mail from now on: {link}"
    assert carried in said["sari@warga.example"]
    assert (
        "mulai sekarang Anda menerima kabar perkembangannya lewat e-mail"
        in said["dewi@warga.example"]
    )
    # The duplicate's own page is named as its page, not as the report to follow.
    own = f"This report's page: http://127.0.0.1:8000/t/{ticket.code}"
    assert own in said["sari@warga.example"] and "Follow it here" not in said["sari@warga.example"]
    assert (
        f"Halaman laporan ini: http://127.0.0.1:8000/t/{ticket.code}" in said["dewi@warga.example"]
    )
    # Budi had stopped mail about the report that stands: he is not put back on it.
    assert f"which is being handled; follow that one: {link}" in said["budi@warga.example"]

    desk.act(parent, "verify")

    told = {m.recipient: m for m in mails(desk, parent)}
    assert set(told) == {"first@warga.example", "sari@warga.example", "dewi@warga.example"}
    sari = told["sari@warga.example"]
    assert sari.language == "en"  # she reported in English
    assert sari.subject == f"[Tanggap] Report {parent.code}: Waiting (verified)"
    # She made the duplicate, Dewi followed it: each is told why mail of this report reaches them.
    assert (
        f"You receive this e-mail because your report {ticket.code} was found to be the same "
        "problem as this one." in sari.body
    )
    assert f"because your report {ticket.code} was found" in (sari.html_body or "")
    dewi = told["dewi@warga.example"]
    assert dewi.language == "id"
    assert (
        f"Anda menerima surel ini karena Anda mengikuti laporan {ticket.code}, yang dinyatakan "
        "sama dengan laporan ini." in dewi.body
    )
    assert "karena mengikuti laporan ini" not in dewi.body
    # The standing report's own reporter is told as before.
    assert "karena melaporkan laporan ini" in told["first@warga.example"].body
    row = desk.session.scalars(
        select(Subscription).where(
            Subscription.ticket_id == parent.id, Subscription.email == "sari@warga.example"
        )
    ).one()
    assert sari.unsubscribe_url is not None and row.unsubscribe_token in sari.unsubscribe_url
    assert row.supported_at is None  # carried, not a "me too"
    assert parent.supporters == 0


@pytest.mark.parametrize(
    ("lang", "private", "greeting", "html"),
    [
        ("id", False, "Yth. Sari <b>Dewi</b>,", "<p>Yth. Sari &lt;b&gt;Dewi&lt;/b&gt;,</p>"),
        ("en", True, "Dear Sari <b>Dewi</b>,", "<p>Dear Sari &lt;b&gt;Dewi&lt;/b&gt;,</p>"),
    ],
)
def test_a_reporter_carried_to_the_standing_report_is_greeted_by_the_name_they_gave(
    desk: Desk, lang: str, private: bool, greeting: str, html: str
) -> None:
    """A tester's report: Sari gave her name with her report; marked a duplicate, she got the
    standing report's mail opening "Yth. Bapak/Ibu", as a stranger would. Her own report's
    mail greets her by name, private or not (a private report hides her from staff, and the
    mail goes to her alone): so does the standing report's, in both parts, escaped in HTML.
    Nobody else reads her name, nor she the standing report's reporter's."""
    standing = desk.submit(reporter_email="ani@warga.example", reporter_name="Ani")
    duplicate = desk.submit(
        reporter_email="sari@warga.example",
        reporter_name="Sari <b>Dewi</b>",
        language=Language(lang),
    )
    duplicate.private = private
    _follower(desk, duplicate, "dewi@warga.example", confirmed=True, active=True, language=lang)
    desk.act(duplicate, "mark_duplicate", duplicate_of=standing.code)

    desk.act(standing, "verify")

    told = {m.recipient: m for m in mails(desk, standing)}
    assert set(told) == {"ani@warga.example", "sari@warga.example", "dewi@warga.example"}
    sari, dewi = told["sari@warga.example"], told["dewi@warga.example"]
    assert sari.language == lang
    assert sari.body.split("\n")[0] == greeting
    assert html in (sari.html_body or "")
    assert "Ani" not in sari.body + (sari.html_body or "")
    assert dewi.body.split("\n")[0] == ("Yth. Bapak/Ibu," if lang == "id" else "Hello,")
    assert "Sari" not in dewi.body + (dewi.html_body or "")
    assert told["ani@warga.example"].body.split("\n")[0] == "Yth. Ani,"

    # Re-worded while it waits (the standing report's category corrected), it still greets her.
    desk.act(standing, "update", "admin", category="broken_traffic_light", note="lampu mati")
    desk.session.refresh(sari)
    assert sari.status == "pending"
    assert ("Lampu lalu lintas" if lang == "id" else "Broken traffic light") in sari.body
    assert sari.body.split("\n")[0] == greeting
    assert html in (sari.html_body or "")


def test_a_me_too_not_yet_confirmed_on_the_report_that_stands_does_not_cost_its_news(
    desk: Desk,
) -> None:
    """A tester's report: Q pressed "me too" on report X and did not confirm, then filed Y;
    Y was marked a duplicate of X, and Q heard nothing more, not even X's resolution with its
    dispute window. Q asked for this problem's news twice: the unconfirmed row is confirmed."""
    standing = desk.submit(reporter_email="first@warga.example")
    support(
        desk.session, standing.code, email="Q@warga.example", language=Language.ID, now=desk.now
    )
    (waiting,) = mails(desk, standing, "follow_confirmation")
    assert waiting.recipient == "q@warga.example" and waiting.status == "pending"
    duplicate = desk.submit(reporter_email="q@warga.example")

    desk.act(duplicate, "mark_duplicate", duplicate_of=standing.code)

    (said,) = [m.body for m in mails(desk, duplicate) if m.recipient == "q@warga.example"]
    assert "mulai sekarang Anda menerima kabar perkembangannya lewat e-mail" in said
    assert waiting.status == "failed"  # nothing left to confirm
    assert waiting.last_error == (
        f"not sent: confirmed when {duplicate.code}, which it followed, was marked a duplicate "
        "of this report"
    )
    desk.act(standing, "verify")
    told = {m.recipient: m.body for m in mails(desk, standing)}
    assert set(told) == {"first@warga.example", "q@warga.example"}
    assert f"karena laporan Anda {duplicate.code} dinyatakan sama" in told["q@warga.example"]
    assert standing.supporters == 1  # the "me too" still counts, once


def test_a_duplicate_of_a_report_the_public_may_not_see_carries_nobody(desk: Desk) -> None:
    parent = desk.submit()  # of the same category: a pungli complaint would be refused
    desk.act(parent, "unpublish", "admin")
    ticket = desk.submit(reporter_email="sari@warga.example")
    desk.act(ticket, "mark_duplicate", "governor", duplicate_of=parent.code)  # sees both

    (mail,) = mails(desk, ticket)
    assert parent.code not in mail.body  # its code would tell that it exists
    desk.act(parent, "verify", "admin")
    assert "sari@warga.example" not in {m.recipient for m in mails(desk, parent)}


def test_daily_digest_lists_breaches_once_a_day_from_seven_local(desk: Desk) -> None:
    late = desk.submit()  # nobody verifies it
    # Wednesday 25 Nov 2026, 06:59 and 07:00 WIB: the verify target (1 working day) has passed.
    before_seven = datetime(2026, 11, 24, 23, 59, tzinfo=UTC)
    at_seven = before_seven + timedelta(minutes=1)

    assert queue_digests(desk.session, now=before_seven, settings=desk.settings) == []
    queued = queue_digests(desk.session, now=at_seven, settings=desk.settings)
    assert queued == ["supervisor@tanggap.example"]
    assert queue_digests(desk.session, now=at_seven, settings=desk.settings) == []

    (digest,) = mails(desk, None, kind="daily_digest")
    assert digest.subject.startswith("[Tanggap] Ringkasan harian 25 November 2026: ")
    assert "Yth. Supervisor," in digest.body
    assert f"- {late.code} Kemacetan — Dinas Perhubungan, verifikasi, tenggat " in digest.body
    assert digest.html_body is not None and f">{late.code}</a>" in digest.html_body


def test_calendar_check_names_estimates_and_empty_calendars() -> None:
    today = date(2026, 11, 30)
    office = {"hours": {"mon": ["08:00-16:00"]}, "holidays": {"country": "ID"}}
    warnings = [w.message for w in check_calendar("office", office, today=today)]
    assert any(m.startswith("2027-03-10 Eid al-Fitr (estimated): an estimate") for m in warnings)

    confirmed = {**office, "closed_dates": ["2027-03-10"]}
    assert not any(
        "2027-03-10" in w.message for w in check_calendar("office", confirmed, today=today)
    )
    empty = [w.message for w in check_calendar("never", {"hours": {}}, today=today)]
    assert empty == ["has no working time at all: no deadline can fall"]
    assert check_calendar("always", {"always_open": True}, today=today) == []


def test_daily_digest_at_seven_in_each_supervisors_own_zone_once_per_local_day(
    desk: Desk,
) -> None:
    desk.submit()
    makassar = add_staff(
        desk.session,
        email="Wayan@Dishub.example",
        name="Wayan",
        role="supervisor",
        agency="DISHUB",
        now=desk.now,
        timezone="wita",
    )
    assert makassar.timezone == "Asia/Makassar"
    jakarta = "supervisor@tanggap.example"  # no zone of their own: the service's, WIB

    def hour(day: int, hh: int) -> list[str]:
        moment = datetime(2026, 11, day, hh, 0, tzinfo=UTC)
        return queue_digests(desk.session, now=moment, settings=desk.settings)

    assert hour(25, 22) == []  # 06:00 WITA, 05:00 WIB
    assert hour(25, 23) == ["wayan@dishub.example"]  # 07:00 WITA on the 26th
    assert hour(26, 0) == [jakarta]  # 08:00 WITA (had it), 07:00 WIB on the 26th
    assert [hour(26, hh) for hh in range(1, 23)] == [[]] * 22  # the rest of both local days
    assert hour(26, 23) == ["wayan@dishub.example"]  # 07:00 WITA on the 27th
    assert hour(27, 0) == [jakarta]

    wita, wib = (
        [m for m in mails(desk, None, kind="daily_digest") if m.recipient == who]
        for who in ("wayan@dishub.example", jakarta)
    )
    assert [m.subject.split(":")[0] + ":" for m in wita] == [
        "[Tanggap] Ringkasan harian 26 November 2026:",
        "[Tanggap] Ringkasan harian 27 November 2026:",
    ]
    assert "Yth. Wayan," in wita[0].body
    assert "per 26 November 2026 pukul 07.00 WITA." in wita[0].body
    assert [m.subject.split(":")[0] + ":" for m in wib] == [
        "[Tanggap] Ringkasan harian 26 November 2026:",
        "[Tanggap] Ringkasan harian 27 November 2026:",
    ]
    assert "per 26 November 2026 pukul 07.00 WIB." in wib[0].body


def test_daily_digest_missed_seven_oclock_run_is_made_up_at_eight_local(desk: Desk) -> None:
    add_staff(
        desk.session,
        email="yan@dishub.example",
        name="Yan",
        role="supervisor",
        agency="DISHUB",
        now=desk.now,
        timezone="Asia/Jayapura",
    )
    # 07:00 WIT is 22:00 UTC; that run never happened, the 23:00 UTC one (08:00 WIT) did.
    late = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
    assert queue_digests(desk.session, now=late, settings=desk.settings) == ["yan@dishub.example"]
    (digest,) = [m for m in mails(desk, None, kind="daily_digest") if m.recipient.startswith("yan")]
    assert "per 26 November 2026 pukul 08.00 WIT." in digest.body


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Asia/Makassar", "Asia/Makassar"),
        ("  asia/jayapura ", "Asia/Jayapura"),
        ("WIB", "Asia/Jakarta"),
        ("wit", "Asia/Jayapura"),
        ("UTC", "UTC"),
        ("default", None),
        ("", None),
    ],
)
def test_staff_timezone_accepted_in_canonical_spelling(
    desk: Desk, typed: str, stored: str | None
) -> None:
    member = set_staff_timezone(desk.session, "supervisor@tanggap.example", typed)
    assert member.timezone == stored


@pytest.mark.parametrize("typed", ["Asia/Bandung", "GMT+7", "../etc/passwd", "Asia/\x00Jakarta"])
def test_staff_timezone_unknown_refused_naming_the_field(desk: Desk, typed: str) -> None:
    with pytest.raises(RuleViolated) as refused:
        set_staff_timezone(desk.session, "supervisor@tanggap.example", typed)
    message = str(refused.value)
    assert message.startswith("staff_timezone ")
    assert "Asia/Makassar (WITA)" in message
    assert "\x00" not in message
    assert desk.session.get(Staff, desk.staff["supervisor"].id).timezone is None


@pytest.mark.parametrize("category", ["garbage_pile", "illegal_levy"])
def test_staff_naming_a_ticket_they_may_not_see_as_the_original_learn_nothing(
    desk: Desk, category: str
) -> None:
    """A tester's report: on the command line Dishub staff could mark their report a duplicate
    of another agency's ticket (a pungli complaint too), and so confirm its code; the API
    answered such a code as unknown already. Every door now does."""
    other = desk.submit(category=category, description="Sampah menumpuk di depan pasar")
    ticket = desk.submit()
    with pytest.raises(TicketNotFound) as unseen:
        desk.act(ticket, "mark_duplicate", duplicate_of=other.code)
    with pytest.raises(TicketNotFound) as unknown:
        desk.act(ticket, "mark_duplicate", duplicate_of="JKT-ZZZZ-ZZZZ")
    assert unseen.value.message == unknown.value.message.replace("JKT-ZZZZ-ZZZZ", other.code)
    assert ticket.state == "submitted" and other.version == 1
    # The governor's office sees every ticket, and may, but a report of another category is
    # never a pungli complaint's duplicate: refused as such, as to anyone who sees both.
    if category == "illegal_levy":
        with pytest.raises(RuleViolated) as refused:
            desk.act(ticket, "mark_duplicate", "governor", duplicate_of=other.code)
        assert refused.value.code == "duplicate_of_other_category"
        assert ticket.state == "submitted" and other.version == 1
        return
    desk.act(ticket, "mark_duplicate", "governor", duplicate_of=other.code)
    assert ticket.duplicate_of is other
