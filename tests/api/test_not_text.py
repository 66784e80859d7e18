"""What is not text (Unicode noncharacters, lone surrogates) is refused at every door like a
control character, and the Open311 XML stays well-formed even for rows stored before that rule
(read with a real XML parser)."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import func, select, update

from engine.models import Ticket, TicketEvent
from tests.api.conftest import MONAS, Api
from tests.api.test_open311 import post

#: Noncharacters (the two XML 1.0 cannot carry, one it only discourages) and a lone surrogate,
#: which JSON spells "\ud800" and Python reads as one.
NOT_TEXT = ["\uffff", "\ufffe", "\ufdd0", "\U0010ffff", "\ud800"]
REPORT = {"category": "traffic_jam", "description": "Macet", "lat": MONAS[0], "lon": MONAS[1]}


def _rows(api: Api) -> tuple[int, int]:
    with api.transactions.read() as session:
        tickets = session.scalar(select(func.count()).select_from(Ticket)) or 0
        events = session.scalar(select(func.count()).select_from(TicketEvent)) or 0
    return tickets, events


def _send(api: Api, url: str, body: dict[str, Any], who: str | None = None, **headers: str) -> Any:
    """POST ``body`` as JSON with every non-ASCII character escaped, so a lone surrogate arrives
    as the six characters ``\\ud800``, as another system's JSON would send it."""
    if who is not None:
        headers.update(api.auth(who))
    headers["content-type"] = "application/json"
    return api.client.post(url, content=json.dumps(body), headers=headers)


def _refused(response: Any, field: str, position: int) -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] in ("noncharacter", "broken_text")
    assert problem["params"]["field"] == field
    assert problem["params"]["position"] == position
    assert problem["detail"].startswith(f"{field} ")


@pytest.mark.parametrize("ch", NOT_TEXT, ids=lambda ch: f"U+{ord(ch):04X}")
def test_not_text_is_refused_at_every_api_door_naming_the_field(api: Api, ch: str) -> None:
    code = api.submit()["code"]
    before = _rows(api)
    for field in ("description", "address", "name"):
        body = {**REPORT, field: f"ab{ch}c"}
        _refused(_send(api, "/api/v1/reports", body), field, 3)
        _refused(_send(api, "/api/v1/tickets", body, "staff"), field, 3)
    token = api.tokens[code]
    comment = {"text": f"masih{ch}"}
    _refused(
        _send(api, f"/api/v1/reports/{code}/comments", comment, **{"X-Reporter-Token": token}),
        "text",
        6,
    )
    note = {"trigger": "comment", "expected_version": 1, "note": f"catatan{ch}"}
    _refused(_send(api, f"/api/v1/tickets/{code}/transitions", note, "admin"), "note", 8)
    key = {"role": "staff", "name": f"k{ch}"}
    _refused(_send(api, "/api/v1/admin/keys", key, "admin"), "name", 2)
    assert _rows(api) == before  # nothing written


@pytest.mark.parametrize("ch", ["\uffff", "\ufffe", "\ufdd0"], ids=lambda ch: f"U+{ord(ch):04X}")
@pytest.mark.parametrize(
    "field", ["description", "first_name", "last_name", "address_string", "email", "phone"]
)
def test_open311_post_refuses_noncharacters_naming_the_parameter(
    api: Api, ch: str, field: str
) -> None:
    before = _rows(api)
    for fmt in ("json", "xml"):
        response = post(api, fmt, **{field: f"Rahma{ch}"})
        assert response.status_code == 400, response.text
        if fmt == "json":
            (error,) = response.json()
            description = error["description"]
        else:  # the refusal itself is well-formed XML
            description = ET.fromstring(response.content).findtext("error/description") or ""
        if field in ("email", "phone"):  # their own rule, said before the value is checked
            assert description.startswith(f"{field} ")
        else:
            assert description.startswith(f"{field} contains U+{ord(ch):04X} at character 6")
    assert _rows(api) == before


def test_open311_xml_stays_well_formed_for_text_stored_before_the_rule(api: Api) -> None:
    code = api.submit()["code"]
    public = api.act(code, "comment", "admin", note="petugas menuju lokasi", public=True)
    assert public.status_code == 200, public.text
    stored = "Macet\uffff di\ufffe depan\x1b[31m Monas\x0b\ufdd0"
    with api.transactions.write() as session:  # as a row written before the rule would be
        session.execute(
            update(Ticket)
            .where(Ticket.code == code)
            .values(description=stored, address="Jl.\uffff Medan Merdeka")
        )
        ticket_id = session.scalars(select(Ticket.id).where(Ticket.code == code)).one()
        session.execute(
            update(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.note.is_not(None))
            .values(note="menuju\uffff lokasi")
        )
    shown = "Macet\ufffd di\ufffd depan\ufffd[31m Monas\ufffd\ufdd0"
    for path in ("requests.xml", f"requests/{code}.xml"):
        response = api.client.get(f"/open311/v2/{path}")
        assert response.status_code == 200
        item = ET.fromstring(response.content).find("request")
        assert item is not None
        assert item.findtext("description") == shown
        assert item.findtext("address") == "Jl.\ufffd Medan Merdeka"
        assert item.findtext("status_notes") == "menuju\ufffd lokasi"
    updates = api.client.get(
        "/open311/v2/servicerequestupdates.xml",
        params={"start_date": "2026-11-01T00:00:00+07:00", "end_date": "2026-12-31T00:00:00+07:00"},
    )
    assert updates.status_code == 200
    notes = [u.findtext("description") for u in ET.fromstring(updates.content)]
    assert "menuju\ufffd lokasi" in notes
    # JSON carries any character escaped or as it is; the pages show what is not text as "?"
    (as_json,) = api.client.get(f"/open311/v2/requests/{code}.json").json()
    assert as_json["description"] == stored
    assert api.client.get(f"/api/v1/reports/{code}").json()["description"] == stored
    page = api.client.get(f"/t/{code}")
    assert page.status_code == 200
    assert "\uffff" not in page.text and "\x1b" not in page.text
    assert "Macet? di? depan?[31m Monas" in page.text


@pytest.mark.parametrize(
    ("typed", "code", "words"),
    [
        ("%00", "control_character", "q contains control character U+0000 at character 1"),
        ("gam%1Bbir", "control_character", "q contains control character U+001B at character 4"),
        ("gam%0Abir", "one_line", "q must be one line: found a line break at character 4"),
        ("gam%E2%80%AEbir", "direction_override", "q contains direction override U+202E"),
    ],
)
def test_a_place_search_with_a_control_character_is_refused_naming_q(
    api: Api, typed: str, code: str, words: str
) -> None:
    response = api.client.get(f"/api/v1/places?q={typed}")
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == code
    assert body["detail"].startswith(words)
    assert body["params"]["field"] == "q"
    assert api.client.get("/api/v1/places?q=gambir").json()  # the search itself still works


@pytest.mark.parametrize("name", ["service_code", "service_request_id"])
def test_open311_text_parameter_with_a_control_character_is_refused_naming_it(
    api: Api, name: str
) -> None:
    for fmt in ("json", "xml"):
        response = api.client.get(f"/open311/v2/requests.{fmt}?{name}=traffic%00jam")
        assert response.status_code == 400, response.text
        assert (
            f"{name} contains control character U+0000 at character 8; "
            "only one line of text allowed"
        ) in response.text
