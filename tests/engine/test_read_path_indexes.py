"""The read paths a city calls most can read through an index, not the whole table: the
duplicate search of every submission, the public list and map feed, Open311's date windows and
the updates feed. Without these indexes each of them read every ticket (or every event), a cost
that grew with the backlog: with 100,000 open tickets on SQLite a public page took 254 ms and
each submission's duplicate search grew with it (migration 0014, bench/README.md).

Each test captures the statement the engine really sends and asks the database for its plan. On
PostgreSQL sequential scans (and, for a statement whose order an index can give, sorts) are
forbidden first: a planner reads a small test table whole and sorts it by choice, and what is
asserted is that the index can serve the statement, as it does on a large table."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from engine.queries.feeds import list_public_updates
from engine.queries.public import PublicFilter, list_public, nearby_open


def _plan_of(
    session: Session, run: Callable[[], object], table: str, *, ordered: bool = True
) -> str:
    """The plan of the statement ``run`` sends that reads ``FROM {table}``; ``ordered``: an
    index can give the statement's order (no sort needed)."""
    seen: list[tuple[str, Any]] = []
    connection = session.connection()

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(connection, "before_cursor_execute", capture)
    (statement, parameters), *_ = [pair for pair in seen if f"FROM {table}" in pair[0]]
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    if session.get_bind().dialect.name == "sqlite":
        cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return " ".join(str(row[-1]) for row in cursor.fetchall())
    cursor.execute("SET LOCAL enable_seqscan = off")
    if ordered:
        cursor.execute("SET LOCAL enable_sort = off")
    cursor.execute(f"EXPLAIN {statement}", parameters)
    return " ".join(str(row[0]) for row in cursor.fetchall())


def test_the_duplicate_search_reads_one_category_in_a_band_of_latitude(
    session: Session, start_time: datetime
) -> None:
    plan = _plan_of(
        session,
        lambda: nearby_open(
            session,
            category="broken_road",
            lat=-6.175,
            lon=106.827,
            radius_m=250,
            days=30,
            now=start_time,
        ),
        "tickets",
        ordered=False,  # nearest first: a distance, which no index orders
    )
    # (category, latitude) on a large table; a small one may take the latitude alone.
    assert "ix_tickets_category_lat" in plan or "ix_tickets_lat" in plan


@pytest.mark.parametrize(
    "shown",
    [
        PublicFilter(),  # the public list's and the map's first page
        PublicFilter(updated_after=datetime(2026, 11, 1).astimezone()),
    ],
    ids=["first page", "updated after"],
)
def test_the_public_list_walks_the_newest_change_index(
    session: Session, start_time: datetime, shown: PublicFilter
) -> None:
    plan = _plan_of(
        session, lambda: list_public(session, shown, now=start_time, limit=50), "tickets"
    )
    assert "ix_tickets_updated_at_id" in plan


@pytest.mark.parametrize(
    "shown",
    [
        PublicFilter(bbox=(106.82, -6.18, 106.83, -6.17)),  # the map's box
        PublicFilter(near=(-6.175, 106.827, 500)),  # Open311 lat/long/radius
    ],
    ids=["bounding box", "near a point"],
)
def test_a_place_on_the_map_reads_a_band_of_latitude(
    session: Session, start_time: datetime, shown: PublicFilter
) -> None:
    plan = _plan_of(
        session,
        lambda: list_public(session, shown, now=start_time, limit=50),
        "tickets",
        ordered=False,
    )
    assert "ix_tickets_lat" in plan


def test_open311_created_window_reads_through_an_index(
    session: Session, start_time: datetime
) -> None:
    window = PublicFilter(created_after=start_time - timedelta(days=90), created_before=start_time)
    plan = _plan_of(
        session, lambda: list_public(session, window, now=start_time, limit=50), "tickets"
    )
    assert "ix_tickets_created_at" in plan or "ix_tickets_updated_at_id" in plan


def test_the_updates_feed_reads_a_window_of_events_through_its_index(
    session: Session, start_time: datetime
) -> None:
    plan = _plan_of(
        session,
        lambda: list_public_updates(
            session, start=start_time - timedelta(days=1), end=start_time, limit=100
        ),
        "ticket_events",
    )
    assert "ix_ticket_events_created_at_id" in plan
