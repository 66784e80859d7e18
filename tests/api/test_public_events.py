"""What the public sees of a ticket's history, everywhere it is shown: the Open311
``servicerequestupdates`` feed (JSON and XML), the public timeline, Open311 ``requests``, the
public list's "updated" time and citizen status mail. One rule (``engine.visibility``): a change
of state, a public note from staff, a public photo. A staff internal note, a rating, a merge
are none of these and appear nowhere public, not even as an empty entry."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest

from engine.presentation import update_status
from engine.settings import Settings
from tests.api.conftest import Api, each_change_mailed_at_once
from tests.api.test_open311 import fetch
from tests.conftest import make_photo

SECRET = "Catatan internal: kontraktor lalai, jangan diumumkan"
PUBLIC_COMMENT = "Tim sudah di lokasi, pengerjaan dua hari"
RESOLVED = "petugas diturunkan"
RATING_NOTE = "Cepat sekali, terima kasih"
PERIOD = {"start_date": "2026-11-01T00:00:00+07:00", "end_date": "2026-12-31T00:00:00+07:00"}


@pytest.fixture
def api_settings(api_settings: Settings) -> Settings:
    """Each change's mail on its own (``each_change_mailed_at_once``)."""
    return each_change_mailed_at_once(api_settings)


def _ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def _lived(api: Api) -> tuple[str, str]:
    """A ticket that saw every kind of event: the public ones and, between them, a staff
    internal comment, a merge (another report marked its duplicate) and a rating after close.
    Returns (its code, the duplicate's code)."""
    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start")
    _ok(api.act(code, "comment", "admin", note=SECRET, public=False))
    other = api.submit()["code"]
    api.drive(other, "verify")
    _ok(api.act(other, "mark_duplicate", "admin", duplicate_of=code))
    _ok(api.act(code, "comment", "admin", note=PUBLIC_COMMENT, public=True))
    api.drive(code, "resolve", "close")
    api.clock.tick()
    rated = api.client.post(
        f"/api/v1/reports/{code}/rating",
        json={"rating": 5, "note": RATING_NOTE},
        headers={"X-Reporter-Token": api.tokens[code]},
    )
    _ok(rated)
    return code, other


def _everything_public(api: Api, code: str) -> list[str]:
    """Every public document about ``code`` (and the feeds and lists it is in), as text."""
    texts = [api.client.get(f"/api/v1/reports/{code}").text, api.client.get(f"/t/{code}").text]
    texts.append(api.client.get("/api/v1/reports").text)
    texts.append(api.client.get("/api/v1/reports.geojson").text)
    for fmt in ("json", "xml"):
        texts.append(api.client.get(f"/open311/v2/requests/{code}.{fmt}").text)
        texts.append(api.client.get(f"/open311/v2/requests.{fmt}", params=PERIOD).text)
        texts.append(api.client.get(f"/open311/v2/servicerequestupdates.{fmt}", params=PERIOD).text)
    return texts


def test_updates_feed_lists_only_what_the_public_sees(api: Api) -> None:
    code, other = _lived(api)
    updates = fetch(api, "servicerequestupdates", **PERIOD)  # JSON and XML agree
    mine = [(u["status"], u["description"]) for u in updates if u["service_request_id"] == code]
    assert mine == [
        ("open", ""),
        ("investigating", ""),
        ("action_scheduled", ""),
        ("in_progress", ""),
        ("in_progress", PUBLIC_COMMENT),  # staff's public comment: words, same status
        ("fixed", RESOLVED),
        ("closed", ""),
    ]  # no internal comment, no merge, no rating: not even as an empty update
    theirs = [u["status"] for u in updates if u["service_request_id"] == other]
    assert theirs == ["open", "investigating", "duplicate"]
    assert len({u["update_id"] for u in updates}) == len(updates)
    assert all(set(u) >= {"update_id", "updated_datetime", "media_url"} for u in updates)


def test_public_timeline_agrees_with_the_feed(api: Api) -> None:
    code, _ = _lived(api)
    report = _ok(api.client.get(f"/api/v1/reports/{code}"))
    timeline = [(e["action"], e["by"], e["note"]) for e in report["timeline"]]
    assert timeline == [
        ("submit", "citizen", None),
        ("verify", "admin", None),
        ("assign", "admin", None),
        ("start", "admin", None),
        ("comment", "admin", PUBLIC_COMMENT),
        ("resolve", "admin", RESOLVED),
        ("close", "admin", None),
    ]
    updates = [
        u for u in fetch(api, "servicerequestupdates", **PERIOD) if u["service_request_id"] == code
    ]
    assert [update_status(e["action"], e["state"]["code"]) for e in report["timeline"]] == [
        u["status"] for u in updates
    ]
    assert [e["note"] or "" for e in report["timeline"]] == [u["description"] for u in updates]


def test_internal_words_and_the_rating_note_appear_in_no_public_response(api: Api) -> None:
    code, _ = _lived(api)
    for text in _everything_public(api, code):
        assert SECRET not in text
        assert RATING_NOTE not in text
    page = api.client.get(f"/t/{code}").text
    assert PUBLIC_COMMENT in page and RESOLVED in page
    assert page.count("<li data-seq=") == 7  # the internal comment has no entry either


def test_a_rating_or_internal_note_does_not_move_the_public_updated_time(api: Api) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start", "resolve", "close")
    (closed,) = fetch(api, f"requests/{code}")
    api.clock.now += timedelta(hours=3)
    rated = api.client.post(
        f"/api/v1/reports/{code}/rating",
        json={"rating": 2},
        headers={"X-Reporter-Token": api.tokens[code]},
    )
    _ok(rated)
    (after,) = fetch(api, f"requests/{code}")
    assert after["updated_datetime"] == closed["updated_datetime"]
    since = (api.clock.now - timedelta(hours=1)).isoformat()
    assert fetch(api, "requests", updated_after=since) == []
    assert _ok(api.client.get("/api/v1/reports", params={"since": since}))["items"] == []

    open_one = api.submit()["code"]
    api.drive(open_one, "verify")
    (verified,) = fetch(api, f"requests/{open_one}")
    api.clock.now += timedelta(hours=1)
    _ok(api.act(open_one, "comment", "admin", note=SECRET, public=False))
    (noted,) = fetch(api, f"requests/{open_one}")
    assert noted["updated_datetime"] == verified["updated_datetime"]
    # a change the public reads (the category) does move it, with no entry in the feed
    _ok(api.act(open_one, "update", "admin", category="flood", note="salah kategori"))
    (moved,) = fetch(api, f"requests/{open_one}")
    assert moved["service_code"] == "flood"
    assert moved["updated_datetime"] > verified["updated_datetime"]
    updates = fetch(api, "servicerequestupdates", **PERIOD)
    assert [u["status"] for u in updates if u["service_request_id"] == open_one] == [
        "open",
        "investigating",
    ]


def test_status_mail_for_public_changes_only(api: Api) -> None:
    code = api.submit(email="warga@example.id")["code"]
    api.drive(code, "verify", "assign", "start")
    before = len(api.mails(code))
    _ok(api.act(code, "comment", "admin", note=SECRET, public=False))
    other = api.submit()["code"]
    _ok(api.act(other, "mark_duplicate", "admin", duplicate_of=code))
    assert len(api.mails(code)) == before  # internal note and merge: no mail
    _ok(api.act(code, "comment", "admin", note=PUBLIC_COMMENT, public=True))
    bodies = api.notifications(code, "citizen_update", lambda n: n.body)
    assert len(bodies) == before + 1
    assert PUBLIC_COMMENT in bodies[-1]  # a public note from staff reaches the reporter
    api.drive(code, "resolve", "close")
    count = len(api.mails(code))
    rated = api.client.post(
        f"/api/v1/reports/{code}/rating",
        json={"rating": 4, "note": RATING_NOTE},
        headers={"X-Reporter-Token": api.tokens[code]},
    )
    _ok(rated)
    assert len(api.mails(code)) == count
    everything = api.notifications(code, "citizen_update", lambda n: n.body + (n.html_body or ""))
    assert not any(SECRET in body or RATING_NOTE in body for body in everything)


def test_a_note_after_a_transfer_keeps_it_coordinating(api: Api) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify", "assign")
    _ok(api.act(code, "transfer", "admin", agency="DBM", note="bukan wewenang kami"))
    _ok(api.act(code, "comment", "admin", note=SECRET, public=False))
    _ok(api.act(code, "comment", "admin", note=PUBLIC_COMMENT, public=True))
    report = _ok(api.client.get(f"/api/v1/reports/{code}"))
    assert report["state"]["label_en"] == "Coordinating"
    assert [e["state"]["label_en"] for e in report["timeline"][-2:]] == [
        "Coordinating",
        "Coordinating",
    ]
    updates = fetch(api, "servicerequestupdates", **PERIOD)
    assert [u["status"] for u in updates if u["service_request_id"] == code][-2:] == [
        "internal_referral",
        "action_scheduled",
    ]


def test_a_photo_on_an_internal_note_is_not_the_requests_media_url(api: Api) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start")
    photo = base64.b64encode(make_photo()).decode()
    _ok(api.act(code, "comment", "admin", note=SECRET, public=False, photos=[photo]))
    (item,) = fetch(api, f"requests/{code}")
    assert item["media_url"] == ""
    assert _ok(api.client.get(f"/api/v1/reports/{code}"))["photos"] == []
    _ok(api.act(code, "comment", "admin", note=PUBLIC_COMMENT, public=True, photos=[photo]))
    (item,) = fetch(api, f"requests/{code}")
    assert item["media_url"].startswith("http://127.0.0.1:8000/media/")
    updates = fetch(api, "servicerequestupdates", **PERIOD)
    (commented,) = [u for u in updates if u["description"] == PUBLIC_COMMENT]
    assert commented["media_url"] == item["media_url"]


def test_the_reporter_sees_their_own_entries_the_public_does_not(api: Api) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify")
    comment = api.client.post(
        f"/api/v1/reports/{code}/comments",
        json={"text": "tolong cepat"},
        headers={"X-Reporter-Token": api.tokens[code]},
    )
    _ok(comment)
    public = _ok(api.client.get(f"/api/v1/reports/{code}"))
    assert [e["action"] for e in public["timeline"]] == ["submit", "verify"]
    mine = _ok(
        api.client.get(
            f"/api/v1/reports/{code}/private", headers={"X-Reporter-Token": api.tokens[code]}
        )
    )
    assert [e["action"] for e in mine["report"]["timeline"]] == ["submit", "verify", "comment"]
    assert [n["seq"] for n in mine["own_notes"]] == [mine["report"]["timeline"][-1]["seq"]]
    assert "tolong cepat" not in str(mine["report"])  # the words only under own_notes
