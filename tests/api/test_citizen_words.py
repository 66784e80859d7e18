"""A citizen's own words (comment, dispute reason, rating note) are never public: not in the
JSON report, the tracking page, Open311 or its updates, nor mailed back as the staff's note.
The reporter sees them again under ``own_notes``; staff's public notes stay public."""

from __future__ import annotations

import pytest

from engine.settings import Settings
from tests.api.conftest import Api, each_change_mailed_at_once

REASON = "Masih macet parah, tidak ada petugas"
STAFF_NOTE = "petugas diturunkan"


@pytest.fixture
def api_settings(api_settings: Settings) -> Settings:
    """Each change's mail on its own (``each_change_mailed_at_once``)."""
    return each_change_mailed_at_once(api_settings)


def _disputed(api: Api, **report: object) -> str:
    code = str(api.submit(**report)["code"])
    api.drive(code, "verify", "assign", "start", "resolve")
    disputed = api.client.post(
        f"/api/v1/reports/{code}/dispute",
        json={"reason": REASON},
        headers={"X-Reporter-Token": api.tokens[code]},
    )
    assert disputed.status_code == 200, disputed.text
    return code


def test_dispute_reason_is_private_everywhere_public(api: Api) -> None:
    code = _disputed(api)
    comment = api.client.post(
        f"/api/v1/reports/{code}/comments",
        json={"text": "tolong cepat"},
        headers={"X-Reporter-Token": api.tokens[code]},
    )
    assert comment.status_code == 200, comment.text

    public = api.client.get(f"/api/v1/reports/{code}")
    assert public.status_code == 200
    notes = [e["note"] for e in public.json()["timeline"]]
    assert STAFF_NOTE in notes  # staff's resolve note stays public
    assert REASON not in public.text and "tolong cepat" not in public.text

    page = api.client.get(f"/t/{code}")
    assert page.status_code == 200
    assert STAFF_NOTE in page.text and REASON not in page.text

    for fmt in ("json", "xml"):
        one = api.client.get(f"/open311/v2/requests/{code}.{fmt}")
        assert one.status_code == 200, one.text
        assert REASON not in one.text and "tolong cepat" not in one.text
        listed = api.client.get(f"/open311/v2/requests.{fmt}")
        assert code in listed.text and REASON not in listed.text
        updates = api.client.get(
            f"/open311/v2/servicerequestupdates.{fmt}",
            params={"start_date": "2026-01-01T00:00:00Z"},
        )
        assert updates.status_code == 200, updates.text
        assert STAFF_NOTE in updates.text and REASON not in updates.text
    item = api.client.get(f"/open311/v2/requests/{code}.json").json()[0]
    # Reopened by the dispute: the resolution note no longer describes the status, and the
    # reporter's reason is not public.
    assert (item["status"], item["status_notes"]) == ("open", "")

    mine = api.client.get(
        f"/api/v1/reports/{code}/private", headers={"X-Reporter-Token": api.tokens[code]}
    )
    assert mine.status_code == 200
    assert [n["note"] for n in mine.json()["own_notes"]] == [REASON, "tolong cepat"]


def _mail_bodies(api: Api, code: str) -> list[str]:
    return api.notifications(code, "citizen_update", lambda n: n.body + (n.html_body or ""))


def test_status_mail_after_a_dispute_does_not_call_the_reason_the_staffs(api: Api) -> None:
    for language, staff_label in (("en", "Note from the staff"), ("id", "Catatan petugas")):
        code = _disputed(api, email=f"sari.{language}@warga.example", language=language)
        *earlier, reopened = _mail_bodies(api, code)
        resolved = earlier[-1]
        assert STAFF_NOTE in resolved and staff_label in resolved  # staff's note keeps its label
        assert REASON not in reopened
        assert staff_label not in reopened
