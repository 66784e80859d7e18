"""Shapes of the staff, supervisor and admin API."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.instants import Instant
from api.schemas.public import (
    Base64Photo,
    BodyLat,
    BodyLon,
    FiledReport,
    Flag,
    PhotoRead,
    ReportCreate,
    ReportRead,
    StateRead,
    Whole,
)
from engine import (
    PUBLIC_NOTE_TRIGGERS,
    USER_TRIGGERS,
    AnsweredQuestion,
    EscalationItem,
    Figures,
    GroupFigures,
    Rate,
    Reporter,
    StaffEvent,
    Submitted,
    TicketDetail,
    TimerView,
    WorkItem,
)
from engine.db import VERSION_MAX
from engine.keys import acts_as
from engine.models import ApiKey, Priority
from engine.queries.staff import StaffPhoto
from engine.text import LIMITS


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WorkItemRead(BaseModel):
    code: str
    state: StateRead
    category: str
    priority: str
    agency: str
    area: str
    officer: str | None
    created_at: Instant
    due_at: Instant | None = Field(description="earliest running SLA deadline")
    overdue: bool
    on_hold_since: Instant | None = Field(
        description="when its current hold began (its SLA clocks are paused since); "
        "null when it is not on hold"
    )
    version: int

    @classmethod
    def of(cls, w: WorkItem) -> WorkItemRead:
        return cls(
            code=w.code,
            state=StateRead.of(w.state),
            category=w.category,
            priority=w.priority,
            agency=w.agency,
            area=w.area,
            officer=w.officer,
            created_at=w.created_at,
            due_at=w.due_at,
            overdue=w.overdue,
            on_hold_since=w.on_hold_since,
            version=w.version,
        )


class WorkPageRead(BaseModel):
    items: list[WorkItemRead]
    next_cursor: str | None
    as_of: Instant = Field(
        description="the instant the list is ranked at: the first page's time, kept by "
        "next_cursor, so that a deadline passing between pages moves no ticket"
    )
    changed: int = Field(
        description="tickets of this list with an event since as_of (filed, held, moved…): "
        "they may stand elsewhere than when the list began; 0 on the first page. Start again "
        "from the first page to see them in place"
    )


class ReporterRead(BaseModel):
    name: str | None
    email: str | None
    phone: str | None

    @classmethod
    def of(cls, r: Reporter | None) -> ReporterRead | None:
        return cls(name=r.name, email=r.email, phone=r.phone) if r else None


class StaffEventRead(BaseModel):
    seq: int
    action: str
    from_state: str | None
    to_state: str
    by_role: str
    by: str
    note: str | None
    public: bool
    data: dict[str, Any]
    at: Instant

    @classmethod
    def of(cls, e: StaffEvent) -> StaffEventRead:
        return cls(
            seq=e.seq,
            action=e.trigger,
            from_state=e.from_state,
            to_state=e.to_state,
            by_role=e.actor_role,
            by=e.actor,
            note=e.note,
            public=e.public,
            data=e.data,
            at=e.at,
        )


class AnswerRead(BaseModel):
    code: str
    question_id: str
    question_en: str
    value: str | float | list[str] = Field(
        description="as stored: text, a number, a UTC datetime, or the keys of list values"
    )
    text_id: str = Field(description="the answer as people read it (list values named)")
    text_en: str

    @classmethod
    def of(cls, a: AnsweredQuestion) -> AnswerRead:
        return cls(
            code=a.code,
            question_id=a.question_id,
            question_en=a.question_en,
            value=a.value,
            text_id=a.text_id,
            text_en=a.text_en,
        )


class LevelRead(BaseModel):
    level: str
    percent: int
    due_at: Instant
    recorded_at: Instant
    mailed: bool


class TimerRead(BaseModel):
    kind: str
    cycle: int
    policy: str
    status: str = Field(
        description="running, paused, overdue, met, breached, or ended (stopped before its "
        "deadline by something other than the work it measures — a rejection or duplicate after "
        "verification, a transfer, a policy change: no case in the on-time figures)"
    )
    started_at: Instant
    deadline: Instant
    stopped_at: Instant | None
    target_seconds: float
    elapsed_seconds: float
    remaining_seconds: float
    pauses: list[tuple[Instant, Instant | None]]
    escalations: list[LevelRead]

    @classmethod
    def of(cls, t: TimerView) -> TimerRead:
        return cls(
            kind=t.kind,
            cycle=t.cycle,
            policy=t.policy,
            status=t.status,
            started_at=t.started_at,
            deadline=t.deadline,
            stopped_at=t.stopped_at,
            target_seconds=t.target.total_seconds(),
            elapsed_seconds=t.elapsed.total_seconds(),
            remaining_seconds=t.remaining.total_seconds(),
            pauses=list(t.pauses),
            escalations=[
                LevelRead(
                    level=lv.level,
                    percent=lv.percent,
                    due_at=lv.due_at,
                    recorded_at=lv.recorded_at,
                    mailed=lv.mailed,
                )
                for lv in t.levels
            ],
        )


class StaffPhotoRead(PhotoRead):
    public: bool = Field(
        description="true: the public sees it (the report's photos, the reporter's, staff's on "
        "a public note); false: staff's on an internal note — its url opens only with a key "
        "(or a staff page sign-in) that may see this ticket; or one a moderator hid (hidden)"
    )
    hidden: bool = Field(
        default=False,
        description="a supervisor or admin hid it from the public (trigger redact, "
        "hide_photos: its key, the part of its url after /media/); staff still see it",
    )

    @classmethod
    def of_staff(cls, p: StaffPhoto) -> StaffPhotoRead:
        return cls(**PhotoRead.of(p).model_dump(), public=p.public, hidden=p.hidden)


class TicketRead(BaseModel):
    report: ReportRead
    version: int
    priority: str
    channel: str
    private: bool
    reporter: ReporterRead | None = Field(
        description="who reported it; withheld on private reports except for admins"
    )
    officer: str | None
    subscribers: int = Field(
        description="addresses told about changes (the reporter's included); an address "
        "waiting to confirm its follow is not counted"
    )
    events: list[StaffEventRead]
    timers: list[TimerRead]
    allowed_actions: list[str]
    answers: list[AnswerRead] = Field(description="the reporter's answers to category questions")
    media_url: str | None = Field(
        default=None,
        description="the sending system's own photo of the problem (Open311 media_url); "
        "a link to another site, never fetched here",
    )
    media_url_hidden: bool = Field(
        default=False,
        description="a supervisor or admin hid media_url from the public (trigger redact, "
        "hide_photos naming it); staff still see it",
    )
    photos: list[StaffPhotoRead] = Field(
        default=[],
        description="every photo of the ticket, oldest first, internal ones too "
        "(report.photos lists the public ones only)",
    )
    public: bool = Field(
        default=True,
        description="whether the public sees the report; false for a category that is not "
        "published (e.g. pungli), or one taken off the public record: only its reporter, with "
        "the token, and staff",
    )
    unpublished: bool = Field(
        default=False,
        description="whether the report is off the public record: taken off by a supervisor "
        "or admin (trigger unpublish), or moved out of a category that is not published "
        "(verify or update); republish puts it back",
    )
    description: str = Field(
        default="",
        description="the reporter's words as sent; report.description is what the public reads, "
        "which differs once a supervisor or admin redacted it (redacted)",
    )
    redacted: bool = Field(
        default=False,
        description="whether a supervisor or admin edited the description the public reads "
        "(trigger redact; the event's data holds what the public read before)",
    )

    @classmethod
    def of(cls, d: TicketDetail) -> TicketRead:
        return cls(
            report=ReportRead.of(d.public),
            version=d.version,
            priority=d.priority,
            channel=d.channel,
            private=d.private,
            reporter=ReporterRead.of(d.reporter),
            officer=d.officer,
            subscribers=d.subscribers,
            events=[StaffEventRead.of(e) for e in d.events],
            timers=[TimerRead.of(t) for t in d.timers],
            allowed_actions=[t.value for t in d.allowed],
            answers=[AnswerRead.of(a) for a in d.answers],
            media_url=d.media_url,
            media_url_hidden=d.media_url_hidden,
            public=d.published,
            unpublished=d.unpublished,
            description=d.description,
            redacted=d.redacted,
            photos=[StaffPhotoRead.of_staff(p) for p in d.photos],
        )


#: What a person may fire over HTTP (``submit`` creates tickets; ``merge`` is the engine's).
UserTrigger = StrEnum("UserTrigger", {t.name: t.value for t in USER_TRIGGERS})  # type: ignore[misc]


_PUBLIC_DEFAULT = (
    "true: the citizen sees the note (public timeline, Open311, status mail); false: staff only. "
    "Left out, the note is public for "
    + ", ".join(t.value for t in PUBLIC_NOTE_TRIGGERS)
    + " and internal for "
    + ", ".join(t.value for t in USER_TRIGGERS if t not in PUBLIC_NOTE_TRIGGERS)
    + "."
)


class TransitionCreate(_In):
    trigger: UserTrigger
    expected_version: Whole | None = Field(
        default=None,
        ge=1,
        le=VERSION_MAX,
        description="required here or as If-Match: the version you read",
    )
    note: str | None = Field(default=None, max_length=LIMITS["note"])
    public: Flag | None = Field(default=None, description=_PUBLIC_DEFAULT)
    agency: str | None = Field(default=None, max_length=LIMITS["agency_code"])
    officer: str | None = Field(default=None, max_length=LIMITS["staff_email"])
    category: str | None = Field(default=None, max_length=LIMITS["category_code"])
    lat: BodyLat | None = None
    lon: BodyLon | None = None
    duplicate_of: str | None = Field(default=None, max_length=40)
    rating: Whole | None = Field(default=None, ge=1, le=5)
    priority: str | None = Field(default=None, max_length=10)
    description: str | None = Field(
        default=None,
        max_length=LIMITS["description"],
        description="redact: the description the public reads instead of the reporter's words",
    )
    hide_photos: list[Annotated[str, Field(max_length=200)]] = Field(
        default=[],
        max_length=50,
        description="redact: the report's photos to hide from the public, each by the key its "
        "url ends with (/media/{key}), or the sending system's own photo by its media_url",
    )
    show_photos: list[Annotated[str, Field(max_length=200)]] = Field(
        default=[],
        max_length=50,
        description="redact: photos hidden from the public earlier (hide_photos) to show "
        "again, named as in hide_photos; one not hidden is refused (photo_not_hidden), and so "
        "is a photo named in both lists",
    )
    photos: list[Base64Photo] = Field(
        default=[], max_length=5, description="proof photos, base64-encoded JPEG/PNG/WebP"
    )

    def fields(self, photos: list[bytes]) -> dict[str, Any]:
        values = self.model_dump(
            exclude={"trigger", "expected_version", "photos", "hide_photos", "show_photos"}
        )
        if photos:
            values["photos"] = tuple(photos)
        if self.hide_photos:
            values["hide_photos"] = tuple(self.hide_photos)
        if self.show_photos:
            values["show_photos"] = tuple(self.show_photos)
        return {k: v for k, v in values.items() if v is not None}


class TransitionRead(BaseModel):
    code: str
    state: StateRead
    version: int
    allowed_actions: list[str]


class StaffReportCreate(ReportCreate):
    channel: str | None = Field(
        default=None,
        description="how the caller reached the city: walk-in, phone, email, whatsapp or "
        "staff-on-behalf (recorded by staff: the default), in any case (`walk in`, `WALK_IN`); "
        "app, web and open311 are the citizen's own doors (422, naming channel)",
        examples=["walk-in"],
    )
    #: Staff's judgement (a citizen's own report never sets it): default, the category's.
    priority: Priority | None = None


class StaffReportCreated(FiledReport):
    """A report staff filed for a caller: never the reporter token (whoever holds it disputes
    and rates as the citizen; the city's staff must not dispute or rate the city's fix)."""

    reporter_mailed: bool = Field(
        description="whether the caller's private link (with their reporter token) was mailed "
        "to the e-mail they gave; false without one: they follow the report by its code, and "
        "cannot comment, dispute or rate it online"
    )

    @classmethod
    def of(cls, s: Submitted) -> StaffReportCreated:
        return cls(reporter_mailed=s.receipt_mailed, **cls.fields(s))


class KeyCreate(_In):
    #: The roles a key can hold (``KEY_ROLES``; a citizen has a reporter token, the system no
    #: key). A client key is an Open311 app's: it files service requests and nothing else.
    role: Literal["staff", "supervisor", "admin", "client"] = Field(
        description="staff, supervisor or admin; client: an Open311 app, which may only file "
        "service requests (POST /open311/v2/requests) and takes no agency, area or staff"
    )
    name: str = Field(min_length=1, max_length=200)
    agency: str | None = Field(default=None, max_length=LIMITS["agency_code"])
    area: str | None = Field(default=None, max_length=LIMITS["area_code"])
    staff: str | None = Field(
        default=None,
        max_length=LIMITS["staff_email"],
        description="e-mail of the staff member the key belongs to: a supervisor's escalation "
        "feed lists what was mailed to that address; default agency: theirs",
    )


class KeyRead(BaseModel):
    prefix: str
    name: str
    role: str
    agency: str | None
    area: str | None
    staff: str | None
    created_at: Instant
    revoked_at: Instant | None

    @classmethod
    def of(cls, k: ApiKey) -> KeyRead:
        role, agency = acts_as(k)  # what it acts as now: a person's key follows them
        return cls(
            prefix=k.prefix,
            name=k.name,
            role=role.value,
            agency=agency.code if agency else None,
            area=k.area.code if k.area else None,
            staff=k.staff.email if k.staff else None,
            created_at=k.created_at,
            revoked_at=k.revoked_at,
        )


class KeyCreated(KeyRead):
    key: str = Field(description="shown once; only its hash is stored")


class RateRead(BaseModel):
    count: int
    value: float | None = Field(description="null: withheld, fewer cases than the minimum")

    @classmethod
    def of(cls, r: Rate) -> RateRead:
        return cls(count=r.count, value=r.value)


class GroupFiguresRead(BaseModel):
    group: str
    on_time: dict[str, RateRead]
    median_hours_to_resolve: RateRead
    backlog: int
    reopen_rate: RateRead

    @classmethod
    def of(cls, g: GroupFigures) -> GroupFiguresRead:
        return cls(
            group=g.group,
            on_time={k: RateRead.of(v) for k, v in g.on_time.items()},
            median_hours_to_resolve=RateRead.of(g.median_hours_to_resolve),
            backlog=g.backlog,
            reopen_rate=RateRead.of(g.reopen_rate),
        )


class FiguresRead(BaseModel):
    group_by: str
    start: Instant
    end: Instant
    min_count: int
    groups: list[GroupFiguresRead]

    @classmethod
    def of(cls, f: Figures) -> FiguresRead:
        return cls(
            group_by=f.group_by.value,
            start=f.start,
            end=f.end,
            min_count=f.min_count,
            groups=[GroupFiguresRead.of(g) for g in f.groups],
        )


class CatalogueLoaded(BaseModel):
    changed: bool
    summary: dict[str, int]
    address_changes: list[str] = Field(
        description="generated offices whose e-mail addresses changed, one line each "
        "(code, name, old → new queue and head): mail to the old addresses stops"
    )
    retired_holding: list[str] = Field(
        default=[],
        description="agencies no longer in the catalogue that still hold open tickets, and "
        "retired categories still on open tickets, one line each with the ticket codes: "
        "nothing moves that work on its own",
    )


class EscalationRead(BaseModel):
    code: str
    state: StateRead
    category: str
    agency: str
    area: str
    timer: str
    cycle: int
    level: str
    percent: int
    due_at: Instant
    recorded_at: Instant
    mailed: bool

    @classmethod
    def of(cls, e: EscalationItem) -> EscalationRead:
        return cls(
            code=e.code,
            state=StateRead.of(e.state),
            category=e.category,
            agency=e.agency,
            area=e.area,
            timer=e.timer,
            cycle=e.cycle,
            level=e.level,
            percent=e.percent,
            due_at=e.due_at,
            recorded_at=e.recorded_at,
            mailed=e.mailed,
        )
