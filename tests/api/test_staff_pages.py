"""The staff worklist page over HTTP (no browser): sign-in, actions with the version, the stale
page's message, cross-site posts refused. The browser tests (tests/browser/) drive the same
pages in Chromium."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from .conftest import Api

ORIGIN = "https://testserver"


@pytest.fixture
def web(api: Api) -> TestClient:
    """A browser-like client: https (the cookie is Secure) and this app's Origin on posts."""
    client = TestClient(api.app, base_url=ORIGIN, follow_redirects=False)
    client.headers["Origin"] = ORIGIN
    return client


def sign_in(web: TestClient, api: Api, who: str = "staff") -> None:
    response = web.post("/staff/sign-in", data={"key": api.keys[who], "next": "/staff"})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/staff"


def test_worklist_needs_a_sign_in_and_the_cookie_never_holds_the_key(
    web: TestClient, api: Api
) -> None:
    first = web.get("/staff")
    assert first.status_code == 303 and first.headers["location"].startswith("/staff/sign-in")
    wrong = web.post("/staff/sign-in", data={"key": "tgk_00000000_nope", "next": "/staff"})
    assert wrong.status_code == 401 and "unknown or revoked" not in wrong.text  # id by default
    assert "Kunci itu tidak dikenal" in wrong.text
    response = web.post(
        "/staff/sign-in", data={"key": api.keys["staff"], "next": "//evil.example/"}
    )
    assert response.headers["location"] == "/staff"  # no open redirect
    cookie = response.headers["set-cookie"]
    assert (
        "HttpOnly" in cookie
        and "Secure" in cookie
        and "SameSite=strict" in cookie.replace("Strict", "strict")
    )
    secret_part = api.keys["staff"].split("_", 2)[2]
    assert secret_part not in cookie and api.keys["staff"] not in cookie
    page = web.get("/staff?lang=en")
    assert page.status_code == 200 and "Signed in as staff (staff)" in page.text


@pytest.mark.parametrize(
    ("origin", "public", "kept"),
    [
        ("http://192.168.1.20:8000", "http://127.0.0.1:8000", False),
        ("http://tanggap.kantor.local", "http://127.0.0.1:8000", False),
        ("http://localhost:8000", "http://127.0.0.1:8000", True),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000", True),
        ("http://[::1]:8000", "http://127.0.0.1:8000", True),
        ("https://tanggap.kantor.local", "http://127.0.0.1:8000", True),
        # a proxy on another host ends the HTTPS: the city's address says it is
        ("http://192.168.1.20:8000", "https://lapor.jakarta.go.id", True),
    ],
)
def test_a_sign_in_the_browser_would_drop_says_why_instead_of_silently_failing(
    api: Api, origin: str, public: str, kept: bool
) -> None:
    """A tester's report: served on a network address over plain http, a sign-in 'worked' and
    the next page asked to sign in again (the cookie is Secure; the browser drops it). The page
    says that sign-ins need HTTPS there, and sets no cookie."""
    api.app.state.settings = api.app.state.settings.model_copy(update={"public_base_url": public})
    web = TestClient(api.app, base_url=origin, follow_redirects=False)
    web.headers["Origin"] = origin
    response = web.post("/staff/sign-in?lang=en", data={"key": api.keys["staff"]})
    if kept:
        assert response.status_code == 303, response.text
        assert "Secure" in response.headers["set-cookie"]
    else:
        assert response.status_code == 400, response.text
        assert "tanggap_staff" not in response.headers.get("set-cookie", "")
        assert "keeps a staff sign-in only over HTTPS" in response.text
        assert "TANGGAP_PUBLIC_BASE_URL" in response.text


def test_revoking_the_key_ends_the_sign_in(web: TestClient, api: Api) -> None:
    sign_in(web, api)
    prefix = api.keys["staff"].split("_")[1]
    revoked = api.client.delete(f"/api/v1/admin/keys/{prefix}", headers=api.auth("admin"))
    assert revoked.status_code == 200
    assert web.get("/staff").status_code == 303


def test_deactivating_the_person_ends_their_sign_in(web: TestClient, api: Api) -> None:
    """The API refused a deactivated person's key at once; their staff-page sign-in kept
    working until it expired (10 hours by default)."""
    from engine.keys import create_key
    from engine.lifecycle import Role
    from engine.staff import add_staff, set_staff_active

    with api.transactions.write() as session:
        add_staff(
            session, email="pergi@tanggap.example", name="Pergi", role="staff",
            agency="DISHUB", now=api.clock.now,
        )  # fmt: skip
        key = create_key(
            session, role=Role.STAFF, name="pergi", agency=None, area=None,
            staff="pergi@tanggap.example", now=api.clock.now,
        )  # fmt: skip
    signed = web.post("/staff/sign-in", data={"key": key.secret, "next": "/staff"})
    assert signed.status_code == 303 and web.get("/staff").status_code == 200
    with api.transactions.write() as session:
        set_staff_active(session, "pergi@tanggap.example", active=False, now=api.clock.now)
    assert web.get("/staff").status_code == 303  # back to the sign-in
    bearer = {"Authorization": f"Bearer {key.secret}"}
    assert api.client.get("/api/v1/tickets", headers=bearer).status_code == 401  # as before


def _form(page: str, code: str, trigger: str) -> dict[str, str]:
    block = page[page.index(f'id="ticket-{code}"') :]
    version = re.search(r'name="expected_version" value="(\d+)"', block)
    assert version and f'value="{trigger}"' in block.split("</li>")[0], f"no {trigger} button"
    return {"trigger": trigger, "expected_version": version.group(1)}


def test_staff_verify_then_assign_from_the_page_and_the_public_view_follows(
    web: TestClient, api: Api
) -> None:
    code = api.submit(description="Macet <b>parah</b> di Monas")["code"]
    sign_in(web, api)
    page = web.get("/staff?lang=en").text
    assert "Macet &lt;b&gt;parah&lt;/b&gt; di Monas" in page  # citizen text is data
    done = web.post(f"/staff/tickets/{code}/actions", data=_form(page, code, "verify"))
    assert done.status_code == 303 and done.headers["location"] == f"/staff?done={code}&did=verify"
    after = web.get(done.headers["location"] + "&lang=en").text
    assert f"{code}: Verify — done." in after
    web.post(f"/staff/tickets/{code}/actions", data=_form(after, code, "assign"))
    public = api.client.get(f"/api/v1/reports/{code}").json()
    assert public["state"]["code"] == "assigned"


def test_a_stale_page_gets_someone_else_changed_this_ticket(web: TestClient, api: Api) -> None:
    code = api.submit()["code"]
    sign_in(web, api)
    page = web.get("/staff?lang=en").text
    stale = _form(page, code, "verify")
    api.drive(code, "verify")  # someone else, meanwhile
    response = web.post(f"/staff/tickets/{code}/actions", data=stale)
    assert response.status_code == 409
    assert "Someone else changed this ticket" in response.text
    assert "It now reads: Waiting (verified), version 2" in response.text  # a label, not a code
    assert api.client.get(f"/api/v1/reports/{code}").json()["state"]["code"] == "verified"


@pytest.mark.parametrize(("trigger", "version"), [("verify", "1"), ("verify", "3"), ("start", "3")])
def test_a_ticket_of_another_agency_is_refused_from_the_page_without_its_state(
    web: TestClient, api: Api, trigger: str, version: str
) -> None:
    """A DLH key posting to a DISHUB ticket, with a right or wrong version or an illegal
    trigger, is told it belongs to another agency and nothing of its state or version."""
    code = api.submit()["code"]
    sign_in(web, api, "outsider")
    form = {"trigger": trigger, "expected_version": version}
    response = web.post(f"/staff/tickets/{code}/actions?lang=en", data=form)
    assert response.status_code == 403, response.text
    assert "Someone else changed this ticket" not in response.text
    assert "It now reads" not in response.text and "version 1" not in response.text
    assert api.client.get(f"/api/v1/reports/{code}").json()["state"]["code"] == "submitted"


def test_a_reason_left_out_is_named_and_nothing_changes(web: TestClient, api: Api) -> None:
    code = api.submit()["code"]
    sign_in(web, api)
    page = web.get("/staff?lang=en").text
    response = web.post(f"/staff/tickets/{code}/actions", data=_form(page, code, "reject"))
    assert response.status_code == 422
    assert f"{code}: not done" in response.text and "reason" in response.text
    assert api.client.get(f"/api/v1/reports/{code}").json()["state"]["code"] == "submitted"


def test_a_post_from_another_site_is_refused(web: TestClient, api: Api) -> None:
    code = api.submit()["code"]
    sign_in(web, api)
    page = web.get("/staff").text
    form = _form(page, code, "verify")
    forged = web.post(
        f"/staff/tickets/{code}/actions", data=form, headers={"Origin": "https://evil.example"}
    )
    assert forged.status_code == 403
    assert api.client.get(f"/api/v1/reports/{code}").json()["state"]["code"] == "submitted"
    bare = web.post("/staff/sign-out", headers={"Origin": ""})
    assert bare.status_code == 403


def test_a_long_report_is_shortened_on_its_card_and_whole_on_its_page(
    web: TestClient, api: Api
) -> None:
    long = "Air meluap dari saluran. " * 159  # 3,975 characters + the tail: 3,988
    tail = "AKHIR LAPORAN"
    code = api.submit(description=long + tail)["code"]
    short = api.submit(description="Lampu jalan mati")["code"]
    sign_in(web, api)
    page = web.get("/staff?lang=en").text
    card = page[page.index(f'id="ticket-{code}"') :].split("</li>")[0]
    shown = re.search(r'<p class="description">(.*?)</p>', card, re.S)
    assert shown
    words = re.sub(r"<[^>]+>", "", shown.group(1))
    assert words.startswith("Air meluap dari saluran.") and "…" in words
    assert tail not in card and len(words) < 320
    assert "Read it all" in card and f'href="/staff/tickets/{code}"' in card
    other = page[page.index(f'id="ticket-{short}"') :].split("</li>")[0]
    assert "Lampu jalan mati" in other and "Read it all" not in other
    whole = web.get(f"/staff/tickets/{code}?lang=en").text
    assert tail in whole


@pytest.mark.parametrize(
    ("lang", "late", "never"),
    [
        ("en", "under 1 min late", "0 min late"),
        ("id", "terlambat kurang dari 1 menit", "terlambat 0 menit"),
    ],
)
def test_a_deadline_passed_seconds_ago_reads_under_a_minute_late_never_zero(
    web: TestClient, api: Api, lang: str, late: str, never: str
) -> None:
    """As ``tanggap ticket list`` read ``-0h 00m``, the staff pages read "0 min late"."""
    from sqlalchemy import select

    from engine.models import SlaTimer, Ticket

    code = api.submit()["code"]
    with api.transactions.write() as session:
        due = session.scalars(
            select(SlaTimer.deadline)
            .join(Ticket, Ticket.id == SlaTimer.ticket_id)
            .where(Ticket.code == code, SlaTimer.stopped_at.is_(None))
            .order_by(SlaTimer.deadline)
        ).first()
    assert due is not None
    sign_in(web, api)
    api.clock.now = due + timedelta(seconds=30)

    ticket_page = web.get(f"/staff/tickets/{code}?lang={lang}").text
    worklist = web.get(f"/staff?lang={lang}").text
    card = worklist[worklist.index(f"/staff/tickets/{code}") :]
    card = card[: card.index("</dl>")]

    assert late in ticket_page and late in card
    assert never not in ticket_page and never not in card
