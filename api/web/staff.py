"""The staff worklist at ``/staff``: the key's open tickets, most urgent first
(``engine.queries.ranking``), with the actions the ticket's state and the key's role allow as
buttons.

Each button posts a plain form (it works without JavaScript) to
``/staff/tickets/{code}/actions``, which fires the trigger through ``engine.act`` — the call
behind ``POST /api/v1/tickets/{code}/transitions`` — with the version the page showed, so a page
someone else has overtaken gets "someone else changed this ticket", never an overwrite.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from api.deps import NowDep, ReadSessionDep, Transactions, get_settings
from api.errors import ApiError, status_of
from api.forms import page_form_fault
from api.storage import RequestStorage
from api.strict_json import StrictRoute
from api.uploads import check_photo
from api.web.i18n import Translator
from api.web.pages import LanguageDep
from api.web.problems import explain, explain_api
from api.web.staff_actions import (
    DESCRIPTION_CHARS,
    INPUTS,
    NO_NOTICE,
    OFFERED,
    Action,
    Done,
    DoneDep,
    categories,
    duration_words,
    offered,
    shorten,
    time_left,
)
from api.web.staff_session import (
    HolderDep,
    page,
    refuse_cross_site,
    same_origin,
    sign_in_again,
    to_sign_in,
)
from api.web.staff_session import router as session_router
from api.web.staff_ticket import router as ticket_router
from api.web.staff_ticket import ticket_page
from engine import (
    KeyHolder,
    Language,
    Role,
    RuleViolated,
    StaleVersion,
    TanggapError,
    Trigger,
    act,
)
from engine.errors import shown
from engine.keys import may_fire_each
from engine.presentation import present
from engine.queries.oversight import BoardTicket, board, dispute_reasons
from engine.queries.public import is_published
from engine.queries.roster import (
    AgencyEntry,
    Officer,
    list_agencies,
    officers_by_agency,
    other_agencies,
    other_officers,
    transfer_key,
    withheld_categories,
)

router = APIRouter(include_in_schema=False, route_class=StrictRoute)
router.include_router(session_router)
router.include_router(ticket_router)

WORKLIST_LIMIT = 300


@dataclass(frozen=True)
class Row:
    ticket: BoardTicket
    actions: list[Action]
    officers: list[Officer]
    #: Why the ticket was reopened (the latest dispute's reason, shortened), when it was.
    reopened_because: str | None = None
    #: Whether its category is withheld from area offices: its transfer suggests none.
    withheld: bool = False

    @property
    def transfer_key(self) -> str:
        """Which list of agencies its transfer suggests (``roster.transfer_key``)."""
        return transfer_key(self.ticket.agency, self.withheld)


def _rows(session: Session, holder: KeyHolder, now: datetime) -> list[Row]:
    tickets = board(session, holder, now=now, limit=WORKLIST_LIMIT)
    officers = officers_by_agency(session, {t.agency for t in tickets})
    reasons = dispute_reasons(session, [t.code for t in tickets])
    # the buttons are what this key may fire on each ticket: state, role, agency and area
    allowed = may_fire_each(session, holder, [t.code for t in tickets], now=now)
    withheld = withheld_categories(session)
    return [
        Row(
            t,
            offered(allowed.get(t.code, [])),
            # not the officer it is with: a re-assignment to them is refused
            other_officers(officers.get(t.agency, []), t.officer_email),
            shorten(reasons[t.code]) if t.code in reasons else None,
            t.category in withheld,
        )
        for t in tickets
    ]


def _page(
    request: Request,
    session: Session,
    holder: KeyHolder,
    language: Language,
    now: datetime,
    *,
    problem: dict[str, Any] | None = None,
    status: int = 200,
    notice: Done = NO_NOTICE,
) -> Response:
    agencies: list[AgencyEntry] = list_agencies(session)
    rows = _rows(session, holder, now)
    done = notice.of()
    known = categories(session)
    return page(
        request,
        "staff/worklist.html",
        language,
        {
            "holder": holder,
            "rows": rows,
            # where each agency's tickets can be transferred: anywhere but there
            "transfer_to": {
                row.transfer_key: other_agencies(agencies, row.ticket.agency, withheld=row.withheld)
                for row in rows
                if any(a.trigger is Trigger.TRANSFER for a in row.actions)
            },
            "problem": problem,
            "done": done,
            # A report the public may not see has no public page to link to.
            "done_published": done is not None and is_published(session, done),
            "did": notice.trigger,
            "now": now,
            "left": time_left(Translator(language), now),
            "is_supervisor": holder.role in (Role.SUPERVISOR, Role.ADMIN),
            "category_name": known.namer(Translator(language)),
            "proof_categories": known.proof,
            "description_chars": DESCRIPTION_CHARS,
            "shorten": shorten,
        },
        status=status,
        title="staff.title",
    )


@router.get("/staff")
def worklist_page(
    request: Request,
    language: LanguageDep,
    holder: HolderDep,
    session: ReadSessionDep,
    now: NowDep,
    notice: DoneDep,
) -> Response:
    if holder is None:
        return to_sign_in(request)
    return _page(request, session, holder, language, now, notice=notice)


def _text(value: str | None) -> str | None:
    return value if value and value.strip() else None


def _normalised(text: str) -> str:
    """A textarea's text as the comparison of an edit reads it: browsers send CRLF line ends."""
    return text.replace("\r\n", "\n").strip()


def _version(text: str) -> int:
    """The version the page was drawn at (a hidden field): a whole number from 1."""
    value = text.strip()
    # a hidden field's version has a few digits; thousands are no version (and no int())
    if not value.isascii() or not value.isdigit() or len(value) > 18 or int(value) < 1:
        raise RuleViolated(
            "expected_version must be the version the page showed, a whole number from 1",
            key="invalid_request",
            params={"field": "expected_version"},
        )
    return int(value)


@router.post("/staff/tickets/{code}/actions")
def act_on_ticket(
    request: Request,
    code: str,
    language: LanguageDep,
    holder: HolderDep,
    now: NowDep,
    # Taken as text and checked below: a tampered or stale form is answered with the page and
    # the refusal in words, never with an API problem document.
    trigger: Annotated[str, Form()] = "",
    expected_version: Annotated[str, Form()] = "",
    note: Annotated[str | None, Form()] = None,
    officer: Annotated[str | None, Form()] = None,
    agency: Annotated[str | None, Form()] = None,
    duplicate_of: Annotated[str | None, Form()] = None,
    priority: Annotated[str | None, Form()] = None,
    description: Annotated[str | None, Form()] = None,
    # The text the redact form showed, to tell an edit from the text left as it was.
    description_was: Annotated[str | None, Form()] = None,
    hide_photos: Annotated[list[str] | None, Form()] = None,
    show_photos: Annotated[list[str] | None, Form()] = None,
    photos: Annotated[list[UploadFile] | None, File()] = None,
    back: Annotated[str | None, Form()] = None,
    fault: Annotated[RuleViolated | None, Depends(page_form_fault)] = None,
) -> Response:
    if not same_origin(request):
        return refuse_cross_site(request, language)
    if holder is None:
        back_to = f"/staff/tickets/{quote(code[:64], safe='')}" if back == "ticket" else "/staff"
        return sign_in_again(request, language, next=back_to, kept=_text(note))
    settings = get_settings(request)
    transactions: Transactions = request.app.state.transactions
    storage = RequestStorage(settings.media_dir)
    chosen = next((t for t in OFFERED if t.value == trigger), None)
    # what was typed comes back with the refusal: the form is filled again and the text is shown
    # to copy, so a stale page or a refused action never loses a note
    problem: dict[str, Any] = {
        "code": code,
        "kind": "rule",
        "message": "",
        "trigger": trigger,
        "kept": _text(note) or "",
    }
    status = 422
    try:
        if fault is not None:  # a field sent twice, or bytes that were not UTF-8
            raise fault
        if chosen is None:
            raise RuleViolated(
                f"{shown(trigger)} is not an action of this page", key="unknown_action"
            )
        version = _version(expected_version)
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
        # The redact form shows the text the public reads, to edit: left as it was, it is no
        # edit (only photos are hidden), and emptied it is refused as a report's would be.
        edited = description is not None and (
            _normalised(description) != _normalised(description_was or "")
        )
        if "description" in wanted and edited:
            given["description"] = description
        if "hide_photos" in wanted and hide_photos:
            given["hide_photos"] = tuple(dict.fromkeys(hide_photos))
        if "show_photos" in wanted and show_photos:
            given["show_photos"] = tuple(dict.fromkeys(show_photos))
        if "photos" in wanted:
            files = [p for p in photos or [] if p.filename]
            if len(files) > settings.max_photos:
                raise RuleViolated(
                    f"at most {settings.max_photos} photos",
                    key="too_many_photos",
                    params={"limit": settings.max_photos},
                )
            sent = [p.file.read(settings.max_photo_bytes + 1) for p in files]
            named = Translator(language)
            checked = [
                check_photo(b, settings, named("staff.photo_n", n=n)) for n, b in enumerate(sent, 1)
            ]
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
                expected_version=version,
                **given,
            )
            done = ticket.code
    except StaleVersion as exc:
        storage.discard(transactions.database)
        status = 409
        problem.update(kind="stale")
        if exc.state is not None:
            problem.update(state=present(exc.state), version=exc.version)
    except TanggapError as exc:
        storage.discard(transactions.database)
        status = status_of(exc) if status_of(exc) != 500 else 422
        problem.update(message=explain(Translator(language), exc))
    except ApiError as exc:  # a photo too large or not an image
        storage.discard(transactions.database)
        status = exc.status
        problem.update(message=explain_api(Translator(language), exc))
    else:
        if back == "ticket":
            return RedirectResponse(
                f"/staff/tickets/{done}?done={done}&did={chosen.value}", status_code=303
            )
        return RedirectResponse(f"/staff?done={done}&did={chosen.value}", status_code=303)
    with transactions.read() as session:
        if back == "ticket":
            return ticket_page(
                request, session, holder, code, language, now, problem=problem, status=status
            )
        return _page(request, session, holder, language, now, problem=problem, status=status)


__all__ = ["Action", "duration_words", "router", "shorten", "time_left"]
