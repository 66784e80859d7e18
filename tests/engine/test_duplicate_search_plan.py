"""The duplicate search reads one category's tickets in a band of latitude through
``ix_tickets_category_lat``, not every open ticket: without the index each submission's cost
grew with the city's backlog (bench/README.md, 2026-12-01)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from engine.queries.public import nearby_open


def _captured_statement(session: Session, now: datetime) -> tuple[str, Any]:
    seen: list[tuple[str, Any]] = []
    connection = session.connection()

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", capture)
    try:
        nearby_open(
            session, category="road_damage", lat=-6.175, lon=106.827, radius_m=250, days=30, now=now
        )
    finally:
        event.remove(connection, "before_cursor_execute", capture)
    (found,) = [pair for pair in seen if "FROM tickets" in pair[0]]
    return found


def test_the_duplicate_search_can_read_through_the_category_latitude_index(
    session: Session, start_time: datetime
) -> None:
    statement, parameters = _captured_statement(session, start_time)
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    if session.get_bind().dialect.name == "sqlite":
        cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    else:
        # A small test table is read whole by choice; forbid that to see the index is usable.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {statement}", parameters)
        plan = " ".join(str(row[0]) for row in cursor.fetchall())
    assert "ix_tickets_category_lat" in plan
