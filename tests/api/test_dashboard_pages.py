"""The supervisor dashboard pages over HTTP (no browser): a breached flood on the map data and at
the top of the time-to-breach list, backlog and escalations, and its SLA timeline with who was
told. tests/browser/ draws the same pages in Chromium."""

from __future__ import annotations

import html
import json
import re

import pytest
from fastapi.testclient import TestClient

from engine.escalation import sweep_batch
from engine.policies import load_policy_book
from sla import Level

from .conftest import Api
from .test_staff_pages import ORIGIN, sign_in


def _dsda_supervisor(api: Api) -> str:
    response = api.client.post(
        "/api/v1/admin/keys",
        json={"role": "supervisor", "name": "Kepala DSDA", "agency": "DSDA"},
        headers=api.auth("admin"),
    )
    assert response.status_code == 201, response.text
    key: str = response.json()["key"]
    api.keys["dsda"] = key
    return key


def _words(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _web(api: Api) -> TestClient:
    client = TestClient(api.app, base_url=ORIGIN, follow_redirects=False)
    client.headers["Origin"] = ORIGIN
    return client


def test_dashboard_shows_a_breached_flood_on_the_map_and_first_in_the_list(api: Api) -> None:
    _dsda_supervisor(api)
    breached = api.submit(category="flood", description="Banjir 50 cm")["code"]
    fresh = api.submit(category="flood", description="Genangan")["code"]
    api.clock.tick(28)  # breached: 33 min old; fresh: 28 of 30 min, warned at 50 %
    with api.app.state.transactions.write() as session:
        sweep_batch(session, now=api.clock.now)
    web = _web(api)
    sign_in(web, api, "dsda")
    page = web.get("/dashboard?lang=en")
    assert page.status_code == 200
    text = page.text
    points = json.loads(html.unescape(re.search(r"data-tickets='([^']*)'", text).group(1)))
    by_code = {p["code"]: p for p in points}
    assert by_code[breached]["sla"] == "breached" and by_code[breached]["colour"] == "red"
    assert by_code[fresh]["sla"] == "at_risk"
    rows = re.findall(r'<tr data-code="([^"]+)" data-sla="([^"]+)"', text)
    assert rows[:2] == [(breached, "breached"), (fresh, "at_risk")]
    assert "Open tickets you oversee: 2. Breached 1, at risk 1, on time 0." in text
    # the breach mail to DSDA's head is listed as addressed to this supervisor
    escalations = text[text.index('id="escalations"') :]
    assert breached in escalations and "dsda.head@tanggap.example" in escalations
    assert "Backlog per agency" in text and "<svg" in text


def test_timeline_page_draws_timers_and_names_who_was_told(api: Api) -> None:
    _dsda_supervisor(api)
    code = api.submit(category="flood")["code"]
    api.clock.tick(40)
    with api.app.state.transactions.write() as session:
        sweep_batch(session, now=api.clock.now)
    web = _web(api)
    sign_in(web, api, "dsda")
    page = web.get(f"/dashboard/t/{code}?lang=en")
    assert page.status_code == 200, page.text
    text = page.text
    assert f"SLA timeline of {code}" in text
    verify = text[text.index('data-kind="verify"') :].split("</li>\n</ol>")[0]
    assert 'data-status="overdue"' in text
    breach = verify[verify.index('data-level="breach"') :].split("</li>")[0]
    assert "dsda.head@tanggap.example (agency head, waiting to be sent)" in breach
    assert "kec-gambir.head@tanggap.example (kecamatan office, waiting to be sent)" in breach
    warning = verify[verify.index('data-level="warning"') :].split("</li>")[0]
    assert "recorded without mail" in warning
    assert 'class="deadline"' in text and 'class="level mailed"' in text


def test_dashboard_refuses_staff_keys_and_other_agencies_timelines(api: Api) -> None:
    code = api.submit(category="flood")["code"]
    web = _web(api)
    sign_in(web, api, "staff")
    assert web.get("/dashboard").status_code == 403
    sign_in(web, api, "supervisor")  # DISHUB's supervisor: the flood is DSDA's
    other = web.get(f"/dashboard/t/{code}")
    assert other.status_code == 403 and "ditangani dinas atau wilayah lain" in other.text
    assert "belongs to another agency" not in other.text  # the page's words, not the engine's
    missing = web.get("/dashboard/t/NOPE?lang=en")
    assert missing.status_code == 404 and "There is no ticket with code NOPE." in missing.text
    assert "with code 'NOPE'" not in missing.text  # not the engine's message


def test_escalation_levels_read_as_words_not_codes(api: Api) -> None:
    _dsda_supervisor(api)
    code = api.submit(category="flood", description="Banjir 50 cm")["code"]
    api.clock.tick(50)  # past 150 % of the 30 min to verify
    with api.app.state.transactions.write() as session:
        sweep_batch(session, now=api.clock.now)
    web = _web(api)
    sign_in(web, api, "dsda")
    board = web.get("/dashboard?lang=id").text
    escalations = _words(board[board.index('id="escalations"') :].split("</table>")[0])
    assert "lewat batas waktu (100 %)" in escalations
    assert "breach" not in escalations and "kota_governor" not in escalations
    timeline = web.get(f"/dashboard/t/{code}?lang=id").text
    ladder = _words(timeline[timeline.index('class="levels"') :].split("</ul>")[0])
    for said in ("peringatan (50 %)", "lewat batas waktu (100 %)", "kota dan gubernur (150 %)"):
        assert said in ladder, ladder
    chart = _words(" ".join(re.findall(r"<title>([^<]*)</title>", timeline)))
    assert "lewat batas waktu 100 %" in chart and "kota dan gubernur 150 %" in chart
    for code_word in ("warning", "breach", "kota_governor"):
        assert code_word not in ladder and code_word not in chart
    english = web.get(f"/dashboard/t/{code}?lang=en").text
    assert "city and governor (150 %)" in _words(english)


def test_levels_read_as_the_catalogue_words_them_and_unknown_ones_as_words(api: Api) -> None:
    with api.app.state.transactions.read() as session:
        book = load_policy_book(session)
    assert book.level_words("breach", "id") == "lewat batas waktu"
    assert book.level_words("breach", "en") == "deadline passed"
    assert book.level_words("kota_governor", "en") == "city and governor"
    # A level no ladder in force has any more (renamed since it was recorded): its name as words.
    assert book.level_words("wali_kota_2", "id") == "Wali kota 2"
    assert book.level_words("area-lead", "en") == "Area lead"
    # A level without words in the catalogue: its name as words, in either language.
    bare = Level(name="camat_and_lurah", percent=120)
    assert bare.words("id") == bare.words("en") == "Camat and lurah"


def test_dashboard_counts_every_open_ticket_beyond_what_its_map_shows(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page counted its headline and backlog over the tickets on its map (2,000 at most,
    the most urgent): with more open tickets it undercounted."""
    import api.web.dashboard as dashboard

    monkeypatch.setattr(dashboard, "MAP_LIMIT", 1)
    _dsda_supervisor(api)
    for _ in range(3):
        api.submit(category="flood", description="Genangan")
    web = _web(api)
    sign_in(web, api, "dsda")
    text = web.get("/dashboard?lang=en").text
    points = json.loads(html.unescape(re.search(r"data-tickets='([^']*)'", text).group(1)))
    assert len(points) == 1  # the map shows the most urgent one
    assert "Open tickets you oversee: 3." in text


def test_a_clock_a_rejection_or_transfer_ended_reads_ended_not_met(api: Api) -> None:
    """The figures leave such clocks out; the timeline, the API and the CLI used to call them
    met, as if the office had done the work on time."""
    rejected = api.submit()["code"]
    api.drive(rejected, "reject")
    moved = api.submit()["code"]
    api.drive(moved, "verify", "assign")
    assert api.act(moved, "transfer", "admin", agency="DBM", note="bukan kami").status_code == 200

    def statuses(code: str) -> dict[str, str]:
        detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin")).json()
        return {f"{t['kind']}#{t['cycle']}": t["status"] for t in detail["timers"]}

    assert statuses(rejected) == {"verify#1": "met", "resolve#1": "ended"}
    assert statuses(moved) == {
        "verify#1": "met",
        "assign#1": "met",
        "start#1": "ended",  # Dishub's, ended by the transfer
        "start#2": "running",
        "accept#1": "running",
        "resolve#1": "running",
    }
    web = _web(api)
    sign_in(web, api, "admin")
    page = web.get(f"/dashboard/t/{rejected}?lang=id").text
    assert 'data-status="ended"' in page
    assert "berakhir (bukan karena pekerjaannya selesai" in page


def test_an_assign_or_start_clock_a_rejection_or_duplicate_ended_is_no_case(api: Api) -> None:
    """Rejecting a verified report read as the assign clock met, and raised the office's
    assign on-time rate: only the work a clock measures meets it (``engine.clocks``)."""
    kept = api.submit()["code"]
    api.drive(kept, "verify", "assign")  # the one assign clock met by assigning
    rejected = api.submit()["code"]
    api.drive(rejected, "verify", "reject")
    doubled = api.submit()["code"]
    api.drive(doubled, "verify")
    assert api.act(doubled, "mark_duplicate", "admin", duplicate_of=kept).status_code == 200
    late_double = api.submit()["code"]
    api.drive(late_double, "verify", "assign")
    assert api.act(late_double, "mark_duplicate", "admin", duplicate_of=kept).status_code == 200

    def statuses(code: str) -> dict[str, str]:
        story = api.client.get(f"/api/v1/tickets/{code}/sla", headers=api.auth("admin"))
        assert story.status_code == 200, story.text
        return {f"{t['timer']['kind']}#{t['timer']['cycle']}": t["timer"]["status"]
                for t in story.json()["timers"]}  # fmt: skip

    assert statuses(rejected) == {"verify#1": "met", "assign#1": "ended", "resolve#1": "ended"}
    assert statuses(doubled) == {"verify#1": "met", "assign#1": "ended", "resolve#1": "ended"}
    assert statuses(late_double) == {
        "verify#1": "met",
        "assign#1": "met",
        "start#1": "ended",
        "resolve#1": "ended",
    }
    figures = api.client.get("/api/v1/figures", headers=api.auth("supervisor")).json()
    (dishub,) = figures["groups"]
    assert dishub["on_time"]["assign"]["count"] == 2  # kept's and late_double's
    assert "start" not in dishub["on_time"]
    assert dishub["on_time"]["verify"]["count"] == 4
    web = _web(api)
    sign_in(web, api, "admin")
    page = web.get(f"/dashboard/t/{rejected}?lang=en").text
    assert page.count('data-status="ended"') == 2
    assert page.count('data-status="met"') == 1


def test_a_clock_already_late_when_a_rejection_ended_it_stays_a_miss(api: Api) -> None:
    """Ending a report does not hide a deadline it had already missed: the resolve clock of a
    flood marked a duplicate a day and more after it came in reads breached, and counts as
    missed (it used to be left out of the figures, as if the office had not been late)."""
    late = api.submit(category="flood", description="Banjir 40 cm")["code"]
    api.drive(late, "verify", "assign")
    api.clock.tick(25 * 60)  # the emergency policy resolves within 24 hours
    standing = api.submit(category="flood", description="Banjir di tempat yang sama")["code"]
    moved = api.act(late, "mark_duplicate", "admin", duplicate_of=standing)
    assert moved.status_code == 200, moved.text
    in_time = api.submit(category="flood", description="Banjir 20 cm")["code"]
    api.drive(in_time, "verify", "reject")

    story = api.client.get(f"/api/v1/tickets/{late}/sla", headers=api.auth("admin")).json()
    statuses = {f"{t['timer']['kind']}#{t['timer']['cycle']}": t["timer"]["status"]
                for t in story["timers"]}  # fmt: skip
    assert statuses["resolve#1"] == "breached"
    figures = api.client.get("/api/v1/figures", headers=api.auth("admin")).json()
    (dsda,) = [g for g in figures["groups"] if g["group"] == "DSDA"]
    # late's resolve clock (missed); in_time's, ended within its 24 hours, is no case
    assert dsda["on_time"]["resolve"]["count"] == 1


def test_a_mail_taken_back_after_a_change_is_not_listed_as_told(api: Api) -> None:
    """A reload made the emergency ladder's warning notify the agency head instead of the
    queue while the warning waited for Dinas SDA's queue: the queue's mail was taken back and
    the head's queued. The timeline says who is told (the head) and whose mail was taken back
    (the queue's), not "told: the queue (failed)"; the SLA story's JSON says the same."""
    from pathlib import Path

    from engine.catalogue import load_catalogue

    _dsda_supervisor(api)
    code = api.submit(category="flood")["code"]
    api.clock.tick(16)  # past half the 30 minutes to verify
    with api.app.state.transactions.write() as session:
        sweep_batch(session, now=api.clock.now)
    warning_level = (
        "{name: warning, name_id: peringatan, name_en: warning, percent: 50, "
        "notify: [assigned_officer, agency_queue]}"
    )
    text = (Path(__file__).resolve().parents[2] / "catalogue" / "jakarta.yaml").read_text()
    assert text.count(warning_level) == 1
    edited = text.replace(
        warning_level, warning_level.replace("[assigned_officer, agency_queue]", "[agency_head]")
    )
    with api.app.state.transactions.write() as session:
        load_catalogue(session, edited, now=api.clock.tick(1), source="edited.yaml")

    web = _web(api)
    sign_in(web, api, "dsda")
    page = web.get(f"/dashboard/t/{code}?lang=en")
    assert page.status_code == 200, page.text
    verify = page.text[page.text.index('data-kind="verify"') :].split("</li>\n</ol>")[0]
    warning = _words(verify[verify.index('data-level="warning"') :].split("</li>")[0])
    assert "Told: dsda.head@tanggap.example (agency head, waiting to be sent)" in warning
    assert (
        "Not sent, taken back after a change: dsda.queue@tanggap.example (agency's queue)"
        in warning
    )
    assert "dsda.queue@tanggap.example (agency's queue, failed)" not in warning

    story = api.client.get(f"/api/v1/tickets/{code}/sla", headers=api.auth("dsda"))
    assert story.status_code == 200, story.text
    (timer,) = [t for t in story.json()["timers"] if t["timer"]["kind"] == "verify"]
    (level,) = [lv for lv in timer["levels"] if lv["level"] == "warning"]
    assert [n["recipient"] for n in level["told"]] == ["dsda.head@tanggap.example"]
    assert [n["recipient"] for n in level["taken_back"]] == ["dsda.queue@tanggap.example"]


def test_a_level_whose_only_mail_was_taken_back_is_not_said_to_be_recorded_without_mail(
    api: Api,
) -> None:
    """The flood's warning waited for the queue; the report was verified in time, so the
    warning was taken back. Nobody was told, and the page says why, not that it was "recorded
    without mail (a later level was already due, or the timer had stopped)"."""
    _dsda_supervisor(api)
    code = api.submit(category="flood")["code"]
    api.clock.tick(16)
    with api.app.state.transactions.write() as session:
        sweep_batch(session, now=api.clock.now)
    verified = api.act(code, "verify", "admin")
    assert verified.status_code == 200, verified.text

    web = _web(api)
    sign_in(web, api, "dsda")
    page = web.get(f"/dashboard/t/{code}?lang=en")
    verify = page.text[page.text.index('data-kind="verify"') :].split("</li>\n</ol>")[0]
    warning = _words(verify[verify.index('data-level="warning"') :].split("</li>")[0])
    assert "Told: nobody" in warning
    assert (
        "Not sent, taken back after a change: dsda.queue@tanggap.example (agency's queue)"
        in warning
    )
    assert "recorded without mail" not in warning
