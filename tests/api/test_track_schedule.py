"""What a citizen reads of a report's schedule says what is true, on the tracking page
``/t/{code}``, in the public API and in Open311 alike: which step is late (a late verification
is not a late resolution date), and on hold that the clocks are paused (no fixed date)."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import pytest

from .conftest import Api


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _deadline(api: Api, code: str, kind: str) -> datetime:
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("staff")).json()
    [timer] = [t for t in detail["timers"] if t["kind"] == kind and t["status"] != "ended"]
    return datetime.fromisoformat(timer["deadline"])


def _readers(api: Api, code: str) -> dict[str, Any]:
    public = api.client.get(f"/api/v1/reports/{code}").json()
    [open311] = api.client.get(
        f"/open311/v2/requests/{code}.json", params={"extensions": "true"}
    ).json()
    return {
        "page_id": _text(api.client.get(f"/t/{code}?lang=id").text),
        "page_en": _text(api.client.get(f"/t/{code}?lang=en").text),
        "public": public,
        "open311": open311,
    }


def test_a_late_verification_is_named_not_set_beside_a_resolution_date_still_ahead(
    api: Api,
) -> None:
    code = str(api.submit()["code"])
    verify_due = _deadline(api, code, "verify")
    resolve_due = _deadline(api, code, "resolve")
    api.clock.now = verify_due + timedelta(minutes=10)
    assert api.clock.now < resolve_due
    seen = _readers(api, code)
    assert "Verifikasi terlambat" in seen["page_id"]
    assert "Verification is overdue" in seen["page_en"]
    # the resolution date is still ahead: nothing calls it late, nor the report on schedule
    assert "Terlambat" not in seen["page_id"] and "Penyelesaian terlambat" not in seen["page_id"]
    assert "Masih sesuai jadwal" not in seen["page_id"]
    assert "Resolution is overdue" not in seen["page_en"]
    public = seen["public"]
    assert public["overdue"] is True and public["overdue_step"] == "verify"
    assert public["expected_resolution_at"] is not None and public["clock_paused"] is False
    attributes = seen["open311"]["extended_attributes"]
    assert attributes["overdue_step"] == "verify" and attributes["clock_paused"] is False
    assert seen["open311"]["expected_datetime"] != ""


def test_a_late_resolution_is_named_as_such(api: Api) -> None:
    code = str(api.submit()["code"])
    api.drive(code, "verify", "assign", "start")
    api.clock.now = _deadline(api, code, "resolve") + timedelta(minutes=10)
    seen = _readers(api, code)
    assert "Penyelesaian terlambat" in seen["page_id"]
    assert "Resolution is overdue" in seen["page_en"]
    assert seen["public"]["overdue_step"] == "resolve"
    assert seen["open311"]["extended_attributes"]["overdue_step"] == "resolve"


def test_on_hold_the_clock_reads_as_paused_with_no_fixed_date(api: Api) -> None:
    code = str(api.submit()["code"])
    api.drive(code, "verify", "assign", "start", "hold")
    seen = _readers(api, code)
    assert "Waktu dihentikan sementara selama laporan ditunda" in seen["page_id"]
    assert "Clock paused while the report is on hold" in seen["page_en"]
    assert "Masih sesuai jadwal" not in seen["page_id"] and "On schedule" not in seen["page_en"]
    # no date beside "Target selesai": the line says the clock is paused, nothing more
    line = seen["page_id"].split("Target selesai", 1)[1].split("Pendukung", 1)[0]
    assert not re.search(r"\d{4}", line), line
    public = seen["public"]
    assert public["clock_paused"] is True and public["expected_resolution_at"] is None
    assert public["overdue"] is False and public["overdue_step"] is None
    assert seen["open311"]["expected_datetime"] == ""
    assert seen["open311"]["extended_attributes"]["clock_paused"] is True
    # resumed, a date holds again, and the report is on schedule
    api.drive(code, "resume")
    again = _readers(api, code)
    assert "Masih sesuai jadwal" in again["page_id"]
    assert again["public"]["expected_resolution_at"] is not None


#: How each finished state is reached from a new report (a duplicate: of another report).
FINISHED = {
    "resolved": ("verify", "assign", "start", "resolve"),
    "closed": ("verify", "assign", "start", "resolve", "close"),
    "rejected": ("reject",),
    "duplicate": (),
}


@pytest.mark.parametrize("state", sorted(FINISHED))
def test_a_finished_report_is_expected_done_by_no_date_anywhere(api: Api, state: str) -> None:
    """A tester's report: a resolved report and a closed duplicate still gave
    ``expected_resolution_at`` and Open311's ``expected_datetime``, the deadline of work that
    is over. Finished, nothing is expected of it, on every door alike."""
    code = str(api.submit()["code"])
    assert api.client.get(f"/api/v1/reports/{code}").json()["expected_resolution_at"]
    if state == "duplicate":
        other = str(api.submit(description="Jalan macet parah di depan Monas")["code"])
        response = api.act(code, "mark_duplicate", "admin", duplicate_of=other)
        assert response.status_code == 200, response.text
    api.drive(code, *FINISHED[state])

    seen = _readers(api, code)
    assert seen["public"]["state"]["code"] == state
    assert seen["public"]["expected_resolution_at"] is None
    assert seen["open311"]["expected_datetime"] == ""
    private = api.client.get(
        f"/api/v1/reports/{code}/private", headers={"X-Reporter-Token": api.tokens[code]}
    ).json()
    assert private["report"]["expected_resolution_at"] is None
    listed = api.client.get("/api/v1/reports", params={"limit": 100}).json()["items"]
    assert [r["expected_resolution_at"] for r in listed if r["code"] == code] == [None]
    features = api.client.get("/api/v1/reports.geojson", params={"limit": 100}).json()
    mine = [f["properties"] for f in features["features"] if f["id"] == code]
    assert [p["expected_resolution_at"] for p in mine] == [None]
    xml = ElementTree.fromstring(api.client.get(f"/open311/v2/requests/{code}.xml").content)
    assert [e.text or "" for e in xml.iter("expected_datetime")] == [""]
    assert "Target selesai" not in seen["page_id"]
    assert "Expected done by" not in seen["page_en"]
