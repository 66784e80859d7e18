"""Through the API: staff verify, assign and start a report within minutes, and its reporter
and follower each receive one status mail, in their own language, telling of all of it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.delivery import Outgoing, claim
from engine.outbox import NOT_PUBLIC_NOW
from engine.settings import Settings
from tests.api.conftest import Api


@pytest.fixture
def api_settings(api_settings: Settings) -> Settings:
    return api_settings.model_copy(update={"citizen_mail_hold_minutes": 10})


def _deliver(api: Api) -> list[Outgoing]:
    """One pass of the delivery flow at the API's time: the status mails that leave."""
    with api.transactions.write() as session:
        return [
            m for m in claim(session, now=api.clock.now, limit=100) if m.kind == "citizen_update"
        ]


def test_status_mail_burst_through_the_api_is_one_mail_per_reader_in_their_language(
    api: Api,
) -> None:
    code = api.submit(email="sari@warga.example", name="Sari", language="en")["code"]
    followed = api.client.post(
        f"/api/v1/reports/{code}/supporters", json={"email": "budi@warga.example"}
    )
    assert followed.status_code == 200, followed.text
    api.confirm(code, "budi@warga.example")

    api.drive(code, "verify")  # each step five minutes after the one before
    verified_at = api.clock.now
    assigned = api.act(code, "assign", "admin", note="Regu <lalu lintas> dikirim", public=True)
    assert assigned.status_code == 200, assigned.text
    assert _deliver(api) == []  # the verification's mail is still held
    api.drive(code, "start")
    assert len(api.mails(code)) == 2  # one waiting mail per reader, not one per change

    api.clock.now = verified_at + timedelta(minutes=10)
    reporter, follower = _deliver(api)

    assert (reporter.recipient, reporter.subject) == (
        "sari@warga.example",
        f"[Tanggap] Report {code}: In progress",
    )
    assert "Waiting (verified)" in reporter.text and "Assigned" in reporter.text
    assert "Note from the staff:\n    Regu <lalu lintas> dikirim" in reporter.text
    assert "Regu &lt;lalu lintas&gt; dikirim" in (reporter.html or "")
    assert (follower.recipient, follower.subject) == (
        "budi@warga.example",
        f"[Tanggap] Laporan {code}: Proses",
    )
    assert "Menunggu (terverifikasi)" in follower.text and "Disposisi" in follower.text
    assert "Catatan petugas:\n    Regu <lalu lintas> dikirim" in follower.text
    assert "Sari" not in follower.text + (follower.html or "")
    assert _deliver(api) == []  # nothing more about the burst


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ("unpublish", {"note": "berisi nomor telepon warga"}),
        ("update", {"category": "illegal_levy", "note": "ternyata pungli"}),
    ],
)
def test_a_held_status_mail_to_a_me_too_is_not_sent_once_the_report_is_not_public(
    api: Api, change: str, fields: dict[str, str]
) -> None:
    """A neighbour who said "me too" is told nothing more once the public may not see the
    report; a status mail still held for them when that happens is not sent either. The
    reporter's own mail still goes."""
    code = api.submit(email="sari@warga.example")["code"]
    said = api.client.post(
        f"/api/v1/reports/{code}/supporters", json={"email": "budi@warga.example"}
    )
    assert said.status_code == 200, said.text
    api.confirm(code, "budi@warga.example")
    api.drive(code, "verify")
    changed = api.act(code, change, "admin", **fields)
    assert changed.status_code == 200, changed.text

    api.clock.now += timedelta(minutes=30)
    assert [m.recipient for m in _deliver(api)] == ["sari@warga.example"]
    rows = api.notifications(
        code, "citizen_update", lambda n: (n.recipient, n.status, n.last_error)
    )
    assert ("budi@warga.example", "failed", NOT_PUBLIC_NOW) in rows
