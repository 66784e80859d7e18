"""One ticket for staff at ``/staff/tickets/{code}``: everything ``GET /api/v1/tickets/{code}``
returns (``engine.queries.staff.ticket_detail``, the same query), as a page.

The full timeline — internal notes, the citizen's comments and dispute reasons — the photos,
the SLA timers in the order work happens, the reporter only as the API's role rules allow (a
private report's reporter: admins only), and the same action forms as the worklist, posted with
the ticket's version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.deps import NowDep, ReadSessionDep
from api.strict_json import StrictRoute
from api.web.i18n import Translator
from api.web.pages import LanguageDep
from api.web.staff_actions import (
    NO_NOTICE,
    Done,
    DoneDep,
    categories,
    offered,
    time_left,
    working_time_words,
)
from api.web.staff_session import HolderDep, page, to_sign_in
from engine import Forbidden, KeyHolder, Language, NotFound, Role, ticket_detail
from engine.presentation import present
from engine.queries.roster import (
    list_agencies,
    officers_by_agency,
    other_agencies,
    other_officers,
    transfer_key,
    withheld_categories,
)
from engine.timeline import TimerView
from sla.policy import WORK_ORDER

router = APIRouter(include_in_schema=False, route_class=StrictRoute)


def in_work_order(timers: list[TimerView]) -> list[TimerView]:
    """Cycle by cycle (a reopen starts a new one), each cycle's timers as work happens."""
    rank = {kind.value: n for n, kind in enumerate(WORK_ORDER)}
    return sorted(timers, key=lambda tm: (tm.cycle, rank.get(tm.kind, len(rank)), tm.started_at))


def ticket_page(
    request: Request,
    session: Session,
    holder: KeyHolder,
    code: str,
    language: Language,
    now: datetime,
    *,
    problem: dict[str, Any] | None = None,
    status: int = 200,
    notice: Done = NO_NOTICE,
) -> Response:
    t = Translator(language)
    try:
        detail = ticket_detail(session, holder, code[:64], now=now)
    except (NotFound, Forbidden) as exc:
        return page(
            request,
            "staff/ticket_missing.html",
            language,
            {
                "holder": holder,
                "code": code[:64],
                "forbidden": isinstance(exc, Forbidden),
                "is_supervisor": holder.role in (Role.SUPERVISOR, Role.ADMIN),
            },
            # a ticket out of the key's scope exists: its title must not say "not found"
            status=403 if isinstance(exc, Forbidden) else 404,
            title=(
                "staff.ticket_forbidden_title"
                if isinstance(exc, Forbidden)
                else "staff.ticket_missing_title"
            ),
        )
    ticket = detail.public
    known = categories(session)
    agencies = list_agencies(session)
    withheld = ticket.category_code in withheld_categories(session)
    suggested = transfer_key(ticket.agency_code, withheld)
    return page(
        request,
        "staff/ticket.html",
        language,
        {
            "holder": holder,
            "is_supervisor": holder.role in (Role.SUPERVISOR, Role.ADMIN),
            "d": detail,
            "tk": ticket,
            "events": [(e, present(e.to_state)) for e in detail.events],
            "timers": in_work_order(detail.timers),
            "actions": offered(detail.allowed, ticket_page=True),
            # Whom and where the ticket can go: not to whom, nor where, it is already.
            "officers": other_officers(
                officers_by_agency(session, {ticket.agency_code}).get(ticket.agency_code, []),
                detail.officer_email,
            ),
            "transfer_to": {
                suggested: other_agencies(agencies, ticket.agency_code, withheld=withheld)
            },
            "transfer_key": suggested,
            "proof_required": ticket.category_code in known.proof,
            "left": time_left(t, now),
            "span": lambda delta: working_time_words(t, delta),
            "problem": problem,
            "done": notice.of(ticket.code),
            "did": notice.trigger,
        },
        status=status,
        title="staff.ticket_title",
    )


@router.get("/staff/tickets/{code}")
def staff_ticket(
    request: Request,
    code: str,
    language: LanguageDep,
    holder: HolderDep,
    session: ReadSessionDep,
    now: NowDep,
    notice: DoneDep,
) -> Response:
    if holder is None:
        return to_sign_in(request)
    return ticket_page(request, session, holder, code, language, now, notice=notice)
