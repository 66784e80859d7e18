"""Page cursors are read by the engine: a hand-made one is a 422 naming ``cursor``, never a
server fault (an id no key can hold, an instant the database cannot store)."""

from __future__ import annotations

import base64

import pytest

from tests.api.conftest import Api

#: Every keyset-paged endpoint: path, key (None: public).
PAGED = [
    ("/api/v1/reports", None),
    ("/api/v1/reports.geojson", None),
    ("/api/v1/tickets", "staff"),
    ("/api/v1/tickets.csv", "staff"),
]

HAND_MADE = [
    "2026-11-30T19:08:51.914767+00:00|99999999999999999999",
    "2026-11-30T19:08:51.914767+00:00|-99999999999999999999",
    "2026-11-30T19:08:51.914767+00:00|9223372036854775808",
    "2026-11-30T19:08:51.914767+00:00|0",
    "2026-11-30T19:08:51.914767+00:00|-5",
    "2026-11-30T19:08:51.914767+00:00|5_0",
    "2026-11-30T19:08:51.914767+00:00|\u0665",
    "9999-12-31T23:59:59-14:00|5",
    "0001-01-01T00:00:00+14:00|5",
    "1900-01-01T00:00:00+00:00|5",
    "2026-11-30T19:08:51|5",
    "garbage",
    # a worklist cursor's rank and the instant its first page was ranked at (as_of)
    "2026-11-30T19:08:51.914767+00:00|5|1|garbage",
    "2026-11-30T19:08:51.914767+00:00|5|1|2026-11-30T19:08:51",
    "2026-11-30T19:08:51.914767+00:00|5|1|9999-12-31T23:59:59-14:00",
    "2026-11-30T19:08:51.914767+00:00|5|1|",
    "2026-11-30T19:08:51.914767+00:00|5|3|2026-11-30T19:08:51+00:00",
]


def _cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize("text", HAND_MADE)
@pytest.mark.parametrize(("path", "who"), PAGED)
def test_cursor_hand_made_is_refused_naming_cursor(
    api: Api, path: str, who: str | None, text: str
) -> None:
    api.submit()
    headers = api.auth(who) if who else {}
    refused = api.client.get(path, params={"limit": 2, "cursor": _cursor(text)}, headers=headers)
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["code"] == "invalid_cursor"
    assert body["params"] == {"field": "cursor"}
    assert body["detail"].startswith("cursor is not one this service handed out")


@pytest.mark.parametrize(("path", "who"), PAGED)
def test_cursor_handed_out_reads_the_next_page(api: Api, path: str, who: str | None) -> None:
    codes = [api.submit()["code"] for _ in range(3)]
    headers = api.auth(who) if who else {}
    first = api.client.get(path, params={"limit": 2}, headers=headers)
    cursor = first.headers.get("X-Next-Cursor") or first.json()["next_cursor"]
    rest = api.client.get(path, params={"limit": 2, "cursor": cursor}, headers=headers)
    assert rest.status_code == 200, rest.text
    assert sum(code in rest.text for code in codes) == 1


def test_cursor_past_tickets_without_a_running_timer_reads_back(api: Api) -> None:
    codes = [api.submit()["code"] for _ in range(3)]
    for code in codes:
        api.drive(code, "verify", "assign", "start", "resolve")
    headers = api.auth("admin")
    params = {"limit": 2, "state": "resolved"}
    first = api.client.get("/api/v1/tickets", params=params, headers=headers).json()
    assert all(item["due_at"] is None for item in first["items"]), first
    rest = api.client.get(
        "/api/v1/tickets", params={**params, "cursor": first["next_cursor"]}, headers=headers
    )
    assert rest.status_code == 200, rest.text
    assert len(rest.json()["items"]) == 1
