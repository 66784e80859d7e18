"""Over HTTP: a rejected report is no dead end. Its reporter appeals with a reason within the
dispute window counted from the rejection; the report goes back to verification, a new cycle
of SLA clocks starts, the public history says so, and the agency queue gets the citizen's words
by mail. A supervisor or an admin may un-reject; staff may not undo a rejection alone."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.api.conftest import Api

QUEUE = "dishub.queue@tanggap.example"
PROBLEM = "application/problem+json"


def _rejected(api: Api) -> tuple[str, dict[str, str]]:
    code = api.submit(name="Sari", email="sari@warga.example", phone="081234567890")["code"]
    api.drive(code, "reject")  # "spam"
    return code, {"X-Reporter-Token": api.tokens[code]}


def _appeal(api: Api, code: str, headers: dict[str, str], **body: Any) -> Any:
    api.clock.tick()
    return api.client.post(f"/api/v1/reports/{code}/appeal", json=body, headers=headers)


def _rejected_at(api: Api, code: str) -> datetime:
    public = api.client.get(f"/api/v1/reports/{code}").json()
    (at,) = [e["at"] for e in public["timeline"] if e["action"] == "reject"]
    return datetime.fromisoformat(at)


def _timers(api: Api, code: str) -> list[dict[str, Any]]:
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin"))
    assert detail.status_code == 200, detail.text
    timers: list[dict[str, Any]] = detail.json()["timers"]
    return timers


def _follow_ups(api: Api, code: str) -> list[tuple[str, str, str, str]]:
    return api.notifications(
        code, "citizen_follow_up", lambda n: (n.recipient, n.subject, n.body, n.html_body or "")
    )


def test_rejected_report_dispute_and_comment_point_the_reporter_to_an_appeal(api: Api) -> None:
    code, headers = _rejected(api)

    disputed = api.client.post(
        f"/api/v1/reports/{code}/dispute", json={"reason": "bukan spam"}, headers=headers
    )
    assert disputed.status_code == 409
    assert disputed.json()["allowed"] == ["appeal"]
    commented = api.client.post(
        f"/api/v1/reports/{code}/comments", json={"text": "bukan spam"}, headers=headers
    )
    assert commented.status_code == 409
    assert commented.json()["allowed"] == ["appeal"]


def test_reporter_appeal_puts_a_rejected_report_back_for_verification(api: Api) -> None:
    code, headers = _rejected(api)
    before = _timers(api, code)
    assert {(t["kind"], t["cycle"]) for t in before} == {("verify", 1), ("resolve", 1)}
    assert all(t["stopped_at"] is not None for t in before)  # the rejection stopped them

    appealed = _appeal(api, code, headers, reason="Ini wewenang Dishub: <b>bukan spam</b>")

    assert appealed.status_code == 200, appealed.text
    body = appealed.json()
    assert body["state"]["code"] == "submitted"
    assert (body["state"]["label_id"], body["state"]["label_en"]) == ("Menunggu", "Waiting")
    last = body["timeline"][-1]
    assert (last["action"], last["by"], last["state"]["code"]) == (
        "reinstate",
        "citizen",
        "submitted",
    )
    assert last["note"] is None  # the citizen's words are their own: never public
    public = api.client.get(f"/api/v1/reports/{code}").json()
    assert [e["action"] for e in public["timeline"]] == ["submit", "reject", "reinstate"]
    assert "bukan spam" not in str(public)

    # A new cycle of SLA clocks from the appeal: verify and resolve run again, counted from now.
    timers = _timers(api, code)
    running = {(t["kind"], t["cycle"]): t for t in timers if t["stopped_at"] is None}
    assert set(running) == {("verify", 2), ("resolve", 2)}
    for timer in running.values():
        assert datetime.fromisoformat(timer["started_at"]) == api.clock.now
        assert timer["status"] == "running"

    # The agency queue reads the citizen's words, and nothing of who they are.
    ((recipient, subject, text, html),) = _follow_ups(api, code)
    assert recipient == QUEUE
    assert subject == (
        f"[Tanggap] {code} BANDING warga atas penolakan / APPEAL by the citizen against the "
        "rejection: Kemacetan, Kelurahan Gambir"
    )
    assert "Appeal: the citizen says this report should not have been rejected." in text
    assert "Banding: warga menyatakan laporan ini tidak seharusnya ditolak." in text
    assert (
        "Alasan banding dari warga / the citizen's reason for the appeal:\n"
        "Ini wewenang Dishub: <b>bukan spam</b>\n"
    ) in text
    assert "Ini wewenang Dishub: &lt;b&gt;bukan spam&lt;/b&gt;" in html
    for contact in ("Sari", "sari@", "081234567890"):
        assert contact not in subject + text + html

    # Back in triage: staff verify it as any new report.
    assert api.act(code, "verify").status_code == 200


def test_appeal_without_a_reason_is_a_422_that_writes_nothing(api: Api) -> None:
    code, headers = _rejected(api)

    missing = _appeal(api, code, headers)
    blank = _appeal(api, code, headers, reason="  \n ")

    assert missing.status_code == 422
    assert blank.status_code == 422
    assert blank.headers["content-type"] == PROBLEM
    assert blank.json()["detail"] == "an appeal needs a reason"
    assert blank.json()["params"]["field"] == "reason"
    assert api.client.get(f"/api/v1/reports/{code}").json()["state"]["code"] == "rejected"
    assert _follow_ups(api, code) == []


def test_appeal_after_the_window_is_a_409_in_the_windows_words(api: Api) -> None:
    code, headers = _rejected(api)
    window = timedelta(days=7)
    rejected = _rejected_at(api, code)

    api.clock.now = rejected + window + timedelta(minutes=1)
    late = api.client.post(
        f"/api/v1/reports/{code}/appeal", json={"reason": "bukan spam"}, headers=headers
    )

    assert late.status_code == 409, late.text
    assert late.headers["content-type"] == PROBLEM
    problem = late.json()
    assert problem["code"] == "window_closed"
    assert problem["detail"] == (
        "the 7-day window to appeal this rejection has passed (an appeal is possible within "
        "7 days after a report is rejected)"
    )
    assert (problem["state"], problem["allowed"]) == ("rejected", [])
    assert api.client.get(f"/api/v1/reports/{code}").json()["state"]["code"] == "rejected"
    assert _follow_ups(api, code) == []

    # Its last instant is still in it, as a dispute's is.
    api.clock.now = rejected + window
    assert (
        api.client.post(
            f"/api/v1/reports/{code}/appeal", json={"reason": "bukan spam"}, headers=headers
        ).status_code
        == 200
    )


def test_appeal_with_a_wrong_token_or_on_an_open_report_is_refused(api: Api) -> None:
    code, _ = _rejected(api)
    wrong = _appeal(api, code, {"X-Reporter-Token": "not-the-token"}, reason="bukan spam")
    assert wrong.status_code == 403

    other = api.submit()["code"]
    early = _appeal(api, other, {"X-Reporter-Token": api.tokens[other]}, reason="bukan spam")
    assert early.status_code == 409
    assert early.json()["detail"] == (
        "this report cannot be appealed now: it is waiting (an appeal is possible within 7 "
        "days after it is rejected)"
    )


def test_supervisor_or_admin_may_un_reject_with_a_reason_staff_may_not(api: Api) -> None:
    code, _ = _rejected(api)

    by_staff = api.act(code, "reinstate", "staff", note="salah tolak")
    assert by_staff.status_code == 403
    no_reason = api.act(code, "reinstate", "supervisor")
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"] == "reinstate needs a reason (note)"

    # Long after the reporter's window: staff above are not bound by it.
    api.clock.tick(60 * 24 * 30)
    by_supervisor = api.act(code, "reinstate", "supervisor", note="salah tolak, ini wewenang kita")
    assert by_supervisor.status_code == 200, by_supervisor.text
    assert by_supervisor.json()["state"]["code"] == "submitted"
    public = api.client.get(f"/api/v1/reports/{code}").json()
    last = public["timeline"][-1]
    assert (last["action"], last["by"], last["note"]) == (
        "reinstate",
        "supervisor",
        "salah tolak, ini wewenang kita",
    )
    assert _follow_ups(api, code) == []  # staff's own action mails no staff

    api.drive(code, "reject")
    by_admin = api.act(code, "reinstate", "admin", note="keberatan warga lewat telepon")
    assert by_admin.status_code == 200, by_admin.text


def test_tracking_page_offers_the_appeal_for_a_rejected_report_in_its_words(api: Api) -> None:
    code, _ = _rejected(api)

    page_id = api.client.get(f"/t/{code}", params={"lang": "id"})
    page_en = api.client.get(f"/t/{code}", params={"lang": "en"})

    assert 'id="appeal-form"' in page_id.text
    assert "Laporan ditolak keliru?" in page_id.text
    assert "Anda dapat mengajukan banding sampai" in page_id.text
    assert "Ajukan banding" in page_id.text
    assert 'id="dispute-form"' not in page_id.text
    assert "Rejected by mistake?" in page_en.text
    assert "Appeal the rejection" in page_en.text

    # Not for a report that is not rejected, nor once the window has passed.
    other = api.submit()["code"]
    assert 'id="appeal-form"' not in api.client.get(f"/t/{other}").text
    api.clock.now = _rejected_at(api, code) + timedelta(days=7, minutes=1)
    assert 'id="appeal-form"' not in api.client.get(f"/t/{code}").text


def test_the_reporters_rejection_mail_says_until_when_they_may_appeal(api: Api) -> None:
    code = api.submit(email="sari@warga.example", language="en")["code"]
    api.submit(email="budi@warga.example")  # another report: its mails are not looked at
    api.drive(code, "reject")

    mails = api.notifications(code, "citizen_update", lambda n: (n.recipient, n.body, n.html_body))
    recipient, text, html = mails[-1]
    assert recipient == "sari@warga.example"
    assert "is now: Rejected" in text
    assert "you can appeal the rejection until " in text
    assert "(7 days from the rejection), with your reason, on the report's page" in text
    assert "you can appeal the rejection until " in (html or "")
    # No other mail offers it: the submission's did not.
    assert sum("appeal" in body for _, body, _ in mails) == 1
