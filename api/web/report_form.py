"""The report page at ``/``: the form, its "already reported nearby" fragment, and the form's
own submission for a browser whose script did not run.

With its script the page sends the report to the JSON API (``POST /api/v1/reports``) and shows
the receipt itself. Without it (blocked, failed to load, a text browser) the browser posts the
form here, as multipart with its photos: the same engine rules as the API (``file_report``),
and the answer is the same page with the receipt, or with the form again, as typed, and the
refusal in the page's words naming the box.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from api import forms
from api.deps import NowDep, PhasesDep, ReadSessionDep, SettingsDep
from api.errors import ApiError, field_name, invalid, not_text, status_of
from api.ratelimit import SubmissionLimiter
from api.routes.reports import file_report
from api.schemas.public import Lat, Lon, ReportCreate
from api.strict_json import StrictRoute
from api.uploads import check_photo, too_many_photos, validate_form
from api.web.i18n import Translator
from api.web.pages import LanguageDep, render
from api.web.problems import explain, explain_api, words
from engine import (
    Language,
    RuleViolated,
    Settings,
    Submitted,
    TanggapError,
    list_services,
    suggest_duplicates,
)
from engine.errors import printable
from engine.outbox import private_link

router = APIRouter(include_in_schema=False, route_class=StrictRoute)

#: A picture beside each category's words (the words carry the meaning; the picture helps).
GROUP_ICONS = {
    "transport": "🚦",
    "infrastructure": "🚧",
    "water": "🌊",
    "environment": "🗑️",
    "public_order": "🚨",
    "safety": "🔥",
    "social": "🤝",
    "health": "🏥",
    "public_service": "🏛️",
}
CATEGORY_ICONS = {
    "traffic_jam": "🚗",
    "broken_traffic_light": "🚦",
    "illegal_parking": "🅿️",
    "broken_road": "🕳️",
    "broken_street_light": "💡",
    "flood": "🌊",
    "garbage_pile": "🗑️",
}
OTHER_ICON = "📝"

#: The form's boxes that travel as they are (the API's names); ``coords`` becomes lat and lon.
TYPED = ("category", "description", "address", "name", "email", "phone", "private", "coords")
#: A file box left empty still sends a part: no name, no bytes.
PHOTOS = "photos"


def icon(category: str, group: str) -> str:
    return CATEGORY_ICONS.get(category) or GROUP_ICONS.get(group) or OTHER_ICON


def _categories(session: Session) -> list[dict[str, Any]]:
    return [
        {
            "code": s.code,
            "name": (s.name_id, s.name_en),
            "icon": icon(s.code, s.group),
            "photo": s.photo_on_submit,
        }
        for s in list_services(session)
    ]


def _page(
    request: Request,
    language: Language,
    session: Session,
    settings: Settings,
    *,
    status: int = 200,
    **context: Any,
) -> Response:
    values = {
        "categories": _categories(session),
        "centre": list(settings.map_centre),
        "zoom": settings.map_zoom,
        "typed": {},
        "refusal": None,
        "created": None,
        "link": None,
    }
    values.update(context)
    return render(request, "report.html", language, values, status=status, title="report.title")


@router.get("/", response_class=HTMLResponse)
def report_page(
    request: Request, language: LanguageDep, session: ReadSessionDep, settings: SettingsDep
) -> Response:
    return _page(request, language, session, settings)


@router.get("/web/nearby", response_class=HTMLResponse)
def nearby(
    request: Request,
    language: LanguageDep,
    session: ReadSessionDep,
    now: NowDep,
    settings: SettingsDep,
    category: Annotated[str, Query(min_length=1, max_length=60)],
    lat: Annotated[float, Lat],
    lon: Annotated[float, Lon],
) -> Response:
    """A fragment for the report form: open reports of this category near the chosen point."""
    found = suggest_duplicates(
        session, category=category, lat=lat, lon=lon, now=now, settings=settings
    )
    return render(request, "_nearby.html", language, {"reports": found})


@dataclass
class Sent:
    """The form as the browser sent it: the boxes' text (to show them again on a refusal), the
    photos, and a refusal met while reading them."""

    typed: dict[str, str] = field(default_factory=dict)
    photos: list[bytes] = field(default_factory=list)
    refused: Exception | None = None


async def _sent(request: Request, settings: SettingsDep) -> Sent:
    sent = Sent()
    try:
        async with request.form(max_files=settings.max_photos + 2, max_fields=40) as form:
            forms.check_text(form.multi_items())
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    if key != PHOTOS or not value.filename:
                        continue  # a file box left empty
                    if len(sent.photos) == settings.max_photos:
                        raise too_many_photos(settings)
                    data = await value.read(settings.max_photo_bytes + 1)
                    name = printable(value.filename) or "photo"
                    sent.photos.append(check_photo(data, settings, name, size=value.size))
                elif key in TYPED:
                    if key in sent.typed:
                        raise forms.repeated(key)
                    sent.typed[key] = value
    except forms.FormUnread as exc:  # too many files or fields, a box past a megabyte
        for key, value in exc.fields:
            if key in TYPED:
                sent.typed.setdefault(key, value)
        too_many = isinstance(exc, forms.TooManyFiles)
        sent.refused = too_many_photos(settings) if too_many else exc
    except (TanggapError, ApiError, RequestValidationError) as exc:
        sent.refused = exc
    return sent


#: "-6.1754, 106.8272" as the page's script reads the coordinates box.
_COORDS = re.compile(r"[,;\s]+")


def _body(typed: Mapping[str, str], language: Language) -> ReportCreate:
    """The API's report from the form's boxes: the coordinates box is the point; an empty box
    is a field not given; ``private`` is the ticked box."""
    fields: dict[str, Any] = {
        k: v.strip() for k, v in typed.items() if k != "coords" and v.strip() != ""
    }
    coords = [p for p in _COORDS.split(typed.get("coords", "").strip()) if p]
    if not coords:
        raise RuleViolated("coords is empty", key="field_required", params={"field": "coords"})
    if len(coords) != 2:
        raise invalid("body", "coords", "coordinates are latitude, longitude")
    fields["lat"], fields["lon"] = coords
    fields.update(language=language.value, channel="web")
    return validate_form(ReportCreate, fields)


def _refusal(t: Translator, exc: Exception) -> tuple[int, str]:
    """The status and the page's words for a refusal."""
    if isinstance(exc, RequestValidationError):
        errors = exc.errors()
        broken = not_text(errors[0]) if errors else None
        if broken is not None:
            return 422, explain(t, broken)
        name = field_name(errors[0].get("loc", ())) if errors else None
        given, limit = errors[0].get("input"), (errors[0].get("ctx") or {}).get("max_length")
        if errors[0].get("type") == "string_too_long" and isinstance(given, str) and name:
            params = {"field": name, "length": len(given), "limit": limit}
            return 422, words(t, "text_too_long", params)
        code = "field_required" if errors and errors[0].get("type") == "missing" else ""
        return 422, words(t, code or "invalid_request", {"field": name} if name else None)
    if isinstance(exc, ApiError):
        return exc.status, explain_api(t, exc)
    if isinstance(exc, TanggapError):
        return status_of(exc), explain(t, exc)
    raise exc


def receipt_link(settings: Settings, submitted: Submitted) -> str:
    """The link to keep: the reporter token rides in the fragment, which browsers never send."""
    return private_link(submitted.report.code, submitted.reporter_token, settings.public_base_url)


@router.post("/", response_class=HTMLResponse)
def send_report(
    request: Request,
    language: LanguageDep,
    sent: Annotated[Sent, Depends(_sent)],
    phases: PhasesDep,
    now: NowDep,
    settings: SettingsDep,
) -> Response:
    """The form posted by a browser whose script did not run. Counted against the client's
    allowance of reports as the API counts them (a refusal against the refused ones)."""
    limiter: SubmissionLimiter = request.app.state.limiter
    try:
        limiter.check(request, "report")
        if sent.refused is not None:
            raise sent.refused
        submitted = file_report(
            _body(sent.typed, language), sent.photos, phases=phases, now=now, settings=settings
        )
    except (TanggapError, ApiError, RequestValidationError) as exc:
        status, message = _refusal(Translator(language), exc)
        if status != 429:
            limiter.count(request, accepted=False)
        with phases.read() as session:
            return _page(
                request,
                language,
                session,
                settings,
                status=status,
                typed=sent.typed,
                refusal=message,
            )
    limiter.count(request, accepted=True)
    with phases.read() as session:
        response = _page(
            request,
            language,
            session,
            settings,
            status=201,
            created=submitted,
            link=receipt_link(settings, submitted),
        )
    response.headers["Cache-Control"] = "private, no-store"
    return response


__all__ = ["icon", "receipt_link", "router"]
