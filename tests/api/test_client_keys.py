"""Client keys: what an Open311 app (a JAKI-style city app, a FixMyStreet front end) is given.

It files service requests through Open311 (XML and JSON), recorded as the app's and read as
"through an Open311 app" by the public; it gets the citizen's reporter token to hand on; and
every staff, supervisor and admin route — found by walking the app's routes, so a route added
later is covered — and every staff page refuses it as they refuse a key without the right role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from api.deps import get_key
from api.web.staff_session import COOKIE, _serializer, current_holder
from engine.keys import authenticate
from tests.api.conftest import MONAS, Api

APP_NAME = "Aplikasi Lapor Warga (vendor PT Contoh)"  # an operator's label, not the public's
CLIENT_REFUSAL = "yours is a client key: a client key only files Open311 service requests"
ORIGIN = "https://testserver"


def _open311(api: Api, fmt: str, key: str, **fields: str) -> Any:
    data = {
        "api_key": key,
        "service_code": "traffic_jam",
        "lat": str(MONAS[0]),
        "long": str(MONAS[1]),
        "description": "Macet parah di depan Monas",
        "first_name": "Siti",
        "email": "siti@example.id",
        **fields,
    }
    api.clock.tick()
    return api.client.post(f"/open311/v2/requests.{fmt}", data=data)


def _answer(response: Any, fmt: str) -> dict[str, str]:
    """The one request of a POST answer, as JSON or read from the XML with a real parser."""
    if fmt == "json":
        (item,) = response.json()
        return dict(item)
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests"
    (request,) = root.findall("request")
    return {child.tag: child.text or "" for child in request}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_client_key_files_an_open311_request_recorded_as_the_app(api: Api, fmt: str) -> None:
    made = api.client.post(
        "/api/v1/admin/keys", json={"role": "client", "name": APP_NAME}, headers=api.auth("admin")
    )
    assert made.status_code == 201, made.text
    response = _open311(api, fmt, made.json()["key"])
    assert response.status_code == 201, response.text
    answer = _answer(response, fmt)
    code = answer["service_request_id"]
    assert code.startswith("JKT-")
    assert set(answer) == {"service_request_id", "service_notice", "account_id", "reporter_token"}

    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin")).json()
    assert detail["channel"] == "open311"
    assert detail["reporter"]["name"] == "Siti"
    (submitted,) = detail["events"]
    assert (submitted["action"], submitted["by_role"], submitted["by"]) == (
        "submit",
        "client",
        APP_NAME,
    )
    # The public reads the role, never the key's name (an operator's label, not the citizen's).
    public = api.client.get(f"/api/v1/reports/{code}")
    assert [(e["action"], e["by"]) for e in public.json()["timeline"]] == [("submit", "client")]
    page = api.client.get(f"/t/{code}", params={"lang": "en"})
    assert "through an Open311 app" in page.text
    id_page = api.client.get(f"/t/{code}", params={"lang": "id"})
    assert "melalui aplikasi Open311" in id_page.text
    for shown in (public.text, page.text, id_page.text):
        assert "Aplikasi Lapor" not in shown and "(api key)" not in shown
    web = TestClient(api.app, base_url=ORIGIN, follow_redirects=False)
    web.headers["Origin"] = ORIGIN
    signed = web.post("/staff/sign-in", data={"key": api.keys["admin"], "next": "/staff"})
    assert signed.status_code == 303, signed.text
    staff_page = web.get(f"/staff/tickets/{code}", params={"lang": "en"})
    assert f"{APP_NAME} (Open311 client)" in staff_page.text
    listed = api.client.get("/open311/v2/requests.json", params={"service_request_id": code})
    assert "reporter_token" not in listed.json()[0]


def test_the_reporter_token_given_to_the_app_opens_the_citizens_own_view(api: Api) -> None:
    answer = _answer(_open311(api, "json", api.keys["client"]), "json")
    code, token = answer["service_request_id"], answer["reporter_token"]
    own = api.client.get(f"/api/v1/reports/{code}/private", headers={"X-Reporter-Token": token})
    assert own.status_code == 200, own.text
    assert own.json()["name"] == "Siti" and own.json()["email"] == "siti@example.id"
    comment = api.client.post(
        f"/api/v1/reports/{code}/comments",
        json={"text": "Masih macet jam 9"},
        headers={"X-Reporter-Token": token},
    )
    assert comment.status_code in (200, 201), comment.text
    again = api.client.get(f"/api/v1/reports/{code}/private", headers={"X-Reporter-Token": token})
    assert [n["note"] for n in again.json()["own_notes"]] == ["Masih macet jam 9"]
    wrong = api.client.get(
        f"/api/v1/reports/{code}/private", headers={"X-Reporter-Token": token[:-2] + "xx"}
    )
    assert wrong.status_code == 403


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("who", ["staff", "supervisor", "admin"])
def test_staff_filing_through_open311_is_recorded_as_filed_on_behalf_and_gets_no_reporter_token(
    api: Api, fmt: str, who: str
) -> None:
    """Staff filing through Open311 file for a caller, as on ``POST /api/v1/tickets``: the
    timelines and the ticket say who filed it (the citizen did not: it was recorded as theirs).
    The citizen's token never goes to the city: its staff could dispute or rate its own fix."""
    response = _open311(api, fmt, api.keys[who])
    assert response.status_code == 201, response.text
    answer = _answer(response, fmt)
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}
    code = answer["service_request_id"]

    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin")).json()
    assert detail["channel"] == "staff-on-behalf"
    assert detail["reporter"]["name"] == "Siti"  # the caller, as the staff wrote them down
    (submitted,) = detail["events"]
    assert (submitted["action"], submitted["by_role"], submitted["by"]) == (
        "submit",
        who,
        f"{who} (api key)",
    )
    public = api.client.get(f"/api/v1/reports/{code}").json()
    assert [(e["action"], e["by"]) for e in public["timeline"]] == [("submit", who)]
    web = TestClient(api.app, base_url=ORIGIN, follow_redirects=False)
    web.headers["Origin"] = ORIGIN
    signed = web.post("/staff/sign-in", data={"key": api.keys["admin"], "next": "/staff"})
    assert signed.status_code == 303, signed.text
    staff_page = web.get(f"/staff/tickets/{code}", params={"lang": "en"}).text
    assert "recorded by staff" in staff_page and f"{who} (api key)" in staff_page
    for page in (staff_page, api.client.get(f"/t/{code}", params={"lang": "en"}).text):
        assert "through an Open311 app" not in page


def test_staff_filing_through_open311_mails_the_caller_their_private_link(api: Api) -> None:
    """The token never goes to the staff key, so the caller who gave an address gets it by
    mail, as on every staff filing; an app's key gets it in the answer and no mail is sent."""
    staff = _answer(_open311(api, "json", api.keys["staff"]), "json")
    code = staff["service_request_id"]
    ((recipient, text),) = api.notifications(
        code, "reporter_receipt", lambda n: (n.recipient, n.body)
    )
    assert recipient == "siti@example.id"
    found = re.search(rf"/t/{code}\?lang=id#token=(\S+)", text)
    assert found is not None, text
    private = api.client.get(
        f"/api/v1/reports/{code}/private", headers={"X-Reporter-Token": found[1]}
    )
    assert private.status_code == 200, private.text
    app = _answer(_open311(api, "json", api.keys["client"]), "json")
    assert app["reporter_token"]
    assert api.notifications(app["service_request_id"], "reporter_receipt", str) == []


def test_staff_filing_on_open311_reads_as_the_staff_apis_filing_on_behalf(api: Api) -> None:
    """One recording for one act, whichever door staff use."""
    through_open311 = _answer(_open311(api, "json", api.keys["staff"]), "json")
    through_api = api.client.post(
        "/api/v1/tickets",
        json={
            "category": "traffic_jam",
            "description": "Macet parah",
            "lat": MONAS[0],
            "lon": MONAS[1],
            "channel": "staff-on-behalf",
        },
        headers=api.auth("staff"),
    )
    assert through_api.status_code == 201, through_api.text

    def recorded(code: str) -> tuple[object, ...]:
        detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin")).json()
        first = detail["events"][0]
        return detail["channel"], first["by_role"], first["by"]

    assert recorded(through_open311["service_request_id"]) == recorded(through_api.json()["code"])


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_revoked_client_key_files_nothing(api: Api, fmt: str) -> None:
    prefix = api.keys["client"].split("_")[1]
    revoked = api.client.delete(f"/api/v1/admin/keys/{prefix}", headers=api.auth("admin"))
    assert revoked.status_code == 200 and revoked.json()["role"] == "client"
    before = api.client.get("/open311/v2/requests.json").json()
    response = _open311(api, fmt, api.keys["client"])
    assert response.status_code == 403
    words = f"api key {prefix} was revoked"
    if fmt == "json":
        assert response.json() == [{"code": 403, "description": words}]
    else:
        assert ET.fromstring(response.content).findtext("error/description") == words
    assert api.client.get("/open311/v2/requests.json").json() == before


def test_admin_api_creates_a_client_key_without_agency_or_area(api: Api) -> None:
    made = api.client.post(
        "/api/v1/admin/keys",
        json={"role": "client", "name": "Aplikasi Lapor Warga"},
        headers=api.auth("admin"),
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["role"], body["agency"], body["area"], body["staff"]) == (
        "client",
        None,
        None,
        None,
    )
    assert _open311(api, "json", body["key"]).status_code == 201
    listed = api.client.get("/api/v1/admin/keys", headers=api.auth("admin")).json()
    assert [k["role"] for k in listed if k["prefix"] == body["prefix"]] == ["client"]
    for field, value in (("agency", "DISHUB"), ("area", "31.71.01")):
        refused = api.client.post(
            "/api/v1/admin/keys",
            json={"role": "client", "name": "Aplikasi X", field: value},
            headers=api.auth("admin"),
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["params"] == {"field": field}
        assert refused.json()["detail"].endswith(f"it takes no {field}")


def _calls(dependant: Dependant) -> set[Any]:
    """Every dependency ``dependant`` resolves, however deep (``StaffKey`` → ``get_key``)."""
    found: set[Any] = set()
    for sub in dependant.dependencies:
        found |= {sub.call} | _calls(sub)
    return found


@dataclass(frozen=True, order=True)
class _Endpoint:
    #: As declared, with its parameters: ``/api/v1/tickets/{code}``.
    path: str
    method: str

    def at(self, code: str, prefix: str) -> str:
        """The path with its parameters filled: a real ticket, a key's prefix, else ``x``."""
        values = {"code": code, "prefix": prefix}
        return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "x"), self.path)


def _endpoints(api: Api, dependency: Any) -> list[_Endpoint]:
    """Every method of every route of the app (its routers included) that resolves
    ``dependency``, in path order."""
    return sorted(
        _Endpoint(str(context.path_format), method)
        for context in iter_route_contexts(api.app.routes)
        if isinstance(context.original_route, APIRoute)
        and dependency in _calls(context.original_route.dependant)
        for method in context.methods or ()
    )


def test_every_route_that_takes_a_key_refuses_a_client_key_as_a_key_without_its_role(
    api: Api,
) -> None:
    code = api.submit()["code"]
    before = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin")).json()
    prefix = api.keys["client"].split("_")[1]
    endpoints = _endpoints(api, get_key)
    paths = {endpoint.path for endpoint in endpoints}
    # The walk finds what the brief names: worklist, detail, transitions, CSV, figures,
    # escalations, admin; a route added later with any key dependency is walked too.
    assert {
        "/api/v1/tickets",
        "/api/v1/tickets/{code}",
        "/api/v1/tickets/{code}/transitions",
        "/api/v1/figures",
        "/api/v1/admin/keys",
        "/api/v1/admin/keys/{prefix}",
        "/api/v1/admin/catalogue",
    } <= paths, paths
    assert any("csv" in p for p in paths) and any("escalation" in p for p in paths), paths
    for endpoint in endpoints:
        method, path = endpoint.method, endpoint.at(code, prefix)
        sent: dict[str, Any] = {} if method in ("GET", "HEAD", "DELETE") else {"json": {}}
        refused = api.client.request(method, path, headers=api.auth("client"), **sent)
        assert refused.status_code == 403, (method, path, refused.text)
        if method != "HEAD":
            assert refused.headers["content-type"] == "application/problem+json"
            assert CLIENT_REFUSAL in refused.json()["detail"], (method, path)
        # The same request with an admin key is not refused for its role: the 403 is the key's.
        other = endpoint.at(code, "00000000")  # the admin must not revoke the client's key
        admitted = api.client.request(method, other, headers=api.auth("admin"), **sent)
        assert admitted.status_code not in (401, 403), (method, path, admitted.text)
    after = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin")).json()
    assert after["version"] == before["version"]
    with api.transactions.read() as session:
        assert authenticate(session, api.keys["client"]).role == "client"  # never revoked


@pytest.fixture
def web(api: Api) -> TestClient:
    """A browser-like client: https (the cookie is Secure) and this app's Origin on posts."""
    client = TestClient(api.app, base_url=ORIGIN, follow_redirects=False)
    client.headers["Origin"] = ORIGIN
    return client


@pytest.mark.parametrize("lang", ["en", "id"])
def test_a_client_key_cannot_sign_in_to_the_staff_pages(
    api: Api, web: TestClient, lang: str
) -> None:
    response = web.post(
        "/staff/sign-in",
        params={"lang": lang},
        data={"key": api.keys["client"], "next": "/staff"},
    )
    assert response.status_code == 403
    assert COOKIE not in response.headers.get("set-cookie", "")  # no sign-in (lang may be set)
    words = {
        "en": "That key belongs to an Open311 app",
        "id": "Kunci itu milik aplikasi Open311",
    }[lang]
    assert words in response.text


def _cookie(api: Api, who: str) -> str:
    """A staff-page sign-in naming ``who``'s key, signed as the app signs one."""
    prefix = api.keys[who].split("_")[1]
    with api.transactions.read() as session:
        key_id = authenticate(session, api.keys[who]).key_id
    return str(_serializer(api.app.state.settings).dumps({"k": key_id, "p": prefix}))


def test_every_staff_page_answers_a_client_keys_sign_in_as_a_revoked_keys(
    api: Api, web: TestClient
) -> None:
    """A sign-in naming a client key (which the sign-in form never makes) opens no page: each
    answers it as it answers a sign-in whose key was revoked."""
    code = api.submit()["code"]
    client_cookie, staff_cookie = _cookie(api, "client"), _cookie(api, "outsider")
    web.cookies.set(COOKIE, staff_cookie)
    assert web.get("/staff").status_code == 200  # a signed sign-in of a staff key works
    web.cookies.clear()
    prefix = api.keys["outsider"].split("_")[1]
    assert api.client.delete(f"/api/v1/admin/keys/{prefix}", headers=api.auth("admin")).is_success
    pages = _endpoints(api, current_holder)
    assert {"/staff", "/dashboard"} <= {page.path for page in pages}
    for page in pages:
        method, path = page.method, page.at(code, "x")
        answers = []
        for cookie in (client_cookie, staff_cookie):
            web.cookies.clear()
            web.cookies.set(COOKIE, cookie)
            answer = web.request(method, path, data={} if method == "POST" else None)
            answers.append((answer.status_code, answer.headers.get("location")))
        assert answers[0] == answers[1], (method, path, answers)
        if path != "/staff/sign-in":  # the sign-in form itself is for anyone
            assert answers[0][0] in (303, 401), (method, path, answers)
