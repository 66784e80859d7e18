"""A key made for a person (``--staff``) follows the person as they are now, at every door
that takes a key: a tester moved a Dishub supervisor to Bina Marga as staff, and her key still
listed Dishub's worklist and took Dishub's reports off the public record, as a supervisor."""

from __future__ import annotations

from fastapi.testclient import TestClient

from engine.keys import create_key
from engine.lifecycle import Role
from engine.staff import add_staff

from .conftest import Api

ORIGIN = "https://testserver"
SITI = "siti@tanggap.example"


def _siti_and_her_key(api: Api) -> str:
    with api.transactions.write() as session:
        add_staff(session, email=SITI, name="Siti", role="supervisor", agency="DISHUB",
                  now=api.clock.now)  # fmt: skip
        made = create_key(session, role=Role.SUPERVISOR, name="siti key", agency=None,
                          area=None, staff=SITI, now=api.clock.now)  # fmt: skip
    return made.secret


def _move_siti(api: Api) -> None:
    with api.transactions.write() as session:
        add_staff(session, email=SITI, name="Siti", role="staff", agency="DBM",
                  now=api.clock.tick(), update=True)  # fmt: skip


def _codes(api: Api, secret: str) -> set[str]:
    listed = api.client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {secret}"})
    assert listed.status_code == 200, listed.text
    return {item["code"] for item in listed.json()["items"]}


def test_a_moved_and_demoted_supervisors_key_works_as_she_is_now(api: Api) -> None:
    jam = api.submit()["code"]  # Dishub's
    light = api.submit(category="broken_street_light")["code"]  # Bina Marga's
    api.drive(jam, "verify")
    secret = _siti_and_her_key(api)
    assert jam in _codes(api, secret) and light not in _codes(api, secret)

    _move_siti(api)

    assert _codes(api, secret) == {light}
    bearer = {"Authorization": f"Bearer {secret}"}
    detail = api.client.get(f"/api/v1/tickets/{jam}", headers=bearer)
    assert detail.status_code == 403
    version = api.client.get(f"/api/v1/tickets/{light}", headers=bearer).json()["version"]
    hidden = api.client.post(
        f"/api/v1/tickets/{light}/transitions",
        json={"trigger": "unpublish", "expected_version": version, "note": "data pribadi"},
        headers=bearer,
    )
    assert hidden.status_code == 403  # staff of Bina Marga now: a supervisor's decision
    assert "staff may not unpublish" in hidden.text
    keys = api.client.get("/api/v1/admin/keys", headers=api.auth("admin")).json()
    (hers,) = [k for k in keys if k["staff"] == SITI]
    assert (hers["role"], hers["agency"]) == ("staff", "DBM")


def test_a_staff_page_sign_in_follows_the_person_too(api: Api) -> None:
    jam = api.submit()["code"]
    light = api.submit(category="broken_street_light")["code"]
    secret = _siti_and_her_key(api)
    web = TestClient(api.app, base_url=ORIGIN, follow_redirects=False)
    web.headers["Origin"] = ORIGIN
    signed = web.post("/staff/sign-in", data={"key": secret, "next": "/staff"})
    assert signed.status_code == 303
    before = web.get("/staff?lang=en").text
    assert "Signed in as Siti (supervisor)" in before and jam in before

    _move_siti(api)

    after = web.get("/staff?lang=en").text
    assert "Signed in as Siti (staff)" in after
    assert jam not in after and light in after


def test_a_ticket_its_officer_left_reads_as_needing_a_new_one(api: Api) -> None:
    """Siti held a Dishub ticket when she was moved to Bina Marga: Dishub's supervisor reads
    that it has no officer now and why, and names the next one."""
    jam = api.submit()["code"]
    _siti_and_her_key(api)
    api.drive(jam, "verify")
    assert api.act(jam, "assign", "supervisor", officer=SITI).status_code == 200
    before = api.client.get(f"/api/v1/tickets/{jam}", headers=api.auth("supervisor")).json()
    assert before["officer"] is not None

    _move_siti(api)

    detail = api.client.get(f"/api/v1/tickets/{jam}", headers=api.auth("supervisor")).json()
    assert detail["officer"] is None and detail["report"]["state"]["code"] == "assigned"
    last = detail["events"][-1]
    assert (last["action"], last["by_role"], last["public"]) == ("reassign", "system", False)
    assert last["note"] == (
        "Siti pindah ke DBM: laporan ini perlu petugas baru dari DISHUB / "
        "Siti moved to DBM: this ticket needs a new officer of DISHUB"
    )
    web = TestClient(api.app, base_url=ORIGIN, follow_redirects=False)
    web.headers["Origin"] = ORIGIN
    web.post("/staff/sign-in", data={"key": api.keys["supervisor"], "next": "/staff"})
    page = web.get(f"/staff/tickets/{jam}?lang=en")
    assert page.status_code == 200
    assert (
        "Siti pindah ke DBM: laporan ini perlu petugas baru dari DISHUB / "
        "Siti moved to DBM: this ticket needs a new officer of DISHUB"
    ) in page.text
    public = api.client.get(f"/api/v1/reports/{jam}").text
    assert "Siti" not in public and "needs a new officer" not in public
    with api.transactions.write() as session:
        add_staff(session, email="andi@tanggap.example", name="Andi", role="staff",
                  agency="DISHUB", now=api.clock.now)  # fmt: skip
    again = api.act(jam, "reassign", "supervisor", officer="andi@tanggap.example")
    assert again.status_code == 200, again.text
    after = api.client.get(f"/api/v1/tickets/{jam}", headers=api.auth("supervisor")).json()
    assert after["officer"] == before["officer"].replace("siti", "andi").replace("Siti", "Andi")
