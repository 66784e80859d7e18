"""Every instant the API and Open311 show is written to the whole second.

A deadline computed from a submission carried its microseconds (``due_at``,
``expected_resolution_at``: ``…05:56:25.276200Z``) beside instants without any in one list."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.api.conftest import Api

#: An instant with a fraction of a second, in any spelling (``…25.2762Z``, ``…25.276+07:00``).
FRACTION = re.compile(r"T\d\d:\d\d:\d\d\.\d+")
INSTANT = re.compile(r"T\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)")


def test_no_instant_shown_has_a_fraction_of_a_second(api: Api) -> None:
    api.clock.now += timedelta(microseconds=276200)
    created = api.client.post(
        "/api/v1/reports",
        json={
            "category": "traffic_jam",
            "description": "Macet total di depan Monas sejak pagi",
            "lat": -6.1754,
            "lon": 106.8272,
            "email": "pelapor@example.id",
        },
    )
    assert created.status_code == 201, created.text
    code, token = created.json()["code"], created.json()["reporter_token"]
    api.tokens[code] = token
    shown = {"POST /reports": created}
    api.clock.now += timedelta(microseconds=123457)
    shown["POST transition"] = api.act(code, "verify")
    shown["POST supporters"] = api.client.post(f"/api/v1/reports/{code}/supporters")
    admin = api.auth("admin")
    for path, headers in [
        ("/api/v1/reports", {}),
        ("/api/v1/reports.geojson", {}),
        (f"/api/v1/reports/{code}", {}),
        (f"/api/v1/reports/{code}/private", {"X-Reporter-Token": token}),
        ("/api/v1/tickets", admin),
        ("/api/v1/tickets.csv", admin),
        (f"/api/v1/tickets/{code}", admin),
        (f"/api/v1/tickets/{code}/sla", admin),
        ("/api/v1/figures", admin),
        ("/api/v1/escalations", admin),
        ("/api/v1/dashboard/tickets", admin),
        ("/api/v1/dashboard/backlog", admin),
        ("/api/v1/dashboard/escalations", admin),
        ("/api/v1/admin/keys", admin),
        ("/open311/v2/requests.json", {}),
        ("/open311/v2/requests.xml", {}),
        (f"/open311/v2/requests/{code}.json", {}),
        ("/open311/v2/servicerequestupdates.json", {}),
    ]:
        shown[path] = api.client.get(path, headers=headers)
    for where, response in shown.items():
        assert response.status_code in (200, 201), (where, response.text)
        assert not FRACTION.search(response.text), (where, FRACTION.findall(response.text))
    # the control: these do show instants (deadlines among them), so the check above looked
    for where in ("POST /reports", f"/api/v1/tickets/{code}", f"/api/v1/tickets/{code}/sla"):
        assert INSTANT.search(shown[where].text), where
    whole = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
    assert whole.match(created.json()["expected_resolution_at"])
    items = shown["/api/v1/tickets"].json()["items"]
    assert all(whole.match(item["due_at"]) for item in items if item["due_at"])
