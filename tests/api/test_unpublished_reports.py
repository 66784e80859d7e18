"""Taking a report off the public record (``unpublish``) and putting it back (``republish``).

A citizen writes a neighbour's name and phone number into a traffic jam report and sends a photo
of a number plate. A supervisor or admin takes it off the public record with a reason: to the
public it is then a report that does not exist — every public reader answers as for an unknown
code, its photo is not served, it is offered as no duplicate, "me too" on it is refused as on
an unknown code — while its reporter, with the token, and staff see it as before. The reason
is internal. Putting it back restores every reader. A second traffic jam at the same spot is
the control: it stays, so no test passes by an empty answer.
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
from sqlalchemy import select

from engine.models import Notification, Subscription, Ticket
from engine.settings import Settings
from tests.api.conftest import MONAS, Api, each_change_mailed_at_once
from tests.api.test_non_public_categories import UNKNOWN, _no_key, _same_as_unknown, staff_web
from tests.api.test_staff_pages import sign_in


@pytest.fixture
def api_settings(api_settings: Settings) -> Settings:
    """Each change's mail on its own (``each_change_mailed_at_once``): who is told of which."""
    return each_change_mailed_at_once(api_settings)


#: What must not stay public: a name, a phone number, an accusation.
PERSONAL = "Macet karena mobil B 1234 XYZ milik Pak Joko (0812-3456-7890) parkir sembarangan"
REASON = "berisi data pribadi: nama dan nomor telepon"
WINDOW = {"start_date": "2026-11-23T00:00:00+07:00", "end_date": "2026-11-24T00:00:00+07:00"}


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, format="JPEG")
    return out.getvalue()


def _with_photo(api: Api, description: str, colour: tuple[int, int, int]) -> dict[str, Any]:
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
        files=[("photos", ("plat.jpg", _jpeg(colour), "image/jpeg"))],
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    api.tokens[created["code"]] = created["reporter_token"]
    return created


def _photo_url(api: Api, code: str) -> str:
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin")).json()
    (photo,) = detail["photos"]
    url: str = photo["url"]
    return url


def _open311(api: Api, path: str, **params: Any) -> tuple[list[str], list[str]]:
    """The request ids an Open311 list names, as JSON and as XML."""
    as_json = api.client.get(f"/open311/v2/{path}.json", params=params)
    as_xml = api.client.get(f"/open311/v2/{path}.xml", params=params)
    assert as_json.status_code == as_xml.status_code == 200, as_json.text
    root = ET.fromstring(as_xml.content)
    return (
        [r["service_request_id"] for r in as_json.json()],
        [e.findtext("service_request_id") or "" for e in root],
    )


def _public_codes(api: Api) -> dict[str, list[str]]:
    """The codes each public list names (what a person or another system reads)."""
    near = {"lat": MONAS[0], "long": MONAS[1], "radius": 500}
    requests_json, requests_xml = _open311(api, "requests")
    near_json, near_xml = _open311(api, "requests", **near)
    updates_json, updates_xml = _open311(api, "servicerequestupdates", **WINDOW)
    point = {"lat": MONAS[0], "lon": MONAS[1]}
    nearby = api.client.get("/web/nearby", params={"category": "traffic_jam", **point})
    assert nearby.status_code == 200
    return {
        "list": [i["code"] for i in api.client.get("/api/v1/reports").json()["items"]],
        "map": [
            f["properties"]["code"]
            for f in api.client.get("/api/v1/reports.geojson").json()["features"]
        ],
        "open311 json": requests_json,
        "open311 xml": requests_xml,
        "open311 near json": near_json,
        "open311 near xml": near_xml,
        "updates json": sorted(set(updates_json)),
        "updates xml": sorted(set(updates_xml)),
        "report form": re.findall(r"JKT-[0-9A-Z]{4}-[0-9A-Z]{4}", nearby.text),
        "submission answer": [d["code"] for d in api.submit()["possible_duplicates"]],
    }


@pytest.fixture
def scene(api: Api) -> tuple[str, str]:
    """A report with personal data and a photo, and a control at the same spot; both verified,
    so each has public updates."""
    private = _with_photo(api, PERSONAL, (200, 30, 30))["code"]
    control = _with_photo(api, "Macet total di depan Monas", (30, 200, 30))["code"]
    api.drive(private, "verify")
    api.drive(control, "verify")
    return private, control


def _unpublish(api: Api, code: str, who: str = "admin", **fields: Any) -> httpx.Response:
    return api.act(code, "unpublish", who, note=REASON, **fields)


# --- off the public record -------------------------------------------------------------------


def test_an_unpublished_report_is_in_no_public_list(api: Api, scene: tuple[str, str]) -> None:
    private, control = scene
    before = _public_codes(api)
    assert all(private in codes for codes in before.values()), before  # the control: it was

    hidden = _unpublish(api, private)
    assert hidden.status_code == 200, hidden.text
    assert hidden.json()["state"]["code"] == "verified"  # its work goes on as it was

    after = _public_codes(api)
    for reader, codes in after.items():
        assert private not in codes, reader
        assert control in codes, reader
    for path in ("/api/v1/reports", "/api/v1/reports.geojson", "/open311/v2/requests.xml"):
        assert "Pak Joko" not in api.client.get(path).text


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/reports/{}",
        "/open311/v2/requests/{}.json",
        "/open311/v2/requests/{}.xml",
        "/open311/v2/tokens/{}.json",
        "/t/{}",
    ],
)
def test_an_unpublished_code_reads_as_an_unknown_code(
    api: Api, scene: tuple[str, str], path: str
) -> None:
    private, control = scene
    assert api.client.get(path.format(private)).status_code == 200  # before
    assert _unpublish(api, private).status_code == 200
    seen = api.client.get(path.format(private))
    _same_as_unknown(seen, api.client.get(path.format(UNKNOWN)), private)
    assert "Pak Joko" not in seen.text
    assert api.client.get(path.format(control)).status_code == 200


def test_an_unpublished_reports_photo_is_served_to_staff_only(
    api: Api, scene: tuple[str, str]
) -> None:
    private, control = scene
    secret, shown = _photo_url(api, private), _photo_url(api, control)
    assert api.client.get(secret).status_code == 200  # public until taken off the record
    assert _unpublish(api, private).status_code == 200

    unknown = "/media/00/" + "0" * 64 + ".jpg"
    seen, missing = api.client.get(secret), api.client.get(unknown)
    assert seen.status_code == missing.status_code == 404
    assert _no_key(seen.json()) == _no_key(missing.json())
    assert api.client.get(shown).status_code == 200
    staff = api.client.get(secret, headers=api.auth("supervisor"))
    assert staff.status_code == 200 and staff.headers["content-type"] == "image/jpeg"
    assert staff.headers["cache-control"] == "private, no-store"


def test_a_public_photo_is_cached_only_briefly_so_taking_it_down_reaches_caches(
    api: Api, scene: tuple[str, str]
) -> None:
    """It was sent ``public, max-age=86400, immutable``: after the report was taken off the
    public record (a face, a number plate) browsers and proxies kept showing it for a day."""
    private, _ = scene
    secret = _photo_url(api, private)
    first = api.client.get(secret)
    assert first.status_code == 200
    assert first.headers["cache-control"] == "public, max-age=300, must-revalidate"
    assert "immutable" not in first.headers["cache-control"]
    tag = first.headers["etag"]
    again = api.client.get(secret, headers={"If-None-Match": tag})  # a cache asking again
    assert again.status_code == 304 and again.content == b""
    assert _unpublish(api, private).status_code == 200
    asked = api.client.get(secret, headers={"If-None-Match": tag})
    assert asked.status_code == 404  # the cache's copy is refused, not confirmed
    assert "etag" not in asked.headers
    own = _ok_own_photo(api, private)
    assert own.headers["cache-control"] == "private, no-store"
    assert "etag" not in own.headers


def _ok_own_photo(api: Api, code: str) -> httpx.Response:
    """The reporter's own page's photo, at its signed address."""
    token = {"X-Reporter-Token": api.tokens[code]}
    mine = api.client.get(f"/api/v1/reports/{code}/private", headers=token)
    assert mine.status_code == 200, mine.text
    (photo,) = mine.json()["report"]["photos"]
    assert "?own=" in photo["url"]
    response = api.client.get(photo["url"])
    assert response.status_code == 200, response.text
    return response


@pytest.mark.parametrize("body", [None, {"email": "tetangga@example.id"}])
def test_me_too_on_an_unpublished_report_answers_as_an_unknown_code(
    api: Api, scene: tuple[str, str], body: dict[str, str] | None
) -> None:
    private, control = scene
    assert _unpublish(api, private).status_code == 200
    seen = api.client.post(f"/api/v1/reports/{private}/supporters", json=body)
    missing = api.client.post(f"/api/v1/reports/{UNKNOWN}/supporters", json=body)
    _same_as_unknown(seen, missing, private)
    assert api.client.post(f"/api/v1/reports/{control}/supporters", json=body).status_code == 200


def test_confirming_me_too_on_an_unpublished_report_says_mail_waits_for_it_to_be_public(
    api: Api, scene: tuple[str, str]
) -> None:
    """The page said "This address now gets an e-mail each time report X changes", while an
    address that said "me too" gets nothing about a report the public may not see."""
    private, control = scene
    for code in (private, control):
        for address in ("tetangga@example.id", "neighbour@example.id"):
            said = api.client.post(f"/api/v1/reports/{code}/supporters", json={"email": address})
            assert said.status_code == 200, said.text
    assert _unpublish(api, private).status_code == 200
    en = api.confirmation_links(private, "neighbour@example.id")[-1].replace("lang=id", "lang=en")
    id_ = api.confirmation_links(private, "tetangga@example.id")[-1]

    asked = api.client.get(en).text
    assert "e-mails start only if the report is shown publicly again" in asked
    assert "get an e-mail each time report" in asked  # what was asked for, still said
    confirmed = api.client.post(en).text
    assert f"Confirmed, but report {private} is not shown publicly now" in confirmed
    assert "now gets an e-mail each time" not in confirmed
    assert f'href="/t/{private}"' not in confirmed  # that page answers as for an unknown code
    confirmed_id = api.client.post(id_).text
    assert f"Terkonfirmasi, tetapi laporan {private} sekarang tidak ditampilkan untuk umum" in (
        confirmed_id
    )
    assert "kini menerima surel setiap kali" not in confirmed_id
    # The control, public: the promise holds there, and is made.
    kept_link = api.confirmation_links(control, "neighbour@example.id")[-1]
    kept = api.client.post(kept_link.replace("lang=id", "lang=en"))
    assert f"This address now gets an e-mail each time report {control} changes" in kept.text

    with api.transactions.read() as session:
        tokens = dict(
            session.execute(
                select(Ticket.code, Subscription.unsubscribe_token)
                .join(Ticket, Ticket.id == Subscription.ticket_id)
                .where(Subscription.email == "neighbour@example.id")
            ).all()
        )
    stop = api.client.get(f"/unsubscribe/{tokens[private]}?lang=en").text
    assert "is not shown publicly now, so this address gets no e-mail about it" in stop
    assert "This address gets an e-mail each time" not in stop
    stop_id = api.client.get(f"/unsubscribe/{tokens[private]}?lang=id").text
    assert "sekarang tidak ditampilkan untuk umum, jadi alamat ini tidak menerima surel" in stop_id
    shown = api.client.get(f"/unsubscribe/{tokens[control]}?lang=en").text
    assert f"This address gets an e-mail each time report {control} changes" in shown
    # And it is true: a public change mails the control's neighbour, not the private's.
    api.drive(private, "assign")
    api.drive(control, "assign")
    assert "neighbour@example.id" not in {m[0] for m in api.mails(private)}
    assert "neighbour@example.id" in {m[0] for m in api.mails(control)}
    # Stopping it: no advice to follow again from a page that answers as for no report.
    stopped = api.client.post(f"/unsubscribe/{tokens[private]}?lang=en").text
    assert f"This address gets no more e-mails about report {private}." in stopped
    assert "follow the report again from its page" not in stopped
    assert f'href="/t/{private}"' not in stopped
    stopped_control = api.client.post(f"/unsubscribe/{tokens[control]}?lang=en").text
    assert "follow the report again from its page" in stopped_control


def test_a_public_report_marked_a_duplicate_of_an_unpublished_one_does_not_name_it(
    api: Api, scene: tuple[str, str]
) -> None:
    private, control = scene
    assert _unpublish(api, private).status_code == 200
    marked = api.act(control, "mark_duplicate", "admin", duplicate_of=private)
    assert marked.status_code == 200, marked.text
    assert api.client.get(f"/api/v1/reports/{control}").json()["duplicate_of"] is None
    assert private not in api.client.get(f"/t/{control}").text
    # Nor to its reporter: they may read their own report, not learn that another exists.
    token = {"X-Reporter-Token": api.tokens[control]}
    own = api.client.get(f"/api/v1/reports/{control}/private", headers=token)
    assert own.status_code == 200, own.text
    assert own.json()["report"]["duplicate_of"] is None
    assert private not in own.text
    # Staff read what the ticket says.
    detail = api.client.get(f"/api/v1/tickets/{control}", headers=api.auth("admin"))
    assert detail.json()["report"]["duplicate_of"] == private


# --- the reporter and staff still see it -----------------------------------------------------


def test_the_reporter_and_staff_still_read_an_unpublished_report(
    api: Api, scene: tuple[str, str]
) -> None:
    private, _ = scene
    assert _unpublish(api, private).status_code == 200
    token = {"X-Reporter-Token": api.tokens[private]}
    own = api.client.get(f"/api/v1/reports/{private}/private", headers=token)
    assert own.status_code == 200, own.text
    assert own.json()["report"]["description"] == PERSONAL
    assert own.json()["public"] is False and own.json()["unpublished"] is True
    (photo,) = own.json()["report"]["photos"]
    assert "?own=" in photo["url"]  # the plain address no longer opens it
    assert api.client.get(photo["url"]).status_code == 200
    # The reason is staff's: not in the reporter's view.
    assert "data pribadi" not in own.text

    for who in ("staff", "supervisor", "admin"):
        detail = api.client.get(f"/api/v1/tickets/{private}", headers=api.auth(who))
        assert detail.status_code == 200, detail.text
        body = detail.json()
        assert body["report"]["description"] == PERSONAL
        assert (body["public"], body["unpublished"]) == (False, True)
        (event,) = [e for e in body["events"] if e["action"] == "unpublish"]
        assert (event["note"], event["public"]) == (REASON, False)
        assert body["report"]["state"]["code"] == "verified"
    # The agency's staff work on as before.
    assert api.act(private, "assign", "staff").status_code == 200


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("id", "Petugas telah menarik laporan ini dari tampilan umum"),
        ("en", "staff have taken this report off the public record"),
    ],
)
def test_the_reporters_page_says_plainly_the_report_is_not_public(
    api: Api, scene: tuple[str, str], lang: str, words: str
) -> None:
    private, _ = scene
    assert _unpublish(api, private).status_code == 200
    own = api.client.post(
        f"/t/{private}", params={"lang": lang}, data={"token": api.tokens[private]}
    )
    assert own.status_code == 200, own.text
    assert words in own.text
    assert PERSONAL in own.text
    assert REASON not in own.text
    assert own.headers["cache-control"] == "private, no-store"


# --- back on the public record ---------------------------------------------------------------


def test_republish_restores_every_public_reader_and_tells_nobody_why(
    api: Api, scene: tuple[str, str]
) -> None:
    private, control = scene
    photo = _photo_url(api, private)
    assert _unpublish(api, private).status_code == 200
    back = api.act(private, "republish", "supervisor", note="ternyata bukan data pribadi")
    assert back.status_code == 200, back.text

    for reader, codes in _public_codes(api).items():
        assert private in codes and control in codes, reader
    assert api.client.get(photo).status_code == 200
    public = api.client.get(f"/api/v1/reports/{private}")
    assert public.status_code == 200 and public.json()["description"] == PERSONAL
    # The public history says nothing of the report having been away, nor why.
    assert [e["action"] for e in public.json()["timeline"]] == ["submit", "verify"]
    page = api.client.get(f"/t/{private}")
    assert page.status_code == 200
    for words in (REASON, "ternyata bukan", "Ditarik", "Ditampilkan lagi"):
        assert words not in page.text
    own = api.client.get(
        f"/api/v1/reports/{private}/private", headers={"X-Reporter-Token": api.tokens[private]}
    ).json()
    assert (own["public"], own["unpublished"]) == (True, False)


# --- who may, and what is refused ------------------------------------------------------------


def _key(api: Api, name: str, role: str, agency: str) -> str:
    body = {"role": role, "name": name, "agency": agency}
    response = api.client.post("/api/v1/admin/keys", json=body, headers=api.auth("admin"))
    assert response.status_code == 201, response.text
    api.keys[name] = response.json()["key"]
    return name


@pytest.mark.parametrize(
    ("who", "role", "agency", "status"),
    [
        ("staff", None, None, 403),  # the agency's own staff: the report may be about them
        ("supervisor", None, None, 200),  # the agency's supervisor
        ("admin", None, None, 200),
        ("outsider", None, None, 403),  # staff of another agency
        ("kecamatan", None, None, 403),  # staff of the area office above it
        ("governor", None, None, 403),  # staff of the governor's office
        ("kec_supervisor", "supervisor", "KEC-GAMBIR", 200),  # its area office's supervisor
        ("gub_supervisor", "supervisor", "GUB", 200),  # the governor's office's supervisor
        ("dlh_supervisor", "supervisor", "DLH", 403),  # another agency's supervisor
    ],
)
def test_who_may_take_a_report_off_the_public_record_and_put_it_back(
    api: Api, who: str, role: str | None, agency: str | None, status: int
) -> None:
    if role is not None and agency is not None:
        _key(api, who, role, agency)
    code = api.submit()["code"]
    hidden = _unpublish(api, code, who)
    assert hidden.status_code == status, hidden.text
    listed = [i["code"] for i in api.client.get("/api/v1/reports").json()["items"]]
    assert (code in listed) is (status != 200)
    if status != 200:
        assert hidden.json()["code"] == "forbidden"
        assert _unpublish(api, code).status_code == 200  # an admin takes it off
    shown = api.act(code, "republish", who, note="keliru")
    assert shown.status_code == status, shown.text
    listed = [i["code"] for i in api.client.get("/api/v1/reports").json()["items"]]
    assert (code in listed) is (status == 200)


def test_allowed_actions_offer_unpublish_or_republish_to_moderators_only(api: Api) -> None:
    code = api.submit()["code"]

    def allowed(who: str) -> list[str]:
        detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth(who)).json()
        actions: list[str] = detail["allowed_actions"]
        return actions

    assert "unpublish" in allowed("supervisor") and "republish" not in allowed("supervisor")
    assert "unpublish" not in allowed("staff") and "republish" not in allowed("staff")
    hidden = _unpublish(api, code, "supervisor")
    assert "republish" in hidden.json()["allowed_actions"]
    assert "unpublish" not in hidden.json()["allowed_actions"]
    assert "republish" in allowed("admin") and "unpublish" not in allowed("admin")


@pytest.mark.parametrize("note", [None, "", "   "])
def test_unpublish_without_a_reason_is_refused_naming_the_field(api: Api, note: str | None) -> None:
    code = api.submit()["code"]
    fields = {} if note is None else {"note": note}
    refused = api.act(code, "unpublish", "admin", **fields)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "reason_required"
    assert refused.json()["params"]["field"] == "note"
    assert code in [i["code"] for i in api.client.get("/api/v1/reports").json()["items"]]
    assert _unpublish(api, code).status_code == 200
    again = api.act(code, "republish", "admin", **fields)
    assert again.status_code == 422 and again.json()["params"]["field"] == "note"


def test_the_reason_cannot_be_made_public(api: Api) -> None:
    code = api.submit()["code"]
    refused = _unpublish(api, code, public=True)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "note_stays_internal"
    assert refused.json()["params"]["field"] == "public"


def test_unpublish_twice_or_republish_a_public_report_is_a_conflict(api: Api) -> None:
    code = api.submit()["code"]
    shown = api.act(code, "republish", "admin", note="keliru")
    assert shown.status_code == 409, shown.text
    assert shown.json()["code"] == "already_published"
    assert _unpublish(api, code).status_code == 200
    twice = _unpublish(api, code)
    assert twice.status_code == 409, twice.text
    body = twice.json()
    assert body["code"] == "already_unpublished"
    assert "republish" in body["allowed"] and "unpublish" not in body["allowed"]
    assert body["state"] == "submitted"


def test_unpublish_checks_the_version_read_as_every_transition(api: Api) -> None:
    code = api.submit()["code"]
    stale = api.client.post(
        f"/api/v1/tickets/{code}/transitions",
        json={"trigger": "unpublish", "note": REASON},
        headers={**api.auth("admin"), "If-Match": '"v7"'},
    )
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    missing = api.client.post(
        f"/api/v1/tickets/{code}/transitions",
        json={"trigger": "unpublish", "note": REASON},
        headers=api.auth("admin"),
    )
    assert missing.status_code == 422
    assert missing.json()["params"]["field"] == "expected_version"
    done = api.client.post(
        f"/api/v1/tickets/{code}/transitions",
        json={"trigger": "unpublish", "note": REASON},
        headers={**api.auth("admin"), "If-Match": '"v1"'},
    )
    assert done.status_code == 200, done.text
    assert done.headers["etag"] == '"v2"' and done.json()["version"] == 2


def test_a_rejected_spam_report_is_taken_off_the_public_record(api: Api) -> None:
    code = api.submit(description=PERSONAL)["code"]
    api.drive(code, "reject")
    assert api.client.get(f"/api/v1/reports/{code}").status_code == 200
    assert _unpublish(api, code, "supervisor").status_code == 200
    assert api.client.get(f"/api/v1/reports/{code}").status_code == 404
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin")).json()
    assert detail["report"]["state"]["code"] == "rejected"


# --- status mail -----------------------------------------------------------------------------


def test_an_unpublished_report_is_mailed_to_its_reporter_only(
    api: Api, scene: tuple[str, str]
) -> None:
    private, _ = scene
    body = {"email": "tetangga@example.id"}
    me_too = api.client.post(f"/api/v1/reports/{private}/supporters", json=body)
    assert me_too.status_code == 200
    api.confirm(private, "tetangga@example.id")
    api.drive(private, "assign")
    told = [recipient for recipient, _, _ in api.mails(private)]
    assert "tetangga@example.id" in told  # the control: a follower is told of a change

    assert _unpublish(api, private).status_code == 200
    assert [r for r, _, _ in api.mails(private)] == told  # taking it off tells no one
    api.drive(private, "start")
    later = [recipient for recipient, _, _ in api.mails(private)][len(told) :]
    assert later == ["pelapor@example.id"]


# --- the staff ticket page -------------------------------------------------------------------


def _version(page: str) -> str:
    found = re.search(r'name="expected_version" value="(\d+)"', page)
    assert found is not None
    return found.group(1)


def test_a_supervisor_takes_a_report_off_the_public_record_from_the_ticket_page(
    api: Api, scene: tuple[str, str]
) -> None:
    private, _ = scene
    web: TestClient = staff_web(api)
    sign_in(web, api, "supervisor")
    page = web.get(f"/staff/tickets/{private}?lang=en").text
    assert "<summary>Take off the public record</summary>" in page
    assert "Reason (required; only staff read it)" in page
    assert "Put back on the public record" not in page
    assert f'href="/t/{private}"' in page

    form = {"expected_version": _version(page), "back": "ticket", "trigger": "unpublish"}
    refused = web.post(f"/staff/tickets/{private}/actions?lang=en", data=form)
    assert refused.status_code == 422 and "Write the reason first." in refused.text
    done = web.post(f"/staff/tickets/{private}/actions", data={**form, "note": REASON})
    assert done.status_code == 303, done.text
    shown = web.get(done.headers["location"] + "&lang=en").text
    assert f"{private}: Take off the public record — done." in shown
    assert "Taken off the public record: only the reporter and staff see this report" in shown
    assert f'href="/t/{private}"' not in shown
    assert "<summary>Put back on the public record</summary>" in shown
    assert REASON in shown  # staff read why, in the history
    assert api.client.get(f"/api/v1/reports/{private}").status_code == 404

    again = {"expected_version": _version(shown), "back": "ticket", "trigger": "republish"}
    web.post(f"/staff/tickets/{private}/actions", data={**again, "note": "keliru"})
    assert api.client.get(f"/api/v1/reports/{private}").status_code == 200


def test_the_agency_staff_get_no_button_and_the_worklist_none(
    api: Api, scene: tuple[str, str]
) -> None:
    private, _ = scene
    web = staff_web(api)
    sign_in(web, api, "staff")
    page = web.get(f"/staff/tickets/{private}?lang=en").text
    assert "Take off the public record" not in page
    boss = staff_web(api)
    sign_in(boss, api, "supervisor")
    worklist = boss.get("/staff?lang=en").text
    assert private in worklist and "Take off the public record" not in worklist


CARRIED_WHY = (
    "not sent: the report is no longer public, and this address followed another report "
    "found to be the same problem"
)


def test_an_unpublished_report_is_not_mailed_to_those_carried_from_its_duplicates(
    api: Api,
) -> None:
    """A tester's report: report A (its reporter's address) was marked a duplicate of Q; a
    supervisor took Q off the public record and staff rejected it with a note: the status mail,
    the note and "not shown to the public" in it, went to A's reporter, a stranger to Q's.
    Chained too: X (with a "me too" follower) marked a duplicate of N, N of M. Those carried
    are told only while the public may see the report; a mail still waiting for them when it
    is taken off is not sent, saying why."""
    standing = api.submit(email="pelapor@example.id")["code"]
    one_level = api.submit(email="onelevel@example.id")["code"]
    middle = api.submit(email="tengah@example.id")["code"]
    first = api.submit(email="x@example.id")["code"]
    said = api.client.post(f"/api/v1/reports/{first}/supporters", json={"email": "fol@example.id"})
    assert said.status_code == 200, said.text
    api.confirm(first, "fol@example.id")
    for duplicate, of in ((one_level, standing), (first, middle), (middle, standing)):
        marked = api.act(duplicate, "mark_duplicate", "admin", duplicate_of=of)
        assert marked.status_code == 200, marked.text
    carried = sorted(["onelevel@example.id", "tengah@example.id", "x@example.id", "fol@example.id"])
    api.drive(standing, "verify")  # the control: while public, each carried address is told
    told = sorted(to for to, _, _ in api.mails(standing))
    assert told == sorted([*carried, "pelapor@example.id"])
    with api.transactions.write() as session:  # the verify mail still waits for its send
        for row in session.scalars(
            select(Notification).where(Notification.kind == "citizen_update")
        ):
            row.status = "pending"

    assert _unpublish(api, standing, "supervisor").status_code == 200
    waiting = api.notifications(
        standing, "citizen_update", lambda n: (n.recipient, n.status, n.last_error)
    )
    assert sorted((to, why) for to, status, why in waiting if status == "failed") == [
        (to, CARRIED_WHY) for to in carried
    ]
    rejected = api.act(standing, "reject", "admin", note="spam berisi nomor HP", public=True)
    assert rejected.status_code == 200, rejected.text
    later = api.notifications(standing, "citizen_update", lambda n: (n.recipient, n.body))
    assert [to for to, _ in later[len(waiting) :]] == ["pelapor@example.id"]
    assert all("spam berisi" not in body for to, body in later if to in carried)
