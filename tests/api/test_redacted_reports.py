"""Redacting a report (``redact``): the report stays public, the public reads it edited.

A citizen writes a neighbour's name, phone number and number plate into a traffic jam report
and sends two photos: one shows a face, one the jam. A supervisor or admin redacts it with an
internal reason: a new public text, the face photo hidden. Every public reader — the JSON
report and list, the map, Open311 (XML and JSON, requests and updates), the public page, the
duplicate suggestions, ``GET /media/{key}`` — then reads the edited text and never the hidden
photo; the public timeline says a moderator edited the report, not why nor what it said. Staff
keep the reporter's words and the photo, marked. A second report at the same spot is the
control: readers that list it prove the lists are read, not empty.
"""

from __future__ import annotations

import io
import re
from typing import Any
from xml.etree import ElementTree as ET

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from engine.settings import Settings
from tests.api.conftest import MONAS, Api, each_change_mailed_at_once
from tests.api.test_non_public_categories import _no_key, staff_web
from tests.api.test_staff_pages import sign_in


@pytest.fixture
def api_settings(api_settings: Settings) -> Settings:
    """Each change's mail on its own (``each_change_mailed_at_once``): who is told of which."""
    return each_change_mailed_at_once(api_settings)


#: What must leave the public record: a name, a phone number, a number plate.
PERSONAL = "Macet karena mobil B 1234 XYZ milik Pak Joko (0812-3456-7890) parkir sembarangan"
SECRETS = ("Pak Joko", "0812-3456-7890", "B 1234 XYZ")
REDACTED = "Macet karena mobil parkir sembarangan"
REASON = "berisi nama, nomor HP dan pelat nomor"
WINDOW = {"start_date": "2026-11-23T00:00:00+07:00", "end_date": "2026-11-24T00:00:00+07:00"}


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, format="JPEG")
    return out.getvalue()


def _report(api: Api, description: str, *colours: tuple[int, int, int]) -> str:
    api.clock.tick()
    response = api.client.post(
        "/api/v1/reports",
        data={
            "category": "traffic_jam",
            "description": description,
            "lat": str(MONAS[0]),
            "lon": str(MONAS[1]),
            "email": "pelapor@example.id",
        },
        files=[("photos", (f"{n}.jpg", _jpeg(c), "image/jpeg")) for n, c in enumerate(colours)],
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    api.tokens[created["code"]] = created["reporter_token"]
    code: str = created["code"]
    return code


def _detail(api: Api, code: str, who: str = "admin") -> dict[str, Any]:
    response = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth(who))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _key(url: str) -> str:
    """A photo's identifier, as staff see it: what its url ends with after /media/."""
    return url.split("/media/", 1)[1]


@pytest.fixture
def scene(api: Api) -> tuple[str, str, str, str]:
    """(report, control, face key, jam key): the report with personal data and two photos,
    and a control at the same spot; both verified, so each has public updates."""
    code = _report(api, PERSONAL, (200, 30, 30), (30, 30, 200))
    control = _report(api, "Macet total di depan Monas", (30, 200, 30))
    api.drive(code, "verify")
    api.drive(control, "verify")
    face, jam = (_key(p["url"]) for p in _detail(api, code)["photos"])
    return code, control, face, jam


def _redact(api: Api, code: str, who: str = "admin", **fields: Any) -> httpx.Response:
    body = {"note": REASON, "description": REDACTED, **fields}
    return api.act(code, "redact", who, **{k: v for k, v in body.items() if v is not None})


def _public_texts(api: Api, code: str) -> dict[str, str]:
    """What each public reader answers that may name the report (its text, its photos)."""
    near = {"lat": MONAS[0], "long": MONAS[1], "radius": 500}
    point = {"lat": MONAS[0], "lon": MONAS[1]}
    readers = {
        "report": f"/api/v1/reports/{code}",
        "list": "/api/v1/reports",
        "map": "/api/v1/reports.geojson",
        "open311 json": "/open311/v2/requests.json",
        "open311 xml": "/open311/v2/requests.xml",
        "open311 near json": "/open311/v2/requests.json?" + str(httpx.QueryParams(near)),
        "open311 one json": f"/open311/v2/requests/{code}.json",
        "open311 one xml": f"/open311/v2/requests/{code}.xml",
        "updates json": "/open311/v2/servicerequestupdates.json?" + str(httpx.QueryParams(WINDOW)),
        "updates xml": "/open311/v2/servicerequestupdates.xml?" + str(httpx.QueryParams(WINDOW)),
        "page": f"/t/{code}",
        "page en": f"/t/{code}?lang=en",
        "report form": "/web/nearby?"
        + str(httpx.QueryParams({"category": "traffic_jam", **point})),
    }
    texts = {}
    for reader, path in readers.items():
        response = api.client.get(path)
        assert response.status_code == 200, (reader, response.text)
        texts[reader] = response.text
    texts["submission answer"] = str(api.submit()["possible_duplicates"])
    return texts


# --- what the public reads -------------------------------------------------------------------


def test_every_public_reader_reads_the_redacted_text_and_no_hidden_photo(
    api: Api, scene: tuple[str, str, str, str]
) -> None:
    code, control, face, jam = scene
    before = _public_texts(api, code)
    for reader, text in before.items():  # the control: every reader named the report as sent
        assert code in text or "Pak Joko" in text or reader.startswith("updates"), reader
    assert "Pak Joko" in before["report"] and face in before["report"]

    redacted = _redact(api, code, hide_photos=[face])
    assert redacted.status_code == 200, redacted.text
    assert redacted.json()["state"]["code"] == "verified"  # its work goes on as it was

    after = _public_texts(api, code)
    for reader, text in after.items():
        for secret in SECRETS:
            assert secret not in text, (reader, secret)
        assert face not in text, reader
        assert REASON not in text, reader
    for reader in ("report", "list", "map", "open311 json", "open311 xml", "open311 one json"):
        assert REDACTED in after[reader], reader
        assert code in after[reader] or reader == "report", reader
    assert jam in after["report"] and jam in after["page"]  # the other photo stays
    report = api.client.get(f"/api/v1/reports/{code}").json()
    assert report["description"] == REDACTED
    assert [_key(p["url"]) for p in report["photos"]] == [jam]
    one = api.client.get(f"/open311/v2/requests/{code}.json").json()[0]
    assert one["description"] == REDACTED and _key(one["media_url"]) == jam
    root = ET.fromstring(api.client.get(f"/open311/v2/requests/{code}.xml").content)
    assert root[0].findtext("description") == REDACTED
    assert control in after["list"]


def test_a_hidden_photo_is_served_to_staff_only(api: Api, scene: tuple[str, str, str, str]) -> None:
    code, _, face, jam = scene
    assert api.client.get(f"/media/{face}").status_code == 200  # public until hidden
    assert _redact(api, code, description=None, hide_photos=[face]).status_code == 200
    unknown = "00/" + "0" * 64 + ".jpg"
    seen, missing = api.client.get(f"/media/{face}"), api.client.get(f"/media/{unknown}")
    assert seen.status_code == missing.status_code == 404
    assert _no_key(seen.json()) == _no_key(missing.json())
    assert api.client.get(f"/media/{jam}").status_code == 200
    staff = api.client.get(f"/media/{face}", headers=api.auth("supervisor"))
    assert staff.status_code == 200 and staff.headers["cache-control"] == "private, no-store"


def test_the_public_timeline_says_a_moderator_edited_it_and_updated_at_moves(
    api: Api, scene: tuple[str, str, str, str]
) -> None:
    code, _, face, _ = scene
    before = api.client.get(f"/api/v1/reports/{code}").json()
    open311_before = api.client.get(f"/open311/v2/requests/{code}.json").json()[0]
    assert _redact(api, code, hide_photos=[face]).status_code == 200
    after = api.client.get(f"/api/v1/reports/{code}").json()
    assert after["updated_at"] > before["updated_at"]
    open311_after = api.client.get(f"/open311/v2/requests/{code}.json").json()[0]
    assert open311_after["updated_datetime"] > open311_before["updated_datetime"]
    # A client syncing on updated_after finds it back.
    since = {"updated_after": open311_after["updated_datetime"]}
    synced = api.client.get("/open311/v2/requests.json", params=since).json()
    assert [r["service_request_id"] for r in synced] == [code]
    last = after["timeline"][-1]
    assert (last["action"], last["note"]) == ("redact", None)
    page = api.client.get(f"/t/{code}?lang=en").text
    assert "Edited by a moderator" in page
    assert "Disunting oleh moderator" in api.client.get(f"/t/{code}?lang=id").text
    updates = api.client.get("/open311/v2/servicerequestupdates.json", params=WINDOW).json()
    mine = [u for u in updates if u["service_request_id"] == code]
    assert mine[-1]["description"] == "" and mine[-1]["media_url"] == ""


def test_a_redaction_mails_no_one(api: Api, scene: tuple[str, str, str, str]) -> None:
    code, _, _, _ = scene
    api.drive(code, "assign")
    told = api.mails(code)
    assert told  # the control: a change of state is mailed
    assert _redact(api, code).status_code == 200
    assert api.mails(code) == told


# --- what staff and the reporter read --------------------------------------------------------


def test_staff_keep_the_original_text_and_photo_marked(
    api: Api, scene: tuple[str, str, str, str]
) -> None:
    code, _, face, jam = scene
    assert _redact(api, code, hide_photos=[face]).status_code == 200
    for who in ("staff", "supervisor", "admin"):
        body = _detail(api, code, who)
        assert (body["description"], body["redacted"]) == (PERSONAL, True)
        assert body["report"]["description"] == REDACTED  # what the public reads
        assert [(_key(p["url"]), p["public"], p["hidden"]) for p in body["photos"]] == [
            (face, False, True),
            (jam, True, False),
        ]
        (event,) = [e for e in body["events"] if e["action"] == "redact"]
        assert (event["note"], event["public"]) == (REASON, False)
        assert event["data"] == {
            "public_description": {"from": None, "to": REDACTED},
            "hidden_photos": [face],
        }
    rows = api.client.get("/api/v1/tickets.csv", headers=api.auth("staff")).text
    assert "Pak Joko" in rows  # the worklist is staff's: the words as sent


def test_the_reporter_reads_what_the_public_reads_and_that_a_moderator_edited_it(
    api: Api, scene: tuple[str, str, str, str]
) -> None:
    code, _, face, jam = scene
    token = {"X-Reporter-Token": api.tokens[code]}
    mine = api.client.get(f"/api/v1/reports/{code}/private", headers=token).json()
    assert mine["redacted"] is False and mine["report"]["description"] == PERSONAL
    assert _redact(api, code, hide_photos=[face]).status_code == 200
    own = api.client.get(f"/api/v1/reports/{code}/private", headers=token)
    assert own.status_code == 200, own.text
    body = own.json()
    assert (body["redacted"], body["public"]) == (True, True)
    assert body["report"]["description"] == REDACTED
    assert [_key(p["url"]).split("?")[0] for p in body["report"]["photos"]] == [jam]
    for secret in (*SECRETS, REASON, face):
        assert secret not in own.text


# --- who may, and what is refused ------------------------------------------------------------


def _make_key(api: Api, name: str, role: str, agency: str) -> str:
    body = {"role": role, "name": name, "agency": agency}
    response = api.client.post("/api/v1/admin/keys", json=body, headers=api.auth("admin"))
    assert response.status_code == 201, response.text
    api.keys[name] = response.json()["key"]
    return name


@pytest.mark.parametrize(
    ("who", "role", "agency", "status"),
    [
        ("staff", None, None, 403),  # the agency's own staff: the report may be about them
        ("supervisor", None, None, 200),
        ("admin", None, None, 200),
        ("outsider", None, None, 403),
        ("kecamatan", None, None, 403),
        ("governor", None, None, 403),
        ("kec_supervisor", "supervisor", "KEC-GAMBIR", 200),
        ("gub_supervisor", "supervisor", "GUB", 200),
        ("dlh_supervisor", "supervisor", "DLH", 403),
    ],
)
def test_who_may_redact(
    api: Api, who: str, role: str | None, agency: str | None, status: int
) -> None:
    if role is not None and agency is not None:
        _make_key(api, who, role, agency)
    code = api.submit(description=PERSONAL)["code"]
    done = _redact(api, code, who)
    assert done.status_code == status, done.text
    public = api.client.get(f"/api/v1/reports/{code}").json()["description"]
    assert public == (REDACTED if status == 200 else PERSONAL)
    allowed = "redact" in _detail(api, code, who)["allowed_actions"] if status == 200 else None
    assert allowed in (True, None)
    if status != 200:
        assert done.json()["code"] == "forbidden"


def test_allowed_actions_offer_redact_to_moderators_only(api: Api) -> None:
    code = api.submit()["code"]
    assert "redact" in _detail(api, code, "supervisor")["allowed_actions"]
    assert "redact" in _detail(api, code, "admin")["allowed_actions"]
    assert "redact" not in _detail(api, code, "staff")["allowed_actions"]


@pytest.mark.parametrize(
    ("fields", "status", "code_", "field"),
    [
        ({"note": None}, 422, "reason_required", "note"),
        ({"note": "   "}, 422, "reason_required", "note"),
        ({"public": True}, 422, "note_stays_internal", "public"),
        ({"description": None}, 422, "nothing_to_redact", "description"),
        ({"description": PERSONAL}, 422, "description_unchanged", "description"),
        ({"description": "  "}, 422, "field_required", "description"),
        ({"description": "nama\u202e"}, 422, None, "description"),
        ({"hide_photos": ["00/" + "0" * 64 + ".jpg"]}, 422, "unknown_photo", "hide_photos"),
    ],
)
def test_a_refused_redaction_writes_nothing(
    api: Api,
    scene: tuple[str, str, str, str],
    fields: dict[str, Any],
    status: int,
    code_: str | None,
    field: str,
) -> None:
    code, _, face, _ = scene
    version = _detail(api, code)["version"]
    body = {"note": REASON, "description": REDACTED, **fields}
    refused = api.act(code, "redact", "admin", **{k: v for k, v in body.items() if v is not None})
    assert refused.status_code == status, refused.text
    problem = refused.json()
    if code_ is not None:
        assert problem["code"] == code_
    assert problem["params"]["field"] == field
    if code_ == "unknown_photo":
        assert problem["params"]["photo"] == fields["hide_photos"][0]
        assert fields["hide_photos"][0] in problem["detail"]
    after = _detail(api, code)
    assert after["version"] == version and after["redacted"] is False
    assert [e for e in after["events"] if e["action"] == "redact"] == []
    assert all(not p["hidden"] for p in after["photos"])
    public = api.client.get(f"/api/v1/reports/{code}").json()
    assert public["description"] == PERSONAL
    assert face in str(public["photos"])


def test_a_photo_hidden_already_is_refused_and_says_so(
    api: Api, scene: tuple[str, str, str, str]
) -> None:
    code, _, face, jam = scene
    assert _redact(api, code, description=None, hide_photos=[face]).status_code == 200
    version = _detail(api, code)["version"]
    again = _redact(api, code, description=None, hide_photos=[jam, face])
    assert again.status_code == 422, again.text
    assert again.json()["code"] == "photo_already_hidden"
    assert "hidden from the public already" in again.json()["detail"]
    assert _detail(api, code)["version"] == version
    assert api.client.get(f"/media/{jam}").status_code == 200  # nothing else was hidden


# --- a photo hidden by mistake, shown again (show_photos) -------------------------------------


def test_a_photo_hidden_by_mistake_is_shown_to_the_public_again(
    api: Api, scene: tuple[str, str, str, str]
) -> None:
    code, _, face, jam = scene
    assert _redact(api, code, description=None, hide_photos=[jam]).status_code == 200
    assert api.client.get(f"/media/{jam}").status_code == 404
    assert jam not in api.client.get(f"/api/v1/reports/{code}").text

    shown = _redact(api, code, note="keliru: foto kemacetan", description=None, show_photos=[jam])
    assert shown.status_code == 200, shown.text

    report = api.client.get(f"/api/v1/reports/{code}").json()
    assert [_key(p["url"]) for p in report["photos"]] == [face, jam]
    served = api.client.get(f"/media/{jam}")  # to anyone: no key, no cookie
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.headers["cache-control"].startswith("public")
    one = api.client.get(f"/open311/v2/requests/{code}.json").json()[0]
    assert _key(one["media_url"]) == face  # the first public photo, as before the mistake
    assert jam in api.client.get(f"/t/{code}").text
    body = _detail(api, code)
    assert [(_key(p["url"]), p["public"], p["hidden"]) for p in body["photos"]] == [
        (face, True, False),
        (jam, True, False),
    ]
    last = body["events"][-1]
    assert (last["action"], last["note"], last["data"]) == (
        "redact",
        "keliru: foto kemacetan",
        {"shown_photos": [jam]},
    )


@pytest.mark.parametrize(
    ("which", "code_"),
    [
        ("face", "photo_not_hidden"),  # never hidden
        ("unknown", "unknown_photo"),
        ("both", "photo_hidden_and_shown"),  # the jam photo, hidden, named to hide and to show
    ],
)
def test_showing_again_a_photo_not_hidden_is_refused_and_names_the_field(
    api: Api, scene: tuple[str, str, str, str], which: str, code_: str
) -> None:
    code, _, face, jam = scene
    assert _redact(api, code, description=None, hide_photos=[jam]).status_code == 200
    version = _detail(api, code)["version"]
    photo = {"face": face, "unknown": "00/" + "0" * 64 + ".jpg", "both": jam}[which]
    hide = [photo] if which == "both" else []
    refused = _redact(api, code, description=REDACTED, hide_photos=hide, show_photos=[photo])
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert (problem["code"], problem["params"]) == (
        code_,
        {"field": "show_photos", "photo": photo},
    )
    assert photo in problem["detail"]
    after = _detail(api, code)
    assert after["version"] == version and after["redacted"] is False
    assert [(_key(p["url"]), p["hidden"]) for p in after["photos"]] == [
        (face, False),
        (jam, True),
    ]
    assert api.client.get(f"/media/{jam}").status_code == 404


def test_too_many_photos_to_show_again_is_refused_naming_the_field(api: Api) -> None:
    code = api.submit(description=PERSONAL)["code"]
    refused = _redact(api, code, show_photos=[f"{n}.jpg" for n in range(51)])
    assert refused.status_code == 422, refused.text
    assert refused.json()["params"]["field"] == "show_photos"


def test_redact_checks_the_version_read_as_every_transition(api: Api) -> None:
    code = api.submit(description=PERSONAL)["code"]
    stale = api.client.post(
        f"/api/v1/tickets/{code}/transitions",
        json={"trigger": "redact", "note": REASON, "description": REDACTED},
        headers={**api.auth("admin"), "If-Match": '"v7"'},
    )
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    assert api.client.get(f"/api/v1/reports/{code}").json()["description"] == PERSONAL


def test_other_triggers_do_not_take_the_redaction_inputs(api: Api) -> None:
    code = api.submit()["code"]
    refused = api.act(code, "verify", "admin", description=REDACTED)
    assert refused.status_code == 422, refused.text
    assert refused.json()["params"]["field"] == "description"


# --- the staff ticket page -------------------------------------------------------------------


def _version(page: str) -> str:
    found = re.search(r'name="expected_version" value="(\d+)"', page)
    assert found is not None
    return found.group(1)


def test_a_supervisor_redacts_from_the_ticket_page(
    api: Api, scene: tuple[str, str, str, str]
) -> None:
    code, _, face, jam = scene
    web: TestClient = staff_web(api)
    sign_in(web, api, "supervisor")
    page = web.get(f"/staff/tickets/{code}?lang=en").text
    assert "<summary>Edit what the public reads</summary>" in page
    assert f'name="hide_photos" value="{face}"' in page

    form = {"expected_version": _version(page), "back": "ticket", "trigger": "redact"}
    unchanged = {**form, "note": REASON, "description": PERSONAL, "description_was": PERSONAL}
    refused = web.post(f"/staff/tickets/{code}/actions?lang=en", data=unchanged)
    assert refused.status_code == 422
    assert (
        "Give the text the public should read, or choose photos to hide or to show again."
        in refused.text
    )
    # The text left as shown (CRLF from the browser) is no edit: only the photo is hidden.
    crlf = {**unchanged, "description": PERSONAL + "\r\n", "hide_photos": face}
    done = web.post(f"/staff/tickets/{code}/actions", data=crlf)
    assert done.status_code == 303, done.text
    assert api.client.get(f"/api/v1/reports/{code}").json()["description"] == PERSONAL
    assert api.client.get(f"/media/{face}").status_code == 404
    shown = web.get(done.headers["location"] + "&lang=en").text
    assert f"{code}: Edit what the public reads — done." in shown
    assert "Hidden from the public by a moderator" in shown
    assert f'name="hide_photos" value="{face}"' not in shown  # only photos still shown
    assert f'name="hide_photos" value="{jam}"' in shown

    edit = {**form, "expected_version": _version(shown), "note": REASON}
    edit.update(description=REDACTED, description_was=PERSONAL)
    done = web.post(f"/staff/tickets/{code}/actions", data=edit)
    assert done.status_code == 303, done.text
    shown = web.get(done.headers["location"] + "&lang=en").text
    assert "Redacted by a moderator: the public reads this instead of the report above" in shown
    assert PERSONAL in shown and REDACTED in shown
    assert api.client.get(f"/api/v1/reports/{code}").json()["description"] == REDACTED


def test_a_supervisor_shows_a_hidden_photo_again_from_the_ticket_page(
    api: Api, scene: tuple[str, str, str, str]
) -> None:
    code, _, face, jam = scene
    assert _redact(api, code, description=None, hide_photos=[jam]).status_code == 200
    web: TestClient = staff_web(api)
    sign_in(web, api, "supervisor")
    page = web.get(f"/staff/tickets/{code}?lang=en").text
    assert "Show these hidden photos to the public again" in page
    assert f'name="show_photos" value="{jam}"' in page
    assert f'name="show_photos" value="{face}"' not in page  # only hidden photos
    assert "Photos hidden from the public: 1" in page  # the timeline says what redact did

    form = {"expected_version": _version(page), "back": "ticket", "trigger": "redact"}
    body = {**form, "note": "keliru", "description": PERSONAL, "description_was": PERSONAL}
    done = web.post(f"/staff/tickets/{code}/actions", data={**body, "show_photos": jam})
    assert done.status_code == 303, done.text
    report = api.client.get(f"/api/v1/reports/{code}").json()
    assert [_key(p["url"]) for p in report["photos"]] == [face, jam]
    assert api.client.get(f"/media/{jam}").status_code == 200
    shown = web.get(done.headers["location"] + "&lang=en").text
    assert "Photos shown to the public again: 1" in shown
    assert f'name="show_photos" value="{jam}"' not in shown
    assert f'name="hide_photos" value="{jam}"' in shown


def test_a_supervisor_hides_two_photos_at_once_from_the_ticket_page(
    api: Api, scene: tuple[str, str, str, str]
) -> None:
    """Two ticked boxes send ``hide_photos`` twice: a list, never refused as a field sent twice
    (the page's refusal of repeated fields once took only ``photos`` as a list)."""
    code, _, face, jam = scene
    web: TestClient = staff_web(api)
    sign_in(web, api, "supervisor")
    page = web.get(f"/staff/tickets/{code}?lang=en").text
    form = {"expected_version": _version(page), "back": "ticket", "trigger": "redact"}
    body = {**form, "note": REASON, "description": PERSONAL, "description_was": PERSONAL}
    done = web.post(f"/staff/tickets/{code}/actions", data={**body, "hide_photos": [face, jam]})
    assert done.status_code == 303, done.text
    assert api.client.get(f"/media/{face}").status_code == 404
    assert api.client.get(f"/media/{jam}").status_code == 404
    shown = web.get(done.headers["location"] + "&lang=en").text
    assert "Photos hidden from the public: 2" in shown


def test_the_agency_staff_get_no_redact_button(api: Api, scene: tuple[str, str, str, str]) -> None:
    code, _, _, _ = scene
    web = staff_web(api)
    sign_in(web, api, "staff")
    assert "Edit what the public reads" not in web.get(f"/staff/tickets/{code}?lang=en").text
    boss = staff_web(api)
    sign_in(boss, api, "supervisor")
    worklist = boss.get("/staff?lang=en").text
    assert code in worklist and "Edit what the public reads" not in worklist


# --- the sending system's own photo (Open311 media_url) --------------------------------------


def test_the_sending_systems_photo_address_is_hidden_by_its_url(api: Api) -> None:
    """An Open311 client sends the address of its own photo (``media_url``): Open311 gives it
    back while the report has no photo here. Staff see it in the detail; hiding it by that
    address takes it out of Open311, as a photo of ours."""
    from tests.api.test_open311 import SENT_PHOTO, fetch, post

    both = post(
        api, media_url=SENT_PHOTO, files=[("media[]", ("a.jpg", _jpeg((9, 9, 9)), "image/jpeg"))]
    )
    assert both.status_code == 201, both.text
    code = both.json()[0]["service_request_id"]
    detail = _detail(api, code)
    assert (detail["media_url"], detail["media_url_hidden"]) == (SENT_PHOTO, False)
    (ours,) = [_key(p["url"]) for p in detail["photos"]]
    (item,) = fetch(api, f"requests/{code}")
    assert _key(item["media_url"]) == ours
    # Our copy hidden, the sender's address would show instead: both are hidden together.
    done = _redact(api, code, description=None, hide_photos=[ours, SENT_PHOTO])
    assert done.status_code == 200, done.text
    (item,) = fetch(api, f"requests/{code}")
    assert item["media_url"] == ""
    for path in (f"/open311/v2/requests/{code}.xml", "/open311/v2/requests.json"):
        assert "fixmystreet.example" not in api.client.get(path).text
    detail = _detail(api, code)
    assert (detail["media_url"], detail["media_url_hidden"]) == (SENT_PHOTO, True)
    again = _redact(api, code, description=None, hide_photos=[SENT_PHOTO])
    assert again.status_code == 422 and again.json()["code"] == "photo_already_hidden"
    # Shown again by the same address: Open311 gives it back once our copy is shown too.
    back = _redact(api, code, description=None, show_photos=[SENT_PHOTO])
    assert back.status_code == 200, back.text
    detail = _detail(api, code)
    assert (detail["media_url"], detail["media_url_hidden"]) == (SENT_PHOTO, False)
    (item,) = fetch(api, f"requests/{code}")
    assert item["media_url"] == SENT_PHOTO
    assert _redact(api, code, description=None, show_photos=[ours]).status_code == 200
    (item,) = fetch(api, f"requests/{code}")
    assert _key(item["media_url"]) == ours
