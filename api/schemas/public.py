"""Shapes of the citizen API. Built from ``engine.queries`` projections, which hold no
personal data; only ``ReporterRead`` (the reporter's own view, behind the token) has any."""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    Strict,
    ValidationInfo,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from api.schemas.instants import Instant
from engine import (
    Language,
    PublicEvent,
    PublicPhoto,
    PublicTicket,
    ReporterView,
    StatePresentation,
    Submitted,
    Supported,
)
from engine.db import VERSION_MAX
from engine.text import LIMITS, as_number_text


def _typed(kind: str) -> Callable[[Any, ValidationInfo], Any]:
    """A JSON client sends numbers as numbers and flags as true/false: ``"5"`` for a rating or
    ``true`` for a latitude is refused, never read as 5 or 1.0. A form (multipart, validated
    with ``context={"form": True}``) sends every value as text, which pydantic then reads."""

    def check(value: Any, info: ValidationInfo) -> Any:
        form = bool(info.context and info.context.get("form"))
        wrong = isinstance(value, bool) != (kind == "bool") or isinstance(value, str)
        if wrong and not (form and isinstance(value, str)):
            raise PydanticCustomError(f"{kind}_type", _TYPE_WORDS[kind])
        whole = isinstance(value, float) and math.isfinite(value) and value.is_integer()
        if kind == "int" and whole:  # 1e20 is a whole number: its bounds say what is wrong
            return int(value)
        if isinstance(value, str) and kind != "bool":
            try:  # a form's number: "-6_1" or Arabic-Indic digits are no number a person meant
                as_number_text(value)
            except ValueError:
                raise PydanticCustomError(f"{kind}_parsing", _TYPE_WORDS[kind]) from None
        return value

    return check


_TYPE_WORDS = {
    "float": "Input should be a number",
    "int": "Input should be a whole number",
    "bool": "Input should be true or false",
}

#: Numbers and flags in request bodies: strict in JSON, read from text in forms.
Number = Annotated[float, BeforeValidator(_typed("float"))]
Whole = Annotated[int, BeforeValidator(_typed("int"))]
Flag = Annotated[bool, BeforeValidator(_typed("bool"))]

#: A point's coordinates in a query (text, read as numbers) and in a request body (numbers in
#: JSON, text in forms). Off the globe, NaN or infinite, they are refused by the engine's one
#: location rule (``engine.routing.check_location``), in the same words everywhere; the bounds
#: here document.
Lat = Annotated[float, Field(json_schema_extra={"minimum": -90, "maximum": 90})]
Lon = Annotated[float, Field(json_schema_extra={"minimum": -180, "maximum": 180})]
BodyLat = Annotated[Number, Field(json_schema_extra={"minimum": -90, "maximum": 90})]
BodyLon = Annotated[Number, Field(json_schema_extra={"minimum": -180, "maximum": 180})]


def _decode(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64") from exc


#: A photo sent inside JSON: base64 in, bytes out (size and type are checked by the route).
Base64Photo = Annotated[bytes, BeforeValidator(lambda v: _decode(v) if isinstance(v, str) else v)]


#: One answer: text (a list value's key), a number, or several keys for a multivaluelist. A
#: flag too, and any other JSON value, only so that the question's rule refuses it in its
#: words ("must be a number").
AnswerValue = (
    Annotated[str, Field(max_length=2000)]
    | Annotated[bool, Strict()]
    | Number  # NaN and infinities too: the question's rule refuses them, in its words
    | Annotated[list[Annotated[str, Field(max_length=60)]], Field(max_length=50)]
    # Any other JSON value (a list of numbers, an object) is the question's rule's to refuse,
    # in its words ("must be a number" for a number question), not the schema's "must be
    # text"; left out of the documented schema, which says what is accepted.
    | SkipJsonSchema[Annotated[list[Any], Field(max_length=50)]]
    | SkipJsonSchema[dict[str, Any]]
)


def _without_nulls(answers: Any) -> Any:
    """JSON's null for an answer is no answer, as one left out (``engine.questions`` says so
    too): taken out before the union of answer kinds would refuse it as none of them."""
    if isinstance(answers, dict):
        return {key: value for key, value in answers.items() if value is not None}
    return answers


Answers = Annotated[
    dict[Annotated[str, Field(min_length=1, max_length=40)], AnswerValue],
    BeforeValidator(_without_nulls),
    Field(
        max_length=20,
        description="answers to the category's questions by question code (Open311 attribute "
        "codes; see GET /open311/v2/services/{code}.json); multipart: `answers[code]`",
        examples=[{"water_depth": 40, "water_trend": "rising"}],
    ),
]


#: An e-mail address as sent: the engine's one rule (``engine.text.clean_email``) checks it, so
#: every door refuses a bad one with the same code (``not_an_email``) and words.
Email = Annotated[
    str, Field(max_length=LIMITS["reporter_email"], json_schema_extra={"format": "email"})
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StateRead(BaseModel):
    code: str = Field(description="lifecycle state")
    label_id: str
    label_en: str
    colour: str = Field(description="red, yellow, green or grey, as in Qlue and JAKI")
    open311_status: str
    detailed_status: str

    @classmethod
    def of(cls, p: StatePresentation) -> StateRead:
        return cls(
            code=p.state.value,
            label_id=p.label_id,
            label_en=p.label_en,
            colour=p.colour.value,
            open311_status=p.open311_status.value,
            detailed_status=p.detailed_status.value,
        )


class NamedRead(BaseModel):
    code: str
    name: str


class CategoryRead(BaseModel):
    code: str
    name_id: str
    name_en: str


#: Where a photo is fetched, from its storage key (``public_photo_url``, or the reporter's own
#: signed address for a report the public may not see: ``api.routes.media.own_photo_url``).
PhotoAddress = Callable[[str], str]


def public_photo_url(storage_key: str) -> str:
    """The public address of a stored photo (``GET /media/{key}``)."""
    return f"/media/{storage_key}"


class PhotoRead(BaseModel):
    url: str
    content_type: str
    width: int
    height: int
    purpose: str = Field(description="report, comment or proof (sent with the resolution)")
    added_by: str = Field(
        description="who added it, by role: citizen, staff, supervisor, admin; client: the "
        "report's photos filed through an Open311 app"
    )
    after_fix: bool = Field(description="proof of the fix or the office's (else the reporter's)")
    events: list[int] = Field(
        default=[],
        description="the seq of each timeline event it was sent with, oldest first: a photo is "
        "listed once however often it was sent (the same proof with a second resolution, the "
        "same file sent twice); purpose and added_by are those of its first sending",
    )

    @classmethod
    def of(cls, p: PublicPhoto, url: PhotoAddress = public_photo_url) -> PhotoRead:
        return cls(
            url=url(p.storage_key),
            content_type=p.content_type,
            width=p.width,
            height=p.height,
            purpose=p.purpose,
            added_by=p.added_by,
            after_fix=p.after_fix,
            events=[s.seq for s in p.sent],
        )


class EventRead(BaseModel):
    seq: int
    action: str
    state: StateRead
    by: str = Field(
        description="who acted, by role: citizen, staff, supervisor, admin, system; client: "
        "a citizen's report filed through an Open311 app"
    )
    note: str | None = Field(description="the public note, if any")
    at: Instant

    @classmethod
    def of(cls, e: PublicEvent) -> EventRead:
        return cls(
            seq=e.seq,
            action=e.trigger,
            state=StateRead.of(e.state),
            by=e.actor_role,
            note=e.note,
            at=e.at,
        )


class ReportRead(BaseModel):
    code: str
    state: StateRead
    category: CategoryRead
    agency: NamedRead
    area: NamedRead
    description: str
    lat: float
    lon: float
    address: str | None
    supporters: int
    created_at: Instant
    updated_at: Instant
    expected_resolution_at: Instant | None = Field(
        description="the resolution SLA deadline while the work is under way; null while the "
        "report is on hold (clock_paused: the date moves by the length of the hold) and once "
        "it is finished (resolved, closed, rejected, duplicate)"
    )
    overdue: bool = Field(description="a step of the work is late: overdue_step says which")
    overdue_step: str | None = Field(
        default=None,
        description="the step that is late (verify, assign, accept, start or resolve), null "
        "when none is: a late verification does not make the resolution date late",
    )
    clock_paused: bool = Field(
        default=False, description="on hold: the SLA clocks are paused, no target date holds"
    )
    duplicate_of: str | None
    distance_m: float | None = None
    timeline: list[EventRead] = Field(
        default=[],
        description="the public timeline, in one report's view (GET /api/v1/reports/{code}); "
        "empty in lists and in a new report's possible duplicates: fetch the report for it",
    )
    photos: list[PhotoRead] = Field(
        default=[], description="the photos the public sees, oldest first (in lists too)"
    )

    @classmethod
    def of(cls, t: PublicTicket, photo_url: PhotoAddress = public_photo_url) -> ReportRead:
        return cls(
            code=t.code,
            state=StateRead.of(t.state),
            category=CategoryRead(
                code=t.category_code, name_id=t.category_id_name, name_en=t.category_en_name
            ),
            agency=NamedRead(code=t.agency_code, name=t.agency_name),
            area=NamedRead(code=t.area_code, name=t.area_name),
            description=t.description,
            lat=t.lat,
            lon=t.lon,
            address=t.address,
            supporters=t.supporters,
            created_at=t.created_at,
            updated_at=t.updated_at,
            expected_resolution_at=t.expected_at,
            overdue=t.overdue,
            overdue_step=t.overdue_step,
            clock_paused=t.clock_paused,
            duplicate_of=t.duplicate_of,
            distance_m=round(t.distance_m, 1) if t.distance_m is not None else None,
            timeline=[EventRead.of(e) for e in t.timeline],
            photos=[PhotoRead.of(p, photo_url) for p in t.photos],
        )


class ReportPage(BaseModel):
    items: list[ReportRead]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page")


class ReportCreate(_In):
    category: str = Field(
        min_length=1, max_length=LIMITS["category_code"], examples=["traffic_jam"]
    )
    description: str = Field(min_length=1, max_length=LIMITS["description"])
    lat: BodyLat
    lon: BodyLon
    address: str | None = Field(default=None, max_length=LIMITS["address"])
    name: str | None = Field(default=None, max_length=LIMITS["reporter_name"])
    email: Email | None = None
    phone: str | None = Field(default=None, max_length=LIMITS["reporter_phone"])
    language: Language = Language.ID
    private: Flag = Field(default=False, description="hide who reported it from staff too")
    channel: str | None = Field(
        default=None,
        description="how the report came: app (the default), web, open311, email or whatsapp, "
        "in any case (spaces, - and _ alike); walk-in, phone and staff-on-behalf are staff's "
        "(422, naming channel)",
        examples=["app"],
    )
    answers: Answers = Field(default_factory=dict)
    #: Whether the body came as JSON, whose answers are typed (a number answer is a JSON
    #: number), or as a form, whose answers are all text.
    _typed: bool = PrivateAttr(default=True)

    @model_validator(mode="after")
    def _how_sent(self, info: ValidationInfo) -> ReportCreate:
        self._typed = not (info.context and info.context.get("form"))
        return self

    @property
    def answers_typed(self) -> bool:
        return self._typed


class FiledReport(BaseModel):
    """A report just filed, as every door answers it (without the reporter token)."""

    code: str
    state: StateRead
    agency: NamedRead
    expected_resolution_at: Instant | None
    possible_duplicates: list[ReportRead]
    public: bool = Field(
        description="whether anyone may read the report by its code, on the list and the map; "
        "false for a category that is not published (e.g. pungli): only you, with the "
        "reporter token, and the city's staff see it"
    )
    private: bool = Field(
        description="whether it was filed privately: your name, e-mail and phone are hidden "
        "from staff too (only the city's administrators see them)"
    )

    @staticmethod
    def fields(s: Submitted) -> dict[str, Any]:
        r = s.report
        return {
            "code": r.code,
            "state": StateRead.of(r.state),
            "agency": NamedRead(code=r.agency_code, name=r.agency_name),
            "expected_resolution_at": r.expected_at,
            "possible_duplicates": [ReportRead.of(d) for d in s.possible_duplicates],
            "public": s.public,
            "private": s.private,
        }


class ReportCreated(FiledReport):
    reporter_token: str = Field(description="shown once: keep it to follow, dispute or rate")

    @classmethod
    def of(cls, s: Submitted) -> ReportCreated:
        return cls(reporter_token=s.reporter_token, **cls.fields(s))


class OwnNoteRead(BaseModel):
    seq: int = Field(description="the timeline event it belongs to")
    note: str


class ReporterRead(BaseModel):
    report: ReportRead
    name: str | None
    email: str | None
    phone: str | None
    private: bool
    rating: int | None
    resolved_at: Instant | None
    subscribed: bool = Field(description="whether your own e-mail gets updates")
    followers: int = Field(
        description="addresses told about changes to this report (yours included)"
    )
    pending: int = Field(
        default=0,
        description="addresses sent a confirmation mail that have not confirmed yet: they are "
        "told nothing until they do",
    )
    own_notes: list[OwnNoteRead] = Field(
        default=[], description="your own words on the timeline (by event seq), hidden publicly"
    )
    public: bool = Field(
        default=True,
        description="whether the public sees the report; false for a category that is not "
        "published (e.g. pungli), or when the city took it off the public record: only you, "
        "with the token, and the city's staff",
    )
    unpublished: bool = Field(
        default=False,
        description="whether the city's staff took the report off the public record (it is "
        "still handled as before; public is then false)",
    )
    redacted: bool = Field(
        default=False,
        description="whether a moderator of the city edited what the public reads of the "
        "report (to take out someone's personal data: a name, a phone number, a face, a number "
        "plate): report shows it as the public reads it; the city's staff still have your own "
        "words and photos",
    )
    allowed: list[str] = Field(
        default=[],
        description="what you may do with the report now, with the token: among comment, "
        "dispute, rate and appeal (the same list a 409 names); an app shows these and no others",
    )
    appeal_until: Instant | None = Field(
        default=None, description="until when you may appeal its rejection, while you may"
    )

    @classmethod
    def of(
        cls,
        v: ReporterView,
        photo_url: PhotoAddress = public_photo_url,
        allowed: Sequence[str] = (),
        appeal_until: datetime | None = None,
    ) -> ReporterRead:
        """``photo_url``: where the reporter fetches the photos (``PhotoAddress``);
        ``allowed``: the reporter's actions now, in their words (``appeal``, not reinstate)."""
        return cls(
            report=ReportRead.of(v.report, photo_url),
            name=v.name,
            email=v.email,
            phone=v.phone,
            private=v.private,
            rating=v.rating,
            resolved_at=v.resolved_at,
            subscribed=v.subscribed,
            followers=v.followers,
            pending=v.pending,
            own_notes=[OwnNoteRead(seq=seq, note=note) for seq, note in v.own_notes],
            public=v.public,
            unpublished=v.unpublished,
            redacted=v.redacted,
            allowed=list(allowed),
            appeal_until=appeal_until,
        )


class DisputeCreate(_In):
    reason: str = Field(
        max_length=LIMITS["note"]
    )  # blank: the engine says a dispute needs a reason
    expected_version: Whole | None = Field(default=None, ge=1, le=VERSION_MAX)


class AppealCreate(_In):
    reason: str = Field(
        max_length=LIMITS["note"]
    )  # blank: the engine says an appeal needs a reason
    expected_version: Whole | None = Field(default=None, ge=1, le=VERSION_MAX)


class CommentCreate(_In):
    text: str = Field(min_length=1, max_length=LIMITS["note"])
    photos: list[Base64Photo] = Field(
        default=[], max_length=5, description="photos, base64-encoded JPEG/PNG/WebP"
    )
    expected_version: Whole | None = Field(default=None, ge=1, le=VERSION_MAX)


class RatingCreate(_In):
    rating: Whole = Field(ge=1, le=5, description="1 (bad) to 5 (good)")
    note: str | None = Field(default=None, max_length=LIMITS["note"])
    expected_version: Whole | None = Field(default=None, ge=1, le=VERSION_MAX)


class SupportRead(ReportRead):
    """The report after a "me too", and whether it counted."""

    counted: bool = Field(
        description="false: this e-mail address (or, without one, this client today) was "
        "already counted, and supporters did not change"
    )
    message: str

    @classmethod
    def of_support(cls, s: Supported) -> SupportRead:
        message = (
            "counted: thank you"
            if s.counted
            else "already counted: each person supports a report once"
        )
        return cls(**ReportRead.of(s.report).model_dump(), counted=s.counted, message=message)


def _follow_language() -> Any:
    """The language of a follower's mail; left out, Indonesian for a new address, and the one
    it was given in for an address the report already has (a repeat keeps it)."""
    return Field(
        default=None,
        description="id or en: the language of the mail to the address; left out, id for a "
        "new address, else the one it was given in",
    )


class SupportCreate(_In):
    email: Email | None = None
    language: Language | None = _follow_language()


class SubscriptionCreate(_In):
    email: Email
    language: Language | None = _follow_language()


def feature(r: ReportRead) -> dict[str, Any]:
    properties = r.model_dump(mode="json", exclude={"lat", "lon", "timeline", "photos"})
    return {
        "type": "Feature",
        "id": r.code,
        "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
        "properties": properties,
    }


class FeatureCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[dict[str, Any]]
    next_cursor: str | None
