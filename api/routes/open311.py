"""Open311 GeoReport v2 at ``/open311/v2/``: discovery, services, requests, tokens, and the
``servicerequestupdates`` feed FixMyStreet's Open311 client polls.

``status`` stays open/closed; the lifecycle is in ``extended_attributes.detailed_status``
(CitySDK) when ``extensions=true``. Tokens are the public codes: a request id is known at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from api.deps import NowDep, ReadSessionDep, SessionDep, SettingsDep, StorageDep
from api.forms import check_text, repeated
from api.open311.params import (
    LOCALE_LIMIT,
    PHOTO_NEEDED,
    csv_list,
    flag,
    in_open311_words,
    integer,
    language,
    number,
    point,
    reporter_name,
    w3c_param,
)
from api.open311.render import document, w3c
from api.query import one_line
from api.strict_json import StrictRoute
from api.uploads import check_photo, media_type, not_a_file
from engine import (
    PHOTO_ATTRIBUTE,
    Forbidden,
    Language,
    NotFound,
    PublicFilter,
    PublicTicket,
    QuestionSpec,
    Report,
    Role,
    RuleViolated,
    Settings,
    authenticate,
    latest_notes_and_photos,
    list_public,
    list_public_updates,
    list_services,
    submit_report,
    update_status,
)
from engine.errors import printable, shown
from engine.instants import EARLIEST
from engine.queries.places import Place, search_address

router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=StrictRoute)

SPEC = "http://wiki.open311.org/GeoReport_v2"
_MAX = 1000


class Format(StrEnum):
    XML = "xml"
    JSON = "json"


def _format(fmt: Annotated[str, Path(description="xml or json")]) -> Format:
    """The spec's error array, in words, for ``requests.html`` (not FastAPI's enum message)."""
    try:
        return Format(fmt.lower())
    except ValueError:
        raise RuleViolated("format must be xml or json") from None


FormatDep = Annotated[Format, Depends(_format)]
#: ``locale`` (optional), else ``Accept-Language``, else Indonesian; a locale
#: that is none of ours falls back the same way (``api.open311.params.language``).
LocaleQuery = Annotated[
    str | None,
    Query(
        max_length=LOCALE_LIMIT,
        description="a language tag: en (en-US, en_GB …) or id (default); any other falls back "
        "to Accept-Language, else id",
    ),
]


def _lang(request: Request, locale: str | None) -> Language:
    return language(locale, request.headers.get("accept-language"))


def _zone(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.timezone)


def _media_url(settings: Settings, key: str | None) -> str:
    """Absolute URLs start at ``TANGGAP_PUBLIC_BASE_URL``, never at the request's ``Host``
    header: a client could name any host there, and feeds are cached and passed on."""
    return f"{settings.public_base_url}/media/{key}" if key else ""


def _request_item(
    settings: Settings,
    t: PublicTicket,
    extras: tuple[str | None, str | None, str | None],
    zone: ZoneInfo,
    extensions: bool,
    lang: Language,
) -> dict[str, Any]:
    note, photo, sent_url = extras
    item: dict[str, Any] = {
        "service_request_id": t.code,
        "status": t.state.open311_status.value,
        "status_notes": note or "",
        "service_name": t.category_en_name if lang is Language.EN else t.category_id_name,
        "service_code": t.category_code,
        "description": t.description,
        "agency_responsible": t.agency_name,
        "service_notice": "",
        "requested_datetime": w3c(t.created_at, zone),
        "updated_datetime": w3c(t.updated_at, zone),
        "expected_datetime": w3c(t.expected_at, zone) or "",
        "address": t.address or "",
        "address_id": "",
        "zipcode": "",
        "lat": t.lat,
        "long": t.lon,
        # our own photo first; else the one the sending system keeps (never fetched)
        "media_url": _media_url(settings, photo) or sent_url or "",
    }
    if extensions:
        item["extended_attributes"] = {
            "detailed_status": t.state.detailed_status.value,
            "status_label_id": t.state.label_id,
            "status_label_en": t.state.label_en,
            "area": t.area_name,
            "supporters": t.supporters,
            # expected_datetime is empty on hold (the clocks are paused) and once the report
            # is finished (``engine.queries.public.expected``); this says which step
            # is late, when one is, whatever the resolution date
            "overdue_step": t.overdue_step or "",
            "clock_paused": t.clock_paused,
        }
    return item


def _requests(
    session: Any,
    items: list[PublicTicket],
    settings: Settings,
    ext: bool,
    lang: Language,
) -> list[dict[str, Any]]:
    extras = latest_notes_and_photos(session, [t.id for t in items])
    zone = _zone(settings)
    return [_request_item(settings, t, extras[t.id], zone, ext, lang) for t in items]


@router.get("/discovery.{fmt}")
def discovery(fmt: FormatDep, settings: SettingsDep) -> Response:
    base = f"{settings.public_base_url}/open311/v2"
    body = {
        "changeset": "2026-11-30T00:00:00+07:00",
        "contact": "the city's Tanggap operator",
        "key_service": "api keys are issued by the city's Tanggap operator",
        "endpoints": [
            {
                "specification": SPEC,
                "url": base,
                "changeset": "2026-11-30T00:00:00+07:00",
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return document(fmt, "discovery", "discovery", body)


def _service_items(session: Any, lang: Language) -> list[dict[str, Any]]:
    """Name, description and keywords in one language (the catalogue's own description, which
    has one language, only where the operator wrote one); a service that needs a photo says
    so, and how to send it, after its description."""
    items = []
    for s in list_services(session):
        name = s.name_en if lang is Language.EN else s.name_id
        description = s.description or name
        if s.photo_on_submit:
            description = f"{description.rstrip().rstrip('.')}. {PHOTO_NEEDED[lang]}"
        items.append(
            {
                "service_code": s.code,
                "service_name": name,
                "description": description,
                "metadata": bool(s.questions) or s.photo_on_submit,
                "type": "realtime",
                "keywords": name,
                "group": s.group,
            }
        )
    return items


def _photo_attribute(lang: Language) -> dict[str, Any]:
    """That the service needs a photo, as GeoReport v2 says a thing to the person filing:
    an attribute that is not variable (no input; its description is shown)."""
    return {
        "variable": False,
        "code": PHOTO_ATTRIBUTE,
        "datatype": "string",
        "required": False,
        "datatype_description": "",
        "order": 0,
        "description": PHOTO_NEEDED[lang],
        "values": [],
    }


def _attribute(question: QuestionSpec, lang: Language) -> dict[str, Any]:
    """A category question as a GeoReport v2 service definition attribute."""
    described = question.datatype_description
    return {
        "variable": True,
        "code": question.code,
        "datatype": question.datatype.value,
        "required": question.required,
        "datatype_description": described(lang) if described else "",
        "order": question.order,
        "description": question.description(lang),
        "values": [{"key": v.key, "name": v.name(lang)} for v in question.values],
    }


@router.get("/services.{fmt}")
def services(
    fmt: FormatDep, request: Request, session: ReadSessionDep, locale: LocaleQuery = None
) -> Response:
    """Every category, worded in `locale` (else Accept-Language; Indonesian by default);
    `metadata` is true where its service definition has attributes."""
    return document(fmt, "services", "service", _service_items(session, _lang(request, locale)))


@router.get("/services/{service_code}.{fmt}")
def service_definition(
    service_code: str,
    fmt: FormatDep,
    request: Request,
    session: ReadSessionDep,
    locale: LocaleQuery = None,
) -> Response:
    """The category's questions as attributes, worded in `locale` (else Accept-Language);
    first, for a category that needs a photo, an attribute that is not variable saying so."""
    lang = _lang(request, locale)
    found = next((s for s in list_services(session) if s.code == service_code), None)
    if found is None:
        raise NotFound(f"no service with code {shown(service_code)}")
    photo = [_photo_attribute(lang)] if found.photo_on_submit else []
    body = {
        "service_code": service_code,
        "attributes": photo + [_attribute(q, lang) for q in found.questions],
    }
    return document(fmt, "service_definition", "service_definition", body)


class RequestsQuery:
    def __init__(
        self,
        service_request_id: Annotated[str | None, Query(max_length=2000)] = None,
        service_code: Annotated[str | None, Query(max_length=2000)] = None,
        start_date: Annotated[str | None, Query(max_length=40)] = None,
        end_date: Annotated[str | None, Query(max_length=40)] = None,
        status: Annotated[str | None, Query(max_length=20)] = None,
        updated_after: Annotated[str | None, Query(max_length=40)] = None,
        updated_before: Annotated[str | None, Query(max_length=40)] = None,
        lat: Annotated[str | None, Query(max_length=40)] = None,
        long: Annotated[str | None, Query(max_length=40)] = None,
        radius: Annotated[str | None, Query(max_length=40, description="metres")] = None,
        page: str | None = None,
        page_size: str | None = None,
        extensions: Annotated[str | None, Query(max_length=10)] = None,
    ) -> None:
        self.raw = {
            "service_request_id": service_request_id,
            "service_code": service_code,
            "start_date": start_date,
            "end_date": end_date,
            "status": status,
            "updated_after": updated_after,
            "updated_before": updated_before,
            "lat": lat,
            "long": long,
            "radius": radius,
            "page": page,
            "page_size": page_size,
        }
        self.extensions = flag("extensions", extensions)

    def build(self, settings: Settings, now: Any) -> tuple[PublicFilter, int, int]:
        raw, zone = self.raw, _zone(settings)
        for name in ("service_request_id", "service_code"):  # the free-text ones
            one_line(name, raw[name])
        size = integer("page_size", raw["page_size"], 1, _MAX) or _MAX
        page = integer("page", raw["page"], 1, 1_000_000) or 1
        codes = csv_list("service_request_id", raw["service_request_id"])
        if codes:  # the spec: other parameters are then ignored
            return PublicFilter(codes=tuple(codes)), size, page
        start = w3c_param("start_date", raw["start_date"], zone)
        end = w3c_param("end_date", raw["end_date"], zone)
        if start is None and end is None:
            start = now - timedelta(days=90)
        _ordered("start_date", start, "end_date", end)
        statuses = {s.lower() for s in csv_list("status", raw["status"])}
        if statuses - {"open", "closed"}:
            raise RuleViolated("status is open, closed, or both separated by a comma")
        lat, lon = point(raw["lat"], raw["long"])
        if (lat is None) != (lon is None):
            missing, given = ("long", "lat") if lon is None else ("lat", "long")
            raise RuleViolated(
                f"{missing} is required with {given}: give both lat and long",
                params={"field": missing, "fields": ["lat", "long"]},
            )
        radius = number("radius", raw["radius"], 1, 100_000)
        if radius is not None and lat is None:
            raise RuleViolated(
                "radius needs lat and long: the centre of the circle",
                params={"field": "lat", "fields": ["lat", "long"]},
            )
        radius = radius or 1000.0
        near = (lat, lon, radius) if lat is not None and lon is not None else None
        updated_after = w3c_param("updated_after", raw["updated_after"], zone)
        updated_before = w3c_param("updated_before", raw["updated_before"], zone)
        _ordered("updated_after", updated_after, "updated_before", updated_before)
        f = PublicFilter(
            categories=tuple(csv_list("service_code", raw["service_code"])),
            unknown_codes_refused=False,
            created_after=start,
            created_before=end,
            open_only=(statuses == {"open"}) if len(statuses) == 1 else None,
            updated_after=updated_after,
            updated_before=updated_before,
            near=near,
        )
        return f, size, page


def _ordered(first: str, start: datetime | None, last: str, end: datetime | None) -> None:
    """A period that ends before it starts is a mistake, not an empty answer. Only ends the
    client sent are compared: a default (``servicerequestupdates``' end, now) never is, so an
    error names only parameters the client gave."""
    if start is not None and end is not None and end < start:
        raise RuleViolated(
            f"{last} is before {first}: the period must end after it starts",
            params={"field": last},
        )


@router.get("/requests.{fmt}")
def get_requests(
    fmt: FormatDep,
    query: Annotated[RequestsQuery, Depends()],
    request: Request,
    session: ReadSessionDep,
    now: NowDep,
    settings: SettingsDep,
    locale: LocaleQuery = None,
) -> Response:
    """Requests, newest change first: 90 days and at most 1,000 unless asked otherwise;
    `service_name` in `locale` (else Accept-Language; Indonesian by default)."""
    f, size, page = query.build(settings, now)
    found = list_public(session, f, now=now, limit=size, offset=(page - 1) * size)
    lang = _lang(request, locale)
    items = _requests(session, found.items, settings, query.extensions, lang)
    return document(fmt, "service_requests", "request", items)


@router.get("/requests/{service_request_id}.{fmt}")
def get_request(
    service_request_id: str,
    fmt: FormatDep,
    request: Request,
    session: ReadSessionDep,
    now: NowDep,
    settings: SettingsDep,
    extensions: Annotated[str | None, Query(max_length=10)] = None,
    locale: LocaleQuery = None,
) -> Response:
    ext = flag("extensions", extensions)
    found = list_public(session, PublicFilter(codes=(service_request_id,)), now=now, limit=1)
    if not found.items:
        raise NotFound(f"no service request {shown(service_request_id)}")
    items = _requests(session, found.items, settings, ext, _lang(request, locale))
    return document(fmt, "service_requests", "request", items)


@router.get("/tokens/{token}.{fmt}")
def get_token(token: str, fmt: FormatDep, session: ReadSessionDep, now: NowDep) -> Response:
    found = list_public(session, PublicFilter(codes=(token,)), now=now, limit=1)
    if not found.items:
        raise NotFound(f"no token {shown(token)}")
    item = {"service_request_id": found.items[0].code, "token": token}
    return document(fmt, "service_requests", "request", [item])


@dataclass
class _Form:
    fields: dict[str, str] = field(default_factory=dict)
    #: Each upload's first bytes, name and whole size: checked only once the key is known, so a
    #: caller without a key hears "api_key is required", not what is wrong with their files.
    uploads: list[tuple[bytes, str, int | None]] = field(default_factory=list)
    #: ``attribute[code]=value``; several values as ``attribute[code][]=…`` (or repeated).
    attributes: dict[str, str | list[str]] = field(default_factory=dict)


_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,60})\](\[\])?$")


async def _form(request: Request, settings: SettingsDep) -> _Form:
    content_type = media_type(request)
    if content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise RuleViolated("POST requests as application/x-www-form-urlencoded or multipart")
    async with request.form(max_files=settings.max_photos + 1, max_fields=60) as form:
        return await _read_form(form, settings)


async def _read_form(form: Any, settings: Settings) -> _Form:
    parsed = _Form()
    check_text(form.multi_items())  # bytes that were not UTF-8, in either kind of form
    for key, value in form.multi_items():
        if key in ("media", "media[]") and isinstance(value, str) and value:
            raise not_a_file(key)  # a photo by URL is media_url
        if isinstance(value, UploadFile):
            if len(parsed.uploads) > settings.max_photos:
                continue  # too many: said after the key is checked
            data = await value.read(settings.max_photo_bytes + 1)
            parsed.uploads.append((data, printable(value.filename or "") or "media", value.size))
        elif not isinstance(value, str) or not value.strip():
            continue
        elif match := _ATTRIBUTE.match(key):
            code, many = match.groups()
            if many or code in parsed.attributes:
                previous = parsed.attributes.get(code, [])
                listed = previous if isinstance(previous, list) else [previous]
                parsed.attributes[code] = [*listed, value]
            else:
                parsed.attributes[code] = value
        elif key.startswith("attribute["):
            # attribute[] or attribute[a][b]: brackets that name no one attribute
            raise RuleViolated(
                f"{shown(key)} is not an attribute: send each as attribute[code]",
                key="invalid_attribute",
                params={"field": "attribute"},
            )
        elif key in parsed.fields:
            raise repeated(key)
        else:
            parsed.fields[key] = value
    return parsed


_FORM_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["api_key", "service_code", "description"],
                    "description": "where: lat and long, or address_string alone (placed as "
                    "the web report form places an address: it must name one kelurahan of the "
                    "city, else a 400 says which places it names)",
                    "properties": {
                        "api_key": {"type": "string"},
                        "service_code": {"type": "string"},
                        "lat": {"type": "number", "minimum": -90, "maximum": 90},
                        "long": {"type": "number", "minimum": -180, "maximum": 180},
                        "address_string": {
                            "type": "string",
                            "maxLength": 300,
                            "description": "kept with the request; without lat and long it "
                            "places the request, when it names one kelurahan (Jl. Cideng Barat "
                            "12, Cideng)",
                        },
                        "address_id": {
                            "type": "string",
                            "description": "not offered (the city has no address register): "
                            "without lat and long or an address_string it is a 400",
                        },
                        "description": {"type": "string", "maxLength": 4000},
                        "email": {"type": "string", "maxLength": 254},
                        "first_name": {"type": "string", "maxLength": 100},
                        "last_name": {"type": "string", "maxLength": 100},
                        "phone": {"type": "string", "maxLength": 40},
                        "media_url": {
                            "type": "string",
                            "maxLength": 2000,
                            "description": "the sender's own photo (http or https): shown as "
                            "media_url while the request has no photo here; never fetched",
                        },
                        "locale": {
                            "type": "string",
                            "maxLength": LOCALE_LIMIT,
                            "description": "the reporter's language, a language tag: en "
                            "(en-US, en_GB …) or id; any other falls back to Accept-Language, "
                            "else id (the default)",
                        },
                        "channel": {
                            "type": "string",
                            "maxLength": 40,
                            "description": "how the report came (an extension): with a client "
                            "key open311 (the default), app, web, email or whatsapp; with a "
                            "staff key walk-in, phone, email, whatsapp or staff-on-behalf (the "
                            "default)",
                        },
                    },
                }
            }
        },
    }
}


#: What to send instead of an address_string that places no one kelurahan.
_SEND_INSTEAD = "Send lat and long, or an address_string that names its kelurahan"


def _placed(session: Session, address: str) -> Place | None:
    """The place a request sent with ``address`` and no lat and long goes to: the search and
    the rule of the web report form without its script (``search_address``,
    ``AddressSearch.placed``: one kelurahan, or one that matches better than every other).
    ``None`` for an address that shows nothing (zero-width spaces): no location given. An
    address that names several places alike, only a kecamatan or a city, or none is refused
    saying which places it names and what to send instead."""
    found = search_address(session, address, field="address_string")
    if not found.searched:
        return None
    said = shown(address)
    try:
        place = found.placed()
    except RuleViolated as exc:
        raise RuleViolated(
            f"address_string {said} names no kelurahan, kecamatan or kota of this city. "
            f"{_SEND_INSTEAD}",
            key=exc.code,
            params={"field": "address_string"},
        ) from None
    if place is not None:
        return place
    labels = [p.label for p in found.places]
    which = f"it names {labels[0]}" if len(labels) == 1 else f"it could be {'; '.join(labels)}"
    raise RuleViolated(
        f"address_string {said} does not name one kelurahan: {which}. {_SEND_INSTEAD}",
        key="choose_place",
        params={"field": "address_string", "places": [p.code for p in found.places]},
    )


@router.post("/requests.{fmt}", openapi_extra=_FORM_BODY)
def post_request(
    fmt: FormatDep,
    request: Request,
    parsed: Annotated[_Form, Depends(_form)],
    session: SessionDep,
    storage: StorageDep,
    now: NowDep,
    settings: SettingsDep,
) -> Response:
    """File a service request with an api key: an Open311 app's client key (the citizen's
    report, through the app; the answer adds `reporter_token`, the citizen's secret, for the
    app to hand on), or a staff, supervisor or admin key (staff filing for a caller: recorded
    as theirs, as `POST /api/v1/tickets` records it; no token in the answer: a caller who gave
    an `email` gets their private link by mail). `channel` (an extension) says how the report
    came, checked as on every door: by default `open311` for an app, `staff-on-behalf` for
    staff. Where: `lat` and `long`, or `address_string` alone, placed as the web report form
    places an address (one kelurahan found; `service_notice` says where), else a 400 saying
    which places it names and to send `lat` and `long`."""
    fields = parsed.fields
    if "api_key" not in fields:
        raise Forbidden("api_key is required")
    holder = authenticate(session, fields["api_key"])
    client = holder.role is Role.CLIENT
    if len(parsed.uploads) > settings.max_photos:
        raise RuleViolated(
            f"at most {settings.max_photos} media files",
            key="too_many_photos",
            params={"field": "media", "limit": settings.max_photos},
        )
    media = [
        check_photo(data, settings, name, size=size, field="media")
        for data, name, size in parsed.uploads
    ]
    for required in ("service_code", "description"):
        if required not in fields:
            raise RuleViolated(f"{required} is required")
    lat, lon = point(fields.get("lat"), fields.get("long"))
    notice = ""
    if lat is None and lon is None and fields.get("address_string"):
        # GeoReport v2: lat & long, or address_string (address_id is not offered: no register)
        placed = _placed(session, fields["address_string"])
        if placed is not None:
            lat, lon = placed.lat, placed.lon
            notice = f"placed in {placed.label} by its address_string"
    if lat is None and lon is None and fields.get("address_id") and not notice:
        raise RuleViolated(
            f"address_id is not offered: this city has no address register. {_SEND_INSTEAD}",
            params={"field": "address_id"},
        )
    if lat is None or lon is None:
        raise RuleViolated(
            "lat and long are required, or an address_string that names one kelurahan: this "
            "city routes reports by location"
        )
    name = reporter_name(fields.get("first_name"), fields.get("last_name"))
    report = Report(
        category=fields["service_code"],
        description=fields["description"],
        lat=lat,
        lon=lon,
        address=fields.get("address_string"),
        reporter_name=name,
        reporter_email=fields.get("email"),
        reporter_phone=fields.get("phone"),
        photos=tuple(media),
        # An extension: how the report came, checked by the engine as on every door. Not
        # said: an app's report came by Open311; staff filing for a caller (as on the staff
        # API's submission on behalf) recorded it themselves.
        source=fields.get("channel"),
        language=language(fields.get("locale"), request.headers.get("accept-language")),
        answers=parsed.attributes,
        media_url=fields.get("media_url"),
    )
    try:
        submitted = submit_report(
            session,
            report,
            private=False,
            # An app's report is recorded as the app's (by name for staff, "through an Open311
            # app" for the public); staff filing for a caller, as the staff key's (its name on
            # the staff timeline, "staff" on the public one).
            actor=holder.actor,
            now=now,
            settings=settings,
            storage=storage,
        )
    except RuleViolated as exc:
        raise in_open311_words(exc) from None
    item = {
        "service_request_id": submitted.report.code,
        "service_notice": notice,
        "account_id": "",
    }
    if client:
        # The citizen's secret (comment, dispute, rate at /api/v1/reports/{code}), to the app
        # that acts for them; never to a staff key: the city must not dispute or rate itself
        # (the engine mails it to the caller's own address instead: ``engine.receipts``).
        item["reporter_token"] = submitted.reporter_token
    return document(fmt, "service_requests", "request", [item], 201)


@router.get("/servicerequestupdates.{fmt}")
def service_request_updates(
    fmt: FormatDep,
    request: Request,
    session: ReadSessionDep,
    now: NowDep,
    settings: SettingsDep,
    start_date: Annotated[str | None, Query(max_length=40)] = None,
    end_date: Annotated[str | None, Query(max_length=40)] = None,
    page: str | None = None,
    page_size: str | None = None,
) -> Response:
    """Every change in the period (default: the day before `end_date`, which is by default
    now), oldest first, in FixMyStreet's extended statuses; `page` and `page_size` (at most
    1,000, the default) as on `requests`. A `start_date` after now with no `end_date` is an
    empty list, as on `requests`."""
    zone = _zone(settings)
    size = integer("page_size", page_size, 1, _MAX) or _MAX
    number_of = integer("page", page, 1, 1_000_000) or 1
    given_start = w3c_param("start_date", start_date, zone)
    given_end = w3c_param("end_date", end_date, zone)
    # Only a period the client gave both ends of can be the wrong way round; a default is ours
    # to fit, never a mistake to name a parameter the client did not send.
    _ordered("start_date", given_start, "end_date", given_end)
    end = given_end or now
    # the day before the end, from the window's first instant at the earliest (end_date=1970-01-01)
    start = given_start or max(end - timedelta(days=1), EARLIEST)
    if start > end:  # a start_date after now, with the default end: nothing has happened yet
        return document(fmt, "service_request_updates", "request_update", [])
    items = [
        {
            "update_id": str(u.id),
            "service_request_id": u.code,
            "status": update_status(u.trigger, u.to_state).value,
            "updated_datetime": w3c(u.at, zone),
            "description": u.note or "",
            "media_url": _media_url(settings, u.photo_key),
        }
        for u in list_public_updates(
            session, start=start, end=end, limit=size, offset=(number_of - 1) * size
        )
    ]
    return document(fmt, "service_request_updates", "request_update", items)
