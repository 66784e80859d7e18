"""The report page at ``/``: the form, its "already reported nearby" fragment, and the form's
own submission for a browser whose script did not run.

With its script the page sends the report to the JSON API (``POST /api/v1/reports``) and shows
the receipt itself. Without it (blocked, failed to load, a text browser) the browser posts the
form here, as multipart with its photos: the same engine rules as the API (``file_report``),
and the answer is the same page with the receipt, or with the form again, as typed, and the
refusal in the page's words naming the box.

Without the script there is no map to tap: an address alone places the report. The form is
searched as the page's script searches it (``engine.queries.places.search_address``); one clear
place takes the report (the receipt says which), several come back as a choice (``place``, an
area's code), none is a refusal naming the address box. A browser cannot put photos back into a
file box: a form that comes back says so plainly, so the citizen chooses them again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Annotated, Any
from zoneinfo import ZoneInfo

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
from api.uploads import check_photo, not_a_file, too_many_photos, validate_form
from api.web.i18n import Translator
from api.web.pages import LanguageDep, render
from api.web.problems import explain, explain_api, number, words
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
from engine.queries.feeds import Service
from engine.queries.places import AddressSearch, Place, search_address
from engine.questions import Datatype, QuestionSpec

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

#: The form's boxes that travel as they are (the API's names); ``coords`` becomes lat and lon;
#: ``place`` (an area's code, chosen among the places an address names) does when no coordinates
#: were typed.
TYPED = (
    "category", "description", "address", "name", "email", "phone", "private", "coords", "place",
)  # fmt: skip
#: The boxes that say where, not what: they become the report's point, never fields of its own.
_WHERE = ("coords", "place")
#: A file box left empty still sends a part: no name, no bytes.
PHOTOS = "photos"
#: The page's box for a question: ``answers[category][code]`` (the page shows every category's
#: questions when no script runs, so a box names its category); ``answers[code]`` (and
#: ``answers[code][]``) is the API's own spelling, for the category chosen.
_GROUPED = re.compile(r"^answers\[([^\[\]]{1,60})\]\[([^\[\]]{1,60})\]$")
_DIRECT = re.compile(r"^answers\[([^\[\]]{1,60})\](\[\])?$")
#: What a date-and-time box (``datetime-local``) sends: the city's wall clock, no offset.
_LOCAL_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


def icon(category: str, group: str) -> str:
    return CATEGORY_ICONS.get(category) or GROUP_ICONS.get(group) or OTHER_ICON


def _categories(services: list[Service]) -> list[dict[str, Any]]:
    return [
        {
            "code": s.code,
            "name": (s.name_id, s.name_en),
            "icon": icon(s.code, s.group),
            "photo": s.photo_on_submit,
            "questions": s.questions,
        }
        for s in services
    ]


def city_offset(settings: Settings, now: datetime) -> str:
    """The city's UTC offset now, ``+07:00``: what a date-and-time box's wall clock means."""
    offset = now.astimezone(ZoneInfo(settings.timezone)).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def question_hint(t: Translator, question: QuestionSpec) -> str:
    """What to type, under a question: the catalogue's words, a number's bounds, a date's form."""
    said = []
    if question.datatype_description is not None:
        said.append(question.datatype_description(t.language))
    if question.datatype is Datatype.NUMBER:
        low, high = question.bounds
        said.append(t("report.answer_between", min=_bound(t, low), max=_bound(t, high)))
    if question.datatype is Datatype.DATETIME:
        said.append(t("report.answer_datetime_hint"))
    return "; ".join(said)


def _bound(t: Translator, value: float) -> str:
    return number(t.language, value, 0 if value == int(value) else 2)


def _page(
    request: Request,
    language: Language,
    session: Session,
    settings: Settings,
    *,
    status: int = 200,
    **context: Any,
) -> Response:
    t = Translator(language)
    values = {
        "categories": _categories(list_services(session)),
        "centre": list(settings.map_centre),
        "zoom": settings.map_zoom,
        "typed": {},
        "answered": {},
        "question_errors": {},
        "refusal": None,
        "offered": [],
        "checked": None,
        "searched": "",
        "photos_again": False,
        "placed": None,
        "created": None,
        "link": None,
        "offset": city_offset(settings, datetime.now(UTC)),
        "question_hint": partial(question_hint, t),
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
    answers to questions by (category, code) as the page names them (``""``: as the API names
    them, for the category chosen), the photos, whether any file was attached (a photo refused
    or not read too: the page then asks for them again), and a refusal met while reading them."""

    typed: dict[str, str] = field(default_factory=dict)
    answers: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    photos: list[bytes] = field(default_factory=list)
    attached: bool = False
    refused: Exception | None = None

    @property
    def by_address(self) -> bool:
        """Whether the report is to be placed by its address: no coordinates typed, an address
        given."""
        return not self.typed.get("coords", "").strip() and bool(
            self.typed.get("address", "").strip()
        )

    @property
    def category(self) -> str:
        return self.typed.get("category", "").strip()

    def answered(self) -> dict[str, list[str]]:
        """The answers as the page shows them again, by ``category/code``."""
        return {
            f"{category or self.category}/{code}": values
            for (category, code), values in self.answers.items()
        }


def _answer(sent: Sent, key: str, value: str) -> bool:
    """Keep an answer box's value; ``False`` when ``key`` names none."""
    if match := _GROUPED.match(key):
        category, code = match.groups()
    elif match := _DIRECT.match(key):
        category, code = "", match[1]
    else:
        return False
    sent.answers.setdefault((category, code), []).append(value)
    return True


def fields_limit(services: list[Service]) -> int:
    """How many fields the form may send: 40, and one more per question box (one per value of
    a multiple choice), as the page shows every category's boxes when no script runs."""
    return 40 + sum(
        len(q.values) if q.datatype is Datatype.MULTIVALUELIST else 1
        for s in services
        for q in s.questions
    )


async def _sent(request: Request, settings: SettingsDep, phases: PhasesDep) -> Sent:
    sent = Sent()
    with phases.read() as session:
        fields = fields_limit(list_services(session))
    try:
        async with request.form(max_files=settings.max_photos + 2, max_fields=fields) as form:
            forms.check_text(form.multi_items())
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    if key != PHOTOS:
                        raise forms.unknown_field(key)
                    if not value.filename:
                        continue  # a file box left empty
                    sent.attached = True
                    if len(sent.photos) == settings.max_photos:
                        raise too_many_photos(settings)
                    data = await value.read(settings.max_photo_bytes + 1)
                    name = printable(value.filename) or "photo"
                    sent.photos.append(check_photo(data, settings, name, size=value.size))
                elif key in TYPED:
                    if key in sent.typed:
                        raise forms.repeated(key)
                    sent.typed[key] = value
                elif key == PHOTOS:
                    if value:
                        raise not_a_file(key)  # a file box left empty sends no file name
                elif not _answer(sent, key, value):
                    raise forms.unknown_field(key)
    except forms.FormUnread as exc:  # too many files or fields, a box past a megabyte
        for key, value in exc.fields:
            if key in TYPED:
                sent.typed.setdefault(key, value)
            else:
                _answer(sent, key, value)
        too_many = isinstance(exc, forms.TooManyFiles)
        sent.attached = sent.attached or too_many
        sent.refused = too_many_photos(settings) if too_many else exc
    except (TanggapError, ApiError, RequestValidationError) as exc:
        sent.refused = exc
    return sent


#: "-6.1754, 106.8272" as the page's script reads the coordinates box.
_COORDS = re.compile(r"[,;\s]+")


def answered_elsewhere(category: str, code: str, chosen: str) -> RuleViolated:
    """An answer to a question of a category other than the one chosen: the page shows every
    category's questions when no script runs, and the answer is neither guessed at nor dropped."""
    return RuleViolated(
        f"answer to {printable(code)!r} is to a question of {printable(category)!r}, "
        f"not of the category chosen ({printable(chosen)!r}): clear it or choose that category",
        key="answer_other_category",
        params={"field": "answers", "question": printable(code), "category": printable(category)},
    )


def _answers(sent: Sent, services: list[Service], offset: str) -> dict[str, str | list[str]]:
    """The chosen category's answers as the API takes them (``answers``, text): an empty box is
    no answer; a date-and-time box's wall clock is the city's (``offset``)."""
    chosen = sent.category
    asked = {q.code: q for s in services if s.code == chosen for q in s.questions}
    answers: dict[str, list[str]] = {}
    for (category, code), values in sent.answers.items():
        given = [v for v in values if v.strip()]
        if not given or not chosen:
            continue  # no category: the report is refused for that
        if category and category != chosen:
            raise answered_elsewhere(category, code, chosen)
        if code in answers:
            raise forms.repeated(f"answers[{code}]")
        question = asked.get(code)
        if category and question is not None and question.datatype is Datatype.DATETIME:
            given = [v.strip() + offset if _LOCAL_MOMENT.match(v.strip()) else v for v in given]
        answers[code] = given
    return {code: v[0] if len(v) == 1 else v for code, v in answers.items()}


def choose_place() -> RuleViolated:
    """Several places match the address and none is a clear answer: the citizen chooses."""
    return RuleViolated(
        "several places match the address: choose one of them, or give the coordinates",
        key="choose_place",
        params={"field": "address"},
    )


def _placed(sent: Sent, found: AddressSearch | None) -> Place | None:
    """The place a report without coordinates goes to, by its address (``found``); ``None``
    when the coordinates box says where. Raises when the address names no place (the engine's
    ``place_not_found``) or several alike (``choose_place``)."""
    if found is None:
        return None
    place = found.placed(sent.typed.get("place", "").strip() or None)
    if place is None:
        raise choose_place()
    return place


def _body(
    typed: Mapping[str, str],
    language: Language,
    answers: Mapping[str, str | list[str]],
    placed: Place | None = None,
) -> ReportCreate:
    """The API's report from the form's boxes: the coordinates box is the point, else the place
    its address named (``placed``); an empty box is a field not given; ``private`` is the ticked
    box; ``answers`` as the API takes them."""
    fields: dict[str, Any] = {
        k: v.strip() for k, v in typed.items() if k not in _WHERE and v.strip() != ""
    }
    if answers:
        fields["answers"] = dict(answers)
    coords = [p for p in _COORDS.split(typed.get("coords", "").strip()) if p]
    if placed is not None and not coords:
        coords = [str(placed.lat), str(placed.lon)]
    if not coords:
        # Neither box says where: without the page's script the address is the easier one.
        raise RuleViolated(
            "say where: an address or place name, or the coordinates",
            key="place_required",
            params={"field": "address"},
        )
    if len(coords) != 2:
        raise invalid("body", "coords", "coordinates are latitude, longitude")
    fields["lat"], fields["lon"] = coords
    fields.update(language=language.value, channel="web")
    try:
        return validate_form(ReportCreate, fields)
    except RequestValidationError as exc:
        # The page has one box for the point: a latitude or longitude that is no number, or
        # out of range, is that box's fault ("abc, def" named a "latitude" box nobody sees).
        if any(field_name(e.get("loc", ())) in ("lat", "lon") for e in exc.errors()):
            raise invalid(
                "body", "coords", "coordinates are two numbers: latitude, longitude"
            ) from None
        raise


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


def _said_of_answer(t: Translator, exc: RuleViolated, question: QuestionSpec) -> str:
    """A refusal about one answer, in the page's words, for under its question."""
    if exc.code == "answer_required":
        return t("report.answer_required")
    if exc.code == "invalid_answer" and question.datatype is Datatype.NUMBER:
        low, high = question.bounds
        return t("report.answer_number", min=_bound(t, low), max=_bound(t, high))
    if exc.code == "invalid_answer" and question.datatype.is_list:
        return t("report.answer_choice")
    if question.datatype is Datatype.DATETIME and exc.code != "answer_in_future":
        return t("report.answer_datetime")
    return explain(t, exc)


def question_errors(
    t: Translator, exc: Exception, chosen: str, services: list[Service]
) -> dict[str, str]:
    """The refusal of an answer under its question (``category/code``), when it names one the
    page shows."""
    params = getattr(exc, "params", None) or {}
    code, category = params.get("question"), params.get("category") or chosen
    if not isinstance(exc, RuleViolated) or not isinstance(code, str):
        return {}
    for service in services:
        for question in service.questions if service.code == category else ():
            if question.code == code:
                if exc.code == "answer_other_category":
                    name = t.pick(service.name_id, service.name_en)
                    said = t("report.answer_other_category", category=name)
                else:
                    said = _said_of_answer(t, exc, question)
                return {f"{category}/{code}": said}
    return {}


def _search(session: Session, sent: Sent) -> tuple[AddressSearch | None, RuleViolated | None]:
    """The places the address names when the report is placed by it, or the engine's text
    rule it breaks (a control character, its length, ...): that refusal, not "no place named
    like ...". An address that shows nothing (zero-width spaces) places nothing: the form
    asks where, as for an empty box."""
    if not sent.by_address:
        return None, None
    try:
        found = search_address(session, sent.typed["address"])
    except RuleViolated as exc:
        return None, exc
    return (found if found.searched else None), None


def _offered(sent: Sent, found: AddressSearch | None) -> dict[str, Any]:
    """The places an address named, for the form coming back: each a choice, the citizen's
    own (or the clear best) chosen."""
    if found is None or not found.places:
        return {}
    chosen = sent.typed.get("place", "").strip()
    codes = {p.code for p in found.places}
    checked = chosen if chosen in codes else (found.best.code if found.best else None)
    return {"offered": found.places, "checked": checked, "searched": found.searched}


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
    with phases.read() as session:
        services = list_services(session)
        # searched before any refusal, so that a form coming back for another reason still
        # offers the places found and keeps the one chosen
        found, unfit = _search(session, sent)
    try:
        limiter.check(request, "report")
        if sent.refused is not None:
            raise sent.refused
        if unfit is not None:
            raise unfit
        answers = _answers(sent, services, city_offset(settings, now))
        placed = _placed(sent, found)
        body = _body(sent.typed, language, answers, placed)
        submitted = file_report(body, sent.photos, phases=phases, now=now, settings=settings)
    except (TanggapError, ApiError, RequestValidationError) as exc:
        t = Translator(language)
        errors = question_errors(t, exc, sent.category, services)
        if isinstance(exc, RuleViolated) and exc.code == "answer_other_category":
            # the category as the page names it, not its code
            names = {s.code: t.pick(s.name_id, s.name_en) for s in services}
            category = exc.params.get("category")
            exc.params = {**exc.params, "category": names.get(str(category), category)}
        status, message = _refusal(t, exc)
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
                answered=sent.answered(),
                question_errors=errors,
                refusal=message,
                photos_again=sent.attached,
                **_offered(sent, found),
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
            placed=placed,
            link=receipt_link(settings, submitted),
        )
    response.headers["Cache-Control"] = "private, no-store"
    return response


__all__ = ["fields_limit", "icon", "receipt_link", "router"]
