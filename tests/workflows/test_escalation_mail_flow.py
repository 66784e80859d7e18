"""End to end under Prefect: a report nobody verified is escalated by the ``sla-sweep`` flow,
the ``deliver-notifications`` flow mails the agency head and the kelurahan office through
(a local) SendGrid, a rerun mails nobody again, and a bounce sends the level up the chain."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from fake_sendgrid import FakeSendGrid
from prefect import get_client
from sqlalchemy import delete, select

from engine.db import Database
from engine.models import Notification, Ticket, UndeliverableAddress
from engine.settings import Settings
from workflows import resources
from workflows.deliver_notifications import deliver_notifications
from workflows.mail import SendGridBackend
from workflows.sla_sweep import sla_sweep

#: Monday 23 Nov 2026 09:00 WIB: the report comes in (traffic jam → Dishub, Kelurahan Gambir).
SUBMITTED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
#: Tuesday 10:00 WIB: an hour past the one-working-day verification target.
TUESDAY_10_WIB = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


@pytest.fixture
def flows_use(
    monkeypatch: pytest.MonkeyPatch, mail_settings: Settings, flow_database: Database
) -> None:
    monkeypatch.setattr(resources, "now", lambda: TUESDAY_10_WIB)
    monkeypatch.setattr(resources, "settings", lambda: mail_settings)
    monkeypatch.setattr(resources, "mail_backend", lambda: SendGridBackend(mail_settings))


@pytest.fixture
def forgets_flagged_addresses(flow_database: Database) -> Iterator[None]:
    """The bounce below flags an agency head in a committed database that later tests share."""
    yield
    with flow_database.transaction() as session:
        session.execute(delete(UndeliverableAddress))


def test_unverified_report_escalates_by_mail_once_and_a_bounce_goes_up_the_chain(
    forgets_flagged_addresses: None,
    prefect_server: None,
    flows_use: None,
    flow_database: Database,
    fake_sendgrid: FakeSendGrid,
    webhook: str,
    report_committed: Callable[..., Ticket],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ticket = report_committed(now=SUBMITTED, description="Macet total <b>depan</b> Monas")

    swept = sla_sweep(return_state=True)
    sweep = swept.result()
    state = deliver_notifications(return_state=True)
    delivered = state.result()
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
        sweep_run = client.read_flow_run(swept.state_details.flow_run_id)
    # The run list says what each run did, in counts that agree with their nouns.
    assert run.name == "deliver: 2 attempted: 2 sent"
    assert sweep_run.name == "sweep: 1 ticket, 2 levels, 2 mails queued"

    # Warning (75 %) and breach (100 %) both fell due; only the breach is mailed.
    assert (sweep["escalations"], sweep["not_mailed"], sweep["notifications"]) == (2, 1, 2)
    assert delivered["sent"] == 2
    head, kelurahan = "dishub.head@tanggap.example", "kel-gambir.head@tanggap.example"
    assert sorted(m.to[0] for m in fake_sendgrid.accepted) == [head, kelurahan]
    (mail,) = fake_sendgrid.mails_to(head)
    assert mail.subject == (
        f"[Tanggap] {ticket.code} MELEWATI BATAS verifikasi (100%) — lewat batas waktu / "
        "deadline passed: Kemacetan, Kelurahan Gambir"
    )
    assert mail.text is not None and mail.html is not None
    # The HTML's heading names the level too (the title is the subject).
    assert (
        f"{ticket.code} — MELEWATI BATAS verifikasi (100%) — lewat batas waktu / deadline passed"
        "</h2>"
    ) in mail.html
    for words in (
        f"Laporan {ticket.code} — Kemacetan / Traffic jam",
        "Tenggat verifikasi / verification deadline: 24 November 2026 pukul 09.00 WIB"
        " / 24 November 2026 at 09:00 WIB",
        "Terlambat / overdue by: 1 jam 00 menit / 1 h 00 min (waktu kalender / calendar time)",
        "Tingkat eskalasi / escalation level: lewat batas waktu / deadline passed"
        " (100% dari target / of target)",
        "Macet total <b>depan</b> Monas",
        "Tangani di halaman staf / act on it on the staff page: "
        f"http://127.0.0.1:8000/staff/tickets/{ticket.code}",
    ):
        assert words in mail.text
    # The warning came due with the breach and was recorded without mail: nobody was told.
    assert "warning (75%)" not in mail.text and "told before" not in mail.text
    assert "Macet total &lt;b&gt;depan&lt;/b&gt; Monas" in mail.html  # citizen text is data
    assert "<b>depan</b>" not in mail.html

    assert sla_sweep()["escalations"] == 0
    assert deliver_notifications() == {}  # nothing due: nothing sent again
    assert len(fake_sendgrid.accepted) == 2

    # Days later the agency head's mailbox is found dead; SendGrid says so through the Event
    # Webhook, which records it at the present time.
    monkeypatch.setattr(resources, "now", lambda: datetime.now(UTC))
    bounce = fake_sendgrid.event(mail, "bounce", reason="550 5.1.1 mailbox unavailable")
    assert fake_sendgrid.post_events([bounce]) == 204
    assert deliver_notifications()["sent"] == 2  # the level, forwarded; and the operator alert

    kecamatan = "kec-gambir.head@tanggap.example"
    (forwarded,) = fake_sendgrid.mails_to(kecamatan)
    assert forwarded.subject == mail.subject
    assert forwarded.text is not None
    assert forwarded.text.startswith(
        f"Diteruskan kepada Anda: surel ke {head} tidak dapat diterima."
    )
    # The HTML part, which most mail clients show, says so too, before the escalation.
    assert forwarded.html is not None
    note = forwarded.html.index("<strong>Diteruskan kepada Anda:</strong> surel ke ")
    assert f"surel ke {head} tidak dapat diterima." in forwarded.html
    assert f"<strong>Forwarded to you:</strong> mail to {head} could not be delivered." in (
        forwarded.html
    )
    assert note < forwarded.html.index(f"{ticket.code} — MELEWATI BATAS verifikasi")
    (alert,) = fake_sendgrid.mails_to("ops@jakarta.example")
    assert alert.subject == f"[Tanggap] undeliverable address {head} (bounce)"
    with flow_database.reading() as session:
        flagged = session.scalars(select(UndeliverableAddress.email)).all()
        bounced = session.scalars(
            select(Notification).where(
                Notification.ticket_id == ticket.id, Notification.recipient == head
            )
        ).one()
    assert head in flagged
    assert (bounced.status, bounced.last_event) == ("sent", "bounce")
    assert len(fake_sendgrid.accepted) == 4
