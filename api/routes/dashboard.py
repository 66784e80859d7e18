"""Supervisor dashboard API: open tickets by SLA status (the map and the time-to-breach list),
backlog per agency or area, one ticket's SLA story, and escalation mail addressed to the key's
agency. The web dashboard (``/dashboard``) shows the same engine queries."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import NowDep, ReadSessionDep, StaffKey, SupervisorKey
from api.query import INSTANT, WHOLE
from api.schemas.dashboard import AddressedRead, BacklogRead, BoardTicketRead, SlaStoryRead
from api.strict_json import StrictRoute
from engine.instants import given_instant
from engine.queries.oversight import backlog, board, escalations_addressed, sla_story

router = APIRouter(prefix="/api/v1", tags=["supervisors"], route_class=StrictRoute)


class BacklogBy(StrEnum):
    AGENCY = "agency"
    AREA = "area"


Limit = Annotated[int, WHOLE, Query(ge=1, le=5000)]


@router.get("/dashboard/tickets", response_model=list[BoardTicketRead])
def read_board(
    key: SupervisorKey, session: ReadSessionDep, now: NowDep, limit: Limit = 1000
) -> list[BoardTicketRead]:
    """Open tickets in the key's agency/area with their place and SLA status (on_time, at_risk
    — the policy's warning level has fallen due —, breached), earliest deadline first."""
    return [BoardTicketRead.of(t) for t in board(session, key, now=now, limit=limit)]


@router.get("/dashboard/backlog", response_model=list[BacklogRead])
def read_backlog(
    key: SupervisorKey,
    session: ReadSessionDep,
    now: NowDep,
    by: BacklogBy = BacklogBy.AGENCY,
) -> list[BacklogRead]:
    """Open tickets per agency or area, counted by SLA status, largest backlog first: every
    open ticket the key sees is counted."""
    tickets = board(session, key, now=now, limit=None)
    return [BacklogRead.of(g) for g in backlog(tickets, by=by.value)]


@router.get("/tickets/{code}/sla", response_model=SlaStoryRead, tags=["staff"])
def read_sla_story(code: str, key: StaffKey, session: ReadSessionDep, now: NowDep) -> SlaStoryRead:
    """A ticket's SLA timeline: each timer's start, pauses, deadline and stop, and each ladder
    level reached with who was mailed and what became of the mail."""
    return SlaStoryRead.of(sla_story(session, key, code, now=now))


@router.get("/dashboard/escalations", response_model=list[AddressedRead])
def read_addressed(
    key: SupervisorKey,
    session: ReadSessionDep,
    now: NowDep,
    since: Annotated[datetime | None, INSTANT] = None,
    limit: Annotated[int, WHOLE, Query(ge=1, le=1000)] = 200,
) -> list[AddressedRead]:
    """Escalation mail sent to the key's agency (its queue or its head), newest first
    (default: the last 7 days)."""
    start = given_instant("since", since) or now - timedelta(days=7)
    found = escalations_addressed(session, key, since=start, limit=limit)
    return [AddressedRead.of(e) for e in found]
