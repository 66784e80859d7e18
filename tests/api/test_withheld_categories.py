"""A complaint that may be about an area office (pungli: ``illegal_levy``, poor public service)
is, to the kelurahan, kecamatan and kota offices, a ticket that does not exist: no detail, no
line in a worklist, CSV, board or figures, no transition, the same 404 as an unknown code. The
routed agency (Inspektorat), the governor's office and admins see and act as before; a traffic
jam at the same spot is still the kelurahan's to see (the control)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Api

from .test_staff_pages import ORIGIN, sign_in

UNKNOWN = "JKT-0000-0000"
OFFICES = ("kelurahan", "kecamatan", "kelurahan_head", "kecamatan_head")


def _keys(api: Api) -> None:
    for name, role, agency in (
        ("kelurahan", "staff", "KEL-GAMBIR"),
        ("kelurahan_head", "supervisor", "KEL-GAMBIR"),
        ("kecamatan_head", "supervisor", "KEC-GAMBIR"),
        ("inspektorat", "staff", "INSPEKTORAT"),
    ):
        body = {"role": role, "name": name, "agency": agency}
        response = api.client.post("/api/v1/admin/keys", json=body, headers=api.auth("admin"))
        assert response.status_code == 201, response.text
        api.keys[name] = response.json()["key"]


def _pungli(api: Api) -> str:
    created = api.submit(
        category="illegal_levy",
        description="Pungli di kantor kelurahan untuk surat pengantar",
        private=True,
    )
    code: str = created["code"]
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin")).json()
    assert detail["report"]["agency"]["code"] == "INSPEKTORAT"
    return code


def _get(api: Api, who: str, path: str) -> Any:
    return api.client.get(path, headers=api.auth(who))


def _as_unknown(api: Api, who: str, path: str, code: str) -> None:
    """``path`` for ``code`` answers ``who`` exactly as for a code that names no ticket."""
    seen = _get(api, who, path.format(code))
    missing = _get(api, who, path.format(UNKNOWN))
    assert seen.status_code == missing.status_code == 404, seen.text
    assert seen.json() == _swap(missing.json(), UNKNOWN, code)


def _swap(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {k: _swap(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap(v, old, new) for v in value]
    return value


@pytest.fixture
def pungli(api: Api) -> str:
    _keys(api)
    return _pungli(api)


@pytest.mark.parametrize("who", OFFICES)
def test_a_pungli_ticket_reads_to_the_area_offices_as_no_ticket(
    api: Api, pungli: str, who: str
) -> None:
    _as_unknown(api, who, "/api/v1/tickets/{}", pungli)
    _as_unknown(api, who, "/api/v1/tickets/{}/sla", pungli)
    # Typed as a person types it (lower case): the echo is what they typed, as for no ticket.
    lower = pungli.lower()
    seen = _get(api, who, f"/api/v1/tickets/{lower}")
    assert seen.status_code == 404 and seen.json()["detail"] == f"no ticket with code {lower}"


@pytest.mark.parametrize("who", OFFICES)
def test_a_pungli_ticket_is_in_no_list_of_the_area_offices(api: Api, pungli: str, who: str) -> None:
    jam = api.submit()["code"]  # the control: a traffic jam at the same spot
    listed = _get(api, who, "/api/v1/tickets").json()["items"]
    assert [i["code"] for i in listed] == [jam]
    rows = list(csv.DictReader(io.StringIO(_get(api, who, "/api/v1/tickets.csv").text)))
    assert [r["code"] for r in rows] == [jam]
    assert "pungli" not in _get(api, who, "/api/v1/tickets.csv").text.lower()
    if who.endswith("_head"):  # the board and figures are for supervisors
        board = _get(api, who, "/api/v1/dashboard/tickets")
        assert board.status_code == 200, board.text
        assert [t["code"] for t in board.json()] == [jam]
        figures = _get(
            api,
            who,
            "/api/v1/figures?group_by=category&start=2020-01-01T00:00:00Z&end=2100-01-01T00:00:00Z",
        ).json()
        assert {g["group"] for g in figures["groups"]} == {"traffic_jam"}
        backlog = _get(api, who, "/api/v1/dashboard/backlog")
        assert pungli not in backlog.text and "illegal_levy" not in backlog.text


@pytest.mark.parametrize("who", OFFICES)
@pytest.mark.parametrize("trigger", ["reject", "verify", "update", "comment", "start"])
def test_a_transition_on_a_pungli_ticket_is_refused_as_for_no_ticket(
    api: Api, pungli: str, who: str, trigger: str
) -> None:
    fields = {"note": "bukan urusan kami", "category": "traffic_jam"}

    def post(code: str) -> Any:
        return api.client.post(
            f"/api/v1/tickets/{code}/transitions",
            json={"trigger": trigger, "expected_version": 1, **fields},
            headers=api.auth(who),
        )

    refused, missing = post(pungli), post(UNKNOWN)
    assert refused.status_code == missing.status_code == 404, refused.text
    assert refused.json() == _swap(missing.json(), UNKNOWN, pungli)
    assert "submitted" not in refused.text and "version" not in refused.json()
    after = _get(api, "admin", f"/api/v1/tickets/{pungli}").json()
    assert after["report"]["state"]["code"] == "submitted"
    assert after["report"]["category"]["code"] == "illegal_levy"
    assert after["version"] == 1


def test_a_pungli_ticket_cannot_be_named_as_a_duplicate_target_by_the_kelurahan(
    api: Api, pungli: str
) -> None:
    jam = api.submit()["code"]
    hidden = api.act(jam, "mark_duplicate", "kelurahan", duplicate_of=pungli)
    missing = api.act(jam, "mark_duplicate", "kelurahan", duplicate_of=UNKNOWN)
    assert hidden.status_code == missing.status_code == 422, hidden.text
    assert hidden.json() == _swap(missing.json(), UNKNOWN, pungli)
    assert _get(api, "admin", f"/api/v1/tickets/{pungli}").json()["version"] == 1


def _version(api: Api, code: str) -> int:
    version: int = _get(api, "admin", f"/api/v1/tickets/{code}").json()["version"]
    return version


def test_a_pungli_complaint_is_never_a_duplicate_of_a_report_of_another_category(
    api: Api, pungli: str
) -> None:
    """A tester's report: a pungli complaint marked a duplicate of a public traffic jam carried
    its reporter to the jam's mail, and the jam's history named the complaint. Refused before
    anything is written, either way round, naming duplicate_of; nobody is mailed of it."""
    jam = api.submit(email="sari@warga.example")["code"]
    whistle = api.submit(
        category="illegal_levy",
        description="Diminta uang rokok untuk KTP",
        email="rina@warga.example",
        name="Rina",
    )["code"]

    for duplicate, standing in ((whistle, jam), (jam, pungli)):
        refused = api.act(duplicate, "mark_duplicate", "admin", duplicate_of=standing)
        assert refused.status_code == 422, refused.text
        body = refused.json()
        assert body["code"] == "duplicate_of_other_category"
        assert body["params"] == {
            "field": "duplicate_of",
            "code": standing,
            "category": "illegal_levy",
        }
        assert body["detail"].startswith(f"{duplicate} (")
        assert f"duplicate_of {standing} (" in body["detail"]
        assert "Illegal levy / extortion complaints are kept confidential" in body["detail"]
        assert "correct the category first" in body["detail"]
        assert (_version(api, duplicate), _version(api, standing)) == (1, 1)

    api.drive(jam, "verify")
    assert [to for to, _, _ in api.mails(jam)] == ["sari@warga.example"]
    assert api.mails(whistle) == []

    # Two confidential categories, not the same one: refused too.
    service = api.submit(category="poor_public_service", description="Loket tutup")["code"]
    refused = api.act(service, "mark_duplicate", "admin", duplicate_of=whistle)
    assert refused.status_code == 422, refused.text
    assert refused.json()["params"]["category"] == "poor_public_service"

    # The same category, confidential or not, and public categories across: as before.
    assert api.act(whistle, "mark_duplicate", "admin", duplicate_of=pungli).status_code == 200
    light = api.submit(category="broken_traffic_light", description="Lampu mati")["code"]
    assert api.act(light, "mark_duplicate", "admin", duplicate_of=jam).status_code == 200


def test_the_staff_page_says_why_a_pungli_complaint_is_no_duplicate_of_a_jam(
    api: Api, pungli: str
) -> None:
    jam = api.submit()["code"]
    web = TestClient(api.app, base_url=ORIGIN, follow_redirects=False)
    web.headers["Origin"] = ORIGIN
    sign_in(web, api, "admin")
    form = {"trigger": "mark_duplicate", "expected_version": "1", "duplicate_of": jam}
    for lang, words in (
        ("en", f"Report {jam} is of another category, and a complaint kept confidential"),
        ("id", f"Laporan {jam} berkategori lain, dan pengaduan yang dirahasiakan"),
    ):
        refused = web.post(f"/staff/tickets/{pungli}/actions?lang={lang}", data=form)
        assert refused.status_code == 422, refused.text
        assert words in " ".join(refused.text.split())
    assert _version(api, pungli) == 1


def test_inspektorat_the_governors_office_and_admins_still_see_and_act(
    api: Api, pungli: str
) -> None:
    for who in ("inspektorat", "governor", "admin"):
        detail = _get(api, who, f"/api/v1/tickets/{pungli}")
        assert detail.status_code == 200, (who, detail.text)
        assert "verify" in detail.json()["allowed_actions"]
        assert pungli in [i["code"] for i in _get(api, who, "/api/v1/tickets").json()["items"]]
    assert api.act(pungli, "verify", "inspektorat").status_code == 200
    assert api.act(pungli, "assign", "governor", agency="INSPEKTORAT").status_code == 200


def test_the_control_a_traffic_jam_at_the_same_spot_is_the_kelurahans(
    api: Api, pungli: str
) -> None:
    jam = api.submit()["code"]
    detail = _get(api, "kelurahan", f"/api/v1/tickets/{jam}")
    assert detail.status_code == 200
    assert "verify" in detail.json()["allowed_actions"]
    assert api.act(jam, "verify", "kelurahan").status_code == 200


def test_re_categorised_as_pungli_the_kelurahan_loses_it_at_once(api: Api) -> None:
    _keys(api)
    jam = api.submit(description="Petugas minta uang parkir di depan kantor")["code"]
    assert _get(api, "kelurahan", f"/api/v1/tickets/{jam}").status_code == 200
    moved = api.act(jam, "update", "admin", category="illegal_levy", note="ini pungli")
    assert moved.status_code == 200, moved.text
    _as_unknown(api, "kelurahan", "/api/v1/tickets/{}", jam)
    assert _get(api, "kelurahan", "/api/v1/tickets").json()["items"] == []
    # Re-routed to Inspektorat, which now holds it.
    detail = _get(api, "inspektorat", f"/api/v1/tickets/{jam}").json()
    assert detail["report"]["agency"]["code"] == "INSPEKTORAT"
    # And back: a traffic jam again, the kelurahan sees it again.
    back = api.act(jam, "update", "admin", category="traffic_jam", note="salah kategori")
    assert back.status_code == 200, back.text
    assert _get(api, "kelurahan", f"/api/v1/tickets/{jam}").status_code == 200


def test_no_area_office_may_hold_a_pungli_ticket(api: Api) -> None:
    """Neither by transfer nor by re-categorising a ticket an area office already holds."""
    _keys(api)
    pungli = _pungli(api)
    api.drive(pungli, "verify", "assign")
    refused = api.act(pungli, "transfer", "admin", agency="KEL-GAMBIR", note="ke lurah")
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "withheld_from_area_offices"
    assert refused.json()["params"]["field"] == "agency"
    # Garbage in Kelurahan Gambir is the kelurahan's own PPSU work (a routing override).
    garbage = api.submit(category="garbage_pile", description="Sampah menumpuk")["code"]
    api.drive(garbage, "verify", "assign")
    held = _get(api, "admin", f"/api/v1/tickets/{garbage}").json()
    assert held["report"]["agency"]["code"] == "KEL-GAMBIR"
    again = api.act(garbage, "update", "admin", category="illegal_levy", note="pungli")
    assert again.status_code == 422, again.text
    assert again.json()["code"] == "withheld_from_area_offices"
    after = _get(api, "admin", f"/api/v1/tickets/{garbage}").json()
    assert after["report"]["category"]["code"] == "garbage_pile"


def _web(api: Api) -> TestClient:
    client = TestClient(api.app, base_url=ORIGIN, follow_redirects=False)
    client.headers["Origin"] = ORIGIN
    return client


def _words(page: str, code: str) -> str:
    return re.sub(r"\s+", " ", page.replace(code, "CODE"))


def test_the_staff_pages_of_the_kelurahan_show_no_pungli_ticket(api: Api, pungli: str) -> None:
    jam = api.submit()["code"]
    web = _web(api)
    sign_in(web, api, "kelurahan")
    worklist = web.get("/staff?lang=en")
    assert worklist.status_code == 200
    assert jam in worklist.text and pungli not in worklist.text
    seen = web.get(f"/staff/tickets/{pungli}?lang=en")
    missing = web.get(f"/staff/tickets/{UNKNOWN}?lang=en")
    assert seen.status_code == missing.status_code == 404
    assert _words(seen.text, pungli) == _words(missing.text, UNKNOWN)
    form = {"trigger": "reject", "expected_version": "1", "note": "spam"}
    posted = web.post(f"/staff/tickets/{pungli}/actions?lang=en", data=form)
    nothing = web.post(f"/staff/tickets/{UNKNOWN}/actions?lang=en", data=form)
    assert posted.status_code == nothing.status_code == 404, posted.text
    assert _words(posted.text, pungli) == _words(nothing.text, UNKNOWN)
    after = _get(api, "admin", f"/api/v1/tickets/{pungli}").json()
    assert after["report"]["state"]["code"] == "submitted"
    web_head = _web(api)
    sign_in(web_head, api, "kecamatan_head")
    dashboard = web_head.get("/dashboard?lang=en")
    assert dashboard.status_code == 200 and pungli not in dashboard.text
    timeline = web_head.get(f"/dashboard/t/{pungli}?lang=en")
    no_timeline = web_head.get(f"/dashboard/t/{UNKNOWN}?lang=en")
    assert timeline.status_code == no_timeline.status_code == 404
    assert _words(timeline.text, pungli) == _words(no_timeline.text, UNKNOWN)


def test_re_categorised_as_pungli_its_escalations_leave_the_kelurahans_feed_and_mail(
    api: Api,
) -> None:
    from engine.escalation import sweep
    from engine.keys import create_key
    from engine.lifecycle import Role
    from engine.staff import add_staff

    lurah = "kel-gambir.head@tanggap.example"
    with api.transactions.write() as session:
        add_staff(
            session, email=lurah, name="Lurah", role="supervisor", agency="KEL-GAMBIR",
            now=api.clock.now,
        )  # fmt: skip
        key = create_key(
            session, role=Role.SUPERVISOR, name="Lurah", agency=None, area=None, staff=lurah,
            now=api.clock.now,
        )  # fmt: skip
    headers = {"Authorization": f"Bearer {key.secret}"}
    jam = api.submit(description="Petugas minta uang di depan kantor kelurahan")["code"]
    api.clock.now += timedelta(days=3)  # past the verify breach: the kelurahan is told
    sweep(api.app.state.transactions.write, now=api.clock.now)
    assert lurah in {m[0] for m in api.mails(jam, "escalation")}
    feed = api.client.get("/api/v1/escalations", headers=headers).json()
    assert jam in {e["code"] for e in feed}
    board = api.client.get("/api/v1/dashboard/escalations", headers=headers)
    assert jam in board.text

    moved = api.act(jam, "update", "admin", category="illegal_levy", note="ini pungli")
    assert moved.status_code == 200, moved.text
    assert api.client.get("/api/v1/escalations", headers=headers).json() == []
    assert jam not in api.client.get("/api/v1/dashboard/escalations", headers=headers).text
    told_before = len(api.mails(jam, "escalation"))
    api.clock.now += timedelta(days=30)  # every level of every clock falls due
    sweep(api.app.state.transactions.write, now=api.clock.now)
    later = [m[0] for m in api.mails(jam, "escalation")][told_before:]
    assert later  # levels still reach Inspektorat (and up to the governor's office) …
    # … never an area office.
    assert not [r for r in later if r.startswith(("kel-", "kec-", "walkot-"))], later
