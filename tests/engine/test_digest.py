"""The daily digest says what the dashboard says: a ticket is "hampir terlambat" (at risk) in the
supervisor's mail exactly when oversight's board shows it at risk at the same moment, breached
when breached, and not listed while on time — and its dates read in the reader's language.

Tuesday 1 December 2026: a flood goes to DSDA under the 24/7 emergency policy (verify within
30 minutes, warning at 50 %); a traffic jam goes to DISHUB on the office calendar (verify within
1 working day, warning at 75 %), so its deadline is less than a day away long before it is at risk.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.digest import digest_letter, queue_digests, scope_of
from engine.keys import authenticate, create_key
from engine.letters import Letter
from engine.lifecycle import Role
from engine.mail_dates import long_day, short_moment
from engine.models import Notification
from engine.queries.figures import GroupBy, figures
from engine.queries.oversight import SlaStatus, board
from engine.staff import add_staff, set_staff_active

from .conftest import Desk

TUESDAY_9_WIB = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
WIB = timedelta(hours=7)


def _wib(day: int, hh: int, mm: int) -> datetime:
    return datetime(2026, 12, day, hh, mm, tzinfo=UTC) - WIB


def _digest(
    desk: Desk, now: datetime, lang: str = "id", *, agency: str = "GUB", min_count: int = 1
) -> Letter:
    """The digest of a supervisor of ``agency`` (the governor's office: every ticket), the
    on-time rate shown from ``min_count`` cases (``TANGGAP_FIGURES_MIN_COUNT``)."""
    staff = add_staff(
        desk.session,
        email=f"kepala@{agency.lower()}.example",
        name="Kepala",
        role="supervisor",
        agency=agency,
        now=desk.now,
        update=True,
    )
    scope = scope_of(desk.session, staff)
    assert scope is not None
    settings = desk.settings.model_copy(update={"figures_min_count": min_count})
    return digest_letter(desk.session, staff, scope, now=now, settings=settings, lang=lang)


def _listed(body: str, heading: str) -> set[str]:
    """The ticket codes listed under ``heading`` (up to the next blank line)."""
    section = body.split(f"\n{heading} (", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"^- (\S+-\S+-\S+) ", section, flags=re.MULTILINE))


def _board(desk: Desk, now: datetime, codes: set[str]) -> dict[str, SlaStatus]:
    secret = create_key(
        desk.session, role=Role.ADMIN, name="admin", agency=None, area=None, now=desk.now
    ).secret
    viewer = authenticate(desk.session, secret)
    return {
        t.code: t.sla for t in board(desk.session, viewer, now=now, limit=500) if t.code in codes
    }


@pytest.fixture
def two(desk: Desk) -> tuple[str, str]:
    desk.now = TUESDAY_9_WIB
    flood = desk.submit(category="flood", description="Banjir 40 cm").code  # 09:05 WIB
    jam = desk.submit().code  # 09:10 WIB
    return flood, jam


@pytest.mark.parametrize(
    ("moment", "flood_status", "jam_status"),
    [
        # Both deadlines are less than a day away, no warning has fallen due: on time.
        (_wib(1, 9, 15), SlaStatus.ON_TIME, SlaStatus.ON_TIME),
        (_wib(1, 9, 25), SlaStatus.AT_RISK, SlaStatus.ON_TIME),  # the flood's 50 % (09:20)
        (_wib(1, 9, 40), SlaStatus.BREACHED, SlaStatus.ON_TIME),  # the flood's 09:35 passed
        (_wib(1, 21, 0), SlaStatus.BREACHED, SlaStatus.AT_RISK),  # the jam's 75 % fell due
        (_wib(2, 10, 0), SlaStatus.BREACHED, SlaStatus.BREACHED),
    ],
)
def test_digest_lists_what_the_board_shows_at_the_same_moment(
    desk: Desk,
    two: tuple[str, str],
    moment: datetime,
    flood_status: SlaStatus,
    jam_status: SlaStatus,
) -> None:
    flood, jam = two
    shown = _board(desk, moment, {flood, jam})
    assert shown == {flood: flood_status, jam: jam_status}
    body = _digest(desk, moment).body
    by_board = {
        status: {code for code, s in shown.items() if s is status}
        for status in (SlaStatus.BREACHED, SlaStatus.AT_RISK)
    }
    assert _listed(body, "Melewati batas") == by_board[SlaStatus.BREACHED]
    assert _listed(body, "Hampir terlambat") == by_board[SlaStatus.AT_RISK]
    english = _digest(desk, moment, "en").body
    assert _listed(english, "Breached") == by_board[SlaStatus.BREACHED]
    assert _listed(english, "At risk") == by_board[SlaStatus.AT_RISK]


def test_digest_words_for_a_ticket_on_time_at_risk_and_breached(
    desk: Desk, two: tuple[str, str]
) -> None:
    flood, jam = two
    quiet = _digest(desk, _wib(1, 9, 15))
    assert quiet.subject == (
        "[Tanggap] Ringkasan harian 1 Desember 2026: 0 melewati batas, 0 hampir terlambat"
    )
    assert "Melewati batas (0):\n- tidak ada\n" in quiet.body
    assert "Hampir terlambat (0):\n- tidak ada" in quiet.body
    assert flood not in quiet.body and jam not in quiet.body

    warned = _digest(desk, _wib(1, 9, 25))
    assert warned.subject.endswith(": 0 melewati batas, 1 hampir terlambat")
    assert (
        f"Hampir terlambat (1):\n- {flood} Banjir / genangan — Dinas Sumber Daya Air, verifikasi, "
        f"tenggat 1 Desember 2026 pukul 09.35 WIB\n  http://127.0.0.1:8000/staff/tickets/{flood}?lang=id\n"
    ) in warned.body
    assert jam not in warned.body
    assert f">{flood}</a>" in warned.html and "<h3>Hampir terlambat (1)</h3>" in warned.html

    late = _digest(desk, _wib(1, 21, 0))
    assert late.subject.endswith(": 1 melewati batas, 1 hampir terlambat")
    assert f"Melewati batas (1):\n- {flood} Banjir / genangan — " in late.body
    assert (
        f"Hampir terlambat (1):\n- {jam} Kemacetan — Dinas Perhubungan, verifikasi, "
        "tenggat 2 Desember 2026 pukul 09.10 WIB\n"
    ) in late.body

    english = _digest(desk, _wib(1, 21, 0), "en")
    assert english.subject == "[Tanggap] Daily digest 1 December 2026: 1 breached, 1 at risk"
    assert f"Breached (1):\n- {flood} Flood / waterlogging — " in english.body
    assert "verification, deadline 1 December 2026 at 09:35 WIB\n" in english.body
    # every instant in one way, the staff mails' (``mail_dates.staff_moment``), as escalation
    # and hand-over mail write them
    assert " per 1 Desember 2026 pukul 21.00 WIB.\n" in late.body
    assert " as of 1 December 2026 at 21:00 WIB.\n" in english.body
    assert "Des" not in english.body


def test_mail_dates_in_indonesian_and_english() -> None:
    moment = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert short_moment(moment, "id", UTC) == "01 Des 10:00"
    assert short_moment(moment, "en", UTC) == "01 Dec 10:00"
    august = datetime(2027, 8, 17, 2, 30, tzinfo=UTC)
    assert short_moment(august, "id", UTC) == "17 Agu 02:30"
    assert short_moment(august, "en", UTC) == "17 Aug 02:30"
    assert short_moment(datetime(2026, 5, 31, 23, 0, tzinfo=UTC), "id", UTC) == "31 Mei 23:00"
    assert long_day(date(2026, 12, 1), "id") == "1 Desember 2026"
    assert long_day(date(2026, 12, 1), "en") == "1 December 2026"
    assert long_day(date(2027, 10, 9), "id") == "9 Oktober 2027"


def test_queued_digest_keeps_to_the_supervisors_agency(desk: Desk, two: tuple[str, str]) -> None:
    flood, jam = two
    add_staff(
        desk.session,
        email="kepala@dsda.example",
        name="Kepala DSDA",
        role="supervisor",
        agency="DSDA",
        now=desk.now,
    )
    moment = _wib(1, 21, 0)  # the flood breached, the jam (DISHUB's) at risk
    assert "kepala@dsda.example" in queue_digests(desk.session, now=moment, settings=desk.settings)
    desk.session.flush()
    mail = desk.session.scalars(
        select(Notification).where(
            Notification.kind == "daily_digest", Notification.recipient == "kepala@dsda.example"
        )
    ).one()
    assert mail.language == "id"
    assert mail.subject == (
        "[Tanggap] Ringkasan harian 1 Desember 2026: 1 melewati batas, 0 hampir terlambat"
    )
    assert _listed(mail.body, "Melewati batas") == {flood}
    assert jam not in mail.body
    assert "tenggat 1 Desember 2026 pukul 09.35 WIB" in mail.body


def _rates(body: str) -> list[str]:
    """The on-time lines of a plain-text digest, in either language (up to the blank line)."""
    for heading in (
        "Tepat waktu 7 hari terakhir, per instansi dan tahap:\n",
        "On time over the last 7 days, by agency and stage:\n",
    ):
        if heading in body:
            section = body.split(heading, 1)[1].split("\n\n", 1)[0]
            return [line.removeprefix("- ") for line in section.splitlines()]
    raise AssertionError("no on-time section in the digest")


def test_digest_on_time_rate_counts_the_clocks_the_figures_count(desk: Desk) -> None:
    """The 7-day rates follow the supervisors' figures (``clock_is_a_case``): a resolve clock
    ended by a rejection and a start clock ended by a transfer are no cases, whatever their
    deadlines said; the governor's office reads every agency's, timer by timer."""
    desk.now = TUESDAY_9_WIB
    rejected = desk.submit()
    desk.act(rejected, "reject")  # verify clock met; its resolve clock is no case
    moved = desk.submit()
    for action in ("verify", "assign"):  # both clocks met
        desk.act(moved, action)
    desk.act(moved, "transfer")  # its first start clock is no case
    later = desk.tick(60)

    assert _rates(_digest(desk, later).body) == [
        "Dinas Perhubungan, verifikasi: 100% dari 2 kasus",
        "Dinas Perhubungan, disposisi: 100% dari 1 kasus",
    ]
    assert _rates(_digest(desk, later, "en").body) == [
        "Dinas Perhubungan, verification: 100% of 2 cases",
        "Dinas Perhubungan, assignment: 100% of 1 case",
    ]


def test_digest_on_time_rate_leaves_out_an_assign_clock_a_rejection_ended(desk: Desk) -> None:
    """Rejecting a verified report counted its assign clock as met: 3/3 where 2/2 is true."""
    desk.now = TUESDAY_9_WIB
    rejected = desk.submit()
    desk.act(rejected, "verify")  # verify clock met
    desk.act(rejected, "reject")  # its assign and resolve clocks are no cases
    kept = desk.submit()
    desk.act(kept, "verify")  # met
    later = desk.tick(60)

    assert _rates(_digest(desk, later).body) == ["Dinas Perhubungan, verifikasi: 100% dari 2 kasus"]
    assert _rates(_digest(desk, later, "en").body) == [
        "Dinas Perhubungan, verification: 100% of 2 cases"
    ]


def test_digest_on_time_rate_of_an_agency_counts_the_clocks_it_ran(desk: Desk) -> None:
    """A tester's report: after a transfer, the receiving agency's digest counted the sending
    agency's clocks as its own (6/6 where the figures give it 1 case). An agency's rate is over
    the clocks it ran (``SlaTimer.agency_id``), as the supervisor figures count it."""
    desk.now = TUESDAY_9_WIB
    moved = desk.submit()  # Dishub's
    for action in ("verify", "assign"):  # both clocks met, by Dishub
        desk.act(moved, action)
    desk.act(moved, "transfer")  # to Bina Marga: Dishub's start clock is no case
    desk.act(moved, "start", "dbm")  # Bina Marga takes it: its accept and start clocks met
    later = desk.tick(60)

    assert _rates(_digest(desk, later, agency="DISHUB").body) == [
        "Dinas Perhubungan, verifikasi: 100% dari 1 kasus",
        "Dinas Perhubungan, disposisi: 100% dari 1 kasus",
    ]
    assert _rates(_digest(desk, later, agency="DBM").body) == [
        "Dinas Bina Marga, penerimaan koordinasi: 100% dari 1 kasus",
        "Dinas Bina Marga, mulai penanganan: 100% dari 1 kasus",
    ]


def test_digest_without_a_case_says_so(desk: Desk) -> None:
    desk.now = TUESDAY_9_WIB
    desk.submit()  # its clocks run
    later = desk.tick(60)
    assert _rates(_digest(desk, later, agency="DISHUB").body) == ["belum ada kasus"]
    assert _rates(_digest(desk, later, "en", agency="DISHUB").body) == ["no cases yet"]


def test_digest_withholds_each_timer_the_figures_withhold_though_the_timers_add_up(
    desk: Desk,
) -> None:
    """A tester's report: a DISHUB supervisor's digest said "10/10 (100%)" while the figures
    gave each of DISHUB's timers 4, 3, 2 and 1 cases and withheld every rate (minimum 5): the
    digest pooled the timers. Each timer is a rate of its own, withheld under the minimum, and
    the counts are the figures' own."""
    desk.now = TUESDAY_9_WIB
    tickets = [desk.submit() for _ in range(4)]
    for n, ticket in enumerate(tickets):
        for action in ("verify", "assign", "start", "resolve")[: 4 - n]:
            desk.act(ticket, action)  # verify ×4, assign ×3, start ×2, resolve ×1: all met
    later = desk.tick(60)
    settings = desk.settings.model_copy(update={"figures_min_count": 5})
    viewer = authenticate(
        desk.session,
        create_key(
            desk.session, role=Role.ADMIN, name="admin", agency=None, area=None, now=desk.now
        ).secret,
    )
    dishub = {
        g.group: g
        for g in figures(
            desk.session,
            viewer,
            group_by=GroupBy.AGENCY,
            start=later - timedelta(days=7),
            end=later + timedelta(microseconds=1),
            min_count=settings.figures_min_count,
        ).groups
    }["DISHUB"]
    assert {kind: (rate.count, rate.value) for kind, rate in dishub.on_time.items()} == {
        "verify": (4, None),
        "assign": (3, None),
        "start": (2, None),
        "resolve": (1, None),
    }

    indonesian = _digest(desk, later, agency="DISHUB", min_count=5).body
    english = _digest(desk, later, "en", agency="DISHUB", min_count=5).body
    assert _rates(indonesian) == [
        "Dinas Perhubungan, verifikasi: 4 kasus, tidak ditampilkan (kurang dari 5 kasus)",
        "Dinas Perhubungan, disposisi: 3 kasus, tidak ditampilkan (kurang dari 5 kasus)",
        "Dinas Perhubungan, mulai penanganan: 2 kasus, tidak ditampilkan (kurang dari 5 kasus)",
        "Dinas Perhubungan, penyelesaian: 1 kasus, tidak ditampilkan (kurang dari 5 kasus)",
    ]
    assert _rates(english) == [
        "Dinas Perhubungan, verification: 4 cases, withheld (fewer than 5 cases)",
        "Dinas Perhubungan, assignment: 3 cases, withheld (fewer than 5 cases)",
        "Dinas Perhubungan, start of work: 2 cases, withheld (fewer than 5 cases)",
        "Dinas Perhubungan, resolution: 1 case, withheld (fewer than 5 cases)",
    ]
    for body in (indonesian, english):
        assert "%" not in body
    html = _digest(desk, later, agency="DISHUB", min_count=5).html
    assert "<li>Dinas Perhubungan, verifikasi: 4 kasus, tidak ditampilkan" in html
    assert "%" not in html.split("<h3>", 2)[1]


@pytest.mark.parametrize(("cases", "min_count"), [(2, 5), (2, 3), (2, 2)])
def test_digest_on_time_rate_over_too_few_cases_is_withheld_as_on_the_dashboard(
    desk: Desk, cases: int, min_count: int
) -> None:
    desk.now = TUESDAY_9_WIB
    for _ in range(cases):
        desk.act(desk.submit(), "verify")  # met
    later = desk.tick(60)
    indonesian = _rates(_digest(desk, later, min_count=min_count).body)
    english = _rates(_digest(desk, later, "en", min_count=min_count).body)
    if cases < min_count:
        assert indonesian == [
            f"Dinas Perhubungan, verifikasi: 2 kasus, tidak ditampilkan "
            f"(kurang dari {min_count} kasus)"
        ]
        assert english == [
            f"Dinas Perhubungan, verification: 2 cases, withheld (fewer than {min_count} cases)"
        ]
    else:
        assert indonesian == ["Dinas Perhubungan, verifikasi: 100% dari 2 kasus"]
        assert english == ["Dinas Perhubungan, verification: 100% of 2 cases"]


@pytest.mark.parametrize(
    ("change", "cause"),
    [
        ("move", "kepala@dsda.example moved to DISHUB"),
        ("demote", "kepala@dsda.example is no longer a supervisor"),
        ("deactivate", "kepala@dsda.example was deactivated"),
    ],
)
def test_a_waiting_digest_is_taken_back_when_its_supervisor_moves_or_leaves_the_role(
    desk: Desk, two: tuple[str, str], change: str, cause: str
) -> None:
    """The digest lists DSDA's breached flood: once its reader oversees DSDA no more, the
    waiting mail must not bring them DSDA's list; another supervisor's digest, and one already
    sent, stay as they were."""
    for email, name in (("kepala@dsda.example", "Kepala DSDA"), ("wakil@dsda.example", "Wakil")):
        add_staff(
            desk.session, email=email, name=name, role="supervisor", agency="DSDA", now=desk.now
        )
    queue_digests(desk.session, now=_wib(1, 21, 0), settings=desk.settings)
    queue_digests(desk.session, now=_wib(2, 8, 0), settings=desk.settings)  # the next day's
    desk.session.flush()

    def digests() -> list[tuple[str, str, str, str | None]]:
        rows = desk.session.scalars(
            select(Notification)
            .where(Notification.kind == "daily_digest")
            .order_by(Notification.dedupe_key)
        )
        return [(n.recipient, n.dedupe_key or "", n.status, n.last_error) for n in rows]

    yesterday = [n for n in digests() if ":2026-12-01:" in n[1] and "dsda" in n[0]]
    for row in desk.session.scalars(
        select(Notification).where(Notification.dedupe_key.like("%:2026-12-01:%"))
    ):
        row.status = "sent"
    desk.session.flush()
    if change == "move":
        add_staff(
            desk.session, email="kepala@dsda.example", name="Kepala DSDA", role="supervisor",
            agency="DISHUB", now=desk.now, update=True,
        )  # fmt: skip
    elif change == "demote":
        add_staff(
            desk.session, email="kepala@dsda.example", name="Kepala DSDA", role="staff",
            agency="DSDA", now=desk.now, update=True,
        )  # fmt: skip
    else:
        set_staff_active(desk.session, "kepala@dsda.example", active=False, now=desk.now)
    desk.session.expire_all()
    after = {(r, k.split(":")[2]): (status, error) for r, k, status, error in digests()}
    assert len(yesterday) == 2
    assert after[("kepala@dsda.example", "2026-12-01")] == ("sent", None)
    assert after[("wakil@dsda.example", "2026-12-01")] == ("sent", None)
    assert after[("wakil@dsda.example", "2026-12-02")] == ("pending", None)
    assert after[("kepala@dsda.example", "2026-12-02")] == (
        "failed",
        f"not sent: {cause}; the digest listed what they oversaw before",
    )


def test_a_supervisor_updated_in_place_keeps_their_waiting_digest(
    desk: Desk, two: tuple[str, str]
) -> None:
    add_staff(
        desk.session, email="kepala@dsda.example", name="Kepala DSDA", role="supervisor",
        agency="DSDA", now=desk.now,
    )  # fmt: skip
    queue_digests(desk.session, now=_wib(1, 21, 0), settings=desk.settings)
    add_staff(
        desk.session, email="kepala@dsda.example", name="Ir. Kepala DSDA", role="supervisor",
        agency="dsda", now=desk.now, update=True, timezone="Asia/Makassar",
    )  # fmt: skip
    desk.session.expire_all()
    mail = desk.session.scalars(
        select(Notification).where(
            Notification.kind == "daily_digest", Notification.recipient == "kepala@dsda.example"
        )
    )
    assert [(n.status, n.last_error) for n in mail] == [("pending", None)]


def test_a_supervisor_whose_zone_changes_gets_no_second_digest_that_day(desk: Desk) -> None:
    """A tester's finding: with 2 December's digest sent at 08:00 WIB, moving the supervisor to
    Los Angeles (where it is still 1 December, 17:00) queued "1 December"'s digest minutes
    later. One digest a day in the zone they have now: none while the day there began before
    the last one; the next at 07:00 of the next day there."""
    from engine.staff import set_staff_timezone

    add_staff(desk.session, email="kepala@dsda.example", name="Kepala DSDA", role="supervisor",
              agency="DSDA", now=desk.now)  # fmt: skip
    first = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # 08:00 WIB on the 2nd

    def queue(at: datetime) -> list[str]:
        queue_digests(desk.session, now=at, settings=desk.settings)
        desk.session.flush()
        keys = desk.session.scalars(
            select(Notification.dedupe_key).where(
                Notification.kind == "daily_digest",
                Notification.recipient == "kepala@dsda.example",
            )
        )
        return sorted((k or "").split(":")[2] for k in keys)

    assert queue(first) == ["2026-12-02"]
    set_staff_timezone(desk.session, "kepala@dsda.example", "America/Los_Angeles")
    for hours in (0.5, 5, 13.5):  # there: 17:30 and 22:00 on the 1st, 06:30 on the 2nd
        assert queue(first + timedelta(hours=hours)) == ["2026-12-02"], hours
    # 07:00 on the 2nd there: that day's digest, once (the day began after the last one).
    assert queue(first + timedelta(hours=14)) == ["2026-12-02", "2026-12-02"]
    assert queue(first + timedelta(hours=19.5)) == ["2026-12-02", "2026-12-02"]
