"""The sweep loop: every due ticket swept once, in batches, with the pacing the edge passes in.

Written against mutants that survived the suite (issue 6 §7): the loop stopping after the
first batch or running past ``max_batches``, the pacing hook never called, the idle check
missing a ticket due at this very instant. Five flood reports filed 09:05-09:25 WIB on Monday
23 Nov 2026 each reach three verify levels by 10:40 (emergency policy, always open: warning,
breach, kota_governor), of which the warning is recorded without mail and the other two go to
two addresses each.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.escalation import any_due, sweep
from engine.models import Notification, Ticket

WIB = ZoneInfo("Asia/Jakarta")
SWEEP_AT = datetime(2026, 11, 23, 10, 40, tzinfo=WIB)


def same_session(session: Session):
    @contextmanager
    def transaction() -> Iterator[Session]:
        yield session
        session.flush()

    return transaction


def five_floods(desk) -> list[Ticket]:
    return [desk.submit(category="flood") for _ in range(5)]


def test_sweep_runs_batches_until_a_short_one_and_paces_between(desk) -> None:
    tickets = five_floods(desk)
    paced: list[int] = []
    batches: list[int] = []
    transaction = same_session(desk.session)

    @contextmanager
    def counted() -> Iterator[Session]:
        batches.append(1)
        with transaction() as session:
            yield session

    total = sweep(counted, now=SWEEP_AT, limit=2, between_batches=lambda: paced.append(1))
    assert len(batches) == 3  # 2 + 2 + 1
    assert len(paced) == 2  # between batches, not after the last
    assert (total.tickets, total.escalations, total.notifications, total.not_mailed) == (
        5,
        15,
        20,
        5,
    )
    assert {code for code, *_ in total.recorded} == {t.code for t in tickets}
    sent = desk.session.scalar(select(func.count()).select_from(Notification))
    assert sent == 20


def test_sweep_stops_at_max_batches(desk) -> None:
    five_floods(desk)
    paced: list[int] = []
    total = sweep(
        same_session(desk.session),
        now=SWEEP_AT,
        limit=2,
        max_batches=2,
        between_batches=lambda: paced.append(1),
    )
    assert total.tickets == 4
    assert total.escalations == 12
    assert len(paced) == 1
    # The fifth is left for the next run, and that run finds it.
    assert sweep(same_session(desk.session), now=SWEEP_AT, limit=2).tickets == 1


def test_sweep_full_last_batch_takes_one_more_empty_look(desk) -> None:
    five_floods(desk)
    total = sweep(same_session(desk.session), now=SWEEP_AT, limit=5)
    assert total.tickets == 5
    assert sweep(same_session(desk.session), now=SWEEP_AT, limit=1).tickets == 0


def test_sweep_limit_below_one_is_refused_and_one_works(desk) -> None:
    five_floods(desk)
    with pytest.raises(ValueError, match="limit must be at least 1, got 0"):
        sweep(same_session(desk.session), now=SWEEP_AT, limit=0)
    assert sweep(same_session(desk.session), now=SWEEP_AT, limit=1).tickets == 5


def test_sweep_idle_reads_and_never_opens_a_write_transaction(desk) -> None:
    ticket = desk.submit(category="flood")
    due = ticket.next_check_at
    assert due == datetime(2026, 11, 23, 9, 20, tzinfo=WIB)  # the verify warning

    def no_write() -> Iterator[Session]:
        raise AssertionError("an idle sweep must not open a write transaction")

    reading = same_session(desk.session)
    early = due - timedelta(microseconds=1)
    assert any_due(desk.session, early) is False
    assert sweep(no_write, now=early, reading=reading).tickets == 0
    assert any_due(desk.session, due) is True  # due at this very instant
    total = sweep(same_session(desk.session), now=due, reading=reading)
    assert (total.tickets, total.escalations) == (1, 1)


def test_sweep_takes_the_longest_waiting_ticket_first(desk) -> None:
    # After downtime with more due than one batch holds, the oldest due goes first.
    later = desk.submit()  # traffic_jam, office calendar: first level due Monday afternoon
    earlier = desk.submit(category="flood")  # 24/7: its verify warning is due at 09:25
    assert earlier.next_check_at < later.next_check_at
    first = sweep(
        same_session(desk.session), now=SWEEP_AT + timedelta(days=2), limit=1, max_batches=1
    )
    assert {code for code, *_ in first.recorded} == {earlier.code}
