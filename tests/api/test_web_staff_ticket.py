"""The staff ticket page ``/staff/tickets/{code}`` over HTTP: the citizen's comments and dispute
reasons, internal notes, the reporter only as the API's role rules allow, timers in the order
work happens, the worklist's "reopened because", and the actions posted back to the page."""

from __future__ import annotations

import base64
import html
import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_photo

from .conftest import MONAS, Api

ORIGIN = "https://testserver"


@pytest.fixture
def web(api: Api) -> TestClient:
    client = TestClient(api.app, base_url=ORIGIN, follow_redirects=False)
    client.headers["Origin"] = ORIGIN
    return client


def sign_in(web: TestClient, api: Api, who: str = "staff") -> None:
    response = web.post("/staff/sign-in", data={"key": api.keys[who], "next": "/staff"})
    assert response.status_code == 303, response.text


def _disputed(api: Api, **report: object) -> str:
    code = str(api.submit(**report)["code"])
    token = {"X-Reporter-Token": api.tokens[code]}
    api.drive(code, "verify", "assign", "start", "resolve")
    comment = api.client.post(
        f"/api/v1/reports/{code}/comments", json={"text": "Masih ada lubang"}, headers=token
    )
    assert comment.status_code in (200, 201), comment.text
    dispute = api.client.post(
        f"/api/v1/reports/{code}/dispute", json={"reason": "Lubangnya masih ada"}, headers=token
    )
    assert dispute.status_code == 200, dispute.text
    return code


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_staff_reads_the_citizens_comment_and_dispute_reason_on_the_ticket_page(
    web: TestClient, api: Api
) -> None:
    code = _disputed(api)
    note = api.act(code, "comment", note="Tim cek ulang besok pagi", public=False)
    assert note.status_code == 200, note.text
    sign_in(web, api)
    page = web.get(f"/staff/tickets/{code}?lang=en")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Masih ada lubang" in text and "Citizen's comment" in text
    assert "Lubangnya masih ada" in text and "Citizen disputed the fix" in text
    assert "Tim cek ulang besok pagi" in text
    assert "Internal note — citizens don't see it" in text
    # the public page never shows the internal note
    assert "Tim cek ulang besok pagi" not in web.get(f"/t/{code}").text
    # the worklist says why it came back, and links to this page
    worklist = web.get("/staff?lang=en").text
    card = worklist[worklist.index(f'id="ticket-{code}"') :].split("</li>")[0]
    assert "Reopened because:" in card and "Lubangnya masih ada" in card
    assert f'href="/staff/tickets/{code}"' in card
    indonesian = _text(web.get(f"/staff/tickets/{code}?lang=id").text)
    assert "Komentar warga" in indonesian and "Warga membantah penyelesaian" in indonesian


def test_timers_are_listed_as_work_happens(web: TestClient, api: Api) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start")
    sign_in(web, api)
    page = web.get(f"/staff/tickets/{code}?lang=en").text
    kinds = re.findall(r'<tr data-kind="(\w+)"', page)
    order = ["verify", "assign", "accept", "start", "resolve"]
    assert len(kinds) >= 2 and kinds == sorted(kinds, key=order.index), kinds
    assert kinds.index("verify") < kinds.index("resolve")


def test_a_private_reporter_is_shown_to_admins_only(web: TestClient, api: Api) -> None:
    code = api.submit(name="Siti Rahma", email="siti@example.org", private=True)["code"]
    sign_in(web, api, "staff")
    staff_view = web.get(f"/staff/tickets/{code}?lang=en").text
    assert "Siti Rahma" not in staff_view and "siti@example.org" not in staff_view
    assert "only admins see who reported it" in staff_view
    admin = TestClient(api.app, base_url=ORIGIN, follow_redirects=False)
    admin.headers["Origin"] = ORIGIN
    sign_in(admin, api, "admin")
    assert "Siti Rahma" in admin.get(f"/staff/tickets/{code}?lang=en").text
    public = api.submit(name="Budi Santoso")["code"]
    assert "Budi Santoso" in web.get(f"/staff/tickets/{public}?lang=en").text


def test_an_action_from_the_ticket_page_comes_back_to_it_in_words(
    web: TestClient, api: Api
) -> None:
    code = api.submit()["code"]
    sign_in(web, api)
    page = web.get(f"/staff/tickets/{code}?lang=id").text
    version = re.search(r'name="expected_version" value="(\d+)"', page)
    assert version and 'name="back" value="ticket"' in page
    form = {"trigger": "reject", "expected_version": version.group(1), "back": "ticket"}
    refused = web.post(f"/staff/tickets/{code}/actions", data=form)
    assert refused.status_code == 422
    assert "Tulis alasannya dulu." in refused.text and "needs a reason" not in refused.text
    done = web.post(f"/staff/tickets/{code}/actions", data={**form, "trigger": "verify"})
    assert done.headers["location"] == f"/staff/tickets/{code}?done={code}&did=verify"
    assert f"{code}: Verifikasi — selesai." in web.get(done.headers["location"]).text


def test_a_ticket_of_another_agency_or_none_reads_as_words(web: TestClient, api: Api) -> None:
    code = api.submit()["code"]
    sign_in(web, api, "outsider")
    other = web.get(f"/staff/tickets/{code}?lang=en")
    assert other.status_code == 403 and "handled by another agency or area" in other.text
    # The ticket exists: title and heading say whose it is, never "not found".
    assert "<h1>Ticket handled by another agency or area</h1>" in other.text
    assert re.search(r"<title>Ticket handled by another agency or area\b", other.text)
    assert "not found" not in other.text.lower()
    lain = web.get(f"/staff/tickets/{code}?lang=id")
    assert lain.status_code == 403
    assert "<h1>Tiket ditangani dinas atau wilayah lain</h1>" in lain.text
    assert re.search(r"<title>Tiket ditangani dinas atau wilayah lain\b", lain.text)
    assert "tidak ditemukan" not in lain.text
    missing = web.get("/staff/tickets/NOPE?lang=id")
    assert missing.status_code == 404 and "Tidak ada tiket dengan kode NOPE." in missing.text
    assert "<h1>Tiket tidak ditemukan</h1>" in missing.text


def test_a_revoked_key_says_why_on_sign_in_and_keeps_the_typed_note(
    web: TestClient, api: Api
) -> None:
    code = api.submit()["code"]
    sign_in(web, api)
    page = web.get(f"/staff/tickets/{code}?lang=en").text
    version = re.search(r'name="expected_version" value="(\d+)"', page)
    assert version
    prefix = api.keys["staff"].split("_")[1]
    assert api.client.delete(f"/api/v1/admin/keys/{prefix}", headers=api.auth("admin")).is_success
    form = {"trigger": "comment", "expected_version": version.group(1), "back": "ticket"}
    sent = web.post(f"/staff/tickets/{code}/actions", data={**form, "note": "Cek saluran"})
    assert sent.status_code == 401
    assert "Your sign-in ended (the key was revoked or the sign-in expired)" in _text(sent.text)
    assert "Cek saluran" in sent.text and f'value="/staff/tickets/{code}"' in sent.text
    web.cookies.set("tanggap_staff", "stale")  # a sign-in that no longer holds
    later = web.get("/staff/tickets/" + code)
    assert "ended=1" in later.headers["location"]
    shown = web.get(later.headers["location"] + "&lang=en")
    assert "Your sign-in ended" in _text(shown.text)


def _events(page: str) -> dict[str, str]:
    """Each timeline entry's words, keyed by its trigger (last one wins)."""
    found = re.findall(r'<li data-seq="\d+" data-trigger="(\w+)"[^>]*>(.*?)</li>', page, re.S)
    return {trigger: _text(body) for trigger, body in found}


def test_only_an_internal_note_is_marked_internal_and_citizens_words_read_as_theirs(
    web: TestClient, api: Api
) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify", "assign")
    token = {"X-Reporter-Token": api.tokens[code]}
    comment = api.client.post(
        f"/api/v1/reports/{code}/comments", json={"text": "Tolong cepat"}, headers=token
    )
    assert comment.status_code in (200, 201), comment.text
    note = api.act(code, "comment", note="Cek anggaran dulu", public=False)
    assert note.status_code == 200, note.text
    sign_in(web, api)
    events = _events(web.get(f"/staff/tickets/{code}?lang=en").text)
    # the citizen sees verify and assign on /t/{code}: no "internal" on them
    assert "Internal" not in events["verify"] and "Internal" not in events["assign"]
    public_page = _text(web.get(f"/t/{code}?lang=en").text)
    assert "Checked by staff" in public_page
    # the internal note is the one marked, in words about the note
    assert "Cek anggaran dulu" in events["comment"]
    assert "Internal note — citizens don't see it" in events["comment"]
    page = web.get(f"/staff/tickets/{code}?lang=en").text
    citizen = [
        _text(body)
        for body in re.findall(r'<li [^>]*class="[^"]*citizen[^"]*">(.*?)</li>', page, re.S)
    ]
    said = [words for words in citizen if "Tolong cepat" in words]
    assert len(said) == 1 and "From the citizen" in said[0] and "Internal" not in said[0]
    assert all("Internal" not in words for words in citizen)
    indonesian = _events(web.get(f"/staff/tickets/{code}?lang=id").text)
    assert "Catatan internal — tidak terlihat oleh warga" in indonesian["comment"]
    assert "tidak terlihat" not in indonesian["verify"]


def test_an_empty_note_asks_for_the_note_and_a_reject_still_asks_for_a_reason(
    web: TestClient, api: Api
) -> None:
    code = api.submit()["code"]
    sign_in(web, api)
    for lang, note_words, reason_words in (
        ("id", "Tulis catatannya dulu.", "Tulis alasannya dulu."),
        ("en", "Write the note first.", "Write the reason first."),
    ):
        page = web.get(f"/staff/tickets/{code}?lang={lang}").text
        version = re.search(r'name="expected_version" value="(\d+)"', page)
        assert version
        form = {"expected_version": version.group(1), "back": "ticket", "note": "\u200b \u200b"}
        empty = web.post(f"/staff/tickets/{code}/actions", data={**form, "trigger": "comment"})
        assert empty.status_code == 422
        assert note_words in _text(empty.text) and reason_words not in _text(empty.text)
        reject = web.post(f"/staff/tickets/{code}/actions", data={**form, "trigger": "reject"})
        assert reason_words in _text(reject.text) and note_words not in _text(reject.text)


def test_a_stale_page_keeps_the_note_that_was_typed_and_words_the_page_it_is_on(
    web: TestClient, api: Api
) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify")
    sign_in(web, api)
    page = web.get(f"/staff/tickets/{code}?lang=en").text
    version = re.search(r'name="expected_version" value="(\d+)"', page)
    assert version
    api.drive(code, "assign")  # another tab changes the ticket
    typed = "Warga di RT 05 bilang <airnya> naik lagi"
    form = {"expected_version": version.group(1), "trigger": "comment", "note": typed}
    stale = web.post(f"/staff/tickets/{code}/actions", data={**form, "back": "ticket"})
    assert stale.status_code == 409
    text = _text(stale.text)
    assert "Someone else changed this ticket" in text
    assert "This page now shows it as it is" in text and "The list below" not in text
    assert "What you typed (not saved) — copy it or send it again:" in text
    # the comment form is open again with the words typed, escaped
    refilled = re.search(
        rf'<details class="action" open>\s*<summary>[^<]*</summary>\s*<form[^>]*>.*?'
        rf'<textarea id="{code}-comment-note"[^>]*>([^<]*)</textarea>',
        stale.text,
        re.S,
    )
    assert refilled and html.unescape(refilled.group(1)) == typed
    assert "&lt;airnya&gt;" in stale.text and "<airnya>" not in stale.text
    # on the worklist the words speak of the list, and the text is kept there too
    listed = web.post(f"/staff/tickets/{code}/actions", data=form)
    assert listed.status_code == 409
    assert "The list below shows it as it is now" in _text(listed.text)
    assert typed in _text(listed.text)
    indonesian = web.post(f"/staff/tickets/{code}/actions?lang=id", data={**form, "back": "ticket"})
    said = _text(indonesian.text)
    assert "Halaman ini sekarang menampilkan keadaan terbarunya" in said
    assert "Daftar di bawah" not in said and typed in said


#: ESC, BEL, a C1 control (CSI), a right-to-left override and two noncharacters (not text):
#: what a page never sends back raw.
UNSHOWN = ("\x1b", "\x07", "\x9b", "\u202e", "\uffff", "\ufdd0")


def test_pages_never_send_back_control_characters_a_request_brought(
    web: TestClient, api: Api
) -> None:
    missing = web.get("/t/ab%07c%c2%9bd%e2%80%aee%ef%bf%bff%ef%b7%90g")
    assert missing.status_code == 404
    assert not any(c in missing.text for c in UNSHOWN)
    assert "ab?c?d?e?f?g" in missing.text
    back = web.get("/staff/sign-in?next=/staff/ab%1bcd")
    assert 'name="next" value="/staff"' in back.text and "\x1b" not in back.text
    sign_in(web, api)
    staff_missing = web.get("/staff/tickets/%1b%5b31m")
    assert staff_missing.status_code == 404
    assert "\x1b" not in staff_missing.text and "?[31m" in staff_missing.text
    assert "\x1b" not in web.get("/dashboard/t/%1b").text
    # a refused note is kept for copying, its control characters shown as "?"
    code = api.submit()["code"]
    page = web.get(f"/staff/tickets/{code}?lang=en").text
    version = re.search(r'name="expected_version" value="(\d+)"', page)
    assert version
    note = "a\x1b[2Jb\x9bc\u202ed\uffffe"
    form = {"expected_version": version.group(1), "trigger": "comment", "note": note}
    refused = web.post(f"/staff/tickets/{code}/actions", data=form)
    assert refused.status_code == 422
    assert not any(c in refused.text for c in UNSHOWN)
    assert "a?[2Jb?c?d?e" in refused.text
    # a note that is only a noncharacter away from text is refused too, saying so
    form["note"] = "tolong\uffff"
    refused = web.post(f"/staff/tickets/{code}/actions", data=form)
    assert refused.status_code == 422
    assert "(U+FFFF)" in refused.text and "tolong?" in refused.text


def test_the_agency_a_ticket_was_transferred_to_reassigns_it_to_its_own_officer(
    web: TestClient, api: Api
) -> None:
    from engine.staff import add_staff

    with api.transactions.write() as session:
        for name in ("rina", "sari"):
            add_staff(session, email=f"{name}@dishub.example", name=name.title(), role="staff",
                      agency="DISHUB", now=api.clock.now)  # fmt: skip
    # DLH had it (a pollution report), found it is traffic, and handed it to Dishub.
    code = api.submit(category="pollution")["code"]
    api.drive(code, "verify", "assign")
    moved = api.act(code, "transfer", "admin", agency="DISHUB", note="ini urusan lalu lintas")
    assert moved.status_code == 200, moved.text
    sign_in(web, api)  # Dishub staff
    page = web.get(f"/staff/tickets/{code}?lang=id").text
    form = re.search(r"<summary>Alihkan ke petugas lain</summary>.*?</form>", page, re.S)
    assert form, "an assigned ticket offers the re-assign form"
    assert 'name="officer" required' in form.group(0) and "belum ada petugas" not in form.group(0)
    assert "Rina (rina@dishub.example)" in form.group(0)
    # Nobody is chosen until staff choose: the first officer listed (often the one who holds
    # it already, whom a re-assignment refuses) is not the answer of a form sent untouched.
    options = re.findall(r"<option[^>]*>", form.group(0))
    assert options[0] == '<option value="" disabled selected>'
    assert "— pilih petugas berikutnya —" in form.group(0)
    assert all("selected" not in o for o in options[1:])

    version = re.search(r'name="expected_version" value="(\d+)"', page)
    assert version
    form_data = {"expected_version": version.group(1), "back": "ticket", "trigger": "reassign"}
    refused = web.post(f"/staff/tickets/{code}/actions", data=form_data)
    assert refused.status_code == 422 and "Pilih petugas yang akan ditugaskan." in refused.text
    chosen = {**form_data, "officer": "rina@dishub.example"}
    done = web.post(f"/staff/tickets/{code}/actions", data=chosen)
    assert done.status_code == 303, done.text
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("staff")).json()
    report = detail["report"]
    assert (report["state"]["code"], report["agency"]["code"], detail["officer"]) == (
        "assigned", "DISHUB", "Rina",
    )  # fmt: skip
    last = detail["events"][-1]
    assert (last["action"], last["data"]) == (
        "reassign", {"officer": {"from": None, "to": "rina@dishub.example"}},
    )  # fmt: skip
    # The agency that gave it away cannot name officers on it any more.
    outsider = api.act(code, "reassign", "outsider", officer="sari@dishub.example")
    assert outsider.status_code == 403, outsider.text
    # Another agency is a transfer, not a re-assign: the API says so and names the field.
    other = api.act(code, "reassign", "admin", agency="DLH", officer="sari@dishub.example")
    assert other.status_code == 422, other.text
    assert other.json()["params"]["field"] == "agency"
    # The public sees nothing of who works on it.
    public = api.client.get(f"/api/v1/reports/{code}").json()
    assert "rina" not in str(public).lower()
    assert [e["action"] for e in public["timeline"]][-1] == "transfer"


def test_sla_targets_read_as_working_hours_not_calendar_days(web: TestClient, api: Api) -> None:
    """A target counts working time: 5 working days of the 7.5-hour office calendar read
    "1 d 13 h", which staff take for a day and a half; it reads "37 h 30 min"."""
    from sqlalchemy import select

    from engine.models import SlaTimer, Ticket

    code = api.submit()["code"]
    sign_in(web, api)
    with api.transactions.read() as session:
        targets = dict(
            session.execute(
                select(SlaTimer.kind, SlaTimer.target_seconds)
                .join(Ticket, Ticket.id == SlaTimer.ticket_id)
                .where(Ticket.code == code)
            ).all()
        )
    for lang, words in (("en", ("h", "min")), ("id", ("jam", "menit"))):
        page = web.get(f"/staff/tickets/{code}?lang={lang}").text
        for kind, seconds in targets.items():
            row = re.search(rf'<tr data-kind="{kind}".*?</tr>', page, re.S)
            assert row is not None, kind
            cells = re.findall(r"<td>(.*?)</td>", row.group(0), re.S)
            hours, minutes = divmod(int(seconds) // 60, 60)
            expected = f"{hours:,} {words[0]}" + (f" {minutes} {words[1]}" if minutes else "")
            if not hours:
                expected = f"{minutes} {words[1]}"
            assert cells[-1].strip() == expected, (kind, cells[-1])
    assert any(seconds > 24 * 3600 for seconds in targets.values()) or any(
        seconds % 3600 for seconds in targets.values()
    ), targets  # the report's clocks include a target a day-based reading got wrong


def test_staff_pages_link_a_hidden_report_to_no_public_page(web: TestClient, api: Api) -> None:
    """A pungli report has no public page (it answers as an unknown code): the worklist's
    "done" line and the dashboard's timeline linked to it all the same."""
    pungli = api.submit(category="illegal_levy", description="Petugas minta uang")["code"]
    jam = api.submit()["code"]
    sign_in(web, api, "admin")

    hidden = web.get(f"/staff?done={pungli}&did=verify&lang=en").text
    assert f'href="/t/{pungli}"' not in hidden
    assert f'href="/staff/tickets/{pungli}"' in hidden
    assert "Not public: only the reporter and staff see this report" in hidden
    shown = web.get(f"/staff?done={jam}&did=verify&lang=en").text
    assert f'href="/t/{jam}"' in shown  # the control: a public report links to its page

    timeline = web.get(f"/dashboard/t/{pungli}?lang=en")
    assert timeline.status_code == 200, timeline.text
    assert f'href="/t/{pungli}"' not in timeline.text
    assert 'id="not-public"' in timeline.text
    assert f'href="/t/{jam}"' in web.get(f"/dashboard/t/{jam}?lang=en").text


@pytest.mark.parametrize(
    ("lang", "officer_words", "agency_words", "duplicate_words"),
    [
        (
            "id",
            "Petugas itu tidak dikenal atau sudah tidak aktif.",
            "Instansi itu tidak dikenal.",
            "Tidak ada laporan dengan kode itu yang dapat Anda lihat.",
        ),
        (
            "en",
            "That officer is unknown or no longer active.",
            "That agency is unknown.",
            "There is no report with that code that you can see.",
        ),
    ],
)
def test_a_staff_form_naming_what_is_gone_says_what_it_was(
    web: TestClient, api: Api, lang: str, officer_words: str, agency_words: str,
    duplicate_words: str,
) -> None:  # fmt: skip
    """A re-assign to an officer deactivated after the page loaded said "the code you entered
    is unknown" (the API: "no active staff member …"); so did every form naming something."""
    from engine.staff import add_staff, set_staff_active

    with api.transactions.write() as session:
        add_staff(session, email="ani@dishub.example", name="Ani", role="staff",
                  agency="DISHUB", now=api.clock.now)  # fmt: skip
    code = api.submit()["code"]
    api.drive(code, "verify", "assign")
    sign_in(web, api)
    page = web.get(f"/staff/tickets/{code}?lang={lang}").text
    assert "Ani (ani@dishub.example)" in page  # offered when the page was drawn
    with api.transactions.write() as session:
        set_staff_active(session, "ani@dishub.example", active=False, now=api.clock.now)
    version = re.search(r'name="expected_version" value="(\d+)"', page)
    assert version
    base = {"expected_version": version.group(1), "back": "ticket"}
    sent = {
        officer_words: {"trigger": "reassign", "officer": "ani@dishub.example"},
        agency_words: {"trigger": "transfer", "agency": "DINAS-GONE", "note": "bukan kami"},
        duplicate_words: {"trigger": "mark_duplicate", "duplicate_of": "JKT-0000-0000"},
    }
    for words, form in sent.items():
        refused = web.post(f"/staff/tickets/{code}/actions", data={**base, **form})
        assert refused.status_code == 422, refused.text
        text = _text(refused.text)
        assert words in text, form
        assert "Kode yang diisi tidak dikenal" not in text
        assert "The code you entered is unknown" not in text
    # a hidden version of thousands of digits is refused in words, not a server error
    huge = web.post(
        f"/staff/tickets/{code}/actions",
        data={**base, "expected_version": "9" * 5000, "trigger": "start"},
    )
    assert huge.status_code == 422, huge.text


@pytest.mark.parametrize(
    ("stored", "lang", "shown"),
    [
        ("staff-on-behalf", "en", "recorded by staff"),
        ("walk-in", "id", "datang langsung"),
        ("kiosk", "en", "kiosk"),  # a word stored before the engine checked channels
    ],
)
def test_the_ticket_page_says_how_the_report_came_in_words(
    web: TestClient, api: Api, stored: str, lang: str, shown: str
) -> None:
    from sqlalchemy import update

    from engine.models import Ticket

    code = api.submit()["code"]
    with api.transactions.write() as session:
        session.execute(update(Ticket).where(Ticket.code == code).values(source=stored))
    sign_in(web, api)
    text = _text(web.get(f"/staff/tickets/{code}?lang={lang}").text)
    assert f" · {shown} " in text
    assert "staff.channel" not in text


def _card(worklist: str, code: str) -> str:
    return worklist[worklist.index(f'id="ticket-{code}"') :].split("</li>")[0]


def _form(page: str, summary: str) -> str:
    found = re.search(rf"<summary>{summary}</summary>.*?</form>", page, re.S)
    assert found, f"no {summary!r} form"
    return found.group(0)


def test_reassign_never_offers_the_officer_the_ticket_is_with(web: TestClient, api: Api) -> None:
    from engine.staff import add_staff

    def officer(name: str) -> None:
        with api.transactions.write() as session:
            add_staff(session, email=f"{name}@dishub.example", name=name.title(), role="staff",
                      agency="DISHUB", now=api.clock.now)  # fmt: skip

    officer("rina")
    code = api.submit()["code"]  # traffic: Dishub's
    api.drive(code, "verify")
    assert api.act(code, "assign", "admin", officer="rina@dishub.example").status_code == 200
    sign_in(web, api)

    # Rina holds it and is Dishub's only officer: nobody else to hand it to, and the page
    # says so instead of a list whose one choice is refused.
    for lang, words in (
        ("en", "Hand to another officer: no other active officer of this agency to hand it to."),
        ("id", "Alihkan ke petugas lain: tidak ada petugas aktif lain di dinas ini untuk "
         "menerimanya."),
    ):  # fmt: skip
        page = web.get(f"/staff/tickets/{code}?lang={lang}").text
        card = _card(web.get(f"/staff?lang={lang}").text, code)
        for shown in (page, card):
            assert words in _text(shown)
            assert f'id="{code}-reassign-officer"' not in shown
            assert 'value="reassign"' not in shown

    officer("sari")
    page = web.get(f"/staff/tickets/{code}?lang=en").text
    card = _card(web.get("/staff?lang=en").text, code)
    for shown in (page, card):
        form = _form(shown, "Hand to another officer")
        assert re.findall(r'<option value="([^"]*)"', form) == ["", "sari@dishub.example"]
        assert "no other active officer" not in shown
    chosen = re.search(r'name="expected_version" value="(\d+)"', page)
    assert chosen
    done = web.post(
        f"/staff/tickets/{code}/actions",
        data={"expected_version": chosen.group(1), "back": "ticket", "trigger": "reassign",
              "officer": "sari@dishub.example"},
    )  # fmt: skip
    assert done.status_code == 303, done.text
    # Now Sari holds it: the list offers Rina, not her.
    form = _form(web.get(f"/staff/tickets/{code}?lang=en").text, "Hand to another officer")
    assert re.findall(r'<option value="([^"]*)"', form) == ["", "rina@dishub.example"]


def test_transfer_never_suggests_the_agency_holding_the_ticket(web: TestClient, api: Api) -> None:
    code = api.submit()["code"]  # traffic: Dishub's
    api.drive(code, "verify", "assign")
    sign_in(web, api)
    page = web.get(f"/staff/tickets/{code}?lang=en").text
    worklist = web.get("/staff?lang=en").text
    card = _card(worklist, code)
    for shown, lists in ((page, page), (card, worklist)):
        form = _form(shown, "Transfer to another agency")
        named = re.search(r'name="agency" list="([^"]+)"', form)
        assert named, form
        suggested = re.search(rf'<datalist id="{named.group(1)}">(.*?)</datalist>', lists, re.S)
        assert suggested, named.group(1)
        codes = re.findall(r'<option value="([^"]+)"', suggested.group(1))
        assert "DISHUB" not in codes
        assert {"DLH", "DBM"} <= set(codes)


def test_change_priority_never_offers_the_priority_the_ticket_has(
    web: TestClient, api: Api
) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify")
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin")).json()
    sign_in(web, api)
    words = {"low": "low", "normal": "normal", "high": "high", "urgent": "urgent"}
    page = web.get(f"/staff/tickets/{code}?lang=en").text
    card = _card(web.get("/staff?lang=en").text, code)
    for shown in (page, card):
        form = _form(shown, "Change priority")
        assert f"New priority (now: {words[detail['priority']]})" in form
        options = re.findall(r'<option value="([^"]*)"[^>]*>', form)
        assert options == ["", *(p for p in words if p != detail["priority"])]
        assert '<option value="" disabled selected>' in form


def test_a_complaint_withheld_from_area_offices_is_never_suggested_to_one(
    web: TestClient, api: Api
) -> None:
    """A tester's report: the transfer suggestions of a pungli complaint listed kelurahan and
    kecamatan offices, which the engine then refused (the office may be what it is about)."""
    pungli = api.submit(category="illegal_levy")["code"]  # the Inspectorate's
    api.drive(pungli, "verify", "assign")
    jam = api.submit()["code"]
    api.drive(jam, "verify", "assign")
    sign_in(web, api, "admin")
    worklist = web.get("/staff?lang=en").text
    for code, page, lists in (
        (pungli, web.get(f"/staff/tickets/{pungli}?lang=en").text, None),
        (pungli, _card(worklist, pungli), worklist),
        (jam, _card(worklist, jam), worklist),
    ):
        form = _form(page, "Transfer to another agency")
        named = re.search(r'name="agency" list="([^"]+)"', form)
        assert named, form
        suggested = re.search(
            rf'<datalist id="{named.group(1)}">(.*?)</datalist>', lists or page, re.S
        )
        assert suggested, named.group(1)
        codes = set(re.findall(r'<option value="([^"]+)"', suggested.group(1)))
        offices = {c for c in codes if c.startswith(("KEL-", "KEC-", "KOTA-"))}
        if code == pungli:
            assert not offices and {"DISHUB", "DLH"} <= codes, codes
        else:  # a traffic jam may go to a kelurahan office (garbage there is theirs)
            assert "KEL-GAMBIR" in offices, codes


#: Tickets driven (by an admin) to each state a ticket page can show.
ROUTES: dict[str, tuple[str, ...]] = {
    "submitted": (),
    "verified": ("verify",),
    "assigned": ("verify", "assign"),
    "in_progress": ("verify", "assign", "start"),
    "on_hold": ("verify", "assign", "start", "hold"),
    "resolved": ("verify", "assign", "start", "resolve"),
    "closed": ("verify", "assign", "start", "resolve", "close"),
    "rejected": ("reject",),
}


def _offered(page: str, code: str) -> set[str]:
    """The triggers the page offers on ``code``: a button, or a note that nobody is left."""
    buttons = re.findall(r'name="trigger" value="(\w+)"', page)
    nobody = re.findall(rf'id="{re.escape(code)}-(\w+)-nobody"', page)
    return {*buttons, *nobody}


def test_the_ticket_page_offers_exactly_the_actions_the_api_allows(
    web: TestClient, api: Api
) -> None:
    codes = {}
    for state, steps in ROUTES.items():
        codes[state] = str(api.submit()["code"])
        api.drive(codes[state], *steps)
    hidden = str(api.submit()["code"])
    api.drive(hidden, "verify")
    taken_off = api.act(hidden, "unpublish", "admin", note="data pribadi di foto")
    assert taken_off.status_code == 200, taken_off.text
    codes["verified, off the public record"] = hidden
    seen: set[str] = set()
    for who in ("staff", "supervisor", "admin"):
        sign_in(web, api, who)
        for state, code in codes.items():
            detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth(who))
            assert detail.status_code == 200, detail.text
            allowed = set(detail.json()["allowed_actions"])
            page = web.get(f"/staff/tickets/{code}?lang=en")
            assert page.status_code == 200, page.text
            assert _offered(page.text, code) == allowed, (who, state)
            seen |= allowed
    # the table covers what staff may fire, reopen (resolved, and closed for an admin) with it
    assert {"reopen", "close", "redact", "unpublish", "republish", "reinstate"} <= seen


def test_staff_reopen_a_resolved_ticket_from_its_page_with_a_reason(
    web: TestClient, api: Api
) -> None:
    code = str(api.submit()["code"])
    api.drive(code, *ROUTES["resolved"])
    sign_in(web, api)
    page = web.get(f"/staff/tickets/{code}?lang=id").text
    assert "Buka kembali (kembali ke dinas untuk diperbaiki lagi)" in _text(page)
    version = re.search(r'name="expected_version" value="(\d+)"', page)
    assert version
    form = {"trigger": "reopen", "expected_version": version.group(1), "back": "ticket"}
    refused = web.post(f"/staff/tickets/{code}/actions", data=form)
    assert refused.status_code == 422 and "Tulis alasannya dulu." in refused.text
    done = web.post(f"/staff/tickets/{code}/actions", data={**form, "note": "Lubang muncul lagi"})
    assert done.status_code == 303, done.text
    assert "Buka kembali" in _text(web.get(done.headers["location"]).text)
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("staff")).json()
    assert detail["report"]["state"]["code"] == "assigned"


def test_each_photo_s_alt_text_says_who_added_it_in_both_languages(
    web: TestClient, api: Api
) -> None:
    """The alt said "Photo 1 from by staff" ("Foto 1 dari oleh petugas"): the role's words
    already say "by"."""
    report = {"category": "traffic_jam", "description": "Macet", "lat": MONAS[0], "lon": MONAS[1]}
    api.clock.tick()
    filed = api.client.post(
        "/api/v1/reports",
        data={k: str(v) for k, v in report.items()},
        files=[("photos", ("a.jpg", make_photo(size=(20, 20)), "image/jpeg"))],
    )
    assert filed.status_code == 201, filed.text
    code = filed.json()["code"]
    api.drive(code, "verify", "assign", "start")
    api.clock.tick()
    comment = api.client.post(
        f"/api/v1/reports/{code}/comments",
        json={"text": "Tambah foto", "photos": [_b64(make_photo(size=(30, 30)))]},
        headers={"X-Reporter-Token": filed.json()["reporter_token"]},
    )
    assert comment.status_code in (200, 201), comment.text
    resolved = api.act(code, "resolve", note="beres", photos=[_b64(make_photo(size=(40, 40)))])
    assert resolved.status_code == 200, resolved.text
    sign_in(web, api)
    alts = {
        lang: re.findall(
            r'<figure><img [^>]*alt="([^"]*)"', web.get(f"/staff/tickets/{code}?lang={lang}").text
        )
        for lang in ("en", "id")
    }
    assert alts == {
        "en": ["Photo 1, by a citizen", "Photo 2, by a citizen", "Photo 3, by staff"],
        "id": ["Foto 1, oleh warga", "Foto 2, oleh warga", "Foto 3, oleh petugas"],
    }


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
