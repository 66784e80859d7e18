"""Non-public categories (``public: false``: pungli, poor public service, whose descriptions may
name an official). To the public such a report does not exist: not on the list, the map, Open311
or the updates feed, never offered as a duplicate, by code the very answer of an unknown code,
its photos not served. Its reporter, with the token, reads and acts on it; staff see it as any
ticket. A traffic jam at the same spot is the control: it does appear, so no test passes by an
empty answer."""

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
from tests.api.test_staff_pages import ORIGIN, sign_in

UNKNOWN = "JKT-0000-0000"
ACCUSATION = "Lurah Budi minta uang Rp500.000 untuk surat pengantar"
REPORTER = "saksi@example.id"


@pytest.fixture
def api_settings(api_settings: Settings) -> Settings:
    """Each change's mail on its own (``each_change_mailed_at_once``)."""
    return each_change_mailed_at_once(api_settings)


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, format="JPEG")
    return out.getvalue()


def _pungli(api: Api, **fields: Any) -> dict[str, Any]:
    return api.submit(category="illegal_levy", description=ACCUSATION, email=REPORTER, **fields)


def _swap(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {k: _swap(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap(v, old, new) for v in value]
    return value


def _no_key(body: dict[str, Any]) -> dict[str, Any]:
    return {k: re.sub(r"'[^']*'", "'…'", v) if isinstance(v, str) else v for k, v in body.items()}


def _same_as_unknown(
    seen: httpx.Response, missing: httpx.Response, code: str, unknown: str = UNKNOWN
) -> None:
    """``seen`` (asked about ``code``) is word for word ``missing`` (asked about ``unknown``)."""
    assert seen.status_code == missing.status_code, seen.text
    assert seen.status_code in (400, 404)
    assert seen.headers["content-type"] == missing.headers["content-type"]
    if seen.headers["content-type"].startswith("application/json"):
        assert seen.json() == _swap(missing.json(), unknown, code)
    else:
        assert seen.text == missing.text.replace(unknown, code)


def staff_web(api: Api) -> TestClient:
    """A browser-like client for the staff pages (https, this app's Origin on posts)."""
    client = TestClient(api.app, base_url=ORIGIN, follow_redirects=False)
    client.headers["Origin"] = ORIGIN
    return client


@pytest.fixture
def inspektorat(api: Api) -> str:
    """A key of the agency pungli is routed to."""
    body = {"role": "staff", "name": "inspektorat", "agency": "INSPEKTORAT"}
    response = api.client.post("/api/v1/admin/keys", json=body, headers=api.auth("admin"))
    assert response.status_code == 201, response.text
    api.keys["inspektorat"] = response.json()["key"]
    return "inspektorat"


# --- submission ------------------------------------------------------------------------------


def test_the_submission_answer_says_whether_the_report_is_public(api: Api) -> None:
    pungli = _pungli(api)
    jam = api.submit()
    assert pungli["public"] is False
    assert jam["public"] is True


def test_a_non_public_report_is_never_offered_as_a_duplicate(api: Api) -> None:
    first_pungli = _pungli(api)["code"]
    first_jam = api.submit()["code"]
    # A second report of each at the same spot: the jam is offered, the pungli is not.
    assert [d["code"] for d in api.submit()["possible_duplicates"]] == [first_jam]
    again = _pungli(api)
    assert again["possible_duplicates"] == []
    # Nor on the report form before sending (the same search).
    point = {"lat": MONAS[0], "lon": MONAS[1]}
    form = api.client.get("/web/nearby", params={"category": "illegal_levy", **point})
    assert form.status_code == 200
    assert first_pungli not in form.text and again["code"] not in form.text
    assert "Lurah Budi" not in form.text
    jams = api.client.get("/web/nearby", params={"category": "traffic_jam", **point})
    assert first_jam in jams.text


# --- lists, map, Open311, feed ---------------------------------------------------------------


def _open311(api: Api, path: str, **params: Any) -> tuple[Any, ET.Element]:
    as_json = api.client.get(f"/open311/v2/{path}.json", params=params)
    as_xml = api.client.get(f"/open311/v2/{path}.xml", params=params)
    assert as_json.status_code == as_xml.status_code == 200, as_json.text
    return as_json.json(), ET.fromstring(as_xml.content)


def test_a_non_public_report_is_in_no_public_list(api: Api) -> None:
    pungli = _pungli(api)["code"]
    jam = api.submit()["code"]
    api.drive(pungli, "verify")
    api.drive(jam, "verify")

    listed = api.client.get("/api/v1/reports").json()
    assert [i["code"] for i in listed["items"]] == [jam]
    mapped = api.client.get("/api/v1/reports.geojson").json()
    assert [f["properties"]["code"] for f in mapped["features"]] == [jam]
    asked = api.client.get("/api/v1/reports", params={"category": "illegal_levy"})
    assert asked.status_code == 200 and asked.json()["items"] == []

    requests, root = _open311(api, "requests")
    assert [r["service_request_id"] for r in requests] == [jam]
    assert [e.findtext("service_request_id") for e in root] == [jam]
    near = {"lat": MONAS[0], "long": MONAS[1], "radius": 500}
    requests, root = _open311(api, "requests", **near)
    assert [r["service_request_id"] for r in requests] == [jam]
    assert [e.findtext("service_request_id") for e in root] == [jam]
    requests, root = _open311(api, "requests", service_code="illegal_levy")
    assert requests == [] and list(root) == []

    window = {"start_date": "2026-11-23T00:00:00+07:00", "end_date": "2026-11-24T00:00:00+07:00"}
    updates, root = _open311(api, "servicerequestupdates", **window)
    assert {u["service_request_id"] for u in updates} == {jam}
    assert len(updates) == 2  # submitted, verified
    assert {e.findtext("service_request_id") for e in root} == {jam}

    for path in ("/api/v1/reports", "/api/v1/reports.geojson", "/open311/v2/requests.xml"):
        assert "Lurah Budi" not in api.client.get(path).text


def test_a_non_public_report_named_as_the_original_of_a_public_one_is_not_shown(
    api: Api,
) -> None:
    # A public report is never marked a duplicate of a pungli complaint (422
    # duplicate_of_other_category); the original's category corrected into pungli afterwards
    # makes one so.
    pungli = api.submit(description=ACCUSATION)["code"]
    jam = api.submit()["code"]
    marked = api.act(jam, "mark_duplicate", "admin", duplicate_of=pungli)
    assert marked.status_code == 200, marked.text
    corrected = api.act(pungli, "update", "admin", category="illegal_levy", note="pungli parkir")
    assert corrected.status_code == 200, corrected.text
    public = api.client.get(f"/api/v1/reports/{jam}").json()
    assert public["state"]["code"] == "duplicate"
    assert public["duplicate_of"] is None
    assert pungli not in api.client.get(f"/t/{jam}").text
    # Staff still see which report it duplicates.
    staff = api.client.get(f"/api/v1/tickets/{jam}", headers=api.auth("admin")).json()
    assert staff["report"]["duplicate_of"] == pungli


# --- by code ---------------------------------------------------------------------------------


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
def test_a_non_public_code_reads_as_an_unknown_code(api: Api, path: str) -> None:
    pungli = _pungli(api)["code"]
    jam = api.submit()["code"]
    assert api.client.get(path.format(jam)).status_code == 200  # the control
    seen = api.client.get(path.format(pungli))
    _same_as_unknown(seen, api.client.get(path.format(UNKNOWN)), pungli)
    assert "Lurah Budi" not in seen.text
    # Typed in lower case, it is still the answer of an unknown code typed so.
    lower = api.client.get(path.format(pungli.lower()))
    missing = api.client.get(path.format(UNKNOWN.lower()))
    _same_as_unknown(lower, missing, pungli.lower(), UNKNOWN.lower())


def test_the_open311_error_of_a_non_public_request_is_the_spec_error_of_an_unknown_id(
    api: Api,
) -> None:
    api.clock.tick()
    posted = api.client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": api.keys["staff"],
            "service_code": "illegal_levy",
            "lat": str(MONAS[0]),
            "long": str(MONAS[1]),
            "description": ACCUSATION,
            "email": REPORTER,
        },
    )
    assert posted.status_code == 201, posted.text  # Open311 takes such a report as before
    pungli = posted.json()[0]["service_request_id"]
    response = api.client.get(f"/open311/v2/requests/{pungli}.xml")
    (error,) = ET.fromstring(response.content)
    assert error.tag == "error"
    assert error.findtext("code") == "404"
    assert error.findtext("description") == f"no service request '{pungli}'"


@pytest.mark.parametrize("body", [None, {"email": "tetangga@example.id"}])
def test_me_too_on_a_non_public_report_answers_as_an_unknown_code(
    api: Api, body: dict[str, str] | None
) -> None:
    pungli = _pungli(api)["code"]
    seen = api.client.post(f"/api/v1/reports/{pungli}/supporters", json=body)
    missing = api.client.post(f"/api/v1/reports/{UNKNOWN}/supporters", json=body)
    _same_as_unknown(seen, missing, pungli)
    detail = api.client.get(f"/api/v1/tickets/{pungli}", headers=api.auth("admin")).json()
    assert detail["report"]["supporters"] == 0
    assert detail["subscribers"] == 1  # the reporter only: no follower was added
    # A public report at the same spot still takes a "me too".
    jam = api.submit()["code"]
    assert api.client.post(f"/api/v1/reports/{jam}/supporters", json=body).status_code == 200


def test_a_non_public_reports_photo_is_not_served_to_the_public(api: Api) -> None:
    api.clock.tick()
    created = api.client.post(
        "/api/v1/reports",
        data={
            "category": "illegal_levy",
            "description": ACCUSATION,
            "lat": str(MONAS[0]),
            "lon": str(MONAS[1]),
        },
        files=[("photos", ("kuitansi.jpg", _jpeg((200, 200, 10)), "image/jpeg"))],
    )
    assert created.status_code == 201, created.text
    pungli = created.json()["code"]
    api.clock.tick()
    jam = api.client.post(
        "/api/v1/reports",
        data={"category": "traffic_jam", "description": "Macet", "lat": "-6.1754", "lon": "106.8"},
        files=[("photos", ("macet.jpg", _jpeg((10, 120, 10)), "image/jpeg"))],
    ).json()["code"]

    def url(code: str) -> str:
        detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin")).json()
        (photo,) = detail["photos"]
        shown: str = photo["url"]
        return shown

    secret, shown = url(pungli), url(jam)
    assert api.client.get(shown).status_code == 200  # the control
    unknown = "/media/00/" + "0" * 64 + ".jpg"
    seen, missing = api.client.get(secret), api.client.get(unknown)
    assert seen.status_code == missing.status_code == 404
    # The message echoes the key asked for (cut short): the same words around it.
    assert seen.headers["content-type"] == missing.headers["content-type"]
    assert _no_key(seen.json()) == _no_key(missing.json())
    # Staff who may see the ticket still open it, uncached.
    staff = api.client.get(secret, headers=api.auth("admin"))
    assert staff.status_code == 200 and staff.headers["content-type"] == "image/jpeg"
    assert staff.headers["cache-control"] == "private, no-store"


# --- the reporter and staff ------------------------------------------------------------------


def test_the_reporter_reads_and_acts_on_a_non_public_report_with_the_token(api: Api) -> None:
    pungli = _pungli(api)["code"]
    token = {"X-Reporter-Token": api.tokens[pungli]}

    own = api.client.get(f"/api/v1/reports/{pungli}/private", headers=token)
    assert own.status_code == 200, own.text
    assert own.json()["report"]["description"] == ACCUSATION
    assert own.json()["email"] == REPORTER
    assert own.json()["public"] is False

    commented = api.client.post(
        f"/api/v1/reports/{pungli}/comments", json={"text": "Saya punya kuitansinya"}, headers=token
    )
    assert commented.status_code == 200, commented.text
    assert commented.json()["code"] == pungli

    api.drive(pungli, "verify", "assign", "start", "resolve")
    rated = api.client.post(f"/api/v1/reports/{pungli}/rating", json={"rating": 2}, headers=token)
    assert rated.status_code == 200, rated.text
    assert rated.json()["rating"] == 2
    disputed = api.client.post(
        f"/api/v1/reports/{pungli}/dispute", json={"reason": "Masih diminta uang"}, headers=token
    )
    assert disputed.status_code == 200, disputed.text
    assert disputed.json()["state"]["code"] == "assigned"  # reopened: back to its officer
    # Their status mails still go to them.
    recipients = {recipient for recipient, _, _ in api.mails(pungli)}
    assert recipients == {REPORTER}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/reports/{}/private", None),
        ("POST", "/api/v1/reports/{}/comments", {"text": "halo"}),
        ("POST", "/api/v1/reports/{}/dispute", {"reason": "belum"}),
        ("POST", "/api/v1/reports/{}/rating", {"rating": 3}),
        ("POST", "/api/v1/reports/{}/subscriptions", {"email": "lain@example.id"}),
    ],
)
def test_a_wrong_token_on_a_non_public_report_answers_as_an_unknown_code(
    api: Api, method: str, path: str, body: dict[str, Any] | None
) -> None:
    pungli = _pungli(api)["code"]
    wrong = {"X-Reporter-Token": "bukan-token-saya"}

    def ask(code: str) -> httpx.Response:
        return api.client.request(method, path.format(code), json=body, headers=wrong)

    _same_as_unknown(ask(pungli), ask(UNKNOWN), pungli)
    # A public report still says the token is wrong (its existence is no secret).
    assert ask(api.submit()["code"]).status_code == 403


def test_staff_see_a_non_public_report_in_detail_and_worklist(api: Api, inspektorat: str) -> None:
    pungli = _pungli(api)["code"]
    jam = api.submit()["code"]
    for who in (inspektorat, "admin"):
        detail = api.client.get(f"/api/v1/tickets/{pungli}", headers=api.auth(who))
        assert detail.status_code == 200, detail.text
        assert detail.json()["report"]["description"] == ACCUSATION
        assert detail.json()["public"] is False
        listed = api.client.get("/api/v1/tickets", headers=api.auth(who)).json()["items"]
        assert pungli in [i["code"] for i in listed]
    assert api.client.get(f"/api/v1/tickets/{jam}", headers=api.auth("admin")).json()["public"]


def test_the_staff_ticket_page_says_a_report_is_not_public(api: Api, inspektorat: str) -> None:
    pungli = _pungli(api)["code"]
    jam = api.submit()["code"]
    web = staff_web(api)
    sign_in(web, api, inspektorat)
    page = web.get(f"/staff/tickets/{pungli}?lang=en")
    assert page.status_code == 200
    assert ACCUSATION in page.text
    assert "Not public: only the reporter and staff see this report" in page.text
    assert f'href="/t/{pungli}"' not in page.text  # no link to a page that would say "not found"
    web = staff_web(api)
    sign_in(web, api, "admin")
    shown = web.get(f"/staff/tickets/{jam}?lang=en").text
    assert f'href="/t/{jam}"' in shown and "Not public" not in shown


def test_the_report_form_tells_the_citizen_when_a_report_is_not_public(api: Api) -> None:
    for lang, words in (
        ("id", "Laporan ini tidak ditampilkan untuk umum"),
        ("en", "This report is not shown to the public"),
    ):
        page = api.client.get("/", params={"lang": lang}).text
        receipt = re.search(r'<p id="receipt-not-public"[^>]*>([^<]*)</p>', page)
        assert receipt is not None and words in receipt.group(1)
        assert "hidden" in receipt.group(0)  # shown by the script for such a report only
    script = api.client.get("/static/js/report.js").text
    assert 'getElementById("receipt-not-public").hidden = created.public !== false' in script


# --- the web tracking page -------------------------------------------------------------------


def test_the_reporter_opens_a_non_public_report_on_the_web_with_the_token(api: Api) -> None:
    pungli = _pungli(api)["code"]
    # The link's address alone is the page of an unknown code, which carries the form its
    # script posts the token with (from the link's fragment, never sent to the server).
    page = api.client.get(f"/t/{pungli}")
    assert page.status_code == 404
    assert re.search(f'<form id="own-report" [^>]*method="post" action="/t/{pungli}"', page.text)
    assert 'name="token"' in page.text  # pasted by hand, when the device holds no token
    assert '<script src="/static/js/own.js"></script>' in page.text

    for lang, words in (
        ("id", "Laporan ini tidak ditampilkan untuk umum"),
        ("en", "This report is not shown to the public"),
    ):
        own = api.client.post(
            f"/t/{pungli}", params={"lang": lang}, data={"token": api.tokens[pungli]}
        )
        assert own.status_code == 200, own.text
        assert words in own.text
        assert ACCUSATION in own.text
        assert 'id="comment-form"' in own.text
        assert own.headers["cache-control"] == "private, no-store"
        assert api.tokens[pungli] not in own.text  # the token is never written into a page


def test_a_wrong_token_posted_for_a_non_public_report_is_the_page_of_an_unknown_code(
    api: Api,
) -> None:
    pungli = _pungli(api)["code"]
    seen = api.client.post(f"/t/{pungli}", data={"token": "bukan-token-saya"})
    missing = api.client.post(f"/t/{UNKNOWN}", data={"token": "bukan-token-saya"})
    _same_as_unknown(seen, missing, pungli)
    assert 'data-tried="yes"' in seen.text  # the script does not post it again
    assert "Kode rahasia tidak cocok dengan laporan ini." in seen.text
    assert ACCUSATION not in seen.text
    # A public report's page is its ordinary address, whatever was posted.
    jam = api.submit()["code"]
    for token in (api.tokens[jam], "bukan-token-saya"):
        moved = api.client.post(f"/t/{jam}", data={"token": token}, follow_redirects=False)
        assert moved.status_code == 303 and moved.headers["location"] == f"/t/{jam}"


# --- status mail -----------------------------------------------------------------------------


def test_a_report_recategorised_as_pungli_is_mailed_to_its_reporter_only(api: Api) -> None:
    jam = api.submit(email="pelapor@example.id")["code"]
    body = {"email": "tetangga@example.id"}
    assert api.client.post(f"/api/v1/reports/{jam}/supporters", json=body).status_code == 200
    api.confirm(jam, "tetangga@example.id")  # a follower by e-mail is mailed once confirmed
    api.drive(jam, "verify")
    told = [recipient for recipient, _, _ in api.mails(jam)]
    assert sorted(told) == ["pelapor@example.id", "tetangga@example.id"]  # the control

    moved = api.act(jam, "update", "admin", category="illegal_levy", note="ternyata pungli")
    assert moved.status_code == 200, moved.text
    assert api.client.get(f"/api/v1/reports/{jam}").status_code == 404  # gone from public view
    api.drive(jam, "assign")
    later = [recipient for recipient, _, _ in api.mails(jam)][len(told) :]
    assert later == ["pelapor@example.id"]


REPORTED = "pelapor@example.id"


def test_a_report_recategorised_as_pungli_is_not_mailed_to_those_carried_from_its_duplicate(
    api: Api,
) -> None:
    """Sari's report B and Budi's "me too" on it were carried to report A when B was marked
    its duplicate; A then turned out to be a pungli complaint. Its news went on reaching them,
    strangers to A's reporter, as if its reporter had chosen them; and A's reporter's token
    could stop Sari's mail. They are withheld as a "me too" is (the mail waiting too, saying
    why), get the news again once A is public again, and stop their own mail themselves."""
    standing = api.submit(email=REPORTED)["code"]
    duplicate = api.submit(email="sari@warga.example")["code"]
    said = {"email": "budi@warga.example"}
    supported = api.client.post(f"/api/v1/reports/{duplicate}/supporters", json=said)
    assert supported.status_code == 200, supported.text
    api.confirm(duplicate, "budi@warga.example")
    marked = api.act(duplicate, "mark_duplicate", "admin", duplicate_of=standing)
    assert marked.status_code == 200, marked.text
    headers = {"X-Reporter-Token": api.tokens[standing]}
    path = f"/api/v1/reports/{standing}/subscriptions"
    sari, nobody = (
        api.client.delete(f"{path}/{address}", headers=headers)
        for address in ("sari@warga.example", "tidak.ada@warga.example")
    )
    assert sari.status_code == nobody.status_code == 200
    assert sari.json() == nobody.json()  # the same answer: it tells nothing, and stops nothing
    api.drive(standing, "verify")  # held a few minutes, to each of the three
    carried = ["budi@warga.example", "sari@warga.example"]
    assert sorted(to for to, _, _ in api.mails(standing)) == sorted([*carried, REPORTED])

    moved = api.act(standing, "update", "admin", category="illegal_levy", note="pungli parkir")
    assert moved.status_code == 200, moved.text
    waiting = api.notifications(
        standing, "citizen_update", lambda n: (n.recipient, n.status, n.last_error)
    )
    assert sorted((to, status, why) for to, status, why in waiting if to in carried) == [
        (to, "failed", "not sent: the report is no longer public, and this address followed "
         "another report found to be the same problem") for to in carried
    ]  # fmt: skip
    before = len(api.mails(standing))
    api.drive(standing, "assign")
    assert [to for to, _, _ in api.mails(standing)][before:] == [REPORTED]

    # The correction undone, the report is still off the public record (its words were sent
    # as a confidential complaint): nothing goes to them yet.
    back = api.act(standing, "update", "admin", category="traffic_jam", note="bukan pungli")
    assert back.status_code == 200, back.text
    detail = api.client.get(f"/api/v1/tickets/{standing}", headers=api.auth("admin")).json()
    assert (detail["public"], detail["unpublished"]) == (False, True)
    still = api.notifications(standing, "citizen_update", lambda n: (n.recipient, n.status))
    assert [to for to, status in still if status == "pending" and to in carried] == []
    # Public again once an admin has read it and put it back: the newest mail withheld goes to
    # them again.
    shown = api.act(standing, "republish", "admin", note="dibaca, tidak menyebut nama")
    assert shown.status_code == 200, shown.text
    again = api.notifications(standing, "citizen_update", lambda n: (n.recipient, n.status))
    assert sorted(to for to, status in again if status == "pending" and to in carried) == carried


def test_status_mail_of_a_non_public_report_says_how_its_page_opens(api: Api) -> None:
    """A tester's report: the pungli reporter's mail said "Follow it here" with the plain
    tracking address, which shows the not-found page to anyone without the secret link."""
    code = _pungli(api)["code"]
    headers = {"X-Reporter-Token": api.tokens[code]}
    added = api.client.post(
        f"/api/v1/reports/{code}/subscriptions", json={"email": "adik@example.id"}, headers=headers
    )
    assert added.status_code == 200, added.text
    api.confirm(code, "adik@example.id")
    api.drive(code, "verify")
    bodies = dict(
        api.notifications(
            code, "citizen_update", lambda n: (n.recipient, (n.body, n.html_body or ""))
        )
    )

    text, html = bodies[REPORTER]
    assert (
        "Laporan ini tidak ditampilkan untuk umum. Halamannya terbuka dengan tautan rahasia" in text
    )
    assert f"http://127.0.0.1:8000/t/{code}" in text and "Ikuti perkembangannya" not in text
    assert "tidak ditampilkan untuk umum" in html and "Ikuti perkembangannya" not in html
    other, _ = bodies["adik@example.id"]
    assert "hanya pelapornya yang dapat membuka halamannya" in other
    assert f"/t/{code}" not in other.split("Berhenti menerima")[0]  # no page it cannot open
    # The control: a public report's mail invites to follow it.
    jam = api.submit(email="warga@example.id")["code"]
    api.drive(jam, "verify")
    (public,) = api.notifications(jam, "citizen_update", lambda n: n.body)
    assert f"Ikuti perkembangannya: http://127.0.0.1:8000/t/{jam}" in public


def _pungli_by(api: Api, key: str) -> str:
    """A pungli report with the reporter's address, filed with ``key`` on Open311."""
    api.clock.tick()
    filed = api.client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": api.keys[key],
            "service_code": "illegal_levy",
            "lat": str(MONAS[0]),
            "long": str(MONAS[1]),
            "description": ACCUSATION,
            "email": REPORTER,
        },
    )
    assert filed.status_code == 201, filed.text
    code: str = filed.json()[0]["service_request_id"]
    return code


def _reporter_mail(api: Api, code: str) -> tuple[str, str]:
    mails = api.notifications(
        code, "citizen_update", lambda n: (n.recipient, (n.body, n.html_body or ""))
    )
    return [words for to, words in mails if to == REPORTER][-1]


def test_a_non_public_reports_mail_says_where_its_reporter_has_the_secret_by_its_door(
    api: Api,
) -> None:
    """A tester's report: an Open311 app's user was told the page opens "with the secret link
    you kept when you sent it"; the app kept it (``reporter_token``), its user never saw one."""
    by_app = _pungli_by(api, "client")
    api.drive(by_app, "verify")
    text, html = _reporter_mail(api, by_app)
    assert "Ikuti perkembangannya di aplikasi yang Anda pakai untuk mengirimnya" in text
    assert "tautan rahasia yang Anda simpan" not in text
    assert f"http://127.0.0.1:8000/t/{by_app}" in text
    assert "aplikasi yang Anda pakai untuk mengirimnya" in html and "Anda simpan" not in html
    # filed by staff for a caller: the private link went out in the receipt mail
    by_staff = _pungli_by(api, "staff")
    api.drive(by_staff, "verify")
    text, _ = _reporter_mail(api, by_staff)
    assert "tautan pribadi di surel tanda terima yang kami kirim" in text
    assert "Anda simpan" not in text
    # filed on the citizen's own door (the answer showed the link): the link they kept
    own = _pungli(api)["code"]
    api.drive(own, "verify")
    text, _ = _reporter_mail(api, own)
    assert "tautan rahasia yang Anda simpan saat mengirimnya" in text
    # a rejection's appeal is made where the secret is, too
    api.drive(by_app, "reject")
    text, _ = _reporter_mail(api, by_app)
    assert "melalui aplikasi yang Anda pakai untuk mengirimnya" in text
    assert "tautan yang Anda simpan" not in text


def test_a_duplicates_mail_does_not_name_a_non_public_original(api: Api) -> None:
    pungli = _pungli(api)["code"]
    again = api.submit(  # the same complaint, once more
        category="illegal_levy", description=ACCUSATION, email="pelapor@example.id"
    )["code"]
    marked = api.act(again, "mark_duplicate", "admin", duplicate_of=pungli)
    assert marked.status_code == 200, marked.text
    bodies = api.notifications(again, "citizen_update", lambda n: (n.recipient, n.body))
    assert [recipient for recipient, _ in bodies] == ["pelapor@example.id"]
    (body,) = [text for _, text in bodies]
    assert pungli not in body
    # The control: a public original is named.
    other = api.submit(email="pelapor@example.id")["code"]
    again = api.submit(email="pelapor@example.id")["code"]
    assert api.act(again, "mark_duplicate", "admin", duplicate_of=other).status_code == 200
    (named,) = api.notifications(again, "citizen_update", lambda n: n.body)
    assert other in named


def test_the_reporters_own_page_shows_their_photos_at_addresses_signed_for_them(
    api: Api,
) -> None:
    api.clock.tick()
    created = api.client.post(
        "/api/v1/reports",
        data={
            "category": "illegal_levy",
            "description": ACCUSATION,
            "lat": str(MONAS[0]),
            "lon": str(MONAS[1]),
        },
        files=[("photos", ("kuitansi.jpg", _jpeg((200, 200, 10)), "image/jpeg"))],
    ).json()
    code, token = created["code"], created["reporter_token"]
    page = api.client.post(f"/t/{code}", data={"token": token}).text
    (src,) = re.findall(r'<img src="([^"]+)"', page)
    src = src.replace("&amp;", "&")
    path, _, signature = src.partition("?own=")
    assert path.startswith("/media/") and signature

    photo = api.client.get(src)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert photo.content == (api.media / path.removeprefix("/media/")).read_bytes()
    assert photo.headers["cache-control"] == "private, no-store"
    # Without the signature, or with one for another photo, it opens nothing.
    assert api.client.get(path).status_code == 404
    assert api.client.get(f"{path}?own={signature[:-2]}xx").status_code == 404
    api.clock.tick()
    second = api.client.post(
        "/api/v1/reports",
        data={
            "category": "illegal_levy",
            "description": "Pungli lagi",
            "lat": str(MONAS[0]),
            "lon": str(MONAS[1]),
        },
        files=[("photos", ("b.jpg", _jpeg((10, 10, 200)), "image/jpeg"))],
    )
    detail = api.client.get(
        f"/api/v1/tickets/{second.json()['code']}", headers=api.auth("admin")
    ).json()
    (other,) = [p["url"] for p in detail["photos"]]
    assert other != path
    assert api.client.get(f"{other}?own={signature}").status_code == 404


def _with_photo(api: Api, category: str, colour: tuple[int, int, int]) -> dict[str, Any]:
    api.clock.tick()
    response = api.client.post(
        "/api/v1/reports",
        data={
            "category": category,
            "description": ACCUSATION,
            "lat": str(MONAS[0]),
            "lon": str(MONAS[1]),
        },
        files=[("photos", ("kuitansi.jpg", _jpeg(colour), "image/jpeg"))],
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _opens(api: Api, url: str) -> bytes:
    """The photo at ``url``, fetched as the reporter's app would: no key, no cookie."""
    assert "authorization" not in api.client.headers and not api.client.cookies
    photo = api.client.get(url)
    assert photo.status_code == 200, (url, photo.status_code)
    assert photo.headers["content-type"] == "image/jpeg"
    return photo.content


def test_the_reporters_json_view_gives_photo_addresses_that_open_for_them(api: Api) -> None:
    """The app reading ``/private`` (and the answers to a comment, a rating, a follow) must be
    able to show the reporter their own photos of a report the public may not see: the plain
    address is the 404 of an unknown photo, so it gets the address signed for them."""
    created = _with_photo(api, "illegal_levy", (200, 200, 10))
    code, token = created["code"], {"X-Reporter-Token": created["reporter_token"]}
    view = api.client.get(f"/api/v1/reports/{code}/private", headers=token).json()
    (photo,) = view["report"]["photos"]
    path, _, signature = photo["url"].partition("?own=")
    assert path.startswith("/media/") and signature, photo["url"]
    assert _opens(api, photo["url"]) == (api.media / path.removeprefix("/media/")).read_bytes()
    assert api.client.get(path).status_code == 404  # the public address still opens nothing

    # A comment with a photo: the answer shows both photos, each at an address that opens.
    api.clock.tick()
    commented = api.client.post(
        f"/api/v1/reports/{code}/comments",
        data={"text": "Ini kuitansi kedua"},
        files=[("photos", ("dua.jpg", _jpeg((10, 200, 10)), "image/jpeg"))],
        headers=token,
    )
    assert commented.status_code == 200, commented.text
    urls = [p["url"] for p in commented.json()["photos"]]
    assert len(urls) == 2 and all("?own=" in url for url in urls)
    for url in urls:
        _opens(api, url)
    followed = api.client.post(
        f"/api/v1/reports/{code}/subscriptions",
        json={"email": "adik@example.id"},
        headers=token,
    )
    assert followed.status_code == 200, followed.text
    assert all("?own=" in p["url"] for p in followed.json()["report"]["photos"])
    for p in followed.json()["report"]["photos"]:
        _opens(api, p["url"])


def test_a_public_reports_reporter_gets_its_plain_photo_addresses(api: Api) -> None:
    """The control: a public report's photos are at their public, cacheable address."""
    created = _with_photo(api, "traffic_jam", (10, 10, 200))
    code, token = created["code"], {"X-Reporter-Token": created["reporter_token"]}
    view = api.client.get(f"/api/v1/reports/{code}/private", headers=token).json()
    (photo,) = view["report"]["photos"]
    assert photo["url"].startswith("/media/") and "?" not in photo["url"]
    assert _opens(api, photo["url"])
