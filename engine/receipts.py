"""The reporter's receipt when the city's staff filed their report for them (a walk-in, a
caller): the private link to the report, mailed to the address the reporter gave.

A report filed through the citizen's own doors shows its reporter token once, in the answer
(the report page's receipt, the API's ``reporter_token``, an Open311 app's answer). A staff
filing never does: whoever holds the token may dispute or rate the fix as the reporter, and
the city's own staff must not dispute or rate the city's fix. The token goes to the reporter
alone, by mail, or to nobody (no address given: they follow the report by its code).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import letters
from engine.lifecycle import STAFF_ROLES
from engine.models import NotificationKind, Ticket, UndeliverableAddress
from engine.outbox import enqueue, pending_row, private_link, stop_link, ticket_link
from engine.settings import Settings


def staff_filed(role: str) -> bool:
    """Whether a submission by ``role`` is staff filing for a caller (no token in the answer)."""
    return role in STAFF_ROLES


def mail_receipt(
    session: Session,
    ticket: Ticket,
    *,
    token: str,
    category_id: str,
    category_en: str,
    public: bool,
    unsubscribe_token: str,
    now: datetime,
    settings: Settings,
) -> bool:
    """Queue the receipt with ``token``'s private link to ``ticket``'s reporter, in their
    language, its links too (``unsubscribe_token``: the reporter's subscription's); False
    (nothing queued) without an address or to one known undeliverable."""
    address = (ticket.reporter_email or "").lower()
    if not address:
        return False
    dead = session.scalar(
        select(UndeliverableAddress.email).where(UndeliverableAddress.email == address)
    )
    if dead is not None:
        return False
    lang = letters.language(ticket.reporter_language)
    unsubscribe = stop_link(unsubscribe_token, settings.public_base_url, lang=lang)
    letter = letters.render(
        "reporter_receipt",
        lang,
        code=ticket.code,
        name=ticket.reporter_name,
        category=category_en if lang == "en" else category_id,
        private_link=private_link(ticket.code, token, settings.public_base_url, lang=lang),
        link=ticket_link(ticket.code, settings.public_base_url, lang=lang),
        public=public,
        dispute_days=settings.dispute_window_days,
        unsubscribe_link=unsubscribe,
    )
    enqueue(
        session,
        [
            pending_row(
                kind=NotificationKind.REPORTER_RECEIPT,
                ticket_id=ticket.id,
                recipient=address,
                recipient_kind="reporter",
                subject=letter.subject,
                now=now,
                language=lang,
                body=letter.body,
                html_body=letter.html,
                unsubscribe_url=unsubscribe,
                dedupe_key=f"receipt:{ticket.id}",
                links_base_url=settings.public_base_url,
            )
        ],
    )
    return True
