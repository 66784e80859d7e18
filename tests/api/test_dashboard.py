"""The supervisor dashboard API: the board by SLA status, backlog, SLA story, addressed mail.

A flood goes to DSDA under the 24/7 emergency policy (verify within 30 minutes; the ladder
tells DSDA's head and the kecamatan office at the breach).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from engine.escalation import sweep_batch
from engine.keys import create_key
from engine.lifecycle import Role
from engine.staff import add_staff

from .conftest import Api


def _key(api: Api, name: str, role: str, agency: str) -> dict[str, str]:
    response = api.client.post(
        "/api/v1/admin/keys",
        json={"role": role, "name": name, "agency": agency},
        headers=api.auth("admin"),
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['key']}"}


def _sweep(api: Api) -> None:
    with api.app.state.transactions.write() as session:
        sweep_batch(session, now=api.clock.now)


def _board(api: Api, auth: dict[str, str]) -> dict[str, Any]:
    response = api.client.get("/api/v1/dashboard/tickets", headers=auth)
    assert response.status_code == 200, response.text
    return {t["code"]: t for t in response.json()}


def test_dashboard_board_shows_breached_flood_first_with_its_place(api: Api) -> None:
    dsda = _key(api, "DSDA head", "supervisor", "DSDA")
    flood = api.submit(category="flood", description="Banjir 40 cm")["code"]
    fresh = api.submit(category="flood", description="Genangan baru")["code"]  # 5 minutes later
    api.clock.tick(27)
    response = api.client.get("/api/v1/dashboard/tickets", headers=dsda)
    items = response.json()
    codes = [t["code"] for t in items]
    assert codes.index(flood) < codes.index(fresh)
    first = _board(api, dsda)[flood]
    assert first["sla"] == "breached" and first["state"]["label_id"] == "Menunggu"
    assert (first["lat"], first["lon"]) == (-6.1754, 106.8272)
    assert _board(api, dsda)[fresh]["sla"] == "at_risk"  # 27 of 30 minutes: warned
    assert flood not in _board(api, api.auth("supervisor"))  # DISHUB's supervisor
    denied = api.client.get("/api/v1/dashboard/tickets", headers=api.auth("staff"))
    assert denied.status_code == 403


def test_dashboard_backlog_counts_per_agency_by_sla_status(api: Api) -> None:
    api.submit(category="flood")
    api.clock.tick(40)
    api.submit(category="flood")
    response = api.client.get("/api/v1/dashboard/backlog?by=agency", headers=api.auth("admin"))
    rows = {r["group"]: r for r in response.json()}
    assert rows["DSDA"]["breached"] >= 1 and rows["DSDA"]["on_time"] >= 1
    assert rows["DSDA"]["total"] == sum(
        rows["DSDA"][k] for k in ("on_time", "at_risk", "breached", "no_sla")
    )
    by_area = api.client.get("/api/v1/dashboard/backlog?by=area", headers=api.auth("admin"))
    assert "Kelurahan Gambir" in {r["name"] for r in by_area.json()}
    wrong = api.client.get("/api/v1/dashboard/backlog?by=planet", headers=api.auth("admin"))
    assert wrong.status_code == 422


def test_sla_story_says_who_was_told_at_the_breach(api: Api) -> None:
    dsda = _key(api, "DSDA head", "supervisor", "DSDA")
    code = api.submit(category="flood")["code"]
    submitted = api.clock.now
    api.clock.tick(40)
    _sweep(api)
    response = api.client.get(f"/api/v1/tickets/{code}/sla", headers=dsda)
    assert response.status_code == 200, response.text
    story = response.json()
    assert story["sla"] == "breached"
    verify = next(t for t in story["timers"] if t["timer"]["kind"] == "verify")
    breach = next(lv for lv in verify["levels"] if lv["percent"] == 100)
    told = {(n["recipient"], n["recipient_kind"]) for n in breach["told"]}
    assert told == {
        ("dsda.head@tanggap.example", "agency_head"),
        ("kec-gambir.head@tanggap.example", "area_office:kecamatan"),
    }
    assert breach["due_at"].startswith(
        (submitted + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    )
    other = api.client.get(f"/api/v1/tickets/{code}/sla", headers=api.auth("outsider"))
    assert other.status_code == 403
    missing = api.client.get("/api/v1/tickets/JKT-0000-0000/sla", headers=dsda)
    assert missing.status_code == 404


def test_escalations_addressed_to_the_keys_agency(api: Api) -> None:
    dsda = _key(api, "DSDA head", "supervisor", "DSDA")
    code = api.submit(category="flood")["code"]
    api.clock.tick(40)
    _sweep(api)
    mine = api.client.get("/api/v1/dashboard/escalations", headers=dsda).json()
    assert [(e["code"], e["level"], e["recipient"]) for e in mine] == [
        (code, "breach", "dsda.head@tanggap.example")
    ]
    theirs = api.client.get("/api/v1/dashboard/escalations", headers=api.auth("supervisor"))
    assert [e for e in theirs.json() if e["code"] == code] == []
    naive = api.client.get("/api/v1/dashboard/escalations?since=2026-11-01T00:00:00", headers=dsda)
    assert naive.status_code == 422


def test_a_supervisors_own_key_sees_the_mail_to_their_agency_and_to_them(api: Api) -> None:
    """The README's recommended key is a person's (`keys create --staff …`): its panel showed
    only mail to that person's own address, so a head of DSDA saw nothing of the breach mail
    to DSDA's head address and queue."""
    with api.transactions.write() as session:
        add_staff(
            session, email="kepala@dsda.example", name="Kepala DSDA", role="supervisor",
            agency="DSDA", now=api.clock.now,
        )  # fmt: skip
        key = create_key(
            session, role=Role.SUPERVISOR, name="Kepala", agency=None, area=None,
            staff="kepala@dsda.example", now=api.clock.now,
        )  # fmt: skip
    own = {"Authorization": f"Bearer {key.secret}"}
    code = api.submit(category="flood")["code"]
    api.clock.tick(40)
    _sweep(api)
    panel = api.client.get("/api/v1/dashboard/escalations", headers=own)
    assert panel.status_code == 200, panel.text
    assert [(e["code"], e["level"], e["recipient"]) for e in panel.json()] == [
        (code, "breach", "dsda.head@tanggap.example")
    ]


def test_backlog_counts_every_open_ticket_and_names_the_agency(api: Api) -> None:
    """The backlog used to be counted over the first `limit` tickets by deadline (the most
    urgent ones), and named an agency by its code."""
    for _ in range(3):
        api.submit()
    response = api.client.get("/api/v1/dashboard/backlog?by=agency", headers=api.auth("admin"))
    assert response.status_code == 200, response.text
    (dishub,) = [r for r in response.json() if r["group"] == "DISHUB"]
    assert (dishub["name"], dishub["total"]) == ("Dinas Perhubungan", 3)
    # The backlog takes no limit: one asked for is refused, never quietly not applied.
    limited = api.client.get(
        "/api/v1/dashboard/backlog?by=agency&limit=1", headers=api.auth("admin")
    )
    assert limited.status_code == 422, limited.text
    assert limited.json()["detail"] == (
        "limit is not a query parameter of GET /api/v1/dashboard/backlog; it takes by"
    )
