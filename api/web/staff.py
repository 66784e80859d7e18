"""The staff worklist at ``/staff``: the key's open tickets, earliest deadline first, with the
actions the ticket's state and the key's role allow as buttons.

Each button posts a plain form (it works without JavaScript) to
``/staff/tickets/{code}/actions``, which fires the trigger through ``engine.act`` — the call
behind ``POST /api/v1/tickets/{code}/transitions`` — with the version the page showed, so a page
someone else has overtaken gets "someone else changed this ticket", never an overwrite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from api.deps import NowDep, ReadSessionDep, Transactions, get_settings
from api.errors import ApiError, status_of
from api.storage import RequestStorage
from api.uploads import check_photo
from api.web.i18n import Translator
from api.web.pages import LanguageDep
from api.web.staff_session import (
    HolderDep,
    page,
    refuse_cross_site,
    same_origin,
    to_sign_in,
)
from api.web.staff_session import router as session_router
from engine import (
    KeyHolder,
    Language,
    Role,
    RuleViolated,
    StaleVersion,
    TanggapError,
    Trigger,
    act,
    allowed_triggers,
)
from engine.keys import StaleTicket
from engine.lifecycle import RULES_BY_TRIGGER, USER_TRIGGERS
from engine.queries.oversight import BoardTicket, board
from engine.queries.roster import AgencyEntry, Officer, list_agencies, officers_by_agency

router = APIRouter(include_in_schema=False)
router.include_router(session_router)

#: What each button asks for before it fires, beyond the version (see engine/actions.py).
INPUTS: dict[Trigger, tuple[str, ...]] = {
    Trigger.VERIFY: (),
    Trigger.REJECT: ("note",),
    Trigger.MARK_DUPLICATE: ("duplicate_of", "note"),
    Trigger.ASSIGN: ("officer",),
    Trigger.TRANSFER: ("agency", "note"),
    Trigger.START: (),
    Trigger.HOLD: ("note",),
    Trigger.RESUME: ("note",),
    Trigger.RESOLVE: ("note", "photos"),
    Trigger.CLOSE: (),
    Trigger.UPDATE: ("priority", "note"),
    Trigger.COMMENT: ("note",),
}
#: Staff never rate (the citizen does) nor reopen from the worklist (it lists open tickets).
_OFFERED = tuple(t for t in USER_TRIGGERS if t in INPUTS)
WORKLIST_LIMIT = 300


@dataclass(frozen=True)
class Action:
    trigger: Trigger
    inputs: tuple[str, ...]
    reason_required: bool


@dataclass(frozen=True)
class Row:
    ticket: BoardTicket
    actions: list[Action]
    officers: list[Officer]


def duration_words(t: Translator, delta: timedelta) -> str:
    """A span as people say it: "3 h 10 min", "2 d 4 h", "5 min"."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return t("staff.days_hours", d=days, h=hours)
    if hours:
        return t("staff.hours_minutes", h=hours, m=mins)
    return t("staff.minutes", m=mins)


def time_left(t: Translator, now: datetime) -> Callable[[datetime], str]:
    """``left(due)``: "3 h 10 min left" or "20 min late"."""

    def left(due: datetime) -> str:
        words = duration_words(t, due - now)
        return t("staff.left", time=words) if due >= now else t("staff.late", time=words)

    return left


def actions_for(holder: KeyHolder, state: str) -> list[Action]:
    """The buttons a ticket in ``state`` shows to ``holder``: what the state allows and the
    key's role may fire."""
    return [
        Action(t, INPUTS[t], RULES_BY_TRIGGER[t].reason_required)
        for t in allowed_triggers(state)
        if t in _OFFERED and holder.role in RULES_BY_TRIGGER[t].roles
    ]


def _rows(session: Session, holder: KeyHolder, now: datetime) -> list[Row]:
    tickets = board(session, holder, now=now, limit=WORKLIST_LIMIT)
    officers = officers_by_agency(session, {t.agency for t in tickets})
    return [Row(t, actions_for(holder, t.state.state), officers.get(t.agency, [])) for t in tickets]


def _page(
    request: Request,
    session: Session,
    holder: KeyHolder,
    language: Language,
    now: datetime,
    *,
    problem: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    agencies: list[AgencyEntry] = list_agencies(session)
    done = request.query_params.get("done")
    did = request.query_params.get("did")
    return page(
        request,
        "staff/worklist.html",
        language,
        {
            "holder": holder,
            "rows": _rows(session, holder, now),
            "agencies": agencies,
            "problem": problem,
            "done": done if done and did in {t.value for t in _OFFERED} else None,
            "did": did,
            "now": now,
            "left": time_left(Translator(language), now),
            "is_supervisor": holder.role in (Role.SUPERVISOR, Role.ADMIN),
        },
        status=status,
        title="staff.title",
    )


@router.get("/staff")
def worklist_page(
    request: Request, language: LanguageDep, holder: HolderDep, session: ReadSessionDep, now: NowDep
) -> Response:
    if holder is None:
        return to_sign_in(request)
    return _page(request, session, holder, language, now)


def _text(value: str | None) -> str | None:
    return value if value and value.strip() else None


@router.post("/staff/tickets/{code}/actions")
def act_on_ticket(
    request: Request,
    code: str,
    language: LanguageDep,
    holder: HolderDep,
    now: NowDep,
    trigger: Annotated[str, Form(max_length=40)],
    expected_version: Annotated[int, Form(ge=1)],
    note: Annotated[str | None, Form(max_length=4000)] = None,
    officer: Annotated[str | None, Form(max_length=254)] = None,
    agency: Annotated[str | None, Form(max_length=40)] = None,
    duplicate_of: Annotated[str | None, Form(max_length=40)] = None,
    priority: Annotated[str | None, Form(max_length=10)] = None,
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    if not same_origin(request):
        return refuse_cross_site(request, language)
    if holder is None:
        return to_sign_in(request)
    settings = get_settings(request)
    transactions: Transactions = request.app.state.transactions
    storage = RequestStorage(settings.media_dir)
    chosen = next((t for t in _OFFERED if t.value == trigger), None)
    problem: dict[str, Any] = {"code": code, "kind": "rule", "message": ""}
    status = 422
    try:
        if chosen is None:
            raise RuleViolated(f"{trigger[:40]!r} is not an action of this page")
        wanted = INPUTS[chosen]
        typed = {
            "note": note,
            "officer": officer,
            "agency": agency,
            "duplicate_of": duplicate_of,
            "priority": priority,
        }
        given: dict[str, Any] = {
            name: value for name, value in typed.items() if name in wanted and _text(value)
        }
        if "photos" in wanted:
            files = [p for p in photos or [] if p.filename]
            if len(files) > settings.max_photos:
                raise RuleViolated(f"at most {settings.max_photos} photos")
            sent = [p.file.read(settings.max_photo_bytes + 1) for p in files]
            checked = [check_photo(b, settings, f"photo {n}") for n, b in enumerate(sent, 1)]
            if checked:
                given["photos"] = tuple(checked)
        with transactions.write() as session:
            ticket = act(
                session,
                holder,
                code,
                chosen.value,
                now=now,
                settings=settings,
                storage=storage,
                expected_version=expected_version,
                **given,
            )
            done = ticket.code
    except StaleVersion as exc:
        storage.discard(transactions.database)
        status = 409
        problem.update(kind="stale", message=exc.message)
        if isinstance(exc, StaleTicket):
            problem.update(state=exc.state, version=exc.version)
    except TanggapError as exc:
        storage.discard(transactions.database)
        status = status_of(exc) if status_of(exc) != 500 else 422
        problem.update(message=exc.message)
    except ApiError as exc:  # a photo too large or not an image
        storage.discard(transactions.database)
        status = exc.status
        problem.update(message=exc.message)
    else:
        return RedirectResponse(f"/staff?done={done}&did={chosen.value}", status_code=303)
    with transactions.read() as session:
        return _page(request, session, holder, language, now, problem=problem, status=status)
