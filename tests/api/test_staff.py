"""Staff API: transitions (the role × agency × area matrix, versions, conflicts), worklists,
detail, submission on behalf, supervisor figures, admin keys and catalogue."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from engine.areas import import_boundaries
from engine.boundaries import BoundaryMapping
from engine.keys import create_key
from engine.lifecycle import Role
from engine.staff import add_staff
from tests.api.conftest import ROOT, Api
from tests.conftest import make_photo

ORIGIN = "https://testserver"

WIB = ZoneInfo("Asia/Jakarta")

GAMBIR, MENTENG = "31.71.01", "31.71.06"  # Monas lies in Kecamatan Gambir


def _key(api: Api, role: str, agency: str | None, area: str | None) -> dict[str, str]:
    body = {"role": role, "name": f"{role} {agency} {area}", "agency": agency, "area": area}
    response = api.client.post("/api/v1/admin/keys", json=body, headers=api.auth("admin"))
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['key']}"}


def _expected(role: str, agency: str | None, area: str | None, trigger: str) -> int:
    """Written from DESIGN §2 and the README, apart from the code: triage (verify) belongs to
    the routed agency, the area offices above the ticket and the governor's office; field work
    (start) to the assigned agency and supervisors up the chain; a key's area narrows it."""
    if role == "admin":
        return 200
    if role == "client":  # an Open311 app: it files reports, and acts on no ticket anywhere
        return 403
    if area == MENTENG:
        return 403
    if agency == "DISHUB":
        return 200
    if agency == "DLH":
        return 403
    return 200 if trigger == "verify" or role == "supervisor" else 403


MATRIX = [
    (role, agency, area, trigger)
    for role in ("staff", "supervisor")
    for agency in ("DISHUB", "DLH", "KEC-GAMBIR", "GUB")
    for area in (None, GAMBIR, MENTENG)
    for trigger in ("verify", "start")
] + [
    (role, None, area, t)
    for role in ("admin", "client")
    for area in (None, GAMBIR, MENTENG)
    for t in ("verify", "start")
    # A client key takes no area (nor agency): it sees no ticket for an area to narrow.
    if role == "admin" or area is None
]


@pytest.mark.parametrize(("role", "agency", "area", "trigger"), MATRIX)
def test_transition_by_role_agency_area(
    api: Api, role: str, agency: str | None, area: str | None, trigger: str
) -> None:
    code = api.submit()["code"]
    if trigger == "start":
        api.drive(code, "verify", "assign")
    if agency == "KEC-GAMBIR" and area == MENTENG:
        # An area office's key is never narrowed to an area outside the office's own: it
        # would see none of its tickets (engine.keys). The 403 it got is now a 422 at its making.
        body = {"role": role, "name": "x", "agency": agency, "area": area}
        made = api.client.post("/api/v1/admin/keys", json=body, headers=api.auth("admin"))
        assert made.status_code == 422, made.text
        assert (made.json()["code"], made.json()["params"]["field"]) == (
            "area_outside_office", "area",
        )  # fmt: skip
        return
    headers = _key(api, role, agency, area)
    before = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin")).json()
    response = api.client.post(
        f"/api/v1/tickets/{code}/transitions",
        json={"trigger": trigger, "expected_version": before["version"]},
        headers=headers,
    )
    expected = _expected(role, agency, area, trigger)
    assert response.status_code == expected, response.text
    after = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin")).json()
    if expected == 200:
        assert after["version"] == before["version"] + 1
        assert (
            response.json()["state"]["code"]
            == {"verify": "verified", "start": "in_progress"}[trigger]
        )
    else:
        assert response.headers["content-type"] == "application/problem+json"
        assert after["version"] == before["version"]
    if role == "client":
        assert response.json()["detail"] == (
            "this needs a staff, supervisor or admin key; yours is a client key: "
            "a client key only files Open311 service requests"
        )


def test_transition_with_stale_version_is_409_naming_state_and_allowed(api: Api) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify")
    response = api.client.post(
        f"/api/v1/tickets/{code}/transitions",
        json={"trigger": "assign", "expected_version": 1},
        headers=api.auth("staff"),
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "stale_version"
    assert body["state"] == "verified"
    assert body["version"] == 2
    assert body["allowed"] == ["assign", "comment", "mark_duplicate", "reject", "update"]


def test_illegal_trigger_is_409_with_allowed_triggers(api: Api) -> None:
    code = api.submit()["code"]
    response = api.act(code, "start")
    assert response.status_code == 409
    assert response.json()["state"] == "submitted"
    assert response.json()["allowed"] == ["comment", "mark_duplicate", "reject", "update", "verify"]


def test_transition_without_expected_version_is_422(api: Api) -> None:
    code = api.submit()["code"]
    response = api.client.post(
        f"/api/v1/tickets/{code}/transitions",
        json={"trigger": "verify"},
        headers=api.auth("staff"),
    )
    assert response.status_code == 422
    assert "expected_version or If-Match" in response.json()["detail"]


def test_transition_with_if_match_from_etag(api: Api) -> None:
    code = api.submit()["code"]
    etag = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("staff")).headers["ETag"]
    assert etag == '"v1"'
    response = api.client.post(
        f"/api/v1/tickets/{code}/transitions",
        json={"trigger": "verify"},
        headers={**api.auth("staff"), "If-Match": etag},
    )
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"v2"'
    again = api.client.post(
        f"/api/v1/tickets/{code}/transitions",
        json={"trigger": "assign"},
        headers={**api.auth("staff"), "If-Match": etag},
    )
    assert again.status_code == 409


def test_transition_missing_reason_and_unknown_agency_are_422(api: Api) -> None:
    code = api.submit()["code"]
    assert api.act(code, "reject").status_code == 422
    api.drive(code, "verify", "assign")
    response = api.act(code, "transfer", note="bukan kami", agency="NOPE")
    assert response.status_code == 422, response.text
    response = api.act(code, "start", agency="DBM")
    assert response.status_code == 422
    assert "does not take: agency" in response.json()["detail"]


def test_unknown_ticket_in_url_is_404(api: Api) -> None:
    response = api.client.post(
        "/api/v1/tickets/JKT-0000-0000/transitions",
        json={"trigger": "verify", "expected_version": 1},
        headers=api.auth("staff"),
    )
    assert response.status_code == 404


def test_staff_routes_need_a_valid_key(api: Api) -> None:
    assert api.client.get("/api/v1/tickets").status_code == 401
    bad = api.client.get("/api/v1/tickets", headers={"Authorization": "Bearer tgk_x_y"})
    assert bad.status_code == 401
    assert bad.headers["WWW-Authenticate"] == "Bearer"


def test_worklist_sorted_by_deadline_scoped_and_paged(api: Api) -> None:
    first = api.submit()["code"]
    second = api.submit()["code"]
    third = api.submit()["code"]
    other = api.submit(category="pollution")["code"]
    page = api.client.get("/api/v1/tickets?limit=2", headers=api.auth("staff")).json()
    assert [i["code"] for i in page["items"]] == [first, second]
    rest = api.client.get(
        "/api/v1/tickets",
        params={"limit": 2, "cursor": page["next_cursor"]},
        headers=api.auth("staff"),
    ).json()
    assert [i["code"] for i in rest["items"]] == [third]
    assert rest["next_cursor"] is None
    dlh = api.client.get("/api/v1/tickets", headers=api.auth("outsider")).json()
    assert [i["code"] for i in dlh["items"]] == [other]
    forbidden = api.client.get(f"/api/v1/tickets/{first}", headers=api.auth("outsider"))
    assert forbidden.status_code == 403


def test_worklist_overdue_and_at_risk(api: Api) -> None:
    code = api.submit()["code"]
    due = api.client.get("/api/v1/tickets", headers=api.auth("staff")).json()["items"][0]
    assert due["code"] == code and due["overdue"] is False
    assert (
        api.client.get("/api/v1/tickets?overdue=true", headers=api.auth("staff")).json()["items"]
        == []
    )
    api.clock.now += timedelta(days=30)
    late = api.client.get("/api/v1/tickets?overdue=true", headers=api.auth("staff")).json()
    assert [i["code"] for i in late["items"]] == [code]
    assert late["items"][0]["overdue"] is True


def test_worklist_csv(api: Api) -> None:
    code = api.submit(description='=HYPERLINK("http://evil")')["code"]
    response = api.client.get("/api/v1/tickets.csv", headers=api.auth("staff"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["code"] for r in rows] == [code]
    assert rows[0]["label_id"] == "Menunggu"
    assert rows[0]["description"] == '\'=HYPERLINK("http://evil")'  # not a live formula
    # City time to the second, with its offset: the instant the API gives, as staff read it.
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("staff")).json()
    created = datetime.fromisoformat(detail["report"]["created_at"])
    assert rows[0]["created_at"] == created.astimezone(WIB).replace(microsecond=0).isoformat()
    assert rows[0]["created_at"].endswith("+07:00")
    assert rows[0]["due_at"].endswith("+07:00") and "." not in rows[0]["due_at"]


def test_detail_has_internal_notes_timers_and_allowed(api: Api) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify")
    api.act(code, "assign", "staff", note="catatan internal")
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("staff")).json()
    assert detail["events"][-1]["note"] == "catatan internal"
    assert detail["events"][-1]["public"] is False
    assert detail["allowed_actions"] == [
        "comment",
        "hold",
        "mark_duplicate",
        "reassign",  # to another officer of the same agency
        "start",
        "transfer",
        "update",
    ]
    assert {t["kind"] for t in detail["timers"]} >= {"resolve"}
    public = api.client.get(f"/api/v1/reports/{code}").json()
    assert public["timeline"][-1]["note"] is None


def test_private_report_hides_reporter_from_staff_not_admin(api: Api) -> None:
    code = api.submit(name="Siti", email="siti@example.id", phone="0812 3456 7890", private=True)[
        "code"
    ]
    staff = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("staff")).json()
    assert staff["private"] is True and staff["reporter"] is None
    admin = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin")).json()
    assert admin["reporter"] == {
        "name": "Siti",
        "email": "siti@example.id",
        "phone": "0812 3456 7890",
    }
    open_code = api.submit(name="Budi")["code"]
    seen = api.client.get(f"/api/v1/tickets/{open_code}", headers=api.auth("staff")).json()
    assert seen["reporter"]["name"] == "Budi"


def test_staff_submit_on_behalf_of_walk_in(api: Api) -> None:
    body = {
        "category": "traffic_jam",
        "description": "Pelapor datang ke kantor",
        "lat": -6.1754,
        "lon": 106.8272,
        "name": "Pak Harun",
        "channel": "walk-in",
    }
    response = api.client.post("/api/v1/tickets", json=body, headers=api.auth("staff"))
    assert response.status_code == 201, response.text
    code = response.json()["code"]
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("staff")).json()
    assert detail["channel"] == "walk-in"
    assert detail["events"][0]["by_role"] == "staff"
    citizen = api.client.post("/api/v1/reports", json=body)
    assert citizen.status_code == 422


@pytest.mark.parametrize("channel", ["walk-in", "phone", "staff-on-behalf"])
def test_a_citizen_s_report_on_a_staff_door_is_refused_naming_channel(
    api: Api, channel: str
) -> None:
    before = api.client.get("/api/v1/tickets", headers=api.auth("admin")).json()["items"]
    body = {**_CALLER, "channel": channel}
    for door in (
        lambda: api.client.post("/api/v1/reports", json=body),
        lambda: api.client.post(
            "/api/v1/reports",
            data={k: str(v) for k, v in body.items()},
            files=[("photos", ("a.jpg", make_photo(), "image/jpeg"))],
        ),
    ):
        response = door()
        assert response.status_code == 422, response.text
        problem = response.json()
        assert (problem["code"], problem["params"]["field"]) == ("citizen_channel", "channel")
        assert problem["detail"] == (
            "a citizen's report comes by app, web, open311, email or whatsapp; "
            f"{channel} is a door of the city's staff"
        )
    assert api.client.get("/api/v1/tickets", headers=api.auth("admin")).json()["items"] == before


_CALLER = {
    "category": "traffic_jam",
    "description": "Pelapor datang ke kantor",
    "lat": -6.1754,
    "lon": 106.8272,
    "name": "Pak Harun",
}
_PRIVATE_LINK = re.compile(r"http://127\.0\.0\.1:8000/t/(JKT-[0-9A-Z-]+)\?lang=en#token=([\w%-]+)")


@pytest.mark.parametrize("channel", ["walk-in", "phone", "staff-on-behalf", "email", "whatsapp"])
def test_staff_filing_never_answers_the_token_and_mails_the_caller_their_link(
    api: Api, channel: str
) -> None:
    """The city's staff must not dispute or rate the city's fix: the answer has no token; the
    caller who gave an address reads their private link in a mail and acts with it."""
    body = {**_CALLER, "channel": channel, "email": "Harun@Warga.example", "language": "en"}
    response = api.client.post("/api/v1/tickets", json=body, headers=api.auth("staff"))
    assert response.status_code == 201, response.text
    answer = response.json()
    code = answer["code"]
    assert "reporter_token" not in answer and "token" not in response.text
    assert answer["reporter_mailed"] is True

    (mail,) = api.notifications(
        code, "reporter_receipt", lambda n: (n.recipient, n.subject, n.body, n.html_body or "")
    )
    recipient, subject, text, html = mail
    assert recipient == "harun@warga.example"
    assert subject == f"[Tanggap] Your report {code} was filed"
    assert text.startswith("Dear Pak Harun,\n\nThe city's staff filed your report")
    link = _PRIVATE_LINK.search(text)
    assert link is not None and link[1] == code, text
    assert f'<a href="{link[0]}">Your own link to it</a>' in html
    token = unquote(link[2])

    api.drive(code, "verify", "assign", "start", "resolve")
    headers = {"X-Reporter-Token": token}
    private = api.client.get(f"/api/v1/reports/{code}/private", headers=headers)
    assert private.status_code == 200, private.text
    disputed = api.client.post(
        f"/api/v1/reports/{code}/dispute", json={"reason": "masih macet"}, headers=headers
    )
    assert disputed.status_code == 200, disputed.text
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("staff")).json()
    assert detail["channel"] == channel
    assert (detail["events"][0]["by_role"], detail["events"][-1]["by_role"]) == (
        "staff",
        "citizen",
    )


def test_staff_filing_without_an_email_mails_nobody_and_says_so(api: Api) -> None:
    response = api.client.post("/api/v1/tickets", json=_CALLER, headers=api.auth("staff"))
    assert response.status_code == 201, response.text
    answer = response.json()
    assert "reporter_token" not in answer and answer["reporter_mailed"] is False
    assert api.notifications(answer["code"], "reporter_receipt", lambda n: n.recipient) == []


def test_the_caller_s_mail_is_in_their_language_with_its_unsubscribe_link(api: Api) -> None:
    body = {**_CALLER, "email": "harun@warga.example", "language": "id"}
    response = api.client.post("/api/v1/tickets", json=body, headers=api.auth("staff"))
    assert response.status_code == 201, response.text
    code = response.json()["code"]
    ((subject, text),) = api.notifications(code, "reporter_receipt", lambda n: (n.subject, n.body))
    assert subject == f"[Tanggap] Laporan Anda {code} telah dicatat"
    assert "Petugas kota mencatat laporan Anda" in text
    assert "/unsubscribe/" in text


@pytest.mark.parametrize("channel", ["app", "web", "open311"])
def test_staff_filing_on_a_citizen_s_own_channel_is_refused_naming_channel(
    api: Api, channel: str
) -> None:
    before = api.client.get("/api/v1/tickets", headers=api.auth("admin")).json()["items"]
    response = api.client.post(
        "/api/v1/tickets", json={**_CALLER, "channel": channel}, headers=api.auth("staff")
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["params"]["field"] == "channel"
    assert "walk-in, phone, staff-on-behalf, email or whatsapp" in problem["detail"]
    assert f"{channel} is the citizen's own door" in problem["detail"]
    assert api.client.get("/api/v1/tickets", headers=api.auth("admin")).json()["items"] == before


def test_staff_submit_on_behalf_sets_priority_citizen_cannot(api: Api) -> None:
    body = {
        "category": "traffic_jam",
        "description": "Penelepon: jalan tertutup total",
        "lat": -6.1754,
        "lon": 106.8272,
        "channel": "phone",
    }
    response = api.client.post(
        "/api/v1/tickets", json={**body, "priority": "urgent"}, headers=api.auth("staff")
    )
    assert response.status_code == 201, response.text
    code = response.json()["code"]
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("staff")).json()
    assert detail["priority"] == "urgent"
    citizen = api.client.post("/api/v1/reports", json={**body, "priority": "urgent"})
    assert citizen.status_code == 422


def test_figures_for_supervisors_withheld_under_minimum(api: Api) -> None:
    codes = [api.submit()["code"] for _ in range(5)]
    for code in codes:
        api.drive(code, "verify", "assign", "start", "resolve")
    api.drive(codes[0], "close")
    api.client.post(
        f"/api/v1/reports/{codes[1]}/dispute",
        json={"reason": "belum"},
        headers={"X-Reporter-Token": api.tokens[codes[1]]},
    )
    assert api.client.get("/api/v1/figures", headers=api.auth("staff")).status_code == 403
    response = api.client.get("/api/v1/figures", headers=api.auth("supervisor"))
    assert response.status_code == 200, response.text
    (dishub,) = response.json()["groups"]
    assert dishub["group"] == "DISHUB"
    assert dishub["reopen_rate"] == {"count": 5, "value": 0.2}
    assert dishub["median_hours_to_resolve"]["count"] == 4
    assert dishub["median_hours_to_resolve"]["value"] is None  # 4 < 5: withheld
    assert dishub["backlog"] == 1
    assert dishub["on_time"]["verify"] == {"count": 5, "value": 1.0}


def test_admin_revokes_a_leaked_key_by_pasting_it_and_no_refusal_repeats_a_secret(
    api: Api,
) -> None:
    made = api.client.post(
        "/api/v1/admin/keys",
        json={"role": "staff", "name": "bocor", "agency": "DLH"},
        headers=api.auth("admin"),
    )
    assert made.status_code == 201, made.text
    whole = made.json()["key"]
    _, prefix, secret = whole.split("_", 2)
    headers = {"Authorization": f"Bearer {whole}"}
    admin = api.auth("admin")

    wrong = api.client.delete(f"/api/v1/admin/keys/tgk_{prefix}_{secret[::-1]}", headers=admin)
    assert wrong.status_code == 404, wrong.text
    assert wrong.json()["detail"] == (
        f"that is not the whole key of api key {prefix}: revoke it by its prefix, {prefix}, "
        "if you mean that key"
    )
    unknown = api.client.delete(f"/api/v1/admin/keys/tgk_{secret}", headers=admin)
    assert unknown.status_code == 404, unknown.text
    assert unknown.json()["detail"] == (
        "no api key with that prefix: give the 8-character prefix that keys list shows, "
        "or the whole key"
    )
    for refused in (wrong, unknown):
        assert secret[:4] not in refused.text and secret[::-1][:4] not in refused.text
    assert api.client.get("/api/v1/tickets", headers=headers).status_code == 200

    revoked = api.client.delete(f"/api/v1/admin/keys/{whole}", headers=admin)
    assert revoked.status_code == 200, revoked.text
    assert (revoked.json()["prefix"], revoked.json()["name"]) == (prefix, "bocor")
    assert revoked.json()["revoked_at"] and secret not in revoked.text
    assert api.client.get("/api/v1/tickets", headers=headers).status_code == 401


def test_admin_keys_create_list_revoke(api: Api) -> None:
    headers = _key(api, "staff", "DLH", None)
    assert api.client.get("/api/v1/tickets", headers=headers).status_code == 200
    listed = api.client.get("/api/v1/admin/keys", headers=api.auth("admin")).json()
    prefix = next(k["prefix"] for k in listed if k["name"] == "staff DLH None")
    assert "key" not in listed[0]
    assert api.client.delete(f"/api/v1/admin/keys/{prefix}", headers=api.auth("admin")).json()[
        "revoked_at"
    ]
    assert api.client.get("/api/v1/tickets", headers=headers).status_code == 401
    assert api.client.get("/api/v1/admin/keys", headers=api.auth("staff")).status_code == 403


@pytest.mark.parametrize("role", ["citizen", "system"])
def test_admin_keys_offer_and_take_only_the_roles_a_key_can_hold(api: Api, role: str) -> None:
    """The API's own description listed citizen and system, which were then refused."""
    schema = api.client.get("/openapi.json").json()["components"]["schemas"]["KeyCreate"]
    assert schema["properties"]["role"]["enum"] == ["staff", "supervisor", "admin", "client"]
    response = api.client.post(
        "/api/v1/admin/keys", json={"role": role, "name": "x"}, headers=api.auth("admin")
    )
    assert response.status_code == 422, response.text
    assert response.json()["params"] == {"field": "role"}
    assert response.json()["detail"] == (
        "role must be one of 'staff', 'supervisor', 'admin' or 'client'"
    )


def test_admin_catalogue_reload_validates_whole(api: Api) -> None:
    text = (ROOT / "catalogue" / "jakarta.yaml").read_text()
    yaml = {**api.auth("admin"), "Content-Type": "application/yaml"}
    same = api.client.put("/api/v1/admin/catalogue", content=text, headers=yaml)
    assert same.status_code == 200, same.text
    assert same.json()["changed"] is False
    broken = text.replace("agency: DISHUB", "agency: NOPE", 1)
    response = api.client.put("/api/v1/admin/catalogue", content=broken, headers=yaml)
    assert response.status_code == 422
    assert "NOPE" in response.json()["detail"]
    # Nothing sent: the body is what is missing (it said "the request is required").
    empty = api.client.put("/api/v1/admin/catalogue", content=b"", headers=yaml)
    assert empty.status_code == 422, empty.text
    assert (empty.json()["detail"], empty.json()["params"]) == (
        "the request body is required", {"field": "body"},
    )  # fmt: skip


@pytest.mark.parametrize(
    "content_type",
    ["application/yaml", "application/x-yaml", "text/yaml", "text/plain; charset=utf-8", None],
)
def test_admin_catalogue_reload_takes_yaml_under_each_of_its_names(
    api: Api, content_type: str | None
) -> None:
    headers = {**api.auth("admin"), **({"Content-Type": content_type} if content_type else {})}
    text = (ROOT / "catalogue" / "jakarta.yaml").read_text()
    response = api.client.put("/api/v1/admin/catalogue", content=text, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["changed"] is False


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "image/png", "application/yaml; charset=latin-1", "multipart/form-data"],
)
def test_admin_catalogue_reload_refuses_a_body_that_is_not_yaml_text(
    api: Api, content_type: str
) -> None:
    """It answered a YAML file sent as application/json "the request body is not valid JSON",
    and took an image/png body as the catalogue."""
    text = (ROOT / "catalogue" / "jakarta.yaml").read_text()
    headers = {**api.auth("admin"), "Content-Type": content_type}
    response = api.client.put("/api/v1/admin/catalogue", content=text, headers=headers)
    assert response.status_code == 415, response.text
    assert response.json()["detail"] == "send application/yaml in UTF-8"
    assert response.headers["content-type"] == "application/problem+json"


def test_admin_catalogue_reload_refuses_bytes_that_are_not_utf8(api: Api) -> None:
    body = "categories: []\n# Jalan Raya Bogor km 3\xa0\n".encode("latin-1")
    headers = {**api.auth("admin"), "Content-Type": "application/yaml"}
    response = api.client.put("/api/v1/admin/catalogue", content=body, headers=headers)
    assert response.status_code == 415, response.text
    assert response.json()["detail"] == "send application/yaml in UTF-8"


def test_admin_catalogue_reload_asks_for_the_key_before_the_body(api: Api) -> None:
    """A PNG sent without a key, or with a staff key, is refused for the key (401/403), not
    for its media type: the key is the first thing a caller must get right."""
    png = {"Content-Type": "image/png"}
    anonymous = api.client.put("/api/v1/admin/catalogue", content=b"\x89PNG", headers=png)
    assert anonymous.status_code == 401, anonymous.text
    staff = {**api.auth("staff"), **png}
    refused = api.client.put("/api/v1/admin/catalogue", content=b"\x89PNG", headers=staff)
    assert refused.status_code == 403, refused.text


def test_admin_catalogue_reload_refuses_a_body_over_its_limit(api: Api) -> None:
    headers = {**api.auth("admin"), "Content-Type": "application/yaml"}
    body = b"# " + b"x" * (5 * 1024 * 1024) + b"\n"
    response = api.client.put("/api/v1/admin/catalogue", content=body, headers=headers)
    assert response.status_code == 413, response.text
    assert response.json()["detail"] == (
        "the catalogue is 5.0 MB (5,242,883 bytes), larger than the limit of 5 MB (5,242,880 bytes)"
    )


def test_admin_catalogue_reload_names_each_office_whose_addresses_changed(api: Api) -> None:
    # Mail to a generated office's old address stops: the admin who reloaded must read where
    # it goes now, as `tanggap config load` prints it.
    square = [[[120.0, -1.0], [120.01, -1.0], [120.01, -0.99], [120.0, -0.99], [120.0, -1.0]]]
    feature = {
        "type": "Feature",
        "properties": {"code": "K9", "name": "Kampung", "level": "kota"},
        "geometry": {"type": "Polygon", "coordinates": square},
    }
    geojson = json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()
    with api.transactions.write() as session:
        import_boundaries(  # a kota far from Jakarta: the file is the city's areas
            session,
            geojson,
            BoundaryMapping(),
            source="k.geojson",
            now=api.clock.now,
            deactivate_missing=True,
        )
    text = (ROOT / "catalogue" / "jakarta.yaml").read_text()
    edited = text.replace('head_email: "kota-{slug}.head@', 'head_email: "wali-{slug}.head@', 1)
    assert edited != text
    yaml = {**api.auth("admin"), "Content-Type": "application/yaml"}

    response = api.client.put("/api/v1/admin/catalogue", content=edited, headers=yaml)

    assert response.status_code == 200, response.text
    assert response.json()["address_changes"] == [
        "KOTA-K9 Kantor Kampung: head kota-kampung.head@tanggap.example → "
        "wali-kampung.head@tanggap.example"
    ]
    again = api.client.put("/api/v1/admin/catalogue", content=edited, headers=yaml)
    assert again.json()["address_changes"] == []


def test_admin_catalogue_reload_lists_each_problem_for_people_and_programs(api: Api) -> None:
    yaml = {**api.auth("admin"), "Content-Type": "application/yaml"}
    response = api.client.put("/api/v1/admin/catalogue", content="a: &a [*a]", headers=yaml)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "catalogue_invalid"
    assert body["detail"] == (
        "api upload:1: version: missing: this key is required; "
        "api upload:1: areas: missing: this key is required; "
        "api upload:1: agencies: missing: this key is required; "
        "api upload:1: categories: missing: this key is required; "
        "api upload:1: a: unknown key; here the keys are version, areas, agencies, categories, "
        "routing, calendars, ladders, policies, area_offices"
    )
    assert body["errors"][0] == {
        "where": "api upload:1",
        "path": "version",
        "msg": "missing: this key is required",
    }
    assert body["errors"][-1] == {
        "where": "api upload:1",
        "path": "a",
        "msg": "unknown key; here the keys are version, areas, agencies, categories, routing, "
        "calendars, ladders, policies, area_offices",
    }
    twice = api.client.put("/api/v1/admin/catalogue", content="a: 1\na: 2\n", headers=yaml)
    assert twice.json()["errors"] == [
        {
            "where": "api upload:2",
            "path": "a",
            "msg": "duplicate key 'a' (first at line 1); give each key once",
        }
    ]
    unreadable = api.client.put("/api/v1/admin/catalogue", content="a: [1\n", headers=yaml)
    assert unreadable.json()["errors"] == [
        {
            "where": "api upload:2",
            "path": "",
            "msg": "not valid YAML: did not find expected ',' or ']'",
        }
    ]
    impossible = api.client.put(
        "/api/v1/admin/catalogue",
        content="version: 1\ncalendars:\n  - code: WIB\n    closed_dates: [2026-02-30]\n",
        headers=yaml,
    )
    assert impossible.status_code == 422
    assert impossible.json()["errors"] == [
        {
            "where": "api upload:4",
            "path": "calendars[0].closed_dates[0]",
            "msg": "'2026-02-30' is not a date (day is out of range for month); write a real "
            "date (YYYY-MM-DD), or put it in quotes if it is meant as text",
        }
    ]


def _supervisor(api: Api, email: str, agency: str = "DISHUB") -> dict[str, str]:
    with api.transactions.write() as session:
        add_staff(
            session, email=email, name=email, role="supervisor", agency=agency, now=api.clock.now
        )
        key = create_key(
            session,
            role=Role.SUPERVISOR,
            name=email,
            agency=None,
            area=None,
            staff=email,
            now=api.clock.now,
        )
    return {"Authorization": f"Bearer {key.secret}"}


def test_escalations_feed_lists_what_was_mailed_to_each_supervisor(api: Api) -> None:
    from engine.escalation import sweep

    # Two supervisors of Dishub: one reads the agency queue (warnings), one is its head
    # (breaches). The territorial ladder mails the first at 75 %, the second at 100 %.
    queue = _supervisor(api, "dishub.queue@tanggap.example")
    head = _supervisor(api, "Dishub.Head@tanggap.example")
    code = api.submit()["code"]
    other = api.submit(category="pollution")["code"]  # DLH's: mailed to neither
    # Sweep every half hour until the warning is mailed, then once after the breach.
    for _ in range(200):
        api.clock.tick(30)
        sweep(api.app.state.transactions.write, now=api.clock.now)
        if api.mails(code, "escalation"):
            break
    assert [m[0] for m in api.mails(code, "escalation")] == ["dishub.queue@tanggap.example"]
    api.clock.now += timedelta(days=3)
    sweep(api.app.state.transactions.write, now=api.clock.now)
    addressed = {m[0] for m in api.mails(code, "escalation")}
    assert {"dishub.queue@tanggap.example", "dishub.head@tanggap.example"} <= addressed

    def feed(headers: dict[str, str]) -> set[tuple[str, str, str]]:
        response = api.client.get("/api/v1/escalations", headers=headers)
        assert response.status_code == 200, response.text
        return {(e["code"], e["timer"], e["level"]) for e in response.json()}

    mine, theirs = feed(queue), feed(head)
    # Each sees the levels mailed to them (the resolve timer's warning is due by now too).
    assert (code, "verify", "warning") in mine
    assert {(c, level) for c, _, level in mine} == {(code, "warning")}
    assert (code, "verify", "breach") in theirs
    assert {(c, level) for c, _, level in theirs} == {(code, "breach")}
    admin = feed(api.auth("admin"))
    assert {(code, "verify", "warning"), (code, "verify", "breach")} <= admin
    assert any(c == other for c, _, _ in admin)


def test_escalations_feed_needs_a_key_of_a_staff_member(api: Api) -> None:
    anonymous = api.client.get("/api/v1/escalations", headers=api.auth("supervisor"))
    assert anonymous.status_code == 403
    assert "belongs to no staff member" in anonymous.json()["detail"]
    assert api.client.get("/api/v1/escalations", headers=api.auth("staff")).status_code == 403


def test_duplicate_target_and_proof_photo_rules_are_422(api: Api) -> None:
    import base64

    code = api.submit()["code"]
    missing = api.act(code, "mark_duplicate", duplicate_of="JKT-0000-0000")
    assert missing.status_code == 422, missing.text
    assert missing.json()["code"] == "unknown_reference"
    light = api.submit(category="broken_traffic_light")["code"]
    api.drive(light, "verify", "assign", "start")
    bare = api.act(light, "resolve", note="sudah diperbaiki")
    assert bare.status_code == 422
    assert "proof photo" in bare.json()["detail"]
    photo = base64.b64encode(make_photo()).decode()
    proved = api.act(light, "resolve", note="sudah diperbaiki", photos=[photo])
    assert proved.status_code == 200, proved.text
    public = api.client.get(f"/api/v1/reports/{light}").json()
    assert [p["purpose"] for p in public["photos"]] == ["proof"]


def test_allowed_actions_are_those_of_the_viewers_role(api: Api) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start", "resolve")
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("staff")).json()
    assert detail["allowed_actions"] == ["close", "comment", "reopen"]  # rating is the citizen's


def test_transition_as_multipart_with_proof_photo_file(api: Api) -> None:

    light = api.submit(category="broken_traffic_light")["code"]
    api.drive(light, "verify", "assign", "start")
    response = api.client.post(
        f"/api/v1/tickets/{light}/transitions",
        data={"trigger": "resolve", "expected_version": "4", "note": "lampu diganti"},
        files=[("photos", ("fixed.jpg", make_photo(exif=True), "image/jpeg"))],
        headers=api.auth("staff"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"]["code"] == "resolved"
    (photo,) = api.client.get(f"/api/v1/reports/{light}").json()["photos"]
    assert photo["purpose"] == "proof"
    assert b"PhoneMaker" not in api.client.get(photo["url"]).content


def test_admin_creates_a_key_for_a_staff_member_within_their_role_and_agency(api: Api) -> None:
    with api.transactions.write() as session:
        add_staff(
            session,
            email="rina@dishub.example",
            name="Rina",
            role="staff",
            agency="DISHUB",
            now=api.clock.now,
        )

    def create(**body: str) -> tuple[int, dict[str, str]]:
        response = api.client.post(
            "/api/v1/admin/keys", json={"name": "Rina", **body}, headers=api.auth("admin")
        )
        return response.status_code, response.json()

    status, made = create(role="staff", staff="Rina@Dishub.example")
    assert status == 201, made
    assert (made["agency"], made["staff"]) == ("DISHUB", "rina@dishub.example")
    status, refused = create(role="supervisor", staff="rina@dishub.example")
    assert (status, refused["detail"], refused["params"]["field"]) == (
        422,
        "role cannot be supervisor: rina@dishub.example is staff",
        "role",
    )
    status, refused = create(role="staff", staff="rina@dishub.example", agency="DLH")
    assert (status, refused["detail"]) == (422, "rina@dishub.example is not of agency DLH")
    status, refused = create(role="staff", staff="nobody@dishub.example")
    assert (status, refused["code"]) == (422, "unknown_reference")


def test_note_visibility_default_is_documented_and_is_what_happens(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()["components"]["schemas"]
    described = schema["TransitionCreate"]["properties"]["public"]["description"]
    public, internal = described.split("Left out, the note is public for ")[1].split(
        " and internal for "
    )
    assert "hold" in public.split(", ") and "comment" in internal.rstrip(".").split(", ")

    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start")
    assert api.act(code, "hold", note="menunggu PLN").status_code == 200
    assert api.act(code, "comment", note="catatan petugas").status_code == 200
    notes = [e.get("note") for e in api.client.get(f"/api/v1/reports/{code}").json()["timeline"]]
    assert "menunggu PLN" in notes and "catatan petugas" not in notes


@pytest.mark.parametrize("who", ["outsider", "menteng_only"])
@pytest.mark.parametrize(
    ("trigger", "version_offset"),
    [("verify", 2), ("verify", 0), ("start", 0), ("start", 1), ("comment", 5)],
)
def test_transition_out_of_scope_is_the_same_403_whatever_the_version_or_trigger(
    api: Api, who: str, trigger: str, version_offset: int
) -> None:
    """Out of a key's scope, a wrong version or an illegal trigger tells nothing more than a
    right one: one 403, no state, no version, nothing allowed (it used to be a 409 naming them)."""
    code = api.submit()["code"]
    version = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin")).json()["version"]
    response = api.client.post(
        f"/api/v1/tickets/{code}/transitions",
        json={"trigger": trigger, "expected_version": version + version_offset, "note": "uji"},
        headers=api.auth(who),
    )
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["code"] == "forbidden"
    assert not {"state", "version", "allowed"} & set(body)
    assert "submitted" not in response.text
    seen = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth(who))
    assert (seen.status_code, seen.json()["detail"]) == (403, body["detail"])


def test_a_duplicate_target_the_key_may_not_see_is_answered_as_unknown_and_untouched(
    api: Api,
) -> None:
    """A merge writes on the target: a key may point only at tickets it may read, and the
    refusal is the one for a code that does not exist (nothing of the target is told)."""
    mine = api.submit(lat=-6.195, lon=106.830)["code"]  # a traffic jam in Menteng
    other = api.submit()["code"]  # one at Monas, in Gambir
    outsider = "menteng_only"  # Dishub staff whose key covers Kecamatan Menteng only
    seen = api.client.get(f"/api/v1/tickets/{other}", headers=api.auth(outsider))
    assert seen.status_code == 403
    before = api.client.get(f"/api/v1/tickets/{other}", headers=api.auth("admin")).json()

    hidden = api.act(mine, "mark_duplicate", outsider, duplicate_of=other)
    missing = api.act(mine, "mark_duplicate", outsider, duplicate_of="JKT-0000-0000")

    assert hidden.status_code == missing.status_code == 422, hidden.text
    assert hidden.json()["code"] == missing.json()["code"] == "unknown_reference"
    assert hidden.json()["params"] == {"field": "duplicate_of"}
    assert hidden.json()["detail"] == missing.json()["detail"].replace("JKT-0000-0000", other)
    after = api.client.get(f"/api/v1/tickets/{other}", headers=api.auth("admin")).json()
    assert after["version"] == before["version"]  # no merge event was written on it
    mine_now = api.client.get(f"/api/v1/tickets/{mine}", headers=api.auth("admin")).json()
    assert mine_now["version"] == 1  # nor on the ticket the key holds
    # The admin sees both and may merge across agencies.
    assert api.act(mine, "mark_duplicate", "admin", duplicate_of=other).status_code == 200


def _figures(api: Api, who: str = "admin", **params: str) -> dict[str, Any]:
    query = {"start": "2020-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z"}
    response = api.client.get("/api/v1/figures", params={**query, **params}, headers=api.auth(who))
    assert response.status_code == 200, response.text
    return {g["group"]: g for g in response.json()["groups"]}


def test_rejected_and_duplicate_reports_are_no_on_time_resolutions(api: Api) -> None:
    """Rejecting used to stop the resolve clock unbreached, counted as resolved on time: an
    office could raise its rate by rejecting reports."""
    kept = api.submit()["code"]
    for _ in range(3):
        api.drive(api.submit()["code"], "reject")
    twin = api.submit()["code"]
    assert api.act(twin, "mark_duplicate", "admin", duplicate_of=kept).status_code == 200
    api.drive(kept, "verify", "assign", "start", "resolve")

    dishub = _figures(api)["DISHUB"]
    assert dishub["on_time"]["resolve"]["count"] == 1  # (its value withheld: under 5 cases)
    assert dishub["median_hours_to_resolve"]["count"] == 1
    # Rejecting at triage is a triage decision: the verify clocks all count.
    assert dishub["on_time"]["verify"]["count"] == 5


def test_a_transfer_credits_each_clock_to_the_office_that_held_it(api: Api) -> None:
    code = api.submit()["code"]  # Dishub's
    api.drive(code, "verify", "assign")
    moved = api.act(code, "transfer", "admin", agency="DBM", note="bukan kami")
    assert moved.status_code == 200, moved.text

    groups = _figures(api)
    # Dishub verified and assigned it; its start clock was ended by the transfer, not by work.
    counts = {kind: rate["count"] for kind, rate in groups["DISHUB"]["on_time"].items()}
    assert counts == {"verify": 1, "assign": 1}
    assert "DBM" not in groups or groups["DBM"]["on_time"] == {}
    # Dishub's own supervisor reads the same figure for Dishub as the admin, though the
    # ticket is DBM's now; DBM's other figures stay out of Dishub's sight.
    own = _figures(api, "supervisor")
    assert {k: r["count"] for k, r in own["DISHUB"]["on_time"].items()} == counts
    assert own["DISHUB"]["backlog"] == 0 and set(own) == {"DISHUB"}


def test_adjacent_periods_add_up(api: Api) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start", "resolve")
    with api.transactions.read() as session:
        from sqlalchemy import select

        from engine.models import Ticket

        resolved = session.scalar(select(Ticket.resolved_at).where(Ticket.code == code))
    assert resolved is not None
    edge = resolved.isoformat()
    before = _figures(api, end=edge)["DISHUB"]
    after = _figures(api, start=edge)["DISHUB"]
    whole = _figures(api)["DISHUB"]
    assert before["reopen_rate"]["count"] == 0  # no resolution before the edge
    assert after["reopen_rate"]["count"] == whole["reopen_rate"]["count"] == 1
    assert after["on_time"]["resolve"]["count"] == 1 and "resolve" not in before["on_time"]


def test_a_person_s_own_key_acts_as_that_person(api: Api) -> None:
    """A key made for a staff member (``keys create --staff``) acts as them: an officer who
    assigns a ticket to themselves is not mailed about it, the timeline names them (not the
    key), and the staff pages greet them by name."""
    with api.transactions.write() as session:
        add_staff(
            session,
            email="budi@dishub.example",
            name="Budi Santoso",
            role="staff",
            agency="DISHUB",
            now=api.clock.now,
        )
        key = create_key(
            session,
            role=Role.STAFF,
            name="k staff 17921",
            agency=None,
            area=None,
            staff="budi@dishub.example",
            now=api.clock.now,
        )
    budi = {"Authorization": f"Bearer {key.secret}"}
    code = api.submit()["code"]
    api.drive(code, "verify")
    version = api.client.get(f"/api/v1/tickets/{code}", headers=budi).json()["version"]
    assigned = api.client.post(
        f"/api/v1/tickets/{code}/transitions",
        json={"trigger": "assign", "expected_version": version, "officer": "budi@dishub.example"},
        headers=budi,
    )
    assert assigned.status_code == 200, assigned.text
    assert api.mails(code, "handover") == []
    events = api.client.get(f"/api/v1/tickets/{code}", headers=budi).json()["events"]
    assert (events[-1]["action"], events[-1]["by"]) == ("assign", "Budi Santoso")
    # A key for a program still reads as the key.
    code2 = api.submit()["code"]
    api.drive(code2, "verify", "assign")
    events = api.client.get(f"/api/v1/tickets/{code2}", headers=budi).json()["events"]
    assert events[-1]["by"] == "admin (api key)"
    # The staff page greets the person, not the key.
    web = TestClient(api.app, base_url=ORIGIN)
    web.headers["Origin"] = ORIGIN
    signed = web.post("/staff/sign-in?lang=en", data={"key": key.secret, "next": "/staff"})
    assert signed.status_code == 200, signed.text
    assert "Masuk sebagai Budi Santoso (" in signed.text
