"""How a report came (its channel) reads the same on every door of the app: the citizen's JSON
and multipart report, staff filing for a caller, and Open311 (an extension) — any case,
surrounding spaces, an empty field meaning "not said", and the same refusal naming `channel`
(``engine.channels``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import MONAS, Api
from tests.conftest import make_photo

REPORT = {"category": "traffic_jam", "description": "Macet", "lat": MONAS[0], "lon": MONAS[1]}


def _channel(api: Api, code: str) -> str:
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin"))
    assert detail.status_code == 200, detail.text
    channel: str = detail.json()["channel"]
    return channel


def _citizen_json(api: Api, channel: str | None) -> Any:
    api.clock.tick()
    return api.client.post("/api/v1/reports", json={**REPORT, "channel": channel})


def _citizen_form(api: Api, channel: str | None) -> Any:
    api.clock.tick()
    fields = {k: str(v) for k, v in REPORT.items()}
    if channel is not None:
        fields["channel"] = channel
    return api.client.post(
        "/api/v1/reports",
        data=fields,
        files=[("photos", ("a.jpg", make_photo(), "image/jpeg"))],
    )


def _staff_json(api: Api, channel: str | None) -> Any:
    api.clock.tick()
    return api.client.post(
        "/api/v1/tickets", json={**REPORT, "channel": channel}, headers=api.auth("staff")
    )


def _open311(api: Api, key: str, channel: str | None) -> Any:
    api.clock.tick()
    data = {
        "api_key": api.keys[key],
        "service_code": "traffic_jam",
        "lat": str(MONAS[0]),
        "long": str(MONAS[1]),
        "description": "Macet",
    }
    if channel is not None:
        data["channel"] = channel
    return api.client.post("/open311/v2/requests.json", data=data)


def _code(response: Any) -> str:
    assert response.status_code == 201, response.text
    body = response.json()
    code: str = body[0]["service_request_id"] if isinstance(body, list) else body["code"]
    return code


DOORS = {
    "citizen json": (_citizen_json, "app"),
    "citizen form": (_citizen_form, "app"),
    "staff": (_staff_json, "staff-on-behalf"),
    "open311 client": (lambda api, c: _open311(api, "client", c), "open311"),
    "open311 staff": (lambda api, c: _open311(api, "staff", c), "staff-on-behalf"),
}
#: A channel each door's filer may name, as a person might type it.
TYPED = {
    "citizen json": ("APP", "app"),
    "citizen form": (" Web ", "web"),
    "staff": ("Walk-In", "walk-in"),
    "open311 client": ("WhatsApp", "whatsapp"),
    "open311 staff": (" phone ", "phone"),
}
#: One the door's filer may not name.
WRONG = {
    "citizen json": "phone",
    "citizen form": "staff-on-behalf",
    "staff": "web",
    "open311 client": "walk-in",
    "open311 staff": "open311",
}


@pytest.mark.parametrize("door", sorted(DOORS))
def test_every_door_reads_a_channel_alike_and_not_saying_is_the_filer_s_default(
    api: Api, door: str
) -> None:
    send, default = DOORS[door]
    typed, stored = TYPED[door]
    assert _channel(api, _code(send(api, typed))) == stored
    for unsaid in (None, "", "  "):
        assert _channel(api, _code(send(api, unsaid))) == default, unsaid


#: The words a person types for a channel of two words: a space, an underscore, another case.
SPELLINGS = {"walk in": "walk-in", "WALK_IN": "walk-in", "Staff On_Behalf": "staff-on-behalf"}


@pytest.mark.parametrize("door", sorted(DOORS))
@pytest.mark.parametrize("typed", sorted(SPELLINGS))
def test_every_door_reads_a_channel_as_every_code_is_read_spaces_and_underscores_alike(
    api: Api, door: str, typed: str
) -> None:
    """``walk in`` and ``WALK_IN`` are walk-in, as ``On Hold`` is on_hold for a state
    (``engine.text.code_key``): a staff door records it, a citizen's door refuses it as
    staff's own door, never as an unknown word."""
    send, _default = DOORS[door]
    stored = SPELLINGS[typed]
    response = send(api, typed)
    if door in ("staff", "open311 staff"):
        assert _channel(api, _code(response)) == stored
        return
    if door.startswith("open311"):
        assert response.status_code == 400, response.text
        detail = response.json()[0]["description"]
    else:
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
    assert detail.endswith(f"{stored} is a door of the city's staff"), detail


@pytest.mark.parametrize("door", sorted(DOORS))
@pytest.mark.parametrize("given", ["wrong door", "kiosk", "x" * 5000])
def test_every_door_refuses_a_channel_alike_naming_it_and_writing_nothing(
    api: Api, door: str, given: str
) -> None:
    send, _default = DOORS[door]
    channel = WRONG[door] if given == "wrong door" else given
    before = api.client.get("/api/v1/tickets", headers=api.auth("admin")).json()["items"]
    response = send(api, channel)
    if door.startswith("open311"):
        assert response.status_code == 400, response.text
        (error,) = response.json()
        detail = error["description"]
    else:
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["params"]["field"] == "channel"
        detail = problem["detail"]
    if given == "wrong door":
        assert detail.endswith(
            f"{channel} is a door of the city's staff"
            if door.startswith(("citizen", "open311 client"))
            else f"{channel} is the citizen's own door"
        )
    else:
        assert detail.startswith(f"unknown channel {channel[:40]!r}: app, web, open311")
        assert len(detail) < 200
    assert api.client.get("/api/v1/tickets", headers=api.auth("admin")).json()["items"] == before
