"""Every worklist ranks alike: the staff API's (JSON and CSV), the staff page's board and the
operator's ``tanggap ticket list`` (``engine.queries.ranking``).

A tester's report: the CLI listed tickets on hold after the running ones, the longest hold
first, but ``GET /api/v1/tickets`` ranked a hold by its paused deadline, so a ticket held for a
week sat above a fresh report whose clock is running, and the two lists disagreed.
"""

from __future__ import annotations

import csv
import io

from engine.queries.tickets import TicketFilter, list_tickets

from .conftest import Api


def _order(codes: list[str], wanted: set[str]) -> list[str]:
    return [code for code in codes if code in wanted]


def test_the_api_worklist_ranks_running_tickets_first_then_the_longest_hold(api: Api) -> None:
    held_later = api.submit()["code"]
    held_first = api.submit()["code"]
    api.drive(held_first, "verify", "assign", "start", "hold")
    api.clock.tick(60 * 24 * 5)
    api.drive(held_later, "verify", "assign", "start", "hold")
    api.clock.tick(60 * 24)
    fresh = api.submit()["code"]  # its verify clock runs: due within hours
    ours = {held_later, held_first, fresh}
    expected = [fresh, held_first, held_later]

    items = api.client.get("/api/v1/tickets", headers=api.auth("staff")).json()["items"]
    assert _order([i["code"] for i in items], ours) == expected
    assert [i["on_hold_since"] is not None for i in items if i["code"] in ours] == [
        False,
        True,
        True,
    ]
    table = api.client.get("/api/v1/tickets.csv", headers=api.auth("staff")).text
    assert _order([r["code"] for r in csv.DictReader(io.StringIO(table))], ours) == expected
    board = api.client.get("/api/v1/dashboard/tickets", headers=api.auth("supervisor")).json()
    assert _order([t["code"] for t in board], ours) == expected
    with api.transactions.read() as session:  # the CLI's query, on the same tickets
        listed = list_tickets(session, TicketFilter(), now=api.clock.now, limit=None)
    assert _order([line.code for line in listed.lines], ours) == expected


def test_the_api_worklist_pages_through_holds_without_losing_or_repeating_one(api: Api) -> None:
    codes = [api.submit()["code"] for _ in range(5)]
    for code in codes[:3]:
        api.drive(code, "verify", "assign", "start", "hold")
        api.clock.tick(60)
    ours = set(codes)
    whole = [
        i["code"]
        for i in api.client.get(
            "/api/v1/tickets", params={"limit": 500}, headers=api.auth("staff")
        ).json()["items"]
    ]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = api.client.get("/api/v1/tickets", params=params, headers=api.auth("staff"))
        assert page.status_code == 200, page.text
        seen += [i["code"] for i in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    assert seen == whole
    assert _order(seen, ours) == [codes[3], codes[4], codes[0], codes[1], codes[2]]
