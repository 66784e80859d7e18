"""Citizen pages: follow a report at ``/t/{code}`` (the report form is ``report_form``).

The short tracking link is what mails, SMS and printed receipts carry. Reads come from the
engine's public projection (no personal data by construction); the page's script sends reports,
comments, disputes, ratings and "me too" to the JSON API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import NowDep, ReadSessionDep, SessionDep, SettingsDep
from api.routes.media import own_photo_url
from api.routes.reports import CITIZEN_ACTIONS
from api.strict_json import StrictRoute
from api.web.i18n import Translator, language_of
from api.web.pages import LANG_COOKIE, LanguageDep, asked_language, get_settings, render, zone_names
from engine import (
    FollowConfirmation,
    Forbidden,
    Language,
    MailStop,
    NotFound,
    Open311Status,
    PublicTicket,
    ReporterChoices,
    Settings,
    State,
    Trigger,
    confirm_follow,
    follow_confirmation,
    get_public,
    mail_stop,
    reporter_choices,
    reporter_view,
    stop_mail,
)
from engine.lifecycle import OPEN_STATES

router = APIRouter(include_in_schema=False, route_class=StrictRoute)

#: The reporter's forms on the tracking page, in the page's order. Which of them it shows is
#: the engine's answer (``reporter_choices``), never a rule of the page's own.
REPORTER_FORMS = (Trigger.COMMENT, Trigger.REINSTATE, Trigger.REOPEN, Trigger.RATE)


def following(state: State, *, own: bool) -> str | None:
    """What the tracking page offers a visitor who wants to follow the report, by its state:
    "open" is the "Ikuti laporan ini" section ("Saya juga" and an optional e-mail address, sent
    to ``POST /api/v1/reports/{code}/supporters``); any other value names the line said instead.

    The form shows exactly where the engine takes a "me too" (``OPEN_STATES``): a button that
    could only be refused would promise what the page cannot do. Instead:

    - resolved: the office says it is fixed, and only its reporter may say it is not (the
      dispute window); anyone else whose problem is still there sends a new report.
    - closed: nothing more happens to it; a problem that is back is a new report.
    - rejected: the office will not act on it; whoever sees the problem reports it.
    - duplicate: its followers were moved to the report it duplicates (``mark_duplicate``),
      so the line points there, to that page's own section.
    - a report the public may not see: nothing (None). Its page is its reporter's alone, and
      the API answers a "me too" on it as an unknown code.
    """
    if own:
        return None
    return "open" if state in OPEN_STATES else state.value


@router.get("/t", response_model=None)
def find(
    request: Request,
    language: LanguageDep,
    code: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The "follow a report" box: a typed code goes to its page."""
    typed = code.strip().upper()
    if typed:
        return RedirectResponse(f"/t/{quote(typed, safe='')}", status_code=303)
    return render(request, "find.html", language, title="track.find_title")


def _not_found(request: Request, code: str, language: Language, *, tried: bool) -> Response:
    """The page of a code that names no report the asker may see. ``tried``: the answer to a
    reporter token that opened nothing (the page's script then does not send it again)."""
    return render(
        request,
        "not_found.html",
        language,
        {"code": code[:64], "tried": tried},
        status=404,
        title="base.not_found_title",
    )


@router.get("/t/{code}", response_class=HTMLResponse)
def track_page(
    request: Request,
    code: str,
    language: LanguageDep,
    session: ReadSessionDep,
    now: NowDep,
    settings: SettingsDep,
) -> Response:
    try:
        report = get_public(session, code[:64], now=now)
    except NotFound:
        # A report the public may not see (a non-public category) lands here too, as an
        # unknown code: the page's script then offers the reporter's token (``own_report``).
        return _not_found(request, code, language, tried=False)
    choices = reporter_choices(session, report.code, now=now, settings=settings)
    return _track(request, language, report, choices, now=now)


@router.post("/t/{code}", response_class=HTMLResponse)
def own_report(
    request: Request,
    code: str,
    language: LanguageDep,
    session: ReadSessionDep,
    now: NowDep,
    settings: SettingsDep,
    token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The tracking page of a report the public may not see, for its reporter: the token
    travels in the body of a form post (never in an address, which logs and histories keep),
    sent by the not-found page's script from the link's fragment or this device's memory.
    A token that opens nothing is the not-found page again; a public report's page is its
    ordinary address."""
    try:
        view = reporter_view(session, code[:64], token=token, now=now)
    except NotFound:
        return _not_found(request, code, language, tried=True)
    except Forbidden:  # a public report, a wrong token: its page is public anyway
        return RedirectResponse(f"/t/{quote(code[:64], safe='')}", status_code=303)
    if view.public:
        return RedirectResponse(f"/t/{quote(view.report.code, safe='')}", status_code=303)
    choices = reporter_choices(session, view.report.code, now=now, settings=settings)
    response = _track(
        request,
        language,
        view.report,
        choices,
        now=now,
        own=settings,
        unpublished=view.unpublished,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def offer(t: Translator, actions: list[str]) -> str:
    """What the reporter is told once their token is accepted: that the report is theirs, and
    what they may do with it, naming ``actions`` (the citizen's words for the shown forms)
    and no others."""
    can = [t(f"track.can_{a}") for a in actions]
    if not can:
        return t("track.yours_nothing")
    if len(can) == 1:
        return t("track.yours_can_1", first=can[0])
    if len(can) == 2:
        return t("track.yours_can_2", first=can[0], second=can[1])
    return t("track.yours_can_more", some=", ".join(can[:-1]), last=can[-1])


def _track(
    request: Request,
    language: Language,
    report: PublicTicket,
    choices: ReporterChoices,
    *,
    now: datetime,
    own: Settings | None = None,
    unpublished: bool = False,
) -> Response:
    """The tracking page; once the reporter's token is accepted, it offers them ``choices``.
    ``own`` (the app's settings): shown to the reporter of a report the public may not see,
    with a line saying so (``unpublished``: that staff took it off the public record, never
    why), its photos at addresses signed for them (``own_photo_url``: the public address does
    not open them), and reloading itself by the same form post."""

    def photo_url(key: str) -> str:
        return own_photo_url(own, key) if own is not None else f"/media/{key}"

    settings = get_settings(request)
    zone = settings.timezone
    before = [p for p in report.photos if not p.after_fix]
    after = [p for p in report.photos if p.after_fix]
    may = [CITIZEN_ACTIONS[a] for a in REPORTER_FORMS if a in choices.actions]
    return render(
        request,
        "track.html",
        language,
        {
            "report": report,
            "before": before,
            "after": after,
            "open": report.state.open311_status is Open311Status.OPEN,
            "may": may,
            "offer": offer(Translator(language), may),
            "appeal_until": choices.appeal_until,
            "own": own is not None,
            "follow": following(report.state.state, own=own is not None),
            "photo_url": photo_url,
            # The reporter's own entries are written by the page's script in the same words.
            "timezone": zone,
            "zone_names": zone_names(zone, report.created_at, now),
            "unpublished": unpublished,
        },
        title="track.title",
    )


def _page_language(request: Request, asked_in: str | None) -> Language:
    """A mail link's page: the language asked for, else the one the address asked in."""
    return (
        asked_language(request)
        or language_of(request.cookies.get(LANG_COOKIE))
        or (Language(asked_in) if asked_in is not None else Language.ID)
    )


def _mail_page(request: Request, stop: MailStop | None) -> Response:
    """The unsubscribe page, in the language asked for, else the one the address asked in."""
    language = _page_language(request, stop.language if stop is not None else None)
    return render(
        request,
        "unsubscribe.html",
        language,
        {"stop": stop},
        status=200 if stop is not None else 404,
        title="mail.title",
    )


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, token: str, session: ReadSessionDep) -> Response:
    """The link at the foot of every citizen mail. It only asks: mail scanners open links
    on their own, and an opened link must not unsubscribe anyone."""
    try:
        return _mail_page(request, mail_stop(session, token))
    except NotFound:
        return _mail_page(request, None)


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_now(request: Request, token: str, session: SessionDep) -> Response:
    """The page's button, and the one-click POST a mail client sends from the mail's
    ``List-Unsubscribe`` header (RFC 8058: body ``List-Unsubscribe=One-Click``, no cookies,
    so no sign-in and no form token can be asked for; the token in the link is the proof)."""
    try:
        return _mail_page(request, stop_mail(session, token))
    except NotFound:
        return _mail_page(request, None)


def _confirm_page(request: Request, follow: FollowConfirmation | None) -> Response:
    """The confirmation page; a link that names no pending follow (unknown, cut short, used
    already) is a 404 page that says so."""
    language = _page_language(request, follow.language if follow is not None else None)
    return render(
        request,
        "confirm.html",
        language,
        {"follow": follow},
        status=200 if follow is not None else 404,
        title="mail.confirm_page_title",
    )


@router.get("/confirm/{token}", response_class=HTMLResponse)
def confirm_page(request: Request, token: str, session: ReadSessionDep) -> Response:
    """The link in the one mail a new follower's address gets. It only asks: mail scanners
    open links on their own, and an opened link must not subscribe anyone."""
    try:
        return _confirm_page(request, follow_confirmation(session, token))
    except NotFound:
        return _confirm_page(request, None)


@router.post("/confirm/{token}", response_class=HTMLResponse)
def confirm_now(request: Request, token: str, session: SessionDep, now: NowDep) -> Response:
    """The page's button: the address's owner wants the mail about the report."""
    try:
        return _confirm_page(request, confirm_follow(session, token, now=now))
    except NotFound:
        return _confirm_page(request, None)
