"""A ladder level whose mail a change took back, and a level whose ladder now names someone else,
are told once to whom the ticket and the catalogue name now.

1. A change (a catalogue reload, a re-categorisation) withdrew a level's waiting mail and, under
   the later deadline it brought, the level was not reached: it was told to nobody. When time
   alone makes it due again — no reload, no change to the ticket — the sweep tells it, once.
2. A reload changed whom a level notifies after its mail had gone: the roles it names now and
   did not name before are told, once; nobody told already is told again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from engine.catalogue import load_catalogue
from engine.delivery import DeliveryPolicy, Outcome, SendResult, claim, record
from engine.escalation import sweep_batch
from engine.models import Agency, Escalation, Notification, Ticket

from .conftest import Desk

WIB = ZoneInfo("Asia/Jakarta")
CATALOGUE_TEXT = (Path(__file__).resolve().parents[2] / "catalogue" / "jakarta.yaml").read_text()
EMERGENCY_TARGETS = "targets: {verify: 30m, assign: 1h, start: 2h, resolve: 24h, accept: 1h}"
DSDA_QUEUE = "email: dsda.queue@tanggap.example"
NEW_QUEUE = "email: dsda.newqueue@tanggap.example"
QUEUE, NEWQUEUE, HEAD = (
    "dsda.queue@tanggap.example",
    "dsda.newqueue@tanggap.example",
    "dsda.head@tanggap.example",
)
WARNING_TEXT = "peringatan / warning (50% dari target"
BREACH_TEXT = "lewat batas waktu / deadline passed (100% dari target"


def wib(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, 23, hour, minute, second, tzinfo=WIB)


def catalogue(queue: str = DSDA_QUEUE, **targets: str) -> str:
    """The Jakarta catalogue with the emergency policy's ``targets`` and Dinas SDA's queue."""
    assert CATALOGUE_TEXT.count(EMERGENCY_TARGETS) == 1 and CATALOGUE_TEXT.count(DSDA_QUEUE) == 1
    changed = EMERGENCY_TARGETS
    for kind, target in targets.items():
        default = changed.split(f"{kind}: ")[1].split(",")[0].rstrip("}")
        changed = changed.replace(f"{kind}: {default}", f"{kind}: {target}")
    return CATALOGUE_TEXT.replace(EMERGENCY_TARGETS, changed).replace(DSDA_QUEUE, queue)


def load(desk: Desk, text: str, at: datetime) -> dict[str, int]:
    desk.now = at
    return load_catalogue(desk.session, text, now=at, source="edited.yaml").as_dict()


def rows(desk: Desk, ticket: Ticket) -> list[tuple[str, str, str | None]]:
    """(recipient, status, last_error) of the ticket's escalation mail, oldest first."""
    found = desk.session.execute(
        select(Notification.recipient, Notification.status, Notification.last_error)
        .where(Notification.ticket_id == ticket.id, Notification.kind == "escalation")
        .order_by(Notification.id)
    )
    return [tuple(row) for row in found]  # type: ignore[misc]


def ledger(desk: Desk, ticket: Ticket) -> list[tuple[str, str, bool]]:
    found = desk.session.execute(
        select(Escalation.timer_kind, Escalation.level, Escalation.mailed)
        .where(Escalation.ticket_id == ticket.id)
        .order_by(Escalation.timer_kind, Escalation.percent)
    )
    return [tuple(row) for row in found]  # type: ignore[misc]


def delivered(desk: Desk, at: datetime) -> dict[str, str]:
    """Send every escalation mail due by ``at`` (recorded as sent): recipient → text."""
    sent: dict[str, str] = {}
    for mail in claim(desk.session, now=at, limit=50):
        record(desk.session, mail.id, SendResult(Outcome.SENT), now=at, policy=DeliveryPolicy())
        if mail.kind == "escalation":
            assert mail.recipient not in sent, f"{mail.recipient} got two mails at once"
            sent[mail.recipient] = mail.text
    return sent


def two_minute_flood(desk: Desk) -> Ticket:
    """The emergency policy verifies in 2 minutes; a flood submitted at 09:00 has its warning
    (50 %) queued to Dinas SDA's queue by the sweep at 09:01:30 (not yet delivered)."""
    load(desk, catalogue(verify="2m"), wib(8, 50))
    desk.now = wib(9) - timedelta(minutes=5)
    ticket = desk.submit(category="flood")
    sweep_batch(desk.session, now=wib(9, 1, 30))
    assert rows(desk, ticket) == [(QUEUE, "pending", None)]
    return ticket


WITHDRAWN = (
    QUEUE,
    "failed",
    "not sent: the catalogue was reloaded, its agency queue is dsda.newqueue@tanggap.example",
)


# --- 1. a withdrawn level due again through time alone ----------------------------------------


def test_a_withdrawn_warning_due_again_later_is_told_by_the_sweep_once(desk: Desk) -> None:
    """A reload at 09:01:40 gave Dinas SDA a new queue and the verification 60 minutes: the
    warning waiting for the old queue was withdrawn and, 100 s into 60 minutes, not reached, so
    told to nobody. Nothing changes after that; at 09:30 the warning is due under the new
    target: the new queue is told then, once, and the breach at 10:00 says so."""
    ticket = two_minute_flood(desk)
    load(desk, catalogue(NEW_QUEUE, verify="60m"), wib(9, 1, 40))
    assert rows(desk, ticket) == [WITHDRAWN]
    assert ledger(desk, ticket) == [("verify", "warning", False)]
    # The sweep looks again when the warning is due under the new target, not only at 10:00.
    assert ticket.next_check_at == wib(9, 30)

    assert sweep_batch(desk.session, now=wib(9, 29, 59)).tickets == 0
    assert rows(desk, ticket) == [WITHDRAWN]

    result = sweep_batch(desk.session, now=wib(9, 30))
    assert result.notifications == 1
    assert rows(desk, ticket) == [WITHDRAWN, (NEWQUEUE, "pending", None)]
    assert ledger(desk, ticket) == [("verify", "warning", True)]
    sent = delivered(desk, wib(9, 31))
    assert list(sent) == [NEWQUEUE]
    assert WARNING_TEXT in sent[NEWQUEUE]
    assert ticket.next_check_at == wib(10)

    # Sweeps after it tell nobody of the warning again; the breach names it as told.
    assert sweep_batch(desk.session, now=wib(9, 45)).tickets == 0
    sweep_batch(desk.session, now=wib(10))
    assert ledger(desk, ticket) == [("verify", "warning", True), ("verify", "breach", True)]
    sent = delivered(desk, wib(10, 1))
    assert NEWQUEUE not in sent and QUEUE not in sent
    assert BREACH_TEXT in sent[HEAD]
    assert "peringatan / warning (50%): antrean instansi / agency queue" in sent[HEAD]
    assert [r[0] for r in rows(desk, ticket)].count(NEWQUEUE) == 1


def test_a_withdrawn_warning_caught_up_after_its_breach_is_not_told(desk: Desk) -> None:
    """The same warning, but no sweep ran between 09:30 and 10:05: the clock is late, so the
    warning ("the deadline is near") is not told; the breach is, and does not claim it."""
    ticket = two_minute_flood(desk)
    load(desk, catalogue(NEW_QUEUE, verify="60m"), wib(9, 1, 40))

    sweep_batch(desk.session, now=wib(10, 5))

    assert ledger(desk, ticket) == [("verify", "warning", False), ("verify", "breach", True)]
    sent = delivered(desk, wib(10, 6))
    assert NEWQUEUE not in sent and QUEUE not in sent
    assert BREACH_TEXT in sent[HEAD] and "antrean instansi" not in sent[HEAD]
    # Nothing is left due for the warning: the ticket waits for the next level (150 %).
    assert ticket.next_check_at == wib(10, 30)


def test_a_pause_moves_when_a_withdrawn_warning_is_told(desk: Desk) -> None:
    """The start clock's warning, withdrawn by a reload that gave a new queue and 60 minutes
    (due 09:40 under them), then ten minutes on hold: it is told at 09:50, not at 09:40."""
    load(desk, catalogue(start="2m"), wib(8, 50))
    desk.now = wib(8, 55)
    ticket = desk.submit(category="flood")  # 09:00
    desk.act(ticket, "verify", "admin")  # 09:05
    desk.act(ticket, "assign", "admin")  # 09:10: the start clock runs, warning at 09:11
    sweep_batch(desk.session, now=wib(9, 11, 30))
    assert rows(desk, ticket) == [(QUEUE, "pending", None)]
    load(desk, catalogue(NEW_QUEUE, start="60m"), wib(9, 11, 40))
    assert rows(desk, ticket) == [WITHDRAWN]
    assert ticket.next_check_at == wib(9, 40)

    desk.now = wib(9, 15)
    desk.act(ticket, "hold", "admin", note="menunggu pompa dari PLN")  # 09:20
    desk.now = wib(9, 25)
    desk.act(ticket, "resume", "admin")  # 09:30: ten minutes paused
    assert ticket.next_check_at == wib(9, 50)

    sweep_batch(desk.session, now=wib(9, 45))
    assert rows(desk, ticket) == [WITHDRAWN]
    sweep_batch(desk.session, now=wib(9, 50))
    assert rows(desk, ticket) == [WITHDRAWN, (NEWQUEUE, "pending", None)]
    assert ("start", "warning", True) in ledger(desk, ticket)
    sent = delivered(desk, wib(9, 51))
    assert list(sent) == [NEWQUEUE] and WARNING_TEXT in sent[NEWQUEUE]


def test_a_warning_withdrawn_by_a_recategorisation_is_told_to_the_new_agency_when_due(
    desk: Desk,
) -> None:
    """A change to the ticket, not the catalogue: a flood (Dinas SDA, verify 30 min) whose
    warning waits for Dinas SDA's queue is re-categorised at 09:20 as an urgent traffic jam
    (Dinas Perhubungan, verify 1 h): the warning is withdrawn, and 20 minutes into 60 it is not
    reached. At 09:30 it is: Dinas Perhubungan's queue is told then, once."""
    desk.now = wib(8, 55)
    ticket = desk.submit(category="flood")  # 09:00
    sweep_batch(desk.session, now=wib(9, 16))
    assert rows(desk, ticket) == [(QUEUE, "pending", None)]
    desk.now = wib(9, 15)
    desk.act(ticket, "update", "admin", category="traffic_jam", priority="urgent",
             note="ternyata kemacetan karena genangan")  # fmt: skip  # 09:20
    assert ticket.agency.code == "DISHUB"
    assert rows(desk, ticket)[0][:2] == (QUEUE, "failed")
    assert ledger(desk, ticket) == [("verify", "warning", False)]
    assert ticket.next_check_at == wib(9, 30)

    sweep_batch(desk.session, now=wib(9, 30))
    assert [r[:2] for r in rows(desk, ticket)] == [
        (QUEUE, "failed"),
        ("dishub.queue@tanggap.example", "pending"),
    ]
    sent = delivered(desk, wib(9, 31))
    assert list(sent) == ["dishub.queue@tanggap.example"]
    assert WARNING_TEXT in sent["dishub.queue@tanggap.example"]
    assert "Dinas Perhubungan" in sent["dishub.queue@tanggap.example"]
    sweep_batch(desk.session, now=wib(9, 35))
    assert len(rows(desk, ticket)) == 2


def _flood_withdrawn(url: str, db: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    """``two_minute_flood`` and the reload that withdraws its warning, committed in ``db``
    (a database of its own, so that racing transactions commit); returns the ticket's code."""
    from engine import schema
    from engine.actors import Actor
    from engine.photos import MemoryMediaStorage
    from engine.settings import Settings
    from engine.submission import Report, submit

    schema.upgrade(db.engine)
    with db.transaction() as session:
        load_catalogue(session, catalogue(verify="2m"), now=wib(8, 50), source="x.yaml")
        code: str = submit(
            session,
            Report(category="flood", description="banjir", lat=-6.1754, lon=106.8272),
            actor=Actor.citizen(),
            now=wib(9),
            settings=Settings(database_url=url, media_dir=tmp_path_factory.mktemp("m")),
            storage=MemoryMediaStorage(),
        ).ticket.code
    with db.transaction() as session:
        assert sweep_batch(session, now=wib(9, 1, 30)).notifications == 1
    with db.transaction() as session:
        text = catalogue(NEW_QUEUE, verify="60m")
        load_catalogue(session, text, now=wib(9, 1, 40), source="y.yaml")
    return code


def _racing(db: Any, second: Callable[[], int]) -> list[int]:
    """A sweep at 09:30 tells the withdrawn warning and holds the ticket; ``second`` runs while
    it does, and the sweep commits half a second later. Returns the mails each queued."""
    swept, go_on = threading.Event(), threading.Event()
    failures: list[BaseException] = []
    told: list[int] = []

    def first() -> None:
        try:
            with db.transaction() as session:
                told.append(sweep_batch(session, now=wib(9, 30)).notifications)
                swept.set()
                go_on.wait(timeout=30)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)
            swept.set()

    thread = threading.Thread(target=first)
    thread.start()
    assert swept.wait(timeout=30)
    timer = threading.Timer(0.5, go_on.set)  # the first commits while the second waits
    timer.start()
    try:
        told.append(second())
    finally:
        thread.join(timeout=30)
        timer.cancel()
    assert not failures
    return told


def _told_once(db: Any, code: str) -> None:
    with db.reading() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.code == code)).one()
        mails = session.execute(
            select(Notification.recipient, Notification.status)
            .where(Notification.ticket_id == ticket.id, Notification.kind == "escalation")
            .order_by(Notification.id)
        ).all()
        levels = session.execute(
            select(Escalation.level, Escalation.mailed).where(Escalation.ticket_id == ticket.id)
        ).all()
        assert ticket.next_check_at == wib(10)
    assert [tuple(m) for m in mails] == [(QUEUE, "failed"), (NEWQUEUE, "pending")]
    assert [tuple(level) for level in levels] == [("warning", True)]


def _drop(database_url: str, name: str) -> None:
    if not database_url.startswith("sqlite"):
        from sqlalchemy import text as sql

        from engine.db import make_engine

        engine = make_engine(database_url)
        with engine.begin() as conn:
            conn.execute(sql(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        engine.dispose()


def test_two_sweeps_racing_tell_a_withdrawn_warning_once(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Two sweeps at 09:30 over the flood whose warning a reload withdrew: one holds the ticket
    (and has told the new queue) when the other claims; the other finds nothing to do, then or
    once the first has committed. One mail, one ledger row."""
    from engine.db import Database
    from engine.escalation import sweep
    from tests.conftest import separate_database_url

    name = "tanggap_untold_race"
    url = separate_database_url(database_url, name, tmp_path_factory)
    db = Database(url)
    try:
        code = _flood_withdrawn(url, db, tmp_path_factory)
        told = _racing(db, lambda: sweep(db.transaction, now=wib(9, 30)).notifications)
        assert told == [1, 0]
        _told_once(db, code)
    finally:
        db.dispose()
        _drop(database_url, name)


def test_a_reload_while_a_sweep_tells_a_withdrawn_warning_waits_and_tells_nobody_again(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A reload (a category re-worded) at 09:30:10, while the sweep that told the withdrawn
    warning to the new queue has not committed: the reload waits for it, finds the warning told
    and tells nobody again (no unique-key failure, no second mail)."""
    from engine.db import Database
    from tests.conftest import separate_database_url

    name = "tanggap_untold_reload"
    url = separate_database_url(database_url, name, tmp_path_factory)
    db = Database(url)
    try:
        code = _flood_withdrawn(url, db, tmp_path_factory)
        text = catalogue(NEW_QUEUE, verify="60m").replace(
            "name_en: Flood / waterlogging", "name_en: Flood"
        )

        def reload() -> int:
            with db.transaction() as session:
                load_catalogue(session, text, now=wib(9, 30, 10), source="z.yaml")
            return 0

        assert _racing(db, reload) == [1, 0]
        _told_once(db, code)
    finally:
        db.dispose()
        _drop(database_url, name)


# --- 2. a reload that names other roles for a level already told ------------------------------

WARNING_LEVEL = (
    "{name: warning, name_id: peringatan, name_en: warning, percent: 50, "
    "notify: [assigned_officer, agency_queue]}\n      - {name: breach"
)
BREACH_LEVEL = "percent: 100, notify: [agency_head, {area_office: kecamatan}]}"


def reload(desk: Desk, at: datetime, *edits: tuple[str, str]) -> dict[str, int]:
    text = CATALOGUE_TEXT
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return load(desk, text, at)


def flood_warning_sent(desk: Desk) -> Ticket:
    """A flood at Monas (emergency policy: 24/7, verify 30 min, Dinas SDA) submitted at 09:00;
    the sweep at 09:20 queues the verification warning (50 %) to Dinas SDA's queue, delivered at
    09:21."""
    desk.now = wib(8, 55)
    ticket = desk.submit(category="flood")
    sweep_batch(desk.session, now=wib(9, 20))
    assert list(delivered(desk, wib(9, 21))) == [QUEUE]
    return ticket


def test_a_level_already_told_tells_the_role_a_reload_names_instead(desk: Desk) -> None:
    """The warning went to Dinas SDA's queue; a reload makes the warning notify [agency_head]:
    the head, responsible now, is told of the warning once; the queue's delivered mail is left
    as it is and the queue is not told again, nor the head at a second reload or a sweep."""
    ticket = flood_warning_sent(desk)

    reload(desk, wib(9, 22), (WARNING_LEVEL, WARNING_LEVEL.replace(
        "[assigned_officer, agency_queue]", "[agency_head]")))  # fmt: skip

    assert rows(desk, ticket) == [(QUEUE, "sent", None), (HEAD, "pending", None)]
    assert ledger(desk, ticket) == [("verify", "warning", True)]
    sent = delivered(desk, wib(9, 23))
    assert list(sent) == [HEAD]
    assert (
        "Tingkat eskalasi / escalation level: peringatan / warning (50% dari target" in (sent[HEAD])
    )
    reload(desk, wib(9, 24), (WARNING_LEVEL, WARNING_LEVEL.replace(
        "[assigned_officer, agency_queue]", "[agency_head]")))  # fmt: skip
    sweep_batch(desk.session, now=wib(9, 25))
    assert rows(desk, ticket) == [(QUEUE, "sent", None), (HEAD, "sent", None)]


def test_a_role_added_to_a_level_already_told_is_told_and_nobody_twice(desk: Desk) -> None:
    """The breach went to Dinas SDA's head and Gambir's kecamatan office; a reload adds the
    Jakarta Pusat mayor's office (kota) to the breach: it is told, once; the head and the
    kecamatan office are not told again. The breach's words name its level and lateness."""
    desk.now = wib(8, 55)
    ticket = desk.submit(category="flood")
    sweep_batch(desk.session, now=wib(9, 31))
    sent = delivered(desk, wib(9, 31))
    kecamatan = desk.session.scalars(
        select(Notification.recipient).where(
            Notification.ticket_id == ticket.id,
            Notification.recipient_kind == "area_office:kecamatan",
        )
    ).one()
    assert set(sent) == {HEAD, kecamatan}

    with_kota = BREACH_LEVEL.replace("kecamatan}]", "kecamatan}, {area_office: kota}]")
    reload(desk, wib(9, 40), (BREACH_LEVEL, with_kota))

    kota = desk.session.scalars(select(Agency.head_email).where(Agency.code == "WALKOT-JP")).one()
    assert rows(desk, ticket) == [
        (HEAD, "sent", None),
        (kecamatan, "sent", None),
        (kota, "pending", None),
    ]
    sent = delivered(desk, wib(9, 41))
    assert list(sent) == [kota]
    assert BREACH_TEXT in sent[kota] and "Wilayah / area: Kelurahan Gambir" in sent[kota]


def test_a_reload_that_names_nobody_new_for_a_level_told_sends_nothing(desk: Desk) -> None:
    """Re-wording the warning, or naming the queue it already went to twice, tells nobody."""
    ticket = flood_warning_sent(desk)
    reload(desk, wib(9, 22), (WARNING_LEVEL, WARNING_LEVEL.replace(
        "name_en: warning,", "name_en: early warning,")))  # fmt: skip
    assert rows(desk, ticket) == [(QUEUE, "sent", None)]


def test_a_stale_warning_is_not_told_to_the_role_a_reload_names_now(desk: Desk) -> None:
    """The warning went to the queue; by the reload at 09:40 the clock is past its deadline, so
    the head the warning names now is not told "the deadline is near" (the breach tells)."""
    ticket = flood_warning_sent(desk)
    sweep_batch(desk.session, now=wib(9, 31))
    delivered(desk, wib(9, 31))
    before = rows(desk, ticket)

    reload(desk, wib(9, 40), (WARNING_LEVEL, WARNING_LEVEL.replace(
        "[assigned_officer, agency_queue]", "[agency_head, governor_office]")))  # fmt: skip

    assert rows(desk, ticket) == before


def test_a_stopped_clocks_level_is_not_told_to_the_role_a_reload_names_now(desk: Desk) -> None:
    """The warning went to the queue and the report was verified at 09:25: the verification is
    done, so neither the head nor the kecamatan office a reload names for the warning is told
    of it."""
    ticket = flood_warning_sent(desk)
    desk.now = wib(9, 20)
    desk.act(ticket, "verify", "admin")  # 09:25
    head_and_office = "[agency_head, {area_office: kecamatan}]"
    reload(desk, wib(9, 26), (WARNING_LEVEL, WARNING_LEVEL.replace(
        "[assigned_officer, agency_queue]", head_and_office)))  # fmt: skip
    assert rows(desk, ticket) == [(QUEUE, "sent", None)]
