"""Staff and supervisor API: worklists, ticket detail, transitions, submission on behalf,
figures. Every route needs an api key (``Authorization: Bearer …``)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import StringConstraints

from api.deps import (
    KeyInReach,
    NowDep,
    ReadSessionDep,
    SessionDep,
    SettingsDep,
    StaffKey,
    StorageDep,
    SupervisorKey,
)
from api.errors import REPORT_FIELDS, request_fields
from api.query import GIVEN, INSTANT, NUMBER, STATES, WHOLE
from api.routes.reports import to_report
from api.schemas.public import StateRead
from api.schemas.staff import (
    EscalationRead,
    FiguresRead,
    StaffReportCreate,
    StaffReportCreated,
    TicketRead,
    TransitionCreate,
    TransitionRead,
    WorkItemRead,
    WorkPageRead,
)
from api.strict_json import StrictRoute
from api.uploads import (
    check_photo,
    photos_json_limit,
    photos_only_as_files,
    read_body,
    read_report,
    sent_as_json,
    with_photos,
)
from engine import (
    GroupBy,
    RuleViolated,
    State,
    WorkFilter,
    act,
    figures,
    list_escalations,
    present,
    submit_report,
    ticket_detail,
    worklist,
)
from engine.db import VERSION_MAX
from engine.errors import shown
from engine.instants import given_instant
from engine.keys import may_fire
from engine.queries.tickets import AT_RISK_HOURS_MAX
from engine.text import LIMITS

router = APIRouter(prefix="/api/v1", tags=["staff"], route_class=StrictRoute)


class WorkQuery:
    def __init__(
        self,
        agency: Annotated[
            list[Annotated[str, StringConstraints(max_length=LIMITS["agency_code"])]] | None,
            GIVEN,
            Query(max_length=50, description="one or several: any of them"),
        ] = None,
        state: Annotated[
            list[State] | None, STATES, Query(description="default: all open states")
        ] = None,
        category: Annotated[
            list[Annotated[str, StringConstraints(max_length=LIMITS["category_code"])]] | None,
            GIVEN,
            Query(max_length=50, description="one or several: any of them"),
        ] = None,
        area: Annotated[
            list[Annotated[str, StringConstraints(max_length=LIMITS["area_code"])]] | None,
            GIVEN,
            Query(max_length=50, description="one or several, each with the areas beneath it"),
        ] = None,
        officer: Annotated[
            str | None,
            Query(max_length=LIMITS["staff_email"], description="the assigned officer's e-mail"),
        ] = None,
        overdue: bool = False,
        at_risk_hours: Annotated[
            float | None,
            NUMBER,
            Query(gt=0, le=AT_RISK_HOURS_MAX, description="deadline within this many hours"),
        ] = None,
        limit: Annotated[int, WHOLE, Query(ge=1, le=500)] = 100,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
    ) -> None:
        self.filter = WorkFilter(
            agencies=tuple(dict.fromkeys(agency or ())),
            states=tuple(s.value for s in state or ()),
            categories=tuple(dict.fromkeys(category or ())),
            areas=tuple(dict.fromkeys(area or ())),
            officer=officer,
            overdue=overdue,
            at_risk_hours=at_risk_hours,
        )
        self.limit, self.cursor = limit, cursor


@router.get("/tickets", response_model=WorkPageRead)
def list_tickets(
    query: Annotated[WorkQuery, Depends()], key: StaffKey, session: ReadSessionDep, now: NowDep
) -> WorkPageRead:
    """The worklist: tickets in the key's agency/area, most urgent first, ranked as every
    worklist is (`tanggap ticket list` too): the overdue, then the running by earliest SLA
    deadline, then those on hold (clocks paused), the longest hold first. `at_risk_hours`
    leaves out tickets on hold: a paused deadline moves.

    Later pages are ranked as the first was (`as_of`, kept by `next_cursor`): a deadline
    passing while a client walks the pages moves no ticket. The filters and each item's
    `overdue` are as of now. What else changed since `as_of` (an event that may move a clock,
    a catalogue load) cannot be ranked as it stood then: `changed` counts those tickets, which
    may show twice or not at all on the pages still to come; start again from the first page
    to see them in place."""
    page = worklist(session, key, query.filter, now=now, limit=query.limit, cursor=query.cursor)
    return WorkPageRead(
        items=[WorkItemRead.of(w) for w in page.items],
        next_cursor=page.next_cursor,
        as_of=page.as_of,
        changed=page.changed,
    )


_CSV_COLUMNS = [
    "code",
    "state",
    "label_id",
    "category",
    "priority",
    "agency",
    "area",
    "officer",
    "created_at",
    "due_at",
    "overdue",
    "on_hold_since",
    "version",
    "description",
]


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell starting like a formula runs as one in a spreadsheet: quote it as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get(
    "/tickets.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def list_tickets_csv(
    query: Annotated[WorkQuery, Depends()],
    key: StaffKey,
    session: ReadSessionDep,
    now: NowDep,
    settings: SettingsDep,
) -> Response:
    """The worklist as CSV (next page cursor in the `Link`-like `X-Next-Cursor` header; the
    JSON list's `as_of` and `changed` in `X-As-Of` and `X-Changed`).

    Times are the city's (`TANGGAP_TIMEZONE`), to the second, with their offset
    (`2026-12-01T09:30:00+07:00`): what the staff page shows, and still one instant."""
    page = worklist(session, key, query.filter, now=now, limit=query.limit, cursor=query.cursor)
    zone = ZoneInfo(settings.timezone)

    def local(at: datetime | None) -> str:
        return at.astimezone(zone).replace(microsecond=0).isoformat() if at else ""

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_CSV_COLUMNS)
    for w in page.items:
        row = [
            w.code,
            w.state.state.value,
            w.state.label_id,
            w.category,
            w.priority,
            w.agency,
            w.area,
            w.officer,
            local(w.created_at),
            local(w.due_at),
            w.overdue,
            local(w.on_hold_since),
            w.version,
            w.description,
        ]
        writer.writerow([_cell(v) for v in row])
    headers = {"X-As-Of": local(page.as_of), "X-Changed": str(page.changed)}
    if page.next_cursor:
        headers["X-Next-Cursor"] = page.next_cursor
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def etag(version: int) -> str:
    return f'"v{version}"'


def _if_match(value: str | None) -> int | None:
    if not value:
        return None
    text = value.strip()
    if text.startswith("W/"):
        # RFC 9110 13.1.1: If-Match compares strongly, so a weak tag never matches
        raise RuleViolated(
            f'If-Match takes the ETag as sent, such as "v3": a weak one ({shown(value)}) '
            "never matches",
            key="invalid_request",
            params={"field": "If-Match"},
        )
    quoted = len(text) > 2 and text[0] == text[-1] == '"'  # an entity-tag is quoted
    text = text[1:-1] if quoted else ""
    digits = text[1:]
    # compared strongly, character by character: "v01" is not the ETag "v1" of any version
    canonical = digits.isascii() and digits.isdigit() and digits == str(int(digits))
    if not text.startswith("v") or not canonical:
        raise RuleViolated(
            f'If-Match must be an ETag of this ticket, such as "v3", not {shown(value)}',
            key="invalid_request",
            params={"field": "If-Match"},
        )
    version = int(text[1:])
    if version > VERSION_MAX:  # no ticket's: refused, not echoed back in a 409
        raise RuleViolated(
            f"If-Match names no version a ticket can have (at most v{VERSION_MAX})",
            key="invalid_request",
            params={"field": "If-Match"},
        )
    return version


def _expected_version(in_body: int | None, in_header: int | None) -> int | None:
    """The version the caller read, from the body or If-Match; both, they must agree."""
    if in_body is not None and in_header is not None and in_body != in_header:
        raise RuleViolated(
            f"expected_version {in_body} and If-Match v{in_header} disagree: send one, "
            "or the same version in both",
            key="versions_disagree",
            params={"field": "expected_version", "body": in_body, "header": in_header},
        )
    return in_body if in_body is not None else in_header


@router.get("/tickets/{code}", response_model=TicketRead)
def read_ticket(
    code: str, key: StaffKey, session: ReadSessionDep, now: NowDep, response: Response
) -> TicketRead:
    """A ticket in full: timeline with internal notes, SLA timers and escalations, next actions."""
    detail = ticket_detail(session, key, code, now=now)
    response.headers["ETag"] = etag(detail.version)
    return TicketRead.of(detail)


async def _transition_body(
    request: Request, settings: SettingsDep
) -> tuple[TransitionCreate, list[bytes]]:
    return await read_body(
        request, settings, TransitionCreate, json_limit=photos_json_limit(settings)
    )


@router.post(
    "/tickets/{code}/transitions",
    response_model=TransitionRead,
    openapi_extra=with_photos(TransitionCreate),
)
def transition(
    code: str,
    # The key, and whether it sees the ticket, before the body: whoever may not act here hears
    # that, not what their body lacks.
    key: KeyInReach,
    parsed: Annotated[tuple[TransitionCreate, list[bytes]], Depends(_transition_body)],
    session: SessionDep,
    storage: StorageDep,
    now: NowDep,
    settings: SettingsDep,
    response: Response,
    request: Request,
    if_match: Annotated[str | None, Header(max_length=100)] = None,
) -> TransitionRead:
    """Fire a trigger (JSON, or multipart with proof photos as `photos` files). The version you
    read is required (body or `If-Match`): 409 when stale."""
    body, files = parsed
    if len(request.headers.getlist("if-match")) > 1:
        # which one was meant is not ours to guess (the first used to win)
        raise RuleViolated(
            "If-Match is given more than once; send it once",
            key="invalid_request",
            params={"field": "If-Match"},
        )
    expected = _expected_version(body.expected_version, _if_match(if_match))
    if expected is None:
        raise RuleViolated(
            "say which version you read: expected_version or If-Match",
            params={"field": "expected_version"},
        )
    sent = [*body.photos, *files]
    photos = [check_photo(p, settings, f"photo {n}") for n, p in enumerate(sent, 1)]
    ticket = act(
        session,
        key,
        code,
        body.trigger.value,
        now=now,
        settings=settings,
        storage=storage,
        expected_version=expected,
        **body.fields(photos),
    )
    response.headers["ETag"] = etag(ticket.version)
    return TransitionRead(
        code=ticket.code,
        state=StateRead.of(present(ticket.state, ticket.last_trigger)),
        version=ticket.version,
        allowed_actions=[t.value for t in may_fire(session, key, ticket, now=now)],
    )


async def _staff_report(
    request: Request, settings: SettingsDep
) -> tuple[StaffReportCreate, list[bytes]]:
    body, photos = await read_report(request, settings, StaffReportCreate)
    assert isinstance(body, StaffReportCreate)
    return body, photos


@router.post(
    "/tickets",
    status_code=201,
    response_model=StaffReportCreated,
    openapi_extra=with_photos(StaffReportCreate),
)
def submit_on_behalf(
    request: Request,
    key: StaffKey,  # before the body, as on transitions
    parsed: Annotated[tuple[StaffReportCreate, list[bytes]], Depends(_staff_report)],
    session: SessionDep,
    storage: StorageDep,
    now: NowDep,
    settings: SettingsDep,
) -> StaffReportCreated:
    """Staff file a report for a caller (walk-in, phone, e-mail, WhatsApp): recorded as staff's,
    in a staff channel (`channel`: walk-in, phone, email, whatsapp or staff-on-behalf, the
    default; app, web and open311 are the citizen's own doors, 422). The answer never
    carries the reporter token: the city's own staff must not dispute or rate the city's fix.
    A caller who gave an `email` gets their private link by mail (`reporter_mailed`); without
    one they follow the report by its code."""
    body, photos = parsed
    report = replace(
        to_report(body, photos, source=body.channel),
        priority=body.priority.value if body.priority else None,
    )
    with request_fields(REPORT_FIELDS), photos_only_as_files(sent_as_json(request)):
        submitted = submit_report(
            session,
            report,
            private=body.private,
            actor=key.actor,
            now=now,
            settings=settings,
            storage=storage,
        )
    return StaffReportCreated.of(submitted)


@router.get("/figures", response_model=FiguresRead, tags=["supervisors"])
def read_figures(
    key: SupervisorKey,
    session: ReadSessionDep,
    now: NowDep,
    settings: SettingsDep,
    group_by: GroupBy = GroupBy.AGENCY,
    start: Annotated[datetime | None, INSTANT] = None,
    end: Annotated[datetime | None, INSTANT] = None,
) -> FiguresRead:
    """On-time rate per timer, median time to resolve, backlog and reopen rate, per group.

    The period is `[start, end)` (an event at `end` belongs to the next one, so adjacent
    periods add up) and defaults to the last 30 days up to now; figures over fewer cases
    than the minimum count are withheld (null)."""
    # The period is [start, end); by default it runs up to now, now included.
    end = given_instant("end", end) or now + timedelta(microseconds=1)
    start = given_instant("start", start) or end - timedelta(days=30)
    result = figures(
        session, key, group_by=group_by, start=start, end=end, min_count=settings.figures_min_count
    )
    return FiguresRead.of(result)


@router.get("/escalations", response_model=list[EscalationRead], tags=["supervisors"])
def read_escalations(
    key: SupervisorKey,
    session: ReadSessionDep,
    now: NowDep,
    since: Annotated[datetime | None, INSTANT] = None,
    limit: Annotated[int, WHOLE, Query(ge=1, le=1000)] = 200,
) -> list[EscalationRead]:
    """Ladder levels whose mail went to the key's staff member (default: the last 7 days);
    an admin sees all. A supervisor's key must belong to a staff member (`staff` on create)."""
    start = given_instant("since", since) or now - timedelta(days=7)
    return [EscalationRead.of(e) for e in list_escalations(session, key, since=start, limit=limit)]
