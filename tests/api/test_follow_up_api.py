"""Over HTTP: a reporter's comment (with a photo) and dispute each queue one mail to the
agency working on the report; a staff comment queues none."""

from __future__ import annotations

import base64

from tests.api.conftest import Api
from tests.conftest import make_photo

QUEUE = "dishub.queue@tanggap.example"


def follow_ups(api: Api, code: str) -> list[tuple[str, str, str, str]]:
    """(recipient, subject, text, HTML) of each follow-up mail about ``code``."""
    return api.notifications(
        code, "citizen_follow_up", lambda n: (n.recipient, n.subject, n.body, n.html_body or "")
    )


def test_reporter_comment_and_dispute_reach_the_agency_queue(api: Api) -> None:
    reporter = {"name": "Sari", "email": "sari@warga.example", "phone": "081234567890"}
    code = api.submit(**reporter, private=True)["code"]
    headers = {"X-Reporter-Token": api.tokens[code]}
    photo = base64.b64encode(make_photo()).decode()

    commented = api.client.post(
        f"/api/v1/reports/{code}/comments",
        json={"text": "sekarang lebih parah <b>tolong</b>", "photos": [photo]},
        headers=headers,
    )
    assert commented.status_code == 200, commented.text
    ((recipient, subject, text, html),) = follow_ups(api, code)
    assert recipient == QUEUE
    assert subject == (
        f"[Tanggap] {code} tanggapan warga / citizen's comment: Kemacetan, Kelurahan Gambir"
    )
    assert (
        f"Pelapor laporan {code} menambahkan tanggapan dengan 1 foto.\n"
        f"The reporter of report {code} added a comment with 1 photo.\n"
    ) in text
    assert "Tanggapan warga / the citizen's comment:\nsekarang lebih parah <b>tolong</b>\n" in text
    assert "sekarang lebih parah &lt;b&gt;tolong&lt;/b&gt;" in html
    assert f"/staff/tickets/{code}" in text
    for contact in ("Sari", "sari@", "081234567890"):
        assert contact not in subject + text + html

    staff = api.act(code, "comment", note="sudah kami cek")
    assert staff.status_code == 200, staff.text
    assert len(follow_ups(api, code)) == 1  # staff's own comment mails no staff

    api.drive(code, "verify", "assign", "start", "resolve")
    disputed = api.client.post(
        f"/api/v1/reports/{code}/dispute", json={"reason": "masih macet"}, headers=headers
    )
    assert disputed.status_code == 200, disputed.text
    _, (recipient, subject, text, _html) = follow_ups(api, code)
    assert recipient == QUEUE
    assert subject == (
        f"[Tanggap] {code} DISANGGAH warga / DISPUTED by the citizen: Kemacetan, Kelurahan Gambir"
    )
    assert "Disanggah: warga menyatakan perbaikan tidak bertahan." in text
    assert "Disputed: the citizen says the fix did not hold." in text
    assert "Alasan sanggahan dari warga / the citizen's reason for the dispute:\nmasih macet\n" in (
        text
    )
