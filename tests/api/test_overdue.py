"""One "overdue" for every reader: a breach that was recorded (and mailed) stays one when a later
change — a lower priority — moves the deadline ahead again (``engine.queries.overdue``).

A traffic jam phoned in as urgent runs under the 24/7 ``urgent`` policy (verify within 1 hour).
Lowered to ``low`` it falls to the office ``default`` policy (verify within 1 working day): the
deadline moves to the next day.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from engine.escalation import sweep_batch

from .conftest import MONAS, Api


def _phoned_in_urgent(api: Api) -> str:
    api.clock.tick()
    response = api.client.post(
        "/api/v1/tickets",
        json={
            "category": "traffic_jam",
            "description": "Penelepon: jalan tertutup total",
            "lat": MONAS[0],
            "lon": MONAS[1],
            "channel": "phone",
            "priority": "urgent",
        },
        headers=api.auth("staff"),
    )
    assert response.status_code == 201, response.text
    code: str = response.json()["code"]
    return code


def _lower(api: Api, code: str) -> None:
    lowered = api.act(code, "update", "admin", priority="low", note="ternyata tidak mendesak")
    assert lowered.status_code == 200, lowered.text


def _sweep(api: Api) -> None:
    with api.transactions.write() as session:
        sweep_batch(session, now=api.clock.now)


def _worklist(api: Api, query: str = "") -> list[dict[str, Any]]:
    response = api.client.get(f"/api/v1/tickets?limit=500{query}", headers=api.auth("staff"))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _csv_overdue(api: Api, code: str) -> str:
    response = api.client.get("/api/v1/tickets.csv?limit=500", headers=api.auth("staff"))
    assert response.status_code == 200, response.text
    [row] = [r for r in csv.DictReader(io.StringIO(response.text)) if r["code"] == code]
    return row["overdue"]


def _readers(api: Api, code: str) -> dict[str, Any]:
    """What each reader says of ``code``."""
    dsupervisor = api.client.get("/api/v1/dashboard/tickets", headers=api.auth("supervisor"))
    assert dsupervisor.status_code == 200, dsupervisor.text
    [board] = [t for t in dsupervisor.json() if t["code"] == code]
    [item] = [i for i in _worklist(api) if i["code"] == code]
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("staff")).json()
    public = api.client.get(f"/api/v1/reports/{code}").json()
    page = api.client.get(f"/t/{code}?lang=en").text
    return {
        "dashboard": board["sla"],
        "worklist": item["overdue"],
        "filter": code in {i["code"] for i in _worklist(api, "&overdue=true")},
        "at_risk": code in {i["code"] for i in _worklist(api, "&at_risk_hours=72")},
        "csv": _csv_overdue(api, code),
        "detail": detail["report"]["overdue"],
        "public": public["overdue"],
        "page": "is overdue" in page,
    }


def test_breach_recorded_then_priority_lowered_every_reader_says_overdue(api: Api) -> None:
    code = _phoned_in_urgent(api)
    api.clock.tick(70)  # the 1-hour verify target has passed
    _sweep(api)
    head = [r for r, _, subject in api.mails(code, "escalation") if "(100%)" in subject]
    assert head, "the breach was mailed"
    _lower(api, code)
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("staff")).json()
    verify = next(t for t in detail["timers"] if t["kind"] == "verify")
    assert verify["deadline"] > api.clock.now.isoformat()  # the new deadline is later

    assert _readers(api, code) == {
        "dashboard": "breached",
        "worklist": True,
        "filter": True,
        "at_risk": False,  # overdue is not "at risk": it is past that
        "csv": "True",
        "detail": True,
        "public": True,
        "page": True,
    }


def test_overdue_after_a_later_deadline_ranks_before_tickets_still_on_time(api: Api) -> None:
    code = _phoned_in_urgent(api)
    api.clock.tick(70)
    _sweep(api)
    on_time = _phoned_in_urgent(api)  # due in an hour: earlier than the lowered one's deadline
    _lower(api, code)

    order = [i["code"] for i in _worklist(api)]
    assert order.index(code) < order.index(on_time)
    board = api.client.get("/api/v1/dashboard/tickets", headers=api.auth("supervisor")).json()
    ranked = [t["code"] for t in board]
    assert ranked.index(code) < ranked.index(on_time)
    # a page at a time, the same order and nothing twice
    first = api.client.get("/api/v1/tickets?limit=1", headers=api.auth("staff")).json()
    walked = [i["code"] for i in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = api.client.get(
            "/api/v1/tickets", params={"limit": 1, "cursor": cursor}, headers=api.auth("staff")
        ).json()
        walked += [i["code"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert walked == order


def test_no_breach_recorded_and_deadline_moved_later_is_not_overdue(api: Api) -> None:
    code = _phoned_in_urgent(api)
    api.clock.tick(30)  # half the urgent verify target: nothing has passed
    _lower(api, code)
    api.clock.tick(40)  # past the old (urgent) deadline, well before the new one

    readers = _readers(api, code)
    assert readers["dashboard"] != "breached"
    assert {k: v for k, v in readers.items() if k != "dashboard"} == {
        "worklist": False,
        "filter": False,
        "at_risk": True,
        "csv": "False",
        "detail": False,
        "public": False,
        "page": False,
    }
