"""An address flagged undeliverable (after a bounce or drop) gets no new mail: at queue time the
level goes to the next recipient up the chain, who reads why; the operator sees why too."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from engine import environment
from engine.escalation import sweep_batch
from engine.models import Agency, Notification, Ticket, UndeliverableAddress

WIB = ZoneInfo("Asia/Jakarta")
MONDAY_9_WIB = datetime(2026, 11, 23, 9, tzinfo=WIB)
#: An hour past the one-working-day verification target: only the breach level is mailed.
TUESDAY_10_WIB = datetime(2026, 11, 24, 10, tzinfo=WIB)
BOUNCED = "550 5.1.1 mailbox unavailable"


def head_of(desk, code: str) -> str:
    return desk.session.scalars(select(Agency.head_email).where(Agency.code == code)).one()


def flag(desk, *codes: str) -> None:
    for code in codes:
        desk.session.add(
            UndeliverableAddress(
                email=head_of(desk, code).lower(),
                event="bounce",
                reason=BOUNCED,
                flagged_at=datetime(2026, 11, 20, tzinfo=UTC),
            )
        )
    desk.session.flush()


def escalation_mails(desk, ticket: Ticket) -> dict[str, Notification]:
    rows = desk.session.scalars(
        select(Notification).where(
            Notification.ticket_id == ticket.id, Notification.kind == "escalation"
        )
    )
    return {row.recipient: row for row in rows}


def test_breach_skips_flagged_agency_head_and_goes_up_the_chain_saying_why(desk) -> None:
    desk.now = MONDAY_9_WIB
    ticket = desk.submit()  # traffic jam at Monas: Dishub, Kelurahan Gambir
    head, kelurahan, kecamatan = (head_of(desk, c) for c in ("DISHUB", "KEL-GAMBIR", "KEC-GAMBIR"))
    flag(desk, "DISHUB")

    sweep_batch(desk.session, now=TUESDAY_10_WIB)

    mails = escalation_mails(desk, ticket)
    # The breach asks for the agency head and the kelurahan office; the head's mailbox is dead,
    # the kelurahan has this level anyway, so the kecamatan office stands in.
    assert sorted(mails) == sorted([kelurahan, kecamatan])
    asked, stand_in = mails[kelurahan], mails[kecamatan]
    assert stand_in.subject == asked.subject
    assert stand_in.recipient_kind == "area_office:kecamatan"
    assert stand_in.body.startswith(
        f"Diteruskan kepada Anda: surel ke {head} tidak dapat diterima.\n"
        f"Forwarded to you: mail to {head} could not be delivered.\n\n"
    )
    assert stand_in.body.endswith(asked.body)
    assert stand_in.html_body is not None and asked.html_body is not None
    note_at = stand_in.html_body.index("<strong>Diteruskan kepada Anda:</strong> surel ke ")
    assert f"surel ke {head} tidak dapat diterima." in stand_in.html_body
    assert f"mail to {head} could not be delivered." in stand_in.html_body
    assert note_at < stand_in.html_body.index("<h2")  # read before the escalation itself
    assert "Diteruskan" not in asked.body + asked.html_body
    assert stand_in.note == (f"instead of {head} (agency_head), undeliverable (bounce: {BOUNCED})")
    assert asked.note is None


def test_two_flagged_addresses_each_get_their_own_stand_in(desk) -> None:
    desk.now = MONDAY_9_WIB
    ticket = desk.submit()
    flag(desk, "DISHUB", "KEL-GAMBIR")

    sweep_batch(desk.session, now=TUESDAY_10_WIB)

    mails = escalation_mails(desk, ticket)
    assert {row.recipient: row.recipient_kind for row in mails.values()} == {
        head_of(desk, "KEC-GAMBIR"): "area_office:kecamatan",
        head_of(desk, "WALKOT-JP"): "area_office:kota",
    }
    kota = mails[head_of(desk, "WALKOT-JP")]
    assert kota.body.startswith(
        f"Diteruskan kepada Anda: surel ke {head_of(desk, 'KEL-GAMBIR')} tidak dapat diterima."
    )


def test_nobody_left_up_the_chain_tells_the_operator_once(
    desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = desk.settings.model_copy(update={"operator_email": "ops@jakarta.example"})
    monkeypatch.setattr(environment, "settings", lambda: settings)
    desk.now = MONDAY_9_WIB
    ticket = desk.submit()
    flag(desk, "DISHUB", "KEL-GAMBIR", "KEC-GAMBIR", "WALKOT-JP", "GUB")

    sweep_batch(desk.session, now=TUESDAY_10_WIB)
    sweep_batch(desk.session, now=TUESDAY_10_WIB)

    assert escalation_mails(desk, ticket) == {}
    (alert,) = desk.session.scalars(
        select(Notification).where(Notification.kind == "operator_alert")
    ).all()
    assert alert.recipient == "ops@jakarta.example"
    assert alert.subject == f"[Tanggap] {ticket.code} breach: nobody up the chain can be mailed"
    assert f"{head_of(desk, 'DISHUB')} (agency_head)" in alert.body
    assert "Correct the addresses in the catalogue." in alert.body
